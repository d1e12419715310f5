//! Label Studio JSON: a list of tasks `{"id", "data": {"text", "doc_id", "title"},
//! "annotations": [{"id", "result": [...]}]}` with one annotation per span author; each result is
//! `{"id", "from_name": "label", "to_name": "text", "type": "labels", "value": {"start", "end",
//! "text", "labels": [LABEL]}}` with code point offsets. spantag adds `"meta": {"text": [note]}`
//! (Label Studio's region note) and the author's name as `"completed_by_name"` / span `status` as
//! `"meta": {"status"}`, which Label Studio keeps.
//!
//! Relations are results `{"id": "r7", "from_id": "s3", "to_id": "s1", "type": "relation",
//! "direction": "right", "labels": [TYPE], "meta": {"status"}}` whose ids are those of the
//! `labels` results; a relation goes into the annotation of its author (an annotation with only
//! relations when that author made no span), so a relation between spans of other authors names
//! results of another annotation (the export notes it; Label Studio draws relations within one
//! annotation). The document's meta is written back: plain keys (a Label Studio task's extra
//! `data` keys, a Prodigy task's `meta`) into `data`, `label-studio:KEY` keys as the task's own
//! top-level keys.
//!
//! Import reads a JSON list of tasks (or one task, or JSON lines), both `annotations` and
//! `predictions` (prediction spans are authored `prediction:MODEL_VERSION`); cancelled
//! annotations are reported and skipped. The text is `data.text`, else the first string in `data`.
//! Relation results become relations: `direction` `right` (or none) goes from `from_id` to
//! `to_id`, `left` the other way, `bi` from `from_id` to `to_id` with the direction reported as
//! not kept; one relation per label, `related` for a relation without labels. `from_id` and
//! `to_id` are looked up among the annotation's results, then among the task's. Extra `data`
//! keys are kept in the document's meta, extra top-level keys of a task (`meta`, `created_at`,
//! `inner_id`, ...) as `label-studio:KEY`.

use super::jsonl::{LABEL_STUDIO_KEY, NO_PLACE, plain_meta, tool_meta};
use super::{
    Ctx, Exporter, FirstRecords, FormatError, FormatSpec, ImportProblem, Importer, Input,
    OffsetUnit, Output, Parsed, Prepared, Progress, RawRelation, RawSpan, Record, Reports, Shape,
    json_str, json_usize,
};
use crate::model::{SpanId, Status};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "Label Studio JSON tasks with their annotations",
        extension: "json",
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
        description: "Label Studio JSON tasks: annotations and predictions",
        offsets: Some(OffsetUnit::Codepoints),
        input: Input::Files {
            kind: "Label Studio JSON",
            extensions: &["json"],
        },
        read: parse_file,
    }),
};

/// The task of one document (numbered 0).
fn preview(_ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    task(p, 0, reports).to_string()
}

/// The `meta` of a result: its status and note.
fn result_meta(status: Status, note: Option<&String>) -> Value {
    let mut meta = json!({"status": status.name()});
    if let Some(n) = note {
        meta["text"] = json!([n]);
    }
    meta
}

/// Keys of `data` the export writes itself.
const DATA_KEYS: &[&str] = &["text", "doc_id", "title"];

/// The task of one document.
fn task(p: &Prepared<'_>, id: usize, reports: &mut Reports) -> Value {
    let relations = reports.relations(p);
    let mut authors: Vec<&str> = Vec::new();
    for a in p
        .spans
        .iter()
        .map(|s| s.author.as_str())
        .chain(relations.iter().map(|r| r.author.as_str()))
    {
        if !authors.contains(&a) {
            authors.push(a);
        }
    }
    let author_of: HashMap<SpanId, &str> =
        p.spans.iter().map(|s| (s.id, s.author.as_str())).collect();
    let mut across = 0usize;
    let annotations: Vec<Value> = authors
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let result: Vec<Value> = p
                .spans
                .iter()
                .filter(|s| s.author == *a)
                .map(|s| {
                    json!({
                        "id": format!("s{}", s.id),
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
                        "meta": result_meta(s.status, s.note.as_ref()),
                    })
                })
                .chain(relations.iter().filter(|r| r.author == *a).map(|r| {
                    if [r.from, r.to].iter().any(|x| author_of.get(x) != Some(a)) {
                        across += 1;
                    }
                    json!({
                        "id": format!("r{}", r.id),
                        "from_id": format!("s{}", r.from),
                        "to_id": format!("s{}", r.to),
                        "type": "relation",
                        "direction": "right",
                        "labels": [r.kind],
                        "meta": result_meta(r.status, r.note.as_ref()),
                    })
                }))
                .collect();
            json!({"id": id * 1000 + k + 1, "completed_by_name": a, "result": result})
        })
        .collect();
    if across > 0 {
        reports.notes.push(format!(
            "document {:?}: {across} relation(s) link spans annotated by another author than \
             the relation's: their from_id/to_id name results of another annotation (spantag \
             reads them back; Label Studio draws relations within one annotation)",
            p.doc.id
        ));
    }
    let mut data = json!({"text": p.doc.text, "doc_id": p.doc.id, "title": p.doc.title});
    if let Value::Object(o) = &mut data {
        for (k, v) in plain_meta(p.doc, DATA_KEYS) {
            o.insert(k.to_owned(), v);
        }
    }
    let mut task = json!({
        "id": id,
        "data": data,
        "annotations": annotations,
    });
    if let Value::Object(o) = &mut task {
        for (k, v) in tool_meta(p.doc, LABEL_STUDIO_KEY) {
            if !KNOWN_KEYS.contains(&k) {
                o.insert(k.to_owned(), v);
            }
        }
    }
    task
}

fn export(
    _ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    _split: Option<&str>,
    files: &mut Output,
    reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let mut buf = b"[\n".to_vec();
    for (i, p) in docs.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b",\n");
        }
        let _ = serde_json::to_writer(&mut buf, &task(p, i + 1, reports));
        progress.tick()?;
    }
    buf.extend_from_slice(b"\n]\n");
    files.add(out.to_owned(), buf);
    Ok(())
}

/// Top-level keys of a task the import reads.
const KNOWN_KEYS: &[&str] = &["id", "data", "annotations", "completions", "predictions"];
/// Keys of an annotation (or prediction) the import reads; ids are Label Studio's own.
const KNOWN_ANNOTATION_KEYS: &[&str] = &[
    "id",
    "result",
    "completed_by",
    "completed_by_name",
    "was_cancelled",
    "model_version",
];
/// Keys of a result the import reads (its id links relations).
const KNOWN_RESULT_KEYS: &[&str] = &["id", "from_name", "to_name", "type", "value", "meta"];
/// Keys of a relation result the import reads.
const KNOWN_RELATION_KEYS: &[&str] = &["id", "from_id", "to_id", "type", "direction", "labels", "meta"];

fn parse_file(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let text = super::read_text(path, parsed.max_bytes)?;
    let file = path.display().to_string();
    let trimmed = text.trim_start();
    let tasks: Vec<(String, Value)> = match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Array(v)) => v
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("{file}: task {}", i + 1), t))
            .collect(),
        Ok(v @ Value::Object(_)) => vec![(format!("{file}: task 1"), v)],
        Ok(v) => {
            return Err(super::sniff::wrong_format(
                path,
                super::Format::LabelStudio,
                &format!(
                    "it is {}, not a list of tasks",
                    super::jsonl::json_type(&v)
                ),
                &text,
            ));
        }
        Err(whole) => {
            // JSON lines?
            let mut v = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(t) => v.push((format!("{file}:{}", i + 1), t)),
                    Err(_) => {
                        return Err(super::sniff::wrong_format(
                            path,
                            super::Format::LabelStudio,
                            &format!("it is not JSON: {whole}"),
                            &text,
                        ));
                    }
                }
            }
            v
        }
    };
    let mut first = FirstRecords::default();
    for (location, t) in tasks {
        parse_task(&location, &t, parsed, &mut first);
    }
    first.check(
        path,
        super::Format::LabelStudio,
        &text,
        "a Label Studio task (a \"data\" object with the text)",
    )
}

fn parse_task(location: &str, t: &Value, parsed: &mut Parsed, first: &mut FirstRecords) {
    let sh = super::sniff::shape(t);
    if sh != Shape::LabelStudio {
        first.record(false, || sh.describe().into());
        parsed.problems.push(ImportProblem {
            location: location.to_owned(),
            message: format!("this is {}, not a Label Studio task; not imported", sh.describe()),
        });
        return;
    }
    let data = t.get("data");
    let text_key = data.and_then(Value::as_object).and_then(|o| {
        if o.get("text").is_some_and(Value::is_string) {
            Some("text")
        } else {
            o.iter()
                .find(|(_, v)| v.is_string())
                .map(|(k, _)| k.as_str())
        }
    });
    let text = text_key.and_then(|k| data.and_then(|d| d.get(k)).and_then(Value::as_str));
    let Some(text) = text else {
        first.record(false, || "a task with no text in \"data\"".into());
        parsed.problems.push(ImportProblem {
            location: location.to_owned(),
            message: "the task has no text in \"data\"".into(),
        });
        return;
    };
    let not_a_list = ["annotations", "completions", "predictions"]
        .into_iter()
        .find_map(|k| t.get(k).filter(|x| !x.is_array() && !x.is_null()).map(|x| (k, super::jsonl::json_type(x))));
    if let Some((k, ty)) = not_a_list {
        first.record(false, || format!("a task whose {k:?} is {ty}"));
        parsed.problems.push(ImportProblem {
            location: location.to_owned(),
            message: format!("{k:?} is {ty}, not a list; the task was not imported"),
        });
        return;
    }
    first.record(true, String::new);
    let mut known_data = vec!["doc_id", "title"];
    known_data.extend(text_key);
    let mut meta: std::collections::BTreeMap<String, String> = data
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !known_data.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    for (k, v) in t.as_object().into_iter().flatten() {
        if !KNOWN_KEYS.contains(&k.as_str()) {
            meta.insert(format!("{LABEL_STUDIO_KEY}{k}"), v.to_string());
        }
    }
    let mut rec = Record {
        location: location.to_owned(),
        id: json_str(data.and_then(|d| d.get("doc_id"))).or_else(|| json_str(t.get("id"))),
        title: json_str(data.and_then(|d| d.get("title"))),
        text: text.to_owned(),
        meta,
        ..Record::default()
    };
    // The record's span index of each result id, per annotation and in the whole task.
    let mut task_ids: HashMap<String, usize> = HashMap::new();
    let mut pending: Vec<(HashMap<String, usize>, Vec<PendingRelation<'_>>)> = Vec::new();
    for (key, is_pred) in [
        ("annotations", false),
        ("completions", false),
        ("predictions", true),
    ] {
        for (ai, a) in t
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let aloc = format!("{location}, {key}[{ai}]");
            if a.get("was_cancelled").and_then(Value::as_bool) == Some(true) {
                parsed.problems.push(ImportProblem {
                    location: aloc,
                    message: "skipped: the annotation was cancelled".into(),
                });
                continue;
            }
            let kind = if is_pred {
                "prediction key"
            } else {
                "annotation key"
            };
            parsed.unknown_keys(Some(a), KNOWN_ANNOTATION_KEYS, kind, NO_PLACE, &aloc);
            let mut ids: HashMap<String, usize> = HashMap::new();
            let mut rels: Vec<(String, &Value, Option<String>)> = Vec::new();
            let author = if is_pred {
                Some(format!(
                    "prediction:{}",
                    json_str(a.get("model_version")).unwrap_or_else(|| "unknown".into())
                ))
            } else {
                json_str(a.get("completed_by_name"))
                    .or_else(|| json_str(a.get("completed_by").and_then(|c| c.get("email"))))
                    .or_else(|| json_str(a.get("completed_by")).map(|c| format!("user:{c}")))
            };
            for (ri, r) in a
                .get("result")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let rloc = format!("{aloc}.result[{ri}]");
                let ty = json_str(r.get("type")).unwrap_or_default();
                if ty == "relation" {
                    rels.push((rloc, r, author.clone()));
                    continue;
                }
                let v = r.get("value");
                let labels: Vec<String> = v
                    .and_then(|v| v.get("labels").or_else(|| v.get("hypertextlabels")))
                    .and_then(Value::as_array)
                    .map(|l| l.iter().filter_map(|x| json_str(Some(x))).collect())
                    .unwrap_or_default();
                let (start, end) = (
                    json_usize(v.and_then(|v| v.get("start"))),
                    json_usize(v.and_then(|v| v.get("end"))),
                );
                let (Some(start), Some(end)) = (start, end) else {
                    parsed.not_kept(
                        format!("results of type {ty:?} (not text spans)"),
                        "only text spans are imported",
                        &rloc,
                        1,
                    );
                    continue;
                };
                if labels.is_empty() {
                    parsed.problems.push(ImportProblem {
                        location: rloc,
                        message: "span without labels".into(),
                    });
                    continue;
                }
                parsed.unknown_keys(Some(r), KNOWN_RESULT_KEYS, "result key", NO_PLACE, &rloc);
                let meta = r.get("meta");
                let note = meta
                    .and_then(|m| m.get("text"))
                    .and_then(Value::as_array)
                    .map(|v| {
                        v.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .filter(|n| !n.is_empty());
                let status = meta
                    .and_then(|m| m.get("status"))
                    .and_then(Value::as_str)
                    .and_then(Status::from_name);
                if let Some(id) = json_str(r.get("id")) {
                    ids.entry(id.clone()).or_insert(rec.spans.len());
                    task_ids.entry(id).or_insert(rec.spans.len());
                }
                for label in labels {
                    rec.spans.push(RawSpan {
                        start,
                        end,
                        label,
                        text: json_str(v.and_then(|v| v.get("text"))),
                        author: author.clone(),
                        status,
                        note: note.clone(),
                        created: None,
                        location: rloc.clone(),
                        codepoints: false,
                    });
                }
            }
            pending.push((ids, rels));
        }
    }
    for (ids, rels) in pending {
        for (rloc, r, author) in rels {
            read_relation(&rloc, r, author, &ids, &task_ids, &mut rec, parsed);
        }
    }
    parsed.records.push(rec);
}

/// A relation result waiting for the annotation's results to be read: where, the result, and
/// the annotation's author.
type PendingRelation<'a> = (String, &'a Value, Option<String>);

/// Reads a relation result into `rec` (one relation per label), or reports why not.
fn read_relation(
    rloc: &str,
    r: &Value,
    author: Option<String>,
    ids: &HashMap<String, usize>,
    task_ids: &HashMap<String, usize>,
    rec: &mut Record,
    parsed: &mut Parsed,
) {
    parsed.unknown_keys(Some(r), KNOWN_RELATION_KEYS, "relation key", NO_PLACE, rloc);
    let end = |key: &str| {
        let id = json_str(r.get(key))?;
        ids.get(&id).or_else(|| task_ids.get(&id)).copied()
    };
    let (Some(a), Some(b)) = (end("from_id"), end("to_id")) else {
        parsed.problems.push(ImportProblem {
            location: rloc.to_owned(),
            message: format!(
                "relation from_id {} to_id {}: not the id of a text span of the task; not imported",
                r.get("from_id").map_or_else(|| "(none)".into(), Value::to_string),
                r.get("to_id").map_or_else(|| "(none)".into(), Value::to_string),
            ),
        });
        return;
    };
    let direction = r.get("direction").and_then(Value::as_str).unwrap_or("right");
    let (from, to) = match direction {
        "left" => (b, a),
        "right" => (a, b),
        other => {
            parsed.not_kept(
                format!("relation direction {other:?}"),
                "relations go one way: imported from from_id to to_id",
                rloc,
                1,
            );
            (a, b)
        }
    };
    let mut labels: Vec<String> = r
        .get("labels")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|x| json_str(Some(x))).collect())
        .unwrap_or_default();
    if labels.is_empty() {
        labels.push("related".into());
    }
    let meta = r.get("meta");
    let note = meta
        .and_then(|m| m.get("text"))
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"))
        .filter(|n| !n.is_empty());
    let status = meta
        .and_then(|m| m.get("status"))
        .and_then(Value::as_str)
        .and_then(Status::from_name);
    for kind in labels {
        rec.relations.push(RawRelation {
            from,
            to,
            kind,
            author: author.clone(),
            status,
            note: note.clone(),
            location: rloc.to_owned(),
            ..RawRelation::default()
        });
    }
}
