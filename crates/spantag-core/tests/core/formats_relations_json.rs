//! Relations and document meta through the JSON formats (Prodigy / spaCy JSONL, doccano, Label
//! Studio): property-tested round trips with random spans and relations (nested and overlapping
//! spans, relations between them) on texts with emoji, combining marks, CJK and Arabic; an
//! excerpt written here in the shape of explosion's `rel_component` Prodigy annotations; CRLF
//! sources; meta round trips; and each importer given the other formats' relation files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::roundtrip::project_strategy;
use proptest::prelude::*;
use serde_json::{Value, json};
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, FormatError, ImportFormat, ImportOptions, ImportSummary,
    Progress,
};
use spantag_core::model::{
    Project, Relation, RelationId, RelationType, SpanId, Status, default_relation_types,
};
use spantag_core::time::Timestamp;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const KINDS: &[&str] = &["source", "location", "MEETS", "part-of"];
const AUTHORS: &[&str] = &["ana", "bo", "import"];

/// Adds relations to `p` from raw picks (document, from span, to span, kind, author, status,
/// note), skipping self-relations and duplicates. Relation types other than the defaults allow
/// any labels; picks break the defaults' label rules too (loading allows it, lint lists it).
fn add_relations(p: &mut Project, picks: &[(usize, usize, usize, usize, usize, usize, bool)]) {
    for k in KINDS {
        if p.relation_type(k).is_none() {
            let t = RelationType::any(k, p.relation_types.len());
            p.relation_types.push(t);
        }
    }
    let mut next = 1;
    for &(d, a, b, k, au, st, note) in picks {
        let n = p.documents.len();
        let doc = Arc::make_mut(&mut p.documents[d % n]);
        let m = doc.spans.len();
        if m < 2 {
            continue;
        }
        let (from, to) = (doc.spans[a % m].id, doc.spans[b % m].id);
        let kind = KINDS[k % KINDS.len()];
        if from == to || doc.has_relation(from, to, kind, None) {
            continue;
        }
        doc.relations.push(Relation {
            id: RelationId(next),
            from,
            to,
            kind: kind.into(),
            author: AUTHORS[au % AUTHORS.len()].into(),
            created: Timestamp(1_795_000_000),
            status: Status::ALL[st % Status::ALL.len()],
            review: None,
            note: note.then(|| format!("rel note {next} «ü»")),
            proposed_by: Vec::new(),
        });
        next += 1;
    }
    p.normalize();
}

fn relations_strategy() -> impl Strategy<Value = Project> {
    (
        project_strategy(),
        prop::collection::vec(
            (
                0usize..4,
                0usize..64,
                0usize..64,
                0usize..4,
                0usize..3,
                0usize..4,
                any::<bool>(),
            ),
            0..24,
        ),
    )
        .prop_map(|(mut p, picks)| {
            add_relations(&mut p, &picks);
            p
        })
}

/// A span as its text position: (start, end, label, text).
type SpanKey = (usize, usize, String, String);
/// A relation by its document's text, its two spans, type, and what else a format keeps.
type RelKey = (
    String,
    SpanKey,
    SpanKey,
    String,
    Option<(String, Status, Option<String>)>,
);

fn rel_keys(p: &Project, extras: bool) -> BTreeSet<RelKey> {
    let mut out = BTreeSet::new();
    for d in &p.documents {
        let key = |id: SpanId| {
            let s = d.span(id).unwrap();
            (s.start, s.end, s.label.clone(), s.text.clone())
        };
        for r in &d.relations {
            out.insert((
                d.text.clone(),
                key(r.from),
                key(r.to),
                r.kind.clone(),
                extras.then(|| (r.author.clone(), r.status, r.note.clone())),
            ));
        }
    }
    out
}

fn span_keys(p: &Project) -> BTreeSet<(String, SpanKey)> {
    p.documents
        .iter()
        .flat_map(|d| {
            d.spans.iter().map(|s| {
                (
                    d.text.clone(),
                    (s.start, s.end, s.label.clone(), s.text.clone()),
                )
            })
        })
        .collect()
}

fn export_all(p: &Project, ef: ExportFormat, out: &Path) -> formats::ExportSummary {
    let mut opts = ExportOptions::new(ef);
    opts.statuses = Some(Status::ALL.to_vec());
    let s = formats::export(p, &opts, out, &Progress::default()).unwrap();
    assert!(s.is_complete(), "{ef}: {}", s.to_text());
    s
}

fn import_into(q: &mut Project, f: ImportFormat, input: &Path) -> ImportSummary {
    formats::import(q, &[input.to_path_buf()], &ImportOptions::new(f)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn relations_round_trip_through_jsonl_doccano_and_label_studio(p in relations_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        // (format, whether it keeps the relation's author, status and note)
        for (ef, imf, extras) in [
            (ExportFormat::Jsonl, ImportFormat::Jsonl, true),
            (ExportFormat::Doccano, ImportFormat::Doccano, false),
            (ExportFormat::LabelStudio, ImportFormat::LabelStudio, true),
        ] {
            let out = dir.path().join(format!("out-{}", ef.name()));
            let es = export_all(&p, ef, &out);
            let n = p.relation_count();
            if n > 0 {
                prop_assert_eq!(es.relations, n, "{}", es.to_text());
            }
            let mut q = Project::new("back", &[]);
            let s = import_into(&mut q, imf, &out);
            prop_assert!(s.is_complete(), "{}: {}", imf, s.to_text());
            prop_assert_eq!(span_keys(&q), span_keys(&p), "{}", ef);
            prop_assert_eq!(rel_keys(&q, extras), rel_keys(&p, extras), "{}", ef);
            prop_assert_eq!(s.relations_per_type.values().sum::<usize>(), n);
            // Importing into a project with the default types adds only the others.
            let used: BTreeSet<&str> = p.documents.iter().flat_map(|d| d.relations.iter().map(|r| r.kind.as_str())).collect();
            let added: BTreeSet<&str> = s.relation_types_added.iter().map(String::as_str).collect();
            prop_assert_eq!(added, used);
        }
    }
}

/// The code point range of the first `sub` in `text`.
fn cp(text: &str, sub: &str) -> (usize, usize) {
    let b = text
        .find(sub)
        .unwrap_or_else(|| panic!("{sub:?} in {text:?}"));
    let a = text[..b].chars().count();
    (a, a + sub.chars().count())
}

/// A task in the shape of explosion's `rel_component` annotations (Prodigy `rel.manual`):
/// whitespace tokens with `disabled`, spans with `type: "span"` and token indices, relations
/// whose `head` and `child` are the last tokens of their spans, with `head_span`, `child_span`
/// and `color`; Prodigy's own keys. The text is written here; only the shape is Prodigy's.
fn rel_task(text: &str, ents: &[&str], rels: &[(usize, usize, &str)], source: &str) -> Value {
    let mut tokens = Vec::new();
    let mut at = 0;
    let words: Vec<&str> = text.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        let n = w.chars().count();
        tokens.push(json!({"text": w, "start": at, "end": at + n, "id": i,
                           "ws": i + 1 < words.len(), "disabled": false}));
        at += n + 1;
    }
    let tok = |c: usize, field: &str| {
        tokens
            .iter()
            .position(|t| t[field].as_u64() == Some(c as u64))
            .unwrap()
    };
    let spans: Vec<Value> = ents
        .iter()
        .map(|sub| {
            let (a, b) = cp(text, sub);
            json!({"text": sub, "start": a, "token_start": tok(a, "start"),
                   "token_end": tok(b, "end"), "end": b, "type": "span", "label": "GGP"})
        })
        .collect();
    let end = |s: &Value| {
        json!({"start": s["start"], "end": s["end"], "token_start": s["token_start"],
               "token_end": s["token_end"], "label": s["label"]})
    };
    let relations: Vec<Value> = rels
        .iter()
        .map(|&(h, c, label)| {
            json!({"head": spans[h]["token_end"], "child": spans[c]["token_end"],
                   "head_span": end(&spans[h]), "child_span": end(&spans[c]),
                   "color": "#ffd882", "label": label})
        })
        .collect();
    json!({
        "text": text, "spans": spans, "meta": {"source": source},
        "_input_hash": -400_334_998, "_task_hash": 1_861_007_191,
        "tokens": tokens, "_session_id": null, "_view_id": "relations",
        "relations": relations, "answer": "accept"
    })
}

/// Four tasks written in the rel_component shape: genes regulating genes, relations between
/// multi-token spans in both directions, a span in two relations, a symmetric `Binds` pair.
fn rel_component_excerpt() -> Vec<Value> {
    vec![
        rel_task(
            "Activation of the TRX7 promoter by hemo-kinase 2 requires BRD-4 in resting cells .",
            &["TRX7", "hemo-kinase 2", "BRD-4"],
            &[(1, 0, "Pos-Reg"), (2, 0, "Reg")],
            "Shared Task, PMID-1000001.txt",
        ),
        rel_task(
            "ZNF-88 binds LAMA3 and represses LAMA3 b-chain expression .",
            &["ZNF-88", "LAMA3", "LAMA3 b-chain"],
            &[(0, 1, "Binds"), (1, 0, "Binds"), (0, 2, "Neg-Reg")],
            "Shared Task, PMID-1000002.txt",
        ),
        rel_task(
            "No effect of p21 on cyclin E was seen .",
            &["p21", "cyclin E"],
            &[(0, 1, "No-rel")],
            "Shared Task, PMID-1000003.txt",
        ),
        rel_task(
            "IL-9 receptor alpha chain and IL-9 form a complex with Jak1 .",
            &["IL-9 receptor alpha chain", "IL-9", "Jak1"],
            &[(1, 0, "Binds"), (0, 2, "Binds"), (1, 2, "Reg")],
            "Shared Task, PMID-1000004.txt",
        ),
    ]
}

fn write_lines(path: &Path, lines: &[Value]) {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, body).unwrap();
}

#[test]
fn rel_component_shaped_annotations_import_every_relation_and_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("annotations.jsonl");
    let tasks = rel_component_excerpt();
    write_lines(&f, &tasks);
    let mut p = Project::new("rel", &["claim", "actor", "place"]);
    let s = import_into(&mut p, ImportFormat::Jsonl, &f);
    let t = s.to_text();
    // Everything is imported: spans, the 9 relations with their types (added, any labels),
    // Prodigy's keys kept in the documents' meta; exit 0.
    assert!(s.is_complete(), "{t}");
    assert_eq!(p.span_count(), 11, "{t}");
    assert_eq!(p.relation_count(), 9, "{t}");
    assert_eq!(
        s.relation_types_added,
        ["Pos-Reg", "Reg", "Binds", "Neg-Reg", "No-rel"],
        "{t}"
    );
    for name in &s.relation_types_added {
        let rt = p.relation_type(name).unwrap();
        assert!(rt.from_labels.is_empty() && rt.to_labels.is_empty());
        assert_eq!(rt.color.to_string(), "#ffd882");
    }
    // Each relation joins the spans its head_span and child_span name.
    for (task, d) in tasks.iter().zip(&p.documents) {
        let mut want: Vec<(String, String, String)> = task["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let txt = |s: &Value| {
                    let (a, b) = (s["start"].as_u64().unwrap(), s["end"].as_u64().unwrap());
                    let text = task["text"].as_str().unwrap();
                    text.chars()
                        .skip(a as usize)
                        .take((b - a) as usize)
                        .collect::<String>()
                };
                (
                    txt(&r["head_span"]),
                    r["label"].as_str().unwrap().to_owned(),
                    txt(&r["child_span"]),
                )
            })
            .collect();
        let mut got: Vec<(String, String, String)> = d
            .relations
            .iter()
            .map(|r| {
                (
                    d.span(r.from).unwrap().text.clone(),
                    r.kind.clone(),
                    d.span(r.to).unwrap().text.clone(),
                )
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
        assert_eq!(d.meta["prodigy:_view_id"], "\"relations\"");
        assert_eq!(d.meta["prodigy:_session_id"], "null");
        assert_eq!(d.meta["prodigy:_input_hash"], "-400334998");
    }
    // Exported again: the same relations in the same shape (head/child the spans' last tokens),
    // Prodigy's keys and the meta back as they were.
    let out = dir.path().join("again.jsonl");
    let es = export_all(&p, ExportFormat::Jsonl, &out);
    assert!(es.relations == 9, "{}", es.to_text());
    let back: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (orig, task) in tasks.iter().zip(&back) {
        for k in [
            "_input_hash",
            "_task_hash",
            "_session_id",
            "_view_id",
            "answer",
            "text",
        ] {
            assert_eq!(task[k], orig[k], "{k}");
        }
        assert_eq!(task["meta"]["source"], orig["meta"]["source"]);
        let toks = task["tokens"].as_array().unwrap();
        let rel_key = |r: &Value| {
            let side = |s: &Value| {
                (
                    s["start"].as_u64(),
                    s["end"].as_u64(),
                    s["label"].as_str().map(str::to_owned),
                )
            };
            (
                side(&r["head_span"]),
                side(&r["child_span"]),
                r["label"].as_str().map(str::to_owned),
            )
        };
        let mut a: Vec<_> = orig["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(rel_key)
            .collect();
        let mut b: Vec<_> = task["relations"]
            .as_array()
            .unwrap()
            .iter()
            .map(rel_key)
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        for r in task["relations"].as_array().unwrap() {
            for (which, span) in [("head", "head_span"), ("child", "child_span")] {
                let (ts, te) = (
                    r[span]["token_start"].as_u64().unwrap(),
                    r[span]["token_end"].as_u64().unwrap(),
                );
                assert_eq!(r[which], r[span]["token_end"]);
                let first = &toks[ts as usize];
                let last = &toks[te as usize];
                assert_eq!(
                    (first["start"].clone(), last["end"].clone()),
                    (r[span]["start"].clone(), r[span]["end"].clone())
                );
            }
        }
    }
    // And imported once more into a fresh project: nothing lost.
    let mut q = Project::new("again", &[]);
    let s2 = import_into(&mut q, ImportFormat::Jsonl, &out);
    assert!(s2.is_complete(), "{}", s2.to_text());
    assert_eq!(rel_keys(&q, true), rel_keys(&p, true));
    for (a, b) in p.documents.iter().zip(&q.documents) {
        assert_eq!(a.meta, b.meta);
    }
}

#[test]
fn prodigy_relations_whose_ends_are_not_spans_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut tasks = rel_component_excerpt();
    // A head that is a token outside every span; a child given by token only, matching no
    // span's last token; a relation without head_span that does match by its last token.
    let r = &mut tasks[0]["relations"];
    r[0]["head_span"] =
        json!({"start": 0, "end": 10, "token_start": 0, "token_end": 0, "label": null});
    r[0]["head"] = json!(0);
    r[1].as_object_mut().unwrap().remove("child_span");
    r[1]["child"] = json!(5);
    let r = &mut tasks[2]["relations"];
    r[0].as_object_mut().unwrap().remove("head_span");
    let f = dir.path().join("bad.jsonl");
    write_lines(&f, &tasks);
    let mut p = Project::new("rel", &[]);
    let s = import_into(&mut p, ImportFormat::Jsonl, &f);
    let t = s.to_text();
    assert!(!s.is_complete(), "{t}");
    assert_eq!(p.relation_count(), 7, "{t}");
    assert_eq!(s.problems.len(), 2, "{t}");
    assert!(
        t.contains("its head (0..10) is not one of the task's spans"),
        "{t}"
    );
    assert!(
        t.contains("its child (token 5) is not one of the task's spans"),
        "{t}"
    );
    assert!(t.contains("bad.jsonl:1 (relation 1)"), "{t}");
    // A relation whose span was itself not imported (offsets past the text) is reported too.
    let mut task = rel_task("Ann met Bo", &["Ann", "Bo"], &[(0, 1, "MEETS")], "x");
    task["spans"][1]["end"] = json!(99);
    task["relations"][0]["child_span"]["end"] = json!(99);
    let g = dir.path().join("past.jsonl");
    write_lines(&g, &[task]);
    let mut p = Project::new("rel", &[]);
    let s = import_into(&mut p, ImportFormat::Jsonl, &g);
    let t = s.to_text();
    assert_eq!(p.relation_count(), 0, "{t}");
    assert!(
        t.contains("relation \"MEETS\": a span it links was not imported"),
        "{t}"
    );
}

/// A text with CRLF line breaks, emoji outside the BMP, combining marks and non-Latin words.
const CRLF_TEXT: &str = "Zoë 👩\u{200d}👩\u{200d}👧 said\r\nthe mayor of Malmö 🇸🇪 spoke.\r\n\r\nJose\u{301} told 東京都 \"yes\" قال أحمد";

/// The same document in the three formats' relation shapes, with a CRLF text: (name, format,
/// file content).
fn relation_files() -> Vec<(&'static str, ImportFormat, String)> {
    let text = CRLF_TEXT;
    let u16_at = |cp: usize| text.chars().take(cp).map(char::len_utf16).sum::<usize>();
    let ents = [
        ("Zoë", "actor"),
        ("said\r\nthe mayor", "claim"),
        ("the mayor of Malmö", "actor"),
        ("Malmö", "place"),
        ("Jose\u{301} told 東京都", "claim"),
        ("東京都", "place"),
        ("أحمد", "actor"),
    ];
    let rels = [
        (1, 0, "source"),
        (1, 3, "location"),
        (4, 5, "location"),
        (4, 6, "source"),
        (2, 3, "part-of"),
    ];
    // Prodigy: code points of the raw text (CRLF counts two).
    let spans: Vec<Value> = ents
        .iter()
        .map(|(sub, l)| {
            let (a, b) = cp(text, sub);
            json!({"start": a, "end": b, "label": l, "text": sub})
        })
        .collect();
    let prodigy = json!({
        "text": text, "spans": spans,
        "relations": rels.iter().map(|&(h, c, l)| json!({"head": 0, "child": 0,
            "head_span": spans[h], "child_span": spans[c], "label": l})).collect::<Vec<_>>(),
        "meta": {"id": "crlf", "section": "world", "rank": [1, 2.5, null]},
        "_view_id": "relations", "_timestamp": 1_795_000_100, "answer": "accept"
    });
    let doccano = json!({
        "id": 7, "text": text,
        "entities": ents.iter().enumerate().map(|(i, (sub, l))| {
            let (a, b) = cp(text, sub);
            json!({"id": 100 + i, "label": l, "start_offset": u16_at(a), "end_offset": u16_at(b)})
        }).collect::<Vec<_>>(),
        "relations": rels.iter().enumerate().map(|(i, &(h, c, l))| json!({"id": i, "from_id": 100 + h, "to_id": 100 + c, "type": l})).collect::<Vec<_>>(),
        "Comments": [], "section": "world"
    });
    let mut result: Vec<Value> = ents
        .iter()
        .enumerate()
        .map(|(i, (sub, l))| {
            let (a, b) = cp(text, sub);
            json!({"id": format!("e{i}"), "from_name": "label", "to_name": "text", "type": "labels",
                   "value": {"start": a, "end": b, "text": sub, "labels": [l]}})
        })
        .collect();
    // One relation written the other way round (`left`).
    for (i, &(h, c, l)) in rels.iter().enumerate() {
        let (a, b, dir) = if i == 2 {
            (c, h, "left")
        } else {
            (h, c, "right")
        };
        result.push(
            json!({"from_id": format!("e{a}"), "to_id": format!("e{b}"), "type": "relation",
                           "direction": dir, "labels": [l]}),
        );
    }
    let ls = json!([{
        "id": 3, "data": {"text": text, "section": "world", "rank": [1, 2.5, null]},
        "annotations": [{"id": 9, "completed_by_name": "ana", "result": result}],
        "inner_id": 3, "meta": {"batch": "b1"}
    }]);
    vec![
        (
            "prodigy.jsonl",
            ImportFormat::Jsonl,
            format!("{prodigy}\r\n"),
        ),
        (
            "doccano.jsonl",
            ImportFormat::Doccano,
            format!("{doccano}\n"),
        ),
        (
            "ls.json",
            ImportFormat::LabelStudio,
            serde_json::to_string_pretty(&ls).unwrap(),
        ),
    ]
}

fn write_files(dir: &Path) -> Vec<(PathBuf, ImportFormat)> {
    relation_files()
        .into_iter()
        .map(|(name, f, body)| {
            let p = dir.join(name);
            std::fs::write(&p, body).unwrap();
            (p, f)
        })
        .collect()
}

/// (from text, type, to text) of every relation of the only document.
fn triples(p: &Project) -> BTreeSet<(String, String, String)> {
    let d = &p.documents[0];
    d.relations
        .iter()
        .map(|r| {
            (
                d.span(r.from).unwrap().text.clone(),
                r.kind.clone(),
                d.span(r.to).unwrap().text.clone(),
            )
        })
        .collect()
}

#[test]
fn crlf_sources_with_emoji_keep_every_relation_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let want: BTreeSet<(String, String, String)> = [
        ("said\nthe mayor", "source", "Zoë"),
        ("said\nthe mayor", "location", "Malmö"),
        ("Jose\u{301} told 東京都", "location", "東京都"),
        ("Jose\u{301} told 東京都", "source", "أحمد"),
        ("the mayor of Malmö", "part-of", "Malmö"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    for (path, f) in write_files(dir.path()) {
        let mut p = Project::new("p", &["actor", "place", "claim"]);
        let s = import_into(&mut p, f, &path);
        let t = s.to_text();
        assert!(s.is_complete(), "{f}: {t}");
        assert_eq!(triples(&p), want, "{f}: {t}");
        // The default types are used as they are; only `part-of` is added.
        assert_eq!(s.relation_types_added, ["part-of"], "{f}: {t}");
        assert_eq!(p.relation_types.len(), 3);
        assert!(!p.documents[0].text.contains('\r'));
        assert_eq!(p.documents[0].meta["section"], "\"world\"", "{f}");
    }
}

#[test]
fn meta_and_task_keys_round_trip_through_each_format() {
    let dir = tempfile::tempdir().unwrap();
    for (path, f) in write_files(dir.path()) {
        let mut p = Project::new("p", &["actor", "place", "claim"]);
        import_into(&mut p, f, &path);
        let meta = p.documents[0].meta.clone();
        let ef = match f {
            ImportFormat::Jsonl => ExportFormat::Jsonl,
            ImportFormat::Doccano => ExportFormat::Doccano,
            _ => ExportFormat::LabelStudio,
        };
        let out = dir.path().join(format!(
            "again-{}",
            path.file_name().unwrap().to_string_lossy()
        ));
        export_all(&p, ef, &out);
        let mut q = Project::new("q", &["actor", "place", "claim"]);
        let s = import_into(&mut q, f, &out);
        assert!(s.is_complete(), "{f}: {}", s.to_text());
        let mut back = q.documents[0].meta.clone();
        let mut want = meta.clone();
        // A task without Prodigy's hashes is exported with spantag's own.
        for k in ["prodigy:_input_hash", "prodigy:_task_hash"] {
            if !want.contains_key(k) {
                back.remove(k);
            }
        }
        // doccano's line id is spantag's document id on export; Label Studio's task id is the
        // export's numbering.
        back.remove("label-studio:id");
        want.remove("label-studio:id");
        assert_eq!(back, want, "{f}");
        assert_eq!(triples(&q), triples(&p), "{f}");
        match f {
            ImportFormat::Jsonl => {
                assert_eq!(meta["rank"], "[1,2.5,null]");
                assert_eq!(meta["prodigy:_timestamp"], "1795000100");
                let line: Value =
                    serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
                assert_eq!(line["meta"]["rank"], json!([1, 2.5, null]));
                assert_eq!(line["_view_id"], "relations");
                assert_eq!(line["_timestamp"], 1_795_000_100);
            }
            ImportFormat::Doccano => {
                let line: Value =
                    serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
                assert_eq!(line["Comments"], json!([]));
                assert_eq!(line["relations"].as_array().unwrap().len(), 5);
                assert!(line.get("label").is_none());
            }
            _ => {
                let tasks: Value =
                    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
                assert_eq!(tasks[0]["data"]["rank"], json!([1, 2.5, null]));
                assert_eq!(tasks[0]["meta"], json!({"batch": "b1"}));
                assert_eq!(tasks[0]["inner_id"], 3);
            }
        }
    }
}

#[test]
fn label_studio_relations_name_labels_results_of_their_annotation() {
    let mut p = Project::new("p", &["actor", "place", "claim"]);
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path());
    import_into(&mut p, ImportFormat::LabelStudio, &files[2].0);
    let out = dir.path().join("x.json");
    export_all(&p, ExportFormat::LabelStudio, &out);
    let tasks: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let anns = tasks[0]["annotations"].as_array().unwrap();
    assert_eq!(anns.len(), 1);
    let result = anns[0]["result"].as_array().unwrap();
    let ids: BTreeSet<&str> = result
        .iter()
        .filter(|r| r["type"] == "labels")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let rels: Vec<&Value> = result.iter().filter(|r| r["type"] == "relation").collect();
    assert_eq!(rels.len(), 5);
    for r in rels {
        assert!(ids.contains(r["from_id"].as_str().unwrap()), "{r}");
        assert!(ids.contains(r["to_id"].as_str().unwrap()), "{r}");
        assert_eq!(r["direction"], "right");
        assert_eq!(r["labels"].as_array().unwrap().len(), 1);
    }
    // `bi` is imported one way and reported; a relation with no labels becomes `related`.
    let mut ls: Value = serde_json::from_str(&relation_files()[2].2).unwrap();
    let res = ls[0]["annotations"][0]["result"].as_array_mut().unwrap();
    let n = res.len();
    res[n - 1]["direction"] = json!("bi");
    res[n - 2]["labels"] = json!([]);
    let f = dir.path().join("bi.json");
    std::fs::write(&f, ls.to_string()).unwrap();
    let mut q = Project::new("q", &[]);
    let s = import_into(&mut q, ImportFormat::LabelStudio, &f);
    let t = s.to_text();
    assert_eq!(q.relation_count(), 5, "{t}");
    assert!(t.contains("1 × relation direction \"bi\""), "{t}");
    assert!(q.relation_type("related").is_some(), "{t}");
    assert!(!s.is_complete());
}

#[test]
fn doccano_exports_the_relation_shape_only_for_a_project_with_relations() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Project::new("p", &["actor", "claim"]);
    p.relation_types = default_relation_types(&p.labels);
    let files = write_files(dir.path());
    import_into(&mut p, ImportFormat::Doccano, &files[1].0);
    let out = dir.path().join("a.jsonl");
    export_all(&p, ExportFormat::Doccano, &out);
    let line: Value = serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    let ents = line["entities"].as_array().unwrap();
    // UTF-16 offsets slice out each entity's text.
    let units: Vec<u16> = line["text"].as_str().unwrap().encode_utf16().collect();
    let d = &p.documents[0];
    for e in ents {
        let (a, b) = (
            e["start_offset"].as_u64().unwrap() as usize,
            e["end_offset"].as_u64().unwrap() as usize,
        );
        let s = d.span(SpanId(e["id"].as_u64().unwrap())).unwrap();
        assert_eq!(String::from_utf16(&units[a..b]).unwrap(), s.text);
    }
    for r in line["relations"].as_array().unwrap() {
        let rel = d.relation(RelationId(r["id"].as_u64().unwrap())).unwrap();
        assert_eq!(
            (r["from_id"].as_u64(), r["to_id"].as_u64()),
            (Some(rel.from.0), Some(rel.to.0))
        );
        assert_eq!(r["type"], rel.kind.as_str());
    }
    // Without relations, the `label` shape as before.
    let mut q = p.clone();
    Arc::make_mut(&mut q.documents[0]).relations.clear();
    let out = dir.path().join("b.jsonl");
    export_all(&q, ExportFormat::Doccano, &out);
    let line: Value = serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert!(line["label"].is_array() && line.get("entities").is_none());
    // Filtering a label out leaves its relations out, with a note.
    let mut opts = ExportOptions::new(ExportFormat::Doccano);
    opts.labels = Some(vec!["claim".into(), "actor".into()]);
    let s = formats::export(&p, &opts, &dir.path().join("c.jsonl"), &Progress::default()).unwrap();
    assert_eq!(
        s.filtered.get("relation whose span was left out"),
        Some(&3),
        "{}",
        s.to_text()
    );
}

#[test]
fn each_importer_given_another_formats_relation_file_refuses_or_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path());
    let importers = [
        ImportFormat::Jsonl,
        ImportFormat::Doccano,
        ImportFormat::LabelStudio,
        ImportFormat::Brat,
        ImportFormat::Conll,
    ];
    for (path, own) in &files {
        for &f in &importers {
            if f == *own {
                continue;
            }
            let mut p = Project::new("p", &[]);
            let before = p.clone();
            match formats::import(&mut p, std::slice::from_ref(path), &ImportOptions::new(f)) {
                Err(FormatError::Invalid(msg)) => {
                    assert!(
                        msg.contains("Nothing was imported")
                            || msg.contains("nothing was imported")
                            || msg.contains("not"),
                        "{f} on {}: {msg}",
                        path.display()
                    );
                    assert_eq!(p.documents.len(), before.documents.len());
                }
                Err(e) => panic!("{f} on {}: {e}", path.display()),
                Ok(s) => {
                    // Accepted only with the loss listed: never a quiet partial import.
                    assert!(
                        !s.is_complete(),
                        "{f} on {}: {}",
                        path.display(),
                        s.to_text()
                    );
                    assert!(
                        s.not_imported() > 0,
                        "{f} on {}: {}",
                        path.display(),
                        s.to_text()
                    );
                }
            }
        }
    }
}
