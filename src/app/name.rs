//! The "Your name" window: the annotator name recorded on every span and review. It opens at the
//! first start (when neither `--annotator`, `$SPANTAG_ANNOTATOR` nor the settings file names
//! anyone) and from Edit › Your name…; OK stores the name in the settings file.

use egui::Key;

/// The window's state: the name being typed.
pub struct NameDialog {
    text: String,
    first_start: bool,
}

/// What the user decided.
pub enum NameOutcome {
    Set(String),
    Cancel,
}

impl NameDialog {
    pub fn new(current: &str, first_start: bool) -> Self {
        NameDialog {
            text: current.to_owned(),
            first_start,
        }
    }

    /// Draws the window; returns the decision once made.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<NameOutcome> {
        let mut out = None;
        egui::Window::new("Your name")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                if self.first_start {
                    ui.label("Welcome to spantag. Spans and reviews you make are recorded with your name.");
                } else {
                    ui.label("Spans and reviews you make from now on are recorded with this name.");
                }
                let label = ui.label("Name:");
                let r = ui
                    .add(egui::TextEdit::singleline(&mut self.text).desired_width(280.0))
                    .labelled_by(label.id);
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                if !enter {
                    r.request_focus();
                }
                let name = self.text.trim();
                ui.horizontal(|ui| {
                    let ok = ui.add_enabled(!name.is_empty(), egui::Button::new("Use this name"));
                    if (ok.clicked() || enter) && !name.is_empty() {
                        out = Some(NameOutcome::Set(name.to_owned()));
                    }
                    if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                        out = Some(NameOutcome::Cancel);
                    }
                });
            });
        out
    }
}
