//! Article import from `.txt` and `.md` files: encoding detection, line-ending normalisation and
//! clear errors for files that are not text; and [`plan_add`], the one rule for adding a batch of
//! articles to a project (the command line and the app both follow it).

use crate::edit::Edit;
use crate::model::{Document, LineEndings, Project, Source, content_hash, slug};
use crate::read::{ReadError, read_bounded};
use encoding_rs::{Encoding, UTF_8};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Default largest article (and import file) accepted: 50 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Why an article file could not be imported (that file is not added; see [`plan_add`]).
#[derive(Debug, Error)]
pub enum ImportError {
    /// Not readable, not a regular file, or over the size limit.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: the file contains only whitespace")]
    OnlyWhitespace { path: PathBuf },
    #[error("{path}: this looks like a binary file, not text ({why})")]
    Binary { path: PathBuf, why: String },
    #[error("{path}: unsupported file type {ext:?} (articles are .txt, .md or .html)")]
    Unsupported { path: PathBuf, ext: String },
    #[error("{path}: this is a spantag project, not an article (open it instead)")]
    Project { path: PathBuf },
    /// Mostly UTF-8 with a few invalid bytes: refused rather than decoded whole as a legacy
    /// encoding (which would garble every other non-ASCII character).
    #[error("{path}: {why}")]
    BadUtf8 { path: PathBuf, why: String },
    /// A web page in which no article was found.
    #[error("{path}: {why}")]
    NoArticle { path: PathBuf, why: String },
}

/// Where bytes are not UTF-8, and how much of them is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utf8Report {
    /// The first few invalid byte sequences: line and column (1-based; the column counts
    /// characters, an invalid sequence as one) and the bytes.
    pub bad: Vec<(usize, usize, Vec<u8>)>,
    /// How many invalid sequences there are.
    pub bad_total: usize,
    /// How many valid multi-byte UTF-8 characters there are.
    pub multibyte: usize,
}

impl Utf8Report {
    /// How many invalid sequences [`Utf8Report::bad`] lists.
    const LISTED: usize = 5;

    /// Scans `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let mut r = Utf8Report {
            bad: Vec::new(),
            bad_total: 0,
            multibyte: 0,
        };
        let (mut line, mut col) = (1usize, 1usize);
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\n' {
                    line += 1;
                    col = 1;
                } else {
                    col += 1;
                }
                if c.len_utf8() > 1 {
                    r.multibyte += 1;
                }
            }
            let invalid = chunk.invalid();
            if !invalid.is_empty() {
                r.bad_total += 1;
                if r.bad.len() < Self::LISTED {
                    r.bad.push((line, col, invalid.to_vec()));
                }
                col += 1;
            }
        }
        r
    }

    /// Whether the text is UTF-8 with a few bad bytes rather than a legacy encoding: it has more
    /// valid multi-byte characters than invalid sequences. (A windows-1252 or Latin-1 text
    /// almost never forms a valid multi-byte sequence; a UTF-8 text with accents or other
    /// scripts is full of them.)
    pub fn mostly_utf8(&self) -> bool {
        self.bad_total > 0 && self.multibyte > self.bad_total
    }

    /// E.g. `2 invalid byte sequence(s): line 3, column 5 (0xE9), line 9, column 1 (0xC3)`.
    pub fn describe(&self) -> String {
        let places: Vec<String> = self
            .bad
            .iter()
            .map(|(l, c, b)| {
                let hex: Vec<String> = b.iter().map(|x| format!("0x{x:02X}")).collect();
                format!("line {l}, column {c} ({})", hex.join(" "))
            })
            .collect();
        let more = self.bad_total.saturating_sub(self.bad.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        format!(
            "{} invalid UTF-8 byte sequence(s): {}{tail}",
            self.bad_total,
            places.join(", ")
        )
    }
}

/// The legacy encoding chardetng guesses for `bytes` (its name).
pub fn guess_legacy(bytes: &[u8]) -> &'static str {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Deny).name()
}

/// Why bytes could not be decoded.
enum DecodeFailure {
    /// Not text at all.
    NotText(String),
    /// UTF-8 with invalid bytes.
    BadUtf8(String),
}

/// Decoded article text and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedText {
    /// The text with LF line endings.
    pub text: String,
    /// Name of the encoding it was decoded from.
    pub encoding: String,
    /// Whether a byte-order mark was found (and removed).
    pub had_bom: bool,
    /// The line endings found.
    pub line_endings: LineEndings,
    /// What the file itself says of the article (a web page's title, byline, date, URL: see
    /// [`crate::html`]), as `meta` entries (key, JSON text).
    pub meta: Vec<(String, String)>,
    /// The title the file declares (a web page's), used before the one found in the text.
    pub title: Option<String>,
}

impl DecodedText {
    /// A one-line description for reports, e.g. `UTF-16LE with BOM, CRLF line endings normalised`.
    pub fn describe(&self) -> String {
        let mut s = self.encoding.clone();
        if self.had_bom {
            s.push_str(" with BOM");
        }
        match self.line_endings {
            LineEndings::Lf => {}
            LineEndings::Crlf => s.push_str(", CRLF line endings normalised to LF"),
            LineEndings::Cr => s.push_str(", CR line endings normalised to LF"),
            LineEndings::Mixed => s.push_str(", mixed line endings normalised to LF"),
        }
        s
    }
}

/// Options for [`read_article`].
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Files larger than this are refused.
    pub max_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Decodes raw bytes: BOM (UTF-8, UTF-16LE/BE) first, then strict UTF-8, then a legacy encoding
/// guessed by chardetng. Returns `Err(reason)` for content that is not text, and for a text that
/// is UTF-8 but for a few invalid bytes (named by line and column): such a file is not decoded
/// whole as a legacy encoding.
pub fn decode(bytes: &[u8]) -> Result<DecodedText, String> {
    decode_inner(bytes).map_err(|e| match e {
        DecodeFailure::NotText(s) | DecodeFailure::BadUtf8(s) => s,
    })
}

fn decode_inner(bytes: &[u8]) -> Result<DecodedText, DecodeFailure> {
    use DecodeFailure::{BadUtf8, NotText};
    let (text, encoding, had_bom) = if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        let (cow, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            if enc == UTF_8 {
                return Err(BadUtf8(format!(
                    "it has a UTF-8 byte-order mark but {}",
                    Utf8Report::of(body).describe()
                )));
            }
            return Err(NotText(format!(
                "it has a {} byte-order mark but invalid {0} content",
                enc.name()
            )));
        }
        (cow.into_owned(), enc.name(), true)
    } else {
        if bytes.contains(&0) {
            return Err(NotText("it contains NUL bytes".into()));
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), UTF_8.name(), false),
            Err(_) => {
                let report = Utf8Report::of(bytes);
                if report.mostly_utf8() {
                    return Err(BadUtf8(format!(
                        "it is UTF-8 except for {} (it was not read as a legacy encoding, which \
                         would garble its {} other non-ASCII characters); fix those bytes",
                        report.describe(),
                        report.multibyte
                    )));
                }
                let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                det.feed(bytes, true);
                let enc = det.guess(None, chardetng::Utf8Detection::Deny);
                let (cow, had_errors) = enc.decode_without_bom_handling(bytes);
                if had_errors {
                    return Err(NotText(format!(
                        "it is neither UTF-8 nor valid {}",
                        enc.name()
                    )));
                }
                (cow.into_owned(), enc.name(), false)
            }
        }
    };
    if text.contains('\0') {
        return Err(NotText("it contains NUL characters".into()));
    }
    let control = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if control * 20 > text.chars().count().max(1) {
        return Err(NotText("too many control characters".into()));
    }
    let (text, line_endings) = normalize_line_endings(text);
    Ok(DecodedText {
        text,
        encoding: encoding.to_owned(),
        had_bom,
        line_endings,
        meta: Vec::new(),
        title: None,
    })
}

/// Replaces CRLF and lone CR with LF and reports what was found.
pub fn normalize_line_endings(text: String) -> (String, LineEndings) {
    if !text.contains('\r') {
        return (text, LineEndings::Lf);
    }
    let (mut crlf, mut cr, mut lf) = (0usize, 0usize, 0usize);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                crlf += 1;
                out.push('\n');
            }
            '\r' => {
                cr += 1;
                out.push('\n');
            }
            '\n' => {
                lf += 1;
                out.push('\n');
            }
            c => out.push(c),
        }
    }
    let kinds = [crlf, cr, lf].iter().filter(|&&n| n > 0).count();
    let endings = if kinds > 1 {
        LineEndings::Mixed
    } else if crlf > 0 {
        LineEndings::Crlf
    } else {
        LineEndings::Cr
    };
    (out, endings)
}

/// The file extensions read as articles (lower case): text and Markdown files, and saved web
/// pages (see [`crate::html`]).
pub const ARTICLE_EXTENSIONS: [&str; 7] = ["txt", "md", "markdown", "text", "html", "htm", "xhtml"];

/// Whether `path` has one of the [`ARTICLE_EXTENSIONS`] (in any case).
pub fn is_article_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| {
        let e = e.to_string_lossy().to_lowercase();
        ARTICLE_EXTENSIONS.contains(&e.as_str())
    })
}

/// Reads and decodes one article file.
pub fn read_article(path: &Path, options: &ImportOptions) -> Result<DecodedText, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if ext == "ron" {
        return Err(ImportError::Project {
            path: path.to_owned(),
        });
    }
    if matches!(ext.as_str(), "html" | "htm" | "xhtml") {
        let bytes = read_bounded(path, options.max_bytes)?;
        return decode_page(&bytes, path);
    }
    if !matches!(ext.as_str(), "txt" | "md" | "markdown" | "text") {
        return Err(ImportError::Unsupported {
            path: path.to_owned(),
            ext,
        });
    }
    let bytes = read_bounded(path, options.max_bytes)?;
    decode_named(&bytes, path)
}

/// [`decode`] with errors that name `path`; empty or whitespace-only text is refused.
pub fn decode_named(bytes: &[u8], path: &Path) -> Result<DecodedText, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty {
            path: path.to_owned(),
        });
    }
    let decoded = decode_inner(bytes).map_err(|e| match e {
        DecodeFailure::NotText(why) => ImportError::Binary {
            path: path.to_owned(),
            why,
        },
        DecodeFailure::BadUtf8(why) => ImportError::BadUtf8 {
            path: path.to_owned(),
            why,
        },
    })?;
    if decoded.text.is_empty() {
        // Only a byte-order mark.
        return Err(ImportError::Empty {
            path: path.to_owned(),
        });
    }
    if decoded.text.trim().is_empty() {
        return Err(ImportError::OnlyWhitespace {
            path: path.to_owned(),
        });
    }
    Ok(decoded)
}

/// A saved web page as an article: decoded by its byte-order mark, else the encoding its
/// `<meta>` declares, else as a text file is; then its main content extracted ([`crate::html`]).
pub fn decode_page(bytes: &[u8], path: &Path) -> Result<DecodedText, ImportError> {
    let mut decoded = match (
        Encoding::for_bom(bytes),
        crate::html::declared_encoding(bytes),
    ) {
        (None, Some(enc)) => {
            let (cow, had_errors) = enc.decode_without_bom_handling(bytes);
            if had_errors && enc == UTF_8 {
                return Err(ImportError::BadUtf8 {
                    path: path.to_owned(),
                    why: format!("it declares UTF-8 but {}", Utf8Report::of(bytes).describe()),
                });
            }
            let (text, line_endings) = normalize_line_endings(cow.into_owned());
            DecodedText {
                text,
                encoding: format!("{} (declared)", enc.name()),
                had_bom: false,
                line_endings,
                meta: Vec::new(),
                title: None,
            }
        }
        _ => decode_named(bytes, path)?,
    };
    let page = crate::html::extract(&decoded.text).map_err(|e| ImportError::NoArticle {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    decoded.meta = page.meta();
    decoded.title.clone_from(&page.title);
    decoded.text = page.text;
    Ok(decoded)
}

/// The title of an article: the headline the boilerplate detector finds (so that a site's
/// navigation line or byline above it is skipped: see [`crate::boilerplate`]), else the first
/// Markdown heading or non-empty line (shortened), else the file name.
pub fn title_of(text: &str, path: &Path) -> String {
    let lang = crate::boilerplate::Language::english();
    let detected = crate::boilerplate::detect(text, &lang, &std::collections::HashSet::new());
    let headline = detected.headline_range().and_then(|(a, b)| {
        let start = text.char_indices().nth(a).map(|(i, _)| i)?;
        let end = text.char_indices().nth(b).map_or(text.len(), |(i, _)| i);
        text.get(start..end)
    });
    let first = headline
        .or_else(|| text.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(|l| l.trim_start_matches('#').trim());
    match first {
        Some(l) if !l.is_empty() => {
            let mut t: String = l.chars().take(120).collect();
            if l.chars().count() > 120 {
                t.push('…');
            }
            t
        }
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "Untitled".into()),
    }
}

/// Builds a document for `project` (a fresh id) from decoded text.
pub fn make_document(project: &Project, path: &Path, decoded: DecodedText) -> Document {
    let id = project.unique_doc_id(&file_stem(path));
    document_with_id(id, path, decoded)
}

/// The file name without its extension, the stem of a document id.
fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "doc".into())
}

/// A document with id `id` from decoded text.
fn document_with_id(id: String, path: &Path, decoded: DecodedText) -> Document {
    let title = decoded
        .title
        .clone()
        .unwrap_or_else(|| title_of(&decoded.text, path));
    let meta = decoded.meta.iter().cloned().collect();
    let source = Source {
        path: Some(path.to_string_lossy().into_owned()),
        hash: content_hash(&decoded.text),
        encoding: decoded.encoding,
        line_endings: decoded.line_endings,
    };
    let mut doc = Document::new(id, title, decoded.text, source);
    doc.meta = meta;
    doc
}

/// Reads every file with [`read_article`], in order: the input of [`plan_add`].
pub fn read_articles(
    paths: &[PathBuf],
    options: &ImportOptions,
) -> Vec<(PathBuf, Result<DecodedText, ImportError>)> {
    paths
        .iter()
        .map(|p| (p.clone(), read_article(p, options)))
        .collect()
}

/// An article [`plan_add`] adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its new document id.
    pub id: String,
    /// Length of its text in code points.
    pub chars: usize,
    /// How it was decoded ([`DecodedText::describe`]).
    pub how: String,
}

/// An article [`plan_add`] skips because its text is already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file it was read from.
    pub path: PathBuf,
    /// The id of the document with the same text.
    pub duplicate_of: String,
    /// True when that document comes from an earlier file of the same batch (it is being added
    /// too), false when it is already in the project.
    pub in_batch: bool,
}

/// What adding a batch of article files does: the edits that add the good ones (apply them as one
/// undoable step) and a report of every file.
#[derive(Debug, Default)]
pub struct AddPlan {
    /// One [`Edit::AddDocument`] per added article, in file order, after the project's documents.
    pub edits: Vec<Edit>,
    /// The added articles, in the order of `edits`.
    pub added: Vec<Added>,
    /// Articles whose text is already in the project or earlier in the batch.
    pub skipped: Vec<Skipped>,
    /// Files that could not be read, with the reason.
    pub failed: Vec<(PathBuf, ImportError)>,
}

impl AddPlan {
    /// Whether every file was added (nothing skipped, nothing failed).
    pub fn is_clean(&self) -> bool {
        self.skipped.is_empty() && self.failed.is_empty()
    }

    /// One line per skipped file, e.g. `b.txt: same text as document "a" already in the project`.
    pub fn skipped_lines(&self) -> Vec<String> {
        self.skipped
            .iter()
            .map(|s| {
                let whose = if s.in_batch {
                    "added from an earlier file"
                } else {
                    "already in the project"
                };
                format!(
                    "{}: same text as document {:?} {whose}",
                    s.path.display(),
                    s.duplicate_of
                )
            })
            .collect()
    }

    /// A one-line count, e.g. `2 added, 1 skipped (already there), 1 could not be read`.
    pub fn summary(&self) -> String {
        let mut s = format!("{} added", self.added.len());
        if !self.skipped.is_empty() {
            s.push_str(&format!(", {} skipped (already there)", self.skipped.len()));
        }
        if !self.failed.is_empty() {
            s.push_str(&format!(", {} could not be read", self.failed.len()));
        }
        s
    }
}

/// The rule for adding articles to `project`, shared by `spantag add` and the app: every file that
/// was read is added; a text already in the project, or repeated within the batch, is skipped and
/// reported with the id of the document it duplicates; each file that could not be read is listed
/// with its reason. New document ids are unique (derived from the file names). Nothing is changed:
/// apply [`AddPlan::edits`].
pub fn plan_add(
    project: &Project,
    files: Vec<(PathBuf, Result<DecodedText, ImportError>)>,
) -> AddPlan {
    let mut plan = AddPlan::default();
    let mut ids: HashSet<String> = project.documents.iter().map(|d| d.id.clone()).collect();
    // Content hash -> (document id, in this batch); the text is compared too, on a hash match.
    let mut by_hash: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for d in &project.documents {
        by_hash
            .entry(d.source.hash.clone())
            .or_default()
            .push((d.id.clone(), false));
    }
    let texts: HashMap<&str, &str> = project
        .documents
        .iter()
        .map(|d| (d.id.as_str(), d.text.as_str()))
        .collect();
    let mut new_docs: Vec<Document> = Vec::new();
    for (path, read) in files {
        let decoded = match read {
            Ok(d) => d,
            Err(e) => {
                plan.failed.push((path, e));
                continue;
            }
        };
        let hash = content_hash(&decoded.text);
        let same = by_hash.get(&hash).and_then(|found| {
            found.iter().find(|(id, in_batch)| {
                let text = if *in_batch {
                    new_docs
                        .iter()
                        .find(|d| &d.id == id)
                        .map(|d| d.text.as_str())
                } else {
                    texts.get(id.as_str()).copied()
                };
                text == Some(decoded.text.as_str())
            })
        });
        if let Some((id, in_batch)) = same {
            plan.skipped.push(Skipped {
                path,
                duplicate_of: id.clone(),
                in_batch: *in_batch,
            });
            continue;
        }
        let id = fresh_id(&ids, &file_stem(&path));
        ids.insert(id.clone());
        by_hash.entry(hash).or_default().push((id.clone(), true));
        let how = decoded.describe();
        let doc = document_with_id(id.clone(), &path, decoded);
        plan.added.push(Added {
            path,
            id,
            chars: doc.len_chars(),
            how,
        });
        new_docs.push(doc);
    }
    let first = project.documents.len();
    plan.edits = new_docs
        .into_iter()
        .enumerate()
        .map(|(k, doc)| Edit::AddDocument {
            index: first + k,
            document: Arc::new(doc),
        })
        .collect();
    plan
}

/// A document id from `stem` that is not in `taken` (as [`Project::unique_doc_id`]).
fn fresh_id(taken: &HashSet<String>, stem: &str) -> String {
    let base = slug(stem);
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_quotes() {
        // “Hello” – it’s in windows-1252.
        let bytes = b"\x93Hello\x94 \x96 it\x92s caf\xe9 time, said the mayor of the town.";
        let d = decode(bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            d.text,
            "“Hello” – it’s café time, said the mayor of the town."
        );
        assert_eq!(d.encoding, "windows-1252");
    }

    #[test]
    fn line_endings() {
        assert_eq!(
            normalize_line_endings("a\r\nb\r\n".into()),
            ("a\nb\n".into(), LineEndings::Crlf)
        );
        assert_eq!(
            normalize_line_endings("a\rb".into()),
            ("a\nb".into(), LineEndings::Cr)
        );
        assert_eq!(
            normalize_line_endings("a\r\nb\nc".into()),
            ("a\nb\nc".into(), LineEndings::Mixed)
        );
    }

    #[test]
    fn binary_refused() {
        assert!(decode(b"PK\x03\x04\x00\x00binary").is_err());
        assert!(decode(&[0xff, 0xfe, 0x00, 0xd8]).is_err());
    }

    fn read(text: &str) -> Result<DecodedText, ImportError> {
        decode(text.as_bytes()).map_err(|why| ImportError::Binary {
            path: "x".into(),
            why,
        })
    }

    #[test]
    fn plan_adds_good_files_and_reports_the_rest() {
        let mut project = Project::new("p", &["actor"]);
        let old = make_document(
            &project,
            Path::new("a.txt"),
            decode("Old news.".as_bytes()).unwrap(),
        );
        project
            .apply(Edit::AddDocument {
                index: 0,
                document: Arc::new(old),
            })
            .unwrap();
        let files = vec![
            (PathBuf::from("in/a.txt"), read("Fresh news.")),
            (PathBuf::from("b.txt"), read("Old news.")),
            (PathBuf::from("c.txt"), read("Third story.")),
            (
                PathBuf::from("d.txt"),
                Err(ImportError::Empty {
                    path: "d.txt".into(),
                }),
            ),
            (
                PathBuf::from("other/a.txt"),
                read("Café 👩\u{200d}👩\u{200d}👧 news."),
            ),
            (PathBuf::from("again.txt"), read("Fresh news.")),
        ];
        let plan = plan_add(&project, files);
        let added: Vec<(&str, &str)> = plan
            .added
            .iter()
            .map(|a| (a.path.to_str().unwrap(), a.id.as_str()))
            .collect();
        assert_eq!(
            added,
            [("in/a.txt", "a-2"), ("c.txt", "c"), ("other/a.txt", "a-3")]
        );
        assert_eq!(plan.added[2].chars, 16, "code points");
        assert_eq!(
            plan.skipped,
            [
                Skipped {
                    path: "b.txt".into(),
                    duplicate_of: "a".into(),
                    in_batch: false
                },
                Skipped {
                    path: "again.txt".into(),
                    duplicate_of: "a-2".into(),
                    in_batch: true
                },
            ]
        );
        assert_eq!(
            plan.skipped_lines(),
            [
                "b.txt: same text as document \"a\" already in the project",
                "again.txt: same text as document \"a-2\" added from an earlier file",
            ]
        );
        let failed: Vec<String> = plan.failed.iter().map(|(_, e)| e.to_string()).collect();
        assert_eq!(failed, ["d.txt: the file is empty"]);
        assert!(!plan.is_clean());
        assert_eq!(
            plan.summary(),
            "3 added, 2 skipped (already there), 1 could not be read"
        );
        // The edits add the documents after the existing one, in file order; undone, they go.
        let before = project.clone();
        let mut undo = Vec::new();
        for e in plan.edits {
            undo.push(project.apply(e).unwrap());
        }
        let ids: Vec<&str> = project.documents.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "a-2", "c", "a-3"]);
        for e in undo.into_iter().rev() {
            project.apply(e).unwrap();
        }
        assert_eq!(project, before);
    }

    #[test]
    fn plan_compares_texts_not_only_hashes() {
        let mut project = Project::new("p", &["actor"]);
        let mut doc = make_document(&project, Path::new("x.txt"), read("One text.").unwrap());
        // A stored hash that matches another text (as a collision would).
        doc.source.hash = content_hash("Another text.");
        project.documents.push(Arc::new(doc));
        let plan = plan_add(&project, vec![("y.txt".into(), read("Another text."))]);
        assert_eq!(plan.added.len(), 1);
        assert!(plan.is_clean());
        assert_eq!(plan.summary(), "1 added");
        // Nothing to add: an empty plan.
        let plan = plan_add(&project, Vec::new());
        assert!(plan.edits.is_empty() && plan.is_clean());
    }

    #[test]
    fn projects_are_not_articles() {
        let e = read_article(Path::new("p.RON"), &ImportOptions::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "p.RON: this is a spantag project, not an article (open it instead)"
        );
    }
}
