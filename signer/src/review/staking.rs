//! A staking transaction in plain words: what it does (amount in TRX, resource, receiver,
//! lock), what the account gains or loses in energy or bandwidth, and when unstaked TRX can
//! be withdrawn. Everything comes from the decoded bytes and the policy, except the unstaking
//! delay: a chain parameter this signer cannot know, shown as mainnet's figure and labelled so.

use std::fmt::Write as _;

use coldpay_shared::staking::StakingContract;

use crate::policy::Policy;
use crate::policy_staking::trx;

/// Mainnet's unstaking delay (`getUnfreezeDelayDays`), shown labelled as mainnet's.
pub(crate) const MAINNET_UNSTAKE_DAYS: u64 = 14;

/// The summary's line for one operation: "stake 500 TRX for energy".
pub fn summary_line(c: &StakingContract) -> String {
    let amount = trx(c.amount_sun());
    let res = c.resource().map_or("", |r| r.word());
    match c {
        StakingContract::Freeze { .. } => format!("stake {amount} for {res}"),
        StakingContract::Unfreeze { .. } => format!("unstake {amount} staked for {res}"),
        StakingContract::WithdrawExpireUnfreeze { .. } => {
            "withdraw every unstaked amount whose delay has passed".into()
        }
        StakingContract::Delegate { receiver, .. } => {
            format!("delegate the {res} of {amount} staked to {receiver}")
        }
        StakingContract::UnDelegate { receiver, .. } => {
            format!("take back the {res} of {amount} staked from {receiver}")
        }
        StakingContract::CancelAllUnfreeze { .. } => "cancel every pending unstake".into(),
    }
}

/// What the account gains or loses, in words.
fn effect(c: &StakingContract, policy: &Policy) -> Vec<String> {
    let amount = trx(c.amount_sun());
    let res = c.resource().map_or("", |r| r.word());
    let delay = format!(
        "{MAINNET_UNSTAKE_DAYS} days on mainnet (mainnet's figure: the delay is a chain parameter this signer does not know)"
    );
    match c {
        StakingContract::Freeze { .. } => vec![
            format!("{amount} leave the free balance; the account GAINS the {res} their share of the network's stake gives (recovering over 24 h)"),
            format!("getting the TRX back takes an unstake and then the unstaking delay: {delay}"),
        ],
        StakingContract::Unfreeze { .. } => vec![
            format!("the account LOSES the {res} of {amount} staked at once"),
            format!("the {amount} can be withdrawn after the unstaking delay: {delay}"),
        ],
        StakingContract::WithdrawExpireUnfreeze { .. } => vec![
            "unstaked TRX whose delay has passed return to the free balance; nothing staked changes".into(),
        ],
        StakingContract::Delegate { receiver, .. } => {
            let label = policy
                .staking
                .as_ref()
                .and_then(|s| s.receivers.get(receiver))
                .map_or_else(|| "NOT on the policy's receiver list".to_string(), |l| format!("\"{}\"", coldpay_shared::text::escape(l)));
            vec![
                format!("the account LOSES the {res} of {amount} staked while it is delegated; {receiver} ({label}) gains it"),
                "the TRX stay the account's own stake: only the resource is lent".into(),
            ]
        }
        StakingContract::UnDelegate { receiver, .. } => vec![format!(
            "the {res} of {amount} staked comes back to the account; {receiver} loses it"
        )],
        StakingContract::CancelAllUnfreeze { .. } => vec![
            "pending unstakes are staked again (their resource comes back); those whose delay has passed are withdrawn to the free balance".into(),
        ],
    }
}

/// The listing lines of one staking transaction.
pub(crate) fn write_item(out: &mut String, c: &StakingContract, policy: &Policy) {
    let _ = writeln!(out, "  STAKING     {} ({})", summary_line(c), c.type_name());
    for line in c.describe() {
        let _ = writeln!(out, "  {line}");
    }
    for line in effect(c, policy) {
        let _ = writeln!(out, "  effect      {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::staking::Resource;
    use coldpay_shared::{Address, Network, Sun};

    #[test]
    fn unstake_and_delegate_read_in_plain_words() {
        let owner = Address::parse("TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy").unwrap();
        let friend = Address::parse("TJRabPrwbZy45sbavfcjinPJC18kjpRTv8").unwrap();
        let policy = Policy::parse(
            b"[destinations]\nmode = \"any\"\n[staking]\nallow = [\"delegate\"]\nmax_per_tx_trx = \"10\"\nmax_per_24h_trx = \"10\"\n[[staking.receivers]]\naddress = \"TJRabPrwbZy45sbavfcjinPJC18kjpRTv8\"\nlabel = \"ops\"\n",
            Network::Mainnet,
        )
        .unwrap();
        let mut out = String::new();
        write_item(
            &mut out,
            &StakingContract::Unfreeze {
                owner,
                amount: Sun::new(2_500_000).unwrap(),
                resource: Resource::Energy,
            },
            &policy,
        );
        assert!(
            out.contains("unstake 2.5 TRX staked for energy (UnfreezeBalanceV2Contract)"),
            "{out}"
        );
        assert!(out.contains("LOSES the energy of 2.5 TRX staked"), "{out}");
        assert!(
            out.contains("14 days on mainnet (mainnet's figure"),
            "{out}"
        );
        let mut out = String::new();
        write_item(
            &mut out,
            &StakingContract::Delegate {
                owner,
                resource: Resource::Bandwidth,
                balance: Sun::new(3_000_000).unwrap(),
                receiver: friend,
                lock: true,
                lock_period: 28_800,
            },
            &policy,
        );
        assert!(
            out.contains(&format!(
                "delegate the bandwidth of 3 TRX staked to {friend}"
            )),
            "{out}"
        );
        assert!(out.contains("\"ops\") gains it"), "{out}");
        assert!(
            out.contains("yes, for 28800 blocks (about 24 hours)"),
            "{out}"
        );
    }
}
