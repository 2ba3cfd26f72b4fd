//! PBKDF2-HMAC-SHA256 with one 32-byte output block: the keystores' key-encryption key.
//!
//! The same function as the `pbkdf2` crate's `pbkdf2_hmac::<Sha256>` (the tests compare the
//! two), written against SHA-256's compression function: the HMAC inner and outer keys are
//! absorbed once, and each of the 1,000,000 iterations is then exactly two compressions of a
//! pre-padded block. That removes the generic HMAC's per-iteration buffering, about a fifth of
//! the unlock time, and the unlock is on the critical path of every signing run.

use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, &[(*block).into()]);
}

/// Writes a 32-byte digest (as state words) into the first half of a padded block.
fn put_words(block: &mut [u8; 64], words: &[u32; 8]) {
    for (chunk, w) in block[..32].chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
}

/// PBKDF2-HMAC-SHA256(passphrase, salt, iterations), 32 bytes.
pub fn pbkdf2_sha256(passphrase: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    // HMAC key block: the passphrase, or its hash when longer than a block, zero-padded.
    let mut key = Zeroizing::new([0u8; 64]);
    if passphrase.len() > 64 {
        key[..32].copy_from_slice(&Sha256::digest(passphrase));
    } else {
        key[..passphrase.len()].copy_from_slice(passphrase);
    }
    let mut pad = Zeroizing::new([0u8; 64]);
    let (mut inner, mut outer) = (IV, IV);
    for (p, k) in pad.iter_mut().zip(key.iter()) {
        *p = k ^ 0x36;
    }
    compress(&mut inner, &pad);
    for (p, k) in pad.iter_mut().zip(key.iter()) {
        *p = k ^ 0x5c;
    }
    compress(&mut outer, &pad);

    // U1 = HMAC(passphrase, salt ‖ INT(1)), through the generic HMAC (runs once).
    let mut u1 = {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(passphrase).expect("any key length");
        mac.update(salt);
        mac.update(&1u32.to_be_bytes());
        let mut b = [0u8; 32];
        b.copy_from_slice(&mac.finalize().into_bytes());
        b
    };
    let mut u = [0u32; 8];
    for (w, chunk) in u.iter_mut().zip(u1.chunks_exact(4)) {
        *w = u32::from_be_bytes(chunk.try_into().expect("4 bytes"));
    }
    u1.zeroize();
    let mut acc = u;

    // Every later Ui is HMAC over a 32-byte message: one block of 32 bytes, 0x80, zeros and
    // the bit length of key block + message (96 bytes = 768 bits), for both the inner and
    // the outer hash.
    let mut block = Zeroizing::new([0u8; 64]);
    block[32] = 0x80;
    block[62..].copy_from_slice(&768u16.to_be_bytes());
    for _ in 1..iterations {
        put_words(&mut block, &u);
        let mut s = inner;
        compress(&mut s, &block);
        put_words(&mut block, &s);
        u = outer;
        compress(&mut u, &block);
        for (a, x) in acc.iter_mut().zip(&u) {
            *a ^= x;
        }
    }
    let mut out = Zeroizing::new([0u8; 32]);
    for (chunk, w) in out.chunks_exact_mut(4).zip(&acc) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    for s in [&mut inner, &mut outer, &mut u, &mut acc] {
        s.zeroize();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_pbkdf2_crate() {
        let long = vec![0xa5u8; 200];
        let passes: [&[u8]; 7] = [
            b"",
            b"p",
            &[7u8; 63],
            &[8u8; 64],
            &[9u8; 65],
            &long,
            "pässwörd 🔑".as_bytes(),
        ];
        let salts: [&[u8]; 3] = [b"", &[1u8; 16], &[2u8; 100]];
        for pass in passes {
            for salt in salts {
                for iterations in [1, 2, 3, 64, 1000] {
                    let mut want = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<Sha256>(pass, salt, iterations, &mut want);
                    assert_eq!(
                        *pbkdf2_sha256(pass, salt, iterations),
                        want,
                        "pass {} salt {} iterations {iterations}",
                        pass.len(),
                        salt.len()
                    );
                }
            }
        }
    }

    #[test]
    fn rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256 (P="passwd", S="salt", c=1), first 32 bytes.
        assert_eq!(
            hex::encode(*pbkdf2_sha256(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
        // P="Password", S="NaCl", c=80000.
        assert_eq!(
            hex::encode(*pbkdf2_sha256(b"Password", b"NaCl", 80_000)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
        );
    }
}
