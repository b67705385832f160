//! The HTML cleaner and the excerpt maker on arbitrary HTML, as remote posts bring it: never a
//! panic, never a hang, and nothing executable in what comes out.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(html) = std::str::from_utf8(data) else {
        return;
    };
    let clean = stoa_core::markdown::sanitize(html);
    // Inside tags only: the same words as text are harmless (`<` is always escaped there).
    for tag in clean.split('<').skip(1) {
        let tag = tag
            .split('>')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(!tag.starts_with("script"), "a script survived: {clean}");
        assert!(
            !tag.contains("href=\"javascript:") && !tag.contains("src=\"javascript:"),
            "a script link survived: {clean}"
        );
    }
    let _ = stoa_core::markdown::excerpt(html, 200);
    let _ = stoa_core::text::clean(html, 200, stoa_core::text::TextKind::Line);
    let _ = stoa_core::text::clean(html, 64, stoa_core::text::TextKind::Handle);
});
