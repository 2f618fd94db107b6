use clap::Parser;

fn main() {
    // Invoked under another name: as a KRM function (`exec.path` cannot pass arguments), or as the
    // legacy kustomize exec plugin (`PodSecurityFix CONFIG_FILE`).
    let mut args = std::env::args_os();
    let name = args.next().map(std::path::PathBuf::from);
    match name.as_deref().and_then(|p| p.file_name()).and_then(|n| n.to_str()) {
        Some("podsec-krm" | "podsec-fn") => std::process::exit(podsec::krm::run_function()),
        Some(podsec::krm::KIND) => match args.next() {
            Some(config) => std::process::exit(podsec::krm::run_plugin(std::path::Path::new(&config))),
            None => {
                eprintln!(
                    "podsec: error: as a kustomize exec plugin, the first argument is the plugin configuration file"
                );
                std::process::exit(1);
            }
        },
        _ => {}
    }
    let cli = podsec::cli::Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        // Usage errors are exit 2, like every other error; --help and --version are not errors.
        std::process::exit(if e.use_stderr() { podsec::frontend::EXIT_ERROR } else { 0 });
    });
    std::process::exit(podsec::app::run(cli));
}
