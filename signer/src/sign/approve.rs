//! Stage 3: the operator's approval. An [`Approved`] value exists only once the confirmation
//! code was typed (or `--yes` was allowed by the policy) and the clock, read again afterwards,
//! shows no transaction expired while the review was on screen.

use std::time::Duration;

use serde_json::json;

use super::check::Checked;
use super::clock;
use crate::audit;
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
    if yes {
        if !policy.unattended {
            return Err(SignerError::Usage(
                "--yes is only accepted when the policy sets unattended = true".into(),
            ));
        }
    } else {
        confirm(&checked, home)?;
    }
    clock::refuse_expired(
        checked.txs(),
        clock::now_ms(),
        "while the review was shown",
        "nothing signed; ask for fresh transactions",
    )?;
    Ok(Approved { checked })
}

fn confirm(checked: &Checked<'_>, home: &Home) -> Result<()> {
    let code = checked.code();
    for attempt in 1..=TRIES {
        eprint!(
            "\nTo sign these {} transaction(s), type the confirmation code shown in the summary above: ",
            checked.len()
        );
        let typed = read_line()?;
        if typed.trim().eq_ignore_ascii_case(&code) {
            return Ok(());
        }
        log_miss(
            home,
            "confirmation code",
            attempt,
            &checked.decoded.request_id,
        )?;
        if attempt < TRIES {
            eprintln!(
                "That is not the code (try {attempt} of {TRIES}); it is in the summary block."
            );
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

/// One line from the terminal, or from stdin when there is none.
fn read_line() -> Result<String> {
    let mut line = String::new();
    let n = match std::fs::File::open("/dev/tty") {
        Ok(f) => std::io::BufRead::read_line(&mut std::io::BufReader::new(f), &mut line)
            .map_err(|e| SignerError::io("/dev/tty", e))?,
        Err(_) => std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| SignerError::io("stdin", e))?,
    };
    if n == 0 {
        return Err(SignerError::Refused(
            "no confirmation code typed (end of input); nothing signed".into(),
        ));
    }
    Ok(line)
}
