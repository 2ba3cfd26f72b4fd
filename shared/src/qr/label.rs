//! Part labels as people count them ("part 3 of 10 (+5 spare)"), and the tiny bitmap font that
//! prints them under each PNG and GIF frame.

use image::{GrayImage, Luma};

/// The label of part `index` (0-based) of `total` parts, the first `pure` of which carry the
/// message once and the rest are spares (fountain parts that stand in for any missed one):
/// "part 3 of 10 (+5 spare)", "spare 2 of 5", or "part 1 of 1".
pub fn part_label(index: usize, pure: usize, total: usize) -> String {
    let spare = total.saturating_sub(pure);
    if index < pure {
        let extra = if spare > 0 {
            format!(" (+{spare} spare)")
        } else {
            String::new()
        };
        format!("part {} of {pure}{extra}", index + 1)
    } else {
        format!("spare {} of {spare}", index + 1 - pure)
    }
}

/// Glyph rows, 5 pixels wide (bit 4 is the leftmost) and 9 tall (the last two for the
/// descender of "p"), for the characters labels use.
fn glyph(c: char) -> Option<[u8; 9]> {
    Some(match c {
        ' ' => [0; 9],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E, 0x00, 0x00],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F, 0x00, 0x00],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E, 0x00, 0x00],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02, 0x00, 0x00],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E, 0x00, 0x00],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E, 0x00, 0x00],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, 0x00, 0x00],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E, 0x00, 0x00],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C, 0x00, 0x00],
        'a' => [0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F, 0x00, 0x00],
        'e' => [0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E, 0x00, 0x00],
        'f' => [0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08, 0x00, 0x00],
        'o' => [0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00],
        'p' => [0x00, 0x00, 0x1E, 0x11, 0x11, 0x11, 0x1E, 0x10, 0x10],
        'r' => [0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10, 0x00, 0x00],
        's' => [0x00, 0x00, 0x0F, 0x10, 0x0E, 0x01, 0x1E, 0x00, 0x00],
        't' => [0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06, 0x00, 0x00],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02, 0x00, 0x00],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08, 0x00, 0x00],
        '+' => [0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00, 0x00, 0x00],
        _ => return None,
    })
}

/// Whether every character of `text` can be drawn.
pub fn drawable(text: &str) -> bool {
    text.chars().all(|c| glyph(c).is_some())
}

/// `img` with a white strip below it holding `text` in black, centred, drawn with font dots of
/// half the QR module size `scale`. When the text is wider than the image, the canvas widens
/// (white, the image centred) rather than the text shrinking. Characters without a glyph are
/// drawn as blanks.
pub fn with_label(img: &GrayImage, text: &str, scale: u32) -> GrayImage {
    let chars: Vec<char> = text.chars().collect();
    let s = (scale / 2).max(1);
    let text_w = 6 * chars.len() as u32 * s;
    let width = img.width().max(text_w + 4 * s);
    let mut out = GrayImage::from_pixel(width, img.height() + 13 * s, Luma([255]));
    image::imageops::replace(&mut out, img, i64::from((width - img.width()) / 2), 0);
    let x0 = (width - text_w) / 2;
    let y0 = img.height() + 2 * s;
    for (n, c) in chars.iter().enumerate() {
        let rows = glyph(*c).unwrap_or([0; 9]);
        for (gy, row) in rows.iter().enumerate() {
            for gx in (0..5u32).filter(|gx| row & (0x10 >> gx) != 0) {
                let (px, py) = (x0 + (n as u32 * 6 + gx) * s, y0 + gy as u32 * s);
                for (dx, dy) in (0..s).flat_map(|dx| (0..s).map(move |dy| (dx, dy))) {
                    out.put_pixel(px + dx, py + dy, Luma([0]));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_count_from_one_and_name_the_spares() {
        assert_eq!(part_label(2, 10, 15), "part 3 of 10 (+5 spare)");
        assert_eq!(part_label(9, 10, 15), "part 10 of 10 (+5 spare)");
        assert_eq!(part_label(11, 10, 15), "spare 2 of 5");
        assert_eq!(part_label(0, 1, 1), "part 1 of 1");
        assert_eq!(part_label(3, 4, 4), "part 4 of 4");
    }

    #[test]
    fn every_label_character_has_a_glyph() {
        for total in [1, 9, 15, 120, 1500] {
            for i in 0..total {
                let l = part_label(i, total * 2 / 3 + 1, total);
                assert!(drawable(&l), "{l}");
            }
        }
        assert!(!drawable("part é"));
    }

    /// Reads the label back: columns of ink in the strip, grouped into glyph cells.
    fn inked_cells(img: &GrayImage, from_row: u32) -> Vec<bool> {
        let cols: Vec<bool> = (0..img.width())
            .map(|x| (from_row..img.height()).any(|y| img.get_pixel(x, y)[0] == 0))
            .collect();
        let first = cols.iter().position(|&c| c).unwrap();
        let last = cols.iter().rposition(|&c| c).unwrap();
        cols[first..=last].to_vec()
    }

    #[test]
    fn the_label_is_drawn_below_the_image_at_half_the_module_size() {
        let mut qr = GrayImage::from_pixel(500, 500, Luma([255]));
        qr.put_pixel(0, 0, Luma([0]));
        let out = with_label(&qr, "part 3 of 10 (+5 spare)", 6);
        // Font dots of 3 pixels: 23 characters take 414 of the 500 pixels.
        assert_eq!(out.dimensions(), (500, 500 + 39));
        assert_eq!(out.get_pixel(0, 0)[0], 0, "the image is kept in place");
        assert_eq!(
            out.rows().take(500).flatten().filter(|p| p[0] == 0).count(),
            1
        );
        // From the left edge of "p" to the right edge of ")": 22 advances and 4 dots.
        assert_eq!(inked_cells(&out, 500).len(), (22 * 6 + 4) * 3);
        // A narrow image is widened for the text, centred, rather than the text shrunk.
        let mut small = GrayImage::from_pixel(90, 90, Luma([255]));
        small.put_pixel(0, 0, Luma([0]));
        let out = with_label(&small, "spare 12 of 50", 6);
        assert_eq!(out.dimensions(), (14 * 18 + 12, 90 + 39));
        assert_eq!(out.get_pixel((out.width() - 90) / 2, 0)[0], 0);
        assert_eq!(inked_cells(&out, 90).len(), (13 * 6 + 5) * 3);
    }
}
