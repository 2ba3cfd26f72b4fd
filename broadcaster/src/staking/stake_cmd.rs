//! The staking commands' arguments (`stake`, `unstake`, `withdraw-unstaked`, `delegate`,
//! `undelegate`, `cancel-unstake`) and the contract each asks for; the work is in
//! [`crate::staking`].

use coldpay_shared::staking::{Resource, StakingContract, StakingFields};
use std::fmt;
use std::path::PathBuf;

use coldpay_shared::{Address, Sun, TxId};
use serde::Serialize;

use crate::error::{BcError, Result};
use crate::staking::Outcome;

/// Options every staking command shares.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Build under this account permission (Permission_id: 0 owner, 2.. actives) for M-of-N
    /// approval; default: the account's `permission` in the config. Refused when its
    /// operations do not allow the staking contract type.
    #[arg(long, value_name = "ID")]
    pub permission: Option<i32>,
    /// Expiration after the reference block (at most 24h).
    #[arg(long, default_value = "6h")]
    pub expires_in: String,
    /// Output file for the sign request (default stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// QR output of the sign request (as `build`): its JSON form as `coldpay-req-json` UR
    /// parts (staking does not fit the compact payout form).
    #[command(flatten)]
    pub qr_out: crate::qrio::QrOutArgs,
}

/// `stake` / `unstake` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct AmountArgs {
    /// The staking account (an imported watch-only account).
    #[arg(long)]
    pub from: String,
    /// Amount in TRX ("500", "12.5"; at least 1 TRX to stake).
    #[arg(long)]
    pub amount: String,
    /// energy or bandwidth.
    #[arg(long, default_value = "energy", value_parser = ["energy", "bandwidth"])]
    pub resource: String,
    /// Permission, expiration and output.
    #[command(flatten)]
    pub common: Common,
}

/// `withdraw-unstaked` / `cancel-unstake` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct OwnerArgs {
    /// The staking account (an imported watch-only account).
    #[arg(long)]
    pub from: String,
    /// Permission, expiration and output.
    #[command(flatten)]
    pub common: Common,
}

/// `delegate` / `undelegate` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct DelegateArgs {
    /// The staking account (an imported watch-only account).
    #[arg(long)]
    pub from: String,
    /// The account receiving (or, for undelegate, giving back) the resource.
    #[arg(long)]
    pub to: String,
    /// Staked TRX whose resource is lent (or taken back), e.g. "1000"; at least 1 TRX to
    /// delegate.
    #[arg(long)]
    pub amount: String,
    /// energy or bandwidth.
    #[arg(long, default_value = "energy", value_parser = ["energy", "bandwidth"])]
    pub resource: String,
    /// delegate: lock the delegation (it cannot be taken back before the lock ends).
    #[arg(long)]
    pub lock: bool,
    /// delegate: lock period in blocks of 3 s (default with --lock: the chain's, 3 days).
    #[arg(long, value_name = "BLOCKS", requires = "lock")]
    pub lock_period: Option<u64>,
    /// Permission, expiration and output.
    #[command(flatten)]
    pub common: Common,
}

/// Which staking operation.
#[derive(Debug, Clone)]
pub enum StakeOp {
    /// FreezeBalanceV2.
    Stake(AmountArgs),
    /// UnfreezeBalanceV2.
    Unstake(AmountArgs),
    /// WithdrawExpireUnfreeze.
    Withdraw(OwnerArgs),
    /// DelegateResource.
    Delegate(DelegateArgs),
    /// UnDelegateResource.
    Undelegate(DelegateArgs),
    /// CancelAllUnfreezeV2.
    Cancel(OwnerArgs),
}

fn address(s: &str, flag: &str) -> Result<Address> {
    Address::parse(s).map_err(|e| BcError::Input(format!("{flag} {s:?}: {e}")))
}

fn amount(s: &str) -> Result<Sun> {
    Sun::parse_trx(s).map_err(|e| BcError::Input(format!("--amount {s:?}: {e}")))
}

fn resource(s: &str) -> Resource {
    if s == "bandwidth" {
        Resource::Bandwidth
    } else {
        Resource::Energy
    }
}

impl StakeOp {
    /// The shared options.
    pub fn common(&self) -> &Common {
        match self {
            StakeOp::Stake(a) | StakeOp::Unstake(a) => &a.common,
            StakeOp::Withdraw(a) | StakeOp::Cancel(a) => &a.common,
            StakeOp::Delegate(a) | StakeOp::Undelegate(a) => &a.common,
        }
    }

    /// The contract asked for (addresses and amounts parsed; the rules are checked later).
    pub fn contract(&self) -> Result<StakingContract> {
        Ok(match self {
            StakeOp::Stake(a) => StakingContract::Freeze {
                owner: address(&a.from, "--from")?,
                amount: amount(&a.amount)?,
                resource: resource(&a.resource),
            },
            StakeOp::Unstake(a) => StakingContract::Unfreeze {
                owner: address(&a.from, "--from")?,
                amount: amount(&a.amount)?,
                resource: resource(&a.resource),
            },
            StakeOp::Withdraw(a) => StakingContract::WithdrawExpireUnfreeze {
                owner: address(&a.from, "--from")?,
            },
            StakeOp::Cancel(a) => StakingContract::CancelAllUnfreeze {
                owner: address(&a.from, "--from")?,
            },
            StakeOp::Delegate(a) => StakingContract::Delegate {
                owner: address(&a.from, "--from")?,
                resource: resource(&a.resource),
                balance: amount(&a.amount)?,
                receiver: address(&a.to, "--to")?,
                lock: a.lock,
                lock_period: a.lock_period.unwrap_or(0),
            },
            StakeOp::Undelegate(a) => StakingContract::UnDelegate {
                owner: address(&a.from, "--from")?,
                resource: resource(&a.resource),
                balance: amount(&a.amount)?,
                receiver: address(&a.to, "--to")?,
            },
        })
    }
}

/// What a staking command built (its `--json` and its text): the operation, its journal id,
/// txID and request, and the contract's own fields as `tx decode` shows them.
#[derive(Clone, Debug, Serialize)]
pub struct StakeAnswer {
    /// "stake", "unstake", … ([`StakingContract::operation`]).
    pub operation: &'static str,
    /// The journal's id of the operation.
    pub payout_id: String,
    /// Its txID.
    pub txid: TxId,
    /// Already built and waiting for signatures: its request exported again.
    pub reexported: bool,
    /// The sign request's id.
    pub request_id: String,
    /// The contract's fields.
    #[serde(flatten)]
    pub contract: StakingFields,
    /// The contract's description lines (text only).
    #[serde(skip)]
    describe: Vec<String>,
}

impl StakeAnswer {
    /// The answer for what `run` built.
    pub fn of(out: &Outcome) -> StakeAnswer {
        StakeAnswer {
            operation: crate::journal::staking_ops::operation_of(&out.contract),
            payout_id: out.payout_id.clone(),
            txid: out.request.transactions[0].txid,
            reexported: out.reexported,
            request_id: out.request.request_id.clone(),
            contract: out.contract.fields(),
            describe: out.contract.describe(),
        }
    }
}

impl fmt::Display for StakeAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: journal id {}, txid {}",
            self.operation,
            if self.reexported {
                "(already built, waiting for signatures: its request is exported again)"
            } else {
                "built"
            },
            self.payout_id,
            self.txid
        )?;
        for line in &self.describe {
            write!(f, "\n  {line}")?;
        }
        f.write_str("\nnext: sign the request offline, then `submit RESPONSE` and `track --follow`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::staking::Resource;

    fn addr(i: u8) -> Address {
        Address::from_evm_bytes([i; 20])
    }

    fn every_contract() -> Vec<StakingContract> {
        let owner = addr(1);
        let amount = Sun::parse_trx("12.5").unwrap();
        vec![
            StakingContract::Freeze {
                owner,
                amount,
                resource: Resource::Energy,
            },
            StakingContract::Unfreeze {
                owner,
                amount,
                resource: Resource::Bandwidth,
            },
            StakingContract::WithdrawExpireUnfreeze { owner },
            StakingContract::CancelAllUnfreeze { owner },
            StakingContract::Delegate {
                owner,
                resource: Resource::Energy,
                balance: amount,
                receiver: addr(2),
                lock: true,
                lock_period: 86_400,
            },
            StakingContract::UnDelegate {
                owner,
                resource: Resource::Bandwidth,
                balance: amount,
                receiver: addr(2),
            },
        ]
    }

    #[test]
    fn the_answer_is_todays_json_and_text() {
        let c = &every_contract()[4];
        let txid = TxId::from_bytes([7; 32]);
        let a = StakeAnswer {
            operation: crate::journal::staking_ops::operation_of(c),
            payout_id: "stake-1".into(),
            txid,
            reexported: false,
            request_id: "stake-1-99".into(),
            contract: c.fields(),
            describe: c.describe(),
        };
        let mut want = serde_json::json!({
            "operation": c.operation(),
            "payout_id": "stake-1",
            "txid": txid.to_hex(),
            "reexported": false,
            "request_id": "stake-1-99",
        });
        for (k, x) in c.view_json() {
            want[k] = x;
        }
        assert_eq!(serde_json::to_value(&a).unwrap(), want);
        let text = a.to_string();
        let first = format!(
            "{} built: journal id stake-1, txid {}",
            c.operation(),
            txid.to_hex()
        );
        assert_eq!(text.lines().next(), Some(first.as_str()), "{text}");
        assert_eq!(text.lines().count(), 2 + c.describe().len(), "{text}");
        assert!(
            text.ends_with("then `submit RESPONSE` and `track --follow`"),
            "{text}"
        );
    }
}
