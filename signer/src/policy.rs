//! The local signing policy (`policy.toml`) and the per-network token registry.

use std::collections::BTreeMap;
use std::path::Path;

use coldpay_shared::amount::{format_units, parse_units, TRX_DECIMALS};
use coldpay_shared::contract::ContractKind;
use coldpay_shared::text::label_problem;
use coldpay_shared::{Address, Intent, Network, RawData, U256};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Result, SignerError};

/// A token the signer knows: symbol and decimals come from here, never from a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryToken {
    /// Symbol shown to the operator.
    pub symbol: String,
    /// Contract address.
    pub contract: Address,
    /// Decimals.
    pub decimals: u8,
}

/// Built-in tokens per network. The dev node (`local`) deploys its USDT-like token at the
/// mainnet USDT address.
pub fn builtin_registry(network: Network) -> Vec<RegistryToken> {
    let (symbol, contract) = match network {
        Network::Mainnet | Network::Local => ("USDT", coldpay_shared::MAINNET_USDT),
        Network::Nile => ("USDT", "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"),
        Network::Shasta => ("USDT", "TG3XXyExBkPp9nzdajDZsozEu4BkaSJozs"),
    };
    vec![RegistryToken {
        symbol: symbol.into(),
        contract: Address::parse(contract).expect("valid built-in address"),
        decimals: 6,
    }]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyToml {
    #[serde(default)]
    unattended: bool,
    #[serde(default = "default_fee")]
    max_fee_limit_trx: Text,
    #[serde(default = "default_hours")]
    max_expiration_hours: u64,
    #[serde(default = "default_true")]
    allow_memo: bool,
    #[serde(default)]
    allow_permission_update: bool,
    destinations: DestinationsToml,
    #[serde(default)]
    tokens: Vec<TokenToml>,
    trx: Option<LimitsToml>,
    admins: Option<AdminsToml>,
    staking: Option<StakingToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StakingToml {
    allow: Vec<Text>,
    max_per_tx_trx: Text,
    max_per_24h_trx: Text,
    #[serde(default)]
    receivers: Vec<AllowToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminsToml {
    threshold: u8,
    keys: Vec<AllowToml>,
}

fn default_fee() -> Text {
    Text::new(0..0, "100".into())
}

/// A string value with its place in the file, so an error can name the line and column
/// without quoting the value (a wrong file read as the policy may be a mnemonic backup).
type Text = toml::Spanned<String>;

/// "policy: line L, column C: FIELD: why" for a value of the policy text `text`.
fn fault(text: &str, value: &Text, field: &str, why: &str) -> SignerError {
    let (line, column) = coldpay_shared::json_error::line_col(text, value.span().start);
    SignerError::Usage(format!(
        "policy: line {line}, column {column}: {field}: {why}"
    ))
}
fn default_hours() -> u64 {
    24
}
fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationsToml {
    mode: Mode,
    #[serde(default)]
    allow: Vec<AllowToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowToml {
    address: Text,
    label: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenToml {
    symbol: Text,
    contract: Text,
    decimals: u8,
    max_per_tx: Text,
    max_per_request: Text,
    max_per_24h: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsToml {
    max_per_tx: Text,
    max_per_request: Text,
    max_per_24h: Text,
}

/// Destination mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Only allowlisted recipients.
    Allowlist,
    /// Any recipient.
    Any,
}

/// Limits in base units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Max per transaction.
    pub per_tx: U256,
    /// Max per request.
    pub per_request: U256,
    /// Max per rolling 24 h.
    pub per_24h: U256,
}

/// A token the policy allows, with its limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Registry data.
    pub token: RegistryToken,
    /// Limits.
    pub limits: Limits,
}

/// The admins who approve changes of a sealed policy (`[admins]`): M of these N keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admins {
    /// Approvals needed (M).
    pub threshold: u8,
    /// The admin addresses and their labels (N), in file order.
    pub keys: Vec<(Address, String)>,
}

impl Admins {
    /// The label of `address` when it is an admin.
    pub fn label_of(&self, address: &Address) -> Option<&str> {
        self.keys
            .iter()
            .find(|(a, _)| a == address)
            .map(|(_, l)| l.as_str())
    }

    /// "2 of 3 admins", with a loud note when one admin alone can change the policy.
    pub fn describe(&self) -> String {
        let n = self.keys.len();
        let base = format!("{} of {n} admin(s)", self.threshold);
        if self.threshold == 1 {
            format!("{base} — ONE ADMIN ALONE CAN CHANGE THIS POLICY (no four-eyes check)")
        } else {
            base
        }
    }
}

/// A parsed, validated policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Whether `--yes` is accepted.
    pub unattended: bool,
    /// Max fee_limit in sun.
    pub max_fee_limit_sun: u64,
    /// Max expiration horizon in ms.
    pub max_expiration_ms: u64,
    /// Whether memos are allowed at all.
    pub allow_memo: bool,
    /// Whether AccountPermissionUpdateContract (who controls an account) may be signed at
    /// all; off unless the policy sets `allow_permission_update = true`.
    pub allow_permission_update: bool,
    /// Destination mode.
    pub mode: Mode,
    /// Allowlisted addresses and labels.
    pub allow: BTreeMap<Address, String>,
    /// Allowed tokens.
    pub tokens: Vec<TokenPolicy>,
    /// TRX limits; `None` = TRX transfers not allowed.
    pub trx: Option<Limits>,
    /// Who approves changes (`[admins]`); required once the policy is sealed.
    pub admins: Option<Admins>,
    /// Staking (`[staking]`); `None` = every staking transaction refused.
    pub staking: Option<crate::policy_staking::StakingPolicy>,
    /// sha256 of the policy file bytes.
    pub digest: [u8; 32],
}

/// The symbol and decimals of what a transaction moves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// "TRX" or the token symbol.
    pub symbol: String,
    /// Token contract (None for TRX).
    pub contract: Option<Address>,
    /// Decimals.
    pub decimals: u8,
}

impl Asset {
    /// Formats base units in this asset's display units.
    pub fn format(&self, v: U256) -> String {
        format!("{} {}", format_units(v, self.decimals), self.symbol)
    }
}

/// `l`'s limits in base units; `table` names where they are (`tokens[0]`, `trx`).
fn limits(text: &str, table: &str, l: &LimitsToml, decimals: u8) -> Result<Limits> {
    let p = |field: &str, s: &Text| {
        parse_units(s.get_ref(), decimals)
            .map_err(|e| fault(text, s, &format!("{table}.{field}"), &e.redacted()))
    };
    Ok(Limits {
        per_tx: p("max_per_tx", &l.max_per_tx)?,
        per_request: p("max_per_request", &l.max_per_request)?,
        per_24h: p("max_per_24h", &l.max_per_24h)?,
    })
}

/// `[staking]`, validated: known operations, TRX limits, receivers like allowlist entries.
fn staking(text: &str, t: &StakingToml) -> Result<crate::policy_staking::StakingPolicy> {
    use crate::policy_staking::{StakingPolicy, OPERATIONS};
    let mut allow = Vec::new();
    for (i, op) in t.allow.iter().enumerate() {
        let Some(known) = OPERATIONS.iter().find(|o| **o == op.get_ref().as_str()) else {
            return Err(fault(
                text,
                op,
                &format!("staking.allow[{i}]"),
                &format!(
                    "not a staking operation (one of: {})",
                    OPERATIONS.join(", ")
                ),
            ));
        };
        if !allow.contains(known) {
            allow.push(*known);
        }
    }
    let sun = |field: &str, v: &Text| {
        parse_units(v.get_ref(), TRX_DECIMALS)
            .ok()
            .and_then(|x| u64::try_from(x).ok())
            .ok_or_else(|| fault(text, v, &format!("staking.{field}"), "not a TRX amount"))
    };
    let per_tx = sun("max_per_tx_trx", &t.max_per_tx_trx)?;
    let per_24h = sun("max_per_24h_trx", &t.max_per_24h_trx)?;
    if per_tx > per_24h {
        return Err(fault(
            text,
            &t.max_per_tx_trx,
            "staking.max_per_tx_trx",
            "is above staking.max_per_24h_trx",
        ));
    }
    let mut receivers = BTreeMap::new();
    for (i, a) in t.receivers.iter().enumerate() {
        let at = format!("staking.receivers[{i}]");
        let addr = Address::parse(a.address.get_ref())
            .map_err(|e| fault(text, &a.address, &format!("{at}.address"), &e.redacted()))?;
        if let Some(m) = label_problem(&format!("{at}.label"), a.label.get_ref()) {
            return Err(fault(text, &a.label, &at, &m));
        }
        receivers.insert(addr, a.label.get_ref().clone());
    }
    Ok(StakingPolicy {
        allow,
        per_tx_sun: per_tx,
        per_24h_sun: per_24h,
        receivers,
    })
}

impl Policy {
    /// Loads and validates a policy file for `network`.
    pub fn load(path: &Path, network: Network) -> Result<Policy> {
        let bytes = std::fs::read(path).map_err(|e| SignerError::io(path, e))?;
        Self::parse(&bytes, network)
            .map_err(|e| SignerError::Usage(format!("{}: {e}", path.display())))
    }

    /// Parses policy TOML bytes.
    pub fn parse(bytes: &[u8], network: Network) -> Result<Policy> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| SignerError::Usage("policy is not UTF-8".into()))?;
        // The toml crate's message quotes the line; name the place only (see file_errors).
        let t: PolicyToml = toml::from_str(text)
            .map_err(|e| crate::file_errors::toml(Path::new("policy"), text, &e))?;
        let max_fee_limit_sun: u64 = parse_units(t.max_fee_limit_trx.get_ref(), TRX_DECIMALS)
            .ok()
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| {
                fault(
                    text,
                    &t.max_fee_limit_trx,
                    "max_fee_limit_trx",
                    "not a TRX amount",
                )
            })?;
        if t.max_expiration_hours == 0 || t.max_expiration_hours > 24 {
            return Err(SignerError::Usage(
                "policy: max_expiration_hours must be 1..=24 (TRON refuses expirations beyond 24 h)"
                    .into(),
            ));
        }
        let mut allow = BTreeMap::new();
        for (i, a) in t.destinations.allow.into_iter().enumerate() {
            let at = format!("destinations.allow[{i}]");
            let addr = Address::parse(a.address.get_ref())
                .map_err(|e| fault(text, &a.address, &format!("{at}.address"), &e.redacted()))?;
            if addr == zero_address() {
                return Err(SignerError::Usage(format!(
                    "policy: destinations.allow: {addr} is the zero address (anything sent there is burnt)"
                )));
            }
            if let Some(m) = label_problem(&format!("{at}.label"), a.label.get_ref()) {
                return Err(fault(text, &a.label, &at, &m));
            }
            allow.insert(addr, a.label.into_inner());
        }
        let builtin = builtin_registry(network);
        let mut tokens = Vec::new();
        for (i, tok) in t.tokens.iter().enumerate() {
            let at = format!("tokens[{i}]");
            if let Some(m) = label_problem(&format!("{at}.symbol"), tok.symbol.get_ref()) {
                return Err(fault(text, &tok.symbol, &at, &m));
            }
            let contract = Address::parse(tok.contract.get_ref()).map_err(|e| {
                fault(
                    text,
                    &tok.contract,
                    &format!("{at}.contract"),
                    &e.redacted(),
                )
            })?;
            if let Some(b) = builtin.iter().find(|b| b.contract == contract) {
                if b.decimals != tok.decimals {
                    return Err(SignerError::Usage(format!(
                        "policy: {at}: {} has {} decimals on {network}, not {}",
                        b.symbol, b.decimals, tok.decimals
                    )));
                }
            }
            if tokens
                .iter()
                .any(|x: &TokenPolicy| x.token.contract == contract)
            {
                return Err(SignerError::Usage(format!(
                    "policy: token contract {contract} listed twice"
                )));
            }
            let limits = LimitsToml {
                max_per_tx: tok.max_per_tx.clone(),
                max_per_request: tok.max_per_request.clone(),
                max_per_24h: tok.max_per_24h.clone(),
            };
            tokens.push(TokenPolicy {
                token: RegistryToken {
                    symbol: tok.symbol.get_ref().clone(),
                    contract,
                    decimals: tok.decimals,
                },
                limits: limits_checked(text, &at, &limits, tok.decimals)?,
            });
        }
        let trx = match &t.trx {
            Some(l) => Some(limits_checked(text, "trx", l, TRX_DECIMALS)?),
            None => None,
        };
        let admins = t.admins.as_ref().map(|a| admins(text, a)).transpose()?;
        let staking = t.staking.as_ref().map(|s| staking(text, s)).transpose()?;
        Ok(Policy {
            unattended: t.unattended,
            max_fee_limit_sun,
            max_expiration_ms: t.max_expiration_hours * 3_600_000,
            allow_memo: t.allow_memo,
            allow_permission_update: t.allow_permission_update,
            mode: t.destinations.mode,
            allow,
            tokens,
            trx,
            admins,
            staking,
            digest: Sha256::digest(bytes).into(),
        })
    }

    /// The asset a transaction moves, if the policy knows it.
    pub fn asset_of(&self, intent: &Intent) -> Option<(Asset, &Limits)> {
        match intent.token() {
            None => self.trx.as_ref().map(|l| {
                (
                    Asset {
                        symbol: "TRX".into(),
                        contract: None,
                        decimals: TRX_DECIMALS,
                    },
                    l,
                )
            }),
            Some(c) => self.tokens.iter().find(|t| t.token.contract == c).map(|t| {
                (
                    Asset {
                        symbol: t.token.symbol.clone(),
                        contract: Some(c),
                        decimals: t.token.decimals,
                    },
                    &t.limits,
                )
            }),
        }
    }

    /// Per-transaction verdict: every reason this transaction is refused (empty = allowed).
    /// Request-wide and 24 h limits are checked by the caller.
    pub fn check_tx(&self, raw: &RawData, now_ms: u64) -> Vec<String> {
        let mut reasons = Vec::new();
        let intent = match raw.intent() {
            Ok(i) => i,
            Err(e) => return vec![format!("not a payout: {e}")],
        };
        if intent.to() == zero_address() {
            reasons.push(format!(
                "recipient {} is the zero address (anything sent there is burnt)",
                intent.to()
            ));
        }
        if let ContractKind::TriggerSmart(t) = &raw.contract.kind {
            if t.call_value.as_u64() != 0 {
                reasons.push(format!(
                    "TRC-20 call carries call_value {} sun",
                    t.call_value
                ));
            }
            if raw.fee_limit == 0 {
                reasons.push("TRC-20 transfer with fee_limit 0 can only fail".into());
            }
            if intent.to() == t.contract {
                reasons.push("transfer to the token contract itself".into());
            }
        }
        match self.asset_of(&intent) {
            None => match intent.token() {
                Some(c) => reasons.push(format!(
                    "token contract {c} is not in the registry/policy (its amount cannot be judged)"
                )),
                None => reasons
                    .push("TRX transfers are not enabled by the policy ([trx] missing)".into()),
            },
            Some((asset, limits)) => {
                if intent.amount().is_zero() {
                    reasons.push("zero amount".into());
                }
                if intent.amount() > limits.per_tx {
                    reasons.push(format!(
                        "amount {} is over the per-transaction limit {}",
                        asset.format(intent.amount()),
                        asset.format(limits.per_tx)
                    ));
                }
            }
        }
        reasons.extend(self.fee_limit_reason(raw));
        if self.mode == Mode::Allowlist && !self.allow.contains_key(&intent.to()) {
            reasons.push(format!("recipient {} is not on the allowlist", intent.to()));
        }
        self.check_memo_and_expiration(raw, now_ms, &mut reasons);
        reasons
    }

    /// Verdict on one staking transaction: refused unless `[staking]` allows its operation
    /// (see [`crate::policy_staking`]); zero amounts and a receiver equal to the owner always;
    /// fee limit, memo and expiration as for payouts. The 24 h limit is checked by the caller.
    pub fn check_staking(
        &self,
        raw: &RawData,
        c: &coldpay_shared::staking::StakingContract,
        now_ms: u64,
    ) -> Vec<String> {
        let op = c.operation();
        let mut reasons = match &self.staking {
            None => vec![format!(
                "staking transactions are not allowed by the policy ([staking] missing; a {op} needs \"{op}\" in staking.allow)"
            )],
            Some(s) => s.reasons(c),
        };
        reasons.extend(crate::policy_staking::always_refused(c));
        reasons.extend(self.fee_limit_reason(raw));
        self.check_memo_and_expiration(raw, now_ms, &mut reasons);
        reasons
    }

    /// Verdict on a permission update (contract type 46): refused unless the policy sets
    /// `allow_permission_update = true`; fee limit, memo and expiration rules as for payouts.
    pub fn check_permission_update(&self, raw: &RawData, now_ms: u64) -> Vec<String> {
        let mut reasons = Vec::new();
        if !self.allow_permission_update {
            reasons.push(
                "permission updates are not allowed by the policy (allow_permission_update = true enables them)"
                    .into(),
            );
        }
        reasons.extend(self.fee_limit_reason(raw));
        self.check_memo_and_expiration(raw, now_ms, &mut reasons);
        reasons
    }

    fn fee_limit_reason(&self, raw: &RawData) -> Option<String> {
        (raw.fee_limit > self.max_fee_limit_sun).then(|| {
            format!(
                "fee_limit {} TRX is over the policy maximum {} TRX",
                format_units(U256::from(raw.fee_limit), TRX_DECIMALS),
                format_units(U256::from(self.max_fee_limit_sun), TRX_DECIMALS)
            )
        })
    }

    /// Memo and expiration rules, whatever the transaction does.
    fn check_memo_and_expiration(&self, raw: &RawData, now_ms: u64, reasons: &mut Vec<String>) {
        if !raw.memo.is_empty() {
            if !self.allow_memo {
                reasons.push("memos are not allowed by the policy".into());
            }
            match std::str::from_utf8(&raw.memo) {
                Err(_) => reasons.push("memo is not UTF-8 text".into()),
                Ok(m) => {
                    if let Some(c) = coldpay_shared::transaction::memo_char_problem(m) {
                        reasons.push(format!(
                            "memo contains a control, bidi or zero-width character U+{:04X}",
                            u32::from(c)
                        ));
                    }
                }
            }
        }
        if raw.expiration <= now_ms {
            reasons.push(format!(
                "expired {} ago",
                coldpay_shared::timefmt::human_duration(now_ms - raw.expiration)
            ));
        } else if raw.expiration - now_ms > self.max_expiration_ms {
            reasons.push(format!(
                "expiration is {} away, beyond the policy's {} h horizon",
                coldpay_shared::timefmt::human_duration(raw.expiration - now_ms),
                self.max_expiration_ms / 3_600_000
            ));
        }
    }
}

/// The zero address (`41` + 20 zero bytes, `T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb`): no key
/// controls it, so a transfer to it burns the value. Refused as a recipient in every mode.
pub fn zero_address() -> Address {
    Address::from_evm_bytes([0; 20])
}

/// The `[admins]` table checked: 1 ≤ threshold ≤ keys, no key twice, labels clean.
fn admins(text: &str, a: &AdminsToml) -> Result<Admins> {
    let mut keys: Vec<(Address, String)> = Vec::new();
    for (i, k) in a.keys.iter().enumerate() {
        let at = format!("admins.keys[{i}]");
        let addr = Address::parse(k.address.get_ref())
            .map_err(|e| fault(text, &k.address, &format!("{at}.address"), &e.redacted()))?;
        if let Some(m) = label_problem(&format!("{at}.label"), k.label.get_ref()) {
            return Err(fault(text, &k.label, &at, &m));
        }
        if keys.iter().any(|(x, _)| *x == addr) {
            return Err(SignerError::Usage(format!(
                "policy: admins: {addr} is listed twice (each admin is one approval)"
            )));
        }
        keys.push((addr, k.label.get_ref().clone()));
    }
    if keys.is_empty() || a.threshold == 0 || usize::from(a.threshold) > keys.len() {
        return Err(SignerError::Usage(format!(
            "policy: admins: threshold {} must be between 1 and the number of admin keys ({})",
            a.threshold,
            keys.len()
        )));
    }
    Ok(Admins {
        threshold: a.threshold,
        keys,
    })
}

fn limits_checked(text: &str, table: &str, l: &LimitsToml, decimals: u8) -> Result<Limits> {
    limits(text, table, l, decimals)
}

/// The policy `init` writes: nothing is signable until the operator lists destinations.
pub fn default_policy_toml(network: Network) -> String {
    let usdt = &builtin_registry(network)[0];
    format!(
        r#"# coldpay-signer policy for {network}. Amounts are display units as decimal strings.
unattended = false                 # true allows `sign --yes` (scripted cold batches)
max_fee_limit_trx = "100"          # refuse transactions whose fee_limit is above this
max_expiration_hours = 24          # refuse expirations further away than this
allow_memo = true                  # memos are shown escaped; control/bidi/zero-width refused
allow_permission_update = false    # true allows signing changes of who controls an account

[destinations]
mode = "allowlist"                 # or "any"
allow = [
  # {{ address = "T...", label = "exchange hot wallet" }},
]

[[tokens]]
symbol = "{symbol}"
contract = "{contract}"
decimals = {decimals}
max_per_tx = "50000"
max_per_request = "1000000"
max_per_24h = "2000000"

[trx]
max_per_tx = "10000"
max_per_request = "100000"
max_per_24h = "200000"
"#,
        symbol = usdt.symbol,
        contract = usdt.contract,
        decimals = usdt.decimals
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
unattended = true                  # allows --yes
max_fee_limit_trx = "100"
max_expiration_hours = 24
[destinations]
mode = "allowlist"                 # or "any"
allow = [ { address = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", label = "exchange hot wallet" } ]
[[tokens]]
symbol = "USDT"
contract = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
decimals = 6
max_per_tx = "50000"
max_per_request = "1000000"
max_per_24h = "2000000"
[trx]
max_per_tx = "10000"
max_per_request = "100000"
max_per_24h = "200000"
"#;

    #[test]
    fn issue_example_parses_with_its_meanings() {
        let p = Policy::parse(EXAMPLE.as_bytes(), Network::Mainnet).unwrap();
        assert!(p.unattended);
        assert_eq!(p.max_fee_limit_sun, 100_000_000);
        assert_eq!(p.max_expiration_ms, 24 * 3_600_000);
        assert_eq!(p.mode, Mode::Allowlist);
        let a = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        assert_eq!(p.allow[&a], "exchange hot wallet");
        assert_eq!(p.tokens[0].limits.per_tx, U256::from(50_000_000_000u64));
        assert_eq!(p.tokens[0].limits.per_24h, U256::from(2_000_000_000_000u64));
        assert_eq!(
            p.trx.as_ref().unwrap().per_request,
            U256::from(100_000_000_000u64)
        );
    }

    #[test]
    fn permission_updates_need_the_setting_and_keep_the_other_rules() {
        use coldpay_shared::permission::{
            AccountPermissionUpdate, Operations, Permission, PermissionKey, PermissionKind,
        };
        let a = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let perm = |kind, id, operations| Permission {
            kind,
            id,
            name: "p".into(),
            threshold: 1,
            parent_id: 0,
            operations,
            keys: vec![PermissionKey {
                address: a,
                weight: 1,
            }],
        };
        let mut raw = zero_transfer(false);
        raw.contract.kind = ContractKind::AccountPermissionUpdate(AccountPermissionUpdate {
            owner_address: a,
            owner: perm(PermissionKind::Owner, 0, None),
            witness: None,
            actives: vec![perm(
                PermissionKind::Active,
                2,
                Some(Operations::from_names(&["trx"]).unwrap()),
            )],
        });
        let off = Policy::parse(EXAMPLE.as_bytes(), Network::Mainnet).unwrap();
        assert!(!off.allow_permission_update);
        let reasons = off.check_permission_update(&raw, 3_600_000);
        assert_eq!(
            reasons,
            vec!["permission updates are not allowed by the policy (allow_permission_update = true enables them)"]
        );
        let text = EXAMPLE.replace(
            "unattended = true",
            "unattended = true\nallow_permission_update = true",
        );
        let on = Policy::parse(text.as_bytes(), Network::Mainnet).unwrap();
        assert!(on.check_permission_update(&raw, 3_600_000).is_empty());
        // Expiration and memo rules still apply.
        let reasons = on.check_permission_update(&raw, 3 * 3_600_000);
        assert!(reasons[0].starts_with("expired"), "{reasons:?}");
        raw.memo = b"a\x07".to_vec();
        let reasons = on.check_permission_update(&raw, 3_600_000);
        assert!(reasons.iter().any(|r| r.contains("memo")), "{reasons:?}");
    }

    #[test]
    fn default_policy_parses_for_every_network() {
        for n in [
            Network::Mainnet,
            Network::Nile,
            Network::Shasta,
            Network::Local,
        ] {
            let p = Policy::parse(default_policy_toml(n).as_bytes(), n).unwrap();
            assert!(!p.unattended);
            assert_eq!(p.mode, Mode::Allowlist);
        }
    }

    #[test]
    fn refuses_bad_policies() {
        let bad_decimals = EXAMPLE.replace("decimals = 6", "decimals = 18");
        assert!(Policy::parse(bad_decimals.as_bytes(), Network::Mainnet)
            .unwrap_err()
            .to_string()
            .contains("has 6 decimals"));
        let typo = EXAMPLE.replace("unattended", "unatended");
        assert!(Policy::parse(typo.as_bytes(), Network::Mainnet).is_err());
        let bad_amount = EXAMPLE.replace("\"50000\"", "\"50,000\"");
        assert!(Policy::parse(bad_amount.as_bytes(), Network::Mainnet)
            .unwrap_err()
            .to_string()
            .contains("max_per_tx"));
        use coldpay_shared::transaction::memo_char_problem;
        assert_eq!(memo_char_problem("a\u{202E}b"), Some('\u{202E}'));
        assert_eq!(memo_char_problem("\u{200B}"), Some('\u{200B}'));
        assert_eq!(memo_char_problem("café"), None);
    }

    #[test]
    fn value_errors_name_line_and_column_never_the_value() {
        let words = "legal winner thank year wave sausage";
        let cases = [
            (
                "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
                "destinations.allow[0].address: address",
            ),
            ("exchange hot wallet", "destinations.allow[0].label"),
        ];
        for (field, named) in cases {
            let text = EXAMPLE.replace(field, &format!("{words}\u{200b}"));
            let e = Policy::parse(text.as_bytes(), Network::Mainnet)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("policy: line "), "{e}");
            assert!(e.contains(named), "{e}");
            assert!(!e.contains("legal") && !e.contains("sausage"), "{e}");
        }
        let text = EXAMPLE.replace("\"50000\"", &format!("\"{words}\""));
        let e = Policy::parse(text.as_bytes(), Network::Mainnet)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("tokens[0].max_per_tx: amount: not a digit"),
            "{e}"
        );
        assert!(!e.contains("legal"), "{e}");
        let line = EXAMPLE[..EXAMPLE.find("\"50000\"").unwrap()]
            .lines()
            .count();
        assert!(e.contains(&format!("line {line}, column ")), "{e}");
    }

    fn zero_transfer(trc20: bool) -> RawData {
        let from = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let r = coldpay_shared::RefBlock {
            bytes: [1, 2],
            hash: [3; 8],
        };
        if trc20 {
            let usdt = Address::parse(coldpay_shared::MAINNET_USDT).unwrap();
            RawData::trc20_transfer(
                from,
                usdt,
                zero_address(),
                U256::from(1u64),
                1_000_000,
                r,
                2 * 3_600_000,
                1,
            )
        } else {
            let sun = coldpay_shared::Sun::new(1).unwrap();
            RawData::trx_transfer(from, zero_address(), sun, r, 2 * 3_600_000, 1)
        }
    }

    #[test]
    fn zero_address_is_refused_in_every_mode_and_cannot_be_allowlisted() {
        assert_eq!(
            zero_address().to_base58(),
            "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"
        );
        let any = EXAMPLE.replace(r#"mode = "allowlist""#, r#"mode = "any""#);
        for text in [EXAMPLE.to_string(), any] {
            let p = Policy::parse(text.as_bytes(), Network::Mainnet).unwrap();
            for trc20 in [true, false] {
                let reasons = p.check_tx(&zero_transfer(trc20), 3_600_000);
                assert!(
                    reasons.iter().any(|r| r.contains("is the zero address")),
                    "{reasons:?}"
                );
            }
        }
        let listed = EXAMPLE.replace(
            "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH",
            "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb",
        );
        let e = Policy::parse(listed.as_bytes(), Network::Mainnet).unwrap_err();
        assert!(e.to_string().contains("is the zero address"), "{e}");
    }

    #[test]
    fn labels_and_symbols_with_hidden_characters_are_refused() {
        let bidi = EXAMPLE.replace("exchange hot wallet", r"hot\u202Etellaw");
        let e = Policy::parse(bidi.as_bytes(), Network::Mainnet).unwrap_err();
        assert!(e.to_string().contains("U+202E"), "{e}");
        assert!(
            !e.to_string().contains("tellaw"),
            "labels are not quoted: {e}"
        );
        let sym = EXAMPLE.replace(r#"symbol = "USDT""#, r#"symbol = "US\u200BDT""#);
        let e = Policy::parse(sym.as_bytes(), Network::Mainnet).unwrap_err();
        assert!(e.to_string().contains("U+200B"), "{e}");
        let intl = EXAMPLE.replace("exchange hot wallet", "Büro Zürich");
        assert!(Policy::parse(intl.as_bytes(), Network::Mainnet).is_ok());
    }
}

#[cfg(test)]
mod staking_tests {
    use super::*;
    use coldpay_shared::contract::{Contract, ContractKind};
    use coldpay_shared::staking::Resource;
    use coldpay_shared::staking::StakingContract;
    use coldpay_shared::{Network, RefBlock, Sun};

    const OWNER: &str = "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy";
    const FRIEND: &str = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8";

    fn policy(staking: &str) -> Policy {
        let text = format!("[destinations]\nmode = \"allowlist\"\n{staking}");
        Policy::parse(text.as_bytes(), Network::Mainnet).unwrap()
    }

    fn raw(c: &StakingContract) -> RawData {
        RawData {
            ref_block: RefBlock {
                bytes: [0; 2],
                hash: [0; 8],
            },
            expiration: 3_600_000,
            memo: Vec::new(),
            contract: Contract {
                kind: ContractKind::Staking(c.clone()),
                permission_id: 0,
            },
            timestamp: 1,
            fee_limit: 0,
        }
    }

    fn verdict(p: &Policy, c: &StakingContract) -> Vec<String> {
        p.check_staking(&raw(c), c, 1_000)
    }

    fn stake(sun: u64) -> StakingContract {
        StakingContract::Freeze {
            owner: Address::parse(OWNER).unwrap(),
            amount: Sun::new(sun).unwrap(),
            resource: Resource::Energy,
        }
    }

    fn delegate(to: &str) -> StakingContract {
        StakingContract::Delegate {
            owner: Address::parse(OWNER).unwrap(),
            resource: Resource::Energy,
            balance: Sun::new(5_000_000).unwrap(),
            receiver: Address::parse(to).unwrap(),
            lock: false,
            lock_period: 0,
        }
    }

    const ALL: &str = "[staking]\nallow = [\"stake\", \"delegate\"]\nmax_per_tx_trx = \"100\"\nmax_per_24h_trx = \"1000\"\n[[staking.receivers]]\naddress = \"TJRabPrwbZy45sbavfcjinPJC18kjpRTv8\"\nlabel = \"ops wallet\"\n";

    #[test]
    fn refused_by_default_and_each_operation_needs_its_name() {
        let none = policy("");
        let r = verdict(&none, &stake(5_000_000));
        assert!(r[0].contains("[staking] missing"), "{r:?}");
        let p = policy(ALL);
        assert!(verdict(&p, &stake(5_000_000)).is_empty());
        let w = StakingContract::WithdrawExpireUnfreeze {
            owner: Address::parse(OWNER).unwrap(),
        };
        let r = verdict(&p, &w);
        assert_eq!(
            r,
            vec!["withdraw-unstaked (WithdrawExpireUnfreezeContract) is not allowed by the policy (staking.allow: stake, delegate)"]
        );
    }

    #[test]
    fn limits_zero_amounts_and_receivers() {
        let p = policy(ALL);
        let r = verdict(&p, &stake(101_000_000));
        assert!(
            r[0].contains("over the staking per-transaction limit 100 TRX"),
            "{r:?}"
        );
        assert!(verdict(&p, &stake(0)).contains(&"zero amount".to_string()));
        assert!(verdict(&p, &delegate(FRIEND)).is_empty());
        let r = verdict(&p, &delegate(OWNER));
        assert!(
            r.iter()
                .any(|x| x.contains("not on the policy's staking.receivers")),
            "{r:?}"
        );
        assert!(
            r.contains(&"the receiver is the account itself".to_string()),
            "{r:?}"
        );
    }

    #[test]
    fn bad_staking_tables_are_refused_by_place() {
        let bad = |t: &str| {
            Policy::parse(
                format!("[destinations]\nmode = \"any\"\n{t}").as_bytes(),
                Network::Mainnet,
            )
            .unwrap_err()
            .to_string()
        };
        let e =
            bad("[staking]\nallow = [\"vote\"]\nmax_per_tx_trx = \"1\"\nmax_per_24h_trx = \"2\"\n");
        assert!(
            e.contains("staking.allow[0]") && e.contains("not a staking operation"),
            "{e}"
        );
        let e = bad("[staking]\nallow = []\nmax_per_tx_trx = \"3\"\nmax_per_24h_trx = \"2\"\n");
        assert!(e.contains("above staking.max_per_24h_trx"), "{e}");
        let e = bad("[staking]\nallow = []\nmax_per_tx_trx = \"x\"\nmax_per_24h_trx = \"2\"\n");
        assert!(e.contains("staking.max_per_tx_trx"), "{e}");
        let e = bad("[staking]\nallow = []\nmax_per_tx_trx = \"1\"\nmax_per_24h_trx = \"2\"\nsurprise = 1\n");
        assert!(e.contains("surprise") || e.contains("unknown"), "{e}");
    }
}
