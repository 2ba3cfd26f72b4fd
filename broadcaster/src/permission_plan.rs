//! Which permission a `build` signs under: `--permission ID`, else the account's default in
//! the config, else the permission the payout's previous attempt was built with (an expired
//! quorum is rebuilt under the same permission). One request covers one account and one
//! permission; the permission is read from the node and carried in the request as a claim.

use std::collections::BTreeSet;

use coldpay_shared::contract::contract_type_name;
use coldpay_shared::permission::{Permission, PermissionClaim, PermissionKind};
use coldpay_shared::{Address, RawData};

use crate::error::{BcError, Result};
use crate::journal::Attempt;
use crate::node::Node;

/// The permission a build signs under, as the node reports it.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The sending account.
    pub account: Address,
    /// Its permission.
    pub permission: Permission,
}

impl Plan {
    /// The Permission_id.
    pub fn id(&self) -> i32 {
        self.permission.id
    }

    /// The Permission_id as `Transaction.Contract` holds it.
    pub fn contract_id(&self) -> u32 {
        u32::try_from(self.permission.id).unwrap_or(0)
    }

    /// The request's claim.
    pub fn claim(&self) -> PermissionClaim {
        crate::permissions::claim(&self.permission)
    }

    /// Refuses contract types the permission's operations do not allow.
    pub fn check_types(&self, types: &[i32]) -> Result<()> {
        let refused: Vec<&str> = types
            .iter()
            .filter(|t| !self.permission.allows(**t))
            .map(|t| contract_type_name(*t as u64).unwrap_or("?"))
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        let allowed = self
            .permission
            .operations
            .map_or_else(|| "nothing".to_string(), |o| o.names().join(", "));
        Err(BcError::Input(format!(
            "permission {} of {} does not allow {} (it allows: {allowed}); nothing built",
            self.permission.label(),
            self.account,
            refused.join(", ")
        )))
    }

    /// The multi-signature fee each transaction may pay (sun): `getMultiSignFee` when the
    /// permission has more than one key, else 0.
    pub fn multisig_fee(&self, node: &Node) -> Result<u128> {
        if self.permission.keys.len() < 2 {
            return Ok(0);
        }
        Ok(u128::from(node.fee_params()?.multi_sign_sun))
    }
}

/// What the operator chose: `--permission` for the whole build, and the config's default
/// Permission_id per account (from `build`'s options).
#[derive(Clone, Copy, Debug)]
pub struct Choice<'a> {
    /// `--permission`.
    pub permission: Option<i32>,
    /// Config `[accounts.T…] permission = N`.
    pub account_permissions: &'a std::collections::HashMap<Address, i32>,
}

/// The (account, permission id) each transaction of the request would use.
fn wanted(
    opts: &Choice<'_>,
    reexport: &[Attempt],
    todo: &[(Address, Option<i32>)],
) -> Result<BTreeSet<(Address, Option<i32>)>> {
    let mut out = BTreeSet::new();
    for (from, previous) in todo {
        let id = opts
            .permission
            .or_else(|| opts.account_permissions.get(from).copied())
            .or(*previous);
        out.insert((*from, id));
    }
    for a in reexport {
        let raw = RawData::decode_hex(&a.raw_hex)?;
        out.insert((raw.owner(), a.permission_id));
    }
    Ok(out)
}

fn describe(w: &BTreeSet<(Address, Option<i32>)>) -> String {
    w.iter()
        .map(|(a, id)| match id {
            Some(id) => format!("{a} under permission id {id}"),
            None => format!("{a} with its own key"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Decides the permission of a build: `None` for the single-signer flow.
pub fn plan(
    node: &Node,
    opts: &Choice<'_>,
    reexport: &[Attempt],
    todo: &[(Address, Option<i32>)],
) -> Result<Option<Plan>> {
    let w = wanted(opts, reexport, todo)?;
    if w.iter().all(|(_, id)| id.is_none()) {
        return Ok(None);
    }
    if w.len() > 1 {
        return Err(BcError::Input(format!(
            "one sign request covers one account and one permission, but this build would mix: {}; build one batch at a time (--batch B, with --permission ID); transactions awaiting signature keep the permission they were built with until they expire",
            describe(&w)
        )));
    }
    let (account, id) = w.into_iter().next().expect("one");
    let id = id.expect("checked above");
    let all = crate::permissions::read(node, &account)?;
    let permission = all.by_id(id)?.clone();
    if permission.kind == PermissionKind::Witness {
        return Err(BcError::Input(format!(
            "permission id {id} of {account} is the witness permission: it cannot sign payouts"
        )));
    }
    Ok(Some(Plan {
        account,
        permission,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::{Operations, PermissionKey};

    fn plan_with(ops: &[&str]) -> Plan {
        let a = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        Plan {
            account: a,
            permission: Permission {
                kind: PermissionKind::Active,
                id: 2,
                name: "payouts".into(),
                threshold: 2,
                parent_id: 0,
                operations: Some(Operations::from_names(ops).unwrap()),
                keys: vec![PermissionKey {
                    address: a,
                    weight: 2,
                }],
            },
        }
    }

    #[test]
    fn operations_must_allow_every_contract_type() {
        let p = plan_with(&["trx"]);
        p.check_types(&[1]).unwrap();
        let e = p.check_types(&[1, 31]).unwrap_err().to_string();
        assert!(
            e.contains("does not allow TriggerSmartContract (it allows: TransferContract)"),
            "{e}"
        );
        assert_eq!(p.contract_id(), 2);
        assert_eq!(p.claim().threshold, 2);
    }

    #[test]
    fn the_permission_comes_from_the_flag_the_config_or_the_previous_attempt() {
        let a = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let mut per_account = std::collections::HashMap::new();
        let mut flag = None;
        fn choice(
            permission: Option<i32>,
            account_permissions: &std::collections::HashMap<Address, i32>,
        ) -> Choice<'_> {
            Choice {
                permission,
                account_permissions,
            }
        }
        let opts = choice(flag, &per_account);
        let w = wanted(&opts, &[], &[(a, None)]).unwrap();
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, None)]);
        let w = wanted(&opts, &[], &[(a, Some(3))]).unwrap();
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, Some(3))]);
        per_account.insert(a, 2);
        let opts = choice(flag, &per_account);
        let w = wanted(&opts, &[], &[(a, Some(3))]).unwrap();
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, Some(2))]);
        flag = Some(4);
        let opts = choice(flag, &per_account);
        let w = wanted(&opts, &[], &[(a, None)]).unwrap();
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, Some(4))]);
        let mixed: BTreeSet<_> = [(a, None), (a, Some(2))].into_iter().collect();
        assert!(describe(&mixed).contains("with its own key"));
    }
}
