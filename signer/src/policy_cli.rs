//! The four-eyes policy commands: `policy enroll` (the first sealing), `policy propose` and
//! its helpers (`policy allow add|remove|import`), `policy approve` on an admin's home, and
//! `policy apply` on every home that shares the policy. See [`crate::sealed`] for what binds
//! the sealed policy, and [`crate::policy_update`] for the proposal and approval formats.

use std::path::{Path, PathBuf};

use coldpay_shared::Address;
use serde_json::json;

use crate::audit;
use crate::clock::now_ms;
use crate::error::{Result, SignerError};
use crate::fsutil::write_atomic;
use crate::home::Home;
use crate::keystore::Keystore;
use crate::passphrase::PassSource;
use crate::policy::{Admins, Policy};
use crate::policy_update::{self, digest_hex, set_of, Approval, Proposal, APPROVAL_TYPE};
use crate::records_key::RecordsKey;
use crate::sealed::{self, Sealed, SealedFile, SEALED_FORMAT};
use crate::unlock::Unlocker;
use coldpay_shared::urframe::UrKind;

/// The wallet to unlock and where its passphrase comes from.
pub struct Unlock {
    /// `--key NAME` (needed when the home holds several wallets).
    pub key: Option<String>,
    /// Passphrase source.
    pub pass: PassSource,
}

/// The wallet `--key` names, else the home's only one.
fn pick_wallet(keystores: &[Keystore], key: Option<&str>) -> Result<usize> {
    match key {
        Some(name) => keystores
            .iter()
            .position(|k| k.header.name == name)
            .ok_or_else(|| SignerError::Usage(format!("no wallet named {name:?}"))),
        None if keystores.len() == 1 => Ok(0),
        None if keystores.is_empty() => Err(SignerError::Usage(
            "this home holds no wallet: create one with `coldpay-signer keys new --name NAME` first"
                .into(),
        )),
        None => Err(SignerError::Usage(
            "this home holds several wallets: pass --key NAME to choose the one to unlock".into(),
        )),
    }
}

/// Unlocks wallet `ki` and opens the home's records key (upgrading a home whose records
/// are not authenticated yet, as the first signing would).
fn records_key(
    home: &Home,
    keystores: &[Keystore],
    ki: usize,
    unlocker: &mut Unlocker,
) -> Result<RecordsKey> {
    crate::records::check_before_recording(home)?;
    unlocker.unlock(keystores, &[ki], &mut |_, _| Ok(()))?;
    crate::records::open_records_key(home, keystores, &unlocker.opened())
}

/// Appends an authenticated `policy-seal` line stating `file`'s sequence and digest, with
/// the ledger head the last authenticated line states (the ledger is checked first).
fn record_seal(
    home: &Home,
    key: &RecordsKey,
    file: &SealedFile,
    extra: serde_json::Value,
) -> Result<u64> {
    let (_, head) = audit::last_authenticated(&home.audit_path(), key)?;
    let mut line = json!({
        "event": "policy-seal", "verdict": "sealed", "time": now_ms(),
        "network": home.network.as_str(), "policy_seq": file.seq, "policy_digest": file.digest,
        "policy_set": file.set, "previous_digest": file.previous_digest,
    });
    if let (Some(o), serde_json::Value::Object(e)) = (line.as_object_mut(), extra) {
        o.extend(e);
    }
    Ok(audit::append_authenticated(&home.audit_path(), line, key, &head)?.seq)
}

/// `--admin ADDRESS:LABEL` values and `--threshold M` as an admin set.
fn admins_of(flags: &[String], threshold: Option<u8>) -> Result<Admins> {
    let mut keys = Vec::new();
    for f in flags {
        let (a, l) = f.split_once(':').unwrap_or((f.as_str(), ""));
        let addr = Address::parse(a)
            .map_err(|e| SignerError::Usage(format!("--admin {a}: {}", e.redacted())))?;
        let label = if l.is_empty() {
            format!("admin {}", keys.len() + 1)
        } else {
            l.to_string()
        };
        keys.push((addr, label));
    }
    let threshold = threshold.ok_or_else(|| {
        SignerError::Usage(
            "--threshold M is needed with --admin (M of the N admins approve each change)".into(),
        )
    })?;
    Ok(Admins { threshold, keys })
}

/// `policy enroll`: the first sealing of a home's policy (sequence 1), with a wallet
/// unlocked; the admins come from `--admin`/`--threshold` or the policy's own `[admins]`.
pub fn enroll(
    home: &Home,
    admin_flags: &[String],
    threshold: Option<u8>,
    unlock: &Unlock,
) -> Result<()> {
    let _lock = home.lock()?;
    if let Some(s) = sealed::current(home)? {
        return Err(SignerError::Refused(format!(
            "this home's policy is already sealed (seq {}, {}): changes need the admins' approvals (`policy propose`, `policy approve`, `policy apply`)",
            s.file.seq,
            s.admins().describe()
        )));
    }
    if sealed::dir(home).exists()
        && std::fs::read_dir(sealed::dir(home)).is_ok_and(|mut d| d.next().is_some())
    {
        return Err(SignerError::Refused(
            "policy.d is not empty but holds no readable sealed policy: refusing to enroll over it"
                .into(),
        ));
    }
    let path = home.policy_path();
    let mut text = std::fs::read_to_string(&path).map_err(|e| SignerError::io(&path, e))?;
    match (
        crate::policy_edit::has_admins(&text)?,
        admin_flags.is_empty(),
    ) {
        (true, true) => {}
        (true, false) => {
            return Err(SignerError::Usage(format!(
                "{} already has an [admins] table: drop --admin/--threshold, or remove the table",
                path.display()
            )))
        }
        (false, true) => {
            return Err(SignerError::Usage(
                "name the admins: --admin ADDRESS:LABEL (repeat per admin) --threshold M".into(),
            ))
        }
        (false, false) => {
            let admins = admins_of(admin_flags, threshold)?;
            text = crate::policy_edit::with_admins(&text, &admins)?;
        }
    }
    let policy = Policy::parse(text.as_bytes(), home.network)
        .map_err(|e| SignerError::Usage(format!("{}: {e}", path.display())))?;
    let admins = policy.admins.clone().expect("checked above");
    let keystores = home.keystores()?;
    let ki = pick_wallet(&keystores, unlock.key.as_deref())?;
    let mut unlocker = Unlocker::new(unlock.pass.clone());
    let key = records_key(home, &keystores, ki, &mut unlocker)?;
    let digest = digest_hex(&text);
    let file = SealedFile {
        format: SEALED_FORMAT.into(),
        network: home.network,
        set: set_of(&digest),
        seq: 1,
        digest,
        previous_digest: None,
        expires: None,
        policy: text,
        approvals: vec![],
        sealed_at: now_ms(),
    };
    let admin_list: Vec<String> = admins.keys.iter().map(|(a, _)| a.to_base58()).collect();
    let line = record_seal(
        home,
        &key,
        &file,
        json!({
            "how": "enrolled", "wallet": keystores[ki].header.name,
            "admins": admin_list, "threshold": admins.threshold,
        }),
    )?;
    sealed::write(home, &file)?;
    eprintln!(
        "Sealed this home's policy as seq 1 (sha256 {}), policy set {}; recorded in audit line {line}.",
        file.digest, file.set
    );
    eprintln!("Admins: {}", admins.describe());
    for (a, l) in &admins.keys {
        eprintln!("  {a}  {l}");
    }
    if admins.threshold == 1 {
        eprintln!("WARNING: 1-of-{} — ONE ADMIN ALONE CAN CHANGE WHAT THIS SIGNER SIGNS. Use M ≥ 2 for four-eyes control.", admins.keys.len());
    }
    eprintln!("From now on `sign` enforces only this sealed policy; policy.toml is a read-only copy. Changes: `coldpay-signer policy propose NEW.toml`.");
    Ok(())
}

/// Where a proposal, approval or other output goes: a file (atomically, never inside the
/// home) or stdout.
fn emit(home: &Home, output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(p) => {
            home.refuse_inside(p, "-o")?;
            write_atomic(p, text.as_bytes(), 0o600)
        }
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// Where `policy approve` reads the proposal: a file, or QR images / UR lines.
pub enum ProposalSource {
    /// A proposal file (or `-`).
    File(PathBuf),
    /// `--qr-image` / `--ur` (UR type `coldpay-policy-proposal`).
    Qr(crate::qrio::QrInArgs),
}

impl ProposalSource {
    fn name(&self) -> String {
        match self {
            ProposalSource::File(p) => p.display().to_string(),
            ProposalSource::Qr(_) => "QR input".into(),
        }
    }

    fn text(&self) -> Result<String> {
        match self {
            ProposalSource::File(p) => crate::sign::read_input(&p.display().to_string()),
            ProposalSource::Qr(q) => {
                let d = q.read_message(&[UrKind::PolicyProposal])?;
                match coldpay_shared::cbor::Cbor::decode(&d.payload)? {
                    coldpay_shared::cbor::Cbor::Text(t) => {
                        eprintln!("{}", d.summary("policy-update proposal", q.source_noun()));
                        Ok(t)
                    }
                    _ => Err(SignerError::Usage(
                        "the coldpay-policy-proposal QR codes must carry one CBOR text string"
                            .into(),
                    )),
                }
            }
        }
    }
}

/// `policy propose NEW.toml` and the allowlist helpers: a proposal of `new_text` as the
/// successor of the sealed policy, expiring `expires_in_ms` from now; written to `output`
/// (or stdout) and, with `qr_out`, shown as QR codes.
pub fn propose(
    home: &Home,
    new_text: String,
    expires_in_ms: u64,
    output: Option<&Path>,
    qr_out: &crate::qrio::QrOutArgs,
) -> Result<()> {
    let sealed = sealed::require(home)?;
    // Parsed first: its errors name the place (line, column), never the value.
    Policy::parse(new_text.as_bytes(), home.network)?;
    let text = if crate::policy_edit::has_admins(&new_text)? {
        new_text
    } else {
        crate::policy_edit::with_admins(&new_text, sealed.admins())?
    };
    let new = Policy::parse(text.as_bytes(), home.network)?;
    let digest = digest_hex(&text);
    if digest == sealed.file.digest {
        return Err(SignerError::Usage(format!(
            "the proposed policy is the sealed policy seq {} itself: nothing to change",
            sealed.file.seq
        )));
    }
    let diff = crate::policy_diff::diff(&sealed.policy, &new);
    let expires = (now_ms() + expires_in_ms) / 1000 * 1000;
    let p = Proposal {
        kind: policy_update::PROPOSAL_TYPE.into(),
        version: 1,
        network: home.network,
        set: sealed.file.set.clone(),
        seq: sealed.file.seq + 1,
        previous_digest: sealed.file.digest.clone(),
        digest,
        expires,
        policy: text,
        diff: diff.clone(),
    };
    let json = serde_json::to_string_pretty(&p).expect("serialisable");
    if qr_out.any() {
        let payload = coldpay_shared::cbor::Cbor::Text(json.clone()).encode();
        let n = qr_out.emit(UrKind::PolicyProposal, &payload)?;
        if let Some(line) = qr_out.shown("proposal", n) {
            eprintln!("{line}");
        }
    }
    if output.is_some() || !qr_out.any() {
        emit(home, output, &json)?;
    }
    eprintln!(
        "Policy update proposal: seq {} → {} (policy set {})",
        sealed.file.seq, p.seq, p.set
    );
    show_diff(&diff);
    eprintln!("Expires {}.", coldpay_shared::timefmt::utc(expires));
    eprintln!(
        "Needs {} approvals: on each admin's home `coldpay-signer policy approve FILE --key NAME`, or a TRON wallet's signMessageV2 of this text:\n{}",
        sealed.admins().describe(),
        p.message()
    );
    Ok(())
}

fn show_diff(diff: &[String]) {
    if diff.is_empty() {
        eprintln!("  (no change in meaning: only comments or layout differ)");
    }
    for l in diff {
        eprintln!("  {l}");
    }
}

/// `policy allow add|remove|import`: the sealed policy's text edited, then proposed.
pub fn propose_edit(
    home: &Home,
    edit: &dyn Fn(&str, &Policy) -> Result<String>,
    expires_in_ms: u64,
    output: Option<&Path>,
    qr_out: &crate::qrio::QrOutArgs,
) -> Result<()> {
    let sealed = sealed::require(home)?;
    let text = edit(&sealed.file.policy, &sealed.policy)?;
    propose(home, text, expires_in_ms, output, qr_out)
}

/// Reads and checks a proposal as the successor of `sealed`, unexpired at `now`.
fn read_successor(
    home: &Home,
    source: &ProposalSource,
    sealed: &Sealed,
    now: u64,
) -> Result<Proposal> {
    let text = source.text()?;
    let p = Proposal::parse(&text, home.network).map_err(|e| prefix(&source.name(), e))?;
    check_successor(&p, sealed, now)?;
    Ok(p)
}

fn prefix(name: &str, e: SignerError) -> SignerError {
    match e {
        SignerError::Usage(m) => SignerError::Usage(format!("{name}: {m}")),
        SignerError::Refused(m) => SignerError::Refused(format!("{name}: {m}")),
        other => other,
    }
}

/// The named refusals of a proposal that is not the next step from `sealed`.
pub fn check_successor(p: &Proposal, sealed: &Sealed, now: u64) -> Result<()> {
    let f = &sealed.file;
    let refuse = |m: String| Err(SignerError::Refused(m));
    if p.set != f.set {
        return refuse(format!(
            "the proposal is for policy set {}, this home's is {}",
            p.set, f.set
        ));
    }
    if p.seq <= f.seq {
        return refuse(format!(
            "the proposal is seq {}, but this home's sealed policy is already seq {}: an old proposal (replayed or already applied)",
            p.seq, f.seq
        ));
    }
    if p.seq > f.seq + 1 || p.previous_digest != f.digest {
        return refuse(format!(
            "the proposal (seq {}) replaces sha256 {}, but this home's sealed policy is seq {} sha256 {}: it was proposed from another version",
            p.seq, p.previous_digest, f.seq, f.digest
        ));
    }
    if now > p.expires {
        return refuse(format!(
            "the proposal expired at {} ({} ago): propose it again",
            coldpay_shared::timefmt::utc(p.expires),
            coldpay_shared::timefmt::human_duration(now - p.expires)
        ));
    }
    Ok(())
}

/// `policy approve REQUEST`: shows what changes (against this home's own sealed policy),
/// asks for a typed confirmation, and signs the proposal's message with the wallet's admin
/// key (TIP-191).
pub fn approve(
    home: &Home,
    request: &ProposalSource,
    unlock: &Unlock,
    output: Option<&Path>,
) -> Result<()> {
    let sealed = sealed::require(home)?;
    let p = read_successor(home, request, &sealed, now_ms())?;
    let keystores = home.keystores()?;
    let ki = pick_wallet(&keystores, unlock.key.as_deref())?;
    let admins = sealed.admins();
    let account = keystores[ki]
        .header
        .accounts
        .iter()
        .find(|a| admins.label_of(&a.address).is_some())
        .cloned()
        .ok_or_else(|| SignerError::Refused(format!(
            "wallet {} holds no admin key of this policy (admins: {}); approve on the home holding one, or sign the message with that admin's TRON wallet",
            keystores[ki].header.name,
            admins.keys.iter().map(|(a, l)| format!("{a} {l}")).collect::<Vec<_>>().join(", ")
        )))?;
    let new = Policy::parse(p.policy.as_bytes(), home.network)?;
    eprintln!(
        "POLICY UPDATE for policy set {} on {}: seq {} → {}",
        p.set, home.network, sealed.file.seq, p.seq
    );
    show_diff(&crate::policy_diff::diff(&sealed.policy, &new));
    eprintln!("New policy sha256 {}", p.digest);
    eprintln!(
        "Expires {}",
        coldpay_shared::timefmt::utc_from_now(p.expires, now_ms())
    );
    eprintln!(
        "Approving as admin {} ({}), {} needed.",
        account.address,
        admins.label_of(&account.address).unwrap_or(""),
        admins.describe()
    );
    let want = format!("approve {}", p.seq);
    eprint!("Type \"{want}\" to approve: ");
    let typed = crate::sign::approve::read_confirmation(
        "no confirmation typed (end of input); nothing approved",
    )?;
    if typed.split_whitespace().collect::<Vec<_>>().join(" ") != want {
        audit::append(
            &home.audit_path(),
            json!({
                "event": "policy-approve", "verdict": "refused", "time": now_ms(), "policy_seq": p.seq,
                "policy_digest": p.digest, "reason": "confirmation not typed",
            }),
        )?;
        return Err(SignerError::Refused(
            "confirmation not typed as asked: nothing approved".into(),
        ));
    }
    let mut unlocker = Unlocker::new(unlock.pass.clone());
    let secrets = unlocker.unlock(&keystores, &[ki], &mut |_, _| Ok(()))?;
    let secret = secrets.get(&ki).expect("unlocked");
    let key = crate::wallet::account_key(keystores[ki].header.kind, secret, account.index)?;
    if crate::wallet::account_entry(keystores[ki].header.kind, &key, account.index).address
        != account.address
    {
        return Err(SignerError::Other(
            "the wallet's key does not derive the listed admin address".into(),
        ));
    }
    let approval = Approval {
        kind: Some(APPROVAL_TYPE.into()),
        address: account.address.to_base58(),
        signature: crate::tip191::sign(&key, p.message().as_bytes())?,
        seq: Some(p.seq),
        digest: Some(p.digest.clone()),
    };
    drop(key);
    emit(
        home,
        output,
        &serde_json::to_string_pretty(&approval).expect("serialisable"),
    )?;
    audit::append(
        &home.audit_path(),
        json!({
            "event": "policy-approve", "verdict": "approved", "time": now_ms(), "policy_seq": p.seq,
            "policy_digest": p.digest, "policy_set": p.set, "admin": approval.address,
        }),
    )?;
    eprintln!("Approved seq {} as {}.", p.seq, approval.address);
    Ok(())
}

/// `policy apply REQUEST APPROVAL…`: M distinct admins' approvals of exactly this proposal
/// are verified, then it is sealed (recorded first in an authenticated audit line). A
/// refusal is written to the audit log too.
pub fn apply(
    home: &Home,
    request: &Path,
    approval_files: &[PathBuf],
    unlock: &Unlock,
) -> Result<()> {
    let _lock = home.lock()?;
    let result = apply_locked(home, request, approval_files, unlock);
    if let Err(e) = &result {
        audit::append(
            &home.audit_path(),
            json!({
                "event": "policy-apply", "verdict": "refused", "time": now_ms(),
                "request": request.display().to_string(), "reason": e.to_string(),
            }),
        )?;
    }
    result
}

fn apply_locked(
    home: &Home,
    request: &Path,
    approval_files: &[PathBuf],
    unlock: &Unlock,
) -> Result<()> {
    let sealed = sealed::require(home)?;
    let p = read_successor(
        home,
        &ProposalSource::File(request.to_path_buf()),
        &sealed,
        now_ms(),
    )?;
    let mut approvals = Vec::new();
    for f in approval_files {
        let name = f.display().to_string();
        approvals.extend(policy_update::parse_approvals(
            &name,
            &crate::sign::read_input(&name)?,
        )?);
    }
    let by = policy_update::verify_approvals(&p, &approvals, sealed.admins())?;
    let keystores = home.keystores()?;
    let ki = pick_wallet(&keystores, unlock.key.as_deref())?;
    let mut unlocker = Unlocker::new(unlock.pass.clone());
    let key = records_key(home, &keystores, ki, &mut unlocker)?;
    // Re-read after the (slow) unlock: the clock may have passed the expiry.
    check_successor(&p, &sealed, now_ms())?;
    let new = Policy::parse(p.policy.as_bytes(), home.network)?;
    let file = SealedFile {
        format: SEALED_FORMAT.into(),
        network: home.network,
        set: p.set.clone(),
        seq: p.seq,
        digest: p.digest.clone(),
        previous_digest: Some(p.previous_digest.clone()),
        expires: Some(p.expires),
        policy: p.policy.clone(),
        approvals,
        sealed_at: now_ms(),
    };
    let approved_by: Vec<String> = by.iter().map(Address::to_base58).collect();
    let line = record_seal(
        home,
        &key,
        &file,
        json!({"how": "approved", "approved_by": approved_by}),
    )?;
    sealed::write(home, &file)?;
    eprintln!(
        "Sealed policy seq {} (sha256 {}), approved by {} admin(s): {}; recorded in audit line {line}.",
        p.seq,
        p.digest,
        by.len(),
        approved_by.join(", ")
    );
    show_diff(&crate::policy_diff::diff(&sealed.policy, &new));
    if let Some(a) = new.admins.as_ref().filter(|a| a.threshold == 1) {
        eprintln!("WARNING: admins now {}", a.describe());
    }
    Ok(())
}

/// The sealed state for `policy show`: one line per fact (None when unsealed).
pub fn sealed_summary(home: &Home) -> Result<Option<(Sealed, Vec<String>)>> {
    let Some(s) = sealed::current(home)? else {
        return Ok(None);
    };
    let mut lines = vec![
        format!(
            "sealed policy seq {} (sha256 {}), policy set {}",
            s.file.seq, s.file.digest, s.file.set
        ),
        format!("admins: {}", s.admins().describe()),
    ];
    for (a, l) in &s.admins().keys {
        lines.push(format!("  admin {a} {l}"));
    }
    if s.file.seq > 1 {
        let by: Vec<&str> = s
            .file
            .approvals
            .iter()
            .map(|a| a.address.as_str())
            .collect();
        lines.push(format!("approved by: {}", by.join(", ")));
    } else {
        lines.push("seq 1: enrolled on this home with a wallet unlocked".into());
    }
    Ok(Some((s, lines)))
}
