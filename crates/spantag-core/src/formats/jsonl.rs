//! spaCy / Prodigy task JSONL: one document a line,
//! `{"text", "_input_hash", "_task_hash", "tokens": [{"text","start","end","id","ws"}], "spans":
//! [{"start","end","text","label","token_start","token_end"}], "relations": [{"head","child",
//! "head_span","child_span","label","color"}], "meta": {"id","title","source",...},
//! "answer": "accept"}`. `token_end` is inclusive; offsets are code points. Spans and relations
//! also carry `author`, `status` and `note` (extra keys that spaCy and Prodigy ignore) so that a
//! round trip keeps them.
//!
//! Relations are written as Prodigy's `rel.manual` writes them (the shape of explosion's
//! `rel_component` tutorial data): `head` and `child` are the *last* tokens of the two spans,
//! `head_span` and `child_span` the spans (`start`, `end`, `token_start`, `token_end`,
//! `label`), `label` the relation type. The import finds each end by `head_span`/`child_span`
//! (offsets, or token indices, and label), else by `head`/`child` as a span's last token; a
//! relation whose end is not one of the task's spans is reported, never dropped silently.
//!
//! Meta: the task's `meta` keys besides `id`, `title` and `source` are kept in the document's
//! meta under their names, every other top-level key (Prodigy's `_input_hash`, `_task_hash`,
//! `_view_id`, `_session_id`, `_annotator_id`, `_timestamp`, a task's own keys) as
//! `prodigy:KEY`; the export writes them back (kept hashes as they were, since they name the
//! task in the Prodigy dataset it came from; without them spantag computes its own, below), so
//! a real Prodigy export imports with nothing left out and round-trips.
//!
//! Tokens are Prodigy's: every character of the text is in a token or is the single `' '` a
//! token's `ws` flag stands for, as spaCy's tokenizer splits whitespace
//! ([`super::with_whitespace_tokens`]). So `spacy.tokens.Doc(vocab, words=[t["text"]],
//! spaces=[t["ws"]]).text == text`, and `doc[token_start:token_end + 1]` is each span. The
//! non-whitespace tokens are the export tokens (Unicode word boundaries, split at span
//! boundaries), not the output of spaCy's rule-based tokenizer.
//!
//! Hashes (Prodigy's deduplication keys; Prodigy's own hash its task JSON, which is not
//! documented, so spantag defines its own, stable across runs and machines): both are
//! MurmurHash3 x86 32-bit with seed 0 as a signed integer, i.e. Python's
//! `murmurhash.hash(string)` (the package spaCy depends on).
//! - `_input_hash` = `murmurhash.hash(text)`.
//! - `_task_hash` = `murmurhash.hash(json.dumps([_input_hash, [[start, end, label], ...]],
//!   separators=(",", ":"), ensure_ascii=False))` over the task's spans in the order written.
//!
//! Spans with whitespace at either end are exported trimmed to their text (see
//! [`super::ExportSummary::trimmed`]).

use super::{
    Ctx, Exporter, FirstRecords, FormatError, FormatSpec, ImportProblem, Importer, Input,
    OffsetUnit, Output, Parsed, Prepared, Progress, RawSpan, Record, Reports, Shape, json_str,
    json_usize,
};
use super::RawRelation;
use crate::model::{Color, Document, SpanId, Status};
use crate::time::Timestamp;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "spaCy/Prodigy tasks: text, tokens, spans (code point offsets), meta",
        extension: "jsonl",
        folder: false,
        layered: false,
        scheme: false,
        entity_layer: false,
        tokens: true,
        span_groups: false,
        write: export,
        preview,
        finish: None,
    }),
    import: Some(Importer {
        description: "spaCy/Prodigy JSONL: text and spans with start, end, label",
        offsets: Some(OffsetUnit::Codepoints),
        input: Input::Files {
            kind: "JSON lines",
            extensions: &["jsonl", "json"],
        },
        read: parse_file,
    }),
};

#[derive(Serialize)]
struct TokOut<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    id: usize,
    ws: bool,
}

#[derive(Serialize)]
struct SpanOut<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    label: &'a str,
    token_start: usize,
    token_end: usize,
    author: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct Meta<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    /// The document's other meta keys ([`plain_meta`]).
    #[serde(flatten)]
    extra: BTreeMap<&'a str, Value>,
}

/// One end of a relation, as Prodigy's `rel.manual` writes it (`token_end` inclusive).
#[derive(Serialize)]
struct RelSpanOut<'a> {
    start: usize,
    end: usize,
    token_start: usize,
    token_end: usize,
    label: &'a str,
}

/// A relation: `head` and `child` are the last tokens of the two spans, as in Prodigy's
/// `rel.manual` data.
#[derive(Serialize)]
struct RelOut<'a> {
    head: usize,
    child: usize,
    head_span: RelSpanOut<'a>,
    child_span: RelSpanOut<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color: Option<Color>,
    label: &'a str,
    author: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct Task<'a> {
    text: &'a str,
    #[serde(rename = "_input_hash")]
    input_hash: Value,
    #[serde(rename = "_task_hash")]
    task_hash: Value,
    tokens: Vec<TokOut<'a>>,
    spans: Vec<SpanOut<'a>>,
    relations: Vec<RelOut<'a>>,
    meta: Meta<'a>,
    answer: &'a str,
    /// Top-level keys of an imported Prodigy task (`_view_id`, `_session_id`, `_timestamp`,
    /// ...), kept in the document's meta as `prodigy:KEY`.
    #[serde(flatten)]
    extra: BTreeMap<&'a str, Value>,
}

/// The prefix of the document meta keys that hold an imported Prodigy task's top-level keys.
pub(crate) const PRODIGY_KEY: &str = "prodigy:";
/// The prefix of the document meta keys that hold an imported Label Studio task's top-level
/// keys.
pub(crate) const LABEL_STUDIO_KEY: &str = "label-studio:";

/// A meta value (a JSON text) as JSON; a value that is not JSON (a project file edited by hand)
/// as a string.
pub(crate) fn meta_value(v: &str) -> Value {
    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()))
}

/// The document's meta keys that belong to no tool ([`PRODIGY_KEY`], [`LABEL_STUDIO_KEY`]):
/// a Prodigy task's `meta`, a Label Studio task's `data`, a doccano record's extra keys. Keys in
/// `reserved` (those the format writes itself) are left out.
pub(crate) fn plain_meta<'d>(doc: &'d Document, reserved: &[&str]) -> BTreeMap<&'d str, Value> {
    doc.meta
        .iter()
        .filter(|(k, _)| {
            !k.starts_with(PRODIGY_KEY)
                && !k.starts_with(LABEL_STUDIO_KEY)
                && !reserved.contains(&k.as_str())
        })
        .map(|(k, v)| (k.as_str(), meta_value(v)))
        .collect()
}

/// The document's meta keys with `prefix`, without it.
pub(crate) fn tool_meta<'d>(doc: &'d Document, prefix: &str) -> BTreeMap<&'d str, Value> {
    doc.meta
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?, meta_value(v))))
        .collect()
}

/// Top-level keys the export writes itself (a kept `prodigy:` key of these names is not
/// written again; `_input_hash` and `_task_hash` are taken from the kept ones when present).
const WRITTEN_KEYS: &[&str] = &["text", "tokens", "spans", "relations", "meta", "answer"];

/// MurmurHash3, x86 32-bit variant (Austin Appleby's `MurmurHash3_x86_32`), of `data` with
/// `seed`. Python's `murmurhash.hash(s)` is this of `s.encode("utf-8")` with seed 0, as a signed
/// 32-bit integer.
pub fn murmurhash3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in blocks.by_ref() {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k |= u32::from(b) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    // The length is mixed in modulo 2^32, as the reference implementation's `int len` does.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// Python's `murmurhash.hash(s)`: [`murmurhash3_32`] of the UTF-8 bytes, seed 0, signed.
fn py_hash(s: &str) -> i32 {
    murmurhash3_32(s.as_bytes(), 0) as i32
}

/// The task hash of a task with `input_hash` and `spans` (see the module documentation).
fn task_hash(input_hash: i32, spans: &[SpanOut<'_>]) -> i32 {
    let key: Vec<(usize, usize, &str)> = spans.iter().map(|s| (s.start, s.end, s.label)).collect();
    let json = serde_json::to_string(&(input_hash, key)).unwrap_or_default();
    py_hash(&json)
}

/// One task line (without the newline).
fn preview(ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    let mut buf = Vec::new();
    write_record(ctx, p, reports, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

fn write_record(ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports, buf: &mut Vec<u8>) {
    p.tokens();
    let toks = p.computed_tokens();
    let text = p.doc.text.as_str();
    let mut tokens: Vec<TokOut<'_>> = Vec::with_capacity(toks.len() + toks.len() / 4 + 2);
    // The position of each export token among the written tokens.
    let mut map: Vec<usize> = Vec::with_capacity(toks.len());
    super::with_whitespace_tokens(text, toks, |t| {
        if t.word.is_some() {
            map.push(tokens.len());
        }
        tokens.push(TokOut {
            text: text.get(t.bstart..t.bend).unwrap_or(""),
            start: t.start,
            end: t.end,
            id: tokens.len(),
            ws: t.space,
        });
    });
    let mut spans = Vec::with_capacity(p.spans.len());
    let mut span_at: HashMap<SpanId, usize> = HashMap::new();
    for &s in &p.spans {
        let range = p
            .token_range(s)
            .and_then(|r| Some((*map.get(r.start)?, *map.get(r.end - 1)?)));
        match range {
            Some((first, last)) => {
                if !p.doc.relations.is_empty() {
                    span_at.insert(s.id, spans.len());
                }
                spans.push(SpanOut {
                start: s.start,
                end: s.end,
                text: &s.text,
                label: &s.label,
                token_start: first,
                token_end: last,
                author: &s.author,
                status: s.status.name(),
                note: s.note.as_deref(),
                });
            }
            None => reports.unrepresented(p.doc, s, super::NOT_ALIGNED.to_owned()),
        }
    }
    let mut relations = Vec::new();
    for r in reports.relations(p) {
        let (Some(&h), Some(&c)) = (span_at.get(&r.from), span_at.get(&r.to)) else {
            continue;
        };
        let end = |k: usize| {
            let s = &spans[k];
            RelSpanOut {
                start: s.start,
                end: s.end,
                token_start: s.token_start,
                token_end: s.token_end,
                label: s.label,
            }
        };
        relations.push(RelOut {
            head: spans[h].token_end,
            child: spans[c].token_end,
            head_span: end(h),
            child_span: end(c),
            color: ctx.project.relation_type(&r.kind).map(|t| t.color),
            label: &r.kind,
            author: &r.author,
            status: r.status.name(),
            note: r.note.as_deref(),
        });
    }
    let mut extra = tool_meta(p.doc, PRODIGY_KEY);
    extra.retain(|k, _| !WRITTEN_KEYS.contains(k));
    let hash = py_hash(text);
    let input_hash = extra.remove("_input_hash").unwrap_or_else(|| hash.into());
    let task_hash = extra
        .remove("_task_hash")
        .unwrap_or_else(|| task_hash(hash, &spans).into());
    let task = Task {
        text,
        input_hash,
        task_hash,
        tokens,
        spans,
        relations,
        meta: Meta {
            id: &p.doc.id,
            title: &p.doc.title,
            source: p.doc.source.path.as_deref(),
            extra: plain_meta(p.doc, &["id", "title", "source"]),
        },
        answer: "accept",
        extra,
    };
    let _ = serde_json::to_writer(&mut *buf, &task);
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
    super::each_document(docs, progress, |p| {
        write_record(ctx, p, reports, &mut buf);
        buf.push(b'\n');
        Ok(())
    })?;
    files.add(out.to_owned(), buf);
    Ok(())
}

/// Top-level keys the import reads as the document, its spans and relations; every other
/// top-level key (Prodigy's `_input_hash`, `_task_hash`, `_view_id`, `_session_id`,
/// `_annotator_id`, `_timestamp`, a task's own keys) is kept in the document's meta as
/// `prodigy:KEY` and written back by the export. `answer` is always `accept` for an imported
/// task (the others are skipped).
const READ_KEYS: &[&str] = &["text", "spans", "tokens", "relations", "meta", "answer"];

/// Keys of `meta` that become the document's id, title and source (the others are kept in the
/// document's meta under their own name).
const KNOWN_META: &[&str] = &["id", "title", "source"];

/// Keys of a span the import reads (`type` is Prodigy's constant `"span"`).
const KNOWN_SPAN_KEYS: &[&str] = &[
    "start",
    "end",
    "label",
    "token_start",
    "token_end",
    "text",
    "type",
    "author",
    "status",
    "note",
];

/// Keys of a relation the import reads (`color` becomes the colour of a relation type the
/// import adds).
const KNOWN_RELATION_KEYS: &[&str] = &[
    "head",
    "child",
    "head_span",
    "child_span",
    "label",
    "color",
    "author",
    "status",
    "note",
];

/// Why a key is not kept.
pub(crate) const NO_PLACE: &str = "the project has no field for it";
/// Why a document's `meta` that is not an object is not kept.
pub(crate) const NO_META: &str = "document meta is a set of named values";

/// Reads spaCy/Prodigy JSONL: `text` plus `spans` with `start`/`end`/`label` (or token indices
/// into `tokens`). Records answered `reject` or `ignore` are reported and skipped; relations,
/// keys the project cannot hold and other formats' records are reported. A file whose first
/// records are none of them spaCy/Prodigy tasks is refused.
fn parse_file(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let text = super::read_text(path, parsed.max_bytes)?;
    let first = parse_str(&text, &path.display().to_string(), parsed);
    first.check(
        path,
        super::Format::Jsonl,
        &text,
        "a spaCy/Prodigy task (\"text\" with a \"spans\" list)",
    )
}

/// The name of a JSON value's type, for messages.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

pub(crate) fn parse_str(text: &str, file: &str, parsed: &mut Parsed) -> FirstRecords {
    let mut first = FirstRecords::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let location = format!("{file}:{}", i + 1);
        let v: serde_json::Value = match serde_json::from_str(line) {
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
        if !matches!(sh, Shape::Prodigy | Shape::PlainText) {
            first.record(false, || sh.describe().into());
            let message = if sh == Shape::Other {
                "no \"text\" string; not imported".to_owned()
            } else {
                format!("this is {}, not a spaCy/Prodigy task; not imported", sh.describe())
            };
            parsed.problems.push(ImportProblem { location, message });
            continue;
        }
        let Some(doc_text) = v.get("text").and_then(|t| t.as_str()) else {
            continue;
        };
        let not_a_list = ["spans", "tokens", "relations"]
            .into_iter()
            .find_map(|k| v.get(k).filter(|x| !x.is_array() && !x.is_null()).map(|x| (k, json_type(x))));
        if let Some((k, ty)) = not_a_list {
            first.record(false, || format!("a task whose {k:?} is {ty}"));
            parsed.problems.push(ImportProblem {
                location,
                message: format!("{k:?} is {ty}, not a list; the record was not imported"),
            });
            continue;
        }
        first.record(true, String::new);
        if let Some(a) = v.get("answer").and_then(|a| a.as_str())
            && a != "accept"
        {
            parsed.problems.push(ImportProblem {
                location,
                message: format!("skipped: the task was answered {a:?}"),
            });
            continue;
        }
        let meta = v.get("meta");
        if meta.is_some_and(|m| !m.is_object() && !m.is_null()) {
            parsed.not_kept("meta that is not an object".into(), NO_META, &location, 1);
        }
        let mut kept: BTreeMap<String, String> = BTreeMap::new();
        for (k, x) in meta.and_then(Value::as_object).into_iter().flatten() {
            if !KNOWN_META.contains(&k.as_str()) {
                kept.insert(k.clone(), x.to_string());
            }
        }
        for (k, x) in v.as_object().into_iter().flatten() {
            if !READ_KEYS.contains(&k.as_str()) {
                kept.insert(format!("{PRODIGY_KEY}{k}"), x.to_string());
            }
        }
        let record_author =
            json_str(v.get("_annotator_id")).or_else(|| json_str(v.get("_session_id")));
        let created = v
            .get("_timestamp")
            .and_then(serde_json::Value::as_i64)
            .map(Timestamp)
            .filter(|t| (Timestamp::MIN..=Timestamp::MAX).contains(t));
        let mut rec = Record {
            location: location.clone(),
            id: json_str(meta.and_then(|m| m.get("id")))
                .or_else(|| json_str(v.get("id")))
                .or_else(|| json_str(v.get("_input_hash"))),
            title: json_str(meta.and_then(|m| m.get("title"))),
            source: json_str(meta.and_then(|m| m.get("source"))),
            text: doc_text.to_owned(),
            meta: kept,
            ..Record::default()
        };
        let tokens = v.get("tokens").and_then(|t| t.as_array());
        // The token range of each span the record keeps (for relations by token).
        let mut token_ranges: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        for (k, s) in v
            .get("spans")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
            .enumerate()
        {
            parsed.unknown_keys(Some(s), KNOWN_SPAN_KEYS, "span key", NO_PLACE, &location);
            let label = json_str(s.get("label"));
            let mut start = json_usize(s.get("start"));
            let mut end = json_usize(s.get("end"));
            if start.is_none() || end.is_none() {
                // Token indices only: take the offsets from the tokens.
                let tok = |key: &str, field: &str| {
                    json_usize(s.get(key))
                        .and_then(|i| tokens?.get(i))
                        .and_then(|t| json_usize(t.get(field)))
                };
                start = start.or_else(|| tok("token_start", "start"));
                end = end.or_else(|| tok("token_end", "end"));
            }
            let (Some(start), Some(end), Some(label)) = (start, end, label) else {
                parsed.problems.push(ImportProblem {
                    location: location.clone(),
                    message: format!("span {} lacks start, end or label", k + 1),
                });
                continue;
            };
            token_ranges.push((
                json_usize(s.get("token_start")),
                json_usize(s.get("token_end")),
            ));
            rec.spans.push(RawSpan {
                start,
                end,
                label,
                text: json_str(s.get("text")),
                author: json_str(s.get("author")).or_else(|| record_author.clone()),
                status: s
                    .get("status")
                    .and_then(|x| x.as_str())
                    .and_then(Status::from_name),
                note: json_str(s.get("note")),
                created,
                location: format!("{location} (span {})", k + 1),
                codepoints: false,
            });
        }
        let ctx = RelCtx {
            tokens,
            token_ranges: &token_ranges,
            created,
            author: record_author.as_deref(),
            location: &location,
        };
        for (k, r) in v
            .get("relations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            match read_relation(r, k, &rec, &ctx, parsed) {
                Ok(rel) => rec.relations.push(rel),
                Err(message) => parsed.problems.push(ImportProblem {
                    location: format!("{location} (relation {})", k + 1),
                    message,
                }),
            }
        }
        parsed.records.push(rec);
    }
    first
}

/// What reading a task's relations needs besides the relation.
struct RelCtx<'a> {
    tokens: Option<&'a Vec<Value>>,
    /// `token_start`, `token_end` of each of the record's spans.
    token_ranges: &'a [(Option<usize>, Option<usize>)],
    created: Option<Timestamp>,
    author: Option<&'a str>,
    location: &'a str,
}

/// Reads relation `k` of a task: its `head_span` and `child_span` name two of the task's spans
/// by offsets (or token indices) and label; without them, `head` and `child` (the last token of
/// each span, as in Prodigy's `rel.manual` data) do. A relation whose ends are not spans of the
/// task is an error.
fn read_relation(
    r: &Value,
    k: usize,
    rec: &Record,
    ctx: &RelCtx<'_>,
    parsed: &mut Parsed,
) -> Result<RawRelation, String> {
    let location = format!("{} (relation {})", ctx.location, k + 1);
    parsed.unknown_keys(Some(r), KNOWN_RELATION_KEYS, "relation key", NO_PLACE, ctx.location);
    let label = json_str(r.get("label")).ok_or("the relation has no \"label\"")?;
    let find = |which: &str| -> Result<usize, String> {
        let token = json_usize(r.get(which));
        let spec = r.get(format!("{which}_span")).filter(|x| x.is_object());
        let tok = |key: &str, field: &str| {
            json_usize(spec?.get(key))
                .and_then(|i| ctx.tokens?.get(i))
                .and_then(|t| json_usize(t.get(field)))
        };
        let start = json_usize(spec.and_then(|x| x.get("start"))).or_else(|| tok("token_start", "start"));
        let end = json_usize(spec.and_then(|x| x.get("end"))).or_else(|| tok("token_end", "end"));
        let want = json_str(spec.and_then(|x| x.get("label")));
        let at = |i: usize| (rec.spans[i].start, rec.spans[i].end);
        let found = match (start, end) {
            (Some(a), Some(b)) => {
                let same: Vec<usize> = (0..rec.spans.len()).filter(|&i| at(i) == (a, b)).collect();
                same.iter()
                    .copied()
                    .find(|&i| want.as_deref().is_none_or(|w| rec.spans[i].label == w))
                    .or_else(|| same.first().copied())
            }
            _ => token.and_then(|t| {
                let ends: Vec<usize> = (0..rec.spans.len())
                    .filter(|&i| ctx.token_ranges.get(i).is_some_and(|r| r.1 == Some(t)))
                    .collect();
                (ends.len() == 1).then(|| ends[0])
            }),
        };
        found.ok_or_else(|| {
            let place = match (start, end) {
                (Some(a), Some(b)) => format!("{a}..{b}"),
                _ => token.map_or_else(|| "nowhere".to_owned(), |t| format!("token {t}")),
            };
            format!(
                "relation {label:?}: its {which} ({place}{}) is not one of the task's spans; not \
                 imported",
                want.map(|w| format!(" {w:?}")).unwrap_or_default()
            )
        })
    };
    let from = find("head")?;
    let to = find("child")?;
    Ok(RawRelation {
        from,
        to,
        kind: label,
        color: r.get("color").and_then(Value::as_str).and_then(Color::parse),
        author: json_str(r.get("author")).or_else(|| ctx.author.map(str::to_owned)),
        status: r.get("status").and_then(Value::as_str).and_then(Status::from_name),
        note: json_str(r.get("note")),
        created: ctx.created,
        location,
        ..RawRelation::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmurhash3_matches_python_murmurhash() {
        // Values of `murmurhash.hash(s)` from Python's murmurhash 1.0 (spaCy's dependency).
        assert_eq!(py_hash(""), 0);
        assert_eq!(py_hash("hello"), 613_153_351);
        assert_eq!(
            py_hash("The quick brown fox jumps over the lazy dog"),
            776_992_547
        );
        assert_eq!(
            py_hash("Zo\u{eb} \u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}"),
            -1_375_447_365
        );
    }
}
