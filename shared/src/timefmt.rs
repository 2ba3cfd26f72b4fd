//! Times as operators read them: RFC 3339 UTC and a short relative duration ("in 1h 52m",
//! "3m 10s ago"). Timestamps are ms since the epoch, as on the chain.

/// ms since the epoch as an RFC 3339 UTC time ("2026-12-02T10:00:00Z").
pub fn utc(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| ms.to_string())
}

/// A duration in its two largest units: "2d 3h", "1h 52m", "3m 10s", "42s".
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

/// "2026-12-02T10:00:00Z (in 1h 52m)" or "2026-12-02T10:00:00Z (3m 10s ago)".
pub fn utc_from_now(ms: u64, now_ms: u64) -> String {
    if ms >= now_ms {
        format!("{} (in {})", utc(ms), human_duration(ms - now_ms))
    } else {
        format!("{} ({} ago)", utc(ms), human_duration(now_ms - ms))
    }
}

/// The wall clock in ms since the epoch: the workspace's one clock. Only the binaries' edges
/// call it (the signer through its test-aware `sign::now_ms`, the broadcaster through
/// `journal::now_ms`); library code in this crate takes the time as a value.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_operators_read_them() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_796_115_600_000), "2026-12-01T09:00:00Z");
        assert_eq!(human_duration(6_720_000), "1h 52m");
        assert_eq!(human_duration(190_000), "3m 10s");
        assert_eq!(human_duration(2 * 86_400_000 + 3 * 3_600_000), "2d 3h");
        assert_eq!(
            utc_from_now(1_796_115_600_000, 1_796_115_600_000 - 6_720_000),
            "2026-12-01T09:00:00Z (in 1h 52m)"
        );
        assert_eq!(
            utc_from_now(1_796_115_600_000, 1_796_115_600_000 + 190_000),
            "2026-12-01T09:00:00Z (3m 10s ago)"
        );
    }
}
