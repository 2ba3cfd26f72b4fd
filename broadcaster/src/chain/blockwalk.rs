//! The verified walk over solidified blocks that `track` and `watch` share: ranges fetched in
//! parallel chunks, each block verified (blockID, txIDs, txTrieRoot), the chunks linked end to
//! end by `parentHash`, and the block at the solidified head's height checked against the
//! verified head itself. A short, empty or forged answer is a node fault, never "no blocks".

use coldpay_shared::block::VerifiedBlock;

use crate::error::{BcError, Result};
use crate::node::Node;

/// Blocks per range request (java-tron serves at most 100).
pub const CHUNK: u64 = 100;

/// The end (exclusive) of the next group of blocks to fetch from `start`: as many chunks as the
/// node's concurrency allows, never past the verified solidified head.
pub fn group_end(node: &Node, start: u64, solid: &VerifiedBlock) -> u64 {
    (start + CHUNK * node.concurrency() as u64).min(solid.number + 1)
}

/// Fetches `[start, end)` in chunks, in parallel, verified and linked end to end; the block at the
/// solidified head's height must be the verified head itself.
pub fn fetch_linked(
    node: &Node,
    start: u64,
    end: u64,
    solid: &VerifiedBlock,
) -> Result<Vec<VerifiedBlock>> {
    let chunks: Vec<(u64, u64)> = (start..end)
        .step_by(CHUNK as usize)
        .map(|s| (s, (s + CHUNK).min(end)))
        .collect();
    let mut blocks = Vec::new();
    for r in node.par_map(&chunks, |(s, e)| node.solid_range(*s, *e)) {
        let part = r?;
        if let (Some(prev), Some(first)) = (blocks.last(), part.first()) {
            let prev: &VerifiedBlock = prev;
            if first.parent != prev.id {
                return Err(BcError::Node(format!(
                    "block {} does not chain to block {} (parentHash mismatch between two range answers): the nodes disagree; nothing advanced",
                    first.number, prev.number
                )));
            }
        }
        blocks.extend(part);
    }
    if let Some(b) = blocks.iter().find(|b| b.number == solid.number) {
        if b.id != solid.id {
            return Err(BcError::Node(format!(
                "block {} from the range answer differs from the solidified head answer: the nodes disagree; nothing advanced",
                solid.number
            )));
        }
    }
    Ok(blocks)
}
