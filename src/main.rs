//! The `spantag` binary: parse the command line, then run a subcommand or start the GUI.

fn main() -> std::process::ExitCode {
    spantag::cli::main()
}
