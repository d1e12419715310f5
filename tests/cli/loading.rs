//! Strict, helpful loading: what loading refuses (text after the project, unknown fields, ids out
//! of range, newer versions) it reports with its line and never saves over; what it can read
//! without loss (a byte-order mark, CRLF line breaks) it reads. Spans that begin or end in
//! whitespace load, `validate` reports them and `fix` trims them. Problem lists are capped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{code, markup_project, out, spantag};
use spantag_core::model::Project;
use spantag_core::project_io;
use std::path::Path;

/// Articles with emoji, combining marks and non-Latin scripts.
const DOCS: &[(&str, &str)] = &[
    (
        "lune",
        "[actor Zoë Varga] met [actor e\u{301}mile] in [place 東京] 🇯🇵.\n\n[claim Prices rose [number 3,4 %] 👩\u{200d}👩\u{200d}👧]\n",
    ),
    (
        "привет",
        "[actor Анна] сказала: «[claim [place Москва] ждёт]».\nمرحبا [actor سلمى]\n",
    ),
];

/// Saves `project` as `p.ron` in `d` and returns the file's text.
fn save(project: &Project, d: &Path) -> String {
    project_io::save(project, &d.join("p.ron")).unwrap();
    std::fs::read_to_string(d.join("p.ron")).unwrap()
}

/// The line (from 1) of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in the file"));
    text[..at].matches('\n').count() + 1
}

/// Writes `text` as `p.ron` and checks that every command that saves refuses it (exit 2) and
/// leaves it as it was, with no `.bak`. Returns what `spantag validate` printed, with its exit
/// code.
fn refused_everywhere(d: &Path, text: &[u8]) -> (i32, String) {
    std::fs::write(d.join("p.ron"), text).unwrap();
    std::fs::write(d.join("more.txt"), "Another story about Zoë 🌍.\n").unwrap();
    std::fs::write(
        d.join("in.jsonl"),
        "{\"text\": \"Zoë 🌍\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"actor\"}]}\n",
    )
    .unwrap();
    for args in [
        vec!["add", "p.ron", "more.txt"],
        vec!["import", "p.ron", "--format", "jsonl", "in.jsonl"],
        vec!["fix", "p.ron"],
        vec!["stats", "p.ron"],
    ] {
        let o = spantag(&args, d);
        assert_eq!(code(&o), 2, "{args:?}: {}", out(&o));
        assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), text, "{args:?}");
        assert!(!d.join("p.ron.bak").exists(), "{args:?} saved");
    }
    let o = spantag(&["validate", "p.ron"], d);
    (code(&o), out(&o))
}

#[test]
fn trailing_text_after_the_project_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = save(&markup_project("p", DOCS), d);
    let last = text.lines().count();
    // Short tails (the fast parser once looked only at the last 64 bytes) and a long one.
    for (tail, line) in [
        (">>>>>>> theirs\n".to_owned(), last + 1),
        ("\n=======\nx\n".to_owned(), last + 2),
        (
            format!("\n\n{}\n", "(name: \"ünïcode 🌍\") ".repeat(10)),
            last + 3,
        ),
    ] {
        let (exit, said) = refused_everywhere(d, format!("{text}{tail}").as_bytes());
        assert_eq!(exit, 1, "{said}");
        assert!(
            said.contains(&format!(
                "p.ron:{line}:1: syntax error: text after the end of the project"
            )),
            "{said}"
        );
        if tail.contains(">>>>>>>") {
            assert!(
                said.contains(&format!("line {line} is a git conflict marker")),
                "{said}"
            );
        }
    }
}

#[test]
fn unknown_field_is_reported_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = save(&markup_project("p", DOCS), d);
    for (after, insert, what) in [
        ("  name: \"p\",\n", "  owner: \"ana\",\n", "`owner`"),
        (
            "      name: \"place\",\n",
            "      colour: \"#ff0000\",\n",
            "`colour` in Label",
        ),
        (
            "      done: false,\n",
            "      pinned: true,\n",
            "`pinned` in Document",
        ),
        (
            "        encoding: \"UTF-8\",\n",
            "        bom: false,\n",
            "`bom` in Source",
        ),
        ("(id: 3, ", "confidence: 0.9, ", "`confidence` in Span"),
    ] {
        let at = text.find(after).unwrap() + after.len();
        let line = text[..at].matches('\n').count() + 1;
        let edited = format!("{}{insert}{}", &text[..at], &text[at..]);
        let (exit, said) = refused_everywhere(d, edited.as_bytes());
        assert_eq!(exit, 1, "{said}");
        assert!(
            said.contains(&format!("line {line}: unknown field {what}")),
            "{what}: {said}"
        );
        assert!(said.contains("saving would drop it"), "{said}");
    }
}

#[test]
fn out_of_range_next_span_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = save(&markup_project("p", DOCS), d);
    let line = line_of(&text, "next_span_id:");
    let counter = text.lines().nth(line - 1).unwrap().to_owned();
    for big in ["18446744073709551615", "9007199254740993"] {
        let edited = text.replacen(&counter, &format!("  next_span_id: {big},"), 1);
        let (exit, said) = refused_everywhere(d, edited.as_bytes());
        assert_eq!(exit, 1, "{said}");
        assert!(
            said.contains(&format!(
                "line {line}: next_span_id {big} is over the largest allowed, 9007199254740992"
            )),
            "{said}"
        );
    }
    // A span id over 2^53 - 1, on its line.
    let span_line = line_of(&text, "(id: 2, ");
    let edited = text.replacen("(id: 2, ", "(id: 9007199254740992, ", 1);
    let (exit, said) = refused_everywhere(d, edited.as_bytes());
    assert_eq!(exit, 1, "{said}");
    assert!(
        said.contains(&format!(
            "line {span_line}: document \"lune\": span 9007199254740992: span id 9007199254740992 is over the largest allowed"
        )),
        "{said}"
    );
    // The largest counter loads; an import then has no id left to give and says so.
    let edited = text.replacen(&counter, "  next_span_id: 9007199254740992,", 1);
    std::fs::write(d.join("p.ron"), &edited).unwrap();
    let o = spantag(&["validate", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "in.jsonl"], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(out(&o).contains("no span id is left"), "{}", out(&o));
}

/// A project whose documents were imported from CRLF articles, written as git's `core.autocrlf`
/// checks it out: every line ends in CRLF.
#[test]
fn crlf_project_reads_as_the_lf_file_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("win.txt"),
        "Zoë Varga 👩\u{200d}👩\u{200d}👧 said:\r\n\r\nМосква e\u{301} 東京\r\n",
    )
    .unwrap();
    let o = spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let o = spantag(&["add", "p.ron", "win.txt"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    // Spans too: the project written by spantag is the LF original.
    let mut p = project_io::load(&d.join("p.ron")).unwrap();
    for doc in markup_project("p", DOCS).documents {
        p.documents.push(doc);
    }
    p.normalize();
    let lf = save(&p, d);
    assert!(!lf.contains('\r'));
    let crlf = lf.replace('\n', "\r\n");
    std::fs::write(d.join("p.ron"), &crlf).unwrap();

    let o = spantag(&["validate", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        out(&o).contains("p.ron: ok (3 documents, 9 spans"),
        "{}",
        out(&o)
    );
    let loaded = project_io::load(&d.join("p.ron")).unwrap();
    assert_eq!(loaded, p, "nothing changes in the texts, spans or sources");
    assert_eq!(
        loaded.documents[0].text,
        "Zoë Varga 👩\u{200d}👩\u{200d}👧 said:\n\nМосква e\u{301} 東京\n"
    );
    assert_eq!(
        loaded.documents[0].source.line_endings,
        spantag_core::model::LineEndings::Crlf
    );
    // The next save writes the LF file again, with the new article added.
    std::fs::write(d.join("more.txt"), "Another story 🌍\n").unwrap();
    let o = spantag(&["add", "p.ron", "more.txt"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let saved = std::fs::read_to_string(d.join("p.ron")).unwrap();
    assert!(!saved.contains('\r'));
    let again = project_io::load(&d.join("p.ron")).unwrap();
    assert_eq!(again.documents[..3], p.documents[..]);
    assert_eq!(std::fs::read_to_string(d.join("p.ron.bak")).unwrap(), crlf);
}

#[test]
fn crlf_on_some_lines_only_gets_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = save(&markup_project("p", DOCS), d);
    let cut = text.find("documents:").unwrap();
    let mixed = format!("{}{}", &text[..cut], text[cut..].replace('\n', "\r\n"));
    let (exit, said) = refused_everywhere(d, mixed.as_bytes());
    assert_eq!(exit, 1, "{said}");
    assert!(said.contains("does not match the text"), "{said}");
    assert!(said.contains("hint: "), "{said}");
    assert!(
        said.contains("end in CRLF (Windows line endings)"),
        "{said}"
    );
    assert!(said.contains("dos2unix"), "{said}");
}

#[test]
fn bom_project_loads_and_saves_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let project = markup_project("p", DOCS);
    let text = save(&project, d);
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    std::fs::write(d.join("p.ron"), &bytes).unwrap();
    let o = spantag(&["validate", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(project_io::load(&d.join("p.ron")).unwrap(), project);
    let o = spantag(&["show", "p.ron", "--doc", "привет"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        out(&o).contains("[actor Анна] сказала: «[claim [place Москва] ждёт]»."),
        "{}",
        out(&o)
    );
    std::fs::write(d.join("more.txt"), "Another story 🌍\n").unwrap();
    let o = spantag(&["add", "p.ron", "more.txt"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let saved = std::fs::read(d.join("p.ron")).unwrap();
    assert!(saved.starts_with(b"(\n"), "written without the mark");
}

#[test]
fn every_future_schema_version_gets_the_same_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = save(&markup_project("p", DOCS), d);
    let nines = "9".repeat(40);
    for v in [
        "3",
        "4294967295",
        "4294967296",
        "18446744073709551616",
        nines.as_str(),
    ] {
        let edited = text.replacen("schema_version: 2,", &format!("schema_version: {v},"), 1);
        let (exit, said) = refused_everywhere(d, edited.as_bytes());
        assert_eq!(exit, 2, "{v}: {said}");
        assert!(
            said.contains(&format!(
                "written by a newer spantag (schema version {v}; this build reads up to 2)"
            )),
            "{v}: {said}"
        );
        assert!(said.contains("the file was left untouched"), "{said}");
    }
}

/// Spans that begin or end in whitespace, as older versions and other tools made them.
fn edged_project() -> Project {
    markup_project(
        "p",
        &[
            (
                "lune",
                "[actor  Zoë Varga] met [actor e\u{301}mile\u{a0}] in [place [place 東京] ] 🇯🇵.\n\n[claim Prices rose 👩\u{200d}👩\u{200d}👧\n]",
            ),
            ("привет", "[actor Анна] сказала: [number  ] «Москва»"),
        ],
    )
}

#[test]
fn validate_reports_whitespace_edged_spans() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = save(&edged_project(), d);
    // Loading accepts the project: every other command works on it.
    for args in [vec!["stats", "p.ron"], vec!["show", "p.ron"]] {
        let o = spantag(&args, d);
        assert_eq!(code(&o), 0, "{args:?}: {}", out(&o));
    }
    let o = spantag(&["validate", "p.ron"], d);
    let said = out(&o);
    assert_eq!(code(&o), 1, "{said}");
    assert!(said.contains("p.ron: 5 problem(s):"), "{said}");
    for (id, what) in [
        (1, r#"actor span 0..10 " Zoë Varga" begins with whitespace"#),
        (
            2,
            r#"actor span 15..22 "e\u{301}mile\u{a0}" ends with whitespace"#,
        ),
        (3, r#"place span 26..29 "東京 " ends with whitespace"#),
        (
            5,
            r#"claim span 35..53 "Prices rose 👩\u{200d}👩\u{200d}👧\n" ends with whitespace"#,
        ),
        (7, r#"number span 14..15 " " is only whitespace"#),
    ] {
        let line = line_of(&text, &format!("(id: {id}, "));
        assert!(
            said.contains(&format!("line {line}: document ")) && said.contains(what),
            "span {id}: {said}"
        );
        assert!(
            said.lines()
                .any(|l| l.starts_with(&format!("  - line {line}: ")) && l.contains(what)),
            "span {id} on line {line}: {said}"
        );
    }
    assert!(
        said.contains("`spantag fix p.ron` trims these spans"),
        "{said}"
    );
    assert_eq!(std::fs::read_to_string(d.join("p.ron")).unwrap(), text);
}

#[test]
fn fix_trims_whitespace_edged_spans() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = edged_project();
    let text = save(&before, d);
    let o = spantag(&["fix", "p.ron"], d);
    let said = out(&o);
    assert_eq!(code(&o), 0, "{said}");
    for line in [
        r#"document "lune": span 1 (actor): 0..10 " Zoë Varga" → 1..10 "Zoë Varga""#,
        r#"document "lune": span 2 (actor): 15..22 "e\u{301}mile\u{a0}" → 15..21 "e\u{301}mile""#,
        r#"document "lune": span 3 (place): 26..29 "東京 " removed: trimmed to 26..28, it would be the same place span as span 4"#,
        r#"document "lune": span 5 (claim): 35..53 "Prices rose 👩\u{200d}👩\u{200d}👧\n" → 35..52 "Prices rose 👩\u{200d}👩\u{200d}👧""#,
        r#"document "привет": span 7 (number): 14..15 " " removed: it is only whitespace"#,
        "p.ron: trimmed 3 span(s), removed 1 that were only whitespace and 1 that became duplicates; the old file is p.ron.bak",
    ] {
        assert!(said.lines().any(|l| l == line), "{line}\n{said}");
    }
    // One save: the old file is the .bak.
    assert_eq!(std::fs::read_to_string(d.join("p.ron.bak")).unwrap(), text);
    let o = spantag(&["validate", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let after = project_io::load(&d.join("p.ron")).unwrap();
    for (a, b) in after.documents.iter().zip(&before.documents) {
        assert_eq!(a.text, b.text, "document texts are untouched");
    }
    let o = spantag(&["show", "p.ron", "--doc", "lune"], d);
    assert!(
        out(&o).contains("[actor Zoë Varga] met [actor e\u{301}mile]\u{a0} in [place 東京]  🇯🇵."),
        "{}",
        out(&o)
    );
    // Nothing left to fix: exit 0, no save.
    let saved = std::fs::read(d.join("p.ron")).unwrap();
    let o = spantag(&["fix", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(
        out(&o).contains("p.ron: nothing to fix (no span begins or ends in whitespace)"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), saved);
    assert_eq!(std::fs::read_to_string(d.join("p.ron.bak")).unwrap(), text);
}

/// Lines of `said` that are list entries (`  - `).
fn entries(said: &str) -> usize {
    said.lines().filter(|l| l.starts_with("  - ")).count()
}

#[test]
fn problem_lists_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 250 problems that stop loading: spans under a label the project does not define.
    let many = "[actor Zoë 🌍] e\u{301} ".repeat(250);
    let text = save(&markup_project("p", &[("d", &many)]), d);
    let unknown = text.replace("name: \"actor\"", "name: \"person\"");
    let (exit, said) = refused_everywhere(d, unknown.as_bytes());
    assert_eq!(exit, 1, "{said}");
    assert!(said.contains("250 problem(s)"), "{said}");
    assert_eq!(entries(&said), 101, "{said}");
    assert!(said.contains("  - … and 150 more"), "{said}");
    // 250 that loading accepts: whitespace-edged spans.
    let edged = "[actor Zoë ] e\u{301} ".repeat(250);
    save(&markup_project("p", &[("d", &edged)]), d);
    let o = spantag(&["validate", "p.ron"], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert_eq!(entries(&out(&o)), 101, "{}", out(&o));
    assert!(out(&o).contains("  - … and 150 more"), "{}", out(&o));
    // An import with one good record (so it is jsonl) and 150 bad ones.
    let bad: String = std::iter::once("{\"text\": \"Zoë 🌍\", \"spans\": []}\n".to_owned())
        .chain((0..150).map(|i| format!("not json {i} 🌍\n")))
        .collect();
    std::fs::write(d.join("bad.jsonl"), bad).unwrap();
    let o = spantag(&["import", "q.ron", "--format", "jsonl", "bad.jsonl"], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(
        out(&o).contains("150 problem(s), not imported:"),
        "{}",
        out(&o)
    );
    assert_eq!(entries(&out(&o)), 101, "{}", out(&o));
    assert!(out(&o).contains("  - … and 50 more"), "{}", out(&o));
    // `add` with 120 files it cannot read.
    let o = spantag(&["new", "r.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    std::fs::create_dir(d.join("blank")).unwrap();
    for i in 0..120 {
        std::fs::write(d.join(format!("blank/{i:03}.txt")), " \t\u{a0}\n").unwrap();
    }
    let o = spantag(&["add", "r.ron", "blank"], d);
    let said = out(&o);
    assert_eq!(code(&o), 1, "{said}");
    assert_eq!(
        said.lines()
            .filter(|l| l.ends_with(": the file contains only whitespace"))
            .count(),
        100,
        "{said}"
    );
    assert!(said.contains("error: … and 20 more"), "{said}");
    assert!(said.contains("0 added, 120 could not be read"), "{said}");
}

#[test]
fn a_whitespace_only_article_is_not_called_empty() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    std::fs::write(d.join("blank.txt"), "\u{feff} \r\n\t\u{a0}\u{3000}\n").unwrap();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    std::fs::write(d.join("bom.txt"), "\u{feff}").unwrap();
    let o = spantag(&["add", "p.ron", "blank.txt", "empty.txt", "bom.txt"], d);
    let said = out(&o);
    assert_eq!(code(&o), 1, "{said}");
    assert!(
        said.contains("blank.txt: the file contains only whitespace"),
        "{said}"
    );
    assert!(said.contains("empty.txt: the file is empty"), "{said}");
    assert!(said.contains("bom.txt: the file is empty"), "{said}");
}
