//! `podsec check`: every workload's verdict, reported file by file as the files are read.

use std::io::Write;

use rayon::prelude::*;

use crate::cli::CheckArgs;
use crate::engine::{self, Policy};
use crate::frontend::{
    CHUNK, EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, Run, no_input_at_a_terminal, output_failed, paths_or_stdin, resolve,
};
use crate::input::{self, InputError};
use crate::report::{self, FileReport};
use crate::yaml::Limits;

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

pub fn check(args: CheckArgs) -> i32 {
    if let Some(status) = no_input_at_a_terminal("check", &args.paths) {
        return status;
    }
    let paths = paths_or_stdin(&args.paths);
    let Run { policy, files, errors } = match resolve(&args.policy, &paths) {
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
