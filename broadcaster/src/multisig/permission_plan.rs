//! Which permission a `build` signs under: `--permission ID`, else the account's default in
//! the config, else the permission the payout's previous attempt was built with (an expired
//! quorum is rebuilt under the same permission). One request covers one account and one
//! permission; the permission is read from the node and carried in the request as a claim.

use std::collections::{BTreeMap, BTreeSet};

use coldpay_shared::contract::contract_type_name;
use coldpay_shared::permission::{Permission, PermissionClaim, PermissionKind};
use coldpay_shared::Address;

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
    /// Where the permission id came from, for the build summary.
    pub source: Source,
}

/// Where a build's permission id came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `build --permission N`.
    Flag,
    /// The config's `[accounts.T…] permission = N`.
    Config,
    /// The permission the payouts' earlier attempts were built with.
    Previous,
}

impl Source {
    /// "from --permission", "from the config ([accounts.T…] permission = 3)", "as the
    /// earlier attempts were built".
    pub fn text(self, account: &Address, id: i32) -> String {
        match self {
            Source::Flag => format!("from --permission {id}"),
            Source::Config => format!("from the config ([accounts.{account}] permission = {id})"),
            Source::Previous => "as the payouts' earlier attempts were built".into(),
        }
    }

    /// The JSON name: "flag", "config" or "previous_attempt".
    pub fn key(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Config => "config",
            Source::Previous => "previous_attempt",
        }
    }
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
        crate::multisig::permissions::claim(&self.permission)
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
) -> BTreeSet<(Address, Option<i32>)> {
    let mut out = BTreeSet::new();
    for (from, previous) in todo {
        let id = opts
            .permission
            .or_else(|| opts.account_permissions.get(from).copied())
            .or(*previous);
        out.insert((*from, id));
    }
    for a in reexport {
        out.insert((a.raw.owner(), a.permission_id));
    }
    out
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

/// Refuses an explicit `--permission` that differs from the permission of attempts built
/// earlier and not yet signed: a built attempt keeps the permission it was built with (the
/// exported request can still be signed and submitted until it expires, so it is never
/// rebuilt beside it nor "re-exported" under another id). `approvals` counts the approvals
/// journaled per attempt id; `now` is in ms. The refusal groups the attempts by permission and
/// expiry and says when each group can be rebuilt.
pub fn check_flag<S: std::hash::BuildHasher>(
    flag: Option<i32>,
    reexport: &[Attempt],
    approvals: &std::collections::HashMap<i64, usize, S>,
    now: u64,
) -> Result<()> {
    let Some(want) = flag else { return Ok(()) };
    let mut groups: BTreeMap<(i32, u64), Vec<&Attempt>> = BTreeMap::new();
    for a in reexport {
        let built = a.permission_id.unwrap_or(0);
        if built != want {
            groups.entry((built, a.expiration)).or_default().push(a);
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let n: usize = groups.values().map(Vec::len).sum();
    let lines: Vec<String> = groups
        .iter()
        .map(|((id, exp), v)| {
            let approved = v
                .iter()
                .filter(|a| approvals.get(&a.id).copied().unwrap_or(0) > 0)
                .count();
            format!(
                "  {} under permission id {id} ({approved} with an approval): rebuildable under \
                 {want} after they expire at {} and `track` marks them expired",
                ids(v),
                coldpay_shared::timefmt::utc_from_now(*exp, now)
            )
        })
        .collect();
    Err(BcError::Input(format!(
        "--permission {want} is not applied: {n} payout(s) were built earlier under another \
         permission and await signatures; a built attempt keeps its permission (its request \
         can still be signed and submitted until it expires), so nothing was built or \
         re-exported:\n{}\nBuild other batches now with `build --batch B --permission {want}`; \
         `batch cancel` is refused for these payouts while their attempts are live.",
        lines.join("\n")
    )))
}

/// "payouts p1, p2, p3 … p40 (40)" or "payout p1".
fn ids(v: &[&Attempt]) -> String {
    match v {
        [one] => format!("payout {}", one.payout_id),
        _ if v.len() <= 5 => format!(
            "payouts {}",
            v.iter()
                .map(|a| a.payout_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "payouts {}, {}, {} … {} ({})",
            v[0].payout_id,
            v[1].payout_id,
            v[2].payout_id,
            v[v.len() - 1].payout_id,
            v.len()
        ),
    }
}

/// Decides the permission of a build: `None` for the single-signer flow.
pub fn plan(
    node: &Node,
    opts: &Choice<'_>,
    reexport: &[Attempt],
    todo: &[(Address, Option<i32>)],
) -> Result<Option<Plan>> {
    let w = wanted(opts, reexport, todo);
    if w.iter().all(|(_, id)| id.is_none()) {
        return Ok(None);
    }
    if w.len() > 1 {
        let until = reexport
            .iter()
            .map(|a| a.expiration)
            .max()
            .map_or(String::new(), |last| {
                format!(
                    " (the last at {}; payouts can be rebuilt then)",
                    coldpay_shared::timefmt::utc_from_now(last, crate::journal::now_ms() as u64)
                )
            });
        return Err(BcError::Input(format!(
            "one sign request covers one account and one permission, but this build would mix: {}; build one batch at a time (--batch B, with --permission ID); transactions awaiting signature keep the permission they were built with until they expire{until}",
            describe(&w)
        )));
    }
    let (account, id) = w.into_iter().next().expect("one");
    let id = id.expect("checked above");
    let all = crate::multisig::permissions::read(node, &account)?;
    let permission = all.by_id(id)?.clone();
    if permission.kind == PermissionKind::Witness {
        return Err(BcError::Input(format!(
            "permission id {id} of {account} is the witness permission: it cannot sign payouts"
        )));
    }
    let source = if opts.permission.is_some() {
        Source::Flag
    } else if opts.account_permissions.contains_key(&account) {
        Source::Config
    } else {
        Source::Previous
    };
    Ok(Some(Plan {
        account,
        permission,
        source,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::permission::{Operations, PermissionKey};

    fn built(id: i64, payout: &str, permission: Option<i32>, expiration: u64) -> Attempt {
        Attempt {
            id,
            payout_id: payout.into(),
            txid: coldpay_shared::TxId::from_hex(&format!("{id:064x}")).unwrap(),
            raw: coldpay_shared::RawData::decode_hex(crate::journal::fixtures::RAW_HEX).unwrap(),
            expiration,
            ref_block_num: 1,
            state: crate::journal::AttemptState::Built,
            signatures: None,
            block: None,
            receipt: None,
            reason: None,
            scanned_to: None,
            scanned_id: None,
            scanned_ts: None,
            ref_block_id: None,
            refusal: None,
            evidence: None,
            permission_id: permission,
            sending_at: None,
            recheck: None,
            fee_inputs: None,
        }
    }

    #[test]
    fn an_explicit_permission_is_never_silently_ignored() {
        let now = 1_795_500_000_000u64;
        let exp = now + 21_540_000;
        let attempts: Vec<Attempt> = (1..=40)
            .map(|i| built(i, &format!("p{i}"), Some(3), exp))
            .collect();
        let approvals = std::collections::HashMap::from([(1i64, 1usize), (2, 2)]);
        let e = check_flag(Some(0), &attempts, &approvals, now)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--permission 0 is not applied: 40 payout(s)"),
            "{e}"
        );
        assert!(e.contains("nothing was built or re-exported"), "{e}");
        assert!(
            e.contains("\n  payouts p1, p2, p3 … p40 (40) under permission id 3 (2 with an approval): rebuildable under 0 after they expire at "),
            "{e}"
        );
        assert!(e.contains("(in 5h 59m)"), "{e}");
        // The same permission, or no flag: nothing to refuse.
        check_flag(Some(3), &attempts, &approvals, now).unwrap();
        check_flag(None, &attempts, &approvals, now).unwrap();
        // An attempt built with the account's own key is permission 0.
        let own = [built(1, "p1", None, exp)];
        check_flag(Some(0), &own, &approvals, now).unwrap();
        let e = check_flag(Some(2), &own, &approvals, now)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("  payout p1 under permission id 0 (1 with an approval)"),
            "{e}"
        );
    }

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
            source: Source::Flag,
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
        let w = wanted(&opts, &[], &[(a, None)]);
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, None)]);
        let w = wanted(&opts, &[], &[(a, Some(3))]);
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, Some(3))]);
        per_account.insert(a, 2);
        let opts = choice(flag, &per_account);
        let w = wanted(&opts, &[], &[(a, Some(3))]);
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, Some(2))]);
        flag = Some(4);
        let opts = choice(flag, &per_account);
        let w = wanted(&opts, &[], &[(a, None)]);
        assert_eq!(w.into_iter().collect::<Vec<_>>(), vec![(a, Some(4))]);
        let mixed: BTreeSet<_> = [(a, None), (a, Some(2))].into_iter().collect();
        assert!(describe(&mixed).contains("with its own key"));
    }
}
