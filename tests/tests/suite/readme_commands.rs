//! Every `coldpay-signer` / `coldpay-broadcaster` command line in README.md and
//! docs/runbook.md (code blocks and inline code) parses with the current clap definitions, and
//! the README's QR file names are the ones the tools write.

use coldpay_tests::workspace_root;

/// Splits a command line like a shell would for these examples: whitespace, and "…" / '…'
/// quoting. A `#` starting a word begins a comment.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '#') if !in_word => break,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// An upper-case placeholder such as `SEQ`, `FILE` or `FROM_BLOCK`.
fn placeholder(w: &str) -> bool {
    w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

/// Command lines of the two tools in `text`: lines of fenced code blocks and inline code spans
/// that start with a tool name. Synopses (`[…]`, `A|B`, a bare `…`) are left out.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut prose = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            prose.push('\n');
            continue;
        }
        if in_block {
            out.push(line.trim().to_string());
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    // Inline code may wrap onto the next line; a blank line ends a paragraph.
    for para in prose.split("\n\n") {
        out.extend(
            para.split('`')
                .skip(1)
                .step_by(2)
                .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")),
        );
    }
    out.into_iter()
        .filter(|c| c.starts_with("coldpay-signer ") || c.starts_with("coldpay-broadcaster "))
        .filter(|c| {
            !words(c)
                .iter()
                .any(|w| w == "…" || w.starts_with('[') || w.contains('|'))
        })
        .collect()
}

#[test]
fn documented_command_lines_parse() {
    let root = workspace_root();
    let mut checked = 0;
    let mut failures = Vec::new();
    for doc in ["README.md", "docs/runbook.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for line in commands(&text) {
            let argv = words(&line);
            let cmd = if argv[0] == "coldpay-signer" {
                coldpay_signer::cli::command()
            } else {
                coldpay_broadcaster::cli::command()
            };
            checked += 1;
            if let Err(e) = cmd.try_get_matches_from(&argv) {
                use clap::error::ErrorKind as K;
                // `--since SEQ`: a placeholder where the tool wants a number.
                let placeholder_value = matches!(e.kind(), K::InvalidValue | K::ValueValidation)
                    && argv.iter().any(|w| placeholder(w));
                if !placeholder_value && !matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
                    let why = e.to_string();
                    failures.push(format!(
                        "{doc}: `{line}`: {}",
                        why.lines().next().unwrap_or("")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The extractor finds the round trip, not nothing.
    assert!(checked >= 25, "only {checked} command lines found");
}

#[test]
fn readme_qr_files_are_named_as_the_tools_write_them() {
    let text = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let mut seen = 0;
    for line in commands(&text) {
        let argv = words(&line);
        for pair in argv.windows(2).filter(|p| p[0] == "--qr-image") {
            let name = pair[1].rsplit('/').next().unwrap();
            assert!(
                ["coldpay-req-", "coldpay-res-", "coldpay-watch-"]
                    .iter()
                    .any(|p| name.starts_with(p))
                    && std::path::Path::new(name)
                        .extension()
                        .is_some_and(|e| e == "png"),
                "`{line}`: {name} is not a name --qr-png writes"
            );
            seen += 1;
        }
    }
    assert!(seen >= 3);
    for kind in ["coldpay-req", "coldpay-res", "coldpay-watch"] {
        assert!(
            text.contains(&format!("{kind}-")),
            "README does not show {kind} files"
        );
    }
}

#[test]
fn the_extractor_reads_quotes_comments_and_skips_synopses() {
    assert_eq!(
        words(r#"coldpay-broadcaster payout cancel p7 --reason "duplicate of p3"  # note"#),
        [
            "coldpay-broadcaster",
            "payout",
            "cancel",
            "p7",
            "--reason",
            "duplicate of p3"
        ]
    );
    let c = commands(
        "x `coldpay-signer show-last --qr` y `coldpay-signer show-last [--qr|-o FILE]` z\n`coldpay-broadcaster init --network\n   nile`\n```sh\ncoldpay-broadcaster track --follow # wait\n```\n",
    );
    assert_eq!(
        c,
        [
            "coldpay-broadcaster track --follow # wait",
            "coldpay-signer show-last --qr",
            "coldpay-broadcaster init --network nile"
        ]
    );
    assert!(placeholder("SEQ") && placeholder("FROM_BLOCK") && !placeholder("T…"));
    // A wrong flag is caught.
    assert!(coldpay_broadcaster::cli::command()
        .try_get_matches_from(words("coldpay-broadcaster report --batchx b"))
        .is_err());
}
