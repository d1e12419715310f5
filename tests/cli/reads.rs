//! Inputs that are not regular files or never end: a link to `/dev/zero` and a FIFO are refused
//! at once by `add`, `import` and every command that opens a project, and nothing is written.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{code, out};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the built `spantag` in `dir`, killing it after 5 seconds so that a regression (a read
/// that never ends, an open that blocks) fails the test instead of hanging it. Returns the output
/// and how long the command took.
fn spantag_bounded(args: &[&str], dir: &Path) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spantag"))
        .args(args)
        .current_dir(dir)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs spantag");
    loop {
        if child.try_wait().expect("polls spantag").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("spantag {args:?} was still running after 5 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("output");
    (output, start.elapsed())
}

/// A temporary folder with a project `p.ron`, a link `zero.txt` to `/dev/zero` (and the same as
/// `zero.jsonl` and `zero.ron`), and a FIFO under the names `fifo.txt`, `fifo.jsonl`, `fifo.ron`.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = common::spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    for ext in ["txt", "jsonl", "ron"] {
        std::os::unix::fs::symlink("/dev/zero", d.join(format!("zero.{ext}"))).unwrap();
        let status = Command::new("mkfifo")
            .arg(d.join(format!("fifo.{ext}")))
            .status()
            .expect("runs mkfifo");
        assert!(status.success());
    }
    dir
}

/// Runs `args` in a fresh setup and checks the exit code, that the output names `file` and says
/// `what`, that it took under a second and that `p.ron` is unchanged.
fn refuses(args: &[&str], file: &str, what: &str, exit: i32) {
    let dir = setup();
    let d = dir.path();
    let before = std::fs::read(d.join("p.ron")).unwrap();
    let (o, took) = spantag_bounded(args, d);
    let text = out(&o);
    assert_eq!(code(&o), exit, "{text}");
    assert!(
        text.contains(&format!("{file}: this is {what}, not a regular file")),
        "{text}"
    );
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), before);
    assert!(!d.join("p.ron.bak").exists(), "nothing was saved");
}

#[test]
fn add_refuses_a_link_to_dev_zero_within_a_second() {
    // A bad file is listed and the command exits 1 (the rule of `add`).
    refuses(
        &["add", "p.ron", "zero.txt"],
        "zero.txt",
        "a character device",
        1,
    );
}

#[test]
fn add_refuses_a_fifo_within_a_second() {
    refuses(
        &["add", "p.ron", "fifo.txt"],
        "fifo.txt",
        "a FIFO (named pipe)",
        1,
    );
}

#[test]
fn import_refuses_a_link_to_dev_zero_within_a_second() {
    // Import is all or nothing: an unreadable input fails the command (exit 2).
    refuses(
        &["import", "p.ron", "--format", "jsonl", "zero.jsonl"],
        "zero.jsonl",
        "a character device",
        2,
    );
}

#[test]
fn import_refuses_a_fifo_within_a_second() {
    refuses(
        &["import", "p.ron", "--format", "jsonl", "fifo.jsonl"],
        "fifo.jsonl",
        "a FIFO (named pipe)",
        2,
    );
}

#[test]
fn opening_a_link_to_dev_zero_as_a_project_fails_within_a_second() {
    refuses(
        &["validate", "zero.ron"],
        "zero.ron",
        "a character device",
        2,
    );
}

#[test]
fn opening_a_fifo_as_a_project_fails_within_a_second() {
    refuses(
        &["validate", "fifo.ron"],
        "fifo.ron",
        "a FIFO (named pipe)",
        2,
    );
}

#[test]
fn import_refuses_an_input_over_max_bytes_and_changes_nothing() {
    let dir = setup();
    let d = dir.path();
    let line = r#"{"text": "Mayor Ilse Varga spoke.", "spans": []}"#;
    std::fs::write(d.join("in.jsonl"), format!("{line}\n")).unwrap();
    let before = std::fs::read(d.join("p.ron")).unwrap();
    let (o, _) = spantag_bounded(
        &[
            "import",
            "p.ron",
            "--format",
            "jsonl",
            "in.jsonl",
            "--max-bytes",
            "10",
        ],
        d,
    );
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert!(
        out(&o).contains("in.jsonl: larger than the limit of 10 bytes"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), before);
    // At the limit the same file is imported.
    let limit = (line.len() + 1).to_string();
    let (o, _) = spantag_bounded(
        &[
            "import",
            "p.ron",
            "--format",
            "jsonl",
            "in.jsonl",
            "--max-bytes",
            &limit,
        ],
        d,
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("1 document(s) added"), "{}", out(&o));
}

#[test]
fn a_missing_file_says_why_once() {
    let dir = setup();
    let d = dir.path();
    let (o, _) = spantag_bounded(&["add", "p.ron", "gone.txt"], d);
    assert_eq!(code(&o), 1, "{}", out(&o));
    assert_eq!(out(&o).matches("os error 2").count(), 1, "{}", out(&o));
    let (o, _) = spantag_bounded(&["validate", "gone.ron"], d);
    assert_eq!(code(&o), 2, "{}", out(&o));
    assert_eq!(out(&o).matches("os error 2").count(), 1, "{}", out(&o));
}
