//! Markdown to safe HTML: rendered by pulldown-cmark, then sanitised by ammonia before storage,
//! so that whatever reaches a page or a peer has already been cleaned once.

use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

/// Renders member-written markdown to sanitised HTML.
pub fn render(source: &str) -> String {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(source, options));
    sanitize(&unsafe_html)
}

/// Cleans HTML from any source (a member's markdown output, later a remote server's content).
/// Links get `rel="nofollow noopener noreferrer"` so posts cannot pass on ranking or reach back.
pub fn sanitize(html: &str) -> String {
    // Built once: building the cleaner's tag and attribute tables cost as much as cleaning a
    // short post, and every reply from elsewhere is cleaned.
    static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
        let mut builder = ammonia::Builder::default();
        builder.link_rel(Some("nofollow noopener noreferrer"));
        builder
    });
    CLEANER.clean(&crate::html_guard::bounded(html)).to_string()
}

/// A plain-text excerpt of sanitised HTML, at most `max_chars` characters, for summaries.
pub fn excerpt(html: &str, max_chars: usize) -> String {
    static TEXT_ONLY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(ammonia::Builder::empty);
    let text = TEXT_ONLY
        .clean(&crate::html_guard::bounded(html))
        .to_string();
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(max_chars).collect();
    if collapsed.chars().count() > max_chars {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        assert_eq!(
            render("**bold** _it_"),
            "<p><strong>bold</strong> <em>it</em></p>\n"
        );
    }

    #[test]
    fn strips_scripts_and_handlers() {
        let html = render(
            "<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[a](javascript:alert(1))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(html.contains(">a</a>"), "the link text stays: {html}");
    }

    #[test]
    fn links_are_nofollow() {
        let html = render("[site](https://example.com)");
        assert!(
            html.contains(r#"rel="nofollow noopener noreferrer""#),
            "{html}"
        );
    }

    #[test]
    fn excerpt_is_plain_and_bounded() {
        assert_eq!(
            excerpt("<p>Hello <b>there</b>\n friend</p>", 11),
            "Hello there…"
        );
        assert_eq!(excerpt("<p>short</p>", 20), "short");
    }
}
