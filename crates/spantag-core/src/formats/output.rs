//! The output files of an export: checked against what already exists, written to temporary
//! files and renamed into place only when every file was written (see [`WriteRules`]).

use super::{FormatError, io_err};
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// How long [`TempFile::create`] waits for another process writing the same temporary file.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Removes the file `path` if it is there; a missing file is fine.
pub(crate) fn remove_if_there(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Flushes the folder `dir` (the renames in it) to the disk, where the system allows it.
pub(crate) fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A file being written at its fixed temporary name ([`temp_path`]) beside its target.
///
/// The temporary file is locked (an advisory lock, released by the system when the process
/// ends) from its creation until it is renamed into place or removed. So two spantag processes
/// writing the same target never write into each other's temporary file (the second waits up
/// to 30 s, then fails), and one left behind by a killed process, whose lock is gone, is
/// removed and made anew. Dropped before [`TempFile::persist`], the temporary file is removed:
/// a failed write leaves nothing behind.
pub(crate) struct TempFile {
    path: PathBuf,
    file: fs::File,
    persisted: bool,
}

impl TempFile {
    /// Creates the temporary file `tmp`, empty and locked. `private`: create it readable by its
    /// owner only (mode 0600 on Unix; the caller then sets the mode it wants), else with the
    /// usual default mode (0666 less the umask). Whatever stands at `tmp` and is not being
    /// written right now (a stale file, a link, a FIFO, an empty folder) is removed first.
    pub(crate) fn create(tmp: &Path, private: bool) -> io::Result<TempFile> {
        let deadline = Instant::now() + LOCK_WAIT;
        // Each round either returns or sees another process create or remove the file; a bound
        // keeps a file system that misbehaves from looping forever.
        for _ in 0..1000 {
            match fs::symlink_metadata(tmp) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let file = match new_file(tmp, private) {
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        other => other?,
                    };
                    // Another process may have taken the name over before the lock was held.
                    if lock(&file, deadline)? && same_file(&file, tmp) {
                        return Ok(TempFile {
                            path: tmp.to_owned(),
                            file,
                            persisted: false,
                        });
                    }
                }
                Err(e) => return Err(e),
                Ok(meta) if meta.is_dir() => fs::remove_dir(tmp)?,
                Ok(meta) if !meta.is_file() => remove_if_there(tmp)?,
                Ok(_) => {
                    // Stale, or being written right now: whoever holds the lock is writing it.
                    let file = match open_existing(tmp) {
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        other => other?,
                    };
                    if lock(&file, deadline)? && same_file(&file, tmp) {
                        remove_if_there(tmp)?;
                    }
                }
            }
        }
        Err(io::Error::other(
            "its temporary file keeps changing; is another program writing it?",
        ))
    }

    /// The open temporary file (to set its owner and mode before writing).
    pub(crate) fn file(&self) -> &fs::File {
        &self.file
    }

    /// Appends `bytes`.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// Copies the rest of `from` into the file.
    pub(crate) fn copy_from(&mut self, from: &mut impl io::Read) -> io::Result<u64> {
        io::copy(from, &mut self.file)
    }

    /// Flushes what was written to the disk.
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    /// Renames the temporary file to `to` (replacing what is there; a link at `to` is replaced,
    /// never followed). The lock is held until the rename is done.
    pub(crate) fn persist(&mut self, to: &Path) -> io::Result<()> {
        fs::rename(&self.path, to)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Still locked by this process, so still this process's file.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates `tmp`, failing if anything is there (a link is never followed).
fn new_file(tmp: &Path, private: bool) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(if private { 0o600 } else { 0o666 });
    }
    #[cfg(not(unix))]
    let _ = private;
    o.open(tmp)
}

/// Opens an existing temporary file only to take its lock (nothing is written through it):
/// never through a link, and without blocking should a FIFO have been put there since it was
/// looked at. For writing where allowed (some network file systems lock only such files), else
/// for reading.
fn open_existing(tmp: &Path) -> io::Result<fs::File> {
    let open = |write: bool| {
        let mut o = fs::OpenOptions::new();
        o.read(true).write(write);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        o.open(tmp)
    };
    match open(true) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => open(false),
        other => other,
    }
}

/// Takes `file`'s exclusive lock, waiting until `deadline` for another process that holds it.
/// A file system that cannot lock is written without a lock.
fn lock(file: &fs::File, deadline: Instant) -> io::Result<bool> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "another program is writing this file right now (its temporary file is \
                     locked); try again once it is done",
                ));
            }
            Err(fs::TryLockError::Error(_)) => return Ok(true),
        }
    }
}

/// Whether `path` is still the file `file` has open (not removed or replaced meanwhile).
fn same_file(file: &fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
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
        // Temporary files remove themselves when dropped unrenamed (on failure).
        let mut tmps: Vec<(TempFile, &Path)> = Vec::new();
        let mut renamed: Vec<PathBuf> = Vec::new();
        let result = (|| {
            for (path, bytes) in &self.files {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    let missing = missing_dirs(dir);
                    fs::create_dir_all(dir).map_err(io_err(dir))?;
                    created_dirs.extend(missing);
                }
                let tmp = temp_path(path);
                let mut file = TempFile::create(&tmp, false).map_err(io_err(&tmp))?;
                // A file replaced with --force keeps its permission bits (a private export stays
                // private), set before any data is written.
                if let Ok(meta) = fs::metadata(path)
                    && meta.is_file()
                {
                    file.file()
                        .set_permissions(meta.permissions())
                        .map_err(io_err(&tmp))?;
                }
                // Dropped on a failed write, which removes the half-written file.
                file.write_all(bytes)
                    .and_then(|()| file.sync())
                    .map_err(io_err(&tmp))?;
                tmps.push((file, path));
            }
            let names: Vec<(PathBuf, PathBuf)> = tmps
                .iter()
                .map(|(_, p)| (temp_path(p), p.to_path_buf()))
                .collect();
            before_rename(&names)?;
            for (tmp, path) in tmps.iter_mut() {
                let path: &Path = path;
                let existed = fs::symlink_metadata(path).is_ok();
                tmp.persist(path).map_err(io_err(path))?;
                if !existed {
                    renamed.push(path.to_path_buf());
                }
            }
            for (_, path) in &tmps {
                sync_dir(path.parent().unwrap_or(Path::new(".")));
            }
            Ok(())
        })();
        drop(tmps);
        if let Err(e) = result {
            for path in &renamed {
                let _ = fs::remove_file(path);
            }
            // Deepest first; a folder that is not empty stays.
            created_dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
            for d in &created_dirs {
                let _ = fs::remove_dir(d);
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

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permission_bits() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        two_files(d).commit(&WriteRules::default()).unwrap();
        let a = d.join("new/a.conll");
        std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o600)).unwrap();
        let force = WriteRules {
            force: true,
            protected: vec![],
        };
        two_files(d).commit(&force).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&a), 0o600, "the replaced file stays private");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a 🙂 é\n");
        // The other file keeps the usual mode, as any new file gets it here.
        std::fs::write(d.join("plain"), "x").unwrap();
        assert_eq!(mode(&d.join("new/a.claims.conll")), mode(&d.join("plain")));
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
