//! Helpers shared by the GUI tests: a headless egui_kittest harness over the real app, and
//! projects written in span markup.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use egui_kittest::Harness;
use spantag::markup::project_from_markup;
use spantag::model::Project;
use spantag::time::Timestamp;
use spantag::ui::SpantagApp;

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
