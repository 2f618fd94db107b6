//! The commands, from parsed arguments to an exit code.

use std::io::Write;

use rayon::prelude::*;

use crate::checks;
use crate::cli::{CheckArgs, Cli, Command};
use crate::engine::{self, Policy};
use crate::input::{self, InputError};
use crate::report::{self, FileReport};
use crate::yaml::Limits;

pub const EXIT_OK: i32 = 0;
pub const EXIT_VIOLATIONS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Fix(args) => crate::fix::run::fix(args),
        Command::Explain { id } => explain(id.as_deref()),
    }
}

fn explain(id: Option<&str>) -> i32 {
    match id {
        None => {
            for c in checks::registry() {
                println!("{:<28} {}", c.id, c.level);
            }
            EXIT_OK
        }
        Some(id) => match checks::info(id) {
            Some(c) => {
                print!("{}", crate::docs::render_check(c));
                EXIT_OK
            }
            None => {
                eprintln!("podsec: unknown check id {id:?} (see `podsec explain`)");
                EXIT_ERROR
            }
        },
    }
}

/// Read and check every input, in parallel, keeping input order.
pub fn check_inputs(paths: &[String], policy: &Policy) -> Vec<FileReport> {
    let paths = if paths.is_empty() { vec!["-".to_owned()] } else { paths.to_vec() };
    let (files, errors) = input::discover(&paths, &|_| false);
    let limits = Limits::default();
    let mut reports: Vec<FileReport> = files
        .par_iter()
        .map(|(name, path)| check_file(name, path.as_deref(), policy, &limits, paths.contains(name)))
        .collect();
    reports.extend(errors.into_iter().map(|InputError { name, message }| FileReport {
        name,
        resources: Vec::new(),
        error: Some((message, None)),
    }));
    reports
}

fn check_file(name: &str, path: Option<&std::path::Path>, policy: &Policy, limits: &Limits, named: bool) -> FileReport {
    let src = match input::read(name, path) {
        Ok(s) => s,
        Err(e) => return FileReport { name: name.to_owned(), resources: Vec::new(), error: Some((e.message, None)) },
    };
    let mut checked = engine::check_source(&src, policy, limits);
    crate::fix::classify(&mut checked, policy, &crate::fix::Choice::default());
    let error = if let Some(line) = checked.template_line {
        Some((
            "this is a template (Helm/Go `{{ }}`), not YAML: render it first (e.g. `helm template`) and check the output; skipped".to_owned(),
            Some(line),
        ))
    } else if checked.resources.is_empty() && named {
        Some(("no Kubernetes objects in this file (it is empty or holds only comments)".to_owned(), None))
    } else {
        None
    };
    FileReport { name: name.to_owned(), resources: checked.resources, error }
}

fn check(args: CheckArgs) -> i32 {
    let policy = Policy { level: args.policy.level, version: args.policy.pss_version, extra_kinds: Vec::new() };
    let reports = check_inputs(&args.paths, &policy);
    let (out, err) = report::render(args.format, &reports, policy.level, policy.version);
    let _ = std::io::stdout().write_all(out.as_bytes());
    let _ = std::io::stderr().write_all(err.as_bytes());
    let t = report::totals(&reports);
    if t.errors > 0 {
        EXIT_ERROR
    } else if t.violations > 0 {
        EXIT_VIOLATIONS
    } else {
        EXIT_OK
    }
}
