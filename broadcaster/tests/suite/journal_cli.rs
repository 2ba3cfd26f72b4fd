//! The journal as the operator meets it, through the built binary and without a node: the
//! writer lock (waiting, `--no-wait`, readers beside a writer), the network binding, strict CSV
//! import, cancellation, `batch list|show`, and errors that never show SQLite's own text.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use coldpay_shared::handoff::{WatchAccount, WatchExport};
use coldpay_shared::{Address, Network};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_coldpay-broadcaster");

struct J {
    dir: tempfile::TempDir,
}

fn treasury() -> Address {
    Address::from_evm_bytes([7; 20])
}

fn to(i: u8) -> String {
    let mut b = [0x11; 20];
    b[19] = i;
    Address::from_evm_bytes(b).to_base58()
}

impl J {
    /// A journal (network local) with the treasury imported as a watch-only account.
    fn new() -> J {
        let j = J {
            dir: tempfile::tempdir().unwrap(),
        };
        let export = WatchExport {
            network: Network::Local,
            approver_for: None,
            accounts: vec![WatchAccount {
                name: "treasury".into(),
                address: treasury(),
                path: None,
            }],
        };
        let p = j.path("watch.json");
        std::fs::write(&p, export.to_json().to_string()).unwrap();
        j.ok(&["accounts", "import-watch", p.to_str().unwrap()]);
        j
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn db(&self) -> PathBuf {
        self.path("journal.sqlite")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--db")
            .arg(self.db())
            .arg("--network")
            .arg("local")
            .arg("--config")
            .arg(self.path("none.toml"))
            .args(args)
            .env_remove("TRON_PRO_API_KEY");
        std::fs::write(self.path("none.toml"), "").unwrap();
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let o = self.run(&a);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
    }

    /// Writes a CSV and returns its path.
    fn csv(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn import(&self, batch: &str, rows: &str) -> Output {
        let f = self.csv(&format!("{batch}.csv"), rows);
        let args = import_args(&f, batch);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Adds an attempt row directly (no node needed), as `build` would.
    /// Adds an attempt whose txID is `label` repeated to 64 hex digits ("aa11" → "aa11aa11…"),
    /// with a real transaction's bytes (the journal decodes what it stores).
    fn add_attempt(&self, payout: &str, label: &str, state: &str) {
        let c = rusqlite::Connection::open(self.db()).unwrap();
        c.execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, block, created_at, updated_at) VALUES (?1, ?2, ?4, 1, 1, 0, 'r', ?3, 5, 0, 0)",
            [payout, &txid(label), state, RAW_HEX],
        )
        .unwrap();
    }
}

/// A real transaction's `raw_data` (a TRX transfer from the reference vectors).
const RAW_HEX: &str = "0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801";

/// The txID a test names by `label` (repeated to 64 hex digits).
fn txid(label: &str) -> String {
    label.repeat(64 / label.len())
}

fn import_args(file: &str, batch: &str) -> Vec<String> {
    [
        "batch",
        "import",
        file,
        "--from",
        &treasury().to_base58(),
        "--batch-id",
        batch,
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_sqlite_text(s: &str) {
    for raw in [
        "UNIQUE constraint",
        "database is locked",
        "SQLITE",
        "constraint failed",
        "file is not a database",
    ] {
        assert!(!s.contains(raw), "{s}");
    }
}

/// Takes the journal's writer lock from the test, as another process would.
fn hold_lock(db: &Path, holder: &str) -> File {
    let mut name = db.file_name().unwrap().to_os_string();
    name.push(".lock");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(db.with_file_name(name))
        .unwrap();
    f.lock().unwrap();
    f.set_len(0).unwrap();
    f.write_all(holder.as_bytes()).unwrap();
    f
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn a_second_writer_waits_no_wait_exits_4_and_readers_never_wait() {
    let j = J::new();
    assert_eq!(
        j.import("first", &format!("payout_id,to,amount\na1,{},1\n", to(1)))
            .status
            .code(),
        Some(0)
    );
    let lock = hold_lock(&j.db(), "424242 coldpay-broadcaster track --follow\n");

    // A writer waits, saying for whom, once.
    let f = j.csv(
        "waiting.csv",
        &format!("payout_id,to,amount\nw1,{},2\n", to(2)),
    );
    let args = import_args(&f, "waiting");
    let mut waiting = j
        .cmd(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(!wait_for_exit(&mut waiting, Duration::from_millis(1500)));

    // --no-wait fails at once with exit 4 naming the holder.
    let f2 = j.csv(
        "nowait.csv",
        &format!("payout_id,to,amount\nn1,{},3\n", to(3)),
    );
    let mut args2 = vec!["--no-wait".to_string()];
    args2.extend(import_args(&f2, "nowait"));
    let o = j.run(&args2.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is in use by pid 424242 (coldpay-broadcaster track --follow)"),
        "{}",
        stderr(&o)
    );

    // Readers work while the lock is held.
    assert_eq!(j.ok(&["status"])["payouts"], 1);
    assert_eq!(j.ok(&["report", "--batch", "first"])[0]["payout_id"], "a1");
    assert_eq!(j.ok(&["batch", "list"]).as_array().unwrap().len(), 1);
    assert_eq!(
        j.ok(&["batch", "show", "first"])["rows"][0]["status"],
        "imported"
    );
    assert_eq!(j.ok(&["accounts", "list"]).as_array().unwrap().len(), 1);

    // Released: the waiting writer proceeds.
    drop(lock);
    let out = waiting.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = stderr(&out);
    assert_eq!(
        e.matches("is in use by pid 424242 (coldpay-broadcaster track --follow); waiting")
            .count(),
        1,
        "{e}"
    );

    // Two real importers at the same time both succeed.
    let fa = j.csv(
        "ca.csv",
        &format!("payout_id,to,amount\nca1,{},1\nca2,{},1\n", to(4), to(5)),
    );
    let fb = j.csv(
        "cb.csv",
        &format!("payout_id,to,amount,token\ncb1,{},1,trx\n", to(6)),
    );
    let children: Vec<Child> = [(fa, "conc-a"), (fb, "conc-b")]
        .iter()
        .map(|(f, b)| {
            let a = import_args(f, b);
            j.cmd(&a.iter().map(String::as_str).collect::<Vec<_>>())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let list = j.ok(&["batch", "list"]);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["batch"].as_str().unwrap())
        .collect();
    for b in ["first", "waiting", "conc-a", "conc-b"] {
        assert!(ids.contains(&b), "{ids:?}");
    }
    assert!(!ids.contains(&"nowait"));
    assert_eq!(j.ok(&["status"])["payouts"], 5);
}

#[test]
fn journal_is_bound_to_its_network_and_readers_never_create_it() {
    let j = J::new();
    assert_eq!(
        j.import("b", &format!("payout_id,to,amount\np1,{},1\n", to(1)))
            .status
            .code(),
        Some(0)
    );
    for args in [
        vec!["--network", "nile", "status"],
        vec!["--network", "nile", "payout", "cancel", "p1"],
    ] {
        let mut c = Command::new(BIN);
        c.arg("--db")
            .arg(j.db())
            .arg("--config")
            .arg(j.path("none.toml"));
        let o = c.args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(6), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o)
                .contains("was created for local; this command runs nile (--network / config)"),
            "{}",
            stderr(&o)
        );
    }
    // Readers do not create a journal.
    let missing = j.path("missing.sqlite");
    for args in [
        vec!["status"],
        vec!["batch", "list"],
        vec!["report", "--batch", "x"],
    ] {
        let o = Command::new(BIN)
            .arg("--db")
            .arg(&missing)
            .arg("--network")
            .arg("local")
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("no journal at"), "{}", stderr(&o));
        assert!(!missing.exists());
    }
    // A file that is not a journal: a plain sentence, not SQLite's.
    let junk = j.path("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let o = Command::new(BIN)
        .arg("--db")
        .arg(&junk)
        .args(["--network", "local", "batch", "list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("damaged or is not a journal"),
        "{}",
        stderr(&o)
    );
    assert_no_sqlite_text(&stderr(&o));
}

#[test]
fn csv_header_and_field_counts_are_strict() {
    let j = J::new();
    // A fourth field under a three-column header is an error, not 1 USDT.
    let o = j.import(
        "thou",
        &format!(
            "payout_id,to,amount\nthou1,{},1,500.00\nok,{},2\n",
            to(1),
            to(2)
        ),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("line 2: 4 field(s), header has 3"), "{e}");
    assert!(e.contains("nothing imported"), "{e}");
    let o = j.import(
        "short",
        &format!("payout_id,to,amount,memo\ns1,{}\n", to(1)),
    );
    assert!(
        stderr(&o).contains("line 2: 2 field(s), header has 4"),
        "{}",
        stderr(&o)
    );
    // Unknown and duplicate columns, and a missing required one, all at once.
    let o = j.import(
        "hdr",
        &format!("payout_id,to,amount,amout,to\nh1,{},1,1,{}\n", to(1), to(1)),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("line 1, column 4: unknown column \"amout\""),
        "{e}"
    );
    assert!(
        e.contains("line 1, column 5: duplicate column \"to\""),
        "{e}"
    );
    let o = j.import("noamt", &format!("payout_id,to,memo\nh1,{},x\n", to(1)));
    assert!(
        stderr(&o).contains("header lacks the amount column"),
        "{}",
        stderr(&o)
    );
    // Memo and payout id characters: the signer's rule; every row reported.
    let o = j.import(
        "chars",
        &format!(
            "payout_id,to,amount,memo\nm1,{},1,\"pay \u{202E}evil\"\nm2,{},1,\"zw\u{200B}\"\n\"i\u{2066}d\",{},1,ok\n\"sp ace\",{},1,ok\nm5,{},1,{}\n",
            to(1),
            to(2),
            to(3),
            to(4),
            to(5),
            "x".repeat(257)
        ),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    for needle in [
        "line 2: memo contains a control, bidi or zero-width character U+202E",
        "line 3: memo contains a control, bidi or zero-width character U+200B",
        "line 4: payout_id",
        "U+2066",
        "line 5: payout_id \"sp ace\" contains U+0020",
        "line 6: memo is 257 bytes, at most 256 allowed",
        "5 invalid row(s)",
    ] {
        assert!(e.contains(needle), "{needle}: {e}");
    }
    assert_eq!(j.ok(&["status"])["payouts"], 0);
    // A clean file with every column in another order is fine.
    let o = j.import(
        "good",
        &format!(
            "memo,token,amount,to,payout_id\ncafé ok,trx,1.5,{},g1\n,usdt,2,{},g2\n",
            to(1),
            to(2)
        ),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = j.ok(&["report", "--batch", "good"]);
    assert_eq!(r[0]["token"], "TRX");
    assert_eq!(r[0]["amount"], "1.5");
}

#[test]
fn cancel_payouts_and_batches() {
    let j = J::new();
    let rows = format!(
        "payout_id,to,amount,token\np1,{},10,usdt\np2,{},20.5,usdt\np3,{},3,trx\np4,{},4,usdt\n",
        to(1),
        to(2),
        to(3),
        to(4)
    );
    assert!(j.import("b1", &rows).status.success());
    j.add_attempt("p2", "aa11", "broadcast");
    j.add_attempt("p4", "bb22", "included");
    {
        let c = rusqlite::Connection::open(j.db()).unwrap();
        c.execute(
            "UPDATE attempts SET state = 'confirmed' WHERE txid = ?1",
            [txid("bb22")],
        )
        .unwrap();
    }

    // All or nothing: p2 is live, p4 confirmed, nope unknown.
    let o = j.run(&[
        "payout",
        "cancel",
        "p1",
        "p2",
        "p4",
        "nope",
        "--reason",
        "duplicate",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "payout p2 has a live attempt (broadcast, txid {}): wait for it to settle",
            txid("aa11")
        )),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "payout p4 is confirmed (txid {}, block 5)",
            txid("bb22")
        )),
        "{e}"
    );
    assert!(e.contains("no payout \"nope\""), "{e}");
    assert_no_sqlite_text(&e);
    assert_eq!(j.ok(&["status"])["counts"]["cancelled"], 0);

    let v = j.ok(&["payout", "cancel", "p1", "--reason", "duplicate"]);
    assert_eq!(v["cancelled"][0], "p1");
    // Again: nothing to do, not an error.
    assert_eq!(
        j.ok(&["payout", "cancel", "p1"])["already_cancelled"][0],
        "p1"
    );
    report_and_status_show_the_cancel(&j);
    batch_cancel_needs_partial(&j);
    batch_list_and_show_count_cancelled(&j);

    // The journal refuses an attempt for a cancelled payout.
    let c = rusqlite::Connection::open(j.db()).unwrap();
    let e = c
        .execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('p3', ?1, ?2, 1, 1, 0, 'r', 'built', 0, 0)",
            [txid("cc"), RAW_HEX.to_string()],
        )
        .unwrap_err();
    assert!(e.to_string().contains("payout cancelled"));
}

/// After p1's cancel: `report` (JSON and CSV) and `status` show it.
fn report_and_status_show_the_cancel(j: &J) {
    let r = j.ok(&["report", "--batch", "b1"]);
    assert_eq!(r[0]["status"], "cancelled");
    assert_eq!(r[0]["cancel_reason"], "duplicate");
    assert!(r[0]["cancelled_at"].as_i64().unwrap() > 0);
    for k in [
        "refusal",
        "evidence",
        "scanned_to",
        "txid",
        "reason",
        "attempts",
    ] {
        assert!(r[0].get(k).is_some(), "{k}");
    }
    assert_eq!(r[1]["status"], "broadcast");
    assert_eq!(r[3]["status"], "confirmed");
    let csv = String::from_utf8(
        j.run(&["report", "--batch", "b1", "--format", "csv"])
            .stdout,
    )
    .unwrap();
    assert!(csv.starts_with("payout_id,to,token,amount,txid,block,energy_used,trx_burned,status,reason,cancelled_at,cancel_reason,refusal"));
    assert!(csv.contains("cancelled"));

    let st = j.ok(&["status", "--batch", "b1"]);
    assert_eq!(st["counts"]["cancelled"], 1);
    assert_eq!(st["counts"]["imported"], 1);
    assert_eq!(st["counts"]["expired"], 0);
    let text = String::from_utf8(j.run(&["status"]).stdout).unwrap();
    assert!(
        text.contains("cancelled") && text.contains("total"),
        "{text}"
    );
}

/// `batch cancel` refuses while p2 is live and p4 confirmed; `--partial` cancels the rest.
fn batch_cancel_needs_partial(j: &J) {
    // Batch cancel refuses while p2 is live and p4 confirmed, cancelling nothing …
    let o = j.run(&["batch", "cancel", "b1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--partial"), "{}", stderr(&o));
    assert_eq!(j.ok(&["report", "--batch", "b1"])[2]["status"], "imported");
    // … and with --partial cancels p3, listing p2 and p4.
    let v = j.ok(&[
        "batch",
        "cancel",
        "b1",
        "--partial",
        "--reason",
        "paid by hand",
    ]);
    assert_eq!(v["cancelled"], serde_json::json!(["p3"]));
    assert_eq!(v["already_cancelled"], serde_json::json!(["p1"]));
    assert_eq!(v["not_cancelled"].as_array().unwrap().len(), 2);
    assert_eq!(v["not_cancelled"][0]["payout_id"], "p2");
}

/// `batch list` / `batch show` after the cancels.
fn batch_list_and_show_count_cancelled(j: &J) {
    // batch list / show: counts and totals (cancelled payouts left out of the totals).
    let l = j.ok(&["batch", "list"]);
    assert_eq!(l[0]["batch"], "b1");
    assert_eq!(l[0]["from"], treasury().to_base58());
    assert_eq!(l[0]["network"], "local");
    assert_eq!(l[0]["payouts"], 4);
    assert_eq!(l[0]["counts"]["cancelled"], 2);
    assert_eq!(l[0]["totals"]["USDT"], "24.5 USDT");
    assert!(l[0]["totals"].get("TRX").is_none());
    let text = String::from_utf8(j.run(&["batch", "list"]).stdout).unwrap();
    assert!(text.contains("b1") && text.contains("24.5 USDT"), "{text}");
    let s = j.ok(&["batch", "show", "b1"]);
    assert_eq!(s["rows"].as_array().unwrap().len(), 4);
    let text = String::from_utf8(j.run(&["batch", "show", "b1"]).stdout).unwrap();
    // One line per payout, its txID (when it has one) indented below; within 100 columns.
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("      txid "))
        .collect();
    assert_eq!(rows.len(), 6, "two header lines and four payouts: {text}");
    assert!(rows[2].contains("cancelled"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("      txid ")), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    assert_eq!(j.run(&["batch", "show", "zz"]).status.code(), Some(2));
}

#[test]
fn a_corrupt_stored_amount_is_exit_1_never_shown_as_zero() {
    let j = J::new();
    let rows = format!("payout_id,to,amount,token\np1,{},10,usdt\n", to(1));
    assert!(j.import("b1", &rows).status.success());
    {
        let c = rusqlite::Connection::open(j.db()).unwrap();
        c.execute("UPDATE payouts SET amount = '12x' WHERE id = 'p1'", [])
            .unwrap();
    }
    for args in [
        &["report"][..],
        &["report", "--format", "csv"],
        &["--json", "report"],
        &["batch", "list"],
        &["batch", "show", "b1"],
    ] {
        let o = j.run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = stderr(&o);
        assert!(
            e.contains("journal: amount of payout p1 is corrupt"),
            "{args:?}: {e}"
        );
        assert!(o.stdout.is_empty(), "{args:?}: nothing printed");
    }
    // `status` refuses too: every reading command decodes the payout rows it counts.
    let o = j.run(&["status"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("journal: amount of payout p1 is corrupt"));
}

#[test]
fn an_io_failure_is_exit_1_and_names_the_path() {
    let j = J::new();
    let file = j.path("a-file");
    std::fs::write(&file, "").unwrap();
    let config = file.join("config.toml");
    let o = Command::new(BIN)
        .args(["init", "--network", "nile", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&file.display().to_string()),
        "{}",
        stderr(&o)
    );
}
