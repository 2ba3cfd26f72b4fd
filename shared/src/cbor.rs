//! The deterministic CBOR subset coldpay's compact forms use (dCBOR rules): unsigned integers,
//! byte strings, text strings, arrays and maps with unsigned-integer keys; shortest-form heads,
//! definite lengths only, map keys strictly ascending, no trailing bytes. The decoder refuses
//! anything else, so every value has exactly one encoding.

use crate::error::{Error, Result};

/// A CBOR value of the supported subset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cbor {
    /// Major type 0.
    Uint(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Cbor>),
    /// Major type 5 with unsigned keys, ascending.
    Map(Vec<(u64, Cbor)>),
    /// Simple value null (0xf6).
    Null,
}

fn head(out: &mut Vec<u8>, major: u8, v: u64) {
    let m = major << 5;
    if v < 24 {
        out.push(m | v as u8);
    } else if v <= 0xff {
        out.extend_from_slice(&[m | 0x18, v as u8]);
    } else if v <= 0xffff {
        out.push(m | 0x19);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xffff_ffff {
        out.push(m | 0x1a);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(m | 0x1b);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

impl Cbor {
    /// Deterministic encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Uint(v) => head(out, 0, *v),
            Cbor::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Cbor::Text(s) => {
                head(out, 3, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Cbor::Array(items) => {
                head(out, 4, items.len() as u64);
                for i in items {
                    i.encode_into(out);
                }
            }
            Cbor::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    head(out, 0, *k);
                    v.encode_into(out);
                }
            }
            Cbor::Null => out.push(0xf6),
        }
    }

    /// Strictly decodes exactly one value from `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Cbor> {
        let mut pos = 0;
        let v = read(bytes, &mut pos, 0)?;
        if pos != bytes.len() {
            return Err(Error::Handoff(format!(
                "cbor: {} trailing bytes",
                bytes.len() - pos
            )));
        }
        Ok(v)
    }

    /// As unsigned integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Cbor::Uint(v) => Some(*v),
            _ => None,
        }
    }

    /// As bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Cbor::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// As text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cbor::Text(s) => Some(s),
            _ => None,
        }
    }

    /// As array.
    pub fn as_array(&self) -> Option<&[Cbor]> {
        match self {
            Cbor::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Map lookup.
    pub fn get(&self, key: u64) -> Option<&Cbor> {
        match self {
            Cbor::Map(m) => m.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

fn err(msg: &str) -> Error {
    Error::Handoff(format!("cbor: {msg}"))
}

fn read_head(b: &[u8], pos: &mut usize) -> Result<(u8, u64)> {
    let first = *b.get(*pos).ok_or_else(|| err("truncated"))?;
    *pos += 1;
    let major = first >> 5;
    let info = first & 0x1f;
    let (v, min) = match info {
        0..=23 => (u64::from(info), 0),
        24..=27 => {
            let n = 1usize << (info - 24);
            let s = b.get(*pos..*pos + n).ok_or_else(|| err("truncated"))?;
            *pos += n;
            let v = s.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x));
            (
                v,
                match n {
                    1 => 24,
                    2 => 0x100,
                    4 => 0x1_0000,
                    _ => 0x1_0000_0000,
                },
            )
        }
        _ => {
            return Err(err(
                "indefinite lengths and reserved values are not allowed",
            ))
        }
    };
    if v < min {
        return Err(err("non-shortest integer encoding"));
    }
    Ok((major, v))
}

fn read(b: &[u8], pos: &mut usize, depth: u32) -> Result<Cbor> {
    if depth > 8 {
        return Err(err("nesting too deep"));
    }
    let start = *pos;
    if b.get(start) == Some(&0xf6) {
        *pos += 1;
        return Ok(Cbor::Null);
    }
    let (major, v) = read_head(b, pos)?;
    let len = |v: u64| -> Result<usize> {
        usize::try_from(v)
            .ok()
            .filter(|l| *l <= b.len() - *pos)
            .ok_or_else(|| err("length exceeds input"))
    };
    Ok(match major {
        0 => Cbor::Uint(v),
        2 => {
            let n = len(v)?;
            let out = b[*pos..*pos + n].to_vec();
            *pos += n;
            Cbor::Bytes(out)
        }
        3 => {
            let n = len(v)?;
            let s = std::str::from_utf8(&b[*pos..*pos + n])
                .map_err(|_| err("text is not UTF-8"))?
                .to_string();
            *pos += n;
            Cbor::Text(s)
        }
        4 => {
            let n = len(v)?;
            let mut items = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                items.push(read(b, pos, depth + 1)?);
            }
            Cbor::Array(items)
        }
        5 => {
            let n = len(v)?;
            let mut entries: Vec<(u64, Cbor)> = Vec::with_capacity(n.min(64));
            for _ in 0..n {
                let (km, k) = read_head(b, pos)?;
                if km != 0 {
                    return Err(err("map keys must be unsigned integers"));
                }
                if entries.last().is_some_and(|(p, _)| *p >= k) {
                    return Err(err("map keys must be strictly ascending"));
                }
                entries.push((k, read(b, pos, depth + 1)?));
            }
            Cbor::Map(entries)
        }
        _ => return Err(err(&format!("major type {major} is not used by coldpay"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        let v = Cbor::Map(vec![
            (0, Cbor::Uint(1)),
            (1, Cbor::Text("a".into())),
            (
                24,
                Cbor::Array(vec![
                    Cbor::Bytes(vec![1; 30]),
                    Cbor::Null,
                    Cbor::Uint(u64::MAX),
                ]),
            ),
        ]);
        let e = v.encode();
        assert_eq!(Cbor::decode(&e).unwrap(), v);
        assert!(Cbor::decode(&[0x18, 0x05]).is_err(), "non-shortest");
        assert!(
            Cbor::decode(&[0xa2, 0x01, 0x00, 0x00, 0x00]).is_err(),
            "descending keys"
        );
        assert!(Cbor::decode(&[0x5f]).is_err(), "indefinite");
        assert!(Cbor::decode(&[0x01, 0x02]).is_err(), "trailing");
        assert!(Cbor::decode(&[0x45, 0x01]).is_err(), "truncated");
        assert_eq!(Cbor::Uint(500).encode(), vec![0x19, 0x01, 0xf4]);
    }
}
