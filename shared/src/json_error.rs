//! Parse errors described without quoting the document. serde's messages quote the text
//! they stumbled on (`invalid type: string "…", expected u64`, ``unknown field `…` ``), and a
//! wrong file handed to the cold signer may be a mnemonic backup: these functions keep the
//! position and the kind of fault and drop anything taken from the document.

/// A serde message (JSON or TOML) with anything quoted from the document removed; what was
/// expected comes from the schema and is kept.
pub fn scrub(msg: &str) -> String {
    let msg = msg.lines().collect::<Vec<_>>().join(": ");
    if let Some(i) = msg.rfind(", expected ") {
        let kind = kind_of(&msg[..i]);
        return format!("{kind}, expected {}", &msg[i + ", expected ".len()..]);
    }
    if msg.starts_with("expected") || msg.starts_with("missing field") {
        return msg; // syntax messages and schema field names quote no content
    }
    if msg.starts_with("duplicate key") || msg.starts_with("duplicate field") {
        return "duplicate key".into();
    }
    match msg.find(['"', '`', '\'']) {
        Some(i) => msg[..i].trim_end().trim_end_matches(':').to_string(),
        None => msg,
    }
}

/// The content-free kind of a serde data error, from the start of its message.
fn kind_of(head: &str) -> &'static str {
    [
        ("unknown field", "unknown key"),
        ("unknown variant", "unknown value"),
        ("invalid type", "value of the wrong type"),
        ("invalid length", "wrong number of items"),
    ]
    .iter()
    .find(|(p, _)| head.starts_with(p))
    .map_or("invalid value", |(_, k)| k)
}

/// What is wrong, without the position: syntax faults in a few words, data faults scrubbed.
/// Messages coldpay raises itself (`duplicate key: transactions[3].fee_limit appears twice`)
/// are kept: they name keys by path and quote no value.
pub fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    match e.classify() {
        serde_json::error::Category::Data if msg.starts_with(OWN_DUPLICATE) => msg.to_string(),
        serde_json::error::Category::Data => scrub(msg),
        serde_json::error::Category::Eof => "unexpected end of the document".to_string(),
        _ => "not valid JSON".to_string(),
    }
}

/// How [`crate::strict_json`] starts its repeated-key message.
pub(crate) const OWN_DUPLICATE: &str = "duplicate key: ";

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        a: Option<u64>,
        mode: Option<Mode>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Any,
    }

    fn described(text: &str) -> String {
        describe(&serde_json::from_str::<Doc>(text).unwrap_err())
    }

    #[test]
    fn serde_messages_lose_what_they_quote() {
        let m = described(r#"{"a": "legal winner thank"}"#);
        assert_eq!(m, "value of the wrong type, expected u64");
        let m = described(r#"{"legal winner": 1}"#);
        assert_eq!(m, "unknown key, expected `a` or `mode`");
        let m = described(r#"{"mode": "legal winner"}"#);
        assert_eq!(m, "unknown value, expected `any`");
        assert_eq!(described("legal winner"), "not valid JSON");
        assert_eq!(described(r#"{"a": 1"#), "unexpected end of the document");
        assert_eq!(scrub("custom text 'legal' here"), "custom text");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 0), (1, 1));
        assert_eq!(line_col("é", 1), (1, 1));
    }
}
