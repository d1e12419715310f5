//! Exports without silent loss: the entity layer follows the project's labels (and an empty one
//! is a problem), Prodigy-style tokens rebuild the text, whitespace-padded spans are trimmed,
//! `.spacy` span groups and user data, hf splits keep layers apart, IOBES, doccano's UTF-16
//! offsets and brat file names for long ids. Texts mix emoji, combining marks, CRLF sources and
//! non-Latin scripts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::roundtrip::project_strategy;
use proptest::prelude::*;
use serde_json::Value;
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, GroupSpans, ImportFormat, ImportOptions, Layer, Progress,
    Scheme, SpanGroup,
};
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, Status};
use spantag_core::time::Timestamp;
use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

/// CoNLL-2003 labels plus a claim label; emoji, combining marks, CJK, Arabic, a whitespace-padded
/// span (`[PER  Jane Smith]` covers " Jane Smith").
const CONLL_DOCS: &[(&str, &str)] = &[
    (
        "d1",
        "[PER Zoë Ålund] met [PER  Jane Smith] in [LOC Malmö] 👩\u{200d}👩\u{200d}👧.\n\n[claim [ORG Acme] grew 4%] said [MISC Jose\u{301}].",
    ),
    (
        "d2",
        "[LOC 東京都]で[PER 山田太郎]が話した。 [claim قال [PER أحمد] إن [LOC القاهرة] كبيرة] 👍🏽",
    ),
];

/// A project with exactly the labels PER, LOC, ORG, MISC and claim.
fn conll_project() -> Project {
    let mut p =
        project_from_markup("conll2003", CONLL_DOCS, "ana", Timestamp(1_795_000_000)).unwrap();
    p.labels
        .retain(|l| ["PER", "LOC", "ORG", "MISC", "claim"].contains(&l.name.as_str()));
    p
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn export(p: &Project, opts: &ExportOptions, out: &Path) -> formats::ExportSummary {
    formats::export(p, opts, out, &Progress::default()).unwrap()
}

/// The decoded msgpack of a `.spacy` file.
fn docbin(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap();
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&bytes[..])
        .read_to_end(&mut raw)
        .unwrap();
    let v = rmpv::decode::read_value(&mut &raw[..]).unwrap();
    to_json(&v)
}

/// msgpack as JSON, bins as arrays of bytes; map keys that are bins become their decoded
/// content's JSON text.
fn to_json(v: &rmpv::Value) -> Value {
    use rmpv::Value as M;
    match v {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(*b),
        M::Integer(i) => i.as_u64().map_or(Value::Null, Value::from),
        M::String(s) => Value::from(s.as_str().unwrap_or("")),
        M::Binary(b) => Value::from(b.clone()),
        M::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        M::Map(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        M::String(s) => s.as_str().unwrap_or("").to_owned(),
                        M::Binary(b) => {
                            to_json(&rmpv::decode::read_value(&mut &b[..]).unwrap()).to_string()
                        }
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn bin_value(v: &Value) -> Value {
    let bytes: Vec<u8> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    to_json(&rmpv::decode::read_value(&mut &bytes[..]).unwrap())
}

#[test]
fn the_entity_layer_defaults_to_the_projects_labels() {
    let p = conll_project();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let opts = ExportOptions::new(ExportFormat::Conll);
    assert!(opts.is_entity("PER") && opts.is_entity("misc") && !opts.is_entity("claim"));
    let s = export(&p, &opts, &d.join("x.conll"));
    assert!(s.problems.is_empty(), "{}", s.to_text());
    let conll = read(&d.join("x.conll"));
    for tag in ["B-PER", "I-PER", "B-LOC", "B-ORG", "B-MISC"] {
        assert!(
            conll.contains(&format!(" {tag}\n")),
            "{tag} missing:\n{conll}"
        );
    }
    assert!(conll.contains("Jane B-PER\nSmith I-PER\n"), "{conll}");
    assert!(!conll.contains("claim"), "{conll}");
    assert!(read(&d.join("x.claims.conll")).contains(" B-claim\n"));

    let s = export(
        &p,
        &ExportOptions::new(ExportFormat::Spacy),
        &d.join("x.spacy"),
    );
    assert!(s.problems.is_empty(), "{}", s.to_text());
    let preview = formats::preview(&p, &ExportOptions::new(ExportFormat::Spacy), 1);
    assert!(
        preview[0].contains("ents: PER \"Zoë Ålund\", PER \"Jane Smith\", LOC \"Malmö\""),
        "{}",
        preview[0]
    );

    let mut hf = ExportOptions::new(ExportFormat::Hf);
    hf.layer = Layer::Entities;
    export(&p, &hf, &d.join("x.jsonl"));
    let names: Vec<String> = serde_json::from_str(&read(&d.join("x.labels.json"))).unwrap();
    assert_eq!(
        names,
        [
            "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"
        ]
    );

    // Explicit entity labels still win.
    let mut only = ExportOptions::new(ExportFormat::Conll);
    only.entity_labels = Some(vec!["loc".into()]);
    only.layer = Layer::Entities;
    export(&p, &only, &d.join("loc.conll"));
    let loc = read(&d.join("loc.conll"));
    assert!(loc.contains(" B-LOC\n") && !loc.contains("PER"), "{loc}");
}

#[test]
fn an_empty_entity_layer_is_a_problem() {
    let p = project_from_markup(
        "claims only",
        &[("c", "[claim The mayor said 40 jobs would go] 😀")],
        "ana",
        Timestamp(0),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in [ExportFormat::Spacy, ExportFormat::Conll, ExportFormat::Hf] {
        let opts = ExportOptions::new(f);
        let s = export(&p, &opts, &dir.path().join(format!("o.{f}")));
        assert_eq!(s.problems.len(), 1, "{f}: {}", s.to_text());
        assert!(s.problems[0].contains("the entity layer is empty"), "{f}");
        assert!(!s.is_complete(), "{f}");
        assert!(
            s.to_text().contains("problem: the entity layer is empty"),
            "{f}"
        );
        assert_eq!(
            formats::entity_layer_problem(&p, &opts),
            s.problems.first().cloned()
        );
        // The files are written all the same.
        assert!(dir.path().join(format!("o.{f}")).exists(), "{f}");
    }
    // Formats without an entity layer, or only the claims layer: no problem.
    for (f, layer) in [
        (ExportFormat::Jsonl, Layer::Both),
        (ExportFormat::Doccano, Layer::Both),
        (ExportFormat::Conll, Layer::Claims),
    ] {
        let mut opts = ExportOptions::new(f);
        opts.layer = layer;
        let s = export(&p, &opts, &dir.path().join(format!("n.{f}")));
        assert!(s.is_complete(), "{f}: {}", s.to_text());
        assert_eq!(formats::entity_layer_problem(&p, &opts), None, "{f}");
    }
    // Choosing only claim labels asks for an empty entity layer.
    let mut opts = ExportOptions::new(ExportFormat::Spacy);
    opts.labels = Some(vec!["claim".into()]);
    assert!(export(&p, &opts, &dir.path().join("l.spacy")).is_complete());
    assert_eq!(formats::entity_layer_problem(&p, &opts), None);
    // A project without spans has nothing to complain about.
    let mut empty = p.clone();
    Arc::make_mut(&mut empty.documents[0]).spans.clear();
    let opts = ExportOptions::new(ExportFormat::Spacy);
    assert!(export(&empty, &opts, &dir.path().join("e.spacy")).is_complete());
    assert_eq!(formats::entity_layer_problem(&empty, &opts), None);
}

/// The jsonl tokens of one task: their texts joined (with a space where `ws`) give the text back,
/// ids count up, offsets are code points, and each span's tokens cover exactly its text.
fn check_task(v: &Value) -> Result<(), TestCaseError> {
    let text = v["text"].as_str().unwrap();
    let chars: Vec<char> = text.chars().collect();
    let tokens = v["tokens"].as_array().unwrap();
    let mut rebuilt = String::new();
    for (i, t) in tokens.iter().enumerate() {
        let tt = t["text"].as_str().unwrap();
        prop_assert!(!tt.is_empty());
        prop_assert_eq!(t["id"].as_u64(), Some(i as u64));
        let (a, b) = (
            t["start"].as_u64().unwrap() as usize,
            t["end"].as_u64().unwrap() as usize,
        );
        prop_assert_eq!(chars[a..b].iter().collect::<String>(), tt);
        prop_assert_eq!(a, rebuilt.chars().count());
        rebuilt.push_str(tt);
        if t["ws"].as_bool().unwrap() {
            rebuilt.push(' ');
        }
        // A whitespace token never holds a single leading ' ' that a `ws` flag should carry.
        if i > 0 && tt.chars().all(formats::is_space) {
            prop_assert!(
                !tokens[i - 1]["text"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .all(formats::is_space)
            );
        }
    }
    prop_assert_eq!(&rebuilt, text);
    let input = v["_input_hash"].as_i64().unwrap();
    prop_assert_eq!(
        input,
        i64::from(formats::jsonl::murmurhash3_32(text.as_bytes(), 0) as i32)
    );
    let key: Vec<Value> = v["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| serde_json::json!([s["start"], s["end"], s["label"]]))
        .collect();
    let key = serde_json::to_string(&serde_json::json!([input, key])).unwrap();
    prop_assert_eq!(
        v["_task_hash"].as_i64().unwrap(),
        i64::from(formats::jsonl::murmurhash3_32(key.as_bytes(), 0) as i32)
    );
    for s in v["spans"].as_array().unwrap() {
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        let (ts, te) = (
            s["token_start"].as_u64().unwrap() as usize,
            s["token_end"].as_u64().unwrap() as usize,
        );
        prop_assert_eq!(tokens[ts]["start"].as_u64(), Some(a as u64));
        prop_assert_eq!(tokens[te]["end"].as_u64(), Some(b as u64));
        prop_assert_eq!(
            s["text"].as_str().unwrap(),
            chars[a..b].iter().collect::<String>()
        );
        prop_assert!(!s["text"].as_str().unwrap().starts_with(formats::is_space));
    }
    prop_assert_eq!(v["answer"].as_str(), Some("accept"));
    prop_assert!(v["meta"]["id"].is_string());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn jsonl_tokens_rebuild_every_text(p in project_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.jsonl");
        let mut opts = ExportOptions::new(ExportFormat::Jsonl);
        opts.statuses = Some(Status::ALL.to_vec());
        let s = export(&p, &opts, &out);
        prop_assert!(s.is_complete(), "{}", s.to_text());
        let text = read(&out);
        prop_assert_eq!(text.lines().count(), p.documents.len());
        for line in text.lines() {
            check_task(&serde_json::from_str(line).unwrap())?;
        }
    }

    #[test]
    fn doccano_export_imports_back_through_utf16(p in project_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.jsonl");
        let mut opts = ExportOptions::new(ExportFormat::Doccano);
        opts.statuses = Some(Status::ALL.to_vec());
        let s = export(&p, &opts, &out);
        prop_assert!(s.is_complete(), "{}", s.to_text());
        // Offsets are UTF-16 code units: slicing the UTF-16 text gives each span's text.
        for (line, d) in read(&out).lines().zip(&p.documents) {
            let v: Value = serde_json::from_str(line).unwrap();
            prop_assert_eq!(v["id"].as_str(), Some(d.id.as_str()));
            let units: Vec<u16> = d.text.encode_utf16().collect();
            let labels = v["label"].as_array().unwrap();
            prop_assert_eq!(labels.len(), d.spans.len());
            for (l, sp) in labels.iter().zip(&d.spans) {
                let (a, b) = (l[0].as_u64().unwrap() as usize, l[1].as_u64().unwrap() as usize);
                prop_assert_eq!(String::from_utf16(&units[a..b]).unwrap(), sp.text.clone());
                prop_assert_eq!(l[2].as_str(), Some(sp.label.as_str()));
            }
        }
        let mut q = Project::new("back", &[]);
        let s = formats::import(&mut q, &[out], &ImportOptions::new(ImportFormat::Doccano)).unwrap();
        prop_assert!(s.is_complete(), "{}", s.to_text());
        let key = |p: &Project| -> BTreeSet<(String, usize, usize, String, String)> {
            p.documents.iter().flat_map(|d| d.spans.iter().map(|s| {
                (d.text.clone(), s.start, s.end, s.label.clone(), s.text.clone())
            })).collect()
        };
        prop_assert_eq!(key(&q), key(&p));
    }
}

#[test]
fn jsonl_from_a_crlf_source_keeps_offsets_and_tokens() {
    // A CRLF source is normalised to LF on import; the export's offsets and tokens follow the
    // stored text.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("crlf.jsonl");
    let text = "Zoë said:\r\n\r\n  [Jose\u{301}] 👩\u{200d}👩\u{200d}👧 left\r\nToday";
    let start = text.find("Jose").unwrap();
    let cp = |b: usize| text[..b].chars().count();
    let line = serde_json::json!({
        "text": text,
        "spans": [{"start": cp(start), "end": cp(start) + 5, "label": "PER"}],
        "meta": {"id": "crlf"}
    });
    std::fs::write(&src, format!("{line}\n")).unwrap();
    let mut p = Project::new("crlf", &["PER"]);
    let s = formats::import(&mut p, &[src], &ImportOptions::new(ImportFormat::Jsonl)).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    let out = dir.path().join("x.jsonl");
    assert!(export(&p, &ExportOptions::new(ExportFormat::Jsonl), &out).is_complete());
    let v: Value = serde_json::from_str(read(&out).trim()).unwrap();
    assert!(!v["text"].as_str().unwrap().contains('\r'));
    assert_eq!(v["spans"][0]["text"], "Jose\u{301}");
    check_task(&v).unwrap();
    let toks: Vec<&str> = v["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert!(toks.contains(&"\n\n  "), "{toks:?}");
    assert!(toks.contains(&"\n"), "{toks:?}");
}

#[test]
fn spacy_has_a_span_group_per_layer_and_the_document_in_user_data() {
    let p = conll_project();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.spacy");
    let s = export(&p, &ExportOptions::new(ExportFormat::Spacy), &out);
    assert!(s.is_complete(), "{}", s.to_text());
    assert_eq!(s.trimmed, 1);
    let msg = docbin(&out);
    let strings: Vec<&str> = msg["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let label = |id: &Value| -> String {
        let id = id.as_u64().unwrap();
        strings
            .iter()
            .find(|s| formats::docbin::string_id(s) == id)
            .map_or(format!("<{id}>"), |s| (*s).to_owned())
    };
    let user = msg["user_data"].as_array().unwrap();
    assert_eq!(user.len(), 2);
    for (u, d) in user.iter().zip(&p.documents) {
        let u = bin_value(u);
        assert_eq!(u["id"].as_str(), Some(d.id.as_str()));
        assert_eq!(u["title"].as_str(), Some(d.title.as_str()));
    }
    // Span groups of the first document: keys and labels per group.
    let groups = bin_value(&msg["span_groups"][0]);
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    for (group, keys) in groups.as_object().unwrap() {
        let group: Value = serde_json::from_str(group).unwrap();
        let labels: Vec<String> = group["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let b: Vec<u8> = b
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u8)
                    .collect();
                label(&Value::from(u64::from_be_bytes(
                    b[16..24].try_into().unwrap(),
                )))
            })
            .collect();
        assert_eq!(keys[0], group["name"]);
        seen.push((group["name"].as_str().unwrap().to_owned(), labels));
    }
    seen.sort();
    let sorted = |v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    };
    let mut got: Vec<(String, Vec<String>)> = seen
        .into_iter()
        .map(|(k, mut v)| {
            v.sort();
            (k, v)
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("claims".to_owned(), sorted(&["claim"])),
            (
                "entities".to_owned(),
                sorted(&["PER", "PER", "LOC", "ORG", "MISC"])
            ),
            (
                "sc".to_owned(),
                sorted(&["PER", "PER", "LOC", "ORG", "MISC", "claim"])
            ),
        ]
    );

    // Configured keys; without a group for claims they cannot be represented.
    let mut opts = ExportOptions::new(ExportFormat::Spacy);
    opts.span_groups = formats::parse_span_groups("ner=entities").unwrap();
    assert_eq!(
        opts.span_groups,
        vec![SpanGroup {
            key: "ner".into(),
            spans: GroupSpans::Entities
        }]
    );
    let s = export(&p, &opts, &dir.path().join("y.spacy"));
    assert_eq!(s.unrepresented.len(), 2, "{}", s.to_text());
    assert!(s.unrepresented.iter().all(|u| u.label == "claim"));
    opts.span_groups = formats::parse_span_groups("none").unwrap();
    assert!(opts.span_groups.is_empty());
    let s = export(&p, &opts, &dir.path().join("z.spacy"));
    assert_eq!(s.unrepresented.len(), 2, "{}", s.to_text());
    assert_eq!(
        docbin(&dir.path().join("z.spacy"))["span_groups"][0],
        Value::from(vec![0x90u8])
    );
    for bad in ["sc", "=all", "sc=every", "a=all,a=claims"] {
        assert!(formats::parse_span_groups(bad).is_err(), "{bad}");
    }
    assert_eq!(
        formats::span_groups_text(&formats::default_span_groups()),
        "entities=entities,claims=claims,sc=all"
    );
}

#[test]
fn hf_splits_keep_each_layer_in_its_own_folder() {
    let p = conll_project();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hf");
    let mut opts = ExportOptions::new(ExportFormat::Hf);
    opts.split = Some(vec![("train".into(), 0.5), ("test".into(), 0.5)]);
    let s = export(&p, &opts, &out);
    assert!(s.is_complete(), "{}", s.to_text());
    let mut files: Vec<String> = s
        .files
        .iter()
        .map(|f| f.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "README.md",
            "claims/labels.json",
            "claims/test.jsonl",
            "claims/train.jsonl",
            "entities/labels.json",
            "entities/test.jsonl",
            "entities/train.jsonl"
        ]
    );
    let names: Vec<String> = serde_json::from_str(&read(&out.join("claims/labels.json"))).unwrap();
    assert_eq!(names, ["O", "B-claim", "I-claim"]);
    let card = read(&out.join("README.md"));
    assert!(
        card.starts_with("---\nconfigs:\n- config_name: entities\n  default: true\n"),
        "{card}"
    );
    assert!(
        card.contains("  - split: test\n    path: \"claims/test.jsonl\"\n"),
        "{card}"
    );
    assert!(card.contains("          \"3\": \"B-LOC\"\n"), "{card}");
    // One layer only: its folder alone (and the card).
    opts.layer = Layer::Entities;
    let ents = dir.path().join("ents");
    let s = export(&p, &opts, &ents);
    assert!(
        s.files
            .iter()
            .all(|f| f.starts_with(ents.join("entities")) || f.ends_with("README.md"))
    );
    assert!(!read(&ents.join("README.md")).contains("config_name: claims"));
}

#[test]
fn conll_writes_iobes() {
    let p = conll_project();
    let dir = tempfile::tempdir().unwrap();
    let mut opts = ExportOptions::new(ExportFormat::Conll);
    opts.scheme = Scheme::Iobes;
    opts.layer = Layer::Entities;
    let out = dir.path().join("x.conll");
    export(&p, &opts, &out);
    let c = read(&out);
    assert!(c.contains("Zoë B-PER\nÅlund E-PER\n"), "{c}");
    assert!(c.contains("Malmö S-LOC\n"), "{c}");
    // Ideographs are one word segment each.
    assert!(
        c.contains("山 B-PER\n田 I-PER\n太 I-PER\n郎 E-PER\n"),
        "{c}"
    );
    assert!(c.contains("أحمد S-PER\n"), "{c}");
    assert_eq!(formats::parse_name::<Scheme>("IOBES"), Ok(Scheme::Iobes));
}

#[test]
fn brat_names_long_and_unsafe_ids_deterministically() {
    let mut p = conll_project();
    let long = format!("{}🙂", "ä".repeat(300));
    Arc::make_mut(&mut p.documents[0]).id = long.clone();
    Arc::make_mut(&mut p.documents[1]).id = "../a/b:c".into();
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for run in ["a", "b"] {
        let out = dir.path().join(run);
        let s = export(&p, &ExportOptions::new(ExportFormat::Brat), &out);
        assert!(s.is_complete(), "{}", s.to_text());
        let mut n: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        assert!(n.iter().all(|f| f.len() < 130), "{n:?}");
        assert!(n.contains(&"_a_b_c.ann".to_owned()), "{n:?}");
        assert!(
            s.notes.iter().any(|x| x.contains("written as")),
            "{:?}",
            s.notes
        );
        names.push(n);
    }
    assert_eq!(names[0], names[1]);
    assert_eq!(names[0].len(), 5, "{:?}", names[0]);
}
