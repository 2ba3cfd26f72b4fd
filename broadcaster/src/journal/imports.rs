//! What enters the journal from outside: the signer's watch-only accounts and imported
//! batches of payouts, each one SQL transaction.

use rusqlite::{params, OptionalExtension};

use coldpay_shared::handoff::WatchAccount;
use coldpay_shared::{Address, Network, U256};

use super::rows::Asset;
use super::select_all;
use super::stored;
use super::{at, now_ms, Journal};
use crate::error::{BcError, Result};

/// One payout of a batch being imported, already validated.
#[derive(Clone, Debug)]
pub struct ImportRow<'a> {
    /// Source line (CSV) or 0.
    pub line: usize,
    /// Payout id.
    pub id: &'a str,
    /// Recipient.
    pub to: Address,
    /// What it pays.
    pub token: Asset,
    /// Amount in base units.
    pub amount: U256,
    /// Memo.
    pub memo: Option<&'a str>,
}

/// One watch-only account as the journal holds it, decoded once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    /// The account's address.
    pub address: Address,
    /// Its wallet name in the signer.
    pub name: String,
    /// Its BIP-44 derivation path; `None` for an imported raw key.
    pub path: Option<String>,
    /// The network it was imported for.
    pub network: Network,
}

/// An `accounts` row as SQLite returns it: (rowid, address, name, path, network).
type StoredAccount = (i64, String, String, Option<String>, String);

impl AccountRow {
    /// Decodes a stored row; a value that does not decode is [`crate::error::BcError::Corrupt`]
    /// naming the row and column.
    fn decode((id, address, name, path, network): StoredAccount) -> Result<AccountRow> {
        let row = format!("accounts row {id}");
        Ok(AccountRow {
            address: stored::address(&row, "address", &address)?,
            name,
            path,
            network: stored::network(&row, "network", &network)?,
        })
    }
}

impl Journal {
    /// Inserts a batch and its payouts in one SQL transaction; a batch id already in the
    /// journal is refused ([`BcError::Input`]) and nothing is written.
    pub fn insert_batch(
        &self,
        batch_id: &str,
        from: &Address,
        network: Network,
        payouts: &[ImportRow<'_>],
    ) -> Result<()> {
        let what = || format!("import batch {batch_id}");
        let tx = self.writer()?.unchecked_transaction().map_err(at(what()))?;
        let exists: bool = tx
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM batches WHERE id = ?1)",
                [batch_id],
                |r| r.get(0),
            )
            .map_err(at(what()))?;
        if exists {
            return Err(BcError::Input(format!(
                "batch {batch_id:?} already exists: to add payouts to it (e.g. a corrected one under a new payout id) use `batch import FILE --from ADDRESS --batch-id {batch_id} --append`"
            )));
        }
        tx.execute(
            "INSERT INTO batches (id, from_address, network, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![batch_id, from.to_base58(), network.as_str(), now_ms()],
        )
        .map_err(at(what()))?;
        for p in payouts {
            tx.execute(
                "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![p.id, batch_id, p.line as i64, p.to.to_base58(), p.token.stored(), p.amount.to_string(), p.memo, now_ms()],
            )
            .map_err(at(format!("import payout {} of batch {batch_id}", p.id)))?;
        }
        tx.commit().map_err(at(what()))
    }

    /// Adds payouts to batch `batch_id` (`batch import --append`: a corrected payout joins its
    /// batch), in one SQL transaction: the batch must exist with the same sender and network;
    /// line numbers continue after the batch's last one. Nothing is written on a refusal.
    pub fn append_payouts(
        &self,
        batch_id: &str,
        from: &Address,
        network: Network,
        payouts: &[ImportRow<'_>],
    ) -> Result<()> {
        let what = || format!("add payouts to batch {batch_id}");
        let tx = self.writer()?.unchecked_transaction().map_err(at(what()))?;
        let found: Option<(String, String, i64)> = tx
            .query_row(
                "SELECT from_address, network, (SELECT COALESCE(MAX(line), 0) FROM payouts WHERE batch_id = ?1) FROM batches WHERE id = ?1",
                [batch_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(at(what()))?;
        let Some((sender, net, last)) = found else {
            return Err(BcError::Input(format!(
                "batch {batch_id:?} does not exist: import without --append to create it"
            )));
        };
        let row = format!("batches row {batch_id}");
        let sender = stored::address(&row, "from_address", &sender)?;
        let net = stored::network(&row, "network", &net)?;
        if sender != *from || net != network {
            return Err(BcError::Input(format!(
                "batch {batch_id:?} pays from {sender} on {net}, not from {from} on {network}: a payout joins only a batch of its own sender"
            )));
        }
        for (i, p) in payouts.iter().enumerate() {
            let line = last + i as i64 + 1;
            tx.execute(
                "INSERT INTO payouts (id, batch_id, line, to_address, token, amount, memo, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![p.id, batch_id, line, p.to.to_base58(), p.token.stored(), p.amount.to_string(), p.memo, now_ms()],
            )
            .map_err(at(format!("add payout {} to batch {batch_id}", p.id)))?;
        }
        tx.commit().map_err(at(what()))
    }

    /// Records (or updates) the watch-only accounts of `network` (a signer's export), in one
    /// SQL transaction.
    pub fn upsert_accounts(&self, network: Network, accounts: &[WatchAccount]) -> Result<()> {
        let what = || "import watch-only accounts".to_string();
        let tx = self.writer()?.unchecked_transaction().map_err(at(what()))?;
        for a in accounts {
            tx.execute(
                "INSERT INTO accounts (address, name, path, network) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(address) DO UPDATE SET name = excluded.name, path = excluded.path, network = excluded.network",
                params![a.address.to_base58(), a.name, a.path, network.as_str()],
            )
            .map_err(at(what()))?;
        }
        tx.commit().map_err(at(what()))
    }

    /// Every watch-only account, by name.
    pub fn accounts(&self) -> Result<Vec<AccountRow>> {
        let what = || "list accounts".to_string();
        let rows: Vec<StoredAccount> = select_all(
            &self.conn,
            "SELECT rowid, address, name, path, network FROM accounts ORDER BY name",
            |e| BcError::journal_at(e, what()),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        rows.into_iter().map(AccountRow::decode).collect()
    }

    /// Checks `from` is a watch-only account of this journal, imported for `network`.
    pub fn require_account(&self, from: &Address, network: Network) -> Result<()> {
        match self.account_network(from)? {
            None => Err(BcError::Input(format!("{from} is not a known account; import the signer's watch-only export with `accounts import-watch FILE`"))),
            Some(n) if n != network => Err(BcError::Input(format!("{from} is a {n} account, not {network}"))),
            Some(_) => Ok(()),
        }
    }

    /// The network a watch-only account was imported for (`None`: not an account here).
    pub fn account_network(&self, address: &Address) -> Result<Option<Network>> {
        let found: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT rowid, network FROM accounts WHERE address = ?1",
                [address.to_base58()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(at(format!("read account {address}")))?;
        found
            .map(|(id, n)| stored::network(&format!("accounts row {id}"), "network", &n))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::fixtures as fx;
    use crate::journal::lock::LockWait;

    fn from() -> Address {
        Address::parse(fx::FROM).unwrap()
    }

    fn row(id: &str) -> ImportRow<'_> {
        ImportRow {
            line: 1,
            id,
            to: Address::parse(fx::TO).unwrap(),
            token: Asset::Trx,
            amount: U256::from(5u64),
            memo: None,
        }
    }

    #[test]
    fn a_batch_is_all_or_nothing() {
        let d = tempfile::tempdir().unwrap();
        let j =
            Journal::open(&d.path().join("j.sqlite"), Network::Local, LockWait::NoWait).unwrap();
        j.insert_batch("b", &from(), Network::Local, &[row("p1"), row("p2")])
            .unwrap();
        let e = j
            .insert_batch("b", &from(), Network::Local, &[row("p3")])
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("batch \"b\" already exists"), "{e}");
        // A payout id already in the journal fails the whole second batch.
        assert!(j
            .insert_batch("c", &from(), Network::Local, &[row("p4"), row("p1")])
            .is_err());
        assert!(j.batch("c").unwrap().is_none());
        assert!(j.payout("p4").unwrap().is_none());
        assert_eq!(j.payouts(None).unwrap().len(), 2);
    }

    #[test]
    fn a_corrected_payout_joins_its_batch() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(
            &d.path().join("j.sqlite"),
            Network::Local,
            crate::journal::lock::LockWait::NoWait,
        )
        .unwrap();
        let row = |id: &'static str, line| ImportRow {
            line,
            id,
            to: Address::parse(fx::TO).unwrap(),
            token: Asset::Trx,
            amount: U256::from(1_000_000u64),
            memo: None,
        };
        j.insert_batch("b", &from(), Network::Local, &[row("p1", 2), row("p2", 3)])
            .unwrap();
        let e = j
            .insert_batch("b", &from(), Network::Local, &[row("p3", 2)])
            .unwrap_err();
        assert!(e.to_string().contains("--batch-id b --append"), "{e}");
        j.append_payouts("b", &from(), Network::Local, &[row("p2b", 2)])
            .unwrap();
        let lines: Vec<(String, i64)> = j
            .conn
            .prepare("SELECT id, line FROM payouts WHERE batch_id = 'b' ORDER BY line")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            lines,
            [("p1".into(), 2), ("p2".into(), 3), ("p2b".into(), 4)]
        );
        // Another sender's batch, a missing batch, a repeated id: refused, nothing written.
        let e = j
            .append_payouts(
                "b",
                &Address::parse(fx::TO).unwrap(),
                Network::Local,
                &[row("p4", 2)],
            )
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("a payout joins only a batch of its own sender"),
            "{e}"
        );
        let e = j
            .append_payouts("nope", &from(), Network::Local, &[row("p4", 2)])
            .unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(j
            .append_payouts("b", &from(), Network::Local, &[row("p5", 2), row("p1", 3)])
            .is_err());
        assert!(j.payout("p5").unwrap().is_none());
    }

    const A: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
    const B: &str = "TS5zPoC4XEBmHvDNAnnW2gH3MQhcRN6iRm";

    fn watch(address: &str, name: &str, path: Option<&str>) -> WatchAccount {
        WatchAccount {
            name: name.into(),
            address: Address::parse(address).unwrap(),
            path: path.map(str::to_string),
        }
    }

    #[test]
    fn accounts_are_typed_rows_that_know_their_network() {
        let d = tempfile::tempdir().unwrap();
        let j =
            Journal::open(&d.path().join("j.sqlite"), Network::Local, LockWait::NoWait).unwrap();
        j.upsert_accounts(Network::Local, &[watch(A, "hot", None)])
            .unwrap();
        // A second export of the same address replaces its name, path and network.
        j.upsert_accounts(
            Network::Nile,
            &[
                watch(A, "cold", Some("m/44'/195'/0'/0/0")),
                watch(B, "b", None),
            ],
        )
        .unwrap();
        let a = Address::parse(A).unwrap();
        assert_eq!(j.account_network(&a).unwrap(), Some(Network::Nile));
        let stranger = Address::from_hex(&format!("41{}", "11".repeat(20))).unwrap();
        assert_eq!(j.account_network(&stranger).unwrap(), None);
        assert_eq!(
            j.accounts().unwrap(),
            [
                AccountRow {
                    address: Address::parse(B).unwrap(),
                    name: "b".into(),
                    path: None,
                    network: Network::Nile,
                },
                AccountRow {
                    address: a,
                    name: "cold".into(),
                    path: Some("m/44'/195'/0'/0/0".into()),
                    network: Network::Nile,
                },
            ]
        );
        let e = j.require_account(&a, Network::Local).unwrap_err();
        assert!(
            e.to_string().contains("is a nile account, not local"),
            "{e}"
        );
        j.require_account(&a, Network::Nile).unwrap();
    }

    #[test]
    fn a_corrupt_account_row_is_a_journal_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let j =
            Journal::open(&d.path().join("j.sqlite"), Network::Local, LockWait::NoWait).unwrap();
        j.upsert_accounts(
            Network::Local,
            &[watch(A, "hot", None), watch(B, "b", None)],
        )
        .unwrap();
        let a = Address::parse(A).unwrap();
        j.conn
            .execute(
                "UPDATE accounts SET network = 'moon' WHERE address = ?1",
                [A],
            )
            .unwrap();
        for e in [
            j.accounts().unwrap_err(),
            j.account_network(&a).unwrap_err(),
            j.require_account(&a, Network::Local).unwrap_err(),
        ] {
            assert_eq!(e.exit_code(), 1, "{e}");
            let text = e.to_string();
            assert!(text.contains("accounts row 1, column network"), "{text}");
        }
        j.conn
            .execute(
                "UPDATE accounts SET network = 'local', address = 'Tnot' WHERE address = ?1",
                [A],
            )
            .unwrap();
        let e = j.accounts().unwrap_err();
        assert_eq!(e.exit_code(), 1, "{e}");
        assert!(
            e.to_string().contains("accounts row 1, column address"),
            "{e}"
        );
        // The other account is still found by its address.
        assert_eq!(
            j.account_network(&Address::parse(B).unwrap()).unwrap(),
            Some(Network::Local)
        );
    }
}
