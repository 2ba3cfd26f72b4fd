//! The plausible energy band of a registered token's transfer: an estimate is a node's claim,
//! accepted only inside the band the token registry and the journal's confirmed history give
//! (see [`crate::payout::fees`] for the history and the fee limit).

use std::sync::Mutex;

use crate::tokens::Token;

/// The history floor is the least energy used divided by this.
const HISTORY_FLOOR_DIVISOR: u64 = 5;
/// The history ceiling is the most energy used times this.
const HISTORY_CEILING_FACTOR: u64 = 2;
/// The history never widens the ceiling beyond the registry's times this.
const HISTORY_CEILING_CAP: u64 = 4;

/// The energy a transfer of one token, to one kind of recipient, may plausibly need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    /// Token symbol (for messages).
    pub symbol: String,
    /// Whether the recipient already holds the token.
    pub holds: bool,
    /// Least plausible estimate.
    pub low: u64,
    /// Most plausible estimate.
    pub high: u64,
    /// Where the bounds come from, in words.
    pub source: String,
}

impl Band {
    /// The band for a registered token from its registry entry and the energy earlier
    /// confirmed transfers of the same kind used (`used`: node-reported receipts).
    pub fn new(token: &Token, holds: bool, used: &[u64]) -> Band {
        let (mut low, mut high) = (token.min_energy, token.max_energy);
        let mut source = format!("registry {}..={}", token.min_energy, token.max_energy);
        let least = used.iter().copied().filter(|e| *e > 0).min();
        let most = used.iter().copied().max();
        if let (Some(least), Some(most)) = (least, most) {
            let floor = least / HISTORY_FLOOR_DIVISOR;
            let ceiling = most
                .saturating_mul(HISTORY_CEILING_FACTOR)
                .min(token.max_energy.saturating_mul(HISTORY_CEILING_CAP));
            low = low.max(floor.min(high));
            high = high.max(ceiling);
            source.push_str(&format!(
                "; journal: {} confirmed transfer(s) used {least}..={most}",
                used.len()
            ));
        }
        Band {
            symbol: token.symbol.to_string(),
            holds,
            low,
            high,
            source,
        }
    }

    /// Whether `energy` is plausible.
    pub fn contains(&self, energy: u64) -> bool {
        (self.low..=self.high).contains(&energy)
    }

    /// "USDT transfer to a holder: 14000..=300000 energy (registry …)".
    pub fn describe(&self) -> String {
        format!(
            "{} transfer to {}: plausible {}..={} energy ({})",
            self.symbol,
            if self.holds {
                "a holder"
            } else {
                "a new holder"
            },
            self.low,
            self.high,
            self.source
        )
    }
}

/// Estimates the nodes gave that fell outside the band.
#[derive(Default, Debug)]
pub struct Seen(Mutex<Vec<u64>>);

impl Seen {
    /// Notes an implausible estimate.
    pub fn note(&self, energy: u64) {
        self.0.lock().expect("seen").push(energy);
    }

    /// "2000, 2000, 0" (or "none").
    pub fn describe(&self) -> String {
        let seen = self.0.lock().expect("seen");
        if seen.is_empty() {
            return "none".into();
        }
        seen.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
