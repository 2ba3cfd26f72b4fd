//! The command-line interface: argument definitions and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use coldpay_shared::Network;

use crate::error::{Result, SignerError};
use crate::home::{self, Home};
use crate::passphrase::PassSource;
use crate::{audit, keys, keystore, policy, review, sandbox, selftest, sign};

/// Offline signer for TRON payouts (USDT-TRC20 and TRX).
///
/// Typical ceremony: `init --network mainnet`, `keys new --name treasury`, `keys export-watch -o
/// watch.json` (carry to the online machine), then for each batch `sign request.json -o
/// response.json` after reviewing what the transaction bytes do.
#[derive(Parser)]
#[command(
    name = "coldpay-signer",
    version,
    long_version = coldpay_build_info::long_version!(),
    about,
    long_about
)]
struct Cli {
    /// Signer home folder (default: $COLDPAY_SIGNER_HOME, else ~/.coldpay-signer).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Default)]
struct PassArgs {
    /// Read the wallet passphrase from the first line of FILE (for scripts).
    #[arg(long, value_name = "FILE", conflicts_with = "passphrase_fd")]
    passphrase_file: Option<PathBuf>,
    /// Read the wallet passphrase from open file descriptor N (for scripts).
    #[arg(long, value_name = "N")]
    passphrase_fd: Option<u32>,
}

/// Unlocking one wallet to check or write authenticated records (`audit verify`, `ledger
/// verify`, `ledger rebuild`).
#[derive(Args, Clone, Default)]
struct RecordsUnlockArgs {
    /// Unlock a wallet (prompting for its passphrase) to check the records' authentication
    /// with the home's records key.
    #[arg(long)]
    unlock: bool,
    /// The wallet to unlock (needed when the home holds several).
    #[arg(long, value_name = "NAME")]
    key: Option<String>,
    #[command(flatten)]
    pass: PassArgs,
}

impl RecordsUnlockArgs {
    /// Whether a wallet is to be unlocked (`--unlock`, `--key` or a passphrase source).
    fn wanted(&self) -> bool {
        self.unlock
            || self.key.is_some()
            || self.pass.passphrase_file.is_some()
            || self.pass.passphrase_fd.is_some()
    }

    fn request(&self) -> Option<crate::records_cli::UnlockRequest> {
        self.wanted().then(|| crate::records_cli::UnlockRequest {
            wallet: self.key.clone(),
            pass: self.pass.source(),
        })
    }
}

impl PassArgs {
    fn source(&self) -> PassSource {
        PassSource {
            file: self.passphrase_file.clone(),
            fd: self.passphrase_fd,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Create a signer home bound to one network (TRON transactions carry no chain id).
    Init {
        /// mainnet, nile, shasta or local.
        #[arg(long)]
        network: Network,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage encrypted wallets.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Review and sign a sign request, a TronWeb transaction or an array of them.
    ///
    /// Every transaction is decoded from its raw bytes and checked against the policy before
    /// anything is shown; then you type the 6-character code of the request to sign. Output is
    /// a sign response (or, for TronWeb input, the same objects with `signature` filled).
    Sign {
        /// Input file, or `-` for stdin (omit with --qr-image or --ur).
        #[arg(default_value = "")]
        input: String,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
        #[command(flatten)]
        qr_out: crate::qrio::QrOutArgs,
        /// Write the output here (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Wallet to sign with. For a request carrying a permission claim, needed only when
        /// several loaded keys belong to the permission; for other multi-signature permission
        /// ids, required.
        #[arg(long, value_name = "NAME")]
        key: Option<String>,
        #[command(flatten)]
        pass: PassArgs,
        /// Do not ask for the confirmation code (only if the policy sets unattended = true).
        #[arg(long)]
        yes: bool,
        /// Use this policy file instead of the home's policy.toml for this run.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Re-sign payout ID although it was signed before, having seen that the earlier
        /// transaction expired at least 60 s ago (repeatable; `all`: every payout of the
        /// request).
        #[arg(long, value_name = "ID|all")]
        resign_expired: Vec<String>,
        /// List every transaction in the review (by default only inputs of up to 20
        /// transactions are listed; larger ones show the summary and refused transactions;
        /// for a permission update: every operation by name).
        #[arg(long)]
        details: bool,
        /// Sign a permission update although the request's permission_before differs from
        /// this home's record of the account (the last update of it this home signed never
        /// took effect, or was replaced from another home); both are shown, the difference
        /// loudly. Without it such a request is refused.
        #[arg(long)]
        permission_record_stale: bool,
    },
    /// Show the output of the last signing run again (kept in the home, no secret in it).
    ///
    /// Prints it on stdout, writes it with -o, or shows it as QR codes, e.g. when the terminal
    /// QR codes of `sign --qr` could not be scanned.
    ShowLast {
        #[command(flatten)]
        qr_out: crate::qrio::QrOutArgs,
        /// Write it here (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Decode and show what a sign request, TronWeb transaction or raw_data hex would sign.
    ///
    /// Every field shown is derived from the raw transaction bytes; anything that cannot be
    /// fully decoded is refused.
    Inspect {
        /// Input file, or `-` for stdin (omit with --qr-image or --ur).
        #[arg(default_value = "")]
        input: String,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
        /// Print a JSON array, one object per transaction.
        #[arg(long)]
        json: bool,
    },
    /// Show or check the signing policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Inspect the hash-chained audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check or rebuild the signing ledger (replay protection and 24 h limits).
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Prove the sandbox, check RNG, KDF speed and known-answer tests.
    Selftest {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a wallet from a new BIP-39 mnemonic (shown once; account 0 at m/44'/195'/0'/0/0).
    New {
        /// Wallet name.
        #[arg(long)]
        name: String,
        /// 12 or 24 words.
        #[arg(long, default_value_t = 24)]
        words: usize,
        /// Skip re-typing three words (scripts only).
        #[arg(long)]
        no_confirm: bool,
        #[command(flatten)]
        pass: PassArgs,
        /// PBKDF2 iterations (minimum 600000).
        #[arg(long, default_value_t = keystore::DEFAULT_ITERATIONS)]
        kdf_iterations: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a BIP-39 mnemonic (read from stdin or a no-echo prompt; checksum verified).
    ImportMnemonic {
        /// Wallet name.
        #[arg(long)]
        name: String,
        /// Optional BIP-39 passphrase ("25th word"), read from the first line of FILE.
        #[arg(long, value_name = "FILE")]
        bip39_passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        pass: PassArgs,
        /// PBKDF2 iterations (minimum 600000).
        #[arg(long, default_value_t = keystore::DEFAULT_ITERATIONS)]
        kdf_iterations: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a raw private key (64 hex characters on stdin).
    ImportPrivate {
        /// Wallet name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        pass: PassArgs,
        /// PBKDF2 iterations (minimum 600000).
        #[arg(long, default_value_t = keystore::DEFAULT_ITERATIONS)]
        kdf_iterations: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Derive account INDEX of a mnemonic wallet (m/44'/195'/0'/0/INDEX).
    Derive {
        /// Wallet name.
        #[arg(long)]
        name: String,
        /// Account index.
        #[arg(long)]
        index: u32,
        #[command(flatten)]
        pass: PassArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List wallets and their accounts (no passphrase needed).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export names, addresses and paths (no secret) for the broadcaster.
    ExportWatch {
        /// Output file (stdout if omitted).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        qr_out: crate::qrio::QrOutArgs,
        /// Mark this home's keys as approver keys of ACCOUNT's permission PERMISSION_NAME
        /// (e.g. `TXyz…:payouts`); the broadcaster then checks them against that permission.
        #[arg(long, value_name = "ACCOUNT:PERMISSION_NAME")]
        approver_for: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt a wallet under a new passphrase.
    ChangePassphrase {
        /// Wallet name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        pass: PassArgs,
        /// Read the new passphrase from the first line of FILE.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
        /// Read the new passphrase from file descriptor N.
        #[arg(long, value_name = "N")]
        new_passphrase_fd: Option<u32>,
    },
    /// Give the home's records key to a wallet that lacks it (one added after the home's
    /// records were authenticated): both wallets' passphrases are asked for.
    ShareRecordsKey {
        /// A wallet holding the records key.
        #[arg(long, value_name = "NAME")]
        from: String,
        /// The wallet to give it to.
        #[arg(long, value_name = "NAME")]
        to: String,
        /// (A file or descriptor gives one passphrase, used for both wallets.)
        #[command(flatten)]
        pass: PassArgs,
    },
    /// Delete a wallet's keystore file (make sure you hold its backup).
    Remove {
        /// Wallet name.
        #[arg(long)]
        name: String,
        /// Do not ask to re-type the name.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print the policy in effect.
    Show {
        /// Policy file (default: the home's policy.toml).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the review and policy verdicts for INPUT without signing.
    Check {
        /// Input file, or `-` for stdin (omit with --qr-image or --ur).
        #[arg(default_value = "")]
        input: String,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
        /// Policy file (default: the home's policy.toml).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// List every transaction, however many.
        #[arg(long)]
        details: bool,
        /// Also print the verdicts as JSON on stdout (per transaction: verdict, reasons,
        /// `duplicate_of`; the review stays on stderr).
        #[arg(long)]
        json: bool,
    },
    /// Seal this home's policy the first time (sequence 1): from then on `sign` enforces
    /// only the sealed policy, and changes need M of the N admins' approvals. A wallet
    /// passphrase is asked for (the seal is recorded in an authenticated audit line).
    Enroll {
        /// An admin key: its TRON address and a label (repeat per admin). Omit when
        /// policy.toml already has an [admins] table.
        #[arg(long, value_name = "ADDRESS:LABEL")]
        admin: Vec<String>,
        /// Approvals needed for every later change (M of the N admins).
        #[arg(long, value_name = "M")]
        threshold: Option<u8>,
        #[command(flatten)]
        unlock: PolicyUnlockArgs,
    },
    /// Write a policy-update proposal for NEW.toml (the sealed policy's [admins] are kept
    /// when NEW.toml has none), showing what changes.
    Propose {
        /// The new policy.
        #[arg(value_name = "NEW.toml")]
        new: PathBuf,
        #[command(flatten)]
        out: ProposalOut,
    },
    /// Propose allowlist changes of the sealed policy.
    #[command(subcommand)]
    Allow(AllowCommand),
    /// Review a proposal against this home's sealed policy and approve it with this home's
    /// admin key (a typed confirmation; TIP-191 signed message).
    Approve {
        /// The proposal file (omit with --qr-image or --ur).
        #[arg(default_value = "")]
        request: String,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
        #[command(flatten)]
        unlock: PolicyUnlockArgs,
        /// Write the approval here (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Verify M distinct admins' approvals of a proposal and seal it on this home (run on
    /// every home sharing the policy). A wallet passphrase is asked for.
    Apply {
        /// The proposal file.
        request: PathBuf,
        /// Approval files (`policy approve` output, or {"address", "signature"} from a TRON
        /// wallet's signMessageV2; one object or an array per file).
        #[arg(required = true, value_name = "APPROVAL")]
        approvals: Vec<PathBuf>,
        #[command(flatten)]
        unlock: PolicyUnlockArgs,
    },
}

/// The wallet unlocked by `policy enroll|approve|apply`.
#[derive(Args, Clone, Default)]
struct PolicyUnlockArgs {
    /// The wallet to unlock (needed when the home holds several).
    #[arg(long, value_name = "NAME")]
    key: Option<String>,
    #[command(flatten)]
    pass: PassArgs,
}

impl PolicyUnlockArgs {
    fn unlock(&self) -> crate::policy_cli::Unlock {
        crate::policy_cli::Unlock {
            key: self.key.clone(),
            pass: self.pass.source(),
        }
    }
}

/// Where a proposal goes and how long its approvals count.
#[derive(Args, Clone)]
struct ProposalOut {
    /// Write the proposal here (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Approvals count until this long from now (e.g. 72h, 7d).
    #[arg(long, value_name = "DURATION", default_value = "72h")]
    expires_in: String,
    #[command(flatten)]
    qr_out: crate::qrio::QrOutArgs,
}

impl ProposalOut {
    fn expires_ms(&self) -> Result<u64> {
        duration_ms(&self.expires_in).map_err(|e| SignerError::Usage(format!("--expires-in {e}")))
    }
}

#[derive(Subcommand)]
enum AllowCommand {
    /// Propose adding ADDRESS to the allowlist.
    Add {
        /// The recipient.
        address: String,
        /// Its label (shown in every review).
        #[arg(long)]
        label: String,
        #[command(flatten)]
        out: ProposalOut,
    },
    /// Propose removing ADDRESS from the allowlist.
    Remove {
        /// The recipient.
        address: String,
        #[command(flatten)]
        out: ProposalOut,
    },
    /// Propose adding every recipient of a payout CSV not yet on the allowlist (labels: a
    /// `label` column, else "payout ID").
    Import {
        /// The payout CSV (the broadcaster's `batch import` format).
        csv: PathBuf,
        #[command(flatten)]
        out: ProposalOut,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain (naming the first edited, deleted or reordered line) and that the
    /// ledger agrees with it.
    Verify {
        /// Also check a head written down elsewhere (a sign response's audit_head): line SEQ
        /// exists and has HASH. Fails when the log's tail was cut.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        unlock: RecordsUnlockArgs,
    },
    /// Write the log from line SEQ to its head, for `reconcile --audit` on the online side.
    Export {
        /// First line to export (1 = the whole log).
        #[arg(long, value_name = "SEQ")]
        since: u64,
        /// Write the export here (atomically) instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        qr_out: crate::qrio::QrOutArgs,
    },
    /// Print audit entries.
    Show {
        /// Only entries at or after this RFC 3339 time or duration ago (e.g. "24h").
        #[arg(long)]
        since: Option<String>,
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Check the whole ledger: its chain, its head against the audit log, and every line
    /// against the signing the audit log records.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        unlock: RecordsUnlockArgs,
    },
    /// Reconstruct the ledger from the audit log's signed lines (atomically), after signing
    /// was refused because the two disagree.
    Rebuild {
        /// Rebuild even though some ledger lines record signings the audit log does not
        /// (they are listed first; see the runbook).
        #[arg(long)]
        drop_unrecorded: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        unlock: RecordsUnlockArgs,
    },
}

fn open_home(cli_home: Option<&std::path::Path>) -> Result<Home> {
    Home::open(&home::resolve_dir(cli_home))
}

/// `audit show --since`: an RFC 3339 time, a date or a span back from now (`24h`), through
/// the shared time parsing.
fn parse_since(s: &str) -> Result<u64> {
    let t = coldpay_shared::timefmt::TimeInput::parse(s)
        .map_err(|e| SignerError::Usage(format!("--since {e}")))?;
    Ok(t.start(crate::clock::now_ms()))
}

/// A duration such as "24h", "7d", "90m", "30s" in ms.
fn duration_ms(s: &str) -> Result<u64> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| SignerError::Usage(format!("{s:?}: use a duration such as 24h or 7d")))?;
    let ms = match unit {
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(SignerError::Usage(format!(
                "{s:?}: unit must be s, m, h or d"
            )))
        }
    };
    Ok(n.saturating_mul(ms))
}

/// `policy allow add|remove|import`: the sealed policy's allowlist edited and proposed.
fn run_allow(h: &Home, a: AllowCommand) -> Result<()> {
    let parse = |s: &str| {
        coldpay_shared::Address::parse(s)
            .map_err(|e| SignerError::Usage(format!("{s}: {}", e.redacted())))
    };
    match a {
        AllowCommand::Add {
            address,
            label,
            out,
        } => {
            let addr = parse(&address)?;
            if let Some(m) = coldpay_shared::text::label_problem("--label", &label) {
                return Err(SignerError::Usage(m));
            }
            let edit = |t: &str, _: &policy::Policy| {
                crate::policy_edit::allow_add(t, &[(addr, label.clone())])
            };
            crate::policy_cli::propose_edit(
                h,
                &edit,
                out.expires_ms()?,
                out.output.as_deref(),
                &out.qr_out,
            )
        }
        AllowCommand::Remove { address, out } => {
            let addr = parse(&address)?;
            let edit = |t: &str, _: &policy::Policy| crate::policy_edit::allow_remove(t, &addr);
            crate::policy_cli::propose_edit(
                h,
                &edit,
                out.expires_ms()?,
                out.output.as_deref(),
                &out.qr_out,
            )
        }
        AllowCommand::Import { csv, out } => {
            let edit = |t: &str, p: &policy::Policy| {
                let new = crate::policy_edit::csv_recipients(&csv, &|a| p.allow.contains_key(a))?;
                if new.is_empty() {
                    return Err(SignerError::Usage(format!(
                        "{}: every recipient is already on the allowlist",
                        csv.display()
                    )));
                }
                crate::policy_edit::allow_add(t, &new)
            };
            crate::policy_cli::propose_edit(
                h,
                &edit,
                out.expires_ms()?,
                out.output.as_deref(),
                &out.qr_out,
            )
        }
    }
}

fn run(cli: Cli, sandbox: sandbox::SandboxState) -> Result<()> {
    let home_arg = cli.home.as_deref();
    match cli.command {
        Command::Init { network, json } => run_init(home_arg, network, json),
        Command::Keys(k) => run_keys(&open_home(home_arg)?, k),
        Command::Sign {
            input,
            qr_in,
            qr_out,
            output,
            key,
            pass,
            yes,
            policy,
            resign_expired,
            details,
            permission_record_stale,
        } => sign::run(
            &open_home(home_arg)?,
            &sign::SignArgs {
                input,
                qr_in,
                qr_out,
                output,
                key,
                pass: pass.source(),
                yes,
                policy,
                resign_expired,
                details,
                permission_record_stale,
                check_only: false,
                json: false,
            },
        ),
        Command::Inspect { input, qr_in, json } => run_inspect(home_arg, &input, &qr_in, json),
        Command::ShowLast { qr_out, output } => {
            sign::show_last(&open_home(home_arg)?, &qr_out, output.as_deref())
        }
        Command::Policy(p) => run_policy(home_arg, p),
        Command::Audit(a) => run_audit(&open_home(home_arg)?, a),
        Command::Ledger(l) => run_ledger(&open_home(home_arg)?, l),
        Command::Selftest { json } => selftest::run(sandbox, json),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut command(),
                "coldpay-signer",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

/// `init`: a new signer home for `network`.
fn run_init(home_arg: Option<&std::path::Path>, network: Network, json: bool) -> Result<()> {
    let dir = home::resolve_dir(home_arg);
    let h = Home::init(&dir, network)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"home": h.dir.display().to_string(), "network": network})
        );
    } else {
        println!("initialised signer home {} for {network}", h.dir.display());
        println!(
            "next: review {} and create a wallet with `coldpay-signer keys new --name NAME`",
            h.policy_path().display()
        );
    }
    Ok(())
}

/// `keys …`: wallets in the home.
fn run_keys(h: &Home, k: KeysCommand) -> Result<()> {
    match k {
        KeysCommand::New {
            name,
            words,
            no_confirm,
            pass,
            kdf_iterations,
            json,
        } => keys::new(
            h,
            &name,
            words,
            !no_confirm,
            &pass.source(),
            kdf_iterations,
            json,
        ),
        KeysCommand::ImportMnemonic {
            name,
            bip39_passphrase_file,
            pass,
            kdf_iterations,
            json,
        } => keys::import_mnemonic(
            h,
            &name,
            bip39_passphrase_file.as_deref(),
            &pass.source(),
            kdf_iterations,
            json,
        ),
        KeysCommand::ImportPrivate {
            name,
            pass,
            kdf_iterations,
            json,
        } => keys::import_private(h, &name, &pass.source(), kdf_iterations, json),
        KeysCommand::Derive {
            name,
            index,
            pass,
            json,
        } => keys::derive(h, &name, index, &pass.source(), json),
        KeysCommand::List { json } => keys::list(h, json),
        KeysCommand::ExportWatch {
            output,
            qr_out,
            approver_for,
            json,
        } => run_export_watch(h, output.as_deref(), &qr_out, approver_for.as_deref(), json),
        KeysCommand::ChangePassphrase {
            name,
            pass,
            new_passphrase_file,
            new_passphrase_fd,
        } => keys::change_passphrase(
            h,
            &name,
            &pass.source(),
            &PassSource {
                file: new_passphrase_file,
                fd: new_passphrase_fd,
            },
        ),
        KeysCommand::Remove { name, yes } => keys::remove(h, &name, yes),
        KeysCommand::ShareRecordsKey { from, to, pass } => {
            crate::records_cli::share_records_key(h, &from, &to, &pass.source())
        }
    }
}

/// `keys export-watch`: the watch-only export as QR codes and/or a file.
fn run_export_watch(
    h: &Home,
    output: Option<&std::path::Path>,
    qr_out: &crate::qrio::QrOutArgs,
    approver_for: Option<&str>,
    json: bool,
) -> Result<()> {
    let approver_for = approver_for.map(parse_approver_for).transpose()?;
    if qr_out.any() {
        let w = keys::watch_export(h, approver_for.clone())?;
        let bytes = coldpay_shared::compact::encode_watch(&w);
        let n = qr_out.emit(coldpay_shared::urframe::UrKind::Watch, &bytes)?;
        if let Some(line) = qr_out.shown("watch-only export", n) {
            eprintln!("{line}");
        }
        if output.is_none() {
            return Ok(());
        }
    }
    keys::export_watch(h, approver_for, output, json)
}

/// `inspect`: a request or transaction through the shared view, text or JSON.
fn run_inspect(
    home_arg: Option<&std::path::Path>,
    input: &str,
    qr_in: &crate::qrio::QrInArgs,
    json: bool,
) -> Result<()> {
    let parsed = if qr_in.any() {
        crate::qrio::read_request(qr_in)?
    } else if input.is_empty() {
        return Err(SignerError::Usage(
            "give an INPUT file (or -), --qr-image FILE… or --ur".into(),
        ));
    } else {
        coldpay_shared::input::parse_input(&sign::read_input(input)?)
            .map_err(|e| crate::file_errors::input(input, &e))?
    };
    if json {
        print!("{}", coldpay_shared::view::render_json(&parsed)?);
    } else {
        let home = open_home(home_arg).ok();
        let tokens = crate::inspect::known_tokens(home.as_ref());
        print!(
            "{}",
            crate::inspect::render(&parsed, &tokens, crate::clock::now_ms())?
        );
    }
    Ok(())
}

/// `policy …`: show, check, enroll, propose, allowlist edits, approve, apply.
fn run_policy(home_arg: Option<&std::path::Path>, p: PolicyCommand) -> Result<()> {
    match p {
        PolicyCommand::Show { policy, json } => {
            run_policy_show(&open_home(home_arg)?, policy, json)
        }
        PolicyCommand::Check {
            input,
            qr_in,
            policy,
            details,
            json,
        } => sign::run(
            &open_home(home_arg)?,
            &sign::SignArgs {
                input,
                qr_in,
                qr_out: crate::qrio::QrOutArgs::default(),
                output: None,
                key: None,
                pass: PassSource::default(),
                yes: false,
                policy,
                resign_expired: vec![],
                details,
                permission_record_stale: false,
                check_only: true,
                json,
            },
        ),
        PolicyCommand::Enroll {
            admin,
            threshold,
            unlock,
        } => crate::policy_cli::enroll(&open_home(home_arg)?, &admin, threshold, &unlock.unlock()),
        PolicyCommand::Propose { new, out } => {
            run_policy_propose(&open_home(home_arg)?, &new, &out)
        }
        PolicyCommand::Allow(a) => run_allow(&open_home(home_arg)?, a),
        PolicyCommand::Approve {
            request,
            qr_in,
            unlock,
            output,
        } => {
            let source = if qr_in.any() {
                crate::policy_cli::ProposalSource::Qr(qr_in)
            } else if request.is_empty() {
                return Err(SignerError::Usage(
                    "give the proposal file, --qr-image FILE… or --ur".into(),
                ));
            } else {
                crate::policy_cli::ProposalSource::File(PathBuf::from(request))
            };
            crate::policy_cli::approve(
                &open_home(home_arg)?,
                &source,
                &unlock.unlock(),
                output.as_deref(),
            )
        }
        PolicyCommand::Apply {
            request,
            approvals,
            unlock,
        } => crate::policy_cli::apply(
            &open_home(home_arg)?,
            &request,
            &approvals,
            &unlock.unlock(),
        ),
    }
}

/// `policy propose NEW`: a whole new policy file proposed.
fn run_policy_propose(h: &Home, new: &std::path::Path, out: &ProposalOut) -> Result<()> {
    let text = std::fs::read_to_string(new).map_err(|e| SignerError::io(new, e))?;
    crate::policy_cli::propose(
        h,
        text,
        out.expires_ms()?,
        out.output.as_deref(),
        &out.qr_out,
    )
    .map_err(|e| match e {
        SignerError::Usage(m) => SignerError::Usage(format!("{}: {m}", new.display())),
        other => other,
    })
}

/// `policy show`: the policy file with its digest and seal, or the same as JSON.
fn run_policy_show(h: &Home, policy: Option<PathBuf>, json: bool) -> Result<()> {
    let path = policy.unwrap_or_else(|| h.policy_path());
    let p = policy::Policy::load(&path, h.network)?;
    let text = std::fs::read_to_string(&path).map_err(|e| SignerError::io(&path, e))?;
    if json {
        return print_policy_json(h, &path, &p);
    }
    println!(
        "# {} (sha256 {}) for {}",
        path.display(),
        hex::encode(p.digest),
        h.network
    );
    match crate::policy_cli::sealed_summary(h)? {
        Some((s, lines)) => {
            for l in lines {
                println!("# {l}");
            }
            if s.file.digest != hex::encode(p.digest) {
                println!("# THIS FILE IS NOT THE SEALED POLICY: `sign` refuses to use it");
            }
        }
        None => {
            println!("# NOT SEALED: `sign` refuses until `coldpay-signer policy enroll` seals it");
        }
    }
    print!("{text}");
    Ok(())
}

/// `policy show --json`.
fn print_policy_json(h: &Home, path: &std::path::Path, p: &policy::Policy) -> Result<()> {
    use serde_json::json;
    let labelled = |(a, l): (&coldpay_shared::Address, &String)| json!({"address": a, "label": l});
    let tokens: Vec<_> = p.tokens.iter().map(|t| json!({
        "symbol": t.token.symbol, "contract": t.token.contract, "decimals": t.token.decimals,
        "max_per_tx": t.limits.per_tx.to_string(), "max_per_request": t.limits.per_request.to_string(), "max_per_24h": t.limits.per_24h.to_string(),
    })).collect();
    let sealed = crate::policy_cli::sealed_summary(h)?.map(|(s, _)| {
        json!({
            "seq": s.file.seq, "digest": s.file.digest, "set": s.file.set,
            "threshold": s.admins().threshold,
            "admins": s.admins().keys.iter().map(|(a, l)| labelled((a, l))).collect::<Vec<_>>(),
        })
    });
    let doc = json!({
        "file": path.display().to_string(), "digest": hex::encode(p.digest), "network": h.network,
        "sealed": sealed,
        "unattended": p.unattended, "max_fee_limit_sun": p.max_fee_limit_sun, "max_expiration_ms": p.max_expiration_ms,
        "allow_memo": p.allow_memo,
        "destinations": {"mode": format!("{:?}", p.mode).to_lowercase(), "allow": p.allow.iter().map(labelled).collect::<Vec<_>>()},
        "tokens": tokens,
        "trx": p.trx.as_ref().map(|l| json!({"max_per_tx": l.per_tx.to_string(), "max_per_request": l.per_request.to_string(), "max_per_24h": l.per_24h.to_string()})),
    });
    println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    Ok(())
}

/// `audit …`: verify, export, show.
fn run_audit(h: &Home, a: AuditCommand) -> Result<()> {
    match a {
        AuditCommand::Verify {
            expect_head,
            json,
            unlock,
        } => crate::records_cli::audit_verify(
            h,
            expect_head.as_deref(),
            json,
            unlock.request().as_ref(),
        ),
        AuditCommand::Export {
            since,
            output,
            qr_out,
        } => crate::records_cli::audit_export(h, since, output.as_deref(), &qr_out),
        AuditCommand::Show { since, json } => run_audit_show(h, since.as_deref(), json),
    }
}

/// `audit show`: one line (or JSON line) per audit entry from `--since` on.
fn run_audit_show(h: &Home, since: Option<&str>, json: bool) -> Result<()> {
    let since = since.map(parse_since).transpose()?.unwrap_or(0);
    for v in audit::show(&h.audit_path(), since)? {
        if json {
            println!("{v}");
        } else {
            println!(
                "#{} {} {} {} {} tx {}",
                v["seq"],
                review::utc(v["time"].as_u64().unwrap_or(0)),
                v["event"].as_str().unwrap_or(""),
                v["verdict"].as_str().unwrap_or(""),
                v["transactions"].as_array().map_or(0, Vec::len),
                v["reason"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

/// `ledger …`: verify, rebuild.
fn run_ledger(h: &Home, l: LedgerCommand) -> Result<()> {
    match l {
        LedgerCommand::Verify { json, unlock } => {
            crate::records_cli::ledger_verify(h, json, unlock.request().as_ref())
        }
        LedgerCommand::Rebuild {
            drop_unrecorded,
            json,
            unlock,
        } => {
            crate::records_cli::ledger_rebuild(h, drop_unrecorded, json, unlock.request().as_ref())
        }
    }
}

/// The clap definition (for generated docs, man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs the signer CLI and returns the process exit code.
pub fn main_entry() -> ExitCode {
    // Harden before parsing arguments or reading any input.
    let sandbox = sandbox::harden();
    let cli = Cli::parse();
    match run(cli, sandbox) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = e.to_string().replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// `--approver-for ACCOUNT:PERMISSION_NAME`, checked when the command runs (exit 2).
fn parse_approver_for(text: &str) -> Result<coldpay_shared::handoff::ApproverFor> {
    coldpay_shared::handoff::ApproverFor::parse(text)
        .map_err(|e| SignerError::Usage(format!("--approver-for: {e}")))
}
