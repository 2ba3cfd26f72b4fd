//! Payouts the broadcaster marked as duplicates (`hints.duplicate_of`) are shown as such on
//! the signer: per transaction in the listing, counted and named in the summary (also when
//! the listing is hidden), and in `policy check --json`.

use crate::common;

use coldpay_shared::handoff::DisplayHints;
use coldpay_shared::SignRequest;
use common::{request, stderr, stdout, Env};

/// `n` payouts p-1…p-n; each payout in `marks` is marked as repeating the other one.
fn marked(n: usize, marks: &[(usize, usize)]) -> SignRequest {
    let ids: Vec<String> = (1..=n).map(|i| format!("p-{i}")).collect();
    let payouts: Vec<(&str, u64)> = ids.iter().map(|p| (p.as_str(), 1_000_000)).collect();
    let mut req = request(&payouts);
    for (dup, of) in marks {
        req.transactions[dup - 1].hints = Some(DisplayHints {
            duplicate_of: Some(format!("p-{of}")),
            ..DisplayHints::default()
        });
    }
    req
}

#[test]
fn marked_duplicates_are_listed_and_summarised() {
    let env = Env::new();
    let input = env.write_request("req.json", &marked(3, &[(3, 1)]));
    let out = env.run(&["policy", "check", input.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let summary = &err[err.find("Summary").unwrap()..err.find("Transactions").unwrap()];
    assert!(
        summary.contains("1 marked duplicates by the broadcaster: p-3 (of p-1)"),
        "{err}"
    );
    let third = &err[err.find("#3 payout p-3").unwrap()..];
    assert!(third.contains("duplicate of p-1"), "{err}");
    let first = &err[err.find("#1 payout p-1").unwrap()..err.find("#2 payout").unwrap()];
    assert!(!first.contains("duplicate of"), "{err}");
}

#[test]
fn the_summary_names_them_when_the_listing_is_hidden() {
    let env = Env::new();
    let input = env.write_request("req.json", &marked(25, &[(7, 3), (9, 2)]));
    let out = env.run(&["policy", "check", input.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("pass --details"),
        "the listing is hidden: {err}"
    );
    assert!(!err.contains("#7 payout"), "{err}");
    assert!(
        err.contains("2 marked duplicates by the broadcaster: p-7 (of p-3), p-9 (of p-2)"),
        "{err}"
    );
}

#[test]
fn policy_check_json_carries_the_marks() {
    let env = Env::new();
    let input = env.write_request("req.json", &marked(3, &[(2, 1)]));
    let out = env.run(&["policy", "check", input.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["verdict"], "allowed");
    assert_eq!(v["request_id"], "req-1");
    assert_eq!(v["transactions"][1]["duplicate_of"], "p-1");
    assert!(v["transactions"][0].get("duplicate_of").is_none());
    assert_eq!(
        v["duplicates"],
        serde_json::json!([{ "payout_id": "p-2", "duplicate_of": "p-1" }])
    );
}

#[test]
fn a_marked_request_whose_check_fails_still_reports_json() {
    let env = Env::new();
    // 3 × 30,000 USDT: over the 60,000 per-request limit.
    let mut req = marked(3, &[(2, 1)]);
    let exp = common::now_ms() + common::HOUR;
    for (i, t) in req.transactions.iter_mut().enumerate() {
        let hints = t.hints.take();
        *t = coldpay_shared::handoff::RequestTx::new(
            t.payout_id.clone(),
            common::usdt_tx(30_000_000_000, exp, i as u64),
        );
        t.hints = hints;
    }
    let input = env.write_request("req.json", &req);
    let out = env.run(&["policy", "check", input.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["verdict"], "refused");
    assert_eq!(v["duplicates"][0]["duplicate_of"], "p-1");
}
