//! How a command's outcome reaches the operator: one typed value per command, rendered as text
//! (its `Display`) or as JSON (its `Serialize`, with `--json`), never assembled twice; and the
//! progress bars and input helpers the commands share.

use std::fmt::Display;
use std::io::{IsTerminal, Read};
use std::time::Duration;

use serde::Serialize;

use super::context::Ctx;
use crate::error::{BcError, Result};

/// Prints a command's outcome on stdout: pretty JSON with `--json`; otherwise its text (as an
/// info line under `--log-format json`, where an empty text prints nothing).
pub(crate) fn show<T: Display + Serialize>(c: &Ctx, outcome: &T) {
    if c.json {
        println!("{}", to_json(outcome));
    } else if crate::log::json() {
        let text = outcome.to_string();
        if !text.is_empty() {
            crate::log::info(&text);
        }
    } else {
        println!("{outcome}");
    }
}

/// Pretty JSON of an outcome, keys in the order `serde_json` sorts a map's keys (as the output
/// always had them).
pub(crate) fn to_json<T: Serialize>(outcome: &T) -> String {
    let v = serde_json::to_value(outcome).expect("outcomes serialize to JSON");
    serde_json::to_string_pretty(&v).expect("a JSON value prints")
}

/// An outcome a command module prepared itself as its JSON value and its text
/// (`permission_cmd`, `stake_cmd`): shown like every other outcome.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct Prepared {
    /// The `--json` value.
    pub(crate) json: serde_json::Value,
    /// The text form.
    #[serde(skip)]
    pub(crate) text: String,
}

impl Display for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Reads a whole file, or standard input for `-`.
pub(crate) fn read_text(path: &str) -> Result<String> {
    let mut s = String::new();
    let r = if path == "-" {
        std::io::stdin().read_to_string(&mut s).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| s = t)
    };
    r.map_err(|e| BcError::Input(format!("cannot read {path}: {e}")))?;
    Ok(s)
}

/// A duration flag (`10m`, `3s`); `what` names the flag in the error.
pub(crate) fn parse_duration(s: &str, what: &str) -> Result<Duration> {
    humantime::parse_duration(s).map_err(|e| BcError::Input(format!("{what} {s:?}: {e}")))
}

/// A progress bar on a terminal's stderr (hidden with `--json` or when stderr is not a terminal).
pub(crate) fn bar(len: u64, json: bool) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// A spinner with a message, for work of unknown length (`track`): no bar, no `0/0`.
pub(crate) fn spinner(json: bool) -> indicatif::ProgressBar {
    if json || crate::log::json() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new_spinner();
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    b.enable_steady_tick(Duration::from_millis(200));
    b
}
