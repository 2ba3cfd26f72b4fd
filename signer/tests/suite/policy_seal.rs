//! The four-eyes policy from the outside: a home's first sealing, `sign` enforcing only the
//! sealed policy, proposals approved by M of N admins (on an admin's own home, with a
//! coldpay-made or a TronWeb-made TIP-191 signature), and every refusal by name: files edited
//! by file access, approvals short of M, twice by one admin, by a non-admin, replayed from an
//! older sequence, an expired proposal, a sealed version rolled back or rewritten.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{admin_approval, policy, request, stderr, stdout, Env, PASS};
use k256::ecdsa::SigningKey;

/// Admin keys of the 2-of-3 test policy (public test keys; never fund them).
const A: [u8; 32] = [0xa1; 32];
const B: [u8; 32] = [0xb2; 32];
const C: [u8; 32] = [0xc3; 32];
const OUTSIDER: [u8; 32] = [0xd4; 32];

fn address(key: &[u8; 32]) -> String {
    let k = SigningKey::from_slice(key).unwrap();
    coldpay_shared::Address::from_public_key(k.verifying_key()).to_base58()
}

/// The default test policy with a 2-of-3 admin table.
fn two_of_three() -> String {
    format!(
        "{}\n[admins]\nthreshold = 2\nkeys = [\n  {{ address = \"{}\", label = \"alice\" }},\n  {{ address = \"{}\", label = \"bob\" }},\n  {{ address = \"{}\", label = \"carol\" }},\n]\n",
        policy(),
        address(&A),
        address(&B),
        address(&C)
    )
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

fn refused(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "expected {needle:?} in:\n{}",
        stderr(o)
    );
}

fn pass(env: &Env) -> String {
    env.path("pass.txt").to_str().unwrap().to_string()
}

/// A home (wallet `kat`) sealed with the 2-of-3 policy.
fn sealed_home() -> Env {
    let env = Env::setup_unsealed("mainnet", &two_of_three());
    let o = env.run(&["policy", "enroll", "--passphrase-file", &pass(&env)]);
    ok(&o);
    assert!(stderr(&o).contains("2 of 3 admin(s)"), "{}", stderr(&o));
    env
}

/// Signs a one-payout request of `units` base units; returns the output.
fn sign(env: &Env, id: &str, units: u64) -> Output {
    let _ = std::fs::remove_file(env.path("out.json"));
    let input = env.write_request("req.json", &request(&[(id, units)]));
    env.run(&[
        "sign",
        input.to_str().unwrap(),
        "--yes",
        "--passphrase-file",
        &pass(env),
        "-o",
        env.path("out.json").to_str().unwrap(),
    ])
}

/// `policy propose` of the sealed policy with the USDT per-transaction limit set to `limit`.
fn propose_limit(env: &Env, limit: &str, extra: &[&str]) -> PathBuf {
    let text = std::fs::read_to_string(env.home().join("policy.toml")).unwrap();
    // The first max_per_tx line is USDT's.
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.starts_with("max_per_tx = ") {
                done = true;
                format!("max_per_tx = \"{limit}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    let new = env.write("new.toml", &(lines.join("\n") + "\n"));
    let out = env.path(&format!("proposal-{limit}.json"));
    let mut args = vec![
        "policy",
        "propose",
        new.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    ok(&env.run(&args));
    out
}

fn approval(env: &Env, proposal: &Path, key: &[u8; 32], name: &str) -> String {
    env.write(name, &admin_approval(proposal, key))
        .to_str()
        .unwrap()
        .to_string()
}

fn apply(env: &Env, proposal: &Path, approvals: &[&str]) -> Output {
    let p = pass(env);
    let mut args = vec!["policy", "apply", proposal.to_str().unwrap()];
    args.extend(approvals);
    args.extend(["--passphrase-file", &p]);
    env.run(&args)
}

#[test]
fn an_unsealed_home_signs_nothing_and_names_the_upgrade() {
    let env = Env::setup_unsealed("mainnet", &policy());
    let o = sign(&env, "p-1", 1_000_000);
    refused(&o, "policy is not sealed");
    assert!(stderr(&o).contains("coldpay-signer policy enroll"));
    assert!(!env.path("out.json").exists());
    // `policy check` still reads the file, and says it is not sealed in `policy show`.
    let show = env.run(&["policy", "show"]);
    ok(&show);
    assert!(stdout(&show).contains("NOT SEALED"));
}

#[test]
fn sign_uses_only_the_sealed_policy_and_records_its_sequence() {
    let env = sealed_home();
    ok(&sign(&env, "p-1", 1_000_000));
    let resp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path("out.json")).unwrap()).unwrap();
    let audit = env.audit_text();
    let signed: serde_json::Value = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["verdict"] == "signed")
        .unwrap();
    assert_eq!(signed["policy_seq"], 1);
    let sealed_digest = common::sha256_hex(&std::fs::read(env.home().join("policy.toml")).unwrap());
    assert_eq!(signed["policy_digest"], sealed_digest.as_str());
    assert_eq!(resp["policy"]["seq"], 1, "{resp}");
    assert_eq!(resp["policy"]["digest"], sealed_digest.as_str(), "{resp}");

    // Raised by file access: policy.toml, or a --policy file, is refused unread.
    let toml = env.home().join("policy.toml");
    let original = std::fs::read_to_string(&toml).unwrap();
    let raised = original.replacen("\"50000\"", "\"90000\"", 1);
    std::fs::write(&toml, &raised).unwrap();
    refused(
        &sign(&env, "p-2", 1_000_000),
        "differs from the sealed policy seq 1",
    );
    std::fs::write(&toml, &original).unwrap();
    let other = env.write("raised.toml", &raised);
    let input = env.write_request("req.json", &request(&[("p-2", 1_000_000)]));
    let o = env.run(&[
        "sign",
        input.to_str().unwrap(),
        "--yes",
        "--passphrase-file",
        &pass(&env),
        "--policy",
        other.to_str().unwrap(),
    ]);
    refused(&o, "raised.toml differs from the sealed policy seq 1");
    assert!(
        stderr(&o).contains("2 of 3 admin(s) approvals"),
        "{}",
        stderr(&o)
    );
    // The identical file is accepted.
    let same = env.write("same.toml", &original);
    let o = env.run(&[
        "sign",
        input.to_str().unwrap(),
        "--yes",
        "--passphrase-file",
        &pass(&env),
        "--policy",
        same.to_str().unwrap(),
        "-o",
        env.path("out2.json").to_str().unwrap(),
    ]);
    ok(&o);

    // The sealed file itself rewritten (another admin list) fails its digest.
    let sealed = env.home().join("policy.d/000001.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sealed).unwrap()).unwrap();
    let text = v["policy"]
        .as_str()
        .unwrap()
        .replace(&address(&C), &address(&OUTSIDER));
    v["policy"] = text.clone().into();
    std::fs::write(&sealed, v.to_string()).unwrap();
    refused(&sign(&env, "p-3", 1_000_000), "does not match its digest");
    // … and with the digest recomputed, the records know another one.
    v["digest"] = common::sha256_hex(text.as_bytes()).into();
    std::fs::write(&sealed, v.to_string()).unwrap();
    std::fs::write(&toml, &text).unwrap();
    let o = sign(&env, "p-3", 1_000_000);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("names another policy set")
            || stderr(&o).contains("is not the one the records know"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn updates_need_m_distinct_admins_of_this_exact_proposal() {
    let env = sealed_home();
    let p2 = propose_limit(&env, "60000", &[]);
    let a = approval(&env, &p2, &A, "a.json");
    let a_again = approval(&env, &p2, &A, "a2.json");
    let outsider = approval(&env, &p2, &OUTSIDER, "x.json");
    refused(
        &apply(&env, &p2, &[&a]),
        "1 admin approval(s) of the 2 needed",
    );
    refused(&apply(&env, &p2, &[&a, &a_again]), "approved twice");
    refused(
        &apply(&env, &p2, &[&a, &outsider]),
        "is not an admin of the sealed policy",
    );
    // Nothing changed: 55 000 USDT is still over the sealed limit.
    refused(
        &sign(&env, "big-1", 55_000_000_000),
        "over the per-transaction limit",
    );
    let c = approval(&env, &p2, &C, "c.json");
    let o = apply(&env, &p2, &[&a, &c]);
    ok(&o);
    assert!(stderr(&o).contains("Sealed policy seq 2"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("USDT max_per_tx: 50000 USDT → 60000 USDT (RAISED)"),
        "{}",
        stderr(&o)
    );
    ok(&sign(&env, "big-1", 55_000_000_000));
    // The same proposal again: already applied.
    refused(&apply(&env, &p2, &[&a, &c]), "already seq 2");

    // Seq 3: approvals of seq 2 replayed are refused: a bare {address, signature} by what
    // its signature covers, one stating its sequence by that.
    let p3 = propose_limit(&env, "70000", &[]);
    refused(
        &apply(&env, &p3, &[&a, &c]),
        "made for another proposal, an older sequence or another expiry",
    );
    let mut stamped: serde_json::Value = serde_json::from_str(&admin_approval(&p2, &A)).unwrap();
    stamped["seq"] = 2.into();
    let old = env.write("old.json", &stamped.to_string());
    let b3 = approval(&env, &p3, &B, "b3.json");
    refused(
        &apply(&env, &p3, &[old.to_str().unwrap(), &b3]),
        "it approves sequence 2, this proposal is sequence 3 (an approval replayed from another update)",
    );

    // An expired proposal is refused, even with good approvals.
    let p4 = propose_limit(&env, "80000", &["--expires-in", "1h"]);
    let (a4, b4) = (
        approval(&env, &p4, &A, "a4.json"),
        approval(&env, &p4, &B, "b4.json"),
    );
    let later = (common::now_ms() + 2 * 3_600_000).to_string();
    let mut args = vec!["policy", "apply", p4.to_str().unwrap(), &a4, &b4];
    let pf = pass(&env);
    args.extend(["--passphrase-file", &pf]);
    let o = env.run_stdin(&args, "", &[("COLDPAY_SIGNER_TEST_NOW_MS", &later)]);
    refused(&o, "the proposal expired at");
    // Refusals are in the audit log.
    assert!(env.audit_text().contains("\"event\":\"policy-apply\""));
}

#[test]
fn a_rolled_back_sealed_version_is_refused() {
    let env = sealed_home();
    let p2 = propose_limit(&env, "60000", &[]);
    let (a, b) = (
        approval(&env, &p2, &A, "a.json"),
        approval(&env, &p2, &B, "b.json"),
    );
    ok(&apply(&env, &p2, &[&a, &b]));
    ok(&sign(&env, "p-1", 1_000_000));
    // Seq 2 removed, policy.toml put back as seq 1: everything in policy.d checks out alone.
    let seq1: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.home().join("policy.d/000001.json")).unwrap())
            .unwrap();
    std::fs::remove_file(env.home().join("policy.d/000002.json")).unwrap();
    std::fs::write(
        env.home().join("policy.toml"),
        seq1["policy"].as_str().unwrap(),
    )
    .unwrap();
    let o = sign(&env, "p-2", 1_000_000);
    refused(&o, "sealed policy rolled back: policy.d holds seq 1");
    assert!(!env.path("out.json").exists(), "nothing signed");
}

#[test]
fn an_admin_approves_on_its_own_home_after_typing_the_confirmation() {
    let env = sealed_home();
    // Bob's home: the same policy sealed, bob's admin key in its keystore.
    let bob = Env::setup_unsealed("mainnet", &two_of_three());
    let o = bob.run_stdin(
        &[
            "keys",
            "import-private",
            "--name",
            "bob",
            "--kdf-iterations",
            "600000",
            "--passphrase-file",
            &pass(&bob),
        ],
        &format!("{}\n", hex::encode(B)),
        &[],
    );
    ok(&o);
    ok(&bob.run(&[
        "policy",
        "enroll",
        "--key",
        "kat",
        "--passphrase-file",
        &pass(&bob),
    ]));
    let p2 = propose_limit(&env, "60000", &[]);
    let out = bob.path("bob-approval.json");
    let args = [
        "policy",
        "approve",
        p2.to_str().unwrap(),
        "--key",
        "bob",
        "--passphrase-file",
        &pass(&bob),
        "-o",
        out.to_str().unwrap(),
    ];
    // A wrong confirmation approves nothing.
    let o = bob.run_stdin(&args, "yes\n", &[]);
    refused(&o, "confirmation not typed as asked");
    assert!(!out.exists());
    let o = bob.run_stdin(&args, "approve 2\n", &[]);
    ok(&o);
    let shown = stderr(&o);
    assert!(
        shown.contains("USDT max_per_tx: 50000 USDT → 60000 USDT (RAISED)"),
        "{shown}"
    );
    assert!(shown.contains("bob"), "{shown}");
    // A wallet holding no admin key cannot approve.
    let o = bob.run_stdin(
        &[
            "policy",
            "approve",
            p2.to_str().unwrap(),
            "--key",
            "kat",
            "--passphrase-file",
            &pass(&bob),
        ],
        "approve 2\n",
        &[],
    );
    refused(&o, "holds no admin key of this policy");
    // The same proposal carried as QR codes (`--qr-png`) is read from the images.
    let qr = env.path("qr-proposal");
    let text = std::fs::read_to_string(env.home().join("policy.toml")).unwrap();
    let new = env.write(
        "same-change.toml",
        &text.replacen("max_per_tx = \"50000\"", "max_per_tx = \"60000\"", 1),
    );
    ok(&env.run(&[
        "policy",
        "propose",
        new.to_str().unwrap(),
        "--qr-png",
        qr.to_str().unwrap(),
    ]));
    let mut pngs: Vec<String> = std::fs::read_dir(&qr)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    pngs.sort();
    let mut args = vec!["policy", "approve", "--key", "bob", "--passphrase-file"];
    let bp = pass(&bob);
    args.push(&bp);
    args.push("--qr-image");
    args.extend(pngs.iter().map(String::as_str));
    let via_qr = bob.run_stdin(&args, "approve 2\n", &[]);
    ok(&via_qr);
    let a_qr: serde_json::Value = serde_json::from_slice(&via_qr.stdout).unwrap();
    assert_eq!(a_qr["seq"], 2, "{a_qr}");
    // Bob's approval and alice's (made elsewhere) seal seq 2 on both homes.
    let a = approval(&env, &p2, &A, "a.json");
    let b = out.to_str().unwrap();
    ok(&apply(&env, &p2, &[&a, b]));
    let bp = pass(&bob);
    ok(&bob.run(&[
        "policy",
        "apply",
        p2.to_str().unwrap(),
        &a,
        b,
        "--key",
        "kat",
        "--passphrase-file",
        &bp,
    ]));
    for home in [&env, &bob] {
        let show = home.run(&["policy", "show", "--json"]);
        ok(&show);
        let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
        assert_eq!(v["sealed"]["seq"], 2, "{v}");
    }
    let _ = PASS;
}

#[test]
fn allowlist_helpers_propose_from_the_sealed_policy() {
    let env = sealed_home();
    let added = env.path("add.json");
    let new_addr = "TRQ6uh6ejev3P2gUT2KULA21wQoCrLAscT";
    let o = env.run(&[
        "policy",
        "allow",
        "add",
        new_addr,
        "--label",
        "payroll",
        "-o",
        added.to_str().unwrap(),
    ]);
    ok(&o);
    assert!(
        stderr(&o).contains(&format!("destination added: {new_addr} \"payroll\"")),
        "{}",
        stderr(&o)
    );
    let csv = env.write(
        "payouts.csv",
        &format!(
            "payout_id,to,amount\nd1,{new_addr},1\nd2,{},2\n",
            common::ALLOWED
        ),
    );
    let imported = env.path("import.json");
    let o = env.run(&[
        "policy",
        "allow",
        "import",
        csv.to_str().unwrap(),
        "-o",
        imported.to_str().unwrap(),
    ]);
    ok(&o);
    assert!(
        stderr(&o).contains(&format!("destination added: {new_addr} \"payout d1\"")),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains(&format!("destination added: {}", common::ALLOWED)));
    let removed = env.path("remove.json");
    let o = env.run(&[
        "policy",
        "allow",
        "remove",
        common::ALLOWED,
        "-o",
        removed.to_str().unwrap(),
    ]);
    ok(&o);
    assert!(
        stderr(&o).contains("destination removed:"),
        "{}",
        stderr(&o)
    );
    refused(
        &env.run(&["policy", "allow", "remove", new_addr]),
        "is not on the allowlist",
    );
}

/// TronWeb (when installed for `make bench`, or at COLDPAY_TRONWEB_NODE_PATH) signs a
/// coldpay proposal's message with `signMessageV2` and `policy apply` accepts it; TronWeb's
/// `verifyMessageV2` accepts coldpay's approval. Skipped with the reason when not installed.
#[test]
fn tronweb_approvals_are_accepted_and_coldpays_verify_in_tronweb() {
    let Some(node_path) = tronweb_node_path() else {
        eprintln!(
            "SKIPPED: node and tronweb not installed (scripts/sdk-bench/setup.sh installs them)"
        );
        return;
    };
    let env = sealed_home();
    let p2 = propose_limit(&env, "60000", &[]);
    let proposal: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p2).unwrap()).unwrap();
    let message = coldpay_signer::policy_update::Proposal::parse(
        &proposal.to_string(),
        coldpay_shared::Network::Mainnet,
    )
    .unwrap()
    .message();
    let script = r#"
const {TronWeb} = require("tronweb");
const [msg, key, coldpaySig] = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tw = new TronWeb({fullHost: "http://127.0.0.1:9"});
const sig = tw.trx.signMessageV2(msg, key);
tw.trx.verifyMessageV2(msg, coldpaySig).then(a => console.log(JSON.stringify({sig, coldpay_signer: a})));
"#;
    let coldpay_sig: serde_json::Value = serde_json::from_str(&admin_approval(&p2, &B)).unwrap();
    let input = serde_json::json!([message, hex::encode(A), coldpay_sig["signature"]]).to_string();
    let mut child = std::process::Command::new("node")
        .arg("-e")
        .arg(script)
        .env("NODE_PATH", &node_path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["coldpay_signer"],
        address(&B).as_str(),
        "TronWeb verifies coldpay's approval"
    );
    let tw = env.write(
        "tronweb-approval.json",
        &serde_json::json!({"address": address(&A), "signature": v["sig"]}).to_string(),
    );
    let b = approval(&env, &p2, &B, "b.json");
    let o = apply(&env, &p2, &[tw.to_str().unwrap(), &b]);
    ok(&o);
    assert!(stderr(&o).contains(&address(&A)), "{}", stderr(&o));
}

/// NODE_PATH holding tronweb: COLDPAY_TRONWEB_NODE_PATH, else the sdk-bench install of this
/// checkout or of the main checkout beside it; None when node or tronweb is missing.
fn tronweb_node_path() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let candidates = [
        std::env::var("COLDPAY_TRONWEB_NODE_PATH")
            .ok()
            .map(PathBuf::from),
        Some(root.join("scripts/sdk-bench/.deps/node/node_modules")),
        Some(
            root.parent()
                .unwrap()
                .join("main/scripts/sdk-bench/.deps/node/node_modules"),
        ),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("tronweb").is_dir())?;
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()?;
    node.status.success().then(|| found.display().to_string())
}

/// `policy check` reads the request from a scanner's UR lines, as `sign` does, and judges it
/// under the sealed policy without signing.
#[test]
fn policy_check_reads_ur_input() {
    let env = sealed_home();
    let req = request(&[("p-ur", 1_000_000), ("p-big", 55_000_000_000)]);
    let json = serde_json::to_string(&req.to_json()).unwrap();
    let parts = coldpay_shared::urframe::encode_parts(
        coldpay_shared::urframe::UrKind::RequestJson,
        &coldpay_shared::urframe::request_json_payload(&json),
        200,
        0,
    )
    .unwrap();
    let o = env.run_stdin(
        &["policy", "check", "--ur", "--json"],
        &(parts.join("\n") + "\n"),
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["transactions"][0]["verdict"], "allowed", "{v}");
    assert_eq!(v["transactions"][1]["verdict"], "refused", "{v}");
    assert!(env.ledger().is_empty(), "nothing signed");
}
