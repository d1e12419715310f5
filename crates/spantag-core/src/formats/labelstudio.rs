//! Label Studio JSON: a list of tasks `{"id", "data": {"text", "doc_id", "title"},
//! "annotations": [{"id", "result": [...]}]}` with one annotation per span author; each result is
//! `{"id", "from_name": "label", "to_name": "text", "type": "labels", "value": {"start", "end",
//! "text", "labels": [LABEL]}}` with code point offsets. spantag adds `"meta": {"text": [note]}`
//! (Label Studio's region note) and the author's name as `"completed_by_name"` / span `status` as
//! `"meta": {"status"}`, which Label Studio keeps.
//!
//! Import reads a JSON list of tasks (or one task, or JSON lines), both `annotations` and
//! `predictions` (prediction spans are authored `prediction:MODEL_VERSION`); cancelled
//! annotations are reported and skipped. The text is `data.text`, else the first string in `data`.

use super::jsonl::{NO_META, NO_PLACE, NO_RELATIONS};
use super::{
    Ctx, Exporter, FirstRecords, FormatError, FormatSpec, ImportProblem, Importer, Input,
    OffsetUnit, Output, Parsed, Prepared, Progress, RawSpan, Record, Reports, Shape, json_str,
    json_usize,
};
use crate::model::Status;
use serde_json::{Value, json};
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
fn preview(_ctx: &Ctx<'_>, p: &mut Prepared<'_>, _reports: &mut Reports) -> String {
    task(p, 0).to_string()
}

/// The task of one document.
fn task(p: &Prepared<'_>, id: usize) -> Value {
    let mut authors: Vec<&str> = Vec::new();
    for s in &p.spans {
        if !authors.contains(&s.author.as_str()) {
            authors.push(&s.author);
        }
    }
    let annotations: Vec<Value> = authors
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let result: Vec<Value> = p
                .spans
                .iter()
                .filter(|s| s.author == *a)
                .map(|s| {
                    let mut meta = json!({"status": s.status.name()});
                    if let Some(n) = &s.note {
                        meta["text"] = json!([n]);
                    }
                    json!({
                        "id": format!("s{}", s.id),
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": s.start, "end": s.end, "text": s.text, "labels": [s.label]},
                        "meta": meta,
                    })
                })
                .collect();
            json!({"id": id * 1000 + k + 1, "completed_by_name": a, "result": result})
        })
        .collect();
    json!({
        "id": id,
        "data": {"text": p.doc.text, "doc_id": p.doc.id, "title": p.doc.title},
        "annotations": annotations,
    })
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
    let mut buf = b"[\n".to_vec();
    for (i, p) in docs.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b",\n");
        }
        let _ = serde_json::to_writer(&mut buf, &task(p, i + 1));
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
/// Keys of a result the import reads (its id links relations, which are not kept).
const KNOWN_RESULT_KEYS: &[&str] = &["id", "from_name", "to_name", "type", "value", "meta"];

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
    parsed.unknown_keys(Some(t), KNOWN_KEYS, "top-level key", NO_PLACE, location);
    let mut known_data = vec!["doc_id", "title"];
    known_data.extend(text_key);
    parsed.unknown_keys(data, &known_data, "data key", NO_META, location);
    let mut rec = Record {
        location: location.to_owned(),
        id: json_str(data.and_then(|d| d.get("doc_id"))).or_else(|| json_str(t.get("id"))),
        title: json_str(data.and_then(|d| d.get("title"))),
        text: text.to_owned(),
        ..Record::default()
    };
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
                    parsed.not_kept("relations".into(), NO_RELATIONS, &rloc, 1);
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
        }
    }
    parsed.records.push(rec);
}
