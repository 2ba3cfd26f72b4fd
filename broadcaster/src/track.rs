//! `track`: follow solidified blocks (getblockbylimitnext + gettransactioninfobyblocknum, not
//! one poll per transaction) and move attempts to confirmed / failed / expired.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Value};

use crate::error::Result;
use crate::journal::{Attempt, Journal};
use crate::node::Node;

/// What one pass changed.
#[derive(Debug, Default, serde::Serialize)]
pub struct TrackPass {
    /// Newly confirmed.
    pub confirmed: usize,
    /// Newly failed.
    pub failed: usize,
    /// Newly expired.
    pub expired: usize,
    /// Still pending (signed, broadcast or included).
    pub pending: usize,
    /// Solidified head seen.
    pub solid_block: u64,
}

fn decode_msg(v: &Value) -> String {
    let s = v.as_str().unwrap_or("");
    hex::decode(s)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| s.to_string())
}

/// The attempts `track` watches: every live one.
fn watched(journal: &Journal) -> Result<Vec<Attempt>> {
    journal.attempts_where("state IN ('built','signed','broadcast','included')", &[])
}

/// Attempts still pending inclusion/finality (what `--follow` waits for).
pub fn pending_count(journal: &Journal) -> Result<usize> {
    Ok(journal
        .attempts_where("state IN ('signed','broadcast','included')", &[])?
        .len())
}

/// One pass over new solidified blocks.
pub fn pass(journal: &Journal, node: &Node) -> Result<TrackPass> {
    let live = watched(journal)?;
    let mut out = TrackPass::default();
    if live.is_empty() {
        return Ok(out);
    }
    let solid = node.solid_block()?;
    out.solid_block = solid.number;
    let by_txid: HashMap<String, Attempt> =
        live.iter().map(|a| (a.txid.clone(), a.clone())).collect();
    let min_ref = live.iter().map(|a| a.ref_block_num).min().unwrap_or(0);
    let cursor: Option<u64> = journal.meta("track_cursor")?.and_then(|c| c.parse().ok());
    // A transaction cannot be in a block before its reference block.
    let mut start = cursor.map_or(min_ref, |c| c + 1);
    let mut hits: BTreeSet<u64> = BTreeSet::new();
    while start <= solid.number {
        let end = (start + 100).min(solid.number + 1);
        for b in node.blocks(start, end)? {
            if b.txids.iter().any(|t| by_txid.contains_key(t)) {
                hits.insert(b.number);
            }
        }
        start = end;
    }
    let mut seen = BTreeSet::new();
    for num in &hits {
        for info in node.infos_in_block(*num)? {
            let Some(id) = info["id"].as_str() else {
                continue;
            };
            let Some(a) = by_txid.get(id) else { continue };
            seen.insert(id.to_string());
            let receipt = &info["receipt"];
            let contract_result = receipt["result"].as_str();
            let failed =
                info["result"] == "FAILED" || contract_result.is_some_and(|r| r != "SUCCESS");
            let summary = json!({
                "fee": info["fee"].as_u64().unwrap_or(0),
                "energy_usage_total": receipt["energy_usage_total"].as_u64().unwrap_or(0),
                "energy_fee": receipt["energy_fee"].as_u64().unwrap_or(0),
                "net_usage": receipt["net_usage"].as_u64().unwrap_or(0),
                "net_fee": receipt["net_fee"].as_u64().unwrap_or(0),
                "result": contract_result.unwrap_or("SUCCESS"),
            })
            .to_string();
            let reason = failed.then(|| {
                let msg = decode_msg(&info["resMessage"]);
                format!(
                    "{}{}",
                    contract_result.unwrap_or("FAILED"),
                    if msg.is_empty() {
                        String::new()
                    } else {
                        format!(": {msg}")
                    }
                )
            });
            let tx = journal.conn.unchecked_transaction()?;
            if a.state != "included" {
                tx.execute("UPDATE attempts SET state = 'included', block = ?2, updated_at = ?3 WHERE id = ?1", rusqlite::params![a.id, *num as i64, crate::journal::now_ms()])?;
            }
            tx.execute(
                "UPDATE attempts SET state = ?2, receipt = ?3, reason = ?4, updated_at = ?5 WHERE id = ?1",
                rusqlite::params![a.id, if failed { "failed" } else { "confirmed" }, summary, reason, crate::journal::now_ms()],
            )?;
            tx.commit()?;
            if failed {
                out.failed += 1;
            } else {
                out.confirmed += 1;
            }
        }
    }
    journal.set_meta("track_cursor", &solid.number.to_string())?;
    // Expired: the solidified chain is past the expiration and the transaction is not in it.
    for a in &live {
        if seen.contains(&a.txid) || a.expiration > solid.timestamp || a.state == "included" {
            continue;
        }
        let info = node.call(
            "/walletsolidity/gettransactioninfobyid",
            &json!({"value": a.txid}),
            true,
        )?;
        if info.as_object().is_some_and(serde_json::Map::is_empty) {
            journal.set_state(
                a.id,
                "expired",
                None,
                None,
                Some("expired: the solidified chain passed its expiration without it"),
            )?;
            out.expired += 1;
        }
    }
    out.pending = pending_count(journal)?;
    Ok(out)
}
