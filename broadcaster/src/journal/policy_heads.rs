//! The signers' latest sealed policies as `status` shows them: typed rows over
//! [`super::signer_policies::current`], so the CLI never reaches the connection.

use serde::Serialize;

use super::Journal;
use crate::error::Result;

/// The latest sealed policy a signer key answered under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyHead {
    /// The signer key (base58).
    pub signer: String,
    /// The policy's sequence number.
    pub seq: u64,
    /// Its SHA-256 digest (hex).
    pub digest: String,
}

impl Journal {
    /// The latest policy of each signer key, by key.
    pub fn policy_heads(&self) -> Result<Vec<PolicyHead>> {
        Ok(super::signer_policies::current(&self.conn)?
            .into_iter()
            .map(|(signer, seq, digest)| PolicyHead {
                signer,
                seq,
                digest,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_policy_of_each_signer_is_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &dir.path().join("j.sqlite"),
            coldpay_shared::Network::Nile,
            crate::journal::lock::LockWait::NoWait,
        )
        .unwrap();
        assert!(j.policy_heads().unwrap().is_empty());
        let policy = |seq, d: &str| coldpay_shared::handoff::SignerPolicy {
            digest: d.repeat(32),
            seq,
        };
        let keys = ["TB".to_string(), "TA".to_string()];
        super::super::signer_policies::record(&j.conn, &keys, &policy(3, "aa"), "r1").unwrap();
        super::super::signer_policies::record(&j.conn, &keys[..1], &policy(4, "bb"), "r2").unwrap();
        let head = |signer: &str, seq, d: &str| PolicyHead {
            signer: signer.into(),
            seq,
            digest: d.repeat(32),
        };
        assert_eq!(
            j.policy_heads().unwrap(),
            vec![head("TA", 3, "aa"), head("TB", 4, "bb")]
        );
    }
}
