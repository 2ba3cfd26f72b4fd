//! The fast path for an input that is a JSON array (e.g. 10,000 TronWeb objects, the form
//! TronWeb scripts start with): the array is split into its elements (`RawValue`, no tree),
//! then each element is parsed strictly (repeated keys refused) and converted on its own, on
//! all cores, so memory never holds the whole document's tree. Any error falls back to the general path,
//! which reports it with the element's index and path; the accepted set is the same.

use rayon::prelude::*;
use serde_json::value::RawValue;

use super::{parse_item, InputItem};

/// The elements of a non-empty array document, or `None` to take the general path.
pub(crate) fn parse_array(text: &str) -> Option<Vec<InputItem>> {
    let raw: Vec<&RawValue> = serde_json::from_str(text).ok()?;
    if raw.is_empty() {
        return None;
    }
    // Elements are independent: parsed and converted on all cores.
    raw.par_iter()
        .enumerate()
        .map(|(i, r)| {
            let v = crate::strict_json::parse(r.get()).ok()?;
            parse_item(v, Some(i)).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{parse_input, Input};

    fn tronweb(fee: u64) -> serde_json::Value {
        let raw = crate::RawData::trx_transfer(
            crate::Address::from_evm_bytes([1; 20]),
            crate::Address::from_evm_bytes([2; 20]),
            crate::amount::Sun::new(5).unwrap(),
            crate::RefBlock {
                bytes: [0, 1],
                hash: [2; 8],
            },
            1_800_000_000_000 + fee,
            0,
        );
        crate::tronweb::to_tronweb_json(&raw, &[], true)
    }

    #[test]
    fn same_items_as_the_general_path() {
        let doc = serde_json::to_string(&vec![tronweb(1), tronweb(2)]).unwrap();
        let fast = parse_array(&doc).unwrap();
        let general = match parse_input(&format!(" {doc}")).unwrap() {
            Input::Many(v) => v,
            _ => unreachable!(),
        };
        assert_eq!(fast, general);
    }

    #[test]
    fn anything_wrong_takes_the_general_path() {
        let one = serde_json::to_string(&tronweb(1)).unwrap();
        let dup = one.replacen("\"visible\":true", "\"visible\":true,\"visible\":true", 1);
        assert_ne!(dup, one);
        for bad in [
            "[]".to_string(),
            format!("[{one},]"),
            format!("[{one}] x"),
            format!("[{one},{dup}]"),
            format!("[{one},1]"),
        ] {
            assert!(parse_array(&bad).is_none(), "{bad}");
            assert!(parse_input(&bad).is_err(), "{bad}");
        }
    }
}
