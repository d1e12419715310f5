//! Project files: deterministic RON, atomic saves, and loading that reports every problem.
//!
//! A project file is the [`Project`] struct written as pretty RON: fields in declaration order,
//! spans sorted, one span per line, and article text kept readable with real line breaks (raw
//! strings, no escaping). Two saves of the same project are byte-identical.

use crate::model::{Document, Label, Project, SCHEMA_VERSION, SpanId, content_hash};
use crate::read::ReadError;
#[cfg(unix)]
use crate::read::{open_regular, read_rest};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    /// Writing failed (the operating system's reason is in the message, not a separate cause,
    /// so that it is said once).
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file could not be read, is not a regular file, or is over [`MAX_PROJECT_BYTES`].
    #[error(transparent)]
    Read(#[from] ReadError),
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

/// A project as its file holds it: the fields of [`Project`] in the same order, with the derived
/// bookkeeping (annotators, span id counter) computed from the project instead of copied, so
/// writing never has to change the project.
#[derive(Serialize)]
struct ProjectFile<'a> {
    schema_version: u32,
    name: &'a str,
    labels: &'a [Label],
    annotators: Vec<String>,
    next_span_id: u64,
    documents: &'a [Arc<Document>],
}

/// Serializes a project exactly as [`save`] writes it: the annotator list and the span id counter
/// are derived from the spans and reviews ([`Project::recorded_annotators`],
/// [`Project::recorded_next_span_id`]) as they are written.
pub fn to_ron_string(project: &Project) -> Result<String, ProjectError> {
    let file = ProjectFile {
        schema_version: project.schema_version,
        name: &project.name,
        labels: &project.labels,
        annotators: project.recorded_annotators(),
        next_span_id: project.recorded_next_span_id(),
        documents: &project.documents,
    };
    let mut s = ron::ser::to_string_pretty(&file, pretty())
        .map_err(|e| ProjectError::Serialize(e.to_string()))?;
    s.push('\n');
    Ok(s)
}

/// Saves atomically: writes `PATH.tmp`, flushes it to disk, keeps the old file as `PATH.bak`, then
/// renames the new file into place. A crash at any point leaves either the old or the new file.
/// The project itself is not changed (see [`to_ron_string`] for what is derived on the way).
pub fn save(project: &Project, path: &Path) -> Result<(), ProjectError> {
    let text = to_ron_string(project)?;
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` atomically, keeping the previous version as `path.bak`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProjectError> {
    let io = |error| ProjectError::Io {
        path: path.to_owned(),
        error,
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
            // Keep the old version as NAME.bak: a hard link is instant and never leaves `path`
            // missing; where links are not supported, copy.
            let bak = dir.join(format!("{name}.bak"));
            let bak_tmp = dir.join(format!(".{name}.bak.tmp{}", std::process::id()));
            let _ = fs::remove_file(&bak_tmp);
            if fs::hard_link(path, &bak_tmp).is_ok() {
                fs::rename(&bak_tmp, &bak)?;
            } else {
                fs::copy(path, &bak)?;
            }
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

/// Largest project file [`load`] reads: 4 GiB.
pub const MAX_PROJECT_BYTES: u64 = 4 << 30;

/// Loads and validates a project file (at most [`MAX_PROJECT_BYTES`]; folders, FIFOs and devices
/// are refused).
pub fn load(path: &Path) -> Result<Project, ProjectError> {
    let bytes = read_file(path, MAX_PROJECT_BYTES)?;
    from_ron_bytes(&bytes, path)
}

/// Reads a whole regular file of at most `max` bytes, like [`crate::read::read_bounded`]; large files are read
/// as two halves in parallel, which halves the time spent copying from the page cache into fresh
/// memory.
fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        const PARALLEL_FROM: u64 = 8 << 20;
        let (mut file, meta) = open_regular(path)?;
        let len = meta.len();
        if len > max {
            return Err(ReadError::TooLarge {
                path: path.to_owned(),
                limit: max,
            });
        }
        let mut buf = Vec::new();
        if len >= PARALLEL_FROM
            && let Ok(len) = usize::try_from(len)
        {
            let io = |error| ReadError::Io {
                path: path.to_owned(),
                error,
            };
            buf = vec![0u8; len];
            let (a, b) = buf.split_at_mut(len / 2);
            let offset = a.len() as u64;
            let (ra, rb) = rayon::join(
                || file.read_exact_at(a, 0),
                || file.read_exact_at(b, offset),
            );
            ra.map_err(io)?;
            rb.map_err(io)?;
            // The file may have grown since its length was taken: read the rest, within the limit.
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(len as u64)).map_err(io)?;
        }
        read_rest(&mut file, path, max, len, &mut buf)?;
        Ok(buf)
    }
    #[cfg(not(unix))]
    crate::read::read_bounded(path, max)
}

/// Parses and validates project file content; `path` is only used in messages.
pub fn from_ron_str(text: &str, path: &Path) -> Result<Project, ProjectError> {
    from_ron_bytes(text.as_bytes(), path)
}

/// Parses and validates project file bytes (which must be UTF-8); `path` is only used in
/// messages.
pub fn from_ron_bytes(bytes: &[u8], path: &Path) -> Result<Project, ProjectError> {
    if let Some(found) = probe_version(bytes)
        && found > SCHEMA_VERSION
    {
        return Err(ProjectError::FutureVersion {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let (mut project, per_doc) = match parse_parallel(bytes) {
        Some((p, per_doc)) => (p, Some(per_doc)),
        None => {
            let text = utf8(bytes, path)?;
            let p = ron::Options::default()
                .from_str::<Project>(text)
                .map_err(|e| parse_error(e, path))?;
            (p, None)
        }
    };
    if project.schema_version > SCHEMA_VERSION {
        return Err(ProjectError::FutureVersion {
            path: path.to_owned(),
            found: project.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    migrate(&mut project);
    for d in &mut project.documents {
        Arc::make_mut(d).sort_spans();
    }
    let mut problems = match per_doc {
        Some(per_doc) => validate_project(&project, per_doc),
        None => validate(&project),
    };
    if !problems.is_empty() {
        locate(&mut problems, utf8(bytes, path)?);
        return Err(ProjectError::Invalid {
            path: path.to_owned(),
            problems,
        });
    }
    project.normalize();
    Ok(project)
}

/// A RON error as a project error: a value its type refuses (an impossible timestamp, a malformed
/// colour) is a problem on its line; anything else is a syntax error.
fn parse_error(e: ron::error::SpannedError, path: &Path) -> ProjectError {
    match e.code {
        ron::Error::Message(message) => ProjectError::Invalid {
            path: path.to_owned(),
            problems: vec![Problem {
                doc: None,
                span: None,
                line: Some(e.span.start.line),
                message,
            }],
        },
        code => ProjectError::Syntax {
            path: path.to_owned(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: code.to_string(),
        },
    }
}

/// The file as text, or a syntax error at the first byte that is not UTF-8.
fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, ProjectError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        ProjectError::Syntax {
            path: path.to_owned(),
            line,
            col,
            message: "the file is not valid UTF-8 text".to_owned(),
        }
    })
}

/// Where `needle` first occurs in `hay` at or after `from` (never for an empty needle).
fn find_bytes(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay.get(from..)?, needle).map(|i| from + i)
}

/// Parses a file in the layout [`to_ron_string`] writes, with its documents split across threads
/// (RON parsing dominates load time). The body is cut into pieces at document starts; each piece
/// is checked for UTF-8, split into documents, parsed and validated on rayon's pool. Returns
/// `None` when the file is laid out differently or any part fails to parse; the caller then
/// parses the whole file in one piece, which also gives the exact position of a syntax error.
fn parse_parallel(bytes: &[u8]) -> Option<(Project, Vec<Vec<Problem>>)> {
    const LIST: &[u8] = b"\n  documents: [\n";
    const DOC_START: &str = "\n    (\n";
    const END: &[u8] = b"\n  ],\n)";
    let at = find_bytes(bytes, LIST, 0)?;
    let body_start = at + LIST.len() - 1; // keep the newline: every document starts at "\n    (\n"
    let tail_from = bytes.len().saturating_sub(64);
    let body_end = find_bytes(bytes, END, tail_from)?;
    let body = bytes.get(body_start..=body_end)?;
    let header = format!(
        "{}\n  documents: [],\n)",
        std::str::from_utf8(&bytes[..at]).ok()?
    );
    let mut project: Project = ron::Options::default().from_str(&header).ok()?;
    if !body.starts_with(DOC_START.as_bytes()) {
        return None;
    }
    let threads = rayon::current_num_threads().clamp(1, 8);
    // Pieces of about 1 MB (at least one per thread), each starting at a document start. The
    // pattern is ASCII, so a match in valid UTF-8 is always on a character boundary.
    let pieces_wanted = (body.len() >> 20).clamp(threads, 256);
    let step = body.len() / pieces_wanted + 1;
    let mut cuts = vec![0usize];
    while let Some(&last) = cuts.last() {
        match find_bytes(body, DOC_START.as_bytes(), (last + step).min(body.len())) {
            Some(next) => cuts.push(next),
            None => break,
        }
    }
    cuts.push(body.len());
    let labels = label_set(&project);
    let doc_start = memchr::memmem::Finder::new(DOC_START);
    let parse_piece = |piece: &[u8]| -> Option<Vec<(Document, Vec<Problem>)>> {
        let text = std::str::from_utf8(piece).ok()?;
        let mut starts: Vec<usize> = doc_start.find_iter(piece).collect();
        starts.push(piece.len());
        let mut docs = Vec::with_capacity(starts.len());
        for w in starts.windows(2) {
            let chunk = text[w[0]..w[1]].trim().trim_end_matches(',');
            let mut d: Document = ron::Options::default().from_str(chunk).ok()?;
            d.sort_spans();
            let problems = validate_document(&d, &labels);
            docs.push((d, problems));
        }
        Some(docs)
    };
    // In file order; a piece that fails stops the others early.
    let parts: Vec<Vec<(Document, Vec<Problem>)>> = cuts
        .par_windows(2)
        .map(|w| parse_piece(&body[w[0]..w[1]]))
        .collect::<Option<_>>()?;
    let mut per_doc = Vec::new();
    for part in parts {
        for (d, problems) in part {
            project.documents.push(Arc::new(d));
            per_doc.push(problems);
        }
    }
    Some((project, per_doc))
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
fn probe_version(bytes: &[u8]) -> Option<u32> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    let at = head.find("schema_version")?;
    let rest = head[at + "schema_version".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Checks everything the type system cannot: ranges, covered text, labels, unique ids.
pub fn validate(project: &Project) -> Vec<Problem> {
    let labels = label_set(project);
    let per_doc = project
        .documents
        .iter()
        .map(|d| validate_document(d, &labels))
        .collect();
    validate_project(project, per_doc)
}

fn label_set(project: &Project) -> HashSet<String> {
    project.labels.iter().map(|l| l.name.clone()).collect()
}

fn problem(doc: Option<&str>, span: Option<SpanId>, message: String) -> Problem {
    Problem {
        doc: doc.map(str::to_owned),
        span,
        line: None,
        message,
    }
}

/// The checks that concern the whole project (labels, unique ids), followed by the problems
/// already found in each document.
fn validate_project(project: &Project, per_doc: Vec<Vec<Problem>>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut label_names = HashSet::new();
    let mut hotkeys = HashMap::new();
    for l in &project.labels {
        if !label_names.insert(l.name.as_str()) {
            problems.push(problem(
                None,
                None,
                format!("label {:?} is defined twice", l.name),
            ));
        }
        if l.name.is_empty() || l.name.chars().any(char::is_whitespace) {
            problems.push(problem(
                None,
                None,
                format!("label name {:?} is empty or has whitespace", l.name),
            ));
        }
        if let Some(k) = l.hotkey
            && let Some(other) = hotkeys.insert(k, l.name.as_str())
        {
            problems.push(problem(
                None,
                None,
                format!("hotkey {k:?} is used by both {other:?} and {:?}", l.name),
            ));
        }
    }
    let mut doc_ids = HashSet::new();
    let mut span_ids: Vec<(SpanId, usize)> = Vec::with_capacity(project.span_count());
    for (di, d) in project.documents.iter().enumerate() {
        if !doc_ids.insert(d.id.as_str()) {
            problems.push(problem(
                Some(&d.id),
                None,
                "the document id is used twice".into(),
            ));
        }
        span_ids.extend(d.spans.iter().map(|s| (s.id, di)));
    }
    problems.extend(per_doc.into_iter().flatten());
    span_ids.sort_unstable();
    for w in span_ids.windows(2) {
        if w[0].0 == w[1].0 {
            let first = &project.documents[w[0].1].id;
            let doc = &project.documents[w[1].1].id;
            let message = if first == doc {
                "span id is used twice".to_owned()
            } else {
                format!("span id is also used in document {first:?}")
            };
            problems.push(problem(Some(doc), Some(w[1].0), message));
        }
    }
    problems
}

/// The checks of one document: content hash, span ranges, covered text, labels, duplicates.
fn validate_document(d: &Document, labels: &HashSet<String>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let doc = Some(d.id.as_str());
    let mut push = |span: Option<SpanId>, message: String| {
        problems.push(problem(doc, span, message));
    };
    let hash = content_hash(&d.text);
    if d.source.hash != hash {
        push(
            None,
            format!(
                "content hash {} does not match the text ({hash}); was the text edited by hand?",
                d.source.hash
            ),
        );
    }
    for s in &d.spans {
        let span = Some(s.id);
        if !labels.contains(&s.label) {
            push(span, format!("unknown label {:?}", s.label));
        }
        match d.slice(s.start, s.end) {
            _ if s.start >= s.end => push(span, format!("span {}..{} is empty", s.start, s.end)),
            None => push(
                span,
                format!(
                    "span {}..{} does not fit the text ({} characters)",
                    s.start,
                    s.end,
                    d.len_chars()
                ),
            ),
            Some(actual) if actual != s.text => push(
                span,
                format!(
                    "offsets {}..{} cover {actual:?} but the span says {:?}",
                    s.start, s.end, s.text
                ),
            ),
            Some(_) => {}
        }
    }
    // Exact duplicates are neighbours once spans are in order.
    let mut order: Vec<&crate::model::Span> = d.spans.iter().collect();
    if !order.is_sorted_by_key(|s| s.order_key()) {
        order.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    }
    for w in order.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.start, a.end, &a.label) == (b.start, b.end, &b.label) {
            push(
                Some(b.id),
                format!("duplicate {} span over {}..{}", b.label, b.start, b.end),
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_parse_matches_sequential() {
        let text = include_str!("../../../projects/sample.ron");
        let seq: Project = ron::Options::default().from_str(text).expect("parses");
        let (par, problems) =
            parse_parallel(text.as_bytes()).expect("the layout we write is split");
        assert_eq!(par, seq);
        assert!(problems.iter().all(Vec::is_empty));
        // A different layout falls back.
        assert!(parse_parallel(text.replace("\n    (\n", "\n    (  \n").as_bytes()).is_none());
    }

    #[test]
    fn large_files_are_read_in_halves_and_load_whole() {
        let mut p = Project::new("big", &crate::model::DEFAULT_LABELS);
        let line = "Der Bürgermeister 🇩🇪 sagte, 東京 e\u{301} ist 3,4 Mio. entfernt.\n";
        for n in 0..40 {
            let text = line.repeat(4_000);
            let source = crate::model::Source {
                path: None,
                hash: content_hash(&text),
                encoding: "UTF-8".into(),
                line_endings: crate::model::LineEndings::Lf,
            };
            p.documents.push(Arc::new(Document::new(
                format!("d{n}"),
                format!("Doc {n}"),
                text,
                source,
            )));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.ron");
        save(&p, &path).expect("saves");
        assert!(fs::metadata(&path).expect("written").len() > 8 << 20);
        let loaded = load(&path).expect("loads");
        assert_eq!(loaded.documents.len(), 40);
        assert_eq!(loaded, p);
    }

    #[test]
    fn invalid_utf8_is_a_syntax_error_with_its_position() {
        let mut bytes = include_bytes!("../../../projects/sample.ron").to_vec();
        let at = bytes.iter().position(|&b| b == b'\n').expect("has lines") + 3;
        bytes[at] = 0xff;
        match from_ron_bytes(&bytes, Path::new("x.ron")) {
            Err(ProjectError::Syntax {
                line, col, message, ..
            }) => {
                assert_eq!((line, col), (2, 3));
                assert!(message.contains("UTF-8"), "{message}");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    /// Saving derives the annotator list and the span id counter as it writes, from a `&Project`:
    /// the project in memory is left as it was, and the file reads back with them filled in.
    #[test]
    fn saving_derives_annotators_without_changing_the_project() {
        let mut p = crate::markup::project_from_markup(
            "p",
            &[("d", "[actor Zoë] met [place Tōkyō] 🇯🇵")],
            "ana",
            crate::time::Timestamp(0),
        )
        .expect("markup");
        p.annotators = vec!["cy".into()];
        p.next_span_id = 1;
        if let Some(s) = Arc::make_mut(&mut p.documents[0]).spans.first_mut() {
            s.review = Some(crate::model::Review {
                reviewer: "ben".into(),
                time: crate::time::Timestamp(5),
                note: None,
            });
        }
        let before = p.clone();
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("p.ron");
        save(&p, &path).expect("saves");
        assert_eq!(p, before, "saving changed the project");
        let loaded = load(&path).expect("loads");
        assert_eq!(loaded.annotators, ["ana", "ben", "cy"]);
        assert_eq!(loaded.next_span_id, 3);
        // Saving what was loaded writes the same bytes.
        let first = fs::read(&path).expect("read");
        save(&loaded, &path).expect("saves again");
        assert_eq!(fs::read(&path).expect("read"), first);
    }
}
