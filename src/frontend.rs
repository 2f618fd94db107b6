//! What every front end shares (the CLI commands, the KRM function, the exec plugin): the exit-code
//! contract, output that remembers a failed write, how a run's policy and inputs are resolved, and
//! the diff it prints.

use std::io::Write;

use rayon::prelude::*;

use crate::checks::{Level, PolicyVersion};
use crate::cli::PolicyArgs;
use crate::config::{self, Config, NamespacePolicy};
use crate::engine::Policy;
use crate::input::{self, InputError};
use crate::yaml::Limits;

/// The exit codes of the command line: 0 nothing to report, 1 violations remain (or `--check` found
/// changes), 2 an error (bad input, a failed write, a podsec bug).
pub const EXIT_OK: i32 = 0;
pub const EXIT_VIOLATIONS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
/// A KRM function or exec plugin that fails (an error, or a violation in check mode) exits 1:
/// kustomize stops the build and shows its stderr; the results say which it was.
pub const KRM_FAILED: i32 = 1;

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

/// The paths to read: `-` (stdin) when none is given.
pub fn paths_or_stdin(paths: &[String]) -> Vec<String> {
    if paths.is_empty() { vec!["-".to_owned()] } else { paths.to_vec() }
}

/// What a run reads and how it judges.
pub struct Run {
    pub policy: Policy,
    /// The files found, in input order.
    pub files: Vec<input::Found>,
    /// The paths that could not be read.
    pub errors: Vec<InputError>,
}

/// The configuration for `paths`: `--config`, else the `.podsec.yaml` found from the first path
/// upward, else the defaults.
pub fn load_config(args: &PolicyArgs, paths: &[String]) -> Result<Config, String> {
    match args.config.clone().or_else(|| config::discover(paths)) {
        Some(path) => config::load(&path),
        None => Ok(Config::default()),
    }
}

/// The policy: flags win, then a Namespace's enforce label (per workload, for what the command line
/// did not give), then the configuration, then `restricted:latest`. `namespaces` reads the input's
/// labelled Namespaces; it is only called when a label can matter.
pub fn policy(args: &PolicyArgs, config: &Config, namespaces: impl FnOnce() -> Vec<NamespacePolicy>) -> Policy {
    let level = args.level.or(config.level).unwrap_or(Level::Restricted);
    let version = args.pss_version.or(config.version).unwrap_or(PolicyVersion::LATEST);
    let mut policy = Policy::new(level, version);
    policy.ignore = config.ignore.clone();
    policy.extra_kinds = config.kinds.clone();
    if args.level.is_none() || args.pss_version.is_none() {
        policy.namespaces = namespaces()
            .into_iter()
            .map(|ns| NamespacePolicy {
                level: if args.level.is_some() { Some(level) } else { ns.level },
                version: if args.pss_version.is_some() { Some(version) } else { ns.version },
                ..ns
            })
            .collect();
    }
    policy
}

/// The policy and the files of a run over `paths` (see [`policy`]).
pub fn resolve(args: &PolicyArgs, paths: &[String]) -> Result<Run, String> {
    let config = load_config(args, paths)?;
    let (files, errors) = input::discover(paths, &|p| config.excluded(p));
    let mut policy = policy(args, &config, || namespace_levels(&files));
    // Kustomize patches (named by a kustomization of the input, or carrying `$patch` directives)
    // are not workloads: left alone.
    policy.patches.skip = true;
    policy.patches.files = crate::patches::named_by_kustomizations(&files, paths);
    Ok(Run { policy, files, errors })
}

/// Namespaces in the input that carry an `enforce` label (a cheap text test first: only files that
/// mention the label are parsed).
fn namespace_levels(files: &[input::Found]) -> Vec<NamespacePolicy> {
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

/// Files checked per batch: a check keeps only its verdicts (each document's tree is dropped as soon
/// as it is judged), so a large batch keeps both cores busy despite uneven file sizes.
pub const CHUNK: usize = 256;

/// Files fixed per batch: a fix holds the file's text, trees and output until it is written.
pub const FIX_CHUNK: usize = 32;

/// A unified diff with `a/` and `b/` headers, as `git apply` takes it.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let label = name.trim_start_matches("./").trim_start_matches('/');
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string()
}
