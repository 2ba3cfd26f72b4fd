//! QR codes in the terminal: the part size that makes one part fit the window (quiet zone and
//! status line included), and the animation that cycles the parts on stderr.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::qr::{encode_with_spares, qr_err, render_terminal, terminal_cells, EcLevel};
use crate::qr_label::part_label;
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
    /// The size of the terminal stderr writes to, if it is one.
    pub fn of_stderr() -> Option<TermSize> {
        terminal_size::terminal_size_of(std::io::stderr()).map(|(w, h)| TermSize {
            cols: usize::from(w.0),
            rows: usize::from(h.0),
        })
    }

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
        .and_then(|p| crate::qr::module_count(&p, ec).ok());
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

/// The status line under part `i`, cut to the terminal width so it never wraps.
fn status_line(i: usize, pure: usize, total: usize, cols: usize) -> String {
    let full = format!(
        "{} — press Enter when the scanner has them all",
        part_label(i, pure, total)
    );
    full.chars().take(cols.saturating_sub(1).max(1)).collect()
}

/// Shows `parts` (the first `pure` carry the message once, the rest are spares) on stderr,
/// cycling at `fps` until Enter is pressed; a single part is shown once. Each frame redraws in
/// place: every line is cleared to its end and the status line is cleared before it is
/// rewritten, so no text of an earlier frame is left behind.
pub fn play_terminal(parts: &[String], pure: usize, ec: EcLevel, fps: u32) -> Result<()> {
    let frames: Vec<String> = parts
        .iter()
        .map(|p| render_terminal(p, ec))
        .collect::<Result<_>>()?;
    let cols = TermSize::of_stderr().map_or(80, |s| s.cols);
    let mut err = std::io::stderr();
    let io = |e: std::io::Error| Error::Handoff(format!("qr: writing to the terminal: {e}"));
    if frames.len() == 1 {
        writeln!(err, "{}single QR code (part 1 of 1)", frames[0]).map_err(io)?;
        return Ok(());
    }
    let done = Arc::new(AtomicBool::new(false));
    let d2 = done.clone();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        d2.store(true, Ordering::SeqCst);
    });
    let delay = Duration::from_millis(1000 / u64::from(fps.max(1)));
    let mut i = 0usize;
    loop {
        let k = i % frames.len();
        let frame = frames[k].replace('\n', "\x1b[K\n");
        let status = status_line(k, pure, frames.len(), cols);
        write!(err, "{frame}\r\x1b[2K{status}").map_err(io)?;
        err.flush().map_err(io)?;
        std::thread::sleep(delay);
        if done.load(Ordering::SeqCst) {
            break;
        }
        write!(err, "\r\x1b[{}A", frames[k].lines().count()).map_err(io)?;
        i += 1;
    }
    writeln!(err).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cbor::Cbor;

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

    #[test]
    fn the_status_line_names_the_part_and_never_wraps() {
        assert_eq!(
            status_line(2, 10, 15, 80),
            "part 3 of 10 (+5 spare) — press Enter when the scanner has them all"
        );
        assert_eq!(
            status_line(12, 10, 15, 80).split(" —").next(),
            Some("spare 3 of 5")
        );
        assert_eq!(status_line(2, 10, 15, 20).chars().count(), 19);
    }

    /// Reads a terminal frame back the way a camera sees it: ink (light modules) on a dark
    /// terminal, with dark screen all around the frame.
    pub(crate) fn screen_image(text: &str) -> image::GrayImage {
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        let (w, h) = (lines.iter().map(Vec::len).max().unwrap(), lines.len() * 2);
        let (scale, border) = (4u32, 40u32);
        let size = |n: usize| n as u32 * scale + 2 * border;
        image::GrayImage::from_fn(size(w), size(h), |x, y| {
            let (cx, cy) = (x.checked_sub(border), y.checked_sub(border));
            let light = cx.zip(cy).is_some_and(|(cx, cy)| {
                let (col, row) = ((cx / scale) as usize, (cy / scale) as usize);
                let c = lines.get(row / 2).and_then(|l| l.get(col)).copied();
                matches!(
                    (c, row % 2),
                    (Some('█'), _) | (Some('▀'), 0) | (Some('▄'), 1)
                )
            });
            image::Luma([if light { 255 } else { 0 }])
        })
    }

    #[test]
    fn a_terminal_frame_scans_on_a_dark_screen() {
        let (parts, _) = encode_with_spares(UrKind::Request, &payload(900), 60, 50).unwrap();
        let frame = render_terminal(&parts[3], EcLevel::M).unwrap();
        let lines: Vec<&str> = frame.lines().collect();
        // Four light modules all round: two full lines top and bottom, four columns each side.
        assert!(lines[..2]
            .iter()
            .chain(&lines[lines.len() - 2..])
            .all(|l| l.chars().all(|c| c == '█')));
        assert!(lines
            .iter()
            .all(|l| l.starts_with("████") && l.ends_with("████")));
        let codes = crate::qr::decode_image(&screen_image(&frame));
        assert_eq!(codes, vec![parts[3].clone()]);
    }
}
