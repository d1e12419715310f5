//! The spantag application: the desktop app ([`app`]) and the command line ([`cli`]).
//!
//! Both sit on [`spantag_core`] and never import each other: `src/main.rs` parses the command
//! line and either runs a subcommand or fills the app's [`app::LaunchOptions`] and starts it.

pub mod app;
pub mod cli;

/// The app's launch options from the command line's app arguments: the one place where the
/// command line and the app meet (`cli` and `app` never import each other).
pub fn launch_options(gui: cli::GuiArgs) -> app::LaunchOptions {
    let cli::GuiArgs {
        paths,
        screenshot,
        screenshot_dialog,
        window_size,
        annotator,
        review,
        compare,
        agreement,
        strategy,
        headless_edit,
        headless_log,
        headless_pace,
        headless_save_every,
        headless_seed,
    } = gui;
    let headless = headless_edit.map(|edits| app::HeadlessOptions {
        edits,
        pace_ms: headless_pace,
        save_every: headless_save_every,
        seed: headless_seed,
        log: headless_log,
    });
    app::LaunchOptions {
        paths,
        screenshot,
        screenshot_dialog,
        window_size,
        annotator,
        review,
        compare,
        agreement,
        strategy,
        headless,
    }
}
