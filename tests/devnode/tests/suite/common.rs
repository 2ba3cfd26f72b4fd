//! Helpers shared by the dev node's integration tests: keys and addresses, funded nodes (alone
//! or behind the pool fault proxy), signed transfers, and the binary run as a child process.

// Not every test file uses every helper.
#![allow(dead_code, unreachable_pub)]

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

use coldpay_devnode::pool::{Pool, PoolFaults};
use coldpay_devnode::{Config, Devnode, Genesis};
use coldpay_shared::{Address, RawData, RefBlock, Signature, SignedTransaction, Sun, U256};
use k256::ecdsa::SigningKey;
use serde_json::{json, Value};

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

pub fn addr(k: &SigningKey) -> Address {
    Address::from_public_key(k.verifying_key())
}

pub fn usdt() -> Address {
    Address::parse(coldpay_shared::MAINNET_USDT).unwrap()
}

/// A genesis in which `k` holds 10 000 TRX and 1 000 000 USDT.
pub fn funded_genesis(k: &SigningKey) -> Genesis {
    let mut g = Genesis::default();
    g.fund(addr(k), 10_000_000_000, 1_000_000_000_000);
    g
}

/// A dev node with `genesis` and otherwise the default configuration.
pub fn devnode(genesis: Genesis) -> Devnode {
    Devnode::start(Config {
        genesis,
        ..Config::default()
    })
    .unwrap()
}

/// A dev node with `genesis` and the pool fault proxy in front of it.
pub fn devnode_and_pool(genesis: Genesis, faults: PoolFaults) -> (Devnode, Pool) {
    let node = devnode(genesis);
    let pool = Pool::start(node.url(), faults).unwrap();
    (node, pool)
}

/// A dev node whose solidified head is two blocks behind, and an agent to talk to it. Each test
/// file adds the calls it needs in its own `impl Node`.
pub struct Node {
    pub node: Devnode,
    pub agent: ureq::Agent,
}

impl Node {
    pub fn start(genesis: Genesis) -> Node {
        let node = Devnode::start(Config {
            genesis,
            solid_lag: 2,
            ..Config::default()
        })
        .unwrap();
        Node {
            node,
            agent: ureq::AgentBuilder::new().build(),
        }
    }
}

/// The reference for new transactions as a wallet takes it: the solidified block's id, and the
/// head block's time as "now".
pub fn tapos(solid: &Value, head: &Value) -> (RefBlock, u64) {
    let id: [u8; 32] = hex::decode(solid["blockID"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    (
        RefBlock::from_block_id(&id),
        head["block_header"]["raw_data"]["timestamp"]
            .as_u64()
            .unwrap(),
    )
}

/// A TRX transfer referencing `block`, expiring an hour after `now` and stamped `salt` ms after
/// it (different stamps give different txids).
pub fn trx_transfer(
    from: &SigningKey,
    to: Address,
    sun: u64,
    (block, now): (RefBlock, u64),
    salt: u64,
) -> RawData {
    RawData::trx_transfer(
        addr(from),
        to,
        Sun::new(sun).unwrap(),
        block,
        now + 3_600_000,
        now + salt,
    )
}

/// A USDT transfer, referenced, expiring and stamped like [`trx_transfer`].
pub fn usdt_transfer(
    from: &SigningKey,
    to: Address,
    units: u64,
    fee_limit: u64,
    (block, now): (RefBlock, u64),
    salt: u64,
) -> RawData {
    RawData::trc20_transfer(
        addr(from),
        usdt(),
        to,
        U256::from(units),
        fee_limit,
        block,
        now + 3_600_000,
        now + salt,
    )
}

/// `raw` signed by each of `keys`, in order.
pub fn sign(raw: &RawData, keys: &[&SigningKey]) -> SignedTransaction {
    let txid = raw.txid();
    SignedTransaction {
        raw: raw.clone(),
        signatures: keys
            .iter()
            .map(|k| Signature::sign_txid(k, &txid).unwrap())
            .collect(),
    }
}

/// The body of `POST /wallet/broadcasthex` for `tx`.
pub fn broadcasthex_body(tx: &SignedTransaction) -> Value {
    json!({"transaction": hex::encode(tx.encode())})
}

/// Runs the coldpay-devnode binary with `args` and reads the `listening on URL` line it prints
/// first; the URL is on loopback. Stop the child with [`stop`].
pub fn spawn_devnode(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coldpay-devnode"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    (child, url)
}

pub fn stop(mut child: Child) {
    child.kill().unwrap();
    let _ = child.wait();
}
