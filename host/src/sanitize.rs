//! The one sanitiser for untrusted text in human-facing output.
//!
//! Rules are untrusted code and logs are untrusted input: a title, an
//! excerpt, a rule's error or an input's name may carry terminal escape
//! sequences (a window title, a screen clear, an OSC 52 clipboard write), C1
//! controls, a bare carriage return that overwrites what was printed, or
//! bidirectional overrides that reorder what a reader sees. Every such
//! character is shown as a visible escape (`\x1b`, `\r`, `\u{202e}`) and never
//! reaches a terminal raw. Machine formats (JSON) keep the text exact; their
//! own escaping is the format's.

use std::borrow::Cow;

/// `text` for one line of output: every control character (newlines
/// included), C1 control, and invisible or bidirectional formatting
/// character shown escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// `text` that may span lines: like [`escape`], but `\n` and `\t` are kept
/// as they are.
pub fn escape_block(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let kept = |c: char| keep_lines && (c == '\n' || c == '\t');
    if !text.chars().any(|c| is_unsafe(c) && !kept(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) || kept(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Characters that change how a terminal shows what follows them, or hide
/// or reorder text: C0 controls, DEL, C1 controls, bidirectional marks,
/// embeddings, overrides and isolates, zero-width spaces, line and paragraph
/// separators, and the byte order mark.
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_as_it_is() {
        for text in ["", "a title", "naïve café — ok ✓", "C:\\path\\x1b is text"] {
            assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
        }
        assert!(matches!(escape_block("two\n\tlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_and_controls_are_shown_not_interpreted() {
        let hostile =
            "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\u{9b}31m\rFORGED\u{202e}gnp.exe\x7f";
        let shown = escape(hostile);
        assert_eq!(
            shown,
            "\\x1b]0;pwned\\x07\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\u{9b}31m\\rFORGED\\u{202e}gnp.exe\\x7f"
        );
        assert!(!shown.chars().any(is_unsafe));
    }

    #[test]
    fn lines_are_kept_only_in_blocks() {
        assert_eq!(escape("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(escape_block("a\nb\tc\r\n"), "a\nb\tc\\r\n");
    }

    #[test]
    fn bidi_and_invisible_characters_are_escaped() {
        for c in [
            '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200f}', '\u{61c}', '\u{2028}',
            '\u{feff}',
        ] {
            assert_eq!(escape(&c.to_string()), format!("\\u{{{:x}}}", c as u32));
        }
    }
}
