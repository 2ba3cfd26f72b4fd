//! coldpay-devnode binary: serves the TRON HTTP API on 127.0.0.1 until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coldpay_devnode::pool::{Pool, PoolFaults};
use coldpay_devnode::{Clock, Config, Devnode, Faults, Genesis};
use coldpay_shared::amount::{parse_units, TRX_DECIMALS};
use coldpay_shared::Address;

/// A local TRON-compatible full node for tests, rehearsals and the demo (loopback only).
#[derive(Parser)]
#[command(
    name = "coldpay-devnode",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Run something other than the node.
    #[command(subcommand)]
    command: Option<Command>,
    /// Port on 127.0.0.1 (0 = a free port; the chosen one is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Block interval in ms; 0 = blocks only on POST /admin/mine.
    #[arg(long, default_value_t = 3000)]
    block_ms: u64,
    /// Block timestamps: wall (the wall clock; --block-ms only sets the spacing) or slots
    /// (3 s per block however fast blocks come).
    #[arg(long, default_value = "wall", value_parser = ["wall", "slots"])]
    clock: String,
    /// Blocks between head and solidified head.
    #[arg(long, default_value_t = 19)]
    solid_lag: u64,
    /// Genesis JSON file (accounts, token, permissions, chain parameters).
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
    /// Fund an account: ADDRESS=TRX:USDT in display units (repeatable), e.g. T…=5000:250000.
    #[arg(long, value_name = "ADDRESS=TRX:USDT")]
    fund: Vec<String>,
    /// Fraction of API requests answered with HTTP 500/503.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Requests per second before HTTP 429, as "N/s" or "N".
    #[arg(long)]
    rate_limit: Option<String>,
    /// Latency added to every API request (ms).
    #[arg(long, default_value_t = 0)]
    latency: u64,
    /// Fraction of accepted broadcasts never included (they expire).
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Require this TRON-PRO-API-KEY header.
    #[arg(long)]
    require_api_key: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Fault proxy in front of a running node, behaving like a load-balanced TronGrid pool.
    Pool {
        /// URL of the node to forward to, e.g. http://127.0.0.1:8090.
        #[arg(long, value_name = "URL")]
        upstream: String,
        /// Port on 127.0.0.1 (0 = a free port; the chosen one is printed).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Fault settings as JSON (see docs/devnode.md), e.g. '{"lag_rate":0.2,"lag_blocks":3}'.
        #[arg(long, value_name = "JSON")]
        faults: Option<String>,
    },
    /// Add TRX or tokens to an account of a running node (POST /admin/fund).
    Fund {
        /// Account (base58 or hex); TRX activates it if it does not exist.
        address: String,
        /// Amount in display units, e.g. 5000 or 0.5.
        amount: String,
        /// trx or usdt (the node's token).
        #[arg(long, default_value = "trx", value_parser = ["trx", "usdt"])]
        token: String,
        /// The node, e.g. http://127.0.0.1:8090.
        #[arg(long, value_name = "URL", env = "COLDPAY_DEVNODE_URL")]
        node: String,
    },
}

/// Funds an account through a running node's admin API.
fn run_fund(address: &str, amount: &str, token: &str, node: &str) -> ExitCode {
    let url = format!("{}/admin/fund", node.trim_end_matches('/'));
    let body = serde_json::json!({"address": address, "amount": amount, "token": token});
    match ureq::post(&url).send_json(body) {
        Ok(r) => {
            let v: serde_json::Value = r.into_json().unwrap_or_default();
            let text = |k: &str| v[k].as_str().unwrap_or("?").to_string();
            println!(
                "{} now holds {} TRX and {} {}",
                text("address"),
                text("trx"),
                text("token"),
                text("token_symbol")
            );
            ExitCode::SUCCESS
        }
        Err(ureq::Error::Status(_, r)) => {
            let v: serde_json::Value = r.into_json().unwrap_or_default();
            eprintln!(
                "error: {}",
                v["Error"].as_str().unwrap_or("the node refused")
            );
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("error: cannot reach the dev node at {node} (is it running? --node URL)");
            ExitCode::from(1)
        }
    }
}

/// Runs the pool proxy until killed.
fn run_pool(upstream: String, port: u16, faults: Option<&str>) -> ExitCode {
    let faults = match faults.map(serde_json::from_str::<PoolFaults>) {
        None => PoolFaults::default(),
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            eprintln!("error: --faults: {e}");
            return ExitCode::from(2);
        }
    };
    let pool = match Pool::start_on_port(upstream, faults, port) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    println!("listening on {}", pool.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

fn parse_fund(s: &str, decimals: u8) -> Result<(Address, u64, u128), String> {
    let (addr, amounts) = s.split_once('=').ok_or("expected ADDRESS=TRX:USDT")?;
    let (trx, usdt) = amounts.split_once(':').unwrap_or((amounts, "0"));
    let a = Address::parse(addr).map_err(|e| e.to_string())?;
    let trx: u64 = parse_units(trx, TRX_DECIMALS)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "TRX amount too large".to_string())?;
    let usdt: u128 = parse_units(usdt, decimals)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "token amount too large".to_string())?;
    Ok((a, trx, usdt))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Pool {
        upstream,
        port,
        faults,
    }) = cli.command
    {
        return run_pool(upstream, port, faults.as_deref());
    }
    if let Some(Command::Fund {
        address,
        amount,
        token,
        node,
    }) = &cli.command
    {
        return run_fund(address, amount, token, node);
    }
    let mut genesis = match &cli.genesis {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Genesis>(&t).map_err(|e| e.to_string()))
        {
            Ok(g) => g,
            Err(e) => {
                eprintln!("error: --genesis {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => Genesis::default(),
    };
    for f in &cli.fund {
        match parse_fund(f, genesis.token.decimals) {
            Ok((a, trx, usdt)) => genesis.fund(a, trx, usdt),
            Err(e) => {
                eprintln!("error: --fund {f}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let rate_limit_per_s = match cli
        .rate_limit
        .as_deref()
        .map(|r| r.trim_end_matches("/s").parse::<u32>())
    {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => {
            eprintln!("error: --rate-limit: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        block_ms: cli.block_ms,
        solid_lag: cli.solid_lag,
        genesis,
        faults: Faults {
            fail_rate: cli.fail_rate,
            rate_limit_per_s,
            latency_ms: cli.latency,
            drop_rate: cli.drop_rate,
            require_api_key: cli.require_api_key,
        },
        port: cli.port,
        clock: if cli.clock == "slots" {
            Clock::Slots
        } else {
            Clock::Wall
        },
    };
    let node = match Devnode::start(config) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    println!("listening on {}", node.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
