//! Runs the built `spantag` binary for every foundation subcommand, including failures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{code, out, spantag};
use std::path::{Path, PathBuf};

const ARTICLE: &str = "“Rates will rise,” said Mayor Ilse Varga – it’s café season in Lune\u{a0}Port.\n\nThe council spent £2.1 million.\n";

/// The same article in the encodings and line endings people actually send.
fn write_variants(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: Vec<u8>| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push(p);
    };
    put("utf8.txt", ARTICLE.as_bytes().to_vec());
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(ARTICLE.as_bytes());
    put("utf8-bom.txt", bom);
    let mut u16le = vec![0xff, 0xfe];
    for u in ARTICLE.encode_utf16() {
        u16le.extend_from_slice(&u.to_le_bytes());
    }
    put("utf16le.txt", u16le);
    let mut u16be = vec![0xfe, 0xff];
    for u in ARTICLE.encode_utf16() {
        u16be.extend_from_slice(&u.to_be_bytes());
    }
    put("utf16be.md", u16be);
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(ARTICLE);
    assert!(!unmappable);
    put("cp1252.txt", cp1252.into_owned());
    put("crlf.txt", ARTICLE.replace('\n', "\r\n").into_bytes());
    files
}

#[test]
fn same_article_in_every_encoding_imports_to_identical_text() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = write_variants(d);
    let o = spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    for f in &files {
        // Each variant in its own project: the duplicate check would skip identical texts.
        let proj = format!("{}.ron", f.file_stem().unwrap().to_string_lossy());
        assert_eq!(code(&spantag(&["new", &proj], d)), 0);
        let o = spantag(&["add", &proj, f.to_str().unwrap()], d);
        assert_eq!(code(&o), 0, "{}", out(&o));
        let p = spantag_core::project_io::load(&d.join(&proj)).unwrap();
        assert_eq!(p.documents.len(), 1);
        assert_eq!(p.documents[0].text, ARTICLE, "{}", f.display());
    }
    let o = spantag(&["add", "cp1252.ron", "cp1252.txt"], d);
    assert_eq!(code(&o), 1, "a second copy is skipped and reported");
    assert!(out(&o).contains("same text as document"), "{}", out(&o));
    let o = spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 2, "new refuses to overwrite");
    // Reports: encoding and normalisation per file.
    let o = spantag(&["add", "p.ron", "utf16le.txt"], d);
    assert!(out(&o).contains("UTF-16LE with BOM"), "{}", out(&o));
    let o = spantag(&["add", "cp1252.ron", "crlf.txt"], d);
    assert!(out(&o).contains("skipped"), "{}", out(&o));
    let crlf = spantag_core::project_io::load(&d.join("crlf.ron")).unwrap();
    assert_eq!(
        crlf.documents[0].source.line_endings,
        spantag_core::model::LineEndings::Crlf
    );
    let cp = spantag_core::project_io::load(&d.join("cp1252.ron")).unwrap();
    assert_eq!(cp.documents[0].source.encoding, "windows-1252");
}

#[test]
fn add_takes_the_good_files_and_lists_the_bad_ones() {
    // The rule of `spantag add` (and of the app): every file that can be read is added, each bad
    // one is listed with its reason, and the exit code is 1 when any file was not added.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.txt"), ARTICLE).unwrap();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    std::fs::write(d.join("blank.md"), " \n\n").unwrap();
    std::fs::write(
        d.join("photo.txt"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    )
    .unwrap();
    std::fs::write(d.join("big.txt"), "word ".repeat(1000)).unwrap();
    std::fs::write(d.join("doc.pdf"), "%PDF-1.4").unwrap();
    for (n, (file, expect)) in [
        ("empty.txt", "empty.txt: the file is empty"),
        ("blank.md", "blank.md: the file contains only whitespace"),
        ("photo.txt", "photo.txt: this looks like a binary file"),
        ("doc.pdf", "unsupported file type"),
        ("missing.txt", "missing.txt"),
    ]
    .into_iter()
    .enumerate()
    {
        let proj = format!("p{n}.ron");
        assert_eq!(code(&spantag(&["new", &proj], d)), 0);
        let o = spantag(&["add", &proj, "good.txt", file], d);
        assert_eq!(code(&o), 1, "{file}: {}", out(&o));
        assert!(out(&o).contains(expect), "{file}: {}", out(&o));
        assert!(
            out(&o).contains("added good.txt as \"good\""),
            "{}",
            out(&o)
        );
        assert!(
            out(&o).contains("1 added, 1 could not be read"),
            "{}",
            out(&o)
        );
        let p = spantag_core::project_io::load(&d.join(&proj)).unwrap();
        assert_eq!(p.documents.len(), 1, "{file}: the good file is added");
        assert_eq!(p.documents[0].text, ARTICLE);
    }
    // Nothing readable: nothing changes on disk.
    assert_eq!(code(&spantag(&["new", "p.ron"], d)), 0);
    let before = std::fs::read(d.join("p.ron")).unwrap();
    let o = spantag(&["add", "p.ron", "empty.txt", "photo.txt"], d);
    assert_eq!(code(&o), 1);
    assert!(
        out(&o).contains("0 added, 2 could not be read"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), before);
    let o = spantag(&["add", "p.ron", "big.txt", "--max-bytes", "1000"], d);
    assert_eq!(code(&o), 1);
    assert!(
        out(&o).contains("big.txt: larger than the limit of 1000 bytes"),
        "{}",
        out(&o)
    );
    // A project is not an article; a missing project is an error (exit 2).
    let o = spantag(&["add", "p.ron", "p0.ron"], d);
    assert_eq!(code(&o), 1);
    assert!(
        out(&o).contains("p0.ron: this is a spantag project"),
        "{}",
        out(&o)
    );
    let o = spantag(&["add", "nope.ron", "good.txt"], d);
    assert_eq!(code(&o), 2);
    assert!(out(&o).contains("spantag new nope.ron"), "{}", out(&o));
}

#[test]
fn add_skips_texts_already_there_and_names_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&spantag(&["new", "p.ron"], d)), 0);
    std::fs::create_dir(d.join("more")).unwrap();
    std::fs::write(d.join("good.txt"), ARTICLE).unwrap();
    // The same text twice in one batch (the CRLF copy normalises to the same text), and a new one
    // whose file name is taken.
    std::fs::write(d.join("more/copy.txt"), ARTICLE.replace('\n', "\r\n")).unwrap();
    std::fs::write(d.join("more/good.txt"), "Another story.\n").unwrap();
    let o = spantag(&["add", "p.ron", "good.txt", "more"], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let t = out(&o);
    assert!(t.contains("added good.txt as \"good\""), "{t}");
    assert!(t.contains("added more/good.txt as \"good-2\""), "{t}");
    assert!(
        t.contains(
            "skipped more/copy.txt: same text as document \"good\" added from an earlier file"
        ),
        "{t}"
    );
    assert!(t.contains("2 added, 1 skipped"), "{t}");
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    let ids: Vec<&str> = p.documents.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["good", "good-2"]);
    // Again: everything is already in the project.
    let o = spantag(&["add", "p.ron", "more/good.txt"], d);
    assert_eq!(code(&o), 1);
    assert!(
        out(&o).contains("same text as document \"good-2\" already in the project"),
        "{}",
        out(&o)
    );
    assert_eq!(
        spantag_core::project_io::load(&d.join("p.ron"))
            .unwrap()
            .documents
            .len(),
        2
    );
}

#[test]
fn validate_stats_show_on_the_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = spantag(&["validate", "projects/sample.ron"], root);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("ok (3 documents"), "{}", out(&o));
    let o = spantag(&["stats", "projects/sample.ron", "--json"], root);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"], 3);
    let per_label: u64 = ["actor", "place", "number", "claim"]
        .iter()
        .map(|l| v["labels"][l].as_u64().unwrap())
        .sum();
    assert_eq!(v["spans"].as_u64(), Some(per_label));
    assert_eq!(v["states"]["done"], 1);
    assert_eq!(v["per_document"][2]["spans"], 0);
    assert_eq!(v["annotators"]["ana"].as_u64(), Some(per_label));
    let o = spantag(&["stats", "projects/sample.ron"], root);
    assert!(out(&o).contains("spans per label"));
    let o = spantag(
        &["show", "projects/sample.ron", "--doc", "harbour-bridge"],
        root,
    );
    assert_eq!(code(&o), 0);
    let shown = String::from_utf8_lossy(&o.stdout);
    assert!(shown.contains("[actor Deputy Mayor Ilse Varga]"), "{shown}");
    // The shown markup parses back to the stored text and spans.
    let body = shown.split_once("\n\n").unwrap().1;
    let (text, spans) = spantag_core::markup::parse(body.trim_end()).unwrap();
    let p = spantag_core::project_io::load(&root.join("projects/sample.ron")).unwrap();
    let doc = p.doc("harbour-bridge").unwrap();
    assert_eq!(text, doc.text.trim_end());
    assert_eq!(spans.len(), doc.spans.len());
    let o = spantag(&["show", "projects/sample.ron", "--doc", "nope"], root);
    assert_eq!(code(&o), 2);
    assert!(out(&o).contains("no document with id \"nope\""));
}

#[test]
fn broken_project_files_report_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron"))
            .unwrap();
    // Truncated.
    std::fs::write(d.join("trunc.ron"), &sample[..sample.len() / 2]).unwrap();
    let o = spantag(&["validate", "trunc.ron"], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert!(out(&o).contains("trunc.ron:"), "{}", out(&o));
    // A hand-broken line: a missing comma after a field on line 3.
    let broken = sample.replacen("name: \"Sample: local news\",", "name: \"Sample\" oops", 1);
    std::fs::write(d.join("broken.ron"), broken).unwrap();
    let o = spantag(&["validate", "broken.ron"], d);
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("broken.ron:3:"), "{}", out(&o));
    for cmd in ["stats", "show"] {
        let o = spantag(&[cmd, "broken.ron"], d);
        assert_eq!(code(&o), 2, "{cmd}");
        assert!(out(&o).contains("broken.ron:3:"), "{}", out(&o));
    }
    // Semantic problems: all listed, with lines.
    let bad = sample
        .replacen("label: \"place\"", "label: \"venue\"", 1)
        .replacen(
            "text: \"Deputy Mayor Ilse Varga\"",
            "text: \"Deputy Mayor\"",
            1,
        );
    std::fs::write(d.join("bad.ron"), bad).unwrap();
    let o = spantag(&["validate", "bad.ron"], d);
    assert_eq!(code(&o), 1);
    let s = out(&o);
    assert!(s.contains("2 problem(s)"), "{s}");
    assert!(s.contains("unknown label \"venue\""), "{s}");
    assert!(s.contains("but the span says \"Deputy Mayor\""), "{s}");
    assert!(s.contains("line "), "{s}");
    // Not a project at all.
    std::fs::write(d.join("bin.ron"), b"\x00\x01\x02").unwrap();
    let o = spantag(&["validate", "bin.ron"], d);
    assert_ne!(code(&o), 0);
}

#[test]
fn future_schema_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron"))
            .unwrap();
    let future = sample.replacen(
        "schema_version: 2,",
        "schema_version: 7,\n  hologram: true,",
        1,
    );
    std::fs::write(d.join("future.ron"), &future).unwrap();
    std::fs::write(d.join("a.txt"), ARTICLE).unwrap();
    for args in [
        &["validate", "future.ron"][..],
        &["stats", "future.ron"],
        &["add", "future.ron", "a.txt"],
    ] {
        let o = spantag(args, d);
        assert_eq!(code(&o), 2, "{args:?}: {}", out(&o));
        assert!(
            out(&o).contains("newer spantag (schema version 7"),
            "{}",
            out(&o)
        );
        assert_eq!(
            std::fs::read_to_string(d.join("future.ron")).unwrap(),
            future
        );
    }
    assert!(!d.join("future.ron.bak").exists());
}

#[test]
fn saves_are_atomic_and_keep_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(
        code(&spantag(&["new", "p.ron", "--labels", "person,org"], d)),
        0
    );
    let first = std::fs::read_to_string(d.join("p.ron")).unwrap();
    assert!(first.contains("name: \"person\""));
    std::fs::write(d.join("a.txt"), ARTICLE).unwrap();
    assert_eq!(code(&spantag(&["add", "p.ron", "a.txt"], d)), 0);
    assert_eq!(std::fs::read_to_string(d.join("p.ron.bak")).unwrap(), first);
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    // Folders expand to their articles.
    std::fs::create_dir(d.join("more")).unwrap();
    std::fs::write(d.join("more/b.md"), "# Second\n\nAnother story.").unwrap();
    std::fs::write(d.join("more/c.txt"), "Third story.").unwrap();
    let o = spantag(&["add", "p.ron", "more"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let p = spantag_core::project_io::load(&d.join("p.ron")).unwrap();
    let titles: Vec<&str> = p.documents.iter().map(|x| x.title.as_str()).collect();
    assert_eq!(titles.len(), 3);
    assert_eq!(titles[1], "Second");
}
