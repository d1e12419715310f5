//! The command line: subcommands for headless work, and the GUI when no subcommand is given.
//!
//! Exit codes: 0 success, 1 problems found (e.g. `validate` found errors, some files were
//! skipped, or the project was saved but its report could not be printed: [`ReportLost`]), 2 the
//! command failed. Output to a closed pipe (`spantag agree A B | head -1`) is a normal end: exit
//! code 0, no message (see [`is_broken_pipe`]).

/// `println!` for command output that returns a closed pipe as an error (`?`) instead of
/// panicking; [`main`] then ends quietly.
macro_rules! outln {
    () => {
        $crate::cli::write_out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` for command output; see [`outln`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_out(format_args!($($arg)*))?
    };
}

mod export_cmds;
mod project_cmds;
mod review_cmds;
mod suggest_cmds;

use clap::{Args, Parser, Subcommand};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What a subcommand found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything fine: exit code 0.
    Ok,
    /// The command ran but found problems: exit code 1.
    Problems,
}

#[derive(Debug, Parser)]
#[command(
    name = "spantag",
    version,
    about = "Annotate text spans in news articles and export training data.",
    long_about = "Annotate text spans in news articles and export training data.\n\n\
        With no subcommand, opens the desktop app: `spantag` opens the bundled sample project, \
        `spantag PATH...` opens a .ron project or article files.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub gui: GuiArgs,
}

/// Options of the desktop app (used when no subcommand is given).
#[derive(Debug, Clone, Args, Default)]
pub struct GuiArgs {
    /// A project (.ron) to open, or article files (.txt, .md, .html) to open as a new project.
    pub paths: Vec<PathBuf>,
    /// Render the window once, save it as a PNG and exit.
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,
    /// With --screenshot: open a dialog first: export, export-run[=FORMAT] (exports to a
    /// temporary file and waits for the summary) or import=INPUT[;INPUT...][=FORMAT].
    #[arg(long, value_name = "SCENE", hide = true)]
    pub screenshot_dialog: Option<String>,
    /// Window size in logical pixels, e.g. 1280x800.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub window_size: Option<(f32, f32)>,
    /// Your name, recorded on the spans you create and review (else $SPANTAG_ANNOTATOR, else the
    /// saved setting, else $USER).
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Start in review mode (a queue of every span: accept, reject, relabel, resize, note).
    #[arg(long)]
    pub review: bool,
    /// Compare two or more annotators' projects: merge them into a gold project and resolve the
    /// conflicts (compare mode).
    #[arg(long, num_args = 2.., value_name = "PROJECT.ron")]
    pub compare: Vec<PathBuf>,
    /// Open the agreement window (with --compare).
    #[arg(long)]
    pub agreement: bool,
    /// With --compare: which spans the gold project accepts outright (default intersection:
    /// every disagreement goes to the conflict queue).
    #[arg(long, value_name = "majority|union|intersection", value_parser = review_cmds::parse_strategy)]
    pub strategy: Option<spantag_core::review::merge::Strategy>,
    /// Run the app without a window making N random edits (0: until killed), then save and
    /// close: the crash test of autosave (tests/torture/kill9.py).
    #[arg(long, value_name = "N", hide = true)]
    pub headless_edit: Option<u64>,
    /// With --headless-edit: append the log of edits, autosaves and saves here.
    #[arg(long, value_name = "FILE", hide = true, requires = "headless_edit")]
    pub headless_log: Option<PathBuf>,
    /// With --headless-edit: milliseconds between edits.
    #[arg(long, value_name = "MS", default_value_t = 50, hide = true)]
    pub headless_pace: u64,
    /// With --headless-edit: save after every K edits (0: never).
    #[arg(long, value_name = "K", default_value_t = 0, hide = true)]
    pub headless_save_every: u64,
    /// With --headless-edit: seed of the random edits.
    #[arg(long, value_name = "S", default_value_t = 1, hide = true)]
    pub headless_seed: u64,
}

fn parse_size(s: &str) -> Result<(f32, f32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT, e.g. 1280x800, not {s:?}"))?;
    let num = |v: &str| {
        v.trim()
            .parse::<f32>()
            .ok()
            .filter(|n| (100.0..=10_000.0).contains(n))
            .ok_or_else(|| format!("{v:?} is not a size between 100 and 10000"))
    };
    Ok((num(w)?, num(h)?))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty project file.
    New(project_cmds::NewArgs),
    /// Import article files (.txt, .md, .html) into a project.
    Add(project_cmds::AddArgs),
    /// Check a project file and list every problem (also spans that begin or end in whitespace).
    Validate(project_cmds::ProjectArg),
    /// Trim spans that begin or end in whitespace (one save; the old file is kept as .bak).
    Fix(project_cmds::ProjectArg),
    /// Count documents and spans per label, annotator and document.
    Stats(project_cmds::StatsArgs),
    /// Print documents with their spans as inline markup.
    Show(project_cmds::ShowArgs),
    #[command(about = export_cmds::export_about())]
    Export(export_cmds::ExportArgs),
    #[command(about = export_cmds::import_about())]
    Import(export_cmds::ImportArgs),
    /// Merge annotators' projects into a gold project (agreed spans accepted, the rest pending).
    Merge(review_cmds::MergeArgs),
    /// Agreement between annotators' projects: span P/R/F1, token kappas and alpha, confusion.
    Agree(review_cmds::AgreeArgs),
    /// Suggest spans (numbers, gazetteer, a model trained on the project): print them, add them
    /// as pending spans (--apply) or cross-validate the suggesters (--evaluate).
    Suggest(suggest_cmds::SuggestArgs),
}

/// The exit code of a subcommand's (or the app's) result.
pub fn exit_code(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        // Whoever reads the output stopped (`| head`): that is a normal end, like in grep.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        // The work is done, only the report is missing: not "nothing was done".
        Err(e) if e.is::<ReportLost>() => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes command output to stdout. Errors (a closed pipe above all) are returned, never a panic
/// as with `println!`.
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    std::io::stdout().lock().write_fmt(args)
}

/// A file was written (the project saved), but the report printed after it could not be (a full
/// disk, a closed terminal): exit code 1 with this message, since the work itself was done.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} was saved, but the report could not be written: {error}",
    path.display()
)]
pub struct ReportLost {
    pub path: PathBuf,
    pub error: std::io::Error,
}

/// Prints the report of a command that has just written `saved`: an output error in `report`
/// becomes [`ReportLost`] (a closed pipe stays a quiet end, see [`is_broken_pipe`]). The report
/// is flushed here, so that a failure cannot pass unnoticed at exit.
pub(crate) fn report_after_save(
    saved: &Path,
    report: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    report()
        .and_then(|()| Ok(std::io::stdout().lock().flush()?))
        .map_err(|e| match e.downcast::<std::io::Error>() {
            Ok(error) if error.kind() == std::io::ErrorKind::BrokenPipe => error.into(),
            Ok(error) => ReportLost {
                path: saved.to_owned(),
                error,
            }
            .into(),
            Err(e) => e,
        })
}

/// Whether `e` comes from writing to a pipe whose reader has gone.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs a subcommand.
pub fn run(command: Command) -> anyhow::Result<Outcome> {
    match command {
        Command::New(a) => project_cmds::new(&a),
        Command::Add(a) => project_cmds::add(&a),
        Command::Validate(a) => project_cmds::validate(&a),
        Command::Fix(a) => project_cmds::fix(&a),
        Command::Stats(a) => project_cmds::stats(&a),
        Command::Show(a) => project_cmds::show(&a),
        Command::Export(a) => export_cmds::export(&a),
        Command::Import(a) => export_cmds::import(&a),
        Command::Merge(a) => review_cmds::merge(&a),
        Command::Agree(a) => review_cmds::agree(&a),
        Command::Suggest(a) => suggest_cmds::suggest(&a),
    }
}
