//! The real consumers load spantag's exports: spaCy reads the `.spacy` file (every entity and
//! span text identical to the project's, `doc.text` identical to the document text),
//! `python -m spacy convert -c ner` accepts the CoNLL output with the same entity count, and
//! `datasets.load_dataset("json", ...)` loads the hf output whose label names decode to the
//! expected tags. All checks run in one Python process (startup and imports take seconds).
//!
//! Python: see [`crate::venv`] (created on first use; a missing Python fails the test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use spantag_core::formats::{self, ExportFormat, ExportOptions, Layer, Progress, Scheme};
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Project, Status};
use spantag_core::time::Timestamp;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// Tricky texts: emoji ZWJ sequences and flags, combining marks, CJK, Arabic, NBSP, double
/// spaces, blank lines, leading and trailing whitespace, a span ending inside a token, crossing
/// and nested spans of the claims layer.
const DOCS: &[(&str, &str)] = &[
    (
        "unicode",
        "\n  [actor Zoë Ålund]\u{a0}said 👩\u{200d}👩\u{200d}👧 [number 3] times:  [claim [place Malmö] grew [number 4.5]\u{a0}%].\n\n\n[actor Anna]'s cat sat in [place 🇸🇪 Sweden] 👍🏽.  ",
    ),
    (
        "scripts",
        "[place 東京都]で[actor 山田太郎]が話した。[claim قال [actor أحمد] إن [place القاهرة] كبيرة]\n\n[actor Jose\u{301}] visited [place Sa\u{303}o Paulo] x \u{301}y [number ٣٤] times.",
    ),
    (
        "crossing",
        "[claim#1 The [actor mayor] of [place Lune[/1] Port] said [number 40] jobs. =SUM(A1) starts a [actor -dash] line.",
    ),
];

fn fixture() -> Project {
    let mut p = project_from_markup("consumers", DOCS, "ana", Timestamp(1_795_000_000)).unwrap();
    for d in &mut p.documents {
        for s in &mut Arc::make_mut(d).spans {
            s.status = Status::Accepted;
        }
    }
    p
}

#[derive(Default)]
struct Expect {
    docs: Vec<serde_json::Value>,
    conll: Vec<serde_json::Value>,
    hf: Vec<serde_json::Value>,
}

fn add_spacy_case(e: &mut Expect, p: &Project, out: &Path, exact_ents: bool) {
    let opts = ExportOptions::new(ExportFormat::Spacy);
    let summary = formats::export(p, &opts, out, &Progress::default()).unwrap();
    assert!(summary.is_complete(), "{}", summary.to_text());
    let docs: Vec<serde_json::Value> = p
        .documents
        .iter()
        .map(|d| {
            let spans: Vec<_> = d
                .spans
                .iter()
                .map(|s| json!([s.start, s.end, s.label, s.text]))
                .collect();
            let ents: Vec<_> = d
                .spans
                .iter()
                .filter(|s| opts.is_entity(&s.label))
                .map(|s| json!([s.start, s.end, s.label, s.text]))
                .collect();
            json!({"id": d.id, "text": d.text, "spans": spans, "ents": ents})
        })
        .collect();
    e.docs
        .push(json!({"file": out, "exact_ents": exact_ents, "docs": docs}));
}

#[test]
fn real_consumers_load_the_exports() {
    let py = match crate::venv::python() {
        Ok(Some(py)) => py,
        Ok(None) => return,
        Err(why) => panic!("the real-consumer test cannot run: {why}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = fixture();
    let sample = spantag_core::project_io::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron"),
    )
    .unwrap();
    let mut e = Expect::default();

    // .spacy: the fixture has no overlaps within the entity layer, so doc.ents must equal its
    // entity spans exactly; the sample project has nested entities, so its ents must be a subset.
    add_spacy_case(&mut e, &fixture, &d.join("fixture.spacy"), true);
    add_spacy_case(&mut e, &sample, &d.join("sample.spacy"), false);

    // CoNLL in each scheme; spaCy's converter reads IOB1/IOB2/BILOU-as-IOB.
    for (name, project) in [("fixture", &fixture), ("sample", &sample)] {
        for scheme in [Scheme::Iob2, Scheme::Iob1] {
            let out = d.join(format!("{name}-{scheme}.conll"));
            let mut opts = ExportOptions::new(ExportFormat::Conll);
            opts.scheme = scheme;
            opts.layer = Layer::Entities;
            let summary = formats::export(project, &opts, &out, &Progress::default()).unwrap();
            let n: usize = summary
                .spans_per_label
                .iter()
                .filter(|(l, _)| opts.is_entity(l))
                .map(|(_, n)| n)
                .sum();
            e.conll.push(json!({"file": out, "entities": n}));
        }
    }

    // hf with a split: every document in one split, label names decode to the CoNLL tags.
    let hf_dir = d.join("hf");
    let mut opts = ExportOptions::new(ExportFormat::Hf);
    opts.split = Some(vec![("train".into(), 0.5), ("test".into(), 0.5)]);
    opts.seed = 11;
    let summary = formats::export(&sample, &opts, &hf_dir, &Progress::default()).unwrap();
    assert!(
        summary.splits.iter().all(|(_, n)| *n > 0),
        "{:?}",
        summary.splits
    );
    // Expected tags per document id: the IOB2 CoNLL export of the same layer.
    let mut copts = ExportOptions::new(ExportFormat::Conll);
    copts.layer = Layer::Entities;
    let mut expected = serde_json::Map::new();
    for r in formats::preview(&sample, &copts, usize::MAX)
        .iter()
        .zip(&sample.documents)
    {
        let tags: Vec<&str> =
            r.0.lines()
                .skip(1)
                .filter(|l| !l.is_empty())
                .filter_map(|l| l.rsplit(' ').next())
                .collect();
        expected.insert(r.1.id.clone(), json!(tags));
    }
    let (ents, claims) = (hf_dir.join("entities"), hf_dir.join("claims"));
    e.hf.push(json!({
        "files": {"train": ents.join("train.jsonl"), "test": ents.join("test.jsonl")},
        "labels": ents.join("labels.json"),
        "claims": {"train": claims.join("train.jsonl"), "test": claims.join("test.jsonl")},
        "claim_labels": claims.join("labels.json"),
        "tags": expected,
        "docs": sample.documents.len(),
    }));

    let spec = d.join("expect.json");
    std::fs::write(
        &spec,
        serde_json::to_vec(&json!({"spacy": e.docs, "conll": e.conll, "hf": e.hf})).unwrap(),
    )
    .unwrap();
    let script = d.join("check.py");
    std::fs::write(&script, CHECK_PY).unwrap();
    let out = Command::new(&py)
        .arg(&script)
        .arg(&spec)
        .arg(d.join("converted"))
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HOME", d.join("hf-home"))
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("ModuleNotFoundError") {
        panic!(
            "Python at {} lacks spacy or datasets (pip install -r tests/python-requirements.txt):\n{stderr}",
            py.display()
        );
    }
    assert!(
        out.status.success(),
        "consumer check failed:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    assert!(stdout.contains("ALL OK"), "{stdout}");
}

const CHECK_PY: &str = r#"
import json, subprocess, sys, os
spec = json.load(open(sys.argv[1], encoding="utf-8"))
outdir = sys.argv[2]
import spacy
from spacy.tokens import DocBin
nlp = spacy.blank("en")

for case in spec["spacy"]:
    docs = list(DocBin().from_disk(case["file"]).get_docs(nlp.vocab))
    assert len(docs) == len(case["docs"]), (case["file"], len(docs))
    for doc, exp in zip(docs, case["docs"]):
        assert doc.text == exp["text"], (exp["id"], doc.text, exp["text"])
        sc = sorted((s.start_char, s.end_char, s.label_, s.text) for s in doc.spans["sc"])
        want = sorted(tuple(x) for x in exp["spans"])
        assert sc == want, (exp["id"], sc, want)
        ents = sorted((s.start_char, s.end_char, s.label_, s.text) for s in doc.ents)
        want_ents = sorted(tuple(x) for x in exp["ents"])
        if case["exact_ents"]:
            assert ents == want_ents, (exp["id"], ents, want_ents)
        else:
            assert (ents or not want_ents) and set(ents) <= set(want_ents), (exp["id"], ents)
        # Tokens outside entities are O (2), not missing (0).
        assert all(t.ent_iob != 0 for t in doc), exp["id"]
    print("spacy ok:", case["file"], len(docs), "docs")

for case in spec["conll"]:
    target = os.path.join(outdir, os.path.basename(case["file"]))
    os.makedirs(target, exist_ok=True)
    r = subprocess.run([sys.executable, "-m", "spacy", "convert", case["file"], target,
                        "-c", "ner", "-n", "0"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    name = os.path.splitext(os.path.basename(case["file"]))[0] + ".spacy"
    docs = list(DocBin().from_disk(os.path.join(target, name)).get_docs(nlp.vocab))
    n = sum(len(d.ents) for d in docs)
    assert n == case["entities"], (case["file"], n, case["entities"])
    print("conll ok:", case["file"], n, "entities")

import datasets
from datasets import ClassLabel, Sequence
datasets.disable_progress_bars()
for case in spec["hf"]:
    ds = datasets.load_dataset("json", data_files=case["files"])
    names = json.load(open(case["labels"], encoding="utf-8"))
    ds = ds.cast_column("ner_tags", Sequence(ClassLabel(names=names)))
    feat = ds["train"].features["ner_tags"].feature
    seen = 0
    ids = set()
    for split in ds:
        for row in ds[split]:
            assert row["id"] not in ids, ("document in two splits", row["id"])
            ids.add(row["id"])
            tags = [feat.int2str(t) for t in row["ner_tags"]]
            assert tags == case["tags"][row["id"]], (row["id"], tags[:20])
            assert len(row["tokens"]) == len(tags)
            seen += 1
    assert seen == case["docs"], (seen, case["docs"])
    claims = datasets.load_dataset("json", data_files=case["claims"])
    cnames = json.load(open(case["claim_labels"], encoding="utf-8"))
    claims = claims.cast_column("ner_tags", Sequence(ClassLabel(names=cnames)))
    assert "B-claim" in cnames
    print("hf ok:", seen, "docs,", len(names), "labels")
print("ALL OK")
"#;
