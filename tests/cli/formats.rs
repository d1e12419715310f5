//! `spantag export` and `spantag import` run as the built binary, including failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use std::collections::BTreeSet;

use common::{code, out as text, spantag};
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron")
}

#[test]
fn exports_every_format_and_reports_what_it_cannot_represent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = sample();
    let s = s.to_str().unwrap();
    for (fmt, out, expected) in [
        ("jsonl", "a.jsonl", 0),
        ("spacy", "a.spacy", 0),
        ("brat", "brat", 0),
        ("labelstudio", "a.json", 0),
        ("csv", "a.csv", 0),
        // The sample has nested entities (a place inside an actor): one layer cannot hold both.
        ("conll", "a.conll", 1),
        ("hf", "a.jsonl.hf", 1),
    ] {
        let o = spantag(&["export", s, "--format", fmt, "--out", out], d);
        assert_eq!(code(&o), expected, "{fmt}: {}", text(&o));
        let t = text(&o);
        assert!(t.contains("exported 3 document(s)"), "{t}");
        assert!(t.contains("claim"), "{t}");
        assert!(d.join(out).exists(), "{fmt}");
        if expected == 1 {
            assert!(t.contains("could not be represented"), "{t}");
            assert!(t.contains("overlaps the actor span"), "{t}");
        }
    }
    assert!(d.join("a.claims.conll").exists());
    assert!(d.join("brat/annotation.conf").exists());
    assert!(d.join("brat/harbour-bridge.ann").exists());
    let names: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(d.join("a.jsonl.labels.json")).unwrap())
            .unwrap();
    assert_eq!(names[0], "O");
    assert!(names.contains(&"B-actor".to_owned()));
    // The overlap policy is configurable; claims alone have no overlaps in the sample.
    let o = spantag(
        &[
            "export", s, "--format", "conll", "--layer", "claims", "--scheme", "bilou", "--out",
            "c.conll",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let c = std::fs::read_to_string(d.join("c.conll")).unwrap();
    assert!(c.contains(" B-claim\n") && c.contains(" L-claim\n"));
    assert!(!c.contains("-actor"));
    assert!(text(&o).contains("not in the chosen --layer claims"));
}

#[test]
fn filters_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = sample();
    let s = s.to_str().unwrap();
    let o = spantag(
        &[
            "export",
            s,
            "--format",
            "csv",
            "--out",
            "x.csv",
            "--only-done",
            "--labels",
            "place",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let csv = std::fs::read_to_string(d.join("x.csv")).unwrap();
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.starts_with("harbour-bridge,") && l.contains(",place,"))
    );
    assert!(text(&o).contains("not marked done"));
    let o = spantag(
        &[
            "export", s, "--format", "csv", "--out", "y.csv", "--status", "accepted",
        ],
        d,
    );
    assert_eq!(code(&o), 0);
    assert_eq!(
        std::fs::read_to_string(d.join("y.csv"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    assert!(text(&o).contains("status pending not selected"));
    for (args, msg) in [
        (
            vec!["--format", "csv", "--labels", "nosuch"],
            "no label \"nosuch\"",
        ),
        (
            vec!["--format", "csv", "--status", "maybe"],
            "unknown status",
        ),
        (vec!["--format", "yaml"], "unknown value"),
        (
            vec!["--format", "jsonl", "--split", "train=0.7,test=0.2"],
            "add up to",
        ),
    ] {
        let mut a = vec!["export", s, "--out", "z.out"];
        a.extend(args);
        let o = spantag(&a, d);
        assert_eq!(code(&o), 2, "{a:?}: {}", text(&o));
        assert!(text(&o).contains(msg), "{a:?}: {}", text(&o));
        assert!(!d.join("z.out").exists());
    }
    // An output folder that cannot be created: exit 2, nothing half-written.
    std::fs::write(d.join("blocker"), "a file").unwrap();
    let o = spantag(
        &["export", s, "--format", "jsonl", "--out", "blocker/x.jsonl"],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

fn corpus(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let text = format!("Reporter {i} met Anna in Lune Port on day {i}.");
        let a = text.find("Anna").unwrap();
        let p = text.find("Lune").unwrap();
        s.push_str(
            &serde_json::json!({
                "text": text,
                "spans": [{"start": a, "end": a + 4, "label": "ACTOR"},
                          {"start": p, "end": p + 9, "label": "PLACE"}],
                "meta": {"id": format!("doc{i:03}")}
            })
            .to_string(),
        );
        s.push('\n');
    }
    s
}

fn ids_in(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["meta"]["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn import_creates_the_project_and_splits_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("in.jsonl"), corpus(40)).unwrap();
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "in.jsonl"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("created p.ron"), "{t}");
    assert!(t.contains("40 document(s) added"), "{t}");
    // Labels keep their case; the report says how to merge them with the project's.
    assert!(t.contains("added label \"ACTOR\""), "{t}");
    assert!(t.contains("--map ACTOR=actor merges them"), "{t}");
    let run = |seed: &str, out: &str| {
        let o = spantag(
            &[
                "export",
                "p.ron",
                "--format",
                "jsonl",
                "--out",
                out,
                "--split",
                "train=0.8,dev=0.1,test=0.1",
                "--seed",
                seed,
            ],
            d,
        );
        assert_eq!(code(&o), 0, "{}", text(&o));
        assert!(
            text(&o).contains("split (documents): train 32, dev 4, test 4"),
            "{}",
            text(&o)
        );
        ["train", "dev", "test"].map(|n| ids_in(&d.join(out).join(format!("{n}.jsonl"))))
    };
    let a = run("7", "s1");
    let b = run("7", "s2");
    let c = run("8", "s3");
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mut all = BTreeSet::new();
    for set in &a {
        for id in set {
            assert!(all.insert(id.clone()), "{id} in two splits");
        }
    }
    assert_eq!(all.len(), 40);
    // Importing the same file again adds nothing and reports every duplicate.
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "in.jsonl"], d);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("duplicates a span already in the document"));
    assert!(text(&o).contains("0 document(s) added, 40 already in the project"));
}

#[test]
fn import_reports_bad_spans_with_their_line_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines = [
        // Good, with an unknown label and a mapped one.
        r#"{"text": "Zoë saw 👍🏽 in Malmö", "spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 14, "end": 19, "label": "GPE"}], "meta": {"id": "a"}}"#,
        // Out of range, and a stated text that does not match.
        r#"{"text": "short", "spans": [{"start": 0, "end": 5, "label": "actor"}, {"start": 2, "end": 9, "label": "actor"}, {"start": 0, "end": 2, "label": "actor", "text": "xx"}], "meta": {"id": "b"}}"#,
        "not json at all",
    ];
    std::fs::write(d.join("in.jsonl"), lines.join("\n")).unwrap();
    let o = spantag(
        &[
            "import",
            "p.ron",
            "--format",
            "jsonl",
            "in.jsonl",
            "--map",
            "GPE=place",
        ],
        d,
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("in.jsonl:2 (span 2): span 2..9 \"actor\" does not fit the text"),
        "{t}"
    );
    assert!(t.contains("in.jsonl:2 (span 3)"), "{t}");
    assert!(t.contains("covers \"sh\" but the file says \"xx\""), "{t}");
    assert!(t.contains("in.jsonl:3: not JSON"), "{t}");
    assert!(t.contains("added label \"PER\""), "{t}");
    assert!(
        t.contains("label \"GPE\" imported as \"place\" (--map)"),
        "{t}"
    );
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    let spans: Vec<(String, String)> = p
        .documents
        .iter()
        .flat_map(|d| d.spans.iter().map(|s| (s.label.clone(), s.text.clone())))
        .collect();
    assert_eq!(
        spans,
        [
            ("PER".to_owned(), "Zoë".to_owned()),
            ("place".into(), "Malmö".into()),
            ("actor".into(), "short".into())
        ]
    );
    // UTF-16 offsets read as code points are caught by the stated text; --offsets fixes it.
    std::fs::write(
        d.join("u16.jsonl"),
        r#"{"text": "👍🏽 Zoë and more", "spans": [{"start": 5, "end": 8, "label": "actor", "text": "Zoë"}]}"#,
    )
    .unwrap();
    let o = spantag(&["import", "q.ron", "--format", "jsonl", "u16.jsonl"], d);
    assert_eq!(code(&o), 1);
    assert!(text(&o).contains("try --offsets utf16"), "{}", text(&o));
    let o = spantag(
        &[
            "import",
            "q2.ron",
            "--format",
            "jsonl",
            "--offsets",
            "utf16",
            "u16.jsonl",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    // A missing input: exit 2 and no project created.
    let o = spantag(&["import", "r.ron", "--format", "brat", "nosuch"], d);
    assert_eq!(code(&o), 2);
    assert!(!d.join("r.ron").exists());
}

#[test]
fn brat_labelstudio_conll_doccano_imports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = sample();
    let s = s.to_str().unwrap();
    // brat with a relation, a note and a discontinuous annotation.
    std::fs::create_dir(d.join("b")).unwrap();
    std::fs::write(d.join("b/x.txt"), "Anna met\r\nBo in Rome.\n").unwrap();
    std::fs::write(
        d.join("b/x.ann"),
        "T1\tPER 0 4\tAnna\nT2\tPER 10 12\tBo\nT3\tEvent 0 8;10 12\tAnna met Bo\nR1\tKnows Arg1:T1 Arg2:T2\n#1\tAnnotatorNotes T1\tthe host\nT4\tLOC 16 20\tRome\nT5\tMISC 5 8;16 20\tmet Rome\n",
    )
    .unwrap();
    let o = spantag(&["import", "b.ron", "--format", "brat", "b"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("imported 1 relation(s)"), "{t}");
    assert!(t.contains("added relation type \"Knows\""), "{t}");
    let p = spantag_core::project_io::load(&d.join("b.ron")).unwrap();
    let doc = &p.documents[0];
    assert_eq!(doc.relations.len(), 1);
    assert_eq!(doc.relations[0].kind, "Knows");
    // A discontinuous annotation is one span with its fragments (offsets after the CRLF one less).
    let misc = doc.spans.iter().find(|s| s.label == "MISC").unwrap();
    assert_eq!(misc.fragments, vec![(5, 8), (15, 19)]);
    assert_eq!(doc.text, "Anna met\nBo in Rome.\n");
    let got: Vec<(usize, usize, &str)> = doc
        .spans
        .iter()
        .map(|s| (s.start, s.end, s.label.as_str()))
        .collect();
    // CRLF counted as two characters in the file, one in the project.
    assert!(got.contains(&(9, 11, "PER")), "{got:?}");
    assert!(got.contains(&(0, 11, "Event")), "{got:?}");
    assert!(got.contains(&(15, 19, "LOC")), "{got:?}");
    assert_eq!(
        doc.spans
            .iter()
            .find(|s| s.start == 0 && s.end == 4)
            .unwrap()
            .note
            .as_deref(),
        Some("the host")
    );

    // Label Studio: annotations and predictions, a cancelled annotation reported.
    let ls = serde_json::json!([{
        "id": 7, "data": {"text": "Ilse Varga spoke in Lune Port."},
        "annotations": [
            {"id": 1, "completed_by": 3, "result": [{"from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": 0, "end": 10, "text": "Ilse Varga", "labels": ["actor"]}}]},
            {"id": 2, "was_cancelled": true, "result": []}
        ],
        "predictions": [{"model_version": "m1", "result": [{"type": "labels",
              "value": {"start": 20, "end": 29, "text": "Lune Port", "labels": ["place"]}}]}]
    }]);
    std::fs::write(d.join("ls.json"), ls.to_string()).unwrap();
    let o = spantag(
        &["import", "ls.ron", "--format", "labelstudio", "ls.json"],
        d,
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("cancelled"));
    let p = spantag_core::project_io::load(&d.join("ls.ron")).unwrap();
    let authors: Vec<&str> = p.documents[0]
        .spans
        .iter()
        .map(|s| s.author.as_str())
        .collect();
    assert_eq!(authors, ["user:3", "prediction:m1"]);

    // CoNLL in BILOU written by spantag comes back with the same entity texts.
    let o = spantag(
        &[
            "export", s, "--format", "conll", "--scheme", "bilou", "--layer", "entities", "--out",
            "s.conll",
        ],
        d,
    );
    assert_eq!(code(&o), 1);
    let o = spantag(&["import", "c.ron", "--format", "conll", "s.conll"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("detected as bilou"), "{}", text(&o));
    let p = spantag_core::project_io::load(&d.join("c.ron")).unwrap();
    // The third sample article has no spans but its tokens are written all the same.
    assert_eq!(p.documents.len(), 3);
    let entities: usize = p.documents.iter().map(|d| d.spans.len()).sum();
    assert_eq!(entities, 87);

    // doccano: UTF-16 offsets by default.
    std::fs::write(
        d.join("dc.jsonl"),
        r#"{"id": 1, "text": "👍🏽 Zoë", "label": [[5, 8, "actor"]]}"#,
    )
    .unwrap();
    let o = spantag(&["import", "dc.ron", "--format", "doccano", "dc.jsonl"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let p = spantag_core::project_io::load(&d.join("dc.ron")).unwrap();
    assert_eq!(p.documents[0].spans[0].text, "Zoë");
}

#[test]
fn csv_is_safe_against_formula_injection() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("in.jsonl"),
        r#"{"text": "=HYPERLINK(\"x\") and +1 and @SUM", "spans": [{"start": 0, "end": 15, "label": "claim"}, {"start": 20, "end": 22, "label": "number"}, {"start": 27, "end": 31, "label": "actor"}]}"#,
    )
    .unwrap();
    assert_eq!(
        code(&spantag(
            &["import", "p.ron", "--format", "jsonl", "in.jsonl"],
            d
        )),
        0
    );
    let o = spantag(&["export", "p.ron", "--format", "csv", "--out", "o.csv"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let csv = std::fs::read_to_string(d.join("o.csv")).unwrap();
    assert!(csv.contains(",\"'=HYPERLINK(\"\"x\"\")\","), "{csv}");
    assert!(csv.contains(",\"'+1\","), "{csv}");
    assert!(csv.contains(",\"'@SUM\","), "{csv}");
    for line in csv.lines() {
        for cell in line.split(',') {
            assert!(!cell.starts_with(['=', '+', '@']), "{line}");
        }
    }
}

#[test]
fn export_follows_the_projects_labels_and_says_when_the_entity_layer_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut p = common::markup_project(
        "conll2003",
        &[
            (
                "d1",
                "[PER Zoë Ålund] met [PER  Jane Smith] in [LOC Malmö] 👩\u{200d}👩\u{200d}👧. [claim [ORG Acme] grew]",
            ),
            (
                &"x".repeat(300),
                "[MISC Jose\u{301}] went to [LOC 東京都] 😀",
            ),
        ],
    );
    p.labels
        .retain(|l| ["PER", "LOC", "ORG", "MISC", "claim"].contains(&l.name.as_str()));
    spantag_core::project_io::save(&p, &d.join("p.ron")).unwrap();

    // CoNLL with the project's labels, IOBES; the padded span trimmed and counted.
    let o = spantag(
        &[
            "export", "p.ron", "--format", "conll", "--scheme", "iobes", "--out", "x.conll",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("trimmed 1 span(s)"), "{}", text(&o));
    let c = std::fs::read_to_string(d.join("x.conll")).unwrap();
    for l in [
        "Zoë B-PER\n",
        "Ålund E-PER\n",
        "Jane B-PER\n",
        "Malmö S-LOC\n",
        "Jose\u{301} S-MISC\n",
    ] {
        assert!(c.contains(l), "{l:?} missing:\n{c}");
    }
    assert!(
        std::fs::read_to_string(d.join("x.claims.conll"))
            .unwrap()
            .contains("Acme B-claim\ngrew E-claim\n")
    );

    // doccano to standard output, UTF-16 offsets: the emoji before "Acme" counts twice.
    let o = spantag(&["export", "p.ron", "--format", "doccano", "--out", "-"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let first = String::from_utf8_lossy(&o.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    let t = v["text"].as_str().unwrap();
    let units: Vec<u16> = t.encode_utf16().collect();
    let acme = v["label"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l[2] == "ORG")
        .unwrap();
    let (a, b) = (
        acme[0].as_u64().unwrap() as usize,
        acme[1].as_u64().unwrap() as usize,
    );
    assert_eq!(String::from_utf16(&units[a..b]).unwrap(), "Acme");
    assert_ne!(a, t[..t.find("Acme").unwrap()].chars().count());

    // brat: the 300-character id gets a short, stable file name.
    let o = spantag(&["export", "p.ron", "--format", "brat", "--out", "b"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let names: Vec<String> = std::fs::read_dir(d.join("b"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.iter().all(|n| n.len() <= 130), "{names:?}");

    // hf with a split: one folder per layer and a dataset card.
    let o = spantag(
        &[
            "export",
            "p.ron",
            "--format",
            "hf",
            "--split",
            "train=0.5,test=0.5",
            "--out",
            "hf",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    for f in [
        "README.md",
        "entities/labels.json",
        "entities/train.jsonl",
        "claims/test.jsonl",
    ] {
        assert!(d.join("hf").join(f).exists(), "{f}: {}", text(&o));
    }
    assert!(!d.join("hf/train.jsonl").exists());

    // Entity labels that match nothing: the export is written, says so and exits with 1.
    let o = spantag(
        &[
            "export",
            "p.ron",
            "--format",
            "spacy",
            "--entity-labels",
            "actor,place",
            "--out",
            "x.spacy",
        ],
        d,
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("problem: the entity layer is empty"),
        "{}",
        text(&o)
    );
    assert!(d.join("x.spacy").exists());
    // So does a project whose only labels are passages.
    let q = common::markup_project("claims", &[("c", "[claim It will rain] today")]);
    spantag_core::project_io::save(&q, &d.join("q.ron")).unwrap();
    for f in ["spacy", "conll", "hf"] {
        let out = format!("q.{f}");
        let o = spantag(&["export", "q.ron", "--format", f, "--out", &out], d);
        assert_eq!(code(&o), 1, "{f}: {}", text(&o));
        assert!(text(&o).contains("the entity layer is empty"), "{f}");
    }
    let o = spantag(
        &[
            "export", "q.ron", "--format", "conll", "--layer", "claims", "--out", "c.conll",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    // Span groups are configurable; a bad value is refused before anything is written.
    let o = spantag(
        &[
            "export",
            "p.ron",
            "--format",
            "spacy",
            "--span-groups",
            "sc=every",
            "--out",
            "g.spacy",
        ],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("expected one of: all, entities, claims"),
        "{}",
        text(&o)
    );
    assert!(!d.join("g.spacy").exists());
}
