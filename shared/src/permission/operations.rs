//! The active-permission operations bitmap: which contract types a permission may sign.

use std::fmt;

use crate::contract_type::{contract_type_name, contract_type_number};
use crate::error::{Error, Result};

/// Length of the operations bitmap (256 contract types).
pub const OPERATIONS_LEN: usize = 32;

/// Contract types the alias `trx` stands for.
const TRX_ALIAS: &[i32] = &[1];
/// Contract types the alias `trc20` stands for.
const TRC20_ALIAS: &[i32] = &[31];

/// java-tron's genesis `ACTIVE_DEFAULT_OPERATIONS` (types 0–6, 8–20, 30–33, 41–45): what a
/// fresh account's default active permission may do. AccountPermissionUpdate (46) is not in
/// it, so the default active key cannot change the account's permissions.
pub const JAVA_TRON_DEFAULT_ACTIVE: [u8; 32] = [
    0x7f, 0xff, 0x1f, 0xc0, 0x03, 0x3e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0,
];

/// Named groups of contract types for [`Operations::summary`] (every known type is in one).
const GROUPS: &[(&str, &[i32])] = &[
    ("PERMISSION UPDATES", &[46]),
    ("TRX transfers", &[1]),
    (
        "smart contracts (TRC-20, any call)",
        &[30, 31, 32, 33, 45, 48],
    ),
    ("TRC-10", &[2, 6, 9, 14, 15]),
    (
        "staking and resources",
        &[11, 12, 13, 54, 55, 56, 57, 58, 59],
    ),
    ("voting and witnesses", &[3, 4, 5, 8, 16, 17, 18, 49]),
    ("account settings", &[0, 10, 19]),
    ("exchanges and market", &[41, 42, 43, 44, 52, 53]),
    ("other", &[20, 51]),
];

/// The active-permission bitmap: bit `t` (byte `t / 8`, bit `t % 8`, LSB first) allows
/// ContractType `t`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Operations([u8; 32]);

impl Operations {
    /// Parses operation names: the aliases `trx` (TransferContract) and `trc20`
    /// (TriggerSmartContract) or full contract-type names (`TransferContract`). Refuses an
    /// empty list, an unknown name and a name given twice.
    pub fn from_names(names: &[&str]) -> Result<Self> {
        if names.is_empty() {
            return Err(Error::Permission("operations: the list is empty".into()));
        }
        let mut ops = Operations::default();
        for name in names {
            let types: Vec<i32> = match name.trim() {
                "trx" => TRX_ALIAS.to_vec(),
                "trc20" => TRC20_ALIAS.to_vec(),
                full => vec![contract_type_number(full).ok_or_else(|| {
                    Error::Permission(format!(
                        "operations: unknown operation {:?} (use trx, trc20 or a contract type name such as TransferContract)",
                        crate::text::escape(full)
                    ))
                })?],
            };
            for t in types {
                if ops.allows(t) {
                    return Err(Error::Permission(format!(
                        "operations: {} is named twice",
                        contract_type_name(t as u64).unwrap_or("?")
                    )));
                }
                ops.set(t);
            }
        }
        Ok(ops)
    }

    /// Reads the 32-byte bitmap, refusing another length and any bit that is not a known
    /// contract type (named by number in the error).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::Permission(format!(
                "operations must be {OPERATIONS_LEN} bytes, got {}",
                bytes.len()
            ))
        })?;
        let ops = Operations(arr);
        if let Some(t) = (0..256).find(|&t| ops.allows(t) && contract_type_name(t as u64).is_none())
        {
            return Err(Error::Permission(format!(
                "operations allow contract type {t}, which is not a known contract type"
            )));
        }
        Ok(ops)
    }

    /// Parses 64 hex digits (the form nodes print), with the checks of [`Operations::from_bytes`].
    pub fn from_hex(s: &str) -> Result<Self> {
        let bytes = crate::hexutil::decode(s).map_err(|e| Error::Hex {
            field: "operations".into(),
            reason: e.to_string(),
        })?;
        Self::from_bytes(&bytes)
    }

    /// Every known contract type (what an owner permission may sign).
    pub fn all_known() -> Self {
        let mut ops = Operations::default();
        for t in (0..256).filter(|&t| contract_type_name(t as u64).is_some()) {
            ops.set(t);
        }
        ops
    }

    /// Every known contract type except AccountPermissionUpdateContract (46).
    pub fn all_known_except_permission_update() -> Self {
        let mut ops = Self::all_known();
        ops.0[46 / 8] &= !(1 << (46 % 8));
        ops
    }

    /// java-tron's default active operations ([`JAVA_TRON_DEFAULT_ACTIVE`]).
    pub fn java_tron_default() -> Self {
        Operations(JAVA_TRON_DEFAULT_ACTIVE)
    }

    /// Whether contract type `contract_type` is allowed (negative or ≥ 256: never).
    pub fn allows(&self, contract_type: i32) -> bool {
        usize::try_from(contract_type)
            .ok()
            .filter(|&t| t < 256)
            .is_some_and(|t| self.0[t / 8] & (1 << (t % 8)) != 0)
    }

    fn set(&mut self, contract_type: i32) {
        let t = contract_type as usize;
        self.0[t / 8] |= 1 << (t % 8);
    }

    /// The allowed contract types, ascending.
    pub fn types(&self) -> Vec<i32> {
        (0..256).filter(|&t| self.allows(t)).collect()
    }

    /// The allowed contract types by name, ascending by number (unknown bits, which
    /// [`Operations::from_bytes`] refuses, are left out).
    pub fn names(&self) -> Vec<&'static str> {
        self.types()
            .into_iter()
            .filter_map(|t| contract_type_name(t as u64))
            .collect()
    }

    /// A short description for reviews: "all 40 operations", a list of up to three names,
    /// or the named groups it touches ("transfers (TRX), smart contracts (TRC-20 and any
    /// contract call) 2 of 6, …") with the count. The full list is [`Operations::names`].
    pub fn summary(&self) -> String {
        let n = self.types().len();
        let all = Operations::all_known().types().len();
        if n == all {
            return format!("all {all} operations, including permission updates");
        }
        if *self == Operations::all_known_except_permission_update() {
            return format!("all operations but permission updates ({n} of {all})");
        }
        if *self == Operations::java_tron_default() {
            return format!(
                "java-tron's default active set ({n} operations, no permission updates)"
            );
        }
        if n <= 3 {
            return self.names().join(", ");
        }
        let groups: Vec<String> = GROUPS
            .iter()
            .filter_map(|(name, types)| {
                let k = types.iter().filter(|t| self.allows(**t)).count();
                match k {
                    0 => None,
                    k if k == types.len() => Some((*name).to_string()),
                    k => Some(format!("{name} {k} of {}", types.len())),
                }
            })
            .collect();
        format!("{n} operations: {}", groups.join(", "))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex (64 digits).
    pub fn to_hex(&self) -> String {
        crate::hexutil::encode(&self.0)
    }
}

impl fmt::Debug for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Operations({})", self.names().join(","))
    }
}

impl fmt::Display for Operations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

/// JSON form: the list of contract-type names.
impl serde::Serialize for Operations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl<'de> serde::Deserialize<'de> for Operations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let names: Vec<String> = Vec::deserialize(d)?;
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        Operations::from_names(&refs).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_names_set_the_documented_bits() {
        let ops = Operations::from_names(&["trx", "trc20"]).unwrap();
        assert_eq!(
            ops.to_hex(),
            "0200008000000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(ops.names(), ["TransferContract", "TriggerSmartContract"]);
        assert!(ops.allows(1) && ops.allows(31) && !ops.allows(46) && !ops.allows(-1));
        let full = Operations::from_names(&["TransferContract", "AccountPermissionUpdateContract"])
            .unwrap();
        assert_eq!(full.types(), [1, 46]);
    }

    #[test]
    fn summaries_name_groups_and_every_type_is_in_one() {
        let grouped: usize = GROUPS.iter().map(|(_, t)| t.len()).sum();
        assert_eq!(grouped, Operations::all_known().types().len());
        for t in Operations::all_known().types() {
            assert!(GROUPS.iter().any(|(_, g)| g.contains(&t)), "type {t}");
        }
        assert_eq!(
            Operations::all_known().summary(),
            "all 41 operations, including permission updates"
        );
        let ops = Operations::from_names(&["trx", "trc20"]).unwrap();
        assert_eq!(ops.summary(), "TransferContract, TriggerSmartContract");
        assert_eq!(
            Operations::java_tron_default().summary(),
            "java-tron's default active set (29 operations, no permission updates)"
        );
        let mut bytes = JAVA_TRON_DEFAULT_ACTIVE;
        bytes[0] &= !1; // without AccountCreateContract
        let d = Operations::from_bytes(&bytes).unwrap().summary();
        assert!(
            d.starts_with(
                "28 operations: TRX transfers, smart contracts (TRC-20, any call) 5 of 6, TRC-10,"
            ),
            "{d}"
        );
        assert!(!d.contains("PERMISSION"), "{d}");
    }

    #[test]
    fn refuses_unknown_empty_and_repeated_names() {
        let e = Operations::from_names(&["trx", "bogus"]).unwrap_err();
        assert!(e.to_string().contains("unknown operation \"bogus\""), "{e}");
        assert!(Operations::from_names(&[]).is_err());
        let e = Operations::from_names(&["trx", "TransferContract"]).unwrap_err();
        assert!(
            e.to_string().contains("TransferContract is named twice"),
            "{e}"
        );
    }

    #[test]
    fn bytes_are_length_and_bit_checked() {
        assert!(Operations::from_bytes(&[0u8; 31]).is_err());
        let mut b = [0u8; 32];
        b[0] = 0x80; // type 7 is not a contract type
        let e = Operations::from_bytes(&b).unwrap_err();
        assert!(e.to_string().contains("contract type 7"), "{e}");
        let d = Operations::from_bytes(&JAVA_TRON_DEFAULT_ACTIVE).unwrap();
        assert!(d.allows(1) && d.allows(31) && !d.allows(46));
        assert!(Operations::all_known_except_permission_update().allows(59));
    }
}
