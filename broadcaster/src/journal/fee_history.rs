//! What earlier confirmed transfers of a token cost in energy, from the receipts and fee inputs
//! the journal kept for their attempts: the history `build`'s energy band is drawn from
//! ([`crate::payout::fees`]).

use serde::Deserialize;

use super::select_all;
use super::stored;
use super::Journal;
use crate::error::{BcError, Result};

/// The parts of a journaled receipt the band reads.
#[derive(Deserialize)]
struct ReceiptEnergy {
    #[serde(default)]
    energy_usage_total: Option<u64>,
}

/// The parts of journaled fee inputs the band reads.
#[derive(Deserialize)]
struct FeeKind {
    #[serde(default)]
    recipient_holds_token: Option<bool>,
}

/// One confirmed transfer's energy and whether its recipient held the token then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnergyUse {
    /// Energy used (`energy_usage_total` of its receipt).
    pub energy: u64,
    /// Whether the recipient held the token when it was built.
    pub recipient_holds_token: bool,
}

impl Journal {
    /// Energy used by confirmed transfers of `token` (base58 contract), oldest attempt first.
    /// Attempts whose receipt or fee inputs name no energy figure or recipient kind are left
    /// out; a receipt or fee inputs that are not JSON are a journal error naming the attempt.
    pub fn energy_history(&self, token: &str) -> Result<Vec<EnergyUse>> {
        let what = |e| BcError::journal_at(e, format!("read the energy history of {token}"));
        let sql = "SELECT a.id, a.receipt, a.fee_inputs FROM attempts a JOIN payouts p ON p.id = a.payout_id \
                 WHERE a.state = 'confirmed' AND p.token = ?1 AND a.receipt IS NOT NULL AND a.fee_inputs IS NOT NULL \
                 ORDER BY a.id";
        let rows = select_all(&self.conn, sql, what, [token], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for (id, receipt, inputs) in rows {
            let row = format!("attempts row {id}");
            let receipt: ReceiptEnergy = serde_json::from_str(&receipt)
                .map_err(|_| stored::corrupt(&row, "receipt", "not a receipt"))?;
            let kind: FeeKind = serde_json::from_str(&inputs)
                .map_err(|_| stored::corrupt(&row, "fee_inputs", "not fee inputs"))?;
            if let (Some(energy), Some(holds)) =
                (receipt.energy_usage_total, kind.recipient_holds_token)
            {
                out.push(EnergyUse {
                    energy,
                    recipient_holds_token: holds,
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::stored::temp_journal;

    fn confirmed(j: &Journal, n: u32, token: &str, receipt: &str, inputs: &str) {
        let (id, txid) = (format!("p{n}"), format!("{n:064}"));
        crate::journal::fixtures::pay(
            j,
            &crate::journal::fixtures::Paid {
                id: &id,
                token,
                txid: &txid,
                state: "confirmed",
                block: 5,
                receipt: Some(receipt),
                fee_inputs: Some(inputs),
                ..Default::default()
            },
        );
    }

    #[test]
    fn energy_history_reads_typed_figures_of_one_token() {
        let (_d, j) = temp_journal();
        confirmed(
            &j,
            1,
            "TU",
            r#"{"energy_usage_total": 64285}"#,
            r#"{"recipient_holds_token": true}"#,
        );
        confirmed(
            &j,
            2,
            "TU",
            r#"{"energy_usage_total": 130285}"#,
            r#"{"recipient_holds_token": false}"#,
        );
        confirmed(&j, 3, "TU", "{}", r#"{"recipient_holds_token": false}"#);
        confirmed(
            &j,
            4,
            "TV",
            r#"{"energy_usage_total": 1}"#,
            r#"{"recipient_holds_token": true}"#,
        );
        let got = j.energy_history("TU").unwrap();
        assert_eq!(
            got,
            [
                EnergyUse {
                    energy: 64_285,
                    recipient_holds_token: true
                },
                EnergyUse {
                    energy: 130_285,
                    recipient_holds_token: false
                },
            ]
        );
    }

    #[test]
    fn a_receipt_that_is_not_json_is_a_journal_error_naming_the_attempt() {
        let (_d, j) = temp_journal();
        confirmed(&j, 1, "TU", "garbage", r#"{"recipient_holds_token": true}"#);
        let e = j.energy_history("TU").unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string().contains("attempts row 1, column receipt"),
            "{e}"
        );
    }
}
