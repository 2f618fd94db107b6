//! `podsec fix --format kustomize DIR`: fix what a kustomization builds without touching its bases.
//!
//! DIR is rendered with the real kustomize, the fixes are planned on the rendered resources by the
//! same engine as `podsec fix` (its RFC 6902 patch per resource), and each changed resource gets a
//! JSON 6902 patch file `podsec-patches/<kind>_<name>.yaml` in DIR and a `patches:` entry in DIR's
//! kustomization, with a `target` that matches the resource where kustomize applies DIR's patches.
//!
//! Where that is: kustomize runs a kustomization's `patches:` after its resources (bases included)
//! are built, and before its own `namespace`, `namePrefix` and `nameSuffix` (and labels, images,
//! replacements, `transformers:`). A target's name and namespace are matched against the
//! resource's original or current ones at that point, never against what DIR's own transforms make
//! of them. So the target is the built resource's identity with DIR's own `namePrefix`/`nameSuffix`
//! taken off the name, and without a namespace when DIR sets `namespace:` (everything ends up in
//! it, so kind and name are unique). After writing, DIR is built again: if the result still needs
//! a fix (a target that did not match) or does not build, everything written is put back.
//!
//! The kustomization is edited by inserting lines only (the new `patches:` items after the last
//! existing one, or a new `patches:` key after the last entry), in the file's own line ending and
//! sequence indentation; every other byte stays. Running it again changes nothing: the build then
//! passes, so there is nothing to add. When new fixes appear later for a resource that already has
//! a podsec patch file, their operations are appended to that file (its entry is already there).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::{Value as J, json};

use crate::checks::{Level, PolicyVersion};
use crate::cli::FixArgs;
use crate::engine::Policy;
use crate::fix::{Choice, FixOptions, fix_source};
use crate::frontend::{EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS};
use crate::input::Source;
use crate::yaml::{self, Limits, Node, Value};

/// The directory (inside DIR) that holds podsec's patch files; its name marks podsec's entries.
pub const PATCH_DIR: &str = "podsec-patches";
/// The comment above podsec's first `patches:` entry.
const MARK: &str = "# podsec fix --format kustomize: Pod Security fixes (podsec-patches/)";
const KUSTOMIZATION_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What kustomize matches a patch against (the `target` of a `patches:` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// As kustomize reads it: an anchored regular expression (dots are escaped).
    pub name: String,
    pub namespace: Option<String>,
}

/// A file the overlay writes: its path, what it holds now (`None`: new) and what it will hold.
#[derive(Debug)]
pub struct FileChange {
    pub path: PathBuf,
    pub old: Option<String>,
    pub new: String,
}

/// The plan for one directory.
#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    pub fixed: usize,
    pub resources: usize,
    /// What remains, one line each (`Kind namespace/name: check [class]: note`).
    pub remaining: Vec<String>,
    pub adds_run_as_non_root: bool,
    pub any_unsafe_left: bool,
    pub policy: Option<(Level, PolicyVersion)>,
}

/// The kustomize command: `--kustomize-cmd`, else `kustomize build` when on PATH, else `kubectl kustomize`.
pub fn kustomize_command(explicit: Option<&str>) -> Vec<String> {
    if let Some(cmd) = explicit {
        return cmd.split_whitespace().map(str::to_owned).collect();
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
    };
    if on_path("kustomize") {
        vec!["kustomize".into(), "build".into()]
    } else {
        vec!["kubectl".into(), "kustomize".into()]
    }
}

/// Render `dir` with `cmd`; the error is one line.
pub fn build(cmd: &[String], dir: &Path) -> Result<String, String> {
    let shown = format!("{} {}", cmd.join(" "), dir.display());
    let Some((program, args)) = cmd.split_first() else { return Err("--kustomize-cmd is empty".into()) };
    let out = Process::new(program).args(args).arg(dir).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("cannot run `{shown}`: {program} not found (install kubectl or kustomize, or pass --kustomize-cmd)")
        } else {
            format!("cannot run `{shown}`: {e}")
        }
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg: Vec<&str> =
            stderr.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("# Warning")).collect();
        return Err(format!("`{shown}` failed: {}", msg.join(" ")));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("`{shown}` printed output that is not UTF-8"))
}

/// DIR's kustomization file.
pub fn find_kustomization(dir: &Path) -> Result<PathBuf, String> {
    if !dir.is_dir() {
        return Err("not a directory (--format kustomize takes the directory of a kustomization)".into());
    }
    KUSTOMIZATION_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| "no kustomization here (kustomization.yaml, kustomization.yml or Kustomization)".into())
}

pub fn run(args: &FixArgs) -> i32 {
    if args.paths.is_empty() || args.paths.iter().any(|p| p == "-") {
        eprintln!(
            "podsec: error: --format kustomize takes the directory of a kustomization (e.g. `podsec fix --format kustomize overlays/prod`)"
        );
        return EXIT_ERROR;
    }
    let cmd = kustomize_command(args.kustomize_cmd.as_deref());
    let write = !(args.stdout || args.diff || args.check);
    let mut status = EXIT_OK;
    for dir in &args.paths {
        let code = run_dir(args, &cmd, Path::new(dir), write);
        status = status.max(code);
    }
    status
}

fn run_dir(args: &FixArgs, cmd: &[String], dir: &Path, write: bool) -> i32 {
    let name = dir.display().to_string();
    let plan = match plan_dir(args, cmd, dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("podsec: error: {name}: {e}");
            return EXIT_ERROR;
        }
    };
    let changed = plan.changes.len();
    // A failed write (closed pipe, full disk) ends the run with exit 2 (frontend::Output).
    let mut out = crate::frontend::Output::new(std::io::stdout().lock());
    if args.diff {
        for c in &plan.changes {
            let _ = out.write_all(file_diff(&c.path, c.old.as_deref(), &c.new).as_bytes());
        }
    } else if args.stdout {
        for (i, c) in plan.changes.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(out, "---");
            }
            let _ = writeln!(out, "# {}", c.path.display());
            let _ = out.write_all(c.new.as_bytes());
            if !c.new.ends_with('\n') {
                let _ = writeln!(out);
            }
        }
    }
    if let Some(status) = crate::frontend::output_status([out.finish()]) {
        return status;
    }
    drop(out);
    if write
        && changed > 0
        && let Err(e) = apply_and_verify(&plan, cmd, dir, args)
    {
        eprintln!("podsec: error: {name}: {e}; nothing was changed");
        return EXIT_ERROR;
    }
    let (level, version) = plan.policy.unwrap_or((Level::Restricted, PolicyVersion::LATEST));
    let verb = if write { "fixed" } else { "would fix" };
    let (fixed, resources, remaining) = (plan.fixed, plan.resources, plan.remaining.len());
    eprintln!(
        "podsec: {name}: {verb} {fixed} violation{} in {resources} resource{} of the build ({changed} file{} {}changed) at {level}:{version}; {remaining} remain{}",
        if fixed == 1 { "" } else { "s" },
        if resources == 1 { "" } else { "s" },
        if changed == 1 { "" } else { "s" },
        if write { "" } else { "would be " },
        if remaining == 1 { "s" } else { "" },
    );
    for r in &plan.remaining {
        eprintln!("  {name}: {r}");
    }
    if args.run_as_user.is_none() && plan.adds_run_as_non_root {
        eprintln!(
            "  note: with runAsNonRoot the kubelet refuses to start images whose USER is root or a name: give the image a numeric USER, or pass --run-as-user UID"
        );
    }
    if !args.unsafe_fixes && plan.any_unsafe_left {
        eprintln!("  (run with --unsafe-fixes to apply the unsafe ones)");
    }
    if remaining > 0 || (args.check && changed > 0) { EXIT_VIOLATIONS } else { EXIT_OK }
}

/// The policy for a build: flags, then a Namespace's enforce label in the build, then `.podsec.yaml`
/// (found from DIR upward), then restricted:latest.
fn policy_for(args: &FixArgs, dir: &Path, rendered: &str) -> Result<Policy, String> {
    let config = crate::frontend::load_config(&args.policy, &[dir.display().to_string()])?;
    Ok(crate::frontend::policy(&args.policy, &config, || {
        let stream = yaml::parse_stream(rendered, &Limits::default());
        stream.docs.iter().filter_map(|d| d.root.as_ref().ok()).flat_map(crate::config::namespace_levels).collect()
    }))
}

fn choice_of(args: &FixArgs) -> Choice {
    Choice {
        unsafe_fixes: args.unsafe_fixes,
        options: FixOptions { run_as_user: args.run_as_user },
        label_namespaces: args.label_namespaces,
        details: false,
        patches: true,
    }
}

/// Identity of each document of a build: (apiVersion, kind, namespace, name).
fn identities(rendered: &str) -> Vec<(String, String, Option<String>, Option<String>)> {
    let stream = yaml::parse_stream(rendered, &Limits::default());
    stream
        .docs
        .iter()
        .map(|d| {
            let root = d.root.as_ref().ok();
            let s = |keys: &[&str]| root.and_then(|r| r.path(keys)).and_then(Node::as_str).map(str::to_owned);
            (
                s(&["apiVersion"]).unwrap_or_default(),
                s(&["kind"]).unwrap_or_default(),
                s(&["metadata", "namespace"]),
                s(&["metadata", "name"]),
            )
        })
        .collect()
}

fn show_identity(kind: &str, namespace: Option<&str>, name: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{}", name.unwrap_or("?")),
        None => format!("{kind} {}", name.unwrap_or("?")),
    }
}

/// Render, plan the fixes, and turn them into file changes (nothing is written).
pub fn plan_dir(args: &FixArgs, cmd: &[String], dir: &Path) -> Result<Plan, String> {
    let kpath = find_kustomization(dir)?;
    let ktext = std::fs::read_to_string(&kpath).map_err(|e| format!("cannot read {}: {e}", kpath.display()))?;
    let kust = Kustomization::parse(&ktext).map_err(|e| format!("{}: {e}", kpath.display()))?;
    let rendered = build(cmd, dir)?;
    let policy = policy_for(args, dir, &rendered)?;
    let choice = choice_of(args);
    let src = Source { name: "-".into(), path: None, text: rendered.clone(), ..Default::default() };
    let result = fix_source(&src, &policy, &choice, &Limits::default());
    let ids = identities(&rendered);
    let id_of = |doc: usize| {
        ids.get(doc)
            .map_or_else(|| format!("document {doc}"), |(_, k, ns, n)| show_identity(k, ns.as_deref(), n.as_deref()))
    };
    if result.template_line.is_some() {
        return Err("the build output looks like a template ({{ }}): not fixed".into());
    }
    if let Some(r) = result.errors.first()
        && let crate::engine::Outcome::Error { message, .. } = &r.outcome
    {
        return Err(format!("the build output's {} cannot be read: {message}", id_of(r.doc)));
    }
    if let Some((doc, bug)) = result.bugs.first() {
        return Err(format!("podsec bug: the fix of {} failed its self-check ({bug}); please report it", id_of(*doc)));
    }
    let mut plan = Plan { policy: Some((policy.level, policy.version)), ..Default::default() };
    plan.fixed =
        result.applied.iter().map(|a| (a.doc, a.item, a.fix.check)).collect::<std::collections::BTreeSet<_>>().len();
    plan.resources = result.applied.iter().map(|a| (a.doc, a.item)).collect::<std::collections::BTreeSet<_>>().len();
    plan.adds_run_as_non_root = result.applied.iter().any(|a| a.fix.needs_non_root_image);
    for r in &result.remaining {
        plan.any_unsafe_left |= r.fix.class == crate::fix::Class::Unsafe;
        let verb = if r.fix.class == crate::fix::Class::Manual { "" } else { "would " };
        plan.remaining.push(format!(
            "{}: {} [{}]: {verb}{}",
            id_of(r.doc),
            r.fix.check,
            r.fix.class.as_str(),
            r.fix.note
        ));
    }
    if result.patches.is_empty() {
        return Ok(plan);
    }
    // Each changed resource: its target, and its ops appended to its file.
    let mut new_entries: Vec<(String, Target)> = Vec::new();
    let mut files: Vec<FileChange> = Vec::new();
    let mut used: Vec<String> = kust.podsec_entries.iter().map(|(p, _)| p.clone()).collect();
    for p in &result.patches {
        let target = kust.target_for(&p.api_version, &p.kind, p.namespace.as_deref(), p.name.as_deref().unwrap_or(""));
        let ops: J = serde_json::from_str(&p.patch).map_err(|e| format!("podsec bug: bad patch: {e}"))?;
        let ops = ops.as_array().cloned().unwrap_or_default();
        let header = format!(
            "# podsec fix --format kustomize ({}:{}): {}.\n# JSON 6902 operations, applied by the `patches:` entry of ../{} that names this file.\n",
            policy.level,
            policy.version,
            show_identity(&p.kind, p.namespace.as_deref(), p.name.as_deref()),
            kpath.file_name().and_then(|n| n.to_str()).unwrap_or("kustomization.yaml"),
        );
        if let Some((rel, _)) = kust.podsec_entries.iter().find(|(_, t)| *t == target) {
            // Already ours: the new operations go after the old ones.
            let path = dir.join(rel);
            let old = std::fs::read_to_string(&path).ok();
            let base = old.clone().unwrap_or_else(|| header.clone());
            let mut new = base.clone();
            if !new.is_empty() && !new.ends_with('\n') {
                new.push('\n');
            }
            if new.trim_end().ends_with("[]") {
                return Err(format!("{} holds no operation list podsec can add to", path.display()));
            }
            new.push_str(&ops_yaml(&ops));
            files.push(FileChange { path, old, new });
            continue;
        }
        let rel = unique_file_name(&target, &mut used);
        files.push(FileChange { path: dir.join(&rel), old: None, new: format!("{header}{}", ops_yaml(&ops)) });
        new_entries.push((rel, target));
    }
    if !new_entries.is_empty() {
        let new_text = kust.with_entries(&ktext, &new_entries).map_err(|e| format!("{}: {e}", kpath.display()))?;
        plan.changes.push(FileChange { path: kpath, old: Some(ktext), new: new_text });
    }
    plan.changes.extend(files);
    Ok(plan)
}

fn unique_file_name(t: &Target, used: &mut Vec<String>) -> String {
    let plain = t.name.replace('\\', "");
    let stem = match &t.namespace {
        Some(ns) => format!("{}_{}_{plain}", ns, t.kind.to_lowercase()),
        None => format!("{}_{plain}", t.kind.to_lowercase()),
    };
    let mut n = 1;
    loop {
        let rel = if n == 1 { format!("{PATCH_DIR}/{stem}.yaml") } else { format!("{PATCH_DIR}/{stem}_{n}.yaml") };
        if !used.contains(&rel) {
            used.push(rel.clone());
            return rel;
        }
        n += 1;
    }
}

/// Write the plan, build again, and check that nothing is left to fix; on any failure put every
/// file back as it was.
fn apply_and_verify(plan: &Plan, cmd: &[String], dir: &Path, args: &FixArgs) -> Result<(), String> {
    let patch_dir = dir.join(PATCH_DIR);
    let created_dir = !patch_dir.exists();
    let mut written: Vec<&FileChange> = Vec::new();
    let rollback = |written: &[&FileChange]| {
        for c in written {
            match &c.old {
                Some(old) => {
                    let _ = crate::write::write_atomic(&c.path, old.as_bytes());
                }
                None => {
                    let _ = std::fs::remove_file(&c.path);
                }
            }
        }
        if created_dir {
            let _ = std::fs::remove_dir(&patch_dir);
        }
    };
    if created_dir && let Err(e) = std::fs::create_dir(&patch_dir) {
        return Err(format!("cannot create {}: {e}", patch_dir.display()));
    }
    for c in &plan.changes {
        let res = if c.old.is_some() {
            crate::write::write_atomic(&c.path, c.new.as_bytes())
        } else {
            std::fs::write(&c.path, c.new.as_bytes())
        };
        if let Err(e) = res {
            rollback(&written);
            return Err(format!("cannot write {}: {e}", c.path.display()));
        }
        written.push(c);
    }
    let check = (|| {
        let rendered = build(cmd, dir).map_err(|e| format!("with the patches the build fails: {e}"))?;
        let policy = policy_for(args, dir, &rendered)?;
        let src = Source { name: "-".into(), path: None, text: rendered, ..Default::default() };
        let again = fix_source(&src, &policy, &choice_of(args), &Limits::default());
        if !again.applied.is_empty() {
            return Err(format!(
                "podsec bug: with the patches the build still needs {} fix{} (a patch target did not match?)",
                again.applied.len(),
                if again.applied.len() == 1 { "" } else { "es" }
            ));
        }
        Ok(())
    })();
    if let Err(e) = check {
        rollback(&written);
        return Err(e);
    }
    Ok(())
}

fn file_diff(path: &Path, old: Option<&str>, new: &str) -> String {
    let label = path.display().to_string();
    let label = label.trim_start_matches("./").trim_start_matches('/');
    let from = if old.is_some() { format!("a/{label}") } else { "/dev/null".to_owned() };
    similar::TextDiff::from_lines(old.unwrap_or(""), new)
        .unified_diff()
        .context_radius(3)
        .header(&from, &format!("b/{label}"))
        .to_string()
}

/// JSON 6902 operations as a YAML block sequence at column 0.
pub fn ops_yaml(ops: &[J]) -> String {
    let mut out = String::new();
    for op in ops {
        emit_item(op, 0, &mut out);
    }
    out
}

fn scalar(v: &J) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::String(s) => yaml::scalar::write_str(s),
        J::Array(a) if a.is_empty() => "[]".into(),
        J::Object(o) if o.is_empty() => "{}".into(),
        _ => unreachable!("not a scalar"),
    }
}

fn is_scalar(v: &J) -> bool {
    match v {
        J::Array(a) => a.is_empty(),
        J::Object(o) => o.is_empty(),
        _ => true,
    }
}

/// `- value` at column `col`.
fn emit_item(v: &J, col: usize, out: &mut String) {
    let pad = " ".repeat(col);
    if is_scalar(v) {
        out.push_str(&format!("{pad}- {}\n", scalar(v)));
        return;
    }
    match v {
        J::Object(o) => {
            // The first entry on the dash's line, the others under it.
            let mut first = true;
            for (k, val) in o {
                let lead = if first { format!("{pad}- ") } else { " ".repeat(col + 2) };
                first = false;
                emit_entry(k, val, &lead, col + 2, out);
            }
        }
        J::Array(a) => {
            out.push_str(&format!("{pad}-\n"));
            for item in a {
                emit_item(item, col + 2, out);
            }
        }
        _ => {}
    }
}

/// `key: value` after `lead`, nested content at `col + 2` (mappings) or `col` (sequences).
fn emit_entry(k: &str, v: &J, lead: &str, col: usize, out: &mut String) {
    let key = yaml::scalar::write_str(k);
    if is_scalar(v) {
        out.push_str(&format!("{lead}{key}: {}\n", scalar(v)));
        return;
    }
    out.push_str(&format!("{lead}{key}:\n"));
    match v {
        J::Object(o) => {
            for (k2, v2) in o {
                emit_entry(k2, v2, &" ".repeat(col + 2), col + 2, out);
            }
        }
        J::Array(a) => {
            for item in a {
                emit_item(item, col, out);
            }
        }
        _ => {}
    }
}

/// What podsec needs of DIR's kustomization.
#[derive(Debug)]
pub struct Kustomization {
    name_prefix: String,
    name_suffix: String,
    sets_namespace: bool,
    /// podsec's own `patches:` entries: (path, target).
    pub podsec_entries: Vec<(String, Target)>,
}

impl Kustomization {
    pub fn parse(text: &str) -> Result<Kustomization, String> {
        let stream = yaml::parse_stream(text, &Limits::default());
        let root = Self::root(&stream)?;
        let s = |k: &str| root.field(k).and_then(Node::as_str).unwrap_or("").to_owned();
        let mut podsec_entries = Vec::new();
        for item in root.field("patches").map(Node::items).unwrap_or(&[]) {
            let Some(path) = item.field("path").and_then(Node::as_str) else { continue };
            if !path.starts_with(&format!("{PATCH_DIR}/")) {
                continue;
            }
            let Some(t) = item.field("target") else { continue };
            let ts = |k: &str| t.field(k).and_then(Node::as_str).map(str::to_owned);
            podsec_entries.push((
                path.to_owned(),
                Target {
                    group: ts("group").unwrap_or_default(),
                    version: ts("version").unwrap_or_default(),
                    kind: ts("kind").unwrap_or_default(),
                    name: ts("name").unwrap_or_default(),
                    namespace: ts("namespace"),
                },
            ));
        }
        Ok(Kustomization {
            name_prefix: s("namePrefix"),
            name_suffix: s("nameSuffix"),
            sets_namespace: !s("namespace").is_empty(),
            podsec_entries,
        })
    }

    fn root(stream: &yaml::Stream) -> Result<&Node, String> {
        if stream.fatal.is_some() || stream.docs.len() != 1 {
            return Err("not a single YAML document".into());
        }
        match &stream.docs[0].root {
            Ok(root) if root.as_map().is_some() => Ok(root),
            Ok(_) => Err("not a mapping".into()),
            Err(e) => Err(e.message.clone()),
        }
    }

    /// The target that matches a built resource where DIR's patches apply (see the module doc).
    pub fn target_for(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Target {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), api_version.to_owned()),
        };
        let mut base = name;
        if let Some(rest) = base.strip_prefix(self.name_prefix.as_str())
            && !rest.is_empty()
        {
            base = rest;
        }
        if let Some(rest) = base.strip_suffix(self.name_suffix.as_str())
            && !rest.is_empty()
        {
            base = rest;
        }
        Target {
            group,
            version,
            kind: kind.to_owned(),
            name: base.replace('.', "\\."),
            namespace: namespace.filter(|_| !self.sets_namespace).map(str::to_owned),
        }
    }

    /// `text` with `entries` added as `patches:` items: after the last item of an existing block
    /// `patches:`, or as a new `patches:` key after the mapping's last entry. Only lines are added.
    pub fn with_entries(&self, text: &str, entries: &[(String, Target)]) -> Result<String, String> {
        let stream = yaml::parse_stream(text, &Limits::default());
        let root = Self::root(&stream)?;
        if root.flow {
            return Err("a flow-style (JSON) kustomization: podsec adds `patches:` only to block YAML".into());
        }
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let col = |pos: usize| pos - text[..pos].rfind('\n').map_or(0, |i| i + 1);
        // Past the line break of the line holding `pos` (or the end, with a line break to add).
        let after_line = |pos: usize| -> (usize, &'static str) {
            match text[pos..].find('\n') {
                Some(i) => (pos + i + 1, ""),
                None => (text.len(), if text.is_empty() { "" } else { eol }),
            }
        };
        let entries_map = root.as_map().unwrap_or(&[]);
        // The sequence style of the file: where `-` stands relative to its key.
        let dash_offset = entries_map
            .iter()
            .filter(|e| !e.value.flow && matches!(e.value.value, Value::Seq(ref s) if !s.is_empty()))
            .map(|e| col(e.value.span.start).saturating_sub(col(e.key_span.start)))
            .next()
            .unwrap_or(0);
        let mark = self.podsec_entries.is_empty();
        let existing = root.entry("patches").filter(|e| !e.value.is_null());
        let (at, prefix, dash_col) = match existing {
            Some(e) => {
                let Value::Seq(items) = &e.value.value else {
                    return Err("`patches:` is not a list".into());
                };
                if e.value.flow {
                    return Err("`patches:` is a flow list: podsec adds items only to a block list".into());
                }
                let last = items.last().map_or(e.value.span.end, |n| n.span.end);
                let (at, lead) = after_line(last.max(e.value.span.end));
                (at, lead.to_owned(), col(e.value.span.start))
            }
            None => {
                let key_col = entries_map.first().map_or(0, |e| col(e.key_span.start));
                if let Some(e) = root.entry("patches") {
                    // `patches:` with no value: the items go under it.
                    let (at, lead) = after_line(e.key_span.end);
                    let pad = " ".repeat(key_col + dash_offset);
                    let head = if mark { format!("{lead}{pad}{MARK}{eol}") } else { lead.to_owned() };
                    (at, head, key_col + dash_offset)
                } else {
                    let (at, lead) = after_line(root.span.end.max(1) - 1);
                    let pad = " ".repeat(key_col);
                    let head = if mark {
                        format!("{lead}{pad}{MARK}{eol}{pad}patches:{eol}")
                    } else {
                        format!("{lead}{pad}patches:{eol}")
                    };
                    (at, head, key_col + dash_offset)
                }
            }
        };
        let pad = " ".repeat(dash_col);
        let mut add = prefix;
        if mark && existing.is_some() {
            add.push_str(&format!("{pad}{MARK}{eol}"));
        }
        for (path, t) in entries {
            add.push_str(&format!("{pad}- path: {}{eol}", yaml::scalar::write_str(path)));
            add.push_str(&format!("{pad}  target:{eol}"));
            if !t.group.is_empty() {
                add.push_str(&format!("{pad}    group: {}{eol}", yaml::scalar::write_str(&t.group)));
            }
            add.push_str(&format!("{pad}    version: {}{eol}", yaml::scalar::write_str(&t.version)));
            add.push_str(&format!("{pad}    kind: {}{eol}", yaml::scalar::write_str(&t.kind)));
            add.push_str(&format!("{pad}    name: {}{eol}", yaml::scalar::write_str(&t.name)));
            if let Some(ns) = &t.namespace {
                add.push_str(&format!("{pad}    namespace: {}{eol}", yaml::scalar::write_str(ns)));
            }
        }
        // A file that ends without a line break keeps ending without one.
        if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
            add.truncate(add.len() - eol.len());
        }
        let mut out = String::with_capacity(text.len() + add.len());
        out.push_str(&text[..at]);
        out.push_str(&add);
        out.push_str(&text[at..]);
        // The edit must say what it means: the old mapping plus the new items, nothing else.
        let mut expected = root.to_json();
        let items: Vec<J> = entries
            .iter()
            .map(|(path, t)| {
                let mut target = serde_json::Map::new();
                if !t.group.is_empty() {
                    target.insert("group".into(), json!(t.group));
                }
                target.insert("version".into(), json!(t.version));
                target.insert("kind".into(), json!(t.kind));
                target.insert("name".into(), json!(t.name));
                if let Some(ns) = &t.namespace {
                    target.insert("namespace".into(), json!(ns));
                }
                json!({"path": path, "target": target})
            })
            .collect();
        match expected.get_mut("patches") {
            Some(J::Array(list)) => list.extend(items),
            _ => {
                expected["patches"] = J::Array(items);
            }
        }
        let again = yaml::parse_stream(&out, &Limits::default());
        let actual = Self::root(&again).map(Node::to_json);
        if actual.as_ref() != Ok(&expected) {
            return Err(
                "podsec bug: adding the `patches:` entries would change the kustomization otherwise; not changed"
                    .into(),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str) -> Target {
        Target {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            name: name.into(),
            namespace: None,
        }
    }

    fn add(text: &str) -> Result<String, String> {
        let k = Kustomization::parse(text)?;
        k.with_entries(text, &[("podsec-patches/deployment_web.yaml".into(), target("web"))])
    }

    #[test]
    fn a_new_patches_key_follows_the_files_sequence_style() {
        let text = "# mine\nresources:\n  - a.yaml # the app\n\nimages: []\n";
        let out = add(text).unwrap();
        assert_eq!(
            out,
            "# mine\nresources:\n  - a.yaml # the app\n\nimages: []\n# podsec fix --format kustomize: Pod Security fixes (podsec-patches/)\npatches:\n  - path: podsec-patches/deployment_web.yaml\n    target:\n      group: apps\n      version: v1\n      kind: Deployment\n      name: web\n"
        );
    }

    #[test]
    fn items_go_after_the_last_existing_patch_and_keep_crlf_and_no_final_newline() {
        let text = "patches:\r\n- path: a.yaml\r\n  target:\r\n    kind: Service\r\nresources:\r\n- ../base";
        let out = add(text).unwrap();
        assert!(out.starts_with("patches:\r\n- path: a.yaml\r\n  target:\r\n    kind: Service\r\n# podsec"), "{out}");
        assert!(out.contains("    name: web\r\nresources:\r\n- ../base"), "{out}");
        let text = "resources:\n- ../base\npatches:\n- patch: |-\n    - op: add\n      path: /x\n      value: 1\n  target:\n    kind: Job";
        let out = add(text).unwrap();
        assert!(out.starts_with(text) && out.ends_with("    name: web"), "{out:?}");
    }

    #[test]
    fn an_empty_patches_key_gets_the_items() {
        let out = add("resources: [a.yaml]\npatches:\nimages: []\n").unwrap();
        assert!(out.starts_with("resources: [a.yaml]\npatches:\n# podsec"), "{out}");
        assert!(out.ends_with("    name: web\nimages: []\n"), "{out}");
    }

    #[test]
    fn flow_kustomizations_and_flow_patches_are_refused() {
        assert!(add("{\"resources\": [\"a.yaml\"]}").unwrap_err().contains("flow-style"));
        assert!(add("patches: [{path: a.yaml}]\n").unwrap_err().contains("flow list"));
        assert!(add("- a\n").is_err());
    }

    #[test]
    fn targets_drop_this_kustomizations_own_prefix_suffix_and_namespace() {
        let k = Kustomization::parse("namePrefix: o-\nnameSuffix: -s\nnamespace: prod\n").unwrap();
        let t = k.target_for("apps/v1", "Deployment", Some("prod"), "o-b-web.v1-s");
        assert_eq!((t.group.as_str(), t.name.as_str(), t.namespace), ("apps", "b-web\\.v1", None));
        let k = Kustomization::parse("resources: [x]\n").unwrap();
        let t = k.target_for("v1", "Pod", Some("ns"), "p");
        assert_eq!((t.group.as_str(), t.version.as_str(), t.namespace.as_deref()), ("", "v1", Some("ns")));
        // A name that is only the prefix is kept whole.
        let k = Kustomization::parse("namePrefix: web\n").unwrap();
        assert_eq!(k.target_for("v1", "Pod", None, "web").name, "web");
    }

    #[test]
    fn podsec_entries_are_recognised_by_their_directory() {
        let text = "patches:\n- path: mine.yaml\n  target: {kind: Job}\n- path: podsec-patches/job_a.yaml\n  target:\n    group: batch\n    version: v1\n    kind: Job\n    name: a\n";
        let k = Kustomization::parse(text).unwrap();
        assert_eq!(k.podsec_entries.len(), 1);
        assert_eq!(k.podsec_entries[0].1.name, "a");
        // A second batch gets no second marker comment.
        let out = k.with_entries(text, &[("podsec-patches/job_b.yaml".into(), target("b"))]).unwrap();
        assert_eq!(out.matches("# podsec").count(), 0, "{out}");
    }

    #[test]
    fn operations_are_block_yaml_that_reads_back_as_the_same_json() {
        let ops = serde_json::json!([
            {"op": "add", "path": "/a", "value": {"x": {"y": [1, "on", {"k": null}], "e": {}}, "l": []}},
            {"op": "remove", "path": "/b/0"},
            {"op": "add", "path": "/c", "value": [["n"], "s: t"]}
        ]);
        let text = ops_yaml(ops.as_array().unwrap());
        let stream = yaml::parse_stream(&text, &Limits::default());
        assert_eq!(stream.docs[0].root.as_ref().unwrap().to_json(), ops, "{text}");
    }
}
