//! Genesis: initial accounts (TRX and token balances, permissions), the TRC-20 token, and
//! chain parameters.

use coldpay_shared::permission::{self as perm, Operations, PermissionKind};
use coldpay_shared::Address;
use serde::{Deserialize, Serialize};

use crate::permissions::{AccountPermissions, DEFAULT_OPERATIONS};

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

/// The one TRC-20 token the node runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSpec {
    /// Contract address.
    pub contract: Address,
    /// Symbol.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
}

impl Default for TokenSpec {
    fn default() -> Self {
        TokenSpec {
            contract: Address::parse(coldpay_shared::MAINNET_USDT).expect("valid"),
            symbol: "USDT".into(),
            decimals: 6,
        }
    }
}

/// One key of a permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionKey {
    /// Key address.
    pub address: Address,
    /// Weight.
    pub weight: u64,
}

/// A permission (owner: id 0; actives: id ≥ 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// Permission id.
    pub id: u32,
    /// `permission_name` (default "owner" / "active").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Sum of weights needed.
    pub threshold: u64,
    /// Keys and weights.
    pub keys: Vec<PermissionKey>,
    /// For actives: 32-byte operations bitmap (hex), bit N = contract type N allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<String>,
}

/// Account permissions; absent means the address itself with weight 1, threshold 1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Owner permission (id 0).
    pub owner: Permission,
    /// Active permissions (ids ≥ 2).
    #[serde(default)]
    pub actives: Vec<Permission>,
}

impl Permission {
    fn to_chain(&self, kind: PermissionKind) -> Result<perm::Permission, String> {
        let default_name = if kind == PermissionKind::Owner {
            "owner"
        } else {
            "active"
        };
        let operations = match (kind, &self.operations) {
            (PermissionKind::Active, None) => Some(DEFAULT_OPERATIONS),
            (_, o) => o.as_deref(),
        };
        let p = perm::Permission {
            kind,
            id: i32::try_from(self.id).map_err(|_| format!("permission id {}", self.id))?,
            name: self.name.clone().unwrap_or_else(|| default_name.into()),
            threshold: i64::try_from(self.threshold).map_err(|_| "threshold too large")?,
            parent_id: 0,
            operations: operations
                .map(Operations::from_hex)
                .transpose()
                .map_err(|e| e.to_string())?,
            keys: self
                .keys
                .iter()
                .map(|k| {
                    Ok(perm::PermissionKey {
                        address: k.address,
                        weight: i64::try_from(k.weight).map_err(|_| "weight too large")?,
                    })
                })
                .collect::<Result<_, String>>()?,
        };
        p.check_with(usize::MAX).map_err(|e| e.to_string())?;
        Ok(p)
    }
}

impl Permissions {
    /// The chain's form, checked as java-tron would (owner id 0, actives 2, 3, …).
    pub fn to_chain(&self) -> Result<AccountPermissions, String> {
        let owner = self.owner.to_chain(PermissionKind::Owner)?;
        let actives = self
            .actives
            .iter()
            .map(|a| a.to_chain(PermissionKind::Active))
            .collect::<Result<Vec<_>, String>>()?;
        for (i, a) in actives.iter().enumerate() {
            if a.id != 2 + i as i32 {
                return Err(format!("active permission {i} must have id {}", 2 + i));
            }
        }
        Ok(AccountPermissions { owner, actives })
    }
}

/// An initial account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Address.
    pub address: Address,
    /// TRX balance in sun.
    pub trx_sun: u64,
    /// Token balance in base units (decimal string).
    #[serde(default)]
    pub token_balance: String,
    /// Optional permissions (multi-signature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
}

/// The genesis file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// Genesis block time (ms); default: now.
    #[serde(default)]
    pub timestamp: Option<u64>,
    /// The TRC-20 token.
    #[serde(default)]
    pub token: TokenSpec,
    /// Initial accounts.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// Chain parameters.
    #[serde(default)]
    pub params: Params,
}

impl Genesis {
    /// Checks every account's permissions (a bad genesis file is refused at start).
    pub fn validate(&self) -> Result<(), String> {
        for a in &self.accounts {
            if let Some(p) = &a.permissions {
                p.to_chain()
                    .map_err(|e| format!("account {}: permissions: {e}", a.address))?;
            }
        }
        Ok(())
    }

    /// Adds (or tops up) an account with TRX (sun) and token base units.
    pub fn fund(&mut self, address: Address, trx_sun: u64, usdt_base_units: u128) {
        if let Some(a) = self.accounts.iter_mut().find(|a| a.address == address) {
            a.trx_sun += trx_sun;
            let prev: u128 = a.token_balance.parse().unwrap_or(0);
            a.token_balance = (prev + usdt_base_units).to_string();
        } else {
            self.accounts.push(GenesisAccount {
                address,
                trx_sun,
                token_balance: usdt_base_units.to_string(),
                permissions: None,
            });
        }
    }
}
