//! What a policy update changes, in words: limits old → new, destinations added and removed
//! with their labels, tokens, flags and admins. Computed from the two parsed policies (each
//! approving home from its own sealed policy), never taken from a proposal's text.

use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::U256;

use crate::policy::{Admins, Limits, Mode, Policy};

/// One line per change; empty when the two policies mean the same.
pub fn diff(old: &Policy, new: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    let mut flag = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name}: {a} → {b}"));
        }
    };
    flag(
        "unattended",
        old.unattended.to_string(),
        new.unattended.to_string(),
    );
    flag(
        "max_fee_limit",
        trx(old.max_fee_limit_sun),
        trx(new.max_fee_limit_sun),
    );
    flag(
        "max_expiration_hours",
        (old.max_expiration_ms / 3_600_000).to_string(),
        (new.max_expiration_ms / 3_600_000).to_string(),
    );
    flag(
        "allow_memo",
        old.allow_memo.to_string(),
        new.allow_memo.to_string(),
    );
    flag(
        "allow_permission_update",
        old.allow_permission_update.to_string(),
        new.allow_permission_update.to_string(),
    );
    flag("destinations.mode", mode(old.mode), mode(new.mode));
    destinations(old, new, &mut out);
    tokens(old, new, &mut out);
    limits_diff(
        "TRX",
        TRX_DECIMALS,
        old.trx.as_ref(),
        new.trx.as_ref(),
        &mut out,
    );
    admins(old.admins.as_ref(), new.admins.as_ref(), &mut out);
    staking(old, new, &mut out);
    out
}

/// `[staking]` changes: each key old → new, receivers added and removed.
fn staking(old: &Policy, new: &Policy, out: &mut Vec<String>) {
    let lines = |p: &Policy| {
        p.staking
            .as_ref()
            .map(crate::policy_staking::StakingPolicy::lines)
            .unwrap_or_default()
    };
    let (a, b) = (lines(old), lines(new));
    match (&old.staking, &new.staking) {
        (None, None) => {}
        (None, Some(_)) => out.push("staking: refused → allowed as below".into()),
        (Some(_), None) => out.push("staking: allowed → REFUSED ([staking] removed)".into()),
        (Some(_), Some(_)) => {}
    }
    for (k, v) in &b {
        match a.iter().find(|(x, _)| x == k) {
            None => out.push(format!("{k} added: {v}")),
            Some((_, o)) if o != v => out.push(format!("{k}: {o} → {v}")),
            Some(_) => {}
        }
    }
    for (k, v) in &a {
        if !b.iter().any(|(x, _)| x == k) {
            out.push(format!("{k} removed: {v}"));
        }
    }
}

fn trx(sun: u64) -> String {
    format!("{} TRX", format_units(U256::from(sun), TRX_DECIMALS))
}

fn mode(m: Mode) -> String {
    match m {
        Mode::Allowlist => "allowlist".into(),
        Mode::Any => "ANY RECIPIENT".into(),
    }
}

fn destinations(old: &Policy, new: &Policy, out: &mut Vec<String>) {
    for (a, l) in &new.allow {
        match old.allow.get(a) {
            None => out.push(format!("destination added: {a} \"{l}\"")),
            Some(o) if o != l => out.push(format!("destination {a}: label \"{o}\" → \"{l}\"")),
            Some(_) => {}
        }
    }
    for (a, l) in &old.allow {
        if !new.allow.contains_key(a) {
            out.push(format!("destination removed: {a} \"{l}\""));
        }
    }
}

fn tokens(old: &Policy, new: &Policy, out: &mut Vec<String>) {
    for t in &new.tokens {
        let before = old
            .tokens
            .iter()
            .find(|o| o.token.contract == t.token.contract);
        if before.is_none() {
            out.push(format!(
                "token added: {} {} ({} decimals)",
                t.token.symbol, t.token.contract, t.token.decimals
            ));
        }
        limits_diff(
            &t.token.symbol,
            t.token.decimals,
            before.map(|o| &o.limits),
            Some(&t.limits),
            out,
        );
    }
    for o in &old.tokens {
        if !new
            .tokens
            .iter()
            .any(|t| t.token.contract == o.token.contract)
        {
            out.push(format!(
                "token removed: {} {}",
                o.token.symbol, o.token.contract
            ));
        }
    }
}

fn limits_diff(
    symbol: &str,
    decimals: u8,
    old: Option<&Limits>,
    new: Option<&Limits>,
    out: &mut Vec<String>,
) {
    let show = |v: U256| format!("{} {symbol}", format_units(v, decimals));
    match (old, new) {
        (None, None) => {}
        (Some(_), None) => out.push(format!("{symbol} transfers: allowed → NOT ALLOWED")),
        (None, Some(n)) if symbol == "TRX" => out.push(format!(
            "TRX transfers: not allowed → allowed (per tx {}, per request {}, per 24 h {})",
            show(n.per_tx),
            show(n.per_request),
            show(n.per_24h)
        )),
        (None, Some(_)) => {}
        (Some(o), Some(n)) => {
            for (name, a, b) in [
                ("max_per_tx", o.per_tx, n.per_tx),
                ("max_per_request", o.per_request, n.per_request),
                ("max_per_24h", o.per_24h, n.per_24h),
            ] {
                if a != b {
                    let dir = if b > a { "RAISED" } else { "lowered" };
                    out.push(format!(
                        "{symbol} {name}: {} → {} ({dir})",
                        show(a),
                        show(b)
                    ));
                }
            }
        }
    }
}

fn admins(old: Option<&Admins>, new: Option<&Admins>, out: &mut Vec<String>) {
    let (Some(o), Some(n)) = (old, new) else {
        return;
    };
    if o.threshold != n.threshold || o.keys.len() != n.keys.len() {
        out.push(format!("admins: {} → {}", o.describe(), n.describe()));
    }
    for (a, l) in &n.keys {
        if o.label_of(a).is_none() {
            out.push(format!("admin added: {a} \"{l}\""));
        }
    }
    for (a, l) in &o.keys {
        if n.label_of(a).is_none() {
            out.push(format!("admin removed: {a} \"{l}\""));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::Network;

    const BASE: &str = r#"
[destinations]
mode = "allowlist"
allow = [ { address = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", label = "exchange" } ]
[[tokens]]
symbol = "USDT"
contract = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
decimals = 6
max_per_tx = "50000"
max_per_request = "1000000"
max_per_24h = "2000000"
[admins]
threshold = 2
keys = [ { address = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", label = "alice" },
         { address = "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm", label = "bob" } ]
"#;

    fn p(text: &str) -> Policy {
        Policy::parse(text.as_bytes(), Network::Mainnet).unwrap()
    }

    #[test]
    fn names_each_change_old_to_new() {
        let old = p(BASE);
        assert!(diff(&old, &old).is_empty());
        let new = BASE
            .replace("\"50000\"", "\"60000\"")
            .replace("label = \"exchange\"", "label = \"exchange 2\"")
            .replace("threshold = 2", "threshold = 1")
            .replace("mode = \"allowlist\"", "mode = \"any\"");
        let d = diff(&old, &p(&new));
        assert!(
            d.contains(&"USDT max_per_tx: 50000 USDT → 60000 USDT (RAISED)".to_string()),
            "{d:?}"
        );
        assert!(
            d.contains(&"destinations.mode: allowlist → ANY RECIPIENT".to_string()),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|l| l.contains("label \"exchange\" → \"exchange 2\"")),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|l| l.starts_with("admins: 2 of 2 admin(s) → 1 of 2")
                    && l.contains("ONE ADMIN ALONE")),
            "{d:?}"
        );
        let added = BASE.replace(
            "label = \"exchange\" }",
            "label = \"exchange\" }, { address = \"TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm\", label = \"payroll\" }",
        );
        let d = diff(&old, &p(&added));
        assert_eq!(
            d,
            vec!["destination added: TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm \"payroll\""]
        );
        let d = diff(&p(&added), &old);
        assert_eq!(
            d,
            vec!["destination removed: TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm \"payroll\""]
        );
    }
}
