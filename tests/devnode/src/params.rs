//! Chain parameters: what `getchainparameters` answers and the fee and resource rules read.
//! Their own module so that `genesis` and `permissions` both use them without naming each
//! other.

use serde::{Deserialize, Serialize};

/// Chain parameters (java-tron names in docs/devnode.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// getEnergyFee: sun per energy unit.
    pub energy_fee: u64,
    /// getTransactionFee: sun per bandwidth byte when burned.
    pub transaction_fee: u64,
    /// getFreeNetLimit: free bandwidth bytes per account per day.
    pub free_net_limit: u64,
    /// getCreateNewAccountFeeInSystemContract: sun to activate a new account by TRX transfer.
    pub create_new_account_fee: u64,
    /// getMemoFee: sun for a transaction carrying a memo.
    pub memo_fee: u64,
    /// getMaxFeeLimit: largest fee_limit accepted (sun).
    pub max_fee_limit: u64,
    /// getMultiSignFee: sun for a transaction with more than one signature.
    pub multi_sign_fee: u64,
    /// getTotalSignNum: most signatures per transaction and most keys per permission.
    pub total_sign_num: u64,
    /// getUpdateAccountPermissionFee: sun burned by an AccountPermissionUpdateContract.
    pub update_account_permission_fee: u64,
    /// getTotalEnergyLimit / TotalEnergyLimit: energy per 24 h shared by all energy stake.
    pub total_energy_limit: u64,
    /// TotalNetLimit: bandwidth per 24 h shared by all bandwidth stake.
    pub total_net_limit: u64,
    /// Whole TRX staked for energy by the rest of the network (added to the dev node's own
    /// accounts' stake to give TotalEnergyWeight).
    pub energy_weight_others: u64,
    /// Whole TRX staked for bandwidth by the rest of the network (part of TotalNetWeight).
    pub net_weight_others: u64,
    /// getUnfreezeDelayDays: days between an unstake and its withdrawal (14 on mainnet).
    pub unfreeze_delay_days: u64,
    /// getMaxDelegateLockPeriod: longest delegation lock, in 3 s blocks.
    pub max_delegate_lock_period: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            energy_fee: 100,
            transaction_fee: 1000,
            free_net_limit: 600,
            create_new_account_fee: 1_000_000,
            memo_fee: 1_000_000,
            max_fee_limit: 15_000_000_000,
            multi_sign_fee: 1_000_000,
            total_sign_num: 5,
            update_account_permission_fee: 100_000_000,
            total_energy_limit: 180_000_000_000,
            total_net_limit: 43_200_000_000,
            energy_weight_others: 2_411_528_185,
            net_weight_others: 68_305_209_098,
            unfreeze_delay_days: 14,
            max_delegate_lock_period: 864_000,
        }
    }
}
