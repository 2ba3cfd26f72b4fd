//! Hostile USB-scanner input (one UR part per line): the line reader never panics, and when
//! the lines it read complete a message, the same parts in another order, with duplicates,
//! reassemble to the same message. The first input byte seeds the shuffle; the rest is the
//! scanner's text.
#![no_main]
use std::io::Cursor;

use coldpay_shared::ur_messages::read_lines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&seed, text)) = data.split_first() else {
        return;
    };
    let mut input = Cursor::new(text);
    let Ok(message) = read_lines(&mut input, std::io::sink()) else {
        return;
    };
    // The lines the reader consumed before the message was complete.
    let consumed = &text[..usize::try_from(input.position()).unwrap()];
    let consumed = std::str::from_utf8(consumed).expect("read_lines read UTF-8 lines");
    let parts: Vec<&str> = consumed.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!parts.is_empty());
    // A deterministic shuffle with duplicates: Fisher–Yates driven by a small LCG.
    let mut state = u32::from(seed) | 1;
    let mut next = |n: usize| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (state >> 16) as usize % n
    };
    let mut order: Vec<&str> = parts.clone();
    for i in (1..order.len()).rev() {
        order.swap(i, next(i + 1));
    }
    let dups = next(parts.len()) + 1;
    for _ in 0..dups {
        let at = next(order.len() + 1);
        order.insert(at, parts[next(parts.len())]);
    }
    for lines in [order, parts.iter().rev().copied().collect()] {
        let joined = lines.join("\n");
        let again = read_lines(Cursor::new(joined.as_bytes()), std::io::sink())
            .unwrap_or_else(|e| panic!("reordered parts refused: {e}\n{joined}"));
        assert_eq!(again, message, "reordered parts give another message");
    }
});
