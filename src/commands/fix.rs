//! `podsec fix`: read, fix, prove, then write (atomically) or render the plan.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde_json::{Value as J, json};

use crate::cli::{FixArgs, FixFormat};
use crate::engine::{Outcome, Policy};
use crate::fix::{Choice, FileFix, FixOptions, fix_source};
use crate::frontend::{EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, Run, unified_diff};
use crate::write::{ChangedUnderneath, write_atomic, write_atomic_unless_changed};

use crate::input;
use crate::yaml::Limits;

/// What one file contributes to the output.
struct FileOutcome {
    name: String,
    /// Errors for stderr (one line each), and whether they count as errors (exit 2).
    errors: Vec<String>,
    changed: bool,
    fixed_text: Option<String>,
    diff: String,
    /// `--format json-patch` entries, serialized.
    patches: Vec<String>,
    fixed: usize,
    fixed_resources: usize,
    remaining: Vec<String>,
    /// How many of `remaining` are manual, need --unsafe-fixes, were refused.
    remaining_kinds: [usize; 3],
    warnings: Vec<String>,
    /// A `runAsNonRoot: true` was written (the summary warns what the kubelet does with it).
    adds_run_as_non_root: bool,
    /// `--format markdown`: the file's rows.
    markdown: Option<crate::markdown::FileSection>,
}

/// Where a file's result goes.
#[derive(Clone, Copy)]
struct Mode {
    write_in_place: bool,
    diff: bool,
    /// `--format json-patch`: render the patches.
    patches: bool,
    /// `--format markdown`: keep the rows of the report.
    markdown: bool,
}

pub fn fix(args: FixArgs) -> i32 {
    if args.format == Some(FixFormat::Kustomize) {
        return super::overlay::run(&args);
    }
    if args.format.is_some() && (args.stdout || args.diff || args.check) {
        eprintln!("podsec: error: --format json-patch or markdown cannot be used with --stdout, --diff or --check");
        return EXIT_ERROR;
    }
    if let Some(status) = crate::frontend::no_input_at_a_terminal("fix", &args.paths) {
        return status;
    }
    let paths = crate::frontend::paths_or_stdin(&args.paths);
    let Run { policy, files, errors: input_errors } = match crate::frontend::resolve(&args.policy, &paths) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("podsec: error: {e}");
            return EXIT_ERROR;
        }
    };
    let choice = Choice {
        unsafe_fixes: args.unsafe_fixes,
        options: FixOptions { run_as_user: args.run_as_user },
        label_namespaces: args.label_namespaces,
        // The Markdown report names each change: it needs the ops of every fix.
        details: args.format == Some(FixFormat::Markdown),
        patches: args.format == Some(FixFormat::JsonPatch),
    };
    let write_in_place = !(args.stdout || args.diff || args.check || args.format.is_some());
    let mode = Mode {
        write_in_place,
        diff: args.diff,
        patches: args.format == Some(FixFormat::JsonPatch),
        markdown: args.format == Some(FixFormat::Markdown),
    };
    let mut markdown: Vec<crate::markdown::FileSection> = Vec::new();
    let limits = Limits::default();
    // A failed write (closed pipe, full disk) is kept and ends the run with exit 2 (app::Output).
    let mut out = crate::frontend::Output::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut stderr = String::new();
    let mut errors = input_errors.len();
    for e in &input_errors {
        stderr.push_str(&format!("{e}\n"));
    }
    let (mut fixed, mut resources, mut remaining, mut changed) = (0, 0, 0, 0);
    let mut kinds = [0usize; 3];
    let mut first_patch = true;
    // Several inputs to stdout make one stream: (whether a text was written, whether it ended a line).
    let mut wrote_stream: Option<bool> = None;
    let mut summaries: Vec<(String, Vec<String>)> = Vec::new();
    let mut adds_run_as_non_root = false;
    if args.format == Some(FixFormat::JsonPatch) {
        let _ = out.write_all(b"[");
    }
    // Files are fixed in parallel a few at a time and their output written in input order as they
    // complete: memory follows the files in flight, not the whole input.
    let mut progress = crate::progress::Progress::new(if write_in_place { "fixed" } else { "read" }, files.len());
    for chunk in files.chunks(crate::frontend::FIX_CHUNK) {
        if out.failed() {
            break;
        }
        let outcomes: Vec<FileOutcome> = chunk
            .par_iter()
            .map(|(name, path)| fix_file(name, path.as_deref(), &policy, &choice, &limits, mode, paths.contains(name)))
            .collect();
        progress.clear();
        for mut o in outcomes {
            if mode.markdown {
                let mut section = o.markdown.take().unwrap_or_else(|| crate::markdown::FileSection::empty(&o.name));
                section.errors.clone_from(&o.errors);
                markdown.push(section);
            }
            errors += o.errors.len();
            for line in o.errors.iter().chain(&o.warnings) {
                stderr.push_str(line);
                stderr.push('\n');
            }
            fixed += o.fixed;
            resources += o.fixed_resources;
            remaining += o.remaining.len();
            for (k, n) in kinds.iter_mut().zip(o.remaining_kinds) {
                *k += n;
            }
            changed += usize::from(o.changed);
            adds_run_as_non_root |= o.adds_run_as_non_root;
            for p in &o.patches {
                let _ = out.write_all(if first_patch { b"\n" } else { b",\n" });
                first_patch = false;
                let _ = out.write_all(p.as_bytes());
            }
            if args.diff {
                let _ = out.write_all(o.diff.as_bytes());
            } else if (args.stdout || (write_in_place && o.name == "-"))
                && let Some(t) = &o.fixed_text
            {
                let _ = out.write_all(stream_separator(&mut wrote_stream, t).as_bytes());
                let _ = out.write_all(t.as_bytes());
            }
            if !o.remaining.is_empty() {
                summaries.push((o.name, o.remaining));
            }
        }
        let _ = out.flush();
        progress.advance(chunk.len());
    }
    progress.clear();
    if args.format == Some(FixFormat::JsonPatch) {
        let _ = out.write_all(b"\n]\n");
    }
    if mode.markdown {
        let body = crate::markdown::render(&markdown, policy.level, policy.version, args.run_as_user.is_some());
        let _ = out.write_all(body.as_bytes());
    }
    let _ = out.flush();
    let verb = if write_in_place { "fixed" } else { "would fix" };
    stderr.push_str(&format!(
        "podsec: {verb} {fixed} violation{} in {resources} resource{} ({changed} file{} changed) at {}:{}; {remaining} remain{}{}\n",
        if fixed == 1 { "" } else { "s" },
        if resources == 1 { "" } else { "s" },
        if changed == 1 { "" } else { "s" },
        policy.level,
        policy.version,
        if remaining == 1 { "s" } else { "" },
        remaining_breakdown(kinds),
    ));
    // The remaining fixes are written straight out (on a large stream they are many), then the notes.
    let mut err = crate::frontend::Output::new(std::io::BufWriter::new(std::io::stderr().lock()));
    let _ = err.write_all(stderr.as_bytes());
    stderr.clear();
    let any_unsafe = summaries.iter().any(|(_, lines)| lines.iter().any(|r| r.contains("needs --unsafe-fixes]")));
    for (name, lines) in summaries {
        for r in lines {
            let _ = writeln!(err, "  {name}: {r}");
        }
    }
    if choice.options.run_as_user.is_none() && adds_run_as_non_root {
        stderr.push_str(
            "  note: with runAsNonRoot the kubelet refuses to start images whose USER is root or a name: give the image a numeric USER, or pass --run-as-user UID\n",
        );
    }
    if !args.unsafe_fixes && any_unsafe {
        stderr.push_str("  (run with --unsafe-fixes to apply the unsafe ones)\n");
    }
    let _ = err.write_all(stderr.as_bytes());
    if let Some(status) = crate::frontend::output_status([out.finish(), err.finish()]) {
        return status;
    }
    if errors > 0 {
        EXIT_ERROR
    } else if remaining > 0 || (args.check && changed > 0) {
        EXIT_VIOLATIONS
    } else {
        EXIT_OK
    }
}

fn fix_file(
    name: &str,
    path: Option<&Path>,
    policy: &Policy,
    choice: &Choice,
    limits: &Limits,
    mode: Mode,
    named: bool,
) -> FileOutcome {
    let Mode { write_in_place, diff: want_diff, patches: want_patches, .. } = mode;
    let mut out = FileOutcome {
        name: name.to_owned(),
        errors: Vec::new(),
        changed: false,
        fixed_text: None,
        diff: String::new(),
        patches: Vec::new(),
        fixed: 0,
        fixed_resources: 0,
        remaining: Vec::new(),
        remaining_kinds: [0; 3],
        warnings: Vec::new(),
        adds_run_as_non_root: false,
        markdown: None,
    };
    let src = match input::read(name, path) {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    let mut result: FileFix = fix_source(&src, policy, choice, limits);
    if let Some(line) = result.template_line {
        out.errors.push(format!(
            "{name}:{line}: error: this is a template (Helm/Go `{{{{ }}}}`), not YAML: render it first (e.g. `helm template`); not changed"
        ));
        out.fixed_text = Some(src.text);
        return out;
    }
    if result.documents == 0 && named {
        out.errors
            .push(format!("{name}: error: no Kubernetes objects in this file (it is empty or holds only comments)"));
    }
    for r in &result.errors {
        if let Outcome::Error { message, pos, .. } = &r.outcome {
            out.errors.push(format!(
                "{name}:{}:{}: error: document {}: {message} (left unchanged)",
                pos.line, pos.col, r.doc
            ));
        }
    }
    for (doc, bug) in &result.bugs {
        out.errors.push(format!(
            "{name}: error: document {doc}: podsec bug: the fix failed its self-check ({bug}); that document was left unchanged, the file's other documents were fixed. Please report it."
        ));
    }
    if mode.markdown {
        out.markdown = Some(crate::markdown::section(&src, &result, policy, limits));
    }
    out.changed = result.text != src.text;
    out.fixed =
        result.applied.iter().map(|a| (a.doc, a.item, a.fix.check)).collect::<std::collections::BTreeSet<_>>().len();
    out.fixed_resources =
        result.applied.iter().map(|a| (a.doc, a.item)).collect::<std::collections::BTreeSet<_>>().len();
    // Each remaining fix becomes its summary line and is dropped (a large stream has many).
    for r in std::mem::take(&mut result.remaining) {
        let item = r.item.map(|i| format!(" item {i}")).unwrap_or_default();
        let (kind, tag, verb) = match r.remains() {
            crate::fix::Remains::Manual => (0, "manual".to_string(), ""),
            crate::fix::Remains::NotChosen => (1, format!("{}: needs --unsafe-fixes", r.fix.class.as_str()), "would "),
            crate::fix::Remains::Refused(why) => (2, format!("{}: refused: {why}", r.fix.class.as_str()), "would "),
        };
        out.remaining_kinds[kind] += 1;
        out.remaining.push(format!("doc {}{item}: {} [{tag}]: {verb}{}", r.doc, r.fix.check, r.fix.note));
    }
    out.adds_run_as_non_root = result.applied.iter().any(|a| a.fix.needs_non_root_image);
    for p in result.patches.iter().filter(|_| want_patches) {
        let mut o = serde_json::Map::new();
        o.insert("file".into(), json!(name));
        o.insert("doc".into(), json!(p.doc));
        if let Some(i) = p.item {
            o.insert("item".into(), json!(i));
        }
        o.insert("apiVersion".into(), json!(p.api_version));
        o.insert("kind".into(), json!(p.kind));
        o.insert("namespace".into(), json!(p.namespace));
        o.insert("name".into(), json!(p.name));
        o.insert("patch".into(), J::Null);
        // The patch is already JSON text: spliced in rather than parsed again.
        let head = J::Object(o).to_string();
        let head = head.strip_suffix("null}").unwrap_or(&head);
        out.patches.push(format!("{head}{}}}", p.patch));
    }
    if out.changed {
        if want_diff {
            out.diff = unified_diff(name, &src.text, &result.text);
        }
        if write_in_place
            && let Some(p) = path
            && let Err(e) = match &src.read {
                Some(read) => write_atomic_unless_changed(p, &src.encoding.encode(&result.text), read),
                None => write_atomic(p, &src.encoding.encode(&result.text)),
            }
        {
            if e.get_ref().is_some_and(|e| e.is::<ChangedUnderneath>()) {
                out.errors.push(format!("{name}: error: not written: {e}"));
            } else {
                out.errors.push(format!("{name}: error: could not write: {e}; the file is unchanged"));
            }
        }
    }
    out.fixed_text = Some(result.text);
    out
}

/// ` (1 manual, 2 need --unsafe-fixes, 1 refused by podsec)`, naming only the kinds there are.
fn remaining_breakdown([manual, unchosen, refused]: [usize; 3]) -> String {
    let parts: Vec<String> = [
        (manual, "manual".to_string()),
        (unchosen, format!("need{} --unsafe-fixes", if unchosen == 1 { "s" } else { "" })),
        (refused, "refused by podsec".to_string()),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

/// What goes between the texts of several inputs written to stdout, so that they stay one valid
/// stream with every file's documents apart (`kubectl apply -f -`, `podsec check -`): a line break if
/// the previous text did not end with one, then `---` (or `...`, which ends a document, before a
/// text that starts with a `%` directive), unless the next text starts with its own `---`.
fn stream_separator(wrote: &mut Option<bool>, next: &str) -> &'static str {
    let previous = wrote.replace(crate::yaml::lines::ends_with_break(next) || next.is_empty());
    let Some(ended_line) = previous else { return "" };
    let body = next.trim_start_matches('\u{feff}');
    let starts_document =
        body.strip_prefix("---").is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\n', '\r']));
    match (ended_line, starts_document, body.starts_with('%')) {
        (true, true, _) => "",
        (false, true, _) => "\n",
        (true, false, false) => "---\n",
        (false, false, false) => "\n---\n",
        (true, false, true) => "...\n",
        (false, false, true) => "\n...\n",
    }
}
