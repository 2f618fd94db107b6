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
#[derive(Default)]
struct FileOutcome {
    name: String,
    /// Errors for stderr (one line each); each counts (exit 2).
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
    /// A fix that needs a non-root image was written (the summary warns what the kubelet does).
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
    /// `--stdout`: every fixed text to stdout.
    stdout: bool,
}

impl Mode {
    fn of(args: &FixArgs) -> Mode {
        Mode {
            write_in_place: !(args.stdout || args.diff || args.check || args.format.is_some()),
            diff: args.diff,
            patches: args.format == Some(FixFormat::JsonPatch),
            markdown: args.format == Some(FixFormat::Markdown),
            stdout: args.stdout,
        }
    }
}

/// The whole run's counts and what its summary lists, summed over the files in input order.
#[derive(Default)]
struct Tally {
    fixed: usize,
    resources: usize,
    remaining: usize,
    /// Manual, needing --unsafe-fixes, refused.
    kinds: [usize; 3],
    changed: usize,
    errors: usize,
    adds_run_as_non_root: bool,
    /// Error lines, for stderr before the summary.
    error_lines: String,
    /// Each file's remaining fixes, listed after the summary.
    summaries: Vec<(String, Vec<String>)>,
    markdown: Vec<crate::markdown::FileSection>,
}

impl Tally {
    fn add(&mut self, o: &mut FileOutcome, mode: Mode) {
        if mode.markdown {
            let mut section = o.markdown.take().unwrap_or_else(|| crate::markdown::FileSection::empty(&o.name));
            section.errors.clone_from(&o.errors);
            self.markdown.push(section);
        }
        self.errors += o.errors.len();
        for line in &o.errors {
            self.error_lines.push_str(line);
            self.error_lines.push('\n');
        }
        self.fixed += o.fixed;
        self.resources += o.fixed_resources;
        self.remaining += o.remaining.len();
        for (k, n) in self.kinds.iter_mut().zip(o.remaining_kinds) {
            *k += n;
        }
        self.changed += usize::from(o.changed);
        self.adds_run_as_non_root |= o.adds_run_as_non_root;
        if !o.remaining.is_empty() {
            self.summaries.push((o.name.clone(), std::mem::take(&mut o.remaining)));
        }
    }
}

/// What goes to stdout, file by file: JSON patches, diffs or fixed texts.
struct Stdout<W: Write> {
    out: crate::frontend::Output<W>,
    first_patch: bool,
    /// Several inputs to stdout make one stream: whether a text was written, and whether it ended a line.
    wrote_stream: Option<bool>,
}

impl<W: Write> Stdout<W> {
    fn file(&mut self, o: &FileOutcome, mode: Mode) {
        let out = &mut self.out;
        for p in &o.patches {
            let _ = out.write_all(if self.first_patch { b"\n" } else { b",\n" });
            self.first_patch = false;
            let _ = out.write_all(p.as_bytes());
        }
        if mode.diff {
            let _ = out.write_all(o.diff.as_bytes());
        } else if (mode.stdout || (mode.write_in_place && o.name == "-"))
            && let Some(t) = &o.fixed_text
        {
            let _ = out.write_all(stream_separator(&mut self.wrote_stream, t).as_bytes());
            let _ = out.write_all(t.as_bytes());
        }
    }
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
    let mode = Mode::of(&args);
    let mut tally = Tally { errors: input_errors.len(), ..Tally::default() };
    for e in &input_errors {
        tally.error_lines.push_str(&format!("{e}\n"));
    }
    // A failed write (closed pipe, full disk) is kept and ends the run with exit 2 (frontend::Output).
    let out = crate::frontend::Output::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let mut stdout = Stdout { out, first_patch: true, wrote_stream: None };
    fix_all(&files, &paths, (&policy, &choice, mode), &mut stdout, &mut tally);
    let mut out = stdout.out;
    if mode.markdown {
        let body = crate::markdown::render(&tally.markdown, policy.level, policy.version, args.run_as_user.is_some());
        let _ = out.write_all(body.as_bytes());
    }
    let _ = out.flush();
    let mut err = crate::frontend::Output::new(std::io::BufWriter::new(std::io::stderr().lock()));
    summarize(&tally, &args, &policy, mode, &mut err);
    if let Some(status) = crate::frontend::output_status([out.finish(), err.finish()]) {
        return status;
    }
    if tally.errors > 0 {
        EXIT_ERROR
    } else if tally.remaining > 0 || (args.check && tally.changed > 0) {
        EXIT_VIOLATIONS
    } else {
        EXIT_OK
    }
}

/// Fix `files` in parallel a few at a time, writing each one's output in input order as they
/// complete: memory follows the files in flight, not the whole input.
fn fix_all(
    files: &[input::Found],
    paths: &[String],
    (policy, choice, mode): (&Policy, &Choice, Mode),
    stdout: &mut Stdout<impl Write>,
    tally: &mut Tally,
) {
    let limits = Limits::default();
    if mode.patches {
        let _ = stdout.out.write_all(b"[");
    }
    let mut progress = crate::progress::Progress::new(if mode.write_in_place { "fixed" } else { "read" }, files.len());
    for chunk in files.chunks(crate::frontend::FIX_CHUNK) {
        if stdout.out.failed() {
            break;
        }
        let outcomes: Vec<FileOutcome> = chunk
            .par_iter()
            .map(|(name, path)| fix_file(name, path.as_deref(), policy, choice, &limits, mode, paths.contains(name)))
            .collect();
        progress.clear();
        for mut o in outcomes {
            stdout.file(&o, mode);
            tally.add(&mut o, mode);
        }
        let _ = stdout.out.flush();
        progress.advance(chunk.len());
    }
    progress.clear();
    if mode.patches {
        let _ = stdout.out.write_all(b"\n]\n");
    }
}

/// The summary on stderr: the errors, the counts, each remaining fix (written straight out: on a
/// large stream they are many), then the notes.
fn summarize(t: &Tally, args: &FixArgs, policy: &Policy, mode: Mode, err: &mut impl Write) {
    let _ = err.write_all(t.error_lines.as_bytes());
    let verb = if mode.write_in_place { "fixed" } else { "would fix" };
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let _ = writeln!(
        err,
        "podsec: {verb} {} violation{} in {} resource{} ({} file{} changed) at {}:{}; {} remain{}{}",
        t.fixed,
        s(t.fixed),
        t.resources,
        s(t.resources),
        t.changed,
        s(t.changed),
        policy.level,
        policy.version,
        t.remaining,
        if t.remaining == 1 { "s" } else { "" },
        remaining_breakdown(t.kinds),
    );
    for (name, lines) in &t.summaries {
        for r in lines {
            let _ = writeln!(err, "  {name}: {r}");
        }
    }
    if args.run_as_user.is_none() && t.adds_run_as_non_root {
        let _ = err.write_all(b"  note: with runAsNonRoot the kubelet refuses to start images whose USER is root or a name: give the image a numeric USER, or pass --run-as-user UID\n");
    }
    // `kinds[1]`: the remaining fixes that --unsafe-fixes would apply.
    if !args.unsafe_fixes && t.kinds[1] > 0 {
        let _ = err.write_all(b"  (run with --unsafe-fixes to apply the unsafe ones)\n");
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
    let mut out = FileOutcome { name: name.to_owned(), ..FileOutcome::default() };
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
    out.errors = document_errors(name, &result, named);
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
        let (kind, line) = remaining_line(&r);
        out.remaining_kinds[kind] += 1;
        out.remaining.push(line);
    }
    out.adds_run_as_non_root = result.applied.iter().any(|a| a.fix.needs_non_root_image);
    if mode.patches {
        out.patches = result.patches.iter().map(|p| patch_entry(name, p)).collect();
    }
    if out.changed {
        if mode.diff {
            out.diff = unified_diff(name, &src.text, &result.text);
        }
        if mode.write_in_place
            && let Some(p) = path
        {
            out.errors.extend(write_back(name, p, &src, &result.text));
        }
    }
    out.fixed_text = Some(result.text);
    out
}

/// The errors of a file's documents: those that could not be read, those whose fix failed the
/// self-check, or a named file without any.
fn document_errors(name: &str, result: &FileFix, named: bool) -> Vec<String> {
    let mut errors = Vec::new();
    if result.documents == 0 && named {
        errors.push(format!("{name}: error: no Kubernetes objects in this file (it is empty or holds only comments)"));
    }
    for r in &result.errors {
        if let Outcome::Error { message, pos, .. } = &r.outcome {
            errors.push(format!(
                "{name}:{}:{}: error: document {}: {message} (left unchanged)",
                pos.line, pos.col, r.doc
            ));
        }
    }
    for (doc, bug) in &result.bugs {
        errors.push(format!(
            "{name}: error: document {doc}: podsec bug: the fix failed its self-check ({bug}); that document was left unchanged, the file's other documents were fixed. Please report it."
        ));
    }
    errors
}

/// A remaining fix's summary line, and its kind (0 manual, 1 needs --unsafe-fixes, 2 refused).
fn remaining_line(r: &crate::fix::Applied) -> (usize, String) {
    let item = r.item.map(|i| format!(" item {i}")).unwrap_or_default();
    let (kind, tag, verb) = match r.remains() {
        crate::fix::Remains::Manual => (0, "manual".to_string(), ""),
        crate::fix::Remains::NotChosen => (1, format!("{}: needs --unsafe-fixes", r.fix.class.as_str()), "would "),
        crate::fix::Remains::Refused(why) => (2, format!("{}: refused: {why}", r.fix.class.as_str()), "would "),
    };
    (kind, format!("doc {}{item}: {} [{tag}]: {verb}{}", r.doc, r.fix.check, r.fix.note))
}

/// One `--format json-patch` entry: where the resource is, and its RFC 6902 patch.
fn patch_entry(name: &str, p: &crate::fix::PatchEntry) -> String {
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
    format!("{head}{}}}", p.patch)
}

/// Write the fixed text over the file (in its encoding), unless another program changed it since
/// it was read; the error line if it was not written.
fn write_back(name: &str, path: &Path, src: &input::Source, text: &str) -> Option<String> {
    let bytes = src.encoding.encode(text);
    let written = match &src.read {
        Some(read) => write_atomic_unless_changed(path, &bytes, read),
        None => write_atomic(path, &bytes),
    };
    let e = written.err()?;
    Some(if e.get_ref().is_some_and(|e| e.is::<ChangedUnderneath>()) {
        format!("{name}: error: not written: {e}")
    } else {
        format!("{name}: error: could not write: {e}; the file is unchanged")
    })
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
