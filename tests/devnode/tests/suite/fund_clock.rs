//! Funding accounts after start (`POST /admin/fund`, `coldpay-devnode fund`) and the chain
//! clock (wall time by default in the binary; fixed 3 s slots in the library default).

use crate::common;

use coldpay_devnode::{Clock, Config, Devnode, Genesis};
use coldpay_shared::U256;
use common::{addr, devnode, key, spawn_devnode, stop};
use serde_json::{json, Value};

fn post(url: &str, body: &Value) -> (u16, Value) {
    match ureq::post(url).send_json(body.clone()) {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

fn balance(url: &str, who: &str) -> Value {
    post(
        &format!("{url}/wallet/getaccount"),
        &json!({"address": who, "visible": true}),
    )
    .1
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn admin_fund_adds_trx_and_tokens_exactly() {
    let node = devnode(Genesis::default());
    let who = addr(&key(3)).to_base58();
    let url = format!("{}/admin/fund", node.url());
    // Tokens alone do not activate an account (as on TRON).
    let (code, v) = post(
        &url,
        &json!({"address": who, "amount": "0.000001", "token": "usdt"}),
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["token_balance"], "1");
    assert_eq!(v["trx_sun"], 0);
    assert_eq!(balance(&node.url(), &who), json!({}));
    let (code, v) = post(&url, &json!({"address": who, "amount": "12.5"}));
    assert_eq!(code, 200, "{v}");
    assert_eq!(
        (v["trx_sun"].clone(), v["trx"].clone()),
        (json!(12_500_000), json!("12.5"))
    );
    post(
        &url,
        &json!({"address": who, "amount": "0.5", "token": "trx"}),
    );
    assert_eq!(balance(&node.url(), &who)["balance"], 13_000_000);
    assert_eq!(
        node.with_chain(|c| c.token_balance(&addr(&key(3)))),
        U256::from(1u64)
    );
    for (body, says) in [
        (json!({"address": who, "amount": "1.0000001"}), "decimal"),
        (json!({"address": "Tnope", "amount": "1"}), "address"),
        (
            json!({"address": who, "amount": "1", "token": "btc"}),
            "trx or usdt",
        ),
        (
            json!({"address": who, "amount": "1", "extra": 1}),
            "unknown field",
        ),
    ] {
        let (code, v) = post(&url, &body);
        assert_eq!(code, 400, "{body}");
        assert!(v["Error"].as_str().unwrap().contains(says), "{v}");
    }
    // The library call does the same.
    node.fund(addr(&key(4)), 7, U256::ZERO).unwrap();
    assert_eq!(
        balance(&node.url(), &addr(&key(4)).to_base58())["balance"],
        7
    );
}

#[test]
fn fund_command_talks_to_a_running_node() {
    let (child, url) = spawn_devnode(&["--block-ms", "0"]);
    let who = addr(&key(5)).to_base58();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_coldpay-devnode"))
            .args(args)
            .env_remove("COLDPAY_DEVNODE_URL")
            .output()
            .unwrap()
    };
    let o = run(&["fund", &who, "250000", "--token", "usdt", "--node", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&["fund", &who, "5000", "--node", &url]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        out.trim(),
        format!("{who} now holds 5000 TRX and 250000 USDT")
    );
    let o = run(&["fund", &who, "1.1234567", "--node", &url]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("decimal"));
    stop(child);
    let o = run(&["fund", &who, "1", "--node", &url]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot reach the dev node"));
}

fn head_ts(node: &Devnode) -> u64 {
    node.with_chain(|c| c.head().timestamp)
}

#[test]
fn wall_clock_blocks_carry_wall_time_and_keep_jumps() {
    let node = Devnode::start(Config {
        clock: Clock::Wall,
        ..Config::default()
    })
    .unwrap();
    node.mine(50);
    let ts = head_ts(&node);
    // Fifty blocks mined at once are not 150 s in the future.
    assert!(ts.abs_diff(now_ms()) < 2_000, "{ts}");
    // A jump moves the clock forward and it stays there.
    node.mine_after(1, 600_000);
    node.mine(1);
    let ts = head_ts(&node);
    assert!(ts >= now_ms() + 598_000 && ts < now_ms() + 602_000, "{ts}");
    // Timestamps never go backwards.
    let all: Vec<u64> = node.with_chain(|c| c.blocks.iter().map(|b| b.timestamp).collect());
    assert!(all.windows(2).all(|w| w[1] > w[0]));
}

#[test]
fn slot_clock_stays_the_library_default() {
    let node = devnode(Genesis::default());
    let start = head_ts(&node);
    node.mine(10);
    assert_eq!(head_ts(&node), start + 30_000);
}

#[test]
fn the_binary_follows_wall_time_by_default() {
    let (child, url) = spawn_devnode(&["--block-ms", "100"]);
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let (_, b) = post(&format!("{url}/wallet/getnowblock"), &json!({}));
    stop(child);
    let raw = &b["block_header"]["raw_data"];
    assert!(raw["number"].as_u64().unwrap() >= 5, "{b}");
    let ts = raw["timestamp"].as_u64().unwrap();
    // With 3 s slots ten blocks would be 30 s ahead of the wall clock.
    assert!(ts.abs_diff(now_ms()) < 2_000, "{ts}");
}
