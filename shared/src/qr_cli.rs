//! Command-line options for QR input and output (feature `cli`), shared by both binaries so
//! the flags are spelled and behave the same on either side of the air gap.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};

use crate::qr::{decode_qr_images, emit_qr, EcLevel, QrOptions, MIN_PART_SIZE};
use crate::ur_messages::{read_scanner_lines, UrDecoded};
use crate::urframe::UrKind;

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
        self.read_one_of(&[expected]).map(|(_, payload)| payload)
    }

    /// Reads one message of any of the `expected` kinds, returning which it was.
    pub fn read_one_of(&self, expected: &[UrKind]) -> Result<(UrKind, Vec<u8>)> {
        self.read_message(expected).map(|d| (d.kind, d.payload))
    }

    /// Reads one message of any of the `expected` kinds with what it was decoded from. Every
    /// image is read, and scanner lines until the message completes; parts of more than one
    /// message are refused naming each message and its files or lines.
    pub fn read_message(&self, expected: &[UrKind]) -> Result<UrDecoded> {
        let d = if self.ur {
            eprintln!("Scan the QR parts (one per line); progress follows.");
            // The scan stops when the message completes: the lines after it may be the typed
            // confirmation (a script feeds both on stdin).
            read_scanner_lines(std::io::stdin().lock(), std::io::stderr(), false)?
        } else {
            decode_qr_images(&self.qr_image)?
        };
        if !expected.contains(&d.kind) {
            let want: Vec<&str> = expected.iter().map(|k| k.ur_type()).collect();
            return Err(Error::Handoff(format!(
                "the QR codes carry a {}, not a {}",
                d.kind.ur_type(),
                want.join(" or ")
            )));
        }
        Ok(d)
    }

    /// What the input's parts came from: "file" (`--qr-image`) or "line" (`--ur`).
    pub fn source_noun(&self) -> &'static str {
        if self.ur {
            "line"
        } else {
            "file"
        }
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
    /// Payload bytes per QR part (smaller = easier to scan, more parts). Default 200; with --qr,
    /// the largest size up to 200 whose parts fit the terminal. A size given here that does not
    /// fit the terminal is refused, naming the terminal size it needs.
    #[arg(long, value_name = "BYTES")]
    pub qr_part_size: Option<usize>,
    /// QR error-correction level: L, M, Q or H.
    #[arg(long, default_value = "M")]
    pub qr_ec: String,
}

impl QrOutArgs {
    /// Whether any QR output was asked for.
    pub fn any(&self) -> bool {
        self.qr || self.qr_png.is_some() || self.qr_gif.is_some() || self.qr_svg.is_some()
    }

    /// The options these flags ask for.
    pub fn options(&self) -> Result<QrOptions> {
        let ec: EcLevel = self.qr_ec.parse()?;
        let range = MIN_PART_SIZE..=1000;
        if let Some(n) = self.qr_part_size.filter(|n| !range.contains(n)) {
            return Err(Error::Handoff(format!(
                "--qr-part-size {n}: use {MIN_PART_SIZE} to 1000 bytes"
            )));
        }
        if self.fps == 0 || self.fps > 30 {
            return Err(Error::Handoff(format!(
                "--fps {}: use 1 to 30 frames per second",
                self.fps
            )));
        }
        let default = QrOptions::default();
        Ok(QrOptions {
            terminal: self.qr,
            png_dir: self.qr_png.clone(),
            gif: self.qr_gif.clone(),
            svg_dir: self.qr_svg.clone(),
            fps: self.fps,
            part_size: self.qr_part_size.unwrap_or(default.part_size),
            fit_terminal: self.qr_part_size.is_none(),
            ec_level: ec,
            ..default
        })
    }

    /// "WHAT shown as N QR part(s)" when the parts were shown in the terminal (`--qr`); `None`
    /// when only files were written ([`Self::emit`] already named them: "wrote 13 PNG file(s)
    /// to DIR …").
    pub fn shown(&self, what: &str, parts: usize) -> Option<String> {
        self.qr
            .then(|| format!("{what} shown as {parts} QR part(s)"))
    }

    /// Emits `payload`, says on stderr which folder and files were written, and returns the
    /// number of parts.
    pub fn emit(&self, kind: UrKind, payload: &[u8]) -> Result<usize> {
        let summary = emit_qr(kind, payload, &self.options()?)?;
        for line in &summary.written {
            eprintln!("{line}");
        }
        Ok(summary.parts.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> QrOutArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            out: QrOutArgs,
        }
        let mut argv = vec!["x"];
        argv.extend_from_slice(extra);
        <Cli as clap::Parser>::try_parse_from(argv).unwrap().out
    }

    #[test]
    fn part_size_fits_the_terminal_unless_given() {
        let o = args(&["--qr"]).options().unwrap();
        assert!(o.terminal && o.fit_terminal);
        assert_eq!(o.part_size, 200);
        let o = args(&["--qr", "--qr-part-size", "120"]).options().unwrap();
        assert!(!o.fit_terminal);
        assert_eq!(o.part_size, 120);
    }

    #[test]
    fn parts_are_said_to_be_shown_only_when_shown() {
        assert_eq!(
            args(&["--qr"]).shown("sign request", 13).as_deref(),
            Some("sign request shown as 13 QR part(s)")
        );
        assert_eq!(args(&["--qr-png", "out"]).shown("sign request", 13), None);
    }

    #[test]
    fn out_of_range_flags_are_refused_by_name() {
        let e = args(&["--qr-part-size", "5"]).options().unwrap_err();
        assert!(
            e.to_string()
                .contains("--qr-part-size 5: use 20 to 1000 bytes"),
            "{e}"
        );
        let e = args(&["--fps", "0"]).options().unwrap_err();
        assert!(e.to_string().contains("--fps 0: use 1 to 30"), "{e}");
        let e = args(&["--qr-ec", "X"]).options().unwrap_err();
        assert!(e.to_string().contains("use L, M, Q or H"), "{e}");
    }

    #[test]
    fn emit_names_the_folder_and_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("qr");
        let a = args(&["--qr-png", out.to_str().unwrap(), "--qr-part-size", "100"]);
        let payload = crate::cbor::Cbor::Bytes(vec![9; 900]).encode();
        let s = emit_qr(UrKind::Request, &payload, &a.options().unwrap()).unwrap();
        assert_eq!(s.pure, 10);
        assert_eq!(s.parts.len(), 15);
        assert_eq!(
            s.written,
            vec![format!(
                "wrote 15 PNG file(s) to {}: coldpay-req-001.png … coldpay-req-015.png (10 parts + 5 spare)",
                out.display()
            )]
        );
    }
}
