//! `Transaction.Contract` and the contract kinds coldpay decodes: `TransferContract` (TRX),
//! `TriggerSmartContract` (TRC-20 calls), `AccountPermissionUpdateContract` (setting up
//! multi-signature permissions) and the six Stake 2.0 contracts ([`crate::staking`]).
//! Everything else is refused by name.

use crate::address::Address;
use crate::amount::Sun;
use crate::error::{Error, ProtoReason, Result};
use crate::permission::AccountPermissionUpdate;
use crate::staking::StakingContract;
use crate::wire::{
    expect_message, expect_nonempty_bytes, expect_positive_i64, put_bytes_field, put_key,
    put_message_field, put_uint_field, put_varint, FieldReader, FieldValue, OrderGuard, WT_VARINT,
};

/// Canonical Any type_url of `TransferContract`.
pub const TRANSFER_TYPE_URL: &str = "type.googleapis.com/protocol.TransferContract";
/// Canonical Any type_url of `TriggerSmartContract`.
pub const TRIGGER_TYPE_URL: &str = "type.googleapis.com/protocol.TriggerSmartContract";
/// Canonical Any type_url of `AccountPermissionUpdateContract`.
pub const PERMISSION_UPDATE_TYPE_URL: &str =
    "type.googleapis.com/protocol.AccountPermissionUpdateContract";

pub use crate::contract_type::{
    contract_type_name, contract_type_number, ACCOUNT_PERMISSION_UPDATE_CONTRACT,
    TRANSFER_CONTRACT, TRIGGER_SMART_CONTRACT,
};

/// A TRX transfer (`protocol.TransferContract`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferContract {
    /// Sender.
    pub owner: Address,
    /// Recipient.
    pub to: Address,
    /// Amount in sun (0 is representable on the wire; policy refuses it).
    pub amount: Sun,
}

/// A smart-contract call (`protocol.TriggerSmartContract`), without TRC-10 token fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriggerSmartContract {
    /// Caller.
    pub owner: Address,
    /// Contract called.
    pub contract: Address,
    /// TRX sent with the call (sun).
    pub call_value: Sun,
    /// ABI call data.
    pub data: Vec<u8>,
}

/// The contract body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractKind {
    /// TRX transfer.
    Transfer(TransferContract),
    /// Smart-contract call.
    TriggerSmart(TriggerSmartContract),
    /// Replacing the account's owner/witness/active permissions (type 46).
    AccountPermissionUpdate(AccountPermissionUpdate),
    /// One of the Stake 2.0 contracts (types 54–59).
    Staking(StakingContract),
}

/// `Transaction.Contract`: the body plus the permission id it is signed under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// What the contract does.
    pub kind: ContractKind,
    /// Permission id (0 = owner permission, omitted on the wire).
    pub permission_id: u32,
}

impl ContractKind {
    /// The ContractType number.
    pub fn type_number(&self) -> u64 {
        match self {
            ContractKind::Transfer(_) => TRANSFER_CONTRACT,
            ContractKind::TriggerSmart(_) => TRIGGER_SMART_CONTRACT,
            ContractKind::AccountPermissionUpdate(_) => ACCOUNT_PERMISSION_UPDATE_CONTRACT,
            ContractKind::Staking(s) => s.type_number(),
        }
    }

    /// The ContractType number as TRON's int32 (what an operations bitmap indexes).
    pub fn contract_type(&self) -> i32 {
        self.type_number() as i32
    }

    /// The ContractType name as TRON spells it.
    pub fn type_name(&self) -> &'static str {
        match self {
            ContractKind::Transfer(_) => "TransferContract",
            ContractKind::TriggerSmart(_) => "TriggerSmartContract",
            ContractKind::AccountPermissionUpdate(_) => "AccountPermissionUpdateContract",
            ContractKind::Staking(s) => s.type_name(),
        }
    }

    /// The canonical Any type_url.
    pub fn type_url(&self) -> &'static str {
        match self {
            ContractKind::Transfer(_) => TRANSFER_TYPE_URL,
            ContractKind::TriggerSmart(_) => TRIGGER_TYPE_URL,
            ContractKind::AccountPermissionUpdate(_) => PERMISSION_UPDATE_TYPE_URL,
            ContractKind::Staking(s) => s.type_url(),
        }
    }

    /// The owner (sender) address.
    pub fn owner(&self) -> Address {
        match self {
            ContractKind::Transfer(t) => t.owner,
            ContractKind::TriggerSmart(t) => t.owner,
            ContractKind::AccountPermissionUpdate(u) => u.owner_address,
            ContractKind::Staking(s) => s.owner(),
        }
    }

    /// Canonical bytes of the parameter message (Any.value).
    pub fn encode_parameter(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        match self {
            ContractKind::Transfer(t) => {
                put_bytes_field(&mut out, 1, t.owner.as_bytes());
                put_bytes_field(&mut out, 2, t.to.as_bytes());
                put_uint_field(&mut out, 3, t.amount.as_u64());
            }
            ContractKind::TriggerSmart(t) => {
                put_bytes_field(&mut out, 1, t.owner.as_bytes());
                put_bytes_field(&mut out, 2, t.contract.as_bytes());
                put_uint_field(&mut out, 3, t.call_value.as_u64());
                put_bytes_field(&mut out, 4, &t.data);
            }
            ContractKind::AccountPermissionUpdate(u) => return u.encode(),
            ContractKind::Staking(s) => return s.encode(),
        }
        out
    }
}

impl Contract {
    /// Appends the canonical encoding of this Contract message.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        put_uint_field(out, 1, self.kind.type_number());
        let value = self.kind.encode_parameter();
        let url = self.kind.type_url().as_bytes();
        let mut any = Vec::with_capacity(url.len() + value.len() + 6);
        put_bytes_field(&mut any, 1, url);
        put_bytes_field(&mut any, 2, &value);
        put_message_field(out, 2, &any);
        if self.permission_id != 0 {
            put_key(out, 5, WT_VARINT);
            put_varint(out, u64::from(self.permission_id));
        }
    }

    /// Strictly decodes a Contract message.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        const PATH: &str = "raw_data: field 11 (contract)";
        let mut r = FieldReader::new(bytes, PATH);
        let mut order = OrderGuard::new();
        let mut type_number = 0u64;
        let mut parameter: Option<&[u8]> = None;
        let mut permission_id = 0u32;
        while let Some((field, value)) = r.next_field()? {
            order.check(PATH, field, false)?;
            match field {
                1 => {
                    // Enum: canonical encoding omits 0, so a present 0 is non-canonical.
                    type_number = crate::wire::expect_nonzero_varint(PATH, 1, value)?;
                    if type_url_of(type_number).is_none() {
                        return Err(Error::proto(
                            PATH,
                            ProtoReason::UnknownContractType(type_number),
                        ));
                    }
                }
                2 => parameter = Some(expect_message(PATH, 2, value)?),
                3 => {
                    return Err(Error::proto(
                        PATH,
                        ProtoReason::UnsupportedField(3, "provider"),
                    ))
                }
                4 => {
                    return Err(Error::proto(
                        PATH,
                        ProtoReason::UnsupportedField(4, "ContractName"),
                    ))
                }
                5 => {
                    let v = crate::wire::expect_nonzero_varint(PATH, 5, value)?;
                    permission_id = u32::try_from(v)
                        .ok()
                        .filter(|p| i32::try_from(*p).is_ok())
                        .ok_or_else(|| {
                            Error::proto(PATH, ProtoReason::Negative("Permission_id"))
                        })?;
                }
                n => return Err(Error::proto(PATH, ProtoReason::UnknownField(n))),
            }
        }
        if type_number == 0 {
            return Err(Error::proto(PATH, ProtoReason::UnknownContractType(0)));
        }
        let any = parameter.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("parameter")))?;
        let kind = decode_any(type_number, any)?;
        Ok(Contract {
            kind,
            permission_id,
        })
    }
}

fn decode_any(type_number: u64, bytes: &[u8]) -> Result<ContractKind> {
    const PATH: &str = "raw_data.contract: field 2 (parameter)";
    let mut r = FieldReader::new(bytes, PATH);
    let mut order = OrderGuard::new();
    let mut url: Option<&[u8]> = None;
    let mut value: Option<&[u8]> = None;
    while let Some((field, v)) = r.next_field()? {
        order.check(PATH, field, false)?;
        match field {
            1 => url = Some(expect_nonempty_bytes(PATH, 1, v)?),
            2 => value = Some(expect_nonempty_bytes(PATH, 2, v)?),
            n => return Err(Error::proto(PATH, ProtoReason::UnknownField(n))),
        }
    }
    let url = url.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("type_url")))?;
    let expected = type_url_of(type_number)
        .ok_or_else(|| Error::proto(PATH, ProtoReason::UnknownContractType(type_number)))?;
    if url != expected.as_bytes() {
        return Err(Error::proto(
            PATH,
            ProtoReason::TypeUrl(String::from_utf8_lossy(url).into_owned()),
        ));
    }
    let value = value.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("value")))?;
    match type_number {
        TRANSFER_CONTRACT => decode_transfer(value).map(ContractKind::Transfer),
        TRIGGER_SMART_CONTRACT => decode_trigger(value).map(ContractKind::TriggerSmart),
        ACCOUNT_PERMISSION_UPDATE_CONTRACT => {
            AccountPermissionUpdate::decode(value).map(ContractKind::AccountPermissionUpdate)
        }
        n => StakingContract::decode(n, value).map(ContractKind::Staking),
    }
}

/// The canonical type_url of a contract type coldpay decodes, `None` for the others.
fn type_url_of(type_number: u64) -> Option<&'static str> {
    match type_number {
        TRANSFER_CONTRACT => Some(TRANSFER_TYPE_URL),
        TRIGGER_SMART_CONTRACT => Some(TRIGGER_TYPE_URL),
        ACCOUNT_PERMISSION_UPDATE_CONTRACT => Some(PERMISSION_UPDATE_TYPE_URL),
        n => crate::staking::type_url_of(n),
    }
}

fn address_field(path: &str, field: u64, v: FieldValue<'_>, what: &'static str) -> Result<Address> {
    let b = expect_nonempty_bytes(path, field, v)?;
    Address::from_bytes(b)
        .map_err(|e| Error::proto(path, ProtoReason::Address(format!("{what}: {e}"))))
}

fn decode_transfer(bytes: &[u8]) -> Result<TransferContract> {
    const PATH: &str = "TransferContract";
    let mut r = FieldReader::new(bytes, PATH);
    let mut order = OrderGuard::new();
    let (mut owner, mut to, mut amount) = (None, None, Sun::ZERO);
    while let Some((field, v)) = r.next_field()? {
        order.check(PATH, field, false)?;
        match field {
            1 => owner = Some(address_field(PATH, 1, v, "owner_address")?),
            2 => to = Some(address_field(PATH, 2, v, "to_address")?),
            3 => amount = Sun::new(expect_positive_i64(PATH, 3, "amount", v)?)?,
            n => return Err(Error::proto(PATH, ProtoReason::UnknownField(n))),
        }
    }
    Ok(TransferContract {
        owner: owner.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("owner_address")))?,
        to: to.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("to_address")))?,
        amount,
    })
}

fn decode_trigger(bytes: &[u8]) -> Result<TriggerSmartContract> {
    const PATH: &str = "TriggerSmartContract";
    let mut r = FieldReader::new(bytes, PATH);
    let mut order = OrderGuard::new();
    let (mut owner, mut contract, mut call_value, mut data) = (None, None, Sun::ZERO, Vec::new());
    while let Some((field, v)) = r.next_field()? {
        order.check(PATH, field, false)?;
        match field {
            1 => owner = Some(address_field(PATH, 1, v, "owner_address")?),
            2 => contract = Some(address_field(PATH, 2, v, "contract_address")?),
            3 => call_value = Sun::new(expect_positive_i64(PATH, 3, "call_value", v)?)?,
            4 => data = expect_nonempty_bytes(PATH, 4, v)?.to_vec(),
            5 => {
                return Err(Error::proto(
                    PATH,
                    ProtoReason::UnsupportedField(5, "call_token_value"),
                ))
            }
            6 => {
                return Err(Error::proto(
                    PATH,
                    ProtoReason::UnsupportedField(6, "token_id"),
                ))
            }
            n => return Err(Error::proto(PATH, ProtoReason::UnknownField(n))),
        }
    }
    Ok(TriggerSmartContract {
        owner: owner.ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("owner_address")))?,
        contract: contract
            .ok_or_else(|| Error::proto(PATH, ProtoReason::Missing("contract_address")))?,
        call_value,
        data,
    })
}
