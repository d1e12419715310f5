//! The agreement window: the figures of [`spantag_core::review::agreement`] for the compared projects
//! (span-level P/R/F1 exact and overlap, relation-level P/R/F1 exact and lenient, token-level kappa and alpha per layer), a per-label F1
//! chart drawn with the painter, the label confusion matrix over overlapping spans and the worst
//! documents. Undefined figures read "undefined" with the reason on hover, never NaN. The report
//! is computed on a background thread ([`super::compare::ReportState`]); until it is ready the
//! window shows a spinner. Which labels form the entity layer (the rest: claims) follows the
//! projects' labels and can be changed in the window.

use super::SpantagApp;
use super::action::Action;
use super::action::Window;
use super::article::short;
use super::compare::ReportState;
use super::compare_panel::colors;
use egui::{Color32, RichText, Sense, Ui, vec2};
use spantag_core::review::agreement::{AgreementReport, ConfusionPair};
use spantag_core::review::metrics::{Figure, NONE_LABEL};

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
        if !self.compare.agreement_open {
            return;
        }
        let mut open = true;
        let mut actions = Vec::new();
        let loading = self.compare.loading.is_some();
        let (session, gold) = (&self.compare.session, self.ws.project());
        egui::Window::new("Agreement")
            .open(&mut open)
            .default_size([560.0, 740.0])
            .default_pos([250.0, 70.0])
            .show(ctx, |ui| {
                let Some(session) = session else {
                    if loading {
                        computing(ui, "comparing the projects…");
                    } else {
                        ui.label(
                            "No projects compared. Use File › Compare projects… to open two or \
                             more annotators' projects; their agreement is shown here.",
                        );
                    }
                    return;
                };
                if let Some(labels) = layer_choice(ui, &session.labels, &session.entity_labels) {
                    actions.push(Action::SetEntityLabels(labels));
                }
                ui.separator();
                match &session.report {
                    ReportState::Computing(_) => computing(ui, "computing…"),
                    ReportState::Failed(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    ReportState::Ready(r) => {
                        egui::ScrollArea::vertical().show(ui, |ui| {
                            report_ui(ui, r, gold, session.confusion_pair, &mut actions);
                        });
                    }
                }
            });
        if !open {
            actions.push(Action::CloseWindow(Window::Agreement));
        }
        self.queue.extend(actions);
    }
}

/// A spinner with what is being computed (the window keeps drawing meanwhile).
fn computing(ui: &mut Ui, what: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
    });
}

/// Which labels form the entity layer of the token-level figures (the others form the claim
/// layer): one toggle per label. Returns the new entity labels when one was clicked.
fn layer_choice(ui: &mut Ui, labels: &[String], entity: &[String]) -> Option<Vec<String>> {
    let mut changed = None;
    ui.horizontal_wrapped(|ui| {
        ui.label("Entity layer:")
            .on_hover_text("Token-level figures: these labels form the entity layer, the others the claim layer. Click a label to move it.");
        for l in labels {
            let on = entity.contains(l);
            let help = if on {
                "In the entity layer: click to move it to the claim layer"
            } else {
                "In the claim layer: click to move it to the entity layer"
            };
            if ui.selectable_label(on, l).on_hover_text(help).clicked() {
                let next: Vec<String> = labels
                    .iter()
                    .filter(|x| entity.contains(*x) != (*x == l))
                    .cloned()
                    .collect();
                changed = Some(next);
            }
        }
    });
    let claims: Vec<&str> = labels
        .iter()
        .filter(|l| !entity.contains(l))
        .map(String::as_str)
        .collect();
    ui.weak(if claims.is_empty() {
        "Claim layer: no labels".to_owned()
    } else {
        format!("Claim layer: {}", claims.join(", "))
    });
    changed
}

/// The report's widgets. `pair` is the annotator pair whose confusion matrix is shown; clicking
/// a worst-document row opens that gold document.
fn report_ui(
    ui: &mut Ui,
    r: &AgreementReport,
    gold: &spantag_core::model::Project,
    pair: usize,
    actions: &mut Vec<Action>,
) {
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
    ui.label(RichText::new("Relation level (micro)").strong())
        .on_hover_text(
            "exact: same type and both spans equal (range and label); lenient: same type and \
             both spans overlap their counterparts with the same labels. Macro F1 is over types.",
        );
    egui::Grid::new("agree-relations")
        .striped(true)
        .show(ui, |ui| {
            for h in ["match", "precision", "recall", "F1", "macro F1"] {
                ui.label(RichText::new(h).italics());
            }
            ui.end_row();
            for (name, m) in [
                ("exact", &r.relations.exact.mean),
                ("lenient", &r.relations.lenient.mean),
            ] {
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
    if let Some(p) = confusion_ui(ui, r, pair) {
        actions.push(Action::SetConfusionPair(p));
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Worst documents").strong());
    for d in r.documents.iter().take(10) {
        let kappa = match d.entity_kappa.value() {
            Some(v) => format!("{v:.2}"),
            None => "undefined".to_owned(),
        };
        let text = format!(
            "{} — exact F1 {} · overlap F1 {} · entity kappa {kappa}",
            short(&d.title, 32),
            ratio_text(d.exact_f1),
            ratio_text(d.overlap_f1),
        );
        if ui
            .selectable_label(false, text)
            .on_hover_text("Open this document")
            .clicked()
            && let Some(i) = gold.doc_index(&d.id)
        {
            actions.push(Action::OpenDoc(i));
        }
    }
}

/// The confusion matrix of one annotator pair as a compact grid: rows are the first annotator's
/// labels, columns the second's, `(none)` where the other side has no overlapping span. Returns
/// the pair clicked in the pair row.
fn confusion_ui(ui: &mut Ui, r: &AgreementReport, pair: usize) -> Option<usize> {
    ui.label(RichText::new("Label confusion (overlapping spans)").strong());
    let name = |k: usize| r.annotators.get(k).map_or("?", String::as_str);
    let mut chosen = None;
    if r.confusion.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.label("Pair:");
            for (i, c) in r.confusion.iter().enumerate() {
                let text = format!("{} vs {}", name(c.a), name(c.b));
                if ui.selectable_label(pair == i, text).clicked() {
                    chosen = Some(i);
                }
            }
        });
    }
    let Some(c) = r.confusion.get(pair).or_else(|| r.confusion.first()) else {
        ui.weak("undefined: fewer than 2 annotators");
        return chosen;
    };
    confusion_grid(ui, c, name(c.a), name(c.b));
    chosen
}

fn confusion_grid(ui: &mut Ui, c: &ConfusionPair, a: &str, b: &str) {
    let m = &c.matrix;
    if m.labels_a.is_empty() {
        ui.weak("No spans to compare.");
        return;
    }
    // "(none)" last: the labels first, then what has no counterpart.
    let order = |labels: &[String]| -> Vec<String> {
        let (none, mut rest): (Vec<String>, Vec<String>) =
            labels.iter().cloned().partition(|l| l == NONE_LABEL);
        rest.extend(none);
        rest
    };
    let (rows, cols) = (order(&m.labels_a), order(&m.labels_b));
    let agreed = colors::AGREED;
    let conflict = colors::LABEL;
    egui::Grid::new(("agree-confusion", c.a, c.b))
        .striped(true)
        .min_col_width(44.0)
        .show(ui, |ui| {
            ui.label(RichText::new(format!("{a} \\ {b}")).italics())
                .on_hover_text(format!("Rows: {a}'s label; columns: {b}'s label"));
            for col in &cols {
                ui.label(RichText::new(col).italics());
            }
            ui.end_row();
            for row in &rows {
                ui.label(RichText::new(row).italics());
                for col in &cols {
                    let n = m
                        .counts
                        .get(row)
                        .and_then(|r| r.get(col))
                        .copied()
                        .unwrap_or(0);
                    let same = row == col;
                    let text = if n == 0 {
                        RichText::new("·").weak()
                    } else if same {
                        RichText::new(n.to_string()).strong().color(agreed)
                    } else {
                        RichText::new(n.to_string()).color(conflict)
                    };
                    let what = format!("{a} {row} / {b} {col}: {n}");
                    let r = ui.label(text);
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &what));
                    r.on_hover_text(what);
                }
                ui.end_row();
            }
        });
    ui.weak(format!(
        "Over {} documents. Green: same label; red: {a} and {b} labelled overlapping text \
         differently, or (none): no overlapping span on that side.",
        m.documents
    ));
}
