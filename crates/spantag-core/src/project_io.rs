//! Project files: deterministic RON, atomic saves, and loading that reports every problem.
//!
//! A project file is the [`Project`] struct written as pretty RON: fields in declaration order,
//! spans sorted, one span per line, and article text kept readable with real line breaks (raw
//! strings, no escaping). Two saves of the same project are byte-identical.
//!
//! Loading is strict, so that saving never drops anything: a field this build does not know, text
//! after the project's closing `)`, or an id beyond [`MAX_SPAN_ID`] is a problem with its line. It
//! is also forgiving where that loses nothing: a UTF-8 byte-order mark is skipped, and a file
//! whose every line ends in CRLF (git's `core.autocrlf`, a Windows editor) is read as if its line
//! breaks were LF; spantag writes LF only and stores article text with LF, so the conversion only
//! undoes what that tool did, and each document's content hash confirms its text.

use crate::formats::{TempFile, remove_if_there, sync_dir, temp_path};
use crate::listing::capped_lines;
use crate::model::{
    Document, Label, MAX_SPAN_ID, Project, RelationType, SCHEMA_VERSION, SpanId, content_hash,
    default_relation_types,
};
use crate::read::ReadError;
#[cfg(unix)]
use crate::read::{open_regular, read_rest};
use rayon::prelude::*;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
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
    /// Where to find the line of a problem that concerns no document.
    anchor: Anchor,
}

/// What a problem that concerns no document or span is about, to find its line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Anchor {
    #[default]
    None,
    /// A top-level field of the project, e.g. `next_span_id`.
    Field(&'static str),
    /// The `nth` (from 0) label definition named `name`.
    Label { name: String, nth: usize },
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
    #[error("{path}:{line}:{col}: syntax error: {message}{}", hint_text(hint))]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
        /// What probably happened to the file (CRLF line endings, a git conflict), if it shows.
        hint: Option<String>,
    },
    #[error(
        "{path}: written by a newer spantag (schema version {found}; this build reads up to {supported}). \
         Update spantag to open it; the file was left untouched."
    )]
    FutureVersion {
        path: PathBuf,
        /// The version number as the file writes it (it may be too large for any integer type).
        found: String,
        supported: u32,
    },
    #[error("{path}: {} problem(s):\n{}{}", problems.len(), list(problems), hint_text(hint))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
        /// What probably happened to the file (CRLF line endings, a git conflict), if it shows.
        hint: Option<String>,
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
    list_problems(problems)
}

fn hint_text(hint: &Option<String>) -> String {
    hint.as_ref()
        .map(|h| format!("\nhint: {h}"))
        .unwrap_or_default()
}

/// Problems as an indented list (`  - line 12: ...`), one per line: the first
/// [`crate::listing::MAX_LISTED`] and then how many more there are.
pub fn list_problems(problems: &[Problem]) -> String {
    capped_lines(problems)
        .into_iter()
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
    relation_types: &'a [RelationType],
    annotators: Vec<String>,
    next_span_id: u64,
    next_relation_id: u64,
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
        relation_types: &project.relation_types,
        annotators: project.recorded_annotators(),
        next_span_id: project.recorded_next_span_id(),
        next_relation_id: project.recorded_next_relation_id(),
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
        let renamed = fs::rename(&bak_tmp, &bak);
        // A rename between two links of one file does nothing and succeeds (POSIX), leaving the
        // temporary link: so when `NAME.bak` already is the file (a save killed after its backup
        // and before its rename). The link goes in every case.
        let _ = fs::remove_file(&bak_tmp);
        return renamed.map_err(io);
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

/// Parses and validates project file bytes (which must be UTF-8, a byte-order mark allowed);
/// `path` is only used in messages.
pub fn from_ron_bytes(bytes: &[u8], path: &Path) -> Result<Project, ProjectError> {
    let bytes = without_bom(bytes);
    if let Some(found) = probe_version(bytes)
        && is_future(found)
    {
        return Err(ProjectError::FutureVersion {
            path: path.to_owned(),
            found: found.to_owned(),
            supported: SCHEMA_VERSION,
        });
    }
    let bytes = crlf_to_lf(bytes);
    parse_and_validate(&bytes, path).map_err(|e| with_hint(e, &bytes))
}

/// Loads a project like [`load`], and also lists what `spantag validate` reports but loading
/// accepts ([`lint`]: spans that begin or end in whitespace), with their lines.
pub fn load_and_lint(path: &Path) -> Result<(Project, Vec<Problem>), ProjectError> {
    let bytes = read_file(path, MAX_PROJECT_BYTES)?;
    let project = from_ron_bytes(&bytes, path)?;
    let mut found = lint(&project);
    if !found.is_empty()
        && let Ok(text) = std::str::from_utf8(without_bom(&bytes))
    {
        locate(&mut found, text);
    }
    Ok((project, found))
}

/// What a project may hold and still load, but should not: spans that begin or end in
/// whitespace (projects like that exist; the app opens them, and `spantag fix` trims them; see
/// [`crate::fix`]). `spantag validate` reports these.
///
/// Also spans that start inside a document's excluded ranges, and relations whose spans carry
/// labels their type does not allow (a span relabelled after it was linked): they load, and the
/// review shows them.
pub fn lint(project: &Project) -> Vec<Problem> {
    let mut problems: Vec<Problem> = crate::fix::whitespace_edged(project)
        .into_iter()
        .map(|e| problem(Some(&e.doc), Some(e.span), e.to_string()))
        .collect();
    for d in &project.documents {
        for s in &d.spans {
            if let Some((a, b)) = d.excluded_at(s.start) {
                problems.push(problem(
                    Some(&d.id),
                    Some(s.id),
                    format!(
                        "the {} span {:?} starts inside the excluded range {a}..{b} (text that \
                         is not the article); include that text again or remove the span",
                        s.label, s.text
                    ),
                ));
            }
        }
        for r in &d.relations {
            let (Some(t), Some(from), Some(to)) =
                (project.relation_type(&r.kind), d.span(r.from), d.span(r.to))
            else {
                continue;
            };
            for (end, span, ok, allowed) in [
                ("from", from, t.allows_from(&from.label), &t.from_labels),
                ("to", to, t.allows_to(&to.label), &t.to_labels),
            ] {
                if !ok {
                    problems.push(problem(
                        Some(&d.id),
                        None,
                        format!(
                            "relation {}: its {end} span {} is a {}, but a {} relation's {end} \
                             span is a {}",
                            r.id,
                            span.id,
                            span.label,
                            r.kind,
                            allowed.join(" or ")
                        ),
                    ));
                }
            }
        }
    }
    problems
}

/// The UTF-8 byte-order mark some Windows editors put first.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// `bytes` without a leading UTF-8 byte-order mark.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// A file whose every line ends in CRLF, with LF line breaks instead; any other file as it is.
///
/// spantag writes LF only (article text is stored with LF; the original line endings are in
/// `Source.line_endings`), so in an all-CRLF file every CR before an LF was put there by a tool
/// (git's `core.autocrlf`, an editor) and removing it gives back the file spantag wrote. A CR that
/// is part of the content stays: `\r\r\n` becomes `\r\n`. A file with both kinds of line break
/// is left alone (and gets a hint if it does not load).
fn crlf_to_lf(bytes: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr::memchr(b'\n', bytes) else {
        return Cow::Borrowed(bytes);
    };
    if first == 0 || bytes[first - 1] != b'\r' {
        return Cow::Borrowed(bytes);
    }
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let crlf = memchr::memmem::find_iter(bytes, b"\r\n").count();
    if crlf != lf {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() - crlf);
    let mut from = 0;
    for at in memchr::memmem::find_iter(bytes, b"\r\n") {
        out.extend_from_slice(&bytes[from..at]);
        from = at + 1;
    }
    out.extend_from_slice(&bytes[from..]);
    Cow::Owned(out)
}

/// Adds to a syntax error or a list of problems what probably happened to the file, where that
/// shows: a git conflict left in it, or line endings converted to CRLF on some lines only.
fn with_hint(e: ProjectError, bytes: &[u8]) -> ProjectError {
    let line_of = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let marker = [b"<<<<<<<".as_slice(), b">>>>>>>"]
        .iter()
        .filter_map(|m| {
            if bytes.starts_with(m) {
                return Some(0);
            }
            find_bytes(bytes, &[b"\n", *m].concat(), 0).map(|at| at + 1)
        })
        .min();
    let hint = if let Some(at) = marker {
        Some(format!(
            "line {} is a git conflict marker: finish the merge in this file first (keep one \
             side, or `git checkout --ours`/`--theirs` it), then load it again",
            line_of(at)
        ))
    } else if let Some(at) = find_bytes(bytes, b"\r\n", 0) {
        let crlf = memchr::memmem::find_iter(bytes, b"\r\n").count();
        let lf = memchr::memchr_iter(b'\n', bytes).count();
        Some(format!(
            "{crlf} of the file's {lf} lines end in CRLF (Windows line endings), the first line \
             {}; spantag writes LF only. If git (core.autocrlf) or an editor converted them, \
             convert them back (`dos2unix FILE`, or `git config core.autocrlf input` and check \
             the file out again)",
            line_of(at)
        ))
    } else {
        None
    };
    match e {
        ProjectError::Syntax {
            path,
            line,
            col,
            message,
            hint: None,
        } => ProjectError::Syntax {
            path,
            line,
            col,
            message,
            hint,
        },
        ProjectError::Invalid {
            path,
            problems,
            hint: None,
        } => ProjectError::Invalid {
            path,
            problems,
            hint,
        },
        e => e,
    }
}

/// Parses and validates (the file as [`from_ron_bytes`] has prepared it).
fn parse_and_validate(bytes: &[u8], path: &Path) -> Result<Project, ProjectError> {
    let (mut project, per_doc) = match parse_parallel(bytes) {
        Some((p, per_doc)) => (p, Some(per_doc)),
        None => {
            let text = utf8(bytes, path)?;
            let p = ron::Options::default()
                .from_str::<Project>(text)
                .map_err(|e| parse_error(e, path, text))?;
            (p, None)
        }
    };
    if project.schema_version > SCHEMA_VERSION {
        return Err(ProjectError::FutureVersion {
            path: path.to_owned(),
            found: project.schema_version.to_string(),
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
            hint: None,
        });
    }
    project.normalize();
    Ok(project)
}

/// A RON error as a project error: a value its type refuses (an impossible timestamp, a malformed
/// colour) or a field this build does not know is a problem on its line; anything else is a
/// syntax error.
fn parse_error(e: ron::error::SpannedError, path: &Path, text: &str) -> ProjectError {
    let (mut line, mut col) = (e.span.start.line, e.span.start.col);
    if e.code == ron::Error::TrailingCharacters {
        // RON reports the end of the project; point at the text that follows it.
        (line, col) = next_text_after(text, line, col).unwrap_or((line, col));
    }
    let invalid = |message: String| ProjectError::Invalid {
        path: path.to_owned(),
        problems: vec![Problem {
            line: Some(line),
            ..problem(None, None, message)
        }],
        hint: None,
    };
    match e.code {
        ron::Error::Message(message) => invalid(message),
        ron::Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let place = outer.map(|o| format!(" in {o}")).unwrap_or_default();
            let known = expected
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ");
            invalid(format!(
                "unknown field `{found}`{place} (known: {known}); saving would drop it (is it \
                 misspelt? a newer spantag's fields come with a newer schema_version)"
            ))
        }
        code => ProjectError::Syntax {
            path: path.to_owned(),
            line,
            col,
            message: match code {
                ron::Error::TrailingCharacters => "text after the end of the project (its \
                    closing `)`); saving would drop it"
                    .to_owned(),
                code => code.to_string(),
            },
            hint: None,
        },
    }
}

/// The line and column (from 1, in characters) of the first character that is not whitespace at
/// or after `line`:`col`.
fn next_text_after(text: &str, line: usize, col: usize) -> Option<(usize, usize)> {
    let line_start = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', text.as_bytes()).nth(line - 2)? + 1
    };
    let from = line_start
        + text[line_start..]
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(text.len() - line_start, |(i, _)| i);
    let at = from + text[from..].find(|c: char| !c.is_whitespace())?;
    let line = line + text[from..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    Some((line, text[start..at].chars().count() + 1))
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
            hint: None,
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
    // The fields before the documents, an empty list, and everything after the list exactly as
    // in the file, so that bytes after the project (not UTF-8, trailing text such as a git
    // conflict marker) are refused here as the one-piece reader refuses them; the caller then
    // parses the whole file, which reports them with their line.
    let header = format!(
        "{}\n  documents: []{}",
        std::str::from_utf8(&bytes[..at]).ok()?,
        std::str::from_utf8(bytes.get(body_end + "\n  ]".len()..)?).ok()?
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
    // `last`: the piece ends the list.
    let parse_piece = |piece: &[u8], last: bool| -> Option<Vec<(Document, Vec<Problem>)>> {
        let text = std::str::from_utf8(piece).ok()?;
        let mut starts: Vec<usize> = doc_start.find_iter(piece).collect();
        starts.push(piece.len());
        let mut docs = Vec::with_capacity(starts.len());
        for (i, w) in starts.windows(2).enumerate() {
            let chunk = text[w[0]..w[1]].trim();
            // One comma after each document (optional after the last one), as the one-piece
            // reader wants: a missing or doubled comma goes to it for its syntax error.
            let chunk = match chunk.strip_suffix(',') {
                Some(c) => c,
                None if last && i + 2 == starts.len() => chunk,
                None => return None,
            };
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
        .map(|w| parse_piece(&body[w[0]..w[1]], w[1] == body.len()))
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

/// Brings a project of an older schema version up to [`SCHEMA_VERSION`] (a version 0 or missing
/// number is read as version 1):
///
/// - 1 → 2: relations came in version 2. A version 1 file has none, and it gets the default
///   relation types that its labels allow ([`default_relation_types`]); everything else reads
///   unchanged (the new fields are optional).
fn migrate(project: &mut Project) {
    if project.schema_version < 2 && project.relation_types.is_empty() {
        project.relation_types = default_relation_types(&project.labels);
    }
    if project.schema_version < SCHEMA_VERSION {
        project.schema_version = SCHEMA_VERSION;
    }
}

/// Reads `schema_version: N` from the start of a file without parsing the rest, so that a file
/// from a newer spantag is refused with a clear message even if its fields are unknown here.
/// Returns the digits as written, however many: every version above this build's is refused the
/// same way, also one too large for any integer type.
fn probe_version(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    let at = head.find("schema_version")?;
    let rest = head[at + "schema_version".len()..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let len = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    Some(&rest[..len]).filter(|d| !d.is_empty())
}

/// Whether a version number (ASCII digits) is newer than [`SCHEMA_VERSION`].
fn is_future(digits: &str) -> bool {
    let d = digits.trim_start_matches('0');
    match d.parse::<u64>() {
        Ok(v) => v > u64::from(SCHEMA_VERSION),
        // Too many digits for a u64 (the empty string, all zeros, is version 0).
        Err(_) => !d.is_empty(),
    }
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

/// The names a document's spans and relations may use.
struct Known {
    labels: HashSet<String>,
    relation_types: HashSet<String>,
}

fn label_set(project: &Project) -> Known {
    Known {
        labels: project.labels.iter().map(|l| l.name.clone()).collect(),
        relation_types: project
            .relation_types
            .iter()
            .map(|t| t.name.clone())
            .collect(),
    }
}

fn problem(doc: Option<&str>, span: Option<SpanId>, message: String) -> Problem {
    Problem {
        doc: doc.map(str::to_owned),
        span,
        line: None,
        message,
        anchor: Anchor::None,
    }
}

/// A problem about the project as a whole, found on the line of `anchor`.
fn problem_at(anchor: Anchor, message: String) -> Problem {
    Problem {
        anchor,
        ..problem(None, None, message)
    }
}

/// The checks that concern the whole project (labels, unique ids), followed by the problems
/// already found in each document.
fn validate_project(project: &Project, per_doc: Vec<Vec<Problem>>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if project.next_span_id > MAX_SPAN_ID + 1 {
        problems.push(problem_at(
            Anchor::Field("next_span_id"),
            format!(
                "next_span_id {} is over the largest allowed, {} (2^53: span ids must stay \
                 exact for JSON readers)",
                project.next_span_id,
                MAX_SPAN_ID + 1
            ),
        ));
    }
    if project.next_relation_id > MAX_SPAN_ID + 1 {
        problems.push(problem_at(
            Anchor::Field("next_relation_id"),
            format!(
                "next_relation_id {} is over the largest allowed, {}",
                project.next_relation_id,
                MAX_SPAN_ID + 1
            ),
        ));
    }
    let mut type_names = HashSet::new();
    for t in &project.relation_types {
        let anchor = Anchor::Field("relation_types");
        if !type_names.insert(t.name.as_str()) {
            problems.push(problem_at(
                anchor.clone(),
                format!("relation type {:?} is defined twice", t.name),
            ));
        }
        if t.name.is_empty() || t.name.chars().any(char::is_whitespace) {
            problems.push(problem_at(
                anchor.clone(),
                format!("relation type name {:?} is empty or has whitespace", t.name),
            ));
        }
        if let Some(k) = t.hotkey
            && let Some(l) = project.labels.iter().find(|l| l.hotkey == Some(k))
        {
            problems.push(problem_at(
                anchor,
                format!(
                    "hotkey {k:?} is used by both label {:?} and relation type {:?}",
                    l.name, t.name
                ),
            ));
        }
    }
    let mut label_names: HashMap<&str, usize> = HashMap::new();
    let mut hotkeys = HashMap::new();
    for l in &project.labels {
        let seen = label_names.entry(l.name.as_str()).or_default();
        let anchor = Anchor::Label {
            name: l.name.clone(),
            nth: *seen,
        };
        *seen += 1;
        if *seen == 2 {
            problems.push(problem_at(
                anchor.clone(),
                format!("label {:?} is defined twice", l.name),
            ));
        }
        if l.name.is_empty() || l.name.chars().any(char::is_whitespace) {
            problems.push(problem_at(
                anchor.clone(),
                format!("label name {:?} is empty or has whitespace", l.name),
            ));
        }
        if let Some(k) = l.hotkey
            && let Some(other) = hotkeys.insert(k, l.name.as_str())
        {
            problems.push(problem_at(
                anchor,
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
    let mut relation_ids: HashMap<u64, &str> = HashMap::new();
    for d in &project.documents {
        let mut mine = HashSet::new();
        for r in &d.relations {
            if !mine.insert(r.id) {
                continue; // reported with the document
            }
            if let Some(first) = relation_ids.insert(r.id.0, d.id.as_str()) {
                problems.push(problem(
                    Some(&d.id),
                    None,
                    format!(
                        "relation {}: its id is also used in document {first:?}",
                        r.id
                    ),
                ));
            }
        }
    }
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
fn validate_document(d: &Document, known: &Known) -> Vec<Problem> {
    let labels = &known.labels;
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
        if s.id.0 > MAX_SPAN_ID {
            push(
                span,
                format!(
                    "span id {} is over the largest allowed, {MAX_SPAN_ID} (2^53 - 1)",
                    s.id
                ),
            );
        }
        if !labels.contains(&s.label) {
            push(span, format!("unknown label {:?}", s.label));
        }
        if !s.fragments_ok() {
            push(
                span,
                format!(
                    "fragments {:?} do not tile {}..{} in order (at least two pieces, \
                     not touching, from the span's start to its end)",
                    s.fragments, s.start, s.end
                ),
            );
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
    validate_relations(d, known, &mut push);
    validate_extras(d, &mut push);
    problems
}

/// The relations of a document: ids in range and unique, known types, both spans in this
/// document and different, no duplicates.
fn validate_relations(d: &Document, known: &Known, push: &mut impl FnMut(Option<SpanId>, String)) {
    let mut ids = HashSet::new();
    let mut triples = HashSet::new();
    for r in &d.relations {
        let at = format!("relation {}", r.id);
        if r.id.0 > MAX_SPAN_ID {
            push(
                None,
                format!("{at}: its id is over the largest allowed, {MAX_SPAN_ID} (2^53 - 1)"),
            );
        }
        if !ids.insert(r.id) {
            push(None, format!("{at}: the relation id is used twice"));
        }
        if !known.relation_types.contains(&r.kind) {
            push(None, format!("{at}: unknown relation type {:?}", r.kind));
        }
        for (end, id) in [("from", r.from), ("to", r.to)] {
            if d.span(id).is_none() {
                push(
                    None,
                    format!("{at}: its {end} span {id} is not a span of this document"),
                );
            }
        }
        if r.from == r.to {
            push(None, format!("{at}: it links span {} to itself", r.from));
        }
        if !triples.insert((r.from, r.to, r.kind.as_str())) {
            push(
                None,
                format!(
                    "{at}: a second {} relation from span {} to span {}",
                    r.kind, r.from, r.to
                ),
            );
        }
    }
}

/// A document's metadata (JSON values) and the tokens an import gave it.
fn validate_extras(d: &Document, push: &mut impl FnMut(Option<SpanId>, String)) {
    for (key, value) in &d.meta {
        if serde_json::from_str::<serde_json::Value>(value).is_err() {
            push(
                None,
                format!("meta {key:?}: the value {value:?} is not a JSON text"),
            );
        }
    }
    if !d.excluded_ok(&d.excluded) {
        push(
            None,
            format!(
                "excluded ranges {:?} must be sorted, apart, not empty and within the text ({} \
                 characters)",
                d.excluded,
                d.len_chars()
            ),
        );
    }
    let Some(t) = &d.tokenization else {
        return;
    };
    let len = d.len_chars();
    let mut prev_end = 0;
    for (i, &(a, b)) in t.tokens.iter().enumerate() {
        if a >= b || a < prev_end || b > len {
            push(
                None,
                format!(
                    "tokenization: token {i} ({a}..{b}) is empty, overlaps the one before or \
                     does not fit the text ({len} characters)"
                ),
            );
            break;
        }
        prev_end = b;
    }
    if !t.sentence_starts.windows(2).all(|w| w[0] < w[1])
        || t.sentence_starts
            .last()
            .is_some_and(|&s| s >= t.tokens.len())
    {
        push(
            None,
            format!(
                "tokenization: sentence starts must increase and name tokens (0..{})",
                t.tokens.len()
            ),
        );
    }
    for c in &t.columns {
        if c.values.len() != t.tokens.len() {
            push(
                None,
                format!(
                    "tokenization: column {:?} has {} values for {} tokens",
                    c.name,
                    c.values.len(),
                    t.tokens.len()
                ),
            );
        }
    }
}

/// Fills in the file line of each problem where the file makes it easy to find, in one pass over
/// the lines: a span's line (`(id: 7, start: ...`) within its document, a document's `id:` line,
/// a label's `name:` line, a top-level field's line.
fn locate(problems: &mut [Problem], text: &str) {
    let mut spans: HashMap<u64, Vec<usize>> = HashMap::new();
    let mut docs: HashMap<String, Vec<usize>> = HashMap::new();
    let mut fields: HashMap<&'static str, Vec<usize>> = HashMap::new();
    let mut labels: HashMap<(String, usize), Vec<usize>> = HashMap::new();
    for (i, p) in problems.iter().enumerate() {
        if p.line.is_some() {
            continue;
        }
        match (&p.span, &p.doc, &p.anchor) {
            (Some(id), _, _) => spans.entry(id.0).or_default().push(i),
            (None, Some(doc), _) => docs.entry(doc.clone()).or_default().push(i),
            (None, None, Anchor::Field(f)) => fields.entry(f).or_default().push(i),
            (None, None, Anchor::Label { name, nth }) => {
                labels.entry((name.clone(), *nth)).or_default().push(i);
            }
            (None, None, Anchor::None) => {}
        }
    }
    if spans.is_empty() && docs.is_empty() && fields.is_empty() && labels.is_empty() {
        return;
    }
    let mut set = |is: Option<&Vec<usize>>, doc: Option<&str>, line: usize| {
        for &i in is.into_iter().flatten() {
            let p = &mut problems[i];
            if p.line.is_none() && (p.span.is_none() || p.doc.as_deref() == doc) {
                p.line = Some(line);
            }
        }
    };
    // A string value as the line writes it: alone (`name: "actor",`) or first of several.
    let string = |value: &str| -> Option<String> {
        ron::from_str::<String>(value.trim_end().trim_end_matches(','))
            .ok()
            .or_else(|| ron::from_str::<String>(value.split(',').next()?).ok())
    };
    let mut doc: Option<String> = None;
    let (mut in_labels, mut in_documents) = (false, false);
    let mut label_seen: HashMap<String, usize> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if in_documents {
            if let Some(rest) = t.strip_prefix("(id: ") {
                let len = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                if let Ok(id) = rest[..len].parse::<u64>() {
                    set(spans.get(&id), doc.as_deref(), n + 1);
                }
            } else if let Some(rest) = t.strip_prefix("id: ") {
                doc = string(rest);
                if let Some(d) = &doc {
                    set(docs.get(d), None, n + 1);
                }
            }
        } else if t.starts_with("documents:") {
            in_documents = true;
        } else if t.starts_with("labels:") {
            in_labels = true;
        } else if in_labels
            && let Some(rest) = t
                .trim_start_matches('(')
                .trim_start()
                .strip_prefix("name: ")
        {
            if let Some(name) = string(rest) {
                let seen = label_seen.entry(name.clone()).or_default();
                set(labels.get(&(name, *seen)), None, n + 1);
                *seen += 1;
            }
        } else if let Some((key, _)) = t.split_once(':') {
            set(fields.get(key), None, n + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_parse_matches_sequential() {
        let text = include_str!("../tests/fixtures/sample-v1.ron");
        let seq: Project = ron::Options::default().from_str(text).expect("parses");
        let (par, problems) =
            parse_parallel(text.as_bytes()).expect("the layout we write is split");
        assert_eq!(par, seq);
        assert!(problems.iter().all(Vec::is_empty));
        // A different layout falls back.
        assert!(parse_parallel(text.replace("\n    (\n", "\n    (  \n").as_bytes()).is_none());
    }

    #[test]
    fn bytes_after_the_project_are_refused_by_both_readers() {
        // Found by the fuzzer (tests/fuzz-regressions/load/): the parallel reader ignored what
        // follows the closing parenthesis, so it loaded files the one-piece reader refuses.
        let text = include_str!("../tests/fixtures/sample-v1.ron");
        let path = Path::new("p.ron");
        assert!(parse_parallel(text.as_bytes()).is_some());
        for tail in [&b"\x97\n"[..], b"junk\n", b")\n"] {
            let bytes = [text.as_bytes(), tail].concat();
            assert!(parse_parallel(&bytes).is_none(), "{tail:?}");
            assert!(from_ron_bytes(&bytes, path).is_err(), "{tail:?}");
        }
        // A missing or doubled comma between documents is a syntax error in both readers (also
        // found by the fuzzer).
        let two_docs = text.find("\n    ),\n    (\n").expect("two documents");
        for sep in ["\n    )\n    (\n", "\n    ),,\n    (\n"] {
            let bad = format!("{}{sep}{}", &text[..two_docs], &text[two_docs + 14..]);
            assert!(parse_parallel(bad.as_bytes()).is_none(), "{sep:?}");
            assert!(from_ron_bytes(bad.as_bytes(), path).is_err(), "{sep:?}");
        }
        // Blank space and comments after the project are fine, in either reader.
        let bytes = [text.as_bytes(), b"  // end\n\n"].concat();
        assert!(parse_parallel(&bytes).is_some());
        assert!(from_ron_bytes(&bytes, path).is_ok());
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

    fn sample() -> &'static str {
        include_str!("../tests/fixtures/sample-v1.ron")
    }

    /// The line (from 1) of the first occurrence of `needle`.
    fn line_of(text: &str, needle: &str) -> usize {
        let at = text.find(needle).expect("needle in text");
        text[..at].matches('\n').count() + 1
    }

    /// `text` with `insert` put in right after the first `after`, and the line it lands on.
    fn inserted(text: &str, after: &str, insert: &str) -> (String, usize) {
        let at = text.find(after).expect("in text") + after.len();
        let line = text[..at].matches('\n').count() + 1;
        (format!("{}{insert}{}", &text[..at], &text[at..]), line)
    }

    /// A project with reviews, notes, emoji, combining marks and non-Latin text, as saved.
    fn varied() -> (Project, String) {
        let mut p = crate::markup::project_from_markup(
            "Ünïcode 🌍",
            &[
                (
                    "zoë",
                    "[actor Zoë] met [place 東京] 🇯🇵\n\n[claim [actor e\u{301}mile] said no]\n",
                ),
                ("مرحبا", "[actor مرحبا] بالعالم\nПривет, [place мир]!\n"),
            ],
            "ana",
            crate::time::Timestamp(0),
        )
        .expect("markup");
        let s = &mut std::sync::Arc::make_mut(&mut p.documents[0]).spans[0];
        s.review = Some(crate::model::Review {
            reviewer: "ben".into(),
            time: crate::time::Timestamp(5),
            note: Some("ok 👍".into()),
        });
        s.status = crate::model::Status::Accepted;
        // A lone CR in a note is content: it survives every conversion below.
        s.note = Some("line\rbreak é".into());
        std::sync::Arc::make_mut(&mut p.documents[1])
            .source
            .line_endings = crate::model::LineEndings::Crlf;
        p.normalize();
        let text = to_ron_string(&p).expect("serializes");
        (p, text)
    }

    fn load_text(text: &str) -> Result<Project, ProjectError> {
        from_ron_bytes(text.as_bytes(), Path::new("p.ron"))
    }

    #[test]
    fn text_after_the_project_is_a_syntax_error_on_its_line() {
        let text = sample();
        let last = text.lines().count();
        for (tail, line) in [
            (">>>>>>> feature\n".to_owned(), last + 1),
            ("\n\n<<<<<<< HEAD x\n".to_owned(), last + 3),
            ("x".to_owned(), last + 1),
            // Longer than the tail the fast parser looks at.
            (format!("{}\n", "ünïcode 🌍 ".repeat(20)), last + 1),
        ] {
            let err = load_text(&format!("{text}{tail}")).expect_err("refused");
            let msg = err.to_string();
            let ProjectError::Syntax { line: at, hint, .. } = &err else {
                panic!("expected a syntax error, got {err:?}");
            };
            assert_eq!(*at, line, "{msg}");
            assert!(msg.contains("text after the end of the project"), "{msg}");
            if tail.contains("<<<<<<<") || tail.contains(">>>>>>>") {
                let hint = hint.as_deref().expect("a hint");
                assert!(
                    hint.contains(&format!("line {line} is a git conflict marker")),
                    "{hint}"
                );
            }
        }
        // Whitespace after the project is fine.
        let p = load_text(&format!("{text}\n  \n\t\n")).expect("loads");
        assert_eq!(p, load_text(text).expect("loads"));
    }

    #[test]
    fn unknown_fields_are_problems_on_their_lines() {
        let (_, text) = varied();
        for (after, insert, field) in [
            (
                "  name: \"Ünïcode 🌍\",\n",
                "  colour: \"red\",\n",
                "colour",
            ),
            (
                "      name: \"place\",\n",
                "      shortcut: 'p',\n",
                "shortcut",
            ),
            ("      done: false,\n", "      pinned: true,\n", "pinned"),
            (
                "        encoding: \"UTF-8\",\n",
                "        bom: false,\n",
                "bom",
            ),
            ("(id: 2, ", "weight: 2, ", "weight"),
            ("reviewer: \"ben\", ", "mood: \"😀\", ", "mood"),
        ] {
            let (edited, line) = inserted(&text, after, insert);
            let err = load_text(&edited).expect_err(field);
            let msg = err.to_string();
            let ProjectError::Invalid { problems, .. } = &err else {
                panic!("expected a problem, got {err:?}");
            };
            assert_eq!(problems.len(), 1, "{msg}");
            assert_eq!(problems[0].line, Some(line), "{msg}");
            assert!(msg.contains(&format!("unknown field `{field}`")), "{msg}");
        }
    }

    #[test]
    fn span_ids_stay_within_two_to_the_53() {
        let text = sample();
        let line = line_of(text, "next_span_id: 113");
        for big in [u64::MAX.to_string(), (MAX_SPAN_ID + 2).to_string()] {
            let err =
                load_text(&text.replace("next_span_id: 113", &format!("next_span_id: {big}")))
                    .expect_err("refused");
            let ProjectError::Invalid { problems, .. } = &err else {
                panic!("expected a problem, got {err:?}");
            };
            assert_eq!(problems.len(), 1, "{err}");
            assert_eq!(problems[0].line, Some(line), "{err}");
            assert!(err.to_string().contains("9007199254740992"), "{err}");
        }
        // Over u64: a syntax error on that line.
        let err =
            load_text(&text.replace("next_span_id: 113", "next_span_id: 18446744073709551616"))
                .expect_err("refused");
        assert!(
            matches!(err, ProjectError::Syntax { line: l, .. } if l == line),
            "{err}"
        );
        // 2^53 itself loads, but no span can be made any more.
        let mut p = load_text(&text.replace("next_span_id: 113", "next_span_id: 9007199254740992"))
            .expect("loads");
        assert_eq!(p.next_span_id, MAX_SPAN_ID + 1);
        let doc = p.documents[0].id.clone();
        assert_eq!(
            p.make_span(&doc, 0, 4, "actor", "ana"),
            Err(crate::model::EditError::NoSpanIdLeft)
        );
        // A span id over the limit is refused on its own line, also by edits.
        let span_line = line_of(text, "(id: 2, ");
        let err =
            load_text(&text.replace("(id: 2, ", "(id: 9007199254740992, ")).expect_err("refused");
        let ProjectError::Invalid { problems, .. } = &err else {
            panic!("expected a problem, got {err:?}");
        };
        assert_eq!(problems.len(), 1, "{err}");
        assert_eq!(
            (problems[0].line, problems[0].span),
            (Some(span_line), Some(SpanId(MAX_SPAN_ID + 1)))
        );
        p.next_span_id = 1;
        let mut span = p.make_span(&doc, 0, 4, "actor", "ana").expect("a span");
        span.id = SpanId(MAX_SPAN_ID + 1);
        assert_eq!(
            p.apply(crate::edit::Edit::AddSpan { doc, span }),
            Err(crate::model::EditError::SpanIdTooLarge(SpanId(
                MAX_SPAN_ID + 1
            )))
        );
    }

    #[test]
    fn every_future_version_is_refused_the_same_way() {
        let text = sample();
        for v in [
            "3",
            "4294967295",
            "4294967296",
            "18446744073709551616",
            "9".repeat(60).as_str(),
        ] {
            let edited = text.replace("schema_version: 1,", &format!("schema_version: {v},"));
            match load_text(&edited) {
                Err(ProjectError::FutureVersion {
                    found, supported, ..
                }) => {
                    assert_eq!((found.as_str(), supported), (v, SCHEMA_VERSION));
                }
                other => panic!("version {v}: expected FutureVersion, got {other:?}"),
            }
        }
        // Version 0 and leading zeros are not the future.
        for v in ["0", "00", "01"] {
            let edited = text.replace("schema_version: 1,", &format!("schema_version: {v},"));
            assert!(
                !matches!(load_text(&edited), Err(ProjectError::FutureVersion { .. })),
                "{v}"
            );
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let (p, text) = varied();
        let mut bytes = BOM.to_vec();
        bytes.extend_from_slice(text.as_bytes());
        let loaded = from_ron_bytes(&bytes, Path::new("p.ron")).expect("loads");
        assert_eq!(loaded, p);
        assert_eq!(to_ron_string(&loaded).expect("serializes"), text);
    }

    #[test]
    fn an_all_crlf_file_reads_as_the_lf_file_it_was() {
        let (p, text) = varied();
        assert!(text.contains("line\rbreak"));
        let crlf = text.replace('\n', "\r\n");
        let loaded = load_text(&crlf).expect("loads");
        assert_eq!(loaded, p);
        for (a, b) in loaded.documents.iter().zip(&p.documents) {
            assert_eq!(a.text, b.text);
            assert!(!a.text.contains('\r'));
        }
        assert_eq!(
            loaded.documents[0].spans[0].note.as_deref(),
            Some("line\rbreak é")
        );
        // Saved again, it is the LF file byte for byte; with a BOM too.
        assert_eq!(to_ron_string(&loaded).expect("serializes"), text);
        let mut bytes = BOM.to_vec();
        bytes.extend_from_slice(crlf.as_bytes());
        assert_eq!(
            from_ron_bytes(&bytes, Path::new("p.ron")).expect("loads"),
            p
        );
        // A CR before a converted line break is kept.
        assert_eq!(&*crlf_to_lf(b"a\r\r\nb\r\n"), b"a\r\nb\n");
    }

    #[test]
    fn a_file_with_some_crlf_lines_fails_with_a_hint() {
        let text = sample();
        let half = text.len() / 2;
        let cut = half + text[half..].find('\n').expect("a line break");
        let mixed = format!("{}{}", &text[..cut], text[cut..].replace('\n', "\r\n"));
        let err = load_text(&mixed).expect_err("text changed");
        let msg = err.to_string();
        assert!(msg.contains("does not match the text"), "{msg}");
        assert!(msg.contains("end in CRLF"), "{msg}");
        // The first CRLF ends the line the cut is on.
        let first = text[..cut].matches('\n').count() + 1;
        assert!(msg.contains(&format!("the first line {first};")), "{msg}");
    }

    #[test]
    fn long_problem_lists_show_the_first_hundred() {
        let marked = "[actor Zoë] ".repeat(150);
        let p = crate::markup::project_from_markup(
            "p",
            &[("d", &marked)],
            "ana",
            crate::time::Timestamp(0),
        )
        .expect("markup");
        let text = to_ron_string(&p)
            .expect("serializes")
            .replace("name: \"actor\"", "name: \"person\"");
        let err = load_text(&text).expect_err("unknown label");
        let msg = err.to_string();
        assert!(msg.contains("150 problem(s)"), "{msg}");
        assert_eq!(
            msg.lines().filter(|l| l.starts_with("  - line ")).count(),
            100,
            "{msg}"
        );
        assert!(msg.ends_with("  - … and 50 more"), "{msg}");
    }

    #[test]
    fn problems_are_found_on_their_lines() {
        // A span id used in two documents is reported in the second, on its own line; a label
        // defined twice on the second definition.
        let (_, text) = varied();
        let second_doc = text.find("id: \"مرحبا\"").expect("second document");
        let (head, tail) = text.split_at(second_doc);
        let first_span_of_second = tail.find("(id: ").expect("a span");
        let id_end = tail[first_span_of_second..].find(',').expect("id") + first_span_of_second;
        let edited = format!(
            "{head}{}(id: 1{}",
            &tail[..first_span_of_second],
            &tail[id_end..]
        );
        let line = edited[..second_doc + first_span_of_second]
            .matches('\n')
            .count()
            + 1;
        let err = load_text(&edited).expect_err("duplicate id");
        let ProjectError::Invalid { problems, .. } = &err else {
            panic!("expected problems, got {err:?}");
        };
        let dup = problems
            .iter()
            .find(|p| p.message.contains("also used in document"))
            .expect("reported");
        assert_eq!(
            (dup.doc.as_deref(), dup.line),
            (Some("مرحبا"), Some(line)),
            "{err}"
        );
        let label = "    (\n      name: \"actor\",\n      color: \"#3b82c4\",\n      hotkey: None,\n    ),\n";
        let (edited, line) = inserted(
            &text,
            "  labels: [\n    (\n      name: \"actor\",\n      color: \"#3b82c4\",\n      hotkey: Some('1'),\n    ),\n",
            label,
        );
        let err = load_text(&edited).expect_err("label twice");
        let ProjectError::Invalid { problems, .. } = &err else {
            panic!("expected problems, got {err:?}");
        };
        assert_eq!(problems.len(), 1, "{err}");
        assert_eq!(problems[0].line, Some(line + 1), "{err}");
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
    fn a_backup_that_already_is_the_file_leaves_no_temporary_link() {
        // A save killed after making its backup and before its rename leaves NAME.bak as a link
        // of NAME; the next save's backup rename is then a no-op.
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("p.ron");
        fs::write(&p, "one").expect("write");
        fs::hard_link(&p, dir.path().join("p.ron.bak")).expect("link");
        write_atomic(&p, b"two").expect("save");
        assert_eq!(fs::read_to_string(&p).expect("read"), "two");
        assert_eq!(
            fs::read_to_string(dir.path().join("p.ron.bak")).expect("read"),
            "one"
        );
        assert!(!dir.path().join(".p.ron.bak.spantag-tmp").exists());
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
