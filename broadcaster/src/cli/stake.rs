//! `stake`, `unstake`, `withdraw-unstaked`, `delegate`, `undelegate`, `cancel-unstake`: a
//! staking operation checked, built, journaled and written as a sign request.

use super::context::{remember_genesis, Ctx};
use super::output::{parse_duration, show, RequestWritten};
use crate::error::Result;
use crate::journal::Journal;
use crate::node::Node;
use crate::staking::stake_cmd::StakeOp;

/// Runs a staking command: the operation checked, built, journaled; its request written
/// (a file or stdout; staking does not fit the compact QR form).
pub(crate) fn run(c: &Ctx, journal: &Journal, n: &Node, op: StakeOp) -> Result<()> {
    let common = op.common().clone();
    let contract = op.contract()?;
    let opts = crate::staking::StakeOpts {
        network: c.network,
        expires_in_ms: parse_duration(&common.expires_in, "--expires-in")?.as_millis() as u64,
        choice: crate::multisig::permission_plan::Choice {
            permission: common.permission,
            account_permissions: &c.account_permissions,
        },
    };
    let r = crate::staking::run(journal, n, &opts, contract);
    remember_genesis(c, journal, n)?;
    let out = r?;
    let answer = crate::staking::stake_cmd::StakeAnswer::of(&out);
    if !c.json || common.output.is_none() {
        eprintln!("{answer}");
    }
    super::build::emit_request(&out.request, common.output.as_deref(), &common.qr_out)?;
    if let Some(p) = &common.output {
        let line = format!("sign request written to {}", p.display());
        show(c, &RequestWritten::new(answer, line));
    }
    Ok(())
}
