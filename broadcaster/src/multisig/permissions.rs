//! An account's permissions as the node reports them (`accounts permissions`), typed from the
//! `getaccount` answer into the shared [`Permission`], and how they are shown.

use coldpay_shared::permission::{
    Operations, Permission, PermissionClaim, PermissionKey, PermissionKind, OWNER_PERMISSION_ID,
};
use std::collections::HashMap;

use coldpay_shared::text::escape;
use coldpay_shared::Address;
use serde::Serialize;
use serde_json::json;

use crate::error::{BcError, Result};
use crate::node::answers::{Account, PermissionAnswer};
use crate::node::Node;

/// The permissions of one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountPermissions {
    /// The account.
    pub address: Address,
    /// Owner permission (id 0).
    pub owner: Permission,
    /// Witness permission (witness accounts only).
    pub witness: Option<Permission>,
    /// Active permissions (ids 2 and up).
    pub actives: Vec<Permission>,
}

impl AccountPermissions {
    /// The permission with this id (0 owner, 2.. actives), or an error naming what exists.
    pub fn by_id(&self, id: i32) -> Result<&Permission> {
        if id == OWNER_PERMISSION_ID {
            return Ok(&self.owner);
        }
        self.actives.iter().find(|p| p.id == id).ok_or_else(|| {
            BcError::Input(format!(
                "account {} has no active permission with id {id} (it has: {})",
                self.address,
                self.ids_text()
            ))
        })
    }

    /// "owner (0), active \"payouts\" (2), …" for messages.
    pub fn ids_text(&self) -> String {
        std::iter::once(&self.owner)
            .chain(&self.actives)
            .map(|p| format!("{} {}", kind_word(p.kind), p.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Owner then actives, as a sign request's `permission_before` carries them.
    pub fn as_list(&self) -> Vec<Permission> {
        std::iter::once(self.owner.clone())
            .chain(self.witness.clone())
            .chain(self.actives.iter().cloned())
            .collect()
    }

    /// How `accounts permissions --json` shows them, each key known as an approver home's
    /// carrying `"approver": "<wallet name>"`.
    pub fn view(&self, approvers: &Approvers) -> AccountPermissionsView {
        let pv = |p: &Permission| permission_view(p, approvers);
        AccountPermissionsView {
            address: self.address,
            owner: pv(&self.owner),
            witness: self.witness.as_ref().map(pv),
            actives: self.actives.iter().map(pv).collect(),
        }
    }

    /// The human form: one block per permission.
    pub fn text(&self) -> String {
        self.text_labelled(&Approvers::new())
    }

    /// The human form, keys known as an approver home's labelled with its wallet name.
    pub fn text_labelled(&self, approvers: &Approvers) -> String {
        let mut out = format!("account {}", self.address);
        for p in std::iter::once(&self.owner)
            .chain(&self.witness)
            .chain(&self.actives)
        {
            out.push('\n');
            out.push_str(&permission_text_labelled(p, approvers));
        }
        out
    }
}

fn kind_word(k: PermissionKind) -> &'static str {
    match k {
        PermissionKind::Owner => "owner",
        PermissionKind::Witness => "witness",
        PermissionKind::Active => "active",
    }
}

/// Approver keys the journal knows: address → wallet name in the approver's signer home.
pub type Approvers = HashMap<Address, String>;

/// An account's permissions as shown (`accounts permissions --json`, the `before` of
/// `accounts set-permission --json`).
#[derive(Clone, Debug, Serialize)]
pub struct AccountPermissionsView {
    /// The account.
    pub address: Address,
    /// Owner permission.
    pub owner: PermissionView,
    /// Witness permission (`null` unless a witness account).
    pub witness: Option<PermissionView>,
    /// Active permissions.
    pub actives: Vec<PermissionView>,
}

/// One permission as shown: its kind, id, name, threshold, keys with weights and operations
/// by name (`null` for the owner: all).
#[derive(Clone, Debug, Serialize)]
pub struct PermissionView {
    /// "owner", "witness" or "active".
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Permission id.
    pub id: i32,
    /// Its name.
    pub name: String,
    /// Weight its approvals must reach.
    pub threshold: i64,
    /// Its keys.
    pub keys: Vec<KeyView>,
    /// Contract types it may sign, by name.
    pub operations: Option<Vec<&'static str>>,
}

/// One key of a permission as shown.
#[derive(Clone, Debug, Serialize)]
pub struct KeyView {
    /// The key's address.
    pub address: Address,
    /// Its weight.
    pub weight: i64,
    /// The approver home's wallet name, when the journal knows the key as an approver's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
}

/// One permission as shown, keys known in `approvers` carrying `"approver"`.
pub fn permission_view(p: &Permission, approvers: &Approvers) -> PermissionView {
    PermissionView {
        kind: kind_word(p.kind),
        id: p.id,
        name: p.name.clone(),
        threshold: p.threshold,
        keys: p
            .keys
            .iter()
            .map(|k| KeyView {
                address: k.address,
                weight: k.weight,
                approver: approvers.get(&k.address).cloned(),
            })
            .collect(),
        operations: p.operations.map(|o| o.names()),
    }
}

/// One permission as text lines.
pub fn permission_text(p: &Permission) -> String {
    permission_text_labelled(p, &Approvers::new())
}

/// [`permission_text`], keys known in `approvers` labelled `(approver home: NAME)`.
pub fn permission_text_labelled(p: &Permission, approvers: &Approvers) -> String {
    let mut s = format!(
        "  {} {}: threshold {} of total key weight {} ({} key(s))",
        kind_word(p.kind),
        p.label(),
        p.threshold,
        p.total_weight(),
        p.keys.len()
    );
    for k in &p.keys {
        s.push_str(&format!("\n    key {} weight {}", k.address, k.weight));
        if let Some(name) = approvers.get(&k.address) {
            s.push_str(&format!(" (approver home: {})", escape(name)));
        }
    }
    match p.operations {
        Some(o) => s.push_str(&format!("\n    operations: {}", o.names().join(", "))),
        None if p.kind == PermissionKind::Owner => s.push_str("\n    operations: all (owner)"),
        None => {}
    }
    s
}

/// The claim a sign request carries for `p`.
pub fn claim(p: &Permission) -> PermissionClaim {
    PermissionClaim::from_permission(p)
}

fn convert(a: &PermissionAnswer, default: PermissionKind, what: &str) -> Result<Permission> {
    let kind = match a.kind.as_deref() {
        None => default,
        Some("Owner") => PermissionKind::Owner,
        Some("Witness") => PermissionKind::Witness,
        Some("Active") => PermissionKind::Active,
        Some(other) => {
            return Err(BcError::Node(format!(
                "{what}: the node reported an unknown permission type {other:?}"
            )))
        }
    };
    let operations = a
        .operations
        .as_deref()
        .map(Operations::from_hex)
        .transpose()
        .map_err(|e| BcError::Node(format!("{what}: operations: {e}")))?;
    let keys = a
        .keys
        .iter()
        .map(|k| {
            Ok(PermissionKey {
                address: Address::parse(&k.address)
                    .map_err(|e| BcError::Node(format!("{what}: key {:?}: {e}", k.address)))?,
                weight: k.weight,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Permission {
        kind,
        id: a.id,
        name: a.permission_name.clone(),
        threshold: a.threshold,
        parent_id: a.parent_id,
        operations,
        keys,
    })
}

/// java-tron's defaults for an account the node shows without permissions: the owner is the
/// account's own key (threshold 1), and the default active "active" (id 2) holds the same key.
fn default_owner(address: Address) -> Permission {
    Permission {
        kind: PermissionKind::Owner,
        id: OWNER_PERMISSION_ID,
        name: "owner".into(),
        threshold: 1,
        parent_id: 0,
        operations: None,
        keys: vec![PermissionKey { address, weight: 1 }],
    }
}

fn default_active(address: Address) -> Permission {
    Permission {
        kind: PermissionKind::Active,
        id: 2,
        name: "active".into(),
        threshold: 1,
        parent_id: 0,
        operations: Some(Operations::java_tron_default()),
        keys: vec![PermissionKey { address, weight: 1 }],
    }
}

/// Types a `getaccount` answer. An account the node does not know is an error (it cannot
/// have permissions or pay).
pub fn from_account(address: Address, acct: &Account) -> Result<AccountPermissions> {
    if acct.address.is_none() {
        return Err(BcError::Input(format!(
            "account {address} does not exist on the node (not activated): it has no permissions"
        )));
    }
    let what = format!("permissions of {address}");
    let Some(owner) = &acct.owner_permission else {
        return Ok(AccountPermissions {
            address,
            owner: default_owner(address),
            witness: None,
            actives: vec![default_active(address)],
        });
    };
    let owner = convert(owner, PermissionKind::Owner, &what)?;
    let witness = acct
        .witness_permission
        .as_ref()
        .map(|w| convert(w, PermissionKind::Witness, &what))
        .transpose()?;
    let actives = acct
        .active_permission
        .iter()
        .map(|a| convert(a, PermissionKind::Active, &what))
        .collect::<Result<Vec<_>>>()?;
    let out = AccountPermissions {
        address,
        owner,
        witness,
        actives,
    };
    out.check_shape(&what)?;
    Ok(out)
}

impl AccountPermissions {
    fn check_shape(&self, what: &str) -> Result<()> {
        let bad = |m: String| Err(BcError::Node(format!("{what}: {m}")));
        if self.owner.kind != PermissionKind::Owner || self.owner.id != OWNER_PERMISSION_ID {
            return bad("the owner permission is not of type Owner with id 0".into());
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.actives {
            if a.kind != PermissionKind::Active || a.id < 2 || a.operations.is_none() {
                return bad(format!(
                    "active permission {} is not of type Active with id ≥ 2 and operations",
                    a.label()
                ));
            }
            if !seen.insert(a.id) {
                return bad(format!("two active permissions with id {}", a.id));
            }
        }
        Ok(())
    }
}

/// Reads an account's permissions from the node (verified answers, failover as every read).
pub fn read(node: &Node, address: &Address) -> Result<AccountPermissions> {
    let acct: Account = node.get_typed(
        "/wallet/getaccount",
        &json!({"address": address.to_base58(), "visible": true}),
    )?;
    from_account(*address, &acct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(v: serde_json::Value) -> Account {
        crate::node::answers::from_object(v).unwrap()
    }

    const A: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";

    #[test]
    fn node_permissions_are_typed_with_proto3_defaults() {
        let ops = Operations::from_names(&["trx", "trc20"]).unwrap();
        let acct = answer(json!({
            "address": A,
            "balance": 5,
            "owner_permission": {"permission_name": "owner", "threshold": 1, "keys": [{"address": A, "weight": 1}]},
            "active_permission": [{"type": "Active", "id": 2, "permission_name": "payouts", "threshold": 2,
                "operations": ops.to_hex(), "keys": [{"address": A, "weight": 1}]}]
        }));
        let p = from_account(Address::parse(A).unwrap(), &acct).unwrap();
        assert_eq!(p.owner.kind, PermissionKind::Owner);
        assert_eq!(p.owner.id, 0);
        let payouts = p.by_id(2).unwrap();
        assert_eq!(payouts.threshold, 2);
        assert!(payouts.allows(1) && payouts.allows(31) && !payouts.allows(46));
        let e = p.by_id(3).unwrap_err().to_string();
        assert!(e.contains("no active permission with id 3"), "{e}");
        assert!(e.contains("active \"payouts\" (id 2)"), "{e}");
        let j = serde_json::to_value(p.view(&Approvers::new())).unwrap();
        assert_eq!(
            j["actives"][0]["operations"],
            json!(["TransferContract", "TriggerSmartContract"])
        );
        assert!(p
            .text()
            .contains("key TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH weight 1"));
    }

    #[test]
    fn missing_permissions_are_the_java_tron_defaults() {
        let a = Address::parse(A).unwrap();
        let p = from_account(a, &answer(json!({"address": A, "balance": 5}))).unwrap();
        assert_eq!(
            p.owner.keys,
            vec![PermissionKey {
                address: a,
                weight: 1
            }]
        );
        assert!(p.by_id(2).unwrap().allows(1));
        assert!(!p.by_id(2).unwrap().allows(46));
        let e = from_account(a, &answer(json!({}))).unwrap_err().to_string();
        assert!(e.contains("does not exist on the node"), "{e}");
    }

    #[test]
    fn malformed_permissions_are_refused_by_name() {
        let a = Address::parse(A).unwrap();
        let bad_type = answer(json!({"address": A,
            "owner_permission": {"type": "Boss", "threshold": 1, "keys": []}}));
        assert!(from_account(a, &bad_type)
            .unwrap_err()
            .to_string()
            .contains("unknown permission type \"Boss\""));
        let bad_ops = answer(json!({"address": A,
            "owner_permission": {"threshold": 1, "keys": [{"address": A, "weight": 1}]},
            "active_permission": [{"type": "Active", "id": 2, "permission_name": "x", "threshold": 1, "operations": "00", "keys": []}]}));
        assert!(from_account(a, &bad_ops)
            .unwrap_err()
            .to_string()
            .contains("operations"));
        let no_ops = answer(json!({"address": A,
            "owner_permission": {"threshold": 1, "keys": [{"address": A, "weight": 1}]},
            "active_permission": [{"type": "Active", "id": 2, "permission_name": "x", "threshold": 1, "keys": []}]}));
        assert!(from_account(a, &no_ops)
            .unwrap_err()
            .to_string()
            .contains("with id ≥ 2 and operations"));
    }

    #[test]
    fn known_approver_keys_are_labelled_in_text_and_json() {
        let a = Address::from_evm_bytes([9; 20]);
        let p = default_owner(a);
        let mut known = Approvers::new();
        known.insert(a, "approver-a".into());
        let text = permission_text_labelled(&p, &known);
        assert!(
            text.contains(&format!("key {a} weight 1 (approver home: approver-a)")),
            "{text}"
        );
        // The JSON `accounts permissions` has always printed: every key, null operations for
        // the owner, `approver` only on a known key.
        assert_eq!(
            serde_json::to_value(permission_view(&p, &known)).unwrap(),
            json!({"type": "owner", "id": 0, "name": "owner", "threshold": 1,
                "keys": [{"address": a.to_base58(), "weight": 1, "approver": "approver-a"}],
                "operations": null})
        );
        let plain = serde_json::to_value(permission_view(&p, &Approvers::new())).unwrap();
        assert!(plain["keys"][0].get("approver").is_none(), "{plain}");
        let all = AccountPermissions {
            address: a,
            owner: p.clone(),
            witness: None,
            actives: vec![default_active(a)],
        };
        let v = serde_json::to_value(all.view(&known)).unwrap();
        assert_eq!(v["address"], a.to_base58());
        assert_eq!(v["witness"], serde_json::Value::Null);
        assert_eq!(v["actives"][0]["type"], "active");
        assert_eq!(v["actives"][0]["keys"][0]["approver"], "approver-a");
        assert!(v["actives"][0]["operations"].as_array().is_some(), "{v}");
        assert!(!permission_text(&p).contains("approver home"));
    }
}
