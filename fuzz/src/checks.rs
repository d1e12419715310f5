//! What each fuzz target does with its input, and the invariants it checks. Shared by the fuzz
//! targets (`fuzz/fuzz_targets/`) and by the regression test that replays every input the fuzzer
//! ever crashed on (`crates/spantag-core/tests/core/fuzz_regressions.rs`), so a kept input is
//! checked exactly as it was found. A broken invariant panics, which libFuzzer reports as a crash
//! and `cargo test` as a failure.
//!
//! Only the core's public API and std are used here.

use spantag_core::formats::{self, Format, ImportOptions, OffsetUnit};
use spantag_core::history::{Cursor, Workspace};
use spantag_core::model::{DEFAULT_LABELS, Project};
use spantag_core::project_io;
use std::path::{Path, PathBuf};

/// The fuzz targets, by name: the project loader and one per importer.
pub const TARGETS: &[&str] = &[
    "load",
    "import_jsonl",
    "import_conll",
    "import_brat",
    "import_labelstudio",
    "import_doccano",
];

/// Runs target `name` on `data`; `scratch` is an empty folder the importers' input files are
/// written to (imports read files, as `spantag import` does).
pub fn run(name: &str, data: &[u8], scratch: &Path) {
    match name {
        "load" => load(data),
        "import_jsonl" => import_file(Format::Jsonl, "input.jsonl", data, scratch),
        "import_conll" => import_file(Format::Conll, "input.conll", data, scratch),
        "import_labelstudio" => import_file(Format::LabelStudio, "input.json", data, scratch),
        "import_doccano" => import_file(Format::Doccano, "input.jsonl", data, scratch),
        "import_brat" => import_brat(data, scratch),
        _ => panic!(
            "unknown fuzz target {name:?} (known: {})",
            TARGETS.join(", ")
        ),
    }
}

/// The loader: `data` as a project file's bytes. A project that loads is valid, saves, and
/// reloads to the same project, and saving it again writes the same bytes. The loader has two
/// readers (documents in parallel for files laid out as `save` writes them, else the whole file in
/// one piece); the same bytes followed by blank space go to the one-piece reader, and both must
/// come to the same result.
pub fn load(data: &[u8]) {
    let path = Path::new("fuzz.ron");
    let loaded = project_io::from_ron_bytes(data, path);
    let mut padded = data.to_vec();
    padded.extend_from_slice(&[b' '; 80]);
    padded.push(b'\n');
    let one_piece = project_io::from_ron_bytes(&padded, path);
    match (&loaded, &one_piece) {
        (Ok(a), Ok(b)) => assert!(a == b, "the two readers load different projects"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "one reader loads the file, the other does not: {:?} / {:?}",
            a.as_ref().err().map(ToString::to_string),
            b.as_ref().err().map(ToString::to_string)
        ),
    }
    match loaded {
        Ok(project) => {
            check_project(&project, false);
            check_save_reload(&project);
        }
        Err(e) => {
            // The message names the file; building it must not panic either.
            assert!(!e.to_string().is_empty(), "an empty load error");
        }
    }
}

/// One importer on one input file whose content is `data`.
pub fn import_file(format: Format, file_name: &str, data: &[u8], scratch: &Path) {
    let path = scratch.join(file_name);
    write(&path, data);
    import(format, &path);
}

/// brat reads a folder of `DOC.txt` + `DOC.ann` pairs: the bytes before the last NUL are the
/// text (which may be UTF-16, so may hold NULs), the rest is the annotation file (no NUL: all of
/// it is the annotation file, the text is empty).
pub fn import_brat(data: &[u8], scratch: &Path) {
    let (txt, ann) = match data.iter().rposition(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let dir = scratch.join("brat");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    write(&dir.join("doc.txt"), txt);
    write(&dir.join("doc.ann"), ann);
    import(Format::Brat, &dir);
}

fn write(path: &Path, data: &[u8]) {
    if let Err(e) = std::fs::write(path, data) {
        panic!("cannot write the fuzz input {}: {e}", path.display());
    }
}

/// Imports `input` into a new project the way `spantag import` does (for formats with an offset
/// unit, once per unit) and checks what came in.
fn import(format: Format, input: &Path) {
    let units = match format.importer().and_then(|i| i.offsets) {
        Some(_) => vec![Some(OffsetUnit::Codepoints), Some(OffsetUnit::Utf16)],
        None => vec![None],
    };
    for unit in units {
        import_with(format, input, unit);
    }
}

fn import_with(format: Format, input: &Path, unit: Option<OffsetUnit>) {
    let inputs = [input.to_path_buf()];
    let mut opts = ImportOptions::new(format);
    opts.offsets = unit;
    let before = Project::new("fuzz", &DEFAULT_LABELS);
    let mut project = before.clone();
    let summary = match formats::import(&mut project, &inputs, &opts) {
        Ok(s) => s,
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an empty import error");
            assert!(project == before, "a failed import changed the project");
            return;
        }
    };
    assert!(!summary.to_text().is_empty(), "an empty import report");

    // What the summary says came in is what came in, and it is a valid project.
    let counted: usize = summary.spans_per_label.values().sum();
    assert_eq!(
        project.span_count(),
        counted,
        "spans imported vs the report"
    );
    assert_eq!(
        project.documents.len(),
        summary.documents_added,
        "documents added vs the report"
    );
    check_project(&project, true);
    check_save_reload(&project);

    // Importing the same input again adds nothing: every text is matched, every span a duplicate.
    let mut twice = project.clone();
    match formats::import(&mut twice, &inputs, &opts) {
        Ok(again) => {
            assert_eq!(again.documents_added, 0, "a second import added documents");
            assert_eq!(
                twice.span_count(),
                project.span_count(),
                "a second import added spans"
            );
            check_project(&twice, true);
        }
        Err(e) => panic!("the same input imported once fails the second time: {e}"),
    }

    // The app's path: the planned edits, applied as one undo step, give the same project and
    // the same report; undo gives the project back.
    let (edits, planned) = match formats::import_edits(&before, &inputs, &opts) {
        Ok(x) => x,
        Err(e) => panic!("import_edits fails where import succeeded: {e}"),
    };
    assert_eq!(
        planned, summary,
        "import_edits reports otherwise than import"
    );
    let mut ws = Workspace::new(before.clone());
    if let Err(e) = ws.apply("Import", edits, Cursor::default(), Cursor::default()) {
        panic!("the planned import edits do not apply: {e}");
    }
    assert_eq!(
        shape(ws.project()),
        shape(&project),
        "import_edits gives another project than import"
    );
    // Undo restores everything but the span id counter, which never goes back (ids are never
    // reused).
    ws.undo();
    let undone = ws.project();
    assert!(
        undone.labels == before.labels
            && undone.annotators == before.annotators
            && undone.documents == before.documents,
        "undoing an import leaves changes"
    );
}

/// Invariants of any project the core hands out: it validates, and every span lies within its
/// document's text and covers the text it records. `imported`: the texts use LF line endings.
pub fn check_project(project: &Project, imported: bool) {
    let problems = project_io::validate(project);
    assert!(problems.is_empty(), "an invalid project: {problems:?}");
    for d in &project.documents {
        let chars: Vec<char> = d.text.chars().collect();
        if imported {
            assert!(!d.text.contains('\r'), "imported text with \\r: {:?}", d.id);
        }
        for s in &d.spans {
            assert!(
                s.start < s.end && s.end <= chars.len(),
                "span {}..{} outside {:?} ({} characters)",
                s.start,
                s.end,
                d.id,
                chars.len()
            );
            let covered: String = chars[s.start..s.end].iter().collect();
            assert_eq!(covered, s.text, "span {}..{} in {:?}", s.start, s.end, d.id);
        }
    }
}

/// Saving loses nothing: the saved file loads to the same project, and saving that writes the
/// same text.
pub fn check_save_reload(project: &Project) {
    let path = PathBuf::from("fuzz.ron");
    let saved = match project_io::to_ron_string(project) {
        Ok(s) => s,
        Err(e) => panic!("a valid project cannot be saved: {e}"),
    };
    let again = match project_io::from_ron_str(&saved, &path) {
        Ok(p) => p,
        Err(e) => panic!("a saved project does not load: {e}\n{saved}"),
    };
    assert!(again == *project, "reloading changed the project:\n{saved}");
    match project_io::to_ron_string(&again) {
        Ok(resaved) => assert_eq!(saved, resaved, "saving is not deterministic"),
        Err(e) => panic!("a reloaded project cannot be saved: {e}"),
    }
}

/// A project without the span creation times (two imports stamp them separately).
fn shape(p: &Project) -> Vec<String> {
    let mut v = vec![format!("{:?} {}", p.labels, p.next_span_id)];
    for d in &p.documents {
        v.push(format!(
            "{:?} {:?} {} {:?} {:?}",
            d.id, d.title, d.done, d.source, d.text
        ));
        for s in &d.spans {
            v.push(format!(
                "{:?} {}..{} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
                s.id,
                s.start,
                s.end,
                s.label,
                s.text,
                s.author,
                s.status,
                s.review,
                s.note,
                s.proposed_by
            ));
        }
    }
    v
}
