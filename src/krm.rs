//! podsec inside a kustomize (or kpt) build: the KRM function (`podsec krm`, or the binary invoked as
//! `podsec-krm`: a `ResourceList` on stdin, one on stdout, KRM Functions Specification v1) and the
//! legacy kustomize exec plugin (the binary invoked as `PodSecurityFix CONFIG_FILE`: a bare stream
//! on stdin and stdout). Both run the fix engine of `podsec fix` on the items, in place: the same
//! minimal edits, classes and self-check, every other byte (annotations, comments, order) kept.

use std::io::Write as _;

use serde_json::{Value as J, json};

use crate::checks::{self, Level, PolicyVersion};
use crate::edit::{Editor, Op, OpKind, apply};
use crate::engine::{self, Outcome, Policy, Resource};
use crate::fix::{self, Applied, Choice, Class, FixOptions};
use crate::frontend::{EXIT_ERROR, EXIT_OK, KRM_FAILED};
use crate::input::Source;
use crate::k8s::{self, Seg};
use crate::yaml::{self, Limits, Node};

/// The functionConfig kind (and the legacy plugin's kind), in [`API_GROUP_VERSION`].
pub const KIND: &str = "PodSecurityFix";
pub const API_GROUP_VERSION: &str = "podsec.dev/v1alpha1";

/// What a function run does with violations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Apply the chosen fixes; what remains is a warning and the build goes on.
    Fix,
    /// Change nothing; every violation is an error and the function fails.
    Check,
}

/// A function's configuration (`spec` of a PodSecurityFix, or `data` of a ConfigMap).
#[derive(Clone, Debug)]
pub struct Config {
    pub level: Level,
    pub version: PolicyVersion,
    pub unsafe_fixes: bool,
    pub run_as_user: Option<i64>,
    pub ignore: Vec<String>,
    pub mode: Mode,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            level: Level::Restricted,
            version: PolicyVersion::LATEST,
            unsafe_fixes: false,
            run_as_user: None,
            ignore: Vec::new(),
            mode: Mode::Fix,
        }
    }
}

/// Read a functionConfig: a `PodSecurityFix` (`podsec.dev/v1alpha1`) with `spec`, or a `ConfigMap`
/// with the same keys in `data` (strings: `"true"`, `"1000"`, `"hostPorts,sysctls"`); none means
/// restricted:latest with safe fixes.
pub fn config_of(fc: Option<&Node>) -> Result<Config, String> {
    let mut cfg = Config::default();
    let Some(fc) = fc.filter(|n| !n.is_null()) else { return Ok(cfg) };
    let kind = fc.get("kind").and_then(Node::as_str).unwrap_or("");
    let api_version = fc.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let (settings, strings) = match (kind, api_version) {
        (KIND, API_GROUP_VERSION) => (fc.get("spec"), false),
        ("ConfigMap", "v1") => (fc.get("data"), true),
        _ => {
            return Err(format!(
                "functionConfig must be a {KIND} ({API_GROUP_VERSION}) or a ConfigMap (v1), not {kind:?} ({api_version:?})"
            ));
        }
    };
    let Some(entries) = settings.filter(|n| !n.is_null()).map(|n| n.as_map().ok_or("the settings must be a mapping"))
    else {
        return Ok(cfg);
    };
    for e in entries? {
        let v = &e.value;
        let text = || v.as_str().map(str::to_owned).ok_or(format!("{}: expected a string", e.key));
        let boolean = || match (v.as_bool(), v.as_str()) {
            (Some(b), _) if !strings => Ok(b),
            (_, Some("true")) if strings => Ok(true),
            (_, Some("false")) if strings => Ok(false),
            _ => Err(format!("{}: expected true or false", e.key)),
        };
        match e.key.as_str() {
            "level" => cfg.level = text()?.parse()?,
            "pssVersion" => cfg.version = text()?.parse()?,
            "unsafeFixes" => cfg.unsafe_fixes = boolean()?,
            "runAsUser" => {
                let uid = if strings { text()?.parse::<i64>().ok() } else { v.as_i64() };
                cfg.run_as_user = Some(
                    uid.filter(|u| (1..=2_147_483_647).contains(u))
                        .ok_or_else(|| format!("{}: expected a UID from 1 to 2147483647", e.key))?,
                );
            }
            "ignore" => {
                cfg.ignore = if strings {
                    text()?.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
                } else {
                    let items = v.as_seq().ok_or(format!("{}: expected a list of check ids", e.key))?;
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned).ok_or("ignore: expected check ids"))
                        .collect::<Result<_, _>>()?
                };
                if let Some(id) = cfg.ignore.iter().find(|id| id.as_str() != "*" && checks::info(id).is_none()) {
                    return Err(format!("ignore: unknown check id {id:?} (see `podsec explain`)"));
                }
            }
            "mode" => {
                cfg.mode = match text()?.as_str() {
                    "fix" => Mode::Fix,
                    "check" => Mode::Check,
                    other => return Err(format!("mode: {other:?} is not fix or check")),
                }
            }
            other => {
                return Err(format!(
                    "unknown setting {other:?} (level, pssVersion, unsafeFixes, runAsUser, ignore, mode)"
                ));
            }
        }
    }
    Ok(cfg)
}

/// What a run writes and how it ends.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// Run the function on `input` (the whole of stdin). `plugin_config` is the legacy exec plugin's
/// configuration file (the input is then a bare stream and so is the output); otherwise a
/// `ResourceList` is read (and written), or, for pipes, a bare multi-document stream.
pub fn process(input: Source, plugin_config: Option<&str>) -> Run {
    let limits = Limits::default();
    let stream = yaml::parse_stream(&input.text, &limits);
    let list = stream.docs.first().and_then(|d| d.root.as_ref().ok()).filter(|root| is_resource_list(root));
    if list.is_some() && stream.docs.len() > 1 {
        return failed("stdin holds a ResourceList and other documents; expected one ResourceList".into());
    }
    let config = match (plugin_config, list) {
        (Some(text), _) => {
            let parsed = yaml::parse_stream(text, &limits);
            match parsed.docs.first().map(|d| &d.root) {
                Some(Ok(root)) => config_of(Some(root)),
                Some(Err(e)) => Err(format!("the plugin configuration does not parse: {}", e.message)),
                None => Ok(Config::default()),
            }
        }
        (None, Some(list)) => config_of(list.get("functionConfig")),
        (None, None) => Ok(Config::default()),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            let message = format!("invalid functionConfig: {e}");
            let stdout = match list {
                Some(_) => with_results(&input.text, &[json!({"message": message, "severity": "error"})]),
                None => String::new(),
            };
            return Run { stdout, stderr: format!("podsec: error: {message}\n"), code: KRM_FAILED };
        }
    };
    let as_list = list.is_some();
    let mut policy = Policy::new(config.level, config.version);
    policy.ignore = config.ignore.clone();
    policy.namespaces =
        stream.docs.iter().filter_map(|d| d.root.as_ref().ok()).flat_map(crate::config::namespace_levels).collect();
    drop(stream);
    let choice = Choice {
        unsafe_fixes: config.unsafe_fixes,
        options: FixOptions { run_as_user: config.run_as_user },
        details: true,
        ..Choice::default()
    };
    // The input as it is: verdicts, trees (identities, annotations, current values).
    let before = engine::check_source(&input, &policy, &limits);
    if before.template_line.is_some() {
        return failed("stdin is a template (Helm/Go `{{ }}`), not YAML: render it first".into());
    }
    let mut results = Vec::new();
    let text = match config.mode {
        Mode::Check => {
            for r in &before.resources {
                results.extend(verdict_results(&before, r, "error", None));
            }
            input.text.clone()
        }
        Mode::Fix => {
            let fixed = fix::fix_source(&input, &policy, &choice, &limits);
            for a in &fixed.applied {
                results.push(applied_result(&before, a));
            }
            for r in &fixed.after {
                results.extend(verdict_results(&before, r, "warning", Some(&fixed.remaining)));
            }
            for (doc, bug) in &fixed.bugs {
                let message =
                    format!("podsec bug: the fix failed its self-check ({bug}); the document was left unchanged");
                results.push(json!({"message": message, "severity": "error", "tags": {"document": doc.to_string()}}));
            }
            fixed.text
        }
    };
    let mut stderr = String::new();
    for r in &results {
        if r["severity"] != "info" {
            let at = r["resourceRef"].as_object().map_or(String::new(), |o| {
                format!("{}/{}: ", o["kind"].as_str().unwrap_or(""), o["name"].as_str().unwrap_or(""))
            });
            let (severity, message) = (r["severity"].as_str().unwrap_or(""), r["message"].as_str().unwrap_or(""));
            stderr.push_str(&format!("podsec: {severity}: {at}{message}\n"));
        }
    }
    let code = if results.iter().any(|r| r["severity"] == "error") { KRM_FAILED } else { EXIT_OK };
    let stdout = if as_list { with_results(&text, &results) } else { text };
    Run { stdout, stderr, code }
}

fn failed(message: String) -> Run {
    Run { stdout: String::new(), stderr: format!("podsec: error: {message}\n"), code: KRM_FAILED }
}

fn is_resource_list(root: &Node) -> bool {
    root.get("kind").and_then(Node::as_str) == Some("ResourceList")
        && matches!(
            root.get("apiVersion").and_then(Node::as_str),
            Some("config.kubernetes.io/v1" | "config.kubernetes.io/v1beta1")
        )
}

/// The object a verdict is about, in the input's trees.
fn object_of(before: &engine::Checked, doc: usize, item: Option<usize>) -> Option<&Node> {
    let root = before.stream.docs.get(doc)?.root.as_ref().ok()?;
    match item {
        Some(i) => root.get("items")?.as_seq()?.get(i),
        None => Some(root),
    }
}

/// `resourceRef` and `file` of an object (the orchestrator's path/index annotations).
fn identify(object: Option<&Node>, out: &mut serde_json::Map<String, J>) {
    let Some(o) = object else { return };
    let text = |keys: &[&str]| o.path(keys).and_then(Node::as_str).map(str::to_owned);
    let mut reference = serde_json::Map::new();
    for (key, path) in [("apiVersion", &["apiVersion"][..]), ("kind", &["kind"]), ("name", &["metadata", "name"])] {
        reference.insert(key.into(), json!(text(path).unwrap_or_default()));
    }
    if let Some(ns) = text(&["metadata", "namespace"]) {
        reference.insert("namespace".into(), json!(ns));
    }
    out.insert("resourceRef".into(), J::Object(reference));
    let annotation = |keys: [&str; 2]| {
        keys.iter().find_map(|k| o.path(&["metadata", "annotations"]).and_then(|a| a.field(k)).and_then(Node::as_str))
    };
    if let Some(path) = annotation(["internal.config.kubernetes.io/path", "config.kubernetes.io/path"]) {
        let index = annotation(["internal.config.kubernetes.io/index", "config.kubernetes.io/index"])
            .and_then(|i| i.parse::<u64>().ok())
            .unwrap_or(0);
        out.insert("file".into(), json!({"path": path, "index": index}));
    }
}

/// `field` of a result for a fix's first op (relative to its object), with the current and proposed value.
fn field_of(before: &engine::Checked, a: &Applied) -> Option<J> {
    let op = a.fix.ops.first()?;
    let relative = match (a.item, op.route.as_slice()) {
        (Some(_), [Seg::Key(k), Seg::Index(_), rest @ ..]) if k == "items" => rest,
        (_, route) => route,
    };
    let mut field = serde_json::Map::new();
    field.insert("path".into(), json!(k8s::dotted(relative)));
    if let Some(current) =
        before.stream.docs.get(a.doc).and_then(|d| d.root.as_ref().ok()).and_then(|r| k8s::at(r, &op.route))
    {
        field.insert("currentValue".into(), current.to_json());
    }
    match &op.kind {
        OpKind::Set(v) | OpKind::Append(v) => {
            field.insert("proposedValue".into(), v.to_json());
        }
        OpKind::Remove => {
            field.insert("proposedValue".into(), J::Null);
        }
    }
    Some(J::Object(field))
}

/// PSA's `reason (detail)` of the finding a fix addresses, in the input.
fn message_of(before: &engine::Checked, doc: usize, item: Option<usize>, check: &str) -> Option<String> {
    // The verdicts are in document (and item) order.
    let from = before.resources.partition_point(|r| (r.doc, r.item) < (doc, item));
    before.resources[from..].iter().take_while(|r| r.doc == doc && r.item == item).find_map(|r| match &r.outcome {
        Outcome::Workload { findings, .. } => {
            findings.iter().find(|f| f.check == check).map(|f| reason_detail(&f.reason, &f.detail))
        }
        _ => None,
    })
}

fn reason_detail(reason: &str, detail: &str) -> String {
    if detail.is_empty() { reason.to_owned() } else { format!("{reason} ({detail})") }
}

/// An `info` result for an applied fix.
fn applied_result(before: &engine::Checked, a: &Applied) -> J {
    let mut out = serde_json::Map::new();
    let resolves = message_of(before, a.doc, a.item, a.fix.check).unwrap_or_else(|| a.fix.check.to_owned());
    out.insert("message".into(), json!(format!("fixed {}: {} ({})", a.fix.check, a.fix.note, resolves)));
    out.insert("severity".into(), json!("info"));
    identify(object_of(before, a.doc, a.item), &mut out);
    if let Some(field) = field_of(before, a) {
        out.insert("field".into(), field);
    }
    out.insert("tags".into(), json!({"check": a.fix.check, "class": a.fix.class.as_str(), "applied": "true"}));
    J::Object(out)
}

/// The results for one verdict: an error for a document that cannot be read, and one result per
/// violation (with the fix that would apply, or why there is none, when `remaining` is known).
fn verdict_results(before: &engine::Checked, r: &Resource, severity: &str, remaining: Option<&[Applied]>) -> Vec<J> {
    let object = object_of(before, r.doc, r.item);
    match &r.outcome {
        Outcome::Error { message, pos, .. } => {
            let mut out = serde_json::Map::new();
            out.insert("message".into(), json!(format!("document {}: {message} (line {})", r.doc, pos.line)));
            out.insert("severity".into(), json!("error"));
            identify(object.filter(|o| o.get("kind").is_some()), &mut out);
            vec![J::Object(out)]
        }
        Outcome::Workload { findings, .. } => findings
            .iter()
            .map(|f| {
                let mut out = serde_json::Map::new();
                let mut message = format!("{}: {}", f.check, reason_detail(&f.reason, &f.detail));
                let mut tags = serde_json::Map::new();
                tags.insert("check".into(), json!(f.check));
                if let Some(fix) = remaining.and_then(|rs| {
                    // The remaining fixes are in document (and item) order too.
                    let from = rs.partition_point(|x| (x.doc, x.item) < (r.doc, r.item));
                    rs[from..]
                        .iter()
                        .take_while(|x| x.doc == r.doc && x.item == r.item)
                        .find(|x| x.fix.check == f.check)
                }) {
                    let verb = if fix.fix.class == Class::Manual { "" } else { "would " };
                    message.push_str(&format!(" [{}: {verb}{}]", fix.fix.class.as_str(), fix.fix.note));
                    tags.insert("class".into(), json!(fix.fix.class.as_str()));
                    if let Some(field) = field_of(before, fix) {
                        out.insert("field".into(), field);
                    }
                } else if let Some(class) = f.fix {
                    tags.insert("class".into(), json!(class));
                }
                if f.own {
                    tags.insert("source".into(), json!("podsec"));
                }
                out.insert("message".into(), json!(message));
                out.insert("severity".into(), json!(severity));
                identify(object, &mut out);
                out.insert("tags".into(), J::Object(tags));
                J::Object(out)
            })
            .collect(),
        Outcome::Skipped { .. } => Vec::new(),
    }
}

/// `text` (a ResourceList) with its `results` replaced by `results`, every other byte kept.
pub fn with_results(text: &str, results: &[J]) -> String {
    let stream = yaml::parse_stream(text, &Limits::default());
    let Some(doc) = stream.docs.first() else { return text.to_owned() };
    let Ok(root) = &doc.root else { return text.to_owned() };
    if root.flow {
        // A JSON ResourceList: no comments to keep.
        let Ok(mut value) = serde_json::from_str::<J>(&text[root.span.start..root.span.end]) else {
            return text.to_owned();
        };
        if results.is_empty() {
            value.as_object_mut().map(|o| o.remove("results"));
        } else {
            value["results"] = J::Array(results.to_vec());
        }
        return format!("{}{}{}", &text[..root.span.start], value, &text[root.span.end..]);
    }
    let mut text = text.to_owned();
    let mut end = root.span.end;
    if root.get("results").is_some() {
        let op = Op { route: vec![Seg::Key("results".into())], kind: OpKind::Remove };
        if let Ok(splices) = Editor::new(&text, root, &doc.shared).lower(&[op]) {
            let removed: isize = splices.iter().map(|s| s.text.len() as isize - (s.end - s.start) as isize).sum();
            text = apply(&text, &splices);
            end = end.saturating_add_signed(removed);
        }
    }
    if results.is_empty() {
        return text;
    }
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let at = text[end.min(text.len())..].find('\n').map_or(text.len(), |i| end + i + 1);
    let mut block = String::new();
    if at == text.len() && !text.ends_with('\n') {
        block.push_str(eol);
    }
    block.push_str("results:");
    block.push_str(eol);
    for r in results {
        block.push_str("- ");
        block.push_str(&r.to_string());
        block.push_str(eol);
    }
    text.insert_str(at, &block);
    text
}

/// `podsec krm` (and the binary invoked as `podsec-krm`): stdin to stdout.
pub fn run_function() -> i32 {
    run(None)
}

/// The legacy kustomize exec plugin: `PodSecurityFix CONFIG_FILE` (kustomize writes the plugin's
/// configuration to a file and passes it as the first argument).
pub fn run_plugin(config: &std::path::Path) -> i32 {
    match std::fs::read_to_string(config) {
        Ok(text) => run(Some(&text)),
        Err(e) => {
            eprintln!("podsec: error: cannot read the plugin configuration {}: {e}", config.display());
            KRM_FAILED
        }
    }
}

fn run(plugin_config: Option<&str>) -> i32 {
    let out = match crate::input::read("-", None) {
        Ok(src) => process(src, plugin_config),
        Err(e) => failed(format!("stdin: {}", e.message)),
    };
    let mut stdout = std::io::stdout().lock();
    let written = stdout.write_all(out.stdout.as_bytes()).and_then(|()| stdout.flush());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    match written {
        Ok(()) => out.code,
        Err(e) => {
            eprintln!("podsec: error: writing stdout: {e}");
            KRM_FAILED
        }
    }
}

/// Where `podsec kustomize install-plugin` puts the plugin by default: kustomize's plugin home
/// (the first of `$KUSTOMIZE_PLUGIN_HOME`, `$XDG_CONFIG_HOME/kustomize/plugin`,
/// `$HOME/.config/kustomize/plugin`).
pub fn default_plugin_home() -> Option<std::path::PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    env("KUSTOMIZE_PLUGIN_HOME")
        .or_else(|| env("XDG_CONFIG_HOME").map(|x| x.join("kustomize").join("plugin")))
        .or_else(|| env("HOME").map(|h| h.join(".config").join("kustomize").join("plugin")))
}

/// The plugin's path under a plugin home: `<group>/<version>/<lowercase kind>/<Kind>`.
pub fn plugin_path(home: &std::path::Path) -> std::path::PathBuf {
    let (group, version) = API_GROUP_VERSION.split_once('/').unwrap_or(("", API_GROUP_VERSION));
    home.join(group).join(version).join(KIND.to_lowercase()).join(KIND)
}

/// `podsec kustomize install-plugin`: link the running binary into the plugin home and print the
/// `transformers:` snippet that uses it.
pub fn install_plugin(dir: Option<&std::path::Path>) -> i32 {
    let Some(home) = dir.map(std::path::Path::to_path_buf).or_else(default_plugin_home) else {
        eprintln!("podsec: error: no plugin home: set KUSTOMIZE_PLUGIN_HOME or pass --dir");
        return EXIT_ERROR;
    };
    let target = plugin_path(&home);
    let exe = match std::env::current_exe().and_then(std::fs::canonicalize) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("podsec: error: cannot find the podsec binary: {e}");
            return EXIT_ERROR;
        }
    };
    let link = || -> std::io::Result<()> {
        std::fs::create_dir_all(target.parent().expect("plugin dir"))?;
        match std::fs::symlink_metadata(&target) {
            Ok(_) => std::fs::remove_file(&target)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&exe, &target)?;
        #[cfg(not(unix))]
        std::fs::copy(&exe, &target).map(|_| ())?;
        Ok(())
    };
    if let Err(e) = link() {
        eprintln!("podsec: error: cannot install the plugin at {}: {e}", target.display());
        return EXIT_ERROR;
    }
    eprintln!("podsec: installed {} -> {}", target.display(), exe.display());
    let home_note = if dir.is_some() || std::env::var_os("KUSTOMIZE_PLUGIN_HOME").is_none() {
        format!("# run with: KUSTOMIZE_PLUGIN_HOME={} kubectl kustomize --enable-alpha-plugins DIR\n", home.display())
    } else {
        "# run with: kubectl kustomize --enable-alpha-plugins DIR\n".to_owned()
    };
    let snippet = format!(
        "{home_note}# kustomization.yaml:\n#   transformers:\n#   - podsec.yaml\n# podsec.yaml:\napiVersion: {API_GROUP_VERSION}\nkind: {KIND}\nmetadata:\n  name: podsec\nspec:\n  level: restricted\n"
    );
    // A closed pipe or a full disk is an error, not a panic.
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(snippet.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("podsec: error: could not write the output: {e}");
        }
        return EXIT_ERROR;
    }
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source { name: "-".into(), text: text.into(), ..Default::default() }
    }

    const POD_ITEM: &str = "\
- apiVersion: v1
  kind: Pod
  metadata:
    name: web # the front end
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'pod.yaml'
      config.kubernetes.io/path: 'pod.yaml'
      config.k8s.io/id: '1'
      kustomize.config.k8s.io/id: |
        kind: Pod
        name: web
        version: v1
  spec:
    containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
";

    fn list(fc: &str) -> String {
        format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{POD_ITEM}{fc}")
    }

    fn results(stdout: &str) -> Vec<J> {
        let stream = yaml::parse_stream(stdout, &Limits::default());
        let root = stream.docs[0].root.as_ref().expect("output parses");
        root.get("results").map_or_else(Vec::new, |r| r.to_json().as_array().cloned().unwrap_or_default())
    }

    #[test]
    fn fixes_items_in_place_keeping_annotations_and_comments() {
        let out = process(src(&list("")), None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let before: Vec<&str> = POD_ITEM.lines().collect();
        for line in &before[..15] {
            assert!(out.stdout.contains(line), "kept: {line}\n{}", out.stdout);
        }
        assert!(out.stdout.contains("- ALL") && out.stdout.contains("runAsNonRoot: true"), "{}", out.stdout);
        assert!(out.stdout.contains("privileged: true"), "unsafe fixes are not chosen by default");
        let rs = results(&out.stdout);
        let info: Vec<&J> = rs.iter().filter(|r| r["severity"] == "info").collect();
        assert!(!info.is_empty());
        let seccomp = info.iter().find(|r| r["tags"]["check"] == "seccompProfile_restricted").expect("an info per fix");
        assert_eq!(seccomp["resourceRef"], json!({"apiVersion": "v1", "kind": "Pod", "name": "web"}));
        assert_eq!(seccomp["file"], json!({"path": "pod.yaml", "index": 0}));
        assert_eq!(seccomp["field"]["path"], "spec.securityContext.seccompProfile.type");
        assert_eq!(seccomp["field"]["proposedValue"], "RuntimeDefault");
        assert!(
            seccomp["message"].as_str().unwrap().contains("(seccompProfile (pod or container \"app\" must set"),
            "{seccomp}"
        );
        let warning = rs.iter().find(|r| r["tags"]["check"] == "privileged").expect("the unsafe one remains");
        assert_eq!(warning["severity"], "warning");
        assert!(warning["message"].as_str().unwrap().starts_with(
            "privileged: privileged (container \"app\" must not set securityContext.privileged=true) [unsafe: would"
        ));
        assert_eq!(warning["field"]["currentValue"], true);
        assert!(out.stderr.contains("podsec: warning: Pod/web: privileged: privileged ("), "{}", out.stderr);
    }

    #[test]
    fn config_kinds_and_modes() {
        let fc = "functionConfig:\n  apiVersion: podsec.dev/v1alpha1\n  kind: PodSecurityFix\n  metadata: {name: p}\n  spec: {level: baseline, unsafeFixes: true}\n";
        let out = process(src(&list(fc)), None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("privileged: false") && !out.stdout.contains("runAsNonRoot"), "{}", out.stdout);
        let cm = "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: p}\n  data: {mode: check, ignore: 'privileged'}\n";
        let out = process(src(&list(cm)), None);
        assert_eq!(out.code, 1, "violations are errors in check mode");
        assert!(!out.stdout.contains("allowPrivilegeEscalation: false"), "check mode changes nothing");
        let rs = results(&out.stdout);
        assert!(!rs.is_empty() && rs.iter().all(|r| r["severity"] == "error"));
        assert!(rs.iter().all(|r| r["tags"]["check"] != "privileged"), "ignored");
        for bad in [
            "functionConfig: {apiVersion: v1, kind: Secret, metadata: {name: s}}\n",
            "functionConfig: {apiVersion: podsec.dev/v1alpha1, kind: PodSecurityFix, spec: {level: privileged}}\n",
            "functionConfig: {apiVersion: podsec.dev/v1alpha1, kind: PodSecurityFix, spec: {levle: baseline}}\n",
            "functionConfig: {apiVersion: v1, kind: ConfigMap, data: {runAsUser: root}}\n",
        ] {
            let out = process(src(&list(bad)), None);
            assert_eq!(out.code, 1, "{bad}");
            assert_eq!(out.stderr.lines().count(), 1, "one clear line: {}", out.stderr);
            assert!(out.stderr.starts_with("podsec: error: invalid functionConfig"), "{}", out.stderr);
            let rs = results(&out.stdout);
            assert_eq!(rs.len(), 1);
            assert_eq!(rs[0]["severity"], "error");
            assert!(
                out.stdout.contains("privileged: true\n") && !out.stdout.contains("runAsNonRoot"),
                "items unchanged"
            );
        }
    }

    #[test]
    fn bare_streams_and_bad_input() {
        let stream = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: x}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
        let out = process(src(stream), None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.ends_with("---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n"), "{}", out.stdout);
        assert!(out.stdout.contains("runAsNonRoot: true") && !out.stdout.contains("results"));
        for bad in [
            "hello world\n",
            "a: [\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: \"yes\"}\n",
        ] {
            let out = process(src(bad), None);
            assert_eq!(out.code, 1, "{bad}: {}", out.stderr);
            assert!(out.stderr.starts_with("podsec: error:"), "{}", out.stderr);
        }
        let plugin =
            "apiVersion: podsec.dev/v1alpha1\nkind: PodSecurityFix\nmetadata: {name: p}\nspec: {level: baseline}\n";
        let out = process(
            src(
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: x}]\n",
            ),
            Some(plugin),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stderr.contains("hostNamespaces"), "the unsafe one is a warning on stderr: {}", out.stderr);
    }

    #[test]
    fn results_replace_old_ones_and_json_lists_stay_json() {
        let text = format!("{}results:\n- message: old\n", list(""));
        let out = process(src(&text), None);
        assert!(!out.stdout.contains("message: old"), "{}", out.stdout);
        assert_eq!(out.stdout.matches("results:").count(), 1);
        let json_list = r#"{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x"}]}}]}"#;
        let out = process(src(json_list), None);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let v: J = serde_json::from_str(&out.stdout).expect("JSON stays JSON");
        assert_eq!(v["items"][0]["spec"]["securityContext"]["runAsNonRoot"], true);
        assert!(v["results"].as_array().is_some_and(|r| !r.is_empty()));
    }
}
