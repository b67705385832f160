//! Markdown as members write it, rendered and sanitised: never a panic or a hang, and nothing
//! executable in the page.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let html = stoa_core::markdown::render(source);
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script survived: {html}");
    assert!(
        !lower.contains("href=\"javascript:"),
        "a script link survived: {html}"
    );
});
