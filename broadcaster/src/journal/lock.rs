//! One writer per journal: an exclusive advisory lock on the sidecar file `<db>.lock`.
//!
//! The holder writes its pid and command line into the lock file so that a second writer can
//! say who it is waiting for. The lock is released when the [`LockGuard`] is dropped (or the
//! process dies: the operating system drops advisory locks with the file descriptor). The
//! lock file itself is never deleted, so every process locks the same inode.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::{BcError, Result};

/// What a writer does when another process holds the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LockWait {
    /// Wait for the holder to finish (printing once who holds it).
    #[default]
    Wait,
    /// Fail at once with [`BcError::Locked`] (exit 4).
    NoWait,
}

/// A held journal lock; released on drop.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
}

impl LockGuard {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The sidecar lock file of a journal: `<db>.lock`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map_or_else(
        || std::ffi::OsString::from("journal"),
        std::ffi::OsStr::to_os_string,
    );
    name.push(".lock");
    db.with_file_name(name)
}

/// Who holds a lock file, as its holder wrote it: (pid, command).
pub fn holder(file: &mut File) -> Option<(u32, String)> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    let (pid, command) = text.trim_end().split_once(' ').unwrap_or((text.trim(), ""));
    Some((pid.parse().ok()?, command.to_string()))
}

fn describe_holder(file: &mut File) -> String {
    match holder(file) {
        Some((pid, command)) if command.is_empty() => format!("pid {pid}"),
        Some((pid, command)) => format!("pid {pid} ({command})"),
        None => "another process".into(),
    }
}

/// This process's command line for the lock file: one line, at most 200 characters.
fn command_line() -> String {
    let args: Vec<String> = std::env::args()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                Path::new(&a)
                    .file_name()
                    .map_or(a.clone(), |n| n.to_string_lossy().into_owned())
            } else {
                a
            }
        })
        .collect();
    let line: String = args
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > 200 {
        line.chars().take(199).collect::<String>() + "…"
    } else {
        line
    }
}

/// Takes the writer lock of the journal at `db`, waiting or not as `wait` says.
pub fn acquire(db: &Path, wait: LockWait) -> Result<LockGuard> {
    let path = lock_path(db);
    let io = |e: std::io::Error| BcError::io(path.display(), &e);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let who = describe_holder(&mut file);
            match wait {
                LockWait::NoWait => {
                    return Err(BcError::Locked(format!(
                        "journal {} is in use by {who}; not waiting (--no-wait)",
                        db.display()
                    )))
                }
                LockWait::Wait => {
                    crate::log::info(&format!(
                        "journal {} is in use by {who}; waiting…",
                        db.display()
                    ));
                    file.lock().map_err(io)?;
                }
            }
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let line = format!("{} {}\n", std::process::id(), command_line());
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(line.as_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(LockGuard { file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_refused_without_waiting_and_admitted_after_release() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("j.sqlite");
        assert_eq!(lock_path(&db), d.path().join("j.sqlite.lock"));
        let g = acquire(&db, LockWait::NoWait).unwrap();
        let mut f = File::open(g.path()).unwrap();
        let (pid, _) = holder(&mut f).unwrap();
        assert_eq!(pid, std::process::id());
        // Locks are per open file description, so a second open in this process conflicts.
        let e = acquire(&db, LockWait::NoWait).unwrap_err();
        assert_eq!(e.exit_code(), 4);
        assert!(e.to_string().contains(&format!("pid {pid}")), "{e}");
        drop(g);
        acquire(&db, LockWait::NoWait).unwrap();
    }
}
