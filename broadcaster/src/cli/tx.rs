//! `tx decode`: the same view of a transaction as the signer's `inspect`.

use super::output::read_text;
use crate::error::{BcError, Result};

/// `tx decode`: the JSON rows, or the text view with token units and UTC times.
pub(crate) fn decode(input: &str, json: bool) -> Result<String> {
    let parsed = coldpay_shared::input::parse_input(&read_text(input)?)
        .map_err(|e| decode_error(input, &e))?;
    Ok(if json {
        coldpay_shared::view::render_json(&parsed)?
    } else {
        let units = crate::tokens::all_units();
        let view = coldpay_shared::view::TextView::new(&units, coldpay_shared::timefmt::now_ms());
        coldpay_shared::view::inspect_text(&parsed.transactions(), &view)?
    })
}

/// A `tx decode` input the shared parser refused, named as the signer's `inspect` names it
/// ("FILE: line L, column C: what", nothing quoted from the file), so both tools answer alike.
fn decode_error(source: &str, e: &coldpay_shared::Error) -> BcError {
    let name = if source == "-" {
        "standard input"
    } else {
        source
    };
    BcError::Input(format!("{name}: {}", e.redacted()))
}
