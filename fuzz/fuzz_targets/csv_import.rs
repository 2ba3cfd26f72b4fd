//! The broadcaster's payout CSV import (`parse_csv`): never panics, and an accepted file written
//! back out (amounts in token units, proper quoting) parses to the same payouts.
#![no_main]
use coldpay_broadcaster::payouts::parse_csv;
use coldpay_shared::amount::format_units;
use coldpay_shared::Address;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (net, body) = match data.split_first() {
        Some((b, rest)) if *b == b'\x01' => ("nile", rest),
        _ => ("mainnet", data),
    };
    let from = Address::from_evm_bytes([0x11; 20]);
    let Ok(ps) = parse_csv(body, "fuzz.csv", &from, net) else {
        return;
    };
    assert!(!ps.is_empty());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["payout_id", "to", "amount", "token", "memo"])
        .unwrap();
    for p in &ps {
        assert!(!p.amount.is_zero());
        assert_ne!(p.to, from);
        let token = if p.token == "TRX" { "trx" } else { "usdt" };
        w.write_record([
            p.id.as_str(),
            &p.to.to_base58(),
            &format_units(p.amount, 6),
            token,
            p.memo.as_deref().unwrap_or(""),
        ])
        .unwrap();
    }
    let out = w.into_inner().unwrap();
    let again = parse_csv(&out, "rewritten.csv", &from, net).unwrap_or_else(|e| {
        panic!(
            "rewritten CSV refused: {e}\n{}",
            String::from_utf8_lossy(&out)
        )
    });
    let key = |p: &coldpay_broadcaster::payouts::NewPayout| {
        (
            p.id.clone(),
            p.to,
            p.token.clone(),
            p.amount,
            p.memo.clone(),
        )
    };
    assert_eq!(
        ps.iter().map(key).collect::<Vec<_>>(),
        again.iter().map(key).collect::<Vec<_>>()
    );
    // Lines are the records' first lines: strictly increasing.
    assert!(ps.windows(2).all(|w| w[0].line < w[1].line));
});
