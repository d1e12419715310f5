//! Project statistics: documents, spans per label, annotator, status and document; relations per
//! type and claims without a source.

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
    pub relations: usize,
    /// Relations per type; every relation type of the project is listed, also with 0.
    pub relation_types: BTreeMap<String, usize>,
    /// Claims without a source: spans the `source` relation type allows as its head that are
    /// the head of no `source` relation (rejected ones left out); 0 without a `source` type.
    pub claims_without_source: usize,
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
    pub relations: usize,
    pub claims_without_source: usize,
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
            relations: 0,
            relation_types: project
                .relation_types
                .iter()
                .map(|t| (t.name.clone(), 0))
                .collect(),
            claims_without_source: 0,
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
            for r in &d.relations {
                *stats.relation_types.entry(r.kind.clone()).or_default() += 1;
            }
            let unsourced = crate::review::queue::unsourced_claims(project, d).len();
            stats.spans += d.spans.len();
            stats.relations += d.relations.len();
            stats.claims_without_source += unsourced;
            stats.per_document.push(DocStats {
                id: d.id.clone(),
                title: d.title.clone(),
                state,
                characters: d.len_chars(),
                spans: d.spans.len(),
                labels,
                relations: d.relations.len(),
                claims_without_source: unsourced,
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
        let _ = writeln!(out, "relations {}", self.relations);
        let _ = writeln!(
            out,
            "claims without a source {}",
            self.claims_without_source
        );
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
        section(
            &mut out,
            "relations per type",
            &mut self.relation_types.iter().map(|(k, v)| (k.clone(), *v)),
        );
        let _ = writeln!(out, "\nper document");
        for d in &self.per_document {
            let labels: Vec<String> = d.labels.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(
                out,
                "  {:<28} {:<12} {:>6} spans  ({}) {:>5} relations {:>5} claims without a source",
                d.id,
                d.state,
                d.spans,
                labels.join(", "),
                d.relations,
                d.claims_without_source
            );
        }
        out
    }
}
