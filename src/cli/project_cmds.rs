//! `new`, `add`, `validate`, `stats` and `show`.

use super::Outcome;
use anyhow::{Context, bail};
use clap::Args;
use spantag_core::edit::Edit;
use spantag_core::import::{self, ImportOptions};
use spantag_core::model::{DEFAULT_LABELS, Project};
use spantag_core::project_io::{self, ProjectError};
use spantag_core::stats::Stats;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The project file to create.
    pub project: PathBuf,
    /// Project name (default: the file name).
    #[arg(long)]
    pub name: Option<String>,
    /// Comma-separated label names, in hotkey order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "actor,place,number,claim"
    )]
    pub labels: Vec<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The project file.
    pub project: PathBuf,
    /// Article files (.txt, .md) or folders of them.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Largest file accepted, in bytes.
    #[arg(long, default_value_t = import::DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
}

#[derive(Debug, Args)]
pub struct ProjectArg {
    /// The project file.
    pub project: PathBuf,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The project file.
    pub project: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The project file.
    pub project: PathBuf,
    /// Only this document.
    #[arg(long)]
    pub doc: Option<String>,
}

pub fn new(a: &NewArgs) -> anyhow::Result<Outcome> {
    if a.project.exists() && !a.force {
        bail!(
            "{} already exists (use --force to overwrite it)",
            a.project.display()
        );
    }
    let labels: Vec<&str> = a
        .labels
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    let labels = if labels.is_empty() {
        DEFAULT_LABELS.to_vec()
    } else {
        labels
    };
    let name = a.name.clone().unwrap_or_else(|| {
        a.project
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Untitled".into())
    });
    let mut project = Project::new(name, &[]);
    for (i, l) in labels.iter().enumerate() {
        project
            .apply(Edit::AddLabel {
                index: i,
                label: spantag_core::model::Label::with_defaults(l, i),
            })
            .with_context(|| format!("label {l:?}"))?;
    }
    project_io::save(&project, &a.project)?;
    outln!(
        "created {} with labels {}",
        a.project.display(),
        labels.join(", ")
    );
    Ok(Outcome::Ok)
}

/// Loads a project, with an error that says how to create one when the file is missing.
pub fn load(path: &Path) -> anyhow::Result<Project> {
    match project_io::load(path) {
        Err(ProjectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "{} does not exist (create it with `spantag new {}`)",
                path.display(),
                path.display()
            )
        }
        other => Ok(other?),
    }
}

/// The article files named by `paths`, with folders expanded to their .txt/.md files (sorted).
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.extension()
                            .is_some_and(|e| matches!(e.to_string_lossy().as_ref(), "txt" | "md"))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn add(a: &AddArgs) -> anyhow::Result<Outcome> {
    let mut project = load(&a.project)?;
    let options = ImportOptions {
        max_bytes: a.max_bytes,
    };
    let files = expand(&a.files)?;
    // Read everything first: if any file fails, nothing is added.
    let mut decoded = Vec::new();
    let mut errors = Vec::new();
    for f in &files {
        match import::read_article(f, &options) {
            Ok(d) => decoded.push((f, d)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        bail!(
            "{} of {} file(s) could not be imported; nothing was added to {}",
            errors.len(),
            files.len(),
            a.project.display()
        );
    }
    let mut outcome = Outcome::Ok;
    let mut added = 0;
    // Printed after saving, so that a closed output pipe cannot stop the save.
    let mut report = Vec::new();
    for (f, d) in decoded {
        let how = d.describe();
        let doc = import::make_document(&project, f, d);
        if let Some(existing) = project
            .documents
            .iter()
            .find(|x| x.source.hash == doc.source.hash)
        {
            report.push(format!(
                "skipped {}: same text as document {:?} already in the project",
                f.display(),
                existing.id
            ));
            outcome = Outcome::Problems;
            continue;
        }
        let id = doc.id.clone();
        let chars = doc.len_chars();
        project.apply(Edit::AddDocument {
            index: usize::MAX,
            document: Box::new(doc),
        })?;
        report.push(format!(
            "added {} as {id:?}: {chars} characters, {how}",
            f.display()
        ));
        added += 1;
    }
    if added > 0 {
        project_io::save(&project, &a.project)?;
    }
    for line in report {
        outln!("{line}");
    }
    outln!(
        "{added} document(s) added; {} now has {} document(s)",
        a.project.display(),
        project.documents.len()
    );
    Ok(outcome)
}

pub fn validate(a: &ProjectArg) -> anyhow::Result<Outcome> {
    match project_io::load(&a.project) {
        Ok(p) => {
            outln!(
                "{}: ok ({} documents, {} spans, schema version {})",
                a.project.display(),
                p.documents.len(),
                p.span_count(),
                p.schema_version
            );
            Ok(Outcome::Ok)
        }
        Err(e @ (ProjectError::Invalid { .. } | ProjectError::Syntax { .. })) => {
            outln!("{e}");
            Ok(Outcome::Problems)
        }
        Err(e) => Err(e.into()),
    }
}

pub fn stats(a: &StatsArgs) -> anyhow::Result<Outcome> {
    let project = load(&a.project)?;
    let stats = Stats::of(&project);
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        out!("{}", stats.to_text());
    }
    Ok(Outcome::Ok)
}

pub fn show(a: &ShowArgs) -> anyhow::Result<Outcome> {
    let project = load(&a.project)?;
    let docs: Vec<_> =
        match &a.doc {
            Some(id) => vec![project.doc(id).with_context(|| {
                format!("no document with id {id:?} in {}", a.project.display())
            })?],
            None => project.documents.iter().collect(),
        };
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            outln!();
        }
        outln!("# {} — {} ({} spans)", d.id, d.title, d.spans.len());
        outln!();
        let markup = spantag_core::markup::render(
            &d.text,
            d.spans.iter().map(|s| (s.start, s.end, s.label.as_str())),
        );
        outln!("{}", markup.trim_end());
    }
    Ok(Outcome::Ok)
}
