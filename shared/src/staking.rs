//! The six Stake 2.0 contracts (types 54–59): staking TRX for energy or bandwidth, unstaking,
//! withdrawing unstaked TRX, delegating and undelegating resources, and cancelling pending
//! unstakes. Decoding is strict and canonical like the payout contracts: known fields only, in
//! ascending order, defaults omitted, only the BANDWIDTH and ENERGY resources.
//!
//! Field numbers are java-tron's `core/contract/balance_contract.proto`.

use serde_json::{json, Map, Value};

use crate::address::Address;
use crate::amount::Sun;
use crate::error::{Error, ProtoReason, Result};
use crate::wire::{
    expect_nonempty_bytes, expect_nonzero_varint, expect_positive_i64, put_bytes_field,
    put_uint_field, FieldReader, FieldValue, OrderGuard,
};

/// ContractType number of `FreezeBalanceV2Contract`.
pub const FREEZE_BALANCE_V2_CONTRACT: u64 = 54;
/// ContractType number of `UnfreezeBalanceV2Contract`.
pub const UNFREEZE_BALANCE_V2_CONTRACT: u64 = 55;
/// ContractType number of `WithdrawExpireUnfreezeContract`.
pub const WITHDRAW_EXPIRE_UNFREEZE_CONTRACT: u64 = 56;
/// ContractType number of `DelegateResourceContract`.
pub const DELEGATE_RESOURCE_CONTRACT: u64 = 57;
/// ContractType number of `UnDelegateResourceContract`.
pub const UNDELEGATE_RESOURCE_CONTRACT: u64 = 58;
/// ContractType number of `CancelAllUnfreezeV2Contract`.
pub const CANCEL_ALL_UNFREEZE_V2_CONTRACT: u64 = 59;

/// The ContractType numbers of the staking contracts, in order.
pub const STAKING_TYPES: [u64; 6] = [
    FREEZE_BALANCE_V2_CONTRACT,
    UNFREEZE_BALANCE_V2_CONTRACT,
    WITHDRAW_EXPIRE_UNFREEZE_CONTRACT,
    DELEGATE_RESOURCE_CONTRACT,
    UNDELEGATE_RESOURCE_CONTRACT,
    CANCEL_ALL_UNFREEZE_V2_CONTRACT,
];

/// The resource a stake or delegation is for (`protocol.ResourceCode`; TRON_POWER is refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// BANDWIDTH (0, the proto default: omitted on the wire).
    Bandwidth,
    /// ENERGY (1).
    Energy,
}

impl Resource {
    /// The wire value.
    pub fn code(self) -> u64 {
        match self {
            Resource::Bandwidth => 0,
            Resource::Energy => 1,
        }
    }

    /// java-tron's enum name ("BANDWIDTH", "ENERGY").
    pub fn name(self) -> &'static str {
        match self {
            Resource::Bandwidth => "BANDWIDTH",
            Resource::Energy => "ENERGY",
        }
    }

    /// Plain word for a review ("bandwidth", "energy").
    pub fn word(self) -> &'static str {
        match self {
            Resource::Bandwidth => "bandwidth",
            Resource::Energy => "energy",
        }
    }

    /// Parses java-tron's enum name.
    pub fn from_name(s: &str) -> Option<Resource> {
        match s {
            "BANDWIDTH" => Some(Resource::Bandwidth),
            "ENERGY" => Some(Resource::Energy),
            _ => None,
        }
    }

    fn from_code(path: &str, v: u64) -> Result<Resource> {
        match v {
            1 => Ok(Resource::Energy),
            2 => Err(Error::proto(
                path,
                ProtoReason::Invalid(
                    "resource TRON_POWER is not supported (BANDWIDTH or ENERGY)".into(),
                ),
            )),
            n => Err(Error::proto(
                path,
                ProtoReason::Invalid(format!(
                    "resource {n} is not a ResourceCode (BANDWIDTH or ENERGY)"
                )),
            )),
        }
    }
}

/// One of the six staking contracts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StakingContract {
    /// FreezeBalanceV2Contract: stake `amount` of the owner's TRX for `resource`.
    Freeze {
        /// Owner.
        owner: Address,
        /// `frozen_balance` (sun).
        amount: Sun,
        /// Resource.
        resource: Resource,
    },
    /// UnfreezeBalanceV2Contract: start unstaking `amount`; it can be withdrawn after the
    /// chain's unstaking delay (14 days on mainnet).
    Unfreeze {
        /// Owner.
        owner: Address,
        /// `unfreeze_balance` (sun).
        amount: Sun,
        /// Resource.
        resource: Resource,
    },
    /// WithdrawExpireUnfreezeContract: move every unstake whose delay has passed back to the
    /// balance.
    WithdrawExpireUnfreeze {
        /// Owner.
        owner: Address,
    },
    /// DelegateResourceContract: lend the resource of `balance` staked sun to `receiver`.
    Delegate {
        /// Owner.
        owner: Address,
        /// Resource.
        resource: Resource,
        /// `balance` (staked sun whose resource is lent).
        balance: Sun,
        /// Receiver.
        receiver: Address,
        /// Whether the delegation is locked (cannot be undelegated before its lock ends).
        lock: bool,
        /// `lock_period` in blocks (3 s each; 0 = the chain's default of 3 days).
        lock_period: u64,
    },
    /// UnDelegateResourceContract: take back `balance` lent to `receiver`.
    UnDelegate {
        /// Owner.
        owner: Address,
        /// Resource.
        resource: Resource,
        /// `balance` (sun).
        balance: Sun,
        /// Receiver the resource was lent to.
        receiver: Address,
    },
    /// CancelAllUnfreezeV2Contract: restake every pending unstake (expired ones are withdrawn).
    CancelAllUnfreeze {
        /// Owner.
        owner: Address,
    },
}

/// A staking contract's fields as the transaction view names them; a field the contract does
/// not have is left out of its JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StakingFields {
    /// The staking account.
    pub owner_address: Address,
    /// Amount in sun (a decimal string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// "ENERGY" or "BANDWIDTH".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<&'static str>,
    /// The account receiving (or giving back) the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_address: Option<Address>,
    /// A locked delegation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock: Option<bool>,
    /// Its lock period (blocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_period: Option<u64>,
}

impl StakingContract {
    /// The operation's word, as the broadcaster's commands name it (`stake`, `unstake`,
    /// `withdraw-unstaked`, `delegate`, `undelegate`, `cancel-unstake`).
    pub fn operation(&self) -> &'static str {
        match self {
            StakingContract::Freeze { .. } => "stake",
            StakingContract::Unfreeze { .. } => "unstake",
            StakingContract::WithdrawExpireUnfreeze { .. } => "withdraw-unstaked",
            StakingContract::Delegate { .. } => "delegate",
            StakingContract::UnDelegate { .. } => "undelegate",
            StakingContract::CancelAllUnfreeze { .. } => "cancel-unstake",
        }
    }

    /// The TRX amount it names (sun), and 0 for withdraw and cancel.
    pub fn amount_sun(&self) -> u64 {
        match self {
            StakingContract::Freeze { amount, .. } | StakingContract::Unfreeze { amount, .. } => {
                amount.as_u64()
            }
            StakingContract::Delegate { balance, .. }
            | StakingContract::UnDelegate { balance, .. } => balance.as_u64(),
            StakingContract::WithdrawExpireUnfreeze { .. }
            | StakingContract::CancelAllUnfreeze { .. } => 0,
        }
    }

    /// The receiver of a delegation or undelegation.
    pub fn receiver(&self) -> Option<Address> {
        match self {
            StakingContract::Delegate { receiver, .. }
            | StakingContract::UnDelegate { receiver, .. } => Some(*receiver),
            _ => None,
        }
    }

    /// The resource it is about (none for withdraw and cancel).
    pub fn resource(&self) -> Option<Resource> {
        match self {
            StakingContract::Freeze { resource, .. }
            | StakingContract::Unfreeze { resource, .. }
            | StakingContract::Delegate { resource, .. }
            | StakingContract::UnDelegate { resource, .. } => Some(*resource),
            _ => None,
        }
    }

    /// The ContractType number.
    pub fn type_number(&self) -> u64 {
        match self {
            StakingContract::Freeze { .. } => FREEZE_BALANCE_V2_CONTRACT,
            StakingContract::Unfreeze { .. } => UNFREEZE_BALANCE_V2_CONTRACT,
            StakingContract::WithdrawExpireUnfreeze { .. } => WITHDRAW_EXPIRE_UNFREEZE_CONTRACT,
            StakingContract::Delegate { .. } => DELEGATE_RESOURCE_CONTRACT,
            StakingContract::UnDelegate { .. } => UNDELEGATE_RESOURCE_CONTRACT,
            StakingContract::CancelAllUnfreeze { .. } => CANCEL_ALL_UNFREEZE_V2_CONTRACT,
        }
    }

    /// The ContractType name as TRON spells it.
    pub fn type_name(&self) -> &'static str {
        crate::contract_type::contract_type_name(self.type_number()).expect("a staking type")
    }

    /// The canonical Any type_url.
    pub fn type_url(&self) -> &'static str {
        type_url_of(self.type_number()).expect("a staking type")
    }

    /// The owner (the staking account).
    pub fn owner(&self) -> Address {
        match self {
            StakingContract::Freeze { owner, .. }
            | StakingContract::Unfreeze { owner, .. }
            | StakingContract::WithdrawExpireUnfreeze { owner }
            | StakingContract::Delegate { owner, .. }
            | StakingContract::UnDelegate { owner, .. }
            | StakingContract::CancelAllUnfreeze { owner } => *owner,
        }
    }

    /// Canonical bytes of the parameter message (Any.value).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        put_bytes_field(&mut out, 1, self.owner().as_bytes());
        match self {
            StakingContract::Freeze {
                amount, resource, ..
            }
            | StakingContract::Unfreeze {
                amount, resource, ..
            } => {
                put_uint_field(&mut out, 2, amount.as_u64());
                put_uint_field(&mut out, 3, resource.code());
            }
            StakingContract::Delegate {
                resource,
                balance,
                receiver,
                lock,
                lock_period,
                ..
            } => {
                put_uint_field(&mut out, 2, resource.code());
                put_uint_field(&mut out, 3, balance.as_u64());
                put_bytes_field(&mut out, 4, receiver.as_bytes());
                put_uint_field(&mut out, 5, u64::from(*lock));
                put_uint_field(&mut out, 6, *lock_period);
            }
            StakingContract::UnDelegate {
                resource,
                balance,
                receiver,
                ..
            } => {
                put_uint_field(&mut out, 2, resource.code());
                put_uint_field(&mut out, 3, balance.as_u64());
                put_bytes_field(&mut out, 4, receiver.as_bytes());
            }
            StakingContract::WithdrawExpireUnfreeze { .. }
            | StakingContract::CancelAllUnfreeze { .. } => {}
        }
        out
    }

    /// Strictly decodes the parameter message of staking type `type_number`.
    pub fn decode(type_number: u64, bytes: &[u8]) -> Result<StakingContract> {
        let path =
            crate::contract_type::contract_type_name(type_number).unwrap_or("staking contract");
        let f = Fields::read(path, bytes, type_number)?;
        let owner = f
            .owner
            .ok_or_else(|| Error::proto(path, ProtoReason::Missing("owner_address")))?;
        let receiver = || {
            f.receiver
                .ok_or_else(|| Error::proto(path, ProtoReason::Missing("receiver_address")))
        };
        Ok(match type_number {
            FREEZE_BALANCE_V2_CONTRACT => StakingContract::Freeze {
                owner,
                amount: f.amount,
                resource: f.resource,
            },
            UNFREEZE_BALANCE_V2_CONTRACT => StakingContract::Unfreeze {
                owner,
                amount: f.amount,
                resource: f.resource,
            },
            WITHDRAW_EXPIRE_UNFREEZE_CONTRACT => StakingContract::WithdrawExpireUnfreeze { owner },
            DELEGATE_RESOURCE_CONTRACT => StakingContract::Delegate {
                owner,
                resource: f.resource,
                balance: f.amount,
                receiver: receiver()?,
                lock: f.lock,
                lock_period: f.lock_period,
            },
            UNDELEGATE_RESOURCE_CONTRACT => StakingContract::UnDelegate {
                owner,
                resource: f.resource,
                balance: f.amount,
                receiver: receiver()?,
            },
            CANCEL_ALL_UNFREEZE_V2_CONTRACT => StakingContract::CancelAllUnfreeze { owner },
            n => return Err(Error::proto(path, ProtoReason::UnknownContractType(n))),
        })
    }

    /// The `parameter.value` object java-tron prints (defaults omitted).
    pub fn to_tron_json(&self, visible: bool) -> Value {
        let addr = |a: &Address| {
            if visible {
                json!(a.to_base58())
            } else {
                json!(a.to_hex())
            }
        };
        let mut m = Map::new();
        m.insert("owner_address".into(), addr(&self.owner()));
        let put_resource = |m: &mut Map<String, Value>, r: Resource| {
            if r != Resource::Bandwidth {
                m.insert("resource".into(), json!(r.name()));
            }
        };
        match self {
            StakingContract::Freeze {
                amount, resource, ..
            } => {
                if amount.as_u64() != 0 {
                    m.insert("frozen_balance".into(), json!(amount.as_u64()));
                }
                put_resource(&mut m, *resource);
            }
            StakingContract::Unfreeze {
                amount, resource, ..
            } => {
                if amount.as_u64() != 0 {
                    m.insert("unfreeze_balance".into(), json!(amount.as_u64()));
                }
                put_resource(&mut m, *resource);
            }
            StakingContract::Delegate {
                resource,
                balance,
                receiver,
                lock,
                lock_period,
                ..
            } => {
                put_resource(&mut m, *resource);
                if balance.as_u64() != 0 {
                    m.insert("balance".into(), json!(balance.as_u64()));
                }
                m.insert("receiver_address".into(), addr(receiver));
                if *lock {
                    m.insert("lock".into(), json!(true));
                }
                if *lock_period != 0 {
                    m.insert("lock_period".into(), json!(lock_period));
                }
            }
            StakingContract::UnDelegate {
                resource,
                balance,
                receiver,
                ..
            } => {
                put_resource(&mut m, *resource);
                if balance.as_u64() != 0 {
                    m.insert("balance".into(), json!(balance.as_u64()));
                }
                m.insert("receiver_address".into(), addr(receiver));
            }
            StakingContract::WithdrawExpireUnfreeze { .. }
            | StakingContract::CancelAllUnfreeze { .. } => {}
        }
        Value::Object(m)
    }

    /// What the transaction does, in plain words, one line per fact.
    pub fn describe(&self) -> Vec<String> {
        let trx = |s: &Sun| format!("{} TRX", s.to_trx_string());
        match self {
            StakingContract::Freeze {
                owner,
                amount,
                resource,
            } => vec![
                format!("account      {owner}"),
                format!("stake        {} for {}", trx(amount), resource.word()),
            ],
            StakingContract::Unfreeze {
                owner,
                amount,
                resource,
            } => vec![
                format!("account      {owner}"),
                format!(
                    "unstake      {} staked for {} (withdrawable after the chain's unstaking delay, 14 days on mainnet)",
                    trx(amount),
                    resource.word()
                ),
            ],
            StakingContract::WithdrawExpireUnfreeze { owner } => vec![
                format!("account      {owner}"),
                "withdraw     every unstaked amount whose delay has passed".into(),
            ],
            StakingContract::Delegate {
                owner,
                resource,
                balance,
                receiver,
                lock,
                lock_period,
            } => {
                let lock = match (lock, lock_period) {
                    (false, _) => "no (can be taken back at any time)".to_string(),
                    (true, 0) => "yes, for the chain's default period (3 days)".to_string(),
                    (true, p) => format!("yes, for {p} blocks (about {} hours)", p * 3 / 3600),
                };
                vec![
                    format!("account      {owner}"),
                    format!(
                        "delegate     the {} of {} staked",
                        resource.word(),
                        trx(balance)
                    ),
                    format!("receiver     {receiver}"),
                    format!("lock         {lock}"),
                ]
            }
            StakingContract::UnDelegate {
                owner,
                resource,
                balance,
                receiver,
            } => vec![
                format!("account      {owner}"),
                format!(
                    "undelegate   the {} of {} staked",
                    resource.word(),
                    trx(balance)
                ),
                format!("receiver     {receiver}"),
            ],
            StakingContract::CancelAllUnfreeze { owner } => vec![
                format!("account      {owner}"),
                "cancel       every pending unstake (restaked; expired ones are withdrawn)".into(),
            ],
        }
    }

    /// The contract's fields as the transaction view names them (a field the contract does not
    /// have is left out): `inspect` / `tx decode --json` and the broadcaster's staking answers
    /// serialize this one value.
    pub fn fields(&self) -> StakingFields {
        let base = StakingFields {
            owner_address: self.owner(),
            amount: None,
            resource: None,
            receiver_address: None,
            lock: None,
            lock_period: None,
        };
        match self {
            StakingContract::Freeze {
                amount, resource, ..
            }
            | StakingContract::Unfreeze {
                amount, resource, ..
            } => StakingFields {
                amount: Some(amount.as_u64().to_string()),
                resource: Some(resource.name()),
                ..base
            },
            StakingContract::Delegate {
                resource,
                balance,
                receiver,
                lock,
                lock_period,
                ..
            } => StakingFields {
                amount: Some(balance.as_u64().to_string()),
                resource: Some(resource.name()),
                receiver_address: Some(*receiver),
                lock: Some(*lock),
                lock_period: Some(*lock_period),
                ..base
            },
            StakingContract::UnDelegate {
                resource,
                balance,
                receiver,
                ..
            } => StakingFields {
                amount: Some(balance.as_u64().to_string()),
                resource: Some(resource.name()),
                receiver_address: Some(*receiver),
                ..base
            },
            StakingContract::WithdrawExpireUnfreeze { .. }
            | StakingContract::CancelAllUnfreeze { .. } => base,
        }
    }

    /// The inspect `--json` keys of this contract (beside txid, contract_type, expiration …):
    /// [`StakingContract::fields`] as a JSON object.
    pub fn view_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self.fields()) {
            Ok(Value::Object(m)) => m,
            _ => unreachable!("StakingFields serializes to a JSON object"),
        }
    }
}

/// The canonical type_url of a staking type, `None` for the others.
pub fn type_url_of(type_number: u64) -> Option<&'static str> {
    Some(match type_number {
        FREEZE_BALANCE_V2_CONTRACT => "type.googleapis.com/protocol.FreezeBalanceV2Contract",
        UNFREEZE_BALANCE_V2_CONTRACT => "type.googleapis.com/protocol.UnfreezeBalanceV2Contract",
        WITHDRAW_EXPIRE_UNFREEZE_CONTRACT => {
            "type.googleapis.com/protocol.WithdrawExpireUnfreezeContract"
        }
        DELEGATE_RESOURCE_CONTRACT => "type.googleapis.com/protocol.DelegateResourceContract",
        UNDELEGATE_RESOURCE_CONTRACT => "type.googleapis.com/protocol.UnDelegateResourceContract",
        CANCEL_ALL_UNFREEZE_V2_CONTRACT => {
            "type.googleapis.com/protocol.CancelAllUnfreezeV2Contract"
        }
        _ => return None,
    })
}

/// The fields of any staking message, read strictly.
struct Fields {
    owner: Option<Address>,
    amount: Sun,
    resource: Resource,
    receiver: Option<Address>,
    lock: bool,
    lock_period: u64,
}

/// Which field number holds what, per type: (amount, resource, receiver, lock, lock_period).
fn layout(type_number: u64) -> [Option<u64>; 5] {
    match type_number {
        FREEZE_BALANCE_V2_CONTRACT | UNFREEZE_BALANCE_V2_CONTRACT => {
            [Some(2), Some(3), None, None, None]
        }
        DELEGATE_RESOURCE_CONTRACT => [Some(3), Some(2), Some(4), Some(5), Some(6)],
        UNDELEGATE_RESOURCE_CONTRACT => [Some(3), Some(2), Some(4), None, None],
        _ => [None; 5],
    }
}

impl Fields {
    fn read(path: &str, bytes: &[u8], type_number: u64) -> Result<Fields> {
        let [amount_f, resource_f, receiver_f, lock_f, period_f] = layout(type_number);
        let mut r = FieldReader::new(bytes, path);
        let mut order = OrderGuard::new();
        let mut f = Fields {
            owner: None,
            amount: Sun::ZERO,
            resource: Resource::Bandwidth,
            receiver: None,
            lock: false,
            lock_period: 0,
        };
        while let Some((field, v)) = r.next_field()? {
            order.check(path, field, false)?;
            let n = Some(field);
            if field == 1 {
                f.owner = Some(address(path, 1, v, "owner_address")?);
            } else if n == amount_f {
                f.amount = Sun::new(expect_positive_i64(path, field, "balance", v)?)?;
            } else if n == resource_f {
                f.resource = Resource::from_code(path, expect_nonzero_varint(path, field, v)?)?;
            } else if n == receiver_f {
                f.receiver = Some(address(path, field, v, "receiver_address")?);
            } else if n == lock_f {
                match expect_nonzero_varint(path, field, v)? {
                    1 => f.lock = true,
                    _ => {
                        return Err(Error::proto(
                            path,
                            ProtoReason::Invalid("lock: a bool must be encoded as 1".into()),
                        ))
                    }
                }
            } else if n == period_f {
                f.lock_period = expect_positive_i64(path, field, "lock_period", v)?;
            } else {
                return Err(Error::proto(path, ProtoReason::UnknownField(field)));
            }
        }
        Ok(f)
    }
}

fn address(path: &str, field: u64, v: FieldValue<'_>, what: &'static str) -> Result<Address> {
    let b = expect_nonempty_bytes(path, field, v)?;
    Address::from_bytes(b)
        .map_err(|e| Error::proto(path, ProtoReason::Address(format!("{what}: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        Address::parse(s).unwrap()
    }

    fn samples() -> Vec<StakingContract> {
        let owner = a("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH");
        let other = a("TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR");
        let sun = |v| Sun::new(v).unwrap();
        vec![
            StakingContract::Freeze {
                owner,
                amount: sun(10_000_000),
                resource: Resource::Energy,
            },
            StakingContract::Freeze {
                owner,
                amount: sun(1_000_000),
                resource: Resource::Bandwidth,
            },
            StakingContract::Unfreeze {
                owner,
                amount: sun(5_000_000),
                resource: Resource::Energy,
            },
            StakingContract::WithdrawExpireUnfreeze { owner },
            StakingContract::Delegate {
                owner,
                resource: Resource::Energy,
                balance: sun(2_000_000),
                receiver: other,
                lock: true,
                lock_period: 28_800,
            },
            StakingContract::Delegate {
                owner,
                resource: Resource::Bandwidth,
                balance: sun(2_000_000),
                receiver: other,
                lock: false,
                lock_period: 0,
            },
            StakingContract::UnDelegate {
                owner,
                resource: Resource::Energy,
                balance: sun(2_000_000),
                receiver: other,
            },
            StakingContract::CancelAllUnfreeze { owner },
        ]
    }

    #[test]
    fn the_view_names_exactly_the_fields_each_contract_has() {
        let s = samples();
        let keys = |c: &StakingContract| c.view_json().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&s[0]), ["amount", "owner_address", "resource"]);
        assert_eq!(keys(&s[3]), ["owner_address"]);
        assert_eq!(
            keys(&s[4]),
            [
                "amount",
                "lock",
                "lock_period",
                "owner_address",
                "receiver_address",
                "resource"
            ]
        );
        assert_eq!(
            keys(&s[6]),
            ["amount", "owner_address", "receiver_address", "resource"]
        );
        let v = serde_json::Value::Object(s[4].view_json());
        assert_eq!(v["amount"], "2000000");
        assert_eq!(v["resource"], "ENERGY");
        assert_eq!(v["receiver_address"], "TTS7Y53sS4rzrDCtZaiuRzqxd16atCe2UR");
        assert_eq!(
            (v["lock"].as_bool(), v["lock_period"].as_u64()),
            (Some(true), Some(28_800))
        );
    }

    #[test]
    fn every_type_round_trips_and_names_itself() {
        for c in samples() {
            let bytes = c.encode();
            assert_eq!(StakingContract::decode(c.type_number(), &bytes).unwrap(), c);
            assert!(c.type_url().ends_with(c.type_name()));
            assert!(!c.describe().is_empty());
        }
    }

    #[test]
    fn bandwidth_is_omitted_and_an_explicit_zero_resource_is_refused() {
        let c = &samples()[1];
        let bytes = c.encode();
        // owner (2 + 21 bytes) and frozen_balance only.
        assert_eq!(bytes.len(), 23 + 1 + 3);
        let mut explicit = bytes.clone();
        explicit.extend_from_slice(&[0x18, 0x00]);
        let e = StakingContract::decode(FREEZE_BALANCE_V2_CONTRACT, &explicit).unwrap_err();
        assert!(matches!(
            e,
            Error::Proto {
                reason: ProtoReason::DefaultValue(3),
                ..
            }
        ));
    }

    #[test]
    fn tron_power_unknown_fields_and_bad_lock_are_refused() {
        let c = &samples()[0];
        let mut tp = c.encode();
        let n = tp.len();
        tp[n - 1] = 2; // resource = TRON_POWER
        let e = StakingContract::decode(FREEZE_BALANCE_V2_CONTRACT, &tp).unwrap_err();
        assert!(e.to_string().contains("TRON_POWER"), "{e}");
        let mut extra = c.encode();
        extra.extend_from_slice(&[0x20, 0x01]);
        let e = StakingContract::decode(FREEZE_BALANCE_V2_CONTRACT, &extra).unwrap_err();
        assert!(matches!(
            e,
            Error::Proto {
                reason: ProtoReason::UnknownField(4),
                ..
            }
        ));
        // WithdrawExpireUnfreeze has only field 1.
        let mut w = samples()[3].encode();
        w.extend_from_slice(&[0x10, 0x01]);
        assert!(StakingContract::decode(WITHDRAW_EXPIRE_UNFREEZE_CONTRACT, &w).is_err());
        // lock = 2 is not a canonical bool.
        let d = samples()[4].encode();
        let pos = d.iter().position(|&b| b == 0x28).unwrap();
        let mut bad = d.clone();
        bad[pos + 1] = 2;
        assert!(StakingContract::decode(DELEGATE_RESOURCE_CONTRACT, &bad).is_err());
    }

    #[test]
    fn delegate_needs_a_receiver() {
        let owner_only = StakingContract::WithdrawExpireUnfreeze {
            owner: a("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"),
        }
        .encode();
        let e = StakingContract::decode(DELEGATE_RESOURCE_CONTRACT, &owner_only).unwrap_err();
        assert!(e.to_string().contains("receiver_address"), "{e}");
    }
}
