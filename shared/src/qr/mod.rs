//! QR codes for the handoff (feature `qr`): render UR parts to the terminal (Unicode half
//! blocks, animated), PNG files, an animated GIF or SVG files; read them back from PNG/JPEG
//! photos or screenshots.
//!
//! Defaults suit a laptop webcam at arm's length: 200-byte fragments (a ~450-character
//! alphanumeric UR part, QR version ≤ 14) at error-correction level M, 8 frames per second, and
//! 50 % spare fountain parts so missed frames are tolerated. In the terminal the part size
//! shrinks until one part fits the window ([`fit_part_size`]). Every code keeps a 4-module quiet
//! zone; PNG, GIF and SVG frames carry their label ("part 3 of 10 (+5 spare)") underneath.
//!
//! Layers, each using only the ones before it: `render` (a part as a QR code, in memory),
//! `label` (part labels and their bitmap font), `fit` (the part size a terminal of a given size
//! holds), `decode` (images and image files back to a message), `terminal` (the terminal on
//! stderr, Enter on stdin) and `emit` (a message out as files and/or terminal frames). Only
//! `decode`'s file reader, `terminal` and `emit` do I/O.
//!
//! ```no_run
//! use coldpay_shared::qr::{emit_qr, read_qr_images, QrOptions};
//! use coldpay_shared::urframe::UrKind;
//! let opts = QrOptions { png_dir: Some("out".into()), ..QrOptions::default() };
//! let summary = emit_qr(UrKind::Request, b"\x41", &opts).unwrap();
//! let (kind, payload) = read_qr_images(&summary.files).unwrap();
//! ```

mod decode;
mod emit;
mod fit;
mod label;
mod render;
mod terminal;

pub use decode::{
    decode_image, decode_image_bytes, decode_qr_images, read_qr_images, MAX_IMAGE_SIDE,
};
pub use emit::{emit_qr, EmitSummary, QrOptions};
pub use fit::{check_part_size, fit_part_size, TermSize, MIN_PART_SIZE};
pub use label::{drawable, part_label, with_label};
pub use render::{
    encode_with_spares, module_count, render_image, render_svg, render_terminal, terminal_cells,
    EcLevel, QUIET_ZONE,
};
pub use terminal::play_terminal;
