//! QR handoff on the broadcaster side: the option structs shared with the signer.

pub use coldpay_shared::qr_cli::{QrInArgs, QrOutArgs};
