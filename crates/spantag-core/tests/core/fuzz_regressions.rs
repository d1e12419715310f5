//! The fuzz targets' inputs, replayed through the targets' own checks (`fuzz/src/checks.rs`, see
//! the README's "Fuzzing" paragraph): every input a target ever crashed or hung on, kept in
//! `tests/fuzz-regressions/TARGET/`, and the committed seed corpus, `fuzz/seeds/TARGET/`. This
//! also keeps the harness compiling against the core as the core changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../../fuzz/src/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

/// The files of `dir` (none if it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every file of `root/TARGET/` through TARGET; returns how many ran and the failures.
fn replay(root: &Path) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failed = Vec::new();
    for &target in checks::TARGETS {
        for file in files(&root.join(target)) {
            let data = std::fs::read(&file).unwrap();
            let scratch = tempfile::tempdir().unwrap();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                checks::run(target, &data, scratch.path());
            }));
            if outcome.is_err() {
                failed.push(format!("{target}: {}", file.display()));
            }
            ran += 1;
        }
    }
    (ran, failed)
}

/// Every folder under `root` is named after a target, so no input is silently skipped.
fn assert_folders_name_targets(root: &Path) {
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                checks::TARGETS.contains(&name.as_str()),
                "{} is not named after a fuzz target ({})",
                path.display(),
                checks::TARGETS.join(", ")
            );
        }
    }
}

#[test]
fn inputs_the_fuzzer_crashed_on_pass_its_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    assert_folders_name_targets(&root);
    let (_, failed) = replay(&root);
    assert!(failed.is_empty(), "fuzz regressions fail: {failed:#?}");
}

#[test]
fn fuzz_seed_corpus_passes_the_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    assert_folders_name_targets(&root);
    for &target in checks::TARGETS {
        assert!(
            !files(&root.join(target)).is_empty(),
            "no seeds for the fuzz target {target}"
        );
    }
    let (ran, failed) = replay(&root);
    assert!(ran >= checks::TARGETS.len());
    assert!(failed.is_empty(), "fuzz seeds fail: {failed:#?}");
}
