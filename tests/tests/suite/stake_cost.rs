//! Resource-aware cost on the dev node (issues #24 item 2, #23 item 3): a batch paid from
//! staked energy burns no TRX for energy although the free TRX does not cover the fee limits;
//! with a partial stake only the uncovered part burns and `build`'s expected figure is what
//! the node's ledger shows burned, to the sun; and the signer's review reads out the very
//! figures `build` printed for the same request.
//!
//! The staked batch has 100 payouts (about 2 s in debug builds); `COLDPAY_STAKE_PAYOUTS=N`
//! changes that.

use std::path::PathBuf;
use std::process::{Command, Output};

use coldpay_devnode::{Config, Devnode, Genesis};
use coldpay_shared::staking::Resource;
use coldpay_shared::Address;
use coldpay_testkit::{Limits, Policy};
use coldpay_tests::{bin, ok, sealed_treasury_home, workspace_root};
use serde_json::Value;

use coldpay_tests::DEMO_PASSPHRASE as PASS;
/// Energy of a USDT transfer to a new holder on the dev node.
const NEW_HOLDER_ENERGY: u64 = 130_285;

fn payouts() -> usize {
    std::env::var("COLDPAY_STAKE_PAYOUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

fn recipient(i: usize) -> Address {
    let mut b = [0x5au8; 20];
    b[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    Address::from_evm_bytes(b)
}

struct Setup {
    dir: tempfile::TempDir,
    node: Devnode,
    treasury: Address,
    n: usize,
}

impl Setup {
    /// A sealed signer home whose policy allows `n` new recipients; a dev node where the
    /// treasury holds `trx_sun` free TRX and enough USDT.
    fn new(n: usize, trx_sun: u64) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let policy = (0..n)
            .fold(Policy::new(), |p, i| {
                p.allow(&recipient(i).to_base58(), &format!("r{i}"))
            })
            .line("max_fee_limit_trx = \"50\"")
            .line("max_expiration_hours = 24")
            .line("allow_memo = true")
            .token(
                "USDT",
                "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                6,
                Limits::new("5000", "500000", "1000000"),
            )
            .trx(Limits::new("10", "10", "10"))
            .to_toml();
        let home = dir.path().join("signer");
        let treasury = sealed_treasury_home(&home, &policy);
        let watch = dir.path().join("watch.json");
        ok(
            &coldpay_tests::signer_at(
                &home,
                &["keys", "export-watch", "-o", watch.to_str().unwrap()],
            ),
            "export-watch",
        );
        let treasury = Address::parse(&treasury).unwrap();
        let mut g = Genesis::default();
        g.fund(treasury, trx_sun, 1_000_000_000_000);
        let node = Devnode::start(Config {
            genesis: g,
            solid_lag: 3,
            ..Config::default()
        })
        .unwrap();
        let setup = Setup {
            dir,
            node,
            treasury,
            n,
        };
        ok(
            &setup.bcast(&["accounts", "import-watch", watch.to_str().unwrap()]),
            "import-watch",
        );
        setup
    }

    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn bcast(&self, args: &[&str]) -> Output {
        Command::new(bin("coldpay-broadcaster"))
            .arg("--db")
            .arg(self.p("journal.sqlite"))
            .args(["--node", &self.node.url(), "--network", "local"])
            .args(args)
            .current_dir(workspace_root())
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }

    /// Gives the treasury staked energy for `transfers` new-holder transfers (whole TRX, so
    /// a little more), and returns its energy limit.
    fn stake_for(&self, transfers: f64) -> u64 {
        let want = (NEW_HOLDER_ENERGY as f64 * transfers) as u128;
        let (limit, weight) = self.node.with_chain(|c| {
            (
                u128::from(c.total_limit(Resource::Energy)),
                u128::from(c.total_weight(Resource::Energy)),
            )
        });
        let trx = want * weight / (limit - want) + 1;
        self.node
            .stake(
                self.treasury,
                u64::try_from(trx * 1_000_000).unwrap(),
                Resource::Energy,
                None,
            )
            .unwrap();
        self.node
            .with_chain(|c| c.resource_limit(&self.treasury, Resource::Energy))
    }

    fn import(&self) {
        let mut csv = String::from("payout_id,to,amount,token,memo\n");
        for i in 0..self.n {
            csv.push_str(&format!("p{i:03},{},{}.5,usdt,\n", recipient(i), i + 1));
        }
        let path = self.p("payouts.csv");
        std::fs::write(&path, csv).unwrap();
        let from = self.treasury.to_string();
        ok(
            &self.bcast(&[
                "batch",
                "import",
                path.to_str().unwrap(),
                "--from",
                &from,
                "--batch-id",
                "b1",
            ]),
            "batch import",
        );
    }

    /// build → sign → submit → mine → track. Returns (build's JSON, build's text, the
    /// signer's review).
    fn pay(&self) -> (Value, String, String) {
        let req = self.p("req.json");
        let res = self.p("res.json");
        let out = self.bcast(&["build", "--batch", "b1", "-o", req.to_str().unwrap()]);
        ok(&out, "build");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        // The same attempts re-exported, as JSON: the journal kept their cost figures.
        let again = self.p("req-again.json");
        let out = self.bcast(&[
            "--json",
            "build",
            "--batch",
            "b1",
            "-o",
            again.to_str().unwrap(),
        ]);
        let built: Value = serde_json::from_str(&ok(&out, "build --json")).unwrap();
        assert_eq!(built["reexported"], self.n as u64, "{built}");
        let out = Command::new(bin("coldpay-signer"))
            .arg("--home")
            .arg(self.p("signer"))
            .args(["sign", "--yes", "--passphrase-file", PASS, "-o"])
            .arg(&res)
            .arg(&req)
            .current_dir(workspace_root())
            .output()
            .unwrap();
        ok(&out, "sign");
        let review = String::from_utf8_lossy(&out.stderr).into_owned();
        ok(&self.bcast(&["submit", res.to_str().unwrap()]), "submit");
        self.node.mine(1);
        self.node.mine(4);
        let t: Value =
            serde_json::from_str(&ok(&self.bcast(&["track", "--json"]), "track")).unwrap();
        assert_eq!(t["confirmed"], self.n as u64, "{t}");
        (built, text, review)
    }

    fn trx_sun(&self) -> u64 {
        let ledger = self.node.ledger();
        let me = self.treasury.to_string();
        ledger["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["address"] == me.as_str())
            .unwrap()["trx_sun"]
            .as_u64()
            .unwrap()
    }

    /// The batch's transactions in the node's ledger, each payout exactly once.
    fn paid(&self) -> Vec<Value> {
        let me = self.treasury.to_string();
        let txs: Vec<Value> = self.node.ledger()["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["owner"] == me.as_str())
            .cloned()
            .collect();
        assert_eq!(txs.len(), self.n);
        for i in 0..self.n {
            let to = recipient(i).to_string();
            assert_eq!(
                txs.iter()
                    .filter(|t| t["to"] == to.as_str() && t["result"] == "SUCCESS")
                    .count(),
                1,
                "payout p{i:03}"
            );
        }
        txs
    }
}

fn sum(txs: &[Value], key: &str) -> u64 {
    txs.iter().map(|t| t[key].as_u64().unwrap_or(0)).sum()
}

/// The review and build print the same burn line, and the review labels the claim.
fn same_figures(built: &Value, text: &str, review: &str) {
    let line = built["summary"]["burn"].as_str().unwrap();
    assert!(line.starts_with("energy from stake "), "{line}");
    assert!(text.contains(line), "build text:\n{text}");
    assert!(
        review.contains(&format!("TRX burn          {line}")),
        "signer review does not read out build's figures ({line}):\n{review}"
    );
    assert!(
        review.contains(&format!(
            "the online machine says: energy from stake {}, expected burn {} TRX",
            built["summary"]["energy_from_stake"].as_str().unwrap(),
            built["summary"]["expected_burn_trx"].as_str().unwrap()
        )),
        "{review}"
    );
}

#[test]
fn a_staked_account_pays_the_batch_without_burning_trx_for_energy() {
    let n = payouts();
    // 60 TRX free: the fee limits (~15.6 TRX each) need far more; the stake covers the energy.
    let s = Setup::new(n, 60_000_000);
    let limit = s.stake_for(n as f64 + 0.5);
    assert!(limit >= NEW_HOLDER_ENERGY * n as u64, "{limit}");
    s.import();
    let before = s.trx_sun();
    let started = std::time::Instant::now();
    let (built, text, review) = s.pay();
    eprintln!(
        "{n} staked payouts: build+sign+submit+track in {:.1}s; {}",
        started.elapsed().as_secs_f64(),
        built["summary"]["burn"]
    );
    let sum_limits: u64 = {
        let req: Value =
            serde_json::from_str(&std::fs::read_to_string(s.p("req.json")).unwrap()).unwrap();
        let txs = req["transactions"].as_array().unwrap();
        assert!(txs
            .iter()
            .all(|t| t["fee"]["energy_from_stake"] == NEW_HOLDER_ENERGY));
        txs.len() as u64 * 15_000_000
    };
    assert!(
        sum_limits > before,
        "free TRX must not cover the fee limits"
    );
    assert!(
        text.contains("NOT for the worst case"),
        "build must say the free TRX covers the expected but not the worst case:\n{text}"
    );
    same_figures(&built, &text, &review);
    let txs = s.paid();
    assert_eq!(sum(&txs, "energy_fee_sun"), 0, "energy was burned");
    assert_eq!(sum(&txs, "energy_from_stake"), NEW_HOLDER_ENERGY * n as u64);
    let burned = before - s.trx_sun();
    assert_eq!(burned, sum(&txs, "fee_sun"));
    assert_eq!(
        built["summary"]["expected_burn_sun"],
        burned.to_string(),
        "bandwidth burned"
    );
}

#[test]
fn with_a_partial_stake_only_the_uncovered_part_burns_as_build_said() {
    let n = 6;
    let s = Setup::new(n, 500_000_000);
    // Stake for 2.5 of the 6 transfers.
    let limit = s.stake_for(2.5);
    assert!(
        limit > 2 * NEW_HOLDER_ENERGY && limit < 3 * NEW_HOLDER_ENERGY,
        "{limit}"
    );
    s.import();
    let before = s.trx_sun();
    let (built, text, review) = s.pay();
    same_figures(&built, &text, &review);
    assert!(!text.contains("NOT for the worst case"), "{text}");
    let txs = s.paid();
    let burned = before - s.trx_sun();
    assert_eq!(burned, sum(&txs, "fee_sun"));
    // Exactly what the stake could not cover burned for energy, and build said so to the sun.
    assert_eq!(sum(&txs, "energy_from_stake"), limit);
    assert_eq!(
        sum(&txs, "energy_fee_sun"),
        (NEW_HOLDER_ENERGY * n as u64 - limit) * 100
    );
    assert_eq!(built["summary"]["energy_from_stake"], limit.to_string());
    assert_eq!(built["summary"]["expected_burn_sun"], burned.to_string());
}
