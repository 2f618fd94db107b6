//! Command-line interface: every flag is defined and documented once, here.

use clap::{Args, Parser, Subcommand};

use crate::checks::{Level, PolicyVersion};
use crate::report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "podsec",
    version,
    about = "Check Kubernetes manifests against the Pod Security Standards, exactly as the API server does, and fix them with minimal, comment-preserving edits."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Evaluate every workload as Pod Security Admission would, with its exact messages.
    ///
    /// Exit status: 0 no violation, 1 violations, 2 any error (errors win).
    Check(CheckArgs),
    /// Make every workload pass the level with the fewest edits, keeping every comment, key order,
    /// quote, indentation and line ending. Writes files in place (atomically) unless an output mode
    /// is given.
    ///
    /// Exit status: 0 nothing left to fix, 1 violations remain (or `--check` found changes), 2 any error.
    Fix(FixArgs),
    /// Print a shell completion script (e.g. `podsec completions bash > /etc/bash_completion.d/podsec`,
    /// `podsec completions zsh > "${fpath[1]}/_podsec"`, `podsec completions fish > ~/.config/fish/completions/podsec.fish`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the documentation of a check (e.g. `podsec explain runAsNonRoot`); with no id, list them.
    Explain {
        /// A PSA check id.
        id: Option<String>,
    },
    /// Run as a KRM function (KRM Functions Specification v1): a `ResourceList` on stdin (or a bare
    /// multi-document stream), the same with the fixes applied and `results` on stdout. Configured by
    /// the list's `functionConfig` (a `PodSecurityFix`, podsec.dev/v1alpha1, or a ConfigMap). The
    /// binary invoked as `podsec-krm` runs this too (kustomize's `exec.path` cannot pass arguments).
    ///
    /// Exit status: 0 (remaining violations are warnings in mode fix), 1 errors (bad input or
    /// configuration; any violation in mode check).
    Krm,
    /// kustomize integration: install podsec as a kustomize exec plugin.
    #[command(subcommand)]
    Kustomize(KustomizeCommand),
    /// Print every document as podsec reads it, one JSON line each (for comparing YAML readers).
    #[command(hide = true)]
    DumpJson {
        /// Files or directories (as for `check`); `-` or nothing reads stdin.
        paths: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KustomizeCommand {
    /// Link this binary into kustomize's plugin home as the legacy exec plugin
    /// (`podsec.dev/v1alpha1/podsecurityfix/PodSecurityFix`) and print the `transformers:` snippet.
    InstallPlugin {
        /// The plugin home [default: $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin,
        /// else ~/.config/kustomize/plugin].
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct PolicyArgs {
    /// Pod Security level [default: `level` in .podsec.yaml, else restricted]. Without this flag, the
    /// workloads of a Namespace in the input labelled `pod-security.kubernetes.io/enforce` use its level.
    #[arg(long, value_parser = parse_level)]
    pub level: Option<Level>,
    /// Policy version: `latest` or `v1.N`, PSA's own syntax; newer than the newest known is clamped
    /// [default: `pssVersion` in .podsec.yaml, else latest].
    #[arg(long = "pss-version", value_parser = parse_version)]
    pub pss_version: Option<PolicyVersion>,
    /// Read this configuration file instead of looking for .podsec.yaml upward from the first input.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories (recursive: *.yaml, *.yml, *.json; hidden entries skipped); `-` or nothing reads stdin.
    pub paths: Vec<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Colour in the text format: `auto` when stdout is a terminal and NO_COLOR is not set; never in
    /// the other formats.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: clap::ColorChoice,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}

fn parse_version(s: &str) -> Result<PolicyVersion, String> {
    s.parse::<PolicyVersion>().map_err(|e| e.to_string())
}

#[derive(Args, Debug)]
pub struct FixArgs {
    /// Files or directories (as for `check`); `-` or nothing reads stdin and writes the result to stdout.
    pub paths: Vec<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Also apply unsafe fixes: those that override a value the author wrote (`privileged: true`,
    /// `hostNetwork: true`, an added capability, `runAsUser: 0`, ...). The default, safe fixes only fill
    /// fields that are absent or null; like any hardening they can still stop an image that needs root
    /// or a capability (docs/fixing.md).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Write the fixed stream to stdout instead of the files (with `--format kustomize`: the
    /// kustomization and patch files that would be written).
    #[arg(long, conflicts_with_all = ["diff", "check"])]
    pub stdout: bool,
    /// Print a unified diff (`a/`, `b/` headers, as `git apply` takes it) instead of writing.
    #[arg(long, conflicts_with = "check")]
    pub diff: bool,
    /// Write nothing; exit as the fix would: 0 when everything already passes and nothing would change,
    /// 1 when anything would change or a violation would remain (a manual one included), 2 on error.
    #[arg(long)]
    pub check: bool,
    /// Print the changes in another form instead of writing (`json-patch`, `markdown`), or write them as a
    /// kustomize overlay (`kustomize`: the paths are directories holding a kustomization).
    #[arg(long, value_enum)]
    pub format: Option<FixFormat>,
    /// With `--format kustomize`: the command that renders a kustomization directory (the directory
    /// is appended) [default: `kustomize build` when on PATH, else `kubectl kustomize`].
    #[arg(long, value_name = "CMD")]
    pub kustomize_cmd: Option<String>,
    /// Where a root UID must go, write this UID; also add it beside a new pod-level `runAsNonRoot: true`
    /// (the kubelet refuses `runAsNonRoot` for images whose USER is root or a name).
    #[arg(long, value_name = "UID", value_parser = clap::value_parser!(i64).range(1..=2_147_483_647))]
    pub run_as_user: Option<i64>,
    /// Label the Namespace documents of the input with `pod-security.kubernetes.io/enforce: <level>`
    /// and `enforce-version: <version>` (an existing different value is changed only with --unsafe-fixes).
    #[arg(long)]
    pub label_namespaces: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FixFormat {
    /// `[{"file", "doc", ["item",] "apiVersion", "kind", "namespace", "name", "patch": [RFC 6902 ops]}]`
    JsonPatch,
    /// Write JSON 6902 patches for what DIR's kustomization builds into DIR (`podsec-patches/`)
    /// and add `patches:` entries to its kustomization; bases are never written.
    Kustomize,
    /// A Markdown report for a pull request's body or a job summary: a table of every change
    /// (file, resource, check, class, the PSA message it resolves), the unsafe fixes not applied
    /// with the change each would make, the manual ones with guidance.
    Markdown,
}
