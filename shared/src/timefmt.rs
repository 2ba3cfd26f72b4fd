//! Times as operators read and write them, the workspace's one time formatting (the `time`
//! crate): RFC 3339 UTC output, a short relative duration ("in 1h 52m", "3m 10s ago"), and
//! [`TimeInput`] for `--since` / `--from` / `--to` (an RFC 3339 time, `YYYY-MM-DD HH:MM:SS`
//! read as UTC, a date, or a span back from now such as `2h`). Timestamps are ms since the
//! epoch, as on the chain; the current time is always passed in as a value, except to
//! [`now_ms`] (feature `io`), which reads it.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::{Error, Result, TimeRefusal};

const DAY_MS: u64 = 86_400_000;

/// ms since the epoch as an RFC 3339 UTC time ("2026-12-02T10:00:00Z").
pub fn utc(ms: u64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    t.format(&Rfc3339).unwrap_or_else(|_| ms.to_string())
}

/// ms since the epoch as RFC 3339 UTC in whole seconds ("2026-12-01T00:00:10Z"; the
/// milliseconds are dropped, times before 1970 allowed). A time outside years 0–9999 is shown
/// as its ms.
pub fn utc_seconds(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A time as an operator gives it on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeInput {
    /// An RFC 3339 time (`2026-12-01T08:00:00Z`, any offset), or one without an offset
    /// (`2026-12-01 08:00:00`, `2026-12-01T08:00:00.5`) read as UTC: ms since the epoch.
    At(u64),
    /// A date (`2026-12-01`): its midnight UTC, ms since the epoch.
    Day(u64),
    /// A span back from now (`2h`, `7days`, `1h 30m`), ms.
    Ago(u64),
}

impl TimeInput {
    /// Parses `s` (surrounding spaces ignored). A date-shaped input (`YYYY-MM-DD`) that is no
    /// calendar date, a time before 1970, and anything else that is neither a time nor a span
    /// are [`Error::Time`].
    pub fn parse(s: &str) -> Result<TimeInput> {
        let s = s.trim();
        if is_date_shaped(s) {
            return parse_date(s).map(TimeInput::Day);
        }
        if let Some(t) = parse_date_time(s) {
            return epoch_ms(t, s).map(TimeInput::At);
        }
        match humantime::parse_duration(s) {
            Ok(d) => Ok(TimeInput::Ago(
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
            )),
            Err(_) => Err(refused(s, TimeRefusal::Unrecognised)),
        }
    }

    /// Where the time starts, ms: the time itself, the day's midnight, or `now_ms` less the
    /// span (never before 1970).
    pub fn start(self, now_ms: u64) -> u64 {
        match self {
            TimeInput::At(ms) | TimeInput::Day(ms) => ms,
            TimeInput::Ago(span) => now_ms.saturating_sub(span),
        }
    }

    /// Where the time ends, ms: as [`TimeInput::start`], except that a day ends at the
    /// following midnight (`--to 2026-12-01` includes all of that day).
    pub fn end(self, now_ms: u64) -> u64 {
        match self {
            TimeInput::Day(ms) => ms.saturating_add(DAY_MS),
            other => other.start(now_ms),
        }
    }
}

/// `YYYY-MM-DD`: ten characters, dashes at 4 and 7.
fn is_date_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-'
}

fn parse_date(s: &str) -> Result<u64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(s, format)
        .map_err(|e| refused(s, TimeRefusal::NotADate(e.to_string())))?;
    epoch_ms(day.midnight().assume_utc(), s)
}

/// An RFC 3339 time, else one without an offset (space or `T`, optional fraction and `Z`) as
/// UTC.
fn parse_date_time(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let format = time::macros::format_description!(
        "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]][optional [Z]]"
    );
    PrimitiveDateTime::parse(s, format)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

fn epoch_ms(t: OffsetDateTime, input: &str) -> Result<u64> {
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| refused(input, TimeRefusal::Before1970))
}

fn refused(input: &str, reason: TimeRefusal) -> Error {
    Error::Time {
        input: input.to_string(),
        reason,
    }
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

/// The wall clock in ms since the epoch (feature `io`): the workspace's one clock. Only the
/// binaries' edges call it (the signer through its test-aware `clock::now_ms`, the
/// broadcaster through `journal::now_ms`); library code in this crate takes the time as a
/// value.
#[cfg(feature = "io")]
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

    #[test]
    fn whole_seconds_drop_the_milliseconds_and_allow_any_year() {
        assert_eq!(utc_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_seconds(1_796_083_210_999), "2026-12-01T00:00:10Z");
        assert_eq!(utc_seconds(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc_seconds(-1), "1969-12-31T23:59:59Z");
        assert_eq!(utc_seconds(i64::MAX), i64::MAX.to_string());
        // The fractional form stays with `utc`.
        assert_eq!(utc(1), "1970-01-01T00:00:00.001Z");
    }

    const DEC_1: u64 = 1_796_083_200_000;

    #[test]
    fn rfc_3339_times_parse_with_any_offset() {
        let at = |s| TimeInput::parse(s).unwrap();
        assert_eq!(at("2026-12-01T00:00:10Z"), TimeInput::At(DEC_1 + 10_000));
        assert_eq!(
            at("2026-12-01T02:00:10+02:00"),
            TimeInput::At(DEC_1 + 10_000)
        );
        assert_eq!(
            at("2026-12-01T00:00:10.250Z"),
            TimeInput::At(DEC_1 + 10_250)
        );
        assert_eq!(at("  2026-12-01T00:00:10Z "), TimeInput::At(DEC_1 + 10_000));
    }

    #[test]
    fn times_without_an_offset_are_utc() {
        let at = |s| TimeInput::parse(s).unwrap();
        assert_eq!(
            at("2026-12-01 08:00:00"),
            TimeInput::At(DEC_1 + 8 * 3_600_000)
        );
        assert_eq!(
            at("2026-12-01T08:00:00"),
            TimeInput::At(DEC_1 + 8 * 3_600_000)
        );
        assert_eq!(
            at("2026-12-01 08:00:00Z"),
            TimeInput::At(DEC_1 + 8 * 3_600_000)
        );
        assert_eq!(
            at("2026-12-01 08:00:00.5"),
            TimeInput::At(DEC_1 + 8 * 3_600_000 + 500)
        );
    }

    #[test]
    fn a_date_is_its_midnight_and_ends_at_the_next() {
        let d = TimeInput::parse("2026-12-01").unwrap();
        assert_eq!(d, TimeInput::Day(DEC_1));
        assert_eq!(d.start(0), DEC_1);
        assert_eq!(d.end(0), DEC_1 + DAY_MS);
        assert_eq!(
            TimeInput::parse("2000-02-29").unwrap(),
            TimeInput::Day(951_782_400_000)
        );
        for bad in ["2026-13-01", "2026-02-30", "2026-aa-01"] {
            let e = TimeInput::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("{bad:?} is not a calendar date")),
                "{e}"
            );
        }
    }

    #[test]
    fn a_span_means_that_long_ago() {
        let now = DEC_1 + 10 * 3_600_000;
        let two_hours = TimeInput::parse("2h").unwrap();
        assert_eq!(two_hours, TimeInput::Ago(7_200_000));
        assert_eq!(two_hours.start(now), now - 7_200_000);
        assert_eq!(two_hours.end(now), now - 7_200_000);
        assert_eq!(
            TimeInput::parse("7days").unwrap(),
            TimeInput::Ago(7 * DAY_MS)
        );
        assert_eq!(
            TimeInput::parse("1h 30m").unwrap(),
            TimeInput::Ago(5_400_000)
        );
        // Further back than 1970 stops there.
        assert_eq!(TimeInput::parse("100000years").unwrap().start(now), 0);
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["yesterday", "", "2026-12-01T25:00:00Z", "12:00"] {
            let e = TimeInput::parse(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Time {
                        reason: TimeRefusal::Unrecognised,
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
        }
        let e = TimeInput::parse("1969-12-31T23:59:59Z").unwrap_err();
        assert_eq!(e.to_string(), "\"1969-12-31T23:59:59Z\" is before 1970");
    }
}
