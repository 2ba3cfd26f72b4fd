//! No import cycles between the modules of any crate (issue #25 item 3), at two levels: the
//! top-level modules (a directory module such as `journal/` counts as one), and the modules
//! inside each directory module (`payout/build` and `payout/submit`).
//!
//! A module's edges are the `crate::<module>` paths its files name (in `use` lines, grouped
//! `use crate::{a, b}` imports and inline paths; inside a directory also `crate::<dir>::<module>`
//! and `super::<module>`), outside comments and outside its `#[cfg(test)]` section. Cycles are
//! found as strongly connected components of that graph; the only ones accepted are listed in
//! [`KNOWN`] with why they are still there, so a new one fails `make test` and an entry that no
//! longer occurs must be removed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Cycles known and not broken yet: (crate directory, modules of the cycle, sorted). Issue #25
/// lists them for later moves; each must go from this list in the commit that breaks it.
const KNOWN: &[(&str, &[&str])] = &[];

/// The modules a source text names through `crate::` (comments and tests left out).
fn edges_of(text: &str, out: &mut BTreeSet<String>) {
    edges_under(text, "crate::", out);
}

/// The modules a source text names through `prefix` (`crate::`, `crate::journal::`,
/// `super::`), comments and tests left out.
fn edges_under(text: &str, prefix: &str, out: &mut BTreeSet<String>) {
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().next_back();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module → modules it names, for the modules directly inside `dir` (`src` itself or a
/// directory module `src/journal`) of the crate whose sources are in `src`.
fn graph(src: &Path, dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    rs_files(dir, &mut files);
    let inner: Vec<String> = dir
        .strip_prefix(src)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let prefix = inner
        .iter()
        .fold("crate::".to_string(), |p, m| format!("{p}{m}::"));
    for f in files {
        let rel = f.strip_prefix(dir).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if ["lib", "main", "bin", "mod"].contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let e = g.entry(module.clone()).or_default();
        edges_under(&text, &prefix, e);
        if !inner.is_empty() && rel.components().count() == 1 {
            edges_under(&text, "super::", e);
        }
        e.remove(&module);
    }
    let known: BTreeSet<String> = g.keys().cloned().collect();
    for e in g.values_mut() {
        e.retain(|m| known.contains(m));
    }
    g
}

/// `src` and every directory module under it (a folder with a `mod.rs`).
fn module_dirs(src: &Path, out: &mut Vec<std::path::PathBuf>) {
    out.push(src.to_path_buf());
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() && p.join("mod.rs").is_file() {
            module_dirs(&p, out);
        }
    }
}

/// The strongly connected components with more than one module (Tarjan), each sorted.
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    struct State<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: BTreeSet<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.g[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.insert(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: BTreeSet::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn the_checker_finds_a_cycle_and_reads_grouped_imports() {
    let mut e = BTreeSet::new();
    edges_of(
        "use crate::{a, b::C};\n// crate::commented\nlet x = crate::c::f();\n#[cfg(test)]\nuse crate::d;",
        &mut e,
    );
    assert_eq!(e, ["a", "b", "c"].map(String::from).into_iter().collect());
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    let c = cycles(&g);
    assert_eq!(c.len(), 1);
    assert_eq!(c.iter().next().unwrap(), &["a", "b", "c"].map(String::from));
}

#[test]
fn the_checker_finds_a_cycle_inside_a_directory_module() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path();
    std::fs::create_dir(src.join("d")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod d;\npub mod top;\n").unwrap();
    std::fs::write(src.join("top.rs"), "use crate::d::a;\n").unwrap();
    std::fs::write(src.join("d/mod.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(src.join("d/a.rs"), "use super::b::f;\n").unwrap();
    std::fs::write(src.join("d/b.rs"), "pub fn f() { crate::d::a::g() }\n").unwrap();
    assert!(
        cycles(&graph(src, src)).is_empty(),
        "top level: d and top only"
    );
    let inner = cycles(&graph(src, &src.join("d")));
    assert_eq!(inner.len(), 1);
    assert_eq!(inner.iter().next().unwrap(), &["a", "b"].map(String::from));
    std::fs::write(src.join("d/b.rs"), "pub fn f() {}\n").unwrap();
    assert!(cycles(&graph(src, &src.join("d"))).is_empty());
}

#[test]
fn no_crate_has_an_import_cycle_beyond_the_known_ones() {
    let root = coldpay_tests::workspace_root();
    let mut found = Vec::new();
    for krate in [
        "shared",
        "signer",
        "broadcaster",
        "build-info",
        "tests/devnode",
    ] {
        let src = root.join(krate).join("src");
        if !src.is_dir() {
            continue;
        }
        let mut dirs = Vec::new();
        module_dirs(&src, &mut dirs);
        for dir in dirs {
            let at = dir
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            for c in cycles(&graph(&src, &dir)) {
                let named = c
                    .into_iter()
                    .map(|m| {
                        if at.is_empty() {
                            m
                        } else {
                            format!("{at}/{m}")
                        }
                    })
                    .collect();
                found.push((krate.to_string(), named));
            }
        }
    }
    let known: BTreeSet<(String, Vec<String>)> = KNOWN
        .iter()
        .map(|(k, c)| (k.to_string(), c.iter().map(|m| m.to_string()).collect()))
        .collect();
    let found_set: BTreeSet<_> = found.iter().cloned().collect();
    let new: Vec<_> = found_set.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found_set).collect();
    assert!(
        new.is_empty(),
        "import cycles (break them, see docs/architecture.md): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "known cycles no longer there (remove them from KNOWN): {gone:?}"
    );
}
