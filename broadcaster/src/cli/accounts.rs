//! `accounts import-watch | list | permissions | set-permission` and `balance`.

use std::fmt;
use std::path::PathBuf;

use coldpay_shared::amount::format_units;
use coldpay_shared::handoff::WatchExport;
use coldpay_shared::{Address, Network, U256};
use serde::Serialize;

use super::context::{remember_genesis, Ctx};
use super::output::{parse_duration, read_text, show, RequestWritten};
use crate::error::{BcError, Result};
use crate::journal::{AccountRow, Journal};
use crate::node::Node;

/// What `accounts import-watch` recorded.
#[derive(Serialize)]
pub(crate) struct Imported {
    imported: usize,
    accounts: Vec<coldpay_shared::handoff::WatchAccount>,
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "imported {} account(s)", self.imported)
    }
}

/// Reads the watch-only export from QR input or a file.
fn read_export(file: Option<PathBuf>, qr_in: &crate::qrio::QrInArgs) -> Result<WatchExport> {
    if qr_in.any() {
        let d = qr_in.read_message(&[coldpay_shared::urframe::UrKind::Watch])?;
        let w = coldpay_shared::compact::decode_watch(&d.payload)?;
        eprintln!(
            "{}",
            d.summary(&crate::qrio::watch_what(&w), qr_in.source_noun())
        );
        return Ok(w);
    }
    let file = file
        .ok_or_else(|| BcError::Input("give the export FILE, --qr-image FILE… or --ur".into()))?;
    let text = read_text(&file.to_string_lossy())?;
    let v: serde_json::Value = coldpay_shared::strict_json::parse(&text)
        .map_err(|e| BcError::Input(format!("{}: {e}", file.display())))?;
    Ok(WatchExport::from_json(&v)?)
}

/// `accounts import-watch`: the treasury accounts, or an approver's keys (`approver_for`).
pub(crate) fn import_watch(
    c: &Ctx,
    journal: &Journal,
    node: impl FnOnce() -> Result<Node>,
    file: Option<PathBuf>,
    qr_in: &crate::qrio::QrInArgs,
) -> Result<()> {
    let w = read_export(file, qr_in)?;
    if w.network != c.network {
        return Err(BcError::Input(format!(
            "watch-only export is for {}, this broadcaster runs {}",
            w.network, c.network
        )));
    }
    if let Some(a) = &w.approver_for {
        let recorded = crate::multisig::permission_cmd::import_approvers(journal, &node()?, &w, a)?;
        show(c, &recorded);
        return Ok(());
    }
    let imported = crate::payout::payouts::import_watch(journal, &w)?;
    show(
        c,
        &Imported {
            imported,
            accounts: w.accounts,
        },
    );
    Ok(())
}

/// One imported account of `accounts list`.
#[derive(Serialize)]
pub(crate) struct AccountLine {
    address: Address,
    name: String,
    path: Option<String>,
    network: Network,
}

/// `accounts list`.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct AccountList(Vec<AccountLine>);

impl fmt::Display for AccountList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no accounts (import the signer's watch-only export)");
        }
        let lines: Vec<String> = self
            .0
            .iter()
            .map(|a| {
                format!(
                    "{:<20} {} {} ({})",
                    a.name,
                    a.address,
                    a.path.as_deref().unwrap_or("raw key"),
                    a.network
                )
            })
            .collect();
        f.write_str(&lines.join("\n"))
    }
}

impl From<AccountRow> for AccountLine {
    fn from(a: AccountRow) -> AccountLine {
        AccountLine {
            address: a.address,
            name: a.name,
            path: a.path,
            network: a.network,
        }
    }
}

/// `accounts list`.
pub(crate) fn list(c: &Ctx, journal: &Journal) -> Result<()> {
    let rows = journal.accounts()?.into_iter().map(AccountLine::from);
    show(c, &AccountList(rows.collect()));
    Ok(())
}

/// `accounts permissions ADDRESS`.
pub(crate) fn permissions(c: &Ctx, journal: &Journal, node: &Node, address: &str) -> Result<()> {
    let shown = crate::multisig::permission_cmd::show(journal, node, address)?;
    show(c, &shown);
    Ok(())
}

/// `accounts set-permission`: journaled, its sign request written.
pub(crate) fn set_permission(
    c: &Ctx,
    journal: &Journal,
    n: &Node,
    args: &crate::multisig::permission_cmd::SetPermissionArgs,
) -> Result<()> {
    let ms = parse_duration(&args.expires_in, "--expires-in")?.as_millis() as u64;
    let r = crate::multisig::permission_cmd::set(journal, n, c.network, args, ms);
    remember_genesis(c, journal, n)?;
    let (answer, out) = r?;
    if !c.json {
        eprintln!("{answer}");
    }
    super::build::emit_request(&out.request, args.output.as_deref(), &args.qr_out)?;
    if let Some(p) = &args.output {
        let line = format!("written to {}", p.display());
        show(c, &RequestWritten::new(answer, line));
    }
    Ok(())
}

/// `balance ADDRESS`: TRX, USDT, energy, bandwidth and staking of an address.
#[derive(Serialize)]
pub(crate) struct Balance {
    address: Address,
    trx_sun: u64,
    trx: String,
    usdt_base_units: String,
    usdt: String,
    energy_available: u64,
    bandwidth_available: u64,
    /// The staking keys (`staked_energy_sun`, …).
    #[serde(flatten)]
    stake: crate::staking::stake_view::StakeFields,
    #[serde(skip)]
    stake_text: String,
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n  TRX        {}\n  USDT       {}\n  energy     {}\n  bandwidth  {}\n{}",
            self.address,
            self.trx,
            self.usdt,
            self.energy_available,
            self.bandwidth_available,
            self.stake_text
        )
    }
}

/// `balance ADDRESS`.
pub(crate) fn balance(c: &Ctx, node: impl FnOnce() -> Result<Node>, address: &str) -> Result<()> {
    let a = Address::parse(address)?;
    let n = &node()?;
    let trx = n.trx_balance(&a)?;
    let usdt = n.token_balance(&crate::payout::payouts::usdt_contract(c.network), &a)?;
    let r = n.resources(&a)?;
    let stake = crate::staking::stake_view::Stake::read(n, &a, &r)?;
    let b = Balance {
        address: a,
        trx_sun: trx,
        trx: format_units(U256::from(trx), 6),
        usdt_base_units: usdt.to_string(),
        usdt: format_units(usdt, 6),
        energy_available: r.energy_limit.saturating_sub(r.energy_used),
        bandwidth_available: r.free_net_limit.saturating_sub(r.free_net_used)
            + r.net_limit.saturating_sub(r.net_used),
        stake: stake.fields(),
        stake_text: stake.text(),
    };
    show(c, &b);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_lines_show_the_address_and_network_by_name() {
        let row = |name: &str, path: Option<&str>, network| AccountRow {
            address: Address::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap(),
            name: name.into(),
            path: path.map(str::to_string),
            network,
        };
        let list = AccountList(vec![
            row("cold", Some("m/44'/195'/0'/0/0"), Network::Nile).into(),
            row("raw", None, Network::Local).into(),
        ]);
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::json!([
                {"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "name": "cold",
                 "path": "m/44'/195'/0'/0/0", "network": "nile"},
                {"address": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH", "name": "raw",
                 "path": null, "network": "local"},
            ])
        );
        let text = list.to_string();
        assert!(
            text.contains(
                "cold                 TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH m/44'/195'/0'/0/0 (nile)"
            ),
            "{text}"
        );
        assert!(text.contains("raw key (local)"), "{text}");
        assert!(AccountList(vec![]).to_string().starts_with("no accounts"));
    }
}
