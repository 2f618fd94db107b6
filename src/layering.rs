//! The rules of docs/architecture.md that the compiler does not enforce, as tests: the top-level
//! modules depend on each other one way (no cycles), and only `src/checks/` dispatches on or
//! describes a check by its id.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every `.rs` file under `dir`, with its top-level module (`fix` for `src/fix/mod.rs`).
fn sources(dir: &Path, top: Option<&str>, out: &mut Vec<(String, std::path::PathBuf, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("src/").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_owned();
        let module = top.map_or_else(|| stem.clone(), str::to_owned);
        if path.is_dir() {
            sources(&path, Some(&module), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable");
            out.push((module, path, text));
        }
    }
}

/// The code of a file without its comments and its test modules (tests may reach anywhere).
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn all_sources() -> Vec<(String, std::path::PathBuf, String)> {
    let mut out = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), None, &mut out);
    out.retain(|(module, path, _)| {
        !matches!(module.as_str(), "main" | "lib" | "layering") && path.file_name().is_some_and(|n| n != "tests.rs")
    });
    out
}

#[test]
fn top_level_modules_have_no_cycles() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, text) in all_sources() {
        let code = code(&text);
        let uses = graph.entry(module.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + 7..];
            // `crate::a::b` names `a`; `crate::{a, b::c}` names `a` and `b`.
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
                None => vec![rest],
            };
            for name in names {
                let name: String = name.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if !name.is_empty() && name != module && name != "self" {
                    uses.insert(name);
                }
            }
        }
    }
    assert!(graph.len() > 10 && graph["app"].contains("commands"), "the scan reads the sources: {graph:?}");
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        m: &'a str,
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("import cycle: {} -> {m}", path[at..].join(" -> "));
        }
        if !done.insert(m) {
            return;
        }
        path.push(m);
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn only_the_checks_dispatch_on_check_ids() {
    // Words spelt like a check: the KRM function's `runAsUser` option, the level `privileged`.
    let allowed = [("krm", "\"runAsUser\" =>"), ("config", "\"privileged\" =>")];
    let ids: Vec<&str> = crate::checks::registry().iter().map(|c| c.id).collect();
    let mut found = Vec::new();
    for (module, path, text) in all_sources().into_iter().filter(|(m, ..)| m != "checks") {
        let code = code(&text);
        for id in &ids {
            for pattern in
                [format!("\"{id}\" =>"), format!("\"{id}\" |"), format!("== \"{id}\""), format!("!= \"{id}\"")]
            {
                if code.contains(&pattern) && !allowed.contains(&(module.as_str(), pattern.as_str())) {
                    found.push(format!("{}: {pattern}", path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "check ids outside src/checks/ (a check's behaviour belongs in its file):\n{}",
        found.join("\n")
    );
}
