//! The broadcaster test harness: a dev node (optionally behind the pool fault proxy), a
//! journal in a temp dir, and a stand-in for the cold signer.

#![allow(dead_code, unreachable_pub, clippy::unused_self)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coldpay_devnode::pool::{Pool, PoolFaults};
use coldpay_devnode::{Config, Devnode, Genesis};
use coldpay_shared::handoff::{ResponseTx, SignerSignature, WatchAccount, WatchExport};
use coldpay_shared::{Address, Network, SignRequest, SignResponse, Signature};
use k256::ecdsa::SigningKey;
use serde_json::Value;

pub fn key(n: u8) -> SigningKey {
    SigningKey::from_slice(&[n; 32]).unwrap()
}

pub fn addr(k: &SigningKey) -> Address {
    Address::from_public_key(k.verifying_key())
}

pub fn recipient(i: u64) -> Address {
    let mut b = [0u8; 20];
    b[..8].copy_from_slice(&(i + 1).to_be_bytes());
    b[19] = 0x5a;
    Address::from_evm_bytes(b)
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub node: Devnode,
    pub pool: Option<Pool>,
    pub treasury: SigningKey,
}

impl World {
    pub fn new(trx: u64, usdt: u128) -> World {
        World::start(trx, usdt, None)
    }

    /// A world whose broadcaster talks to the dev node through the pool fault proxy.
    pub fn pooled(trx: u64, usdt: u128) -> World {
        World::start(trx, usdt, Some(PoolFaults::default()))
    }

    fn start(trx: u64, usdt: u128, pool: Option<PoolFaults>) -> World {
        let treasury = key(7);
        let mut g = Genesis::default();
        g.fund(addr(&treasury), trx * 1_000_000, usdt * 1_000_000);
        // A recipient that already holds USDT, so both energy classes occur.
        g.fund(recipient(0), 0, 1);
        let node = Devnode::start(Config {
            genesis: g,
            solid_lag: 2,
            ..Config::default()
        })
        .unwrap();
        let pool = pool.map(|f| Pool::start(node.url(), f).unwrap());
        let w = World {
            dir: tempfile::tempdir().unwrap(),
            node,
            pool,
            treasury,
        };
        let export = WatchExport {
            network: Network::Local,
            approver_for: None,
            accounts: vec![WatchAccount {
                name: "treasury".into(),
                address: addr(&w.treasury),
                path: Some("m/44'/195'/0'/0/0".into()),
            }],
        };
        let p = w.path("watch.json");
        std::fs::write(&p, export.to_json().to_string()).unwrap();
        let o = w.run(&["accounts", "import-watch", p.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        w
    }

    /// The URL the broadcaster uses (the pool proxy when there is one).
    pub fn url(&self) -> String {
        self.pool
            .as_ref()
            .map_or_else(|| self.node.url(), Pool::url)
    }

    /// The journal's database opened raw, past the journal's API (whose connection is
    /// private): tests that set up states older versions left behind, or read columns no
    /// command shows, write and read it directly. Nothing else may.
    pub fn journal(&self) -> RawJournal {
        let conn = rusqlite::Connection::open(self.path("journal.sqlite")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        RawJournal { conn }
    }

    /// Replaces the pool's faults.
    pub fn faults(&self, f: PoolFaults) {
        self.pool.as_ref().expect("pooled world").set_faults(f);
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_coldpay-broadcaster"));
        c.arg("--db")
            .arg(self.path("journal.sqlite"))
            .args(["--node", &self.url(), "--network", "local", "--json"])
            .args(args);
        c.env("HOME", self.dir.path());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let t = std::time::Instant::now();
        let o = self.cmd(args).output().unwrap();
        if std::env::var_os("COLDPAY_TEST_TIMING").is_some() {
            eprintln!("{:>8.2?} {args:?} exit {:?}", t.elapsed(), o.status.code());
        }
        o
    }

    pub fn ok(&self, args: &[&str]) -> Value {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
    }

    pub fn csv(&self, name: &str, rows: &[(String, Address, &str, &str)]) -> PathBuf {
        let mut s = String::from("payout_id,to,amount,token\n");
        for (id, to, amount, token) in rows {
            s.push_str(&format!("{id},{to},{amount},{token}\n"));
        }
        let p = self.path(name);
        std::fs::write(&p, s).unwrap();
        p
    }

    pub fn import(&self, batch: &str, rows: &[(String, Address, &str, &str)]) {
        let p = self.csv(&format!("{batch}.csv"), rows);
        self.ok(&[
            "batch",
            "import",
            p.to_str().unwrap(),
            "--from",
            &addr(&self.treasury).to_base58(),
            "--batch-id",
            batch,
        ]);
    }

    pub fn build(&self, batch: &str, extra: &[&str]) -> PathBuf {
        let out = self.path(&format!("{batch}-request.json"));
        let mut args = vec!["build", "--batch", batch, "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.ok(&args);
        out
    }

    /// Signs a request with `k` (what the cold signer does) and writes the response.
    pub fn sign(&self, request: &Path, k: &SigningKey) -> PathBuf {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(request).unwrap()).unwrap();
        let req = SignRequest::from_json(&v).unwrap();
        let resp = SignResponse {
            request_id: req.request_id.clone(),
            signed_at: 1,
            audit_head: None,
            policy: None,
            transactions: req
                .transactions
                .iter()
                .map(|t| ResponseTx {
                    payout_id: t.payout_id.clone(),
                    txid: t.txid,
                    signatures: vec![SignerSignature {
                        signer: addr(k),
                        signature: Signature::sign_txid(k, &t.txid).unwrap(),
                    }],
                })
                .collect(),
        };
        let out = request.with_extension("response.json");
        std::fs::write(&out, resp.to_json().to_string()).unwrap();
        out
    }

    pub fn settle(&self) -> Value {
        self.node.mine(1);
        self.node.mine(3);
        self.ok(&["track"])
    }

    pub fn report(&self, batch: &str) -> Vec<Value> {
        self.ok(&["report", "--batch", batch])
            .as_array()
            .unwrap()
            .clone()
    }

    /// Ledger transactions per recipient.
    pub fn paid(&self) -> Vec<Value> {
        self.node.ledger()["transactions"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// The journal's database, opened raw by a test ([`World::journal`]).
pub struct RawJournal {
    /// The SQLite connection.
    pub conn: rusqlite::Connection,
}
