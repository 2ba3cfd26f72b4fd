//! BC-UR framing of coldpay's compact messages: a single `UR:TYPE/…` part when it fits, else
//! fountain-coded parts `UR:TYPE/SEQ-N/…`, uppercase so QR alphanumeric mode applies and USB
//! scanners in keyboard mode type them reliably. The UR message is deterministic CBOR (the
//! compact forms), so any standard UR decoder can reassemble it.
//!
//! ```
//! use coldpay_shared::urframe::{encode_parts, UrCollector, UrKind};
//! let payload = coldpay_shared::cbor::Cbor::Bytes(vec![7; 600]).encode();
//! let parts = encode_parts(UrKind::Request, &payload, 200, 0).unwrap();
//! let mut c = UrCollector::new();
//! for p in parts.iter().rev() {
//!     c.receive(p).unwrap();
//! }
//! assert_eq!(c.message().unwrap(), Some((UrKind::Request, payload)));
//! ```

use std::collections::BTreeSet;

use crate::cbor::Cbor;
use crate::error::{Error, Result};

/// The UR types coldpay defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrKind {
    /// Sign request (`coldpay-req`).
    Request,
    /// Sign response (`coldpay-res`).
    Response,
    /// Watch-only export (`coldpay-watch`).
    Watch,
    /// Audit export (`coldpay-audit`).
    AuditExport,
    /// A sign request as its JSON file (`coldpay-req-json`), for requests the compact form
    /// does not carry (permission updates): the payload is a CBOR byte string holding the
    /// JSON text, read by the same strict parser as a request file.
    RequestJson,
    /// A signer policy-update proposal (`coldpay-policy-proposal`): the payload is a CBOR text
    /// string holding the proposal's JSON text.
    PolicyProposal,
}

impl UrKind {
    /// The UR type string.
    pub fn ur_type(self) -> &'static str {
        match self {
            UrKind::Request => "coldpay-req",
            UrKind::Response => "coldpay-res",
            UrKind::Watch => "coldpay-watch",
            UrKind::AuditExport => "coldpay-audit",
            UrKind::RequestJson => "coldpay-req-json",
            UrKind::PolicyProposal => "coldpay-policy-proposal",
        }
    }

    fn from_type(t: &str) -> Option<UrKind> {
        match t {
            "coldpay-req" => Some(UrKind::Request),
            "coldpay-res" => Some(UrKind::Response),
            "coldpay-watch" => Some(UrKind::Watch),
            "coldpay-audit" => Some(UrKind::AuditExport),
            "coldpay-req-json" => Some(UrKind::RequestJson),
            "coldpay-policy-proposal" => Some(UrKind::PolicyProposal),
            _ => None,
        }
    }
}

/// The UR message of a [`UrKind::RequestJson`]: the sign request's JSON text as a CBOR text
/// string.
pub fn request_json_payload(json: &str) -> Vec<u8> {
    Cbor::Text(json.to_string()).encode()
}

/// The JSON text a [`UrKind::RequestJson`] message carries (at most `max_len` bytes), to be
/// read by the same strict parser as a request file.
pub fn request_json_text(payload: &[u8], max_len: usize) -> Result<String> {
    if payload.len() > max_len + 9 {
        return Err(err(format!(
            "the {} message is {} bytes, more than a request file may be ({max_len})",
            UrKind::RequestJson.ur_type(),
            payload.len()
        )));
    }
    match Cbor::decode(payload)? {
        Cbor::Text(t) => Ok(t),
        _ => Err(err(format!(
            "a {} message must be one CBOR text string",
            UrKind::RequestJson.ur_type()
        ))),
    }
}

fn err(msg: impl Into<String>) -> Error {
    Error::Handoff(format!("ur: {}", msg.into()))
}

/// Encodes `payload` as UR parts: one single-part UR if it fits `part_size` bytes of payload,
/// else the fountain's pure fragments plus `extra` mixed parts (tolerance for missed frames).
pub fn encode_parts(
    kind: UrKind,
    payload: &[u8],
    part_size: usize,
    extra: usize,
) -> Result<Vec<String>> {
    if payload.is_empty() {
        return Err(err("empty message"));
    }
    if payload.len() <= part_size {
        return Ok(vec![ur::encode(
            payload,
            &ur::ur::Type::Custom(kind.ur_type()),
        )
        .to_uppercase()]);
    }
    let mut enc = ur::Encoder::new(payload, part_size.max(10), kind.ur_type())
        .map_err(|e| err(e.to_string()))?;
    let n = enc.fragment_count() + extra;
    (0..n)
        .map(|_| {
            enc.next_part()
                .map(|p| p.to_uppercase())
                .map_err(|e| err(e.to_string()))
        })
        .collect()
}

/// Collects parts in any order (duplicates ignored) until the message is complete.
#[derive(Default)]
pub struct UrCollector {
    kind: Option<UrKind>,
    decoder: ur::Decoder,
    /// (sequence length, message length, checksum) of the message being collected.
    header: Option<(u64, u64, u64)>,
    seen: BTreeSet<String>,
    pure: BTreeSet<u64>,
    single: Option<Vec<u8>>,
}

/// Progress of a collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrProgress {
    /// Distinct parts received.
    pub parts: usize,
    /// Percent (estimate until complete; 100 when complete).
    pub percent: u8,
    /// Whether the message is complete.
    pub complete: bool,
}

impl UrCollector {
    /// A fresh collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one part (case-insensitive, surrounding whitespace ignored).
    pub fn receive(&mut self, part: &str) -> Result<UrProgress> {
        let part = part.trim().to_ascii_lowercase();
        if part.is_empty() {
            return Ok(self.progress());
        }
        let rest = part.strip_prefix("ur:").ok_or_else(|| {
            err("not a UR code (expected \"UR:COLDPAY-…\"); this QR is not a coldpay message")
        })?;
        let (ty, _) = rest
            .split_once('/')
            .ok_or_else(|| err("truncated part: no UR type"))?;
        let kind = UrKind::from_type(ty).ok_or_else(|| {
            err(format!(
                "UR type {ty:?} is not a coldpay type (coldpay-req, coldpay-res, coldpay-watch)"
            ))
        })?;
        if let Some(k) = self.kind {
            if k != kind {
                return Err(err(format!(
                    "part of type {} while collecting {}",
                    kind.ur_type(),
                    k.ur_type()
                )));
            }
        }
        if !self.seen.insert(part.clone()) {
            return Ok(self.progress());
        }
        let (single, body) =
            ur::decode(&part).map_err(|e| err(format!("corrupted or truncated part: {e}")))?;
        if single == ur::ur::Kind::SinglePart {
            if let Some(prev) = &self.single {
                if *prev != body {
                    return Err(err("a different message was already received; parts of two messages are not mixed"));
                }
            } else if self.header.is_some() {
                return Err(err("single-part message while collecting a multi-part one"));
            }
            self.kind = Some(kind);
            self.single = Some(body);
            return Ok(self.progress());
        }
        if self.single.is_some() {
            return Err(err("multi-part message after a single-part one"));
        }
        let c =
            Cbor::decode(&body).map_err(|_| err("corrupted part: fragment header is not CBOR"))?;
        let a = c
            .as_array()
            .filter(|a| a.len() == 5)
            .ok_or_else(|| err("corrupted part: bad fragment header"))?;
        let num = |i: usize| {
            a[i].as_u64()
                .ok_or_else(|| err("corrupted part: bad fragment header"))
        };
        let (seq, seq_len, msg_len, checksum) = (num(0)?, num(1)?, num(2)?, num(3)?);
        match self.header {
            Some(h) if h != (seq_len, msg_len, checksum) => {
                return Err(err("part belongs to a different message (length or checksum differs); not mixed in"));
            }
            _ => self.header = Some((seq_len, msg_len, checksum)),
        }
        self.kind = Some(kind);
        if seq <= seq_len {
            self.pure.insert(seq);
        }
        self.decoder
            .receive(&part)
            .map_err(|e| err(format!("corrupted part: {e}")))?;
        Ok(self.progress())
    }

    /// Current progress.
    pub fn progress(&self) -> UrProgress {
        let complete = self.single.is_some() || self.decoder.complete();
        let percent = if complete {
            100
        } else {
            match self.header {
                Some((n, _, _)) if n > 0 => ((self.pure.len() as u64 * 100 / n).min(99)) as u8,
                _ => 0,
            }
        };
        UrProgress {
            parts: self.seen.len(),
            percent,
            complete,
        }
    }

    /// How many more distinct parts are needed at least: each part adds at most one fragment's
    /// worth, so (fragments − parts received), and at least 1 while incomplete; 0 when complete.
    pub fn more_needed(&self) -> usize {
        if self.progress().complete {
            return 0;
        }
        match self.header {
            Some((n, _, _)) => usize::try_from(n)
                .unwrap_or(usize::MAX)
                .saturating_sub(self.seen.len())
                .max(1),
            None => 1,
        }
    }

    /// The message, once complete.
    pub fn message(&self) -> Result<Option<(UrKind, Vec<u8>)>> {
        let Some(kind) = self.kind else {
            return Ok(None);
        };
        if let Some(s) = &self.single {
            return Ok(Some((kind, s.clone())));
        }
        if !self.decoder.complete() {
            return Ok(None);
        }
        let m = self
            .decoder
            .message()
            .map_err(|e| err(format!("reassembly failed: {e}")))?;
        let Some(m) = m else { return Ok(None) };
        self.check_checksum(&m)?;
        Ok(Some((kind, m)))
    }

    /// Compares the CRC-32 every part header carries with the reassembled message, so a
    /// swapped or altered fragment is reported as such (the fountain decoder only checks
    /// that parts agree with each other).
    fn check_checksum(&self, message: &[u8]) -> Result<()> {
        let Some((_, _, expected)) = self.header else {
            return Ok(());
        };
        let actual = u64::from(crc32fast::hash(message));
        if actual != expected {
            return Err(err(format!(
                "checksum mismatch: the parts say CRC-32 {expected:08x}, the reassembled \
                 message has {actual:08x}; a part was altered or swapped, scan the codes again"
            )));
        }
        Ok(())
    }
}

/// Which message a part belongs to: its UR type and the message's CRC-32 and length (from a
/// fountain part's header, or computed from a single-part message's body), with the number of
/// pure fragments it was cut into (1 for a single part) and, for a fountain part, its sequence
/// number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartOf {
    /// The message's UR type.
    pub kind: UrKind,
    /// CRC-32 of the whole message.
    pub checksum: u32,
    /// Length of the whole message in bytes.
    pub len: u64,
    /// Pure fragments (1 for a single-part message).
    pub fragments: u64,
    /// This part's sequence number (1 for a single part; above `fragments` for a spare).
    pub seq: u64,
}

impl PartOf {
    /// Reads a part's type and header without collecting it; refuses what is not a coldpay
    /// UR part with the same errors as [`UrCollector::receive`].
    pub fn of(part: &str) -> Result<PartOf> {
        let part = part.trim().to_ascii_lowercase();
        let rest = part.strip_prefix("ur:").ok_or_else(|| {
            err("not a UR code (expected \"UR:COLDPAY-…\"); this QR is not a coldpay message")
        })?;
        let (ty, _) = rest
            .split_once('/')
            .ok_or_else(|| err("truncated part: no UR type"))?;
        let kind = UrKind::from_type(ty).ok_or_else(|| {
            err(format!(
                "UR type {ty:?} is not a coldpay type (coldpay-req, coldpay-res, coldpay-watch)"
            ))
        })?;
        let (single, body) =
            ur::decode(&part).map_err(|e| err(format!("corrupted or truncated part: {e}")))?;
        if single == ur::ur::Kind::SinglePart {
            return Ok(PartOf {
                kind,
                checksum: crc32fast::hash(&body),
                len: body.len() as u64,
                fragments: 1,
                seq: 1,
            });
        }
        let c =
            Cbor::decode(&body).map_err(|_| err("corrupted part: fragment header is not CBOR"))?;
        let a = c
            .as_array()
            .filter(|a| a.len() == 5)
            .ok_or_else(|| err("corrupted part: bad fragment header"))?;
        let num = |i: usize| {
            a[i].as_u64()
                .ok_or_else(|| err("corrupted part: bad fragment header"))
        };
        Ok(PartOf {
            kind,
            checksum: u32::try_from(num(3)?)
                .map_err(|_| err("corrupted part: bad fragment header"))?,
            len: num(2)?,
            fragments: num(1)?,
            seq: num(0)?,
        })
    }

    /// Whether two parts belong to the same message.
    pub fn same_message(&self, other: &PartOf) -> bool {
        (self.kind, self.checksum, self.len, self.fragments)
            == (other.kind, other.checksum, other.len, other.fragments)
    }

    /// The message's short name, e.g. "coldpay-req 1a2b3c4d" (type and CRC-32).
    pub fn message_name(&self) -> String {
        format!("{} {:08x}", self.kind.ur_type(), self.checksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ur_messages::{read_lines, read_scanner_lines};

    fn payload(n: usize) -> Vec<u8> {
        Cbor::Bytes((0..n).map(|i| (i * 7 % 251) as u8).collect()).encode()
    }

    #[test]
    fn multipart_any_order_with_duplicates_and_drops() {
        let p = payload(3000);
        let parts = encode_parts(UrKind::Request, &p, 200, 10).unwrap();
        assert!(parts
            .iter()
            .all(|x| x.starts_with("UR:COLDPAY-REQ/") && x == &x.to_uppercase()));
        let mut c = UrCollector::new();
        // Skip two pure parts; rely on the extra mixed ones.
        for (i, part) in parts.iter().enumerate().rev() {
            if i == 3 || i == 5 {
                continue;
            }
            c.receive(part).unwrap();
            c.receive(part).unwrap();
        }
        assert_eq!(c.message().unwrap(), Some((UrKind::Request, p)));
    }

    #[test]
    fn refusals_are_specific() {
        let a = encode_parts(UrKind::Request, &payload(1000), 100, 0).unwrap();
        let b = encode_parts(UrKind::Request, &payload(1200), 100, 0).unwrap();
        let mut c = UrCollector::new();
        c.receive(&a[0]).unwrap();
        assert!(c
            .receive(&b[0])
            .unwrap_err()
            .to_string()
            .contains("different message"));
        let r = encode_parts(UrKind::Response, &payload(1000), 100, 0).unwrap();
        assert!(c
            .receive(&r[0])
            .unwrap_err()
            .to_string()
            .contains("while collecting coldpay-req"));
        assert!(UrCollector::new()
            .receive("https://example.com")
            .unwrap_err()
            .to_string()
            .contains("not a coldpay message"));
        assert!(UrCollector::new()
            .receive("UR:CRYPTO-PSBT/ABCD")
            .unwrap_err()
            .to_string()
            .contains("not a coldpay type"));
        let mut bad = a[1].clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert!(UrCollector::new()
            .receive(&bad)
            .unwrap_err()
            .to_string()
            .contains("corrupted"));
        let trunc = &a[1][..a[1].len() - 10];
        assert!(UrCollector::new().receive(trunc).is_err());
        assert!(UrCollector::new()
            .receive("UR:COLDPAY-REQ")
            .unwrap_err()
            .to_string()
            .contains("truncated"));
    }

    /// The parts with the fragment data of pure parts `a` and `b` swapped: each part is still
    /// well-formed and consistent with the others, only the reassembled message is wrong.
    fn swap_fragments(parts: &[String], a: usize, b: usize) -> Vec<String> {
        let fields = |p: &str| -> Vec<Cbor> {
            let (_, body) = ur::decode(&p.to_ascii_lowercase()).unwrap();
            Cbor::decode(&body).unwrap().as_array().unwrap().to_vec()
        };
        let rebuild = |orig: &str, f: Vec<Cbor>| {
            let prefix = &orig[..=orig.rfind('/').unwrap()];
            let words =
                ur::bytewords::encode(&Cbor::Array(f).encode(), ur::bytewords::Style::Minimal);
            format!("{prefix}{}", words.to_uppercase())
        };
        let (mut fa, mut fb) = (fields(&parts[a]), fields(&parts[b]));
        std::mem::swap(&mut fa[4], &mut fb[4]);
        let mut out = parts.to_vec();
        out[a] = rebuild(&parts[a], fa);
        out[b] = rebuild(&parts[b], fb);
        out
    }

    #[test]
    fn swapped_fragment_is_a_checksum_mismatch() {
        let p = payload(1000);
        let parts = encode_parts(UrKind::Request, &p, 100, 0).unwrap();
        let swapped = swap_fragments(&parts, 1, 2);
        assert_ne!(swapped, parts);
        let mut c = UrCollector::new();
        for part in &swapped {
            c.receive(part).unwrap();
        }
        assert!(c.progress().complete);
        let e = c.message().unwrap_err().to_string();
        assert!(e.contains("checksum mismatch"), "{e}");
        let e = read_lines(swapped.join("\n").as_bytes(), std::io::sink()).unwrap_err();
        assert!(e.to_string().contains("checksum mismatch"), "{e}");
        // The untouched parts reassemble.
        let mut c = UrCollector::new();
        for x in &parts {
            c.receive(x).unwrap();
        }
        assert_eq!(c.message().unwrap(), Some((UrKind::Request, p)));
    }

    #[test]
    fn scanner_lines_report_progress() {
        let p = payload(2000);
        let mut parts = encode_parts(UrKind::Watch, &p, 150, 5).unwrap();
        parts.reverse();
        let mut dup = parts.clone();
        dup.extend(parts.iter().take(3).cloned());
        let text = dup.join("\n");
        let mut prog = Vec::new();
        let (k, m) = read_lines(text.as_bytes(), &mut prog).unwrap();
        assert_eq!((k, m), (UrKind::Watch, p));
        let prog = String::from_utf8(prog).unwrap();
        assert!(
            prog.lines().last().unwrap().starts_with("100% — "),
            "{prog}"
        );
        assert!(prog.contains("% — 1 parts"));
    }

    #[test]
    fn scanner_lines_of_two_messages_are_refused_naming_the_lines() {
        let a = encode_parts(UrKind::Request, &payload(1000), 100, 0).unwrap();
        let b = encode_parts(UrKind::Request, &payload(1200), 100, 0).unwrap();
        let text = format!("{}\n{}\n{}", a[0], a[1], b[0]);
        let e = read_lines(text.as_bytes(), std::io::sink()).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("part belongs to a different message"), "{e}");
        assert!(
            e.contains("from line 1, line 2") && e.contains("from line 3"),
            "{e}"
        );
        // Piped input is read to its end: a second message after the first completes is
        // refused, not ignored.
        let mut all = a.clone();
        all.push(b[0].clone());
        let e = read_scanner_lines(all.join("\n").as_bytes(), std::io::sink(), true)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("holds 2 messages") && e.contains("(complete,"),
            "{e}"
        );
        let d = read_scanner_lines(a.join("\n").as_bytes(), std::io::sink(), true).unwrap();
        assert_eq!((d.parts, d.sources), (a.len(), a.len()));
    }

    #[test]
    fn request_json_travels_as_its_own_ur_type() {
        let json = format!("{{\"request_id\":\"r\",\"pad\":\"{}\"}}", "é".repeat(400));
        let parts =
            encode_parts(UrKind::RequestJson, &request_json_payload(&json), 200, 2).unwrap();
        assert!(parts[0].starts_with("UR:COLDPAY-REQ-JSON/"), "{}", parts[0]);
        let text = parts.join("\n");
        let (k, m) = read_lines(text.as_bytes(), std::io::sink()).unwrap();
        assert_eq!(k, UrKind::RequestJson);
        assert_eq!(request_json_text(&m, 4096).unwrap(), json);
        // Bytes instead of text, and a message over the bound, are refused.
        let e = request_json_text(&Cbor::Bytes(vec![1]).encode(), 4096).unwrap_err();
        assert!(e.to_string().contains("one CBOR text string"), "{e}");
        let e = request_json_text(&request_json_payload(&json), 100).unwrap_err();
        assert!(
            e.to_string().contains("more than a request file may be"),
            "{e}"
        );
    }
}
