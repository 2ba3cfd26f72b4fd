//! Reading what a user hands the signer or `tx decode`: a coldpay sign request, a TronWeb
//! transaction object, a JSON array of either, or a bare raw_data hex string.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::handoff::{SignRequest, HANDOFF_VERSION, REQUEST_FORMAT};
use crate::json_error::line_col;
use crate::transaction::{RawData, TxId};
use crate::tronweb::{from_tronweb_json, TronWebTx};

mod array;

/// Largest input document accepted (64 MiB), so a hostile file cannot exhaust memory.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// One element of an input document.
// A TronWeb item carries its RawData inline (a permission update makes that large); an input
// holds few items and they are moved rarely, so boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputItem {
    /// A coldpay sign request.
    Request(SignRequest),
    /// A TronWeb / TronGrid transaction object.
    TronWeb(TronWebTx),
}

/// A parsed input document, keeping its shape so output can mirror it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A single object.
    One(InputItem),
    /// A JSON array of objects.
    Many(Vec<InputItem>),
    /// A bare raw_data hex string.
    RawHex(RawData),
}

/// A transaction found in an input, flattened.
#[derive(Clone, Debug)]
pub struct FoundTx<'a> {
    /// Payout id, for sign requests.
    pub payout_id: Option<&'a str>,
    /// The decoded raw_data.
    pub raw: &'a RawData,
    /// Its txID.
    pub txid: TxId,
}

impl Input {
    /// Every transaction in document order.
    pub fn transactions(&self) -> Vec<FoundTx<'_>> {
        fn item<'a>(i: &'a InputItem, out: &mut Vec<FoundTx<'a>>) {
            match i {
                InputItem::Request(r) => out.extend(r.transactions.iter().map(|t| FoundTx {
                    payout_id: Some(t.payout_id.as_str()),
                    raw: &t.raw,
                    txid: t.txid,
                })),
                InputItem::TronWeb(t) => out.push(FoundTx {
                    payout_id: None,
                    raw: &t.raw,
                    txid: t.txid,
                }),
            }
        }
        let mut out = Vec::new();
        match self {
            Input::One(i) => item(i, &mut out),
            Input::Many(items) => items.iter().for_each(|i| item(i, &mut out)),
            Input::RawHex(raw) => out.push(FoundTx {
                payout_id: None,
                raw,
                txid: raw.txid(),
            }),
        }
        out
    }
}

pub(crate) fn parse_item(v: Value, index: Option<usize>) -> Result<InputItem> {
    let at = |e: Error| match index {
        Some(i) => in_element(i, e),
        None => e,
    };
    if !v.is_object() {
        return Err(at(Error::Json(
            "expected a sign request or a transaction object".into(),
        )));
    }
    if v.get("format").is_some() {
        if v.get("format").and_then(Value::as_str) != Some(REQUEST_FORMAT) {
            return Err(at(Error::Handoff(format!(
                "format is not a sign request (expected {REQUEST_FORMAT:?})"
            ))));
        }
        return SignRequest::from_json_value(v)
            .map(InputItem::Request)
            .map_err(at);
    }
    from_tronweb_json(&v).map(InputItem::TronWeb).map_err(at)
}

/// `e` as an error of element `i` of an array document (its place, if any, kept).
fn in_element(i: usize, e: Error) -> Error {
    match e {
        Error::At {
            line,
            column,
            source,
        } => Error::At {
            line,
            column,
            source: Box::new(in_element(i, *source)),
        },
        Error::Json(m) => Error::Json(format!("element {i}: {m}")),
        e => Error::Json(format!("element {i}: {e}")),
    }
}

/// Parses an input document. An error names its line and column ([`Error::At`]): the place
/// serde stopped at, or the start of the element (or document) a later check refused, whose
/// path the message names; no message quotes the document.
pub fn parse_input(text: &str) -> Result<Input> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::Json(format!(
            "input is {} bytes, more than the {MAX_INPUT_BYTES}-byte limit",
            text.len()
        )));
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::Json("input is empty".into()));
    }
    let (line, column) = line_col(text, text.len() - text.trim_start().len());
    if !(trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('"')) {
        return RawData::decode_hex(trimmed)
            .map(Input::RawHex)
            .map_err(|e| e.at(line, column));
    }
    // The common case, one sign request, straight into its typed form (a 10,000-transaction
    // request is several megabytes); anything else, or any error, takes the general path.
    // The typed form refuses repeated keys itself (serde's derive), so a request with one
    // falls through to the general path, which names it.
    if let Some(r) = SignRequest::from_json_text(trimmed) {
        return r
            .map(|r| Input::One(InputItem::Request(r)))
            .map_err(|e| e.at(line, column));
    }
    // An array (10,000 TronWeb objects) element by element, never the whole tree at once.
    if trimmed.starts_with('[') {
        if let Some(items) = array::parse_array(trimmed) {
            return Ok(Input::Many(items));
        }
    }
    parse_general(trimmed).map_err(|e| e.at(line, column))
}

/// The general path: any document, errors placed within `text`.
fn parse_general(text: &str) -> Result<Input> {
    // Refuses a key repeated anywhere, naming its path (serde_json would keep the last).
    let v: Value = crate::strict_json::parse(text)?;
    match v {
        Value::String(s) => RawData::decode_hex(s.trim())
            .map(Input::RawHex)
            .map_err(|e| e.at(1, 1)),
        Value::Array(items) => {
            if items.is_empty() {
                return Err(Error::Json("empty array: no transactions".into()).at(1, 1));
            }
            // The same elements again, as slices of the text, to place an error.
            let parts: Vec<&RawValue> =
                serde_json::from_str(text).map_err(|e| crate::strict_json::positioned(&e))?;
            items
                .into_iter()
                .zip(parts)
                .enumerate()
                .map(|(i, (x, part))| parse_item_in(text, part.get(), x, Some(i)))
                .collect::<Result<Vec<_>>>()
                .map(Input::Many)
        }
        v => parse_item_in(text, text, v, None).map(Input::One),
    }
}

/// [`parse_item`] of `part` (a slice of `doc`), an error placed in `doc`: at serde's place
/// for a sign request its typed form refuses, else at the start of `part`.
fn parse_item_in(doc: &str, part: &str, v: Value, index: Option<usize>) -> Result<InputItem> {
    let is_request = v.get("format").and_then(Value::as_str) == Some(REQUEST_FORMAT)
        && v.get("version").and_then(Value::as_u64) == Some(u64::from(HANDOFF_VERSION));
    let (line, column) = line_col(doc, part.as_ptr() as usize - doc.as_ptr() as usize);
    parse_item(v, index).map_err(|e| {
        let typed = is_request.then(|| SignRequest::typed_error(part)).flatten();
        let typed = typed.map(|t| match index {
            Some(i) => in_element(i, t),
            None => t,
        });
        typed.unwrap_or(e).at(line, column)
    })
}
