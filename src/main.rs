use clap::Parser;

fn main() {
    let cli = podsec::cli::Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        // Usage errors are exit 2, like every other error; --help and --version are not errors.
        std::process::exit(if e.use_stderr() { podsec::app::EXIT_ERROR } else { 0 });
    });
    std::process::exit(podsec::app::run(cli));
}
