//! What a first-time operator sees: `init`, the network line every command starts with, a
//! dead node, `build`'s summary, duplicate payouts, and `report` over every batch.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use coldpay_devnode::scripted::Scripted;
use coldpay_shared::SignRequest;
use common::{addr, recipient, World};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_coldpay-broadcaster");

/// The broadcaster with HOME in `home` and no API key variable.
fn bare(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", home)
        .env_remove("TRON_PRO_API_KEY")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The World's command line without `--json` (human output).
fn human(w: &World, args: &[&str]) -> Output {
    let db = w.path("journal.sqlite");
    let url = w.url();
    let mut all = vec![
        "--db",
        db.to_str().unwrap(),
        "--node",
        url.as_str(),
        "--network",
        "local",
    ];
    all.extend_from_slice(args);
    bare(w.dir.path(), &all)
}

#[test]
fn init_writes_a_commented_config_that_every_command_then_names() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // No network anywhere: refused, never guessed.
    let o = bare(h, &["status"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no network chosen"), "{}", stderr(&o));
    // init needs --network, and a node for local.
    assert_eq!(bare(h, &["init"]).status.code(), Some(2));
    let o = bare(h, &["init", "--network", "local"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("needs --node"), "{}", stderr(&o));
    let o = bare(
        h,
        &["init", "--network", "nile", "--api-key-env", "TRONGRID_KEY"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg = h.join(".coldpay/config.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.contains("network = \"nile\""), "{text}");
    assert!(
        text.contains("nodes = [\"https://nile.trongrid.io\"]"),
        "{text}"
    );
    assert!(text.contains("api_key_env = \"TRONGRID_KEY\""), "{text}");
    assert!(text.contains("TRON-PRO-API-KEY") && text.contains("# max_rps"));
    // Not overwritten without --force.
    let o = bare(h, &["init", "--network", "mainnet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), text);
    // Every command's first line names the network, where it came from and the journal.
    let o = bare(h, &["status"]);
    let first = stderr(&o).lines().next().unwrap_or("").to_string();
    assert!(
        first.starts_with(&format!("network nile (config {})", cfg.display())),
        "{first}"
    );
    // A command that uses a node names it too; the key variable must be set.
    let o = bare(h, &["balance", "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.lines()
            .next()
            .unwrap()
            .contains("· node https://nile.trongrid.io"),
        "{err}"
    );
    assert!(err.contains("TRONGRID_KEY is not set"), "{err}");
    // --force replaces it; a flag overrides the config and says so.
    let o = bare(
        h,
        &[
            "init",
            "--network",
            "local",
            "--node",
            "http://127.0.0.1:9",
            "--force",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = bare(h, &["--network", "nile", "status"]);
    assert!(
        stderr(&o).starts_with("network nile (--network)"),
        "{}",
        stderr(&o)
    );
    // A typo in the config is refused with its line, without TOML's excerpt.
    std::fs::write(&cfg, "network = \"nile\"\nnode = [\"http://x\"]\n").unwrap();
    let o = bare(h, &["status"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    assert!(!stderr(&o).contains('|'), "{}", stderr(&o));
}

/// A server that answers 404 to everything (the dev node's scripted server with nothing
/// scripted) and records the requests.
fn not_found_server() -> (String, Scripted) {
    let server = Scripted::start().unwrap();
    (server.url(), server)
}

#[test]
fn a_dead_node_is_named_at_once_and_each_url_once() {
    let home = tempfile::tempdir().unwrap();
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (missing, hits) = not_found_server();
    let db = home.path().join("j.sqlite");
    let t = Instant::now();
    let o = bare(
        home.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "--network",
            "local",
            "--node",
            &refused,
            "--node",
            &missing,
            "balance",
            "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
        ],
    );
    let took = t.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(2), "{took:?}: {err}");
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("error: node unreachable: "), "{err}");
    assert!(
        last.contains(&format!("{refused} (connection refused)")),
        "{err}"
    );
    assert!(last.contains(&format!("{missing} (HTTP 404")), "{err}");
    assert_eq!(last.matches(&refused).count(), 1, "{err}");
    assert_eq!(last.matches(&missing).count(), 1, "{err}");
    assert!(!last.contains("os error"), "{err}");
    // The 404 was asked once, not retried.
    assert_eq!(hits.requests().len(), 1);
}

/// CSV text: (id, recipient number, amount, token), memo "inv N".
fn rows(rows: &[(&str, u64, &str, &str)]) -> String {
    let mut s = String::from("payout_id,to,amount,token,memo\n");
    for (id, to, amount, token) in rows {
        s.push_str(&format!(
            "{id},{},{amount},{token},inv {to}\n",
            recipient(*to)
        ));
    }
    s
}

fn import(w: &World, batch: &str, csv: &str, extra: &[&str]) -> Output {
    let p = w.path(&format!("{batch}.csv"));
    std::fs::write(&p, csv).unwrap();
    let from = addr(&w.treasury).to_base58();
    let mut args = vec![
        "batch",
        "import",
        p.to_str().unwrap(),
        "--from",
        &from,
        "--batch-id",
        batch,
    ];
    args.extend_from_slice(extra);
    w.run(&args)
}

#[test]
fn build_prints_the_summary_the_signer_will_confirm() {
    let w = World::new(1000, 1000);
    let csv = rows(&[("u1", 1, "12.5", "usdt"), ("t1", 2, "3", "trx")]);
    let o = import(&w, "s", &csv, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = w.path("request.json");
    let o = human(&w, &["build", "--batch", "s", "-o", out.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let req = SignRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap(),
    )
    .unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with("network local (--network) · node "),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "sign request {} for local: 2 payout(s) (2 new, 0 re-exported)",
            req.request_id
        )),
        "{err}"
    );
    assert!(
        err.contains("totals             3 TRX (1 payout(s)) + 12.5 USDT (1 payout(s))"),
        "{err}"
    );
    assert!(
        err.contains("TRX burn           energy from stake "),
        "{err}"
    );
    assert!(err.contains(" TRX (expected) / "), "{err}");
    assert!(err.contains(" TRX (worst case)"), "{err}");
    assert!(err.contains("worst case: every fee limit used up"), "{err}");
    // 6 h after the reference block: "in 5h 59m" (or 6h 0m on a fast machine).
    assert!(
        err.contains("(in 5h 59m)") || err.contains("(in 6h 0m)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("confirmation code  {}", req.confirmation_code())),
        "{err}"
    );
    // JSON gives the same summary as data.
    let v = w.ok(&["build", "--batch", "s", "-o", out.to_str().unwrap()]);
    assert_eq!(v["summary"]["payouts"], 2);
    assert_eq!(v["summary"]["totals"][1]["amount"], "12.5");
    assert_eq!(v["summary"]["totals"][1]["symbol"], "USDT");
    let worst: f64 = v["summary"]["worst_case_burn_trx"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected: f64 = v["summary"]["expected_burn_trx"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(worst >= expected && expected > 0.0, "{v}");
}

#[test]
fn duplicate_payouts_are_refused_unless_allowed_and_reach_the_signer() {
    let w = World::new(1000, 1000);
    let twice = rows(&[
        ("d1", 1, "10", "usdt"),
        ("d2", 1, "10", "usdt"),
        ("d3", 1, "10", "trx"),
    ]);
    let o = import(&w, "b1", &twice, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("line 3: payout d2 repeats payout d1 (line 2) of this import: 10 USDT to"),
        "{err}"
    );
    assert!(
        err.contains("--allow-duplicates") && !err.contains("d3 repeats"),
        "{err}"
    );
    assert!(w.ok(&["batch", "list"]).as_array().unwrap().is_empty());
    let v: Value =
        serde_json::from_slice(&import(&w, "b1", &twice, &["--allow-duplicates"]).stdout).unwrap();
    assert_eq!(v["duplicates"].as_array().unwrap().len(), 1);
    // Another batch repeating one of the last 30 days is refused too, naming the batch.
    let again = rows(&[("d4", 1, "10", "usdt"), ("d5", 2, "10", "usdt")]);
    let o = import(&w, "b2", &again, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("line 2: payout d4 repeats payout d2 of batch b1 (imported "),
        "{}",
        stderr(&o)
    );
    // A different memo is a different payout.
    let memo = "payout_id,to,amount,token,memo\nd6,".to_string()
        + &recipient(1).to_base58()
        + ",10,usdt,other\n";
    assert!(import(&w, "b3", &memo, &[]).status.success());
    // Cancelled payouts do not count.
    w.ok(&["batch", "cancel", "b1"]);
    assert!(import(&w, "b2", &again, &[]).status.success());
    // `pay` checks too.
    let from = addr(&w.treasury).to_base58();
    let to = recipient(2).to_base58();
    let pay = [
        "pay",
        "--from",
        &from,
        "--to",
        &to,
        "--amount",
        "10",
        "--payout-id",
        "d7",
        "--memo",
        "inv 2",
    ];
    let o = w.run(&pay);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("payout d7 repeats payout d5 of batch b2"),
        "{}",
        stderr(&o)
    );
    let mut allowed = pay.to_vec();
    allowed.push("--allow-duplicates");
    w.ok(&allowed);
    // The duplicate travels to the signer in the display hints, in JSON and in the QR form.
    let req_path = w.build("d7", &[]);
    let v = w.ok(&["build", "--batch", "d7", "-o", req_path.to_str().unwrap()]);
    assert_eq!(v["duplicates"][0][1], "d5", "{v}");
    let req = SignRequest::from_json(
        &serde_json::from_str(&std::fs::read_to_string(&req_path).unwrap()).unwrap(),
    )
    .unwrap();
    let hint = req.transactions[0].hints.as_ref().unwrap();
    assert_eq!(hint.duplicate_of.as_deref(), Some("d5"));
    let compact = coldpay_shared::compact::encode_request(&req).unwrap();
    let back = coldpay_shared::compact::decode_request(&compact).unwrap();
    assert_eq!(back.transactions[0].hints, req.transactions[0].hints);
    // A batch without duplicates carries none.
    let plain = w.build("b3", &[]);
    let text = std::fs::read_to_string(plain).unwrap();
    assert!(!text.contains("duplicate_of"), "{text}");
}

#[test]
fn report_covers_every_batch_with_filters_and_three_formats() {
    let w = World::new(1000, 1000);
    assert!(import(
        &w,
        "r1",
        &rows(&[("a1", 1, "1.5", "usdt"), ("a2", 2, "2", "trx")]),
        &[]
    )
    .status
    .success());
    assert!(import(&w, "r2", &rows(&[("b1", 3, "4", "usdt")]), &[])
        .status
        .success());
    w.ok(&["payout", "cancel", "a2"]);
    let all = w.ok(&["report"]);
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["payout_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1", "a2", "b1"]);
    assert_eq!(all[0]["memo"], "inv 1");
    assert!(all[0]["imported_at"].as_str().unwrap().ends_with('Z'));
    let only = w.ok(&["report", "--status", "cancelled"]);
    assert_eq!(only.as_array().unwrap().len(), 1);
    let both = w.ok(&["report", "--status", "imported,cancelled", "--batch", "r1"]);
    assert_eq!(both.as_array().unwrap().len(), 2);
    assert_eq!(
        w.ok(&["report", "--since", "2999-01-01"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        w.ok(&["report", "--since", "1d"]).as_array().unwrap().len(),
        3
    );
    assert_eq!(
        w.ok(&["report", "--since", "2020-01-01T00:00:00Z"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    for (args, says) in [
        (vec!["report", "--status", "paid"], "one of imported"),
        (vec!["report", "--since", "yesterday"], "UTC date"),
        (vec!["report", "--batch", "nope"], "no batch"),
    ] {
        let o = w.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
    // Text is the default without --json: a table with totals.
    let o = human(&w, &["report"]);
    let table = stdout(&o);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("PAYOUT") && lines[0].contains("AMOUNT"),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[1].contains("1.5 USDT") && lines[1].contains("imported"),
        "{table}"
    );
    assert!(
        lines[4].starts_with(
            "3 payout(s): 1 cancelled, 2 imported; total 5.5 USDT (cancelled excluded)"
        ),
        "{table}"
    );
    // CSV: the old columns first, then batch, memo and times, and a TOTAL row per token.
    let csv = stdout(&w.run(&["report", "--format", "csv"]));
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&head[..3], ["payout_id", "to", "token"]);
    assert_eq!(&head[13..], ["batch", "memo", "imported_at", "updated_at"]);
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 4, "{csv}");
    assert_eq!(&recs[0][14], "inv 1");
    let total = &recs[3];
    assert_eq!(
        (&total[0], &total[2], &total[3], &total[8]),
        ("TOTAL", "USDT", "5.5", "2 payout(s)")
    );
    // The help says what the default is.
    let help = stdout(&bare(w.dir.path(), &["report", "--help"]));
    assert!(help.contains("text (a table; the default)"), "{help}");
}
