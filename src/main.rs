//! The `spantag` binary: parse the command line, then run a subcommand or start the app.

use clap::Parser;
use spantag::cli::{self, Cli, Outcome};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Cli { command, gui } = Cli::parse();
    let result = match command {
        Some(command) => cli::run(command),
        None => spantag::app::run(spantag::launch_options(gui)).map(|()| Outcome::Ok),
    };
    cli::exit_code(result)
}
