//! Kustomize patches in the input are not workloads: the files that a kustomization of the input
//! names as patches, and the documents that carry strategic-merge-patch directives. `check` and
//! `fix` leave them alone (skipped, with the reason); library callers opt in with
//! [`Patches::skip`], so that a `$patch` document is still evaluated as the API server would.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::input::Found;
use crate::yaml::{Limits, Node, Value};

/// What the engine leaves alone as a kustomize patch.
#[derive(Clone, Debug, Default)]
pub struct Patches {
    /// Leave patches alone (the CLI's `check` and `fix` do; off for library callers).
    pub skip: bool,
    /// Input files named as patches by a kustomization of the input (as found), with the reason.
    pub files: HashMap<PathBuf, String>,
    /// Set for one file by [`crate::engine::Policy::for_source`]: the file is a patch (why).
    pub file: Option<String>,
    /// Set for one file: its text holds a directive marker, so its documents are read in full and
    /// searched for directives.
    pub scan: bool,
}

/// kustomize's names for a kustomization file, in the order it looks for them.
pub const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Text that every strategic-merge-patch directive contains (a cheap test before any tree is searched).
const MARKERS: [&str; 4] = ["$patch", "$setElementOrder/", "$deleteFromPrimitiveList/", "$retainKeys"];

/// Whether `text` may hold a directive.
pub fn may_have_directive(text: &str) -> bool {
    text.contains('$') && MARKERS.iter().any(|m| text.contains(m))
}

/// The first strategic-merge-patch directive in `node` (depth first), as the reason to skip it:
/// `$patch: delete|replace|merge`, `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`,
/// `$retainKeys`.
pub fn directive(node: &Node) -> Option<String> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|e| {
            let key = e.key.as_str();
            let value = e.value.as_str();
            if key == "$patch" && matches!(value, Some("delete" | "replace" | "merge")) {
                return Some(format!("a strategic-merge patch (`$patch: {}`)", value.unwrap_or_default()));
            }
            if key == "$retainKeys"
                || key.starts_with("$setElementOrder/")
                || key.starts_with("$deleteFromPrimitiveList/")
            {
                return Some(format!("a strategic-merge patch (`{key}`)"));
            }
            directive(&e.value)
        }),
        Value::Seq(items) => items.iter().find_map(directive),
        _ => None,
    }
}

/// The input files that a kustomization names as patches (`patches:` with `path:`,
/// `patchesStrategicMerge:`, `patchesJson6902:` with `path:`; a `Kustomization` or a `Component`),
/// each with the reason, e.g. `a kustomize patch (named by k/kustomization.yaml)`.
///
/// The kustomizations read are those inside the inputs: in the directory of every input file and,
/// under a directory given, in every directory up to it. A kustomization outside the inputs (above a
/// file given alone, or in a directory not given) is not looked for.
pub fn named_by_kustomizations(files: &[Found], args: &[String]) -> HashMap<PathBuf, String> {
    let roots: Vec<&Path> = args.iter().map(Path::new).filter(|p| p.is_dir()).collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut seen = HashSet::new();
    for path in files.iter().filter_map(|(_, p)| p.as_deref()) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if !seen.insert(d.to_path_buf()) {
                break;
            }
            dirs.push(d.to_path_buf());
            // Up to (and including) a directory that was given; a file given alone: its own directory.
            if !roots.iter().any(|r| d.starts_with(r) && d.components().count() > r.components().count()) {
                break;
            }
            dir = d.parent();
        }
    }
    let mut named: HashMap<PathBuf, String> = HashMap::new();
    for dir in dirs {
        let Some(kustomization) = KUSTOMIZATION_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&kustomization) else { continue };
        let reason = format!("a kustomize patch (named by {})", kustomization.display());
        for patch in patch_paths(&text) {
            if let Ok(real) = std::fs::canonicalize(dir.join(&patch)) {
                named.entry(real).or_insert_with(|| reason.clone());
            }
        }
    }
    if named.is_empty() {
        return named;
    }
    files
        .iter()
        .filter_map(|(_, p)| p.as_ref())
        .filter_map(|p| {
            let real = std::fs::canonicalize(p).ok()?;
            named.get(&real).map(|reason| (p.clone(), reason.clone()))
        })
        .collect()
}

/// The patch file paths a kustomization's text names, relative to its directory. An inline patch
/// (`patch:`, or a `patchesStrategicMerge` entry that is YAML, not a path) names no file.
fn patch_paths(text: &str) -> Vec<String> {
    let stream = crate::yaml::parse_stream(text, &Limits::default());
    let Some(Ok(root)) = stream.docs.first().map(|d| d.root.as_ref()) else { return Vec::new() };
    let kind = root.get("kind").and_then(Node::as_str);
    if root.as_map().is_none() || kind.is_some_and(|k| k != "Kustomization" && k != "Component") {
        return Vec::new();
    }
    let mut paths = Vec::new();
    for key in ["patches", "patchesJson6902"] {
        for entry in root.get(key).map_or(&[][..], Node::items) {
            if let Some(path) = entry.get("path").and_then(Node::as_str) {
                paths.push(path.to_owned());
            }
        }
    }
    for entry in root.get("patchesStrategicMerge").map_or(&[][..], Node::items) {
        if let Some(path) = entry.as_str().filter(|s| !s.contains('\n')) {
            paths.push(path.trim().to_owned());
        }
    }
    paths
}
