//! Markdown as members write it, rendered and sanitised: never a panic or a hang, and nothing
//! executable in the page.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let html = stoa_core::markdown::render(source);
    // Inside tags only: the same words as text are harmless (`<` is always escaped there).
    for tag in html.split('<').skip(1) {
        let tag = tag
            .split('>')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(!tag.starts_with("script"), "a script survived: {html}");
        assert!(
            !tag.contains("href=\"javascript:") && !tag.contains("src=\"javascript:"),
            "a script link survived: {html}"
        );
    }
});
