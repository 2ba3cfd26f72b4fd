//! The pieces every handler answers with: a reply (HTTP status and JSON body), java-tron's
//! error shape, and the request-parameter readers (`visible`, numbers given as text).

use coldpay_shared::Address;
use serde_json::{json, Value};

/// A handler's answer: HTTP status and JSON body.
pub type Reply = (u16, Value);

pub(crate) fn ok(v: Value) -> Reply {
    (200, v)
}

pub(crate) fn error(msg: impl std::fmt::Display) -> Reply {
    (200, json!({"Error": msg.to_string()}))
}

pub(crate) fn addr_out(a: &Address, visible: bool) -> Value {
    if visible {
        json!(a.to_base58())
    } else {
        json!(a.to_hex())
    }
}

pub(crate) fn text_out(s: &str, visible: bool) -> Value {
    if visible {
        json!(s)
    } else {
        json!(hex::encode(s.as_bytes()))
    }
}

pub(crate) fn get_str<'a>(p: &'a Value, k: &str) -> Option<&'a str> {
    p.get(k).and_then(Value::as_str)
}

pub(crate) fn get_u64(p: &Value, k: &str) -> Option<u64> {
    match p.get(k) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn visible(p: &Value) -> bool {
    match p.get("visible") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

pub(crate) fn param_addr(p: &Value, k: &str) -> Result<Address, Reply> {
    let s = get_str(p, k).ok_or_else(|| {
        error(format!(
            "class java.lang.IllegalArgumentException : {k} is required"
        ))
    })?;
    Address::parse(s).map_err(|e| {
        error(format!(
            "class java.lang.IllegalArgumentException : invalid {k}: {e}"
        ))
    })
}
