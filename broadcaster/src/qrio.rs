//! QR handoff on the broadcaster side: the option structs shared with the signer, and which
//! UR message carries a sign request.

use coldpay_shared::contract::ContractKind;
use coldpay_shared::handoff::WatchExport;
use coldpay_shared::urframe::{request_json_payload, UrKind};
use coldpay_shared::SignRequest;

pub use coldpay_shared::qr_cli::{QrInArgs, QrOutArgs};

use crate::error::Result;

/// The UR message of a sign request: the compact form (`coldpay-req`), or for a request the
/// compact form does not carry (a permission update, a staking operation) its JSON file
/// (`coldpay-req-json`).
pub fn request_message(req: &SignRequest) -> Result<(UrKind, Vec<u8>)> {
    let not_payout = req.transactions.iter().any(|t| {
        matches!(
            t.raw.contract.kind,
            ContractKind::AccountPermissionUpdate(_) | ContractKind::Staking(_)
        )
    });
    if not_payout {
        let json = serde_json::to_string(&req.to_json()).expect("json");
        return Ok((UrKind::RequestJson, request_json_payload(&json)));
    }
    Ok((
        UrKind::Request,
        coldpay_shared::compact::encode_request(req)?,
    ))
}

/// What a watch-only export holds, for the line saying what was decoded: "watch-only export
/// of 2 account(s) (treasury, hot)" or "approver export of 1 key(s) for TXYZ…:payouts".
pub fn watch_what(w: &WatchExport) -> String {
    let names: Vec<&str> = w.accounts.iter().map(|a| a.name.as_str()).collect();
    match &w.approver_for {
        Some(a) => format!(
            "approver export of {} key(s) ({}) for {}:{}",
            names.len(),
            names.join(", "),
            a.account,
            a.permission
        ),
        None => format!(
            "watch-only export of {} account(s) ({})",
            names.len(),
            names.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::contract::Contract;
    use coldpay_shared::handoff::RequestTx;
    use coldpay_shared::permission::{
        AccountPermissionUpdate, Operations, Permission, PermissionKey, PermissionKind,
    };
    use coldpay_shared::urframe::request_json_text;
    use coldpay_shared::{Address, Network, RawData, RefBlock, Sun};

    fn request(raw: RawData) -> SignRequest {
        SignRequest {
            network: Network::Local,
            request_id: "r-1".into(),
            created_at: 1,
            transactions: vec![RequestTx::new("p-1", raw)],
            permission: None,
            permission_before: None,
        }
    }

    fn perm(kind: PermissionKind, a: Address) -> Permission {
        Permission {
            kind,
            id: if kind == PermissionKind::Owner { 0 } else { 2 },
            name: "p".into(),
            threshold: 1,
            parent_id: 0,
            operations: (kind == PermissionKind::Active)
                .then(|| Operations::from_names(&["trx"]).unwrap()),
            keys: vec![PermissionKey {
                address: a,
                weight: 1,
            }],
        }
    }

    #[test]
    fn a_permission_update_goes_as_json_and_payouts_stay_compact() {
        let a = Address::from_evm_bytes([7; 20]);
        let rb = RefBlock {
            bytes: [1, 2],
            hash: [3; 8],
        };
        let pay = RawData::trx_transfer(a, a, Sun::new(1).unwrap(), rb, 10_000, 1);
        let (kind, _) = request_message(&request(pay.clone())).unwrap();
        assert_eq!(kind, UrKind::Request);
        let update = AccountPermissionUpdate {
            owner_address: a,
            owner: perm(PermissionKind::Owner, a),
            witness: None,
            actives: vec![perm(PermissionKind::Active, a)],
        };
        let raw = RawData {
            contract: Contract {
                kind: ContractKind::AccountPermissionUpdate(update),
                permission_id: 0,
            },
            ..pay.clone()
        };
        let req = request(raw);
        let (kind, payload) = request_message(&req).unwrap();
        assert_eq!(kind, UrKind::RequestJson);
        let text = request_json_text(&payload, 1 << 20).unwrap();
        let back = SignRequest::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back.digest(), req.digest());
        // A staking operation travels the same way (the compact form carries payouts only).
        let stake = RawData {
            contract: Contract {
                kind: ContractKind::Staking(coldpay_shared::staking::StakingContract::Freeze {
                    owner: a,
                    amount: Sun::new(5_000_000).unwrap(),
                    resource: coldpay_shared::staking::Resource::Energy,
                }),
                permission_id: 0,
            },
            ..pay
        };
        let req = request(stake);
        let (kind, payload) = request_message(&req).unwrap();
        assert_eq!(kind, UrKind::RequestJson);
        let text = request_json_text(&payload, 1 << 20).unwrap();
        let back = SignRequest::from_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back.digest(), req.digest());
    }
}
