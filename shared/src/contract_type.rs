//! The names TRON gives its ContractType numbers (for review lines and error messages); no
//! other module is needed to name a type, so the error module can use it.

/// ContractType number of `TransferContract`.
pub const TRANSFER_CONTRACT: u64 = 1;
/// ContractType number of `TriggerSmartContract`.
pub const TRIGGER_SMART_CONTRACT: u64 = 31;
/// ContractType number of `AccountPermissionUpdateContract`.
pub const ACCOUNT_PERMISSION_UPDATE_CONTRACT: u64 = 46;
/// The ContractType number of a name as TRON spells it (`"TransferContract"` → 1).
pub fn contract_type_number(name: &str) -> Option<i32> {
    (0..64u64)
        .find(|&t| contract_type_name(t) == Some(name))
        .map(|t| t as i32)
}

/// The name TRON gives a ContractType number, for error messages.
pub fn contract_type_name(t: u64) -> Option<&'static str> {
    Some(match t {
        0 => "AccountCreateContract",
        1 => "TransferContract",
        2 => "TransferAssetContract",
        3 => "VoteAssetContract",
        4 => "VoteWitnessContract",
        5 => "WitnessCreateContract",
        6 => "AssetIssueContract",
        8 => "WitnessUpdateContract",
        9 => "ParticipateAssetIssueContract",
        10 => "AccountUpdateContract",
        11 => "FreezeBalanceContract",
        12 => "UnfreezeBalanceContract",
        13 => "WithdrawBalanceContract",
        14 => "UnfreezeAssetContract",
        15 => "UpdateAssetContract",
        16 => "ProposalCreateContract",
        17 => "ProposalApproveContract",
        18 => "ProposalDeleteContract",
        19 => "SetAccountIdContract",
        20 => "CustomContract",
        30 => "CreateSmartContract",
        31 => "TriggerSmartContract",
        32 => "GetContract",
        33 => "UpdateSettingContract",
        41 => "ExchangeCreateContract",
        42 => "ExchangeInjectContract",
        43 => "ExchangeWithdrawContract",
        44 => "ExchangeTransactionContract",
        45 => "UpdateEnergyLimitContract",
        46 => "AccountPermissionUpdateContract",
        48 => "ClearABIContract",
        49 => "UpdateBrokerageContract",
        51 => "ShieldedTransferContract",
        52 => "MarketSellAssetContract",
        53 => "MarketCancelOrderContract",
        54 => "FreezeBalanceV2Contract",
        55 => "UnfreezeBalanceV2Contract",
        56 => "WithdrawExpireUnfreezeContract",
        57 => "DelegateResourceContract",
        58 => "UnDelegateResourceContract",
        59 => "CancelAllUnfreezeV2Contract",
        _ => return None,
    })
}
