//! `status`, `report` and `batch list|show`: one row per payout from the journal; `report`'s
//! filters (batch, imported since, status) and its text, CSV and JSON forms.

use std::collections::{BTreeMap, HashMap};

use coldpay_shared::amount::format_units;
use coldpay_shared::timefmt::TimeInput;
use coldpay_shared::{Address, Network, TxId, U256};
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::journal::{
    ApprovalRow, Asset, Batch, ExpiryEvidence, Journal, PayoutKind, PayoutLine, PayoutState,
};

/// Every payout status, in the order a payout moves through them.
pub const STATUSES: &[&str] = &[
    "imported",
    "awaiting_signature",
    "signed",
    "possibly_sent",
    "broadcast",
    "included",
    "confirmed",
    "failed",
    "expired",
    "cancelled",
];

/// The unit a journal token column is shown in: its symbol and decimals (TRX, a registered
/// token's own, `PERMISSION` for a permission update).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Symbol shown to operators.
    pub symbol: String,
    /// Decimals of the base unit.
    pub decimals: u8,
}

impl Unit {
    /// The unit of a payout of `kind` in `token` on `network`.
    pub fn of(kind: PayoutKind, token: &Asset, network: Network) -> Unit {
        let (symbol, decimals) = token.unit(network);
        let symbol = if kind == PayoutKind::PermissionUpdate {
            "PERMISSION".into()
        } else {
            symbol
        };
        Unit { symbol, decimals }
    }
}

/// One row of `report` (and of `batch show`): a payout with its latest attempt. Serialized as
/// the JSON rows `report --format json` prints; amounts are integers in base units, shown in
/// the token's own unit.
#[derive(Clone, Debug, Serialize)]
pub struct ReportRow {
    /// Payout id.
    pub payout_id: String,
    /// `payout`, `permission-update` or `staking`.
    pub kind: PayoutKind,
    /// Batch id.
    pub batch: String,
    /// Recipient.
    pub to: Address,
    /// The token's symbol.
    pub token: String,
    /// Approvals so far of a multi-signature attempt.
    pub approval: Option<crate::multisig::approvals::Progress>,
    /// The same as a sentence.
    pub approval_text: Option<String>,
    /// The amount in token units ("12.5").
    pub amount: String,
    /// The amount in base units.
    #[serde(serialize_with = "decimal_string")]
    pub amount_base_units: U256,
    /// The latest attempt's txID.
    pub txid: Option<TxId>,
    /// The block it was included in.
    pub block: Option<u64>,
    /// Energy its receipt reports.
    pub energy_used: Option<u64>,
    /// TRX burned its receipt reports.
    pub trx_burned: Option<BurnedSun>,
    /// The payout's status (one of [`STATUSES`]).
    pub status: &'static str,
    /// Why the attempt failed or expired.
    pub reason: Option<String>,
    /// Why it is marked for a re-check.
    pub recheck: Option<String>,
    /// How many attempts it had.
    pub attempts: usize,
    /// When it was cancelled (ms).
    pub cancelled_at: Option<i64>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The node's refusal of the broadcast.
    pub refusal: Option<String>,
    /// Why the latest attempt expired (as journaled).
    pub evidence: Option<ExpiryEvidence>,
    /// A verified scan covers blocks up to this one.
    pub scanned_to: Option<u64>,
    /// Memo.
    pub memo: Option<String>,
    /// When it was imported (UTC).
    pub imported_at: String,
    /// When its latest attempt last changed (UTC).
    pub updated_at: Option<String>,
    /// Decimals of [`ReportRow::token`].
    #[serde(skip)]
    pub decimals: u8,
}

fn decimal_string<S: serde::Serializer>(v: &U256, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// TRX burned, in sun: serialized as TRX ("1.5"), summed as an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BurnedSun(pub u64);

impl Serialize for BurnedSun {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(&trx(self.0))
    }
}

/// One report row per payout (latest attempt). A cancelled payout has status `cancelled`
/// unless an attempt of it was confirmed after all (the chain wins). Two journal statements
/// whatever the number of rows ([`Journal::payout_lines`], [`Journal::approvals_by_attempt`]).
pub fn rows(journal: &Journal, batch: Option<&str>) -> Result<Vec<ReportRow>> {
    let network = journal.network()?;
    let mut approvals = journal.approvals_by_attempt(batch)?;
    Ok(journal
        .payout_lines(batch)?
        .into_iter()
        .map(|line| {
            let recorded = line
                .latest
                .as_ref()
                .and_then(|a| approvals.remove(&a.id))
                .unwrap_or_default();
            row(line, &recorded, network)
        })
        .collect())
}

/// The status a payout shows, from whether it was cancelled and its latest attempt's state
/// (with whether a broadcast was started and whether it is marked for a re-check).
fn status_of(cancelled: bool, latest: Option<(&str, bool, bool)>) -> &'static str {
    match latest {
        Some(("confirmed", ..)) => "confirmed",
        _ if cancelled => "cancelled",
        None => "imported",
        Some(("built", ..)) => "awaiting_signature",
        Some(("signed", true, _)) => "possibly_sent",
        Some(("signed", ..)) => "signed",
        Some(("broadcast", ..)) => "broadcast",
        Some(("included", ..)) => "included",
        // Settled failed from a receipt before schema 5: re-checked against its block.
        Some(("failed", _, true)) => "included",
        Some(("failed", ..)) => "failed",
        Some(_) => "expired",
    }
}

/// The status of a payout from its lean journal form.
fn state_status(s: &PayoutState) -> &'static str {
    status_of(
        s.cancelled,
        s.latest
            .as_ref()
            .map(|l| (l.state.as_str(), l.sending, l.recheck)),
    )
}

fn row(line: PayoutLine, recorded: &[ApprovalRow], network: Network) -> ReportRow {
    let p = line.payout;
    let a = line.latest;
    let receipt = a
        .as_ref()
        .and_then(|a| a.receipt.clone())
        .unwrap_or_default();
    let evidence = a.as_ref().and_then(|a| a.evidence.clone());
    let amount = p.amount;
    let unit = Unit::of(p.kind, &p.token, network);
    let approval = match &a {
        Some(a) if a.permission_id.is_some() => {
            Some(crate::multisig::approvals::Progress::from_recorded(
                recorded,
                line.permission_claim.as_ref(),
            ))
        }
        _ => None,
    };
    let status = status_of(
        p.cancelled_at.is_some(),
        a.as_ref().map(|a| {
            (
                a.state.as_str(),
                a.sending_at.is_some(),
                a.recheck.is_some(),
            )
        }),
    );
    ReportRow {
        approval_text: approval
            .as_ref()
            .map(crate::multisig::approvals::Progress::text),
        approval,
        amount: format_units(amount, unit.decimals),
        amount_base_units: amount,
        txid: a.as_ref().map(|a| a.txid),
        block: a.as_ref().and_then(|a| a.block),
        energy_used: receipt.energy_usage_total,
        trx_burned: receipt.fee.map(BurnedSun),
        status,
        reason: a.as_ref().and_then(|a| a.reason.clone()),
        recheck: a.as_ref().and_then(|a| a.recheck.clone()),
        attempts: line.attempts,
        refusal: a.as_ref().and_then(|a| a.refusal.clone()),
        evidence,
        scanned_to: a.as_ref().and_then(|a| a.scanned_to),
        imported_at: format_time(line.imported_at),
        updated_at: line.updated_at.map(format_time),
        payout_id: p.id,
        kind: p.kind,
        batch: p.batch_id,
        to: p.to,
        token: unit.symbol,
        decimals: unit.decimals,
        cancelled_at: p.cancelled_at,
        cancel_reason: p.cancel_reason,
        memo: p.memo,
    }
}

/// Rows that carry a payout amount (payouts, not permission updates or staking operations)
/// and are not cancelled.
fn counted(r: &ReportRow) -> bool {
    r.status != "cancelled" && r.kind.pays()
}

/// What `report` selects.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this batch.
    pub batch: Option<String>,
    /// Only payouts imported at or after this time (ms).
    pub since_ms: Option<i64>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<String>,
}

impl Filter {
    /// Parses `--status a,b` (each one of [`STATUSES`]).
    pub fn parse_statuses(s: &str) -> Result<Vec<String>> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| {
                if STATUSES.contains(&x) {
                    Ok(x.to_string())
                } else {
                    Err(BcError::Input(format!(
                        "--status {x:?}: one of {}",
                        STATUSES.join(", ")
                    )))
                }
            })
            .collect()
    }

    /// Parses `--since`: a UTC date (`2026-11-01`), a UTC time (`2026-11-01T10:00:00Z`) or a
    /// span back from `now_ms` (`7d`, `12h`).
    pub fn parse_since(s: &str, now_ms: i64) -> Result<i64> {
        let t = TimeInput::parse(s).map_err(|_| BcError::Input(format!(
            "--since {s:?}: give a UTC date (2026-11-01), time (2026-11-01T10:00:00Z) or a span back from now (7d, 12h)"
        )))?;
        let start = t.start(u64::try_from(now_ms).unwrap_or(0));
        Ok(i64::try_from(start).unwrap_or(i64::MAX))
    }
}

/// The report rows `filter` selects, every batch when it names none.
pub fn select(journal: &Journal, filter: &Filter) -> Result<Vec<ReportRow>> {
    let since = filter.since_ms.map(format_time);
    Ok(rows(journal, filter.batch.as_deref())?
        .into_iter()
        .filter(|r| since.as_deref().is_none_or(|s| r.imported_at.as_str() >= s))
        .filter(|r| filter.statuses.is_empty() || filter.statuses.iter().any(|s| r.status == s))
        .collect())
}

/// Payout counts per status (only statuses that occur).
pub fn counts(rows: &[ReportRow]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts.entry(row.status.to_string()).or_insert(0usize) += 1;
    }
    counts
}

/// An amount summed per token, in base units, with the decimals it is shown in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSum {
    /// Sum in base units.
    pub amount: U256,
    /// Decimals of the token.
    pub decimals: u8,
}

/// Payout counts by status and totals per token of a set of payouts, gathered in one pass.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// How many payouts.
    pub payouts: usize,
    /// Counts per status (only statuses that occur).
    pub counts: BTreeMap<String, usize>,
    /// Amount per token symbol of the payouts that are not cancelled and are not permission
    /// updates or staking operations.
    pub sums: BTreeMap<String, TokenSum>,
}

impl Tally {
    fn add(&mut self, status: &str, kind: PayoutKind, unit: &Unit, amount: U256) {
        self.payouts += 1;
        *self.counts.entry(status.to_string()).or_insert(0) += 1;
        if status != "cancelled" && kind.pays() {
            let e = self.sums.entry(unit.symbol.clone()).or_insert(TokenSum {
                amount: U256::ZERO,
                decimals: unit.decimals,
            });
            e.amount = e.amount.saturating_add(amount);
        }
    }

    /// The tally of report rows.
    pub fn of_rows(rows: &[ReportRow]) -> Tally {
        let mut t = Tally::default();
        for r in rows {
            let unit = Unit {
                symbol: r.token.clone(),
                decimals: r.decimals,
            };
            t.add(r.status, r.kind, &unit, r.amount_base_units);
        }
        t
    }

    /// The tally of payouts in their lean journal form.
    pub fn of_states<'a>(
        states: impl IntoIterator<Item = &'a PayoutState>,
        network: Network,
    ) -> Tally {
        let mut t = Tally::default();
        for s in states {
            t.add(
                state_status(s),
                s.kind,
                &Unit::of(s.kind, &s.token, network),
                s.amount,
            );
        }
        t
    }

    /// Totals per token symbol, e.g. `"1250.5 USDT"`.
    pub fn totals(&self) -> BTreeMap<String, String> {
        self.sums
            .iter()
            .map(|(tok, v)| {
                let shown = format_units(v.amount, v.decimals);
                (tok.clone(), format!("{shown} {tok}"))
            })
            .collect()
    }
}

/// The summary of one batch: id, sender, network, created, payout count, counts by status and
/// totals per token (cancelled payouts excluded from the totals).
#[derive(Clone, Debug, Serialize)]
pub struct BatchSummary {
    /// Batch id.
    pub batch: String,
    /// Sender.
    pub from: Address,
    /// Network.
    pub network: Network,
    /// Created (ms).
    pub created_at: i64,
    /// Created (UTC).
    pub created: String,
    /// How many payouts.
    pub payouts: usize,
    /// Counts per status that occurs.
    pub counts: BTreeMap<String, usize>,
    /// Totals per token symbol ("1250.5 USDT").
    pub totals: BTreeMap<String, String>,
}

impl BatchSummary {
    /// The summary of batch `b` from the tally of its payouts.
    pub fn of(b: &Batch, t: &Tally) -> BatchSummary {
        BatchSummary {
            batch: b.id.clone(),
            from: b.from,
            network: b.network,
            created_at: b.created_at,
            created: format_time(b.created_at),
            payouts: t.payouts,
            counts: t.counts.clone(),
            totals: t.totals(),
        }
    }
}

/// The text of a batch summary: id, network, time and sender, then counts and totals.
impl std::fmt::Display for BatchSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        let totals: Vec<&str> = self.totals.values().map(String::as_str).collect();
        write!(
            f,
            "{}  {}  {}  from {}\n  {} payout(s): {}; total {}",
            self.batch,
            self.network,
            self.created,
            self.from,
            self.payouts,
            if counts.is_empty() {
                "-".into()
            } else {
                counts.join(", ")
            },
            if totals.is_empty() {
                "0".into()
            } else {
                totals.join(" + ")
            },
        )
    }
}

/// Every batch's summary, oldest first: one pass over every payout's state.
pub fn batch_summaries(journal: &Journal) -> Result<Vec<BatchSummary>> {
    let mut by_batch: HashMap<String, Vec<PayoutState>> = HashMap::new();
    for s in journal.payout_states(None)? {
        by_batch.entry(s.batch_id.clone()).or_default().push(s);
    }
    journal
        .batches()?
        .iter()
        .map(|b| {
            let states = by_batch.remove(&b.id).unwrap_or_default();
            Ok(BatchSummary::of(b, &Tally::of_states(&states, b.network)))
        })
        .collect()
}

/// A payout awaiting approvals, with how far they got.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Awaiting {
    /// Payout id.
    pub payout_id: String,
    /// "weight 1 of 2, approved by T…".
    pub approval: String,
}

/// A journaled operation that is not a payout (permission update, staking) and its status.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Operation {
    /// Its journal id.
    pub id: String,
    /// Its status (one of [`STATUSES`]).
    pub status: &'static str,
}

/// What `status` shows: counts of every status over the payouts (permission updates apart),
/// the payouts `build` can rebuild, multi-signature payouts awaiting approvals, and the
/// permission updates with their status.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StatusSummary {
    /// Count per status, every status of [`STATUSES`].
    pub counts: BTreeMap<&'static str, usize>,
    /// Payouts (permission updates excluded).
    pub payouts: usize,
    /// Expired or failed payouts.
    pub to_rebuild: Vec<String>,
    /// Multi-signature payouts awaiting approvals.
    pub awaiting_approval: Vec<Awaiting>,
    /// Permission updates.
    pub permission_updates: Vec<Operation>,
    /// Staking operations (`stake`, `delegate`, …; not payouts).
    pub staking: Vec<Operation>,
}

impl std::fmt::Display for StatusSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = STATUSES
            .iter()
            .map(|k| format!("{k:<20} {}", self.counts.get(k).copied().unwrap_or(0)))
            .collect();
        write!(f, "{}\n{:<20} {}", lines.join("\n"), "total", self.payouts)?;
        if !self.to_rebuild.is_empty() {
            let n = self.to_rebuild.len();
            write!(f, "\n{n} payout(s) can be rebuilt with `build`")?;
        }
        let possibly_sent = self.counts.get("possibly_sent").copied().unwrap_or(0);
        if possibly_sent > 0 {
            write!(f, "\n{possibly_sent} payout(s) approved and possibly sent by an interrupted run: re-run `submit` (any response) or `track`; each txID is included at most once")?;
        }
        for a in &self.awaiting_approval {
            write!(f, "\npayout {}: {}", a.payout_id, a.approval)?;
        }
        for u in &self.permission_updates {
            write!(f, "\npermission update {}: {}", u.id, u.status)?;
        }
        for s in &self.staking {
            write!(f, "\nstaking operation {}: {}", s.id, s.status)?;
        }
        Ok(())
    }
}

/// The [`StatusSummary`] of `batch` (or of every payout): two journal statements, one pass.
pub fn status_summary(journal: &Journal, batch: Option<&str>) -> Result<StatusSummary> {
    let mut approvals = journal.approvals_by_attempt(batch)?;
    let mut out = StatusSummary {
        counts: STATUSES.iter().map(|s| (*s, 0)).collect(),
        ..StatusSummary::default()
    };
    for s in journal.payout_states(batch)? {
        let status = state_status(&s);
        match s.kind {
            PayoutKind::PermissionUpdate => {
                out.permission_updates.push(Operation { id: s.id, status });
                continue;
            }
            PayoutKind::Staking => {
                out.staking.push(Operation { id: s.id, status });
                continue;
            }
            PayoutKind::Payout => {}
        }
        out.payouts += 1;
        *out.counts.entry(status).or_insert(0) += 1;
        match (status, &s.latest) {
            ("expired" | "failed", _) => out.to_rebuild.push(s.id),
            ("awaiting_signature", Some(l)) if l.permission_id.is_some() => {
                let recorded = approvals.remove(&l.attempt).unwrap_or_default();
                let p = crate::multisig::approvals::Progress::from_recorded(
                    &recorded,
                    l.permission_claim.as_ref(),
                );
                out.awaiting_approval.push(Awaiting {
                    payout_id: s.id,
                    approval: p.text(),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// UTC time of a ms timestamp, `2026-11-24T10:00:00Z` (the shared `timefmt`, whole seconds).
pub fn format_time(ms: i64) -> String {
    coldpay_shared::timefmt::utc_seconds(ms)
}

/// CSV columns, in order (new columns are only ever appended).
pub const CSV_COLUMNS: [&str; 17] = [
    "payout_id",
    "to",
    "token",
    "amount",
    "txid",
    "block",
    "energy_used",
    "trx_burned",
    "status",
    "reason",
    "cancelled_at",
    "cancel_reason",
    "refusal",
    "batch",
    "memo",
    "imported_at",
    "updated_at",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

/// A row's CSV cells, in [`CSV_COLUMNS`] order: every time in ISO 8601 UTC (the JSON's
/// `cancelled_at` is ms).
fn csv_record(r: &ReportRow) -> [String; 17] {
    [
        r.payout_id.clone(),
        r.to.to_base58(),
        r.token.clone(),
        r.amount.clone(),
        opt(r.txid.as_ref()),
        opt(r.block),
        opt(r.energy_used),
        opt(r.trx_burned.map(|b| trx(b.0))),
        r.status.to_string(),
        opt(r.reason.as_ref()),
        opt(r.cancelled_at.map(format_time)),
        opt(r.cancel_reason.as_ref()),
        opt(r.refusal.as_ref()),
        r.batch.clone(),
        opt(r.memo.as_ref()),
        r.imported_at.clone(),
        opt(r.updated_at.as_ref()),
    ]
}

/// sun in TRX ("1.5").
fn trx(sun: u64) -> String {
    format_units(U256::from(sun), 6)
}

/// Sums of one token's rows that are not cancelled: amount, energy, TRX burned, count.
struct Sum {
    amount: U256,
    decimals: u8,
    energy: u64,
    burned_sun: u64,
    payouts: usize,
}

fn sums(rows: &[ReportRow]) -> BTreeMap<String, Sum> {
    let mut m: BTreeMap<String, Sum> = BTreeMap::new();
    for r in rows.iter().filter(|r| counted(r)) {
        let e = m.entry(r.token.clone()).or_insert(Sum {
            amount: U256::ZERO,
            decimals: r.decimals,
            energy: 0,
            burned_sun: 0,
            payouts: 0,
        });
        e.amount = e.amount.saturating_add(r.amount_base_units);
        e.energy += r.energy_used.unwrap_or(0);
        e.burned_sun += r.trx_burned.map_or(0, |b| b.0);
        e.payouts += 1;
    }
    m
}

/// Writes rows as CSV, then one `TOTAL` row per token (cancelled payouts excluded): amount,
/// energy and TRX burned summed, the payout count in `status`.
pub fn to_csv(rows: &[ReportRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    for r in rows {
        let _ = w.write_record(csv_record(r));
    }
    for (token, s) in sums(rows) {
        let mut rec = vec![String::new(); CSV_COLUMNS.len()];
        rec[0] = "TOTAL".into();
        rec[2] = token;
        rec[3] = format_units(s.amount, s.decimals);
        rec[6] = s.energy.to_string();
        rec[7] = trx(s.burned_sun);
        rec[8] = format!("{} payout(s)", s.payouts);
        let _ = w.write_record(rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The first `n` characters, with `…` when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

/// The table cells of one row: payout, batch, recipient, amount with its symbol, status (with
/// the approval weight while awaiting signatures), block.
fn table_cells(r: &ReportRow) -> [String; 6] {
    let status = match &r.approval_text {
        Some(t) if r.status == "awaiting_signature" => {
            format!(
                "awaiting_signature ({})",
                t.split(", approved").next().unwrap_or(t)
            )
        }
        _ => r.status.to_string(),
    };
    [
        cut(&r.payout_id, 24),
        cut(&r.batch, 20),
        r.to.to_base58(),
        format!("{} {}", r.amount, r.token),
        status,
        opt(r.block),
    ]
}

/// Lines padded to each column's width (amount and block right-aligned).
fn aligned(lines: &[[String; 6]]) -> Vec<String> {
    let width: Vec<usize> = (0..6)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    lines
        .iter()
        .map(|l| {
            l.iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 3 || i == 5 {
                        format!("{c:>w$}", w = width[i])
                    } else {
                        format!("{c:<w$}", w = width[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect()
}

/// The table's last line: counts by status, totals per token, TRX burned.
fn table_footer(rows: &[ReportRow]) -> String {
    let counts = counts(rows)
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sums = sums(rows);
    let totals = sums
        .iter()
        .map(|(t, s)| format!("{} {t}", format_units(s.amount, s.decimals)))
        .collect::<Vec<_>>()
        .join(" + ");
    let burned: u64 = sums.values().map(|s| s.burned_sun).sum();
    format!(
        "{} payout(s): {counts}; total {} (cancelled excluded); TRX burned {}",
        rows.len(),
        if totals.is_empty() {
            "0".into()
        } else {
            totals
        },
        trx(burned)
    )
}

/// A text table: one line per payout, its txID whole on the line below (a table row is wider
/// than a terminal and wraps; a txID on its own line is never split), then the counts by status
/// and the totals per token.
pub fn to_table(rows: &[ReportRow]) -> String {
    if rows.is_empty() {
        return "no payouts match".into();
    }
    let head = ["PAYOUT", "BATCH", "TO", "AMOUNT", "STATUS", "BLOCK"];
    let mut lines: Vec<[String; 6]> = vec![head.map(str::to_string)];
    let mut txids = vec![None];
    for r in rows {
        lines.push(table_cells(r));
        txids.push(r.txid.as_ref().map(|t| format!("    txid {t}")));
    }
    let mut out: Vec<String> = aligned(&lines)
        .into_iter()
        .zip(txids)
        .flat_map(|(row, txid)| std::iter::once(row).chain(txid))
        .collect();
    out.push(table_footer(rows));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, status: &'static str, unit: (&str, u8), base: u64) -> ReportRow {
        ReportRow {
            payout_id: id.into(),
            kind: PayoutKind::Payout,
            batch: "b".into(),
            to: Address::from_evm_bytes([7; 20]),
            token: unit.0.into(),
            approval: None,
            approval_text: None,
            amount: format_units(U256::from(base), unit.1),
            amount_base_units: U256::from(base),
            txid: None,
            block: None,
            energy_used: None,
            trx_burned: None,
            status,
            reason: None,
            recheck: None,
            attempts: 0,
            cancelled_at: None,
            cancel_reason: None,
            refusal: None,
            evidence: None,
            scanned_to: None,
            memo: None,
            imported_at: "2026-11-24T11:00:00Z".into(),
            updated_at: None,
            decimals: unit.1,
        }
    }

    #[test]
    fn times_and_totals() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_time(1_795_521_600_000), "2026-11-24T12:00:00Z");
        assert_eq!(format_time(1_795_521_600_999), "2026-11-24T12:00:00Z");
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00Z");
        let mut staking = row("s", "confirmed", ("TRX", 6), 5_000_000);
        staking.kind = PayoutKind::Staking;
        let rows = vec![
            row("a", "imported", ("USDT", 6), 1_250_500_000),
            row("b", "confirmed", ("USDT", 6), 1_000_000),
            row("c", "cancelled", ("TRX", 6), 7),
            staking,
        ];
        let tally = Tally::of_rows(&rows);
        let t = tally.totals();
        assert_eq!(t["USDT"], "1251.5 USDT");
        assert!(!t.contains_key("TRX"));
        assert_eq!(counts(&rows)["cancelled"], 1);
        assert_eq!(tally.counts, counts(&rows));
        assert_eq!(tally.payouts, 4);
    }

    #[test]
    fn a_token_is_shown_in_its_own_symbol_and_decimals() {
        let rows = vec![
            row("a", "confirmed", ("WXYZ", 18), 1_500_000_000_000_000_000),
            row("b", "confirmed", ("WXYZ", 18), 500_000_000_000_000_000),
        ];
        assert_eq!(Tally::of_rows(&rows).totals()["WXYZ"], "2 WXYZ");
        let table = to_table(&rows);
        assert!(table.contains("1.5 WXYZ"), "{table}");
        assert!(table.contains("total 2 WXYZ"), "{table}");
        let csv = to_csv(&rows);
        assert!(csv.contains("TOTAL,,WXYZ,2,"), "{csv}");
        let other = Address::from_evm_bytes([7; 20]);
        let unknown = Unit::of(PayoutKind::Payout, &Asset::Token(other), Network::Mainnet);
        assert_eq!(
            (unknown.symbol.as_str(), unknown.decimals),
            (other.to_base58().as_str(), 0)
        );
        let usdt = Asset::Token(crate::tokens::Token::usdt(Network::Nile).contract);
        assert_eq!(
            Unit::of(PayoutKind::Payout, &usdt, Network::Nile).symbol,
            "USDT"
        );
        assert_eq!(
            Unit::of(PayoutKind::PermissionUpdate, &Asset::Trx, Network::Nile).symbol,
            "PERMISSION"
        );
    }

    #[test]
    fn trx_burned_is_summed_as_sun_and_shown_in_trx() {
        let mut a = row("a", "confirmed", ("USDT", 6), 1);
        a.trx_burned = Some(BurnedSun(1_234_567));
        let mut b = row("b", "confirmed", ("USDT", 6), 1);
        b.trx_burned = Some(BurnedSun(1));
        let rows = vec![a, b];
        assert!(to_table(&rows).ends_with("TRX burned 1.234568"));
        let csv = to_csv(&rows);
        assert!(csv.contains(",1.234567,"), "{csv}");
        let v = serde_json::to_value(&rows[0]).unwrap();
        assert_eq!(v["trx_burned"], "1.234567");
        assert_eq!(v["amount_base_units"], "1");
    }

    #[test]
    fn txids_stay_whole_and_csv_times_are_iso() {
        let txid = TxId::from_hex(&"ab".repeat(32)).unwrap();
        let mut p1 = row("p1", "confirmed", ("TRX", 6), 1_000_000);
        p1.block = Some(7);
        p1.txid = Some(txid);
        let mut p2 = row("p2", "cancelled", ("TRX", 6), 2_000_000);
        p2.cancelled_at = Some(1_795_521_600_000);
        let rows = vec![p1, p2];
        let t = to_table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[2], format!("    txid {txid}"), "{t}");
        assert_eq!(t.matches("abab").count(), 16, "the txID once, whole: {t}");
        assert!(lines.iter().all(|l| l.chars().count() <= 100), "{t}");
        let csv = to_csv(&rows);
        let p2 = csv.lines().find(|l| l.starts_with("p2,")).unwrap();
        assert!(p2.contains(",2026-11-24T12:00:00Z,"), "{p2}");
        assert!(!p2.contains("1795521600000"), "{p2}");
    }

    #[test]
    fn status_text_and_json_come_from_one_summary() {
        let mut sum = StatusSummary {
            counts: STATUSES.iter().map(|s| (*s, 0)).collect(),
            payouts: 3,
            to_rebuild: vec!["p9".into()],
            awaiting_approval: vec![Awaiting {
                payout_id: "p4".into(),
                approval: "weight 1 of 2".into(),
            }],
            permission_updates: vec![Operation {
                id: "perm-1".into(),
                status: "confirmed",
            }],
            staking: vec![],
        };
        sum.counts.insert("possibly_sent", 1);
        let text = sum.to_string();
        assert!(text.starts_with("imported             0\n"), "{text}");
        assert!(text.contains("\ntotal                3\n"), "{text}");
        assert!(
            text.contains("\n1 payout(s) can be rebuilt with `build`"),
            "{text}"
        );
        assert!(
            text.contains("\n1 payout(s) approved and possibly sent"),
            "{text}"
        );
        assert!(text.contains("\npayout p4: weight 1 of 2"), "{text}");
        assert!(
            text.ends_with("\npermission update perm-1: confirmed"),
            "{text}"
        );
        let v = serde_json::to_value(&sum).unwrap();
        assert_eq!(v["counts"]["possibly_sent"], 1);
        assert_eq!(v["awaiting_approval"][0]["payout_id"], "p4");
        assert_eq!(v["permission_updates"][0]["status"], "confirmed");
    }
}
