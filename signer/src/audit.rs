//! The hash-chained audit log: one JSON line per signing or refusal. Each line carries the
//! sha256 of the previous line (`prev`) and of its own content (`hash`), and a sequence number,
//! so `audit verify` finds the first edited, deleted or reordered line.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Result, SignerError};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn line_hash(obj: &Map<String, Value>) -> String {
    let mut o = obj.clone();
    o.remove("hash");
    hex::encode(Sha256::digest(
        serde_json::to_vec(&Value::Object(o)).expect("json"),
    ))
}

/// Reads the last line's hash and sequence number.
fn tail(path: &Path) -> Result<(String, u64)> {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(l) => {
                let v: Value = serde_json::from_str(l).map_err(|e| {
                    SignerError::Other(format!(
                        "{}: last line unreadable ({e}); run `audit verify`",
                        path.display()
                    ))
                })?;
                Ok((
                    v["hash"].as_str().unwrap_or(GENESIS).to_string(),
                    v["seq"].as_u64().unwrap_or(0),
                ))
            }
            None => Ok((GENESIS.to_string(), 0)),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((GENESIS.to_string(), 0)),
        Err(e) => Err(SignerError::io(path, e)),
    }
}

/// Appends one event (an object) to the log, chaining and fsyncing it before returning.
pub fn append(path: &Path, event: Value) -> Result<()> {
    let (prev, seq) = tail(path)?;
    let mut obj = match event {
        Value::Object(m) => m,
        other => {
            let mut m = Map::new();
            m.insert("event".into(), other);
            m
        }
    };
    obj.insert("seq".into(), json!(seq + 1));
    obj.insert("prev".into(), json!(prev));
    let h = line_hash(&obj);
    obj.insert("hash".into(), json!(h));
    let mut line = serde_json::to_vec(&Value::Object(obj)).expect("json");
    line.push(b'\n');
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| SignerError::io(path, e))?;
    f.write_all(&line)
        .and_then(|()| f.sync_all())
        .map_err(|e| SignerError::io(path, e))
}

/// Verifies the chain; returns the number of lines, or the first bad line (1-based) and why.
pub fn verify(path: &Path) -> Result<std::result::Result<usize, (usize, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(0)),
        Err(e) => return Err(SignerError::io(path, e)),
    };
    let mut prev = GENESIS.to_string();
    let mut n = 0usize;
    for (i, l) in text.lines().enumerate() {
        let lineno = i + 1;
        let v: Value = match serde_json::from_str(l) {
            Ok(v) => v,
            Err(e) => return Ok(Err((lineno, format!("not JSON: {e}")))),
        };
        let Some(obj) = v.as_object() else {
            return Ok(Err((lineno, "not a JSON object".into())));
        };
        if obj.get("seq").and_then(Value::as_u64) != Some(lineno as u64) {
            return Ok(Err((lineno, format!(
                "sequence number {} where {lineno} was expected (a line was deleted, inserted or reordered)",
                obj.get("seq").map_or("missing".into(), ToString::to_string)
            ))));
        }
        if obj.get("prev").and_then(Value::as_str) != Some(prev.as_str()) {
            return Ok(Err((
                lineno,
                "prev does not match the hash of the line before (chain broken)".into(),
            )));
        }
        let h = line_hash(obj);
        if obj.get("hash").and_then(Value::as_str) != Some(h.as_str()) {
            return Ok(Err((
                lineno,
                "content does not match its hash (line edited)".into(),
            )));
        }
        prev = h;
        n += 1;
    }
    Ok(Ok(n))
}

/// Lines with `time` ≥ `since_ms`.
pub fn show(path: &Path, since_ms: u64) -> Result<Vec<Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(SignerError::io(path, e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["time"].as_u64().unwrap_or(0) >= since_ms)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("audit.log");
        for i in 0..n {
            append(&p, json!({"time": i, "event": "sign", "verdict": "signed"})).unwrap();
        }
        (d, p)
    }

    #[test]
    fn intact_log_verifies() {
        let (_d, p) = log_with(4);
        assert_eq!(verify(&p).unwrap(), Ok(4));
    }

    #[test]
    fn edit_delete_reorder_are_found() {
        let (_d, p) = log_with(4);
        let lines: Vec<String> = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .map(String::from)
            .collect();
        let write = |ls: &[String]| std::fs::write(&p, ls.join("\n") + "\n").unwrap();
        let mut edited = lines.clone();
        edited[2] = edited[2].replace("\"signed\"", "\"refused\"");
        write(&edited);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 3);
        let mut deleted = lines.clone();
        deleted.remove(1);
        write(&deleted);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 2);
        let mut reordered = lines.clone();
        reordered.swap(1, 2);
        write(&reordered);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 2);
        let mut last = lines;
        last[3] = last[3].replace("\"time\":3", "\"time\":9");
        write(&last);
        assert_eq!(verify(&p).unwrap().unwrap_err().0, 4);
    }
}
