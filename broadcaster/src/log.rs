//! Diagnostics on stderr: plain text lines (the default, as an operator reads them), or with
//! `--log-format json` one JSON object per line for a log system (journald, Loki, …):
//! `time` (RFC 3339 UTC), `level`, `command`, `msg`, and `account`, `batch`, `payout`, `txid`,
//! `block` where one applies (see docs/formats.md, "Log lines").
//!
//! A small typed logger rather than a tracing subscriber: the set of lines is small and fixed,
//! each site already has its sentence, and the JSON keys are a documented contract that a
//! typed struct pins down.

use std::sync::OnceLock;

use serde::Serialize;

/// How diagnostics are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text lines (the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// How bad a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Progress and results.
    Info,
    /// Something to look at; the command goes on.
    Warn,
    /// A failure, or an alarm.
    Error,
}

/// What a line is about (each optional).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Fields {
    /// Treasury account (base58).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Batch id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// Payout id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout: Option<String>,
    /// txID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txid: Option<String>,
    /// Block number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// The recorded transfer a `watch` line reports (as `watch --json` prints it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    level: Level,
    command: &'a str,
    msg: &'a str,
    #[serde(flatten)]
    fields: &'a Fields,
}

static SETUP: OnceLock<(LogFormat, String)> = OnceLock::new();

/// Chooses the format and names the command for every later line (first call wins).
pub fn init(format: LogFormat, command: &str) {
    let _ = SETUP.set((format, command.to_string()));
}

/// Whether lines are JSON.
pub fn json() -> bool {
    SETUP.get().is_some_and(|(f, _)| *f == LogFormat::Json)
}

/// One line as JSON (`now_ms` for its time).
fn render(level: Level, msg: &str, fields: &Fields, now_ms: u64) -> String {
    let command = SETUP.get().map_or("", |(_, c)| c.as_str());
    serde_json::to_string(&Line {
        time: coldpay_shared::timefmt::utc_seconds(i64::try_from(now_ms).unwrap_or(i64::MAX)),
        level,
        command,
        msg,
        fields,
    })
    .expect("a log line serializes")
}

/// Writes one line on stderr: `msg` as is in text, one JSON object in json.
pub fn emit(level: Level, msg: &str, fields: &Fields) {
    if json() {
        let now = coldpay_shared::timefmt::now_ms();
        eprintln!("{}", render(level, msg, fields, now));
    } else {
        eprintln!("{msg}");
    }
}

/// An info line without fields.
pub fn info(msg: &str) {
    emit(Level::Info, msg, &Fields::default());
}

/// A warning line without fields.
pub fn warn(msg: &str) {
    emit(Level::Warn, msg, &Fields::default());
}

/// An error line without fields.
pub fn error(msg: &str) {
    emit(Level::Error, msg, &Fields::default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_has_the_documented_keys() {
        let f = Fields {
            payout: Some("p1".into()),
            txid: Some("ab".repeat(32)),
            block: Some(7),
            ..Fields::default()
        };
        let line = render(Level::Warn, "a \"quoted\"\nsentence", &f, 1_796_083_200_000);
        assert!(!line.contains('\n'), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["time"], "2026-12-01T00:00:00Z");
        assert_eq!(v["level"], "warn");
        assert_eq!(v["msg"], "a \"quoted\"\nsentence");
        assert_eq!(
            (v["payout"].as_str(), v["block"].as_u64()),
            (Some("p1"), Some(7))
        );
        assert!(
            v.get("batch").is_none() && v.get("transfer").is_none(),
            "{v}"
        );
        assert!(v["command"].is_string());
    }
}
