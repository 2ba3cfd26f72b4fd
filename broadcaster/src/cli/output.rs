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

/// A command's answer once its sign request was written to a file (`--output`): the answer
/// as `--json`, and as text the line naming the file (the answer's own text went to stderr
/// before the request was written).
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct RequestWritten<T> {
    /// The command's answer.
    answer: T,
    /// "written to FILE".
    #[serde(skip)]
    line: String,
}

impl<T> RequestWritten<T> {
    /// `answer`, its text `line`.
    pub(crate) fn new(answer: T, line: String) -> Self {
        RequestWritten { answer, line }
    }
}

impl<T> Display for RequestWritten<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line)
    }
}

/// `--format` of the statements (`transfers list`, `reconcile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Lines for a person.
    Text,
    /// CSV, header first.
    Csv,
    /// JSON.
    Json,
}

impl Format {
    /// `text`, `csv` or `json`.
    pub(crate) fn parse(s: &str) -> Result<Format> {
        match s {
            "text" => Ok(Format::Text),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            other => Err(BcError::Input(format!(
                "--format {other:?}: text, csv or json"
            ))),
        }
    }
}

/// A statement's CSV form (beside its text, `Display`, and its JSON, `Serialize`).
pub(crate) trait Csv {
    /// The CSV, header first.
    fn csv(&self) -> Result<String>;
}

/// Prints a statement on stdout in its `--format`: its text (which ends its own lines), its
/// CSV, or its JSON pretty-printed with keys in field order (as the statements always printed
/// them, unlike [`show`]'s sorted keys).
pub(crate) fn show_format<T: Display + Serialize + Csv>(outcome: &T, format: Format) -> Result<()> {
    match format {
        Format::Text => print!("{outcome}"),
        Format::Csv => print!("{}", outcome.csv()?),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(outcome).expect("statements serialize to JSON")
        ),
    }
    Ok(())
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
