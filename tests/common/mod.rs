//! Helpers shared by the integration tests: running the built binary, a headless egui_kittest
//! harness over the real app, and projects written in span markup. Each test file uses only some.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use egui_kittest::Harness;
use spantag::app::SpantagApp;
use spantag_core::markup::project_from_markup;
use spantag_core::model::Project;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the built `spantag` in `dir` with no display (so no window can open).
pub fn spantag(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spantag"))
        .args(args)
        .current_dir(dir)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs spantag")
}

/// Standard output and standard error together.
pub fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The exit code (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A project named `name` whose documents (id, markup) are annotated by "ana".
pub fn markup_project(name: &str, docs: &[(&str, &str)]) -> Project {
    project_from_markup(name, docs, "ana", Timestamp(0)).unwrap()
}

/// The app in a 1200×800 window, a few frames in; a glyph missing from the fonts fails the test.
pub fn harness(app: SpantagApp) -> Harness<'static, SpantagApp> {
    harness_sized(app, [1200.0, 800.0], false)
}

/// The app in a window of `size`, a few frames in. `allow_missing_glyphs` for texts the built-in
/// fonts cannot show (the tests have no system fonts).
pub fn harness_sized(
    app: SpantagApp,
    size: [f32; 2],
    allow_missing_glyphs: bool,
) -> Harness<'static, SpantagApp> {
    let mut b = Harness::builder()
        .with_size(size)
        .with_step_dt(0.05)
        .with_max_steps(200);
    if allow_missing_glyphs {
        b = b.allow_missing_glyphs();
    }
    let mut h = b.build_ui_state(|ui, app: &mut SpantagApp| app.show(ui), app);
    h.run_steps(3);
    h
}

/// Runs frames until the save being written on its thread has finished (the frame that notices
/// it marks the work saved, or reports the error), for at most a minute.
pub fn wait_saved(h: &mut Harness<'_, SpantagApp>) {
    let start = std::time::Instant::now();
    while h.state().is_saving() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the save did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
}
