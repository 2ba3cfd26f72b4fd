//! `pay` (a batch of one) and `batch import` (a CSV file): payouts recorded in the journal.

use std::fmt;
use std::path::Path;

use coldpay_shared::Address;
use serde::Serialize;

use super::context::Ctx;
use super::output::show;
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::payout::payouts::{insert_batch, validate};

/// What `pay` asks for.
pub(crate) struct PayArgs {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) amount: String,
    pub(crate) token: String,
    pub(crate) payout_id: Option<String>,
    pub(crate) memo: String,
    pub(crate) allow_duplicates: bool,
}

/// What `pay` recorded.
#[derive(Serialize)]
pub(crate) struct Paid {
    batch: String,
    payout_id: String,
}

impl fmt::Display for Paid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = &self.payout_id;
        write!(
            f,
            "recorded payout {id} (batch {}); next: build --batch {id}",
            self.batch
        )
    }
}

/// `pay`: one payout, recorded as a batch of its own.
pub(crate) fn pay(c: &Ctx, journal: &Journal, a: PayArgs) -> Result<()> {
    let network = c.network;
    let from = Address::parse(&a.from)?;
    journal.require_account(&from, network)?;
    let id = a
        .payout_id
        .unwrap_or_else(|| format!("pay-{}", crate::journal::now_ms()));
    let p = validate(0, &id, &a.to, &a.amount, &a.token, &a.memo, &from, network)
        .map_err(BcError::Input)?;
    if journal.payout(&id)?.is_some() {
        return Err(BcError::Input(format!("payout id {id:?} already exists")));
    }
    let dups = crate::payout::payouts::find_duplicates(journal, std::slice::from_ref(&p))?;
    refuse_duplicates(&dups, a.allow_duplicates, "payout not recorded")?;
    insert_batch(journal, &id, &from, network, std::slice::from_ref(&p))?;
    show(
        c,
        &Paid {
            batch: id.clone(),
            payout_id: id,
        },
    );
    Ok(())
}

/// What `batch import` asks for.
pub(crate) struct ImportArgs<'a> {
    pub(crate) file: &'a Path,
    pub(crate) from: &'a str,
    pub(crate) batch_id: Option<String>,
    pub(crate) append: bool,
    pub(crate) allow_duplicates: bool,
}

/// One token's total of an import.
#[derive(Serialize)]
pub(crate) struct ImportTotal {
    token: String,
    amount: String,
    count: usize,
}

/// What `batch import` recorded.
#[derive(Serialize)]
pub(crate) struct BatchImported {
    batch: String,
    payouts: usize,
    totals: Vec<ImportTotal>,
    duplicates: Vec<String>,
    #[serde(skip)]
    appended: bool,
}

impl fmt::Display for BatchImported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.appended {
            "added to"
        } else {
            "imported"
        };
        writeln!(f, "{verb} batch {}: {} payout(s)", self.batch, self.payouts)?;
        let totals: Vec<String> = self
            .totals
            .iter()
            .map(|t| format!("  {} {} in {} payout(s)", t.amount, t.token, t.count))
            .collect();
        f.write_str(&totals.join("\n"))?;
        for d in &self.duplicates {
            write!(f, "\n  accepted duplicate: {d}")?;
        }
        Ok(())
    }
}

/// `batch import FILE --from T…`: all rows or none.
pub(crate) fn batch_import(c: &Ctx, journal: &Journal, a: ImportArgs<'_>) -> Result<()> {
    let network = c.network;
    let from = Address::parse(a.from)?;
    journal.require_account(&from, network)?;
    let payouts = crate::payout::payouts::read_csv(a.file, &from, network, journal)?;
    let dups = crate::payout::payouts::find_duplicates(journal, &payouts)?;
    let what = format!("{}: nothing imported", a.file.display());
    refuse_duplicates(&dups, a.allow_duplicates, &what)?;
    let id = a.batch_id.unwrap_or_else(|| {
        let stem = a
            .file
            .file_stem()
            .map_or("batch".into(), |s| s.to_string_lossy().into_owned());
        format!("{stem}-{}", crate::journal::now_ms())
    });
    if a.append {
        crate::payout::payouts::append_to_batch(journal, &id, &from, network, &payouts)?;
    } else {
        insert_batch(journal, &id, &from, network, &payouts)?;
    }
    let totals = crate::payout::payouts::totals(&payouts)
        .into_iter()
        .map(|(token, amount, count)| ImportTotal {
            token,
            amount,
            count,
        })
        .collect();
    show(
        c,
        &BatchImported {
            batch: id,
            payouts: payouts.len(),
            totals,
            duplicates: dups,
            appended: a.append,
        },
    );
    Ok(())
}

/// Refuses payouts that repeat earlier ones unless `--allow-duplicates` (`what` says what was
/// not done).
fn refuse_duplicates(dups: &[String], allow: bool, what: &str) -> Result<()> {
    if dups.is_empty() || allow {
        return Ok(());
    }
    Err(BcError::Input(format!(
        "{what}: {} payout(s) repeat an earlier payout (same recipient, amount, token and memo; this import or the last 30 days); if they are meant, run again with --allow-duplicates (the signer will show them as duplicates):\n{}",
        dups.len(),
        dups.join("\n")
    )))
}
