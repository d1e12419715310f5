//! `spantag import` (and `add`'s decoding) as a process: exit code 0 when everything was kept,
//! 1 when something was not (listed), 2 when the input was refused and nothing was written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use common::{code, out as text, spantag};
use serde_json::json;
use std::path::Path;

/// One input of every format (a file, or a folder for brat), each with spans, and prose.
fn write_inputs(d: &Path) -> Vec<(&'static str, &'static str)> {
    std::fs::write(
        d.join("tasks.jsonl"),
        concat!(
            r#"{"text": "Anna met Bo in Rome", "spans": [{"start": 0, "end": 4, "label": "actor"}]}"#,
            "\n",
            r#"{"text": "Zoë left Malmö", "spans": [{"start": 9, "end": 14, "label": "place"}]}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("doccano.jsonl"),
        concat!(
            r#"{"id": 1, "text": "Anna met Bo in Rome", "label": [[0, 4, "actor"]]}"#,
            "\n",
            r#"{"id": 2, "text": "Zoë left Malmö", "label": [[9, 14, "place"]]}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("ls.json"),
        serde_json::to_string_pretty(&json!([{"id": 1, "data": {"text": "Anna met Bo"},
            "annotations": [{"id": 1, "result": [{"type": "labels", "from_name": "label",
                "to_name": "text", "value": {"start": 0, "end": 4, "text": "Anna",
                "labels": ["actor"]}}]}]}]))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        d.join("wnut.conll"),
        "Zoë\tB-person\nis\tO\nin\tO\n北京\tB-location\n😀\tO\n\nNokia\tB-corporation\nrocks\tO\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("brat")).unwrap();
    std::fs::write(d.join("brat/a.txt"), "Anna met Bo.\r\n").unwrap();
    std::fs::write(d.join("brat/a.ann"), "T1\tactor 0 4\tAnna\n").unwrap();
    std::fs::write(
        d.join("article.txt"),
        "The mayor of Lune Port said on Tuesday that the bridge to Saltmarsh Island would open \
         in the spring.\n\nResidents cheered.\n",
    )
    .unwrap();
    vec![
        ("jsonl", "tasks.jsonl"),
        ("doccano", "doccano.jsonl"),
        ("labelstudio", "ls.json"),
        ("conll", "wnut.conll"),
        ("brat", "brat"),
        ("prose", "article.txt"),
    ]
}

#[test]
fn every_importer_given_another_format_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inputs = write_inputs(d);
    for importer in ["jsonl", "conll", "brat", "labelstudio", "doccano"] {
        for (is, input) in &inputs {
            let o = spantag(&["import", "p.ron", "--format", importer, input], d);
            let t = text(&o);
            if *is == importer {
                assert_eq!(code(&o), 0, "{importer} on {input}: {t}");
                std::fs::remove_file(d.join("p.ron")).unwrap();
                continue;
            }
            assert_eq!(code(&o), 2, "{importer} given {input}: {t}");
            assert!(!d.join("p.ron").exists(), "{importer} given {input}");
            assert!(t.contains("Nothing was imported"), "{t}");
            let hint = if *is == "prose" {
                "spantag add".to_owned()
            } else {
                format!("try --format {is}")
            };
            assert!(t.contains(&hint), "{importer} given {input}: {t}");
        }
    }
}

#[test]
fn an_existing_project_is_left_as_it_was_by_a_refused_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_inputs(d);
    assert_eq!(
        code(&spantag(
            &["import", "p.ron", "--format", "jsonl", "tasks.jsonl"],
            d
        )),
        0
    );
    let before = std::fs::read(d.join("p.ron")).unwrap();
    let o = spantag(
        &["import", "p.ron", "--format", "jsonl", "doccano.jsonl"],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), before);
}

#[test]
fn prodigy_relations_and_task_keys_are_kept_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let task = json!({
        "text": "Ilse Varga met Bo Chen",
        "tokens": [{"text": "Ilse", "start": 0, "end": 4, "id": 0, "ws": true},
                   {"text": "Varga", "start": 5, "end": 10, "id": 1, "ws": true},
                   {"text": "met", "start": 11, "end": 14, "id": 2, "ws": true},
                   {"text": "Bo", "start": 15, "end": 17, "id": 3, "ws": true},
                   {"text": "Chen", "start": 18, "end": 22, "id": 4, "ws": false}],
        "spans": [{"start": 0, "end": 10, "token_start": 0, "token_end": 1, "label": "PERSON"},
                  {"start": 15, "end": 22, "token_start": 3, "token_end": 4, "label": "PERSON"}],
        "relations": [{"head": 1, "child": 4, "label": "MEETS",
                       "head_span": {"start": 0, "end": 10, "token_start": 0, "token_end": 1, "label": "PERSON"},
                       "child_span": {"start": 15, "end": 22, "token_start": 3, "token_end": 4, "label": "PERSON"}}],
        "meta": {"source": "wire", "section": "local"},
        "_view_id": "relations", "answer": "accept", "_input_hash": 1, "_task_hash": 2
    });
    std::fs::write(d.join("rel.jsonl"), format!("{task}\n")).unwrap();
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "rel.jsonl"], d);
    let t = text(&o);
    assert_eq!(code(&o), 0, "{t}");
    assert!(t.contains("imported 1 relation(s)"), "{t}");
    assert!(t.contains("added relation type \"MEETS\""), "{t}");
    // The spans, the relation and the task's keys are in the saved project.
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    assert_eq!(p.span_count(), 2);
    assert!(p.label("PERSON").is_some());
    assert_eq!(p.relation_count(), 1);
    let doc = &p.documents[0];
    assert_eq!(
        doc.meta.get("section").map(String::as_str),
        Some("\"local\"")
    );
    assert_eq!(
        doc.meta.get("prodigy:_view_id").map(String::as_str),
        Some("\"relations\"")
    );
    // A relation whose head is no span of the task is reported, with exit 1.
    let mut bad = task.clone();
    bad["relations"][0]["head_span"] =
        json!({"start": 11, "end": 14, "token_start": 2, "token_end": 2, "label": null});
    bad["relations"][0]["head"] = json!(2);
    bad["text"] = json!("Ilse Varga met Bo Chen!");
    std::fs::write(d.join("bad.jsonl"), format!("{bad}\n")).unwrap();
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "bad.jsonl"], d);
    let t = text(&o);
    assert_eq!(code(&o), 1, "{t}");
    assert!(
        t.contains("its head (11..14) is not one of the task's spans"),
        "{t}"
    );
}

#[test]
fn brat_notes_and_a_discontinuous_span_import_completely_with_nothing_dangling() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("b")).unwrap();
    std::fs::write(
        d.join("b/x.txt"),
        "Ilse Varga met the mayor of Lune Port.\n",
    )
    .unwrap();
    std::fs::write(
        d.join("b/x.ann"),
        "#1\tComment T1\tcheck\nT1\tActor 0 10\tIlse Varga\nT2\tActor 15 24;28 37\tthe mayor Lune Port\n",
    )
    .unwrap();
    let o = spantag(&["import", "p.ron", "--format", "brat", "b"], d);
    let t = text(&o);
    assert_eq!(code(&o), 0, "{t}");
    assert!(!t.contains("does not"), "{t}");
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    let s = &p.documents[0].spans;
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].label, "Actor");
    assert_eq!(s[0].note.as_deref(), Some("Comment: check"));
    // The discontinuous annotation: one span with its two fragments.
    assert_eq!(s[1].text, "the mayor of Lune Port");
    assert_eq!(s[1].fragments, vec![(15, 24), (28, 37)]);
}

#[test]
fn a_complete_import_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_inputs(d);
    let o = spantag(&["import", "p.ron", "--format", "conll", "wnut.conll"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(!text(&o).contains("not kept"), "{}", text(&o));
}

#[test]
fn padded_label_studio_spans_are_trimmed_and_reported_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = "Reporter: Jane Smith said Ørsted will cut jobs in Malmö.\r\n😀";
    let at = |s: &str| {
        let b = t.find(s).unwrap();
        let a = t[..b].chars().count();
        json!({"type": "labels", "from_name": "label", "to_name": "text",
               "value": {"start": a, "end": a + s.chars().count(), "text": s, "labels": ["PER"]}})
    };
    let ls = json!([{"id": 5, "data": {"text": t},
        "annotations": [{"id": 1, "completed_by": 2, "result": [at(" Jane Smith "), at("Ørsted ")]}]}]);
    std::fs::write(d.join("ls.json"), ls.to_string()).unwrap();
    let o = spantag(
        &["import", "p.ron", "--format", "labelstudio", "ls.json"],
        d,
    );
    let out = text(&o);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("trimmed whitespace off the ends of 2 span(s), e.g. document \"5\": \" Jane Smith \" -> \"Jane Smith\""),
        "{out}"
    );
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    let texts: Vec<&str> = p.documents[0]
        .spans
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(texts, ["Jane Smith", "Ørsted"]);
}

#[test]
fn bad_utf8_bytes_are_named_import_exits_2_and_add_skips_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut bytes = "Zoë met the mayor of 北京.\nThe caf".as_bytes().to_vec();
    bytes.push(0xe9);
    bytes.extend_from_slice(" burned on Tuesday in Malmö.\n".as_bytes());
    std::fs::write(d.join("bad.txt"), &bytes).unwrap();
    // import: refused, nothing written.
    let mut jl = br#"{"text": "Zo"#.to_vec();
    jl.push(0xeb);
    jl.extend_from_slice("\", \"spans\": []}\n{\"text\": \"北京\"}\n".as_bytes());
    std::fs::write(d.join("bad.jsonl"), &jl).unwrap();
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "bad.jsonl"], d);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains(
            "UTF-8 except for 1 invalid UTF-8 byte sequence(s): line 1, column 13 (0xEB)"
        ),
        "{}",
        text(&o)
    );
    assert!(!d.join("p.ron").exists());
    // add: that file is not added (exit 1); it is not read as windows-1252.
    assert_eq!(code(&spantag(&["new", "a.ron"], d)), 0);
    let o = spantag(&["add", "a.ron", "bad.txt"], d);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("bad.txt: it is UTF-8 except for 1 invalid UTF-8 byte sequence(s): line 2, column 8 (0xE9)"),
        "{}",
        text(&o)
    );
    let p = spantag_core::project_io::load(&d.join("a.ron")).unwrap();
    assert!(p.documents.is_empty());
    // A real windows-1252 article is still added as such.
    std::fs::write(
        d.join("cp.txt"),
        b"The caf\xe9 burned: \x93we will rebuild\x94, said the mayor of the town.\n",
    )
    .unwrap();
    let o = spantag(&["add", "a.ron", "cp.txt"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("windows-1252"), "{}", text(&o));
}

#[test]
fn doccano_offsets_in_code_points_are_refused_until_the_unit_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = String::new();
    for (i, (t, subs)) in [
        (
            "👍🏽 Zoë Adams met Bo Chen in 北京 today",
            ["Zoë Adams", "Bo Chen", "北京"],
        ),
        (
            "🇸🇪 The mayor of Malmö, Ana Lind, opened it",
            ["Malmö", "Ana Lind", "opened"],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let label: Vec<serde_json::Value> = subs
            .iter()
            .map(|s| {
                let a = t[..t.find(s).unwrap()].chars().count();
                json!([a, a + s.chars().count(), "X"])
            })
            .collect();
        lines.push_str(&json!({"id": i, "text": t, "label": label}).to_string());
        lines.push('\n');
    }
    std::fs::write(d.join("cp.jsonl"), lines).unwrap();
    let o = spantag(&["import", "p.ron", "--format", "doccano", "cp.jsonl"], d);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("pass --offsets codepoints"),
        "{}",
        text(&o)
    );
    assert!(!d.join("p.ron").exists());
    let o = spantag(
        &[
            "import",
            "p.ron",
            "--format",
            "doccano",
            "--offsets",
            "codepoints",
            "cp.jsonl",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    let texts: Vec<&str> = p
        .documents
        .iter()
        .flat_map(|d| d.spans.iter().map(|s| s.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            "Zoë Adams",
            "Bo Chen",
            "北京",
            "Malmö",
            "Ana Lind",
            "opened"
        ]
    );
}
