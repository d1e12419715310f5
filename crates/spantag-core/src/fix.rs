//! Repairs for projects that load but break a rule spantag keeps whenever it makes a span: a span
//! never begins or ends in whitespace. Projects from older versions and from other tools hold
//! such spans, so loading accepts them (the app has to open a project to fix it);
//! `spantag validate` reports them ([`whitespace_edged`]) and `spantag fix` trims them
//! ([`plan_trim`]).
//!
//! Whitespace is counted in grapheme clusters, as the app's selection does
//! ([`crate::movement::trim_to_text`]): a cluster is whitespace when its first or last character
//! is, so a space with a combining mark on it goes with the space.

use crate::edit::Edit;
use crate::model::{Document, EditError, Project, Span, SpanId};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

/// A span that begins or ends in whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edged {
    /// The document's id.
    pub doc: String,
    pub span: SpanId,
    pub label: String,
    /// The span's range and covered text.
    pub range: Range<usize>,
    pub text: String,
    /// The range without the whitespace at its ends; `None` when the span is only whitespace.
    pub trimmed: Option<Range<usize>>,
}

impl fmt::Display for Edged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.trimmed {
            None => "is only whitespace",
            Some(t) if t.start > self.range.start && t.end < self.range.end => {
                "begins and ends with whitespace"
            }
            Some(t) if t.start > self.range.start => "begins with whitespace",
            Some(_) => "ends with whitespace",
        };
        write!(
            f,
            "{} span {}..{} {:?} {what} (`spantag fix` trims it)",
            self.label, self.range.start, self.range.end, self.text
        )
    }
}

/// The code points of `text` left after removing whitespace clusters from both ends (`None` when
/// nothing is left).
fn trim_range(text: &str) -> Option<Range<usize>> {
    let r = crate::movement::trim_bytes(text, 0, text.len())?;
    let start = text[..r.start].chars().count();
    Some(start..start + text[r].chars().count())
}

/// The spans of `d` that begin or end in whitespace, in span order.
fn edged_in(d: &Document) -> impl Iterator<Item = Edged> + '_ {
    d.spans.iter().filter_map(|s: &Span| {
        if s.text.is_empty() {
            return None;
        }
        let trimmed = trim_range(&s.text);
        if trimmed == Some(0..s.text.chars().count()) {
            return None;
        }
        Some(Edged {
            doc: d.id.clone(),
            span: s.id,
            label: s.label.clone(),
            range: s.start..s.end,
            text: s.text.clone(),
            trimmed: trimmed.map(|r| s.start + r.start..s.start + r.end),
        })
    })
}

/// Every span of the project that begins or ends in whitespace, in document and span order.
pub fn whitespace_edged(project: &Project) -> Vec<Edged> {
    let mut found = Vec::new();
    for d in &project.documents {
        found.extend(edged_in(d));
    }
    found
}

/// What trimming does to one span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrimOutcome {
    /// The span now covers `range` (`text`).
    Trimmed { range: Range<usize>, text: String },
    /// The span was only whitespace: removed.
    RemovedBlank,
    /// Trimmed to `range` it would be the same span (range and label) as span `of`: removed.
    RemovedDuplicate { range: Range<usize>, of: SpanId },
}

/// One span that trimming changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrimChange {
    /// The span as it was.
    pub before: Edged,
    pub outcome: TrimOutcome,
}

impl fmt::Display for TrimChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.before;
        write!(
            f,
            "document {:?}: span {} ({}): {}..{} {:?} ",
            b.doc, b.span, b.label, b.range.start, b.range.end, b.text
        )?;
        match &self.outcome {
            TrimOutcome::Trimmed { range, text } => {
                write!(f, "→ {}..{} {text:?}", range.start, range.end)
            }
            TrimOutcome::RemovedBlank => write!(f, "removed: it is only whitespace"),
            TrimOutcome::RemovedDuplicate { range, of } => write!(
                f,
                "removed: trimmed to {}..{}, it would be the same {} span as span {of}",
                range.start, range.end, b.label
            ),
        }
    }
}

/// How to trim every whitespace-edged span: the changes (for the report) and the edits that make
/// them (apply them together with [`Project::apply_all`]).
#[derive(Debug, Clone, Default)]
pub struct TrimPlan {
    pub changes: Vec<TrimChange>,
    pub edits: Vec<Edit>,
}

impl TrimPlan {
    /// Whether there is nothing to trim.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many spans are trimmed, removed as whitespace only, and removed as duplicates.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut n = (0, 0, 0);
        for c in &self.changes {
            match c.outcome {
                TrimOutcome::Trimmed { .. } => n.0 += 1,
                TrimOutcome::RemovedBlank => n.1 += 1,
                TrimOutcome::RemovedDuplicate { .. } => n.2 += 1,
            }
        }
        n
    }
}

/// Plans trimming every span that begins or ends in whitespace to its text. A span that is only
/// whitespace is removed, and so is one that trimmed would be an exact duplicate (same range and
/// label) of another span: of a span that needs no trimming, or of an earlier trimmed one. Review
/// status, notes and authors of the trimmed spans stay as they were. Nothing is changed here.
pub fn plan_trim(project: &Project) -> TrimPlan {
    let mut plan = TrimPlan::default();
    let mut resizes = Vec::new();
    for d in &project.documents {
        let edged: Vec<Edged> = edged_in(d).collect();
        if edged.is_empty() {
            continue;
        }
        let ids: HashSet<SpanId> = edged.iter().map(|e| e.span).collect();
        let mut taken: HashMap<(usize, usize, &str), SpanId> = d
            .spans
            .iter()
            .filter(|s| !ids.contains(&s.id))
            .map(|s| ((s.start, s.end, s.label.as_str()), s.id))
            .collect();
        for e in edged {
            let outcome = match &e.trimmed {
                None => TrimOutcome::RemovedBlank,
                Some(r) => {
                    let Some(s) = d.span(e.span) else { continue };
                    match taken.get(&(r.start, r.end, s.label.as_str())) {
                        Some(&of) => TrimOutcome::RemovedDuplicate {
                            range: r.clone(),
                            of,
                        },
                        None => {
                            taken.insert((r.start, r.end, s.label.as_str()), e.span);
                            TrimOutcome::Trimmed {
                                range: r.clone(),
                                text: d.slice(r.start, r.end).unwrap_or_default().to_owned(),
                            }
                        }
                    }
                }
            };
            match &outcome {
                TrimOutcome::Trimmed { range, .. } => resizes.push(Edit::Resize {
                    doc: d.id.clone(),
                    span: e.span,
                    start: range.start,
                    end: range.end,
                }),
                _ => plan.edits.push(Edit::RemoveSpan {
                    doc: d.id.clone(),
                    span: e.span,
                }),
            }
            plan.changes.push(TrimChange { before: e, outcome });
        }
    }
    // Removals first, so that no resize meets a span that is about to go.
    plan.edits.extend(resizes);
    plan
}

/// Trims every span that begins or ends in whitespace ([`plan_trim`]) as one change: all or
/// nothing. Returns what changed.
pub fn trim_whitespace_edges(project: &mut Project) -> Result<Vec<TrimChange>, EditError> {
    let plan = plan_trim(project);
    project.apply_all(plan.edits)?;
    Ok(plan.changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::project_from_markup;
    use crate::time::Timestamp;

    fn project(docs: &[(&str, &str)]) -> Project {
        project_from_markup("p", docs, "ana", Timestamp(0)).expect("markup")
    }

    fn texts(p: &Project, doc: &str) -> Vec<(String, usize, usize, String)> {
        p.doc(doc)
            .expect("doc")
            .spans
            .iter()
            .map(|s| (s.label.clone(), s.start, s.end, s.text.clone()))
            .collect()
    }

    #[test]
    fn spans_that_begin_or_end_in_whitespace_are_found() {
        let p = project(&[
            (
                "clean",
                "[actor Zoë] met [place 東京] 🇯🇵 and [actor e\u{301}mile]",
            ),
            (
                "edged",
                "[actor  Zoë] met [place 東京\u{a0}] and [number \n42\t] [claim  ]",
            ),
        ]);
        let found = whitespace_edged(&p);
        let summary: Vec<(String, String, Option<Range<usize>>)> = found
            .iter()
            .map(|e| (e.doc.clone(), e.text.clone(), e.trimmed.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("edged".into(), " Zoë".into(), Some(1..4)),
                ("edged".into(), "東京\u{a0}".into(), Some(9..11)),
                ("edged".into(), "\n42\t".into(), Some(18..20)),
                ("edged".into(), " ".into(), None),
            ]
        );
        let said: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(said[0].contains("begins with whitespace"), "{said:?}");
        assert!(said[1].contains("ends with whitespace"), "{said:?}");
        assert!(
            said[2].contains("begins and ends with whitespace"),
            "{said:?}"
        );
        assert!(said[3].contains("is only whitespace"), "{said:?}");
    }

    #[test]
    fn a_space_with_a_combining_mark_counts_as_whitespace() {
        // " \u{301}" is one grapheme cluster that starts with a space: the app's selection never
        // keeps it at an edge, so neither does fix.
        let p = project(&[("d", "x[actor  \u{301}Zoë 👩\u{200d}👩\u{200d}👧] y")]);
        let plan = plan_trim(&p);
        assert_eq!(plan.changes.len(), 1);
        assert_eq!(
            plan.changes[0].outcome,
            TrimOutcome::Trimmed {
                range: 3..12,
                text: "Zoë 👩\u{200d}👩\u{200d}👧".into()
            }
        );
    }

    #[test]
    fn trimming_removes_blank_spans_and_spans_that_become_duplicates() {
        let mut p = project(&[
            (
                "d",
                // " Zoë" trims onto the existing "Zoë"; " Tōkyō " and " Tōkyō" both trim to the
                // same range: the first (the longer) is kept, the second removed.
                "[actor  [actor Zoë]] in [place [place  Tōkyō] ][place  ] ok",
            ),
            ("e", "[claim  Привет, мир! ] [actor ١٢٣]"),
        ]);
        let before = p.clone();
        let plan = plan_trim(&p);
        assert_eq!(plan.counts(), (2, 1, 2), "{:#?}", plan.changes);
        let report: Vec<String> = plan.changes.iter().map(ToString::to_string).collect();
        assert!(
            report
                .iter()
                .any(|l| l.contains("removed: it is only whitespace")),
            "{report:#?}"
        );
        assert!(
            report
                .iter()
                .any(|l| l.contains("it would be the same actor span as span")),
            "{report:#?}"
        );
        assert!(
            report
                .iter()
                .any(|l| l.contains(r#"→ 1..13 "Привет, мир!""#)),
            "{report:#?}"
        );
        let changes = trim_whitespace_edges(&mut p).expect("applies");
        assert_eq!(changes, plan.changes);
        assert!(whitespace_edged(&p).is_empty());
        assert!(crate::project_io::validate(&p).is_empty());
        assert_eq!(
            texts(&p, "d"),
            [
                ("actor".into(), 1, 4, "Zoë".into()),
                ("place".into(), 9, 14, "Tōkyō".into()),
            ]
        );
        assert_eq!(
            texts(&p, "e"),
            [
                ("claim".into(), 1, 13, "Привет, мир!".into()),
                ("actor".into(), 15, 18, "١٢٣".into()),
            ]
        );
        // The document texts, the kept spans' ids and authors are untouched.
        for (a, b) in p.documents.iter().zip(&before.documents) {
            assert_eq!(a.text, b.text);
        }
        assert!(trim_whitespace_edges(&mut p).expect("applies").is_empty());
    }
}
