//! Hostile policy files: the policy parser never panics; what it accepts parses the same way
//! again, and a canonical rendering of the accepted policy (every field written out, amounts
//! as display units) parses back to the same policy.
#![no_main]
use coldpay_shared::amount::{format_units, TRX_DECIMALS};
use coldpay_shared::Network;
use coldpay_signer::policy::{Limits, Mode, Policy};
use libfuzzer_sys::fuzz_target;
use toml::{Table, Value};

fn limits(l: &Limits, decimals: u8) -> Table {
    let mut t = Table::new();
    let f = |v| Value::String(format_units(v, decimals));
    t.insert("max_per_tx".into(), f(l.per_tx));
    t.insert("max_per_request".into(), f(l.per_request));
    t.insert("max_per_24h".into(), f(l.per_24h));
    t
}

fn render(p: &Policy) -> String {
    let mut t = Table::new();
    t.insert("unattended".into(), Value::Boolean(p.unattended));
    t.insert(
        "max_fee_limit_trx".into(),
        Value::String(format_units(
            coldpay_shared::U256::from(p.max_fee_limit_sun),
            TRX_DECIMALS,
        )),
    );
    assert_eq!(p.max_expiration_ms % 3_600_000, 0);
    t.insert(
        "max_expiration_hours".into(),
        Value::Integer((p.max_expiration_ms / 3_600_000) as i64),
    );
    t.insert("allow_memo".into(), Value::Boolean(p.allow_memo));
    t.insert(
        "allow_permission_update".into(),
        Value::Boolean(p.allow_permission_update),
    );
    if let Some(admins) = &p.admins {
        let mut a = Table::new();
        a.insert("threshold".into(), Value::Integer(admins.threshold.into()));
        let keys = admins
            .keys
            .iter()
            .map(|(addr, label)| {
                let mut e = Table::new();
                e.insert("address".into(), Value::String(addr.to_string()));
                e.insert("label".into(), Value::String(label.clone()));
                Value::Table(e)
            })
            .collect();
        a.insert("keys".into(), Value::Array(keys));
        t.insert("admins".into(), Value::Table(a));
    }
    let mut d = Table::new();
    let mode = match p.mode {
        Mode::Allowlist => "allowlist",
        Mode::Any => "any",
    };
    d.insert("mode".into(), Value::String(mode.into()));
    let allow = p
        .allow
        .iter()
        .map(|(a, label)| {
            let mut e = Table::new();
            e.insert("address".into(), Value::String(a.to_string()));
            e.insert("label".into(), Value::String(label.clone()));
            Value::Table(e)
        })
        .collect();
    d.insert("allow".into(), Value::Array(allow));
    t.insert("destinations".into(), Value::Table(d));
    let tokens = p
        .tokens
        .iter()
        .map(|tp| {
            let mut e = limits(&tp.limits, tp.token.decimals);
            e.insert("symbol".into(), Value::String(tp.token.symbol.clone()));
            e.insert(
                "contract".into(),
                Value::String(tp.token.contract.to_string()),
            );
            e.insert("decimals".into(), Value::Integer(tp.token.decimals.into()));
            Value::Table(e)
        })
        .collect();
    t.insert("tokens".into(), Value::Array(tokens));
    if let Some(l) = &p.trx {
        t.insert("trx".into(), Value::Table(limits(l, TRX_DECIMALS)));
    }
    if let Some(s) = &p.staking {
        let trx = |sun: u64| {
            Value::String(format_units(coldpay_shared::U256::from(sun), TRX_DECIMALS))
        };
        let mut st = Table::new();
        let allow = s.allow.iter().map(|o| Value::String((*o).into())).collect();
        st.insert("allow".into(), Value::Array(allow));
        st.insert("max_per_tx_trx".into(), trx(s.per_tx_sun));
        st.insert("max_per_24h_trx".into(), trx(s.per_24h_sun));
        let receivers = s
            .receivers
            .iter()
            .map(|(a, label)| {
                let mut e = Table::new();
                e.insert("address".into(), Value::String(a.to_string()));
                e.insert("label".into(), Value::String(label.clone()));
                Value::Table(e)
            })
            .collect();
        st.insert("receivers".into(), Value::Array(receivers));
        t.insert("staking".into(), Value::Table(st));
    }
    toml::to_string(&t).expect("renders")
}

/// Everything but the digest of the file bytes.
fn fields(p: &Policy) -> String {
    let mut q = p.clone();
    q.digest = [0; 32];
    format!("{q:?}")
}

fuzz_target!(|data: &[u8]| {
    for network in [Network::Mainnet, Network::Nile] {
        let Ok(p) = Policy::parse(data, network) else {
            continue;
        };
        let again = Policy::parse(data, network).expect("same bytes parse again");
        assert_eq!(format!("{p:?}"), format!("{again:?}"));
        let text = render(&p);
        let back = Policy::parse(text.as_bytes(), network)
            .unwrap_or_else(|e| panic!("canonical rendering refused: {e}\n{text}"));
        assert_eq!(fields(&p), fields(&back), "\n{text}");
    }
});
