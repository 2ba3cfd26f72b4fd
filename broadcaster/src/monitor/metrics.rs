//! `--metrics-file PATH` for `watch --follow` and `track --follow`: the Prometheus text
//! exposition format, for node_exporter's textfile collector, written atomically after each
//! pass (temp file in the same folder, then rename). Every series carries
//! `command="watch"|"track"`, so both services can write beside each other without a
//! duplicate series. Names and meaning: docs/formats.md ("Metrics").

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::Result;
use crate::journal::Journal;
use crate::node::Node;

/// What one pass leaves behind.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// `watch` or `track`.
    pub command: String,
    /// Verified solidified block number and its time (ms).
    pub solid: (u64, u64),
    /// The node's head block number and its time (ms).
    pub head: (u64, u64),
    /// Payouts per report status (every status, zeros included).
    pub payouts: BTreeMap<String, u64>,
    /// Attempts approved (signed) and not yet seen accepted by a node.
    pub approved_unbroadcast: u64,
    /// Node faults by kind since the process started.
    pub faults: Vec<(&'static str, u64)>,
    /// Alarms not acknowledged.
    pub open_alarms: u64,
    /// When the latest alarm was raised (ms), if any was.
    pub last_alarm: Option<u64>,
    /// When this pass ended (ms).
    pub pass_end: u64,
}

/// Reads the journal and the node's heads for one sample.
pub fn gather(journal: &Journal, node: &Node, command: &str) -> Result<Sample> {
    let solid = node.solid_head()?;
    let head = node.head_block()?;
    let sum = crate::report::status_summary(journal, None)?;
    Ok(Sample {
        command: command.into(),
        solid: (solid.number, solid.timestamp),
        head: (head.number, head.timestamp),
        payouts: sum
            .counts
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v as u64))
            .collect(),
        approved_unbroadcast: journal.approved_unbroadcast()?,
        faults: node.faults_by_kind(),
        open_alarms: journal.open_alarm_count()?,
        last_alarm: journal.last_alarm_raised_at()?,
        pass_end: crate::journal::now_ms() as u64,
    })
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// One metric family: HELP, TYPE and its samples (`labels` without braces, value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{{{labels}}} {value}");
    }
}

/// The sample in the text exposition format.
pub fn render(s: &Sample) -> String {
    let c = format!("command=\"{}\"", escape(&s.command));
    let one = |v: String| vec![(c.clone(), v)];
    let mut out = String::new();
    family(
        &mut out,
        "coldpay_solidified_block",
        "gauge",
        "Number of the latest verified solidified block.",
        &one(s.solid.0.to_string()),
    );
    family(
        &mut out,
        "coldpay_solidified_block_timestamp_seconds",
        "gauge",
        "Time of the latest verified solidified block (unix seconds).",
        &one(seconds(s.solid.1)),
    );
    family(
        &mut out,
        "coldpay_solidified_lag_blocks",
        "gauge",
        "Blocks between the node's head and the verified solidified block.",
        &one(s.head.0.saturating_sub(s.solid.0).to_string()),
    );
    family(
        &mut out,
        "coldpay_solidified_lag_seconds",
        "gauge",
        "Seconds between the node's head block and the verified solidified block.",
        &one(seconds(s.head.1.saturating_sub(s.solid.1))),
    );
    let by_state: Vec<(String, String)> = s
        .payouts
        .iter()
        .map(|(k, v)| (format!("{c},state=\"{}\"", escape(k)), v.to_string()))
        .collect();
    family(
        &mut out,
        "coldpay_payouts",
        "gauge",
        "Payouts in the journal by report status.",
        &by_state,
    );
    family(
        &mut out,
        "coldpay_attempts_approved_unbroadcast",
        "gauge",
        "Attempts approved (signed) and not yet seen accepted by a node.",
        &one(s.approved_unbroadcast.to_string()),
    );
    let faults: Vec<(String, String)> = s
        .faults
        .iter()
        .map(|(k, v)| (format!("{c},kind=\"{}\"", escape(k)), v.to_string()))
        .collect();
    family(
        &mut out,
        "coldpay_node_faults_total",
        "counter",
        "Node answers rejected as faults since the process started, by kind.",
        &faults,
    );
    family(
        &mut out,
        "coldpay_alarms_open",
        "gauge",
        "Alarms raised by watch and not acknowledged.",
        &one(s.open_alarms.to_string()),
    );
    family(
        &mut out,
        "coldpay_last_alarm_timestamp_seconds",
        "gauge",
        "When the latest alarm was raised (unix seconds; 0 if none ever was).",
        &one(seconds(s.last_alarm.unwrap_or(0))),
    );
    family(
        &mut out,
        "coldpay_last_pass_timestamp_seconds",
        "gauge",
        "When the last successful pass ended (unix seconds).",
        &one(seconds(s.pass_end)),
    );
    out
}

/// Gathers a sample and writes it to `path` atomically.
pub fn write(path: &Path, journal: &Journal, node: &Node, command: &str) -> Result<()> {
    let s = gather(journal, node, command)?;
    crate::write_atomic(path, render(&s).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_type_and_escaped_labels() {
        let s = Sample {
            command: "wa\"t\\ch\n".into(),
            solid: (10, 30_000),
            head: (13, 39_500),
            payouts: [("confirmed".to_string(), 2)].into_iter().collect(),
            faults: vec![("transport", 3)],
            last_alarm: None,
            pass_end: 1_796_083_200_123,
            ..Sample::default()
        };
        let t = render(&s);
        assert!(
            t.contains("coldpay_solidified_lag_blocks{command=\"wa\\\"t\\\\ch\\n\"} 3\n"),
            "{t}"
        );
        assert!(t.contains("} 9.500\n"), "{t}");
        assert!(t.contains(",state=\"confirmed\"} 2\n"), "{t}");
        assert!(
            t.contains("# TYPE coldpay_node_faults_total counter\n"),
            "{t}"
        );
        assert!(t.contains("coldpay_last_pass_timestamp_seconds{command=\"wa\\\"t\\\\ch\\n\"} 1796083200.123\n"), "{t}");
        for l in t.lines().filter(|l| !l.starts_with('#')) {
            let name = l.split('{').next().unwrap();
            assert!(
                t.contains(&format!("# HELP {name} ")) && t.contains(&format!("# TYPE {name} ")),
                "{name}"
            );
        }
    }
}
