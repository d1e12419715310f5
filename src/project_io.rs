//! Project files: deterministic RON, atomic saves, and loading that reports every problem.
//!
//! A project file is the [`Project`] struct written as pretty RON: fields in declaration order,
//! spans sorted, one span per line, and article text kept readable with real line breaks (raw
//! strings, no escaping). Two saves of the same project are byte-identical.

use crate::model::{Project, SCHEMA_VERSION, SpanId, content_hash};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// One thing wrong with a project's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The document concerned, if any.
    pub doc: Option<String>,
    /// The span concerned, if any.
    pub span: Option<SpanId>,
    /// The line of the file, where it could be found.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(doc) = &self.doc {
            write!(f, "document {doc:?}: ")?;
        }
        if let Some(span) = self.span {
            write!(f, "span {span}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a project could not be read or written.
#[derive(Debug, Error)]
pub enum ProjectError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: syntax error: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{path}: written by a newer spantag (schema version {found}; this build reads up to {supported}). \
         Update spantag to open it; the file was left untouched."
    )]
    FutureVersion {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("{path}: {} problem(s):\n{}", problems.len(), list(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("could not write the project: {0}")]
    Serialize(String),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The RON settings for project files.
fn pretty() -> ron::ser::PrettyConfig {
    ron::ser::PrettyConfig::new()
        .depth_limit(4)
        .indentor("  ")
        .struct_names(false)
        .escape_strings(false)
        .separate_tuple_members(false)
        .enumerate_arrays(false)
}

/// Serializes a project exactly as [`save`] writes it.
pub fn to_ron_string(project: &Project) -> Result<String, ProjectError> {
    let mut s = ron::ser::to_string_pretty(project, pretty())
        .map_err(|e| ProjectError::Serialize(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

/// Saves atomically: writes `PATH.tmp`, flushes it to disk, keeps the old file as `PATH.bak`, then
/// renames the new file into place. A crash at any point leaves either the old or the new file.
/// The project is normalised first (annotator list, span id counter).
pub fn save(project: &mut Project, path: &Path) -> Result<(), ProjectError> {
    project.normalize();
    let text = to_ron_string(project)?;
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` atomically, keeping the previous version as `path.bak`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProjectError> {
    let io = |source| ProjectError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project.ron".into());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if path.exists() {
            let bak = dir.join(format!("{name}.bak"));
            fs::copy(path, bak)?;
        }
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Loads and validates a project file.
pub fn load(path: &Path) -> Result<Project, ProjectError> {
    let text = fs::read_to_string(path).map_err(|source| ProjectError::Io {
        path: path.to_owned(),
        source,
    })?;
    from_ron_str(&text, path)
}

/// Parses and validates project file content; `path` is only used in messages.
pub fn from_ron_str(text: &str, path: &Path) -> Result<Project, ProjectError> {
    if let Some(found) = probe_version(text)
        && found > SCHEMA_VERSION
    {
        return Err(ProjectError::FutureVersion {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let mut project: Project =
        ron::Options::default()
            .from_str(text)
            .map_err(|e| ProjectError::Syntax {
                path: path.to_owned(),
                line: e.span.start.line,
                col: e.span.start.col,
                message: e.code.to_string(),
            })?;
    if project.schema_version > SCHEMA_VERSION {
        return Err(ProjectError::FutureVersion {
            path: path.to_owned(),
            found: project.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    migrate(&mut project);
    let mut problems = validate(&project);
    if !problems.is_empty() {
        locate(&mut problems, text);
        return Err(ProjectError::Invalid {
            path: path.to_owned(),
            problems,
        });
    }
    for d in &mut project.documents {
        d.sort_spans();
    }
    project.normalize();
    Ok(project)
}

/// Brings a project of an older schema version up to [`SCHEMA_VERSION`]. Version 1 is the first
/// released format, so there is nothing to convert yet; a version 0 (or missing) number is read as
/// version 1.
fn migrate(project: &mut Project) {
    if project.schema_version < SCHEMA_VERSION {
        project.schema_version = SCHEMA_VERSION;
    }
}

/// Reads `schema_version: N` from the start of a file without parsing the rest, so that a file
/// from a newer spantag is refused with a clear message even if its fields are unknown here.
fn probe_version(text: &str) -> Option<u32> {
    let head = text.get(..text.len().min(4096)).unwrap_or(text);
    let at = head.find("schema_version")?;
    let rest = head[at + "schema_version".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Checks everything the type system cannot: ranges, covered text, labels, unique ids.
pub fn validate(project: &Project) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut push = |doc: Option<&str>, span: Option<SpanId>, message: String| {
        problems.push(Problem {
            doc: doc.map(str::to_owned),
            span,
            line: None,
            message,
        });
    };
    let mut label_names = HashSet::new();
    let mut hotkeys = HashMap::new();
    for l in &project.labels {
        if !label_names.insert(l.name.as_str()) {
            push(None, None, format!("label {:?} is defined twice", l.name));
        }
        if l.name.is_empty() || l.name.chars().any(char::is_whitespace) {
            push(
                None,
                None,
                format!("label name {:?} is empty or has whitespace", l.name),
            );
        }
        if let Some(k) = l.hotkey
            && let Some(other) = hotkeys.insert(k, l.name.as_str())
        {
            push(
                None,
                None,
                format!("hotkey {k:?} is used by both {other:?} and {:?}", l.name),
            );
        }
    }
    let mut doc_ids = HashSet::new();
    let mut span_ids: HashMap<SpanId, &str> = HashMap::new();
    for d in &project.documents {
        let doc = Some(d.id.as_str());
        if !doc_ids.insert(d.id.as_str()) {
            push(doc, None, "the document id is used twice".into());
        }
        if d.source.hash != content_hash(&d.text) {
            push(
                doc,
                None,
                format!(
                    "content hash {} does not match the text ({}); was the text edited by hand?",
                    d.source.hash,
                    content_hash(&d.text)
                ),
            );
        }
        let mut seen = HashSet::new();
        for s in &d.spans {
            let span = Some(s.id);
            if let Some(other) = span_ids.insert(s.id, &d.id) {
                push(
                    doc,
                    span,
                    format!("span id is also used in document {other:?}"),
                );
            }
            if !label_names.contains(s.label.as_str()) {
                push(doc, span, format!("unknown label {:?}", s.label));
            }
            match d.covered(s.start, s.end) {
                Err(e) => push(doc, span, e.to_string()),
                Ok(actual) if actual != s.text => push(
                    doc,
                    span,
                    format!(
                        "offsets {}..{} cover {actual:?} but the span says {:?}",
                        s.start, s.end, s.text
                    ),
                ),
                Ok(_) => {}
            }
            if !seen.insert((s.start, s.end, s.label.as_str())) {
                push(
                    doc,
                    span,
                    format!("duplicate {} span over {}..{}", s.label, s.start, s.end),
                );
            }
        }
    }
    problems
}

/// Fills in the file line of each problem where the file makes it easy to find.
fn locate(problems: &mut [Problem], text: &str) {
    for p in problems.iter_mut() {
        let needle = match (&p.span, &p.doc) {
            (Some(id), _) => format!("(id: {id}, start:"),
            (None, Some(doc)) => format!("id: {doc:?},"),
            _ => continue,
        };
        if let Some(at) = text.find(&needle) {
            p.line = Some(text[..at].matches('\n').count() + 1);
        }
    }
}
