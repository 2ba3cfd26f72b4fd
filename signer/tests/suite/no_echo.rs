//! Errors about files the signer parses name the file, line and column, never their
//! content: a request or policy file with a mnemonic in a wrong place is refused by every
//! subcommand that reads it without one word of the mnemonic on the screen or in the log.

use crate::common;

use common::{request, stderr, stdout, Env, ALLOWED};

const MNEMONIC: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";

/// A valid request's JSON with the mnemonic put where `place` says.
fn request_with_mnemonic(place: &str) -> String {
    let mut v = request(&[("p-1", 1_000_000)]).to_json();
    let m = serde_json::Value::from(MNEMONIC);
    match place {
        "network" => v["network"] = m,
        "version" => v["version"] = m,
        "request_id" => v["request_id"] = m,
        "payout_id" => v["transactions"][0]["payout_id"] = m,
        "raw_data_hex" => v["transactions"][0]["raw_data_hex"] = m,
        "txid" => v["transactions"][0]["txid"] = m,
        "hint amount" => v["transactions"][0]["hints"] = serde_json::json!({ "amount": MNEMONIC }),
        "key" => v[MNEMONIC] = 1.into(),
        "format" => v["format"] = m,
        _ => unreachable!(),
    }
    serde_json::to_string_pretty(&v).unwrap()
}

fn assert_no_word(what: &str, text: &str) {
    for word in MNEMONIC.split(' ') {
        assert!(!text.contains(word), "{what} contains {word:?}: {text}");
    }
}

#[test]
fn a_request_with_a_mnemonic_in_a_wrong_place_is_never_echoed() {
    let env = Env::new();
    let places = [
        "network",
        "version",
        "request_id",
        "payout_id",
        "raw_data_hex",
        "txid",
        "hint amount",
        "key",
        "format",
    ];
    let tronweb = [
        format!(r#"{{"raw_data_hex": "{MNEMONIC}"}}"#),
        format!(r#"[{{"txID": "00", "raw_data_hex": "0a"}}, {{"{MNEMONIC}": 1}}]"#),
        format!(r#"{{"visible": "{MNEMONIC}", "raw_data_hex": "0a"}}"#),
        format!("\"{MNEMONIC}\""),
        MNEMONIC.to_string(),
        format!("{{\n  \"txID\": {MNEMONIC}\n}}"),
    ];
    let docs = places
        .iter()
        .map(|p| (p.to_string(), request_with_mnemonic(p)))
        .chain(tronweb.iter().map(|d| ("tronweb".to_string(), d.clone())));
    for (place, doc) in docs {
        let input = env.write("in.json", &doc);
        let input = input.to_str().unwrap();
        for args in [
            vec!["sign", input, "--yes"],
            vec!["policy", "check", input],
            vec!["inspect", input],
            vec!["inspect", input, "--json"],
        ] {
            let out = env.run(&args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{place} {args:?}: {err}");
            assert!(
                err.contains("in.json: line ") && err.contains(", column "),
                "{place} {args:?}: the file and place are named: {err}"
            );
            assert_no_word(&format!("{place} {args:?} stderr"), &err);
            assert_no_word(&format!("{place} {args:?} stdout"), &stdout(&out));
        }
    }
    let audit = env.audit_text();
    assert!(audit.contains("in.json: line "), "refusals are logged");
    assert_no_word("the audit log", &audit);
}

#[test]
fn a_policy_with_a_mnemonic_in_a_wrong_place_is_never_echoed() {
    let env = Env::new();
    let input = env.write_request("req.json", &request(&[("p-1", 1_000_000)]));
    let policy = common::policy();
    let bad = [
        policy.replace(ALLOWED, MNEMONIC),
        policy.replace("exchange hot wallet", &format!("{MNEMONIC}\u{200b}")),
        policy.replace("\"50000\"", &format!("\"{MNEMONIC}\"")),
        policy.replace(
            "symbol = \"USDT\"",
            &format!("symbol = \"{MNEMONIC}\u{202e}\""),
        ),
        policy.replace("[[tokens]]", &format!("[[tokens]]\n\"{MNEMONIC}\" = 1")),
        format!("{policy}\nmax_fee_limit_trx = \"{MNEMONIC}\"\n"),
    ];
    for (i, text) in bad.iter().enumerate() {
        let file = env.write("policy-bad.toml", text);
        let file = file.to_str().unwrap();
        for args in [
            vec!["sign", input.to_str().unwrap(), "--yes", "--policy", file],
            vec!["policy", "check", input.to_str().unwrap(), "--policy", file],
            vec!["policy", "show", "--policy", file],
            vec!["policy", "propose", file],
        ] {
            let out = env.run(&args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "case {i} {args:?}: {err}");
            // A sealed home refuses another file by digest, unread; the others parse it.
            let named = if args[0] == "sign" || args[1] == "check" {
                err.contains("policy-bad.toml differs from the sealed policy")
            } else {
                err.contains("policy-bad.toml: ") && err.contains("line ")
            };
            assert!(named, "case {i} {args:?}: {err}");
            assert_no_word(&format!("case {i} {args:?} stderr"), &err);
        }
    }
    assert_no_word("the audit log", &env.audit_text());
}
