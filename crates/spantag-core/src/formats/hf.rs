//! Hugging Face token classification: JSONL with `{"id", "tokens": [str], "ner_tags": [int]}`,
//! one document a line, IOB2 tags as indices into the label names, which are written as a JSON
//! list in ClassLabel order (`["O", "B-actor", "I-actor", ...]`).
//!
//! Without a split: the entity layer to `NAME.jsonl` with `NAME.labels.json`, the claims layer to
//! `NAME.claims.jsonl` with `NAME.claims.labels.json`. With a split, each layer has a folder of
//! its own, so that `datasets.load_dataset("OUT/entities")` finds one layer's splits and never
//! mixes rows whose tag ids mean different labels: `OUT/entities/{train,dev,test}.jsonl` with
//! `OUT/entities/labels.json`, and `OUT/claims/...` likewise (only the layers written).
//! `OUT/README.md` is a dataset card whose YAML header declares one configuration per layer
//! (`entities` the default) with its splits and its label names as a `ClassLabel`, so
//! `load_dataset("OUT")` loads the entity layer with named tags, `load_dataset("OUT", "claims")`
//! the claims layer, and neither mixes the two. A layer folder loads alone too
//! (`load_dataset("OUT/entities")`, which names `dev` `validation` and ignores `labels.json`).
//! Spans with whitespace at either end are exported trimmed to their text.

use super::{Ctx, Exporter, FormatError, FormatSpec, Output, Prepared, Progress, Reports, Scheme};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "Hugging Face token classification JSONL (tokens, ner_tags) and the label names",
        extension: "jsonl",
        folder: false,
        layered: true,
        scheme: false,
        entity_layer: true,
        tokens: true,
        span_groups: false,
        write: export,
        preview,
        finish: Some(write_label_files),
    }),
    import: None,
};

/// ClassLabel names for a layer's labels: `O`, then `B-` and `I-` of each label.
pub fn label_names(labels: &[String]) -> Vec<String> {
    let mut v = vec!["O".to_owned()];
    for l in labels {
        v.push(format!("B-{l}"));
        v.push(format!("I-{l}"));
    }
    v
}

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    tokens: Vec<&'a str>,
    ner_tags: Vec<usize>,
}

/// One row of the entity layer.
fn preview(ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    let names = label_names(&ctx.layer_labels(true));
    let entities = true;
    let mut buf = Vec::new();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    write_record(ctx, p, entities, &index, reports, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

fn write_record(
    ctx: &Ctx<'_>,
    p: &mut Prepared<'_>,
    entities: bool,
    index: &HashMap<&str, usize>,
    reports: &mut Reports,
    buf: &mut Vec<u8>,
) {
    reports.no_relations = Some("hf token classification cannot hold relations");
    let layer = ctx.layer(p, entities, reports);
    let doc = p.doc;
    let toks = p.tokens();
    let (tags, _) = super::conll::tags(Scheme::Iob2, &layer, toks.len());
    let text = doc.text.as_str();
    let mut key = String::new();
    let ner_tags = tags
        .iter()
        .map(|t| match t {
            None => 0,
            Some((prefix, k)) => {
                key.clear();
                key.push_str(prefix);
                key.push('-');
                key.push_str(layer.spans.get(*k).map_or("", |(_, s)| s.label.as_str()));
                index.get(key.as_str()).copied().unwrap_or(0)
            }
        })
        .collect();
    let row = Row {
        id: &doc.id,
        tokens: toks
            .iter()
            .map(|t| text.get(t.bstart..t.bend).unwrap_or(""))
            .collect(),
        ner_tags,
    };
    let _ = serde_json::to_writer(&mut *buf, &row);
}

fn export(
    ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    split: Option<&str>,
    files: &mut Output,
    reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let layers = ctx.layers();
    let names: Vec<Vec<String>> = layers
        .iter()
        .map(|&e| label_names(&ctx.layer_labels(e)))
        .collect();
    let indexes: Vec<HashMap<&str, usize>> = names
        .iter()
        .map(|n| n.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect())
        .collect();
    let mut bufs: Vec<Vec<u8>> = layers.iter().map(|_| Vec::new()).collect();
    super::each_document(docs, progress, |p| {
        for ((buf, &entities), index) in bufs.iter_mut().zip(&layers).zip(&indexes) {
            write_record(ctx, p, entities, index, reports, buf);
            buf.push(b'\n');
        }
        Ok(())
    })?;
    for (buf, &entities) in bufs.into_iter().zip(&layers) {
        let path = match split {
            // `OUT/NAME.jsonl` becomes `OUT/LAYER/NAME.jsonl`.
            Some(_) => {
                let dir = out.parent().unwrap_or(Path::new(""));
                let name = out.file_name().unwrap_or_default();
                dir.join(layer_folder(entities)).join(name)
            }
            None if entities || layers.len() == 1 => out.to_owned(),
            None => super::companion(out, "claims", "jsonl"),
        };
        files.add(path, buf);
    }
    Ok(())
}

/// The folder of a layer in a split export.
fn layer_folder(entities: bool) -> &'static str {
    if entities { "entities" } else { "claims" }
}

/// A YAML double-quoted string: every character outside printable ASCII escaped.
fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            c if u32::from(c) <= 0xffff => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// The dataset card of a split export (see the module documentation): one configuration per
/// layer written, with its splits and label names.
fn dataset_card(ctx: &Ctx<'_>, layers: &[bool]) -> String {
    let splits: Vec<&str> = ctx
        .opts
        .split
        .iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    let mut y = String::from("---\nconfigs:\n");
    for (i, &entities) in layers.iter().enumerate() {
        let layer = layer_folder(entities);
        y.push_str(&format!("- config_name: {layer}\n"));
        if i == 0 {
            y.push_str("  default: true\n");
        }
        y.push_str("  data_files:\n");
        for split in &splits {
            y.push_str(&format!(
                "  - split: {split}\n    path: {}\n",
                yaml_str(&format!("{layer}/{split}.jsonl"))
            ));
        }
    }
    y.push_str("dataset_info:\n");
    for &entities in layers {
        y.push_str(&format!(
            "- config_name: {}\n  features:\n  - name: id\n    dtype: string\n  - name: tokens\n    \
             sequence: string\n  - name: ner_tags\n    sequence:\n      class_label:\n        names:\n",
            layer_folder(entities)
        ));
        for (k, name) in label_names(&ctx.layer_labels(entities)).iter().enumerate() {
            y.push_str(&format!("          \"{k}\": {}\n", yaml_str(name)));
        }
    }
    y.push_str("---\n\n# Token classification data exported by spantag\n\n");
    y.push_str(
        "One folder per layer, each with one JSON lines file per split (`id`, `tokens`, \
         `ner_tags` as IOB2 tag ids) and `labels.json` (the tag names in id order). \
         `datasets.load_dataset(\"THIS_FOLDER\")` loads the default configuration above (one \
         layer) with named tags; `load_dataset(\"THIS_FOLDER\", NAME)` loads the layer NAME.\n",
    );
    y
}

/// Writes the label name lists (see the module documentation for their names) and, for a split,
/// the dataset card.
fn write_label_files(ctx: &Ctx<'_>, out: &Path, split: bool, files: &mut Output) {
    let layers = ctx.layers();
    if split {
        files.add(out.join("README.md"), dataset_card(ctx, &layers).into_bytes());
    }
    for &entities in &layers {
        let names = label_names(&ctx.layer_labels(entities));
        let companion = !entities && layers.len() > 1;
        let path = match (split, companion) {
            (true, _) => out.join(layer_folder(entities)).join("labels.json"),
            (false, false) => super::companion(out, "labels", "json"),
            (false, true) => super::companion(out, "claims.labels", "json"),
        };
        let mut bytes = serde_json::to_vec_pretty(&names).unwrap_or_default();
        bytes.push(b'\n');
        files.add(path, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::yaml_str;

    #[test]
    fn yaml_strings_escape_everything_but_printable_ascii() {
        assert_eq!(yaml_str("B-PER"), "\"B-PER\"");
        assert_eq!(yaml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(yaml_str("Zoë\n😀"), "\"Zo\\u00eb\\u000a\\U0001f600\"");
    }
}
