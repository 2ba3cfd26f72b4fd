//! Durable file writes: temp file in the same folder, fsync, rename, fsync the folder.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Result, SignerError};

/// A file being written atomically: its temp file exists from [`AtomicFile::create`] on, so a
/// missing or unwritable folder fails before anything else happens; [`AtomicFile::commit`]
/// writes, fsyncs and renames it into place. Dropped uncommitted, the temp file is removed.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    mode: u32,
}

impl AtomicFile {
    /// Creates the temp file beside `path` (mode `mode`).
    pub fn create(path: &Path, mode: u32) -> Result<AtomicFile> {
        let name = path
            .file_name()
            .ok_or_else(|| SignerError::Usage(format!("{}: not a file path", path.display())))?;
        let mut rnd = [0u8; 6];
        getrandom::getrandom(&mut rnd).map_err(|e| SignerError::Other(format!("rng: {e}")))?;
        let tmp = parent_dir(path).join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            hex::encode(rnd)
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(|e| SignerError::io(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(file),
            mode,
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes`, fsyncs, renames over the final path and fsyncs the folder.
    pub fn commit(self, bytes: &[u8]) -> Result<()> {
        self.commit_chunks(&[bytes])
    }

    /// [`AtomicFile::commit`] of the concatenation of `chunks` (a large document built in
    /// parts is not joined in memory first).
    pub fn commit_chunks<B: AsRef<[u8]>>(mut self, chunks: &[B]) -> Result<()> {
        let f = self.file.take().expect("committed once");
        let result = (|| {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            for c in chunks {
                w.write_all(c.as_ref())?;
            }
            let f = w
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            f.set_permissions(fs::Permissions::from_mode(self.mode))?;
            f.sync_all()?;
            drop(f);
            fs::rename(&self.tmp, &self.path)?;
            File::open(parent_dir(&self.path))?.sync_all()
        })();
        result.map_err(|e| SignerError::io(&self.path, e))
    }
}

impl Drop for AtomicFile {
    /// Removes the temp file (gone already after a successful commit).
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
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
