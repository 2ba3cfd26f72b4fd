//! `sign`: the run in stages, each with its own type, so the order is visible in the types
//! and signing only accepts an approved value:
//!
//! input → [`decode::Decoded`] (parsed, network-bound, hints checked) → [`check::Checked`]
//! (policy and ledger verdicts) → review shown → [`approve::Approved`] (confirmation code
//! typed, clock re-read) → [`record::Recorded`] (signed on all cores while the ledger and the
//! audit log are written and fsynced) → [`output`] releases the signatures. [`multisig`] holds
//! what a permission claim, a permission update or earlier TronWeb signatures add to the stages.

pub(crate) mod approve;
mod check;
mod decode;
mod expiry;
mod multisig;
mod output;
mod record;
mod signers;

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use coldpay_shared::input::MAX_INPUT_BYTES;
use serde::Serialize;
use serde_json::json;

use check::Resign;
pub use output::show_last;

use crate::audit;
use crate::error::{Result, SignerError};
use crate::home::Home;
use crate::passphrase::PassSource;
use crate::policy::Policy;

/// Arguments of `sign`.
pub struct SignArgs {
    /// Input path or "-" (ignored when `qr_in` is used).
    pub input: String,
    /// QR input (images or UR lines).
    pub qr_in: crate::qrio::QrInArgs,
    /// QR output of the response.
    pub qr_out: crate::qrio::QrOutArgs,
    /// Output path (stdout if None).
    pub output: Option<PathBuf>,
    /// Wallet to sign with (multi-signature permission ids).
    pub key: Option<String>,
    /// Passphrase source.
    pub pass: PassSource,
    /// Skip the confirmation code (policy must allow).
    pub yes: bool,
    /// Policy override.
    pub policy: Option<PathBuf>,
    /// Payout ids the operator knowingly re-signs after expiry (`all`: every one).
    pub resign_expired: Vec<String>,
    /// List every transaction in the review, however many.
    pub details: bool,
    /// Accept a permission_before that differs from this home's record
    /// (`--permission-record-stale`).
    pub permission_record_stale: bool,
    /// Only check, never sign (`policy check`).
    pub check_only: bool,
    /// `policy check --json`: the verdicts as JSON on stdout.
    pub json: bool,
}

/// Reads an input file or stdin, bounded.
pub fn read_input(path: &str) -> Result<String> {
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin()
            .take(MAX_INPUT_BYTES as u64 + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT_BYTES as u64 + 1).read_to_end(&mut buf))
    };
    res.map_err(|e| SignerError::Usage(format!("cannot read {path}: {e}")))?;
    String::from_utf8(buf)
        .map_err(|_| SignerError::Usage(format!("{path}: input is not UTF-8 text")))
}

/// What the audit line of this run should say, filled in as the run progresses.
#[derive(Default)]
struct AuditCtx {
    /// The sealed policy's sequence (None on a never-sealed home's `policy check`).
    policy_seq: Option<u64>,
    request_id: Option<String>,
    digest: Option<String>,
    txs: Vec<AuditTx>,
}

/// One transaction in an audit line (keys in sorted order: see [`audit::prepare_with`]).
#[derive(Serialize)]
struct AuditTx {
    amount: Option<String>,
    expiration: u64,
    payout_id: Option<String>,
    to: Option<Arc<str>>,
    token: Option<Arc<str>>,
    txid: String,
}

/// Runs `sign` (or `policy check`); every outcome is written to the audit log.
pub fn run(home: &Home, args: &SignArgs) -> Result<()> {
    let _lock = home.lock()?;
    let policy_path = args.policy.clone().unwrap_or_else(|| home.policy_path());
    let mut ctx = AuditCtx::default();
    let in_force = crate::sealed::in_force(home, args.policy.as_deref(), args.check_only);
    let policy_digest = in_force.as_ref().map(|p| hex::encode(p.policy.digest)).ok();
    let source = in_force
        .as_ref()
        .map_or_else(|_| policy_path.display().to_string(), |p| p.source.clone());
    ctx.policy_seq = in_force
        .as_ref()
        .ok()
        .and_then(|p| p.sealed.as_ref().map(|s| s.0));
    let result = in_force.and_then(|p| run_stages(home, args, &p.policy, &mut ctx));
    let event = if args.check_only { "check" } else { "sign" };
    let mut line = json!({
        "time": crate::clock::now_ms(),
        "event": event,
        "network": home.network.as_str(),
        "policy": source,
        "policy_digest": policy_digest,
        "policy_seq": ctx.policy_seq,
        "request_id": ctx.request_id,
        "request_digest": ctx.digest,
        "transactions": ctx.txs,
    });
    match &result {
        Ok(()) if args.check_only => line["verdict"] = json!("allowed"),
        Ok(()) => return Ok(()), // the signed line was written before the signatures were released
        Err(e) => {
            line["verdict"] = json!("refused");
            line["reason"] = json!(e.to_string());
        }
    }
    audit::append(&home.audit_path(), line)?;
    result
}

/// The stages in order. Each returns the next stage's input; nothing is signed unless every
/// earlier stage passed.
fn run_stages(home: &Home, args: &SignArgs, policy: &Policy, ctx: &mut AuditCtx) -> Result<()> {
    // Output paths are judged, and the output's temp file created, before anything else: a
    // bad or missing output folder fails before the ledger could say "signed".
    let sink = output::Sink::open(home, args)?;
    let mut keys = signers::Keys::start(home, args);
    let input = decode::read(args)?;
    output::check_shape(&input, args)?;
    let decoded = decode::decode(&input, home.network, ctx)?;
    keys.plan(&decoded, args.key.as_deref());
    let resign = Resign::from_args(&args.resign_expired);
    let checked = check::check(decoded, policy, home, &resign, args.permission_record_stale)?;
    checked.show(policy, home.network, args, &keys);
    if args.json {
        let report = crate::check_report::CheckReport::of(
            home.network.as_str(),
            checked.request_id(),
            checked.txs(),
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    }
    checked.verdict()?;
    if args.check_only {
        eprintln!(
            "\nAll {} transaction(s) pass the policy (nothing signed).",
            checked.len()
        );
        return Ok(());
    }
    keys.ready()?;
    let approved = approve::approve(checked, policy, args.yes, home)?;
    // Rendered while a background KDF finishes (the main thread would wait anyway).
    let pre = output::prerender(&input);
    let signers = keys.unlock(home)?;
    let recorded = record::sign_and_record(approved, &signers, home, policy, ctx)?;
    drop(signers); // keys erased before anything is released
    let done = output::release(recorded, &input, pre, sink, args)?;
    // The process exits next. Leave the decoded request, the review items and the ledger to
    // the OS rather than freeing them piece by piece (about 20 ms at 10,000 transactions).
    // Nothing secret is among them: the keys and wallet secrets were dropped (and erased).
    std::mem::forget((done, std::mem::take(&mut ctx.txs)));
    std::mem::forget(input);
    Ok(())
}
