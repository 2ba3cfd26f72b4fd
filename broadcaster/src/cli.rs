//! Command-line interface: arguments, configuration and dispatch.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use coldpay_shared::amount::format_units;
use coldpay_shared::handoff::WatchExport;
use coldpay_shared::{Address, Network, SignResponse, U256};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::build::{build, write_request, BuildOpts};
use crate::error::{BcError, Result};
use crate::journal::Journal;
use crate::node::{preset_url, Node};
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
#[command(name = "coldpay-broadcaster", version, about, long_about)]
struct Cli {
    /// Config file (default ~/.coldpay/config.toml): network, nodes, api_key, db.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Journal database (default beside the config: ~/.coldpay/journal.sqlite).
    #[arg(long, global = true, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Full node URL (repeatable: failover in order). Overrides the network preset.
    #[arg(long, global = true, value_name = "URL")]
    node: Vec<String>,
    /// mainnet, nile, shasta (TronGrid presets) or local (a dev node; needs --node).
    #[arg(long, global = true)]
    network: Option<Network>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watch-only accounts from the signer.
    #[command(subcommand)]
    Accounts(AccountsCmd),
    /// TRX, USDT, energy and bandwidth of an address.
    Balance {
        /// Address (base58 or hex).
        address: String,
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
    },
    /// Payout batches.
    #[command(subcommand)]
    Batch(BatchCmd),
    /// Build unsigned transactions and write the sign request.
    Build {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Expiration after the reference block (e.g. 6h; at most 24h).
        #[arg(long, default_value = "6h")]
        expires_in: String,
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
    /// Verify a sign response and broadcast the signed transactions.
    Submit {
        /// Sign response file, or `-` (omit with --qr-image or --ur).
        #[arg(default_value = "")]
        response: String,
        #[command(flatten)]
        qr_in: crate::qrio::QrInArgs,
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
    },
    /// Payout counts by status.
    Status {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
    },
    /// One row per payout: id, to, amount, txID, block, energy, TRX burned, status, reason.
    Report {
        /// Batch.
        #[arg(long)]
        batch: String,
        /// csv or json.
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// Incoming TRX and TRC-20 transfers to an address in recent solidified blocks.
    Watch {
        /// Address.
        #[arg(long)]
        address: String,
        /// First block (default: 100 blocks before the solidified head).
        #[arg(long)]
        from_block: Option<u64>,
        /// Keep following new blocks.
        #[arg(long)]
        follow: bool,
    },
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    network: Option<Network>,
    #[serde(default)]
    nodes: Vec<String>,
    api_key: Option<String>,
    db: Option<PathBuf>,
}

struct Ctx {
    network: Network,
    db: PathBuf,
    nodes: Vec<String>,
    api_key: Option<String>,
    json: bool,
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

fn ctx(cli: &Cli) -> Result<Ctx> {
    let home = std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(".coldpay");
    let (cfg_path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (home.join("config.toml"), false),
    };
    let cfg: ConfigFile = match std::fs::read_to_string(&cfg_path) {
        Ok(t) => toml::from_str(&t)
            .map_err(|e| BcError::Input(format!("{}: {e}", cfg_path.display())))?,
        Err(e) if explicit => return Err(BcError::Input(format!("{}: {e}", cfg_path.display()))),
        Err(_) => ConfigFile::default(),
    };
    let network = cli.network.or(cfg.network).unwrap_or(Network::Mainnet);
    let mut nodes = if cli.node.is_empty() {
        cfg.nodes
    } else {
        cli.node.clone()
    };
    if nodes.is_empty() {
        if let Some(u) = preset_url(network.as_str()) {
            nodes.push(u.to_string());
        }
    }
    let db = cli.db.clone().or(cfg.db).unwrap_or_else(|| {
        cfg_path
            .parent()
            .unwrap_or(Path::new("."))
            .join("journal.sqlite")
    });
    let api_key = std::env::var("TRON_PRO_API_KEY")
        .ok()
        .filter(|k| !k.is_empty())
        .or(cfg.api_key);
    Ok(Ctx {
        network,
        db,
        nodes,
        api_key,
        json: cli.json,
    })
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

fn print(ctx: &Ctx, v: &Value, text: &str) {
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(v).expect("json"));
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
        print!(
            "{}",
            coldpay_shared::view::inspect_input(&read_text(input)?, cli.json)?
        );
        return Ok(());
    }
    let c = ctx(&cli)?;
    let journal = Journal::open(&c.db)?;
    let node = || Node::new(c.nodes.clone(), c.api_key.clone());
    match cli.command {
        Command::Tx(_) | Command::Completions { .. } => unreachable!("handled above"),
        Command::Accounts(AccountsCmd::ImportWatch { file, qr_in }) => {
            let w = if qr_in.any() {
                let payload = qr_in.read(coldpay_shared::urframe::UrKind::Watch)?;
                coldpay_shared::compact::decode_watch(&payload)?
            } else {
                let file = file.ok_or_else(|| {
                    BcError::Input("give the export FILE, --qr-image FILE… or --ur".into())
                })?;
                let text = read_text(&file.to_string_lossy())?;
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| BcError::Input(format!("{}: {e}", file.display())))?;
                WatchExport::from_json(&v)?
            };
            if w.network != c.network {
                return Err(BcError::Input(format!(
                    "watch-only export is for {}, this broadcaster runs {}",
                    w.network, c.network
                )));
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
        Command::Balance { address } => {
            let a = Address::parse(&address)?;
            let n = node()?;
            let trx = n.trx_balance(&a)?;
            let usdt = n.token_balance(&usdt_contract(c.network.as_str()), &a)?;
            let r = n.resources(&a)?;
            let g = |k: &str| r[k].as_u64().unwrap_or(0);
            let energy = g("EnergyLimit").saturating_sub(g("EnergyUsed"));
            let bandwidth = g("freeNetLimit").saturating_sub(g("freeNetUsed"))
                + g("NetLimit").saturating_sub(g("NetUsed"));
            let v = json!({"address": a, "trx_sun": trx, "trx": format_units(U256::from(trx), 6), "usdt_base_units": usdt.to_string(), "usdt": format_units(usdt, 6), "energy_available": energy, "bandwidth_available": bandwidth});
            print(&c, &v, &format!("{a}\n  TRX        {}\n  USDT       {}\n  energy     {energy}\n  bandwidth  {bandwidth}", format_units(U256::from(trx), 6), format_units(usdt, 6)));
        }
        Command::Pay {
            from,
            to,
            amount,
            token,
            payout_id,
            memo,
        } => {
            let from = Address::parse(&from)?;
            require_account(&journal, &from, c.network.as_str())?;
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
            insert_batch(
                &journal,
                &id,
                &from,
                c.network.as_str(),
                std::slice::from_ref(&p),
            )?;
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
        }) => {
            let from = Address::parse(&from)?;
            require_account(&journal, &from, c.network.as_str())?;
            let payouts = read_csv(&file, &from, c.network.as_str(), &journal)?;
            let id = batch_id.unwrap_or_else(|| {
                format!(
                    "{}-{}",
                    file.file_stem()
                        .map_or("batch".into(), |s| s.to_string_lossy().into_owned()),
                    crate::journal::now_ms()
                )
            });
            insert_batch(&journal, &id, &from, c.network.as_str(), &payouts)?;
            let t = totals(&payouts);
            let text = format!(
                "imported batch {id}: {} payout(s)\n{}",
                payouts.len(),
                t.iter()
                    .map(|(tok, v, n)| format!("  {v} {tok} in {n} payout(s)"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            print(
                &c,
                &json!({"batch": id, "payouts": payouts.len(), "totals": t.iter().map(|(tok, v, n)| json!({"token": tok, "amount": v, "count": n})).collect::<Vec<_>>()}),
                &text,
            );
        }
        Command::Build {
            batch,
            expires_in,
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
                expires_in_ms: parse_duration(&expires_in, "--expires-in")?.as_millis() as u64,
                max_fee_sun,
                margin_pct: fee_margin,
                network: c.network,
            };
            match build(&journal, &node()?, &opts, &bar(0, c.json))? {
                None => print(
                    &c,
                    &json!({"transactions": 0}),
                    "nothing to build: every payout is signed, pending or confirmed",
                ),
                Some((req, new, re)) => {
                    if qr_out.any() {
                        let n = qr_out.emit(
                            coldpay_shared::urframe::UrKind::Request,
                            &coldpay_shared::compact::encode_request(&req)?,
                        )?;
                        eprintln!("sign request shown as {n} QR part(s)");
                    }
                    if output.is_some() || !qr_out.any() {
                        write_request(&req, output.as_deref())?;
                    }
                    eprintln!(
                        "confirmation code for the signer: {}",
                        req.confirmation_code()
                    );
                    if output.is_some() || c.json {
                        let msg = format!("sign request {} with {} transaction(s) ({new} new, {re} re-exported){}", req.request_id, req.transactions.len(), output.as_ref().map_or(String::new(), |p| format!(" written to {}", p.display())));
                        if output.is_some() {
                            print(
                                &c,
                                &json!({"request_id": req.request_id, "transactions": req.transactions.len(), "new": new, "reexported": re}),
                                &msg,
                            );
                        }
                    }
                }
            }
        }
        Command::Submit { response, qr_in } => {
            let resp = if qr_in.any() {
                let payload = qr_in.read(coldpay_shared::urframe::UrKind::Response)?;
                let lookup =
                    |prefix: &[u8]| journal.attempts_by_txid_prefix(prefix).unwrap_or_default();
                coldpay_shared::compact::decode_response(&payload, &lookup)?
            } else {
                if response.is_empty() {
                    return Err(BcError::Input(
                        "give a RESPONSE file (or -), --qr-image FILE… or --ur".into(),
                    ));
                }
                let text = read_text(&response)?;
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| BcError::Input(format!("{response}: {e}")))?;
                SignResponse::from_json(&v)?
            };
            let s = crate::submit::submit(&journal, &node()?, &resp, &bar(0, c.json))?;
            let text = format!(
                "broadcast: {} accepted, {} refused by the node, {} skipped",
                s.accepted, s.refused, s.skipped
            );
            print(&c, &serde_json::to_value(&s).expect("json"), &text);
        }
        Command::Track {
            follow,
            timeout,
            poll,
        } => {
            let n = node()?;
            let deadline = Instant::now() + parse_duration(&timeout, "--timeout")?;
            let poll = parse_duration(&poll, "--poll")?;
            let b = bar(0, c.json);
            let mut total = crate::track::TrackPass::default();
            loop {
                let p = crate::track::pass(&journal, &n)?;
                total.confirmed += p.confirmed;
                total.failed += p.failed;
                total.expired += p.expired;
                total.pending = p.pending;
                total.solid_block = p.solid_block;
                b.set_message(format!(
                    "solid block {} — {} confirmed, {} failed, {} expired, {} pending",
                    p.solid_block, total.confirmed, total.failed, total.expired, p.pending
                ));
                b.tick();
                if !follow || p.pending == 0 {
                    break;
                }
                if Instant::now() >= deadline {
                    b.finish_and_clear();
                    print(&c, &serde_json::to_value(&total).expect("json"), "");
                    return Err(BcError::Timeout(format!(
                        "timed out with {} attempt(s) still pending",
                        p.pending
                    )));
                }
                std::thread::sleep(poll);
            }
            b.finish_and_clear();
            let text = format!(
                "{} confirmed, {} failed, {} expired, {} pending (solid block {})",
                total.confirmed, total.failed, total.expired, total.pending, total.solid_block
            );
            print(&c, &serde_json::to_value(&total).expect("json"), &text);
        }
        Command::Status { batch } => {
            let r = rows(&journal, batch.as_deref())?;
            let mut counts = std::collections::BTreeMap::new();
            for row in &r {
                *counts
                    .entry(row["status"].as_str().unwrap_or("").to_string())
                    .or_insert(0usize) += 1;
            }
            let rebuild: Vec<&Value> = r
                .iter()
                .filter(|x| x["status"] == "expired" || x["status"] == "failed")
                .map(|x| &x["payout_id"])
                .collect();
            let text = counts
                .iter()
                .map(|(k, v)| format!("{k:<20} {v}"))
                .collect::<Vec<_>>()
                .join("\n")
                + &if rebuild.is_empty() {
                    String::new()
                } else {
                    format!("\n{} payout(s) can be rebuilt with `build`", rebuild.len())
                };
            print(
                &c,
                &json!({"counts": counts, "payouts": r.len(), "to_rebuild": rebuild}),
                &text,
            );
        }
        Command::Report { batch, format } => {
            if journal.batch_from(&batch)?.is_none() {
                return Err(BcError::Input(format!("no batch {batch:?}")));
            }
            let r = rows(&journal, Some(&batch))?;
            match format.as_str() {
                "csv" => print!("{}", to_csv(&r)),
                "json" => println!("{}", serde_json::to_string_pretty(&r).expect("json")),
                other => return Err(BcError::Input(format!("--format {other:?}: csv or json"))),
            }
        }
        Command::Watch {
            address,
            from_block,
            follow,
        } => {
            let a = Address::parse(&address)?;
            watch(&c, &node()?, &a, from_block, follow)?;
        }
    }
    Ok(())
}

fn watch(c: &Ctx, n: &Node, who: &Address, from_block: Option<u64>, follow: bool) -> Result<()> {
    let mut next = from_block;
    loop {
        let solid = n.solid_block()?;
        let mut start = next.unwrap_or_else(|| solid.number.saturating_sub(100));
        while start <= solid.number {
            let end = (start + 100).min(solid.number + 1);
            let v = n.call(
                "/wallet/getblockbylimitnext",
                &json!({"startNum": start, "endNum": end, "visible": true}),
                true,
            )?;
            for b in v["block"].as_array().cloned().unwrap_or_default() {
                let num = b["block_header"]["raw_data"]["number"]
                    .as_u64()
                    .unwrap_or(0);
                let mut has_trigger = false;
                for t in b["transactions"].as_array().cloned().unwrap_or_default() {
                    let ct = &t["raw_data"]["contract"][0];
                    let val = &ct["parameter"]["value"];
                    if ct["type"] == "TransferContract"
                        && val["to_address"].as_str() == Some(&who.to_base58())
                    {
                        let amt = val["amount"].as_u64().unwrap_or(0);
                        let row = json!({"block": num, "confirmations": solid.number - num + 1, "txid": t["txID"], "from": val["owner_address"], "token": "TRX", "amount": format_units(U256::from(amt), 6)});
                        print(
                            c,
                            &row,
                            &format!(
                                "block {num}: {} TRX from {} ({})",
                                row["amount"].as_str().unwrap_or(""),
                                row["from"].as_str().unwrap_or(""),
                                row["txid"].as_str().unwrap_or("")
                            ),
                        );
                    }
                    has_trigger |= ct["type"] == "TriggerSmartContract";
                }
                if has_trigger {
                    for info in n.infos_in_block(num)? {
                        for log in info["log"].as_array().cloned().unwrap_or_default() {
                            let topics: Vec<&str> = log["topics"]
                                .as_array()
                                .map(|t| t.iter().filter_map(Value::as_str).collect())
                                .unwrap_or_default();
                            if topics.len() == 3
                                && topics[0]
                                    == hex::encode(coldpay_shared::abi::TRANSFER_EVENT_TOPIC)
                                && topics[2] == hex::encode(coldpay_shared::abi::address_word(who))
                            {
                                let from = hex::decode(topics[1]).ok().and_then(|w| {
                                    coldpay_shared::abi::decode_address_word(&w).ok()
                                });
                                let value = U256::from_be_slice(
                                    &hex::decode(log["data"].as_str().unwrap_or(""))
                                        .unwrap_or_default(),
                                );
                                let token = log["address"]
                                    .as_str()
                                    .and_then(|h| hex::decode(h).ok())
                                    .and_then(|b| <[u8; 20]>::try_from(b).ok())
                                    .map(Address::from_evm_bytes);
                                let row = json!({"block": num, "confirmations": solid.number - num + 1, "txid": info["id"], "from": from, "token": token, "amount_base_units": value.to_string()});
                                print(
                                    c,
                                    &row,
                                    &format!(
                                        "block {num}: {value} base units of {} from {} ({})",
                                        token.map_or(String::new(), |t| t.to_string()),
                                        from.map_or(String::new(), |f| f.to_string()),
                                        info["id"].as_str().unwrap_or("")
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            start = end;
        }
        next = Some(solid.number + 1);
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(3));
    }
}

/// The clap definition (for generated docs, man pages and completions).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs the CLI and returns the exit code.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::from(e.exit_code())
        }
    }
}
