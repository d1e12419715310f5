//! Crash recovery and project locks: one recovery slot per project, one per piece of untitled
//! work, and a lock on each slot while a window works in it.
//!
//! The slots live in the recovery folder (`recovery/` in the state folder), one folder each:
//!
//! - a project's slot is `p-STEM-HASH`, where HASH is an FNV-1a hash of the project file's
//!   canonical absolute path, so the same file reached by two spellings has one slot and two
//!   projects never share one;
//! - untitled work (a new project, articles opened as a project, a comparison's gold project, the
//!   bundled sample) gets `u-ID`, with an id made when the work starts.
//!
//! A slot holds `recovery.ron` (the unsaved project, a normal project file), `meta.ron`
//! ([`RecoveryMeta`]: whose work it is and when it was written), the `.bak` copies that atomic
//! writes keep, and `lock.ron` ([`LockInfo`]) while a window has the slot. The lock file is also
//! locked with the operating system's advisory lock, which the system drops when its process
//! dies; so a lock left by a crash is recognised as stale (its pid is reported as gone on Linux)
//! and taken over, while a live window's lock is reported to whoever opens the same project.
//!
//! Locks live in the state folder, not beside the project: nothing is written into project
//! folders (which may be read-only, synced or under version control), and a lock never travels
//! with a copied project. The price: two computers opening one project on a shared drive see
//! each other's locks only when their state folders are shared too.

use serde::{Deserialize, Serialize};
use spantag_core::model::{Project, content_hash};
use spantag_core::project_io;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The recovery project in a slot.
pub const RECOVERY_FILE: &str = "recovery.ron";
/// The recovery metadata in a slot.
pub const META_FILE: &str = "meta.ron";
/// The lock file in a slot.
pub const LOCK_FILE: &str = "lock.ron";

/// The files a slot may hold; anything else in a slot folder is a temporary file left by a write
/// that was interrupted, removed by whoever takes the slot's lock.
const SLOT_FILES: [&str; 5] = [
    RECOVERY_FILE,
    "recovery.ron.bak",
    META_FILE,
    "meta.ron.bak",
    LOCK_FILE,
];

/// What a recovery slot says about the work it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryMeta {
    /// The project file the work belongs to (canonical absolute path), if it has one.
    pub project: Option<PathBuf>,
    /// The id of untitled work.
    #[serde(default)]
    pub untitled: Option<String>,
    /// The project's name.
    pub name: String,
    /// When the recovery file was written.
    pub written: jiff::Timestamp,
    /// The size and modification time of the project file the work started from (opened or last
    /// saved; `storage::FileStamp::describe`), to tell whether the file changed since.
    #[serde(default)]
    pub base: Option<String>,
    /// The content hash of the recovery file written with this metadata (a crash between the
    /// two writes leaves metadata of the previous write, which this tells).
    pub hash: String,
    /// Who wrote it.
    pub pid: u32,
    pub host: String,
}

/// A slot: a project's (by its canonical path) or untitled work's (by its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotKey {
    Project(PathBuf),
    Untitled(String),
}

/// The recovery folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// Where the autosave worker writes one piece of work, and what it records about it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The slot folder.
    pub dir: PathBuf,
    pub key: SlotKey,
    /// See [`RecoveryMeta::base`].
    pub base: Option<String>,
}

/// Recovery data found in a slot.
#[derive(Debug)]
pub struct Found {
    pub project: Project,
    pub meta: RecoveryMeta,
    /// The slot folder.
    pub dir: PathBuf,
    /// Something to tell about how it was read (an older copy, metadata missing).
    pub note: Option<String>,
}

/// Who holds a lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub host: String,
    pub since: jiff::Timestamp,
    /// The project file, for a project's slot.
    #[serde(default)]
    pub project: Option<PathBuf>,
}

/// A held lock on a slot. Dropping it releases the lock: the lock file goes, and so does the
/// slot folder when nothing is left in it.
#[derive(Debug)]
pub struct SlotLock {
    file: File,
    dir: PathBuf,
    pub info: LockInfo,
}

/// The answer to [`Store::acquire`].
#[derive(Debug)]
pub enum Acquire {
    /// The slot is ours; `took_over` names the holder of a stale lock that was replaced.
    Acquired {
        lock: SlotLock,
        took_over: Option<LockInfo>,
    },
    /// Another window (in this or another process, on this or another computer) holds it.
    /// `None`: its lock file could not be read.
    Held(Option<LockInfo>),
    /// The lock could not be made (the state folder is not writable, ...).
    Failed(String),
}

/// A slot with recovery data, as [`Store::list`] finds it (locked by us until dropped).
#[derive(Debug)]
pub struct Listed {
    pub found: Found,
    pub lock: SlotLock,
}

/// This computer's name.
pub fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Whether process `pid` runs on this computer: `None` where that cannot be told cheaply (it is
/// read from `/proc` on Linux).
pub fn pid_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") {
        Some(Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}

/// FNV-1a, 64 bits: stable across runs, versions and platforms (unlike `std`'s hasher).
fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The canonical absolute path of a project file, also for a file that does not exist yet (its
/// folder is made canonical and the name kept).
pub fn canonical(path: &Path) -> PathBuf {
    if let Ok(p) = fs::canonicalize(path) {
        return p;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or(absolute),
        _ => absolute,
    }
}

static UNTITLED_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh id for untitled work: time, process and a counter, so no two windows share one.
pub fn new_untitled_id() -> String {
    let n = UNTITLED_COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = jiff::Timestamp::now();
    format!(
        "{}-{}-{n}",
        now.strftime("%Y%m%dT%H%M%S%3f"),
        std::process::id()
    )
}

impl SlotKey {
    /// The key of the project file at `path` (made canonical).
    pub fn project(path: &Path) -> SlotKey {
        SlotKey::Project(canonical(path))
    }

    /// The slot folder's name.
    pub fn folder_name(&self) -> String {
        match self {
            SlotKey::Project(p) => {
                let stem = p
                    .file_stem()
                    .map(|s| spantag_core::model::slug(&s.to_string_lossy()))
                    .unwrap_or_default();
                let stem: String = stem.chars().take(32).collect();
                format!("p-{stem}-{:016x}", fnv64(p.as_os_str().as_encoded_bytes()))
            }
            SlotKey::Untitled(id) => format!("u-{id}"),
        }
    }
}

impl Store {
    /// The recovery folder inside the state folder `state_dir`. Recovery data of spantag
    /// versions with one slot for everything (`recovery.ron` in the state folder) is moved into a
    /// slot of its own, so it is offered like any untitled work.
    pub fn open(state_dir: &Path) -> Store {
        let store = Store {
            dir: state_dir.join("recovery"),
        };
        store.adopt_single_slot(state_dir);
        store
    }

    /// The recovery folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder of slot `key`.
    pub fn slot_dir(&self, key: &SlotKey) -> PathBuf {
        self.dir.join(key.folder_name())
    }

    /// Moves an old single-slot `recovery.ron` into an untitled slot (the old metadata is
    /// dropped: its path could be relative, and it named whatever window wrote last).
    fn adopt_single_slot(&self, state_dir: &Path) {
        let old = state_dir.join("recovery.ron");
        if !old.is_file() {
            return;
        }
        let dir = self.slot_dir(&SlotKey::Untitled(new_untitled_id()));
        if fs::create_dir_all(&dir).is_ok() && fs::rename(&old, dir.join(RECOVERY_FILE)).is_ok() {
            let _ = fs::remove_file(state_dir.join("recovery.meta.ron"));
        }
    }

    /// Takes the lock of slot `key` (made if missing). A lock whose holder is gone is taken
    /// over; temporary files that holder left in the slot are removed.
    pub fn acquire(&self, key: &SlotKey) -> Acquire {
        let dir = self.slot_dir(key);
        let project = match key {
            SlotKey::Project(p) => Some(p.clone()),
            SlotKey::Untitled(_) => None,
        };
        // A few rounds: the folder or the lock file can go between our steps when another
        // window releases the slot at that moment.
        let mut last = String::new();
        for _ in 0..8 {
            match try_acquire(&dir, project.clone()) {
                Ok(Some(a)) => {
                    if let Acquire::Acquired { .. } = a {
                        sweep_slot(&dir);
                    }
                    return a;
                }
                Ok(None) => continue,
                Err(e) => last = format!("{}: {e}", dir.join(LOCK_FILE).display()),
            }
        }
        Acquire::Failed(last)
    }

    /// Recovery data in slot `key`. `Err` when there is some but it cannot be read (it is then
    /// left in place).
    pub fn find(&self, key: &SlotKey) -> Result<Option<Found>, String> {
        find_in(&self.slot_dir(key), Some(key))
    }

    /// Every slot with recovery data whose window is gone (its lock is free or stale), locked for
    /// the caller, newest first. Unreadable ones are listed in the second vector as messages.
    pub fn list(&self) -> (Vec<Listed>, Vec<String>) {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return (out, errors);
        };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join(RECOVERY_FILE).is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let Some(key) = key_of_folder(&dir) else {
                continue;
            };
            let lock = match try_acquire_with_retries(&dir, key.clone()) {
                Some(Acquire::Acquired { lock, .. }) => lock,
                _ => continue,
            };
            sweep_slot(&dir);
            match find_in(&dir, None) {
                Ok(Some(found)) => out.push(Listed { found, lock }),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        out.sort_by_key(|l| std::cmp::Reverse(l.found.meta.written));
        (out, errors)
    }
}

/// The key a slot folder was made for, as far as its name and metadata tell.
fn key_of_folder(dir: &Path) -> Option<Option<PathBuf>> {
    let name = dir.file_name()?.to_string_lossy().into_owned();
    if name.starts_with("u-") {
        Some(None)
    } else if name.starts_with("p-") {
        let meta = read_meta(dir).ok().flatten();
        Some(meta.and_then(|m| m.project))
    } else {
        None
    }
}

fn try_acquire_with_retries(dir: &Path, project: Option<PathBuf>) -> Option<Acquire> {
    for _ in 0..8 {
        match try_acquire(dir, project.clone()) {
            Ok(Some(a)) => return Some(a),
            Ok(None) => continue,
            Err(_) => return None,
        }
    }
    None
}

/// One attempt at a slot's lock. `Ok(None)`: the lock file was replaced under us; try again.
fn try_acquire(dir: &Path, project: Option<PathBuf>) -> std::io::Result<Option<Acquire>> {
    fs::create_dir_all(dir)?;
    let path = dir.join(LOCK_FILE);
    let mut file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
    {
        Ok(f) => f,
        // The folder went away as another window released the slot.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let os_lock = match file.try_lock() {
        Ok(()) => true,
        Err(fs::TryLockError::WouldBlock) => {
            return Ok(Some(Acquire::Held(read_info_of_holder(&path))));
        }
        Err(fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => false,
        Err(fs::TryLockError::Error(e)) => return Err(e),
    };
    if os_lock && !same_file(&file, &path) {
        // The holder released the slot (and removed this file) while we waited for it.
        return Ok(None);
    }
    let previous = read_info(&mut file);
    let me = std::process::id();
    let host = host_name();
    if let Some(prev) = &previous {
        let here = prev.host == host;
        // The operating system's lock covers this computer; a holder elsewhere (a shared state
        // folder) cannot be checked, and without the system's lock only a running pid tells.
        let alive = if !here {
            true
        } else if os_lock {
            false
        } else {
            prev.pid != me && pid_alive(prev.pid) != Some(false)
        };
        if alive {
            return Ok(Some(Acquire::Held(previous)));
        }
    }
    let info = LockInfo {
        pid: me,
        host,
        since: jiff::Timestamp::now(),
        project,
    };
    let text = ron::to_string(&info).map_err(std::io::Error::other)?;
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(Some(Acquire::Acquired {
        lock: SlotLock {
            file,
            dir: dir.to_owned(),
            info,
        },
        took_over: previous,
    }))
}

/// Whether the open `file` is still the one at `path` (a released lock file is removed).
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

fn read_info(file: &mut File) -> Option<LockInfo> {
    let mut s = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut s).ok()?;
    ron::from_str(s.trim()).ok()
}

/// The holder's lock file, read a few times: a holder writes it just after taking the lock.
fn read_info_of_holder(path: &Path) -> Option<LockInfo> {
    for _ in 0..5 {
        if let Some(info) = fs::read_to_string(path)
            .ok()
            .and_then(|s| ron::from_str(s.trim()).ok())
        {
            return Some(info);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}

impl SlotLock {
    /// The slot folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for SlotLock {
    fn drop(&mut self) {
        // Remove the file while still holding it, so that a window waiting on this file sees
        // that it is gone (see `same_file`); then the slot folder if nothing is left in it.
        let _ = fs::remove_file(self.dir.join(LOCK_FILE));
        let _ = self.file.unlock();
        let _ = fs::remove_dir(&self.dir);
    }
}

/// Removes what an interrupted write left in a slot (whose lock the caller holds).
fn sweep_slot(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let known = SLOT_FILES.iter().any(|k| name == *k);
        if !known && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Removes the temporary files that an interrupted save of `project` left beside it
/// (`.NAME.spantag-tmp`, `.NAME.bak.spantag-tmp`; beside the final target of a link). A save
/// holds its temporary file's advisory lock while writing it, so one whose lock can be taken
/// was left by a process that is gone; one being written is left alone. Returns how many were
/// removed.
pub fn sweep_project_temps(project: &Path) -> usize {
    let target = fs::canonicalize(project).unwrap_or_else(|_| project.to_owned());
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return 0;
    };
    let bak = target.with_file_name(format!("{name}.bak"));
    [
        spantag_core::formats::temp_path(&target),
        spantag_core::formats::temp_path(&bak),
    ]
    .iter()
    .filter(|t| remove_if_stale(t))
    .count()
}

/// Removes the regular file `tmp` if nobody holds its lock.
fn remove_if_stale(tmp: &Path) -> bool {
    if !fs::symlink_metadata(tmp).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = OpenOptions::new().read(true).open(tmp) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => same_file(&file, tmp) && fs::remove_file(tmp).is_ok(),
        Err(_) => false,
    }
}

fn read_meta(dir: &Path) -> Result<Option<RecoveryMeta>, String> {
    let path = dir.join(META_FILE);
    match fs::read_to_string(&path) {
        Ok(s) => ron::from_str(&s)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn file_time(path: &Path) -> Option<jiff::Timestamp> {
    let t = fs::metadata(path).ok()?.modified().ok()?;
    jiff::Timestamp::try_from(t).ok()
}

/// Reads the recovery data of the slot folder `dir`. The recovery file is the truth; the
/// metadata is checked against it (by hash) and rebuilt from the file and `key` where it is
/// missing or belongs to another write.
fn find_in(dir: &Path, key: Option<&SlotKey>) -> Result<Option<Found>, String> {
    let main = dir.join(RECOVERY_FILE);
    if !main.exists() {
        return Ok(None);
    }
    let mut note = None;
    let (path, bytes, project) = match read_recovery(&main) {
        Ok((b, p)) => (main, b, p),
        Err(first) => {
            let bak = dir.join("recovery.ron.bak");
            match read_recovery(&bak) {
                Ok((b, p)) => {
                    note = Some(format!(
                        "the newest recovery file could not be read ({first}); this is the one before it"
                    ));
                    (bak, b, p)
                }
                Err(_) => return Err(first),
            }
        }
    };
    let hash = content_hash(&String::from_utf8_lossy(&bytes));
    let meta = read_meta(dir).ok().flatten();
    let meta = match meta {
        Some(m) if m.hash == hash => m,
        other => {
            // Written by a write that was cut short (or an older spantag): keep what is known.
            let written = file_time(&path).unwrap_or_else(jiff::Timestamp::now);
            let (project_path, untitled) = match (key, &other) {
                (Some(SlotKey::Project(p)), _) => (Some(p.clone()), None),
                (Some(SlotKey::Untitled(id)), _) => (None, Some(id.clone())),
                (None, Some(m)) => (m.project.clone(), m.untitled.clone()),
                (None, None) => (None, None),
            };
            RecoveryMeta {
                project: project_path,
                untitled,
                name: project.name.clone(),
                written,
                base: None,
                hash,
                pid: other.as_ref().map_or(0, |m| m.pid),
                host: other.map(|m| m.host).unwrap_or_default(),
            }
        }
    };
    Ok(Some(Found {
        project,
        meta,
        dir: dir.to_owned(),
        note,
    }))
}

fn read_recovery(path: &Path) -> Result<(Vec<u8>, Project), String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let project = project_io::from_ron_bytes(&bytes, path).map_err(|e| e.to_string())?;
    Ok((bytes, project))
}

/// Writes `project` into the slot of `target`: the recovery file first, then its metadata, each
/// atomically. A crash between the two leaves the new recovery file with the old metadata, which
/// [`Store::find`] tells by the hash.
pub fn write(target: &Target, project: &Project) -> Result<(), String> {
    fs::create_dir_all(&target.dir).map_err(|e| format!("{}: {e}", target.dir.display()))?;
    let mut project = project.clone();
    project.normalize();
    let text = project_io::to_ron_string(&project).map_err(|e| e.to_string())?;
    project_io::write_atomic(&target.dir.join(RECOVERY_FILE), text.as_bytes())
        .map_err(|e| e.to_string())?;
    let (path, untitled) = match &target.key {
        SlotKey::Project(p) => (Some(p.clone()), None),
        SlotKey::Untitled(id) => (None, Some(id.clone())),
    };
    let meta = RecoveryMeta {
        project: path,
        untitled,
        name: project.name.clone(),
        written: jiff::Timestamp::now(),
        base: target.base.clone(),
        hash: content_hash(&text),
        pid: std::process::id(),
        host: host_name(),
    };
    let m = ron::ser::to_string_pretty(&meta, ron::ser::PrettyConfig::default())
        .map_err(|e| e.to_string())?;
    project_io::write_atomic(&target.dir.join(META_FILE), m.as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Removes the recovery data of the slot folder `dir` (after a save or a discard); its lock
/// stays, and a slot nobody holds any more goes.
pub fn clear(dir: &Path) {
    for f in [META_FILE, "meta.ron.bak", RECOVERY_FILE, "recovery.ron.bak"] {
        let _ = fs::remove_file(dir.join(f));
    }
    if !dir.join(LOCK_FILE).exists() {
        // Fails harmlessly when something is left, or a window has just taken the slot.
        let _ = fs::remove_dir(dir);
    }
}

/// `t` in the local time zone, e.g. `2026-11-21 10:30:00 CET`.
pub fn local_time(t: jiff::Timestamp) -> String {
    t.to_zoned_datetime(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// How a lock holder is named in a question: `process 123 on this computer since …`.
pub fn describe_holder(info: Option<&LockInfo>) -> String {
    match info {
        Some(i) => {
            let host = if i.host == host_name() {
                "on this computer".to_owned()
            } else {
                format!("on {}", i.host)
            };
            format!(
                "spantag process {} {host}, since {}",
                i.pid,
                local_time(i.since)
            )
        }
        None => "another spantag window".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn slot_names_are_stable_and_apart() {
        let a = SlotKey::Project(PathBuf::from("/data/team/corpus.ron"));
        let b = SlotKey::Project(PathBuf::from("/data/other/corpus.ron"));
        assert_eq!(a.folder_name(), a.folder_name());
        assert_ne!(a.folder_name(), b.folder_name());
        assert!(a.folder_name().starts_with("p-corpus-"));
        // FNV-1a of the path bytes, fixed so that slots outlive upgrades.
        assert_eq!(fnv64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(new_untitled_id(), new_untitled_id());
    }

    #[test]
    fn a_second_lock_on_a_slot_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let key = SlotKey::Project(dir.path().join("a.ron"));
        let Acquire::Acquired { lock, took_over } = store.acquire(&key) else {
            panic!("first lock");
        };
        assert!(took_over.is_none());
        assert_eq!(lock.info.pid, std::process::id());
        match store.acquire(&key) {
            Acquire::Held(Some(info)) => assert_eq!(info, lock.info),
            other => panic!("{other:?}"),
        }
        drop(lock);
        assert!(!store.slot_dir(&key).exists(), "an empty slot goes");
        assert!(matches!(store.acquire(&key), Acquire::Acquired { .. }));
    }

    fn sample(name: &str) -> Project {
        spantag_core::markup::project_from_markup(
            name,
            &[("d", "[actor Ana] met [actor Bo] in Zürich 👋.")],
            "ana",
            spantag_core::time::Timestamp(0),
        )
        .unwrap()
    }

    #[test]
    fn a_crash_between_the_two_writes_keeps_the_newer_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let key = SlotKey::Project(dir.path().join("p.ron"));
        let target = Target {
            dir: store.slot_dir(&key),
            key: key.clone(),
            base: Some("fnv1a64:0000000000000001".into()),
        };
        let old = sample("old");
        write(&target, &old).unwrap();
        let found = store.find(&key).unwrap().unwrap();
        assert_eq!(found.project, old);
        assert_eq!(found.meta.base, target.base);
        assert_eq!(found.meta.project, Some(dir.path().join("p.ron")));
        // The next write got as far as the recovery file: the metadata is the old one's.
        let new = sample("new");
        let text = project_io::to_ron_string(&new).unwrap();
        project_io::write_atomic(&target.dir.join(RECOVERY_FILE), text.as_bytes()).unwrap();
        let found = store.find(&key).unwrap().unwrap();
        assert_eq!(found.project.name, "new");
        assert_eq!(found.meta.project, Some(dir.path().join("p.ron")));
        assert_eq!(found.meta.base, None, "unknown for this write");
        // A recovery file that does not load: the copy before it, said so.
        fs::write(target.dir.join(RECOVERY_FILE), "(schema_version: 1, na").unwrap();
        let found = store.find(&key).unwrap().unwrap();
        assert_eq!(found.project.name, "old");
        assert!(found.note.unwrap().contains("could not be read"));
        // Neither loads: an error, and nothing is removed.
        fs::write(target.dir.join("recovery.ron.bak"), "(").unwrap();
        assert!(store.find(&key).is_err());
        assert!(target.dir.join(RECOVERY_FILE).exists());
        clear(&target.dir);
        assert!(store.find(&key).unwrap().is_none());
        assert!(
            !target.dir.exists(),
            "a slot nobody holds goes with its data"
        );
    }

    #[test]
    fn the_list_skips_slots_that_a_window_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path());
        let held = SlotKey::Untitled(new_untitled_id());
        let gone = SlotKey::Project(dir.path().join("gone.ron"));
        for (key, name) in [(&held, "held"), (&gone, "gone")] {
            let target = Target {
                dir: store.slot_dir(key),
                key: key.clone(),
                base: None,
            };
            write(&target, &sample(name)).unwrap();
        }
        let Acquire::Acquired { lock, .. } = store.acquire(&held) else {
            panic!("lock");
        };
        let (listed, errors) = store.list();
        assert!(errors.is_empty());
        let names: Vec<&str> = listed
            .iter()
            .map(|l| l.found.project.name.as_str())
            .collect();
        assert_eq!(names, ["gone"]);
        assert_eq!(
            listed[0].found.meta.project,
            Some(dir.path().join("gone.ron"))
        );
        // Listed slots are held by the lister until dropped.
        assert!(matches!(store.acquire(&gone), Acquire::Held(_)));
        drop(listed);
        drop(lock);
        assert_eq!(store.list().0.len(), 2);
    }

    #[test]
    fn old_single_slot_recovery_is_kept_as_untitled_work() {
        let dir = tempfile::tempdir().unwrap();
        let text = project_io::to_ron_string(&sample("legacy")).unwrap();
        fs::write(dir.path().join("recovery.ron"), text).unwrap();
        fs::write(
            dir.path().join("recovery.meta.ron"),
            "(path: Some(\"p.ron\"), written: 1)",
        )
        .unwrap();
        let store = Store::open(dir.path());
        assert!(!dir.path().join("recovery.ron").exists());
        let (listed, _) = store.list();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].found.project.name, "legacy");
        assert_eq!(listed[0].found.meta.project, None);
    }

    #[test]
    fn temporary_files_being_written_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("p.ron");
        fs::write(&project, "x").unwrap();
        let stale = dir.path().join(".p.ron.spantag-tmp");
        let busy = dir.path().join(".p.ron.bak.spantag-tmp");
        let other = dir.path().join(".other.ron.spantag-tmp");
        for f in [&stale, &busy, &other] {
            fs::write(f, "half").unwrap();
        }
        // A save in progress holds its temporary file's lock.
        let writing = File::open(&busy).unwrap();
        writing.lock().unwrap();
        assert_eq!(sweep_project_temps(&project), 1);
        assert!(!stale.exists());
        assert!(busy.exists());
        assert!(other.exists(), "another file's is not ours to judge");
        drop(writing);
        assert_eq!(sweep_project_temps(&project), 1);
        assert!(!busy.exists());
    }

    #[test]
    fn a_canonical_path_is_made_for_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = fs::canonicalize(dir.path()).unwrap();
        assert_eq!(canonical(&dir.path().join("new.ron")), real.join("new.ron"));
        fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(
            canonical(&dir.path().join("sub/../x.ron")),
            real.join("x.ron")
        );
    }
}
