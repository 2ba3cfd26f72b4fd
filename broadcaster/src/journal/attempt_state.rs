//! The states of an attempt and the moves between them, in Rust: one table, [`AttemptState::can_move_to`],
//! that mirrors the SQL trigger `attempt_state_forward` (schema 5). The trigger stays the last
//! word in the database; the unit tests below check every pair of states against it, so the two
//! cannot drift apart. Stored as the same lowercase strings as before (no schema change).

use std::fmt;

/// Where an attempt is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptState {
    /// Built, waiting for its signatures.
    Built,
    /// Every signature it needs is on it; not yet broadcast.
    Signed,
    /// Sent to a node.
    Broadcast,
    /// Seen in a verified block; its result not yet decided.
    Included,
    /// Paid: its verified block says `SUCCESS`.
    Confirmed,
    /// Included, but its verified block says it failed.
    Failed,
    /// Past its expiration with a verified scan that does not hold it.
    Expired,
}

impl AttemptState {
    /// Every state, in the order an attempt goes through them.
    pub const ALL: [AttemptState; 7] = [
        AttemptState::Built,
        AttemptState::Signed,
        AttemptState::Broadcast,
        AttemptState::Included,
        AttemptState::Confirmed,
        AttemptState::Failed,
        AttemptState::Expired,
    ];

    /// States in which an attempt might still pay (at most one per payout: the partial unique
    /// index `one_live_attempt_per_payout`).
    pub const LIVE: [AttemptState; 4] = [
        AttemptState::Built,
        AttemptState::Signed,
        AttemptState::Broadcast,
        AttemptState::Included,
    ];

    /// The string the journal stores.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Built => "built",
            AttemptState::Signed => "signed",
            AttemptState::Broadcast => "broadcast",
            AttemptState::Included => "included",
            AttemptState::Confirmed => "confirmed",
            AttemptState::Failed => "failed",
            AttemptState::Expired => "expired",
        }
    }

    /// The state a stored string names, if any.
    pub fn from_stored(s: &str) -> Option<AttemptState> {
        AttemptState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether an attempt in this state might still pay.
    pub fn is_live(self) -> bool {
        AttemptState::LIVE.contains(&self)
    }

    /// Whether the attempt is settled by a verified block (confirmed or failed).
    pub fn is_settled(self) -> bool {
        matches!(self, AttemptState::Confirmed | AttemptState::Failed)
    }

    /// The one table of allowed moves (a state to itself is no move, and always allowed, as in
    /// the trigger):
    ///
    /// - built → signed, expired
    /// - signed → broadcast, included, expired
    /// - broadcast → included, expired
    /// - included → confirmed, failed
    /// - expired → confirmed, failed (an expired attempt may still be found in a verified block)
    /// - failed → confirmed (a re-check against the verified block corrects a receipt's word)
    pub fn can_move_to(self, to: AttemptState) -> bool {
        use AttemptState::{Broadcast, Built, Confirmed, Expired, Failed, Included, Signed};
        self == to
            || matches!(
                (self, to),
                (Built, Signed | Expired)
                    | (Signed, Broadcast | Included | Expired)
                    | (Broadcast, Included | Expired)
                    | (Included | Expired, Confirmed | Failed)
                    | (Failed, Confirmed)
            )
    }

    /// The states an attempt goes through, after this one, to be `included` (the steps
    /// settlement takes before confirmed / failed): empty from `included`, `expired` and
    /// `failed`, which settle directly.
    pub fn path_to_included(self) -> &'static [AttemptState] {
        match self {
            AttemptState::Built => &[
                AttemptState::Signed,
                AttemptState::Broadcast,
                AttemptState::Included,
            ],
            AttemptState::Signed | AttemptState::Broadcast => &[AttemptState::Included],
            _ => &[],
        }
    }
}

impl fmt::Display for AttemptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for AttemptState {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for AttemptState {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl rusqlite::ToSql for AttemptState {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for AttemptState {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        AttemptState::from_stored(s).ok_or_else(|| {
            rusqlite::types::FromSqlError::Other(
                format!("unknown attempt state {s:?} in the journal").into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::lock::LockWait;
    use crate::journal::Journal;

    /// Whether the journal's trigger lets an attempt in `from` move to `to`.
    fn trigger_allows(j: &Journal, from: AttemptState, to: AttemptState) -> bool {
        let c = &j.conn;
        c.execute("DELETE FROM attempts", []).unwrap();
        c.execute(
            "INSERT INTO attempts (payout_id, txid, raw_hex, expiration, ref_block_num, fee_limit, request_id, state, created_at, updated_at) VALUES ('p', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '0a02ea0522082c84cb547bae782640b8f3c28bfc305a65080112610a2d747970652e676f6f676c65617069732e636f6d2f70726f746f636f6c2e5472616e73666572436f6e747261637412300a1541bf90ce9c87c42a58699b1a2e3f65e88181436d53121541b0ca665130d03c977823834e3fcbe63af2421fa11801', 1, 1, 0, 'r', ?1, 0, 0)",
            [from],
        )
        .unwrap();
        c.execute("UPDATE attempts SET state = ?1", [to]).is_ok()
    }

    #[test]
    fn the_table_is_the_trigger_for_every_pair() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            coldpay_shared::Network::Local,
            LockWait::NoWait,
        )
        .unwrap();
        j.conn
            .execute_batch(
                "INSERT INTO batches VALUES ('b', 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH', 'local', 0);
                 INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES ('p', 'b', 1, 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 'TRX', '5', NULL, 0);",
            )
            .unwrap();
        let mut allowed = 0;
        for from in AttemptState::ALL {
            for to in AttemptState::ALL {
                let db = trigger_allows(&j, from, to);
                assert_eq!(from.can_move_to(to), db, "{from} → {to}");
                allowed += usize::from(db && from != to);
            }
        }
        // 2 + 3 + 2 + 2 + 2 + 1 moves.
        assert_eq!(allowed, 12);
    }

    #[test]
    fn stored_strings_round_trip_and_unknown_ones_are_refused() {
        for s in AttemptState::ALL {
            assert_eq!(AttemptState::from_stored(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(AttemptState::from_stored("Confirmed"), None);
        assert_eq!(AttemptState::from_stored("paid"), None);
        let live: Vec<_> = AttemptState::ALL
            .into_iter()
            .filter(|s| s.is_live())
            .collect();
        assert_eq!(live, AttemptState::LIVE);
        assert_eq!(
            crate::journal::LIVE_STATES,
            AttemptState::LIVE.map(AttemptState::as_str)
        );
    }

    #[test]
    fn the_path_to_included_only_takes_allowed_moves() {
        for from in AttemptState::ALL {
            let mut at = from;
            for next in from.path_to_included() {
                assert!(at.can_move_to(*next), "{at} → {next}");
                at = *next;
            }
            let settles =
                at.can_move_to(AttemptState::Confirmed) && at.can_move_to(AttemptState::Failed);
            assert_eq!(
                settles,
                !matches!(from, AttemptState::Confirmed),
                "{from} settles from {at}"
            );
        }
    }
}
