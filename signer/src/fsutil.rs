//! Durable file writes through the shared atomic writer, with the signer's errors, and the
//! home's private folders.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use coldpay_shared::atomic_file;

use crate::error::{Result, SignerError};

/// A file being written atomically ([`atomic_file::AtomicFile`], the workspace's one atomic
/// writer) with the signer's errors: the temp file exists from [`AtomicFile::create`] on, so a
/// missing or unwritable folder fails before anything else happens; dropped uncommitted, it
/// is removed.
pub struct AtomicFile(atomic_file::AtomicFile);

impl AtomicFile {
    /// Creates the temp file beside `path` (mode `mode`).
    pub fn create(path: &Path, mode: u32) -> Result<AtomicFile> {
        if path.file_name().is_none() {
            return Err(SignerError::Usage(format!(
                "{}: not a file path",
                path.display()
            )));
        }
        atomic_file::AtomicFile::create(path, mode)
            .map(AtomicFile)
            .map_err(|e| SignerError::io(path, e))
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `bytes`, fsyncs, renames over the final path and fsyncs the folder.
    pub fn commit(self, bytes: &[u8]) -> Result<()> {
        self.commit_chunks(&[bytes])
    }

    /// [`AtomicFile::commit`] of the concatenation of `chunks`.
    pub fn commit_chunks<B: AsRef<[u8]>>(self, chunks: &[B]) -> Result<()> {
        let path = self.0.path().to_path_buf();
        self.0
            .commit_chunks(chunks)
            .map_err(|e| SignerError::io(path, e))
    }
}

/// Writes `bytes` to `path` atomically with the given mode: readers see the old file or the
/// new one, never a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    AtomicFile::create(path, mode)?.commit(bytes)
}

/// Creates a directory (and parents) with mode 0700.
pub fn create_private_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).map_err(|e| SignerError::io(path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
        .map_err(|e| SignerError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_sets_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        write_atomic(&p, b"one", 0o600).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("k.json");
        assert!(write_atomic(&p, b"x", 0o600).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_path_without_a_file_name_is_a_usage_error() {
        let e = write_atomic(Path::new("/"), b"x", 0o600).unwrap_err();
        assert!(matches!(e, SignerError::Usage(_)), "{e:?}");
    }

    #[test]
    fn temp_file_exists_until_commit_and_goes_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        let f = AtomicFile::create(&p, 0o644).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(!p.exists());
        drop(f);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        let f = AtomicFile::create(&p, 0o644).unwrap();
        f.commit(b"done").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"done");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
