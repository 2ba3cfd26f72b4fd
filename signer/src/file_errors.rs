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
        let (line, col) = coldpay_shared::json_error::line_col(text, s.start);
        format!(" line {line}, column {col}:")
    });
    SignerError::Usage(format!(
        "{}:{at} {} (file content not shown)",
        path.display(),
        coldpay_shared::json_error::scrub(e.message())
    ))
}

/// A JSON error in `path` as "FILE: line L, column C: what".
pub fn json(path: &Path, e: &serde_json::Error) -> SignerError {
    SignerError::Usage(format!("{}: {}", path.display(), json_reason(e)))
}

/// A JSON error as "line L, column C: what (file content not shown)".
pub fn json_reason(e: &serde_json::Error) -> String {
    format!(
        "line {}, column {}: {} (file content not shown)",
        e.line(),
        e.column(),
        coldpay_shared::json_error::describe(e)
    )
}

/// An input document (`sign`, `inspect`, `policy check`) the shared parser refused, as
/// "FILE: line L, column C: what": the parser places its errors, and the redacted form
/// quotes nothing from the file.
pub fn input(source: &str, e: &coldpay_shared::Error) -> SignerError {
    let name = if source == "-" {
        "standard input"
    } else {
        source
    };
    SignerError::Usage(format!("{name}: {}", e.redacted()))
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
    fn input_errors_name_the_file_and_place_only() {
        let words = "legal winner thank year";
        let text = format!("{{\n \"format\": \"{words}\"}}");
        let e = coldpay_shared::input::parse_input(&text).unwrap_err();
        let m = input("req.json", &e).to_string();
        assert!(m.starts_with("req.json: line 1, column 1: "), "{m}");
        assert!(!m.contains("legal") && !m.contains("winner"), "{m}");
        let m = input("-", &e).to_string();
        assert!(m.starts_with("standard input: "), "{m}");
    }
}
