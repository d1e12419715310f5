//! Saving a project from the command line never loses work: through a symbolic link, past a
//! `.bak` link, with the file's permissions, refusing a read-only file, after a killed save,
//! with a report that cannot be printed, and with errors that say their reason once.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{code, out, spantag};
use spantag_core::model::{DEFAULT_LABELS, Document, LineEndings, Project, Source, content_hash};
use spantag_core::project_io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn is_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_symlink()
}

/// A folder with an empty project `p.ron` and two articles, `a.txt` and `b.txt`.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    std::fs::write(d.join("a.txt"), "Zoë went to Tōkyō 🇯🇵.\n").unwrap();
    std::fs::write(d.join("b.txt"), "Ана поехала в Киев.\r\n").unwrap();
    dir
}

#[test]
fn symlinked_project_is_saved_through_the_link() {
    let dir = setup();
    let d = dir.path();
    std::fs::create_dir(d.join("real")).unwrap();
    std::fs::rename(d.join("p.ron"), d.join("real/q.ron")).unwrap();
    symlink("real/q.ron", d.join("p.ron")).unwrap();
    let o = spantag(&["add", "p.ron", "a.txt"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(is_link(&d.join("p.ron")), "the link stays a link");
    assert_eq!(
        project_io::load(&d.join("real/q.ron"))
            .unwrap()
            .documents
            .len(),
        1
    );
    // The backup sits beside the target; nothing is left beside the link.
    assert_eq!(names(&d.join("real")), ["q.ron", "q.ron.bak"]);
    assert_eq!(
        project_io::load(&d.join("real/q.ron.bak"))
            .unwrap()
            .documents
            .len(),
        0
    );
    assert_eq!(names(d), ["a.txt", "b.txt", "p.ron", "real"]);
}

#[test]
fn bak_symlink_is_never_followed() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("victim.txt"), "not a backup\n").unwrap();
    symlink("victim.txt", d.join("p.ron.bak")).unwrap();
    let o = spantag(&["add", "p.ron", "a.txt"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("victim.txt")).unwrap(),
        "not a backup\n"
    );
    assert!(!is_link(&d.join("p.ron.bak")), "the link was replaced");
    assert_eq!(
        project_io::load(&d.join("p.ron.bak"))
            .unwrap()
            .documents
            .len(),
        0,
        "the backup is the project before the save"
    );
}

#[test]
fn private_project_stays_0600() {
    let dir = setup();
    let d = dir.path();
    std::fs::set_permissions(d.join("p.ron"), std::fs::Permissions::from_mode(0o600)).unwrap();
    for file in ["a.txt", "b.txt"] {
        let o = spantag(&["add", "p.ron", file], d);
        assert_eq!(code(&o), 0, "{}", out(&o));
        assert_eq!(mode(&d.join("p.ron")), 0o600);
        assert_eq!(mode(&d.join("p.ron.bak")), 0o600);
    }
    write_jsonl(d);
    let o = spantag(&["import", "p.ron", "--format", "jsonl", "in.jsonl"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(mode(&d.join("p.ron")), 0o600);
    // A new project gets the usual mode, like any new file in the folder.
    let o = spantag(&["new", "fresh.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(mode(&d.join("fresh.ron")), mode(&d.join("a.txt")));
}

/// Writes `in.jsonl` (one document with one span) into `d`.
fn write_jsonl(d: &Path) {
    std::fs::write(
        d.join("in.jsonl"),
        "{\"text\": \"Ana 🙂 met Bo.\", \"spans\": [{\"start\": 0, \"end\": 3, \"label\": \"actor\"}]}\n",
    )
    .unwrap();
}

#[test]
fn read_only_project_is_refused_and_untouched() {
    let dir = setup();
    let d = dir.path();
    let p = d.join("p.ron");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&p).unwrap();
    write_jsonl(d);
    for args in [
        &["add", "p.ron", "a.txt"][..],
        &["import", "p.ron", "--format", "jsonl", "in.jsonl"],
    ] {
        let o = spantag(args, d);
        assert_eq!(code(&o), 2, "{}", out(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr)
                .contains("p.ron is read-only; make it writable to save, or Save As"),
            "{}",
            out(&o)
        );
        assert_eq!(std::fs::read(&p).unwrap(), before);
        assert_eq!(mode(&p), 0o444);
        assert_eq!(names(d), ["a.txt", "b.txt", "in.jsonl", "p.ron"]);
    }
}

/// Saves a project of about 30 MB (so that writing it takes a moment) as `p.ron` in `d`, twice,
/// so that `p.ron.bak` exists too.
// `.into()`: whatever the project holds documents as (the document itself or a shared pointer).
#[allow(clippy::useless_conversion)]
fn big_project(d: &Path) {
    let mut p = Project::new("big", &DEFAULT_LABELS);
    let line = "Der Bürgermeister 🇩🇪 sagte, 東京 e\u{301} ist 3,4 Mio. entfernt.\n";
    for n in 0..120 {
        let text = format!("{n}\n{}", line.repeat(4_000));
        let source = Source {
            path: None,
            hash: content_hash(&text),
            encoding: "UTF-8".into(),
            line_endings: LineEndings::Lf,
        };
        p.documents
            .push(Document::new(format!("d{n}"), format!("Doc {n}"), text, source).into());
    }
    let path = d.join("p.ron");
    project_io::save(&p, &path).unwrap();
    project_io::save(&p, &path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 25 << 20);
}

#[test]
fn killed_save_leaves_no_temp_file_after_the_next_save() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    big_project(d);
    let tmp = d.join(".p.ron.spantag-tmp");
    // Until a kill lands mid-save and leaves the temporary file (the next attempt would see it
    // at once, so the loop ends there).
    let mut stale = false;
    for n in 0..8 {
        let article = format!("new{n}.txt");
        std::fs::write(d.join(&article), format!("Article {n} 🙂\n")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_spantag"))
            .args(["add", "p.ron", &article])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it as soon as its temporary file appears: mid-save.
        let start = Instant::now();
        while !tmp.exists() && start.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::hint::spin_loop();
        }
        let _ = child.kill();
        let _ = child.wait();
        stale = tmp.exists();
        // Whatever the moment, the project and its backup are whole.
        project_io::load(&d.join("p.ron")).unwrap();
        project_io::load(&d.join("p.ron.bak")).unwrap();
        if stale {
            break;
        }
    }
    assert!(
        stale,
        "no kill landed mid-save: the test did not test anything"
    );
    let before = project_io::load(&d.join("p.ron")).unwrap().documents.len();
    std::fs::write(d.join("last.txt"), "The last article.\n").unwrap();
    let o = spantag(&["add", "p.ron", "last.txt"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(
        project_io::load(&d.join("p.ron")).unwrap().documents.len(),
        before + 1
    );
    let left: Vec<String> = names(d)
        .into_iter()
        .filter(|n| n.contains("spantag-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Runs `spantag` in `dir` with standard output going to `/dev/full` (every write fails: no space
/// left on the device).
fn spantag_to_dev_full(args: &[&str], dir: &Path) -> std::process::Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_spantag"))
        .args(args)
        .current_dir(dir)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn report_to_dev_full_exits_1_after_saving() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let dir = setup();
    let d = dir.path();
    write_jsonl(d);
    let runs: [(&[&str], &str, usize); 4] = [
        (&["add", "p.ron", "a.txt"], "p.ron", 1),
        (
            &["import", "p.ron", "--format", "jsonl", "in.jsonl"],
            "p.ron",
            2,
        ),
        (
            &["import", "q.ron", "--format", "jsonl", "in.jsonl"],
            "q.ron",
            1,
        ),
        (&["new", "n.ron"], "n.ron", 0),
    ];
    for (args, project, docs) in runs {
        let o = spantag_to_dev_full(args, d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 1, "{args:?}: {err}");
        assert!(
            err.contains(&format!(
                "{project} was saved, but the report could not be written: No space left on device"
            )),
            "{args:?}: {err}"
        );
        assert_eq!(
            project_io::load(&d.join(project)).unwrap().documents.len(),
            docs,
            "{args:?}"
        );
    }
    // Nothing saved (every article already there): a failed report is a failure, exit 2.
    let o = spantag_to_dev_full(&["add", "p.ron", "a.txt"], d);
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every command given a file that is not there says so once: the operating system's reason is
/// never repeated (as a message and again as its cause).
#[test]
fn os_errors_are_said_once() {
    let dir = setup();
    let d = dir.path();
    let o = spantag(&["new", "p2.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let runs: [&[&str]; 13] = [
        &["add", "gone.ron", "a.txt"],
        &["add", "p.ron", "gone.txt"],
        &["import", "p.ron", "--format", "jsonl", "gone.jsonl"],
        &["import", "gone.ron", "--format", "jsonl", "gone.jsonl"],
        &[
            "export", "gone.ron", "--format", "jsonl", "--out", "o.jsonl",
        ],
        &["validate", "gone.ron"],
        &["stats", "gone.ron"],
        &["show", "gone.ron"],
        &["new", "gone/p.ron"],
        &["merge", "gone.ron", "p.ron", "--out", "g.ron"],
        &["merge", "p.ron", "p2.ron", "--out", "gone/g.ron"],
        &["agree", "p.ron", "gone.ron"],
        &["agree", "gone.ron", "p.ron", "--json"],
    ];
    for args in runs {
        let o = spantag(args, d);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(code(&o), 0, "{args:?}");
        assert!(err.contains("gone"), "{args:?} names the file: {err}");
        let said = err.matches("No such file or directory").count()
            + err.matches("does not exist").count();
        assert_eq!(said, 1, "{args:?}: {err}");
        assert!(err.matches("os error").count() <= 1, "{args:?}: {err}");
    }
}
