//! A linear look at HTML before the HTML parser sees it. The parser behind the sanitiser does
//! work that grows with the depth of open elements and with the list of formatting elements it
//! must reopen, so some shapes cost quadratic time and memory (tens of thousands of nested
//! `<div>`s; formatting elements left open and reopened at every new element). This scan walks
//! the text once, keeping a bounded model of both, and says whether the markup stays within
//! limits under which the parser's work is linear. Markup that does not is turned into its text,
//! which is still shown.

use std::borrow::Cow;

/// Deepest nesting of open elements handed to the parser.
pub const MAX_DEPTH: usize = 48;
/// Most formatting elements left open (each is reopened by the parser at every new element).
pub const MAX_OPEN_FORMATTING: usize = 24;
/// Most elements in one document.
pub const MAX_ELEMENTS: usize = 8_000;
/// Most attributes on one element (the parser compares each with the ones before it).
pub const MAX_ATTRIBUTES: usize = 32;

/// Why markup was not handed to the parser as markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excess {
    Depth,
    Formatting,
    Elements,
    Attributes,
}

/// HTML the parser may take as it is, or the text of HTML that went past a limit.
pub fn bounded(html: &str) -> Cow<'_, str> {
    match scan(html) {
        Ok(()) => Cow::Borrowed(html),
        Err(excess) => {
            tracing::info!(
                ?excess,
                bytes = html.len(),
                "markup past a limit kept as text"
            );
            Cow::Owned(text_of(html))
        }
    }
}

/// Elements that never have content.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "param"
            | "keygen"
            | "frame"
            | "image"
    )
}

/// Elements the parser keeps in its list of active formatting elements.
const FORMATTING: [&str; 14] = [
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

fn formatting_index(name: &str) -> Option<usize> {
    FORMATTING.iter().position(|f| *f == name)
}

/// Elements a new one of the same name closes (`<p>a<p>b` is two paragraphs, not nested).
fn closes_itself(name: &str) -> bool {
    matches!(
        name,
        "p" | "li" | "dt" | "dd" | "option" | "tr" | "td" | "th" | "rb" | "rt" | "rp"
    )
}

/// Elements whose content is text up to their end tag.
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "textarea" | "title" | "xmp" | "iframe" | "noembed" | "noframes"
    )
}

/// One pass over the markup with a stack of at most `MAX_DEPTH` names, so the whole scan is
/// linear in the length of the input.
fn scan(html: &str) -> Result<(), Excess> {
    let bytes = html.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    // Per formatting element, how many are open: an end tag of one name closes only that name.
    let mut open_formatting = [0usize; FORMATTING.len()];
    let mut elements = 0usize;
    let mut at = 0;
    while let Some(offset) = memchr(b'<', &bytes[at..]) {
        let start = at + offset;
        let Some(tag) = Tag::read(bytes, start) else {
            at = start + 1;
            continue;
        };
        at = tag.end;
        match tag.kind {
            TagKind::Start { self_closing } => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(Excess::Elements);
                }
                if tag.attributes > MAX_ATTRIBUTES {
                    return Err(Excess::Attributes);
                }
                let name = tag.name.as_str();
                if let Some(index) = formatting_index(name) {
                    open_formatting[index] += 1;
                    if open_formatting.iter().sum::<usize>() > MAX_OPEN_FORMATTING {
                        return Err(Excess::Formatting);
                    }
                }
                if is_raw_text(name) {
                    at = raw_text_end(bytes, at, name);
                    continue;
                }
                if self_closing || is_void(name) {
                    continue;
                }
                if closes_itself(name) && stack.last().is_some_and(|top| top == name) {
                    stack.pop();
                }
                stack.push(tag.name);
                if stack.len() > MAX_DEPTH {
                    return Err(Excess::Depth);
                }
            }
            TagKind::End => {
                let name = tag.name.as_str();
                if let Some(index) = formatting_index(name) {
                    // Closing a formatting element takes it off the parser's list; elements
                    // above it on the stack may stay there, counted until their own end tag.
                    open_formatting[index] = open_formatting[index].saturating_sub(1);
                }
                if let Some(position) = stack.iter().rposition(|open| open == name) {
                    stack.truncate(position);
                }
            }
            TagKind::Other => {}
        }
    }
    Ok(())
}

/// Where the content of a raw-text element ends: after `</name`, or at the end of the input.
fn raw_text_end(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut at = from;
    while let Some(offset) = memchr(b'<', &bytes[at..]) {
        let start = at + offset;
        let close = &bytes[start + 1..];
        if close.first() == Some(&b'/')
            && close.len() > name.len()
            && close[1..=name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return start;
        }
        at = start + 1;
    }
    bytes.len()
}

#[derive(Debug)]
enum TagKind {
    Start {
        self_closing: bool,
    },
    End,
    /// A comment, doctype or processing instruction.
    Other,
}

#[derive(Debug)]
struct Tag {
    kind: TagKind,
    /// Lowercased, at most 16 bytes kept (longer names are not ones the limits care about).
    name: String,
    attributes: usize,
    /// Just past the tag's `>` (or the end of the input).
    end: usize,
}

impl Tag {
    /// Reads the tag that starts with the `<` at `start`, as an HTML tokenizer would see it;
    /// `None` when the `<` starts no tag (it is text).
    fn read(bytes: &[u8], start: usize) -> Option<Tag> {
        let after = bytes.get(start + 1)?;
        match after {
            b'!' | b'?' => {
                let end = if bytes[start..].starts_with(b"<!--") {
                    find(bytes, start + 4, b"-->").map_or(bytes.len(), |i| i + 3)
                } else {
                    memchr(b'>', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1)
                };
                Some(Tag {
                    kind: TagKind::Other,
                    name: String::new(),
                    attributes: 0,
                    end,
                })
            }
            b'/' => {
                let name_start = start + 2;
                if !bytes.get(name_start)?.is_ascii_alphabetic() {
                    let end = memchr(b'>', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
                    return Some(Tag {
                        kind: TagKind::Other,
                        name: String::new(),
                        attributes: 0,
                        end,
                    });
                }
                let (name, after_name) = read_name(bytes, name_start);
                let end =
                    memchr(b'>', &bytes[after_name..]).map_or(bytes.len(), |i| after_name + i + 1);
                Some(Tag {
                    kind: TagKind::End,
                    name,
                    attributes: 0,
                    end,
                })
            }
            c if c.is_ascii_alphabetic() => {
                let (name, mut at) = read_name(bytes, start + 1);
                let mut attributes = 0;
                let mut self_closing = false;
                // Attributes: names, optionally `=` and a quoted or bare value.
                loop {
                    while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/')
                    {
                        self_closing = bytes[at] == b'/';
                        at += 1;
                    }
                    match bytes.get(at) {
                        None => break,
                        Some(b'>') => {
                            at += 1;
                            break;
                        }
                        Some(_) => {}
                    }
                    self_closing = false;
                    attributes += 1;
                    // The attribute's name, up to `=`, space, `/` or `>`.
                    at += 1;
                    while at < bytes.len()
                        && !matches!(bytes[at], b'=' | b'>' | b'/')
                        && !bytes[at].is_ascii_whitespace()
                    {
                        at += 1;
                    }
                    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                        at += 1;
                    }
                    if bytes.get(at) != Some(&b'=') {
                        continue;
                    }
                    at += 1;
                    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                        at += 1;
                    }
                    match bytes.get(at) {
                        Some(&quote @ (b'"' | b'\'')) => {
                            at = memchr(quote, &bytes[at + 1..])
                                .map_or(bytes.len(), |i| at + 1 + i + 1);
                        }
                        _ => {
                            while at < bytes.len()
                                && bytes[at] != b'>'
                                && !bytes[at].is_ascii_whitespace()
                            {
                                at += 1;
                            }
                        }
                    }
                }
                Some(Tag {
                    kind: TagKind::Start { self_closing },
                    name,
                    attributes,
                    end: at,
                })
            }
            _ => None,
        }
    }
}

/// A tag name from `at`: its lowercased first 16 bytes, and where it ends.
fn read_name(bytes: &[u8], from: usize) -> (String, usize) {
    let mut at = from;
    while at < bytes.len() && !bytes[at].is_ascii_whitespace() && !matches!(bytes[at], b'/' | b'>')
    {
        at += 1;
    }
    let kept = &bytes[from..at.min(from + 16)];
    (String::from_utf8_lossy(kept).to_ascii_lowercase(), at)
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// The text of HTML without its tags, as paragraphs: what a reader still gets of markup that
/// went past a limit. Linear; the result holds no markup but the paragraphs (stray `<` and `>`
/// are escaped), and entities are left for the sanitiser to read.
pub fn text_of(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut text = String::with_capacity(html.len() / 2);
    let mut at = 0;
    while at < bytes.len() {
        let Some(offset) = memchr(b'<', &bytes[at..]) else {
            text.push_str(&html[at..]);
            break;
        };
        let start = at + offset;
        text.push_str(&html[at..start]);
        match Tag::read(bytes, start) {
            Some(tag) => {
                // Block ends become line breaks, so paragraphs do not run together.
                if matches!(tag.kind, TagKind::End | TagKind::Start { .. })
                    && matches!(
                        tag.name.as_str(),
                        "p" | "br" | "div" | "li" | "blockquote" | "tr"
                    )
                {
                    text.push('\n');
                }
                let raw = matches!(tag.kind, TagKind::Start { .. }) && is_raw_text(&tag.name);
                at = if raw {
                    let end = raw_text_end(bytes, tag.end, &tag.name);
                    memchr(b'>', &bytes[end..]).map_or(bytes.len(), |i| end + i + 1)
                } else {
                    tag.end
                };
            }
            None => {
                text.push_str("&lt;");
                at = start + 1;
            }
        }
        // Never split a character: tags are ASCII, so `at` is on a boundary.
    }
    let text = text.replace('>', "&gt;");
    let mut out = String::with_capacity(text.len() + 16);
    for paragraph in text.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        out.push_str(paragraph);
        out.push_str("</p>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_markup_passes_as_it_is() {
        let html = "<p>Hello <b>there</b>, <a href=\"https://x.example/\">link</a><br></p>\
                    <ul><li>one<li>two</ul><p>a<p>b<img src=x alt=\"y > z\"><!-- note <b> -->";
        assert!(matches!(bounded(html), Cow::Borrowed(_)));
    }

    #[test]
    fn deep_nesting_is_text() {
        let html = "<div>".repeat(45_000) + "deep";
        assert_eq!(scan(&html), Err(Excess::Depth));
        assert_eq!(bounded(&html), "<p>deep</p>");
    }

    #[test]
    fn formatting_left_open_is_text() {
        // Each `<p>` would make the parser reopen every formatting element still listed.
        let html: String = (0..2_000)
            .map(|i| format!("<b class=c{i}><i></b><p>x"))
            .collect();
        assert_eq!(scan(&html), Err(Excess::Formatting));
        assert!(!bounded(&html).contains("<b"));
    }

    #[test]
    fn end_tags_of_other_elements_do_not_close_formatting() {
        let html: String = (0..100).map(|i| format!("<b c={i}></i>")).collect();
        assert_eq!(scan(&html), Err(Excess::Formatting));
    }

    #[test]
    fn stray_end_tags_do_not_hide_depth() {
        let html = "<div></span>".repeat(1_000);
        assert_eq!(scan(&html), Err(Excess::Depth));
    }

    #[test]
    fn many_elements_or_attributes_are_text() {
        assert_eq!(
            scan(&"<br>".repeat(MAX_ELEMENTS + 1)),
            Err(Excess::Elements)
        );
        let attributes: String = (0..100).map(|i| format!(" a{i}=1")).collect();
        assert_eq!(
            scan(&format!("<p{attributes}>x</p>")),
            Err(Excess::Attributes)
        );
    }

    #[test]
    fn text_keeps_words_and_escapes_the_rest() {
        assert_eq!(
            text_of("<p>one &amp; <b>two</b></p><script>bad()</script>3 < 4 > 2"),
            "<p>one &amp; two</p><p>3 &lt; 4 &gt; 2</p>"
        );
        assert_eq!(text_of("caf\u{e9}<br>ok"), "<p>caf\u{e9}</p><p>ok</p>");
    }
}
