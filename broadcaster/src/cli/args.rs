//! The command line as clap parses it: global options and every command's arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use coldpay_shared::Network;

/// Online broadcaster for TRON payouts (USDT-TRC20 and TRX).
///
/// Flow: `accounts import-watch watch.json` once; per batch `batch import payouts.csv --from T…`,
/// `build -o request.json` (carry to the offline signer), `submit response.json`,
/// `track --follow`, `report --batch ID`. Every step is journaled: re-running a command after a
/// crash continues where it stopped and never pays twice.
#[derive(Parser)]
#[command(
    name = "coldpay-broadcaster",
    version,
    long_version = coldpay_build_info::long_version!(),
    about,
    long_about
)]
pub(crate) struct Cli {
    /// Config file (default ~/.coldpay/config.toml, written by `init`): network, nodes,
    /// api_key_env, db, max_rps, concurrency (see docs/formats.md).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Journal database (default beside the config: ~/.coldpay/journal.sqlite).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) db: Option<PathBuf>,
    /// Full node URL (repeatable: failover in order). Overrides the network preset.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) node: Vec<String>,
    /// mainnet, nile, shasta (TronGrid presets) or local (a dev node; needs --node). Required
    /// unless the config names one; never guessed.
    #[arg(long, global = true)]
    pub(crate) network: Option<Network>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Fail at once (exit 4) when another process is writing the journal, instead of waiting
    /// for it.
    #[arg(long, global = true)]
    pub(crate) no_wait: bool,
    /// Parallel node calls for independent work (lookups in build, broadcasts in submit, range
    /// fetches in track). Default: config `concurrency`, else 8.
    #[arg(long, global = true, value_name = "N")]
    pub(crate) concurrency: Option<usize>,
    /// Diagnostics on stderr: text (default) or json (one JSON object per line: time, level,
    /// command, msg, and account/batch/payout/txid/block where relevant), for a log system.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = crate::log::LogFormat::Text,
        hide_possible_values = true,
        hide_default_value = true
    )]
    pub(crate) log_format: crate::log::LogFormat,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Write a commented config file (network, nodes, API key variable) for the other
    /// commands; refuses to replace an existing one without --force.
    Init {
        /// Name of the environment variable that will hold the API key (sent as the
        /// TRON-PRO-API-KEY header), e.g. TRONGRID_API_KEY. The key itself is never written.
        #[arg(long, value_name = "VAR")]
        api_key_env: Option<String>,
        /// Replace an existing config file.
        #[arg(long)]
        force: bool,
    },
    /// Watch-only accounts from the signer.
    #[command(subcommand)]
    Accounts(AccountsCmd),
    /// TRX, USDT, energy and bandwidth of an address.
    Balance {
        /// Address (base58 or hex).
        address: String,
    },
    /// After an ALARM: record the next batch moving every remaining balance of FROM to the
    /// fresh wallet TO (tokens first; run again once they are paid for the TRX, less a stated
    /// fee reserve). Build, sign and submit each batch as usual.
    Sweep {
        /// The treasury account to empty (an imported watch-only account).
        #[arg(long, value_name = "OLD")]
        from: String,
        /// The fresh wallet (allowlisted in the signer's sealed policy).
        #[arg(long, value_name = "NEW")]
        to: String,
    },
    /// Record one payout (a batch of one).
    Pay {
        /// Sending account (must be an imported watch-only account).
        #[arg(long)]
        from: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        /// Amount in display units ("12.5").
        #[arg(long)]
        amount: String,
        /// usdt or trx.
        #[arg(long, default_value = "usdt")]
        token: String,
        /// Payout id (default: generated).
        #[arg(long)]
        payout_id: Option<String>,
        /// Memo.
        #[arg(long, default_value = "")]
        memo: String,
        /// Accept a payout that repeats another (same recipient, amount, token and memo)
        /// imported in the last 30 days.
        #[arg(long)]
        allow_duplicates: bool,
    },
    /// Payout batches.
    #[command(subcommand)]
    Batch(BatchCmd),
    /// Single payouts.
    #[command(subcommand)]
    Payout(PayoutCmd),
    /// Build unsigned transactions and write the sign request.
    Build {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Expiration after the reference block (at most 24h). Default 6h, or 12h for a
        /// permission build (several approvers take hours).
        #[arg(long)]
        expires_in: Option<String>,
        /// Build under this account permission (Permission_id: 0 owner, 2.. actives) for
        /// M-of-N approval; default: the account's `permission` in the config, else the
        /// permission the payout was last built with. The request carries the permission as
        /// the node reports it; refused if its operations do not allow the payouts.
        #[arg(long, value_name = "ID")]
        permission: Option<i32>,
        /// Output file (default stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Cap on each fee_limit, in TRX.
        #[arg(long, default_value = "100")]
        max_fee: String,
        /// Margin on the energy estimate, percent.
        #[arg(long, default_value_t = 20)]
        fee_margin: u64,
        #[command(flatten)]
        qr_out: crate::qrio::QrOutArgs,
    },
    /// Verify sign responses and broadcast the signed transactions. A transaction built with
    /// a permission (`build --permission`) collects approvals: each response's signatures are
    /// checked against the permission as the node reports it now, partial approvals are kept,
    /// and the transaction is broadcast once their weight reaches the threshold. Exit 10 when a
    /// signature is from a key outside the permission (nothing is recorded).
    Submit {
        /// Sign response files (one per approver for a multi-signature request), or `-`
        /// (omit with --qr-image or --ur: one response per run).
        response: Vec<String>,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
        /// Accept that signer KEY (base58) now answers under a new audit log (a deliberately
        /// new signer home); journaled. Without it such a response is refused (exit 8).
        #[arg(long, value_name = "KEY")]
        accept_new_audit_log: Vec<String>,
    },
    /// Follow solidified blocks and settle attempts (confirmed, failed, expired).
    Track {
        /// Keep following until nothing is pending (exit 3 at --timeout).
        #[arg(long)]
        follow: bool,
        /// Give up after this long (with --follow), e.g. 10m.
        #[arg(long, default_value = "30m")]
        timeout: String,
        /// Poll interval, e.g. 3s.
        #[arg(long, default_value = "3s")]
        poll: String,
        /// Scan verified solidified blocks again from this block (for every live attempt, and
        /// expired ones: an expired attempt found on chain is settled and reported).
        #[arg(long, value_name = "FROM_BLOCK")]
        rescan: Option<u64>,
        /// Write metrics in the Prometheus text format to PATH after each pass (atomically;
        /// for node_exporter's textfile collector; see docs/formats.md "Metrics").
        #[arg(long, value_name = "PATH")]
        metrics_file: Option<PathBuf>,
    },
    /// Payout counts by status.
    Status {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
    },
    /// One row per payout: id, batch, to, amount, txID, block, energy, TRX burned, status,
    /// reason, memo, times; every batch unless --batch.
    Report {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Only payouts imported since a UTC date or time (2026-11-01, 2026-11-01T10:00:00Z) or
        /// a span back from now (7d, 12h).
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only these statuses, comma-separated (imported, awaiting_signature, signed,
        /// broadcast, included, confirmed, failed, expired, cancelled).
        #[arg(long, value_name = "STATUS[,STATUS…]")]
        status: Option<String>,
        /// text (a table; the default), csv (with a TOTAL row per token) or json (the default
        /// with --json).
        #[arg(long, value_parser = ["text", "csv", "json"])]
        format: Option<String>,
    },
    /// Follow verified solidified blocks and record every TRX / USDT transfer in and out of the
    /// treasury accounts once (durable cursor per account); alarm on outgoing transactions
    /// coldpay did not make (exit 7 without --follow).
    Watch {
        /// Accounts to watch, as with `balance ADDRESS` (default: every imported watch-only
        /// account).
        #[arg(value_name = "ADDRESS")]
        addresses: Vec<String>,
        /// Account to watch (repeatable; the same as the positional ADDRESS).
        #[arg(long)]
        address: Vec<String>,
        /// First block for accounts without a cursor (default: the solidified head), or a
        /// rescan from this block (nothing is recorded twice).
        #[arg(long)]
        from_block: Option<u64>,
        /// Keep following new blocks with the same cursor.
        #[arg(long, conflicts_with = "once")]
        follow: bool,
        /// One pass up to the solidified head (the default); exit 7 if an alarm was raised.
        #[arg(long)]
        once: bool,
        /// Command run (sh -c) once per alarm, with the transfer as JSON on stdin.
        #[arg(long, value_name = "CMD")]
        on_alarm: Option<String>,
        /// Pause between passes with --follow, e.g. 3s.
        #[arg(long, default_value = "3s")]
        poll: String,
        /// Write metrics in the Prometheus text format to PATH after each pass (atomically;
        /// for node_exporter's textfile collector; see docs/formats.md "Metrics").
        #[arg(long, value_name = "PATH")]
        metrics_file: Option<PathBuf>,
    },
    /// Transfers recorded by `watch`.
    #[command(subcommand)]
    Transfers(TransfersCmd),
    /// Alarms `watch` raised: each stays open (and `watch --once` exits 7) until acknowledged.
    #[command(subcommand)]
    Alarms(AlarmsCmd),
    /// Per account and token: opening + in − out − fees burned = closing balance; every payout,
    /// every incoming transfer, every discrepancy named (exit 9 when any).
    Reconcile {
        /// Period start: 2026-12-01 (midnight UTC), 2026-12-01T08:00:00Z, or 30days (back from now).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Period end: a date includes that whole day (UTC); a time is taken as given.
        #[arg(long, value_name = "DATE")]
        to: String,
        /// Account (repeatable; default: every imported watch-only account).
        #[arg(long)]
        address: Vec<String>,
        /// text, csv or json.
        #[arg(long, default_value = "text")]
        format: String,
        /// The signer's audit export (`coldpay-signer audit export`): every txID it signed must
        /// be accounted for, and the audit heads the sign responses carried must be its lines.
        #[arg(long, value_name = "FILE")]
        audit: Option<PathBuf>,
    },
    /// Stake TRX of a treasury account for energy or bandwidth (FreezeBalanceV2): checked
    /// against the account's free TRX, journaled and written as a sign request; `submit` and
    /// `track` finish it like a payout, once.
    Stake(crate::staking::stake_cmd::AmountArgs),
    /// Start unstaking staked TRX (UnfreezeBalanceV2); it can be withdrawn after the chain's
    /// unstaking delay (14 days on mainnet) with `withdraw-unstaked`.
    Unstake(crate::staking::stake_cmd::AmountArgs),
    /// Move every unstaked amount whose delay has passed back to the free balance
    /// (WithdrawExpireUnfreeze); refused, saying when, while nothing is withdrawable.
    WithdrawUnstaked(crate::staking::stake_cmd::OwnerArgs),
    /// Lend the energy or bandwidth of staked TRX to another account (DelegateResource),
    /// optionally locked.
    Delegate(crate::staking::stake_cmd::DelegateArgs),
    /// Take back delegated energy or bandwidth (UnDelegateResource); refused while locked.
    Undelegate(crate::staking::stake_cmd::DelegateArgs),
    /// Cancel every pending unstake (CancelAllUnfreezeV2): waiting amounts are staked again,
    /// expired ones withdrawn.
    CancelUnstake(crate::staking::stake_cmd::OwnerArgs),
    /// Work with single transactions.
    #[command(subcommand)]
    Tx(TxCmd),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
pub(crate) enum TransfersCmd {
    /// Recorded transfers since a time, in chain order.
    List {
        /// 2026-12-01, 2026-12-01T08:00:00Z, or a duration back from now (24h).
        #[arg(long, default_value = "30days")]
        since: String,
        /// Only this account.
        #[arg(long)]
        address: Option<String>,
        /// text, csv or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum AlarmsCmd {
    /// Open alarms (with --all, acknowledged ones too), oldest first.
    List {
        /// Acknowledged alarms too.
        #[arg(long)]
        all: bool,
    },
    /// Acknowledge an alarm once it was investigated; the note and the time are journaled and
    /// never changed.
    Ack {
        /// Alarm id (from `alarms list`).
        id: i64,
        /// What was found (journaled with the alarm).
        #[arg(long)]
        note: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum AccountsCmd {
    /// Import the signer's watch-only export (`coldpay-signer keys export-watch`).
    ImportWatch {
        /// Export file (omit with --qr-image or --ur).
        file: Option<PathBuf>,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
    },
    /// List imported accounts.
    List,
    /// An account's owner and active permissions as the node reports them: threshold, keys
    /// with weights, operations by name.
    Permissions {
        /// Address (base58 or hex).
        address: String,
    },
    /// Add or replace an active permission (M-of-N approval, e.g. `--name payouts
    /// --threshold 2 --key T…=1 --key T…=1 --key T…=1 --operations trx,trc20`), optionally
    /// changing the owner: reads the current permissions, builds the full
    /// AccountPermissionUpdateContract (fee getUpdateAccountPermissionFee, 100 TRX by
    /// default), journals it and writes the sign request for the owner key(s).
    SetPermission(Box<crate::multisig::permission_cmd::SetPermissionArgs>),
}

#[derive(Subcommand)]
pub(crate) enum BatchCmd {
    /// Import payouts from CSV (payout_id,to,amount[,token][,memo]); all or nothing.
    Import {
        /// CSV file.
        file: PathBuf,
        /// Sending account.
        #[arg(long)]
        from: String,
        /// Batch id (default: the file name and time).
        #[arg(long)]
        batch_id: Option<String>,
        /// Add the rows to the existing batch --batch-id of the same sender (e.g. a corrected
        /// payout under a new payout id) instead of creating a batch.
        #[arg(long, requires = "batch_id")]
        append: bool,
        /// Accept rows that repeat another payout (same recipient, amount, token and memo) in
        /// the file or imported in the last 30 days; the signer shows them as duplicates.
        #[arg(long)]
        allow_duplicates: bool,
    },
    /// Every batch: id, sender, network, created, payout counts by status, totals per token.
    List,
    /// One batch: its header and one line per payout with its status.
    Show {
        /// Batch id.
        id: String,
    },
    /// Cancel every payout of a batch that has no live attempt and is not confirmed, so
    /// `build` skips them. If any payout cannot be cancelled, nothing is cancelled (exit 2)
    /// unless --partial.
    Cancel {
        /// Batch id.
        id: String,
        /// Why (kept in the journal and shown by `report`).
        #[arg(long)]
        reason: Option<String>,
        /// Cancel the cancellable payouts and list the others (exit 0).
        #[arg(long)]
        partial: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum PayoutCmd {
    /// Cancel payouts that have no live attempt and are not confirmed, so `build` skips them;
    /// all or nothing (exit 2 naming each payout that cannot be cancelled).
    Cancel {
        /// Payout ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Why (kept in the journal and shown by `report`).
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum TxCmd {
    /// Decode a sign request, TronWeb transaction (or array) or raw_data hex; same output as
    /// `coldpay-signer inspect`.
    Decode {
        /// Input file, or `-` for stdin.
        input: String,
    },
}
