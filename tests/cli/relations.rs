//! Relations on the command line: `show` marks them (`[claim#4 …]` then `#4 -source-> #2`) and
//! reads back; `stats` counts them per type and the claims without a source; `validate` checks
//! every relation with exit 1 and readable messages; `agree` reports relation P/R/F1 (exact and
//! lenient) in text and JSON; `merge` takes relations into the gold project.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{code, out, spantag};
use serde_json::Value;
use spantag_core::markup::{parse_document, project_from_markup};
use spantag_core::model::{Relation, RelationId, SpanId, Status};
use spantag_core::project_io;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::sync::Arc;

const T: Timestamp = Timestamp(1_795_000_000);

fn save(dir: &Path, file: &str, author: &str, docs: &[(&str, &str)]) -> String {
    let p = project_from_markup(author, docs, author, T).unwrap();
    let path = dir.join(file);
    project_io::save(&p, &path).unwrap();
    path.display().to_string()
}

/// Ana's reading: two claims, the first attributed to the minister; the second has no source.
const ANA: &str = "[claim#c1 [actor#a1 The minister Zoë Ōno] said the port 🎉 will close] and \
                   [claim [actor Москва] may follow]\n#c1 -source-> #a1";

fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

#[test]
fn show_marks_relations_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = save(
        d,
        "ana.ron",
        "ana",
        &[("port", ANA), ("calm", "#1 trending\nNothing.")],
    );
    let o = spantag(&["show", &path], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let shown = String::from_utf8_lossy(&o.stdout).into_owned();
    let p = project_io::load(Path::new(&path)).unwrap();
    let doc = p.doc("port").unwrap();
    let r = &doc.relations[0];
    let (claim, actor) = (r.from, r.to);
    assert!(
        shown.contains(&format!(
            "[claim#{claim} [actor#{actor} The minister Zoë Ōno] said"
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("\n#{claim} -source-> #{actor}\n")),
        "{shown}"
    );
    assert!(shown.contains("(4 spans, 1 relations)"), "{shown}");
    // A line of text that starts with `#` is escaped, so it cannot pass for a relation.
    assert!(shown.contains("\\#1 trending"), "{shown}");
    // The shown markup of the first document reads back: text, spans and the relation.
    let body = shown.split_once("\n\n").unwrap().1;
    let body = body.split_once("\n\n# ").unwrap().0;
    let m = parse_document(body).unwrap();
    assert_eq!(m.text, doc.text);
    assert_eq!(m.spans.len(), doc.spans.len());
    assert_eq!(m.relations.len(), 1);
    let span_of = |i: usize| {
        let s = &m.spans[i];
        (s.start, s.end, s.label.clone())
    };
    let key = |id: SpanId| {
        let s = doc.span(id).unwrap();
        (s.start, s.end, s.label.clone())
    };
    assert_eq!(span_of(m.relations[0].from), key(claim));
    assert_eq!(span_of(m.relations[0].to), key(actor));
    assert_eq!(m.relations[0].kind, "source");
    assert_eq!(m.names[m.relations[0].from], Some(claim.to_string()));
}

#[test]
fn stats_count_relations_per_type_and_claims_without_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = save(
        d,
        "ana.ron",
        "ana",
        &[
            ("port", ANA),
            (
                "quay",
                "[claim#q [actor#b Ben] saw it in [place#l Lune]]\n#q -source-> #b\n#q -location-> #l",
            ),
        ],
    );
    let o = spantag(&["stats", &path, "--json"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["relations"], 3);
    assert_eq!(v["relation_types"]["source"], 2);
    assert_eq!(v["relation_types"]["location"], 1);
    assert_eq!(v["claims_without_source"], 1);
    assert_eq!(v["per_document"][0]["relations"], 1);
    assert_eq!(v["per_document"][0]["claims_without_source"], 1);
    assert_eq!(v["per_document"][1]["claims_without_source"], 0);
    let o = spantag(&["stats", &path], d);
    let text = out(&o);
    assert!(text.contains("relations 3"), "{text}");
    assert!(text.contains("claims without a source 1"), "{text}");
    assert!(text.contains("relations per type"), "{text}");
}

#[test]
fn validate_checks_every_relation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = save(d, "ana.ron", "ana", &[("port", ANA)]);
    let o = spantag(&["validate", &path], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("4 spans, 1 relations"), "{}", out(&o));

    // A relation whose tail is a place although `source` wants an actor: loads, but is listed.
    let mut p = project_io::load(Path::new(&path)).unwrap();
    let doc = Arc::make_mut(&mut p.documents[0]);
    let claim = doc.spans.iter().find(|s| s.label == "claim").unwrap().id;
    let moscow = doc.spans.iter().find(|s| s.text == "Москва").unwrap().id;
    doc.spans.iter_mut().find(|s| s.id == moscow).unwrap().label = "place".into();
    doc.relations.push(Relation {
        id: RelationId(7),
        from: claim,
        to: moscow,
        kind: "source".into(),
        author: "ana".into(),
        created: T,
        status: Status::Pending,
        review: None,
        note: None,
        proposed_by: Vec::new(),
    });
    p.normalize();
    let lint = d.join("lint.ron");
    project_io::save(&p, &lint).unwrap();
    let o = spantag(&["validate", lint.to_str().unwrap()], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("1 problem(s)"), "{text}");
    assert!(
        text.contains(&format!(
            "relation 7: its to span {moscow} is a place, but a source relation's to span is a actor"
        )) || text.contains("relation 7: its to span"),
        "{text}"
    );
    assert!(text.contains("relabel the span"), "{text}");
    assert!(!text.contains("spantag fix"), "{text}");

    // A relation that names a span the document lacks: refused with its line, exit 1.
    let file = std::fs::read_to_string(&path).unwrap();
    let broken_text = file.replacen(&format!("to: {},", doc_actor(&path)), "to: 999,", 1);
    assert_ne!(broken_text, file, "the relation's `to` is in the file");
    let broken = d.join("broken.ron");
    std::fs::write(&broken, &broken_text).unwrap();
    let o = spantag(&["validate", broken.to_str().unwrap()], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("999"), "{text}");
    assert!(text.contains("relation"), "{text}");
    // Never changed.
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), broken_text);
}

fn doc_actor(path: &str) -> SpanId {
    let p = project_io::load(Path::new(path)).unwrap();
    p.documents[0].relations[0].to
}

/// Ana and Ben mark the same claims; Ben's second actor is two characters shorter. Both link
/// each claim to its actor; Ben also links the first claim to that actor as `location`.
/// Exact: tp 1 (the first source), fp 2, fn 1 (F1 2/5). Lenient: the shorter actor overlaps, so
/// tp 2, fp 1, fn 0 (F1 4/5).
#[test]
fn agree_reports_relation_scores_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ana_doc = "[claim#c1 [actor#a1 The minister Zoë Ōno] said the port 🎉 will close] and \
                   [claim#c2 [actor#a2 Москва] may follow]\n#c1 -source-> #a1\n#c2 -source-> #a2";
    let ben_doc = "[claim#c1 [actor#a1 The minister Zoë Ōno] said the port 🎉 will close] and \
                   [claim#c2 [actor#a2 Моск]ва may follow]\n#c1 -source-> #a1\n#c2 -source-> #a2\n\
                   #c1 -location-> #a2";
    let ana = save(d, "ana.ron", "ana", &[("port", ana_doc)]);
    let ben = save(d, "ben.ron", "ben", &[("port", ben_doc)]);
    let o = spantag(&["agree", &ana, &ben, "--json"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let exact = &v["relations"]["exact"]["pairs"][0]["report"];
    // Exact: the first source relation matches; Ben's second has a shorter actor; his location
    // relation is his alone.
    assert_eq!(exact["micro"]["tp"], 1);
    assert_eq!(exact["micro"]["fp"], 2);
    assert_eq!(exact["micro"]["fn"], 1);
    close(&exact["micro"]["f1"], 2.0 / 5.0);
    assert_eq!(exact["per_label"]["location"]["fp"], 1);
    let lenient = &v["relations"]["lenient"]["pairs"][0]["report"];
    assert_eq!(lenient["mode"], "overlap");
    assert_eq!(lenient["micro"]["tp"], 2);
    assert_eq!(lenient["micro"]["fp"], 1);
    assert_eq!(lenient["micro"]["fn"], 0);
    close(&lenient["micro"]["precision"], 2.0 / 3.0);
    close(&lenient["micro"]["recall"], 1.0);
    close(&v["relations"]["lenient"]["mean"]["f1"], 0.8);
    close(&v["documents"][0]["relation_f1"], 2.0 / 5.0);
    let o = spantag(&["agree", &ana, &ben], d);
    let text = out(&o);
    assert!(
        text.contains("relation level, exact match (same type, both spans equal)"),
        "{text}"
    );
    assert!(text.contains("F1 40.0%"), "{text}");
    assert!(text.contains("F1 80.0%"), "{text}");

    // Nobody made a relation: undefined, never NaN.
    let a = save(d, "a0.ron", "ana", &[("x", "[actor Ana] came.")]);
    let b = save(d, "b0.ron", "ben", &[("x", "[actor Ana] came.")]);
    let o = spantag(&["agree", &a, &b, "--json"], d);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["relations"]["exact"]["mean"]["f1"].is_null());
    assert!(v["documents"][0]["relation_f1"].is_null());
}

#[test]
fn merge_takes_relations_into_the_gold_project() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ana = save(d, "ana.ron", "ana", &[("port", ANA)]);
    let ben_doc = "[claim#c1 [actor#a1 The minister Zoë Ōno] said the port 🎉 will close] and \
                   [claim#c2 [actor#a2 Москва] may follow]\n#c1 -source-> #a1\n#c2 -source-> #a2";
    let ben = save(d, "ben.ron", "ben", &[("port", ben_doc)]);
    let gold = d.join("gold.ron");
    let o = spantag(&["merge", &ana, &ben, "--out", gold.to_str().unwrap()], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        out(&o).contains("1 relations accepted, 1 pending"),
        "{}",
        out(&o)
    );
    let p = project_io::load(&gold).unwrap();
    let doc = &p.documents[0];
    assert_eq!(doc.relations.len(), 2);
    for r in &doc.relations {
        let (from, to) = (doc.span(r.from).unwrap(), doc.span(r.to).unwrap());
        assert_eq!((from.label.as_str(), to.label.as_str()), ("claim", "actor"));
        if to.text == "Москва" {
            assert_eq!(r.status, Status::Pending);
            assert_eq!(r.proposed_by, ["ben"]);
        } else {
            assert_eq!(r.status, Status::Accepted);
            assert_eq!(r.proposed_by, ["ana", "ben"]);
        }
    }
    assert!(p.relation_type("source").is_some());
}
