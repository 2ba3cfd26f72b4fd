//! Drawing one UR part as a QR code, in memory: module grid, grayscale image, terminal half
//! blocks and SVG. Pure: no file, terminal or clock.

use image::{GrayImage, Luma};

use crate::error::{Error, Result};
use crate::urframe::{encode_parts, UrKind};

/// Light modules around every code, as the QR standard asks (scanners look for it).
pub const QUIET_ZONE: usize = 4;

/// QR error-correction level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcLevel {
    /// ~7 %.
    L,
    /// ~15 % (default).
    M,
    /// ~25 %.
    Q,
    /// ~30 %.
    H,
}

impl std::str::FromStr for EcLevel {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "L" => Ok(EcLevel::L),
            "M" => Ok(EcLevel::M),
            "Q" => Ok(EcLevel::Q),
            "H" => Ok(EcLevel::H),
            _ => Err(qr_err(format!(
                "error-correction level {s:?}: use L, M, Q or H"
            ))),
        }
    }
}

impl EcLevel {
    fn lib(self) -> qrcode::EcLevel {
        match self {
            EcLevel::L => qrcode::EcLevel::L,
            EcLevel::M => qrcode::EcLevel::M,
            EcLevel::Q => qrcode::EcLevel::Q,
            EcLevel::H => qrcode::EcLevel::H,
        }
    }
}

pub(crate) fn qr_err(msg: impl Into<String>) -> Error {
    Error::Handoff(format!("qr: {}", msg.into()))
}
/// The UR parts of `payload`: the fountain's pure fragments plus `extra_percent` spares (none
/// for a single part), and how many are pure.
pub fn encode_with_spares(
    kind: UrKind,
    payload: &[u8],
    part_size: usize,
    extra_percent: usize,
) -> Result<(Vec<String>, usize)> {
    let pure = encode_parts(kind, payload, part_size, 0)?.len();
    let extra = if pure > 1 {
        pure * extra_percent / 100
    } else {
        0
    };
    Ok((encode_parts(kind, payload, part_size, extra)?, pure))
}

/// The width in modules of the QR code of `part` (quiet zone not included).
pub fn module_count(part: &str, ec: EcLevel) -> Result<usize> {
    Ok(modules(part, ec)?.0)
}

/// The character cells (columns, lines) a QR code `modules` wide takes in the terminal: one
/// column per module and two module rows per line, quiet zone included.
pub fn terminal_cells(modules: usize) -> (usize, usize) {
    let n = modules + 2 * QUIET_ZONE;
    (n, n.div_ceil(2))
}

fn modules(part: &str, ec: EcLevel) -> Result<(usize, Vec<bool>)> {
    let code =
        qrcode::QrCode::with_error_correction_level(part.as_bytes(), ec.lib()).map_err(|e| {
            qr_err(format!(
                "part too large for a QR code ({e}); use a smaller part size"
            ))
        })?;
    let w = code.width();
    Ok((
        w,
        code.to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect(),
    ))
}

/// Renders one part as a grayscale image with a 4-module quiet zone.
pub fn render_image(part: &str, ec: EcLevel, scale: u32) -> Result<GrayImage> {
    let (w, dark) = modules(part, ec)?;
    let q = QUIET_ZONE;
    let size = ((w + 2 * q) as u32) * scale;
    Ok(GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = ((x / scale) as usize, (y / scale) as usize);
        let on = mx >= q && my >= q && mx < w + q && my < w + q && dark[(my - q) * w + (mx - q)];
        Luma([if on { 0 } else { 255 }])
    }))
}

/// Renders one part for a terminal with Unicode half blocks (two module rows per line), with
/// the full 4-module quiet zone; [`terminal_cells`] gives its size.
pub fn render_terminal(part: &str, ec: EcLevel) -> Result<String> {
    let (w, dark) = modules(part, ec)?;
    let q = QUIET_ZONE;
    let n = w + 2 * q;
    let at = |x: usize, y: usize| {
        x >= q && y >= q && x < w + q && y < w + q && dark[(y - q) * w + (x - q)]
    };
    let mut s = String::with_capacity(n * n);
    for y in (0..n).step_by(2) {
        for x in 0..n {
            // Light modules are drawn as ink on a dark terminal: dark module = space.
            s.push(match (at(x, y), y + 1 < n && at(x, y + 1)) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        s.push('\n');
    }
    Ok(s)
}

/// Renders one part as SVG, with `label` (plain text such as "part 3 of 10 (+5 spare)") under
/// the quiet zone when given.
pub fn render_svg(part: &str, ec: EcLevel, label: Option<&str>) -> Result<String> {
    let (w, dark) = modules(part, ec)?;
    let n = w + 2 * QUIET_ZONE;
    let h = if label.is_some() { n + 6 } else { n };
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {h}\" shape-rendering=\"crispEdges\"><rect width=\"{n}\" height=\"{h}\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
    for y in 0..w {
        for x in 0..w {
            if dark[y * w + x] {
                let _ = std::fmt::Write::write_fmt(
                    &mut s,
                    format_args!("M{} {}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE),
                );
            }
        }
    }
    s.push_str("\"/>");
    if let Some(l) = label {
        // Labels are built from digits and fixed words; nothing needs escaping.
        let _ = std::fmt::Write::write_fmt(
            &mut s,
            format_args!("<text x=\"{}\" y=\"{}\" font-family=\"monospace\" font-size=\"4\" text-anchor=\"middle\">{l}</text>", n / 2, n + 4),
        );
    }
    s.push_str("</svg>\n");
    Ok(s)
}
