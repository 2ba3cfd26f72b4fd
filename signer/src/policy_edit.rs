//! Edits of policy text that keep its comments and layout (`toml_edit`): the `[admins]`
//! table of an enrollment, and allowlist entries added, imported or removed. The result is
//! always parsed again by [`crate::policy::Policy::parse`] before anyone sees it.

use std::path::Path;

use coldpay_shared::Address;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::error::{Result, SignerError};
use crate::policy::Admins;

fn doc(text: &str) -> Result<DocumentMut> {
    text.parse::<DocumentMut>()
        .map_err(|_| SignerError::Usage("policy: not TOML (check it with `policy show`)".into()))
}

fn entry(address: &Address, label: &str) -> Value {
    let mut t = InlineTable::new();
    t.insert("address", address.to_base58().into());
    t.insert("label", label.into());
    Value::InlineTable(t)
}

/// Whether the text has an `[admins]` table.
pub fn has_admins(text: &str) -> Result<bool> {
    Ok(doc(text)?.contains_key("admins"))
}

/// `text` with an `[admins]` table naming `admins` (the text must have none).
pub fn with_admins(text: &str, admins: &Admins) -> Result<String> {
    let mut d = doc(text)?;
    let mut t = Table::new();
    t.insert("threshold", toml_edit::value(i64::from(admins.threshold)));
    let mut keys = Array::new();
    for (a, l) in &admins.keys {
        keys.push(entry(a, l));
        if let Some(last) = keys.iter_mut().last() {
            last.decor_mut().set_prefix("\n  ");
        }
    }
    keys.set_trailing("\n");
    keys.set_trailing_comma(true);
    t.insert("keys", Item::Value(Value::Array(keys)));
    t.decor_mut().set_prefix(
        "\n# Admins: changes of this policy need `threshold` of these keys' approvals.\n",
    );
    d.insert("admins", Item::Table(t));
    Ok(d.to_string())
}

/// The `destinations.allow` array of `d`.
fn allow_array(d: &mut DocumentMut) -> Result<&mut Array> {
    let dest = d
        .get_mut("destinations")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| SignerError::Usage("policy: no [destinations] table".into()))?;
    if dest.get("allow").is_none() {
        dest.insert("allow", Item::Value(Value::Array(Array::new())));
    }
    dest.get_mut("allow")
        .and_then(Item::as_array_mut)
        .ok_or_else(|| SignerError::Usage("policy: destinations.allow is not an array".into()))
}

fn listed(arr: &Array, address: &Address) -> bool {
    arr.iter().any(|v| {
        v.as_inline_table()
            .and_then(|t| t.get("address"))
            .and_then(Value::as_str)
            .and_then(|s| Address::parse(s).ok())
            == Some(*address)
    })
}

/// `text` with `entries` (address, label) added to the allowlist; an address already on it
/// is refused by name.
pub fn allow_add(text: &str, entries: &[(Address, String)]) -> Result<String> {
    let mut d = doc(text)?;
    let arr = allow_array(&mut d)?;
    for (a, l) in entries {
        if listed(arr, a) {
            return Err(SignerError::Usage(format!(
                "{a} is already on the allowlist"
            )));
        }
        arr.push(entry(a, l));
        if let Some(last) = arr.iter_mut().last() {
            last.decor_mut().set_prefix("\n  ");
        }
    }
    arr.set_trailing("\n");
    arr.set_trailing_comma(true);
    Ok(d.to_string())
}

/// `text` without `address` on the allowlist (refused when it is not on it).
pub fn allow_remove(text: &str, address: &Address) -> Result<String> {
    let mut d = doc(text)?;
    let arr = allow_array(&mut d)?;
    if !listed(arr, address) {
        return Err(SignerError::Usage(format!(
            "{address} is not on the allowlist"
        )));
    }
    arr.retain(|v| {
        v.as_inline_table()
            .and_then(|t| t.get("address"))
            .and_then(Value::as_str)
            .and_then(|s| Address::parse(s).ok())
            != Some(*address)
    });
    Ok(d.to_string())
}

/// The recipients of a payout CSV (the broadcaster's `batch import` format: a header naming
/// `to`, and optionally `payout_id`, `memo`, `label`), each once, with a label: the `label`
/// column, else "payout ID". Addresses already in `skip` are left out.
pub fn csv_recipients(
    path: &Path,
    skip: &dyn Fn(&Address) -> bool,
) -> Result<Vec<(Address, String)>> {
    let name = path.display().to_string();
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| SignerError::Usage(format!("{name}: {}", csv_why(&e))))?;
    let header = r
        .headers()
        .map_err(|e| SignerError::Usage(format!("{name}: {}", csv_why(&e))))?
        .clone();
    let col = |c: &str| header.iter().position(|h| h == c);
    let to = col("to").ok_or_else(|| {
        SignerError::Usage(format!(
            "{name}: line 1: no `to` column (the payout CSV names its columns in a header row)"
        ))
    })?;
    let (label, id) = (col("label"), col("payout_id"));
    let mut out: Vec<(Address, String)> = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec =
            rec.map_err(|e| SignerError::Usage(format!("{name}: line {line}: {}", csv_why(&e))))?;
        let addr = Address::parse(rec.get(to).unwrap_or("")).map_err(|e| {
            SignerError::Usage(format!("{name}: line {line}: to: {}", e.redacted()))
        })?;
        if skip(&addr) || out.iter().any(|(a, _)| *a == addr) {
            continue;
        }
        let text = match (label.and_then(|c| rec.get(c)), id.and_then(|c| rec.get(c))) {
            (Some(l), _) if !l.is_empty() => l.to_string(),
            (_, Some(p)) if !p.is_empty() => format!("payout {p}"),
            _ => format!("{name} line {line}"),
        };
        if let Some(m) = coldpay_shared::text::label_problem(&format!("line {line} label"), &text) {
            return Err(SignerError::Usage(format!("{name}: {m}")));
        }
        out.push((addr, text));
    }
    Ok(out)
}

fn csv_why(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("{len} field(s), header has {expected_len}")
        }
        _ => "not a CSV file".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coldpay_shared::Network;

    const TEXT: &str = "# my policy\n[destinations]\nmode = \"allowlist\" # only these\nallow = [\n  { address = \"TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH\", label = \"exchange\" },\n]\n";

    #[test]
    fn add_and_remove_keep_comments_and_parse() {
        let b = Address::parse("TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm").unwrap();
        let added = allow_add(TEXT, &[(b, "payroll".into())]).unwrap();
        assert!(added.contains("# my policy") && added.contains("# only these"));
        let p = crate::policy::Policy::parse(added.as_bytes(), Network::Mainnet).unwrap();
        assert_eq!(p.allow[&b], "payroll");
        assert_eq!(p.allow.len(), 2);
        assert!(allow_add(&added, &[(b, "x".into())])
            .unwrap_err()
            .to_string()
            .contains("already on the allowlist"));
        let removed = allow_remove(&added, &b).unwrap();
        let p = crate::policy::Policy::parse(removed.as_bytes(), Network::Mainnet).unwrap();
        assert_eq!(p.allow.len(), 1);
        assert!(allow_remove(&removed, &b).is_err());
    }

    #[test]
    fn admins_table_is_added_and_parses() {
        let a = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let admins = Admins {
            threshold: 1,
            keys: vec![(a, "alice".into())],
        };
        let text = with_admins(TEXT, &admins).unwrap();
        assert!(has_admins(&text).unwrap() && !has_admins(TEXT).unwrap());
        let p = crate::policy::Policy::parse(text.as_bytes(), Network::Mainnet).unwrap();
        assert_eq!(p.admins, Some(admins));
    }

    #[test]
    fn csv_recipients_are_labelled_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("p.csv");
        std::fs::write(
            &f,
            "payout_id,to,amount\nd1,TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm,1\nd2,TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm,2\nd3,TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH,3\n",
        )
        .unwrap();
        let skip_a = Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
        let got = csv_recipients(&f, &|a| *a == skip_a).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1, "payout d1");
        std::fs::write(&f, "payout_id,to\nd1,Tnope\n").unwrap();
        let e = csv_recipients(&f, &|_| false).unwrap_err().to_string();
        assert!(e.contains("line 2: to:"), "{e}");
    }
}
