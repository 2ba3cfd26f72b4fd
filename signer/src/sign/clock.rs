//! The signer's clock, read afresh at every stage that judges time: at the checks, after the
//! confirmation, when signing (the time recorded) and before the signatures are released.

use crate::error::{Result, SignerError};
use crate::review::{human_duration, utc, ReviewItem};

/// ms since the epoch. Debug builds (tests only) honour `COLDPAY_SIGNER_TEST_NOW_MS` (a fixed
/// time) and `COLDPAY_SIGNER_TEST_CLOCK_STEP_MS` (each reading is that much later than the
/// one before, to test expiry during the review); release builds ignore both.
pub(super) fn now_ms() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(t) = test_clock() {
        return t;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(debug_assertions)]
fn test_clock() -> Option<u64> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static READINGS: AtomicU64 = AtomicU64::new(0);
    let env = |k: &str| std::env::var(k).ok().and_then(|s| s.parse::<u64>().ok());
    let base = env("COLDPAY_SIGNER_TEST_NOW_MS")?;
    let step = env("COLDPAY_SIGNER_TEST_CLOCK_STEP_MS").unwrap_or(0);
    Some(base + step * READINGS.fetch_add(1, Ordering::Relaxed))
}

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
