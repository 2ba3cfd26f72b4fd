//! `build`: unsigned transactions written as a sign request (a file, stdout or QR parts).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::context::{remember_genesis, Ctx};
use super::output::{bar, parse_duration, show};
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::node::Node;
use crate::payout::build::{write_request, BuildOpts, BuildOutcome};
use crate::payout::summary::RequestSummary;
use crate::qrio::QrOutArgs;

/// What `build` asks for.
pub(crate) struct BuildArgs {
    pub(crate) batch: Option<String>,
    pub(crate) expires_in: Option<String>,
    pub(crate) permission: Option<i32>,
    pub(crate) output: Option<PathBuf>,
    pub(crate) max_fee: String,
    pub(crate) fee_margin: u64,
    pub(crate) qr_out: QrOutArgs,
}

/// What `build` did: nothing to build, or a request written.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Built {
    /// Every payout is signed, pending, settled or confirmed.
    Nothing {
        /// Always 0.
        transactions: usize,
        settled: Vec<String>,
        skipped: Vec<String>,
    },
    /// A sign request written to `output`.
    Written {
        request_id: String,
        transactions: usize,
        new: usize,
        reexported: usize,
        settled: Vec<String>,
        skipped: Vec<String>,
        duplicates: Vec<(String, String)>,
        summary: Box<RequestSummary>,
        #[serde(skip)]
        output: PathBuf,
    },
}

impl fmt::Display for Built {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Built::Nothing { .. } => f.write_str(
                "nothing to build: every payout is signed, pending, settled or confirmed",
            ),
            Built::Written { output, .. } => write!(f, "written to {}", output.display()),
        }
    }
}

/// The options `build` runs with, from its flags and the config.
fn opts(c: &Ctx, a: &BuildArgs) -> Result<BuildOpts> {
    let max_fee_sun = coldpay_shared::Sun::parse_trx(&a.max_fee)
        .map_err(|e| BcError::Input(format!("--max-fee: {e}")))?
        .as_u64();
    Ok(BuildOpts {
        batch: a.batch.clone(),
        expires_in_ms: a
            .expires_in
            .as_ref()
            .map(|e| parse_duration(e, "--expires-in").map(|d| d.as_millis() as u64))
            .transpose()?,
        permission: a.permission,
        account_permissions: c.account_permissions.clone(),
        max_fee_sun,
        margin_pct: a.fee_margin,
        network: c.network,
        tokens: c.tokens.clone(),
    })
}

/// `build`.
pub(crate) fn run(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    a: &BuildArgs,
) -> Result<()> {
    let opts = opts(c, a)?;
    let n = node()?;
    let outcome = crate::payout::build::build(journal, &n, &opts, &bar(0, c.json));
    remember_genesis(c, journal, &n)?;
    report(c, outcome?, a.output.as_deref(), &a.qr_out)
}

/// Notes on stderr, the request written, the outcome shown.
fn report(c: &Ctx, o: BuildOutcome, output: Option<&Path>, qr_out: &QrOutArgs) -> Result<()> {
    for p in &o.settled {
        eprintln!("payout {p}: an earlier attempt was found on the verified chain; settled from it, not rebuilt");
    }
    for s in &o.skipped {
        eprintln!("skipped (insufficient funds): {s}");
    }
    let Some(req) = o.request else {
        let nothing = Built::Nothing {
            transactions: 0,
            settled: o.settled,
            skipped: o.skipped,
        };
        show(c, &nothing);
        return Ok(());
    };
    let mut summary = crate::payout::summary::summarize(&req);
    summary
        .worst_case_unfunded
        .clone_from(&o.worst_case_unfunded);
    if let Some((key, text)) = o.permission_source.clone() {
        summary.set_permission_source(key, text);
    }
    if !c.json {
        let now = crate::journal::now_ms() as u64;
        eprintln!("{}", summary.text(now, o.new, o.reexported));
    }
    emit_request(&req, output, qr_out)?;
    if let Some(output) = output {
        let written = Built::Written {
            request_id: req.request_id.clone(),
            transactions: req.transactions.len(),
            new: o.new,
            reexported: o.reexported,
            settled: o.settled,
            skipped: o.skipped,
            duplicates: o.duplicates,
            summary: Box::new(summary),
            output: output.to_path_buf(),
        };
        show(c, &written);
    }
    Ok(())
}

/// Writes a sign request as QR parts and/or JSON (to the file, or stdout without QR).
pub(crate) fn emit_request(
    req: &coldpay_shared::SignRequest,
    output: Option<&Path>,
    qr_out: &QrOutArgs,
) -> Result<()> {
    if qr_out.any() {
        let (kind, payload) = crate::qrio::request_message(req)?;
        let n = qr_out.emit(kind, &payload)?;
        if let Some(line) = qr_out.shown("sign request", n) {
            eprintln!("{line}");
        }
    }
    if output.is_some() || !qr_out.any() {
        write_request(req, output)?;
    }
    Ok(())
}
