//! QR codes for the handoff (feature `qr`): render UR parts to the terminal (Unicode half
//! blocks, animated), PNG files, an animated GIF or SVG files; read them back from PNG/JPEG
//! photos or screenshots.
//!
//! Defaults suit a laptop webcam at arm's length: 200-byte fragments (a ~450-character
//! alphanumeric UR part, QR version ≤ 14) at error-correction level M, 8 frames per second, and
//! 50 % spare fountain parts so missed frames are tolerated. In the terminal the part size
//! shrinks until one part fits the window (`qr_term`). Every code keeps a 4-module quiet zone;
//! PNG, GIF and SVG frames carry their label ("part 3 of 10 (+5 spare)") underneath.
//!
//! ```no_run
//! use coldpay_shared::qr::{emit_qr, read_qr_images, QrOptions};
//! use coldpay_shared::urframe::UrKind;
//! let opts = QrOptions { png_dir: Some("out".into()), ..QrOptions::default() };
//! let summary = emit_qr(UrKind::Request, b"\x41", &opts).unwrap();
//! let (kind, payload) = read_qr_images(&summary.files).unwrap();
//! ```

use std::path::{Path, PathBuf};

use image::{GrayImage, Luma};

use crate::error::{Error, Result};
use crate::qr_label::{part_label, with_label};
pub use crate::qr_term::{play_terminal, TermSize};
use crate::ur_messages::{UrDecoded, UrSorter};
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

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            qr_err(format!("{}: {e}", path.display()))
        })
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
        crate::qr_term::fit_part_size(kind, payload, extra, ec, opts.part_size, size)
    } else {
        crate::qr_term::check_part_size(kind, payload, extra, ec, opts.part_size, size)?;
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

/// Decodes every QR code in an image.
pub fn decode_image(img: &GrayImage) -> Vec<String> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let scan = |f: &dyn Fn(u8) -> u8| -> Vec<String> {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            f(img.get_pixel(x as u32, y as u32)[0])
        });
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|g| g.decode().ok().map(|(_, s)| s))
            .collect()
    };
    let found = scan(&|v| v);
    if !found.is_empty() {
        return found;
    }
    // Blurred or rescaled images: retry on a global threshold at the mean luminance.
    let mean = (img.pixels().map(|p| u64::from(p[0])).sum::<u64>() / (w * h).max(1) as u64) as u8;
    scan(&|v| if v < mean { 0 } else { 255 })
}

/// The largest image, in pixels per side, that is decoded: a 12-megapixel phone photo
/// (4032×3024) and any screenshot fit; a QR code needs far fewer pixels. Larger images — or
/// hostile files whose header claims, say, 16,000×16,000 pixels in a few kilobytes — are
/// refused from the header alone, before any pixel is decoded.
pub const MAX_IMAGE_SIDE: u32 = 4096;

/// Decodes every QR code in an image file's bytes (PNG, JPEG or GIF, told apart by content).
/// Images wider or taller than [`MAX_IMAGE_SIDE`] are refused before their pixels are read.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<String>> {
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| qr_err(format!("cannot read image: {e}")))
    };
    let (w, h) = reader()?
        .into_dimensions()
        .map_err(|e| qr_err(format!("cannot read image: {e}")))?;
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(qr_err(format!(
            "image is {w}×{h} pixels; at most {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} are read (scale it down)"
        )));
    }
    let mut r = reader()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    r.limits(limits);
    let img = contained(|| r.decode())?
        .map_err(|e| qr_err(format!("cannot read image: {e}")))?
        .to_luma8();
    contained(|| decode_image(&img))
}

/// Runs a decoding library on untrusted bytes. A panic inside it (rqrr 0.11 asserts on some
/// hostile images) becomes an "unreadable image" error instead of ending the process; the
/// panic message is not printed (a quiet hook is set while the library runs, under a lock so
/// concurrent decodes do not restore each other's hooks).
/// Nothing the library touched is used after a panic (the reader and image are dropped), so
/// asserting unwind safety is sound.
fn contained<T>(decode: impl FnOnce() -> T) -> Result<T> {
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _held = HOOK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode));
    std::panic::set_hook(previous);
    out.map_err(|_| qr_err("unreadable image: the image decoder failed on it"))
}

/// Reads QR images (PNG/JPEG, any order) into one message. Every image is read: parts of a
/// second message are refused naming each message and its files (never silently dropped).
/// Frames without a readable QR code are skipped as long as the fountain code can do without
/// them.
pub fn read_qr_images(paths: &[PathBuf]) -> Result<(UrKind, Vec<u8>)> {
    decode_qr_images(paths).map(|d| (d.kind, d.payload))
}

/// Like [`read_qr_images`], returning what was decoded from how many parts and files.
pub fn decode_qr_images(paths: &[PathBuf]) -> Result<UrDecoded> {
    if paths.is_empty() {
        return Err(qr_err("no images given"));
    }
    let mut s = UrSorter::new();
    let mut unreadable = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        let bytes =
            std::fs::read(p).map_err(|e| qr_err(format!("{name}: cannot read image: {e}")))?;
        let codes = decode_image_bytes(&bytes).map_err(|e| match e {
            Error::Handoff(m) => {
                qr_err(format!("{name}: {}", m.strip_prefix("qr: ").unwrap_or(&m)))
            }
            other => other,
        })?;
        if codes.is_empty() {
            unreadable.push(name.clone());
        }
        for code in codes {
            s.receive(&code, &name).map_err(|e| match e {
                Error::Handoff(m) => Error::Handoff(format!("{name}: {m}")),
                other => other,
            })?;
        }
    }
    s.finish(&unreadable)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A valid PNG of `w`×`h` black pixels at 1 bit per pixel, built by hand: the zlib stream
    /// is one fixed-Huffman block of maximal back-references (13 bits per 258 zero bytes), so
    /// 16,000×16,000 pixels take about 200 KB without ever holding the pixels in memory.
    fn solid_png(w: u32, h: u32) -> Vec<u8> {
        struct Bits {
            out: Vec<u8>,
            acc: u32,
            n: u32,
        }
        impl Bits {
            /// Writes a Huffman code, most significant bit first.
            fn code(&mut self, code: u32, len: u32) {
                for i in (0..len).rev() {
                    self.acc |= ((code >> i) & 1) << self.n;
                    self.n += 1;
                    if self.n == 8 {
                        self.out.push(self.acc as u8);
                        (self.acc, self.n) = (0, 0);
                    }
                }
            }
        }
        fn crc32(bytes: &[u8]) -> u32 {
            let mut c = !0u32;
            for b in bytes {
                c ^= u32::from(*b);
                for _ in 0..8 {
                    c = if c & 1 == 1 {
                        (c >> 1) ^ 0xEDB8_8320
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        }
        fn chunk(png: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
            png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
            let start = png.len();
            png.extend_from_slice(&kind);
            png.extend_from_slice(data);
            let crc = crc32(&png[start..]);
            png.extend_from_slice(&crc.to_be_bytes());
        }
        // Each row: filter byte 0, then ceil(w / 8) zero bytes.
        let total = u64::from(h) * (1 + u64::from(w).div_ceil(8));
        let mut bits = Bits {
            out: vec![0x78, 0x01],
            acc: 0,
            n: 0,
        };
        bits.code(1, 1); // BFINAL
        bits.code(0b10, 2); // BTYPE = 01 (fixed Huffman), written low bit first
        bits.code(0x30, 8); // literal 0
        let rest = total - 1;
        for _ in 0..rest / 258 {
            bits.code(0xC5, 8); // length 258 (code 285)
            bits.code(0, 5); // distance 1
        }
        for _ in 0..rest % 258 {
            bits.code(0x30, 8);
        }
        bits.code(0, 7); // end of block
        if bits.n > 0 {
            bits.out.push(bits.acc as u8);
        }
        // Adler-32 of `total` zero bytes: a stays 1, b adds 1 per byte.
        let adler = (((total % 65521) as u32) << 16) | 1;
        bits.out.extend_from_slice(&adler.to_be_bytes());
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1-bit greyscale, no interlace
        chunk(&mut png, *b"IHDR", &ihdr);
        chunk(&mut png, *b"IDAT", &bits.out);
        chunk(&mut png, *b"IEND", &[]);
        png
    }

    #[test]
    fn a_huge_image_is_refused_from_its_header() {
        // The hand-made PNG is a real image: small ones decode (and hold no QR code).
        let small = solid_png(300, 200);
        let img = image::load_from_memory(&small).unwrap().to_luma8();
        assert_eq!(img.dimensions(), (300, 200));
        assert!(img.pixels().all(|p| p[0] == 0));
        assert_eq!(decode_image_bytes(&small).unwrap(), Vec::<String>::new());

        let huge = solid_png(16_000, 16_000);
        assert!(huge.len() < 256 * 1024, "{} bytes", huge.len());
        let t = std::time::Instant::now();
        let e = decode_image_bytes(&huge).unwrap_err().to_string();
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "refusal took {:?}",
            t.elapsed()
        );
        assert!(
            e.contains("image is 16000×16000 pixels; at most 4096×4096 are read"),
            "{e}"
        );
        // One pixel over the cap on either side is refused; the cap itself is read.
        for (w, h) in [(MAX_IMAGE_SIDE + 1, 8), (8, MAX_IMAGE_SIDE + 1)] {
            let e = decode_image_bytes(&solid_png(w, h))
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("image is {w}×{h} pixels")), "{e}");
        }
        assert!(decode_image_bytes(&solid_png(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)).is_ok());
        // Through the file reader, the error names the file.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge.png");
        std::fs::write(&p, &huge).unwrap();
        let e = read_qr_images(std::slice::from_ref(&p))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("{}: image is 16000×16000 pixels", p.display())),
            "{e}"
        );
    }

    #[test]
    fn an_image_that_panics_the_qr_library_is_an_error() {
        // Found by the qr_image fuzz target: rqrr 0.11 asserts in geometry.rs on this JPEG.
        let img = include_bytes!("../../fuzz/seeds/qr_image/rqrr-geometry-panic.jpg");
        let e = decode_image_bytes(img).unwrap_err().to_string();
        assert!(e.contains("unreadable image"), "{e}");
        // The process goes on, and later panics still reach the hook in place.
        assert_eq!(
            decode_image_bytes(&solid_png(40, 40)).unwrap(),
            Vec::<String>::new()
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hostile.jpg");
        std::fs::write(&p, img).unwrap();
        let e = read_qr_images(std::slice::from_ref(&p))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("{}: unreadable image", p.display())),
            "{e}"
        );
    }

    #[test]
    fn bytes_that_are_no_image_are_refused() {
        for junk in [
            &b""[..],
            b"GIF89a",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
            b"not an image",
        ] {
            let e = decode_image_bytes(junk).unwrap_err().to_string();
            assert!(e.contains("cannot read image"), "{e}");
        }
    }

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
