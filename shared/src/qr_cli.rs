//! Command-line options for QR input and output (feature `cli`), shared by both binaries so
//! the flags are spelled and behave the same on either side of the air gap.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::qr::{emit_qr, read_qr_images, EcLevel, QrOptions};
use crate::urframe::{read_lines, UrKind};

/// Where QR input comes from.
#[derive(Args, Clone, Debug, Default)]
pub struct QrInArgs {
    /// Read from QR images (PNG/JPEG photos or screenshots, any order).
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "ur")]
    pub qr_image: Vec<PathBuf>,
    /// Read UR parts line by line from stdin (a USB QR scanner types one part per line).
    #[arg(long)]
    pub ur: bool,
}

impl QrInArgs {
    /// Whether QR input was asked for.
    pub fn any(&self) -> bool {
        self.ur || !self.qr_image.is_empty()
    }

    /// Reads one message of `expected` kind; progress goes to stderr for scanner input.
    pub fn read(&self, expected: UrKind) -> Result<Vec<u8>> {
        let (kind, payload) = if self.ur {
            eprintln!("Scan the QR parts (one per line); progress follows.");
            read_lines(std::io::stdin().lock(), std::io::stderr())?
        } else {
            read_qr_images(&self.qr_image)?
        };
        if kind != expected {
            return Err(Error::Handoff(format!(
                "the QR codes carry a {}, not a {}",
                kind.ur_type(),
                expected.ur_type()
            )));
        }
        Ok(payload)
    }
}

/// How to show output as QR codes.
#[derive(Args, Clone, Debug, Default)]
pub struct QrOutArgs {
    /// Show the output as (animated) QR codes in the terminal.
    #[arg(long)]
    pub qr: bool,
    /// Write one PNG per QR part into DIR.
    #[arg(long, value_name = "DIR")]
    pub qr_png: Option<PathBuf>,
    /// Write an animated GIF of the QR parts.
    #[arg(long, value_name = "FILE")]
    pub qr_gif: Option<PathBuf>,
    /// Write one SVG per QR part into DIR.
    #[arg(long, value_name = "DIR")]
    pub qr_svg: Option<PathBuf>,
    /// Animation speed (frames per second).
    #[arg(long, default_value_t = 8)]
    pub fps: u32,
    /// Payload bytes per QR part (smaller = easier to scan, more parts).
    #[arg(long, default_value_t = 200)]
    pub qr_part_size: usize,
    /// QR error-correction level: L, M, Q or H.
    #[arg(long, default_value = "M")]
    pub qr_ec: String,
}

impl QrOutArgs {
    /// Whether any QR output was asked for.
    pub fn any(&self) -> bool {
        self.qr || self.qr_png.is_some() || self.qr_gif.is_some() || self.qr_svg.is_some()
    }

    /// Emits `payload`; returns the number of parts.
    pub fn emit(&self, kind: UrKind, payload: &[u8]) -> Result<usize> {
        let ec: EcLevel = self.qr_ec.parse()?;
        if !(20..=1000).contains(&self.qr_part_size) {
            return Err(Error::Handoff("--qr-part-size must be 20..=1000".into()));
        }
        let opts = QrOptions {
            terminal: self.qr,
            png_dir: self.qr_png.clone(),
            gif: self.qr_gif.clone(),
            svg_dir: self.qr_svg.clone(),
            fps: self.fps,
            part_size: self.qr_part_size,
            ec_level: ec,
            ..QrOptions::default()
        };
        Ok(emit_qr(kind, payload, &opts)?.parts.len())
    }
}
