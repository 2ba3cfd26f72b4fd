//! Stage 3: the operator's approval. An [`Approved`] value exists only once the confirmation
//! code was typed (or `--yes` was allowed by the policy) and the clock, read again afterwards,
//! shows no transaction expired while the review was on screen.

use std::time::Duration;

use serde_json::json;

use super::check::Checked;
use super::expiry;
use crate::audit;
use crate::clock;
use crate::error::{Result, SignerError};
use crate::home::Home;
use crate::policy::Policy;
use crate::unlock::TRIES;

/// A checked input the operator approved. Its fields are private and [`approve`] is its only
/// constructor, so signing (which takes an `Approved`) cannot happen without approval.
pub(super) struct Approved<'a> {
    checked: Checked<'a>,
}

impl<'a> Approved<'a> {
    /// The checked input.
    pub(super) fn checked(&self) -> &Checked<'a> {
        &self.checked
    }
}

/// Asks for the confirmation code (up to [`TRIES`] times, slower after each miss, each miss
/// written to the audit log), then re-reads the clock.
pub(super) fn approve<'a>(
    checked: Checked<'a>,
    policy: &Policy,
    yes: bool,
    home: &Home,
) -> Result<Approved<'a>> {
    if let Some(u) = checked.update() {
        if yes {
            return Err(SignerError::Usage(
                "--yes is never accepted for a permission update: run without it and type the confirmation".into(),
            ));
        }
        confirm_update(&checked, &u.owner_address.to_base58(), home)?;
    } else if yes {
        if !policy.unattended {
            return Err(SignerError::Usage(
                "--yes is only accepted when the policy sets unattended = true".into(),
            ));
        }
    } else {
        confirm(&checked, home)?;
    }
    expiry::refuse_expired(
        checked.txs(),
        clock::now_ms(),
        "while the review was shown",
        "nothing signed; ask for fresh transactions",
    )?;
    Ok(Approved { checked })
}

fn confirm(checked: &Checked<'_>, home: &Home) -> Result<()> {
    let code = checked.code();
    let prompt = format!(
        "\nTo sign these {} transaction(s), type the confirmation code shown in the summary above: ",
        checked.len()
    );
    let miss = "That is not the code";
    ask(checked, home, &prompt, miss, |typed| {
        typed.trim().eq_ignore_ascii_case(&code)
    })
}

/// The typed confirmation of a permission update: the last 6 characters of the account's
/// address (as shown, case-sensitive), a space, then the confirmation code.
fn confirm_update(checked: &Checked<'_>, account: &str, home: &Home) -> Result<()> {
    let code = checked.code();
    let tail = &account[account.len() - UPDATE_TAIL..];
    let prompt = format!(
        "\nTo CHANGE WHO CONTROLS THE ACCOUNT, type its last {UPDATE_TAIL} characters, a space, then the code: "
    );
    let miss =
        &format!("That is not the address's last {UPDATE_TAIL} characters, a space and the code");
    ask(checked, home, &prompt, miss, |typed| {
        update_typed_ok(typed, tail, &code)
    })
}

/// How many trailing characters of the account address a permission update's confirmation
/// starts with.
pub(super) const UPDATE_TAIL: usize = 6;

/// Whether `typed` is `tail` (exactly) then `code` (any case), separated by white space.
fn update_typed_ok(typed: &str, tail: &str, code: &str) -> bool {
    let mut words = typed.split_whitespace();
    matches!(
        (words.next(), words.next(), words.next()),
        (Some(t), Some(c), None) if t == tail && c.eq_ignore_ascii_case(code)
    )
}

/// Prompts up to [`TRIES`] times until `ok` accepts the typed line (each miss logged and
/// slower).
fn ask(
    checked: &Checked<'_>,
    home: &Home,
    prompt: &str,
    miss: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<()> {
    for attempt in 1..=TRIES {
        eprint!("{prompt}");
        let typed = read_confirmation("no confirmation code typed (end of input); nothing signed")?;
        if ok(&typed) {
            return Ok(());
        }
        log_miss(home, "confirmation code", attempt, checked.request_id())?;
        if attempt < TRIES {
            eprintln!("{miss} (try {attempt} of {TRIES}); the code is in the summary block.");
            backoff(attempt);
        }
    }
    Err(SignerError::Refused(format!(
        "confirmation code mismatch {TRIES} times; nothing signed"
    )))
}

/// Waits 1 s after the first miss, 2 s after the second: guessing stays slow.
pub(super) fn backoff(attempt: u32) {
    std::thread::sleep(Duration::from_secs(u64::from(attempt)));
}

/// Writes a missed try (`what`: "confirmation code" or "passphrase") to the audit log.
pub(super) fn log_miss(home: &Home, what: &str, attempt: u32, request_id: &str) -> Result<()> {
    audit::append(
        &home.audit_path(),
        json!({
            "time": clock::now_ms(),
            "event": "sign",
            "network": home.network.as_str(),
            "request_id": request_id,
            "verdict": "retry",
            "reason": format!("wrong {what} (try {attempt} of {TRIES})"),
        }),
    )
}

/// One line from the terminal, or from stdin when there is none; end of input is refused
/// with `at_end` (which says what was not typed and what was not done).
pub(crate) fn read_confirmation(at_end: &str) -> Result<String> {
    let mut line = String::new();
    let n = match std::fs::File::open("/dev/tty") {
        Ok(f) => std::io::BufRead::read_line(&mut std::io::BufReader::new(f), &mut line)
            .map_err(|e| SignerError::io("/dev/tty", e))?,
        Err(_) => std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| SignerError::io("stdin", e))?,
    };
    if n == 0 {
        eprintln!();
        return Err(SignerError::Refused(at_end.into()));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_needs_the_address_tail_and_the_code() {
        assert!(update_typed_ok("hGWYdH K7M2QX\n", "hGWYdH", "K7M2QX"));
        assert!(update_typed_ok("  hGWYdH   k7m2qx ", "hGWYdH", "K7M2QX"));
        assert!(
            !update_typed_ok("K7M2QX", "hGWYdH", "K7M2QX"),
            "the code alone"
        );
        assert!(
            !update_typed_ok("hgwydh K7M2QX", "hGWYdH", "K7M2QX"),
            "address case"
        );
        assert!(!update_typed_ok("hGWYdH K7M2QX x", "hGWYdH", "K7M2QX"));
        assert!(!update_typed_ok("hGWYdH", "hGWYdH", "K7M2QX"));
    }
}
