//! Prints example handoff documents (used to write docs/formats.md):
//! `cargo run -p coldpay-shared --example doc_examples`.

use coldpay_shared::handoff::{
    DisplayHints, FeeInputs, RequestTx, ResponseTx, SignerSignature, WatchAccount, WatchExport,
};
use coldpay_shared::{
    Address, Network, RawData, RefBlock, SignRequest, SignResponse, Signature, U256,
};

fn main() {
    let key = k256::ecdsa::SigningKey::from_slice(
        &hex::decode("b5a4cea271ff424d7c31dc12a3e43e401df7a40d7412a15750f3f0b6b5449a28").unwrap(),
    )
    .unwrap();
    let from = Address::from_public_key(key.verifying_key());
    let usdt = Address::parse(coldpay_shared::MAINNET_USDT).unwrap();
    let to = Address::parse("TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm").unwrap();
    let raw = RawData::trc20_transfer(
        from,
        usdt,
        to,
        U256::from(125_500_000u64),
        30_000_000,
        RefBlock {
            bytes: [0x26, 0x6b],
            hash: [0xf6, 0xb6, 0xd3, 0x92, 0xf6, 0x54, 0xdc, 0x2e],
        },
        1_777_466_907_000,
        1_777_445_307_000,
    );
    let mut tx = RequestTx::new("inv-2026-0001", raw);
    tx.hints = Some(DisplayHints {
        to: Some(to),
        amount: Some("125500000".into()),
        token: Some(usdt),
        symbol: Some("USDT".into()),
        duplicate_of: None,
    });
    tx.fee = Some(FeeInputs {
        energy_estimate: 64_285,
        energy_price_sun: 100,
        recipient_holds_token: Some(true),
        bandwidth_bytes: Some(345),
        ..Default::default()
    });
    let txid = tx.txid;
    let req = SignRequest {
        permission: None,
        permission_before: None,
        network: Network::Mainnet,
        request_id: "batch-42-1".into(),
        created_at: 1_777_445_310_000,
        transactions: vec![tx],
    };
    println!("{}", serde_json::to_string_pretty(&req.to_json()).unwrap());
    let resp = SignResponse {
        request_id: "batch-42-1".into(),
        signed_at: 1_777_446_000_000,
        audit_head: None,
        policy: None,
        transactions: vec![ResponseTx {
            payout_id: "inv-2026-0001".into(),
            txid,
            signatures: vec![SignerSignature {
                signer: from,
                signature: Signature::sign_txid(&key, &txid).unwrap(),
            }],
        }],
    };
    println!("{}", serde_json::to_string_pretty(&resp.to_json()).unwrap());
    let watch = WatchExport {
        network: Network::Mainnet,
        approver_for: None,
        accounts: vec![WatchAccount {
            name: "treasury".into(),
            address: from,
            path: Some("m/44'/195'/0'/0/0".into()),
        }],
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&watch.to_json()).unwrap()
    );
}
