//! Reference vectors are kept once: no data file in one crate's `tests/data/` has the name or
//! the bytes of a data file in another's (READMEs aside). Suites that need another crate's
//! vectors read them where they are (`shared/tests/data/` for the TRON reference vectors).

use std::collections::BTreeMap;
use std::path::PathBuf;

use coldpay_tests::workspace_root;
use sha2::{Digest, Sha256};

/// Every crate's test data folder.
const DATA_DIRS: &[&str] = &[
    "shared/tests/data",
    "signer/tests/data",
    "broadcaster/tests/data",
    "tests/devnode/tests/data",
    "tests/tests/data",
];

/// (path from the workspace root, file name, sha256) of every data file but the READMEs.
fn data_files() -> Vec<(String, String, [u8; 32])> {
    let root = workspace_root();
    let mut out = Vec::new();
    for dir in DATA_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries {
            let p: PathBuf = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if !p.is_file() || name == "README.md" {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            out.push((format!("{dir}/{name}"), name, Sha256::digest(&bytes).into()));
        }
    }
    out
}

/// Groups of files sharing a key (more than one file each).
fn shared_by<K: Ord>(
    files: &[(String, String, [u8; 32])],
    key: impl Fn(&(String, String, [u8; 32])) -> K,
) -> Vec<Vec<String>> {
    let mut groups: BTreeMap<K, Vec<String>> = BTreeMap::new();
    for f in files {
        groups.entry(key(f)).or_default().push(f.0.clone());
    }
    groups.into_values().filter(|g| g.len() > 1).collect()
}

#[test]
fn no_vector_file_is_copied_into_a_second_crate() {
    let files = data_files();
    assert!(
        files
            .iter()
            .any(|f| f.0 == "shared/tests/data/http_responses.json"),
        "the reference vectors are where this test looks: {files:?}"
    );
    let same_name = shared_by(&files, |f| f.1.clone());
    assert!(
        same_name.is_empty(),
        "one name in several data folders (read the one copy instead): {same_name:?}"
    );
    let same_bytes = shared_by(&files, |f| f.2);
    assert!(
        same_bytes.is_empty(),
        "one file copied under other names: {same_bytes:?}"
    );
}

#[test]
fn a_copy_would_be_found() {
    let h = [7u8; 32];
    let files = vec![
        ("a/x.json".to_string(), "x.json".to_string(), h),
        ("b/y.json".to_string(), "y.json".to_string(), h),
        ("b/z.json".to_string(), "z.json".to_string(), [8u8; 32]),
    ];
    assert_eq!(shared_by(&files, |f| f.2), [["a/x.json", "b/y.json"]]);
    assert!(shared_by(&files, |f| f.1.clone()).is_empty());
}
