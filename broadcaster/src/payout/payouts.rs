//! Getting payouts into the journal: CSV batches (all or nothing, line-numbered errors), single
//! payouts, and the signer's watch-only accounts.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use coldpay_shared::amount::{format_units, parse_units};
use coldpay_shared::handoff::WatchExport;
use coldpay_shared::{Address, Network, U256};

use crate::error::{BcError, Result};
use crate::journal::{now_ms, Asset, ImportRow, Journal};

pub use crate::tokens::usdt_contract;

/// A validated payout row.
#[derive(Clone, Debug)]
pub struct NewPayout {
    /// Source line (CSV) or 0.
    pub line: usize,
    /// Id.
    pub id: String,
    /// Recipient.
    pub to: Address,
    /// What it pays: TRX or USDT (the network's contract).
    pub token: Asset,
    /// Base units.
    pub amount: U256,
    /// Memo.
    pub memo: Option<String>,
}

/// Longest memo accepted at import, in bytes.
pub const MAX_MEMO_LEN: usize = 256;

/// CSV columns: required ones first.
pub const CSV_COLUMNS: [&str; 5] = ["payout_id", "to", "amount", "token", "memo"];

fn check_id(id: &str) -> std::result::Result<(), String> {
    // The signer's rule (printable ASCII, no spaces): refused here, at import, not at signing.
    coldpay_shared::text::id_problem("payout_id", id).map_or(Ok(()), Err)
}

/// Checks a memo with the signer's rule (no control, bidi or zero-width characters) and the
/// import length limit.
pub fn check_memo(memo: &str) -> std::result::Result<(), String> {
    if memo.len() > MAX_MEMO_LEN {
        return Err(format!(
            "memo is {} bytes, at most {MAX_MEMO_LEN} allowed",
            memo.len()
        ));
    }
    if let Some(c) = coldpay_shared::transaction::memo_char_problem(memo) {
        return Err(format!(
            "memo contains a control, bidi or zero-width character U+{:04X}",
            u32::from(c)
        ));
    }
    Ok(())
}

/// Validates one payout's fields.
pub fn validate(
    line: usize,
    id: &str,
    to: &str,
    amount: &str,
    token: &str,
    memo: &str,
    from: &Address,
    network: Network,
) -> std::result::Result<NewPayout, String> {
    check_id(id)?;
    let to = Address::parse(to.trim()).map_err(|e| format!("bad recipient {to:?}: {e}"))?;
    if &to == from {
        return Err(format!("recipient {to} is the treasury itself"));
    }
    let token = match token.trim().to_ascii_lowercase().as_str() {
        "" | "usdt" => Asset::Token(usdt_contract(network)),
        "trx" => Asset::Trx,
        other => return Err(format!("unknown token {other:?} (usdt or trx)")),
    };
    let usdt = usdt_contract(network);
    if token != Asset::Trx && to == usdt {
        return Err("recipient is the token contract itself".into());
    }
    let amount = parse_units(amount.trim(), 6).map_err(|e| format!("bad amount: {e}"))?;
    if amount.is_zero() {
        return Err("amount must be greater than zero".into());
    }
    if token == Asset::Trx && amount > U256::from(i64::MAX as u64) {
        return Err("TRX amount too large".into());
    }
    check_memo(memo)?;
    Ok(NewPayout {
        line,
        id: id.to_string(),
        to,
        token,
        amount,
        memo: (!memo.is_empty()).then(|| memo.to_string()),
    })
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => "unreadable CSV record".into(),
    }
}

/// One CSV data row: a validated payout, or the row's error (already prefixed `line N: `).
type Row = std::result::Result<NewPayout, String>;

/// Parses CSV text into rows, in file order. Header problems are the error; row problems
/// (unreadable record, field count, field checks, a payout_id repeated in the file) are rows.
fn parse_rows(bytes: &[u8], source: &str, from: &Address, network: Network) -> Result<Vec<Row>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| BcError::Input(format!("{source}: {e}")))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let mut header_errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            header_errors.push(format!(
                "line 1, column {}: unknown column {h:?} (columns: payout_id,to,amount[,token][,memo])",
                i + 1
            ));
        } else if headers[..i].contains(h) {
            header_errors.push(format!("line 1, column {}: duplicate column {h:?}", i + 1));
        }
    }
    for required in &CSV_COLUMNS[..3] {
        if !headers.iter().any(|h| h == required) {
            header_errors.push(format!("line 1: header lacks the {required} column"));
        }
    }
    if !header_errors.is_empty() {
        return Err(BcError::Input(format!(
            "{source}: bad header, nothing imported: {}",
            header_errors.join("; ")
        )));
    }
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (ci, ct, ca) = (
        col("payout_id").unwrap_or_default(),
        col("to").unwrap_or_default(),
        col("amount").unwrap_or_default(),
    );
    let (ctok, cmemo) = (col("token"), col("memo"));
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i + 2, |p| p.line() as usize);
                rows.push(Err(format!("line {line}: {}", csv_error_text(&e))));
                continue;
            }
        };
        let line = rec.position().map_or(i + 2, |p| p.line() as usize);
        if rec.len() != headers.len() {
            rows.push(Err(format!(
                "line {line}: {} field(s), header has {}",
                rec.len(),
                headers.len()
            )));
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        rows.push(
            match validate(
                line,
                get(Some(ci)),
                get(Some(ct)),
                get(Some(ca)),
                get(ctok),
                get(cmemo),
                from,
                network,
            ) {
                Ok(p) if !seen.insert(p.id.clone()) => Err(format!(
                    "line {line}: duplicate payout_id {:?} in the file",
                    p.id
                )),
                Ok(p) => Ok(p),
                Err(e) => Err(format!("line {line}: {e}")),
            },
        );
    }
    Ok(rows)
}

/// All or nothing: the payouts, or every row error (`source` names the input in messages).
fn finish(rows: Vec<Row>, source: &str) -> Result<Vec<NewPayout>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for r in rows {
        match r {
            Ok(p) => out.push(p),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        let n = errors.len();
        return Err(BcError::Input(format!(
            "{source}: {n} invalid row(s), nothing imported:\n{}",
            errors.join("\n")
        )));
    }
    if out.is_empty() {
        return Err(BcError::Input(format!("{source}: no payouts")));
    }
    Ok(out)
}

/// Parses and validates CSV text without touching the journal: header, field counts, every
/// field, and payout_ids unique within the text. Every error is reported with its line number;
/// `source` names the input in messages.
pub fn parse_csv(
    bytes: &[u8],
    source: &str,
    from: &Address,
    network: Network,
) -> Result<Vec<NewPayout>> {
    finish(parse_rows(bytes, source, from, network)?, source)
}

/// Reads and validates a CSV file ([`parse_csv`]) and refuses payout_ids the journal already
/// has; every error is reported with its line number.
pub fn read_csv(
    path: &Path,
    from: &Address,
    network: Network,
    journal: &Journal,
) -> Result<Vec<NewPayout>> {
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| BcError::Input(format!("{source}: {e}")))?;
    let mut rows = parse_rows(&bytes, &source, from, network)?;
    for r in &mut rows {
        if let Ok(p) = r {
            if journal.payout(&p.id)?.is_some() {
                *r = Err(format!(
                    "line {}: payout_id {:?} already exists in the journal",
                    p.line, p.id
                ));
            }
        }
    }
    finish(rows, &source)
}

/// Inserts a batch and its payouts in one SQL transaction.
pub fn insert_batch(
    journal: &Journal,
    batch_id: &str,
    from: &Address,
    network: Network,
    payouts: &[NewPayout],
) -> Result<()> {
    // The batch id becomes part of the request id the signer prints: the same id rule.
    if let Some(problem) = coldpay_shared::text::id_problem("batch id", batch_id) {
        return Err(BcError::Input(problem));
    }
    journal.insert_batch(batch_id, from, network, &import_rows(payouts))
}

/// Adds `payouts` to the existing batch `batch_id` of `from` (`batch import --append`), all or
/// nothing.
pub fn append_to_batch(
    journal: &Journal,
    batch_id: &str,
    from: &Address,
    network: Network,
    payouts: &[NewPayout],
) -> Result<()> {
    journal.append_payouts(batch_id, from, network, &import_rows(payouts))
}

fn import_rows(payouts: &[NewPayout]) -> Vec<ImportRow<'_>> {
    payouts
        .iter()
        .map(|p| ImportRow {
            line: p.line,
            id: &p.id,
            to: p.to,
            token: p.token,
            amount: p.amount,
            memo: p.memo.as_deref(),
        })
        .collect()
}

/// How long a payout counts against a new one with the same recipient, amount, token and memo.
pub const DUPLICATE_WINDOW_MS: i64 = 30 * 86_400_000;

use crate::journal::twin_rows::TwinKey;

/// A journal payout that a new one may repeat.
#[derive(Clone, Debug)]
pub struct Earlier {
    rowid: i64,
    /// Payout id.
    pub id: String,
    /// Its batch.
    pub batch: String,
    /// When it was imported (ms).
    pub created_at: i64,
}

/// The journal's payouts that are not cancelled, by [`TwinKey`], in import order.
pub struct Twins(HashMap<TwinKey, Vec<Earlier>>);

impl Twins {
    /// Loads the payouts imported at or after `since` (ms).
    pub fn load(journal: &Journal, since: i64) -> Result<Twins> {
        let mut m: HashMap<TwinKey, Vec<Earlier>> = HashMap::new();
        for r in journal.twins_since(since)? {
            m.entry(r.key).or_default().push(Earlier {
                rowid: r.rowid,
                id: r.id,
                batch: r.batch,
                created_at: r.created_at,
            });
        }
        Ok(Twins(m))
    }

    /// The latest payout other than `id` with `key`, imported before row `before` (any row
    /// when `None`) and at most [`DUPLICATE_WINDOW_MS`] before `at`.
    fn earlier(&self, key: &TwinKey, id: &str, before: Option<i64>, at: i64) -> Option<&Earlier> {
        self.0.get(key)?.iter().rev().find(|e| {
            e.id != id
                && before.is_none_or(|b| e.rowid < b)
                && e.created_at >= at - DUPLICATE_WINDOW_MS
        })
    }
}

fn key_of(p: &NewPayout) -> TwinKey {
    TwinKey {
        to: p.to,
        token: p.token.contract(),
        amount: p.amount,
        memo: p.memo.clone().unwrap_or_default(),
    }
}

fn describe(p: &NewPayout) -> String {
    let symbol = if p.token == Asset::Trx { "TRX" } else { "USDT" };
    let memo = p
        .memo
        .as_ref()
        .map_or(String::new(), |m| format!(", memo {m:?}"));
    format!("{} {symbol} to {}{memo}", format_units(p.amount, 6), p.to)
}

/// Rows that repeat another payout (same recipient, amount, token and memo) earlier in the
/// same rows or imported into the journal within the last 30 days (cancelled payouts do not
/// count). One sentence per repeating row.
pub fn find_duplicates(journal: &Journal, payouts: &[NewPayout]) -> Result<Vec<String>> {
    let now = now_ms();
    let twins = Twins::load(journal, now - DUPLICATE_WINDOW_MS)?;
    let mut first: HashMap<TwinKey, &NewPayout> = HashMap::new();
    let mut out = Vec::new();
    for p in payouts {
        let k = key_of(p);
        let at = if p.line > 0 {
            format!("line {}: ", p.line)
        } else {
            String::new()
        };
        if let Some(q) = first.get(&k) {
            let where_ = if q.line > 0 {
                format!(" (line {})", q.line)
            } else {
                String::new()
            };
            out.push(format!(
                "{at}payout {} repeats payout {}{where_} of this import: {}",
                p.id,
                q.id,
                describe(p)
            ));
        } else if let Some(e) = twins.earlier(&k, &p.id, None, now) {
            out.push(format!(
                "{at}payout {} repeats payout {} of batch {} (imported {}): {}",
                p.id,
                e.id,
                e.batch,
                coldpay_shared::timefmt::utc_seconds(e.created_at),
                describe(p)
            ));
        }
        first.entry(k).or_insert(p);
    }
    Ok(out)
}

/// Sets `duplicate_of` in the display hints of each transaction whose payout repeats an
/// earlier one (imported before it, at most 30 days before it, not cancelled), so the signer
/// shows it. Returns (payout id, earlier payout id) pairs.
pub fn mark_duplicates(
    journal: &Journal,
    txs: &mut [coldpay_shared::handoff::RequestTx],
) -> Result<Vec<(String, String)>> {
    let mut rows = Vec::with_capacity(txs.len());
    for t in txs.iter() {
        let r = journal.twin_of(&t.payout_id)?;
        rows.push((r.rowid, r.created_at, r.key));
    }
    let since = rows.iter().map(|r| r.1).min().unwrap_or(0) - DUPLICATE_WINDOW_MS;
    let twins = Twins::load(journal, since)?;
    let mut out = Vec::new();
    for (t, (rowid, created, key)) in txs.iter_mut().zip(rows) {
        if let Some(e) = twins.earlier(&key, &t.payout_id, Some(rowid), created) {
            t.hints.get_or_insert_with(Default::default).duplicate_of = Some(e.id.clone());
            out.push((t.payout_id.clone(), e.id.clone()));
        }
    }
    Ok(out)
}

/// Totals per token, display form.
pub fn totals(payouts: &[NewPayout]) -> Vec<(String, String, usize)> {
    let mut m: std::collections::BTreeMap<String, (U256, usize)> =
        std::collections::BTreeMap::new();
    for p in payouts {
        let e = m
            .entry(if p.token == Asset::Trx {
                "TRX".into()
            } else {
                "USDT".into()
            })
            .or_insert((U256::ZERO, 0));
        e.0 = e.0.saturating_add(p.amount);
        e.1 += 1;
    }
    m.into_iter()
        .map(|(k, (v, n))| (k, format_units(v, 6), n))
        .collect()
}

/// Imports the signer's watch-only export.
pub fn import_watch(journal: &Journal, w: &WatchExport) -> Result<usize> {
    journal.upsert_accounts(w.network, &w.accounts)?;
    Ok(w.accounts.len())
}
