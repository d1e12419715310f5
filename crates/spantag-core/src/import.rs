//! Article import from `.txt` and `.md` files: encoding detection, line-ending normalisation and
//! clear errors for files that are not text.

use crate::model::{Document, LineEndings, Project, Source, content_hash};
use encoding_rs::{Encoding, UTF_8};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Default largest article accepted: 50 MB.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// Why an article could not be imported. Nothing is added to the project when import fails.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: the file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path}: this looks like a binary file, not text ({why})")]
    Binary { path: PathBuf, why: String },
    #[error("{path}: unsupported file type {ext:?} (articles are .txt or .md)")]
    Unsupported { path: PathBuf, ext: String },
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
/// guessed by chardetng. Returns `Err(reason)` for content that is not text.
pub fn decode(bytes: &[u8]) -> Result<DecodedText, String> {
    let (text, encoding, had_bom) = if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        let (cow, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            return Err(format!(
                "it has a {} byte-order mark but invalid {0} content",
                enc.name()
            ));
        }
        (cow.into_owned(), enc.name(), true)
    } else {
        if bytes.contains(&0) {
            return Err("it contains NUL bytes".into());
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), UTF_8.name(), false),
            Err(_) => {
                let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                det.feed(bytes, true);
                let enc = det.guess(None, chardetng::Utf8Detection::Deny);
                let (cow, had_errors) = enc.decode_without_bom_handling(bytes);
                if had_errors {
                    return Err(format!("it is neither UTF-8 nor valid {}", enc.name()));
                }
                (cow.into_owned(), enc.name(), false)
            }
        }
    };
    if text.contains('\0') {
        return Err("it contains NUL characters".into());
    }
    let control = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if control * 20 > text.chars().count().max(1) {
        return Err("too many control characters".into());
    }
    let (text, line_endings) = normalize_line_endings(text);
    Ok(DecodedText {
        text,
        encoding: encoding.to_owned(),
        had_bom,
        line_endings,
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

/// Reads and decodes one article file.
pub fn read_article(path: &Path, options: &ImportOptions) -> Result<DecodedText, ImportError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !matches!(ext.as_str(), "txt" | "md" | "markdown" | "text") {
        return Err(ImportError::Unsupported {
            path: path.to_owned(),
            ext,
        });
    }
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > options.max_bytes {
        return Err(ImportError::TooLarge {
            path: path.to_owned(),
            size,
            limit: options.max_bytes,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    decode_named(&bytes, path)
}

/// [`decode`] with errors that name `path`; empty or whitespace-only text is refused.
pub fn decode_named(bytes: &[u8], path: &Path) -> Result<DecodedText, ImportError> {
    if bytes.is_empty() {
        return Err(ImportError::Empty {
            path: path.to_owned(),
        });
    }
    let decoded = decode(bytes).map_err(|why| ImportError::Binary {
        path: path.to_owned(),
        why,
    })?;
    if decoded.text.trim().is_empty() {
        return Err(ImportError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(decoded)
}

/// The title of an article: the first Markdown heading, else the first non-empty line (shortened),
/// else the file name.
pub fn title_of(text: &str, path: &Path) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
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
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "doc".into());
    let id = project.unique_doc_id(&stem);
    let title = title_of(&decoded.text, path);
    let source = Source {
        path: Some(path.to_string_lossy().into_owned()),
        hash: content_hash(&decoded.text),
        encoding: decoded.encoding,
        line_endings: decoded.line_endings,
    };
    Document::new(id, title, decoded.text, source)
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
}
