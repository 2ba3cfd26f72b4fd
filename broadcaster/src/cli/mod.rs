//! Command-line interface: arguments parsed, journal and node opened, one command called, its
//! typed outcome rendered. Each command lives in its own module and returns (or shows) a value
//! that renders as text and as JSON alike.

mod accounts;
mod args;
mod batch;
mod build;
mod context;
mod import;
mod init;
mod output;
mod report;
mod stake;
mod status;
mod submit;
mod sweep;
mod track;
mod tx;
mod watch;

use std::process::ExitCode;

use args::{AccountsCmd, AlarmsCmd, BatchCmd, Cli, Command, PayoutCmd, TransfersCmd, TxCmd};
use context::Ctx;

use crate::error::Result;
use crate::journal::Journal;
use crate::node::Node;
use crate::staking::stake_cmd::StakeOp;

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

/// Commands that need neither journal nor config run first; every other opens the journal
/// (and, when it needs one, the node) and is dispatched.
fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut command(),
                "coldpay-broadcaster",
                &mut std::io::stdout(),
            );
            return Ok(());
        }
        Command::Tx(TxCmd::Decode { input }) => {
            print!("{}", tx::decode(input, cli.json)?);
            return Ok(());
        }
        Command::Init { api_key_env, force } => {
            return init::run(&cli, api_key_env.clone(), *force);
        }
        _ => {}
    }
    let c = context::ctx(&cli)?;
    context::announce(&c, &cli.command);
    let journal = context::open_journal(&c, &cli.command, cli.no_wait)?;
    dispatch(&c, &journal, cli.command)
}

/// Calls the command (every command but `completions`, `tx decode` and `init`).
fn dispatch(c: &Ctx, journal: &Journal, command: Command) -> Result<()> {
    let node = || context::make_node(c, journal);
    match command {
        Command::Tx(_) | Command::Completions { .. } | Command::Init { .. } => {
            unreachable!("handled before the journal is opened")
        }
        Command::Accounts(a) => accounts_cmd(c, journal, a),
        Command::Stake(a) => stake::run(c, journal, &node()?, StakeOp::Stake(a)),
        Command::Unstake(a) => stake::run(c, journal, &node()?, StakeOp::Unstake(a)),
        Command::WithdrawUnstaked(a) => stake::run(c, journal, &node()?, StakeOp::Withdraw(a)),
        Command::Delegate(a) => stake::run(c, journal, &node()?, StakeOp::Delegate(a)),
        Command::Undelegate(a) => stake::run(c, journal, &node()?, StakeOp::Undelegate(a)),
        Command::CancelUnstake(a) => stake::run(c, journal, &node()?, StakeOp::Cancel(a)),
        Command::Balance { address } => accounts::balance(c, node, &address),
        Command::Sweep { from, to } => sweep::run(c, journal, node, &from, &to),
        Command::Pay {
            from,
            to,
            amount,
            token,
            payout_id,
            memo,
            allow_duplicates,
        } => import::pay(
            c,
            journal,
            import::PayArgs {
                from,
                to,
                amount,
                token,
                payout_id,
                memo,
                allow_duplicates,
            },
        ),
        Command::Batch(b) => batch_cmd(c, journal, b),
        Command::Payout(PayoutCmd::Cancel { ids, reason }) => {
            batch::cancel_payouts(c, journal, &ids, reason.as_deref())
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
            let a = build::BuildArgs {
                batch,
                expires_in,
                permission,
                output,
                max_fee,
                fee_margin,
                qr_out,
            };
            build::run(c, journal, node, &a)
        }
        Command::Submit {
            response,
            qr_in,
            accept_new_audit_log,
        } => submit::run(c, journal, node, &response, &qr_in, &accept_new_audit_log),
        Command::Track {
            follow,
            timeout,
            poll,
            rescan,
            metrics_file,
        } => {
            let a = track::TrackArgs {
                follow,
                timeout,
                poll,
                rescan,
                metrics_file,
            };
            track::run(c, journal, node()?, a)
        }
        Command::Status { batch } => status::run(c, journal, batch.as_deref()),
        Command::Report {
            batch,
            since,
            status,
            format,
        } => {
            let a = report::ReportArgs {
                batch,
                since,
                status,
                format,
            };
            report::run(c, journal, a)
        }
        command => monitor_cmd(c, journal, node, command),
    }
}

/// `accounts …`.
fn accounts_cmd(c: &Ctx, journal: &Journal, a: AccountsCmd) -> Result<()> {
    let node = || context::make_node(c, journal);
    match a {
        AccountsCmd::ImportWatch { file, qr_in } => {
            accounts::import_watch(c, journal, node, file, &qr_in)
        }
        AccountsCmd::List => accounts::list(c, journal),
        AccountsCmd::Permissions { address } => {
            accounts::permissions(c, journal, &node()?, &address)
        }
        AccountsCmd::SetPermission(args) => accounts::set_permission(c, journal, &node()?, &args),
    }
}

/// `batch …`.
fn batch_cmd(c: &Ctx, journal: &Journal, b: BatchCmd) -> Result<()> {
    match b {
        BatchCmd::Import {
            file,
            from,
            batch_id,
            append,
            allow_duplicates,
        } => {
            let a = import::ImportArgs {
                file: &file,
                from: &from,
                batch_id,
                append,
                allow_duplicates,
            };
            import::batch_import(c, journal, a)
        }
        BatchCmd::List => batch::list(c, journal),
        BatchCmd::Show { id } => batch::show_batch(c, journal, &id),
        BatchCmd::Cancel {
            id,
            reason,
            partial,
        } => batch::cancel_batch(c, journal, &id, reason.as_deref(), partial),
    }
}

/// `watch`, `transfers …`, `alarms …`, `reconcile`.
fn monitor_cmd(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    command: Command,
) -> Result<()> {
    match command {
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
            addresses.extend(address);
            let a = watch::WatchArgs {
                addresses,
                from_block,
                follow,
                on_alarm,
                poll,
                metrics_file,
            };
            watch::watch(c, journal, node, a)
        }
        Command::Transfers(TransfersCmd::List {
            since,
            address,
            format,
        }) => watch::transfers_list(c, journal, &since, address.as_deref(), &format),
        Command::Alarms(AlarmsCmd::List { all }) => watch::alarms_list(c, journal, all),
        Command::Alarms(AlarmsCmd::Ack { id, note }) => watch::alarms_ack(c, journal, id, &note),
        Command::Reconcile {
            from,
            to,
            address,
            format,
            audit,
        } => {
            let args = crate::monitor::watch_cmd::ReconcileArgs {
                from: &from,
                to: &to,
                addresses: &address,
                audit: audit.as_deref(),
            };
            watch::reconcile(c, journal, node, &args, &format)
        }
        _ => unreachable!("dispatched by `dispatch`"),
    }
}
