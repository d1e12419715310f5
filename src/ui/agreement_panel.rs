//! The agreement window: the figures of [`crate::review::agreement`] for the compared projects
//! (span-level P/R/F1 exact and overlap, token-level kappa and alpha per layer), a per-label F1
//! chart drawn with the painter, and the worst documents. Undefined figures read "undefined"
//! with the reason on hover, never NaN.

use super::{Action, SpantagApp};
use crate::review::agreement::AgreementReport;
use crate::review::metrics::Figure;
use egui::{Color32, RichText, Sense, Ui, vec2};

/// A ratio as text (`undefined` when there is none).
pub fn ratio_text(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_owned(), |v| format!("{v:.3}"))
}

fn figure_cell(ui: &mut Ui, f: &Figure) {
    match f {
        Figure::Value(v) => {
            ui.label(format!("{v:.3}"));
        }
        Figure::Undefined(why) => {
            ui.weak("undefined").on_hover_text(*why);
        }
    }
}

fn ratio_cell(ui: &mut Ui, v: Option<f64>) {
    if v.is_some() {
        ui.label(ratio_text(v));
    } else {
        ui.weak("undefined")
            .on_hover_text("no spans to compare (0/0)");
    }
}

/// Draws one horizontal bar of value `v` (0..1) in a fixed-size box.
fn bar(ui: &mut Ui, v: Option<f64>, color: Color32, width: f32) {
    let (rect, _) = ui.allocate_exact_size(vec2(width, 9.0), Sense::hover());
    let p = ui.painter();
    p.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    if let Some(v) = v {
        let w = rect.width() * v.clamp(0.0, 1.0) as f32;
        let filled = egui::Rect::from_min_size(rect.min, vec2(w, rect.height()));
        p.rect_filled(filled, 2.0, color);
    } else {
        // Undefined: a hatched outline instead of a bar.
        p.rect_stroke(
            rect,
            2.0,
            egui::Stroke::new(1.0, ui.visuals().weak_text_color()),
            egui::StrokeKind::Inside,
        );
    }
}

impl SpantagApp {
    pub(super) fn agreement_window(&mut self, ctx: &egui::Context) {
        if !self.review.agreement_open {
            return;
        }
        let mut open = true;
        let mut go_to: Option<usize> = None;
        egui::Window::new("Agreement")
            .open(&mut open)
            .default_size([520.0, 560.0])
            .default_pos([250.0, 70.0])
            .show(ctx, |ui| {
                let Some(session) = &self.review.compare else {
                    ui.label(
                        "No projects compared. Use File › Compare projects… to open two or more \
                         annotators' projects; their agreement is shown here.",
                    );
                    return;
                };
                egui::ScrollArea::vertical().show(ui, |ui| {
                    go_to = report_ui(ui, &session.report, &self.ws.project);
                });
            });
        if !open {
            self.review.agreement_open = false;
        }
        if let Some(i) = go_to {
            self.queue.push(Action::OpenDoc(i));
        }
    }
}

/// The report's widgets; returns the gold document to open when a worst-document row is clicked.
fn report_ui(ui: &mut Ui, r: &AgreementReport, gold: &crate::model::Project) -> Option<usize> {
    ui.label(format!(
        "Annotators: {} · {} shared documents ({} not in every project, left out)",
        r.annotators.join(", "),
        r.shared_documents,
        r.skipped_documents
    ));
    let pairs = r.exact.pairs.len();
    if pairs > 1 {
        ui.weak(format!("Figures are means over {pairs} annotator pairs."));
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Span level (micro)").strong());
    egui::Grid::new("agree-spans").striped(true).show(ui, |ui| {
        for h in ["match", "precision", "recall", "F1", "macro F1"] {
            ui.label(RichText::new(h).italics());
        }
        ui.end_row();
        for (name, m) in [("exact", &r.exact.mean), ("overlap", &r.overlap.mean)] {
            ui.label(name);
            ratio_cell(ui, m.precision);
            ratio_cell(ui, m.recall);
            ratio_cell(ui, m.f1);
            ratio_cell(ui, m.macro_f1);
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    ui.label(RichText::new("Token level (per layer)").strong());
    let kappa_name = if r.annotators.len() == 2 {
        "Cohen's kappa"
    } else {
        "mean pairwise kappa"
    };
    egui::Grid::new("agree-tokens")
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "layer",
                kappa_name,
                "Fleiss' kappa",
                "Krippendorff's alpha",
                "tokens",
            ] {
                ui.label(RichText::new(h).italics());
            }
            ui.end_row();
            for l in &r.layers {
                let a = &l.agreement;
                ui.label(&l.layer);
                if r.annotators.len() == 2 {
                    figure_cell(ui, &a.cohen_kappa);
                } else {
                    figure_cell(ui, &a.mean_pairwise_cohen_kappa);
                }
                figure_cell(ui, &a.fleiss_kappa);
                figure_cell(ui, &a.krippendorff_alpha);
                ui.label(a.items.to_string());
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.label(RichText::new("F1 per label").strong());
    let mut labels: Vec<&String> = r.exact.mean.per_label_f1.keys().collect();
    for l in r.overlap.mean.per_label_f1.keys() {
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    let exact_c = ui.visuals().selection.bg_fill;
    let overlap_c = exact_c.gamma_multiply(0.5);
    egui::Grid::new("agree-chart").show(ui, |ui| {
        for l in labels {
            let e = r.exact.mean.per_label_f1.get(l).copied().flatten();
            let o = r.overlap.mean.per_label_f1.get(l).copied().flatten();
            let color = gold
                .label(l)
                .map(|x| Color32::from_rgb(x.color.0[0], x.color.0[1], x.color.0[2]));
            ui.label(RichText::new(l).color(color.unwrap_or(ui.visuals().text_color())));
            ui.vertical(|ui| {
                ui.spacing_mut().item_spacing.y = 2.0;
                bar(ui, e, color.unwrap_or(exact_c), 200.0);
                bar(
                    ui,
                    o,
                    color.map_or(overlap_c, |c| c.gamma_multiply(0.45)),
                    200.0,
                );
            });
            ui.label(format!(
                "exact {} · overlap {}",
                ratio_text(e),
                ratio_text(o)
            ));
            ui.end_row();
        }
    });
    ui.weak("Upper bar: exact match; lower bar: overlap match. An empty box is undefined.");
    ui.add_space(6.0);
    ui.label(RichText::new("Worst documents").strong());
    let mut open = None;
    for d in r.documents.iter().take(10) {
        let kappa = match d.entity_kappa.value() {
            Some(v) => format!("{v:.2}"),
            None => "undefined".to_owned(),
        };
        let text = format!(
            "{} — exact F1 {} · overlap F1 {} · entity kappa {kappa}",
            super::article::short(&d.title, 32),
            ratio_text(d.exact_f1),
            ratio_text(d.overlap_f1),
        );
        if ui
            .selectable_label(false, text)
            .on_hover_text("Open this document")
            .clicked()
        {
            open = gold.doc_index(&d.id);
        }
    }
    open
}
