//! Releasing signatures: the output file's temp file is created before anything is recorded;
//! after recording, the clock is read once more, the output kept in the home as the last
//! response (`show-last`), and then written, printed or shown as QR codes.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use coldpay_shared::handoff::{ResponseTx, SignerSignature};
use coldpay_shared::input::{Input, InputItem};
use coldpay_shared::tronweb::TronWebTx;
use coldpay_shared::urframe::UrKind;
use coldpay_shared::{Address, SignRequest, SignResponse, Signature, TxId};
use rayon::prelude::*;
use serde_json::Value;

use super::expiry;
use super::record::Recorded;
use super::SignArgs;
use crate::clock;
use crate::error::{Result, SignerError};
use crate::fsutil::{write_atomic, AtomicFile};
use crate::home::Home;
use crate::qrio::QrOutArgs;
use crate::review::ReviewItem;

/// Where the output goes, prepared before the run records anything.
pub(super) struct Sink {
    file: Option<AtomicFile>,
    last: Option<AtomicFile>,
}

impl Sink {
    /// Refuses output paths inside the home (symlinks resolved) and creates the temp files of
    /// `-o FILE` and of the home's last-response copy.
    pub(super) fn open(home: &Home, args: &SignArgs) -> Result<Sink> {
        if args.check_only {
            return Ok(Sink {
                file: None,
                last: None,
            });
        }
        refuse_qr_paths_inside(home, &args.qr_out)?;
        let file = match &args.output {
            Some(p) => {
                home.refuse_inside(p, "-o")?;
                Some(AtomicFile::create(p, 0o644)?)
            }
            None => None,
        };
        let last = Some(AtomicFile::create(&home.last_response_path(), 0o600)?);
        Ok(Sink { file, last })
    }
}

fn refuse_qr_paths_inside(home: &Home, qr: &QrOutArgs) -> Result<()> {
    let named = [
        (&qr.qr_png, "--qr-png"),
        (&qr.qr_svg, "--qr-svg"),
        (&qr.qr_gif, "--qr-gif"),
    ];
    for (path, flag) in named {
        if let Some(p) = path {
            home.refuse_inside(p, flag)?;
        }
    }
    Ok(())
}

/// QR output carries sign responses only: refused for other input before anything is signed.
pub(super) fn check_shape(input: &Input, args: &SignArgs) -> Result<()> {
    if args.qr_out.any() && !matches!(input, Input::One(InputItem::Request(_))) {
        return Err(SignerError::Usage(
            "QR output carries sign responses; TronWeb input is answered as JSON only".into(),
        ));
    }
    Ok(())
}

/// Releases recorded signatures: a last clock check, the home's copy, then the output.
pub(super) fn release<'a>(
    recorded: Recorded<'a>,
    input: &Input,
    pre: Option<Prerendered>,
    sink: Sink,
    args: &SignArgs,
) -> Result<Recorded<'a>> {
    let txs = recorded.txs();
    expiry::refuse_expired(
        txs,
        clock::now_ms(),
        "before the signatures were released",
        "they are recorded as signed but were not released; once a fresh request is built, sign it with --resign-expired all",
    )?;
    let (mut chunks, response) = match pre {
        Some(pre) => (pre.fill(&recorded, txs), None),
        None => build_output(input, &recorded, txs),
    };
    chunks.push(b"\n".to_vec());
    // The home's copy and the output file are written (and fsynced) side by side; the copy
    // is complete before anything is shown as QR codes or printed.
    let (kept, written) = std::thread::scope(|s| {
        let kept = s.spawn(|| sink.last.map_or(Ok(()), |f| f.commit_chunks(&chunks)));
        let written = sink.file.map(|f| f.commit_chunks(&chunks));
        (kept.join().expect("writer thread panicked"), written)
    });
    kept?;
    written.transpose()?;
    if let Some(resp) = response.filter(|_| args.qr_out.any()) {
        emit_qr(&args.qr_out, &resp)?;
    }
    if args.output.is_none() && !args.qr_out.any() {
        write_stdout(&chunks)?;
    }
    eprintln!(
        "Signed {} transaction(s). A copy of this output is kept: `coldpay-signer show-last`.",
        txs.len()
    );
    Ok(recorded)
}

fn emit_qr(qr: &QrOutArgs, resp: &SignResponse) -> Result<()> {
    resp.verify_signers()?;
    let compact = coldpay_shared::compact::encode_response(resp)?;
    let n = qr.emit(UrKind::Response, &compact)?;
    if let Some(line) = qr.shown("Response", n) {
        eprintln!("{line}.");
    }
    Ok(())
}

fn write_stdout<B: AsRef<[u8]>>(chunks: &[B]) -> Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    chunks
        .iter()
        .try_for_each(|c| w.write_all(c.as_ref()))
        .and_then(|()| w.flush())
        .map_err(|e| SignerError::io("stdout", e))
}

/// The output document as pretty JSON (in chunks, to be written in order), and the sign
/// response itself when the input was one sign request (QR output carries only that).
fn build_output(
    input: &Input,
    recorded: &Recorded<'_>,
    txs: &[ReviewItem<'_>],
) -> (Vec<Vec<u8>>, Option<SignResponse>) {
    let by_txid: HashMap<TxId, (Address, Signature)> = txs
        .iter()
        .zip(recorded.sigs())
        .map(|(t, s)| (t.txid, *s))
        .collect();
    let response = |r: &SignRequest| response_of(r, &by_txid, recorded);
    let item = |i: &InputItem| match i {
        InputItem::Request(r) => response(r).to_json(),
        InputItem::TronWeb(t) => tronweb_of(t, &by_txid),
    };
    let value = match input {
        Input::One(InputItem::Request(r)) => {
            let resp = response(r);
            return (vec![resp.to_json_pretty()], Some(resp));
        }
        Input::One(i) => item(i),
        Input::Many(v) => return (pretty_array(v, item), None),
        Input::RawHex(_) => Value::Null,
    };
    (vec![serde_json::to_vec_pretty(&value).expect("json")], None)
}

/// A valid signature (r = s = 1) standing in for the new one in pre-rendered objects.
fn placeholder() -> Signature {
    let mut b = [0u8; 65];
    b[31] = 1;
    b[63] = 1;
    Signature::from_bytes(&b).expect("r = s = 1 is a valid signature")
}

/// The TronWeb objects of an array input rendered while the wallet unlocks (the main thread
/// waits then), each with a placeholder where the new signature goes; after signing only the
/// signatures are written in. The bytes are those [`build_output`] would produce.
pub(super) struct Prerendered {
    chunks: Vec<Vec<u8>>,
    /// Per object: its txID and where its placeholder's hex starts in its chunk.
    slots: Vec<(TxId, usize)>,
}

/// Pre-renders an array of TronWeb objects (None for any other input).
pub(super) fn prerender(input: &Input) -> Option<Prerendered> {
    let Input::Many(items) = input else {
        return None;
    };
    let tws: Vec<&TronWebTx> = items
        .iter()
        .map(|i| match i {
            InputItem::TronWeb(t) => Some(t),
            InputItem::Request(_) => None,
        })
        .collect::<Option<_>>()?;
    if tws.iter().any(|t| !t.signatures.is_empty()) {
        return None; // signatures already there are checked for repeats when filled in
    }
    let stand_in = placeholder();
    let needle = format!("\"{}\"", stand_in.to_hex()).into_bytes();
    let chunks = pretty_array(&tws, |t| {
        let mut all = t.signatures.clone();
        all.push(stand_in);
        coldpay_shared::tronweb::TronWebView::of(&t.raw, &all, t.visible)
    });
    // The placeholder is the last signature; only txID and visible follow it.
    let slots = tws
        .par_iter()
        .zip(chunks.par_iter())
        .map(|(t, c)| {
            // Only txID and visible follow the placeholder: search the object's tail.
            let from = c.len().saturating_sub(needle.len() + 256);
            let at = memchr::memmem::rfind(&c[from..], &needle).map(|at| from + at);
            (t.txid, at.expect("the placeholder was rendered") + 1)
        })
        .collect();
    Some(Prerendered { chunks, slots })
}

impl Prerendered {
    /// The chunks with each object's new signature in place of its placeholder.
    fn fill(mut self, recorded: &Recorded<'_>, txs: &[ReviewItem<'_>]) -> Vec<Vec<u8>> {
        let by_txid: HashMap<TxId, &Signature> = txs
            .iter()
            .zip(recorded.sigs())
            .map(|(t, (_, s))| (t.txid, s))
            .collect();
        self.chunks
            .par_iter_mut()
            .zip(self.slots.par_iter())
            .for_each(|(c, (txid, at))| {
                let hex = by_txid[txid].to_hex();
                c[*at..*at + hex.len()].copy_from_slice(hex.as_bytes());
            });
        self.chunks
    }
}

/// `serde_json::to_vec_pretty` of the array of `f(item)` as chunks to be written in order,
/// the elements built and serialised on all cores (10,000 TronWeb objects) and never joined.
fn pretty_array<T: Sync, S: serde::Serialize>(
    items: &[T],
    f: impl Fn(&T) -> S + Sync,
) -> Vec<Vec<u8>> {
    if items.is_empty() {
        return vec![b"[]".to_vec()];
    }
    let mut chunks: Vec<Vec<u8>> = items
        .par_iter()
        .enumerate()
        .map(|(i, it)| {
            // Rendered as a one-element array, so serde_json indents it one level deeper as
            // the whole array would; its opening "[" and closing "\n]" are then cut off.
            let mut out = serde_json::to_vec_pretty(&[f(it)]).expect("json");
            out.truncate(out.len() - 2);
            out[0] = if i == 0 { b'[' } else { b',' };
            out
        })
        .collect();
    chunks.push(b"\n]".to_vec());
    chunks
}

fn response_of(
    r: &SignRequest,
    by_txid: &HashMap<TxId, (Address, Signature)>,
    recorded: &Recorded<'_>,
) -> SignResponse {
    SignResponse {
        request_id: r.request_id.clone(),
        signed_at: recorded.signed_at(),
        audit_head: recorded.audit_head().cloned(),
        policy: Some(recorded.policy().clone()),
        transactions: r
            .transactions
            .iter()
            .map(|t| {
                let (signer, signature) = by_txid[&t.txid];
                ResponseTx {
                    payout_id: t.payout_id.clone(),
                    txid: t.txid,
                    signatures: vec![SignerSignature { signer, signature }],
                }
            })
            .collect(),
    }
}

/// The TronWeb object with every signature it carried, in order, then this signer's — unless
/// this signer's key had already signed it (java-tron refuses a signer twice).
fn tronweb_of(t: &TronWebTx, by_txid: &HashMap<TxId, (Address, Signature)>) -> Value {
    let (signer, sig) = by_txid[&t.txid];
    let mut all = t.signatures.clone();
    if t.signatures
        .iter()
        .any(|s| s.recover(&t.txid).ok() == Some(signer))
    {
        eprintln!(
            "Note: txid {} already carried a signature by {signer}; it is kept, not added twice.",
            t.txid
        );
    } else {
        all.push(sig);
    }
    coldpay_shared::tronweb::to_tronweb_json(&t.raw, &all, t.visible)
}

/// `show-last`: the output of the home's last signing run again, on stdout, into a file, or
/// as QR codes (sign responses only).
pub fn show_last(home: &Home, qr: &QrOutArgs, output: Option<&Path>) -> Result<()> {
    let path = home.last_response_path();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SignerError::Usage(format!(
                "no signing output is kept in {} yet: nothing has been signed with this home",
                home.dir.display()
            )))
        }
        Err(e) => return Err(SignerError::io(&path, e)),
    };
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| crate::file_errors::json(&path, &e))?;
    let response = SignResponse::from_json(&value).ok();
    match &response {
        Some(r) => eprintln!(
            "Last sign response: request {}, signed {} ({} transaction(s)).",
            r.request_id,
            crate::review::utc(r.signed_at),
            r.transactions.len()
        ),
        None => eprintln!("Last output: signed TronWeb transaction(s) (JSON only)."),
    }
    if qr.any() {
        refuse_qr_paths_inside(home, qr)?;
        let resp = response.ok_or_else(|| {
            SignerError::Usage(
                "the last output answered TronWeb input: it is JSON only, not a sign response for QR codes".into(),
            )
        })?;
        emit_qr(qr, &resp)?;
    }
    match output {
        Some(p) => {
            home.refuse_inside(p, "-o")?;
            write_atomic(p, &bytes, 0o644)?;
            eprintln!("Written to {}.", p.display());
        }
        None if qr.any() => {}
        None => write_stdout(&[&bytes])?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_array_matches_serde_json() {
        let items = vec![
            serde_json::json!({"a": [1, {"b": "x\ny"}], "c": {}}),
            serde_json::json!({"raw_data": {"contract": [{"type": "T"}]}, "signature": ["00"]}),
            serde_json::json!([]),
        ];
        let ours = pretty_array(&items, Clone::clone).concat();
        assert_eq!(ours, serde_json::to_vec_pretty(&items).unwrap());
        let none: Vec<Value> = Vec::new();
        assert_eq!(
            pretty_array(&none, Clone::clone).concat(),
            serde_json::to_vec_pretty(&none).unwrap()
        );
    }
}
