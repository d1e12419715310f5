//! doccano sequence-labelling JSONL: `{"text", "label": [[start, end, "LABEL"], ...]}` (older
//! exports: `"labels"`), or the relation mode's `"entities": [{"id", "start_offset",
//! "end_offset", "label"}]`. doccano counts offsets in UTF-16 code units, so that is the default
//! here (`--offsets codepoints` for files written otherwise). Relations are reported, not
//! imported.

use super::{
    FormatError, FormatSpec, ImportProblem, Importer, Input, OffsetUnit, Parsed, RawSpan, Record,
    json_str, json_usize,
};
use serde_json::Value;
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: None,
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
