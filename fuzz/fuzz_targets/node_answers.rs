//! Node answer bodies (any text): `classify` never lets an error body pass as data, and a typed
//! answer never holds a number the body did not say (absent = 0 is the only implied zero);
//! `ConstantCall::word()`/`revert()` report exactly what constant_result[0] holds.
#![no_main]
use coldpay_broadcaster::answers::{
    classify, decode_error_string, decode_message, Account, AccountResource, BodyError,
    BroadcastAnswer, ChainParameters, ConstantCall, EnergyEstimate, TxInfo,
};
use coldpay_broadcaster::node::parse_answer;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// `got` must be what `obj` says at `key`, 0 only when the key is absent.
fn said(obj: &Value, key: &str, got: u64) {
    let says = match obj.get(key) {
        None => Some(0),
        Some(x) => x.as_u64(),
    };
    assert_eq!(
        says,
        Some(got),
        "{key}: parsed {got}, body says {:?}",
        obj.get(key)
    );
}

/// The nested object at `key`, or an empty object when absent. Nested *arrays* read into
/// structs (serde's sequence form) are a known gap, see the fuzzing report; they are skipped.
fn nested<'a>(obj: &'a Value, key: &str, empty: &'a Value) -> Option<&'a Value> {
    match obj.get(key) {
        None => Some(empty),
        Some(v) if v.is_object() => Some(v),
        Some(_) => None,
    }
}

fn check_tx_info(v: &Value, t: &TxInfo) {
    said(v, "fee", t.fee);
    said(v, "blockNumber", t.block_number);
    said(v, "blockTimeStamp", t.block_time);
    assert_eq!(t.id.as_deref(), v.get("id").and_then(Value::as_str));
    let empty = Value::Object(Default::default());
    if let Some(r) = nested(v, "receipt", &empty) {
        said(r, "energy_fee", t.receipt.energy_fee);
        said(r, "energy_usage_total", t.receipt.energy_usage_total);
        said(r, "energy_penalty_total", t.receipt.energy_penalty_total);
        said(r, "net_usage", t.receipt.net_usage);
        said(r, "net_fee", t.receipt.net_fee);
    }
}

fuzz_target!(|data: &[u8]| {
    // Any bytes are ABI return data too.
    let _ = decode_error_string(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = decode_message(text);
    let parsed = serde_json::from_str::<Value>(text);
    let v = match classify(text) {
        Err(BodyError::NotJson(_)) => {
            assert!(parsed.is_err(), "valid JSON called not JSON");
            return;
        }
        Err(e) => {
            assert!(parsed.as_ref().is_ok_and(Value::is_object));
            let _ = e.suspended_for();
            let _ = e.to_string();
            return;
        }
        Ok(v) => v,
    };
    assert_eq!(
        Ok(&v),
        parsed.as_ref().map_err(|_| ()),
        "classify changed the JSON"
    );
    if let Some(o) = v.as_object() {
        let set = |k: &str| o.get(k).is_some_and(|x| !x.is_null());
        assert!(!set("Error") && !set("error"), "error body passed as data");
        assert_ne!(o.get("success").and_then(Value::as_bool), Some(false));
    }

    if let Ok(a) = parse_answer::<Account>(text) {
        said(&v, "balance", a.balance);
        assert_eq!(
            a.address.as_deref(),
            v.get("address").and_then(Value::as_str)
        );
    }
    if let Ok(r) = parse_answer::<AccountResource>(text) {
        said(&v, "freeNetUsed", r.free_net_used);
        said(&v, "freeNetLimit", r.free_net_limit);
        said(&v, "NetUsed", r.net_used);
        said(&v, "NetLimit", r.net_limit);
        said(&v, "EnergyUsed", r.energy_used);
        said(&v, "EnergyLimit", r.energy_limit);
    }
    if let Ok(p) = parse_answer::<ChainParameters>(text) {
        let list = v["chainParameter"]
            .as_array()
            .expect("chainParameter array");
        assert_eq!(list.len(), p.chain_parameter.len());
        for (e, q) in list.iter().zip(&p.chain_parameter) {
            if e.is_object() {
                assert_eq!(e.get("key").and_then(Value::as_str), Some(q.key.as_str()));
                let says = e.get("value").map_or(Some(0), Value::as_i64);
                assert_eq!(says, Some(q.value));
            }
        }
        for q in &p.chain_parameter {
            let first = p.chain_parameter.iter().find(|x| x.key == q.key).unwrap();
            assert_eq!(p.get(&q.key), u64::try_from(first.value).ok());
        }
    }
    if let Ok(c) = parse_answer::<ConstantCall>(text) {
        said(&v, "energy_used", c.energy_used);
        said(&v, "energy_penalty", c.energy_penalty);
        let first = v
            .get("constant_result")
            .and_then(|r| r.get(0))
            .and_then(Value::as_str);
        assert_eq!(first, c.constant_result.first().map(String::as_str));
        match c.word() {
            Ok(Some(w)) => {
                assert_eq!(hex::decode(first.expect("word from nothing")).unwrap(), w)
            }
            Ok(None) => assert!(first.is_none_or(str::is_empty)),
            Err(_) => {
                let h = first.expect("error from nothing");
                assert!(hex::decode(h).map_or(true, |b| b.len() != 32));
            }
        }
        if let Some(rv) = c.revert() {
            assert!(!rv.message.is_empty());
            if let Some(reason) = rv.reason {
                let d = hex::decode(first.expect("reason from nothing")).unwrap();
                assert_eq!(decode_error_string(&d), Some(reason));
            }
        }
    }
    if let Ok(e) = parse_answer::<EnergyEstimate>(text) {
        said(&v, "energy_required", e.energy_required);
        if e.result.result {
            assert_eq!(v["result"]["result"], Value::Bool(true));
        }
    }
    if let Ok(b) = parse_answer::<BroadcastAnswer>(text) {
        assert_eq!(b.result, v.get("result") == Some(&Value::Bool(true)));
        assert_eq!(b.txid.as_deref(), v.get("txid").and_then(Value::as_str));
    }
    if let Ok(t) = parse_answer::<TxInfo>(text) {
        check_tx_info(&v, &t);
    }
    // gettransactioninfobyblocknum: a list of TransactionInfo objects.
    if let Ok(list) = serde_json::from_value::<Vec<TxInfo>>(v.clone()) {
        let items = v.as_array().expect("array");
        for (e, t) in items.iter().zip(&list) {
            if e.is_object() {
                check_tx_info(e, t);
            }
        }
    }
});
