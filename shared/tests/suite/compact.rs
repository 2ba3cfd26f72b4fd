//! Compact binary forms and UR framing: round trips, size targets, tamper detection, and
//! decoding by an independent UR implementation (Blockchain Commons' bc-ur).

use coldpay_shared::compact::{
    decode_request, decode_response, decode_watch, encode_request, encode_response, encode_watch,
};
use coldpay_shared::handoff::{
    DisplayHints, FeeInputs, RequestTx, ResponseTx, SignerSignature, WatchAccount, WatchExport,
};
use coldpay_shared::urframe::{encode_parts, UrCollector, UrKind};
use coldpay_shared::{
    Address, Network, RawData, RefBlock, SignRequest, SignResponse, Signature, Sun, TxId, U256,
};
use k256::ecdsa::SigningKey;

fn key() -> SigningKey {
    SigningKey::from_slice(&[5u8; 32]).unwrap()
}

fn recipient(i: u64) -> Address {
    let mut b = [0u8; 20];
    b[..8].copy_from_slice(&(i * 0x9e37_79b9 + 1).to_be_bytes());
    b[12..].copy_from_slice(&(i ^ 0xdead_beef).to_be_bytes());
    Address::from_evm_bytes(b)
}

/// A request shaped like the broadcaster's: USDT transfers with hints and fee inputs.
pub(crate) fn usdt_request(n: u64) -> SignRequest {
    let from = Address::from_public_key(key().verifying_key());
    let usdt = Address::parse(coldpay_shared::MAINNET_USDT).unwrap();
    let r = RefBlock {
        bytes: [0x26, 0x6b],
        hash: [1, 2, 3, 4, 5, 6, 7, 8],
    };
    let txs = (0..n)
        .map(|i| {
            let to = recipient(i);
            let amount = U256::from(1_000_000u64 * (i % 97 + 1) + i);
            let holds = i % 3 != 0;
            let raw = RawData::trc20_transfer(
                from,
                usdt,
                to,
                amount,
                15_634_200,
                r,
                1_777_466_907_000,
                1_777_445_307_000 + i,
            );
            let mut t = RequestTx::new(format!("pay-{i:04}"), raw);
            t.hints = Some(DisplayHints {
                to: Some(to),
                amount: Some(amount.to_string()),
                token: Some(usdt),
                symbol: Some("USDT".into()),
                duplicate_of: None,
            });
            t.fee = Some(FeeInputs {
                energy_estimate: if holds { 64_285 } else { 130_285 },
                energy_price_sun: 100,
                recipient_holds_token: Some(holds),
                bandwidth_bytes: Some(414),
                ..Default::default()
            });
            t
        })
        .collect();
    SignRequest {
        permission: None,
        permission_before: None,
        network: Network::Mainnet,
        request_id: "batch-2026-11-24".into(),
        created_at: 1_777_445_310_000,
        transactions: txs,
    }
}

fn respond(req: &SignRequest) -> SignResponse {
    let k = key();
    let signer = Address::from_public_key(k.verifying_key());
    SignResponse {
        request_id: req.request_id.clone(),
        signed_at: 1_777_446_000_000,
        audit_head: None,
        policy: None,
        transactions: req
            .transactions
            .iter()
            .map(|t| ResponseTx {
                payout_id: t.payout_id.clone(),
                txid: t.txid,
                signatures: vec![SignerSignature {
                    signer,
                    signature: Signature::sign_txid(&k, &t.txid).unwrap(),
                }],
            })
            .collect(),
    }
}

#[test]
fn request_round_trip_and_size_target() {
    for n in [1u64, 10, 100, 1000] {
        let req = usdt_request(n);
        let bytes = encode_request(&req).unwrap();
        assert_eq!(decode_request(&bytes).unwrap(), req, "n={n}");
        if n == 100 {
            let per = bytes.len() as f64 / n as f64;
            assert!(per <= 48.0, "100-payout request is {per} bytes per payout");
        }
    }
}

#[test]
fn response_round_trip_and_size_target() {
    let req = usdt_request(100);
    let resp = respond(&req);
    let bytes = encode_response(&resp).unwrap();
    assert!(bytes.len() as f64 / 100.0 <= 72.0, "{} bytes", bytes.len());
    let lookup = |prefix: &[u8]| -> Vec<(String, TxId)> {
        req.transactions
            .iter()
            .filter(|t| &t.txid.as_bytes()[..4] == prefix)
            .map(|t| (t.payout_id.clone(), t.txid))
            .collect()
    };
    assert_eq!(decode_response(&bytes, &lookup).unwrap(), resp);
    // A signature that does not match any built transaction is refused.
    let none = |_: &[u8]| Vec::new();
    assert!(decode_response(&bytes, &none)
        .unwrap_err()
        .to_string()
        .contains("no built transaction"));
}

#[test]
fn mixed_requests_round_trip() {
    let mut req = usdt_request(5);
    let from = req.transactions[0].raw.owner();
    // A TRX transfer with a memo, another expiration and reference block, no hints.
    let mut trx = RawData::trx_transfer(
        from,
        recipient(99),
        Sun::new(2_500_000).unwrap(),
        RefBlock {
            bytes: [9, 9],
            hash: [7; 8],
        },
        1_777_470_000_000,
        1_777_445_307_100,
    );
    trx.memo = b"invoice 77".to_vec();
    req.transactions.push(RequestTx::new("trx-1", trx));
    // A huge uint256 value and odd hints and fee inputs.
    let mut big = req.transactions[0].clone();
    if let coldpay_shared::contract::ContractKind::TriggerSmart(t) = &mut big.raw.contract.kind {
        t.data = coldpay_shared::abi::encode_transfer(&recipient(5), U256::MAX);
    }
    big.raw.fee_limit = 1;
    big.payout_id = "big".into();
    big.txid = big.raw.txid();
    big.hints = Some(DisplayHints {
        symbol: Some("X".into()),
        ..Default::default()
    });
    big.fee = Some(FeeInputs {
        energy_estimate: 1,
        energy_price_sun: 2,
        recipient_holds_token: None,
        bandwidth_bytes: None,
        ..Default::default()
    });
    req.transactions.push(big);
    let bytes = encode_request(&req).unwrap();
    assert_eq!(decode_request(&bytes).unwrap(), req);
}

#[test]
fn tampering_is_detected() {
    let req = usdt_request(10);
    let bytes = encode_request(&req).unwrap();
    // Flip each byte in turn: a mutation is refused, or it changed only fields outside the
    // signed bytes (ids, fee claims): the rebuilt transactions are exactly the expected ones.
    let ids: Vec<TxId> = req.transactions.iter().map(|t| t.txid).collect();
    for i in 0..bytes.len() {
        let mut m = bytes.clone();
        m[i] ^= 0x01;
        if let Ok(other) = decode_request(&m) {
            assert_ne!(other, req);
            assert_eq!(
                other
                    .transactions
                    .iter()
                    .map(|t| t.txid)
                    .collect::<Vec<_>>(),
                ids,
                "byte {i}"
            );
        }
    }
    // Changing a recipient or amount specifically breaks the txID digest.
    let mut req2 = req.clone();
    req2.transactions[3].raw = usdt_request(10).transactions[4].raw.clone();
    req2.transactions[3].txid = req2.transactions[3].raw.txid();
    let forged = encode_request(&req2).unwrap();
    let digest_pos = bytes
        .windows(32)
        .position(|w| {
            w == coldpay_shared::compact::txids_digest(req.transactions.iter().map(|t| &t.txid))
        })
        .unwrap();
    let mut swapped = forged.clone();
    swapped[digest_pos..digest_pos + 32].copy_from_slice(&bytes[digest_pos..digest_pos + 32]);
    assert!(decode_request(&swapped)
        .unwrap_err()
        .to_string()
        .contains("digest mismatch"));
}

#[test]
fn watch_round_trip() {
    let w = WatchExport {
        network: Network::Nile,
        approver_for: None,
        accounts: vec![
            WatchAccount {
                name: "treasury".into(),
                address: recipient(1),
                path: Some("m/44'/195'/0'/0/0".into()),
            },
            WatchAccount {
                name: "hot".into(),
                address: recipient(2),
                path: None,
            },
        ],
    };
    let b = encode_watch(&w);
    assert_eq!(decode_watch(&b).unwrap(), w);
    assert!(decode_watch(&b[..b.len() - 1]).is_err());
}

#[test]
fn watch_with_approver_for_round_trips_through_compact_and_ur() {
    let w = WatchExport {
        network: Network::Local,
        approver_for: Some(coldpay_shared::handoff::ApproverFor {
            account: recipient(9),
            permission: "payouts".into(),
        }),
        accounts: vec![WatchAccount {
            name: "approver-a".into(),
            address: recipient(4),
            path: Some("m/44'/195'/0'/0/0".into()),
        }],
    };
    let b = encode_watch(&w);
    assert_eq!(decode_watch(&b).unwrap(), w);
    // Over QR (UR parts) and back.
    let mut c = UrCollector::new();
    let parts = encode_parts(UrKind::Watch, &b, 30, 0).unwrap();
    assert!(parts.len() > 1, "a multi-part QR round");
    for p in &parts {
        c.receive(p).unwrap();
    }
    let (kind, bytes) = c.message().unwrap().expect("complete");
    assert_eq!(kind, UrKind::Watch);
    assert_eq!(decode_watch(&bytes).unwrap(), w);
    // An export without the key still decodes (old exports) and differs from one with it.
    let old = WatchExport {
        approver_for: None,
        ..w.clone()
    };
    assert_ne!(encode_watch(&old), b);
    assert_eq!(
        decode_watch(&encode_watch(&old)).unwrap().approver_for,
        None
    );
    // A hidden character in the permission name is refused.
    let mut bad = w.clone();
    bad.approver_for.as_mut().unwrap().permission = "pay\u{202e}outs".into();
    assert!(decode_watch(&encode_watch(&bad)).is_err());
}

#[test]
fn an_independent_ur_decoder_reassembles_every_message() {
    let req = usdt_request(100);
    let resp = respond(&req);
    let w = WatchExport {
        network: Network::Local,
        approver_for: None,
        accounts: vec![WatchAccount {
            name: "t".into(),
            address: recipient(3),
            path: None,
        }],
    };
    for (kind, payload) in [
        (UrKind::Request, encode_request(&req).unwrap()),
        (UrKind::Response, encode_response(&resp).unwrap()),
        (UrKind::Watch, encode_watch(&w)),
    ] {
        let parts = encode_parts(kind, &payload, 200, 5).unwrap();
        let ur = if parts.len() == 1 {
            bc_ur::UR::from_ur_string(parts[0].to_lowercase()).unwrap()
        } else {
            let mut d = bc_ur::MultipartDecoder::new();
            for p in &parts {
                d.receive(&p.to_lowercase()).unwrap();
                if d.is_complete() {
                    break;
                }
            }
            d.message().unwrap().unwrap()
        };
        assert_eq!(ur.ur_type_str(), kind.ur_type());
        // bc-ur parses the message as (deterministic) CBOR; re-serialising gives our bytes.
        assert_eq!(ur.cbor().to_cbor_data(), payload, "{kind:?}");
        // And our own collector agrees.
        let mut c = UrCollector::new();
        for p in &parts {
            c.receive(p).unwrap();
        }
        assert_eq!(c.message().unwrap(), Some((kind, payload)));
    }
}

#[test]
fn the_audit_head_rides_in_the_compact_response() {
    let req = usdt_request(3);
    let mut resp = respond(&req);
    let lookup = |prefix: &[u8]| -> Vec<(String, TxId)> {
        req.transactions
            .iter()
            .filter(|t| &t.txid.as_bytes()[..4] == prefix)
            .map(|t| (t.payout_id.clone(), t.txid))
            .collect()
    };
    let without = encode_response(&resp).unwrap();
    resp.audit_head = Some(coldpay_shared::AuditHead {
        log: "ab".repeat(32),
        seq: 42,
        hash: "cd".repeat(32),
    });
    let with = encode_response(&resp).unwrap();
    // Key, array header, log (2 + 32), seq (2), hash (2 + 32).
    assert_eq!(with.len(), without.len() + 1 + 1 + 34 + 2 + 34);
    assert_eq!(decode_response(&with, &lookup).unwrap(), resp);
    // Responses of older signers (no key 6) still decode, with no head.
    assert_eq!(decode_response(&without, &lookup).unwrap().audit_head, None);
    // A head whose hash is not 32 bytes is refused; so is one the encoder would not write.
    let short = {
        let i = with.len() - 32;
        let mut b = with[..i - 2].to_vec();
        b.extend_from_slice(&[0x58, 31]);
        b.extend_from_slice(&with[i..with.len() - 1]);
        b
    };
    assert!(decode_response(&short, &lookup)
        .unwrap_err()
        .to_string()
        .contains("audit head hash must be 32 bytes"));
    resp.audit_head.as_mut().unwrap().hash = "CD".repeat(32);
    assert!(encode_response(&resp).is_err());
}

#[test]
fn the_sealed_policy_rides_in_the_compact_response() {
    let req = usdt_request(2);
    let mut resp = respond(&req);
    let lookup = |prefix: &[u8]| -> Vec<(String, TxId)> {
        req.transactions
            .iter()
            .filter(|t| &t.txid.as_bytes()[..4] == prefix)
            .map(|t| (t.payout_id.clone(), t.txid))
            .collect()
    };
    let without = encode_response(&resp).unwrap();
    resp.policy = Some(coldpay_shared::handoff::SignerPolicy {
        seq: 4,
        digest: "ab".repeat(32),
    });
    let with = encode_response(&resp).unwrap();
    // Key, array header, seq, digest (2 + 32).
    assert_eq!(with.len(), without.len() + 1 + 1 + 1 + 34);
    assert_eq!(decode_response(&with, &lookup).unwrap(), resp);
    assert_eq!(decode_response(&without, &lookup).unwrap().policy, None);
    resp.policy.as_mut().unwrap().seq = 0;
    assert!(encode_response(&resp).is_err());
}

/// The cost figures of issue #24 (energy from stake, prices, covered bandwidth) ride in both
/// forms; a request without them (older broadcasters) still parses; the long compact fee form
/// without any cost entry is refused as non-canonical.
#[test]
fn stake_cost_fee_inputs_round_trip_and_old_requests_still_parse() {
    let mut req = usdt_request(3);
    for (i, t) in req.transactions.iter_mut().enumerate() {
        let f = t.fee.as_mut().unwrap();
        f.energy_from_stake = Some(40_000 * i as u64);
        f.bandwidth_covered = Some(i == 0);
        f.bandwidth_price_sun = Some(1000);
        f.memo_fee_sun = Some(1_000_000);
        f.other_fees_sun = Some(0);
    }
    let back = decode_request(&encode_request(&req).unwrap()).unwrap();
    assert_eq!(back, req);
    let json = serde_json::to_string(&req.to_json()).unwrap();
    assert!(json.contains("\"energy_from_stake\":40000"), "{json}");
    assert_eq!(
        SignRequest::from_json(&serde_json::from_str(&json).unwrap()).unwrap(),
        req
    );
    // An older request: none of the new keys, still parses, figures absent.
    let old = usdt_request(2);
    let old_json = serde_json::to_string(&old.to_json()).unwrap();
    assert!(!old_json.contains("energy_from_stake"));
    let parsed = SignRequest::from_json(&serde_json::from_str(&old_json).unwrap()).unwrap();
    assert_eq!(parsed.transactions[0].fee.unwrap().energy_from_stake, None);
    assert_eq!(decode_request(&encode_request(&old).unwrap()).unwrap(), old);
}
