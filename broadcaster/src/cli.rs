//! Command-line interface: arguments, configuration and dispatch.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use coldpay_shared::amount::format_units;
use coldpay_shared::handoff::WatchExport;
use coldpay_shared::{Address, Network, SignResponse, U256};
use serde_json::{json, Value};

use crate::build::{build, write_request, BuildOpts};
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::node::{preset_url, Node, NodeOpts};
use crate::payouts::{
    accounts, import_watch, insert_batch, read_csv, require_account, totals, usdt_contract,
    validate,
};
use crate::report::{rows, to_csv};

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
struct Cli {
    /// Config file (default ~/.coldpay/config.toml, written by `init`): network, nodes,
    /// api_key_env, db, max_rps, concurrency (see docs/formats.md).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Journal database (default beside the config: ~/.coldpay/journal.sqlite).
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Full node URL (repeatable: failover in order). Overrides the network preset.
    #[arg(long, global = true, value_name = "URL")]
    node: Vec<String>,
    /// mainnet, nile, shasta (TronGrid presets) or local (a dev node; needs --node). Required
    /// unless the config names one; never guessed.
    #[arg(long, global = true)]
    network: Option<Network>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Fail at once (exit 4) when another process is writing the journal, instead of waiting
    /// for it.
    #[arg(long, global = true)]
    no_wait: bool,
    /// Parallel node calls for independent work (lookups in build, broadcasts in submit, range
    /// fetches in track). Default: config `concurrency`, else 8.
    #[arg(long, global = true, value_name = "N")]
    concurrency: Option<usize>,
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
    log_format: crate::log::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    Stake(crate::stake_cmd::AmountArgs),
    /// Start unstaking staked TRX (UnfreezeBalanceV2); it can be withdrawn after the chain's
    /// unstaking delay (14 days on mainnet) with `withdraw-unstaked`.
    Unstake(crate::stake_cmd::AmountArgs),
    /// Move every unstaked amount whose delay has passed back to the free balance
    /// (WithdrawExpireUnfreeze); refused, saying when, while nothing is withdrawable.
    WithdrawUnstaked(crate::stake_cmd::OwnerArgs),
    /// Lend the energy or bandwidth of staked TRX to another account (DelegateResource),
    /// optionally locked.
    Delegate(crate::stake_cmd::DelegateArgs),
    /// Take back delegated energy or bandwidth (UnDelegateResource); refused while locked.
    Undelegate(crate::stake_cmd::DelegateArgs),
    /// Cancel every pending unstake (CancelAllUnfreezeV2): waiting amounts are staked again,
    /// expired ones withdrawn.
    CancelUnstake(crate::stake_cmd::OwnerArgs),
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
enum TransfersCmd {
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
enum AlarmsCmd {
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
enum AccountsCmd {
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
    SetPermission(Box<crate::permission_cmd::SetPermissionArgs>),
}

#[derive(Subcommand)]
enum BatchCmd {
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
enum PayoutCmd {
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
enum TxCmd {
    /// Decode a sign request, TronWeb transaction (or array) or raw_data hex; same output as
    /// `coldpay-signer inspect`.
    Decode {
        /// Input file, or `-` for stdin.
        input: String,
    },
}

struct Ctx {
    network: Network,
    /// Where the network came from (`--network` or the config file), for the first line.
    network_from: String,
    /// Why the API key the config points to is missing (reported when a node is used).
    api_key_problem: Option<String>,
    db: PathBuf,
    nodes: Vec<String>,
    api_key: Option<String>,
    json: bool,
    max_rps: Option<f64>,
    concurrency: usize,
    /// Per-account default Permission_id (config `[accounts.T…] permission`).
    account_permissions: std::collections::HashMap<Address, i32>,
    /// The registered tokens with the config's energy bands.
    tokens: Vec<crate::tokens::Token>,
    /// Time and size limits of node requests (config `[http]`).
    http: crate::node::HttpLimits,
}

fn read_text(path: &str) -> Result<String> {
    let mut s = String::new();
    let r = if path == "-" {
        std::io::stdin().read_to_string(&mut s).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| s = t)
    };
    r.map_err(|e| BcError::Input(format!("cannot read {path}: {e}")))?;
    Ok(s)
}

/// Reads one sign response file (or `-`).
fn read_response(path: &str) -> Result<SignResponse> {
    let text = read_text(path)?;
    let v: Value = coldpay_shared::strict_json::parse(&text)
        .map_err(|e| BcError::Input(format!("{path}: not JSON: {e}")))?;
    SignResponse::from_json(&v).map_err(|e| BcError::Input(format!("{path}: {e}")))
}

fn ctx(cli: &Cli) -> Result<Ctx> {
    let (cfg_path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (crate::config::default_path(), false),
    };
    let cfg = crate::config::load(&cfg_path, explicit)?;
    let (network, network_from) = match (cli.network, cfg.network) {
        (Some(n), _) => (n, "--network".to_string()),
        (None, Some(n)) => (n, format!("config {}", cfg_path.display())),
        (None, None) => {
            return Err(BcError::Input(format!(
                "no network chosen: pass --network mainnet|nile|shasta|local, or write a config with `coldpay-broadcaster init --network …` ({} names none)",
                cfg_path.display()
            )))
        }
    };
    for n in &cli.node {
        crate::config::check_node_url(n).map_err(|e| BcError::Input(format!("--node: {e}")))?;
    }
    let mut nodes = if cli.node.is_empty() {
        cfg.nodes.clone()
    } else {
        cli.node.clone()
    };
    if nodes.is_empty() {
        if let Some(u) = preset_url(network.as_str()) {
            nodes.push(u.to_string());
        }
    }
    let db = cli.db.clone().or(cfg.db.clone()).unwrap_or_else(|| {
        cfg_path
            .parent()
            .unwrap_or(Path::new("."))
            .join("journal.sqlite")
    });
    let (api_key, api_key_problem) = match crate::config::api_key(&cfg) {
        Ok(k) => (k, None),
        Err(why) => (None, Some(why)),
    };
    if cfg.max_rps.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err(BcError::Input(format!(
            "{}: max_rps must be a positive number",
            cfg_path.display()
        )));
    }
    let concurrency = cli.concurrency.or(cfg.concurrency).unwrap_or(8);
    if concurrency == 0 || concurrency > 64 {
        return Err(BcError::Input("--concurrency must be 1..=64".into()));
    }
    Ok(Ctx {
        network,
        network_from,
        api_key_problem,
        db,
        nodes,
        api_key,
        json: cli.json,
        max_rps: cfg.max_rps,
        concurrency,
        account_permissions: cfg.account_permissions()?,
        tokens: crate::tokens::configured(network.as_str(), &cfg.tokens)
            .map_err(|e| BcError::Input(format!("config {}: {e}", cfg_path.display())))?,
        http: cfg
            .http
            .limits()
            .map_err(|e| BcError::Input(format!("config {}: {e}", cfg_path.display())))?,
    })
}

/// Commands that never contact a node (their first line names no node).
fn offline(command: &Command) -> bool {
    matches!(
        command,
        Command::Status { .. }
            | Command::Report { .. }
            | Command::Batch(_)
            | Command::Payout(_)
            | Command::Accounts(AccountsCmd::List | AccountsCmd::ImportWatch { .. })
            | Command::Pay { .. }
    )
}

/// The first line of human output (stderr, so stdout stays data): the network, where that
/// came from, the node(s) and the journal.
fn announce(c: &Ctx, command: &Command) {
    if c.json {
        return;
    }
    let nodes = if offline(command) {
        String::new()
    } else {
        format!(" · node {}", c.nodes.join(", "))
    };
    crate::log::info(&format!(
        "network {} ({}){nodes} · journal {}",
        c.network,
        c.network_from,
        c.db.display()
    ));
}

/// `init`: writes the commented config file.
fn run_init(cli: &Cli, api_key_env: Option<String>, force: bool) -> Result<()> {
    let network = cli
        .network
        .ok_or_else(|| BcError::Input("init needs --network mainnet|nile|shasta|local".into()))?;
    let path = cli
        .config
        .clone()
        .unwrap_or_else(crate::config::default_path);
    let text = crate::config::render(&crate::config::InitOpts {
        network,
        nodes: cli.node.clone(),
        api_key_env: api_key_env.clone(),
    })?;
    crate::config::write(&path, &text, force)?;
    let mut msg = format!("wrote {} (network {network})", path.display());
    match (&api_key_env, crate::node::preset_url(network.as_str())) {
        (Some(var), _) => msg.push_str(&format!(
            "\nset the API key in the environment before each run: export {var}=…"
        )),
        (None, Some(_)) => msg.push_str(
            "\nno API key configured: TronGrid throttles keyless clients; rerun with --api-key-env VAR --force, or set TRON_PRO_API_KEY",
        ),
        (None, None) => {}
    }
    if cli.json {
        println!(
            "{}",
            json!({"config": path, "network": network, "api_key_env": api_key_env})
        );
    } else {
        println!("{msg}");
    }
    Ok(())
}

fn parse_duration(s: &str, what: &str) -> Result<Duration> {
    humantime::parse_duration(s).map_err(|e| BcError::Input(format!("{what} {s:?}: {e}")))
}

fn bar(len: u64, json: bool) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// A spinner with a message, for work of unknown length (`track`): no bar, no `0/0`.
fn spinner(json: bool) -> indicatif::ProgressBar {
    if json || crate::log::json() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new_spinner();
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    b.enable_steady_tick(Duration::from_millis(200));
    b
}

/// The progress line of a `track` pass.
fn track_line(p: &crate::track::TrackPass, total: &crate::track::TrackPass) -> String {
    let to_go = p.scanned_to.map_or(String::new(), |s| {
        format!(", {} block(s) to go", p.solid_block.saturating_sub(s))
    });
    format!(
        "solid block {}: {} pending{to_go} — {} confirmed, {} failed, {} expired so far",
        p.solid_block, p.pending, total.confirmed, total.failed, total.expired
    )
}

fn print(ctx: &Ctx, v: &Value, text: &str) {
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(v).expect("json"));
    } else if crate::log::json() {
        if !text.is_empty() {
            crate::log::info(text);
        }
    } else {
        println!("{text}");
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(
            *shell,
            &mut command(),
            "coldpay-broadcaster",
            &mut std::io::stdout(),
        );
        return Ok(());
    }
    if let Command::Tx(TxCmd::Decode { input }) = &cli.command {
        print!("{}", decode(input, cli.json)?);
        return Ok(());
    }
    if let Command::Init { api_key_env, force } = &cli.command {
        return run_init(&cli, api_key_env.clone(), *force);
    }
    let c = ctx(&cli)?;
    announce(&c, &cli.command);
    let journal = open_journal(&c, &cli.command, cli.no_wait)?;
    let node = || make_node(&c, &journal);
    match cli.command {
        Command::Tx(_) | Command::Completions { .. } | Command::Init { .. } => {
            unreachable!("handled above")
        }
        Command::Accounts(AccountsCmd::ImportWatch { file, qr_in }) => {
            let w = if qr_in.any() {
                let d = qr_in.read_message(&[coldpay_shared::urframe::UrKind::Watch])?;
                let w = coldpay_shared::compact::decode_watch(&d.payload)?;
                eprintln!(
                    "{}",
                    d.summary(&crate::qrio::watch_what(&w), qr_in.source_noun())
                );
                w
            } else {
                let file = file.ok_or_else(|| {
                    BcError::Input("give the export FILE, --qr-image FILE… or --ur".into())
                })?;
                let text = read_text(&file.to_string_lossy())?;
                let v: Value = coldpay_shared::strict_json::parse(&text)
                    .map_err(|e| BcError::Input(format!("{}: {e}", file.display())))?;
                WatchExport::from_json(&v)?
            };
            if w.network != c.network {
                return Err(BcError::Input(format!(
                    "watch-only export is for {}, this broadcaster runs {}",
                    w.network, c.network
                )));
            }
            if let Some(a) = &w.approver_for {
                let n = node()?;
                let (v, text) = crate::permission_cmd::import_approvers(&journal, &n, &w, a)?;
                print(&c, &v, &text);
                return Ok(());
            }
            let n = import_watch(&journal, &w)?;
            print(
                &c,
                &json!({"imported": n, "accounts": w.accounts}),
                &format!("imported {n} account(s)"),
            );
        }
        Command::Accounts(AccountsCmd::List) => {
            let a = accounts(&journal)?;
            let v: Vec<Value> = a
                .iter()
                .map(|(ad, n, p, net)| json!({"address": ad, "name": n, "path": p, "network": net}))
                .collect();
            let text = a
                .iter()
                .map(|(ad, n, p, net)| {
                    format!("{n:<20} {ad} {} ({net})", p.as_deref().unwrap_or("raw key"))
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(
                &c,
                &json!(v),
                if text.is_empty() {
                    "no accounts (import the signer's watch-only export)"
                } else {
                    &text
                },
            );
        }
        Command::Accounts(AccountsCmd::Permissions { address }) => {
            let n = node()?;
            let (v, text) = crate::permission_cmd::show(&journal, &n, &address)?;
            print(&c, &v, &text);
        }
        Command::Accounts(AccountsCmd::SetPermission(args)) => {
            let n = node()?;
            let ms = parse_duration(&args.expires_in, "--expires-in")?.as_millis() as u64;
            let r = crate::permission_cmd::set(&journal, &n, c.network, &args, ms);
            remember_genesis(&c, &journal, &n)?;
            let (v, text, out) = r?;
            if !c.json {
                eprintln!("{text}");
            }
            emit_request(&out.request, args.output.as_deref(), &args.qr_out)?;
            if args.output.is_some() {
                print(
                    &c,
                    &v,
                    &format!(
                        "written to {}",
                        args.output
                            .as_deref()
                            .map_or(String::new(), |p| p.display().to_string())
                    ),
                );
            }
        }
        Command::Stake(a) => stake(&c, &journal, &node()?, crate::stake_cmd::StakeOp::Stake(a))?,
        Command::Unstake(a) => {
            stake(
                &c,
                &journal,
                &node()?,
                crate::stake_cmd::StakeOp::Unstake(a),
            )?;
        }
        Command::WithdrawUnstaked(a) => {
            stake(
                &c,
                &journal,
                &node()?,
                crate::stake_cmd::StakeOp::Withdraw(a),
            )?;
        }
        Command::Delegate(a) => {
            stake(
                &c,
                &journal,
                &node()?,
                crate::stake_cmd::StakeOp::Delegate(a),
            )?;
        }
        Command::Undelegate(a) => {
            stake(
                &c,
                &journal,
                &node()?,
                crate::stake_cmd::StakeOp::Undelegate(a),
            )?;
        }
        Command::CancelUnstake(a) => {
            stake(&c, &journal, &node()?, crate::stake_cmd::StakeOp::Cancel(a))?;
        }
        Command::Balance { address } => {
            let a = Address::parse(&address)?;
            let n = node()?;
            let trx = n.trx_balance(&a)?;
            let usdt = n.token_balance(&usdt_contract(c.network.as_str()), &a)?;
            let r = n.resources(&a)?;
            let energy = r.energy_limit.saturating_sub(r.energy_used);
            let bandwidth = r.free_net_limit.saturating_sub(r.free_net_used)
                + r.net_limit.saturating_sub(r.net_used);
            let stake = crate::stake_view::Stake::read(&n, &a, &r)?;
            let mut v = json!({"address": a, "trx_sun": trx, "trx": format_units(U256::from(trx), 6), "usdt_base_units": usdt.to_string(), "usdt": format_units(usdt, 6), "energy_available": energy, "bandwidth_available": bandwidth});
            stake.add_json(&mut v);
            print(&c, &v, &format!("{a}\n  TRX        {}\n  USDT       {}\n  energy     {energy}\n  bandwidth  {bandwidth}\n{}", format_units(U256::from(trx), 6), format_units(usdt, 6), stake.text()));
        }
        Command::Sweep { from, to } => {
            let from = Address::parse(&from)?;
            let to = Address::parse(&to)?;
            require_account(&journal, &from, c.network)?;
            let n = node()?;
            let multisig = c.account_permissions.contains_key(&from);
            let s = crate::sweep::sweep(&journal, &n, &c.tokens, &from, &to, multisig)?;
            let mut text = match &s.batch {
                Some(b) => format!("recorded sweep batch {b} ({} stage):", s.stage),
                None => String::new(),
            };
            for p in &s.payouts {
                text.push_str(&format!("\n  {p} to {to}"));
            }
            if s.batch.is_some() {
                text.push('\n');
            }
            text.push_str(&format!("next: {}", s.next));
            print(&c, &serde_json::to_value(&s).expect("json"), &text);
        }
        Command::Pay {
            from,
            to,
            amount,
            token,
            payout_id,
            memo,
            allow_duplicates,
        } => {
            let from = Address::parse(&from)?;
            require_account(&journal, &from, c.network)?;
            let id = payout_id.unwrap_or_else(|| format!("pay-{}", crate::journal::now_ms()));
            let p = validate(
                0,
                &id,
                &to,
                &amount,
                &token,
                &memo,
                &from,
                c.network.as_str(),
            )
            .map_err(BcError::Input)?;
            if journal.payout(&id)?.is_some() {
                return Err(BcError::Input(format!("payout id {id:?} already exists")));
            }
            let dups = crate::payouts::find_duplicates(&journal, std::slice::from_ref(&p))?;
            refuse_duplicates(&dups, allow_duplicates, "payout not recorded")?;
            insert_batch(&journal, &id, &from, c.network, std::slice::from_ref(&p))?;
            print(
                &c,
                &json!({"batch": id, "payout_id": id}),
                &format!("recorded payout {id} (batch {id}); next: build --batch {id}"),
            );
        }
        Command::Batch(BatchCmd::Import {
            file,
            from,
            batch_id,
            append,
            allow_duplicates,
        }) => {
            let from = Address::parse(&from)?;
            require_account(&journal, &from, c.network)?;
            let payouts = read_csv(&file, &from, c.network.as_str(), &journal)?;
            let dups = crate::payouts::find_duplicates(&journal, &payouts)?;
            refuse_duplicates(
                &dups,
                allow_duplicates,
                &format!("{}: nothing imported", file.display()),
            )?;
            let id = batch_id.unwrap_or_else(|| {
                format!(
                    "{}-{}",
                    file.file_stem()
                        .map_or("batch".into(), |s| s.to_string_lossy().into_owned()),
                    crate::journal::now_ms()
                )
            });
            if append {
                crate::payouts::append_to_batch(&journal, &id, &from, c.network, &payouts)?;
            } else {
                insert_batch(&journal, &id, &from, c.network, &payouts)?;
            }
            let t = totals(&payouts);
            let mut text = format!(
                "{} batch {id}: {} payout(s)\n{}",
                if append { "added to" } else { "imported" },
                payouts.len(),
                t.iter()
                    .map(|(tok, v, n)| format!("  {v} {tok} in {n} payout(s)"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            for d in &dups {
                text.push_str(&format!("\n  accepted duplicate: {d}"));
            }
            print(
                &c,
                &json!({"batch": id, "payouts": payouts.len(), "totals": t.iter().map(|(tok, v, n)| json!({"token": tok, "amount": v, "count": n})).collect::<Vec<_>>(), "duplicates": dups}),
                &text,
            );
        }
        Command::Build {
            batch,
            expires_in,
            permission,
            output,
            max_fee,
            fee_margin,
            qr_out,
        } => {
            let max_fee_sun = coldpay_shared::Sun::parse_trx(&max_fee)
                .map_err(|e| BcError::Input(format!("--max-fee: {e}")))?
                .as_u64();
            let opts = BuildOpts {
                batch,
                expires_in_ms: expires_in
                    .map(|e| parse_duration(&e, "--expires-in").map(|d| d.as_millis() as u64))
                    .transpose()?,
                permission,
                account_permissions: c.account_permissions.clone(),
                max_fee_sun,
                margin_pct: fee_margin,
                network: c.network,
                tokens: c.tokens.clone(),
            };
            let n = node()?;
            let outcome = build(&journal, &n, &opts, &bar(0, c.json));
            remember_genesis(&c, &journal, &n)?;
            report_build(&c, outcome?, output.as_deref(), &qr_out)?;
        }
        Command::Submit {
            response,
            qr_in,
            accept_new_audit_log,
        } => {
            let resp = if qr_in.any() {
                if !response.is_empty() {
                    return Err(BcError::Input(
                        "give response files or QR input (--qr-image / --ur), not both".into(),
                    ));
                }
                let d = qr_in.read_message(&[coldpay_shared::urframe::UrKind::Response])?;
                let lookup =
                    |prefix: &[u8]| journal.attempts_by_txid_prefix(prefix).unwrap_or_default();
                let r = coldpay_shared::compact::decode_response(&d.payload, &lookup)?;
                let what = format!(
                    "sign response to request {} ({} transaction(s))",
                    r.request_id,
                    r.transactions.len()
                );
                eprintln!("{}", d.summary(&what, qr_in.source_noun()));
                vec![r]
            } else {
                if response.is_empty() {
                    return Err(BcError::Input(
                        "give a RESPONSE file (or -), --qr-image FILE… or --ur".into(),
                    ));
                }
                response
                    .iter()
                    .map(|r| read_response(r))
                    .collect::<Result<Vec<_>>>()?
            };
            let n = node()?;
            let accept = accept_new_audit_log
                .iter()
                .map(|k| Ok(coldpay_shared::Address::parse(k)?.to_base58()))
                .collect::<Result<Vec<_>>>()?;
            let s = crate::submit::submit(&journal, &n, &resp, &accept, &bar(0, c.json));
            remember_genesis(&c, &journal, &n)?;
            report_submit(&c, &journal, &s?)?;
        }
        Command::Track {
            follow,
            timeout,
            poll,
            rescan,
            metrics_file,
        } => {
            let n = node()?;
            let deadline = Instant::now() + parse_duration(&timeout, "--timeout")?;
            let poll = parse_duration(&poll, "--poll")?;
            n.set_deadline(Some(deadline));
            let how = TrackHow {
                follow,
                deadline,
                poll,
                rescan,
                metrics_file,
            };
            let r = run_track(&c, &journal, &n, &how);
            remember_genesis(&c, &journal, &n)?;
            r?;
        }
        Command::Status { batch } => {
            if let Some(b) = &batch {
                if journal.batch(b)?.is_none() {
                    return Err(BcError::Input(format!("no batch {b:?}")));
                }
            }
            // Permission updates are journaled like payouts but are not payouts: counted apart.
            let sum = crate::report::status_summary(&journal, batch.as_deref())?;
            let counts = &sum.counts;
            let rebuild = &sum.to_rebuild;
            let text = crate::report::STATUSES
                .iter()
                .map(|k| format!("{k:<20} {}", counts[k]))
                .collect::<Vec<_>>()
                .join("\n")
                + &format!("\n{:<20} {}", "total", sum.payouts)
                + &if rebuild.is_empty() {
                    String::new()
                } else {
                    format!("\n{} payout(s) can be rebuilt with `build`", rebuild.len())
                };
            let text = if counts["possibly_sent"] > 0 {
                format!(
                    "{text}\n{} payout(s) approved and possibly sent by an interrupted run: re-run `submit` (any response) or `track`; each txID is included at most once",
                    counts["possibly_sent"]
                )
            } else {
                text
            };
            let text = sum
                .awaiting_approval
                .iter()
                .fold(text, |t, (id, a)| format!("{t}\npayout {id}: {a}"));
            let text = sum.permission_updates.iter().fold(text, |t, (id, status)| {
                format!("{t}\npermission update {id}: {status}")
            });
            let text = sum.staking.iter().fold(text, |t, (id, status)| {
                format!("{t}\nstaking operation {id}: {status}")
            });
            let staking: Vec<Value> = sum
                .staking
                .iter()
                .map(|(id, status)| json!({"id": id, "status": status}))
                .collect();
            let updates: Vec<Value> = sum
                .permission_updates
                .iter()
                .map(|(id, status)| json!({"id": id, "status": status}))
                .collect();
            let awaiting: Vec<Value> = sum
                .awaiting_approval
                .iter()
                .map(|(id, a)| json!({"payout_id": id, "approval": a}))
                .collect();
            let policies = crate::journal::signer_policies::current(&journal.conn)?;
            let text = policies.iter().fold(text, |t, (k, seq, d)| {
                format!(
                    "{t}
signer {k}: sealed policy seq {seq} (sha256 {d})"
                )
            });
            let policies: Vec<Value> = policies
                .iter()
                .map(|(k, seq, d)| json!({"signer": k, "seq": seq, "digest": d}))
                .collect();
            print(
                &c,
                &json!({"counts": counts, "payouts": sum.payouts, "to_rebuild": rebuild, "awaiting_approval": awaiting, "permission_updates": updates, "staking": staking, "signer_policies": policies}),
                &text,
            );
        }
        Command::Batch(BatchCmd::List) => {
            let all = crate::report::batch_summaries(&journal)?;
            let text = if all.is_empty() {
                "no batches (import one with `batch import FILE --from T…`)".to_string()
            } else {
                all.iter()
                    .map(crate::report::batch_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            print(&c, &json!(all), &text);
        }
        Command::Batch(BatchCmd::Show { id }) => {
            let b = journal
                .batch(&id)?
                .ok_or_else(|| BcError::Input(format!("no batch {id:?}")))?;
            let r = rows(&journal, Some(&id))?;
            let mut v = crate::report::batch_summary(&b, &crate::report::Tally::of_rows(&r));
            let mut text = crate::report::batch_line(&v);
            for row in &r {
                text.push_str(&batch_show_row(row));
            }
            v["rows"] = json!(r);
            print(&c, &v, &text);
        }
        Command::Batch(BatchCmd::Cancel {
            id,
            reason,
            partial,
        }) => {
            if journal.batch(&id)?.is_none() {
                return Err(BcError::Input(format!("no batch {id:?}")));
            }
            let ids: Vec<String> = journal
                .payouts(Some(&id))?
                .into_iter()
                .map(|p| p.id)
                .collect();
            let o = journal
                .cancel(&ids, reason.as_deref(), partial)
                .map_err(|e| match e {
                    BcError::Input(m) => BcError::Input(format!(
                        "batch {id}: {m} (cancel the others with --partial)"
                    )),
                    e => e,
                })?;
            print_cancel(&c, &o);
        }
        Command::Payout(PayoutCmd::Cancel { ids, reason }) => {
            let o = journal.cancel(&ids, reason.as_deref(), false)?;
            print_cancel(&c, &o);
        }
        Command::Report {
            batch,
            since,
            status,
            format,
        } => {
            if let Some(b) = &batch {
                if journal.batch(b)?.is_none() {
                    return Err(BcError::Input(format!("no batch {b:?}")));
                }
            }
            let filter = crate::report::Filter {
                batch,
                since_ms: since
                    .map(|s| crate::report::Filter::parse_since(&s, crate::journal::now_ms()))
                    .transpose()?,
                statuses: status
                    .map(|s| crate::report::Filter::parse_statuses(&s))
                    .transpose()?
                    .unwrap_or_default(),
            };
            let r = crate::report::select(&journal, &filter)?;
            let format = format.unwrap_or_else(|| if c.json { "json" } else { "text" }.into());
            match format.as_str() {
                "csv" => print!("{}", to_csv(&r)),
                "json" => println!("{}", serde_json::to_string_pretty(&r).expect("json")),
                _ => println!("{}", crate::report::to_table(&r)),
            }
        }
        Command::Watch {
            mut addresses,
            address,
            from_block,
            follow,
            once: _,
            on_alarm,
            poll,
            metrics_file,
        } => {
            let opts = crate::watch::RunOpts {
                follow,
                from_block,
                on_alarm,
                json: c.json,
                poll: crate::watch_cmd::poll(&poll)?,
                metrics_file,
            };
            addresses.extend(address);
            let n = node()?;
            let r = crate::watch_cmd::watch(&journal, &n, c.network.as_str(), &addresses, &opts);
            remember_genesis(&c, &journal, &n)?;
            r?;
        }
        Command::Transfers(TransfersCmd::List {
            since,
            address,
            format,
        }) => crate::watch_cmd::list(
            &journal,
            c.network.as_str(),
            &since,
            address.as_deref(),
            &format,
        )?,
        Command::Alarms(AlarmsCmd::List { all }) => {
            let rows = crate::alarms::list(&journal.conn, !all)?;
            let text = if rows.is_empty() {
                if all { "no alarms" } else { "no open alarms" }.to_string()
            } else {
                rows.iter().map(alarm_line).collect::<Vec<_>>().join("\n")
            };
            print(&c, &serde_json::to_value(&rows).expect("json"), &text);
        }
        Command::Alarms(AlarmsCmd::Ack { id, note }) => {
            let row = crate::alarms::ack(&journal.conn, id, &note)?;
            let open = crate::alarms::open_count(&journal.conn)?;
            print(
                &c,
                &json!({"acknowledged": row, "open": open}),
                &format!("alarm {id} acknowledged; {open} alarm(s) still open"),
            );
        }
        Command::Reconcile {
            from,
            to,
            address,
            format,
            audit,
        } => {
            let n = node()?;
            let args = crate::watch_cmd::ReconcileArgs {
                from: &from,
                to: &to,
                addresses: &address,
                format: &format,
                audit: audit.as_deref(),
            };
            let r = crate::watch_cmd::reconcile(&journal, &n, c.network.as_str(), &args);
            remember_genesis(&c, &journal, &n)?;
            r?;
        }
    }
    Ok(())
}

/// Opens the journal as the command needs it: readers (`status`, `report`, `batch list|show`,
/// `accounts list`) without the lock, everything else as the one writer.
/// `tx decode`: the JSON rows, or the text view with token units and UTC times.
fn decode(input: &str, json: bool) -> Result<String> {
    let parsed = coldpay_shared::input::parse_input(&read_text(input)?)
        .map_err(|e| decode_error(input, &e))?;
    Ok(if json {
        coldpay_shared::view::render_json(&parsed)?
    } else {
        let units = crate::tokens::all_units();
        let view = coldpay_shared::view::TextView::new(&units, coldpay_shared::timefmt::now_ms());
        coldpay_shared::view::inspect_text(&parsed.transactions(), &view)?
    })
}

/// A `tx decode` input the shared parser refused, named as the signer's `inspect` names it
/// ("FILE: line L, column C: what", nothing quoted from the file), so both tools answer alike.
fn decode_error(source: &str, e: &coldpay_shared::Error) -> BcError {
    let name = if source == "-" {
        "standard input"
    } else {
        source
    };
    BcError::Input(format!("{name}: {}", e.redacted()))
}

fn open_journal(c: &Ctx, command: &Command, no_wait: bool) -> Result<Journal> {
    let reader = matches!(
        command,
        Command::Status { .. }
            | Command::Report { .. }
            | Command::Batch(BatchCmd::List | BatchCmd::Show { .. })
            | Command::Accounts(AccountsCmd::List)
            | Command::Transfers(TransfersCmd::List { .. })
            | Command::Alarms(AlarmsCmd::List { .. })
    ) || (matches!(
        command,
        Command::Balance { .. } | Command::Accounts(AccountsCmd::Permissions { .. })
    ) && c.db.is_file());
    if reader {
        let j = Journal::open_read(&c.db)?;
        j.check_network(&c.db, c.network)?;
        return Ok(j);
    }
    let wait = if no_wait {
        crate::lock::LockWait::NoWait
    } else {
        crate::lock::LockWait::Wait
    };
    Journal::open(&c.db, c.network, wait)
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

fn print_cancel(c: &Ctx, o: &crate::journal::CancelOutcome) {
    let mut text = format!("cancelled {} payout(s)", o.cancelled.len());
    if !o.already_cancelled.is_empty() {
        text.push_str(&format!(
            "; {} were already cancelled",
            o.already_cancelled.len()
        ));
    }
    for (_, why) in &o.not_cancelled {
        text.push_str(&format!("\n  not cancelled: {why}"));
    }
    let not: Vec<Value> = o
        .not_cancelled
        .iter()
        .map(|(id, why)| json!({"payout_id": id, "reason": why}))
        .collect();
    print(
        c,
        &json!({"cancelled": o.cancelled, "already_cancelled": o.already_cancelled, "not_cancelled": not}),
        &text,
    );
}

/// The node client for this journal: endpoints bound to the journal's network by genesis.
fn make_node(c: &Ctx, journal: &Journal) -> Result<Node> {
    if let Some(why) = &c.api_key_problem {
        return Err(BcError::Input(why.clone()));
    }
    let genesis = match c.network {
        Network::Local => journal
            .meta("genesis_block_id")?
            .and_then(|h| crate::node::hex32(&h)),
        n => crate::network::genesis_of(n),
    };
    Node::new(
        c.nodes.clone(),
        NodeOpts {
            api_key: c.api_key.clone(),
            max_rps: c.max_rps,
            concurrency: c.concurrency,
            network: c.network.as_str().into(),
            genesis,
            http: c.http,
            ..NodeOpts::default()
        },
    )
}

/// A local journal records the dev node's genesis on first contact; later runs refuse a node
/// with another one (a restarted dev node is another chain).
fn remember_genesis(c: &Ctx, journal: &Journal, node: &Node) -> Result<()> {
    if c.network == Network::Local && journal.meta("genesis_block_id")?.is_none() {
        if let Some(g) = node.genesis() {
            journal.set_meta("genesis_block_id", &hex::encode(g))?;
        }
    }
    Ok(())
}

fn report_build(
    c: &Ctx,
    o: crate::build::BuildOutcome,
    output: Option<&Path>,
    qr_out: &crate::qrio::QrOutArgs,
) -> Result<()> {
    for p in &o.settled {
        eprintln!("payout {p}: an earlier attempt was found on the verified chain; settled from it, not rebuilt");
    }
    for s in &o.skipped {
        eprintln!("skipped (insufficient funds): {s}");
    }
    let Some(req) = o.request else {
        print(
            c,
            &json!({"transactions": 0, "settled": o.settled, "skipped": o.skipped}),
            "nothing to build: every payout is signed, pending, settled or confirmed",
        );
        return Ok(());
    };
    let mut summary = crate::summary::summarize(&req);
    summary
        .worst_case_unfunded
        .clone_from(&o.worst_case_unfunded);
    if let Some((key, text)) = o.permission_source.clone() {
        summary.set_permission_source(key, text);
    }
    if !c.json {
        eprintln!(
            "{}",
            summary.text(crate::journal::now_ms() as u64, o.new, o.reexported)
        );
    }
    emit_request(&req, output, qr_out)?;
    if output.is_some() {
        let msg = format!(
            "written to {}",
            output.map_or(String::new(), |p| p.display().to_string())
        );
        print(
            c,
            &json!({"request_id": req.request_id, "transactions": req.transactions.len(), "new": o.new, "reexported": o.reexported, "settled": o.settled, "skipped": o.skipped, "duplicates": o.duplicates, "summary": summary}),
            &msg,
        );
    }
    Ok(())
}

/// One payout of `batch show`, within 100 columns: id, recipient, amount, token and status on
/// one line (a long id gets a line of its own with the status), the txID (when there is one)
/// indented on the next.
fn batch_show_row(row: &Value) -> String {
    let s = |k: &str| row[k].as_str().unwrap_or("").to_string();
    let mut line = format!(
        "\n  {:<20} {} {:>14} {:<5} {}",
        s("payout_id"),
        s("to"),
        s("amount"),
        s("token"),
        s("status")
    );
    if line.chars().count() > 101 {
        line = format!(
            "\n  {}  {}\n      {} {} to {}",
            s("payout_id"),
            s("status"),
            s("amount"),
            s("token"),
            s("to")
        );
    }
    let txid = s("txid");
    if !txid.is_empty() {
        line.push_str(&format!("\n      txid {txid}"));
    }
    line
}

/// Writes a sign request as QR parts and/or JSON (to the file, or stdout without QR).
/// Runs a staking command: the operation checked, built, journaled; its request written
/// (a file or stdout; staking does not fit the compact QR form).
fn stake(c: &Ctx, journal: &Journal, n: &Node, op: crate::stake_cmd::StakeOp) -> Result<()> {
    let common = op.common().clone();
    let contract = op.contract()?;
    let opts = crate::staking::StakeOpts {
        network: c.network,
        expires_in_ms: parse_duration(&common.expires_in, "--expires-in")?.as_millis() as u64,
        choice: crate::permission_plan::Choice {
            permission: common.permission,
            account_permissions: &c.account_permissions,
        },
    };
    let r = crate::staking::run(journal, n, &opts, contract);
    remember_genesis(c, journal, n)?;
    let out = r?;
    let (v, text) = crate::stake_cmd::answer(&out);
    if !c.json || common.output.is_none() {
        eprintln!("{text}");
    }
    emit_request(&out.request, common.output.as_deref(), &common.qr_out)?;
    if let Some(p) = &common.output {
        print(c, &v, &format!("sign request written to {}", p.display()));
    }
    Ok(())
}

fn emit_request(
    req: &coldpay_shared::SignRequest,
    output: Option<&Path>,
    qr_out: &crate::qrio::QrOutArgs,
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

fn report_submit(c: &Ctx, journal: &Journal, s: &crate::submit::SubmitSummary) -> Result<()> {
    let mut text = format!(
        "broadcast: {} accepted, {} refused by the node, {} skipped",
        s.accepted, s.refused, s.skipped
    );
    if s.refused_earlier > 0 {
        text.push_str(&format!(
            "\n{} transaction(s) approved in earlier responses were refused again (their own submit reported it; not counted here)",
            s.refused_earlier
        ));
    }
    if s.resumed > 0 {
        text.push_str(&format!(
            "\n{} approved transaction(s) from earlier responses had not been seen accepted (an interrupted submit): sent now",
            s.resumed
        ));
    }
    if s.already_had > 0 {
        text.push_str(&format!(
            "\n{} of the accepted the node already had (sent by an earlier run; one txID is included at most once):",
            s.already_had
        ));
    }
    for r in &s.results {
        if r["code"] == "DUP_TRANSACTION_ERROR" {
            text.push_str(&format!(
                "\n  already on the node: payout {} ({})",
                r["payout_id"].as_str().unwrap_or(""),
                r["txid"].as_str().unwrap_or("")
            ));
        }
    }
    for r in &s.results {
        let code = r["code"].as_str().unwrap_or("");
        if !code.is_empty() && code != "SUCCESS" && code != "DUP_TRANSACTION_ERROR" {
            let again = if r["note"].is_string() {
                " (again; approved in an earlier response)"
            } else {
                ""
            };
            text.push_str(&format!(
                "\n  refused{again}: payout {} ({}): {code}: {}",
                r["payout_id"].as_str().unwrap_or(""),
                r["txid"].as_str().unwrap_or(""),
                r["message"].as_str().unwrap_or("")
            ));
        }
    }
    let names = crate::approvers::all_names(journal).unwrap_or_default();
    for line in crate::submit::approval_lines(&s.approvals, &names) {
        text.push_str(&format!("\n  {line}"));
    }
    if s.awaiting_approval > 0 {
        text.push_str(&format!(
            "\n{} transaction(s) wait for more approvals (not broadcast); submit the other approvers' responses as they arrive",
            s.awaiting_approval
        ));
    }
    print(c, &serde_json::to_value(s).expect("json"), &text);
    if s.refused > 0 {
        return Err(BcError::Refused(format!(
            "{} transaction(s) were refused by the node (reasons above and in `report`); they stay pending until they expire by the verified chain, then `build` can rebuild them",
            s.refused
        )));
    }
    Ok(())
}

/// One `alarms list` line: id, state, and the announcement.
fn alarm_line(r: &crate::alarms::Row) -> String {
    let state = match (r.acked_at, &r.ack_note) {
        (Some(at), note) => format!(
            "acknowledged {} ({})",
            crate::transfers::rfc3339(at.max(0) as u64),
            note.as_deref().unwrap_or("")
        ),
        (None, _) => "OPEN".into(),
    };
    format!("alarm {} [{state}] {}", r.id, r.text)
}

/// `track`'s timeout: how many attempts are still pending, each named with why (printed on
/// stderr, one per line), and what stopped the wait.
fn track_timeout(journal: &Journal, cause: &str) -> BcError {
    let reasons = crate::track::pending_reasons(journal).unwrap_or_default();
    for r in &reasons {
        crate::log::warn(&format!("pending: {r}"));
    }
    BcError::Timeout(format!(
        "timed out with {} attempt(s) still pending (listed above; {cause})",
        reasons.len()
    ))
}

/// How `track` runs.
struct TrackHow {
    follow: bool,
    deadline: Instant,
    poll: Duration,
    rescan: Option<u64>,
    metrics_file: Option<PathBuf>,
}

fn run_track(c: &Ctx, journal: &Journal, n: &Node, how: &TrackHow) -> Result<()> {
    let TrackHow {
        follow,
        deadline,
        poll,
        rescan,
        ..
    } = *how;
    let b = spinner(c.json);
    b.set_message("reading the solidified head");
    let mut total = crate::track::TrackPass::default();
    let mut first = rescan.map(|from| crate::track::rescan(journal, n, from, Some(deadline)));
    loop {
        let p = match first.take() {
            Some(r) => r,
            None => crate::track::pass(journal, n, Some(deadline)),
        };
        let p = match p {
            Err(BcError::Timeout(m)) => {
                b.finish_and_clear();
                print(c, &serde_json::to_value(&total).expect("json"), "");
                return Err(track_timeout(journal, &m));
            }
            r => r?,
        };
        total.confirmed += p.confirmed;
        total.failed += p.failed;
        total.expired += p.expired;
        total.pending = p.pending;
        total.solid_block = p.solid_block;
        total.blocks_verified += p.blocks_verified;
        total.rebroadcast += p.rebroadcast;
        total.scanned_to = p.scanned_to;
        for id in &p.rechecked_paid {
            payout_warning(id, "an attempt settled `failed` from a node receipt is SUCCESS in its verified block: it paid; check `report` for a second payment");
        }
        for id in &p.found_after_expiry {
            payout_warning(id, "an attempt marked expired was found on the verified chain; check `report` for a second payment");
        }
        b.set_message(track_line(&p, &total));
        if crate::log::json() && follow {
            crate::log::emit(
                crate::log::Level::Info,
                &track_line(&p, &total),
                &crate::log::Fields {
                    block: Some(p.solid_block),
                    ..Default::default()
                },
            );
        }
        if crate::log::json() {
            for s in &p.settled {
                log_settled(s);
            }
        }
        if let Some(path) = &how.metrics_file {
            crate::metrics::write(path, journal, n, "track")?;
        }
        total.found_after_expiry.extend(p.found_after_expiry);
        total.rechecked_paid.extend(p.rechecked_paid);
        if !follow || p.pending == 0 {
            break;
        }
        if Instant::now() >= deadline {
            b.finish_and_clear();
            print(c, &serde_json::to_value(&total).expect("json"), "");
            return Err(track_timeout(journal, "--timeout passed between passes"));
        }
        std::thread::sleep(poll.min(deadline.saturating_duration_since(Instant::now())));
    }
    b.finish_and_clear();
    let text = format!(
        "{} confirmed, {} failed, {} expired, {} pending (solid block {}, {} block(s) verified)",
        total.confirmed,
        total.failed,
        total.expired,
        total.pending,
        total.solid_block,
        total.blocks_verified
    );
    print(c, &serde_json::to_value(&total).expect("json"), &text);
    Ok(())
}

/// One JSON log line per attempt a `track` pass settled or expired (payout, txid, block).
fn log_settled(s: &crate::track::SettledNow) {
    let level = if s.outcome == "confirmed" {
        crate::log::Level::Info
    } else {
        crate::log::Level::Warn
    };
    let at = s.block.map_or(String::new(), |b| format!(" in block {b}"));
    crate::log::emit(
        level,
        &format!(
            "payout {}: {}{at} (txid {})",
            s.payout_id, s.outcome, s.txid
        ),
        &crate::log::Fields {
            payout: Some(s.payout_id.clone()),
            txid: Some(s.txid.clone()),
            block: s.block,
            ..Default::default()
        },
    );
}

/// A `WARNING: payout P: …` line (with the payout as a field in json).
fn payout_warning(id: &str, what: &str) {
    crate::log::emit(
        crate::log::Level::Warn,
        &format!("WARNING: payout {id}: {what}"),
        &crate::log::Fields {
            payout: Some(id.to_string()),
            ..Default::default()
        },
    );
}

/// The clap definition (for generated docs, man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs the CLI and returns the exit code.
pub fn main_entry() -> ExitCode {
    let matches = command().get_matches();
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    crate::log::init(cli.log_format, matches.subcommand_name().unwrap_or(""));
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A refusal that lists several items (invalid rows, duplicates) keeps one per
            // line, indented under the first; a JSON log line holds them in its `msg`.
            crate::log::error(&format!("error: {}", e.to_string().replace('\n', "\n  ")));
            ExitCode::from(e.exit_code())
        }
    }
}
