//! Policy-update proposals and admin approvals: the file that travels from the home where a
//! change is proposed to the admins and back, the TIP-191 message each admin signs, and the
//! check that M distinct enrolled admins approved exactly this sequence and digest.

use std::collections::BTreeSet;

use coldpay_shared::{Address, Network};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, SignerError};
use crate::policy::{Admins, Policy};
use crate::tip191;

/// `type` of a proposal file.
pub const PROPOSAL_TYPE: &str = "coldpay-policy-proposal";
/// `type` of an approval file written by `policy approve`.
pub const APPROVAL_TYPE: &str = "coldpay-policy-approval";

/// A policy-update request: the new policy text, its digest and sequence, the sealed policy it
/// replaces, and when the approvals stop counting.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// Always [`PROPOSAL_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Format version (1).
    pub version: u32,
    /// The network of the homes it is for.
    pub network: Network,
    /// The policy set: the first 16 hex digits of the sha256 of sequence 1 (shared by every
    /// home enrolled with the same policy).
    pub set: String,
    /// The sequence this policy gets when applied (the sealed one's + 1).
    pub seq: u64,
    /// sha256 (hex) of the sealed policy it replaces.
    pub previous_digest: String,
    /// sha256 (hex) of `policy`.
    pub digest: String,
    /// Approvals count only until this time (ms since the epoch, whole seconds).
    pub expires: u64,
    /// The new policy (TOML text, byte for byte what is sealed).
    pub policy: String,
    /// What changes, for people (every approving home recomputes it from its own sealed
    /// policy; this copy is informational).
    #[serde(default)]
    pub diff: Vec<String>,
}

/// One admin's approval: the admin's address and a TIP-191 signature (hex, 65 bytes) of the
/// proposal's [`Proposal::message`]. `seq` and `digest` say what it was made for (optional:
/// a wallet's bare `{address, signature}` is enough).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Approval {
    /// [`APPROVAL_TYPE`] when written by `policy approve`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The admin's address (base58).
    pub address: String,
    /// `signMessageV2` signature of the proposal's message.
    pub signature: String,
    /// The sequence it approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The digest it approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// sha256 hex of policy text.
pub fn digest_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The policy set id of a sequence-1 digest.
pub fn set_of(first_digest: &str) -> String {
    first_digest.chars().take(16).collect()
}

impl Proposal {
    /// The text every admin signs (TIP-191): readable in a wallet, naming the network,
    /// policy set, sequence, both digests and the expiry.
    pub fn message(&self) -> String {
        format!(
            "coldpay policy update\nnetwork: {}\npolicy set: {}\nsequence: {}\nnew policy sha256: {}\nreplaces sha256: {}\nexpires: {}\n",
            self.network.as_str(),
            self.set,
            self.seq,
            self.digest,
            self.previous_digest,
            coldpay_shared::timefmt::utc(self.expires)
        )
    }

    /// Parses a proposal file's text, checking its form and that `digest` is the policy's.
    pub fn parse(text: &str, network: Network) -> Result<Proposal> {
        let p: Proposal = serde_json::from_str(text).map_err(|e| {
            SignerError::Usage(format!(
                "not a policy-update proposal (line {}, column {}: {})",
                e.line(),
                e.column(),
                serde_category(&e)
            ))
        })?;
        if p.kind != PROPOSAL_TYPE || p.version != 1 {
            return Err(SignerError::Usage(format!(
                "not a policy-update proposal: type must be {PROPOSAL_TYPE:?} version 1"
            )));
        }
        if p.network != network {
            return Err(SignerError::Refused(format!(
                "the proposal is for {}, this home signs for {network}",
                p.network
            )));
        }
        if digest_hex(&p.policy) != p.digest {
            return Err(SignerError::Refused(
                "the proposal's digest is not the sha256 of its policy text (the policy was changed after it was proposed)".into(),
            ));
        }
        Policy::parse(p.policy.as_bytes(), network)?;
        Ok(p)
    }
}

fn serde_category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "a field is missing, unknown or of the wrong type",
        serde_json::error::Category::Eof => "cut short",
    }
}

/// Reads approval files: each holds one approval object or an array of them.
pub fn parse_approvals(name: &str, text: &str) -> Result<Vec<Approval>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Approval),
        Many(Vec<Approval>),
    }
    match serde_json::from_str::<OneOrMany>(text) {
        Ok(OneOrMany::One(a)) => Ok(vec![a]),
        Ok(OneOrMany::Many(v)) => Ok(v),
        Err(_) => Err(SignerError::Usage(format!(
            "{name}: not an approval (a JSON object {{\"address\": \"T…\", \"signature\": \"0x…\"}} or an array of them)"
        ))),
    }
}

/// Checks `approvals` of `proposal` against `admins` (the admins of the sealed policy it
/// replaces): each must recover to the address it names, over this proposal's message;
/// every signer must be an admin; no admin counts twice; at least the threshold. Returns the
/// approving admins in order. Each refusal names the approval and why.
pub fn verify_approvals(
    proposal: &Proposal,
    approvals: &[Approval],
    admins: &Admins,
) -> Result<Vec<Address>> {
    let message = proposal.message();
    let mut seen: BTreeSet<Address> = BTreeSet::new();
    let mut out = Vec::new();
    for (i, a) in approvals.iter().enumerate() {
        let n = i + 1;
        let refused = |why: String| SignerError::Refused(format!("approval {n}: {why}"));
        if let Some(seq) = a.seq.filter(|s| *s != proposal.seq) {
            return Err(refused(format!(
                "it approves sequence {seq}, this proposal is sequence {} (an approval replayed from another update)",
                proposal.seq
            )));
        }
        if let Some(d) = a.digest.as_ref().filter(|d| **d != proposal.digest) {
            return Err(refused(format!(
                "it approves policy sha256 {d}, this proposal's is {} (an approval of another policy)",
                proposal.digest
            )));
        }
        let named = Address::parse(&a.address)
            .map_err(|e| refused(format!("address: {}", e.redacted())))?;
        let signer = tip191::recover(message.as_bytes(), &a.signature)
            .map_err(|e| refused(e.to_string()))?;
        if signer != named {
            return Err(refused(format!(
                "the signature is not {named}'s over this proposal's message (sequence {}, sha256 {}, expiry): it was made for another proposal, an older sequence or another expiry",
                proposal.seq, proposal.digest
            )));
        }
        let Some(label) = admins.label_of(&signer) else {
            return Err(refused(format!(
                "{signer} is not an admin of the sealed policy (admins: {})",
                admin_list(admins)
            )));
        };
        if !seen.insert(signer) {
            return Err(refused(format!(
                "admin {signer} ({label}) approved twice: each admin counts once"
            )));
        }
        out.push(signer);
    }
    if out.len() < usize::from(admins.threshold) {
        return Err(SignerError::Refused(format!(
            "{} admin approval(s) of the {} needed ({}): the policy stays as sealed",
            out.len(),
            admins.threshold,
            admins.describe()
        )));
    }
    Ok(out)
}

fn admin_list(admins: &Admins) -> String {
    admins
        .keys
        .iter()
        .map(|(a, l)| format!("{a} {l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::SigningKey;

    fn key(b: u8) -> SigningKey {
        SigningKey::from_slice(&[b; 32]).unwrap()
    }

    fn addr(k: &SigningKey) -> Address {
        Address::from_public_key(k.verifying_key())
    }

    fn proposal(seq: u64) -> Proposal {
        let policy = "[destinations]\nmode = \"any\"\n".to_string();
        Proposal {
            kind: PROPOSAL_TYPE.into(),
            version: 1,
            network: Network::Mainnet,
            set: "0123456789abcdef".into(),
            seq,
            previous_digest: "00".repeat(32),
            digest: digest_hex(&policy),
            expires: 1_900_000_000_000,
            policy,
            diff: vec![],
        }
    }

    fn approve(p: &Proposal, k: &SigningKey) -> Approval {
        Approval {
            kind: None,
            address: addr(k).to_base58(),
            signature: tip191::sign(k, p.message().as_bytes()).unwrap(),
            seq: None,
            digest: None,
        }
    }

    fn admins(keys: &[&SigningKey], m: u8) -> Admins {
        Admins {
            threshold: m,
            keys: keys
                .iter()
                .enumerate()
                .map(|(i, k)| (addr(k), format!("admin {i}")))
                .collect(),
        }
    }

    #[test]
    fn m_distinct_admins_of_this_message_are_needed() {
        let (a, b, c, outsider) = (key(1), key(2), key(3), key(9));
        let set = admins(&[&a, &b, &c], 2);
        let p = proposal(4);
        let ok = verify_approvals(&p, &[approve(&p, &a), approve(&p, &c)], &set).unwrap();
        assert_eq!(ok, vec![addr(&a), addr(&c)]);
        let err = |aps: &[Approval]| verify_approvals(&p, aps, &set).unwrap_err().to_string();
        assert!(err(&[approve(&p, &a)]).contains("1 admin approval(s) of the 2 needed"));
        assert!(err(&[approve(&p, &a), approve(&p, &a)]).contains("approved twice"));
        assert!(err(&[approve(&p, &a), approve(&p, &outsider)]).contains("is not an admin"));
        // Replayed from the previous sequence: the signature is over another message.
        let old = proposal(3);
        let replay = err(&[approve(&old, &a), approve(&p, &b)]);
        assert!(replay.contains("made for another proposal"), "{replay}");
        let mut named = approve(&old, &a);
        named.seq = Some(3);
        assert!(err(&[named]).contains("replayed from another update"));
        // Another expiry changes the message.
        let mut later = p.clone();
        later.expires += 1000;
        assert!(err(&[approve(&later, &a), approve(&p, &b)]).contains("another expiry"));
    }

    #[test]
    fn the_message_names_everything_an_admin_approves() {
        let p = proposal(7);
        let m = p.message();
        for part in [
            "network: mainnet",
            "policy set: 0123456789abcdef",
            "sequence: 7",
            &p.digest,
            &p.previous_digest,
            "expires: 2030-03-17T17:46:40Z",
        ] {
            assert!(m.contains(part), "{m}");
        }
    }

    #[test]
    fn approvals_read_as_one_object_or_an_array() {
        let one = r#"{"address":"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH","signature":"0x00"}"#;
        assert_eq!(parse_approvals("a", one).unwrap().len(), 1);
        assert_eq!(
            parse_approvals("a", &format!("[{one},{one}]"))
                .unwrap()
                .len(),
            2
        );
        assert!(parse_approvals("a.json", "{}")
            .unwrap_err()
            .to_string()
            .starts_with("a.json: not an approval"));
    }
}
