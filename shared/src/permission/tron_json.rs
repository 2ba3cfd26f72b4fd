//! The JSON shape java-tron prints for a `Permission` (getaccount's `owner_permission` /
//! `active_permission`, and AccountPermissionUpdateContract in a transaction's `raw_data`):
//! default values omitted (so the owner has no `type` or `id`), `operations` as hex, addresses
//! hex or base58 (`visible`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::address::Address;
use crate::error::{Error, Result};

use super::{AccountPermissionUpdate, Operations, Permission, PermissionKey, PermissionKind};

/// A permission as java-tron's JSON prints it (typed; unknown keys refused).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TronPermissionJson {
    /// "Owner" (omitted, the default), "Witness" or "Active".
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Permission id (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub id: i32,
    /// Name (omitted when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub permission_name: String,
    /// Threshold (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero64")]
    pub threshold: i64,
    /// Parent id (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub parent_id: i32,
    /// 64 hex digits (actives only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<String>,
    /// Keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<TronKeyJson>,
}

/// One key as java-tron's JSON prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TronKeyJson {
    /// Hex (`41…`) or base58 (`T…`).
    pub address: String,
    /// Weight (omitted when 0).
    #[serde(default, skip_serializing_if = "is_zero64")]
    pub weight: i64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero32(v: &i32) -> bool {
    *v == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero64(v: &i64) -> bool {
    *v == 0
}

fn addr_text(a: &Address, visible: bool) -> String {
    if visible {
        a.to_base58()
    } else {
        a.to_hex()
    }
}

impl TronPermissionJson {
    /// The JSON form of `p`.
    pub fn from_permission(p: &Permission, visible: bool) -> Self {
        TronPermissionJson {
            kind: (p.kind != PermissionKind::Owner).then(|| p.kind.tron_name().to_string()),
            id: p.id,
            permission_name: p.name.clone(),
            threshold: p.threshold,
            parent_id: p.parent_id,
            operations: p.operations.map(|o| o.to_hex()),
            keys: p
                .keys
                .iter()
                .map(|k| TronKeyJson {
                    address: addr_text(&k.address, visible),
                    weight: k.weight,
                })
                .collect(),
        }
    }

    /// The permission this JSON describes; `path` names it in errors. Structural checks
    /// only (known type, 32-byte operations of known contract types, valid addresses).
    pub fn to_permission(&self, path: &str) -> Result<Permission> {
        let bad = |m: String| Error::Json(format!("{path}: {m}"));
        let kind = match self.kind.as_deref() {
            None | Some("Owner") => PermissionKind::Owner,
            Some("Witness") => PermissionKind::Witness,
            Some("Active") => PermissionKind::Active,
            Some(other) => {
                return Err(bad(format!(
                    "type {:?} is not Owner, Witness or Active",
                    crate::text::escape(other)
                )))
            }
        };
        let operations = self
            .operations
            .as_deref()
            .map(Operations::from_hex)
            .transpose()
            .map_err(|e| bad(e.to_string()))?;
        let keys = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                Ok(PermissionKey {
                    address: Address::parse(&k.address)
                        .map_err(|e| bad(format!("keys[{i}].address: {e}")))?,
                    weight: k.weight,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Permission {
            kind,
            id: self.id,
            name: self.permission_name.clone(),
            threshold: self.threshold,
            parent_id: self.parent_id,
            operations,
            keys,
        })
    }
}

impl Permission {
    /// java-tron's JSON for this permission.
    pub fn to_tron_json(&self, visible: bool) -> Value {
        serde_json::to_value(TronPermissionJson::from_permission(self, visible))
            .expect("serialisable")
    }

    /// Reads java-tron's JSON for a permission; `path` names it in errors.
    pub fn from_tron_json(v: &Value, path: &str) -> Result<Self> {
        let j =
            TronPermissionJson::deserialize(v).map_err(|e| Error::Json(format!("{path}: {e}")))?;
        j.to_permission(path)
    }
}

impl AccountPermissionUpdate {
    /// The contract's `parameter.value` as java-tron prints it.
    pub fn to_tron_json(&self, visible: bool) -> Value {
        let mut m = Map::new();
        m.insert(
            "owner_address".into(),
            json!(addr_text(&self.owner_address, visible)),
        );
        m.insert("owner".into(), self.owner.to_tron_json(visible));
        if let Some(w) = &self.witness {
            m.insert("witness".into(), w.to_tron_json(visible));
        }
        m.insert(
            "actives".into(),
            Value::Array(
                self.actives
                    .iter()
                    .map(|a| a.to_tron_json(visible))
                    .collect(),
            ),
        );
        Value::Object(m)
    }

    /// Reads the contract's `parameter.value` JSON (structural checks only).
    pub fn from_tron_json(v: &Value, path: &str) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Body {
            owner_address: String,
            owner: Value,
            #[serde(default)]
            witness: Option<Value>,
            #[serde(default)]
            actives: Vec<Value>,
        }
        let b = Body::deserialize(v).map_err(|e| Error::Json(format!("{path}: {e}")))?;
        Ok(AccountPermissionUpdate {
            owner_address: Address::parse(&b.owner_address)
                .map_err(|e| Error::Json(format!("{path}.owner_address: {e}")))?,
            owner: Permission::from_tron_json(&b.owner, &format!("{path}.owner"))?,
            witness: b
                .witness
                .as_ref()
                .map(|w| Permission::from_tron_json(w, &format!("{path}.witness")))
                .transpose()?,
            actives: b
                .actives
                .iter()
                .enumerate()
                .map(|(i, a)| Permission::from_tron_json(a, &format!("{path}.actives[{i}]")))
                .collect::<Result<_>>()?,
        })
    }
}
