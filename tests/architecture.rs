//! The layers of docs/ARCHITECTURE.md, checked on the source text: which module
//! may use which, no SQL outside `db`, no HTTP in the use cases, no import
//! circles between files, and few very long functions. A change that breaks a
//! rule fails here with the file and the line, before review has to notice.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, as (path relative to `src/`, text).
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under src");
                let text = fs::read_to_string(&path).expect("read source");
                out.insert(rel.to_string_lossy().replace('\\', "/"), text);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The code of a file without comments and without its `#[cfg(test)]` tail
/// (unit tests may reach across layers to build fixtures).
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a file: `api/mod.rs` → `["api"]`, `app/voters.rs` →
/// `["app", "voters"]`.
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The top-level modules a file's code names through `crate::`.
fn crate_modules_used(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            used.insert(name);
        }
        rest = after;
    }
    used
}

/// The files a file refers to through `crate::a::b` or `super::b` paths
/// (including `use x::{a, b}` groups), resolved to the longest module prefix
/// that is a file.
fn file_edges(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeMap<Vec<String>, String> = files
        .keys()
        .map(|rel| (module_of(rel), rel.clone()))
        .collect();
    let resolve = |path: &[String]| -> Option<String> {
        (1..=path.len())
            .rev()
            .find_map(|n| modules.get(&path[..n]).cloned())
    };
    let mut edges = BTreeMap::new();
    for (rel, text) in files {
        let code = code_of(text);
        let me = module_of(rel);
        let is_mod_file = rel.ends_with("mod.rs") || rel == "lib.rs" || rel == "main.rs";
        let parent: Vec<String> = if is_mod_file {
            me[..me.len().saturating_sub(1)].to_vec()
        } else {
            me[..me.len() - 1].to_vec()
        };
        let mut out = BTreeSet::new();
        for (prefix, base) in [("crate::", Vec::new()), ("super::", parent.clone())] {
            let mut rest = code.as_str();
            while let Some(i) = rest.find(prefix) {
                let boundary = i == 0
                    || !rest[..i]
                        .chars()
                        .last()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
                let after = &rest[i + prefix.len()..];
                rest = after;
                if !boundary {
                    continue;
                }
                let path_text: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut path = base.clone();
                path.extend(
                    path_text
                        .split("::")
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                );
                let mut targets = vec![path.clone()];
                if path_text.ends_with("::") && after[path_text.len()..].starts_with('{') {
                    let group = &after[path_text.len() + 1..];
                    let group = &group[..group.find('}').unwrap_or(group.len())];
                    for item in group.split(',') {
                        let item = item.trim().split(" as ").next().unwrap_or("");
                        let mut p = path.clone();
                        p.extend(
                            item.split("::")
                                .filter(|s| !s.is_empty() && *s != "self")
                                .map(String::from),
                        );
                        targets.push(p);
                    }
                }
                for t in targets {
                    if let Some(file) = resolve(&t) {
                        if &file != rel {
                            out.insert(file);
                        }
                    }
                }
            }
        }
        edges.insert(rel.clone(), out);
    }
    edges
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let lw = s.low[w.as_str()];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w.as_str()) {
                let iw = s.index[w.as_str()];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

/// `(file, line, lines)` of every function longer than `max` lines.
fn long_functions(files: &BTreeMap<String, String>, max: usize) -> Vec<(String, usize, usize)> {
    let mut found = Vec::new();
    for (rel, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        for (start, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let t = t.strip_prefix("pub(crate) ").unwrap_or(t);
            let t = t.strip_prefix("pub ").unwrap_or(t);
            let t = t.strip_prefix("async ").unwrap_or(t);
            let t = t.strip_prefix("const ").unwrap_or(t);
            if !t.starts_with("fn ") {
                continue;
            }
            let mut depth = 0i32;
            let mut opened = false;
            for (end, l) in lines.iter().enumerate().skip(start) {
                let code = l.split("//").next().unwrap_or("");
                if !opened && code.contains(';') && !code.contains('{') {
                    break;
                }
                for c in code.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if opened && depth <= 0 {
                    let n = end - start + 1;
                    if n > max {
                        found.push((rel.clone(), start + 1, n));
                    }
                    break;
                }
            }
        }
    }
    found
}

/// The layers and what each may use (docs/ARCHITECTURE.md, "Layers").
const LAYERS: &[(&str, &[&str])] = &[
    ("tally", &["tally"]),
    ("domain", &["domain", "tally"]),
    ("formats", &["formats", "tally"]),
    ("db", &["db", "domain", "tally", "error"]),
    ("error", &["error", "domain"]),
    (
        "app",
        &["app", "db", "domain", "tally", "formats", "error", "config"],
    ),
];

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let files = sources();
    let mut wrong = Vec::new();
    for (rel, text) in &files {
        let top = rel.split('/').next().unwrap_or("").trim_end_matches(".rs");
        let Some((_, allowed)) = LAYERS.iter().find(|(layer, _)| *layer == top) else {
            continue;
        };
        for used in crate_modules_used(&code_of(text)) {
            if !allowed.contains(&used.as_str()) {
                wrong.push(format!("src/{rel} uses crate::{used}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "layer rules broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_db_speaks_sql_and_the_use_cases_know_no_http() {
    let files = sources();
    let mut wrong = Vec::new();
    for (rel, text) in &files {
        let code = code_of(text);
        let outside_db = !rel.starts_with("db/") && !rel.starts_with("pgcluster/");
        if outside_db && rel != "cli/runtime.rs" {
            for needle in ["diesel::", "use diesel", "sql_query"] {
                if code.contains(needle) {
                    wrong.push(format!("src/{rel} uses `{needle}` outside src/db"));
                }
            }
        }
        if rel.starts_with("api/") && code.contains("crate::db") {
            wrong.push(format!("src/{rel} reaches into crate::db; call src/app"));
        }
        if rel.starts_with("app/") {
            for needle in ["actix_web", "crate::api", "crate::cli", "crate::startup"] {
                if code.contains(needle) {
                    wrong.push(format!("src/{rel} uses `{needle}`"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_two_files_import_each_other_even_through_others() {
    let found = cycles(&file_edges(&sources()));
    assert!(
        found.is_empty(),
        "import circles between files:\n{}",
        found
            .iter()
            .map(|c| c.join(" ↔ "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn at_most_five_functions_run_over_a_hundred_lines() {
    let long = long_functions(&sources(), 100);
    assert!(
        long.len() <= 5,
        "{} functions are over 100 lines (at most 5 may be):\n{}",
        long.len(),
        long.iter()
            .map(|(f, l, n)| format!("src/{f}:{l}: {n} lines"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn code_cites_the_architecture_in_the_repository_not_a_file_outside_it() {
    let citing: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| text.contains("DESIGN.md"))
        .map(|(rel, _)| format!("src/{rel}"))
        .collect();
    assert!(
        citing.is_empty(),
        "cite docs/ARCHITECTURE.md instead: {citing:?}"
    );
}
