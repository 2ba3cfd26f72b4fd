//! Genesis: initial accounts (TRX and token balances, permissions), the TRC-20 token, and
//! the chain parameters ([`Params`], in their own module).

use coldpay_shared::permission::{self as perm, Operations, PermissionKind};
use coldpay_shared::Address;
use serde::{Deserialize, Serialize};

pub use crate::params::Params;
use crate::permissions::{AccountPermissions, DEFAULT_OPERATIONS};

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

impl Permission {
    /// The genesis form of a chain permission (weights and ids that do not fit are refused).
    pub fn from_chain(p: &perm::Permission) -> Result<Permission, String> {
        let keys = p
            .keys
            .iter()
            .map(|k| {
                Ok(PermissionKey {
                    address: k.address,
                    weight: u64::try_from(k.weight).map_err(|_| format!("weight {}", k.weight))?,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Permission {
            id: u32::try_from(p.id).map_err(|_| format!("permission id {}", p.id))?,
            name: Some(p.name.clone()),
            threshold: u64::try_from(p.threshold)
                .map_err(|_| format!("threshold {}", p.threshold))?,
            keys,
            operations: p.operations.as_ref().map(Operations::to_hex),
        })
    }
}

impl Permissions {
    /// The genesis form of an owner and active permissions built as the chain holds them
    /// (the test kit's fixtures, say).
    pub fn from_chain(
        owner: &perm::Permission,
        actives: &[perm::Permission],
    ) -> Result<Permissions, String> {
        Ok(Permissions {
            owner: Permission::from_chain(owner)?,
            actives: actives
                .iter()
                .map(Permission::from_chain)
                .collect::<Result<_, String>>()?,
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_testkit::permission;

    fn a(n: u8) -> Address {
        let mut b = [0u8; 20];
        b[19] = n;
        Address::from_evm_bytes(b)
    }

    #[test]
    fn chain_permissions_round_trip_through_the_genesis_form() {
        let owner = permission::owner(1, &[a(1)]);
        let actives = [permission::active(
            "payouts",
            2,
            2,
            &[a(2), a(3)],
            permission::trx_trc20(),
        )];
        let g = Permissions::from_chain(&owner, &actives).unwrap();
        assert_eq!(g.actives[0].name.as_deref(), Some("payouts"));
        let back = g.to_chain().unwrap();
        assert_eq!(back.owner, owner);
        assert_eq!(back.actives, actives);
    }

    #[test]
    fn a_negative_weight_has_no_genesis_form() {
        let mut owner = permission::owner(1, &[a(1)]);
        owner.keys[0].weight = -1;
        assert_eq!(
            Permissions::from_chain(&owner, &[]).unwrap_err(),
            "weight -1"
        );
    }
}
