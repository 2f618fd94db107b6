//! `podsec fix --format markdown`: what a fix changes and what it leaves, as GitHub-flavoured
//! Markdown, for a pull request's body or a job summary. Every change is a table row (file and line,
//! resource, check, class, the change, the PSA message it resolves); the unsafe fixes not applied
//! say the exact change each would make, the manual ones their guidance.

use std::fmt::Write as _;

use crate::checks::{Level, PolicyVersion};
use crate::edit::OpKind;
use crate::engine::{self, Outcome, Policy};
use crate::fix::{Applied, Class, FileFix};
use crate::input::Source;
use crate::k8s::{self, Seg};
use crate::yaml::Limits;

/// A body longer than this is cut (GitHub refuses a pull request body over 65,536 characters).
pub const MAX_BODY: usize = 60_000;

/// One row: a fix applied, or one that remains.
#[derive(Clone, Debug)]
pub struct Row {
    pub file: String,
    pub line: usize,
    pub resource: String,
    pub check: &'static str,
    pub class: Class,
    /// The change, field by field (`path: current → proposed`).
    pub change: String,
    /// The fix's own one-line description (for a manual one: why, and what to do).
    pub note: String,
    /// Why podsec did not write a fix it has (shared YAML, a failed self-check).
    pub refused: Option<String>,
    /// PSA's `reason (detail)` of the violation.
    pub message: String,
}

/// What one file contributes.
#[derive(Clone, Debug, Default)]
pub struct FileSection {
    pub name: String,
    pub applied: Vec<Row>,
    pub remaining: Vec<Row>,
    pub errors: Vec<String>,
    pub changed: bool,
    /// A `runAsNonRoot: true` was written.
    pub adds_run_as_non_root: bool,
}

impl FileSection {
    pub fn empty(name: &str) -> Self {
        FileSection { name: name.to_owned(), ..Default::default() }
    }
}

/// The section of one fixed file. `result` must come from a [`crate::fix::Choice`] with `details`
/// (the ops of every fix); the verdicts on the original text give the resources and PSA's messages.
pub fn section(src: &Source, result: &FileFix, policy: &Policy, limits: &Limits) -> FileSection {
    let before = engine::check_source(src, policy, limits);
    let name = src.name.trim_start_matches("./").to_owned();
    let row = |a: &Applied| row_of(&name, &before, a);
    FileSection {
        applied: result.applied.iter().map(row).collect(),
        remaining: result.remaining.iter().map(row).collect(),
        errors: Vec::new(),
        changed: result.text != src.text,
        adds_run_as_non_root: result.applied.iter().any(|a| a.fix.needs_non_root_image),
        name,
    }
}

fn row_of(file: &str, before: &engine::Checked, a: &Applied) -> Row {
    let from = before.resources.partition_point(|r| (r.doc, r.item) < (a.doc, a.item));
    let verdict = before.resources[from..].iter().take_while(|r| r.doc == a.doc && r.item == a.item).find_map(|r| {
        match &r.outcome {
            Outcome::Workload { kind, namespace, name, findings, .. } => Some((kind, namespace, name, findings)),
            _ => None,
        }
    });
    let (mut resource, mut line, mut message) = (format!("document {}", a.doc + 1), 0, String::new());
    if let Some((kind, namespace, name, findings)) = verdict {
        resource = match (name, namespace) {
            (Some(n), Some(ns)) => format!("{kind}/{n} (namespace {ns})"),
            (Some(n), None) => format!("{kind}/{n}"),
            (None, _) => format!("{kind} (document {})", a.doc + 1),
        };
        if let Some(f) = findings.iter().find(|f| f.check == a.fix.check) {
            line = f.pos.line;
            message = if f.detail.is_empty() { f.reason.clone() } else { format!("{} ({})", f.reason, f.detail) };
        }
    }
    if line == 0 {
        // No finding of that check (a Namespace label, say): the resource's first finding's line.
        line = verdict.and_then(|(_, _, _, f)| f.first()).map_or(0, |f| f.pos.line);
    }
    let root = before.stream.docs.get(a.doc).and_then(|d| d.root.as_ref().ok());
    let change = a
        .fix
        .ops
        .iter()
        .map(|op| {
            let relative = match (a.item, op.route.as_slice()) {
                (Some(_), [Seg::Key(k), Seg::Index(_), rest @ ..]) if k == "items" => rest,
                (_, route) => route,
            };
            let path = crate::k8s::dotted(relative);
            let current = root.and_then(|r| k8s::at(r, &op.route)).filter(|n| !n.is_null()).map(|n| n.to_json());
            match (&op.kind, current) {
                (OpKind::Set(v), Some(c)) => format!("{path}: {c} → {}", v.to_json()),
                (OpKind::Set(v), None) => format!("{path}: (unset) → {}", v.to_json()),
                (OpKind::Remove, Some(c)) => format!("{path}: {c} → (removed)"),
                (OpKind::Remove, None) => format!("{path}: (removed)"),
                (OpKind::Append(v), _) => format!("{path}: + {}", v.to_json()),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    Row {
        file: file.to_owned(),
        line,
        resource,
        check: a.fix.check,
        class: a.fix.class,
        change,
        note: a.fix.note.clone(),
        refused: a.refused.clone(),
        message,
    }
}

/// Text for a table cell: Markdown and HTML are shown as written, never interpreted.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell (a `|` inside one is still escaped, as GitHub's tables need).
fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let s = s.replace(['\r', '\n', '\t'], " ").replace('|', "\\|");
    let mut run = 0;
    let mut longest = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn location(r: &Row) -> String {
    if r.line > 0 { code(&format!("{}:{}", r.file, r.line)) } else { code(&r.file) }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Appends table rows while the body stays under [`MAX_BODY`]; says how many were left out.
fn table(out: &mut String, head: &str, rows: impl ExactSizeIterator<Item = String>) {
    let total = rows.len();
    out.push_str(head);
    let mut shown = 0;
    for r in rows {
        if out.len() + r.len() > MAX_BODY {
            break;
        }
        out.push_str(&r);
        shown += 1;
    }
    if shown < total {
        let _ = writeln!(
            out,
            "\n_…and {} more, left out to keep this under GitHub's size limit: run `podsec fix --diff` locally for all of them._",
            total - shown
        );
    }
    out.push('\n');
}

/// The whole report. `run_as_user`: whether `--run-as-user` was given (then there is nothing to warn about).
pub fn render(files: &[FileSection], level: Level, version: PolicyVersion, run_as_user: bool) -> String {
    let applied: Vec<&Row> = files.iter().flat_map(|f| &f.applied).collect();
    let remaining: Vec<&Row> = files.iter().flat_map(|f| &f.remaining).collect();
    let unsafe_: Vec<&Row> =
        remaining.iter().copied().filter(|r| r.class == Class::Unsafe && r.refused.is_none()).collect();
    let manual: Vec<&Row> =
        remaining.iter().copied().filter(|r| r.class != Class::Unsafe || r.refused.is_some()).collect();
    let errors: Vec<(&str, &String)> =
        files.iter().flat_map(|f| f.errors.iter().map(|e| (f.name.as_str(), e))).collect();
    let changed = files.iter().filter(|f| f.changed).count();
    let resources =
        applied.iter().map(|r| (r.file.as_str(), r.resource.as_str())).collect::<std::collections::BTreeSet<_>>().len();
    let violations = applied
        .iter()
        .map(|r| (r.file.as_str(), r.resource.as_str(), r.check))
        .collect::<std::collections::BTreeSet<_>>()
        .len();

    let mut out = String::new();
    let _ = writeln!(out, "## podsec: Pod Security Standards `{level}:{version}`\n");
    if applied.is_empty() && remaining.is_empty() && errors.is_empty() {
        let _ = writeln!(out, "Every workload already passes `{level}:{version}`: nothing to change.");
        return out;
    }
    let _ = writeln!(
        out,
        "{} fixed by {} in {} ({} changed); {} ({} unsafe, not applied; {} manual).\n",
        plural(violations, "violation", "violations"),
        plural(applied.len(), "change", "changes"),
        plural(resources, "resource", "resources"),
        plural(changed, "file", "files"),
        plural(remaining.len(), "fix remains", "fixes remain"),
        unsafe_.len(),
        manual.len(),
    );
    if !applied.is_empty() {
        table(
            &mut out,
            "### Changes\n\n| File | Resource | Check | Class | Change | Resolves (PSA message) |\n|---|---|---|---|---|---|\n",
            applied.iter().map(|r| {
                format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    location(r),
                    cell(&r.resource),
                    code(r.check),
                    r.class.as_str(),
                    if r.change.is_empty() { cell(&r.note) } else { code(&r.change) },
                    cell(&r.message)
                )
            }),
        );
    }
    if !unsafe_.is_empty() {
        table(
            &mut out,
            "### Unsafe fixes not applied\n\nEach overrides a value the author wrote; apply them with `podsec fix --unsafe-fixes` \
             (action input `unsafe-fixes: true`) once you have checked the workload does not need that value.\n\n\
             | File | Resource | Check | Would change | Violation (PSA message) |\n|---|---|---|---|---|\n",
            unsafe_.iter().map(|r| {
                format!(
                    "| {} | {} | {} | {} | {} |\n",
                    location(r),
                    cell(&r.resource),
                    code(r.check),
                    if r.change.is_empty() { cell(&r.note) } else { code(&r.change) },
                    cell(&r.message)
                )
            }),
        );
    }
    if !manual.is_empty() {
        table(
            &mut out,
            "### Manual fixes\n\npodsec has no automatic fix for these: change them by hand.\n\n\
             | File | Resource | Check | Guidance | Violation (PSA message) |\n|---|---|---|---|---|\n",
            manual.iter().map(|r| {
                format!(
                    "| {} | {} | {} | {} | {} |\n",
                    location(r),
                    cell(&r.resource),
                    code(r.check),
                    cell(&match &r.refused {
                        Some(why) => format!("{} (podsec did not write it: {why})", r.note),
                        None => r.note.clone(),
                    }),
                    cell(&r.message)
                )
            }),
        );
    }
    if !errors.is_empty() {
        table(
            &mut out,
            "### Not fixed: errors\n\n| File | Error |\n|---|---|\n",
            errors.iter().map(|(f, e)| format!("| {} | {} |\n", code(f), cell(e))),
        );
    }
    if !run_as_user && files.iter().any(|f| f.adds_run_as_non_root) {
        out.push_str(
            "> [!WARNING]\n> `runAsNonRoot: true` was added: the kubelet refuses to start a container whose image's `USER` \
             is root or a name (not a numeric UID). Check each image's `USER`, give it a numeric one, or set a \
             `runAsUser` (`podsec fix --run-as-user UID`, action input `run-as-user`).\n",
        );
    }
    out
}
