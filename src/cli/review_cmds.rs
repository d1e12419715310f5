//! `merge` and `agree`.

use super::Outcome;
use super::project_cmds::load;
use anyhow::bail;
use clap::Args;
use spantag_core::model::Project;
use spantag_core::project_io;
use spantag_core::review::agreement::{agreement, entity_labels_of};
use spantag_core::review::compare::{Annotator, annotator_names};
use spantag_core::review::merge::{Strategy, merge as merge_projects};
use spantag_core::review::metrics::Figure;
use spantag_core::time::Timestamp;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Two or more annotators' projects over the same articles.
    #[arg(required = true, num_args = 2..)]
    pub projects: Vec<PathBuf>,
    /// The gold project to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Which spans are accepted outright; the rest stay pending for the conflict queue.
    #[arg(long, value_name = "majority|union|intersection", default_value = "majority", value_parser = parse_strategy)]
    pub strategy: Strategy,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Name recorded as the reviewer of accepted spans.
    #[arg(long, default_value = "spantag merge")]
    pub reviewer: String,
}

pub(crate) fn parse_strategy(s: &str) -> Result<Strategy, String> {
    s.parse()
        .map_err(|_| format!("unknown strategy {s:?}: use majority, union or intersection"))
}

/// Loads projects and names each one's annotator (its only author, else its file name).
pub fn load_annotators(paths: &[PathBuf]) -> anyhow::Result<(Vec<Project>, Vec<String>)> {
    let projects = paths
        .iter()
        .map(|p| load(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let stems: Vec<String> = paths.iter().map(|p| file_stem(p)).collect();
    let refs: Vec<&Project> = projects.iter().collect();
    let names = annotator_names(&refs, &stems);
    Ok((projects, names))
}

/// A path's file name without extension (the whole path if it has none).
pub fn file_stem(p: &std::path::Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub fn annotators<'a>(projects: &'a [Project], names: &'a [String]) -> Vec<Annotator<'a>> {
    projects
        .iter()
        .zip(names)
        .map(|(project, name)| Annotator { name, project })
        .collect()
}

pub fn merge(a: &MergeArgs) -> anyhow::Result<Outcome> {
    if a.out.exists() && !a.force {
        bail!(
            "{} already exists (use --force to overwrite it)",
            a.out.display()
        );
    }
    if a.projects.iter().any(|p| p == &a.out) {
        bail!("the output must not be one of the input projects");
    }
    let (projects, names) = load_annotators(&a.projects)?;
    let name = a
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gold".into());
    let (gold, summary) = merge_projects(
        &annotators(&projects, &names),
        a.strategy,
        &name,
        &a.reviewer,
        Timestamp::now(),
    );
    project_io::save(&gold, &a.out)?;
    super::report_after_save(&a.out, || {
        outln!(
            "merged {} ({}) with strategy {} into {}",
            names.len(),
            names.join(", "),
            a.strategy.name(),
            a.out.display()
        );
        outln!(
            "{} documents ({} not in every project), {} spans accepted, {} pending, {} relations accepted, {} pending, in {} conflict-queue decisions",
            summary.documents,
            summary.partial_documents,
            summary.accepted,
            summary.pending,
            summary.relations_accepted,
            summary.relations_pending,
            summary.unresolved
        );
        Ok(())
    })?;
    Ok(Outcome::Ok)
}

#[derive(Debug, Args)]
pub struct AgreeArgs {
    /// Two or more annotators' projects over the same articles.
    #[arg(required = true, num_args = 2..)]
    pub projects: Vec<PathBuf>,
    /// Print the full report as JSON (fields documented in the README, "Agreement").
    #[arg(long)]
    pub json: bool,
    /// The labels of the entity layer, comma-separated (every other label forms the claim
    /// layer). Default: every label of the projects that is not claim-, quote- or sentence-like.
    #[arg(long, value_delimiter = ',', value_name = "LABEL,...")]
    pub entity_labels: Option<Vec<String>>,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "undefined".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn fig(f: &Figure) -> String {
    match f.value() {
        Some(v) => format!("{v:.3}"),
        None => format!("undefined ({})", f.reason().unwrap_or("no data")),
    }
}

pub fn agree(a: &AgreeArgs) -> anyhow::Result<Outcome> {
    let (projects, names) = load_annotators(&a.projects)?;
    let anns = annotators(&projects, &names);
    let entity: Vec<String> = match &a.entity_labels {
        Some(given) => given
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => entity_labels_of(&anns),
    };
    let entity: Vec<&str> = entity.iter().map(String::as_str).collect();
    let r = agreement(&anns, &entity);
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(Outcome::Ok);
    }
    outln!("annotators: {}", names.join(", "));
    outln!(
        "{} shared documents ({} skipped: not in every project)",
        r.shared_documents,
        r.skipped_documents
    );
    for (title, rep) in [
        ("span level, exact match", &r.exact),
        ("span level, overlap match", &r.overlap),
        (
            "relation level, exact match (same type, both spans equal)",
            &r.relations.exact,
        ),
        (
            "relation level, lenient match (same type, both spans overlap)",
            &r.relations.lenient,
        ),
    ] {
        outln!();
        outln!("{title}");
        for p in &rep.pairs {
            outln!(
                "  {} vs {}:  P {}  R {}  F1 {}",
                names[p.a],
                names[p.b],
                pct(p.report.micro.precision),
                pct(p.report.micro.recall),
                pct(p.report.micro.f1)
            );
            for (label, s) in &p.report.per_label {
                outln!(
                    "    {label:<12} tp {:>6} fp {:>6} fn {:>6}  F1 {}",
                    s.tp,
                    s.fp,
                    s.fn_,
                    pct(s.f1)
                );
            }
        }
        if rep.pairs.len() > 1 {
            outln!(
                "  mean of {} pairs:  P {}  R {}  F1 {}",
                rep.mean.pairs,
                pct(rep.mean.precision),
                pct(rep.mean.recall),
                pct(rep.mean.f1)
            );
        }
    }
    outln!();
    outln!("token level");
    for l in &r.layers {
        let kappa = if names.len() == 2 {
            &l.agreement.cohen_kappa
        } else {
            &l.agreement.mean_pairwise_cohen_kappa
        };
        outln!(
            "  {:<9} tokens {:>8}  Cohen's kappa {}  Fleiss' kappa {}  Krippendorff's alpha {}",
            l.layer,
            l.agreement.items,
            fig(kappa),
            fig(&l.agreement.fleiss_kappa),
            fig(&l.agreement.krippendorff_alpha)
        );
    }
    for c in &r.confusion {
        outln!();
        outln!(
            "confusion over overlapping spans (rows {}, columns {})",
            names[c.a],
            names[c.b]
        );
        let cols = &c.matrix.labels_b;
        let mut head = format!("  {:<12}", "");
        for col in cols {
            head.push_str(&format!(" {col:>10}"));
        }
        outln!("{head}");
        for row in &c.matrix.labels_a {
            let mut line = format!("  {row:<12}");
            for col in cols {
                let n = c
                    .matrix
                    .counts
                    .get(row)
                    .and_then(|r| r.get(col))
                    .copied()
                    .unwrap_or(0);
                line.push_str(&format!(" {n:>10}"));
            }
            outln!("{line}");
        }
    }
    outln!();
    outln!("documents, worst first (exact F1, overlap F1, entity kappa, relation F1)");
    for d in r.documents.iter().take(20) {
        outln!(
            "  {:<24} {:>10} {:>10} {:>10} {:>10}  {}",
            d.id,
            pct(d.exact_f1),
            pct(d.overlap_f1),
            d.entity_kappa
                .value()
                .map_or_else(|| "undefined".to_owned(), |v| format!("{v:.3}")),
            pct(d.relation_f1),
            d.title
        );
    }
    if r.documents.len() > 20 {
        outln!("  ... {} more (use --json for all)", r.documents.len() - 20);
    }
    Ok(Outcome::Ok)
}
