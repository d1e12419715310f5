//! doccano sequence-labelling JSONL: `{"text", "label": [[start, end, "LABEL"], ...]}` (older
//! exports: `"labels"`), or the relation mode's `"entities": [{"id", "start_offset",
//! "end_offset", "label"}]`. doccano counts offsets in UTF-16 code units, so that is the default
//! here (`--offsets codepoints` for files written otherwise; the import refuses offsets that fit
//! the text only in the other unit, see `check_offset_unit` in `import.rs`). Relations and keys
//! the project cannot hold are counted and reported as not kept.
//!
//! Export writes one document a line, `{"id", "text", "label": [[start, end, "LABEL"], ...]}`,
//! the spans in document order; a project with relations is written in doccano's relation shape
//! instead, every line `{"id", "text", "entities": [{"id", "label", "start_offset",
//! "end_offset"}], "relations": [{"id", "from_id", "to_id", "type"}]}` (entity and relation ids
//! are spantag's span and relation ids; `from_id` is the head, e.g. the claim). Offsets are in
//! **UTF-16 code units** (end exclusive): doccano's
//! sequence labelling counts JavaScript string indices (doccano issue #2290: `"👨🏻‍🚒 firemen"`
//! puts `firemen` at 8..15, where Python's code points say 5..12), unless its project option
//! "Count grapheme clusters as one character" is on, which spantag does not write. In Python,
//! a span's text is `text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")`. Every
//! span is written exactly as it is (overlaps and surrounding whitespace included); doccano
//! keeps `id` as metadata. The document's meta keys (doccano's extra keys of a record, a
//! Prodigy task's `meta`, a Label Studio task's `data`) are written as extra keys of the line,
//! which doccano keeps as metadata; the import keeps a record's extra keys the same way.

use super::jsonl::{NO_PLACE, plain_meta};
use super::{
    Ctx, Exporter, FirstRecords, FormatError, FormatSpec, ImportProblem, Importer, Input,
    OffsetUnit, Output, Parsed, Prepared, Progress, RawRelation, RawSpan, Record, Reports, Shape,
    json_str, json_usize,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
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
    #[serde(flatten)]
    meta: BTreeMap<&'a str, Value>,
}

#[derive(Serialize)]
struct Entity<'a> {
    id: u64,
    label: &'a str,
    start_offset: usize,
    end_offset: usize,
}

#[derive(Serialize)]
struct RelationOut<'a> {
    id: u64,
    from_id: u64,
    to_id: u64,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// A line of doccano's relation shape.
#[derive(Serialize)]
struct RelationLine<'a> {
    id: &'a str,
    text: &'a str,
    entities: Vec<Entity<'a>>,
    relations: Vec<RelationOut<'a>>,
    #[serde(flatten)]
    meta: BTreeMap<&'a str, Value>,
}

/// The keys a line has besides the document's meta.
const LINE_KEYS: &[&str] = &["id", "text", "label", "labels", "entities", "relations"];

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

fn write_record(ctx: &Ctx<'_>, p: &Prepared<'_>, reports: &mut Reports, buf: &mut Vec<u8>) {
    let text = p.doc.text.as_str();
    let units = Utf16::new(text);
    let meta = plain_meta(p.doc, LINE_KEYS);
    let hidden = p
        .doc
        .meta
        .keys()
        .filter(|k| LINE_KEYS.contains(&k.as_str()))
        .count();
    if hidden > 0 {
        reports.notes.push(format!(
            "document {:?}: {hidden} meta key(s) named like a doccano field ({}) not written",
            p.doc.id,
            LINE_KEYS.join(", ")
        ));
    }
    if ctx.project.relation_count() > 0 {
        let line = RelationLine {
            id: &p.doc.id,
            text,
            entities: p
                .spans
                .iter()
                .map(|s| Entity {
                    id: s.id.0,
                    label: &s.label,
                    start_offset: units.at(s.start),
                    end_offset: units.at(s.end),
                })
                .collect(),
            relations: reports
                .relations(p)
                .into_iter()
                .map(|r| RelationOut {
                    id: r.id.0,
                    from_id: r.from.0,
                    to_id: r.to.0,
                    kind: &r.kind,
                })
                .collect(),
            meta,
        };
        let _ = serde_json::to_writer(&mut *buf, &line);
        return;
    }
    let line = Line {
        id: &p.doc.id,
        text,
        label: p
            .spans
            .iter()
            .map(|s| (units.at(s.start), units.at(s.end), s.label.as_str()))
            .collect(),
        meta,
    };
    let _ = serde_json::to_writer(&mut *buf, &line);
}

/// One line (without the newline).
fn preview(ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    let mut buf = Vec::new();
    write_record(ctx, p, reports, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
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
    let mut buf = Vec::new();
    for p in docs.iter() {
        write_record(ctx, p, reports, &mut buf);
        buf.push(b'\n');
        progress.tick()?;
    }
    files.add(out.to_owned(), buf);
    Ok(())
}

/// Keys of an entity the import reads (its id links relations).
const KNOWN_ENTITY_KEYS: &[&str] = &["id", "start_offset", "end_offset", "label"];
/// Keys of a relation the import reads.
const KNOWN_RELATION_KEYS: &[&str] = &["id", "from_id", "to_id", "type"];

/// Reads doccano JSONL; relations and keys the project cannot hold are reported, other formats'
/// records are not imported, and a file whose first records are none of them doccano records is
/// refused.
fn parse_file(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let text = super::read_text(path, parsed.max_bytes)?;
    let file = path.display().to_string();
    let mut first = FirstRecords::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let location = format!("{file}:{}", i + 1);
        let v: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                first.record(false, || "not JSON".into());
                parsed.problems.push(ImportProblem {
                    location,
                    message: format!("not JSON: {e}"),
                });
                continue;
            }
        };
        let sh = super::sniff::shape(&v);
        if !matches!(sh, Shape::Doccano | Shape::PlainText) {
            first.record(false, || sh.describe().into());
            let message = if sh == Shape::Other {
                "no \"text\" string; not imported".to_owned()
            } else {
                format!("this is {}, not a doccano record; not imported", sh.describe())
            };
            parsed.problems.push(ImportProblem { location, message });
            continue;
        }
        let Some(doc_text) = v.get("text").and_then(Value::as_str) else {
            continue;
        };
        let not_a_list = ["label", "labels", "entities", "relations"]
            .into_iter()
            .find_map(|k| {
                v.get(k)
                    .filter(|x| !x.is_array() && !x.is_null())
                    .map(|x| (k, super::jsonl::json_type(x)))
            });
        if let Some((k, ty)) = not_a_list {
            first.record(false, || format!("a record whose {k:?} is {ty}"));
            parsed.problems.push(ImportProblem {
                location,
                message: format!("{k:?} is {ty}, not a list; the record was not imported"),
            });
            continue;
        }
        first.record(true, String::new);
        // Extra keys are the record's metadata (doccano keeps them so): kept in the document's
        // meta and written back by the export.
        let meta = v
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !LINE_KEYS.contains(&k.as_str()))
            .map(|(k, x)| (k.clone(), x.to_string()))
            .collect();
        let mut rec = Record {
            location: location.clone(),
            id: json_str(v.get("id")).map(|id| format!("doccano-{id}")),
            text: doc_text.to_owned(),
            meta,
            ..Record::default()
        };
        // The record's span index of each entity id.
        let mut entity_ids: HashMap<String, usize> = HashMap::new();
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
                (Some(start), Some(end), Some(label)) => {
                    if a.is_some_and(|a| a.len() > 3) {
                        parsed.not_kept(
                            "values after [start, end, label] in a label".into(),
                            NO_PLACE,
                            &location,
                            1,
                        );
                    }
                    rec.spans.push(RawSpan {
                        start,
                        end,
                        label,
                        location: format!("{location} (label {})", k + 1),
                        ..RawSpan::default()
                    });
                }
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
            parsed.unknown_keys(Some(e), KNOWN_ENTITY_KEYS, "entity key", NO_PLACE, &location);
            match (
                json_usize(e.get("start_offset")),
                json_usize(e.get("end_offset")),
                json_str(e.get("label")),
            ) {
                (Some(start), Some(end), Some(label)) => {
                    if let Some(id) = json_str(e.get("id")) {
                        entity_ids.insert(id, rec.spans.len());
                    }
                    rec.spans.push(RawSpan {
                        start,
                        end,
                        label,
                        location: format!("{location} (entity {})", k + 1),
                        ..RawSpan::default()
                    });
                }
                _ => parsed.problems.push(ImportProblem {
                    location: location.clone(),
                    message: format!("entity {} lacks start_offset, end_offset or label", k + 1),
                }),
            }
        }
        for (k, r) in v
            .get("relations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let rloc = format!("{location} (relation {})", k + 1);
            parsed.unknown_keys(Some(r), KNOWN_RELATION_KEYS, "relation key", NO_PLACE, &location);
            let end = |key: &str| {
                json_str(r.get(key)).and_then(|id| entity_ids.get(&id).copied())
            };
            match (end("from_id"), end("to_id"), json_str(r.get("type"))) {
                (Some(from), Some(to), Some(kind)) => rec.relations.push(RawRelation {
                    from,
                    to,
                    kind,
                    location: rloc,
                    ..RawRelation::default()
                }),
                _ => parsed.problems.push(ImportProblem {
                    location: rloc,
                    message: format!(
                        "relation {} lacks a type, or its from_id {} or to_id {} is not the id of \
                         one of the record's entities; not imported",
                        json_str(r.get("id")).unwrap_or_else(|| "?".into()),
                        r.get("from_id").map_or_else(|| "(none)".into(), Value::to_string),
                        r.get("to_id").map_or_else(|| "(none)".into(), Value::to_string),
                    ),
                }),
            }
        }
        parsed.records.push(rec);
    }
    first.check(
        path,
        super::Format::Doccano,
        &text,
        "a doccano record (\"text\" with a \"label\" list or \"entities\")",
    )
}
