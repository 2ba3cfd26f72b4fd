//! Showing a message as QR codes: the parts rendered in memory first, then written as PNG,
//! SVG or animated GIF files (atomically) and/or played in the terminal.

use std::path::{Path, PathBuf};

use image::GrayImage;

use super::fit::{check_part_size, fit_part_size, TermSize};
use super::label::{part_label, with_label};
use super::render::{encode_with_spares, qr_err, render_image, render_svg, EcLevel};
use super::terminal::play_terminal;
use crate::error::Result;
use crate::urframe::UrKind;

/// How to show a message as QR codes.
#[derive(Clone, Debug)]
pub struct QrOptions {
    /// Show in the terminal (animated when multi-part, until Enter).
    pub terminal: bool,
    /// Write one PNG per part into this folder.
    pub png_dir: Option<PathBuf>,
    /// Write an animated GIF.
    pub gif: Option<PathBuf>,
    /// Write one SVG per part into this folder.
    pub svg_dir: Option<PathBuf>,
    /// Frames per second for animations.
    pub fps: u32,
    /// Payload bytes per fountain fragment (an upper bound when `fit_terminal` is set).
    pub part_size: usize,
    /// With `terminal`: lower the part size until one part fits the terminal; otherwise a part
    /// that does not fit is refused.
    pub fit_terminal: bool,
    /// The terminal to fit; `None` measures the one on stderr (no fitting when it is none).
    pub terminal_size: Option<TermSize>,
    /// Error-correction level.
    pub ec_level: EcLevel,
    /// Extra fountain parts for files, percent of the fragment count.
    pub extra_percent: usize,
    /// Pixels per QR module in PNG/GIF output.
    pub scale: u32,
}

impl Default for QrOptions {
    fn default() -> Self {
        QrOptions {
            terminal: false,
            png_dir: None,
            gif: None,
            svg_dir: None,
            fps: 8,
            part_size: 200,
            fit_terminal: true,
            terminal_size: None,
            ec_level: EcLevel::M,
            extra_percent: 50,
            scale: 6,
        }
    }
}

/// What `emit_qr` produced.
#[derive(Clone, Debug, Default)]
pub struct EmitSummary {
    /// The UR parts.
    pub parts: Vec<String>,
    /// How many of them carry the message once; the rest are spares.
    pub pure: usize,
    /// The part size used (payload bytes per fragment).
    pub part_size: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// One line per output naming the folder and files written, e.g. "wrote 15 PNG files to
    /// qr/: coldpay-req-001.png … coldpay-req-015.png (10 parts + 5 spare)".
    pub written: Vec<String>,
}

/// Writes one output file through the workspace's atomic writer (mode 0644: a QR code of a
/// request or response is no secret).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic_file::write_atomic(path, bytes, 0o644)
        .map_err(|e| qr_err(format!("{}: {e}", path.display())))
}

/// The part size for `opts`: fitted to (or checked against) the terminal when one is shown.
fn choose_part_size(kind: UrKind, payload: &[u8], opts: &QrOptions) -> Result<usize> {
    let size = if opts.terminal {
        opts.terminal_size.or_else(TermSize::of_stderr)
    } else {
        None
    };
    let Some(size) = size else {
        return Ok(opts.part_size);
    };
    let (ec, extra) = (opts.ec_level, opts.extra_percent);
    if opts.fit_terminal {
        fit_part_size(kind, payload, extra, ec, opts.part_size, size)
    } else {
        check_part_size(kind, payload, extra, ec, opts.part_size, size)?;
        Ok(opts.part_size)
    }
}

/// "coldpay-req-001.png … coldpay-req-015.png (10 parts + 5 spare)" for files in `dir`.
fn describe_files(what: &str, dir: &Path, files: &[PathBuf], pure: usize) -> String {
    let name = |p: &PathBuf| {
        p.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into())
    };
    let spare = files.len().saturating_sub(pure);
    let split = if spare > 0 {
        format!(" ({pure} parts + {spare} spare)")
    } else {
        String::new()
    };
    let range = match files {
        [one] => name(one),
        [first, .., last] => format!("{} … {}", name(first), name(last)),
        [] => String::new(),
    };
    format!(
        "wrote {} {what} file(s) to {}: {range}{split}",
        files.len(),
        dir.display()
    )
}

/// Writes one file per rendered part into `dir`, named `coldpay-req-001.EXT` onwards.
fn write_parts(
    kind: UrKind,
    dir: &Path,
    ext: &str,
    bodies: &[Vec<u8>],
    pure: usize,
) -> Result<(Vec<PathBuf>, String)> {
    std::fs::create_dir_all(dir).map_err(|e| qr_err(format!("{}: {e}", dir.display())))?;
    let digits = bodies.len().to_string().len().max(3);
    let mut files = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let p = dir.join(format!("{}-{:0digits$}.{ext}", kind.ur_type(), i + 1));
        write_file(&p, body)?;
        files.push(p);
    }
    let line = describe_files(&ext.to_uppercase(), dir, &files, pure);
    Ok((files, line))
}

fn png_bytes(img: &GrayImage) -> Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .map_err(|e| qr_err(e.to_string()))?;
    Ok(buf.into_inner())
}

fn gif_bytes(images: &[GrayImage], fps: u32) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    {
        let mut enc = image::codecs::gif::GifEncoder::new(&mut buf);
        enc.set_repeat(image::codecs::gif::Repeat::Infinite)
            .map_err(|e| qr_err(e.to_string()))?;
        let delay = image::Delay::from_numer_denom_ms(1000, fps.max(1));
        for img in images {
            let rgba = image::DynamicImage::ImageLuma8(img.clone()).to_rgba8();
            enc.encode_frame(image::Frame::from_parts(rgba, 0, 0, delay))
                .map_err(|e| qr_err(e.to_string()))?;
        }
    }
    Ok(buf)
}

/// Shows `payload` as QR codes according to `opts`. Everything is rendered in memory first, so
/// an error leaves no partial output. PNG and GIF frames and SVG files carry their part label.
pub fn emit_qr(kind: UrKind, payload: &[u8], opts: &QrOptions) -> Result<EmitSummary> {
    let part_size = choose_part_size(kind, payload, opts)?;
    let (parts, pure) = encode_with_spares(kind, payload, part_size, opts.extra_percent)?;
    let label = |i: usize| part_label(i, pure, parts.len());
    let images: Vec<GrayImage> = if opts.png_dir.is_some() || opts.gif.is_some() {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let img = render_image(p, opts.ec_level, opts.scale)?;
                Ok(with_label(&img, &label(i), opts.scale))
            })
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let svgs: Vec<Vec<u8>> = if opts.svg_dir.is_some() {
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| render_svg(p, opts.ec_level, Some(&label(i))).map(String::into_bytes))
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let mut out = EmitSummary {
        pure,
        part_size,
        ..EmitSummary::default()
    };
    if let Some(dir) = &opts.png_dir {
        let pngs: Vec<Vec<u8>> = images.iter().map(png_bytes).collect::<Result<_>>()?;
        let (files, line) = write_parts(kind, dir, "png", &pngs, pure)?;
        out.files.extend(files);
        out.written.push(line);
    }
    if let Some(dir) = &opts.svg_dir {
        let (files, line) = write_parts(kind, dir, "svg", &svgs, pure)?;
        out.files.extend(files);
        out.written.push(line);
    }
    if let Some(gif) = &opts.gif {
        write_file(gif, &gif_bytes(&images, opts.fps)?)?;
        out.files.push(gif.clone());
        out.written.push(format!(
            "wrote the animated GIF {} ({} frames: {pure} parts + {} spare, {} per second)",
            gif.display(),
            images.len(),
            images.len() - pure,
            opts.fps.max(1)
        ));
    }
    if opts.terminal {
        play_terminal(&parts, pure, opts.ec_level, opts.fps)?;
    }
    out.parts = parts;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::{decode_image, read_qr_images};

    #[test]
    fn missing_parts_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let payload = crate::cbor::Cbor::Bytes(vec![3; 900]).encode();
        let opts = QrOptions {
            png_dir: Some(dir.path().to_path_buf()),
            part_size: 100,
            ..QrOptions::default()
        };
        let s = emit_qr(UrKind::Request, &payload, &opts).unwrap();
        assert_eq!((s.pure, s.parts.len()), (10, 15));
        let e = read_qr_images(&s.files[..3]).unwrap_err().to_string();
        assert!(
            e.contains("3 distinct part(s) read (30%); at least 7 more are needed"),
            "{e}"
        );
        // Nine parts: one more, any of them.
        let e = read_qr_images(&s.files[1..10]).unwrap_err().to_string();
        assert!(e.contains("at least 1 more is needed"), "{e}");
        // Spares stand in for a missing part.
        assert_eq!(read_qr_images(&s.files[1..]).unwrap().1, payload);
    }

    #[test]
    fn png_frames_carry_their_label_and_still_scan() {
        let dir = tempfile::tempdir().unwrap();
        let payload = crate::cbor::Cbor::Bytes(vec![5; 300]).encode();
        let opts = QrOptions {
            png_dir: Some(dir.path().to_path_buf()),
            part_size: 100,
            ..QrOptions::default()
        };
        let s = emit_qr(UrKind::Response, &payload, &opts).unwrap();
        let img = image::open(&s.files[0]).unwrap().to_luma8();
        let bare = render_image(&s.parts[0], EcLevel::M, opts.scale).unwrap();
        let label = part_label(0, s.pure, s.parts.len());
        assert_eq!(label, "part 1 of 4 (+2 spare)");
        assert_eq!(img, with_label(&bare, &label, opts.scale));
        assert!(img.height() > bare.height());
        assert_eq!(decode_image(&img), vec![s.parts[0].clone()]);
        assert!(s.files[0].ends_with("coldpay-res-001.png"));
    }
}
