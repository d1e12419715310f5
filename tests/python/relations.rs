//! Relations and kept CoNLL tokens, read by the real spaCy: the `.spacy` export's `doc._.rel`
//! read the way explosion's `rel_component` tutorial reads it (the reading code below is written
//! afresh from the tutorial's documented layout: a dict keyed by (head start token, child start
//! token) with one score per relation label), checked against every relation of the project;
//! and a CoNLL file in the shape of CoNLL-2003, imported and exported again with its POS and
//! chunk columns, still converted by `spacy convert` with its own tokens.
//!
//! Python: see [`crate::venv`] (created on first use; a missing Python fails the test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use spantag_core::edit::Edit;
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Progress,
};
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, RelationType, SpanId};
use spantag_core::time::Timestamp;
use std::path::Path;
use std::process::Command;

/// Claims with their sources and places, nested and overlapping spans, emoji, combining marks,
/// CJK and Arabic.
const DOCS: &[(&str, &str)] = &[
    (
        "harbour",
        "[claim [actor Zoë Ålund] said 👩\u{200d}👩\u{200d}👧 jobs would go in [place Malmö]] and [actor the [place Lune Port] board] agreed.",
    ),
    (
        "scripts",
        "[place 東京都]で[actor 山田太郎]が話した。[claim قال [actor أحمد] إن [place القاهرة] كبيرة]\n\n[claim [actor Jose\u{301}] visited [place Sa\u{303}o Paulo]] twice.",
    ),
];

/// Links a claim to spans by their texts.
fn link(p: &mut Project, doc: &str, from: &str, to: &str, kind: &str) {
    let d = p.doc(doc).unwrap();
    let id = |t: &str| -> SpanId { d.spans.iter().find(|s| s.text == t).unwrap().id };
    let (a, b) = (id(from), id(to));
    let r = p.make_relation(doc, a, b, kind, "ana").unwrap();
    p.apply(Edit::AddRelation {
        doc: doc.into(),
        relation: r,
    })
    .unwrap();
}

fn fixture() -> Project {
    let mut p = project_from_markup("rel", DOCS, "ana", Timestamp(1_795_000_000)).unwrap();
    p.relation_types = spantag_core::model::default_relation_types(&p.labels);
    p.apply(Edit::AddRelationType {
        index: 2,
        rtype: RelationType::any("part_of", 2),
    })
    .unwrap();
    let c1 = "Zoë Ålund said 👩\u{200d}👩\u{200d}👧 jobs would go in Malmö";
    link(&mut p, "harbour", c1, "Zoë Ålund", "source");
    link(&mut p, "harbour", c1, "Malmö", "location");
    // Nested: a place inside an actor.
    link(
        &mut p,
        "harbour",
        "Lune Port",
        "the Lune Port board",
        "part_of",
    );
    let c2 = "قال أحمد إن القاهرة كبيرة";
    link(&mut p, "scripts", c2, "أحمد", "source");
    link(&mut p, "scripts", c2, "القاهرة", "location");
    let c3 = "Jose\u{301} visited Sa\u{303}o Paulo";
    link(&mut p, "scripts", c3, "Jose\u{301}", "source");
    // Two types on the same pair of spans share one entry.
    link(&mut p, "scripts", c3, "Sa\u{303}o Paulo", "location");
    link(&mut p, "scripts", c3, "Sa\u{303}o Paulo", "part_of");
    p
}

/// An excerpt in the shape of CoNLL-2003 (written for this test).
const CONLL: &str = "-DOCSTART- -X- -X- O

LUNE NNP B-NP I-LOC
1996-08-30 CD I-NP O

Ilse NNP B-NP I-PER
Varga NNP I-NP I-PER
of IN B-PP O
Kestrel NNP B-NP I-ORG
Shipping NNP I-NP I-ORG
said VBD B-VP O
40 CD B-NP O
jobs NNS I-NP O
would MD B-VP O
go VB I-VP O
. . O O

";

#[test]
fn spacy_reads_relations_and_kept_conll_tokens() {
    let py = match crate::venv::python() {
        Ok(Some(py)) => py,
        Ok(None) => return,
        Err(why) => panic!("the real-consumer test cannot run: {why}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cases = Vec::new();
    let sample = spantag_core::project_io::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron"),
    )
    .unwrap();
    for (name, p) in [("fixture", fixture()), ("sample", sample)] {
        let out = d.join(format!("{name}.spacy"));
        let s = formats::export(
            &p,
            &ExportOptions::new(ExportFormat::Spacy),
            &out,
            &Progress::default(),
        )
        .unwrap();
        assert!(s.is_complete(), "{}", s.to_text());
        assert_eq!(s.relations, p.relation_count(), "{}", s.to_text());
        let docs: Vec<serde_json::Value> = p
            .documents
            .iter()
            .map(|doc| {
                let rels: Vec<_> = doc
                    .relations
                    .iter()
                    .map(|r| {
                        let (a, b) = (doc.span(r.from).unwrap(), doc.span(r.to).unwrap());
                        json!({"head": [a.start, a.end, a.text], "child": [b.start, b.end, b.text],
                               "label": r.kind})
                    })
                    .collect();
                json!({"id": doc.id, "relations": rels})
            })
            .collect();
        let types: Vec<&str> = p.relation_types.iter().map(|t| t.name.as_str()).collect();
        cases.push(json!({"file": out, "docs": docs, "types": types}));
        assert!(p.relation_count() >= 8, "{name}");
    }

    // CoNLL: imported, exported again with its columns; spaCy converts it with its tokens.
    let src = d.join("eng.testb");
    std::fs::write(&src, CONLL).unwrap();
    let mut c = Project::new("conll", &[]);
    let s = formats::import(&mut c, &[src], &ImportOptions::new(ImportFormat::Conll)).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    let conll_out = d.join("again.conll");
    let mut opts = ExportOptions::new(ExportFormat::Conll);
    opts.scheme = formats::Scheme::Iob1;
    let e = formats::export(&c, &opts, &conll_out, &Progress::default()).unwrap();
    assert!(e.is_complete(), "{}", e.to_text());
    let words: Vec<&str> = CONLL
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("-DOCSTART-"))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let pos: Vec<&str> = CONLL
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("-DOCSTART-"))
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();

    let spec = d.join("expect.json");
    let conll = json!({"file": conll_out, "words": words, "pos": pos, "entities": 3});
    std::fs::write(
        &spec,
        serde_json::to_vec(&json!({"spacy": cases, "conll": conll})).unwrap(),
    )
    .unwrap();
    let script = d.join("check.py");
    std::fs::write(&script, CHECK_PY).unwrap();
    let out = Command::new(&py)
        .arg(&script)
        .arg(&spec)
        .arg(d.join("converted"))
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "consumer check failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    assert!(stdout.contains("ALL OK"), "{stdout}");
}

const CHECK_PY: &str = r#"
import json, os, subprocess, sys
spec = json.load(open(sys.argv[1], encoding="utf-8"))
outdir = sys.argv[2]
import spacy
from spacy.tokens import Doc, DocBin
nlp = spacy.blank("en")
Doc.set_extension("rel", default={})

def gold_relations(doc, labels):
    """The gold relations of a Doc as the rel_component tutorial's training code reads them:
    doc._.rel maps (head start token, child start token) to {label: score}; a pair that is
    missing scores 0 for every label."""
    out = set()
    for (head, child), scores in doc._.rel.items():
        assert isinstance(head, int) and isinstance(child, int), (head, child)
        for label in labels:
            score = scores.get(label, 0.0)
            assert score in (0.0, 1.0), (head, child, label, score)
            if score == 1.0:
                out.add((head, child, label))
    return out

for case in spec["spacy"]:
    docs = list(DocBin().from_disk(case["file"]).get_docs(nlp.vocab))
    assert len(docs) == len(case["docs"]), (case["file"], len(docs))
    # The labels, collected as the component's initialize() does: every key of every score dict.
    labels = sorted({l for doc in docs for scores in doc._.rel.values() for l in scores})
    assert set(labels) == set(case["types"]), (labels, case["types"])
    n = 0
    for doc, exp in zip(docs, case["docs"]):
        assert doc.user_data["id"] == exp["id"]
        want = set()
        for r in exp["relations"]:
            ends = []
            for start, end, text in (r["head"], r["child"]):
                span = doc.char_span(start, end)
                assert span is not None and span.text == text, (exp["id"], start, end, text)
                ends.append(span.start)
            want.add((ends[0], ends[1], r["label"]))
        got = gold_relations(doc, labels)
        assert got == want, (exp["id"], sorted(got), sorted(want))
        # Every entry scores every label.
        for scores in doc._.rel.values():
            assert set(scores) == set(labels), scores
        n += len(want)
    print("spacy rel ok:", case["file"], n, "relations")

case = spec["conll"]
os.makedirs(outdir, exist_ok=True)
r = subprocess.run([sys.executable, "-m", "spacy", "convert", case["file"], outdir,
                    "-c", "ner", "-n", "0"], capture_output=True, text=True)
assert r.returncode == 0, r.stdout + r.stderr
name = os.path.splitext(os.path.basename(case["file"]))[0] + ".spacy"
docs = list(DocBin().from_disk(os.path.join(outdir, name)).get_docs(nlp.vocab))
words = [t.text for d in docs for t in d]
assert words == case["words"], words
pos = [t.tag_ for d in docs for t in d]
assert pos == case["pos"], pos
n = sum(len(d.ents) for d in docs)
assert n == case["entities"], n
print("conll ok:", len(words), "tokens,", n, "entities")
print("ALL OK")
"#;
