//! Project statistics: documents, spans per label, annotator, status and document.

use crate::model::{DocState, Project};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Counts over a whole project (the `spantag stats --json` output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub project: String,
    pub documents: usize,
    pub spans: usize,
    /// Documents per state: `untouched`, `in_progress`, `done`.
    pub states: BTreeMap<&'static str, usize>,
    /// Spans per label; every label of the set is listed, also with 0.
    pub labels: BTreeMap<String, usize>,
    /// Spans per author.
    pub annotators: BTreeMap<String, usize>,
    /// Spans per review status.
    pub statuses: BTreeMap<&'static str, usize>,
    pub per_document: Vec<DocStats>,
}

/// Counts for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocStats {
    pub id: String,
    pub title: String,
    pub state: &'static str,
    pub characters: usize,
    pub spans: usize,
    pub labels: BTreeMap<String, usize>,
}

fn state_name(s: DocState) -> &'static str {
    match s {
        DocState::Untouched => "untouched",
        DocState::InProgress => "in_progress",
        DocState::Done => "done",
    }
}

impl Stats {
    /// Counts everything in `project`.
    pub fn of(project: &Project) -> Stats {
        let zero_labels: BTreeMap<String, usize> =
            project.labels.iter().map(|l| (l.name.clone(), 0)).collect();
        let mut stats = Stats {
            project: project.name.clone(),
            documents: project.documents.len(),
            spans: 0,
            states: ["untouched", "in_progress", "done"]
                .into_iter()
                .map(|s| (s, 0))
                .collect(),
            labels: zero_labels.clone(),
            annotators: BTreeMap::new(),
            statuses: crate::model::Status::ALL
                .into_iter()
                .map(|s| (s.name(), 0))
                .collect(),
            per_document: Vec::new(),
        };
        for d in &project.documents {
            let state = state_name(d.state());
            *stats.states.entry(state).or_default() += 1;
            let mut labels = zero_labels.clone();
            for s in &d.spans {
                *labels.entry(s.label.clone()).or_default() += 1;
                *stats.labels.entry(s.label.clone()).or_default() += 1;
                *stats.annotators.entry(s.author.clone()).or_default() += 1;
                *stats.statuses.entry(s.status.name()).or_default() += 1;
            }
            stats.spans += d.spans.len();
            stats.per_document.push(DocStats {
                id: d.id.clone(),
                title: d.title.clone(),
                state,
                characters: d.len_chars(),
                spans: d.spans.len(),
                labels,
            });
        }
        stats
    }

    /// A plain-text report for terminals.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "project   {}", self.project);
        let _ = writeln!(
            out,
            "documents {} ({} untouched, {} in progress, {} done)",
            self.documents,
            self.states.get("untouched").unwrap_or(&0),
            self.states.get("in_progress").unwrap_or(&0),
            self.states.get("done").unwrap_or(&0)
        );
        let _ = writeln!(out, "spans     {}", self.spans);
        let section =
            |out: &mut String, title: &str, map: &mut dyn Iterator<Item = (String, usize)>| {
                let _ = writeln!(out, "\n{title}");
                for (k, v) in map {
                    let _ = writeln!(out, "  {k:<24} {v:>8}");
                }
            };
        section(
            &mut out,
            "spans per label",
            &mut self.labels.iter().map(|(k, v)| (k.clone(), *v)),
        );
        section(
            &mut out,
            "spans per annotator",
            &mut self.annotators.iter().map(|(k, v)| (k.clone(), *v)),
        );
        section(
            &mut out,
            "spans per review status",
            &mut self.statuses.iter().map(|(k, v)| ((*k).to_owned(), *v)),
        );
        let _ = writeln!(out, "\nper document");
        for d in &self.per_document {
            let labels: Vec<String> = d.labels.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(
                out,
                "  {:<28} {:<12} {:>6} spans  ({})",
                d.id,
                d.state,
                d.spans,
                labels.join(", ")
            );
        }
        out
    }
}
