//! Rules for text the signer shows an operator: ids (payout, request), labels (allowlist
//! labels, wallet names) and memos, and the one way such text is printed ([`escape`]).
//!
//! - **Ids** are printable ASCII without spaces (`!` to `~`, 1 to [`MAX_ID_LEN`] bytes). So no
//!   zero-width, bidi or tag character can hide in one, and no letter from another script
//!   (Cyrillic `а` for Latin `a`) can make two ids look alike.
//! - **Labels and memos** may use any script but no invisible or reordering character: see
//!   [`memo_char_problem`].
//! - Everything is printed through [`escape`], so even text read before these rules applied
//!   shows every hidden character as `\u{…}`.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::error::{Error, Result};

/// Longest id (payout id, request id) accepted, in bytes.
pub const MAX_ID_LEN: usize = 128;

/// Longest label (allowlist label) accepted, in bytes.
pub const MAX_LABEL_LEN: usize = 128;

/// What kind of hidden character `c` is, if it is one: a control character, a bidi control,
/// a zero-width or other invisible character, or a tag character. Such characters make text
/// display differently from what it says.
pub fn hidden_char_kind(c: char) -> Option<&'static str> {
    Some(match c {
        c if c.is_control() => "a control character",
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => "a bidi control character",
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => "a zero-width character",
        '\u{E0000}'..='\u{E007F}' => "a tag character",
        '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{2061}'..='\u{2065}'
        | '\u{206A}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' => "an invisible formatting character",
        _ => return None,
    })
}

/// The first character of `text` that a memo, label or id must not contain (see
/// [`hidden_char_kind`]); `None` if the text is clean. The signer's policy and the
/// broadcaster's import apply this one rule.
pub fn memo_char_problem(text: &str) -> Option<char> {
    text.chars().find(|&c| hidden_char_kind(c).is_some())
}

/// `U+200B (a zero-width character)`: how an error names a refused character.
pub fn describe_char(c: char) -> String {
    let code = u32::from(c);
    match hidden_char_kind(c) {
        Some(kind) => format!("U+{code:04X} ({kind})"),
        None if c == ' ' => "U+0020 (a space)".into(),
        None if c.is_whitespace() => format!("U+{code:04X} (a space character)"),
        None => format!("U+{code:04X} '{c}' (not ASCII)"),
    }
}

/// Why `id` is not a valid id (`what` names it: "payout_id", "request_id"); `None` if valid.
pub fn id_problem(what: &str, id: &str) -> Option<String> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Some(format!(
            "{what} must be 1..={MAX_ID_LEN} bytes, got {}",
            id.len()
        ));
    }
    let c = id.chars().find(|c| !c.is_ascii_graphic())?;
    Some(format!(
        "{what} \"{}\" contains {}; ids must be printable ASCII without spaces",
        escape(id),
        describe_char(c)
    ))
}

/// The rule of [`id_problem`] as a handoff error that does not quote the id (a document
/// handed to the cold signer may hold a secret where an id belongs): the refused character
/// is named with its position instead.
pub fn check_id(what: &str, id: &str) -> Result<()> {
    if id_problem(what, id).is_none() {
        return Ok(());
    }
    let Some((i, c)) = id.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) else {
        return Err(Error::Handoff(format!(
            "{what} must be 1..={MAX_ID_LEN} bytes, got {}",
            id.len()
        )));
    };
    Err(Error::Handoff(format!(
        "{what} contains {} at character {}; ids must be printable ASCII without spaces",
        describe_char(c),
        i + 1
    )))
}

/// Why `label` is not a valid label (`what` names it); `None` if valid. Labels may use any
/// script but no hidden character, must not be blank and are at most [`MAX_LABEL_LEN`] bytes.
pub fn label_problem(what: &str, label: &str) -> Option<String> {
    if label.trim().is_empty() || label.len() > MAX_LABEL_LEN {
        return Some(format!(
            "{what} must be 1..={MAX_LABEL_LEN} bytes and not blank, got {} bytes",
            label.len()
        ));
    }
    // Not quoted: a wrong file read as a policy may hold a secret where a label belongs.
    let (i, c) = label
        .chars()
        .enumerate()
        .find(|&(_, c)| hidden_char_kind(c).is_some())?;
    Some(format!(
        "{what} contains {} at character {}",
        describe_char(c),
        i + 1
    ))
}

/// `text` as it is safe to print: hidden characters (see [`hidden_char_kind`]) become
/// `\u{…}`, and `\` and `"` are backslash-escaped so a quoted result is unambiguous. Clean
/// text is returned as is, without copying.
pub fn escape(text: &str) -> Cow<'_, str> {
    let needs = |c: char| c == '\\' || c == '"' || hidden_char_kind(c).is_some();
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            c if needs(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_width_id_is_refused_naming_the_code_point() {
        let msg = id_problem("payout_id", "p\u{200b}-1").unwrap();
        assert!(msg.contains("U+200B (a zero-width character)"), "{msg}");
        assert!(msg.contains(r#""p\u{200b}-1""#), "{msg}");
        assert_eq!(id_problem("payout_id", "p-1"), None);
    }

    #[test]
    fn every_hidden_kind_and_lookalikes_are_refused_in_ids() {
        for (id, code) in [
            ("a\u{2060}b", "U+2060"),
            ("a\u{feff}b", "U+FEFF"),
            ("a\u{202e}b", "U+202E"),
            ("a\u{2066}b", "U+2066"),
            ("a\u{e0041}b", "U+E0041 (a tag character)"),
            ("a\u{ad}b", "U+00AD"),
            ("p\u{0430}y", "U+0430 'а' (not ASCII)"),
            ("caf\u{e9}", "U+00E9"),
            ("a b", "U+0020 (a space)"),
            ("a\tb", "U+0009 (a control character)"),
            ("a\u{a0}b", "U+00A0"),
        ] {
            let msg = id_problem("request_id", id).unwrap();
            assert!(msg.contains(code), "{id:?}: {msg}");
        }
        assert!(id_problem("payout_id", "").is_some());
        assert!(id_problem("payout_id", &"x".repeat(MAX_ID_LEN + 1)).is_some());
        assert_eq!(id_problem("payout_id", &"x".repeat(MAX_ID_LEN)), None);
        assert_eq!(id_problem("payout_id", "INV-2024/07#3_a.b~!"), None);
    }

    #[test]
    fn labels_allow_scripts_but_not_hidden_characters() {
        assert_eq!(label_problem("label", "Büro Zürich — €"), None);
        assert_eq!(label_problem("label", "exchange hot wallet"), None);
        let msg = label_problem("label", "hot\u{202e}tellaw").unwrap();
        assert!(msg.contains("U+202E (a bidi control character)"), "{msg}");
        assert!(label_problem("label", "  ").is_some());
        assert!(label_problem("label", "tag\u{e0020}").is_some());
    }

    #[test]
    fn escape_shows_hidden_characters_and_keeps_clean_text() {
        assert!(matches!(escape("p-1 café"), Cow::Borrowed("p-1 café")));
        assert_eq!(escape("p\u{200b}-1"), r"p\u{200b}-1");
        assert_eq!(escape("a\u{202e}b\n"), r"a\u{202e}b\u{a}");
        assert_eq!(escape(r#"q"\"#), r#"q\"\\"#);
        assert_eq!(escape("\u{e0041}"), r"\u{e0041}");
    }

    #[test]
    fn memo_rule_covers_tags_and_keeps_text() {
        assert_eq!(memo_char_problem("invoice 42 — café ❤"), None);
        for bad in [
            '\n',
            '\u{7}',
            '\u{202E}',
            '\u{2066}',
            '\u{200B}',
            '\u{FEFF}',
            '\u{061C}',
            '\u{E0001}',
            '\u{2060}',
        ] {
            assert_eq!(memo_char_problem(&format!("ok{bad}ok")), Some(bad));
        }
    }
}
