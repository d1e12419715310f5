//! `suggest`: print, apply or cross-validate the suggesters (numbers, gazetteer, model).

use super::Outcome;
use super::project_cmds::load;
use anyhow::{Context, bail};
use clap::Args;
use spantag_core::listing::capped_lines;
use spantag_core::model::Document;
use spantag_core::project_io;
use spantag_core::read::read_bounded;
use spantag_core::suggest::evaluate::{Evaluation, evaluate};
use spantag_core::suggest::gazetteer::parse_patterns;
use spantag_core::suggest::{Options, SuggesterKind, Suggesters, Suggestion, apply_edits};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The largest pattern file read.
const MAX_PATTERN_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The project file.
    pub project: PathBuf,
    /// Only this document.
    #[arg(long, value_name = "ID", conflicts_with = "evaluate")]
    pub doc: Option<String>,
    /// The suggesters to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_name = "gazetteer,numbers,model")]
    pub suggesters: Option<Vec<String>>,
    /// Leave out suggestions scored below X (0 to 1; default 0.5).
    #[arg(long, value_name = "X")]
    pub min_score: Option<f64>,
    /// Gazetteer entries to add: Prodigy patterns.jsonl (phrase patterns, token patterns with
    /// orth/text/lower) or text<TAB>LABEL lines. May be given more than once.
    #[arg(long, value_name = "FILE")]
    pub patterns: Vec<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Add the suggestions to the project as pending spans (author and proposed_by name the
    /// suggester, e.g. suggest:gazetteer); needs --min-score.
    #[arg(long, requires = "min_score", conflicts_with = "evaluate")]
    pub apply: bool,
    /// Cross-validate the suggesters over the project's annotated documents and print
    /// precision, recall and F1 per suggester and label.
    #[arg(long)]
    pub evaluate: bool,
    /// With --evaluate: the number of folds.
    #[arg(long, value_name = "K", default_value_t = 5, requires = "evaluate")]
    pub folds: usize,
}

fn kinds(names: &Option<Vec<String>>) -> anyhow::Result<Vec<SuggesterKind>> {
    let Some(names) = names else {
        return Ok(SuggesterKind::ALL.to_vec());
    };
    let mut out = Vec::new();
    for n in names.iter().filter(|n| !n.trim().is_empty()) {
        let k = SuggesterKind::from_name(n)
            .with_context(|| format!("unknown suggester {n:?}: use gazetteer, numbers or model"))?;
        if !out.contains(&k) {
            out.push(k);
        }
    }
    if out.is_empty() {
        bail!("--suggesters names none: use gazetteer, numbers or model");
    }
    Ok(out)
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"))
}

pub fn suggest(a: &SuggestArgs) -> anyhow::Result<Outcome> {
    let min_score = a.min_score.unwrap_or(0.5);
    if !(0.0..=1.0).contains(&min_score) {
        bail!("--min-score must be between 0 and 1, not {min_score}");
    }
    let kinds = kinds(&a.suggesters)?;
    let mut project = load(&a.project)?;
    let labels: Vec<String> = project.labels.iter().map(|l| l.name.clone()).collect();
    let mut patterns = Vec::new();
    let mut problems = Vec::new();
    for file in &a.patterns {
        let bytes = read_bounded(file, MAX_PATTERN_BYTES)
            .with_context(|| format!("reading {}", file.display()))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| anyhow::anyhow!("{} is not UTF-8: {e}", file.display()))?;
        let (p, bad) = parse_patterns(&text, &labels);
        if p.is_empty() && !bad.is_empty() {
            bail!(
                "{}: no pattern could be read ({})",
                file.display(),
                bad.first().map_or("", String::as_str)
            );
        }
        patterns.extend(p);
        problems.extend(bad.into_iter().map(|b| format!("{}: {b}", file.display())));
    }
    for line in capped_lines(&problems) {
        eprintln!("warning: not used: {line}");
    }
    let options = Options { kinds, patterns };
    let problems_found = if problems.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    };

    if a.evaluate {
        let ev = evaluate(&project, &options, a.folds, min_score)?;
        print_evaluation(&ev, a.json)?;
        return Ok(problems_found);
    }

    let docs: Vec<&Document> = match &a.doc {
        Some(id) => vec![
            project
                .doc(id)
                .with_context(|| format!("no document {id:?} in {}", a.project.display()))?,
        ],
        None => project.documents.iter().map(|d| d.as_ref()).collect(),
    };
    let suggesters = Suggesters::train(&project, &options);
    let suggestions: Vec<Suggestion> = docs
        .iter()
        .flat_map(|d| suggesters.suggest(&project, d, min_score))
        .collect();
    let texts: Vec<String> = suggestions
        .iter()
        .map(|s| {
            project
                .doc(&s.doc)
                .and_then(|d| d.slice(s.start, s.end))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &suggestions {
        *by_kind.entry(s.suggester.name()).or_default() += 1;
    }
    let counts = by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");

    if a.apply {
        let edits = apply_edits(&project, &suggestions)?;
        let added = edits.len();
        if added > 0 {
            project.apply_all(edits)?;
            project_io::save(&project, &a.project)?;
        }
        let report = || {
            if a.json {
                outln!(
                    "{}",
                    serde_json::json!({ "added": added, "by_suggester": by_kind })
                );
            } else {
                outln!(
                    "added {added} pending span(s) to {} ({}) with score at least {min_score}",
                    a.project.display(),
                    if counts.is_empty() { "none" } else { &counts }
                );
            }
            Ok(())
        };
        if added > 0 {
            super::report_after_save(&a.project, report)?;
        } else {
            report()?;
        }
        return Ok(problems_found);
    }

    if a.json {
        let items: Vec<serde_json::Value> = suggestions
            .iter()
            .zip(&texts)
            .map(|(s, text)| {
                serde_json::json!({
                    "doc": s.doc, "start": s.start, "end": s.end, "label": s.label,
                    "text": text, "score": s.score, "suggester": s.suggester.name(),
                    "reason": s.reason,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "suggestions": items }))?
        );
    } else {
        for (s, text) in suggestions.iter().zip(&texts) {
            outln!(
                "{}\t{}-{}\t{}\t{:.2}\t{}\t{:?}\t{}",
                s.doc,
                s.start,
                s.end,
                s.label,
                s.score,
                s.suggester.name(),
                text,
                s.reason
            );
        }
        outln!(
            "{} suggestion(s) in {} document(s){}",
            suggestions.len(),
            docs.len(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(": {counts}")
            }
        );
    }
    Ok(problems_found)
}

fn print_evaluation(ev: &Evaluation, json: bool) -> anyhow::Result<()> {
    if json {
        outln!("{}", serde_json::to_string_pretty(ev)?);
        return Ok(());
    }
    outln!(
        "{}-fold cross-validation over {} annotated document(s), {} span(s); suggestions scored at least {}",
        ev.folds,
        ev.documents,
        ev.spans,
        ev.min_score
    );
    outln!(
        "{:<10} {:<14} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}",
        "suggester",
        "label",
        "precision",
        "recall",
        "F1",
        "tp",
        "fp",
        "fn"
    );
    for r in &ev.rows {
        outln!(
            "{:<10} {:<14} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}",
            r.suggester,
            r.label,
            fmt_opt(r.precision),
            fmt_opt(r.recall),
            fmt_opt(r.f1),
            r.true_positives,
            r.false_positives,
            r.false_negatives
        );
    }
    Ok(())
}
