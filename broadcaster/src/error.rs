//! The broadcaster's one error type.
//!
//! Exit codes: 0 success, 1 other failure, 2 bad input, 3 timeout, 4 journal locked (with
//! `--no-wait`), 5 transactions refused by the node, 6 node or journal on another network,
//! 7 `watch` raised an alarm, 8 the signer's audit log went backwards, 9 `reconcile` found a
//! discrepancy, 10 `submit`: a signature is not from a key of the permission the transaction
//! was built with (as the node reports it now).

use rusqlite::ErrorCode;

/// Everything the broadcaster can fail at.
#[derive(Debug, thiserror::Error)]
pub enum BcError {
    /// Bad input data or arguments (exit 2).
    #[error("{0}")]
    Input(String),
    /// Malformed TRON data from operator input: a file, an argument, a node answer (exit 2).
    #[error("{0}")]
    Shared(#[from] coldpay_shared::Error),
    /// The journal's own stored bytes do not decode (a raw transaction, an address, an amount
    /// the broadcaster wrote itself): the journal is damaged, not the operator's input (exit 1).
    #[error("journal: {what} is corrupt: {detail}")]
    Corrupt {
        /// What was being read ("raw transaction of payout p7").
        what: String,
        /// Why it does not decode.
        detail: String,
    },
    /// A node could not be reached or answered an error (exit 1).
    #[error("{0}")]
    Node(String),
    /// The journal database failed (exit 1). Displayed as a plain sentence; the SQLite error
    /// itself only shows in `Debug`.
    #[error("{}", describe_sqlite(.0, None))]
    Journal(#[from] rusqlite::Error),
    /// The journal database failed where the call site knows what it was doing (exit 1).
    #[error("{}", describe_sqlite(.source, Some(.what)))]
    JournalAt {
        /// What the call was doing ("cancel payout p7").
        what: String,
        /// The SQLite error (Debug only).
        source: rusqlite::Error,
    },
    /// File I/O (exit 1), keeping the kind of the failure (not found, permission denied, …).
    #[error("{what}: {detail}")]
    Io {
        /// What was being read or written (a path, "stdout").
        what: String,
        /// The kind of the I/O failure.
        kind: std::io::ErrorKind,
        /// The failure as the operating system worded it.
        detail: String,
    },
    /// `track --follow` timed out (exit 3).
    #[error("{0}")]
    Timeout(String),
    /// The journal is locked by another process and `--no-wait` was given (exit 4).
    #[error("{0}")]
    Locked(String),
    /// `submit`: some transactions were refused by the node (exit 5).
    #[error("{0}")]
    Refused(String),
    /// The node or the journal belongs to another network (exit 6).
    #[error("{0}")]
    WrongNetwork(String),
    /// `watch --once`: an outgoing transfer from a treasury account that coldpay did not make
    /// (exit 7).
    #[error("{0}")]
    Alarm(String),
    /// `submit`: the signer's audit log went backwards (exit 8).
    #[error("{0}")]
    AuditBackwards(String),
    /// `reconcile`: something does not add up (exit 9).
    #[error("{0}")]
    Discrepancy(String),
    /// `submit`: an approval from a key that is not (or no longer) in the permission the
    /// transaction was built with, as the node reports it now (exit 10).
    #[error("{0}")]
    Approver(String),
}

impl BcError {
    /// Exit code: 2 bad input, 3 timeout, 4 journal locked, 5 refused by the node, 6 another
    /// network, 7 alarm, 8 audit log backwards, 9 discrepancy, 10 not an approver, 1 other.
    pub fn exit_code(&self) -> u8 {
        match self {
            BcError::Input(_) | BcError::Shared(_) => 2,
            BcError::Node(_)
            | BcError::Journal(_)
            | BcError::JournalAt { .. }
            | BcError::Corrupt { .. }
            | BcError::Io { .. } => 1,
            BcError::Timeout(_) => 3,
            BcError::Locked(_) => 4,
            BcError::Refused(_) => 5,
            BcError::WrongNetwork(_) => 6,
            BcError::Alarm(_) => 7,
            BcError::AuditBackwards(_) => 8,
            BcError::Discrepancy(_) => 9,
            BcError::Approver(_) => 10,
        }
    }

    /// An I/O failure on `what` (a path, "stdout"), keeping its [`std::io::ErrorKind`].
    pub fn io(what: impl std::fmt::Display, e: &std::io::Error) -> BcError {
        BcError::Io {
            what: what.to_string(),
            kind: e.kind(),
            detail: e.to_string(),
        }
    }

    /// The journal's own stored bytes that do not decode (`what` names them): exit 1, never
    /// "bad input" (exit 2) as a [`coldpay_shared::Error`] from operator input is.
    pub fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> BcError {
        BcError::Corrupt {
            what: what.into(),
            detail: e.to_string(),
        }
    }

    /// The [`std::io::ErrorKind`] of an I/O failure, `None` for every other error.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            BcError::Io { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// Wraps a SQLite error with what the call was doing, for a specific message.
    pub fn journal_at(source: rusqlite::Error, what: impl Into<String>) -> BcError {
        if let rusqlite::Error::FromSqlConversionFailure(_, _, e) = &source {
            if let Some(u) = e.downcast_ref::<Undecodable>() {
                return BcError::corrupt(u.what.clone(), &u.detail);
            }
        }
        BcError::JournalAt {
            what: what.into(),
            source,
        }
    }
}

/// A stored value that does not decode, named ("amount of payout p7") with why: carried through
/// SQLite's row mapping and turned into [`BcError::Corrupt`] by [`BcError::journal_at`] (exit 1).
#[derive(Debug, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct Undecodable {
    /// The value, with its row.
    pub what: String,
    /// Why it does not decode.
    pub detail: String,
}

/// An operator-facing sentence for a SQLite error: never SQLite's own text. `what` names the
/// operation when the call site knows it.
pub fn describe_sqlite(e: &rusqlite::Error, what: Option<&str>) -> String {
    let at = what.map_or(String::new(), |w| format!(" ({w})"));
    let rusqlite::Error::SqliteFailure(f, msg) = e else {
        let kind = match e {
            rusqlite::Error::QueryReturnedNoRows => "journal: an expected row is missing",
            rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => {
                "journal: a column holds unexpected data"
            }
            _ => "journal database error",
        };
        return match what {
            Some(w) => format!("{kind} at {w}"),
            None => kind.to_string(),
        };
    };
    let msg = msg.as_deref().unwrap_or("");
    match f.code {
        ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
            format!("journal busy: another process is writing; try again{at}")
        }
        ErrorCode::ConstraintViolation => {
            let sentence = if msg.contains("payout already confirmed") {
                "payout already confirmed: no new attempt is allowed"
            } else if msg.contains("invalid attempt state transition") {
                "invalid attempt state transition"
            } else if msg.contains("payout cancelled") {
                "payout cancelled: no new attempt is allowed"
            } else if msg.contains("signer audit log went backwards") {
                "signer audit log went backwards"
            } else if msg.contains("recorded transfers are never changed") {
                "recorded transfers are never changed"
            } else if msg.contains("approval for an attempt that is not waiting") {
                "approval for a transaction that is not waiting for signatures"
            } else if msg.contains("recorded approvals are never changed") {
                "recorded approvals are never changed"
            } else if msg.contains("approvals.attempt_id") {
                "this key already approved the transaction"
            } else if msg.contains("payout has a live or confirmed attempt") {
                "payout has a live or confirmed attempt and cannot be cancelled"
            } else if msg.contains("attempts.payout_id") {
                "payout already has a live attempt"
            } else if msg.contains("attempts.txid") {
                "transaction already recorded in the journal"
            } else if msg.contains("payouts.id") {
                "payout id already exists"
            } else if msg.contains("batches.id") {
                "batch id already exists"
            } else if msg.contains("accounts.address") || msg.contains("meta.key") {
                "record already exists"
            } else if msg.contains("FOREIGN KEY") {
                "refers to a batch or payout that does not exist"
            } else {
                "a journal rule refused the change"
            };
            format!("{sentence}{at}")
        }
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
            format!("the journal file is damaged or is not a journal{at}")
        }
        ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => format!(
            "journal cannot be opened or written (sqlite code {}){at}",
            f.extended_code
        ),
        ErrorCode::DiskFull => format!("disk full while writing the journal{at}"),
        _ => match what {
            Some(w) => format!(
                "journal database error (sqlite code {}) at {w}",
                f.extended_code
            ),
            None => format!("journal database error (sqlite code {})", f.extended_code),
        },
    }
}

/// Result alias.
pub type Result<T, E = BcError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, msg: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(msg.into()))
    }

    /// The exit codes docs/formats.md ("Errors and exit codes") documents, with their meaning.
    fn documented_codes() -> std::collections::BTreeMap<u8, String> {
        let doc = include_str!("../../docs/formats.md");
        let table = doc
            .split("| exit code | meaning |")
            .nth(1)
            .expect("docs/formats.md has the exit code table");
        table
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let mut cells = l.split('|').skip(1);
                let code = cells.next()?.trim().parse().ok()?;
                Some((code, cells.next()?.trim().to_string()))
            })
            .collect()
    }

    #[test]
    fn every_variant_exits_with_its_documented_code() {
        let s = String::new;
        let not_found = std::io::Error::from(std::io::ErrorKind::NotFound);
        let all = [
            (BcError::Input(s()), 2),
            (BcError::Shared(coldpay_shared::Error::AddressEmpty), 2),
            (BcError::Node(s()), 1),
            (BcError::Journal(rusqlite::Error::QueryReturnedNoRows), 1),
            (
                BcError::journal_at(rusqlite::Error::QueryReturnedNoRows, "read"),
                1,
            ),
            (BcError::corrupt("raw transaction of payout p", "bad"), 1),
            (BcError::io("f", &not_found), 1),
            (BcError::Timeout(s()), 3),
            (BcError::Locked(s()), 4),
            (BcError::Refused(s()), 5),
            (BcError::WrongNetwork(s()), 6),
            (BcError::Alarm(s()), 7),
            (BcError::AuditBackwards(s()), 8),
            (BcError::Discrepancy(s()), 9),
            (BcError::Approver(s()), 10),
        ];
        for (e, code) in &all {
            assert_eq!(e.exit_code(), *code, "{e:?}");
        }
        // Every code a variant gives is documented, and every documented failure code is one
        // some variant gives (0 is success).
        let doc = documented_codes();
        let given: std::collections::BTreeSet<u8> =
            all.iter().map(|(e, _)| e.exit_code()).collect();
        let listed: std::collections::BTreeSet<u8> =
            doc.keys().copied().filter(|c| *c != 0).collect();
        assert_eq!(given, listed, "exit codes given vs documented");
        assert!(doc[&1].contains("damaged journal"), "{}", doc[&1]);
    }

    #[test]
    fn io_keeps_its_kind_and_its_sentence() {
        let e = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let b = BcError::io("/x/journal.sqlite.lock", &e);
        assert_eq!(b.io_kind(), Some(std::io::ErrorKind::PermissionDenied));
        assert_eq!(b.to_string(), format!("/x/journal.sqlite.lock: {e}"));
        assert_eq!(BcError::Input(String::new()).io_kind(), None);
    }

    #[test]
    fn a_shared_error_from_the_journals_own_bytes_is_corrupt_not_bad_input() {
        let decode = coldpay_shared::Address::parse("not an address").unwrap_err();
        let input = BcError::from(decode.clone());
        let stored = BcError::corrupt("recipient of payout p7", &decode);
        assert_eq!(input.exit_code(), 2);
        assert_eq!(stored.exit_code(), 1);
        assert!(
            stored
                .to_string()
                .starts_with("journal: recipient of payout p7 is corrupt: "),
            "{stored}"
        );
    }

    #[test]
    fn sqlite_text_never_reaches_the_operator() {
        let cases = [
            failure(5, "database is locked"),
            failure(6, "database table is locked"),
            failure(2067, "UNIQUE constraint failed: attempts.payout_id"),
            failure(2067, "UNIQUE constraint failed: payouts.id"),
            failure(1811, "invalid attempt state transition"),
            failure(787, "FOREIGN KEY constraint failed"),
            failure(1, "SQLITE_ERROR: no such table: x"),
            failure(11, "database disk image is malformed"),
        ];
        for e in cases {
            for shown in [
                BcError::journal_at(failure_clone(&e), "cancel payout p").to_string(),
                BcError::Journal(e).to_string(),
            ] {
                for raw in [
                    "UNIQUE constraint",
                    "database is locked",
                    "SQLITE",
                    "no such",
                ] {
                    assert!(!shown.contains(raw), "{shown}");
                }
                assert!(!shown.is_empty());
            }
        }
        assert_eq!(
            BcError::Journal(failure(5, "database is locked")).to_string(),
            "journal busy: another process is writing; try again"
        );
        assert!(
            BcError::journal_at(failure(1, "x"), "read batch b").to_string()
                == "journal database error (sqlite code 1) at read batch b"
        );
        assert!(BcError::Journal(failure(
            2067,
            "UNIQUE constraint failed: attempts.payout_id"
        ))
        .to_string()
        .contains("already has a live attempt"));
    }

    fn failure_clone(e: &rusqlite::Error) -> rusqlite::Error {
        match e {
            rusqlite::Error::SqliteFailure(f, m) => rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(f.extended_code),
                m.clone(),
            ),
            _ => rusqlite::Error::QueryReturnedNoRows,
        }
    }
}
