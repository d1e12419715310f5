//! CoNLL-2003 style: one `TOKEN TAG` line per token (one space between the columns), a
//! `-DOCSTART- -X- O O` line and a blank line before each document, a blank line after each
//! sentence. Tags follow [`Scheme`] (IOB2 by default; IOB1, BILOU and IOBES on request); label
//! names are written as they are. Spans with whitespace at either end are exported trimmed.
//!
//! Only the token and tag columns are written: a project keeps no token-level attributes (POS,
//! chunk tags or other columns of an imported CoNLL file), so there are none to carry over.
//!
//! Sentences are the document's Unicode sentences, except that a sentence break is never put
//! inside an exported entity (the sentences are joined instead).
//!
//! Import detects the scheme (IOB1, IOB2, BILOU/IOBES all decode with the same lenient rules: an
//! `I-` tag that does not continue an entity of its type starts one). The text is rebuilt from the
//! tokens: tokens joined with single spaces, sentences joined with a line break (`\n`); documents
//! are named `FILESTEM-N`.

use super::{
    Ctx, Exporter, Extras, FormatError, FormatSpec, ImportProblem, Importer, Input, LayerSpans,
    Output, Parsed, Prepared, Progress, RawSpan, Record, Reports, Scheme,
};
use crate::model::{TokenColumn, Tokenization};
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "One token a line, -DOCSTART-, a blank line between sentences",
        extension: "conll",
        folder: false,
        layered: true,
        scheme: true,
        entity_layer: true,
        tokens: true,
        span_groups: false,
        write: export,
        preview,
        finish: None,
    }),
    import: Some(Importer {
        description: "CoNLL (IOB1, IOB2 or BILOU detected); text rebuilt with single spaces",
        offsets: None,
        input: Input::Files {
            kind: "CoNLL",
            extensions: &["conll", "txt", "iob", "bio"],
        },
        read: parse_file,
    }),
};

/// The tag of every token of a prepared document for one layer (`None` = `O`).
/// Per token: the tag prefix and the index of its span in the layer (`None` = `O`).
pub(crate) type Tags = Vec<Option<(&'static str, usize)>>;

/// The tags of a layer's tokens, and per token whether it continues the previous token's entity.
pub(crate) fn tags(scheme: Scheme, layer: &LayerSpans<'_>, n: usize) -> (Tags, Vec<bool>) {
    // (prefix, index into labels) per token; labels are looked up by the caller through spans.
    let mut out: Tags = vec![None; n];
    let mut inside = vec![false; n + 1]; // inside[i]: tokens i-1 and i are in the same entity
    let mut prev_end: Option<(usize, &str)> = None;
    for (k, (r, s)) in layer.spans.iter().enumerate() {
        let len = r.len();
        for (j, i) in r.clone().enumerate() {
            let prefix = match scheme {
                Scheme::Iob2 => {
                    if j == 0 {
                        "B"
                    } else {
                        "I"
                    }
                }
                Scheme::Iob1 => {
                    let adjacent = prev_end.is_some_and(|(e, l)| e == r.start && l == s.label);
                    if j == 0 && adjacent { "B" } else { "I" }
                }
                Scheme::Bilou | Scheme::Iobes => {
                    let iobes = scheme == Scheme::Iobes;
                    if len == 1 {
                        if iobes { "S" } else { "U" }
                    } else if j == 0 {
                        "B"
                    } else if j + 1 == len {
                        if iobes { "E" } else { "L" }
                    } else {
                        "I"
                    }
                }
            };
            if let Some(slot) = out.get_mut(i) {
                *slot = Some((prefix, k));
            }
            if j > 0 {
                inside[i] = true;
            }
        }
        prev_end = Some((r.end, s.label.as_str()));
    }
    (out, inside)
}

/// One document block (DOCSTART line, sentences, trailing blank line) of the entity layer.
fn preview(ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    let mut s = String::new();
    let names = column_names(ctx, std::slice::from_ref(p));
    write_record(ctx, p, true, &names, reports, &mut s);
    s
}

/// The names of the kept token columns the export writes (in the order the documents first
/// have them), or none with [`super::ExportOptions::token_columns`] off.
fn column_names(ctx: &Ctx<'_>, docs: &[Prepared<'_>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if !ctx.opts.token_columns {
        return names;
    }
    for p in docs {
        for c in p.doc.tokenization.iter().flat_map(|t| &t.columns) {
            if !names.contains(&c.name) {
                names.push(c.name.clone());
            }
        }
    }
    names
}

/// For each export token, the index of the kept token it lies in (`None` outside them), when
/// the document has kept tokens.
fn kept_origin(p: &Prepared<'_>) -> Option<Vec<Option<usize>>> {
    let kept = &p.doc.tokenization.as_ref()?.tokens;
    let mut k = 0;
    let origin = p
        .computed_tokens()
        .iter()
        .map(|t| {
            while kept.get(k).is_some_and(|&(_, b)| b <= t.start) {
                k += 1;
            }
            kept.get(k).filter(|&&(a, _)| a <= t.start).map(|_| k)
        })
        .collect();
    Some(origin)
}

fn write_record(
    ctx: &Ctx<'_>,
    p: &mut Prepared<'_>,
    entities: bool,
    columns: &[String],
    reports: &mut Reports,
    out: &mut String,
) {
    reports.no_relations = Some("CoNLL cannot hold relations");
    let layer = ctx.layer(p, entities, reports);
    let labels: Vec<&str> = layer.spans.iter().map(|(_, s)| s.label.as_str()).collect();
    let doc = p.doc;
    p.tokens();
    let origin = kept_origin(p);
    let toks = p.computed_tokens();
    let (tags, inside) = tags(ctx.opts.scheme, &layer, toks.len());
    let text = doc.text.as_str();
    // Where sentences start: the kept sentences (by token), else the segmenter's (by byte).
    let kept = doc.tokenization.as_ref().filter(|_| origin.is_some());
    let mut sentence_starts: Vec<usize> = Vec::new();
    if kept.is_none() {
        crate::segment::for_each_sentence(text, |at, _| sentence_starts.push(at));
    }
    // The kept columns of this document, by the export's column names.
    let values: Vec<Option<&Vec<String>>> = columns
        .iter()
        .map(|n| {
            kept.and_then(|t| t.columns.iter().find(|c| &c.name == n))
                .map(|c| &c.values)
        })
        .collect();
    let mut cut = 0;
    out.push_str("-DOCSTART- -X- O O\n\n");
    let mut sent = 0;
    let mut any = false;
    for (i, t) in toks.iter().enumerate() {
        let from = origin.as_ref().and_then(|o| o[i]);
        let first_piece = i == 0 || origin.as_ref().is_none_or(|o| o[i - 1] != from);
        if !first_piece {
            cut += 1;
        }
        // Advance to the sentence containing this token; break unless inside an entity.
        let new_sentence = match (kept, from) {
            (Some(k), Some(f)) => {
                first_piece && i > 0 && k.sentence_starts.binary_search(&f).is_ok()
            }
            (Some(_), None) => false,
            (None, _) => {
                let mut moved = false;
                while sentence_starts
                    .get(sent + 1)
                    .is_some_and(|&s| s <= t.bstart)
                {
                    sent += 1;
                    moved = true;
                }
                moved
            }
        };
        if new_sentence && any && !inside[i] {
            out.push('\n');
        }
        out.push_str(text.get(t.bstart..t.bend).unwrap_or(""));
        for v in &values {
            out.push(' ');
            match (v, from) {
                (Some(v), Some(f)) => out.push_str(v.get(f).map_or("_", String::as_str)),
                _ => out.push('_'),
            }
        }
        match tags[i] {
            Some((prefix, k)) => {
                out.push(' ');
                out.push_str(prefix);
                out.push('-');
                out.push_str(labels.get(k).copied().unwrap_or("MISC"));
                out.push('\n');
            }
            None => out.push_str(" O\n"),
        }
        any = true;
    }
    if any {
        out.push('\n');
    }
    if cut > 0 && entities {
        reports.notes.push(format!(
            "document {:?}: {cut} of its kept tokens (from the imported file) were cut at a span \
             boundary inside them, so the export has {cut} more token(s) than the file (their \
             column values repeated)",
            doc.id
        ));
    }
}

fn export(
    ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    _split: Option<&str>,
    files: &mut Output,
    reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let layers = ctx.layers();
    let columns = column_names(ctx, docs);
    // About two bytes of output per byte of text (token, space, tag, newline): reserving it up
    // front spares copying the growing buffer over and over.
    let estimate: usize = docs.iter().map(|p| p.doc.text.len() * 2 + 32).sum();
    let mut bufs: Vec<String> = layers
        .iter()
        .map(|_| String::with_capacity(estimate))
        .collect();
    super::each_document(docs, progress, |p| {
        for (buf, &entities) in bufs.iter_mut().zip(&layers) {
            write_record(ctx, p, entities, &columns, reports, buf);
        }
        Ok(())
    })?;
    for (buf, &entities) in bufs.into_iter().zip(&layers) {
        let path = if entities || layers.len() == 1 {
            out.to_owned()
        } else {
            super::companion(out, "claims", "conll")
        };
        files.add(path, buf.into_bytes());
    }
    Ok(())
}

/// Reads a CoNLL file (token first column, tag last column).
fn parse_file(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let text = super::read_text(path, parsed.max_bytes)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "conll".into());
    // Refuse what is not CoNLL (prose, JSON, brat) before anything is added: most of the first
    // token lines must have a tag in the last column.
    let (n, good) = super::sniff::conll_lines(&text);
    if n == 0 || good * 2 <= n {
        let why = if n == 0 {
            "it holds no token lines".to_owned()
        } else {
            format!(
                "only {good} of its first {n} lines have two or more columns and a tag (O, B-X, \
                 I-X, ...) in the last one"
            )
        };
        return Err(super::sniff::wrong_format(
            path,
            super::Format::Conll,
            &why,
            &text,
        ));
    }
    parse_str(&text, &path.display().to_string(), &stem, parsed);
    Ok(())
}

struct Builder {
    rec: Record,
    chars: usize,
    sentence_empty: bool,
    open: Option<(usize, usize, String, String)>, // start, end, label, location
    /// The file's tokens and sentence starts (token indices).
    tokens: Vec<(usize, usize)>,
    sentence_starts: Vec<usize>,
    /// The middle columns' values, one list per column (`None` until the first token line sets
    /// how many there are).
    columns: Option<Vec<Vec<String>>>,
    /// Token lines whose number of middle columns differs from the document's first.
    ragged: usize,
}

impl Builder {
    fn new(location: String, id: String) -> Self {
        Builder {
            rec: Record {
                location,
                id: Some(id),
                ..Record::default()
            },
            chars: 0,
            sentence_empty: true,
            open: None,
            tokens: Vec::new(),
            sentence_starts: Vec::new(),
            columns: None,
            ragged: 0,
        }
    }

    /// Records a token line's middle columns (`_` where a line has fewer than the first).
    fn middle(&mut self, values: &[&str]) {
        let cols = self
            .columns
            .get_or_insert_with(|| vec![Vec::new(); values.len()]);
        if values.len() != cols.len() {
            self.ragged += 1;
        }
        for (k, col) in cols.iter_mut().enumerate() {
            col.push(values.get(k).copied().unwrap_or("_").to_owned());
        }
    }

    fn close(&mut self) {
        if let Some((start, end, label, location)) = self.open.take() {
            self.rec.spans.push(RawSpan {
                start,
                end,
                label,
                location,
                codepoints: true,
                ..RawSpan::default()
            });
        }
    }

    fn token(&mut self, tok: &str, tag: &str, location: String) {
        if !self.rec.text.is_empty() {
            let sep = if self.sentence_empty { '\n' } else { ' ' };
            self.rec.text.push(sep);
            self.chars += 1;
        }
        if self.sentence_empty {
            self.sentence_starts.push(self.tokens.len());
        }
        self.sentence_empty = false;
        let start = self.chars;
        self.rec.text.push_str(tok);
        self.chars += tok.chars().count();
        let end = self.chars;
        self.tokens.push((start, end));
        let (prefix, label) = match tag.split_once(['-', '_']) {
            Some((p, l)) if p.len() == 1 && !l.is_empty() => (p, l),
            _ => (tag, ""),
        };
        let continues = self.open.as_ref().is_some_and(|o| o.2 == label);
        match prefix {
            "B" => {
                self.close();
                self.open = Some((start, end, label.to_owned(), location));
            }
            "I" if continues => {
                if let Some(o) = &mut self.open {
                    o.1 = end;
                }
            }
            "L" | "E" if continues => {
                if let Some(o) = &mut self.open {
                    o.1 = end;
                }
                self.close();
            }
            "I" => {
                self.close();
                self.open = Some((start, end, label.to_owned(), location));
            }
            "U" | "S" | "L" | "E" => {
                self.close();
                self.open = Some((start, end, label.to_owned(), location));
                self.close();
            }
            _ => self.close(),
        }
    }

    fn sentence_break(&mut self) {
        self.close();
        self.sentence_empty = true;
    }

    fn finish(mut self, parsed: &mut Parsed) {
        self.close();
        if self.rec.text.is_empty() {
            return;
        }
        if self.ragged > 0 {
            parsed.not_kept(
                "middle-column values of token lines with fewer or more columns than the \
                 document's first"
                    .into(),
                "each kept column has one value per token: missing values were kept as `_`, \
                 extra ones dropped",
                &self.rec.location,
                self.ragged,
            );
        }
        let columns = self
            .columns
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(k, values)| TokenColumn {
                name: format!("column {}", k + 2),
                values,
            })
            .collect();
        let extras = Extras {
            tokenization: Some(Tokenization {
                tokens: self.tokens,
                sentence_starts: self.sentence_starts,
                columns,
            }),
            ..Extras::default()
        };
        parsed.push_with(self.rec, extras);
    }
}

pub(crate) fn parse_str(text: &str, file: &str, stem: &str, parsed: &mut Parsed) {
    let mut n_docs = 1;
    let mut b = Builder::new(format!("{file}:1"), format!("{stem}-1"));
    let mut scheme = "iob2";
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if t.is_empty() {
            b.sentence_break();
            continue;
        }
        if t.starts_with("-DOCSTART-") {
            if !b.rec.text.is_empty() {
                n_docs += 1;
                let next = Builder::new(format!("{file}:{line_no}"), format!("{stem}-{n_docs}"));
                std::mem::replace(&mut b, next).finish(parsed);
            } else {
                b.rec.location = format!("{file}:{line_no}");
            }
            continue;
        }
        let cols: Vec<&str> = t.split_whitespace().collect();
        let (Some(tok), Some(tag)) = (cols.first(), cols.last()) else {
            continue;
        };
        b.middle(cols.get(1..cols.len().saturating_sub(1)).unwrap_or(&[]));
        let tag = if cols.len() < 2 {
            parsed.problems.push(ImportProblem {
                location: format!("{file}:{line_no}"),
                message: format!("token {tok:?} has no tag column; read as O"),
            });
            "O"
        } else {
            tag
        };
        let prefix = tag.split(['-', '_']).next().unwrap_or("");
        match prefix {
            "L" | "U" | "E" | "S" => scheme = "bilou",
            "I" if scheme == "iob2" => {
                let continues = b
                    .open
                    .as_ref()
                    .is_some_and(|o| tag.get(2..).is_some_and(|l| l == o.2));
                if !continues {
                    scheme = "iob1";
                }
            }
            _ => {}
        }
        if !matches!(prefix, "B" | "I" | "O" | "L" | "U" | "E" | "S") {
            parsed.problems.push(ImportProblem {
                location: format!("{file}:{line_no}"),
                message: format!("unknown tag {tag:?}; read as O"),
            });
        }
        b.token(tok, tag, format!("{file}:{line_no}"));
    }
    b.finish(parsed);
    parsed.notes.push(format!(
        "{file}: tagging scheme detected as {scheme}; text rebuilt with single spaces between \
         tokens and a line break between sentences; the file's tokens, sentences and middle \
         columns are kept with each document, so an export writes them again"
    ));
}
