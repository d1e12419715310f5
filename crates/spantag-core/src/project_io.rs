//! Project files: deterministic RON, atomic saves, and loading that reports every problem.
//!
//! A project file is the [`Project`] struct written as pretty RON: fields in declaration order,
//! spans sorted, one span per line, and article text kept readable with real line breaks (raw
//! strings, no escaping). Two saves of the same project are byte-identical.

use crate::formats::{TempFile, remove_if_there, sync_dir, temp_path};
use crate::model::{Document, Label, Project, SCHEMA_VERSION, SpanId, content_hash};
use crate::read::ReadError;
#[cfg(unix)]
use crate::read::{open_regular, read_rest};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
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
    /// The file to write has no write permission for its owner: saving would undo that choice.
    #[error("{path} is read-only; make it writable to save, or Save As")]
    ReadOnly { path: PathBuf },
    /// The path to write is a folder, FIFO, socket or device: only regular files are replaced.
    #[error("{path}: this is {kind}; a project is only written over a regular file")]
    NotAFile { path: PathBuf, kind: &'static str },
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
    documents: &'a [Document],
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

/// Saves atomically (see [`write_atomic`]): a crash at any point leaves either the old or the new
/// file, and the old one is kept as `NAME.bak`. The project itself is not changed (see
/// [`to_ron_string`] for what is derived on the way).
pub fn save(project: &Project, path: &Path) -> Result<(), ProjectError> {
    let text = to_ron_string(project)?;
    write_atomic(path, text.as_bytes())
}

/// Writes `bytes` to `path` atomically, keeping the previous version as `NAME.bak` beside it.
/// Used for project files, settings and recovery files.
///
/// - The new content goes to `.NAME.spantag-tmp` beside the file (the name exports use too,
///   [`crate::formats::temp_path`]), is flushed to the disk and renamed over the file. The name
///   is fixed, so a temporary file left by a save that was killed is replaced by the next save;
///   a save that fails removes its own. Two processes saving the same file at once take turns.
/// - A symbolic link is saved through: its final target is written (the temporary file beside
///   the target, renamed over it) and the link stays a link. `NAME.bak` sits beside the target.
/// - The previous file becomes `NAME.bak` by a hard link, or where the file system has none, by
///   a copy written to `.NAME.bak.spantag-tmp` and renamed. A `NAME.bak` that is a link is
///   replaced, never written through.
/// - The new file (and a copied `.bak`) keeps the old file's permission bits, and its owner and
///   group where the process may set them: only the superuser may give a file to another user,
///   so a permission error while restoring the owner is ignored (the file then belongs to the
///   user who saved it, keeping the group where that user may); any other error fails the save.
///   A new file gets the usual mode (0666 less the umask).
/// - A file its owner may not write (no owner write bit) is refused with
///   [`ProjectError::ReadOnly`] and left untouched, as is anything that is not a regular file
///   ([`ProjectError::NotAFile`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ProjectError> {
    let target = final_target(path).map_err(|error| ProjectError::Io {
        path: path.to_owned(),
        error,
    })?;
    let io = |error| ProjectError::Io {
        path: target.clone(),
        error,
    };
    let old = match fs::symlink_metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    if let Some(meta) = &old {
        if let Some(kind) = crate::read::not_regular(meta) {
            return Err(ProjectError::NotAFile { path: target, kind });
        }
        if is_read_only(meta) {
            return Err(ProjectError::ReadOnly { path: target });
        }
    }
    let mut tmp = TempFile::create(&temp_path(&target), old.is_some()).map_err(io)?;
    if let Some(meta) = &old {
        keep_owner_and_mode(tmp.file(), meta).map_err(io)?;
    }
    tmp.write_all(bytes).and_then(|()| tmp.sync()).map_err(io)?;
    // The backup is made while the temporary file's lock is held: one save at a time.
    if let Some(meta) = &old {
        keep_backup(&target, meta)?;
    }
    tmp.persist(&target).map_err(io)?;
    sync_dir(target.parent().unwrap_or(Path::new(".")));
    Ok(())
}

/// Where `path` leads: itself, or the final target of the chain of symbolic links it is (which
/// need not exist yet). A relative link is read from its own folder.
fn final_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_owned();
    // Linux gives up after 40 links too (ELOOP).
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other(
        "too many levels of symbolic links (a loop?)",
    ))
}

/// Whether the file's owner has taken away its own write permission.
fn is_read_only(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o200 == 0
    }
    #[cfg(not(unix))]
    {
        meta.permissions().readonly()
    }
}

/// Gives `file` the owner, group and permission bits of `old` (see [`write_atomic`]: a permission
/// error while setting the owner is ignored; the group is then kept where the user may set it).
fn keep_owner_and_mode(file: &fs::File, old: &fs::Metadata) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::ErrorKind::PermissionDenied;
        use std::os::unix::fs::{MetadataExt, PermissionsExt, fchown};
        let now = file.metadata()?;
        if (now.uid(), now.gid()) != (old.uid(), old.gid()) {
            match fchown(file, Some(old.uid()), Some(old.gid())) {
                Err(e) if e.kind() == PermissionDenied => {
                    match fchown(file, None, Some(old.gid())) {
                        Err(e) if e.kind() == PermissionDenied => {}
                        other => other?,
                    }
                }
                other => other?,
            }
        }
        // After the owner: changing the owner clears the set-user-id and set-group-id bits.
        file.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, old);
        Ok(())
    }
}

/// Keeps the file at `target` (described by `old`) as `NAME.bak` beside it.
fn keep_backup(target: &Path, old: &fs::Metadata) -> Result<(), ProjectError> {
    keep_backup_by(target, old, true)
}

/// [`keep_backup`]; `link`: try a hard link first (tests pass `false` to reach the copy).
fn keep_backup_by(target: &Path, old: &fs::Metadata, link: bool) -> Result<(), ProjectError> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bak = target.with_file_name(format!("{name}.bak"));
    let bak_tmp = temp_path(&bak);
    let io = |error| ProjectError::Io {
        path: bak.clone(),
        error,
    };
    remove_if_there(&bak_tmp).map_err(io)?;
    // A hard link is instant and never leaves the project missing.
    if link && fs::hard_link(target, &bak_tmp).is_ok() {
        return fs::rename(&bak_tmp, &bak).map_err(|e| {
            let _ = fs::remove_file(&bak_tmp);
            io(e)
        });
    }
    // No hard links here: copy, with the old file's owner and mode.
    let mut copy = TempFile::create(&bak_tmp, true).map_err(io)?;
    keep_owner_and_mode(copy.file(), old).map_err(io)?;
    let mut from = fs::File::open(target).map_err(io)?;
    copy.copy_from(&mut from).map_err(io)?;
    copy.sync().map_err(io)?;
    copy.persist(&bak).map_err(io)
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
        d.sort_spans();
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
            project.documents.push(d);
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
            p.documents.push(Document::new(
                format!("d{n}"),
                format!("Doc {n}"),
                text,
                source,
            ));
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
        if let Some(s) = p.documents[0].spans.first_mut() {
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

    // ----- write_atomic -----

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::symlink_metadata(p)
            .expect("exists")
            .permissions()
            .mode()
            & 0o7777
    }

    #[cfg(unix)]
    fn set_mode(p: &Path, m: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(m)).expect("chmod");
    }

    #[test]
    fn stale_temporary_files_are_replaced_and_none_is_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let p = d.join("p.ron");
        fs::write(&p, "old 🙂\n").expect("write");
        // What a killed save leaves: both temporary names, one of them half written.
        fs::write(d.join(".p.ron.spantag-tmp"), "half").expect("write");
        fs::write(d.join(".p.ron.bak.spantag-tmp"), "half").expect("write");
        write_atomic(&p, "new é\n".as_bytes()).expect("saves");
        assert_eq!(fs::read_to_string(&p).expect("read"), "new é\n");
        assert_eq!(
            fs::read_to_string(d.join("p.ron.bak")).expect("bak"),
            "old 🙂\n"
        );
        assert_eq!(names(d), ["p.ron", "p.ron.bak"]);
    }

    #[test]
    fn a_failed_save_removes_its_temporary_file_and_keeps_the_project() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let p = d.join("p.ron");
        fs::write(&p, "old\n").expect("write");
        // A folder that is not empty where the backup goes: the backup step fails.
        fs::create_dir_all(d.join("p.ron.bak/x")).expect("mkdir");
        let e = write_atomic(&p, b"new\n").expect_err("the backup cannot be made");
        assert!(e.to_string().contains("p.ron.bak"), "{e}");
        assert_eq!(fs::read_to_string(&p).expect("read"), "old\n");
        assert_eq!(names(d), ["p.ron", "p.ron.bak"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_saved_through_and_stays_a_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        fs::create_dir(d.join("real")).expect("mkdir");
        fs::create_dir(d.join("links")).expect("mkdir");
        let real = d.join("real/q.ron");
        fs::write(&real, "old\n").expect("write");
        // A relative link, through a second link: the chain is followed to its end.
        let link = d.join("links/p.ron");
        std::os::unix::fs::symlink("../real/q.ron", &link).expect("link");
        let outer = d.join("outer.ron");
        std::os::unix::fs::symlink(&link, &outer).expect("link");
        write_atomic(&outer, b"new\n").expect("saves");
        for l in [&outer, &link] {
            assert!(
                fs::symlink_metadata(l)
                    .expect("there")
                    .file_type()
                    .is_symlink()
            );
        }
        assert_eq!(fs::read_to_string(&real).expect("read"), "new\n");
        assert_eq!(names(&d.join("real")), ["q.ron", "q.ron.bak"]);
        assert_eq!(
            fs::read_to_string(d.join("real/q.ron.bak")).expect("bak"),
            "old\n"
        );
        assert_eq!(names(&d.join("links")), ["p.ron"]);
        // A link to a file not there yet creates the file, and still stays a link.
        let dangling = d.join("dangling.ron");
        std::os::unix::fs::symlink("real/new.ron", &dangling).expect("link");
        write_atomic(&dangling, b"first\n").expect("saves");
        assert!(
            fs::symlink_metadata(&dangling)
                .expect("there")
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read_to_string(d.join("real/new.ron")).expect("read"),
            "first\n"
        );
        // A loop of links is an error, not a hang.
        std::os::unix::fs::symlink("loop-b", d.join("loop-a")).expect("link");
        std::os::unix::fs::symlink("loop-a", d.join("loop-b")).expect("link");
        assert!(write_atomic(&d.join("loop-a"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_bak_link_is_replaced_never_followed_also_when_copying() {
        for link in [true, false] {
            let dir = tempfile::tempdir().expect("temp dir");
            let d = dir.path();
            let p = d.join("p.ron");
            fs::write(&p, "old\n").expect("write");
            set_mode(&p, 0o600);
            let victim = d.join("victim.txt");
            fs::write(&victim, "keep me\n").expect("write");
            std::os::unix::fs::symlink(&victim, d.join("p.ron.bak")).expect("link");
            let meta = fs::symlink_metadata(&p).expect("there");
            keep_backup_by(&p, &meta, link).expect("backup");
            let bak = d.join("p.ron.bak");
            assert!(
                fs::symlink_metadata(&bak).expect("there").is_file(),
                "link: {link}"
            );
            assert_eq!(fs::read_to_string(&bak).expect("bak"), "old\n");
            assert_eq!(fs::read_to_string(&victim).expect("victim"), "keep me\n");
            assert_eq!(
                mode(&bak),
                0o600,
                "a private project's backup stays private"
            );
            assert_eq!(names(d), ["p.ron", "p.ron.bak", "victim.txt"]);
        }
    }

    #[cfg(unix)]
    #[test]
    fn permission_bits_are_kept_and_a_new_file_gets_the_default() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let p = d.join("p.ron");
        fs::write(&p, "old\n").expect("write");
        for m in [0o600, 0o640, 0o664, 0o700] {
            set_mode(&p, m);
            write_atomic(&p, b"new\n").expect("saves");
            assert_eq!(mode(&p), m);
        }
        // A new file: what any new file in this folder gets (0666 less the umask).
        fs::write(d.join("plain"), "x").expect("write");
        write_atomic(&d.join("fresh.ron"), b"x").expect("saves");
        assert_eq!(mode(&d.join("fresh.ron")), mode(&d.join("plain")));
    }

    #[cfg(unix)]
    #[test]
    fn owner_and_group_are_kept_where_allowed() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("p.ron");
        fs::write(&p, "old\n").expect("write");
        // Only the superuser may give a file away; others check that saving keeps their own.
        let given = std::os::unix::fs::chown(&p, Some(4242), Some(4343)).is_ok();
        let before = fs::metadata(&p).expect("there");
        write_atomic(&p, b"new\n").expect("saves");
        let after = fs::metadata(&p).expect("there");
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        if given {
            assert_eq!((after.uid(), after.gid()), (4242, 4343));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_file_is_refused_and_untouched() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let p = d.join("p.ron");
        fs::write(&p, "mine\n").expect("write");
        set_mode(&p, 0o444);
        let e = write_atomic(&p, b"new\n").expect_err("refused");
        assert!(matches!(e, ProjectError::ReadOnly { .. }), "{e:?}");
        assert!(
            e.to_string()
                .ends_with("p.ron is read-only; make it writable to save, or Save As"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&p).expect("read"), "mine\n");
        assert_eq!(mode(&p), 0o444);
        assert_eq!(names(d), ["p.ron"]);
        // Folders and devices are not replaced either.
        let e = write_atomic(d, b"x").expect_err("a folder");
        assert!(matches!(e, ProjectError::NotAFile { .. }), "{e:?}");
        let e = write_atomic(Path::new("/dev/null"), b"x").expect_err("a device");
        assert!(matches!(e, ProjectError::NotAFile { .. }), "{e:?}");
    }

    /// Saves of the same file at the same moment take turns: the file is always one whole
    /// version, and no temporary file is left.
    #[test]
    fn simultaneous_saves_take_turns() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let p = d.join("p.ron");
        let versions: Vec<Vec<u8>> = (0..4u8)
            .map(|i| {
                let mut v = format!("version {i} 🙂 ").repeat(200_000).into_bytes();
                v.push(b'\n');
                v
            })
            .collect();
        std::thread::scope(|s| {
            for v in &versions {
                let p = &p;
                s.spawn(move || {
                    for _ in 0..5 {
                        write_atomic(p, v).expect("saves");
                    }
                });
            }
        });
        let now = fs::read(&p).expect("read");
        assert!(versions.contains(&now), "a whole version");
        let bak = fs::read(d.join("p.ron.bak")).expect("bak");
        assert!(versions.contains(&bak), "a whole version");
        assert_eq!(names(d), ["p.ron", "p.ron.bak"]);
    }
}
