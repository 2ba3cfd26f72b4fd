//! Scanned UR parts sorted by the message they belong to, so input that mixes two messages
//! (parts of two requests, three approvers' watch exports) is refused naming each message,
//! its parts and the files or lines they came from, instead of being reduced to one of them.
//!
//! ```
//! use coldpay_shared::ur_messages::UrSorter;
//! use coldpay_shared::urframe::{encode_parts, UrKind};
//! let a = encode_parts(UrKind::Watch, b"\x41", 200, 0).unwrap();
//! let b = encode_parts(UrKind::Watch, b"\x42", 200, 0).unwrap();
//! let mut s = UrSorter::new();
//! s.receive(&a[0], "alice.png").unwrap();
//! s.receive(&b[0], "bob.png").unwrap();
//! let e = s.finish(&[]).unwrap_err().to_string();
//! assert!(e.contains("part belongs to a different message") && e.contains("bob.png"));
//! ```

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::urframe::{PartOf, UrCollector, UrKind};

/// One message's parts as they were read.
struct Group {
    first: PartOf,
    collector: UrCollector,
    pure: BTreeSet<u64>,
    spares: BTreeSet<u64>,
    sources: Vec<String>,
}

impl Group {
    fn complete(&self) -> bool {
        self.collector.progress().complete
    }

    /// "parts 1–5, 8 of 12 (+2 spare)", or "its single part".
    fn parts_text(&self) -> String {
        if self.first.fragments == 1 && self.first.seq == 1 && self.spares.is_empty() {
            return "its single part".into();
        }
        let spare = if self.spares.is_empty() {
            String::new()
        } else {
            format!(" (+{} spare)", self.spares.len())
        };
        format!(
            "parts {} of {}{spare}",
            ranges(&self.pure),
            self.first.fragments
        )
    }

    /// "complete" or "incomplete, at least 7 more parts needed".
    fn state_text(&self) -> String {
        if self.complete() {
            return "complete".into();
        }
        let more = self.collector.more_needed();
        format!(
            "incomplete, at least {more} more part{} needed",
            if more == 1 { "" } else { "s" }
        )
    }

    fn line(&self, n: usize) -> String {
        format!(
            "  {n}. {} ({}, {} bytes): {} from {}",
            self.first.message_name(),
            self.state_text(),
            self.first.len,
            self.parts_text(),
            self.sources.join(", ")
        )
    }
}

/// "1–5, 8, 10–12" ("none" when empty).
fn ranges(seqs: &BTreeSet<u64>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut it = seqs.iter().copied().peekable();
    while let Some(start) = it.next() {
        let mut end = start;
        while it.peek() == Some(&(end + 1)) {
            end = it.next().unwrap_or(end);
        }
        out.push(if end == start {
            start.to_string()
        } else {
            format!("{start}–{end}")
        });
    }
    if out.is_empty() {
        "none".into()
    } else {
        out.join(", ")
    }
}

/// Parts sorted into messages; see the module documentation.
#[derive(Default)]
pub struct UrSorter {
    groups: Vec<Group>,
}

/// A message decoded from QR images or scanner lines, with what it was decoded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrDecoded {
    /// The UR type.
    pub kind: UrKind,
    /// The message.
    pub payload: Vec<u8>,
    /// Its short name ("coldpay-req 1a2b3c4d": type and CRC-32).
    pub name: String,
    /// Distinct parts read.
    pub parts: usize,
    /// Files (or scanner lines) the parts came from.
    pub sources: usize,
}

impl UrDecoded {
    /// "decoded sign request r-7 (coldpay-req 1a2b3c4d) from 15 QR part(s) in 15 file(s)",
    /// where `what` names the content ("sign request r-7") and `noun` the sources ("file",
    /// "line").
    pub fn summary(&self, what: &str, noun: &str) -> String {
        format!(
            "decoded {what} ({}) from {} QR part(s) in {} {noun}(s)",
            self.name, self.parts, self.sources
        )
    }
}

impl UrSorter {
    /// An empty sorter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one part read from `source` (a file name, "line 7"). Parts that are not coldpay
    /// UR parts, or are corrupted, are refused.
    pub fn receive(&mut self, part: &str, source: &str) -> Result<()> {
        if part.trim().is_empty() {
            return Ok(());
        }
        let of = PartOf::of(part)?;
        let i = match self.groups.iter().position(|g| g.first.same_message(&of)) {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    first: of,
                    collector: UrCollector::new(),
                    pure: BTreeSet::new(),
                    spares: BTreeSet::new(),
                    sources: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        g.collector.receive(part)?;
        if of.seq <= of.fragments {
            g.pure.insert(of.seq);
        } else {
            g.spares.insert(of.seq);
        }
        if !g.sources.iter().any(|s| s == source) {
            g.sources.push(source.to_string());
        }
        Ok(())
    }

    /// How many distinct messages the parts so far belong to.
    pub fn messages(&self) -> usize {
        self.groups.len()
    }

    /// Whether exactly one message was seen and it is complete.
    pub fn complete(&self) -> bool {
        self.groups.len() == 1 && self.groups[0].complete()
    }

    /// Percent and distinct parts of the (first) message, for progress lines.
    pub fn progress(&self) -> (u8, usize) {
        self.groups.first().map_or((0, 0), |g| {
            let p = g.collector.progress();
            (p.percent, p.parts)
        })
    }

    /// How many more distinct parts the (first) message needs at least.
    pub fn more_needed(&self) -> usize {
        self.groups.first().map_or(1, |g| g.collector.more_needed())
    }

    /// The refusal of mixed input: "part belongs to a different message", then one line per
    /// message with its name, state, parts and sources.
    pub fn mixed_error(&self) -> Error {
        let lines: Vec<String> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| g.line(i + 1))
            .collect();
        Error::Handoff(format!(
            "ur: part belongs to a different message: the input holds {} messages, and parts \
             of different messages are never mixed or dropped:\n{}\nGive the parts of one \
             message only (restart the scan, or pass only that message's image files).",
            self.groups.len(),
            lines.join("\n")
        ))
    }

    /// The one complete message; refuses mixed input ([`Self::mixed_error`]) and incomplete
    /// input (naming `unreadable` sources, where no QR code was found).
    pub fn finish(&self, unreadable: &[String]) -> Result<UrDecoded> {
        if self.groups.len() > 1 {
            return Err(self.mixed_error());
        }
        let Some(g) = self.groups.first() else {
            return Err(incomplete(None, unreadable));
        };
        match g.collector.message()? {
            Some((kind, payload)) => Ok(UrDecoded {
                kind,
                payload,
                name: g.first.message_name(),
                parts: g.collector.progress().parts,
                sources: g.sources.len(),
            }),
            None => Err(incomplete(Some(&g.collector), unreadable)),
        }
    }
}

/// "the input does not complete the message: 7 distinct part(s) read (70%); at least 3 more
/// are needed — …", naming the sources without a QR code.
fn incomplete(c: Option<&UrCollector>, unreadable: &[String]) -> Error {
    let (parts, percent, more) = c.map_or((0, 0, 1), |c| {
        (c.progress().parts, c.progress().percent, c.more_needed())
    });
    let none = if unreadable.is_empty() {
        String::new()
    } else {
        format!("; no QR code found in {}", unreadable.join(", "))
    };
    Error::Handoff(format!(
        "qr: the images do not complete the message: {parts} distinct part(s) read ({percent}%); \
         at least {more} more {} needed{none} — add the missing part images (any spare part \
         stands in for a missing one)",
        if more == 1 { "is" } else { "are" }
    ))
}

/// Reads parts line by line (a USB scanner types one part per line) until complete, writing
/// progress lines such as "62% — 14 parts". A part of a second message is refused, naming both
/// messages and the lines of each (see [`crate::ur_messages`]).
pub fn read_lines(
    input: impl std::io::BufRead,
    progress: impl std::io::Write,
) -> Result<(UrKind, Vec<u8>)> {
    read_scanner_lines(input, progress, false).map(|d| (d.kind, d.payload))
}

/// Like [`read_lines`], returning what was decoded from how many lines; with `to_end` every
/// line up to the end of the input is read (piped input), so parts of another message after
/// the first completes are refused too.
pub fn read_scanner_lines(
    input: impl std::io::BufRead,
    mut progress: impl std::io::Write,
    to_end: bool,
) -> Result<UrDecoded> {
    let mut s = UrSorter::new();
    for (n, line) in input.lines().enumerate() {
        let line = line.map_err(|e| ur_err(format!("reading parts: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        s.receive(&line, &format!("line {}", n + 1))
            .map_err(|e| match e {
                Error::Handoff(m) => Error::Handoff(format!("line {}: {m}", n + 1)),
                other => other,
            })?;
        if s.messages() > 1 {
            return Err(s.mixed_error());
        }
        let (percent, parts) = s.progress();
        let _ = writeln!(progress, "{percent}% — {parts} parts");
        if s.complete() && !to_end {
            break;
        }
    }
    if s.messages() == 1 && !s.complete() {
        let (percent, parts) = s.progress();
        let more = s.more_needed();
        return Err(ur_err(format!(
            "input ended before the message was complete ({percent}% — {parts} parts); at \
             least {more} more part(s) needed: scan the rest (any spare part stands in for a \
             missing one)"
        )));
    }
    if s.messages() == 0 {
        return Err(ur_err(
            "input ended before the message was complete (0% — 0 parts); at least 1 more \
             part(s) needed: scan the rest",
        ));
    }
    s.finish(&[])
}

fn ur_err(msg: impl Into<String>) -> Error {
    Error::Handoff(format!("ur: {}", msg.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbor::Cbor;
    use crate::urframe::encode_parts;

    fn payload(n: usize, salt: u8) -> Vec<u8> {
        Cbor::Bytes((0..n).map(|i| (i * 7 % 251) as u8 ^ salt).collect()).encode()
    }

    #[test]
    fn one_message_in_any_order_is_decoded_with_its_sources() {
        let p = payload(1000, 0);
        let parts = encode_parts(UrKind::Request, &p, 100, 3).unwrap();
        let mut s = UrSorter::new();
        for (i, part) in parts.iter().enumerate().rev() {
            s.receive(part, &format!("f{i}.png")).unwrap();
        }
        let d = s.finish(&[]).unwrap();
        assert_eq!((d.kind, &d.payload), (UrKind::Request, &p));
        assert_eq!((d.parts, d.sources), (parts.len(), parts.len()));
        let crc = crc32fast::hash(&p);
        assert_eq!(d.name, format!("coldpay-req {crc:08x}"));
        assert_eq!(
            d.summary("sign request r-1", "file"),
            format!(
                "decoded sign request r-1 (coldpay-req {crc:08x}) from {} QR part(s) in {} file(s)",
                parts.len(),
                parts.len()
            )
        );
    }

    #[test]
    fn a_complete_and_a_partial_request_are_both_named() {
        let (pa, pb) = (payload(1000, 0), payload(1000, 1));
        let a = encode_parts(UrKind::Request, &pa, 100, 2).unwrap();
        let b = encode_parts(UrKind::Request, &pb, 100, 0).unwrap();
        let mut s = UrSorter::new();
        for (i, part) in a.iter().enumerate() {
            s.receive(part, &format!("a{i}.png")).unwrap();
        }
        for (i, part) in b.iter().take(5).enumerate() {
            s.receive(part, &format!("b{i}.png")).unwrap();
        }
        assert_eq!(s.messages(), 2);
        let e = s.finish(&[]).unwrap_err().to_string();
        let (ca, cb) = (crc32fast::hash(&pa), crc32fast::hash(&pb));
        assert!(e.contains("part belongs to a different message"), "{e}");
        assert!(e.contains("the input holds 2 messages"), "{e}");
        let fragments = a.len() - 2;
        assert!(
            e.contains(&format!(
                "1. coldpay-req {ca:08x} (complete, {} bytes): parts 1–{fragments} of {fragments} (+2 spare) from a0.png,",
                pa.len()
            )),
            "{e}"
        );
        assert!(
            e.contains(&format!(
                "2. coldpay-req {cb:08x} (incomplete, at least {} more parts needed, {} bytes): parts 1–5 of {fragments} from b0.png, b1.png, b2.png, b3.png, b4.png\n",
                fragments - 5,
                pb.len()
            )),
            "{e}"
        );
    }

    #[test]
    fn three_single_part_exports_are_three_messages() {
        let mut s = UrSorter::new();
        for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
            let part = &encode_parts(UrKind::Watch, &payload(20, i as u8), 200, 0).unwrap()[0];
            s.receive(part, &format!("{name}.png")).unwrap();
            // The same code photographed twice is one part, not a second message.
            s.receive(part, &format!("{name}-again.png")).unwrap();
        }
        let e = s.finish(&[]).unwrap_err().to_string();
        assert!(e.contains("holds 3 messages"), "{e}");
        for name in ["alice", "bob", "carol"] {
            assert!(
                e.contains(&format!(
                    "its single part from {name}.png, {name}-again.png"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn different_kinds_are_different_messages() {
        let mut s = UrSorter::new();
        let p = payload(20, 0);
        s.receive(
            &encode_parts(UrKind::Request, &p, 200, 0).unwrap()[0],
            "line 1",
        )
        .unwrap();
        s.receive(
            &encode_parts(UrKind::Response, &p, 200, 0).unwrap()[0],
            "line 2",
        )
        .unwrap();
        let e = s.finish(&[]).unwrap_err().to_string();
        assert!(
            e.contains("1. coldpay-req ") && e.contains("2. coldpay-res "),
            "{e}"
        );
    }

    #[test]
    fn nothing_or_too_little_is_incomplete() {
        let e = UrSorter::new()
            .finish(&["blank.png".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("do not complete the message") && e.contains("blank.png"));
        let parts = encode_parts(UrKind::Request, &payload(1000, 0), 100, 0).unwrap();
        let mut s = UrSorter::new();
        s.receive(&parts[0], "a.png").unwrap();
        let e = s.finish(&[]).unwrap_err().to_string();
        assert!(e.contains("1 distinct part(s) read"), "{e}");
    }

    #[test]
    fn ranges_are_compact() {
        let set: BTreeSet<u64> = [1, 2, 3, 5, 7, 8].into_iter().collect();
        assert_eq!(ranges(&set), "1–3, 5, 7–8");
        assert_eq!(ranges(&BTreeSet::new()), "none");
    }
}
