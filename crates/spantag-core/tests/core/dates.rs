//! Timestamps in project files: an impossible date or time is a load problem that names the file
//! and the line, never accepted and never rewritten; valid ones survive a load and a save byte
//! for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::project_io::{self, ProjectError};
use std::path::Path;

fn sample() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../projects/sample.ron");
    std::fs::read_to_string(path).expect("projects/sample.ron exists")
}

/// The sample project with the `n`th (from 0) `created` timestamp replaced by `bad`, and the line
/// (from 1) it is on.
fn with_created(n: usize, bad: &str) -> (String, usize) {
    let text = sample();
    let key = "created: \"2026-11-18T11:06:40Z\"";
    let (at, _) = text.match_indices(key).nth(n).expect("enough spans");
    let line = text[..at].matches('\n').count() + 1;
    let edited = format!(
        "{}created: \"{bad}\"{}",
        &text[..at],
        &text[at + key.len()..]
    );
    (edited, line)
}

#[test]
fn impossible_created_date_fails_to_load_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("news.ron");
    let (text, line) = with_created(4, "2026-02-31T10:00:00Z");
    std::fs::write(&path, &text).unwrap();
    let err = project_io::load(&path).expect_err("February 31st is refused");
    let ProjectError::Invalid { problems, .. } = &err else {
        panic!("expected a problem, got {err:?}");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, Some(line));
    let msg = err.to_string();
    assert!(msg.contains("news.ron"), "{msg}");
    assert!(msg.contains(&format!("line {line}: ")), "{msg}");
    assert!(msg.contains("2026-02-31T10:00:00Z"), "{msg}");
    assert!(msg.contains("February 2026 has 28 days"), "{msg}");
    // Nothing was written.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn every_kind_of_impossible_timestamp_is_refused_on_its_line() {
    for (n, bad) in [
        (0, "2026-02-30T10:00:00Z"),
        (1, "2026-04-31T10:00:00Z"),
        (2, "2025-02-29T10:00:00Z"),
        (3, "2026-11-18T24:00:00Z"),
        (5, "2026-11-18T11:60:00Z"),
        (6, "2016-12-31T23:59:60Z"),
        (7, "2026-13-18T11:06:40Z"),
        (8, "2026-11-00T11:06:40Z"),
    ] {
        let (text, line) = with_created(n, bad);
        let err = project_io::from_ron_str(&text, Path::new("p.ron")).expect_err(bad);
        let msg = err.to_string();
        assert!(
            msg.starts_with("p.ron: 1 problem(s):")
                && msg.contains(&format!("line {line}: invalid timestamp \"{bad}\"")),
            "{bad}: {msg}"
        );
    }
}

#[test]
fn leap_days_load_and_save_unchanged() {
    let (text, _) = with_created(2, "2024-02-29T23:59:59Z");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leap.ron");
    std::fs::write(&path, &text).unwrap();
    let p = project_io::load(&path).expect("a real leap day loads");
    project_io::save(&p, &path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}
