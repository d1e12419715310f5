//! Exports without silent loss, read back by the real consumers: spaCy rebuilds every jsonl
//! document from its tokens (`Doc(words, spaces)`) and the hashes are `murmurhash.hash`;
//! `datasets.load_dataset` on an hf split export yields one layer's labels with unique document
//! ids per split; a PER/LOC/ORG/MISC project's CoNLL (through `spacy convert`) and `.spacy`
//! exports carry those entities (whitespace-padded spans trimmed), with span groups per layer
//! and the document in `user_data`; the doccano export's UTF-16 offsets slice out every span's
//! text through emoji. Texts mix emoji, combining marks, CJK, Arabic and a CRLF source.
//!
//! Python: see [`crate::venv`] (created on first use; a missing Python fails the test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use spantag_core::formats::{
    self, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Layer, Progress,
};
use spantag_core::markup::project_from_markup;
use spantag_core::model::Project;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::process::Command;

const DOCS: &[(&str, &str)] = &[
    (
        "zoe",
        "[PER Zoë Ålund] met [PER  Jane Smith] in [LOC Malmö] 👩\u{200d}👩\u{200d}👧.\n\n[claim [ORG Acme] grew 4%] said [MISC Jose\u{301}].",
    ),
    (
        "tokyo",
        "[LOC 東京都]で[PER 山田太郎]が話した。 [claim قال [PER أحمد] إن [LOC القاهرة] كبيرة] 👍🏽",
    ),
    (
        "flags",
        "  [LOC 🇸🇪 Sweden]  and [LOC Norway\u{a0}] signed.\t[ORG UN] [MISC Nobel] 🎉 prize",
    ),
    (
        "greek",
        "[PER Σωκράτης] [claim είπε ότι [LOC Αθήνα] είναι μεγάλη]. [ORG ΟΗΕ]\n",
    ),
    (
        "hindi",
        "[PER नरेन्द्र] ने [LOC दिल्ली] में कहा। [MISC 🏏 क्रिकेट] [claim अच्छा है]",
    ),
    (
        "nested",
        "[claim [PER Anna]'s cat [ORG ACME\u{2122}] sold [MISC x\u{301}\u{302}] ] end",
    ),
];

/// The PER/LOC/ORG/MISC/claim project, plus one document imported from a CRLF jsonl source.
fn fixture(dir: &Path) -> Project {
    let mut p = project_from_markup("conll2003", DOCS, "ana", Timestamp(1_795_000_000)).unwrap();
    p.labels
        .retain(|l| ["PER", "LOC", "ORG", "MISC", "claim"].contains(&l.name.as_str()));
    let text = "Kai 🙂 said:\r\n\r\n[Oslo] is cold\r\nToday";
    let cp = |s: &str| text[..text.find(s).unwrap()].chars().count();
    let line = json!({
        "text": text,
        "spans": [
            {"start": cp("Kai"), "end": cp("Kai") + 3, "label": "PER"},
            {"start": cp("Oslo"), "end": cp("Oslo") + 4, "label": "LOC"},
            {"start": cp("Oslo") - 1, "end": cp("cold") + 4, "label": "claim"},
        ],
        "meta": {"id": "crlf"}
    });
    let src = dir.join("crlf-source.jsonl");
    std::fs::write(&src, format!("{line}\r\n")).unwrap();
    let s = formats::import(&mut p, &[src], &ImportOptions::new(ImportFormat::Jsonl)).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    p
}

fn run(p: &Project, opts: &ExportOptions, out: &Path) -> formats::ExportSummary {
    let s = formats::export(p, opts, out, &Progress::default()).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    s
}

#[test]
fn consumers_read_the_exports_without_loss() {
    let py = match crate::venv::python() {
        Ok(Some(py)) => py,
        Ok(None) => return,
        Err(why) => panic!("the real-consumer test cannot run: {why}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = fixture(d);

    // Expected spans per document: (start, end, label, text) as spantag exports them through
    // tokens (trimmed) and as doccano gets them (exact).
    let entity = |l: &str| formats::is_entity_label(l);
    let trim = |s: &spantag_core::model::Span| {
        let lead = s.text.len() - s.text.trim_start_matches(formats::is_space).len();
        let inner = s.text.trim_matches(formats::is_space);
        let start = s.start + s.text[..lead].chars().count();
        json!([start, start + inner.chars().count(), s.label, inner])
    };
    let docs: Vec<serde_json::Value> = p
        .documents
        .iter()
        .map(|doc| {
            let ents: Vec<_> = doc
                .spans
                .iter()
                .filter(|s| entity(&s.label))
                .map(trim)
                .collect();
            let claims: Vec<_> = doc
                .spans
                .iter()
                .filter(|s| !entity(&s.label))
                .map(trim)
                .collect();
            let exact: Vec<_> = doc.spans.iter().map(|s| json!([s.label, s.text])).collect();
            json!({"id": doc.id, "title": doc.title, "text": doc.text, "ents": ents,
                   "claims": claims, "exact": exact})
        })
        .collect();

    run(
        &p,
        &ExportOptions::new(ExportFormat::Jsonl),
        &d.join("x.jsonl"),
    );
    let s = run(
        &p,
        &ExportOptions::new(ExportFormat::Spacy),
        &d.join("x.spacy"),
    );
    // " Jane Smith", "Norway\u{a0}" and the claim ending in a space.
    assert_eq!(s.trimmed, 3, "{}", s.to_text());
    let mut conll = ExportOptions::new(ExportFormat::Conll);
    conll.layer = Layer::Entities;
    run(&p, &conll, &d.join("x.conll"));
    run(
        &p,
        &ExportOptions::new(ExportFormat::Doccano),
        &d.join("x.doccano.jsonl"),
    );
    let mut hf = ExportOptions::new(ExportFormat::Hf);
    hf.split = Some(vec![
        ("train".into(), 0.5),
        ("dev".into(), 0.25),
        ("test".into(), 0.25),
    ]);
    hf.seed = 3;
    let s = run(&p, &hf, &d.join("hf"));
    assert!(s.splits.iter().all(|(_, n)| *n > 0), "{:?}", s.splits);

    let spec = d.join("expect.json");
    std::fs::write(
        &spec,
        serde_json::to_vec(&json!({"dir": d, "docs": docs})).unwrap(),
    )
    .unwrap();
    let script = d.join("check.py");
    std::fs::write(&script, CHECK_PY).unwrap();
    let out = Command::new(&py)
        .arg(&script)
        .arg(&spec)
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_HOME", d.join("hf-home"))
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
d = spec["dir"]
docs = spec["docs"]
by_id = {x["id"]: x for x in docs}
ENTITY = {"PER", "LOC", "ORG", "MISC"}
import murmurhash
import spacy
from spacy.tokens import Doc, DocBin
nlp = spacy.blank("en")

# jsonl: spaCy rebuilds every document from its tokens; spans are token-aligned; hashes.
lines = open(os.path.join(d, "x.jsonl"), encoding="utf-8").read().splitlines()
assert len(lines) == len(docs), len(lines)
for line, exp in zip(lines, docs):
    task = json.loads(line)
    words = [t["text"] for t in task["tokens"]]
    spaces = [t["ws"] for t in task["tokens"]]
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    assert doc.text == task["text"] == exp["text"], (exp["id"], doc.text, exp["text"])
    for t, tok in zip(task["tokens"], doc):
        assert (tok.idx, tok.idx + len(tok.text)) == (t["start"], t["end"]), (exp["id"], t)
    got = []
    for s in task["spans"]:
        span = doc[s["token_start"]:s["token_end"] + 1]
        assert (span.start_char, span.end_char) == (s["start"], s["end"]), (exp["id"], s)
        assert span.text == s["text"] == task["text"][s["start"]:s["end"]], (exp["id"], s)
        got.append([s["start"], s["end"], s["label"], s["text"]])
    assert sorted(got) == sorted(exp["ents"] + exp["claims"]), (exp["id"], got)
    assert task["_input_hash"] == murmurhash.hash(task["text"])
    key = json.dumps([task["_input_hash"], [[s["start"], s["end"], s["label"]] for s in task["spans"]]],
                     separators=(",", ":"), ensure_ascii=False)
    assert task["_task_hash"] == murmurhash.hash(key)
    assert task["answer"] == "accept" and task["meta"]["id"] == exp["id"]
print("jsonl ok:", len(lines), "tasks rebuilt by spaCy")

# .spacy: entities in doc.ents, a span group per layer plus sc, id and title in user_data.
sdocs = list(DocBin(store_user_data=True).from_disk(os.path.join(d, "x.spacy")).get_docs(nlp.vocab))
assert len(sdocs) == len(docs)
for doc, exp in zip(sdocs, docs):
    assert doc.text == exp["text"], exp["id"]
    assert doc.user_data["id"] == exp["id"] and doc.user_data["title"] == exp["title"], doc.user_data
    key = lambda spans: sorted([s.start_char, s.end_char, s.label_, s.text] for s in spans)
    assert key(doc.ents) == sorted(exp["ents"]), (exp["id"], key(doc.ents), exp["ents"])
    assert key(doc.spans["entities"]) == sorted(exp["ents"]), exp["id"]
    assert key(doc.spans["claims"]) == sorted(exp["claims"]), exp["id"]
    assert key(doc.spans["sc"]) == sorted(exp["ents"] + exp["claims"]), exp["id"]
    assert all(t.ent_iob != 0 for t in doc), exp["id"]
n_ents = sum(len(doc.ents) for doc in sdocs)
assert n_ents == sum(len(x["ents"]) for x in docs)
print("spacy ok:", len(sdocs), "docs,", n_ents, "entities of", sorted({e.label_ for doc in sdocs for e in doc.ents}))

# CoNLL through spaCy's own converter: the same entities, PER/LOC/ORG/MISC.
target = os.path.join(d, "converted")
os.makedirs(target, exist_ok=True)
r = subprocess.run([sys.executable, "-m", "spacy", "convert", os.path.join(d, "x.conll"), target,
                    "-c", "ner", "-n", "0"], capture_output=True, text=True)
assert r.returncode == 0, r.stdout + r.stderr
cdocs = list(DocBin().from_disk(os.path.join(target, "x.spacy")).get_docs(nlp.vocab))
from collections import Counter
got = Counter(e.label_ for doc in cdocs for e in doc.ents)
want = Counter(e[2] for x in docs for e in x["ents"])
assert got == want, (got, want)
assert set(got) == ENTITY, got
# The converter joins tokens with single spaces: an entity's text is its tokens so joined.
texts = sorted(e.text.replace(" ", "") for doc in cdocs for e in doc.ents)
assert texts == sorted("".join(e[3].split()) for x in docs for e in x["ents"]), texts
print("conll ok:", sum(got.values()), "entities through spacy convert:", dict(got))

# doccano: UTF-16 offsets slice out every span's exact text.
lines = open(os.path.join(d, "x.doccano.jsonl"), encoding="utf-8").read().splitlines()
assert len(lines) == len(docs)
for line, exp in zip(lines, docs):
    rec = json.loads(line)
    assert rec["id"] == exp["id"] and rec["text"] == exp["text"]
    units = rec["text"].encode("utf-16-le")
    got = [[l, units[2 * a:2 * b].decode("utf-16-le")] for a, b, l in rec["label"]]
    assert got == exp["exact"], (exp["id"], got, exp["exact"])
print("doccano ok:", len(lines), "documents, every span text identical")

# hf: one layer per configuration; ids unique per split; each layer's own label names.
import datasets
datasets.disable_progress_bars()
hf = os.path.join(d, "hf")
seen = {}
for config, labels in [(None, ENTITY), ("claims", {"claim"})]:
    ds = datasets.load_dataset(hf, config) if config else datasets.load_dataset(hf)
    names = ds["train"].features["ner_tags"].feature.names
    layer = config or "entities"
    assert names == json.load(open(os.path.join(hf, layer, "labels.json"), encoding="utf-8")), names
    assert {n[2:] for n in names if n != "O"} == labels, names
    ids = []
    for split in ds:
        split_ids = [row["id"] for row in ds[split]]
        assert len(split_ids) == len(set(split_ids)), (layer, split, split_ids)
        ids += split_ids
        for row in ds[split]:
            tags = [names[t] for t in row["ner_tags"]]
            assert len(tags) == len(row["tokens"])
            want = by_id[row["id"]]["ents" if layer == "entities" else "claims"]
            assert sum(t.startswith("B-") for t in tags) == len(want), (row["id"], tags)
    assert sorted(ids) == sorted(by_id), (layer, ids)
    seen[layer] = sorted(ds)
    # The layer folder alone loads the same rows.
    alone = datasets.load_dataset(os.path.join(hf, layer))
    assert sum(len(alone[s]) for s in alone) == len(docs), alone
print("hf ok:", seen)
print("ALL OK")
"#;
