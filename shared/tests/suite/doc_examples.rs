//! The JSON examples in docs/formats.md parse with the shared types, so the docs cannot rot.

use coldpay_shared::handoff::WatchExport;
use coldpay_shared::{SignRequest, SignResponse};

fn json_blocks_under(doc: &str, heading: &str) -> Vec<serde_json::Value> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("heading {heading}"));
    let rest = &doc[start + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    section
        .split("```json")
        .skip(1)
        .map(|b| serde_json::from_str(&b[..b.find("```").unwrap()]).expect("valid JSON example"))
        .collect()
}

#[test]
fn formats_md_examples_parse() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/formats.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let reqs = json_blocks_under(&doc, "## Sign request");
    assert_eq!(reqs.len(), 1);
    let req = SignRequest::from_json(&reqs[0]).unwrap();
    for t in &req.transactions {
        t.check_hints(&t.raw.intent().unwrap()).unwrap();
    }
    let resps = json_blocks_under(&doc, "## Sign response");
    let resp = SignResponse::from_json(&resps[0]).unwrap();
    assert_eq!(resp.request_id, req.request_id);
    assert_eq!(resp.transactions[0].txid, req.transactions[0].txid);
    let watch = json_blocks_under(&doc, "## Watch-only export");
    let w = WatchExport::from_json(&watch[0]).unwrap();
    assert_eq!(
        w.accounts[0].address,
        resp.transactions[0].signatures[0].signer
    );
    let approver = WatchExport::from_json(&watch[1]).unwrap();
    assert_eq!(approver.approver_for.unwrap().permission, "payouts");
}

#[test]
fn formats_md_permission_claim_example_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/formats.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let blocks = json_blocks_under(&doc, "## Permission claim in sign requests");
    assert_eq!(blocks.len(), 1);
    let claim: coldpay_shared::permission::PermissionClaim =
        serde_json::from_value(blocks[0].clone()).unwrap();
    claim.validate().unwrap();
    assert_eq!(claim.describe(), "permission payouts: 2 of 3");
    assert_eq!(serde_json::to_value(&claim).unwrap(), blocks[0]);
}
