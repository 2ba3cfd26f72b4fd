//! Errors about files the signer parses (policy, home marker, keystores, saved responses)
//! that name the file, line and column but never quote the file's content: a wrong file
//! passed as `--policy` may be a mnemonic backup, and error text reaches the terminal and the
//! audit log. Library messages (toml, serde_json) quote the offending text, so the message
//! is rebuilt here from its position and kind.

use std::path::Path;

use crate::error::SignerError;

/// A TOML error in `path` (whose text is `text`) as "FILE: line L, column C: what".
pub fn toml(path: &Path, text: &str, e: &toml::de::Error) -> SignerError {
    let at = e.span().map_or_else(String::new, |s| {
        let (line, col) = line_col(text, s.start);
        format!(" line {line}, column {col}:")
    });
    SignerError::Usage(format!(
        "{}:{at} {} (file content not shown)",
        path.display(),
        describe(e.message())
    ))
}

/// A JSON error in `path` as "FILE: line L, column C: what".
pub fn json(path: &Path, e: &serde_json::Error) -> SignerError {
    SignerError::Usage(format!("{}: {}", path.display(), json_reason(e)))
}

/// A JSON error as "line L, column C: what (file content not shown)".
pub fn json_reason(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let msg = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let what = match e.classify() {
        serde_json::error::Category::Data => describe(msg),
        serde_json::error::Category::Eof => "unexpected end of file".to_string(),
        _ => "not valid JSON".to_string(),
    };
    format!(
        "line {}, column {}: {what} (file content not shown)",
        e.line(),
        e.column()
    )
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// A library message with anything quoted from the file removed. What serde expected comes
/// from the schema, after the last ", expected " (anything quoted from the file is before it).
fn describe(msg: &str) -> String {
    let msg = msg.lines().collect::<Vec<_>>().join(": ");
    if let Some(i) = msg.rfind(", expected ") {
        let kind = kind_of(&msg[..i]);
        return format!("{kind}, expected {}", &msg[i + ", expected ".len()..]);
    }
    if msg.starts_with("expected") || msg.starts_with("missing field") {
        return msg; // syntax messages and schema field names quote no content
    }
    if msg.starts_with("duplicate key") {
        return "duplicate key".into();
    }
    match msg.find(['"', '`', '\'']) {
        Some(i) => msg[..i].trim_end().trim_end_matches(':').to_string(),
        None => msg,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        a: Option<u64>,
        mode: Option<String>,
    }

    fn toml_msg(text: &str) -> String {
        let e = ::toml::from_str::<Doc>(text).unwrap_err();
        toml(Path::new("p.toml"), text, &e).to_string()
    }

    #[test]
    fn toml_errors_name_the_place_never_the_content() {
        let words = "abandon ability able about above absent absorb";
        let m = toml_msg(&format!("{words}\n"));
        assert!(m.starts_with("p.toml: line 1, column 9:"), "{m}");
        assert!(!m.contains("ability"), "{m}");
        let m = toml_msg("\na = \"zoo ability, expected here\"\n");
        assert!(
            m.contains("line 2, column 5: value of the wrong type, expected u64"),
            "{m}"
        );
        assert!(!m.contains("zoo") && !m.contains("ability"), "{m}");
        let m = toml_msg("secretkey = 1\n");
        assert!(m.contains("unknown key, expected `a` or `mode`"), "{m}");
        assert!(!m.contains("secretkey"), "{m}");
        let m = toml_msg("a = 1\na = 2\n");
        assert!(m.contains("line 2, column 1: duplicate key"), "{m}");
    }

    #[test]
    fn json_errors_name_the_place_never_the_content() {
        let e = serde_json::from_str::<Doc>("{\"a\": \"abandon ability\"}").unwrap_err();
        let m = json(Path::new("k.json"), &e).to_string();
        assert!(m.starts_with("k.json: line 1, column "), "{m}");
        assert!(m.contains("value of the wrong type"), "{m}");
        assert!(!m.contains("abandon"), "{m}");
        let e = serde_json::from_str::<Doc>("abandon ability").unwrap_err();
        let m = json(Path::new("k.json"), &e).to_string();
        assert!(
            m.contains("not valid JSON") && !m.contains("abandon"),
            "{m}"
        );
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 0), (1, 1));
    }
}
