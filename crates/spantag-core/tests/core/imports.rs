//! Imports that keep everything or say what they did not: small excerpts written here in the
//! shapes of CoNLL-2003 (POS and chunk columns, `-DOCSTART-`), WNUT, brat standoff (notes of
//! several types, discontinuous spans, relations, events, attributes), Prodigy relation data,
//! doccano relation data and Label Studio exports with whitespace-padded spans; every importer
//! given every other format's file; bad UTF-8 bytes; offsets in the wrong unit; emoji,
//! combining marks, CRLF and non-Latin text throughout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use spantag_core::formats::{
    self, ExportOptions, Format, FormatError, ImportOptions, ImportSummary, OffsetUnit, Progress,
};
use spantag_core::model::{DEFAULT_LABELS, Project, Span, Status};
use std::path::{Path, PathBuf};

fn import(
    p: &mut Project,
    format: Format,
    inputs: &[PathBuf],
) -> Result<ImportSummary, FormatError> {
    formats::import(p, inputs, &ImportOptions::new(format))
}

fn fresh() -> Project {
    Project::new("p", &DEFAULT_LABELS)
}

/// Every span as (label, covered text).
fn spans(p: &Project) -> Vec<(String, String)> {
    p.documents
        .iter()
        .flat_map(|d| d.spans.iter().map(|s| (s.label.clone(), s.text.clone())))
        .collect()
}

fn span<'a>(p: &'a Project, text: &str) -> &'a Span {
    p.documents
        .iter()
        .flat_map(|d| &d.spans)
        .find(|s| s.text == text)
        .unwrap_or_else(|| panic!("no span {text:?} in {:?}", spans(p)))
}

/// The count of the not-kept entries whose description starts with `what` (0 if none).
fn not_kept(s: &ImportSummary, what: &str) -> usize {
    s.not_kept
        .iter()
        .filter(|n| n.what.starts_with(what))
        .map(|n| n.count)
        .sum()
}

/// Code point range of the first `sub` in `text`.
fn cp(text: &str, sub: &str) -> (usize, usize) {
    let b = text
        .find(sub)
        .unwrap_or_else(|| panic!("{sub:?} in {text:?}"));
    let a = text[..b].chars().count();
    (a, a + sub.chars().count())
}

/// UTF-16 range of the first `sub` in `text`.
fn u16r(text: &str, sub: &str) -> (usize, usize) {
    let b = text.find(sub).unwrap();
    let a = text[..b].encode_utf16().count();
    (a, a + sub.encode_utf16().count())
}

/// CoNLL-2003 shape: `-DOCSTART- -X- -X- O`, token POS chunk NER (IOB1, as the original data).
const CONLL_2003: &str = "-DOCSTART- -X- -X- O

Lune NNP I-NP I-LOC
Port NNP I-NP I-LOC
approves VBZ I-VP O
£48.5 CD I-NP O
million CD I-NP O
bridge NN I-NP O
. . O O

Mayor NNP I-NP O
Ilse NNP I-NP I-PER
Varga NNP I-NP I-PER
spoke VBD I-VP O
. . O O

-DOCSTART- -X- -X- O

Saltmarsh NNP I-NP I-LOC
Island NNP I-NP I-LOC
residents NNS I-NP O
cheer VBP I-VP O
. . O O
";

/// WNUT-17 shape: token TAB tag, IOB2 with lower-case types, no `-DOCSTART-`.
const WNUT: &str = "Zoë\tB-person
is\tO
in\tO
北京\tB-location
😀\tO
#roadtrip\tO

loving\tO
the\tO
new\tO
Nokia\tB-corporation
phone\tO
from\tO
São\tB-location
Paulo\tI-location
";

#[test]
fn conll_2003_excerpt_keeps_its_pos_and_chunk_columns() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("eng.train");
    std::fs::write(&f, CONLL_2003).unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Conll, &[f]).unwrap();
    assert_eq!(s.documents_added, 2);
    assert_eq!(
        spans(&p),
        [
            ("LOC".to_owned(), "Lune Port".to_owned()),
            ("PER".into(), "Ilse Varga".into()),
            ("LOC".into(), "Saltmarsh Island".into()),
        ]
    );
    // The POS and chunk columns are kept with the tokens, one value per token line.
    assert!(s.is_complete(), "{}", s.to_text());
    let cols = |d: &spantag_core::model::Document| -> usize {
        let t = d.tokenization.as_ref().unwrap();
        assert!(t.columns.iter().all(|c| c.values.len() == t.tokens.len()));
        t.columns.len() * t.tokens.len()
    };
    assert_eq!(cols(&p.documents[0]) + cols(&p.documents[1]), 34);
    let t = s.to_text();
    assert!(t.contains("detected as iob1"), "{t}");
}

#[test]
fn wnut_excerpt_with_emoji_and_non_latin_tokens_imports_completely() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("wnut17train.conll");
    std::fs::write(&f, WNUT).unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Conll, &[f]).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    assert_eq!(
        spans(&p),
        [
            ("person".to_owned(), "Zoë".to_owned()),
            ("location".into(), "北京".into()),
            ("corporation".into(), "Nokia".into()),
            ("location".into(), "São Paulo".into()),
        ]
    );
    assert_eq!(
        p.documents[0].text,
        "Zoë is in 北京 😀 #roadtrip\nloving the new Nokia phone from São Paulo"
    );
}

/// A brat document with CRLF line endings, an emoji, notes of two types (one before its
/// target), a note on a relation, a discontinuous span, a relation, an event, an attribute, a
/// normalisation and an equivalence.
const BRAT_TXT: &str =
    "Ilse Varga met the mayor of Lune Port 🌉.\r\nShe said 40 jobs would go.\r\n";
const BRAT_ANN: &str = "#1\tAnnotatorNotes T1\tthe host
T1\tActor 0 10\tIlse Varga
T2\tPlace 28 37\tLune Port
T3\tActor 15 24;28 37\tthe mayor Lune Port
T4\tMeet 11 14\tmet
T5\tnumber 51 53\t40
R1\tLocated Arg1:T1 Arg2:T2
#2\tComment T2\tcheck the spelling
#3\tAnnotatorNotes R1\ton a relation
E1\tMeet:T4 Agent:T1
A1\tNegated E1
N1\tReference T2 Wikidata:Q1\tLune Port
*\tEquiv T1 T3
";

fn brat_folder(dir: &Path) -> PathBuf {
    let b = dir.join("brat");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("harbour.txt"), BRAT_TXT).unwrap();
    std::fs::write(b.join("harbour.ann"), BRAT_ANN).unwrap();
    std::fs::write(b.join("annotation.conf"), "[entities]\nActor\nPlace\n").unwrap();
    b
}

#[test]
fn brat_notes_of_every_kind_attach_and_what_is_not_kept_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let b = brat_folder(dir.path());
    // A text without annotations beside it is listed, not silently skipped.
    std::fs::write(b.join("unannotated.txt"), "Nothing marked here.").unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Brat, &[b]).unwrap();
    let t = s.to_text();
    let d = &p.documents[0];
    assert_eq!(
        d.text,
        "Ilse Varga met the mayor of Lune Port 🌉.\nShe said 40 jobs would go.\n"
    );
    // Notes of any type attach to their target, also when they come first.
    assert_eq!(span(&p, "Ilse Varga").note.as_deref(), Some("the host"));
    let lune: Vec<&Span> = d.spans.iter().filter(|s| s.text == "Lune Port").collect();
    assert_eq!(lune.len(), 1, "{t}");
    assert_eq!(lune[0].note.as_deref(), Some("Comment: check the spelling"));
    // The discontinuous span: one span with its two fragments.
    let mayor = span(&p, "the mayor of Lune Port");
    assert_eq!(mayor.label, "Actor");
    assert_eq!(mayor.fragments, vec![(15, 24), (28, 37)]);
    assert_eq!(not_kept(&s, "discontinuous"), 0, "{t}");
    // The relation, with its note; its type is added, allowing any labels.
    assert_eq!(d.relations.len(), 1, "{t}");
    let r = &d.relations[0];
    assert_eq!(r.kind, "Located");
    assert_eq!(d.span(r.from).unwrap().text, "Ilse Varga");
    assert_eq!(d.span(r.to).unwrap().text, "Lune Port");
    assert_eq!(r.note.as_deref(), Some("on a relation"));
    assert_eq!(s.relation_types_added, vec!["Located".to_owned()], "{t}");
    assert!(p.relation_type("Located").unwrap().from_labels.is_empty());
    assert!(t.contains("added relation type \"Located\""), "{t}");
    // Offsets after the CRLF are one less in the project.
    assert_eq!((span(&p, "40").start, span(&p, "40").end), (50, 52));
    // Labels keep their case: Actor and Place are not folded into actor and place.
    assert_eq!(span(&p, "Ilse Varga").label, "Actor");
    assert!(s.labels_added.contains(&"Actor".to_owned()), "{t}");
    assert!(t.contains("--map Actor=actor merges them"), "{t}");
    // Everything else is counted, none of it called dangling.
    for (what, n) in [
        ("relations", 0),
        ("events", 1),
        ("attributes", 1),
        ("normalisations", 1),
        ("equivalences", 1),
        ("notes on", 0),
        (".txt files without an .ann file", 1),
    ] {
        assert_eq!(not_kept(&s, what), n, "{what}: {t}");
    }
    assert!(s.problems.is_empty(), "{t}");
    assert!(!t.contains("does not define"), "{t}");
    assert!(t.contains("harbour.ann:13 *"), "{t}");
    assert!(t.contains("imported, but 5 thing(s) were not"), "{t}");
}

#[test]
fn brat_note_on_an_undefined_annotation_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b");
    std::fs::create_dir(&b).unwrap();
    std::fs::write(b.join("x.txt"), "Anna met Bo.").unwrap();
    std::fs::write(
        b.join("x.ann"),
        "T1\tPER 0 4\tAnna\n#1\tAnnotatorNotes T9\tlost\n",
    )
    .unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Brat, &[b]).unwrap();
    assert_eq!(s.problems.len(), 1);
    assert!(
        s.problems[0]
            .message
            .contains("note #1 is on \"T9\", which this file does not define"),
        "{}",
        s.to_text()
    );
}

#[test]
fn brat_import_export_import_keeps_spans_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let b = brat_folder(dir.path());
    let mut p = fresh();
    import(&mut p, Format::Brat, &[b]).unwrap();
    let out = dir.path().join("again");
    let mut opts = ExportOptions::new(Format::Brat);
    opts.statuses = Some(Status::ALL.to_vec());
    let e = formats::export(&p, &opts, &out, &Progress::default()).unwrap();
    assert!(e.is_complete(), "{}", e.to_text());
    let mut q = fresh();
    let s = import(&mut q, Format::Brat, &[out]).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    type SpanKey = (usize, usize, String, Option<String>, Vec<(usize, usize)>);
    let key = |p: &Project| -> Vec<SpanKey> {
        p.documents[0]
            .spans
            .iter()
            .map(|s| {
                let f = s.fragments.clone();
                (s.start, s.end, s.label.clone(), s.note.clone(), f)
            })
            .collect()
    };
    assert_eq!(key(&q), key(&p));
    let rels = |p: &Project| -> Vec<(String, String, String, Option<String>)> {
        let d = &p.documents[0];
        d.relations
            .iter()
            .map(|r| {
                let text = |id| d.span(id).unwrap().text.clone();
                (r.kind.clone(), text(r.from), text(r.to), r.note.clone())
            })
            .collect()
    };
    assert_eq!(rels(&q), rels(&p));
    assert_eq!(rels(&q).len(), 1);
    assert_eq!(e.relations, 1, "{}", e.to_text());
}

/// A Prodigy `rel.manual` task: whitespace tokens (the texts have no punctuation tokens), spans
/// with token indices, relations between span heads, and Prodigy's own keys.
fn prodigy_task(
    text: &str,
    ents: &[(&str, &str)],
    rels: &[(usize, usize, &str)],
    extra_meta: &[(&str, &str)],
) -> String {
    let mut tokens = Vec::new();
    let mut at = 0;
    for (i, w) in text.split(' ').enumerate() {
        let n = w.chars().count();
        tokens.push(
            json!({"text": w, "start": at, "end": at + n, "id": i, "ws": true, "disabled": false}),
        );
        at += n + 1;
    }
    let tok_at = |c: usize, field: &str| {
        tokens
            .iter()
            .position(|t| t[field].as_u64() == Some(c as u64))
            .unwrap()
    };
    let spans: Vec<Value> = ents
        .iter()
        .map(|(sub, label)| {
            let (a, b) = cp(text, sub);
            json!({"start": a, "end": b, "token_start": tok_at(a, "start"), "token_end": tok_at(b, "end"), "label": label})
        })
        .collect();
    let relations: Vec<Value> = rels
        .iter()
        .map(|&(h, c, label)| {
            json!({"head": spans[h]["token_end"], "child": spans[c]["token_end"],
                   "head_span": spans[h], "child_span": spans[c], "color": "#c5bdf4", "label": label})
        })
        .collect();
    let mut meta = json!({"source": "wire 2024-03"});
    for (k, v) in extra_meta {
        meta[*k] = json!(v);
    }
    json!({
        "text": text, "_input_hash": -1_543_211, "_task_hash": 774_210, "tokens": tokens,
        "spans": spans, "relations": relations, "meta": meta, "_is_binary": false,
        "_view_id": "relations", "answer": "accept", "_timestamp": 1_710_000_000,
        "_annotator_id": "rel-ana", "_session_id": "rel-ana"
    })
    .to_string()
}

#[test]
fn prodigy_relations_and_meta_keys_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("rel.jsonl");
    let lines = [
        prodigy_task(
            "Ilse Varga met Bo Chen in Lune Port 🌉 on Tuesday",
            &[
                ("Ilse Varga", "PERSON"),
                ("Bo Chen", "PERSON"),
                ("Lune Port", "GPE"),
            ],
            &[(0, 1, "MEETS"), (0, 2, "LOCATED_IN"), (1, 2, "LOCATED_IN")],
            &[("section", "local")],
        ),
        prodigy_task(
            "Zoë Adams leads Saltmarsh Ferries",
            &[("Zoë Adams", "PERSON"), ("Saltmarsh Ferries", "ORG")],
            &[(0, 1, "LEADS")],
            &[],
        ),
    ];
    std::fs::write(&f, lines.join("\n")).unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Jsonl, &[f]).unwrap();
    let t = s.to_text();
    assert_eq!(spans(&p).len(), 5, "{t}");
    assert_eq!(span(&p, "Lune Port").label, "GPE");
    // The annotator and the time come from Prodigy's keys.
    assert_eq!(span(&p, "Zoë Adams").author, "rel-ana");
    assert_eq!(span(&p, "Zoë Adams").created.0, 1_710_000_000);
    // Every relation is imported, its types added (any labels), nothing is left out.
    assert_eq!(p.relation_count(), 4, "{t}");
    let n = |k: &str| s.relations_per_type.get(k).copied().unwrap_or(0);
    assert_eq!((n("MEETS"), n("LOCATED_IN"), n("LEADS")), (1, 2, 1), "{t}");
    assert_eq!(
        s.relation_types_added,
        ["MEETS", "LOCATED_IN", "LEADS"],
        "{t}"
    );
    assert_eq!(
        p.relation_type("MEETS").unwrap().color.to_string(),
        "#c5bdf4"
    );
    let d0 = &p.documents[0];
    let r = d0.relations.iter().find(|r| r.kind == "MEETS").unwrap();
    assert_eq!(d0.span(r.from).unwrap().text, "Ilse Varga");
    assert_eq!(d0.span(r.to).unwrap().text, "Bo Chen");
    assert_eq!((r.author.as_str(), r.created.0), ("rel-ana", 1_710_000_000));
    // meta and Prodigy's own keys are kept in the document's meta, as JSON texts.
    assert_eq!(
        d0.meta.get("section").map(String::as_str),
        Some("\"local\"")
    );
    assert_eq!(
        d0.meta.get("prodigy:_view_id").map(String::as_str),
        Some("\"relations\"")
    );
    assert_eq!(
        d0.meta.get("prodigy:_is_binary").map(String::as_str),
        Some("false")
    );
    assert_eq!(
        d0.meta.get("prodigy:_task_hash").map(String::as_str),
        Some("774210")
    );
    assert_eq!(p.documents[0].source.path.as_deref(), Some("wire 2024-03"));
    assert!(s.is_complete(), "{t}");
    assert!(t.contains("imported 4 relation(s)"), "{t}");
    assert!(t.contains("added relation type \"MEETS\""), "{t}");
}

#[test]
fn doccano_relations_are_listed_and_utf16_offsets_land_on_their_words() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("doccano_rel.jsonl");
    let text = "👍🏽 Zoë Adams visited 北京 with Ana 👩\u{200d}👩\u{200d}👧 and José.";
    let ent = |id: u32, sub: &str, label: &str| {
        let (a, b) = u16r(text, sub);
        json!({"id": id, "label": label, "start_offset": a, "end_offset": b})
    };
    let rec = json!({
        "id": 12, "text": text,
        "entities": [ent(1, "Zoë Adams", "PER"), ent(2, "北京", "LOC"), ent(3, "Ana", "PER"), ent(4, "José", "PER")],
        "relations": [{"id": 3, "from_id": 1, "to_id": 2, "type": "visited"}, {"id": 4, "from_id": 1, "to_id": 3, "type": "met"}],
        "Comments": ["check"]
    });
    std::fs::write(&f, format!("{rec}\n")).unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Doccano, &[f]).unwrap();
    let t = s.to_text();
    assert_eq!(
        spans(&p),
        [
            ("PER".to_owned(), "Zoë Adams".to_owned()),
            ("LOC".into(), "北京".into()),
            ("PER".into(), "Ana".into()),
            ("PER".into(), "José".into()),
        ],
        "{t}"
    );
    let d = &p.documents[0];
    let rels: Vec<(&str, &str, &str)> = d
        .relations
        .iter()
        .map(|r| {
            let t = |id| d.span(id).unwrap().text.as_str();
            (t(r.from), r.kind.as_str(), t(r.to))
        })
        .collect();
    assert_eq!(
        rels,
        [
            ("Zoë Adams", "visited", "北京"),
            ("Zoë Adams", "met", "Ana")
        ]
    );
    assert_eq!(
        d.meta.get("Comments").map(String::as_str),
        Some("[\"check\"]")
    );
    assert!(s.is_complete(), "{t}");
}

/// A Label Studio export as Label Studio writes it: bookkeeping keys, a relation, spans padded
/// with whitespace, CRLF and an emoji in the text (offsets in code points, CRLF counted as two).
fn label_studio_export(text: &str) -> Value {
    let res = |id: &str, sub: &str, label: &str| {
        let (a, b) = cp(text, sub);
        json!({"id": id, "from_name": "label", "to_name": "text", "type": "labels", "origin": "manual",
               "value": {"start": a, "end": b, "text": sub, "labels": [label]}})
    };
    json!([{
        "id": 41,
        "data": {"text": text},
        "annotations": [{
            "id": 7, "completed_by": 2, "lead_time": 12.5, "created_at": "2024-03-02T10:00:00Z",
            "result": [
                res("a1", " Jane Smith", "PER"),
                res("a2", "Malmö ", "LOC"),
                res("a3", "\u{a0}40\u{a0}", "CARDINAL"),
                res("a4", "Ørsted", "ORG"),
                {"from_id": "a1", "to_id": "a4", "type": "relation", "direction": "right", "labels": ["works_for"]}
            ]
        }],
        "predictions": [],
        "created_at": "2024-03-01T09:00:00Z", "inner_id": 1, "project": 3
    }])
}

const LS_TEXT: &str = "Reporter: Jane Smith said the Ørsted plant in Malmö will cut\u{a0}40\u{a0}jobs.\r\nMore 😀 later.";

#[test]
fn label_studio_padded_spans_are_trimmed_and_the_rest_listed() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("project-3-at-2024.json");
    std::fs::write(
        &f,
        serde_json::to_string_pretty(&label_studio_export(LS_TEXT)).unwrap(),
    )
    .unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::LabelStudio, &[f]).unwrap();
    let t = s.to_text();
    assert_eq!(
        spans(&p),
        [
            ("PER".to_owned(), "Jane Smith".to_owned()),
            ("ORG".into(), "Ørsted".into()),
            ("LOC".into(), "Malmö".into()),
            ("CARDINAL".into(), "40".into()),
        ],
        "{t}"
    );
    let jane = span(&p, "Jane Smith");
    assert_eq!((jane.start, jane.end), cp(LS_TEXT, "Jane Smith"));
    assert_eq!(s.trimmed, 3, "{t}");
    assert!(
        t.contains("trimmed whitespace off the ends of 3 span(s)"),
        "{t}"
    );
    assert!(t.contains("\" Jane Smith\" -> \"Jane Smith\""), "{t}");
    let d = &p.documents[0];
    assert_eq!(d.relations.len(), 1, "{t}");
    let r = &d.relations[0];
    assert_eq!(
        (
            d.span(r.from).unwrap().text.as_str(),
            r.kind.as_str(),
            d.span(r.to).unwrap().text.as_str()
        ),
        ("Jane Smith", "works_for", "Ørsted")
    );
    assert_eq!(
        d.meta.get("label-studio:inner_id").map(String::as_str),
        Some("1")
    );
    assert_eq!(
        d.meta.get("label-studio:project").map(String::as_str),
        Some("3")
    );
    for (what, n) in [
        ("relations", 0),
        ("top-level key", 0),
        ("annotation key \"lead_time\"", 1),
        ("annotation key \"created_at\"", 1),
        ("result key \"origin\"", 4),
    ] {
        assert_eq!(not_kept(&s, what), n, "{what}: {t}");
    }
    assert!(s.problems.is_empty(), "{t}");
}

#[test]
fn label_studio_trimmed_import_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ls.json");
    std::fs::write(&f, label_studio_export(LS_TEXT).to_string()).unwrap();
    let mut p = fresh();
    import(&mut p, Format::LabelStudio, &[f]).unwrap();
    let out = dir.path().join("back.json");
    let mut opts = ExportOptions::new(Format::LabelStudio);
    opts.statuses = Some(Status::ALL.to_vec());
    formats::export(&p, &opts, &out, &Progress::default()).unwrap();
    let mut q = fresh();
    let s = import(&mut q, Format::LabelStudio, &[out]).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    assert_eq!(s.trimmed, 0);
    assert_eq!(spans(&q), spans(&p));
    assert_eq!(q.documents[0].text, p.documents[0].text);
}

#[test]
fn a_span_of_only_whitespace_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ws.jsonl");
    std::fs::write(
        &f,
        r#"{"text": "Anna  went", "spans": [{"start": 4, "end": 6, "label": "actor"}, {"start": 0, "end": 4, "label": "actor"}]}"#,
    )
    .unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Jsonl, &[f]).unwrap();
    assert_eq!(spans(&p), [("actor".to_owned(), "Anna".to_owned())]);
    assert_eq!(s.problems.len(), 1);
    assert!(s.problems[0].message.contains("covers only whitespace"));
}

/// One file (or folder) of every format, each with spans.
fn every_format(dir: &Path) -> Vec<(Format, PathBuf)> {
    let write = |name: &str, content: &str| {
        let f = dir.join(name);
        std::fs::write(&f, content).unwrap();
        f
    };
    let prodigy = write(
        "tasks.jsonl",
        &[
            r#"{"text": "Anna met Bo in Rome", "spans": [{"start": 0, "end": 4, "label": "actor"}], "answer": "accept"}"#,
            r#"{"text": "Zoë left Malmö", "spans": [{"start": 9, "end": 14, "label": "place"}], "answer": "accept"}"#,
        ]
        .join("\n"),
    );
    let doccano = write(
        "doccano.jsonl",
        &[
            r#"{"id": 1, "text": "Anna met Bo in Rome", "label": [[0, 4, "actor"]]}"#,
            r#"{"id": 2, "text": "Zoë left Malmö", "label": [[9, 14, "place"]]}"#,
        ]
        .join("\n"),
    );
    let ls = write(
        "ls.json",
        &serde_json::to_string_pretty(&json!([{"id": 1, "data": {"text": "Anna met Bo"},
            "annotations": [{"id": 1, "result": [{"type": "labels", "from_name": "label", "to_name": "text",
                "value": {"start": 0, "end": 4, "text": "Anna", "labels": ["actor"]}}]}]}]))
        .unwrap(),
    );
    let conll = write("train.conll", WNUT);
    let brat = brat_folder(dir);
    let prose = write(
        "article.txt",
        "The mayor of Lune Port said on Tuesday that the bridge to Saltmarsh Island would open \
         in the spring, and that 40 jobs would go at the ferry company.\n\nResidents cheered.\n",
    );
    vec![
        (Format::Jsonl, prodigy),
        (Format::Doccano, doccano),
        (Format::LabelStudio, ls),
        (Format::Conll, conll),
        (Format::Brat, brat),
        // Prose stands for "an article": no importer takes it.
        (Format::Csv, prose),
    ]
}

#[test]
fn every_importer_refuses_every_other_format_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = every_format(dir.path());
    for &importer in formats::importers() {
        for (is, path) in &inputs {
            let mut p = fresh();
            let before = p.clone();
            let r = import(&mut p, importer, std::slice::from_ref(path));
            if *is == importer {
                let s = r.unwrap_or_else(|e| panic!("{importer} on its own file: {e}"));
                assert!(
                    s.spans_per_label.values().sum::<usize>() > 0,
                    "{importer}: {}",
                    s.to_text()
                );
                continue;
            }
            let e = match r {
                Err(e) => e.to_string(),
                Ok(s) => panic!(
                    "{importer} given {}: imported {}",
                    path.display(),
                    s.to_text()
                ),
            };
            assert_eq!(p, before, "{importer} given {}: {e}", path.display());
            assert!(e.contains("Nothing was imported"), "{importer}: {e}");
            let hint = if *is == Format::Csv {
                "spantag add".to_owned()
            } else {
                format!("try --format {is}")
            };
            assert!(
                e.contains(&hint),
                "{importer} given {}: {e}",
                path.display()
            );
        }
    }
}

#[test]
fn a_record_of_another_format_or_a_spans_field_that_is_not_a_list_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mixed.jsonl");
    std::fs::write(
        &f,
        [
            r#"{"text": "Anna met Bo", "spans": [{"start": 0, "end": 4, "label": "actor"}]}"#,
            r#"{"text": "Bo met Anna", "spans": "notalist"}"#,
            r#"{"id": 3, "text": "Zoë left", "label": [[0, 3, "actor"]]}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Jsonl, &[f]).unwrap();
    let t = s.to_text();
    // Only the good record is added: no document without its spans.
    assert_eq!(p.documents.len(), 1, "{t}");
    assert!(
        t.contains("mixed.jsonl:2: \"spans\" is a string, not a list; the record was not imported"),
        "{t}"
    );
    assert!(t.contains("mixed.jsonl:3: this is a doccano record"), "{t}");
    // Alone, such a file is refused.
    let g = dir.path().join("bad.jsonl");
    std::fs::write(&g, r#"{"text": "Bo met Anna", "spans": "notalist"}"#).unwrap();
    let e = import(&mut fresh(), Format::Jsonl, &[g])
        .unwrap_err()
        .to_string();
    assert!(e.contains("whose \"spans\" is a string"), "{e}");
}

/// A doccano file whose offsets were written as code points (not doccano's UTF-16), in texts
/// with emoji before the spans.
fn codepoint_doccano(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    let texts = [
        (
            "👍🏽 Zoë Adams met Bo Chen in 北京 today",
            &["Zoë Adams", "Bo Chen", "北京"][..],
        ),
        (
            "🇸🇪 The mayor of Malmö, Ana Lind, 🎉 opened the bridge",
            &["Malmö", "Ana Lind", "bridge"][..],
        ),
        (
            "😀 Ørsted hires 40 people in Esbjerg",
            &["Ørsted", "40", "Esbjerg"][..],
        ),
    ];
    let mut out = String::new();
    let mut expected = Vec::new();
    for (i, (text, subs)) in texts.iter().enumerate() {
        let label: Vec<Value> = subs
            .iter()
            .map(|s| {
                let (a, b) = cp(text, s);
                json!([a, b, "X"])
            })
            .collect();
        expected.extend(subs.iter().map(|s| ("X".to_owned(), (*s).to_owned())));
        out.push_str(&json!({"id": i, "text": text, "label": label}).to_string());
        out.push('\n');
    }
    let f = dir.join("cp.jsonl");
    std::fs::write(&f, out).unwrap();
    (f, expected)
}

#[test]
fn doccano_offsets_in_the_wrong_unit_are_refused_unless_the_unit_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let (f, expected) = codepoint_doccano(dir.path());
    let mut p = fresh();
    let e = import(&mut p, Format::Doccano, std::slice::from_ref(&f))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the offsets look like codepoints, not utf16"),
        "{e}"
    );
    assert!(e.contains("pass --offsets codepoints"), "{e}");
    assert!(p.documents.is_empty());
    // Told the unit, the import lands on the right words.
    let mut opts = ImportOptions::new(Format::Doccano);
    opts.offsets = Some(OffsetUnit::Codepoints);
    let s = formats::import(&mut p, std::slice::from_ref(&f), &opts).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    assert_eq!(spans(&p), expected);
    // Told the wrong unit explicitly, it does as asked and warns (exit code 1).
    let mut q = fresh();
    opts.offsets = Some(OffsetUnit::Utf16);
    let s = formats::import(&mut q, &[f], &opts).unwrap();
    assert!(!s.is_complete());
    assert!(
        s.warnings[0].contains("the offsets look like codepoints, not utf16 as asked"),
        "{}",
        s.to_text()
    );
}

#[test]
fn label_case_is_kept_unless_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("case.jsonl");
    std::fs::write(
        &f,
        r#"{"text": "Anna met Bo in Rome", "spans": [{"start": 0, "end": 4, "label": "PER"}, {"start": 9, "end": 11, "label": "Actor"}, {"start": 15, "end": 19, "label": "place"}]}"#,
    )
    .unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Jsonl, std::slice::from_ref(&f)).unwrap();
    assert_eq!(
        spans(&p),
        [
            ("PER".to_owned(), "Anna".to_owned()),
            ("Actor".into(), "Bo".into()),
            ("place".into(), "Rome".into())
        ]
    );
    assert_eq!(s.labels_added, ["PER", "Actor"]);
    assert!(s.labels_mapped.is_empty());
    let mut q = fresh();
    let mut opts = ImportOptions::new(Format::Jsonl);
    opts.map = vec![("Actor".into(), "actor".into())];
    formats::import(&mut q, &[f], &opts).unwrap();
    assert_eq!(span(&q, "Bo").label, "actor");
}

#[test]
fn bad_utf8_bytes_are_named_by_line_and_column_never_decoded_as_a_legacy_encoding() {
    let dir = tempfile::tempdir().unwrap();
    // UTF-8 with non-Latin text, and one stray byte on line 2.
    let mut bytes = r#"{"text": "Zoë met 北京 officials", "spans": [{"start": 0, "end": 3, "label": "actor"}]}"#
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\n{\"text\": \"Caf\xe9 ");
    bytes.extend_from_slice("fire in Malmö\"}\n".as_bytes());
    let f = dir.path().join("bad.jsonl");
    std::fs::write(&f, &bytes).unwrap();
    let mut p = fresh();
    let e = import(&mut p, Format::Jsonl, &[f]).unwrap_err().to_string();
    assert!(
        e.contains(
            "it is UTF-8 except for 1 invalid UTF-8 byte sequence(s): line 2, column 14 (0xE9)"
        ),
        "{e}"
    );
    assert!(p.documents.is_empty());
    // The article reader (`spantag add`) refuses it the same way instead of reading
    // "Zoë" as "ZoÃ«" and "北京" as "åŒ—äº¬".
    let why = spantag_core::import::decode(&bytes).unwrap_err();
    assert!(why.contains("line 2, column 14 (0xE9)"), "{why}");
    // A real windows-1252 file still decodes as such.
    let d = spantag_core::import::decode(b"Caf\xe9 fire: \x93we will rebuild\x94, said the mayor.")
        .unwrap();
    assert_eq!(d.encoding, "windows-1252");
    assert_eq!(d.text, "Café fire: “we will rebuild”, said the mayor.");
}

#[test]
fn combining_marks_and_crlf_in_jsonl_land_on_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Jose\u{301} Sa\u{303}o said:\r\n«القاهرة» 👩\u{200d}👩\u{200d}👧 ok";
    // Offsets as Python counts them in the raw text (CRLF is two code points).
    let ents = [("Jose\u{301}", "actor"), ("القاهرة", "place")];
    let sp: Vec<Value> = ents
        .iter()
        .map(|(s, l)| {
            let (a, b) = cp(text, s);
            json!({"start": a, "end": b, "label": l})
        })
        .collect();
    let f = dir.path().join("cm.jsonl");
    std::fs::write(&f, json!({"text": text, "spans": sp}).to_string()).unwrap();
    let mut p = fresh();
    let s = import(&mut p, Format::Jsonl, &[f]).unwrap();
    assert!(s.is_complete(), "{}", s.to_text());
    assert_eq!(
        spans(&p),
        [
            ("actor".to_owned(), "Jose\u{301}".to_owned()),
            ("place".into(), "القاهرة".into())
        ]
    );
    assert!(!p.documents[0].text.contains('\r'));
}
