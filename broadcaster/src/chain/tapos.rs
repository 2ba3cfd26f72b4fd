//! The TAPOS reference every transaction is built against: the verified solidified head
//! (confirmed by a second answer for the same height) and an expiration TRON accepts.

use coldpay_shared::block::VerifiedBlock;

use crate::error::{BcError, Result};
use crate::node::Node;

/// Longest expiration accepted: TRON refuses more than 24 h after the head block.
pub const MAX_EXPIRES_MS: u64 = 24 * 3_600_000;

/// Default expiration of a single-signer build: 6 h after the reference block.
pub const DEFAULT_EXPIRES_MS: u64 = 6 * 3_600_000;

/// Default expiration of a permission build (several approvers, each on their own laptop, take
/// hours): 12 h after the reference block, within TRON's 24 h.
pub const PERMISSION_EXPIRES_MS: u64 = 12 * 3_600_000;

/// Checks an expiration span (`--expires-in`).
pub fn check_expires(ms: u64) -> Result<()> {
    if ms > MAX_EXPIRES_MS - 120_000 {
        return Err(BcError::Input("--expires-in must be below 24h (TRON refuses expirations more than 24 h after the head block)".into()));
    }
    if ms < 60_000 {
        return Err(BcError::Input("--expires-in must be at least 1m".into()));
    }
    Ok(())
}

/// The TAPOS reference: the verified solidified head, confirmed by a second answer for the same
/// height (a forged or forked block from one pool member is not used), and the expiration.
pub fn reference(node: &Node, expires_in_ms: u64) -> Result<(VerifiedBlock, u64)> {
    let mut last = String::new();
    for _ in 0..4 {
        let solid = node.solid_head()?;
        let again = node.solid_block(solid.number)?;
        if again.id != solid.id {
            last = format!(
                "two answers for solidified block {} disagree ({} vs {})",
                solid.number,
                solid.id_hex(),
                again.id_hex()
            );
            continue;
        }
        let head = node.head_block()?;
        let expiration = solid.timestamp + expires_in_ms;
        if expiration > head.timestamp.max(solid.timestamp) + MAX_EXPIRES_MS - 60_000 {
            return Err(BcError::Input("expiration would be more than 24 h after the head block; use a shorter --expires-in".into()));
        }
        return Ok((solid, expiration));
    }
    Err(BcError::Node(format!("no agreed reference block: {last}")))
}
