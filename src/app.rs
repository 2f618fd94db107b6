//! The commands, from parsed arguments to an exit code.

use std::io::Write;

use rayon::prelude::*;

use crate::checks;

use crate::checks::{Level, PolicyVersion};
use crate::cli::{CheckArgs, Cli, Command, PolicyArgs};
use crate::config;
use crate::engine::{self, Policy};
use crate::input::{self, InputError};
use crate::report::{self, FileReport};
use crate::yaml::Limits;

pub const EXIT_OK: i32 = 0;
pub const EXIT_VIOLATIONS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// A writer that keeps the first error it met and writes nothing after it, so that however a run
/// made its writes, a failed one (a closed pipe, a full disk) is known at the end: exit 2, never a
/// status that claims the report was complete.
pub struct Output<W: Write> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> Output<W> {
    pub fn new(inner: W) -> Self {
        Output { inner, error: None }
    }

    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Flush, then the first error met, if any.
    pub fn finish(&mut self) -> Option<std::io::Error> {
        let _ = self.flush();
        self.error.take()
    }

    fn keep<T>(&mut self, r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            self.error = Some(std::io::Error::new(e.kind(), e.to_string()));
        }
        r
    }

    fn stored(&self) -> Option<std::io::Error> {
        self.error.as_ref().map(|e| std::io::Error::new(e.kind(), e.to_string()))
    }
}

impl<W: Write> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(e) = self.stored() {
            return Err(e);
        }
        let r = self.inner.write(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.stored() {
            return Err(e);
        }
        let r = self.inner.flush();
        self.keep(r)
    }
}

/// How a run whose output could not be written ends: exit 2. A closed pipe (the reader went away,
/// as with `| head`) ends it quietly, as the SIGPIPE a C program would die of; any other failure
/// (a full disk) is said on stderr.
pub fn output_failed(e: &std::io::Error) -> i32 {
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        let _ = writeln!(std::io::stderr(), "podsec: error: could not write the output: {e}");
    }
    EXIT_ERROR
}

/// [`output_failed`] for the first of `errors` (stdout's, then stderr's), if any.
pub fn output_status(errors: impl IntoIterator<Item = Option<std::io::Error>>) -> Option<i32> {
    errors.into_iter().flatten().next().map(|e| output_failed(&e))
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Fix(args) => crate::fix::run::fix(args),
        Command::Completions { shell } => completions(shell),
        Command::Explain { id } => explain(id.as_deref()),
        Command::Krm => crate::krm::run_function(),
        Command::Kustomize(crate::cli::KustomizeCommand::InstallPlugin { dir }) => {
            crate::krm::install_plugin(dir.as_deref())
        }
        Command::DumpJson { paths } => crate::dump::run(&paths_or_stdin(&paths)),
    }
}

fn completions(shell: clap_complete::Shell) -> i32 {
    let mut out = Output::new(std::io::stdout().lock());
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "podsec", &mut out);
    output_status([out.finish()]).unwrap_or(EXIT_OK)
}

/// `check` or `fix` with no path reads stdin; at a terminal nobody is typing a manifest: say what
/// is expected instead of waiting (exit 2, as a usage error).
pub fn no_input_at_a_terminal(command: &str, paths: &[String]) -> Option<i32> {
    use std::io::IsTerminal;
    if !paths.is_empty() || !std::io::stdin().is_terminal() {
        return None;
    }
    let _ = writeln!(
        std::io::stderr(),
        "podsec {command}: no input: name the files or directories to {command} (`podsec {command} .` for this directory), or pipe manifests in (`kubectl get deploy -o yaml | podsec {command}`; `-` reads stdin)"
    );
    Some(EXIT_ERROR)
}

/// Whether the text report is coloured: `--color`, else a terminal on stdout and no NO_COLOR
/// (https://no-color.org: set and not empty) and TERM not `dumb`.
fn use_color(choice: clap::ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        clap::ColorChoice::Always => true,
        clap::ColorChoice::Never => false,
        clap::ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

fn explain(id: Option<&str>) -> i32 {
    let mut out = Output::new(std::io::stdout().lock());
    match id {
        None => {
            for c in checks::registry() {
                let _ = writeln!(out, "{:<32} {:<10} {}", c.id, c.level, c.source.as_str());
            }
            output_status([out.finish()]).unwrap_or(EXIT_OK)
        }
        Some(id) => match checks::info(id) {
            Some(c) => {
                let _ = out.write_all(crate::docs::render_check(c).as_bytes());
                output_status([out.finish()]).unwrap_or(EXIT_OK)
            }
            None => {
                eprintln!("podsec: unknown check id {id:?} (see `podsec explain`)");
                EXIT_ERROR
            }
        },
    }
}

/// What a run reads and how it judges: the policy, the files found, the paths that failed.
pub type Run = (Policy, Vec<input::Found>, Vec<InputError>);

/// The policy for a run: flags win, then a Namespace's enforce label (per workload, when no
/// `--level` was given), then `.podsec.yaml`, then `restricted:latest`. Also returns the files to read.
pub fn resolve(args: &PolicyArgs, paths: &[String]) -> Result<Run, String> {
    let config = match args.config.clone().or_else(|| config::discover(paths)) {
        Some(path) => config::load(&path)?,
        None => config::Config::default(),
    };
    let level = args.level.or(config.level).unwrap_or(Level::Restricted);
    let version = args.pss_version.or(config.version).unwrap_or(PolicyVersion::LATEST);
    let mut policy = Policy::new(level, version);
    policy.ignore = config.ignore.clone();
    policy.extra_kinds = config.kinds.clone();
    let (files, errors) = input::discover(paths, &|p| config.excluded(p));
    // Kustomize patches (named by a kustomization of the input, or carrying `$patch` directives)
    // are not workloads: left alone.
    policy.patches.skip = true;
    policy.patches.files = crate::patches::named_by_kustomizations(&files, paths);
    // A Namespace's label chooses the level and the version of its workloads, each unless the
    // command line gave it.
    if args.level.is_none() || args.pss_version.is_none() {
        policy.namespaces = namespace_levels(&files)
            .into_iter()
            .map(|(name, ns_level, ns_version)| {
                let level = if args.level.is_some() { Some(level) } else { ns_level };
                let version = if args.pss_version.is_some() { Some(version) } else { ns_version };
                (name, level, version)
            })
            .collect();
    }
    Ok((policy, files, errors))
}

/// Namespaces in the input that carry an `enforce` label (a cheap text test first: only files that
/// mention the label are parsed).
fn namespace_levels(files: &[input::Found]) -> Vec<(String, Option<Level>, Option<PolicyVersion>)> {
    files
        .par_iter()
        .filter_map(|(name, path)| input::read(name, path.as_deref()).ok())
        .filter(|src| src.text.contains("pod-security.kubernetes.io/enforce"))
        .flat_map_iter(|src| {
            let stream = crate::yaml::parse_stream(&src.text, &Limits::default());
            stream
                .docs
                .iter()
                .filter_map(|d| d.root.as_ref().ok())
                .flat_map(config::namespace_levels)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn check_file(name: &str, path: Option<&std::path::Path>, policy: &Policy, limits: &Limits, named: bool) -> FileReport {
    match input::read(name, path) {
        Ok(src) => check_source(&src, policy, limits, named),
        Err(e) => FileReport { name: name.to_owned(), resources: Vec::new(), error: Some((e.message, e.line)) },
    }
}

fn check_source(src: &input::Source, policy: &Policy, limits: &Limits, named: bool) -> FileReport {
    let choice = crate::fix::Choice::default();
    let (resources, template_line, documents) =
        engine::check_each(src, policy, limits, |doc, rs| crate::fix::classify(&src.text, doc, rs, policy, &choice));
    let error = if let Some(line) = template_line {
        Some((
            "this is a template (Helm/Go `{{ }}`), not YAML: render it first (e.g. `helm template`) and check the output; skipped".to_owned(),
            Some(line),
        ))
    } else if documents == 0 && named {
        Some((NO_OBJECTS.to_owned(), None))
    } else {
        None
    };
    FileReport { name: src.name.clone(), resources, error }
}

const NO_OBJECTS: &str = "no Kubernetes objects in this file (it is empty or holds only comments)";

/// Files from this size on (and stdin) are reported document by document as they are checked,
/// so that a large stream's verdicts are not all held at once.
const STREAM_FROM: u64 = 4 << 20;

fn is_large(path: Option<&std::path::Path>) -> bool {
    path.is_none_or(|p| std::fs::metadata(p).is_ok_and(|m| m.len() >= STREAM_FROM))
}

/// Check one (large) file, writing each document's results as soon as it is judged. A text that may
/// be a template (it holds `{{`) is checked whole: only then is it known whether it is one.
fn check_file_streaming(
    (name, path): &input::Found,
    (policy, limits, named): (&Policy, &Limits, bool),
    reporter: &mut report::Reporter,
    out: &mut impl Write,
    err: &mut impl Write,
) -> std::io::Result<()> {
    let src = match input::read(name, path.as_deref()) {
        Ok(src) if !src.text.contains("{{") => src,
        Ok(src) => return reporter.chunk(&[check_source(&src, policy, limits, named)], out, err),
        Err(e) => {
            let r = FileReport { name: name.clone(), resources: Vec::new(), error: Some((e.message, e.line)) };
            return reporter.chunk(&[r], out, err);
        }
    };
    let choice = crate::fix::Choice::default();
    let mut failed = None;
    let documents = engine::check_streaming(
        &src,
        policy,
        limits,
        |doc, rs| crate::fix::classify(&src.text, doc, rs, policy, &choice),
        |resources| {
            if failed.is_none() {
                let r = FileReport { name: name.clone(), resources, error: None };
                failed = reporter.part(&r, out, err).err();
            }
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    if documents == 0 && named {
        let r = FileReport { name: name.clone(), resources: Vec::new(), error: Some((NO_OBJECTS.to_owned(), None)) };
        reporter.part(&r, out, err)?;
    }
    reporter.file_done();
    Ok(())
}

/// The paths to read: `-` (stdin) when none is given.
pub fn paths_or_stdin(paths: &[String]) -> Vec<String> {
    if paths.is_empty() { vec!["-".to_owned()] } else { paths.to_vec() }
}

fn check(args: CheckArgs) -> i32 {
    if let Some(status) = no_input_at_a_terminal("check", &args.paths) {
        return status;
    }
    let paths = paths_or_stdin(&args.paths);
    let (policy, files, errors) = match resolve(&args.policy, &paths) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("podsec: error: {e}");
            return EXIT_ERROR;
        }
    };
    let mut reporter = report::Reporter::new(args.format, policy.level, policy.version);
    reporter.color = args.format == report::Format::Text && use_color(args.color);
    let (mut out, mut err) = (std::io::BufWriter::new(std::io::stdout().lock()), std::io::stderr());
    let t = match report_all(reporter, &paths, &policy, files, errors, (&mut out, &mut err)) {
        Ok(t) => t,
        Err(e) => return output_failed(&e),
    };
    if t.errors > 0 {
        EXIT_ERROR
    } else if t.violations > 0 {
        EXIT_VIOLATIONS
    } else {
        EXIT_OK
    }
}

/// Check `files` and write their reports (and `errors`, the paths that could not be read); stops at
/// the first write that fails.
fn report_all(
    mut reporter: report::Reporter,
    paths: &[String],
    policy: &Policy,
    files: Vec<input::Found>,
    errors: Vec<InputError>,
    (out, err): (&mut impl Write, &mut impl Write),
) -> std::io::Result<report::Totals> {
    let limits = Limits::default();
    // Files are checked in parallel a few at a time and reported in input order as they complete,
    // so memory follows the files in flight, not the whole input.
    // A large file (or stdin) is reported as it is read, between the batches around it.
    let mut batch: Vec<&input::Found> = Vec::with_capacity(CHUNK);
    let mut progress = crate::progress::Progress::new("checked", files.len());
    for (i, found) in files.iter().enumerate() {
        let large = is_large(found.1.as_deref());
        if !large {
            batch.push(found);
        }
        if large || batch.len() == CHUNK || i + 1 == files.len() {
            let reports: Vec<FileReport> = batch
                .par_iter()
                .map(|(name, path)| check_file(name, path.as_deref(), policy, &limits, paths.contains(name)))
                .collect();
            progress.clear();
            reporter.chunk(&reports, out, err)?;
            out.flush()?;
            progress.advance(batch.len());
            batch.clear();
        }
        if large {
            let named = paths.contains(&found.0);
            progress.clear();
            check_file_streaming(found, (policy, &limits, named), &mut reporter, out, err)?;
            progress.advance(1);
        }
    }
    progress.clear();
    let failed: Vec<FileReport> = errors
        .into_iter()
        .map(|InputError { name, message, line }| FileReport {
            name,
            resources: Vec::new(),
            error: Some((message, line)),
        })
        .collect();
    reporter.chunk(&failed, out, err)?;
    let t = reporter.finish(out)?;
    out.flush()?;
    Ok(t)
}

/// Files checked per batch: a check keeps only its verdicts (each document's tree is dropped as soon
/// as it is judged), so a large batch keeps both cores busy despite uneven file sizes.
pub const CHUNK: usize = 256;

/// Files fixed per batch: a fix holds the file's text, trees and output until it is written.
pub const FIX_CHUNK: usize = 32;
