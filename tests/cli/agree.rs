//! `spantag agree` on real project files: documents matched by content (different order, partly
//! missing), hand-computed span figures, and the degenerate case where nobody marked anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use spantag_core::markup::project_from_markup;
use spantag_core::time::Timestamp;
use std::path::Path;
use std::process::Command;

const T: Timestamp = Timestamp(1_795_000_000);

fn save(dir: &Path, file: &str, author: &str, docs: &[(&str, &str)]) -> String {
    let p = project_from_markup(author, docs, author, T).unwrap();
    let path = dir.join(file);
    spantag_core::project_io::save(&p, &path).unwrap();
    path.display().to_string()
}

fn agree(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spantag"))
        .arg("agree")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!((got - want).abs() < 1e-9, "got {got}, want {want}");
}

/// Ana and Ben share two articles (in different order); each has one the other lacks. In the
/// first shared article Ben's place span starts one word later (emoji and CRLF-free text, but a
/// combining mark and non-Latin script keep offsets honest).
#[test]
fn agree_matches_by_content_and_scores_exact_vs_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ana = save(
        d,
        "ana.ron",
        "ana",
        &[
            (
                "harbour",
                "[actor The mayor] of [place Lune Port] said 🎉 [number 40] jobs",
            ),
            (
                "bridge",
                "[actor Zoë Café] in [place Киев] says [claim the bridge will open]",
            ),
            ("only-ana", "A quiet day in the valley."),
        ],
    );
    let ben = save(
        d,
        "ben.ron",
        "ben",
        &[
            ("only-ben", "Another text nobody else has."),
            (
                "bridge-b",
                "[actor Zoë Café] in [place Киев] says [claim the bridge will open]",
            ),
            (
                "harbour-b",
                "[actor The mayor] of Lune [place Port] said 🎉 [number 40] jobs",
            ),
        ],
    );
    let json: Value = serde_json::from_str(&agree(&[&ana, &ben, "--json"])).unwrap();
    assert_eq!(json["annotators"], serde_json::json!(["ana", "ben"]));
    assert_eq!(json["shared_documents"], 2);
    assert_eq!(json["skipped_documents"], 2);
    // Exact: 6 spans each side, 5 identical -> P = R = F1 = 5/6.
    let exact = &json["exact"]["pairs"][0]["report"];
    assert_eq!(exact["micro"]["tp"], 5);
    assert_eq!(exact["micro"]["fp"], 1);
    assert_eq!(exact["micro"]["fn"], 1);
    close(&exact["micro"]["f1"], 5.0 / 6.0);
    // Only the place label suffers: 1 of 2 exact.
    close(&exact["per_label"]["place"]["f1"], 0.5);
    // Overlap: "Lune Port" and "Port" overlap with the same label -> all match.
    let overlap = &json["overlap"]["pairs"][0]["report"];
    assert_eq!(overlap["micro"]["tp"], 6);
    close(&overlap["micro"]["f1"], 1.0);
    // The confusion matrix pairs the two place spans.
    assert_eq!(
        json["confusion"][0]["matrix"]["counts"]["place"]["place"],
        2
    );
    // Per document, worst first: the harbour article (ana's id) with exact F1 2/3.
    let docs = json["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0]["id"], "harbour");
    close(&docs[0]["exact_f1"], 2.0 / 3.0);
    close(&docs[0]["overlap_f1"], 1.0);
    assert_eq!(docs[1]["id"], "bridge");
    close(&docs[1]["exact_f1"], 1.0);
    close(&docs[1]["entity_kappa"], 1.0);
    // Layers: entities, then claims; the claim layer agrees perfectly.
    assert_eq!(json["layers"][0]["layer"], "entities");
    assert_eq!(json["layers"][1]["layer"], "claims");
    close(&json["layers"][1]["cohen_kappa"], 1.0);
    let ek = json["layers"][0]["cohen_kappa"].as_f64().unwrap();
    assert!(ek > 0.5 && ek < 1.0, "entity kappa {ek}");

    let text = agree(&[&ana, &ben]);
    assert!(text.contains("2 shared documents (2 skipped"), "{text}");
    assert!(text.contains("F1 83.3%"), "{text}");
    assert!(text.contains("F1 100.0%"), "{text}");
    assert!(!text.contains("NaN"), "{text}");
}

#[test]
fn agree_with_three_annotators_reports_pairs_and_means() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let doc = "[actor The council] met in [place Ostbury]";
    let a = save(d, "a.ron", "a", &[("x", doc)]);
    let b = save(d, "b.ron", "b", &[("x", doc)]);
    let c = save(
        d,
        "c.ron",
        "c",
        &[("x", "[actor The council] met in Ostbury")],
    );
    let json: Value = serde_json::from_str(&agree(&[&a, &b, &c, "--json"])).unwrap();
    assert_eq!(json["exact"]["pairs"].as_array().unwrap().len(), 3);
    // Pairs: a-b 1.0, a-c 2/3, b-c 2/3.
    close(
        &json["exact"]["mean"]["f1"],
        (1.0 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0,
    );
    assert!(json["layers"][0]["fleiss_kappa"].is_number());
    assert!(json["layers"][0]["cohen_kappa"]["undefined"].is_string());
    assert!(json["layers"][0]["mean_pairwise_cohen_kappa"].is_number());
}

#[test]
fn agree_without_spans_says_undefined_never_nan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = save(d, "a.ron", "a", &[("x", "Nothing marked here.")]);
    let b = save(d, "b.ron", "b", &[("x", "Nothing marked here.")]);
    let text = agree(&[&a, &b]);
    assert!(text.contains("undefined"), "{text}");
    assert!(!text.to_lowercase().contains("nan"), "{text}");
    let raw = agree(&[&a, &b, "--json"]);
    assert!(!raw.contains("NaN"), "{raw}");
    let json: Value = serde_json::from_str(&raw).unwrap();
    assert!(json["exact"]["pairs"][0]["report"]["micro"]["f1"].is_null());
    assert!(json["layers"][0]["cohen_kappa"]["undefined"].is_string());
    assert!(json["documents"][0]["exact_f1"].is_null());
}

/// Without `--entity-labels` the layers follow the projects' labels: claim-, quote- and
/// sentence-like labels form the claim layer, every other label the entity layer.
#[test]
fn agree_layers_follow_the_project_labels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let doc = "[person Ida Berg] of [org Nordhavn Ferries]: [quote we sail at dawn]";
    let a = save(d, "a.ron", "a", &[("x", doc)]);
    let b = save(d, "b.ron", "b", &[("x", doc)]);
    let json: Value = serde_json::from_str(&agree(&[&a, &b, "--json"])).unwrap();
    // The markup fixture starts from the default labels (actor, place, number, claim).
    assert_eq!(
        json["layers"][0]["categories"],
        serde_json::json!(["O", "actor", "place", "number", "person", "org"])
    );
    assert_eq!(
        json["layers"][1]["categories"],
        serde_json::json!(["O", "claim", "quote"])
    );
    close(&json["layers"][0]["cohen_kappa"], 1.0);
    close(&json["layers"][1]["cohen_kappa"], 1.0);
    // Given labels still win.
    let json: Value =
        serde_json::from_str(&agree(&[&a, &b, "--json", "--entity-labels", "person"])).unwrap();
    assert_eq!(
        json["layers"][0]["categories"],
        serde_json::json!(["O", "person"])
    );
}
