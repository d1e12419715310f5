//! `merge` (and the loading shared with `agree`).

use super::Outcome;
use super::project_cmds::load;
use crate::model::Project;
use crate::project_io;
use crate::review::compare::{Annotator, annotator_name};
use crate::review::merge::{Strategy, merge as merge_projects};
use crate::time::Timestamp;
use anyhow::bail;
use clap::Args;
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
    #[arg(long, value_enum, default_value_t = Strategy::Majority)]
    pub strategy: Strategy,
    /// Overwrite an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Name recorded as the reviewer of accepted spans.
    #[arg(long, default_value = "spantag merge")]
    pub reviewer: String,
}

/// Loads projects and names each one's annotator (its only author, else its file name).
pub fn load_annotators(paths: &[PathBuf]) -> anyhow::Result<(Vec<Project>, Vec<String>)> {
    let mut projects = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for p in paths {
        let project = load(p)?;
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string());
        let mut name = annotator_name(&project, &stem);
        if names.contains(&name) {
            name = format!("{name} ({stem})");
        }
        names.push(name);
        projects.push(project);
    }
    Ok((projects, names))
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
    let (mut gold, summary) = merge_projects(
        &annotators(&projects, &names),
        a.strategy,
        &name,
        &a.reviewer,
        Timestamp::now(),
    );
    project_io::save(&mut gold, &a.out)?;
    println!(
        "merged {} ({}) with strategy {} into {}",
        names.len(),
        names.join(", "),
        a.strategy.name(),
        a.out.display()
    );
    println!(
        "{} documents ({} not in every project), {} spans accepted, {} pending in {} conflict-queue decisions",
        summary.documents,
        summary.partial_documents,
        summary.accepted,
        summary.pending,
        summary.unresolved
    );
    Ok(Outcome::Ok)
}
