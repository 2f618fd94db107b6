//! Project configuration (`.podsec.yaml`, found upward from the inputs) and per-workload exemptions.
//!
//! ```yaml
//! level: restricted            # default level (a flag wins; a Namespace's enforce label wins over this)
//! pssVersion: v1.30            # default policy version
//! ignore: [hostPorts]          # check ids neither reported nor fixed anywhere
//! exclude: ["vendor/**"]       # paths (globs relative to this file) that are not read
//! kinds:                       # extra workload kinds: where their pod template is
//!   - kind: Rollout
//!     apiVersion: argoproj.io/v1alpha1   # only the group is compared
//!     template: spec.template
//! ```

use std::path::{Path, PathBuf};

use crate::checks::{self, Level, PolicyVersion};
use crate::input::LineIndex;
use crate::k8s::TemplateRoute;
use crate::yaml::{self, Limits, Node};

pub const FILE_NAME: &str = ".podsec.yaml";

/// The annotation (on a workload's own metadata) that lists check ids to skip for it, comma
/// separated; `*` skips all.
pub const IGNORE_ANNOTATION: &str = "podsec.dev/ignore";

#[derive(Debug, Default, Clone)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub level: Option<Level>,
    pub version: Option<PolicyVersion>,
    pub ignore: Vec<String>,
    pub exclude: Option<globset::GlobSet>,
    pub kinds: Vec<TemplateRoute>,
}

impl Config {
    /// Whether a path found under a directory argument is excluded.
    pub fn excluded(&self, path: &Path) -> bool {
        let (Some(set), Some(cfg)) = (&self.exclude, &self.path) else { return false };
        // Both sides absolute and without symlinks, so that `podsec check cfg` and `cd cfg; podsec
        // check .` exclude the same files.
        let base = cfg.parent().unwrap_or(Path::new("."));
        let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = path.strip_prefix(&base).unwrap_or(&path);
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        set.is_match(rel)
    }
}

/// Find `.podsec.yaml` in the directory of the first input (the working directory for stdin) or above.
pub fn discover(paths: &[String]) -> Option<PathBuf> {
    let first = paths.iter().find(|p| *p != "-").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    let start = if first.is_dir() { first } else { first.parent().map(Path::to_path_buf).unwrap_or_default() };
    let mut dir = std::fs::canonicalize(if start.as_os_str().is_empty() { Path::new(".") } else { &start }).ok()?;
    loop {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// Read and validate a configuration file; errors name the file and line.
pub fn load(path: &Path) -> Result<Config, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let stream = yaml::parse_stream(&text, &Limits::default());
    let lines = LineIndex::new(&text);
    let at = |offset: usize| format!("{name}:{}", lines.line_col(&text, offset).0);
    let root = match stream.docs.first().map(|d| &d.root) {
        None => return Ok(Config { path: Some(path.to_path_buf()), ..Config::default() }),
        Some(Err(e)) => return Err(format!("{}: {}", at(e.offset), e.message)),
        Some(Ok(root)) => root,
    };
    let Some(entries) = root.as_map() else {
        return Err(format!("{}: the configuration must be a mapping", at(root.span.start)));
    };
    let mut cfg = Config { path: Some(path.to_path_buf()), ..Config::default() };
    let str_of =
        |n: &Node| n.as_str().map(str::to_owned).ok_or_else(|| format!("{}: expected a string", at(n.span.start)));
    let list_of = |n: &Node| -> Result<Vec<String>, String> {
        n.as_seq().ok_or_else(|| format!("{}: expected a list", at(n.span.start)))?.iter().map(str_of).collect()
    };
    for e in entries {
        let v = &e.value;
        match e.key.as_str() {
            "level" => cfg.level = Some(str_of(v)?.parse().map_err(|m| format!("{}: {m}", at(v.span.start)))?),
            "pssVersion" => cfg.version = Some(str_of(v)?.parse().map_err(|m| format!("{}: {m}", at(v.span.start)))?),
            "ignore" => {
                cfg.ignore = list_of(v)?;
                for id in &cfg.ignore {
                    if id != "*" && checks::info(id).is_none() {
                        return Err(format!("{}: unknown check id {id:?} (see `podsec explain`)", at(v.span.start)));
                    }
                }
            }
            "exclude" => {
                let mut b = globset::GlobSetBuilder::new();
                for g in list_of(v)? {
                    b.add(globset::Glob::new(&g).map_err(|m| format!("{}: {m}", at(v.span.start)))?);
                }
                cfg.exclude = Some(b.build().map_err(|m| format!("{}: {m}", at(v.span.start)))?);
            }
            "kinds" => {
                for k in v.as_seq().ok_or_else(|| format!("{}: `kinds` must be a list", at(v.span.start)))? {
                    let field = |f: &str| k.field(f).map(str_of).transpose();
                    let kind = field("kind")?.ok_or_else(|| format!("{}: a kind needs `kind`", at(k.span.start)))?;
                    let template =
                        field("template")?.ok_or_else(|| format!("{}: a kind needs `template`", at(k.span.start)))?;
                    let group =
                        field("apiVersion")?.map(|a| a.rsplit_once('/').map_or(String::new(), |(g, _)| g.to_owned()));
                    cfg.kinds.push(TemplateRoute {
                        kind,
                        group,
                        template: template.split('.').map(str::to_owned).collect(),
                    });
                }
            }
            other => {
                return Err(format!(
                    "{}: unknown setting {other:?} (level, pssVersion, ignore, exclude, kinds)",
                    at(e.key_span.start)
                ));
            }
        }
    }
    Ok(cfg)
}

/// The check ids a workload's `podsec.dev/ignore` annotation lists.
pub fn ignored_by_annotation(object: &Node) -> Vec<String> {
    object
        .path(&["metadata", "annotations", IGNORE_ANNOTATION])
        .and_then(Node::as_str)
        .map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default()
}

/// A Namespace's `pod-security.kubernetes.io/enforce` labels: the policy of the workloads in it.
#[derive(Clone, Debug, PartialEq)]
pub struct NamespacePolicy {
    pub name: String,
    /// `None`: `privileged`, no check applies.
    pub level: Option<Level>,
    /// `enforce-version`, when set (else the run's version).
    pub version: Option<PolicyVersion>,
}

/// The Namespaces in a document (its root, or the items of a List) that carry a
/// `pod-security.kubernetes.io/enforce` label. As PSA does, an invalid level is read as
/// `restricted` (fail closed) and an invalid version as `latest`.
pub fn namespace_levels(root: &Node) -> Vec<NamespacePolicy> {
    let objects: Vec<&Node> = match root.get("items").and_then(Node::as_seq) {
        Some(items) if root.get("kind").and_then(Node::as_str).is_some_and(|k| k.ends_with("List")) => {
            items.iter().collect()
        }
        _ => vec![root],
    };
    objects.into_iter().filter_map(namespace_level).collect()
}

fn namespace_level(ns: &Node) -> Option<NamespacePolicy> {
    if ns.get("kind").and_then(Node::as_str) != Some("Namespace") {
        return None;
    }
    let name = ns.path(&["metadata", "name"]).and_then(Node::as_str)?;
    let labels = ns.path(&["metadata", "labels"])?;
    let level = match labels.field("pod-security.kubernetes.io/enforce").and_then(Node::as_str)? {
        "privileged" => None,
        other => Some(other.parse().unwrap_or(Level::Restricted)),
    };
    let version =
        labels.field("pod-security.kubernetes.io/enforce-version").and_then(Node::as_str).and_then(|v| v.parse().ok());
    Some(NamespacePolicy { name: name.to_owned(), level, version })
}
