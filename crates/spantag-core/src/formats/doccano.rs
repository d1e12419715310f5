//! doccano sequence-labelling JSONL: `{"text", "label": [[start, end, "LABEL"], ...]}` (older
//! exports: `"labels"`), or the relation mode's `"entities": [{"id", "start_offset",
//! "end_offset", "label"}]`. doccano counts offsets in UTF-16 code units, so that is the default
//! here (`--offsets codepoints` for files written otherwise). Relations are reported, not
//! imported.
//!
//! Export writes one document a line, `{"id", "text", "label": [[start, end, "LABEL"], ...]}`,
//! the spans in document order, offsets in **UTF-16 code units** (end exclusive): doccano's
//! sequence labelling counts JavaScript string indices (doccano issue #2290: `"👨🏻‍🚒 firemen"`
//! puts `firemen` at 8..15, where Python's code points say 5..12), unless its project option
//! "Count grapheme clusters as one character" is on, which spantag does not write. In Python,
//! a span's text is `text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")`. Every
//! span is written exactly as it is (overlaps and surrounding whitespace included); doccano
//! keeps `id` as metadata.

use super::{
    Ctx, Exporter, FormatError, FormatSpec, ImportProblem, Importer, Input, OffsetUnit, Output,
    Parsed, Prepared, Progress, RawSpan, Record, Reports, json_str, json_usize,
};
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "doccano sequence labelling JSONL: text and [start, end, label] in UTF-16 code units",
        extension: "jsonl",
        folder: false,
        layered: false,
        scheme: false,
        entity_layer: false,
        tokens: false,
        span_groups: false,
        write: export,
        preview,
        finish: None,
    }),
    import: Some(Importer {
        description: "doccano JSONL with label or entities (UTF-16 offsets by default)",
        offsets: Some(OffsetUnit::Utf16),
        input: Input::Files {
            kind: "JSON lines",
            extensions: &["jsonl", "json"],
        },
        read: parse_file,
    }),
};

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    text: &'a str,
    label: Vec<(usize, usize, &'a str)>,
}

/// The UTF-16 offsets of a text's code point offsets.
struct Utf16 {
    /// `None` when every character is in the Basic Multilingual Plane (offsets are equal).
    prefix: Option<Vec<usize>>,
}

impl Utf16 {
    fn new(text: &str) -> Self {
        // A character outside the BMP is the only one that takes two UTF-16 units, and the only
        // one that takes four UTF-8 bytes (lead byte 0xF0..=0xF4).
        let astral = text.bytes().any(|b| b >= 0xf0);
        let prefix = astral.then(|| {
            let mut v = Vec::with_capacity(text.len() + 1);
            let mut n = 0;
            v.push(0);
            for c in text.chars() {
                n += c.len_utf16();
                v.push(n);
            }
            v
        });
        Utf16 { prefix }
    }

    /// The UTF-16 offset of code point offset `cp` (at most the text's length).
    fn at(&self, cp: usize) -> usize {
        match &self.prefix {
            None => cp,
            Some(v) => v.get(cp).copied().unwrap_or(cp),
        }
    }
}

fn write_record(p: &Prepared<'_>, buf: &mut Vec<u8>) {
    let text = p.doc.text.as_str();
    let units = Utf16::new(text);
    let line = Line {
        id: &p.doc.id,
        text,
        label: p
            .spans
            .iter()
            .map(|s| (units.at(s.start), units.at(s.end), s.label.as_str()))
            .collect(),
    };
    let _ = serde_json::to_writer(&mut *buf, &line);
}

/// One line (without the newline).
fn preview(_ctx: &Ctx<'_>, p: &mut Prepared<'_>, _reports: &mut Reports) -> String {
    let mut buf = Vec::new();
    write_record(p, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

fn export(
    _ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    _split: Option<&str>,
    files: &mut Output,
    _reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let mut buf = Vec::new();
    for p in docs.iter() {
        write_record(p, &mut buf);
        buf.push(b'\n');
        progress.tick()?;
    }
    files.add(out.to_owned(), buf);
    Ok(())
}

fn parse_file(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let text = super::read_text(path, parsed.max_bytes)?;
    let file = path.display().to_string();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let location = format!("{file}:{}", i + 1);
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                parsed.problems.push(ImportProblem {
                    location,
                    message: format!("not JSON: {e}"),
                });
                continue;
            }
        };
        let Some(doc_text) = v.get("text").and_then(Value::as_str) else {
            parsed.problems.push(ImportProblem {
                location,
                message: "no \"text\" string".into(),
            });
            continue;
        };
        let mut rec = Record {
            location: location.clone(),
            id: json_str(v.get("id")).map(|id| format!("doccano-{id}")),
            text: doc_text.to_owned(),
            ..Record::default()
        };
        let bad = |k: usize| ImportProblem {
            location: location.clone(),
            message: format!("label {} is not [start, end, \"LABEL\"]", k + 1),
        };
        let list = v.get("label").or_else(|| v.get("labels"));
        for (k, item) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let a = item.as_array();
            let get = |j: usize| a.and_then(|a| a.get(j));
            match (json_usize(get(0)), json_usize(get(1)), json_str(get(2))) {
                (Some(start), Some(end), Some(label)) => rec.spans.push(RawSpan {
                    start,
                    end,
                    label,
                    location: format!("{location} (label {})", k + 1),
                    ..RawSpan::default()
                }),
                _ => parsed.problems.push(bad(k)),
            }
        }
        for (k, e) in v
            .get("entities")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            match (
                json_usize(e.get("start_offset")),
                json_usize(e.get("end_offset")),
                json_str(e.get("label")),
            ) {
                (Some(start), Some(end), Some(label)) => rec.spans.push(RawSpan {
                    start,
                    end,
                    label,
                    location: format!("{location} (entity {})", k + 1),
                    ..RawSpan::default()
                }),
                _ => parsed.problems.push(ImportProblem {
                    location: location.clone(),
                    message: format!("entity {} lacks start_offset, end_offset or label", k + 1),
                }),
            }
        }
        let relations = v
            .get("relations")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if relations > 0 {
            parsed.problems.push(ImportProblem {
                location: location.clone(),
                message: format!(
                    "{relations} relation(s) cannot be represented in spantag; not imported"
                ),
            });
        }
        parsed.records.push(rec);
    }
    Ok(())
}
