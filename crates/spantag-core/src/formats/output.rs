//! The output files of an export: checked against what already exists, written to temporary
//! files and renamed into place only when every file was written (see [`WriteRules`]).

use super::{FormatError, io_err};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What an export may replace. The default replaces nothing and protects nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteRules {
    /// Replace existing regular files (`--force`). Devices, FIFOs, sockets and folders are never
    /// replaced.
    pub force: bool,
    /// Files the export must never write, even with `force` (the project it reads). Compared
    /// after resolving `.`, `..` and symbolic links.
    pub protected: Vec<PathBuf>,
}

/// Files produced by an export, written only when everything succeeded.
#[derive(Default)]
pub(crate) struct Output {
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

/// The fixed temporary name of `path`'s output: `.NAME.spantag-tmp` in the same folder, so a run
/// that was killed leaves a file the next run recognises and replaces.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.spantag-tmp"))
}

/// Why `path` may not be written under `rules`, or `None` when it may.
fn refusal(path: &Path, rules: &WriteRules) -> Option<FormatError> {
    let refused = |why: String| Some(FormatError::Refused(why));
    if let Ok(target) = std::fs::canonicalize(path) {
        let own = rules
            .protected
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .any(|p| p == target);
        if own {
            return refused(format!(
                "{} is the project being exported; an export never writes onto its own project",
                path.display()
            ));
        }
    }
    // `metadata` follows symbolic links: a link to /dev/null is a device.
    let meta = std::fs::metadata(path).ok()?;
    let kind = meta.file_type();
    if kind.is_file() {
        if rules.force {
            return None;
        }
        return Some(FormatError::Exists(path.to_owned()));
    }
    let what = if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file (a device, FIFO or socket)"
    };
    refused(format!(
        "{} is {what}; an export only replaces regular files, even with --force",
        path.display()
    ))
}

/// Removes `path` if it is there; a missing file is fine.
fn remove_if_there(path: &Path) -> Result<(), FormatError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(path)(e)),
        _ => Ok(()),
    }
}

/// Writes `bytes` to `tmp` (replacing a stale temporary file) and flushes it to the disk.
fn write_temp(tmp: &Path, bytes: &[u8]) -> Result<(), FormatError> {
    remove_if_there(tmp)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(io_err(tmp))?;
    f.write_all(bytes).map_err(io_err(tmp))?;
    f.sync_all().map_err(io_err(tmp))
}

/// The folders `create_dir_all(dir)` would create, deepest first.
fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
        .map(Path::to_path_buf)
        .collect()
}

impl Output {
    pub fn add(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.files.push((path, bytes));
    }

    /// Checks every target against `rules` before anything is written, then writes every file
    /// to its temporary name and renames them all into place. On failure every temporary file,
    /// every output that did not exist before and every folder the export created are removed.
    pub(crate) fn commit(self, rules: &WriteRules) -> Result<Vec<PathBuf>, FormatError> {
        for (path, _) in &self.files {
            if let Some(e) = refusal(path, rules) {
                return Err(e);
            }
        }
        self.commit_checked(|_| Ok(()))
    }

    /// [`Output::commit`] after the checks; `before_rename` runs once every temporary file is
    /// written (tests inject failures there).
    fn commit_checked(
        self,
        before_rename: impl FnOnce(&[(PathBuf, PathBuf)]) -> Result<(), FormatError>,
    ) -> Result<Vec<PathBuf>, FormatError> {
        let mut created_dirs: Vec<PathBuf> = Vec::new();
        let mut tmps: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut renamed: Vec<PathBuf> = Vec::new();
        let result = (|| {
            for (path, bytes) in &self.files {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    let missing = missing_dirs(dir);
                    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
                    created_dirs.extend(missing);
                }
                let tmp = temp_path(path);
                // Listed before writing, so a half-written temporary file is removed too.
                tmps.push((tmp.clone(), path.clone()));
                write_temp(&tmp, bytes)?;
            }
            before_rename(&tmps)?;
            for (tmp, path) in &tmps {
                let existed = std::fs::symlink_metadata(path).is_ok();
                std::fs::rename(tmp, path).map_err(io_err(path))?;
                if !existed {
                    renamed.push(path.clone());
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            for (tmp, _) in &tmps {
                let _ = std::fs::remove_file(tmp);
            }
            for path in &renamed {
                let _ = std::fs::remove_file(path);
            }
            // Deepest first; a folder that is not empty stays.
            created_dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
            for d in &created_dirs {
                let _ = std::fs::remove_dir(d);
            }
            return Err(e);
        }
        Ok(self.files.into_iter().map(|(p, _)| p).collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn two_files(d: &Path) -> Output {
        let mut o = Output::default();
        o.add(d.join("new/a.conll"), "a 🙂 é\n".into());
        o.add(d.join("new/a.claims.conll"), b"b\n".to_vec());
        o
    }

    #[test]
    fn an_injected_failure_leaves_no_temporary_file_and_no_output() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("keep.txt"), "x").unwrap();
        let mut seen = 0;
        let r = two_files(d).commit_checked(|tmps| {
            seen = tmps.iter().filter(|(t, _)| t.is_file()).count();
            Err(FormatError::Invalid("injected".into()))
        });
        assert!(matches!(r, Err(FormatError::Invalid(_))));
        assert_eq!(seen, 2, "both temporary files were written first");
        // The folder the export created is gone as well.
        assert_eq!(names(d), ["keep.txt"]);
    }

    #[test]
    fn a_failed_write_removes_the_temporary_files_already_written() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("out")).unwrap();
        // The second file's temporary name is a folder that is not empty: it cannot be replaced.
        std::fs::create_dir_all(d.join("out/.a.claims.conll.spantag-tmp/x")).unwrap();
        let mut o = Output::default();
        o.add(d.join("out/a.conll"), b"a\n".to_vec());
        o.add(d.join("out/a.claims.conll"), b"b\n".to_vec());
        assert!(o.commit(&WriteRules::default()).is_err());
        assert_eq!(names(&d.join("out")), [".a.claims.conll.spantag-tmp"]);
    }

    #[test]
    fn a_stale_temporary_file_is_replaced_and_existing_files_need_force() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("new")).unwrap();
        std::fs::write(d.join("new/.a.conll.spantag-tmp"), "stale").unwrap();
        let files = two_files(d).commit(&WriteRules::default()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(names(&d.join("new")), ["a.claims.conll", "a.conll"]);
        assert_eq!(
            std::fs::read_to_string(d.join("new/a.conll")).unwrap(),
            "a 🙂 é\n"
        );
        let r = two_files(d).commit(&WriteRules::default());
        assert!(
            matches!(&r, Err(FormatError::Exists(p)) if p.ends_with("a.conll")),
            "{r:?}"
        );
        let force = WriteRules {
            force: true,
            protected: vec![d.join("new/./a.claims.conll")],
        };
        let r = two_files(d).commit(&force);
        assert!(
            matches!(&r, Err(FormatError::Refused(m)) if m.contains("its own project")),
            "{r:?}"
        );
        let force = WriteRules {
            force: true,
            protected: vec![],
        };
        two_files(d).commit(&force).unwrap();
    }

    #[test]
    fn folders_and_devices_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("a.conll")).unwrap();
        let force = WriteRules {
            force: true,
            protected: vec![],
        };
        let mut o = Output::default();
        o.add(d.join("a.conll"), b"a\n".to_vec());
        assert!(matches!(o.commit(&force), Err(FormatError::Refused(m)) if m.contains("folder")));
        let mut o = Output::default();
        o.add(PathBuf::from("/dev/null"), b"a\n".to_vec());
        assert!(matches!(o.commit(&force), Err(FormatError::Refused(m)) if m.contains("regular")));
    }
}
