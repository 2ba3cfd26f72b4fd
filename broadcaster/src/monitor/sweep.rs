//! `sweep --from OLD --to NEW`: after an alarm, move every remaining balance of a treasury
//! account to a fresh wallet through the normal request/sign/submit/track path.
//!
//! Tokens go first and TRX last, in two batches: while OLD holds any configured token, `sweep`
//! records one batch paying each token's whole balance (its TRX stays to pay their fees); once
//! the verified solidified state shows no token left, `sweep` records the TRX payout: the
//! balance less a stated fee reserve (the bandwidth of one transfer, the multi-signature fee
//! when the account signs under a permission, and the account-creation fee when the fresh
//! wallet is not an account yet), which is the most that is left behind.
//! Balances are read from the node's solidified state and OLD must have no payout still
//! unsettled, so a sweep never races a payout for the same funds.

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::{Address, U256};

use serde_json::json;

use crate::error::{BcError, Result};
use crate::journal::{Asset, AttemptState, Journal};
use crate::node::answers::{Account, ChainParameters};
use crate::node::Node;
use crate::payout::payouts::NewPayout;
use crate::tokens::Token;

/// Bandwidth bytes reserved for the TRX transfer of a sweep: a TRX transfer's raw data with a
/// signature is about 270 bytes; 400 leaves room for two more signatures.
pub const RESERVE_BYTES: u64 = 400;

/// What one `sweep` run recorded.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Swept {
    /// The batch recorded (None: nothing left to sweep).
    pub batch: Option<String>,
    /// "tokens" (first stage) or "trx" (last stage) or "done".
    pub stage: &'static str,
    /// One line per payout: "1250.5 USDT (1250500000 base units)".
    pub payouts: Vec<String>,
    /// TRX (sun) left behind for fees in the TRX stage.
    pub reserve_sun: u64,
    /// What to do next.
    pub next: String,
}

/// Payouts of `from` that are not settled yet (no confirmed attempt): ids with their state.
fn unsettled(journal: &Journal, from: &Address) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for b in journal.batches()?.iter().filter(|b| b.from == *from) {
        for p in journal.active_payouts(Some(&b.id))? {
            let attempts = journal.attempts_of(&p.id)?;
            if attempts.iter().any(|a| a.state == AttemptState::Confirmed) {
                continue;
            }
            let state = attempts.last().map_or("not built", |a| {
                if a.state.is_live() {
                    a.state.as_str()
                } else {
                    "to be rebuilt"
                }
            });
            out.push(format!("{} ({state})", p.id));
        }
    }
    Ok(out)
}

/// The fee reserve of the TRX transfer (sun): [`RESERVE_BYTES`] of bandwidth, plus the
/// multi-signature fee when `multisig`, plus `activation_sun` (the fee java-tron's transfer
/// check adds when the recipient is not an account yet).
pub fn reserve(
    bandwidth_sun: u64,
    multi_sign_sun: u64,
    multisig: bool,
    activation_sun: u64,
) -> u64 {
    RESERVE_BYTES * bandwidth_sun + if multisig { multi_sign_sun } else { 0 } + activation_sun
}

/// The chain parameter of the fee a TRX transfer pays to create its recipient's account.
const ACTIVATION_KEY: &str = "getCreateNewAccountFeeInSystemContract";

/// The fee a TRX transfer to `to` pays to create its account: 0 when the solidified state
/// shows the account, else the chain parameter (an account the node does not show is treated
/// as new: reserving the fee leaves it as dust at worst, never a refused transfer).
fn activation_sun(node: &Node, to: &Address) -> Result<u64> {
    let acct: Account = node.get_typed(
        "/walletsolidity/getaccount",
        &json!({"address": to.to_base58(), "visible": true}),
    )?;
    if acct.address.is_some() {
        return Ok(0);
    }
    let p: ChainParameters = node.get_typed("/wallet/getchainparameters", &json!({}))?;
    p.get(ACTIVATION_KEY).ok_or_else(|| {
        BcError::Node(format!(
            "chain parameter {ACTIVATION_KEY} is missing from the node's answer"
        ))
    })
}

/// The TRX payout amount: the balance less the reserve, or `None` when nothing is left over.
pub fn trx_amount(balance: u64, reserve: u64) -> Option<u64> {
    balance.checked_sub(reserve).filter(|a| *a > 0)
}

/// Records the next sweep batch of `from` to `to`; see the module documentation.
pub fn sweep(
    journal: &Journal,
    node: &Node,
    tokens: &[Token],
    from: &Address,
    to: &Address,
    multisig: bool,
) -> Result<Swept> {
    if from == to {
        return Err(BcError::Input(
            "--to must be the fresh wallet, not the account being swept".into(),
        ));
    }
    let open = unsettled(journal, from)?;
    if !open.is_empty() {
        return Err(BcError::Input(format!(
            "{from} has {} payout(s) not settled yet: {}; a sweep would race them for the same \
             funds: settle them (`submit`, `track`) or `batch cancel` them first",
            open.len(),
            open.join(", ")
        )));
    }
    let network = node.network();
    let stamp = crate::journal::now_ms();
    let short = &from.to_base58()[..8];
    let mut payouts = Vec::new();
    let mut lines = Vec::new();
    for t in tokens {
        let have = crate::monitor::balances::solid_token(node, &t.contract, from)?;
        if have > U256::ZERO {
            lines.push(format!(
                "{} {} ({have} base units)",
                format_units(have, t.decimals),
                t.symbol
            ));
            payouts.push(payout(
                format!("sweep-{short}-{}-{stamp}", t.symbol.to_lowercase()),
                to,
                Asset::Token(t.contract),
                have,
            ));
        }
    }
    if !payouts.is_empty() {
        let batch = format!("sweep-{short}-tokens-{stamp}");
        crate::payout::payouts::insert_batch(journal, &batch, from, network, &payouts)?;
        return Ok(Swept {
            next: format!(
                "build --batch {batch}, sign, submit and track it; then run this sweep again \
                 to move the TRX (kept until then to pay these transfers' fees)"
            ),
            batch: Some(batch),
            stage: "tokens",
            payouts: lines,
            reserve_sun: 0,
        });
    }
    let balance = crate::monitor::balances::solid_trx(node, from)?;
    let params = node.fee_params()?;
    let activation = activation_sun(node, to)?;
    let reserve = reserve(
        params.bandwidth_sun,
        params.multi_sign_sun,
        multisig,
        activation,
    );
    let trx = |sun: u64| format_units(U256::from(sun), TRX_DECIMALS);
    let Some(amount) = trx_amount(balance, reserve) else {
        return Ok(Swept {
            batch: None,
            stage: "done",
            payouts: Vec::new(),
            reserve_sun: reserve,
            next: format!(
                "nothing left to sweep: {from} holds no token and {} TRX, not more than the \
                 {} TRX fee reserve; retire the old key",
                trx(balance),
                trx(reserve)
            ),
        });
    };
    let batch = format!("sweep-{short}-trx-{stamp}");
    let p = payout(
        format!("sweep-{short}-trx-{stamp}"),
        to,
        Asset::Trx,
        U256::from(amount),
    );
    crate::payout::payouts::insert_batch(journal, &batch, from, network, &[p])?;
    Ok(Swept {
        next: format!(
            "build --batch {batch}, sign, submit and track it; {from} then keeps at most the {} \
             TRX fee reserve (less what the transfer burns); then retire the old key",
            trx(reserve)
        ),
        batch: Some(batch),
        stage: "trx",
        payouts: vec![format!("{} TRX ({amount} sun)", trx(amount))],
        reserve_sun: reserve,
    })
}

fn payout(id: String, to: &Address, token: Asset, amount: U256) -> NewPayout {
    NewPayout {
        line: 0,
        id,
        to: *to,
        token,
        amount,
        memo: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trx_stage_leaves_exactly_the_reserve() {
        // 1000 sun per byte: 0.4 TRX; a multi-signature account adds the 1 TRX fee.
        assert_eq!(reserve(1000, 1_000_000, false, 0), 400_000);
        assert_eq!(reserve(1000, 1_000_000, true, 0), 1_400_000);
        // A recipient that is not an account yet: the activation fee is kept too.
        assert_eq!(reserve(1000, 1_000_000, false, 1_000_000), 1_400_000);
        assert_eq!(trx_amount(5_400_000, 400_000), Some(5_000_000));
        assert_eq!(trx_amount(400_000, 400_000), None);
        assert_eq!(trx_amount(10, 400_000), None);
    }
}
