//! Command output into a pipe whose reader stops early (`spantag agree A B | head -1`): the
//! command ends quietly with exit code 0, with no panic and no error message, like grep.
//!
//! The outputs here are far larger than a pipe's buffer (64 KiB on Linux), so the command is
//! still writing when the reader goes away and really meets the closed pipe.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::markup::project_from_markup;
use spantag_core::time::Timestamp;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A project of `docs` documents by `author`; odd documents label "Ana" differently per author.
fn project(dir: &Path, author: &str, docs: usize) -> PathBuf {
    let texts: Vec<(String, String)> = (0..docs)
        .map(|i| {
            let who = if i % 2 == 1 && author == "ben" {
                "place"
            } else {
                "actor"
            };
            (
                format!("d{i}"),
                format!(
                    "Item {i}: [{who} Ana Lima] met [actor Bo] in [place Porto]. {}",
                    "The ferry left the old quay at dawn. ".repeat(20)
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = project_from_markup(author, &refs, author, Timestamp(0)).unwrap();
    let path = dir.join(format!("{author}.ron"));
    spantag_core::project_io::save(&p, &path).unwrap();
    path
}

/// Runs spantag with stdout piped, reads one line, closes the pipe and waits.
fn first_line_then_close(args: &[&str]) -> (String, std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spantag"))
        .args(args)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs spantag");
    let mut line = String::new();
    {
        let mut out = BufReader::new(child.stdout.take().expect("stdout is piped"));
        out.read_line(&mut line).unwrap();
        // Dropping the reader closes the pipe while the command is still writing.
    }
    let output = child.wait_with_output().unwrap();
    (
        line,
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let a = project(dir.path(), "ana", 800);
    let b = project(dir.path(), "ben", 800);
    let (a, b) = (a.display().to_string(), b.display().to_string());
    for args in [
        vec!["agree", &a, &b, "--json"],
        vec!["show", &a],
        vec!["stats", &a, "--json"],
        // The data goes to stdout and the report to stderr only after it: nothing on stderr.
        vec!["export", &a, "--format", "jsonl", "--out", "-"],
    ] {
        let (line, status, stderr) = first_line_then_close(&args);
        assert!(!line.is_empty(), "{args:?}: no output at all");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr, "", "{args:?}: no error message");
        assert!(status.success(), "{args:?}: {status}");
    }
}
