//! JSON parsing that refuses a repeated key anywhere in the document, naming it by its path
//! (`transactions[3].raw_data.fee_limit appears twice`). `serde_json` keeps the last of two
//! equal keys, so a document could say one thing to a reader that takes the first and another
//! to coldpay. [`parse`] builds the same [`serde_json::Value`] `serde_json` would, in one pass
//! over the text; the path is kept on the stack and formatted only for the error.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};
use crate::text::escape;

/// Where a value sits in the document.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(Path::Root, k) => write!(f, "{}", escape(k)),
            Path::Key(parent, k) => write!(f, "{parent}.{}", escape(k)),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// The value at one path: a seed and visitor building a `Value`.
struct Node<'p>(&'p Path<'p>);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Node(&Path::Index(self.0, items.len())))? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = Path::Key(self.0, &key);
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "{}{path} appears twice",
                    crate::json_error::OWN_DUPLICATE
                )));
            }
            let v = map.next_value_seed(Node(&path))?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parses a JSON document, refusing any key that appears twice in one object. An error
/// names its line and column and quotes nothing from the document
/// (see [`crate::json_error`]).
pub fn parse(text: &str) -> Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Node(&Path::Root)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| positioned(&e))?;
    Ok(v)
}

/// A serde_json error as an [`Error::At`] its place, in content-free words.
pub(crate) fn positioned(e: &serde_json::Error) -> Error {
    Error::Json(crate::json_error::describe(e)).at(e.line().max(1), e.column().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_as_serde_json_when_keys_are_unique() {
        let text = r#"{"a":[1,-2,3.5,"x\u00e9",null,true,{"b":{}}],"c":18446744073709551615}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(parse("{} x").is_err());
        assert!(parse("[1,").is_err());
    }

    #[test]
    fn errors_name_the_place_and_quote_nothing() {
        let e = parse("{\n  \"a\": legal winner}").unwrap_err().to_string();
        assert_eq!(e, "line 2, column 8: json: not valid JSON");
        let e = parse("[1,\n2,").unwrap_err().to_string();
        assert_eq!(e, "line 2, column 2: json: unexpected end of the document");
    }

    #[test]
    fn a_repeated_key_is_named_by_its_path() {
        let cases = [
            (r#"{"network":"mainnet","network":"nile"}"#, "network"),
            (
                r#"{"transactions":[{},{},{},{"raw_data":{"fee_limit":1,"fee_limit":2}}]}"#,
                "transactions[3].raw_data.fee_limit",
            ),
            (r#"[{"txID":"a"},{"txID":"a","txID":"b"}]"#, "[1].txID"),
            (
                r#"{"raw_data":{"contract":[{"parameter":{"value":{"data":"aa","data":"bb"}}}]}}"#,
                "raw_data.contract[0].parameter.value.data",
            ),
            (r#"{"k\u200b":1,"k\u200b":2}"#, r"k\u{200b}"),
        ];
        for (text, path) in cases {
            let e = parse(text).unwrap_err().to_string();
            assert!(
                e.contains(&format!("duplicate key: {path} appears twice")),
                "{text}: {e}"
            );
        }
        // Keys equal only after escape processing are the same key.
        let e = parse(r#"{"fee_limit":1,"fee\u005flimit":2}"#).unwrap_err();
        assert!(e.to_string().contains("fee_limit appears twice"), "{e}");
        // Equal keys in different objects are fine.
        assert!(parse(r#"[{"a":1},{"a":2},{"x":{"a":3}}]"#).is_ok());
    }
}
