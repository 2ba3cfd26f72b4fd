//! Staking transactions (Stake 2.0, types 54–59) are refused unless the policy's `[staking]`
//! table allows them (the test policy has none): `sign` refuses them with one clear message
//! and a non-zero exit, whatever the input form; `inspect` describes them in plain words.

use crate::common;

use coldpay_shared::contract::{Contract, ContractKind};
use coldpay_shared::handoff::RequestTx;
use coldpay_shared::staking::{Resource, StakingContract};

const NOT_ALLOWED: &str = "staking transactions are not allowed by the policy ([staking] missing";
use coldpay_shared::{Address, Network, RawData, Sun};
use common::{now_ms, sign_request, stderr, stdout, Env, ALLOWED, HOUR, KAT_ADDR, REF};

fn staking_raw(c: StakingContract) -> RawData {
    RawData {
        ref_block: REF,
        expiration: now_ms() + HOUR,
        memo: Vec::new(),
        contract: Contract {
            kind: ContractKind::Staking(c),
            permission_id: 0,
        },
        timestamp: now_ms(),
        fee_limit: 0,
    }
}

fn all_six() -> Vec<StakingContract> {
    let owner = Address::parse(KAT_ADDR).unwrap();
    let receiver = Address::parse(ALLOWED).unwrap();
    let sun = Sun::new(10_000_000).unwrap();
    vec![
        StakingContract::Freeze {
            owner,
            amount: sun,
            resource: Resource::Energy,
        },
        StakingContract::Unfreeze {
            owner,
            amount: sun,
            resource: Resource::Energy,
        },
        StakingContract::WithdrawExpireUnfreeze { owner },
        StakingContract::Delegate {
            owner,
            resource: Resource::Energy,
            balance: sun,
            receiver,
            lock: true,
            lock_period: 28_800,
        },
        StakingContract::UnDelegate {
            owner,
            resource: Resource::Energy,
            balance: sun,
            receiver,
        },
        StakingContract::CancelAllUnfreeze { owner },
    ]
}

fn sign(env: &Env, input: &std::path::Path) -> std::process::Output {
    env.run(&[
        "sign",
        input.to_str().unwrap(),
        "-o",
        env.path("out.json").to_str().unwrap(),
        "--yes",
        "--passphrase-file",
        env.path("pass.txt").to_str().unwrap(),
    ])
}

#[test]
fn sign_refuses_every_staking_type_in_a_request_and_as_a_tronweb_object() {
    let env = Env::new();
    for (i, c) in all_six().into_iter().enumerate() {
        let name = c.type_name();
        let raw = staking_raw(c);
        let req = sign_request(
            Network::Mainnet,
            "req-1",
            vec![RequestTx::new(format!("s-{i}"), raw.clone())],
        );
        let tronweb = coldpay_shared::tronweb::to_tronweb_json(&raw, &[], true);
        for input in [
            env.write_request("req.json", &req),
            env.write("tw.json", &tronweb.to_string()),
        ] {
            let out = sign(&env, &input);
            let err = stderr(&out);
            assert!(!out.status.success(), "{name} was signed: {err}");
            assert!(err.contains(NOT_ALLOWED), "{name}: {err}");
            assert!(
                !env.path("out.json").exists(),
                "{name}: no response file is written"
            );
        }
    }
    assert!(env.ledger().is_empty(), "nothing was recorded as signed");
}

#[test]
fn the_signers_inspect_describes_staking_as_tx_decode_does() {
    // One transaction view (coldpay_shared::view) for the signer's `inspect` and the
    // broadcaster's `tx decode`: staking is described in plain words, never signed here.
    let env = Env::new();
    let raw = staking_raw(all_six().remove(3));
    let tronweb = coldpay_shared::tronweb::to_tronweb_json(&raw, &[], true);
    let input = env.write("tw.json", &tronweb.to_string());
    let out = env.run(&["inspect", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("#1 DelegateResourceContract"), "{text}");
    assert!(text.contains("receiver     T"), "{text}");
    assert!(text.contains("expires      "), "{text}");
    assert!(text.contains("ref block    "), "{text}");
    assert!(
        text.contains(&format!(
            "STAKING      delegate the energy of 10 TRX staked to {ALLOWED}"
        )),
        "{text}"
    );
    assert!(
        text.contains("lock         yes, for 28800 blocks"),
        "{text}"
    );
}
