//! `export` and `import`: training data in the formats NLP libraries load (see
//! [`spantag_core::formats`]).

use super::Outcome;
use anyhow::{Context, bail};
use clap::Args;
use spantag_core::formats::{
    self, ExportOptions, Format, ImportOptions, Layer, OffsetUnit, Overlap, Progress, Scheme,
    SpanGroup, WriteRules, parse_name,
};
use spantag_core::model::{DEFAULT_LABELS, Project, Status};
use spantag_core::project_io;
use std::io::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The project file.
    pub project: PathBuf,
    #[arg(
        long,
        value_parser = formats::parse_export_format,
        help = format!("Output format: {}", list(&names(formats::exporters()), "or"))
    )]
    pub format: Format,
    #[arg(long, help = format!(
        "Output file (a folder for {}, and for every format with --split); - writes to standard \
         output when the export is one file (not {}; {} with --layer entities or claims)",
        list(&exporters_where(|e| e.folder), "and"),
        list(&exporters_where(|e| e.folder || e.finish_files()), "or"),
        list(&exporters_where(|e| e.layered && !e.finish_files()), "and"),
    ))]
    pub out: PathBuf,
    /// Replace existing regular files at --out and its companions (never the project itself, a
    /// device or a folder).
    #[arg(long)]
    pub force: bool,
    /// Only spans with these labels (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Only spans with these statuses: pending, accepted, rejected, edited (default: all but
    /// rejected).
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// Only documents marked done.
    #[arg(long)]
    pub only_done: bool,
    /// Split by document, e.g. train=0.8,dev=0.1,test=0.1; --out is then a folder receiving
    /// train.EXT, dev.EXT, test.EXT.
    #[arg(long, value_parser = parse_split)]
    pub split: Option<SplitArg>,
    /// Seed of the split (same seed and documents, same split).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// CoNLL tagging scheme: iob2 (every entity starts with B-), iobes (B-, I-, E- last, S-
    /// single), iob1 (CoNLL-2003's own) or bilou.
    #[arg(long, default_value = "iob2", value_parser = parse_name::<Scheme>)]
    pub scheme: Scheme,
    #[arg(long, default_value = "both", value_parser = parse_name::<Layer>, help = format!(
        "Layers written by {}: both (entities to --out, other labels such as claim to \
         NAME.claims.EXT), entities, or claims",
        list(&exporters_where(|e| e.layered), "and")
    ))]
    pub layer: Layer,
    /// Overlaps within a layer: longest (keep the longest span) or first (keep the earliest);
    /// the others are reported.
    #[arg(long, default_value = "longest", value_parser = parse_name::<Overlap>)]
    pub overlap: Overlap,
    /// Labels of the entity layer (spaCy doc.ents, CoNLL/hf tags); default: every label of the
    /// project whose name does not contain claim, quote or sentence (e.g. actor,place,number or
    /// PER,LOC,ORG,MISC). An export whose entity layer comes out empty exits with 1.
    #[arg(long, value_delimiter = ',')]
    pub entity_labels: Vec<String>,
    /// spaCy span groups: KEY=WHAT pairs, WHAT being all, entities or claims; none for no span
    /// group.
    #[arg(long, default_value = "entities=entities,claims=claims,sc=all", value_parser = parse_span_groups)]
    pub span_groups: SpanGroupsArg,
    /// CoNLL: write token and tag only, without the extra columns (POS, chunk) that documents
    /// imported from a CoNLL file kept.
    #[arg(long)]
    pub no_token_columns: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The project file (created with the default labels if missing).
    pub project: PathBuf,
    #[arg(
        long,
        value_parser = formats::parse_import_format,
        help = format!("Input format: {}", list(&names(formats::importers()), "or"))
    )]
    pub format: Format,
    /// Input files (brat: folders or .ann files).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    #[arg(long, value_parser = parse_name::<OffsetUnit>, help = format!(
        "Offset unit of the input: codepoints or utf16 (default: utf16 for {}, else codepoints; \
         without this option, offsets that fit the texts only in the other unit are refused)",
        list(&importers_where(|i| i.offsets == Some(OffsetUnit::Utf16)), "and")
    ))]
    pub offsets: Option<OffsetUnit>,
    /// Rename a label while importing: OLD=NEW (repeatable).
    #[arg(long = "map", value_name = "OLD=NEW", value_parser = parse_map)]
    pub map: Vec<(String, String)>,
    /// Author of spans whose input names none.
    #[arg(long, default_value = "import")]
    pub author: String,
    /// Largest input file accepted, in bytes.
    #[arg(long, default_value_t = spantag_core::formats::DEFAULT_IMPORT_MAX_BYTES)]
    pub max_bytes: u64,
}

/// The `about` line of `export`.
pub fn export_about() -> String {
    format!(
        "Export training data ({})",
        names(formats::exporters()).join(", ")
    )
}

/// The `about` line of `import`.
pub fn import_about() -> String {
    format!(
        "Import annotations ({}) into a project",
        names(formats::importers()).join(", ")
    )
}

fn names(formats: &[Format]) -> Vec<&'static str> {
    formats.iter().map(|f| f.name()).collect()
}

/// The exporting formats whose exporter satisfies `pred`.
fn exporters_where(pred: fn(&formats::Exporter) -> bool) -> Vec<&'static str> {
    formats::exporters()
        .iter()
        .filter(|f| f.exporter().is_some_and(pred))
        .map(|f| f.name())
        .collect()
}

/// The importing formats whose importer satisfies `pred`.
fn importers_where(pred: fn(&formats::Importer) -> bool) -> Vec<&'static str> {
    formats::importers()
        .iter()
        .filter(|f| f.importer().is_some_and(pred))
        .map(|f| f.name())
        .collect()
}

/// `a, b or c` (`conj` = "or").
fn list(items: &[&str], conj: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} {conj} {last}", rest.join(", ")),
    }
}

/// A parsed `--span-groups` value.
#[derive(Debug, Clone)]
pub struct SpanGroupsArg(pub Vec<SpanGroup>);

fn parse_span_groups(s: &str) -> Result<SpanGroupsArg, String> {
    formats::parse_span_groups(s).map(SpanGroupsArg)
}

/// A parsed `--split` value.
#[derive(Debug, Clone)]
pub struct SplitArg(pub Vec<(String, f64)>);

fn parse_split(s: &str) -> Result<SplitArg, String> {
    formats::parse_split(s).map(SplitArg)
}

fn parse_map(s: &str) -> Result<(String, String), String> {
    let (a, b) = s
        .split_once('=')
        .ok_or_else(|| format!("expected OLD=NEW, not {s:?}"))?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() || b.is_empty() {
        return Err(format!("expected OLD=NEW, not {s:?}"));
    }
    Ok((a.to_owned(), b.to_owned()))
}

/// The export options of the command line.
pub fn export_options(a: &ExportArgs) -> anyhow::Result<ExportOptions> {
    let mut o = ExportOptions::new(a.format);
    if !a.labels.is_empty() {
        o.labels = Some(a.labels.iter().map(|l| l.trim().to_owned()).collect());
    }
    if !a.status.is_empty() {
        let mut v = Vec::new();
        for s in &a.status {
            v.push(Status::from_name(s.trim()).with_context(|| {
                format!("unknown status {s:?} (pending, accepted, rejected, edited)")
            })?);
        }
        o.statuses = Some(v);
    }
    o.only_done = a.only_done;
    o.split = a.split.as_ref().map(|s| s.0.clone());
    o.seed = a.seed;
    o.scheme = a.scheme;
    o.layer = a.layer;
    o.overlap = a.overlap;
    let entity: Vec<String> = a
        .entity_labels
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    o.entity_labels = (!entity.is_empty()).then_some(entity);
    o.span_groups = a.span_groups.0.clone();
    o.token_columns = !a.no_token_columns;
    Ok(o)
}

pub fn export(a: &ExportArgs) -> anyhow::Result<Outcome> {
    let project = super::project_cmds::load(&a.project)?;
    let opts = export_options(a)?;
    if let Some(labels) = &opts.labels {
        for l in labels {
            if !project
                .labels
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(l))
            {
                bail!(
                    "--labels: the project has no label {l:?} (labels: {})",
                    project
                        .labels
                        .iter()
                        .map(|l| l.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    let summary = if a.out.as_os_str() == "-" {
        let (summary, bytes) = formats::export_to_bytes(&project, &opts, &Progress::default())?;
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&bytes)?;
        stdout.flush()?;
        // Standard output holds the data; the report goes to standard error.
        eprint!("{}", summary.to_text());
        summary
    } else {
        let rules = WriteRules {
            force: a.force,
            protected: vec![a.project.clone()],
        };
        let summary = formats::export_with(&project, &opts, &a.out, &Progress::default(), &rules)?;
        out!("{}", summary.to_text());
        summary
    };
    Ok(if summary.is_complete() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}

pub fn import(a: &ImportArgs) -> anyhow::Result<Outcome> {
    let (mut project, created) = if a.project.exists() {
        (super::project_cmds::load(&a.project)?, false)
    } else {
        let name = a
            .project
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Imported".into());
        (Project::new(name, &DEFAULT_LABELS), true)
    };
    for i in &a.inputs {
        if !i.exists() {
            bail!("{} does not exist; nothing was imported", i.display());
        }
    }
    let mut opts = ImportOptions::new(a.format);
    opts.offsets = a.offsets;
    opts.map = a.map.clone();
    opts.author = a.author.clone();
    opts.max_bytes = a.max_bytes;
    let summary = formats::import(&mut project, &a.inputs, &opts)?;
    project_io::save(&project, &a.project)?;
    super::report_after_save(&a.project, || {
        if created {
            outln!("created {}", a.project.display());
        }
        out!("{}", summary.to_text());
        outln!(
            "{} now has {} document(s) and {} span(s)",
            a.project.display(),
            project.documents.len(),
            project.span_count()
        );
        Ok(())
    })?;
    Ok(if summary.is_complete() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}
