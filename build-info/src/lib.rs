//! Build provenance for coldpay's binaries.
//!
//! A binary crate's `build.rs` calls [`emit`]; it sets four compile-time variables that
//! [`long_version!`] puts into `--version` and that `coldpay-signer selftest` prints:
//!
//! | variable | value |
//! |---|---|
//! | `COLDPAY_BUILD_COMMIT` | the source commit (40 hex digits) or `unknown` |
//! | `COLDPAY_BUILD_DATE` | the commit's UTC date (`YYYY-MM-DD`) or `unknown` |
//! | `COLDPAY_BUILD_RUSTC` | `rustc -V` without the leading `rustc ` |
//! | `COLDPAY_BUILD_TARGET` | the target triple |
//!
//! Nothing depends on the clock or the build machine, so two builds of one commit agree. The
//! commit comes from a `SOURCE_COMMIT` file at the workspace root when there is one (the source
//! bundle of `make vendor` and the release builds carry it: they have no `.git`), else from `git`,
//! else it is `unknown` (a build without either still succeeds). The date is
//! `SOURCE_DATE_EPOCH` when set, else the commit time recorded beside the commit.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Name of the file, at the workspace root, that names the commit a source tree was exported
/// from: one line `<40 hex digits> <commit time as Unix seconds>`.
pub const SOURCE_COMMIT_FILE: &str = "SOURCE_COMMIT";

/// What a binary says about how it was built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// Source commit, or `unknown`.
    pub commit: String,
    /// The commit's UTC date, or `unknown`.
    pub date: String,
    /// `rustc -V` without the leading `rustc `, or `unknown`.
    pub rustc: String,
    /// Target triple.
    pub target: String,
}

/// A source commit and its time, as recorded in [`SOURCE_COMMIT_FILE`] or read from git.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCommit {
    /// 40 lowercase hex digits.
    pub hash: String,
    /// Commit time, Unix seconds.
    pub time: u64,
}

impl SourceCommit {
    /// Parses `<hash> <unix seconds>` (one line, surrounding whitespace ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let (hash, time) = (words.next()?, words.next()?);
        if words.next().is_some() || !is_commit_hash(hash) {
            return None;
        }
        Some(Self {
            hash: hash.to_string(),
            time: time.parse().ok()?,
        })
    }

    /// The line written to [`SOURCE_COMMIT_FILE`].
    pub fn to_line(&self) -> String {
        format!("{} {}\n", self.hash, self.time)
    }
}

fn is_commit_hash(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `YYYY-MM-DD` (UTC) of a Unix time (`unknown` past the calendar's range).
pub fn utc_date(unix_seconds: u64) -> String {
    i64::try_from(unix_seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map_or_else(
            || "unknown".into(),
            |t| {
                let d = t.date();
                format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
            },
        )
}

/// Strips `rustc ` from `rustc -V` output (`rustc 1.95.0 (59807616e 2026-04-14)`).
pub fn rustc_release(version_output: &str) -> Option<String> {
    let line = version_output.lines().next()?.trim();
    let rest = line.strip_prefix("rustc ")?;
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Collects the build information for the package at `manifest_dir` (a workspace member) and
/// the files whose change must re-run the build script.
pub fn collect(
    manifest_dir: &Path,
    source_date_epoch: Option<&str>,
    rustc: &str,
    target: &str,
) -> (BuildInfo, Vec<PathBuf>) {
    let file = manifest_dir
        .parent()
        .unwrap_or(manifest_dir)
        .join(SOURCE_COMMIT_FILE);
    let (commit, watched) = match std::fs::read_to_string(&file) {
        Ok(text) => (SourceCommit::parse(&text), vec![file]),
        Err(_) => (git_commit(manifest_dir), git_watched(manifest_dir)),
    };
    let epoch = source_date_epoch
        .and_then(|s| s.trim().parse::<u64>().ok())
        .or(commit.as_ref().map(|c| c.time));
    let info = BuildInfo {
        commit: commit.map_or_else(|| "unknown".into(), |c| c.hash),
        date: epoch.map_or_else(|| "unknown".into(), utc_date),
        rustc: run(Command::new(rustc).arg("-V"))
            .and_then(|out| rustc_release(&out))
            .unwrap_or_else(|| "unknown".into()),
        target: target.to_string(),
    };
    (info, watched)
}

/// For `build.rs`: sets the `COLDPAY_BUILD_*` variables and the re-run conditions.
pub fn emit() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    let (info, watched) = collect(&manifest_dir, epoch.as_deref(), &rustc, &target);
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    for path in watched {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rustc-env=COLDPAY_BUILD_COMMIT={}", info.commit);
    println!("cargo:rustc-env=COLDPAY_BUILD_DATE={}", info.date);
    println!("cargo:rustc-env=COLDPAY_BUILD_RUSTC={}", info.rustc);
    println!("cargo:rustc-env=COLDPAY_BUILD_TARGET={}", info.target);
}

fn run(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).ok())
        .flatten()
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    run(Command::new("git").arg("-C").arg(dir).args(args)).map(|s| s.trim().to_string())
}

fn git_commit(dir: &Path) -> Option<SourceCommit> {
    SourceCommit::parse(&git(dir, &["log", "-1", "--format=%H %ct", "HEAD"])?)
}

/// HEAD, the branch it points to and packed-refs: a commit or checkout changes one of them.
fn git_watched(dir: &Path) -> Vec<PathBuf> {
    let mut names = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(branch);
    }
    names
        .iter()
        .filter_map(|name| {
            git(
                dir,
                &["rev-parse", "--path-format=absolute", "--git-path", name],
            )
        })
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

/// `--version` text after the program name: version, commit and its date, rustc, target.
///
/// Expands in the calling crate, whose build script must have called [`emit`].
#[macro_export]
macro_rules! long_version {
    () => {
        concat!(
            env!("CARGO_PKG_VERSION"),
            "\ncommit: ",
            env!("COLDPAY_BUILD_COMMIT"),
            " (",
            env!("COLDPAY_BUILD_DATE"),
            ")\nrustc:  ",
            env!("COLDPAY_BUILD_RUSTC"),
            "\ntarget: ",
            env!("COLDPAY_BUILD_TARGET"),
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "4e2fd12a0b1c2d3e4f5061728394a5b6c7d8e9f0";

    #[test]
    fn source_commit_line_round_trips() {
        let c = SourceCommit::parse(&format!("{HASH} 1796193333\n")).unwrap();
        assert_eq!(c.hash, HASH);
        assert_eq!(c.time, 1_796_193_333);
        assert_eq!(SourceCommit::parse(&c.to_line()), Some(c));
    }

    #[test]
    fn source_commit_refuses_malformed_lines() {
        for bad in [
            "",
            HASH,
            "4e2fd12 1796193333",
            &format!("{} 1", HASH.to_uppercase()),
            &format!("{HASH} -1"),
            &format!("{HASH} 1 extra"),
        ] {
            assert_eq!(SourceCommit::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn utc_dates_across_leap_years_and_centuries() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(951_868_799), "2000-02-29");
        assert_eq!(utc_date(951_868_800), "2000-03-01");
        assert_eq!(utc_date(1_796_193_333), "2026-12-02");
        assert_eq!(utc_date(4_107_542_400), "2100-03-01");
        assert_eq!(utc_date(4_107_456_000), "2100-02-28");
    }

    #[test]
    fn rustc_release_strips_the_program_name() {
        assert_eq!(
            rustc_release("rustc 1.95.0 (59807616e 2026-04-14)\n").as_deref(),
            Some("1.95.0 (59807616e 2026-04-14)")
        );
        assert_eq!(rustc_release("cargo 1.95.0"), None);
        assert_eq!(rustc_release(""), None);
    }

    fn member_of(root: &Path) -> PathBuf {
        let member = root.join("signer");
        std::fs::create_dir_all(&member).unwrap();
        member
    }

    #[test]
    fn source_commit_file_wins_and_source_date_epoch_sets_the_date() {
        let root = std::env::temp_dir().join(format!("coldpay-build-info-{}", std::process::id()));
        let member = member_of(&root);
        std::fs::write(root.join(SOURCE_COMMIT_FILE), format!("{HASH} 0\n")).unwrap();
        let (info, watched) = collect(&member, None, "rustc", "x86_64-unknown-linux-gnu");
        assert_eq!(info.commit, HASH);
        assert_eq!(info.date, "1970-01-01");
        assert_eq!(watched, vec![root.join(SOURCE_COMMIT_FILE)]);
        let (info, _) = collect(&member, Some("951782400"), "rustc", "t");
        assert_eq!(info.date, "2000-02-29");
        assert_eq!(info.target, "t");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn without_git_or_file_everything_unknown_but_the_target() {
        // git fails on a directory that does not exist, as it does outside a work tree.
        let member = std::env::temp_dir().join("coldpay-build-info-absent/signer");
        let (info, watched) = collect(&member, None, "/nonexistent/rustc", "t");
        assert_eq!(info.commit, "unknown");
        assert_eq!(info.date, "unknown");
        assert_eq!(info.rustc, "unknown");
        assert!(watched.is_empty(), "{watched:?}");
    }

    #[test]
    fn git_commit_of_this_work_tree_matches_git() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(expected) = git(here, &["rev-parse", "HEAD"]) else {
            return; // built from a source bundle: no git here
        };
        let (info, watched) = collect(here, None, "rustc", "t");
        if here.parent().unwrap().join(SOURCE_COMMIT_FILE).exists() {
            return;
        }
        assert_eq!(info.commit, expected);
        assert!(watched.iter().any(|p| p.ends_with("HEAD")), "{watched:?}");
    }
}
