//! Helpers shared by the integration tests: running the built binary and building a kittest
//! harness around the real app. Each test file uses only some of them.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use egui_kittest::Harness;
use spantag::ui::SpantagApp;
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

/// The real app in a headless window of `size`, after three frames.
pub fn harness_sized(app: SpantagApp, size: [f32; 2]) -> Harness<'static, SpantagApp> {
    let mut h = Harness::builder()
        .with_size(size)
        .with_step_dt(0.05)
        .with_max_steps(200)
        .allow_missing_glyphs()
        .build_ui_state(|ui, app: &mut SpantagApp| app.show(ui), app);
    h.run_steps(3);
    h
}

/// [`harness_sized`] at 1200 x 800.
pub fn harness(app: SpantagApp) -> Harness<'static, SpantagApp> {
    harness_sized(app, [1200.0, 800.0])
}
