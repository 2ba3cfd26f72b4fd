//! QR codes in the terminal (I/O): the size of the terminal on stderr, and the animation that
//! cycles the parts there until Enter is pressed on stdin.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::fit::TermSize;
use super::label::part_label;
use super::render::{render_terminal, EcLevel};
use crate::error::{Error, Result};

impl TermSize {
    /// The size of the terminal stderr writes to, if it is one.
    pub fn of_stderr() -> Option<TermSize> {
        terminal_size::terminal_size_of(std::io::stderr()).map(|(w, h)| TermSize {
            cols: usize::from(w.0),
            rows: usize::from(h.0),
        })
    }
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
    use crate::qr::encode_with_spares;
    use crate::urframe::UrKind;

    fn payload(n: usize) -> Vec<u8> {
        Cbor::Bytes((0..n).map(|i| (i * 31 % 251) as u8).collect()).encode()
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
    fn screen_image(text: &str) -> image::GrayImage {
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
