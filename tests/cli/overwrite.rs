//! `spantag export` never destroys: it refuses existing files without `--force`, never writes onto
//! its own project or a device, writes `--out -` to standard output and leaves no temporary file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{code, out as text, spantag};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// A copy of the sample project in a fresh folder, as `P.ron`.
fn project_in(d: &Path) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("projects/sample.ron");
    let p = d.join("P.ron");
    std::fs::copy(sample, &p).unwrap();
    p
}

/// The names in `d`, sorted.
fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn export_onto_its_own_project_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p = project_in(d);
    let before = std::fs::read(&p).unwrap();
    std::os::unix::fs::symlink(&p, d.join("link.ron")).unwrap();
    let abs = p.to_str().unwrap().to_owned();
    for out in ["P.ron", "./P.ron", abs.as_str(), "link.ron"] {
        for force in [false, true] {
            let mut args = vec!["export", "P.ron", "--format", "jsonl", "--out", out];
            if force {
                args.push("--force");
            }
            let o = spantag(&args, d);
            assert_eq!(code(&o), 2, "{out} {force}: {}", text(&o));
            assert!(text(&o).contains("its own project"), "{}", text(&o));
            assert_eq!(std::fs::read(&p).unwrap(), before, "{out} {force}");
        }
    }
    // Also when the project is named by its absolute path and the output relatively.
    let o = spantag(
        &[
            "export", &abs, "--format", "csv", "--out", "P.ron", "--force",
        ],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert_eq!(std::fs::read(&p).unwrap(), before);
    assert_eq!(names(d), ["P.ron", "link.ron"], "nothing else was written");
    assert!(
        std::fs::symlink_metadata(d.join("link.ron"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn export_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project_in(d);
    std::fs::write(d.join("a.jsonl"), "mine 🙂\n").unwrap();
    let o = spantag(
        &["export", "P.ron", "--format", "jsonl", "--out", "a.jsonl"],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("a.jsonl already exists; pass --force"),
        "{}",
        text(&o)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("a.jsonl")).unwrap(),
        "mine 🙂\n"
    );
    // A companion counts too: the main file is new, the claims file exists; nothing is written.
    std::fs::write(d.join("c.claims.conll"), "mine\n").unwrap();
    let o = spantag(
        &["export", "P.ron", "--format", "conll", "--out", "c.conll"],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(
        text(&o).contains("c.claims.conll already exists"),
        "{}",
        text(&o)
    );
    assert!(!d.join("c.conll").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("c.claims.conll")).unwrap(),
        "mine\n"
    );
    // And a split file inside an existing folder.
    std::fs::create_dir(d.join("sets")).unwrap();
    std::fs::write(d.join("sets/dev.csv"), "mine\n").unwrap();
    let o = spantag(
        &[
            "export",
            "P.ron",
            "--format",
            "csv",
            "--split",
            "train=0.5,dev=0.5",
            "--out",
            "sets",
        ],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert_eq!(names(&d.join("sets")), ["dev.csv"]);
    let mut left = names(d);
    left.retain(|n| n.starts_with('.'));
    assert!(left.is_empty(), "no temporary files: {left:?}");
}

#[test]
fn export_with_force_replaces_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project_in(d);
    std::fs::write(d.join("a.jsonl"), "mine\n").unwrap();
    std::fs::write(d.join("a.claims.conll"), "mine\n").unwrap();
    let o = spantag(
        &[
            "export", "P.ron", "--format", "jsonl", "--out", "a.jsonl", "--force",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    let t = std::fs::read_to_string(d.join("a.jsonl")).unwrap();
    assert_eq!(t.lines().count(), 3, "{t}");
    let o = spantag(
        &[
            "export", "P.ron", "--format", "conll", "--layer", "claims", "--out", "a.conll",
        ],
        d,
    );
    assert_eq!(code(&o), 0, "a new file needs no --force: {}", text(&o));
    assert_eq!(names(d), ["P.ron", "a.claims.conll", "a.conll", "a.jsonl"]);
}

#[test]
fn export_to_a_device_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project_in(d);
    for dev in ["/dev/null", "/dev/full"] {
        let link = d.join("dev.jsonl");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(dev, &link).unwrap();
        for force in [false, true] {
            let mut args = vec!["export", "P.ron", "--format", "jsonl", "--out", "dev.jsonl"];
            if force {
                args.push("--force");
            }
            let o = spantag(&args, d);
            assert_eq!(code(&o), 2, "{dev} {force}: {}", text(&o));
            assert!(text(&o).contains("not a regular file"), "{}", text(&o));
            let meta = std::fs::metadata(dev).unwrap();
            assert!(meta.file_type().is_char_device(), "{dev} is still a device");
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
    }
    // A folder where a file is expected is refused as well, even with --force.
    std::fs::create_dir(d.join("x.csv")).unwrap();
    let o = spantag(
        &[
            "export", "P.ron", "--format", "csv", "--out", "x.csv", "--force",
        ],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("x.csv is a folder"), "{}", text(&o));
    assert_eq!(names(d), ["P.ron", "dev.jsonl", "x.csv"]);
}

#[test]
fn export_to_dash_writes_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project_in(d);
    let o = spantag(&["export", "P.ron", "--format", "jsonl", "--out", "-"], d);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let data = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(data.lines().count(), 3, "{data}");
    for l in data.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap();
    }
    // The report goes to standard error, so the data stays clean.
    assert!(String::from_utf8_lossy(&o.stderr).contains("exported 3 document(s)"));
    for args in [
        &["--format", "csv"][..],
        &["--format", "conll", "--layer", "entities"],
        &["--format", "spacy"],
        &["--format", "labelstudio"],
    ] {
        let mut all = vec!["export", "P.ron", "--out", "-"];
        all.extend_from_slice(args);
        let o = spantag(&all, d);
        assert!(code(&o) <= 1, "{args:?}: {}", text(&o));
        assert!(!o.stdout.is_empty(), "{args:?}");
    }
    // Formats with companions or folders are refused with a message.
    for args in [
        &["--format", "conll"][..],
        &["--format", "hf"],
        &["--format", "brat"],
        &["--format", "jsonl", "--split", "train=0.5,dev=0.5"],
    ] {
        let mut all = vec!["export", "P.ron", "--out", "-"];
        all.extend_from_slice(args);
        let o = spantag(&all, d);
        assert_eq!(code(&o), 2, "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("cannot go to standard output"),
            "{}",
            text(&o)
        );
        assert!(o.stdout.is_empty());
    }
    assert_eq!(names(d), ["P.ron"], "no file named -");
}

#[test]
fn no_temp_file_is_left_after_a_failed_export() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project_in(d);
    // A stale temporary file of a killed run is replaced, and gone afterwards.
    std::fs::write(d.join(".a.jsonl.spantag-tmp"), "stale").unwrap();
    let o = spantag(
        &["export", "P.ron", "--format", "jsonl", "--out", "a.jsonl"],
        d,
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(names(d), ["P.ron", "a.jsonl"]);
    // The companion's temporary name is a folder that cannot be removed: the export fails after
    // writing the main file's temporary file, which must be gone again, with no output.
    std::fs::create_dir_all(d.join("out/.c.claims.conll.spantag-tmp/keep")).unwrap();
    let o = spantag(
        &[
            "export",
            "P.ron",
            "--format",
            "conll",
            "--out",
            "out/c.conll",
        ],
        d,
    );
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert_eq!(names(&d.join("out")), [".c.claims.conll.spantag-tmp"]);
    assert!(!d.join("out/c.conll").exists());
    assert_eq!(names(d), ["P.ron", "a.jsonl", "out"]);
}
