//! The article view: one galley per paragraph, laid out and drawn only while visible, with spans
//! painted around the text (entities as boxes, claims as bands under the text, overlapping spans
//! stacked in lanes). It reads the document and emits [`Action`]s; it never changes the project.

use super::action::Action;
use egui::text::{LayoutJob, TextFormat};
use egui::{
    Color32, CornerRadius, FontId, Galley, Pos2, Rect, Sense, Stroke, StrokeKind, Ui, pos2, vec2,
};
use spantag_core::model::{Document, Label, RelationType, Span, SpanId};
use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

/// Base article font size in points (zoom 1.0).
pub const BASE_FONT: f32 = 16.0;

/// Labels drawn as a band under the text rather than as a box.
pub use spantag_core::model::is_band_label;

/// For each span (sorted by start), how many earlier spans of the same kind (`bands`) overlap it,
/// at most 3: the lane it is drawn in. A sweep keeps the ends of the spans still open per kind.
fn lanes(spans: &[&Span], bands: &[bool]) -> Vec<usize> {
    let mut open: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    spans
        .iter()
        .zip(bands)
        .map(|(s, &band)| {
            let open = &mut open[usize::from(band)];
            open.retain(|&end| end > s.start);
            let lane = open.len().min(3);
            open.push(s.end);
            lane
        })
        .collect()
}

/// A marker drawn on a span in review and compare mode (status, agreement), with hover text.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanMark {
    pub color: Color32,
    /// Shown when hovering the span.
    pub text: String,
    /// Struck through (rejected).
    pub strike: bool,
    /// Outlined in the marker colour (the current conflict).
    pub emphasis: bool,
    /// Outlined with a dashed line in the marker colour (an unresolved conflict).
    pub dashed: bool,
}

/// A paragraph drawn in the last frame.
#[derive(Clone)]
struct Drawn {
    /// Char range of the paragraph.
    range: Range<usize>,
    /// Screen position of the galley's top-left corner.
    origin: Pos2,
    galley: Arc<Galley>,
}

/// Read-only facts about the view in the last frame.
#[derive(Clone, Default)]
pub struct FrameInfo {
    drawn: Vec<Drawn>,
    /// The article's screen rect.
    pub clip: Option<Rect>,
}

/// Layout cache and interaction state of the article view.
#[derive(Default)]
pub struct ArticleView {
    /// Which document the paragraph table belongs to (id, length).
    doc_key: Option<(String, usize)>,
    /// Char ranges of the paragraphs (split at `\n`).
    paras: Vec<Range<usize>>,
    /// Byte ranges of the paragraphs.
    para_bytes: Vec<Range<usize>>,
    /// Known heights (None = never laid out at this width and size).
    heights: Vec<Option<f32>>,
    /// (font size, wrap width) the heights belong to.
    height_key: (f32, f32),
    pub last: FrameInfo,
    /// Char boundary where the current drag started.
    drag_anchor: Option<usize>,
    drag_now: Option<usize>,
    /// A char offset to bring into view.
    pub scroll_target: Option<usize>,
    scroll_tries: u8,
    pending_offset: Option<f32>,
    /// Markers on spans, set by the app each frame (empty outside review and compare mode).
    pub marks: std::collections::HashMap<SpanId, SpanMark>,
    /// Relations: where each relation's ends are, rebuilt when the project changes.
    rels: RelCache,
    /// Relations: the spans under the pointer in the last frame (their relations are
    /// highlighted).
    hover: Vec<SpanId>,
}

// ----- relations: what the view keeps to draw them -----

/// A relation with the ranges of its two spans.
struct RelEnds {
    /// Index of its type in the project's relation types (`usize::MAX`: unknown).
    kind: usize,
    from: SpanId,
    to: SpanId,
    /// The first span's range (the head) and the second's.
    a: Range<usize>,
    b: Range<usize>,
}

/// The open document's relations with their spans' ranges, keyed by document and revision, so
/// a frame finds the visible ones without looking spans up.
#[derive(Default)]
struct RelCache {
    key: Option<(String, (u64, u64))>,
    ends: Vec<RelEnds>,
}

impl RelCache {
    fn refresh(&mut self, doc: &Document, types: &[RelationType], revision: (u64, u64)) {
        if self
            .key
            .as_ref()
            .is_some_and(|(id, r)| *r == revision && *id == doc.id)
        {
            return;
        }
        self.key = Some((doc.id.clone(), revision));
        self.ends.clear();
        if doc.relations.is_empty() {
            return;
        }
        // Spans by id (a sorted list: cheaper to build than a hash map for 20,000 spans).
        let mut at: Vec<(SpanId, usize, usize)> =
            doc.spans.iter().map(|s| (s.id, s.start, s.end)).collect();
        at.sort_unstable_by_key(|x| x.0);
        let range = |id: SpanId| {
            at.binary_search_by_key(&id, |x| x.0)
                .ok()
                .map(|i| at[i].1..at[i].2)
        };
        for r in &doc.relations {
            if let (Some(a), Some(b)) = (range(r.from), range(r.to)) {
                self.ends.push(RelEnds {
                    kind: types
                        .iter()
                        .position(|t| t.name == r.kind)
                        .unwrap_or(usize::MAX),
                    from: r.from,
                    to: r.to,
                    a,
                    b,
                });
            }
        }
    }
}

/// Relations: the relation being made, as the view shows it: its first span, the spans
/// allowed as its other end (outlined) and the one chosen with Tab.
pub struct Picking<'a> {
    pub from: SpanId,
    pub color: Color32,
    pub allowed: &'a HashSet<SpanId>,
    pub chosen: Option<SpanId>,
}

/// What the view needs to know about the app state.
pub struct ViewInput<'a> {
    pub doc: &'a Document,
    pub labels: &'a [Label],
    pub selection: Option<Range<usize>>,
    pub caret: usize,
    pub selected_span: Option<SpanId>,
    pub zoom: f32,
    /// Relations: the workspace generation and revision (the relation cache's key), the
    /// relation types (names, colours) and the relation being made.
    pub revision: (u64, u64),
    pub relation_types: &'a [RelationType],
    pub picking: Option<Picking<'a>>,
}

impl ArticleView {
    fn prepare(&mut self, doc: &Document) {
        let key = (doc.id.clone(), doc.text.len());
        if self.doc_key.as_ref() == Some(&key) {
            return;
        }
        self.doc_key = Some(key);
        self.paras.clear();
        self.para_bytes.clear();
        let (mut c0, mut b0, mut c) = (0usize, 0usize, 0usize);
        for (b, ch) in doc.text.char_indices() {
            if ch == '\n' {
                self.paras.push(c0..c);
                self.para_bytes.push(b0..b);
                c0 = c + 1;
                b0 = b + 1;
            }
            c += 1;
        }
        self.paras.push(c0..c);
        self.para_bytes.push(b0..doc.text.len());
        self.heights = vec![None; self.paras.len()];
        self.height_key = (0.0, 0.0);
        self.last = FrameInfo::default();
        self.drag_anchor = None;
        self.drag_now = None;
    }

    /// Screen rect of the character at `offset`, if it was drawn in the last frame.
    pub fn char_rect(&self, offset: usize) -> Option<Rect> {
        let d = self
            .last
            .drawn
            .iter()
            .find(|d| d.range.start <= offset && offset < d.range.end)?;
        let mut col = offset - d.range.start;
        for row in &d.galley.rows {
            let n = row.char_count_excluding_newline().0;
            if col < n {
                let g = &row.glyphs[col];
                let x0 = d.origin.x + row.pos.x + g.pos.x;
                let r = row.rect().translate(d.origin.to_vec2());
                return Some(Rect::from_x_y_ranges(
                    x0..=x0 + g.advance_width.max(1.0),
                    r.y_range(),
                ));
            }
            col -= n;
        }
        None
    }

    /// The character under `pos` and the nearest char boundary, from the last frame's layout.
    pub fn hit(&self, pos: Pos2) -> Option<(Option<usize>, usize)> {
        let d = self.last.drawn.iter().min_by(|a, b| {
            let da = dist_y(a, pos);
            let db = dist_y(b, pos);
            da.total_cmp(&db)
        })?;
        let local = pos - d.origin;
        let mut base = d.range.start;
        let rows = &d.galley.rows;
        let ri = rows
            .iter()
            .position(|r| local.y < r.rect().max.y)
            .unwrap_or(rows.len().saturating_sub(1));
        for r in &rows[..ri] {
            base += r.char_count_excluding_newline().0;
        }
        let row = rows.get(ri)?;
        let x = local.x - row.pos.x;
        // egui 0.37 can put more glyphs than characters in a row of right-to-left text
        // (egui issue #8576): never let that reach past the paragraph.
        let end = d.range.end;
        for (i, g) in row.glyphs.iter().enumerate() {
            if x < g.pos.x + g.advance_width {
                let boundary = if x < g.pos.x + g.advance_width / 2.0 {
                    base + i
                } else {
                    base + i + 1
                };
                let inside = x >= g.pos.x && base + i < end;
                return Some((inside.then_some(base + i), boundary.min(end)));
            }
        }
        Some((None, (base + row.glyphs.len()).min(end)))
    }

    /// Draws the article and returns what the user asked for.
    pub(crate) fn show(&mut self, ui: &mut Ui, input: &ViewInput<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        let doc = input.doc;
        self.prepare(doc);
        let font_size = (BASE_FONT * input.zoom).round();
        let font = FontId::proportional(font_size);
        // With relation types, rows leave room above the text for the relations' arcs.
        let spacing = if input.relation_types.is_empty() {
            2.0
        } else {
            2.6
        };
        let row_h = (font_size * spacing).round();
        self.rels.refresh(doc, input.relation_types, input.revision);
        let avail = ui.available_width();
        let wrap = (avail - 48.0).clamp(200.0, font_size * 44.0);
        if self.height_key != (font_size, wrap) {
            self.height_key = (font_size, wrap);
            self.heights.iter_mut().for_each(|h| *h = None);
        }
        let est_char_w = font_size * 0.5;
        let gap = (row_h * 0.5).round();
        let estimate = |r: &Range<usize>| -> f32 {
            if r.is_empty() {
                gap
            } else {
                let rows = ((r.len() as f32 * est_char_w) / wrap).ceil().max(1.0);
                rows * row_h
            }
        };
        // Prefix sums of heights (known or estimated).
        let mut tops = Vec::with_capacity(self.paras.len() + 1);
        let mut y = 0.0f32;
        for (r, h) in self.paras.iter().zip(&self.heights) {
            tops.push(y);
            y += h.unwrap_or_else(|| estimate(r));
        }
        tops.push(y);
        let total = y + row_h;

        let mut area = egui::ScrollArea::vertical()
            .id_salt("article-scroll")
            .auto_shrink([false, false]);
        if let Some(off) = self.pending_offset.take() {
            area = area.vertical_scroll_offset(off);
        }
        let view_h = ui.available_height();
        let out = area.show_viewport(ui, |ui, viewport| {
            let left_pad = ((ui.available_width() - wrap) / 2.0).max(8.0);
            let (rect, response) =
                ui.allocate_exact_size(vec2(ui.available_width(), total), Sense::click_and_drag());
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Document, true, "Article text")
            });
            let origin = rect.min + vec2(left_pad, 0.0);
            let first = tops
                .partition_point(|&t| t <= viewport.min.y)
                .saturating_sub(1);
            let mut drawn = Vec::new();
            let mut p = first;
            // Layout visible paragraphs.
            while p < self.paras.len() && tops[p] < viewport.max.y {
                let range = self.paras[p].clone();
                if !range.is_empty() {
                    let bytes = self.para_bytes[p].clone();
                    let text = doc.text.get(bytes).unwrap_or("");
                    let mut job = LayoutJob::single_section(
                        text.to_owned(),
                        TextFormat {
                            font_id: font.clone(),
                            color: ui.visuals().text_color(),
                            line_height: Some(row_h),
                            ..Default::default()
                        },
                    );
                    job.wrap.max_width = wrap;
                    let galley = ui.fonts_mut(|f| f.layout_job(job));
                    let h = galley.size().y;
                    self.heights[p] = Some(h);
                    drawn.push(Drawn {
                        range,
                        origin: origin + vec2(0.0, tops[p]),
                        galley,
                    });
                }
                p += 1;
            }
            self.last = FrameInfo {
                drawn,
                clip: Some(ui.clip_rect()),
            };
            self.paint(ui, input, font_size);
            self.paint_relations(ui, input, font_size, row_h);
            self.interact(ui, &response, input, &mut actions);
            // Scroll requests.
            if let Some(target) = self.scroll_target {
                if let Some(r) = self.char_rect(target) {
                    ui.scroll_to_rect(r.expand(row_h), None);
                    self.scroll_target = None;
                    self.scroll_tries = 0;
                } else if self.scroll_tries < 4 {
                    let pi = self
                        .paras
                        .partition_point(|r| r.end < target)
                        .min(self.paras.len().saturating_sub(1));
                    self.pending_offset = Some((tops[pi] - view_h / 3.0).max(0.0));
                    self.scroll_tries += 1;
                    ui.ctx().request_repaint();
                } else {
                    self.scroll_target = None;
                    self.scroll_tries = 0;
                }
            }
        });
        let _ = out;
        actions
    }

    fn interact(
        &mut self,
        ui: &Ui,
        response: &egui::Response,
        input: &ViewInput<'_>,
        actions: &mut Vec<Action>,
    ) {
        let doc = input.doc;
        let ix = doc.index();
        let (alt, shift) = ui.input(|i| (i.modifiers.alt, i.modifiers.shift));
        let pointer = response.interact_pointer_pos().or(response.hover_pos());
        let hit = pointer.and_then(|p| self.hit(p));
        if response.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin());
            self.drag_anchor = origin.and_then(|p| self.hit(p)).map(|h| h.1);
            self.drag_now = self.drag_anchor;
        }
        if response.dragged()
            && let Some((_, b)) = hit
        {
            self.drag_now = Some(b);
        }
        if response.drag_stopped() {
            if let (Some(a), Some(b)) = (self.drag_anchor, self.drag_now.or(hit.map(|h| h.1))) {
                let (lo, hi) = (a.min(b), a.max(b));
                if alt {
                    if hi > lo {
                        actions.push(Action::SetSelection {
                            anchor: lo,
                            focus: hi,
                        });
                    }
                } else if let Some(r) = ix.snap_to_tokens(lo..hi.max(lo)) {
                    actions.push(Action::SetSelection {
                        anchor: r.start,
                        focus: r.end,
                    });
                }
            }
            self.drag_anchor = None;
            self.drag_now = None;
        }
        if response.triple_clicked() {
            if let Some((Some(c), _)) = hit
                && let sx = doc.index_with_sentences()
                && let Some(s) = sx.sentence_at(c).and_then(|i| sx.sentences().get(i))
            {
                actions.push(Action::SetSelection {
                    anchor: s.start,
                    focus: s.end,
                });
            }
        } else if response.double_clicked() {
            if let Some((Some(c), _)) = hit
                && let Some(t) = ix.token_at(c).and_then(|i| ix.tokens().get(i))
            {
                actions.push(Action::SetSelection {
                    anchor: t.start,
                    focus: t.end,
                });
            }
        } else if response.clicked()
            && let Some((c, b)) = hit
        {
            if shift {
                actions.push(Action::ExtendTo(b));
            } else {
                actions.push(Action::ClickAt {
                    char: c,
                    boundary: b,
                });
            }
        }
        // Hover: label, author, note of the spans under the pointer, and their relations.
        self.hover.clear();
        if self.drag_anchor.is_none()
            && let Some(p) = response.hover_pos()
            && let Some((Some(c), _)) = self.hit(p)
        {
            let spans: Vec<&Span> = doc.spans_at(c).collect();
            self.hover.extend(spans.iter().map(|s| s.id));
            if !spans.is_empty() {
                response.clone().on_hover_ui_at_pointer(|ui| {
                    for s in spans {
                        ui.label(format!("{} — “{}”", s.label, short(&s.text, 60)));
                        ui.weak(format!("by {} · {}", s.author, s.status.name()));
                        if let Some(n) = &s.note {
                            ui.label(format!("Note: {n}"));
                        }
                        if let Some(m) = self.marks.get(&s.id) {
                            ui.label(egui::RichText::new(&m.text).color(m.color));
                        }
                        for r in doc.relations_of(s.id) {
                            let (arrow, other) = if r.from == s.id {
                                ("→", r.to)
                            } else {
                                ("←", r.from)
                            };
                            let Some(o) = doc.span(other) else {
                                continue;
                            };
                            let t = input.relation_types.iter().find(|t| t.name == r.kind);
                            let c = super::relations::type_color(t);
                            ui.label(
                                egui::RichText::new(format!(
                                    "{} {arrow} {} “{}”",
                                    r.kind,
                                    o.label,
                                    short(&o.text, 40)
                                ))
                                .color(c),
                            );
                        }
                    }
                });
            }
        }
    }

    /// The selection being dragged right now (for painting).
    fn live_selection(&self, input: &ViewInput<'_>, alt: bool) -> Option<Range<usize>> {
        let (a, b) = (self.drag_anchor?, self.drag_now?);
        let (lo, hi) = (a.min(b), a.max(b));
        if alt {
            (hi > lo).then_some(lo..hi)
        } else {
            input.doc.index().snap_to_tokens(lo..hi)
        }
    }

    fn paint(&self, ui: &Ui, input: &ViewInput<'_>, font_size: f32) {
        let painter = ui.painter();
        let doc = input.doc;
        let Some(first) = self.last.drawn.first() else {
            return;
        };
        let Some(last) = self.last.drawn.last() else {
            return;
        };
        let (vs, ve) = (first.range.start, last.range.end);
        // Spans intersecting the visible range.
        let max_len = doc.spans.iter().map(|s| s.end - s.start).max().unwrap_or(0);
        let lo = doc
            .spans
            .partition_point(|s| s.start + max_len < vs || s.start < vs.saturating_sub(max_len));
        let hi = doc.spans.partition_point(|s| s.start < ve);
        let visible: Vec<&Span> = doc.spans[lo.min(hi)..hi]
            .iter()
            .filter(|s| s.end > vs)
            .collect();
        let bands: Vec<bool> = visible.iter().map(|s| is_band_label(&s.label)).collect();
        let lanes = lanes(&visible, &bands);
        let color_of = |name: &str| -> Color32 {
            input
                .labels
                .iter()
                .find(|l| l.name == name)
                .map(|l| Color32::from_rgb(l.color.0[0], l.color.0[1], l.color.0[2]))
                .unwrap_or(Color32::GRAY)
        };
        let alt = ui.input(|i| i.modifiers.alt);
        let selection = self
            .live_selection(input, alt)
            .or_else(|| input.selection.clone());
        let sel_color = ui.visuals().selection.bg_fill.gamma_multiply(0.6);
        let text_h = font_size * 1.25;
        for d in &self.last.drawn {
            let segs = |range: &Range<usize>| row_segments(d, range);
            // Text selection.
            if let Some(sel) = &selection {
                for (r, _) in segs(sel) {
                    painter.rect_filled(r, 2.0, sel_color);
                }
            }
            // Entity boxes: outer lanes bigger, inner smaller.
            for ((s, &lane), _) in visible.iter().zip(&lanes).zip(&bands).filter(|x| !*x.1) {
                if s.end <= d.range.start || s.start >= d.range.end {
                    continue;
                }
                let c = color_of(&s.label);
                let inset = lane as f32 * 2.5;
                for (r, _) in segs(&(s.start..s.end)) {
                    let mid = r.center().y;
                    let b = Rect::from_x_y_ranges(
                        r.min.x + inset * 0.5..=r.max.x - inset * 0.5,
                        mid - text_h / 2.0 - 3.0 + inset..=mid + text_h / 2.0 + 1.0 - inset,
                    );
                    painter.rect(
                        b,
                        CornerRadius::same(3),
                        c.gamma_multiply(0.22),
                        Stroke::new(1.2, c),
                        StrokeKind::Inside,
                    );
                }
            }
            painter.galley(d.origin, d.galley.clone(), ui.visuals().text_color());
            // Claim bands under the text.
            for ((s, &lane), _) in visible.iter().zip(&lanes).zip(&bands).filter(|x| *x.1) {
                if s.end <= d.range.start || s.start >= d.range.end {
                    continue;
                }
                let c = color_of(&s.label);
                for (r, _) in segs(&(s.start..s.end)) {
                    let y = r.center().y + text_h / 2.0 + 2.5 + lane as f32 * 4.0;
                    let band = Rect::from_x_y_ranges(r.x_range(), y..=y + 3.0);
                    painter.rect_filled(band, 1.0, c);
                }
            }
            // Review and compare markers: a bar over the span's first row, a strike-through
            // for rejected spans, an outline for the current conflict.
            for s in &visible {
                let Some(m) = self.marks.get(&s.id) else {
                    continue;
                };
                let rows = segs(&(s.start..s.end));
                if s.start >= d.range.start
                    && let Some((r, _)) = rows.first()
                {
                    let y = r.center().y - text_h / 2.0 - 5.0;
                    let tab = Rect::from_x_y_ranges(r.min.x..=r.min.x + 9.0, y - 3.0..=y + 1.0);
                    painter.rect_filled(tab, 1.0, m.color);
                }
                for (r, _) in &rows {
                    let mid = r.center().y;
                    if m.strike {
                        painter.line_segment(
                            [pos2(r.min.x, mid), pos2(r.max.x, mid)],
                            Stroke::new(1.5, m.color),
                        );
                    }
                    let b = Rect::from_x_y_ranges(
                        r.min.x - 3.0..=r.max.x + 3.0,
                        mid - text_h / 2.0 - 6.0..=mid + text_h / 2.0 + 9.0,
                    );
                    if m.emphasis {
                        painter.rect_stroke(b, 4.0, Stroke::new(2.0, m.color), StrokeKind::Outside);
                    } else if m.dashed {
                        let pts = [
                            b.left_top(),
                            b.right_top(),
                            b.right_bottom(),
                            b.left_bottom(),
                            b.left_top(),
                        ];
                        painter.extend(egui::Shape::dashed_line(
                            &pts,
                            Stroke::new(1.2, m.color),
                            4.0,
                            3.0,
                        ));
                    }
                }
            }
            // Selected span outline.
            if let Some(id) = input.selected_span
                && let Some(s) = doc.span(id)
            {
                let c = ui.visuals().strong_text_color();
                for (r, _) in segs(&(s.start..s.end)) {
                    let mid = r.center().y;
                    let b = Rect::from_x_y_ranges(
                        r.min.x - 2.0..=r.max.x + 2.0,
                        mid - text_h / 2.0 - 5.0..=mid + text_h / 2.0 + 8.0,
                    );
                    painter.rect_stroke(b, 3.0, Stroke::new(2.0, c), StrokeKind::Outside);
                }
            }
            // Relations: while one is being made, its first span and the spans allowed as its
            // other end are outlined in the type's colour (dashed; solid for the one chosen).
            if let Some(pk) = &input.picking {
                for s in &visible {
                    let chosen = pk.chosen == Some(s.id);
                    let first = pk.from == s.id;
                    if !(chosen || first || pk.allowed.contains(&s.id)) {
                        continue;
                    }
                    for (r, _) in segs(&(s.start..s.end)) {
                        let mid = r.center().y;
                        let b = Rect::from_x_y_ranges(
                            r.min.x - 3.0..=r.max.x + 3.0,
                            mid - text_h / 2.0 - 4.0..=mid + text_h / 2.0 + 2.0,
                        );
                        if chosen || first {
                            painter.rect_stroke(
                                b,
                                3.0,
                                Stroke::new(if chosen { 3.0 } else { 2.0 }, pk.color),
                                StrokeKind::Outside,
                            );
                        } else {
                            let pts = [
                                b.left_top(),
                                b.right_top(),
                                b.right_bottom(),
                                b.left_bottom(),
                                b.left_top(),
                            ];
                            painter.extend(egui::Shape::dashed_line(
                                &pts,
                                Stroke::new(1.5, pk.color),
                                4.0,
                                3.0,
                            ));
                        }
                    }
                }
            }
            // Caret.
            if selection.as_ref().is_none_or(|s| s.is_empty())
                && input.selected_span.is_none()
                && input.caret >= d.range.start
                && input.caret <= d.range.end
                && let Some((r, _)) = segs(&(input.caret..input.caret)).into_iter().next()
            {
                let x = r.min.x - 1.0;
                let mid = r.center().y;
                painter.line_segment(
                    [pos2(x, mid - text_h / 2.0), pos2(x, mid + text_h / 2.0)],
                    Stroke::new(2.0, ui.visuals().strong_text_color()),
                );
            }
        }
    }
}

// ----- relations: drawing them -----

impl ArticleView {
    /// The screen rect of the first drawn row of `range`.
    fn first_rect(&self, range: &Range<usize>) -> Option<Rect> {
        let i = self
            .last
            .drawn
            .partition_point(|d| d.range.end < range.start);
        let d = self.last.drawn.get(i)?;
        if range.end < d.range.start {
            return None;
        }
        row_segments(d, range).into_iter().next().map(|x| x.0)
    }

    /// Draws the relations with an end in the drawn paragraphs, in the line gaps above the text
    /// so that they hide none of it: an arc when both ends are on one row, a route through the
    /// left margin when they are on different rows, and a stub into the margin with an arrow
    /// up or down when the other end is not drawn (another paragraph, off screen). Each carries
    /// its type's name in its colour; those of the selected or hovered span are drawn on top,
    /// thicker, and always labelled, the others only where their label has room.
    fn paint_relations(&self, ui: &Ui, input: &ViewInput<'_>, font_size: f32, row_h: f32) {
        let (Some(first), Some(last)) = (self.last.drawn.first(), self.last.drawn.last()) else {
            return;
        };
        let (vs, ve) = (first.range.start, last.range.end);
        let left = first.origin.x;
        let painter = ui.painter();
        let text_h = font_size * 1.25;
        // The free height above a row's span boxes (below the previous row's claim bands).
        let rise = ((row_h - text_h - 8.0) * 0.5).clamp(3.0, 12.0);
        let top = |r: Rect| r.center().y - text_h / 2.0 - 3.0;
        let label_font = FontId::proportional((font_size * 0.62).round().max(8.0));
        let bg = ui.visuals().panel_fill;
        let strong = |e: &RelEnds| {
            [e.from, e.to]
                .iter()
                .any(|id| input.selected_span == Some(*id) || self.hover.contains(id))
        };
        let mut placed: Vec<Rect> = Vec::new();
        let mut label = |at: Pos2, text: String, color: Color32, force: bool| {
            let g = painter.layout_no_wrap(text, label_font.clone(), color);
            let r = Rect::from_center_size(at, g.size()).expand2(vec2(3.0, 0.0));
            if !force && placed.iter().any(|p| p.intersects(r)) {
                return;
            }
            placed.push(r);
            painter.rect(
                r,
                CornerRadius::same(3),
                bg,
                Stroke::new(0.8, color),
                StrokeKind::Inside,
            );
            painter.galley(r.min + vec2(3.0, 0.0), g, color);
        };
        let arrow = |tip: Pos2, down: bool, color: Color32| {
            let d = if down { -5.0 } else { 5.0 };
            painter.add(egui::Shape::convex_polygon(
                vec![
                    tip,
                    pos2(tip.x - 3.5, tip.y + d),
                    pos2(tip.x + 3.5, tip.y + d),
                ],
                color,
                Stroke::NONE,
            ));
        };
        for pass in [false, true] {
            for (k, e) in self.rels.ends.iter().enumerate() {
                let fv = e.a.start < ve && e.a.end > vs;
                let tv = e.b.start < ve && e.b.end > vs;
                if !(fv || tv) || strong(e) != pass {
                    continue;
                }
                let t = input.relation_types.get(e.kind);
                let name = t.map_or("?", |t| t.name.as_str());
                let c = super::relations::type_color(t);
                let (width, color) = if pass {
                    (2.2, c)
                } else {
                    (1.2, c.gamma_multiply(0.8))
                };
                let stroke = Stroke::new(width, color);
                let ra = if fv { self.first_rect(&e.a) } else { None };
                let rb = if tv { self.first_rect(&e.b) } else { None };
                // Margin lanes keep routes of neighbouring relations apart.
                let mx = left - 5.0 - (k % 3) as f32 * 4.0;
                match (ra, rb) {
                    (Some(ra), Some(rb)) => {
                        let (xa, ya, xb, yb) = (ra.center().x, top(ra), rb.center().x, top(rb));
                        if (ra.center().y - rb.center().y).abs() < 1.0 {
                            let peak = ya - rise * 1.33;
                            painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
                                [pos2(xa, ya), pos2(xa, peak), pos2(xb, peak), pos2(xb, yb)],
                                false,
                                Color32::TRANSPARENT,
                                stroke,
                            ));
                            arrow(pos2(xb, yb), true, color);
                            label(pos2((xa + xb) / 2.0, ya - rise), name.to_owned(), c, pass);
                        } else {
                            let (ga, gb) = (ya - rise, yb - rise);
                            painter.add(egui::Shape::line(
                                vec![
                                    pos2(xa, ya),
                                    pos2(xa, ga),
                                    pos2(mx, ga),
                                    pos2(mx, gb),
                                    pos2(xb, gb),
                                    pos2(xb, yb),
                                ],
                                stroke,
                            ));
                            arrow(pos2(xb, yb), true, color);
                            label(pos2((mx + xb) / 2.0, gb), name.to_owned(), c, pass);
                        }
                    }
                    (Some(r), None) | (None, Some(r)) => {
                        // The other end is not drawn: a stub into the margin, pointing to it.
                        let other = if ra.is_some() { &e.b } else { &e.a };
                        let up = other.start < vs;
                        let (x, y) = (r.center().x, top(r));
                        let g = y - rise;
                        let end = if up { g - row_h * 0.4 } else { g + row_h * 0.4 };
                        painter.add(egui::Shape::line(
                            vec![pos2(x, y), pos2(x, g), pos2(mx, g), pos2(mx, end)],
                            stroke,
                        ));
                        arrow(pos2(mx, end), !up, color);
                        if ra.is_none() {
                            arrow(pos2(x, y), true, color);
                        }
                        let dir = if up { "↑" } else { "↓" };
                        label(pos2((mx + x) / 2.0, g), format!("{name} {dir}"), c, pass);
                    }
                    (None, None) => {}
                }
            }
        }
        // While a relation is being made: a dashed line from its first span to the pointer,
        // or to the span chosen with Tab.
        if let Some(pk) = &input.picking
            && let Some(from) = input.doc.span(pk.from)
            && let Some(ra) = self.first_rect(&(from.start..from.end))
        {
            let target = pk
                .chosen
                .and_then(|id| input.doc.span(id))
                .and_then(|s| self.first_rect(&(s.start..s.end)))
                .map(|r| pos2(r.center().x, top(r)))
                .or_else(|| ui.input(|i| i.pointer.hover_pos()));
            if let Some(tp) = target {
                let a = pos2(ra.center().x, top(ra));
                painter.extend(egui::Shape::dashed_line(
                    &[a, pos2(a.x, a.y - rise), pos2(tp.x, a.y - rise), tp],
                    Stroke::new(2.0, pk.color),
                    6.0,
                    4.0,
                ));
            }
        }
    }
}

fn dist_y(d: &Drawn, pos: Pos2) -> f32 {
    let r = Rect::from_min_size(d.origin, d.galley.size());
    if pos.y < r.min.y {
        r.min.y - pos.y
    } else if pos.y > r.max.y {
        pos.y - r.max.y
    } else {
        0.0
    }
}

/// Screen rects of the parts of `range` on each row of a drawn paragraph (an empty range gives
/// a zero-width rect at its position).
fn row_segments(d: &Drawn, range: &Range<usize>) -> Vec<(Rect, usize)> {
    let mut out = Vec::new();
    if range.end < d.range.start || range.start > d.range.end {
        return out;
    }
    let mut base = d.range.start;
    for (ri, row) in d.galley.rows.iter().enumerate() {
        let n = row.char_count_excluding_newline().0;
        let (a, b) = (range.start.max(base), range.end.min(base + n));
        let hit = if range.is_empty() {
            range.start >= base && range.start <= base + n
        } else {
            a < b
        };
        if hit {
            let xa = row.x_offset(egui::text::CharIndex(a - base));
            let xb = row.x_offset(egui::text::CharIndex(b.max(a) - base));
            let r = row.rect().translate(d.origin.to_vec2());
            out.push((
                Rect::from_x_y_ranges(r.min.x + xa..=r.min.x + xb.max(xa), r.y_range()),
                ri,
            ));
            if range.is_empty() {
                break;
            }
        }
        base += n;
    }
    out
}

/// `s` cut to `n` characters with an ellipsis.
pub fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out.replace('\n', " ")
}
