//! The command line's entry: each command to its front end, from parsed arguments to an exit code.

use std::io::Write;

use crate::checks;
use crate::cli::{Cli, Command};
use crate::commands;
use crate::frontend::{EXIT_ERROR, EXIT_OK, Output, output_status, paths_or_stdin};

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => commands::check::check(args),
        Command::Fix(args) => commands::fix::fix(args),
        Command::Completions { shell } => completions(shell),
        Command::Explain { id } => explain(id.as_deref()),
        Command::Krm => crate::krm::run_function(),
        Command::Kustomize(crate::cli::KustomizeCommand::InstallPlugin { dir }) => {
            crate::krm::install_plugin(dir.as_deref())
        }
        Command::DumpJson { paths } => commands::dump::run(&paths_or_stdin(&paths)),
    }
}

fn completions(shell: clap_complete::Shell) -> i32 {
    let mut out = Output::new(std::io::stdout().lock());
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "podsec", &mut out);
    output_status([out.finish()]).unwrap_or(EXIT_OK)
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
