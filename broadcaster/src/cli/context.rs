//! What every command runs with: the network, nodes and journal chosen from the flags and the
//! config file, and how the journal and the node client are opened for a command.

use std::path::{Path, PathBuf};

use coldpay_shared::{Address, Network};

use super::args::{AccountsCmd, AlarmsCmd, BatchCmd, Cli, Command, TransfersCmd};
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::node::{preset_url, Node, NodeOpts};

/// The settings of one run, from the flags and the config file.
pub(crate) struct Ctx {
    pub(crate) network: Network,
    /// Where the network came from (`--network` or the config file), for the first line.
    pub(crate) network_from: String,
    /// Why the API key the config points to is missing (reported when a node is used).
    pub(crate) api_key_problem: Option<String>,
    pub(crate) db: PathBuf,
    pub(crate) nodes: Vec<String>,
    pub(crate) api_key: Option<String>,
    pub(crate) json: bool,
    pub(crate) max_rps: Option<f64>,
    pub(crate) concurrency: usize,
    /// Per-account default Permission_id (config `[accounts.T…] permission`).
    pub(crate) account_permissions: std::collections::HashMap<Address, i32>,
    /// The registered tokens with the config's energy bands.
    pub(crate) tokens: Vec<crate::tokens::Token>,
    /// Time and size limits of node requests (config `[http]`).
    pub(crate) http: crate::node::HttpLimits,
}

pub(crate) fn ctx(cli: &Cli) -> Result<Ctx> {
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
        if let Some(u) = preset_url(network) {
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
        tokens: crate::tokens::configured(network, &cfg.tokens)
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
pub(crate) fn announce(c: &Ctx, command: &Command) {
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

/// Opens the journal as the command needs it: readers (`status`, `report`, `batch list|show`,
/// `accounts list`, …) without the lock, everything else as the one writer.
pub(crate) fn open_journal(c: &Ctx, command: &Command, no_wait: bool) -> Result<Journal> {
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
        crate::journal::lock::LockWait::NoWait
    } else {
        crate::journal::lock::LockWait::Wait
    };
    Journal::open(&c.db, c.network, wait)
}

/// The node client for this journal: endpoints bound to the journal's network by genesis.
pub(crate) fn make_node(c: &Ctx, journal: &Journal) -> Result<Node> {
    if let Some(why) = &c.api_key_problem {
        return Err(BcError::Input(why.clone()));
    }
    let genesis = match c.network {
        Network::Local => match journal.meta("genesis_block_id")? {
            Some(h) => Some(crate::node::hex32(&h).ok_or_else(|| {
                BcError::corrupt("the recorded genesis block id", "not 32 bytes of hex")
            })?),
            None => None,
        },
        n => crate::node::network::genesis_of(n),
    };
    Node::new(
        c.nodes.clone(),
        NodeOpts {
            api_key: c.api_key.clone(),
            max_rps: c.max_rps,
            concurrency: c.concurrency,
            network: c.network,
            genesis,
            http: c.http,
            ..NodeOpts::default()
        },
    )
}

/// A local journal records the dev node's genesis on first contact; later runs refuse a node
/// with another one (a restarted dev node is another chain).
pub(crate) fn remember_genesis(c: &Ctx, journal: &Journal, node: &Node) -> Result<()> {
    if c.network == Network::Local && journal.meta("genesis_block_id")?.is_none() {
        if let Some(g) = node.genesis() {
            journal.set_meta("genesis_block_id", &hex::encode(g))?;
        }
    }
    Ok(())
}
