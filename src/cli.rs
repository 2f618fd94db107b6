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
    /// Print the documentation of a check (e.g. `podsec explain runAsNonRoot`); with no id, list them.
    Explain {
        /// A PSA check id.
        id: Option<String>,
    },
}

#[derive(Args, Debug, Clone)]
pub struct PolicyArgs {
    /// Pod Security level to evaluate.
    #[arg(long, value_parser = parse_level, default_value = "restricted")]
    pub level: Level,
    /// Policy version: `latest` or `v1.N` (PSA's own syntax; newer than the newest known is clamped).
    #[arg(long = "pss-version", value_parser = parse_version, default_value = "latest")]
    pub pss_version: PolicyVersion,
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
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}

fn parse_version(s: &str) -> Result<PolicyVersion, String> {
    s.parse::<PolicyVersion>().map_err(|e| e.to_string())
}
