//! QR handoff on the signer side: a sign request read from QR images or a USB scanner is
//! rebuilt from its compact fields (see `coldpay_shared::compact`), or, for a request the
//! compact form does not carry (a permission update), read from the JSON file the QR codes
//! carry by the same strict parser as a request file. The option structs are shared with the
//! broadcaster (`coldpay_shared::qr_cli`).

use coldpay_shared::compact;
use coldpay_shared::input::{parse_input, Input, InputItem, MAX_INPUT_BYTES};
use coldpay_shared::urframe::{request_json_text, UrKind};

pub use coldpay_shared::qr_cli::{QrInArgs, QrOutArgs};

use crate::error::{Result, SignerError};

/// Reads a sign request from QR input: compact (`coldpay-req`; the transactions are rebuilt
/// from the compact fields and checked against the broadcaster's txID digest) or JSON
/// (`coldpay-req-json`).
pub fn read_request(qr_in: &QrInArgs) -> Result<Input> {
    let d = qr_in.read_message(&[UrKind::Request, UrKind::RequestJson])?;
    let input = if d.kind == UrKind::Request {
        Input::One(InputItem::Request(compact::decode_request(&d.payload)?))
    } else {
        request_of_json(&d.payload)?
    };
    if let Input::One(InputItem::Request(r)) = &input {
        let what = format!(
            "sign request {} ({} transaction(s))",
            r.request_id,
            r.transactions.len()
        );
        eprintln!("{}", d.summary(&what, qr_in.source_noun()));
    }
    Ok(input)
}

/// The sign request a `coldpay-req-json` message carries (nothing else is accepted).
fn request_of_json(payload: &[u8]) -> Result<Input> {
    let text = request_json_text(payload, MAX_INPUT_BYTES)?;
    match parse_input(&text).map_err(|e| crate::file_errors::input("QR input", &e))? {
        input @ Input::One(InputItem::Request(_)) => Ok(input),
        _ => Err(SignerError::Usage(format!(
            "the {} QR codes must carry one sign request",
            UrKind::RequestJson.ur_type()
        ))),
    }
}
