//! The Prodigy-shaped jsonl export with relations, read by the real spaCy through a reader
//! written afresh from the layout explosion's `rel_component` tutorial documents: tokens become
//! `spacy.tokens.Doc(words, spaces)`, spans are `doc[token_start:token_end + 1]`, each
//! relation's `head` and `child` are the last tokens of its spans (mapped to their first
//! tokens), and `doc._.rel` is a dict keyed by the (head, child) start-token pair with one score
//! per relation type, kept in a `DocBin` with `store_user_data=True` and read back. Every
//! relation is checked against the project. Texts: the bundled sample (its `source` relations),
//! nested and overlapping spans, emoji, combining marks, CJK, Arabic and a CRLF source.
//!
//! Python: see [`crate::venv`] (created on first use; a missing Python fails the test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use spantag_core::edit::Edit;
use spantag_core::formats::{self, ExportFormat, ExportOptions, ImportFormat, ImportOptions};
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, RelationType, SpanId, Status};
use spantag_core::time::Timestamp;
use std::path::Path;
use std::process::Command;

const DOCS: &[(&str, &str)] = &[
    (
        "nested",
        "[claim [actor Zoë Ålund]'s team said [place Malmö] 👩\u{200d}👩\u{200d}👧 grew [number 4.5]\u{a0}%] and [actor Jose\u{301}] agreed.",
    ),
    (
        "scripts",
        "[claim قال [actor أحمد] إن [place القاهرة] كبيرة] [place 東京都]で[claim [actor 山田太郎]が話した]。",
    ),
    (
        "crossing",
        "[claim#1 The [actor mayor] of [place Lune[/1] Port] said 🇸🇪 [number 40] jobs.",
    ),
];

/// The span of document `doc` with this text and label.
fn span_id(p: &Project, doc: &str, text: &str, label: &str) -> SpanId {
    p.doc(doc)
        .unwrap()
        .spans
        .iter()
        .find(|s| s.text == text && s.label == label)
        .unwrap_or_else(|| panic!("{doc}: no {label} {text:?}"))
        .id
}

fn link(p: &mut Project, doc: &str, from: (&str, &str), to: (&str, &str), kind: &str) {
    let (a, b) = (span_id(p, doc, from.0, from.1), span_id(p, doc, to.0, to.1));
    let r = p.make_relation(doc, a, b, kind, "ana").unwrap();
    p.apply(Edit::AddRelation {
        doc: doc.into(),
        relation: r,
    })
    .unwrap();
}

/// The sample project's documents and relations, plus relations between nested, overlapping
/// and crossing spans, plus a CRLF Prodigy source with relations.
fn fixture(dir: &Path) -> Project {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron");
    let mut p = spantag_core::project_io::load(&sample).unwrap();
    let q = project_from_markup("rel", DOCS, "ana", Timestamp(1_795_000_000)).unwrap();
    for l in q.labels {
        if p.label(&l.name).is_none() {
            p.labels.push(l);
        }
    }
    p.documents.extend(q.documents);
    p.relation_types
        .push(RelationType::any("part-of", p.relation_types.len()));
    p.normalize();
    let claim1 = "Zoë Ålund's team said Malmö 👩\u{200d}👩\u{200d}👧 grew 4.5\u{a0}%";
    link(
        &mut p,
        "nested",
        (claim1, "claim"),
        ("Zoë Ålund", "actor"),
        "source",
    );
    link(
        &mut p,
        "nested",
        (claim1, "claim"),
        ("Malmö", "place"),
        "location",
    );
    link(
        &mut p,
        "nested",
        ("4.5", "number"),
        (claim1, "claim"),
        "part-of",
    );
    link(
        &mut p,
        "nested",
        ("Jose\u{301}", "actor"),
        ("Zoë Ålund", "actor"),
        "part-of",
    );
    let c = "قال أحمد إن القاهرة كبيرة";
    link(&mut p, "scripts", (c, "claim"), ("أحمد", "actor"), "source");
    link(
        &mut p,
        "scripts",
        (c, "claim"),
        ("القاهرة", "place"),
        "location",
    );
    link(
        &mut p,
        "scripts",
        ("山田太郎が話した", "claim"),
        ("山田太郎", "actor"),
        "source",
    );
    link(
        &mut p,
        "scripts",
        ("山田太郎が話した", "claim"),
        ("東京都", "place"),
        "location",
    );
    link(
        &mut p,
        "crossing",
        ("The mayor of Lune", "claim"),
        ("mayor", "actor"),
        "source",
    );
    link(
        &mut p,
        "crossing",
        ("The mayor of Lune", "claim"),
        ("Lune Port", "place"),
        "location",
    );
    link(
        &mut p,
        "crossing",
        ("mayor", "actor"),
        ("Lune Port", "place"),
        "part-of",
    );
    // A CRLF source: offsets count "\r\n" as two.
    let text = "Kai 🙂 said:\r\n\r\nOslo is cold\r\ntoday, Kai said.";
    let cp = |s: &str| text[..text.find(s).unwrap()].chars().count();
    let spans = [
        json!({"start": cp("Kai"), "end": cp("Kai") + 3, "label": "actor"}),
        json!({"start": cp("Oslo"), "end": cp("Oslo") + 4, "label": "place"}),
        json!({"start": cp("Oslo"), "end": cp("today") + 5, "label": "claim"}),
    ];
    let rel = |h: usize, c: usize, l: &str| json!({"head": 0, "child": 0, "head_span": spans[h], "child_span": spans[c], "label": l});
    let line = json!({"text": text, "spans": spans, "meta": {"id": "crlf"},
                      "relations": [rel(2, 0, "source"), rel(2, 1, "location")]});
    let src = dir.join("crlf-source.jsonl");
    std::fs::write(&src, format!("{line}\r\n")).unwrap();
    let s = formats::import(&mut p, &[src], &ImportOptions::new(ImportFormat::Jsonl)).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    for d in &mut p.documents {
        for s in &mut std::sync::Arc::make_mut(d).spans {
            s.status = Status::Accepted;
        }
    }
    p
}

#[test]
fn spacy_reads_every_relation_of_the_prodigy_export_as_rel_component_does() {
    let py = match crate::venv::python() {
        Ok(Some(py)) => py,
        Ok(None) => return,
        Err(why) => panic!("the real-consumer test cannot run: {why}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = fixture(d);
    assert!(p.relation_count() >= 25, "{}", p.relation_count());
    let out = d.join("rel.jsonl");
    let s = formats::export(
        &p,
        &ExportOptions::new(ExportFormat::Jsonl),
        &out,
        &formats::Progress::default(),
    )
    .unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    // Expected relations per document: the character offsets of both spans and the type.
    let docs: Vec<serde_json::Value> = p
        .documents
        .iter()
        .map(|doc| {
            let rels: Vec<serde_json::Value> = doc
                .relations
                .iter()
                .map(|r| {
                    let (h, c) = (doc.span(r.from).unwrap(), doc.span(r.to).unwrap());
                    json!([h.start, h.end, c.start, c.end, r.kind, h.text, c.text])
                })
                .collect();
            json!({"id": doc.id, "text": doc.text, "relations": rels})
        })
        .collect();
    let types: Vec<&str> = p.relation_types.iter().map(|t| t.name.as_str()).collect();
    let spec = d.join("expect.json");
    std::fs::write(
        &spec,
        serde_json::to_vec(
            &json!({"jsonl": out, "docbin": d.join("rel.spacy"), "docs": docs,
                                   "types": types}),
        )
        .unwrap(),
    )
    .unwrap();
    let script = d.join("read_rel.py");
    std::fs::write(&script, READ_PY).unwrap();
    let o = Command::new(&py)
        .arg(&script)
        .arg(&spec)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "reader failed:\n{stdout}\n{stderr}");
    println!("{stdout}");
    assert!(
        stdout.contains(&format!("relations checked: {}", p.relation_count())),
        "{stdout}"
    );
    assert!(stdout.contains("ALL OK"), "{stdout}");
}

/// The reader, written from the tutorial's documented layout (not its code).
const READ_PY: &str = r#"
import json, sys
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

spec = json.load(open(sys.argv[1], encoding="utf-8"))
Doc.set_extension("rel", default={})
vocab = Vocab()
lines = open(spec["jsonl"], encoding="utf-8").read().splitlines()
assert len(lines) == len(spec["docs"]), (len(lines), len(spec["docs"]))
docs, expected, checked = [], [], 0
for line, exp in zip(lines, spec["docs"]):
    task = json.loads(line)
    assert task["answer"] == "accept"
    doc = Doc(vocab, words=[t["text"] for t in task["tokens"]], spaces=[t["ws"] for t in task["tokens"]])
    assert doc.text == task["text"] == exp["text"], exp["id"]
    # Spans by token_start/token_end (inclusive); the last token of each span -> its first.
    starts, end_to_start, shared_end = set(), {}, set()
    for s in task["spans"]:
        span = doc[s["token_start"]:s["token_end"] + 1]
        assert (span.start_char, span.end_char) == (s["start"], s["end"]), (exp["id"], s)
        starts.add(s["token_start"])
        if end_to_start.get(s["token_end"], s["token_start"]) != s["token_start"]:
            shared_end.add(s["token_end"])
        end_to_start[s["token_end"]] = s["token_start"]
    rels = {(a, b): {} for a in starts for b in starts}
    got = []
    for r in task["relations"]:
        hs, cs = r["head_span"], r["child_span"]
        # head and child are the spans' last tokens, as in rel.manual's data.
        assert (r["head"], r["child"]) == (hs["token_end"], cs["token_end"]), r
        for which, sp in ((r["head"], hs), (r["child"], cs)):
            if which not in shared_end:
                assert end_to_start[which] == sp["token_start"], r
        head = doc[hs["token_start"]:hs["token_end"] + 1]
        child = doc[cs["token_start"]:cs["token_end"] + 1]
        assert (head.start_char, head.end_char, child.start_char, child.end_char) == \
            (hs["start"], hs["end"], cs["start"], cs["end"]), r
        got.append([hs["start"], hs["end"], cs["start"], cs["end"], r["label"], head.text, child.text])
        rels[(hs["token_start"], cs["token_start"])][r["label"]] = 1.0
    assert sorted(got) == sorted(exp["relations"]), (exp["id"], got, exp["relations"])
    checked += len(got)
    # Every pair of span starts scores every relation type: 1.0 annotated, else 0.0.
    for key in rels:
        for label in spec["types"]:
            rels[key].setdefault(label, 0.0)
    doc._.rel = rels
    docs.append(doc)
    expected.append({(doc.char_span(a, b).start, doc.char_span(c, e).start, l)
                     for a, b, c, e, l, _, _ in exp["relations"]})

DocBin(docs=docs, store_user_data=True).to_disk(spec["docbin"])
back = list(DocBin(store_user_data=True).from_disk(spec["docbin"]).get_docs(vocab))
assert len(back) == len(docs)
for doc, want, exp in zip(back, expected, spec["docs"]):
    positive = {(a, b, l) for (a, b), scores in doc._.rel.items() for l, v in scores.items() if v == 1.0}
    assert positive == want, (exp["id"], positive, want)
    assert all(set(scores) >= set(spec["types"]) for scores in doc._.rel.values()), exp["id"]
print("relations checked:", checked, "in", len(docs), "documents")
print("ALL OK")
"#;
