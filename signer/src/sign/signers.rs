//! The keys of a run: wallets read and (for scripted passphrases) unlocked in the background
//! while the input is checked; which key signs each transaction (under a request's permission
//! claim: the one loaded key that is a key of the permission); and the signing itself, which
//! only accepts an [`Approved`] input.

use std::collections::HashMap;

use coldpay_shared::input::FoundTx;
use coldpay_shared::permission::PermissionClaim;
use coldpay_shared::text::escape;
use coldpay_shared::{Address, Signature};
use rayon::prelude::*;

use super::approve::{backoff, log_miss, Approved};
use super::decode::Decoded;
use super::SignArgs;
use crate::error::{Result, SignerError};
use crate::home::Home;
use crate::keystore::Keystore;
use crate::records_key::RecordsKey;
use crate::secp::TxSigner;
use crate::unlock::Unlocker;
use crate::wallet::account_key;

/// (keystore index, account index) of a signing key.
type KeyRef = (usize, u32);

/// The wallets of a run before unlocking. Errors reading them, or finding no key for a
/// transaction, are kept until [`Keys::unlock`]: the policy's verdicts matter more.
pub(super) struct Keys {
    keystores: Result<Vec<Keystore>>,
    unlocker: Unlocker,
    plan: Option<Result<Vec<KeyRef>>>,
    /// The key approving under the request's permission claim, once planned.
    approver: Option<Address>,
    request_id: String,
}

/// The derived keys of a run, one per transaction (by index).
pub(super) struct Signers {
    plan: Vec<KeyRef>,
    by_key: HashMap<KeyRef, TxSigner>,
    /// The home's records key, from the unlocked wallets.
    records: RecordsKey,
}

impl Keys {
    /// Reads the wallet headers; with one candidate wallet (the only one, or `--key`'s) and a
    /// passphrase from a file or descriptor, its KDF starts now and runs during the checks.
    pub(super) fn start(home: &Home, args: &SignArgs) -> Keys {
        let keystores = if args.check_only {
            Ok(Vec::new())
        } else {
            home.keystores()
        };
        let mut unlocker = Unlocker::new(args.pass.clone());
        if let Ok(ks) = &keystores {
            let only = match &args.key {
                Some(name) => ks.iter().position(|k| &k.header.name == name),
                None if ks.len() == 1 => Some(0),
                None => None,
            };
            if let Some(ki) = only {
                unlocker.start(ks, vec![ki]);
            }
        }
        Keys {
            keystores,
            unlocker,
            plan: None,
            approver: None,
            request_id: String::new(),
        }
    }

    /// Every address the wallets hold (empty when they could not be read or were not,
    /// as in `policy check`).
    pub(super) fn loaded(&self) -> Vec<Address> {
        self.keystores.as_ref().map_or_else(
            |_| Vec::new(),
            |ks| {
                ks.iter()
                    .flat_map(|k| k.header.accounts.iter().map(|a| a.address))
                    .collect()
            },
        )
    }

    /// The key approving under the request's permission claim, when one was found.
    pub(super) fn approver(&self) -> Option<Address> {
        self.approver
    }

    /// Refuses now, before the confirmation is asked for, when no key can sign (the
    /// wallets could not be read, or no loaded key fits the transactions or the claim).
    pub(super) fn ready(&mut self) -> Result<()> {
        if self.keystores.is_err() {
            return std::mem::replace(&mut self.keystores, Ok(Vec::new())).map(|_| ());
        }
        match self.plan.take() {
            Some(Err(e)) => Err(e),
            plan => {
                self.plan = plan;
                Ok(())
            }
        }
    }

    /// Chooses the key of every transaction and starts unlocking wallets not yet covered.
    pub(super) fn plan(&mut self, decoded: &Decoded<'_>, key: Option<&str>) {
        self.request_id.clone_from(&decoded.request_id);
        if let Some(claim) = decoded.claim {
            return self.plan_approval(claim, decoded.txs.len(), key);
        }
        let Ok(ks) = &self.keystores else { return };
        let found: Vec<FoundTx<'_>> = decoded
            .txs
            .iter()
            .map(|t| FoundTx {
                payout_id: t.payout_id,
                raw: t.raw,
                txid: t.txid,
            })
            .collect();
        let plan = key_plan(ks, &found, key);
        if let Ok(plan) = &plan {
            let mut wallets: Vec<usize> = plan.iter().map(|(ki, _)| *ki).collect();
            wallets.sort_unstable();
            wallets.dedup();
            if !wallets.iter().all(|ki| self.unlocker.covers(*ki)) {
                self.unlocker.start(ks, wallets);
            }
        }
        self.plan = Some(plan);
    }

    /// Under a permission claim every transaction is signed by the one approving key.
    fn plan_approval(&mut self, claim: &PermissionClaim, txs: usize, key: Option<&str>) {
        let Ok(ks) = &self.keystores else { return };
        let pick = approver_key(ks, claim, key);
        self.approver = pick
            .as_ref()
            .ok()
            .map(|&(ki, idx)| account_address(&ks[ki], idx));
        if let Ok((ki, _)) = pick {
            if !self.unlocker.covers(ki) {
                self.unlocker.start(ks, vec![ki]);
            }
        }
        self.plan = Some(pick.map(|k| vec![k; txs]));
    }

    /// Unlocks each needed wallet once (joining the background KDF, or prompting with up to
    /// three tries, each miss in the audit log) and derives the keys, checking each against
    /// the address its keystore header names.
    pub(super) fn unlock(mut self, home: &Home) -> Result<Signers> {
        let keystores = std::mem::replace(&mut self.keystores, Ok(Vec::new()))?;
        let plan = self
            .plan
            .take()
            .ok_or_else(|| SignerError::Other("no signing plan".into()))??;
        let mut needed: Vec<KeyRef> = plan.clone();
        needed.sort_unstable();
        needed.dedup();
        let mut wallets: Vec<usize> = needed.iter().map(|(ki, _)| *ki).collect();
        wallets.dedup();
        let request_id = self.request_id.clone();
        let mut on_miss = |_: &str, attempt: u32| -> Result<()> {
            log_miss(home, "passphrase", attempt, &request_id)?;
            if attempt < crate::unlock::TRIES {
                backoff(attempt);
            }
            Ok(())
        };
        let secrets = self.unlocker.unlock(&keystores, &wallets, &mut on_miss)?;
        let mut by_key = HashMap::new();
        for (ki, idx) in &needed {
            let ks = &keystores[*ki];
            let key = account_key(ks.header.kind, &secrets[ki], *idx)?;
            let signer = TxSigner::new(&key)?;
            let expect = ks.header.accounts.iter().find(|a| a.index == *idx);
            if expect.map(|a| a.address) != Some(signer.address()) {
                return Err(SignerError::KeystoreCorrupt {
                    path: ks.path.clone(),
                    reason: "decrypted key does not match the address in the header".into(),
                });
            }
            by_key.insert((*ki, *idx), signer);
        }
        let records = crate::records::open_records_key(home, &keystores, &self.unlocker.opened())?;
        Ok(Signers {
            plan,
            by_key,
            records,
        })
    }
}

impl Signers {
    /// The home's records key (authenticates the ledger and audit lines of this run).
    pub(super) fn records_key(&self) -> &RecordsKey {
        &self.records
    }

    /// Signs every transaction of an approved input on all cores: (signer address, signature)
    /// in input order. libsecp256k1 signing cannot fail once the key is loaded.
    pub(super) fn sign(&self, approved: &Approved<'_>) -> Vec<(Address, Signature)> {
        approved
            .checked()
            .txs()
            .par_iter()
            .zip(self.plan.par_iter())
            .map(|(t, k)| {
                let signer = &self.by_key[k];
                (signer.address(), signer.sign(&t.txid))
            })
            .collect()
    }
}

/// The key that signs each transaction: the account whose address is the owner, or for
/// multi-signature permission ids the wallet named by `--key`.
fn key_plan(
    keystores: &[Keystore],
    found: &[FoundTx<'_>],
    key: Option<&str>,
) -> Result<Vec<KeyRef>> {
    let named = key
        .map(|name| {
            keystores
                .iter()
                .position(|k| k.header.name == name)
                .ok_or_else(|| SignerError::Usage(format!("no wallet named {name:?}")))
        })
        .transpose()?;
    let mut by_owner: HashMap<Address, Option<KeyRef>> = HashMap::new();
    found
        .iter()
        .map(|f| {
            let owner = f.raw.owner();
            let pick = match named {
                Some(ki) => named_key(&keystores[ki], ki, owner, f.raw.contract.permission_id != 0),
                None => {
                    let permission = f.raw.contract.permission_id;
                    if permission != 0 {
                        return Err(SignerError::Usage(format!(
                            "transaction {} uses permission id {permission}; pass --key NAME to choose the signing wallet",
                            f.txid
                        )));
                    }
                    *by_owner
                        .entry(owner)
                        .or_insert_with(|| owner_key(keystores, owner))
                }
            };
            pick.ok_or_else(|| {
                SignerError::Refused(format!(
                    "no key held for owner address {owner}: this signer cannot sign it"
                ))
            })
        })
        .collect()
}

/// In the wallet `--key` names: the owner's account, else (multi-signature) its first.
fn named_key(ks: &Keystore, ki: usize, owner: Address, multisig: bool) -> Option<KeyRef> {
    match ks.header.accounts.iter().find(|a| a.address == owner) {
        Some(a) => Some((ki, a.index)),
        None if multisig => ks.header.accounts.first().map(|a| (ki, a.index)),
        None => None,
    }
}

/// The first wallet holding the owner's account.
fn owner_key(keystores: &[Keystore], owner: Address) -> Option<KeyRef> {
    keystores.iter().enumerate().find_map(|(ki, k)| {
        k.header
            .accounts
            .iter()
            .find(|a| a.address == owner)
            .map(|a| (ki, a.index))
    })
}

fn account_address(ks: &Keystore, index: u32) -> Address {
    ks.header
        .accounts
        .iter()
        .find(|a| a.index == index)
        .map(|a| a.address)
        .expect("planned accounts are in the header")
}

/// The key approving under `claim`: in the wallet `--key` names, its one account that is a
/// key of the permission; without `--key`, the one such account among all wallets. None, or
/// several, is refused by name.
fn approver_key(
    keystores: &[Keystore],
    claim: &PermissionClaim,
    key: Option<&str>,
) -> Result<KeyRef> {
    let label = format!("\"{}\" (id {})", escape(&claim.name), claim.id);
    let members: Vec<(usize, u32, Address)> = keystores
        .iter()
        .enumerate()
        .filter(|(_, k)| key.is_none_or(|name| k.header.name == name))
        .flat_map(|(ki, k)| {
            k.header
                .accounts
                .iter()
                .map(move |a| (ki, a.index, a.address))
        })
        .filter(|(_, _, a)| claim.key_weight(a).is_some())
        .collect();
    if let Some(name) = key {
        if !keystores.iter().any(|k| k.header.name == name) {
            return Err(SignerError::Usage(format!("no wallet named {name:?}")));
        }
    }
    match members.as_slice() {
        [(ki, idx, _)] => Ok((*ki, *idx)),
        [] => Err(SignerError::Refused(not_a_member(
            keystores, claim, key, &label,
        ))),
        several => {
            let list: Vec<String> = several
                .iter()
                .map(|(ki, _, a)| format!("{a} (wallet {:?})", keystores[*ki].header.name))
                .collect();
            Err(SignerError::Usage(format!(
                "{} loaded keys are keys of permission {label}: {}; one approver signs with one key: {}",
                several.len(),
                list.join(", "),
                if key.is_some() {
                    "sign from a home holding only one of them"
                } else {
                    "pass --key NAME to choose the wallet"
                }
            )))
        }
    }
}

fn not_a_member(
    keystores: &[Keystore],
    claim: &PermissionClaim,
    key: Option<&str>,
    label: &str,
) -> String {
    let held: Vec<String> = keystores
        .iter()
        .filter(|k| key.is_none_or(|name| k.header.name == name))
        .flat_map(|k| k.header.accounts.iter().map(|a| a.address.to_string()))
        .collect();
    let keys: Vec<String> = claim.keys.iter().map(|k| k.address.to_string()).collect();
    let who = match (held.as_slice(), key) {
        ([], _) => "this signer holds no key, so it".to_string(),
        ([one], _) => one.clone(),
        (_, Some(name)) => format!("none of wallet {name:?}'s keys ({})", held.join(", ")),
        (_, None) => format!("none of this signer's keys ({})", held.join(", ")),
    };
    format!(
        "{who} is not a key of permission {label}, whose keys are {}; nothing signed",
        keys.join(", ")
    )
}
