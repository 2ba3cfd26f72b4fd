//! The signer's one clock (everything that reads the time calls [`now_ms`]), built on the
//! workspace's wall clock `coldpay_shared::timefmt::now_ms`.

/// ms since the epoch. Debug builds (tests only) honour `COLDPAY_SIGNER_TEST_NOW_MS` (a fixed
/// time) and `COLDPAY_SIGNER_TEST_CLOCK_STEP_MS` (each reading is that much later than the
/// one before, to test expiry during the review); release builds ignore both.
pub fn now_ms() -> u64 {
    #[cfg(debug_assertions)]
    if let Some(t) = test_clock() {
        return t;
    }
    coldpay_shared::timefmt::now_ms()
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
