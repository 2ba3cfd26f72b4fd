//! Expiry checks of the signing stages: the clock ([`crate::clock`]) is read afresh at every
//! stage that judges time (at the checks, after the confirmation, when signing and before the
//! signatures are released).

use crate::error::{Result, SignerError};
use crate::review::{human_duration, utc, ReviewItem};

/// Refuses when any transaction has expired at `now`, naming them (the first five) and
/// `when` it was noticed; `then` says what happens to them.
pub(super) fn refuse_expired(
    txs: &[ReviewItem<'_>],
    now: u64,
    when: &str,
    then: &str,
) -> Result<()> {
    let expired: Vec<&ReviewItem<'_>> = txs.iter().filter(|t| t.raw.expiration <= now).collect();
    if expired.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = expired
        .iter()
        .take(5)
        .map(|t| {
            format!(
                "{} (expired {}, {} ago)",
                t.payout_id
                    .map_or_else(|| format!("txid {}", t.txid), |p| format!("payout {p}")),
                utc(t.raw.expiration),
                human_duration(now - t.raw.expiration)
            )
        })
        .collect();
    let more = expired.len().saturating_sub(named.len());
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Err(SignerError::Refused(format!(
        "{} of {} transaction(s) expired {when}: {}{more}; {then}",
        expired.len(),
        txs.len(),
        named.join(", ")
    )))
}
