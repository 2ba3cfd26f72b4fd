//! No import cycles between the top-level modules of any crate (issue #25 item 3).
//!
//! A module's edges are the `crate::<module>` paths its files name (in `use` lines, grouped
//! `use crate::{a, b}` imports and inline paths), outside comments and outside its
//! `#[cfg(test)]` section. A directory module (`journal/`) counts as one module. Cycles are
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
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
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

/// Top-level module → modules it names, for the crate whose sources are in `src`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    rs_files(src, &mut files);
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" || module == "bin" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let e = g.entry(module.clone()).or_default();
        edges_of(&text, e);
        e.remove(&module);
    }
    let known: BTreeSet<String> = g.keys().cloned().collect();
    for e in g.values_mut() {
        e.retain(|m| known.contains(m));
    }
    g
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
        for c in cycles(&graph(&src)) {
            found.push((krate.to_string(), c));
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
