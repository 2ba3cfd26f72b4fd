//! The sealed policy: the policy `sign` enforces, kept in `policy.d/` of the signer home as one
//! file per sequence (`000001.json`, `000002.json`, …; earlier versions are kept), each with
//! the admin approvals that made it. Sequence 1 is the enrollment, made with a wallet
//! unlocked; every later one carries M approvals by distinct admins of the one before.
//!
//! What binds it against file access: every `sign` re-verifies the current file (its digest,
//! and its approvals against the previous version's admins), and after unlocking checks that
//! the last authenticated audit line stating a policy (`policy_seq`, `policy_digest`; the
//! seal line of `policy enroll`/`policy apply`, or a signing) names exactly this sequence
//! and digest. A rewritten admin list changes the digest; an older file put back (rollback)
//! has another sequence; both are refused by name.

use std::path::{Path, PathBuf};

use coldpay_shared::Network;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SignerError};
use crate::fsutil::{create_private_dir, write_atomic};
use crate::home::Home;
use crate::policy::{Admins, Policy};
use crate::policy_update::{digest_hex, verify_approvals, Approval, Proposal, PROPOSAL_TYPE};
use crate::records_key::RecordsKey;

/// `format` of a sealed policy file.
pub const SEALED_FORMAT: &str = "coldpay-sealed-policy/1";

/// The command that seals a home's policy the first time.
pub const ENROLL_HINT: &str = "coldpay-signer policy enroll --admin ADDRESS:LABEL … --threshold M";

/// One sealed version, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedFile {
    /// [`SEALED_FORMAT`].
    pub format: String,
    /// The home's network.
    pub network: Network,
    /// Policy set id (see [`Proposal::set`]).
    pub set: String,
    /// Sequence (1 = enrollment).
    pub seq: u64,
    /// sha256 (hex) of `policy`.
    pub digest: String,
    /// The digest of the version it replaced (none for sequence 1).
    pub previous_digest: Option<String>,
    /// The proposal's expiry (none for sequence 1).
    pub expires: Option<u64>,
    /// The policy text.
    pub policy: String,
    /// The admin approvals (empty for sequence 1, which the unlocked wallet sealed).
    pub approvals: Vec<Approval>,
    /// When it was sealed on this home (ms).
    pub sealed_at: u64,
}

/// A sealed version checked and parsed.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The file.
    pub file: SealedFile,
    /// Its policy, parsed.
    pub policy: Policy,
}

impl Sealed {
    /// The admins of this version (present in every sealed policy).
    pub fn admins(&self) -> &Admins {
        self.policy
            .admins
            .as_ref()
            .expect("sealed policies have admins")
    }

    /// The proposal this version was sealed from (sequence ≥ 2).
    fn as_proposal(&self) -> Proposal {
        Proposal {
            kind: PROPOSAL_TYPE.into(),
            version: 1,
            network: self.file.network,
            set: self.file.set.clone(),
            seq: self.file.seq,
            previous_digest: self.file.previous_digest.clone().unwrap_or_default(),
            digest: self.file.digest.clone(),
            expires: self.file.expires.unwrap_or(0),
            policy: self.file.policy.clone(),
            diff: vec![],
        }
    }
}

/// `policy.d/`.
pub fn dir(home: &Home) -> PathBuf {
    home.dir.join("policy.d")
}

fn path_of(home: &Home, seq: u64) -> PathBuf {
    dir(home).join(format!("{seq:06}.json"))
}

/// The sequences present in `policy.d/`, ascending.
fn sequences(home: &Home) -> Result<Vec<u64>> {
    let d = dir(home);
    let entries = match std::fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(SignerError::io(&d, e)),
    };
    let mut out = Vec::new();
    for e in entries {
        let name = e.map_err(|e| SignerError::io(&d, e))?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".json").and_then(|s| s.parse().ok()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

fn tampered(seq: u64, why: &str) -> SignerError {
    SignerError::Refused(format!(
        "sealed policy seq {seq} ({}) {why}: it was changed outside `policy apply`; changes need the admins' approvals. Nothing is signed",
        "policy.d"
    ))
}

/// Reads and checks one version on its own: form, network, sequence, digest, policy.
fn read_one(home: &Home, seq: u64) -> Result<Sealed> {
    let p = path_of(home, seq);
    let text = std::fs::read_to_string(&p).map_err(|e| SignerError::io(&p, e))?;
    let file: SealedFile =
        serde_json::from_str(&text).map_err(|_| tampered(seq, "is not a sealed policy file"))?;
    if file.format != SEALED_FORMAT || file.seq != seq || file.network != home.network {
        return Err(tampered(seq, "names another format, sequence or network"));
    }
    if digest_hex(&file.policy) != file.digest {
        return Err(tampered(seq, "does not match its digest"));
    }
    let policy = Policy::parse(file.policy.as_bytes(), home.network)?;
    if policy.admins.is_none() {
        return Err(tampered(seq, "has no [admins]"));
    }
    Ok(Sealed { file, policy })
}

/// The current sealed version, checked against the one before it (its approvals by M
/// distinct admins of that version, the digest it replaced, the policy set). `None` when the
/// home was never sealed.
pub fn current(home: &Home) -> Result<Option<Sealed>> {
    let seqs = sequences(home)?;
    let Some(&last) = seqs.last() else {
        return Ok(None);
    };
    let cur = read_one(home, last)?;
    if last == 1 {
        if !cur.file.approvals.is_empty() || cur.file.previous_digest.is_some() {
            return Err(tampered(1, "is not an enrollment"));
        }
        if cur.file.set != crate::policy_update::set_of(&cur.file.digest) {
            return Err(tampered(1, "names another policy set"));
        }
        return Ok(Some(cur));
    }
    if !seqs.contains(&(last - 1)) {
        return Err(tampered(
            last,
            "has no predecessor (the version before it was removed)",
        ));
    }
    let prev = read_one(home, last - 1)?;
    if cur.file.previous_digest.as_deref() != Some(prev.file.digest.as_str())
        || cur.file.set != prev.file.set
    {
        return Err(tampered(last, "does not follow the version before it"));
    }
    verify_approvals(&cur.as_proposal(), &cur.file.approvals, prev.admins())
        .map_err(|e| tampered(last, &format!("does not carry its admins' approvals ({e})")))?;
    Ok(Some(cur))
}

/// The sealed version in force, or the refusal naming the upgrade step.
pub fn require(home: &Home) -> Result<Sealed> {
    current(home)?.ok_or_else(|| {
        SignerError::Refused(format!(
            "this home's policy is not sealed: nothing is signed under a policy file anyone with file access could edit. Seal it once with `{ENROLL_HINT}` (a wallet passphrase is asked; see the runbook, \"Sealing the policy\")"
        ))
    })
}

/// What `sign` and `policy check` run under.
pub struct InForce {
    /// The policy.
    pub policy: Policy,
    /// (sequence, digest hex) when sealed.
    pub sealed: Option<(u64, String)>,
    /// Where it was read from, for the audit line.
    pub source: String,
}

/// The policy for a signing run: the sealed one. A `--policy FILE` must be byte-identical
/// to it, and so must `policy.toml` (the readable copy `policy apply` writes). `policy
/// check` (`check_only`) on a home never sealed reads the file as before.
pub fn in_force(home: &Home, file: Option<&Path>, check_only: bool) -> Result<InForce> {
    let Some(sealed) = current(home)? else {
        if !check_only {
            require(home)?;
        }
        let path = file.map_or_else(|| home.policy_path(), Path::to_path_buf);
        return Ok(InForce {
            policy: Policy::load(&path, home.network)?,
            sealed: None,
            source: path.display().to_string(),
        });
    };
    let (path, named) = match file {
        Some(p) => (p.to_path_buf(), true),
        None => (home.policy_path(), false),
    };
    let differs = match std::fs::read(&path) {
        Ok(bytes) => bytes != sealed.file.policy.as_bytes(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => false,
        Err(e) => return Err(SignerError::io(&path, e)),
    };
    if differs {
        return Err(SignerError::Refused(format!(
            "policy file {} differs from the sealed policy seq {} (sha256 {}): changes need {} approvals (`coldpay-signer policy propose`, `policy approve` on the admins' homes, `policy apply`)",
            path.display(),
            sealed.file.seq,
            sealed.file.digest,
            sealed.admins().describe()
        )));
    }
    Ok(InForce {
        sealed: Some((sealed.file.seq, sealed.file.digest.clone())),
        policy: sealed.policy,
        source: format!(
            "{} (sealed seq {})",
            path_of(home, sealed.file.seq).display(),
            sealed.file.seq
        ),
    })
}

/// After unlocking: the last authenticated audit line stating a policy must state this
/// sequence and digest (a sealed file rolled back, or a seal the records do not know, is
/// refused).
pub fn check_recorded(home: &Home, key: &RecordsKey, seq: u64, digest: &str) -> Result<()> {
    match crate::audit::last_policy_statement(&home.audit_path(), key)? {
        Some(s) if s.seq == seq && s.digest == digest => Ok(()),
        Some(s) if s.seq > seq => Err(SignerError::Refused(format!(
            "sealed policy rolled back: policy.d holds seq {seq}, but authenticated audit line {} records seq {} (sha256 {}); an older sealed version was put back. Nothing is signed",
            s.line, s.seq, s.digest
        ))),
        Some(s) => Err(SignerError::Refused(format!(
            "sealed policy seq {seq} (sha256 {digest}) is not the one the records know: authenticated audit line {} records seq {} (sha256 {}); it was not sealed by `policy apply` on this home. Nothing is signed",
            s.line, s.seq, s.digest
        ))),
        None => Err(SignerError::Refused(format!(
            "sealed policy seq {seq} is recorded in no authenticated audit line (policy.d was copied in, or the audit log was cut): nothing is signed"
        ))),
    }
}

/// Writes a new version (atomically, 0600) and the readable copy `policy.toml`.
pub fn write(home: &Home, file: &SealedFile) -> Result<()> {
    create_private_dir(&dir(home))?;
    let bytes = serde_json::to_vec_pretty(file).expect("serialisable");
    write_atomic(&path_of(home, file.seq), &bytes, 0o600)?;
    write_atomic(&home.policy_path(), file.policy.as_bytes(), 0o600)
}

/// An earlier version (for `policy show --seq`, diffs and tests).
pub fn read_version(home: &Home, seq: u64) -> Result<Sealed> {
    if !sequences(home)?.contains(&seq) {
        return Err(SignerError::Usage(format!("no sealed policy seq {seq}")));
    }
    read_one(home, seq)
}
