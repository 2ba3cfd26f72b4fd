//! QR handoff on the signer side: a sign request read from QR images or a USB scanner is
//! rebuilt from its compact fields (see `coldpay_shared::compact`). The option structs are
//! shared with the broadcaster (`coldpay_shared::qr_cli`).

use coldpay_shared::compact;
use coldpay_shared::input::{Input, InputItem};
use coldpay_shared::urframe::UrKind;

pub use coldpay_shared::qr_cli::{QrInArgs, QrOutArgs};

use crate::error::Result;

/// Reads a sign request from QR input; the transactions are rebuilt from the compact fields
/// and checked against the broadcaster's txID digest.
pub fn read_request(qr_in: &QrInArgs) -> Result<Input> {
    let payload = qr_in.read(UrKind::Request)?;
    Ok(Input::One(InputItem::Request(compact::decode_request(
        &payload,
    )?)))
}
