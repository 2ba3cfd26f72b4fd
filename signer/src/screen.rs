//! The terminal's alternate screen, where new mnemonic words are shown. Leaving it brings back
//! the earlier screen, so the words stay neither on the screen nor in the scrollback. An
//! interrupt (Ctrl-C) or termination while it is up leaves it too and turns echo back on.

#![allow(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

const ENTER: &[u8] = b"\x1b[?1049h\x1b[H\x1b[2J";
const CLEAR: &[u8] = b"\x1b[H\x1b[2J\x1b[3J";
const LEAVE: &[u8] = b"\x1b[H\x1b[2J\x1b[?1049l";

/// The terminal settings of stdin when the alternate screen was entered (echo on).
static SAVED_TERMIOS: OnceLock<libc::termios> = OnceLock::new();

/// Restores the screen and the terminal settings, then exits; async-signal-safe calls only.
extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: write, tcsetattr and _exit are async-signal-safe; the buffers are static and the
    // saved termios was fully written before this handler was installed.
    unsafe {
        libc::write(2, LEAVE.as_ptr().cast(), LEAVE.len());
        if let Some(t) = SAVED_TERMIOS.get() {
            libc::tcsetattr(0, libc::TCSANOW, t);
        }
        libc::_exit(128 + sig);
    }
}

fn set_handlers(handler: libc::sighandler_t) {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installs a handler that only makes async-signal-safe calls, or the default.
        unsafe {
            libc::signal(sig, handler);
        }
    }
}

/// The alternate screen of the terminal on stderr, while it is up.
pub struct AltScreen {
    active: bool,
}

impl AltScreen {
    /// Switches to the alternate screen when stderr and stdin are a terminal; otherwise does
    /// nothing (the words then go to stderr as ordinary lines, for scripts).
    pub fn enter() -> AltScreen {
        let active = std::io::stderr().is_terminal() && std::io::stdin().is_terminal();
        if active {
            let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: tcgetattr fills the termios it is given; it is read only on success.
            if unsafe { libc::tcgetattr(0, t.as_mut_ptr()) } == 0 {
                // SAFETY: initialised by the successful tcgetattr above.
                let _ = SAVED_TERMIOS.set(unsafe { t.assume_init() });
            }
            set_handlers(on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t);
            write_err(ENTER);
        }
        AltScreen { active }
    }

    /// Whether the alternate screen is up.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Clears the alternate screen (and any scrollback it has).
    pub fn clear(&self) {
        if self.active {
            write_err(CLEAR);
        }
    }

    /// Leaves the alternate screen; returns whether it was up.
    pub fn leave(mut self) -> bool {
        self.close()
    }

    fn close(&mut self) -> bool {
        let was = self.active;
        if was {
            write_err(LEAVE);
            set_handlers(libc::SIG_DFL);
            self.active = false;
        }
        was
    }
}

impl Drop for AltScreen {
    fn drop(&mut self) {
        self.close();
    }
}

fn write_err(bytes: &[u8]) {
    let mut e = std::io::stderr();
    let _ = e.write_all(bytes);
    let _ = e.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_terminal_nothing_is_switched() {
        // Test runners capture stderr: no terminal, so the screen stays as it is.
        if std::io::stderr().is_terminal() && std::io::stdin().is_terminal() {
            return;
        }
        let s = AltScreen::enter();
        assert!(!s.is_active());
        assert!(!s.leave());
    }
}
