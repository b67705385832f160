//! Text from other servers made safe to show: one cleaning function for every remote name,
//! handle, title and summary, so that two actors can never look alike on a page while being
//! different, and no sender can reorder or hide what follows its text.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// What a piece of text is, which decides how strictly it is cleaned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// The name part of `name@host`: an identity, so nothing invisible and no spaces at all.
    Handle,
    /// A display name, title or summary: one line, with the joiners that scripts and emoji
    /// sequences need kept where they join something.
    Line,
}

/// Cleans remote text: drops control characters, every format character (Unicode `Cf`: bidi
/// overrides and isolates, zero-width spaces, the byte-order mark, soft hyphens, invisible
/// operators, tag characters …) and the invisible fillers that are letters or symbols by
/// category; turns every kind of space into one plain space; trims; keeps at most `max_chars`
/// characters. In a [`TextKind::Line`] the zero-width joiner and non-joiner are kept only
/// between two visible non-ASCII characters (an emoji sequence, Persian or an Indic script),
/// where they change how text is drawn — never beside ASCII, where they only hide a difference.
pub fn clean(text: &str, max_chars: usize, kind: TextKind) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut kept = 0;
    let mut pending_space = false;
    let mut previous: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        if kept >= max_chars {
            break;
        }
        if c.is_whitespace() || is_unusual_space(c) {
            if kind == TextKind::Line && previous.is_some() {
                pending_space = true;
            }
            continue;
        }
        let keep = if is_joiner(c) {
            kind == TextKind::Line
                && previous.is_some_and(joins)
                && !pending_space
                && next_visible(&chars[i + 1..]).is_some_and(joins)
        } else if is_variation_selector(c) {
            kind == TextKind::Line && previous.is_some()
        } else {
            let at_in_handle = kind == TextKind::Handle && c == '@';
            !is_invisible(c) && !at_in_handle
        };
        if !keep {
            continue;
        }
        if pending_space {
            out.push(' ');
            kept += 1;
            pending_space = false;
            if kept >= max_chars {
                break;
            }
        }
        out.push(c);
        kept += 1;
        previous = Some(c);
    }
    // A joiner kept last (cut by the length) joins nothing.
    while out.ends_with(['\u{200C}', '\u{200D}']) {
        out.pop();
    }
    out
}

/// The first character after a run of joiners and invisible characters.
fn next_visible(rest: &[char]) -> Option<char> {
    rest.iter()
        .copied()
        .find(|&c| !is_joiner(c) && !is_variation_selector(c))
        .filter(|&c| !is_invisible(c) && !c.is_whitespace())
}

/// Characters a joiner may stand between: visible and not ASCII.
fn joins(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !is_invisible(c)
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}' | '\u{180F}')
}

/// Spaces that are not `char::is_whitespace` but show as blank.
fn is_unusual_space(c: char) -> bool {
    matches!(c, '\u{2800}')
}

/// Control and format characters, and letters or marks that draw nothing.
fn is_invisible(c: char) -> bool {
    if c.is_control() {
        return true;
    }
    if matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::Control
            | GeneralCategory::Unassigned
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) {
        return true;
    }
    // Hangul fillers and the combining grapheme joiner are letters or marks by category, yet
    // show nothing: a favourite for names that look empty or like someone else's.
    matches!(
        c,
        '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{17B4}' | '\u{17B5}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> String {
        clean(text, 100, TextKind::Line)
    }

    fn handle(text: &str) -> String {
        clean(text, 64, TextKind::Handle)
    }

    #[test]
    fn invisible_and_reordering_characters_are_dropped() {
        let cases = [
            ("Ev\u{202E}il\u{0007} name", "Evil name"),
            ("ad\u{200B}min", "admin"),
            ("ad\u{200D}min", "admin"),
            ("ad\u{200C}min", "admin"),
            ("\u{FEFF}admin", "admin"),
            ("ad\u{00AD}min", "admin"),
            ("ad\u{2060}min", "admin"),
            ("ad\u{2066}min\u{2069}", "admin"),
            ("ad\u{E0041}min", "admin"),
            ("\u{3164}admin", "admin"),
            ("ad\u{034F}min", "admin"),
            (
                "  many   \u{2003}spaces\n\tand lines  ",
                "many spaces and lines",
            ),
            ("\u{200D}", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(line(input), expected, "{input:?}");
        }
    }

    #[test]
    fn joiners_stay_where_a_script_or_an_emoji_needs_them() {
        // A family emoji is three people joined by ZWJ.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(line(family), family);
        // Persian uses the non-joiner inside words.
        let persian = "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}";
        assert_eq!(line(persian), persian);
        // Beside ASCII or a space they join nothing.
        assert_eq!(line("a\u{200D}\u{1F468}"), "a\u{1F468}");
        assert_eq!(line("\u{1F468} \u{200D}\u{1F469}"), "\u{1F468} \u{1F469}");
        // Of a run of joiners, one is kept.
        assert_eq!(
            line("\u{1F468}\u{200D}\u{200D}\u{1F469}"),
            "\u{1F468}\u{200D}\u{1F469}"
        );
    }

    #[test]
    fn handles_keep_only_visible_characters() {
        assert_eq!(handle("ad\u{200D}\u{1F468}min"), "ad\u{1F468}min");
        assert_eq!(handle("a d@min"), "admin");
        assert_eq!(handle("\u{1F468}\u{200D}\u{1F469}"), "\u{1F468}\u{1F469}");
        assert_eq!(handle("caf\u{FE0F}e"), "cafe");
        assert_eq!(handle("\u{200B}\u{3164}"), "");
    }

    #[test]
    fn length_is_bounded_in_characters() {
        assert_eq!(line("abcdef"), "abcdef");
        assert_eq!(clean("abcdef", 3, TextKind::Line), "abc");
        assert_eq!(
            clean("\u{1F468}\u{200D}\u{1F469}", 2, TextKind::Line),
            "\u{1F468}"
        );
    }
}
