//! A builder for the signer's policy file (policy.toml) as the tests write it.
//!
//! [`Policy::test`] is the test policy most signer tests run under (unattended, USDT to one
//! allow-listed address); the builder's methods give its variants. The text comes out in one
//! fixed layout: top-level lines, `[destinations]`, `[[tokens]]`, `[trx]`, then any extra
//! tables given verbatim.

use crate::fixtures::{ALLOWED, ALLOWED_LABEL, USDT};

/// Per-transaction, per-request and 24-hour limits, in token units as the policy writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `max_per_tx`.
    pub per_tx: String,
    /// `max_per_request`.
    pub per_request: String,
    /// `max_per_24h`.
    pub per_24h: String,
}

impl Limits {
    /// Limits of `per_tx`, `per_request` and `per_24h` units.
    pub fn new(per_tx: &str, per_request: &str, per_24h: &str) -> Limits {
        Limits {
            per_tx: per_tx.into(),
            per_request: per_request.into(),
            per_24h: per_24h.into(),
        }
    }

    /// The test policy's USDT limits: 50 000 / 60 000 / 90 000.
    pub fn usdt() -> Limits {
        Limits::new("50000", "60000", "90000")
    }

    fn to_toml(&self) -> String {
        format!(
            "max_per_tx = \"{}\"\nmax_per_request = \"{}\"\nmax_per_24h = \"{}\"\n",
            self.per_tx, self.per_request, self.per_24h
        )
    }
}

/// One `[[tokens]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token {
    symbol: String,
    contract: String,
    decimals: u8,
    limits: Limits,
}

/// A policy file under construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    unattended: bool,
    top: Vec<String>,
    mode: String,
    allow: Vec<(String, String)>,
    tokens: Vec<Token>,
    trx: Option<Limits>,
    tables: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy::new()
    }
}

impl Policy {
    /// An unattended allow-list policy with nothing allowed yet.
    pub fn new() -> Policy {
        Policy {
            unattended: true,
            top: Vec::new(),
            mode: "allowlist".into(),
            allow: Vec::new(),
            tokens: Vec::new(),
            trx: None,
            tables: Vec::new(),
        }
    }

    /// The test policy: unattended, allow-list of [`ALLOWED`] ("exchange hot wallet"), USDT
    /// ([`USDT`], 6 decimals) with [`Limits::usdt`], no TRX.
    pub fn test() -> Policy {
        Policy::new()
            .allow(ALLOWED, ALLOWED_LABEL)
            .token("USDT", USDT, 6, Limits::usdt())
    }

    /// Without `unattended = true` (the operator confirms each run).
    pub fn attended(mut self) -> Policy {
        self.unattended = false;
        self
    }

    /// Adds a top-level line as it is (`max_fee_limit_trx = "100"`; an empty string gives an
    /// empty line).
    pub fn line(mut self, line: &str) -> Policy {
        self.top.push(line.into());
        self
    }

    /// `[destinations] mode` (`allowlist` or `any`).
    pub fn mode(mut self, mode: &str) -> Policy {
        self.mode = mode.into();
        self
    }

    /// Allow-lists `address` with `label`.
    pub fn allow(mut self, address: &str, label: &str) -> Policy {
        self.allow.push((address.into(), label.into()));
        self
    }

    /// Replaces the allow-list's labels by `label` (one address: its label).
    pub fn relabel(mut self, label: &str) -> Policy {
        for entry in &mut self.allow {
            entry.1 = label.into();
        }
        self
    }

    /// Adds a TRC-20 token.
    pub fn token(mut self, symbol: &str, contract: &str, decimals: u8, limits: Limits) -> Policy {
        self.tokens.push(Token {
            symbol: symbol.into(),
            contract: contract.into(),
            decimals,
            limits,
        });
        self
    }

    /// Replaces every token's limits by `limits`.
    pub fn token_limits(mut self, limits: &Limits) -> Policy {
        for t in &mut self.tokens {
            t.limits = limits.clone();
        }
        self
    }

    /// Allows TRX payouts within `limits`.
    pub fn trx(mut self, limits: Limits) -> Policy {
        self.trx = Some(limits);
        self
    }

    /// Appends a table as it is (`[staking]` and the like), after everything else.
    pub fn table(mut self, text: &str) -> Policy {
        self.tables.push(text.into());
        self
    }

    /// The policy file's text.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        if self.unattended {
            s.push_str("unattended = true\n");
        }
        for line in &self.top {
            s.push_str(line);
            s.push('\n');
        }
        s.push_str(&format!("[destinations]\nmode = \"{}\"\n", self.mode));
        s.push_str(&self.allow_toml());
        for t in &self.tokens {
            s.push_str(&format!(
                "[[tokens]]\nsymbol = \"{}\"\ncontract = \"{}\"\ndecimals = {}\n",
                t.symbol, t.contract, t.decimals
            ));
            s.push_str(&t.limits.to_toml());
        }
        if let Some(trx) = &self.trx {
            s.push_str("[trx]\n");
            s.push_str(&trx.to_toml());
        }
        for table in &self.tables {
            s.push_str(table);
        }
        s
    }

    /// The `allow = [...]` line: inline for one address, one line per address for more.
    fn allow_toml(&self) -> String {
        let entry = |(a, l): &(String, String)| format!("{{ address = \"{a}\", label = \"{l}\" }}");
        match self.allow.as_slice() {
            [] => String::new(),
            [one] => format!("allow = [ {} ]\n", entry(one)),
            many => {
                let lines: Vec<String> =
                    many.iter().map(|e| format!("  {},\n", entry(e))).collect();
                format!("allow = [\n{}]\n", lines.concat())
            }
        }
    }
}

impl std::fmt::Display for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_toml())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_policy_reads_as_the_signer_tests_wrote_it() {
        let want = format!(
            "unattended = true\n[destinations]\nmode = \"allowlist\"\n\
             allow = [ {{ address = \"{ALLOWED}\", label = \"exchange hot wallet\" }} ]\n\
             [[tokens]]\nsymbol = \"USDT\"\ncontract = \"{USDT}\"\ndecimals = 6\n\
             max_per_tx = \"50000\"\nmax_per_request = \"60000\"\nmax_per_24h = \"90000\"\n"
        );
        assert_eq!(Policy::test().to_toml(), want);
    }

    #[test]
    fn variants_keep_the_layout() {
        let p = Policy::test()
            .line("max_fee_limit_trx = \"100\"")
            .mode("any")
            .trx(Limits::new("1", "2", "3"))
            .table("[staking]\nallow = [\"stake\"]\n")
            .attended();
        let text = p.to_toml();
        assert!(text.starts_with("max_fee_limit_trx = \"100\"\n[destinations]\nmode = \"any\"\n"));
        assert!(text.contains("decimals = 6\nmax_per_tx = \"50000\""));
        assert!(text.ends_with(
            "[trx]\nmax_per_tx = \"1\"\nmax_per_request = \"2\"\nmax_per_24h = \"3\"\n[staking]\nallow = [\"stake\"]\n"
        ));
    }

    #[test]
    fn several_allowed_addresses_take_one_line_each() {
        let text = Policy::new().allow("A", "a").allow("B", "b (x)").to_toml();
        assert!(text.contains(
            "allow = [\n  { address = \"A\", label = \"a\" },\n  { address = \"B\", label = \"b (x)\" },\n]\n"
        ));
        assert!(!Policy::new().to_toml().contains("allow = "));
    }
}
