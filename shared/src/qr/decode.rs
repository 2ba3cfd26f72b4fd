//! Reading QR codes back: from an image in memory, from an image file's bytes (size-capped,
//! panics of the decoding library contained) and from image files into one message.

use std::path::PathBuf;

use image::GrayImage;

use super::render::qr_err;
use crate::error::{Error, Result};
use crate::ur_messages::{UrDecoded, UrSorter};
use crate::urframe::UrKind;

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
        let img = include_bytes!("../../../fuzz/seeds/qr_image/rqrr-geometry-panic.jpg");
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
}
