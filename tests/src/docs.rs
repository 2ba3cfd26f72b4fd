//! docs/cli.md and man pages, generated from the clap definitions of both binaries.

use std::fmt::Write as _;
use std::path::Path;

fn walk(cmd: &mut clap::Command, path: &str, out: &mut String) {
    let name = if path.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{path} {}", cmd.get_name())
    };
    let depth = name.split(' ').count().min(4);
    let _ = writeln!(out, "{} `{name}`\n", "#".repeat(depth + 1));
    let mut fixed = cmd.clone().term_width(100).max_term_width(100);
    let help = fixed.render_long_help().to_string();
    let _ = writeln!(out, "```text\n{}\n```\n", help.trim_end());
    let mut subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .cloned()
        .collect();
    for s in &mut subs {
        walk(s, &name, out);
    }
}

/// The markdown reference of both CLIs.
pub fn cli_markdown() -> String {
    let mut out = String::from(
        "# Command-line reference\n\nGenerated from the clap definitions by `make docs` (`cargo run -p coldpay-tests --bin gen-docs`); a test fails when it is stale. Man pages: `docs/man/`. Shell completions: `coldpay-signer completions bash`, `coldpay-broadcaster completions zsh`, ….\n\n",
    );
    for mut cmd in [
        coldpay_signer::cli::command(),
        coldpay_broadcaster::cli::command(),
    ] {
        cmd.build();
        walk(&mut cmd, "", &mut out);
    }
    out
}

/// Writes one man page per command into `dir`.
///
/// # Errors
/// If a file cannot be written.
pub fn write_man_pages(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for cmd in [
        coldpay_signer::cli::command(),
        coldpay_broadcaster::cli::command(),
    ] {
        let name = cmd.get_name().to_string();
        // The VERSION section shows the plain version: the long one names the commit, which
        // changes with every commit that regenerates nothing here.
        let cmd = cmd.long_version(None::<&str>);
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::fs::write(dir.join(format!("{name}.1")), buf)?;
    }
    Ok(())
}
