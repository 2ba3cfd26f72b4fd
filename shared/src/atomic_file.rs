//! Durable file writes (feature `io`): a temp file beside the target, written, fsynced and
//! renamed into place, then the folder fsynced, so readers see the old file or the new one,
//! never a partial one. Both binaries write every file they produce through [`AtomicFile`];
//! errors are plain [`std::io::Error`]s, which each binary turns into its own error type.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A file being written atomically: its temp file exists from [`AtomicFile::create`] on, so a
/// missing or unwritable folder fails before anything else happens; [`AtomicFile::commit`]
/// writes, fsyncs and renames it into place. Dropped uncommitted, the temp file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    mode: u32,
}

impl AtomicFile {
    /// Creates the temp file beside `path` with permissions `mode` (e.g. `0o600`; the umask
    /// does not apply). A path without a file name is [`io::ErrorKind::InvalidInput`].
    pub fn create(path: &Path, mode: u32) -> io::Result<AtomicFile> {
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
        let mut rnd = [0u8; 6];
        getrandom::getrandom(&mut rnd).map_err(io::Error::other)?;
        let tmp = parent_dir(path).join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            hex::encode(rnd)
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
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
    pub fn commit(self, bytes: &[u8]) -> io::Result<()> {
        self.commit_chunks(&[bytes])
    }

    /// [`AtomicFile::commit`] of the concatenation of `chunks` (a large document built in
    /// parts is not joined in memory first).
    pub fn commit_chunks<B: AsRef<[u8]>>(mut self, chunks: &[B]) -> io::Result<()> {
        let Some(f) = self.file.take() else {
            return Err(io::Error::other("atomic file committed twice"));
        };
        let mut w = io::BufWriter::with_capacity(1 << 20, f);
        for c in chunks {
            w.write_all(c.as_ref())?;
        }
        let f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        f.set_permissions(fs::Permissions::from_mode(self.mode))?;
        f.sync_all()?;
        drop(f);
        fs::rename(&self.tmp, &self.path)?;
        File::open(parent_dir(&self.path))?.sync_all()
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

/// Writes `bytes` to `path` atomically with permissions `mode`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    AtomicFile::create(path, mode)?.commit(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> usize {
        fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn atomic_write_sets_mode_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        write_atomic(&p, b"one", 0o600).unwrap();
        write_atomic(&p, b"two", 0o644).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert_eq!(entries(dir.path()), 1);
    }

    #[test]
    fn failed_write_leaves_nothing_and_keeps_the_kind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("k.json");
        let e = write_atomic(&p, b"x", 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert_eq!(entries(dir.path()), 0);
        let e = write_atomic(Path::new("/"), b"x", 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn temp_file_exists_until_commit_and_goes_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        let f = AtomicFile::create(&p, 0o644).unwrap();
        assert_eq!(f.path(), p);
        assert_eq!(entries(dir.path()), 1);
        assert!(!p.exists());
        drop(f);
        assert_eq!(entries(dir.path()), 0);
        let f = AtomicFile::create(&p, 0o644).unwrap();
        f.commit_chunks(&[b"do".as_slice(), b"ne".as_slice()])
            .unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"done");
        assert_eq!(entries(dir.path()), 1);
    }
}
