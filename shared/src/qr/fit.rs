//! The QR part size that fits a terminal: a part's QR code, with its quiet zone and one
//! status line, must fit the window's character cells. Pure: the terminal size is a value.

use super::render::{encode_with_spares, module_count, qr_err, terminal_cells, EcLevel};
use crate::error::Result;
use crate::urframe::UrKind;

/// The smallest part size (payload bytes per fragment) that is offered.
pub const MIN_PART_SIZE: usize = 20;

/// A terminal's size in character cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermSize {
    /// Columns.
    pub cols: usize,
    /// Rows.
    pub rows: usize,
}

impl TermSize {
    /// Whether a QR code `modules` wide fits with its quiet zone and one status line.
    pub fn fits(self, modules: usize) -> bool {
        let (cols, lines) = terminal_cells(modules);
        cols <= self.cols && lines < self.rows
    }
}

impl std::fmt::Display for TermSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} columns × {} rows", self.cols, self.rows)
    }
}

/// The terminal one part at `part_size` needs (the widest of its parts, with the status line).
fn needed(kind: UrKind, payload: &[u8], part_size: usize, extra: usize, ec: EcLevel) -> TermSize {
    let widest = encode_with_spares(kind, payload, part_size, extra)
        .ok()
        .and_then(|(parts, _)| parts.into_iter().max_by_key(String::len))
        .and_then(|p| module_count(&p, ec).ok());
    // A part too large for any QR code needs more than any terminal has.
    let (cols, lines) = terminal_cells(widest.unwrap_or(usize::from(u16::MAX)));
    TermSize {
        cols,
        rows: lines + 1,
    }
}

fn fits_at(size: TermSize, need: TermSize) -> bool {
    need.cols <= size.cols && need.rows <= size.rows
}

/// The largest part size up to `max` whose every part fits `size`. Refuses, naming the size
/// needed, when even [`MIN_PART_SIZE`] does not fit.
pub fn fit_part_size(
    kind: UrKind,
    payload: &[u8],
    extra_percent: usize,
    ec: EcLevel,
    max: usize,
    size: TermSize,
) -> Result<usize> {
    let ok = |n: usize| fits_at(size, needed(kind, payload, n, extra_percent, ec));
    if ok(max) {
        return Ok(max);
    }
    let low = MIN_PART_SIZE.min(max);
    if !ok(low) {
        let need = needed(kind, payload, low, extra_percent, ec);
        return Err(qr_err(format!(
            "the terminal is {size}; the smallest QR part needs {need}: enlarge the window \
             (or make the font smaller), or write the parts to files with --qr-png DIR"
        )));
    }
    // ok(low) and !ok(max): find the largest size that fits.
    let (mut lo, mut hi) = (low, max);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// Checks that parts of exactly `part_size` fit `size`; the refusal names the terminal size
/// they need and the largest part size that fits this one.
pub fn check_part_size(
    kind: UrKind,
    payload: &[u8],
    extra_percent: usize,
    ec: EcLevel,
    part_size: usize,
    size: TermSize,
) -> Result<()> {
    let need = needed(kind, payload, part_size, extra_percent, ec);
    if fits_at(size, need) {
        return Ok(());
    }
    let advice = match fit_part_size(kind, payload, extra_percent, ec, part_size, size) {
        Ok(n) => format!("use --qr-part-size {n} or less, or leave it out to fit the window"),
        Err(_) => "enlarge the window, or write the parts to files with --qr-png DIR".into(),
    };
    Err(qr_err(format!(
        "a {part_size}-byte QR part needs a terminal of {need}, this one is {size}; {advice}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbor::Cbor;
    use crate::qr::render_terminal;

    fn payload(n: usize) -> Vec<u8> {
        Cbor::Bytes((0..n).map(|i| (i * 31 % 251) as u8).collect()).encode()
    }

    const VT100: TermSize = TermSize { cols: 80, rows: 24 };

    #[test]
    fn an_80_by_24_terminal_gets_parts_that_fit() {
        let p = payload(4000);
        let n = fit_part_size(UrKind::Request, &p, 50, EcLevel::M, 200, VT100).unwrap();
        assert!((MIN_PART_SIZE..200).contains(&n), "{n}");
        // Every part at that size fits, with its quiet zone and status line…
        let (parts, _) = encode_with_spares(UrKind::Request, &p, n, 50).unwrap();
        for part in &parts {
            let frame = render_terminal(part, EcLevel::M).unwrap();
            assert!(
                frame.lines().count() < 24,
                "{} lines",
                frame.lines().count()
            );
            assert!(frame.lines().all(|l| l.chars().count() <= 80));
        }
        // …and one byte more does not.
        assert!(check_part_size(UrKind::Request, &p, 50, EcLevel::M, n + 1, VT100).is_err());
        check_part_size(UrKind::Request, &p, 50, EcLevel::M, n, VT100).unwrap();
    }

    #[test]
    fn a_large_terminal_keeps_the_requested_size() {
        let big = TermSize {
            cols: 200,
            rows: 80,
        };
        let p = payload(4000);
        assert_eq!(
            fit_part_size(UrKind::Request, &p, 50, EcLevel::M, 200, big).unwrap(),
            200
        );
    }

    #[test]
    fn too_small_a_terminal_is_refused_with_the_size_needed() {
        let tiny = TermSize { cols: 40, rows: 15 };
        let e = fit_part_size(UrKind::Request, &payload(4000), 50, EcLevel::M, 200, tiny)
            .unwrap_err()
            .to_string();
        assert!(e.contains("the terminal is 40 columns × 15 rows"), "{e}");
        assert!(
            e.contains("the smallest QR part needs 45 columns × 24 rows"),
            "{e}"
        );
        assert!(e.contains("--qr-png DIR"), "{e}");
        let e = check_part_size(UrKind::Request, &payload(4000), 50, EcLevel::M, 200, VT100)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a 200-byte QR part needs a terminal of"), "{e}");
        assert!(e.contains("this one is 80 columns × 24 rows"), "{e}");
        assert!(e.contains("use --qr-part-size"), "{e}");
    }
}
