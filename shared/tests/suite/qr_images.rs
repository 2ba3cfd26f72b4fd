//! Round trips through real QR images: render → PNG files → decode with rqrr.
#![cfg(feature = "qr")]

use std::path::PathBuf;

use coldpay_shared::compact::{decode_request, encode_request};
use coldpay_shared::qr::{
    decode_image, emit_qr, read_qr_images, render_image, render_terminal, EcLevel, QrOptions,
};
use coldpay_shared::urframe::UrKind;

use super::compact as compact_fixtures;

fn request_bytes() -> Vec<u8> {
    encode_request(&compact_fixtures::usdt_request(100)).unwrap()
}

fn pngs(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    v.sort();
    v
}

#[test]
fn hundred_payout_request_through_png_files() {
    let payload = request_bytes();
    let dir = tempfile::tempdir().unwrap();
    let opts = QrOptions {
        png_dir: Some(dir.path().join("qr")),
        gif: Some(dir.path().join("req.gif")),
        svg_dir: Some(dir.path().join("svg")),
        ..QrOptions::default()
    };
    let s = emit_qr(UrKind::Request, &payload, &opts).unwrap();
    let files = pngs(&dir.path().join("qr"));
    assert_eq!(files.len(), s.parts.len());
    assert!(s.parts.len() > 10, "multi-part: {}", s.parts.len());
    // Every part is uppercase alphanumeric-mode text.
    assert!(s.parts.iter().all(|p| p
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "/:-".contains(c))));
    // Reverse order: any order works.
    let mut rev = files.clone();
    rev.reverse();
    let (kind, got) = read_qr_images(&rev).unwrap();
    assert_eq!(kind, UrKind::Request);
    assert_eq!(got, payload);
    assert_eq!(
        decode_request(&got).unwrap(),
        compact_fixtures::usdt_request(100)
    );
    // The GIF has one frame per part; the SVGs exist.
    let gif = std::fs::read(dir.path().join("req.gif")).unwrap();
    assert!(gif.starts_with(b"GIF89a"));
    assert_eq!(
        std::fs::read_dir(dir.path().join("svg")).unwrap().count(),
        s.parts.len()
    );
}

#[test]
fn quarter_of_the_parts_dropped() {
    let payload = request_bytes();
    let dir = tempfile::tempdir().unwrap();
    let opts = QrOptions {
        png_dir: Some(dir.path().to_path_buf()),
        extra_percent: 100,
        ..QrOptions::default()
    };
    emit_qr(UrKind::Request, &payload, &opts).unwrap();
    let files = pngs(dir.path());
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let kept: Vec<PathBuf> = files
        .iter()
        .filter(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            !seed.is_multiple_of(4)
        })
        .cloned()
        .collect();
    assert!(
        kept.len() < files.len() * 9 / 10,
        "dropped some: {} of {}",
        kept.len(),
        files.len()
    );
    assert_eq!(read_qr_images(&kept).unwrap().1, payload);
    // Too few parts: a clear error, not a wrong message.
    let e = read_qr_images(&files[..3]).unwrap_err().to_string();
    assert!(e.contains("do not complete the message"), "{e}");
}

#[test]
fn scaled_images_still_decode() {
    let payload = request_bytes();
    let parts = coldpay_shared::urframe::encode_parts(UrKind::Request, &payload, 200, 0).unwrap();
    for (factor, filter) in [
        (0.5f32, image::imageops::FilterType::Triangle),
        (2.0, image::imageops::FilterType::Nearest),
    ] {
        let mut c = coldpay_shared::urframe::UrCollector::new();
        for p in &parts {
            let img = render_image(p, EcLevel::M, QrOptions::default().scale).unwrap();
            let (w, h) = (
                (img.width() as f32 * factor) as u32,
                (img.height() as f32 * factor) as u32,
            );
            let scaled = image::imageops::resize(&img, w, h, filter);
            let codes = decode_image(&scaled);
            assert_eq!(codes.len(), 1, "scale {factor}");
            assert_eq!(codes[0], *p);
            c.receive(&codes[0]).unwrap();
        }
        assert_eq!(c.message().unwrap().unwrap().1, payload, "scale {factor}");
    }
}

#[test]
fn terminal_frames_fit_80_columns() {
    let parts =
        coldpay_shared::urframe::encode_parts(UrKind::Request, &request_bytes(), 200, 0).unwrap();
    let frame = render_terminal(&parts[0], EcLevel::M).unwrap();
    let width = frame.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(width <= 80, "{width} columns");
    assert!(
        frame.lines().count() <= 40,
        "{} lines",
        frame.lines().count()
    );
}

#[test]
fn a_qr_that_is_not_coldpay_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let img = render_image("https://example.com/not-a-payout", EcLevel::M, 4).unwrap();
    let p = dir.path().join("x.png");
    img.save(&p).unwrap();
    let e = read_qr_images(&[p]).unwrap_err().to_string();
    assert!(e.contains("not a coldpay message"), "{e}");
    let blank = image::GrayImage::from_pixel(200, 200, image::Luma([255]));
    let b = dir.path().join("blank.png");
    blank.save(&b).unwrap();
    assert!(read_qr_images(&[b])
        .unwrap_err()
        .to_string()
        .contains("no QR code found"));
}
