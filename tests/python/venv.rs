//! The Python the consumer tests run: `$SPANTAG_PYTHON`, else the repository's `.venv`, which is
//! created on first use with the pinned `tests/python-requirements.txt` (once per test run; a
//! message says so, it takes a few minutes). These tests never pass without running: when Python
//! or the packages cannot be had, the test fails and says why. `SPANTAG_SKIP_PYTHON=1` skips them
//! on purpose (the test then prints that it was skipped).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The modules the tests import; a Python that lacks one is set up again.
const MODULES: &str = "import spacy, datasets, sklearn, krippendorff";

/// `Ok(Some(python))` to run the tests with, `Ok(None)` when skipped on purpose
/// (`SPANTAG_SKIP_PYTHON=1`), or `Err(reason)`.
pub fn python() -> Result<Option<PathBuf>, String> {
    if std::env::var_os("SPANTAG_SKIP_PYTHON").is_some_and(|v| v == "1") {
        println!("skipped on purpose: SPANTAG_SKIP_PYTHON=1");
        return Ok(None);
    }
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON.get_or_init(find_or_create).clone().map(Some)
}

fn has_modules(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", MODULES])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_or_create() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("SPANTAG_PYTHON") {
        let p = PathBuf::from(p);
        return if has_modules(&p) {
            Ok(p)
        } else {
            Err(format!(
                "SPANTAG_PYTHON={} cannot `{MODULES}`; install tests/python-requirements.txt into it",
                p.display()
            ))
        };
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join(".venv");
    let python = venv.join("bin/python");
    if has_modules(&python) {
        return Ok(python);
    }
    eprintln!(
        "setting up {} with tests/python-requirements.txt for the real-consumer tests \
         (first run only; a few minutes)…",
        venv.display()
    );
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("{what}: could not run it ({e}); is python3 installed?"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    if !python.exists() {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv .venv",
        )?;
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(root.join("tests/python-requirements.txt")),
        "pip install -r tests/python-requirements.txt",
    )?;
    if has_modules(&python) {
        Ok(python)
    } else {
        Err(format!(
            "{} still cannot `{MODULES}` after pip install",
            python.display()
        ))
    }
}
