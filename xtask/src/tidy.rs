//! Tidy checks over the source tree, run as `#[test]`s (so `cargo xtask ci`
//! runs them with the rest of the tests), in the way rust-analyzer's xtask
//! does.
//!
//! [`import_cycles`]: within one crate, files whose `crate::`, `super::`
//! and `self::` paths lead from one to another and back. A module's file
//! and its own submodules' files are one unit of structure (a `mod.rs`
//! declares and re-exports its children), so only imports between files
//! where neither is the other's ancestor count. A path to an item that a
//! module re-exports (`pub use child::Item`) leads to the file that defines
//! it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root (`["machine", "wait"]`).
type ModPath = Vec<String>;

/// The modules of one crate's `src/`, each with its file.
fn modules(src: &Path) -> BTreeMap<ModPath, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(rel) = path.strip_prefix(src) else {
                continue;
            };
            let mut segments: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            // lib.rs, main.rs and bin/ are roots; foo/mod.rs is foo.
            if segments.first().is_some_and(|s| s == "bin") {
                continue;
            }
            if segments.last().is_some_and(|s| s == "mod")
                || segments == ["lib"]
                || segments == ["main"]
            {
                segments.pop();
            }
            out.insert(segments, path);
        }
    }
    out
}

/// Every path that starts with `crate`, `super` or `self` in `code`,
/// with brace groups expanded (`use crate::{a::B, c::{d, e}}`).
fn paths(code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let head = ["crate::", "super::", "self::"]
            .iter()
            .find(|h| rest.starts_with(h.as_bytes()));
        let boundary = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        match head {
            Some(h) if boundary => {
                let first = h.trim_end_matches("::").to_string();
                let (found, end) = path_tail(code, i + h.len(), vec![first]);
                out.extend(found);
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Reads the rest of a path from `at`, after `prefix`: segments joined by
/// `::`, or a brace group of such tails. Returns the paths and where
/// reading stopped.
fn path_tail(code: &str, mut at: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let bytes = code.as_bytes();
    let mut current = prefix;
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'{' {
            let mut all = Vec::new();
            at += 1;
            loop {
                while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b',') {
                    at += 1;
                }
                if at >= bytes.len() || bytes[at] == b'}' {
                    return (all, at + 1);
                }
                let (found, end) = path_tail(code, at, current.clone());
                all.extend(found);
                if end <= at {
                    return (all, at + 1);
                }
                at = end;
            }
        }
        let start = at;
        while at < bytes.len() && is_ident(bytes[at]) {
            at += 1;
        }
        if start == at {
            return (vec![current], at);
        }
        current.push(code[start..at].to_string());
        if code[at..].starts_with("::") {
            at += 2;
        } else {
            // ` as Name` and anything after a path end it.
            if code[at..].trim_start().starts_with("as ") {
                let skip = code[at..].len() - code[at..].trim_start().len() + 3;
                at += skip;
                while at < bytes.len() && (bytes[at].is_ascii_whitespace() || is_ident(bytes[at])) {
                    at += 1;
                }
            }
            return (vec![current], at);
        }
    }
}

/// The module `path` (as written in the file of module `from`) leads to:
/// the longest prefix that is a module of the crate.
fn target(from: &ModPath, path: &[String], mods: &BTreeMap<ModPath, PathBuf>) -> Option<ModPath> {
    let mut base: ModPath = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") | Some("super") => {
            // In foo.rs or foo/mod.rs, `self` is foo; `super` is foo's parent.
            base = from.clone();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "self" => rest = &rest[1..],
                    "super" => {
                        base.pop();
                        rest = &rest[1..];
                    }
                    _ => break,
                }
            }
        }
        _ => return None,
    }
    let mut best = None;
    let mut candidate = base;
    if mods.contains_key(&candidate) {
        best = Some(candidate.clone());
    }
    for segment in rest {
        candidate.push(segment.clone());
        if mods.contains_key(&candidate) {
            best = Some(candidate.clone());
        }
    }
    best
}

/// The code of a file before its tests, without comments (a doc link is
/// not an import).
/// Where the item that `path` names lives, when module `to` (the
/// longest prefix of `path` that is a module) only re-exports it: follows
/// `use` lines of `to`'s file to the defining file; `to` itself otherwise.
fn through_reexports(
    to: ModPath,
    path: &[String],
    mods: &BTreeMap<ModPath, PathBuf>,
    depth: u32,
) -> ModPath {
    // The segment after the module's own: the item's name.
    let item = path
        .iter()
        .rev()
        .find(|s| !matches!(s.as_str(), "crate" | "self" | "super"))
        .cloned();
    let (Some(item), Some(file)) = (item, mods.get(&to)) else {
        return to;
    };
    if depth > 8 || to.last() == Some(&item) {
        return to;
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return to;
    };
    let code = code_before_tests(&text);
    // Paths of `use` items in the module's file, read as `self::`-relative
    // when they start with a child's name.
    for line in code.split(';') {
        let line = line.trim();
        let Some(rest) = line
            .strip_prefix("pub use ")
            .or_else(|| line.strip_prefix("pub(crate) use "))
        else {
            continue;
        };
        let rest = rest.trim();
        let anchored = if rest.starts_with("crate::")
            || rest.starts_with("self::")
            || rest.starts_with("super::")
        {
            rest.to_string()
        } else {
            format!("self::{rest}")
        };
        for found in paths(&anchored) {
            if found.last() != Some(&item) {
                continue;
            }
            if let Some(next) = target(&to, &found, mods)
                && next != to
            {
                return through_reexports(next, &found, mods, depth + 1);
            }
        }
    }
    to
}

fn code_before_tests(text: &str) -> String {
    let code = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    code.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ancestor(a: &ModPath, b: &ModPath) -> bool {
    a.len() <= b.len() && b[..a.len()] == a[..]
}

/// The import graph between the files of one crate's `src/`.
fn graph(src: &Path) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mods = modules(src);
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (module, file) in &mods {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let entry = edges.entry(module.clone()).or_default();
        for path in paths(&code_before_tests(&text)) {
            let Some(to) = target(module, &path, &mods) else {
                continue;
            };
            let to = through_reexports(to, &path, &mods, 0);
            if !is_ancestor(&to, module) && !is_ancestor(module, &to) {
                entry.insert(to);
            }
        }
    }
    edges
}

/// The cycles (strongly connected components of more than one file) in the
/// import graph of `src`, each as its sorted module names.
pub(crate) fn import_cycles(src: &Path) -> Vec<Vec<String>> {
    let edges = graph(src);
    let nodes: Vec<&ModPath> = edges.keys().collect();
    // Reachability by depth-first search from each node (crates are small).
    let reach = |from: &ModPath| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for m in edges.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&ModPath, BTreeSet<ModPath>> =
        nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut cycles = BTreeSet::new();
    for n in &nodes {
        let component: Vec<String> = nodes
            .iter()
            .filter(|m| *m != n && reachable[*n].contains(**m) && reachable[*m].contains(*n))
            .chain(std::iter::once(n))
            .map(|m| name(m))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if component.len() > 1 {
            cycles.insert(component);
        }
    }
    cycles.into_iter().collect()
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_expand_brace_groups_and_relative_heads() {
        let found =
            paths("use crate::{a::B, c::{d, e::F as G}};\nfn f() { super::x::y(); self::z::W; }");
        let found: Vec<String> = found.iter().map(|p| p.join("::")).collect();
        assert_eq!(
            found,
            [
                "crate::a::B",
                "crate::c::d",
                "crate::c::e::F",
                "super::x::y",
                "self::z::W"
            ]
        );
    }

    #[test]
    fn a_two_file_cycle_is_found_and_parent_child_links_are_not() {
        let dir = std::env::temp_dir().join(format!("xtask-tidy-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(src.join("m")).unwrap();
        std::fs::write(src.join("lib.rs"), "mod a; mod b; mod m;").unwrap();
        std::fs::write(src.join("a.rs"), "use crate::b::X;").unwrap();
        std::fs::write(src.join("b.rs"), "pub fn f() { crate::a::g() }").unwrap();
        std::fs::write(src.join("m/mod.rs"), "mod c; pub use self::c::Y;").unwrap();
        std::fs::write(src.join("m/c.rs"), "use super::Z;").unwrap();
        let cycles = import_cycles(&src);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(cycles, [vec!["a".to_string(), "b".to_string()]]);
    }

    /// No crate of the workspace has an import cycle between its files.
    #[test]
    fn no_crate_has_an_import_cycle_between_its_files() {
        let root = crate::root();
        let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
            .unwrap()
            .flatten()
            .map(|e| e.path().join("src"))
            .filter(|p| p.is_dir())
            .collect();
        crates.push(root.join("xtask").join("src"));
        crates.sort();
        let found: Vec<String> = crates
            .iter()
            .flat_map(|src| {
                import_cycles(src)
                    .into_iter()
                    .map(move |c| format!("{}: {}", src.display(), c.join(" <-> ")))
            })
            .collect();
        assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
    }
}
