//! `new`, `add`, `validate`, `fix`, `stats` and `show`.

use super::Outcome;
use anyhow::{Context, bail};
use clap::Args;
use spantag_core::edit::Edit;
use spantag_core::import::{self, ImportOptions};
use spantag_core::listing::capped_lines;
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
    /// Article files (.txt, .md, .html) or folders of them.
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
    super::report_after_save(&a.project, || {
        outln!(
            "created {} with labels {}",
            a.project.display(),
            labels.join(", ")
        );
        Ok(())
    })?;
    Ok(Outcome::Ok)
}

/// Loads a project, with an error that says how to create one when the file is missing.
pub fn load(path: &Path) -> anyhow::Result<Project> {
    match project_io::load(path) {
        Err(ProjectError::Read(e)) if e.is_not_found() => {
            bail!(
                "{} does not exist (create it with `spantag new {}`)",
                path.display(),
                path.display()
            )
        }
        other => Ok(other?),
    }
}

/// The article files named by `paths`, with folders expanded to their article files (.txt, .md,
/// .html, ...: `import::ARTICLE_EXTENSIONS`), sorted.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && spantag_core::import::is_article_file(f))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Adds every article that can be read, skips texts already in the project (or repeated in the
/// batch) and lists the files that could not be read: the rule of [`import::plan_add`]. Exit 1
/// when anything was skipped or failed.
pub fn add(a: &AddArgs) -> anyhow::Result<Outcome> {
    let mut project = load(&a.project)?;
    let options = ImportOptions {
        max_bytes: a.max_bytes,
    };
    let files = expand(&a.files)?;
    let mut plan = import::plan_add(&project, import::read_articles(&files, &options));
    let added = plan.added.len();
    for e in std::mem::take(&mut plan.edits) {
        project.apply(e)?;
    }
    if added > 0 {
        project_io::save(&project, &a.project)?;
    }
    // Printed after saving, so that a closed output pipe cannot stop the save.
    let report = || {
        for d in &plan.added {
            outln!(
                "added {} as {:?}: {} characters, {}",
                d.path.display(),
                d.id,
                d.chars,
                d.how
            );
        }
        for line in capped_lines(&plan.skipped_lines()) {
            outln!("skipped {line}");
        }
        let failed: Vec<String> = plan.failed.iter().map(|(_, e)| e.to_string()).collect();
        for line in capped_lines(&failed) {
            eprintln!("error: {line}");
        }
        outln!(
            "{}; {} now has {} document(s)",
            plan.summary(),
            a.project.display(),
            project.documents.len()
        );
        Ok(())
    };
    if added > 0 {
        super::report_after_save(&a.project, report)?;
    } else {
        report()?;
    }
    Ok(if plan.is_clean() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

/// Loads and checks a project: problems that stop loading, and the ones loading accepts
/// ([`project_io::lint`]: spans that begin or end in whitespace). Exit 1 for either.
pub fn validate(a: &ProjectArg) -> anyhow::Result<Outcome> {
    match project_io::load_and_lint(&a.project) {
        Ok((p, found)) if found.is_empty() => {
            outln!(
                "{}: ok ({} documents, {} spans, {} relations, schema version {})",
                a.project.display(),
                p.documents.len(),
                p.span_count(),
                p.relation_count(),
                p.schema_version
            );
            Ok(Outcome::Ok)
        }
        Ok((p, found)) => {
            outln!(
                "{}: {} problem(s):\n{}",
                a.project.display(),
                found.len(),
                project_io::list_problems(&found)
            );
            let trims = spantag_core::fix::whitespace_edged(&p).len();
            if trims > 0 {
                outln!(
                    "`spantag fix {}` trims these spans: the {trims} that begin or end in \
                     whitespace (the old file is kept as .bak)",
                    a.project.display()
                );
            }
            if found.len() > trims {
                outln!(
                    "relations whose spans a type does not allow: relabel the span, retype or \
                     delete the relation in the app (or allow the label in the relation type)"
                );
            }
            Ok(Outcome::Problems)
        }
        Err(e @ (ProjectError::Invalid { .. } | ProjectError::Syntax { .. })) => {
            outln!("{e}");
            Ok(Outcome::Problems)
        }
        Err(e) => Err(e.into()),
    }
}

/// Trims every span that begins or ends in whitespace, in one save (the old file stays as
/// `.bak`), and reports each change. Exit 0 when it fixed something or found nothing to fix.
pub fn fix(a: &ProjectArg) -> anyhow::Result<Outcome> {
    let mut project = load(&a.project)?;
    let plan = spantag_core::fix::plan_trim(&project);
    if plan.is_empty() {
        outln!(
            "{}: nothing to fix (no span begins or ends in whitespace)",
            a.project.display()
        );
        return Ok(Outcome::Ok);
    }
    let (trimmed, blank, duplicates) = plan.counts();
    project
        .apply_all(plan.edits)
        .context("trimming the spans")?;
    project_io::save(&project, &a.project)?;
    // Printed after saving, so that a closed output pipe cannot stop the save.
    for c in &plan.changes {
        outln!("{c}");
    }
    outln!(
        "{}: trimmed {trimmed} span(s), removed {blank} that were only whitespace and {duplicates} \
         that became duplicates; the old file is {}",
        a.project.display(),
        backup_name(&a.project).display()
    );
    Ok(Outcome::Ok)
}

/// Where [`project_io::save`] keeps the previous version of `path`.
fn backup_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    PathBuf::from(name)
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
            None => project.documents.iter().map(|d| &**d).collect(),
        };
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            outln!();
        }
        if d.relations.is_empty() {
            outln!("# {} — {} ({} spans)", d.id, d.title, d.spans.len());
        } else {
            outln!(
                "# {} — {} ({} spans, {} relations)",
                d.id,
                d.title,
                d.spans.len(),
                d.relations.len()
            );
        }
        outln!();
        // Spans of a relation are named by their id: `[claim#4 …]`, then `#4 -source-> #2`.
        let linked: std::collections::HashSet<_> =
            d.relations.iter().flat_map(|r| [r.from, r.to]).collect();
        let markup = spantag_core::markup::render_named(
            &d.text,
            d.spans.iter().map(|s| {
                let name = linked.contains(&s.id).then(|| s.id.to_string());
                (s.start, s.end, s.label.as_str(), name)
            }),
        );
        outln!("{}", markup.trim_end());
        for r in &d.relations {
            let status = if r.status.is_pending() {
                String::new()
            } else {
                format!("  ({})", r.status.name())
            };
            outln!("#{} -{}-> #{}{status}", r.from, r.kind, r.to);
        }
    }
    Ok(Outcome::Ok)
}
