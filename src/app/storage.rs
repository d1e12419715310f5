//! Everything that touches the disk: the settings file, the annotator name, the autosave worker
//! thread (writing into the recovery slots of `recovery`), the thread of an explicit save, and
//! file stamps that detect outside changes to the project file.
//!
//! The UI thread never serializes or writes a project: it hands a copy to a thread. A copy costs
//! a pointer per document (documents are shared, see `Project::documents`), so taking one fits in
//! a frame whatever the size of the project.

use super::recovery;
use serde::{Deserialize, Serialize};
use spantag_core::model::Project;
use spantag_core::project_io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::time::SystemTime;

/// Persistent user settings (`settings.ron` in [`config_dir`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub annotator: Option<String>,
}

/// spantag's folders by the conventions of the system (`None` without a home folder).
fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "spantag")
}

/// The folder named by the environment variable `var` if it is set and not empty, else
/// `fallback`.
fn dir_or(var: &str, fallback: impl FnOnce() -> Option<PathBuf>) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => fallback(),
    }
}

/// The settings folder: `$SPANTAG_CONFIG_DIR`, else the system's configuration folder for
/// spantag (`$XDG_CONFIG_HOME/spantag` or `~/.config/spantag` on Linux,
/// `~/Library/Application Support/spantag` on macOS, `%APPDATA%\spantag\config` on Windows).
pub fn config_dir() -> Option<PathBuf> {
    dir_or("SPANTAG_CONFIG_DIR", || {
        project_dirs().map(|p| p.config_dir().to_owned())
    })
}

/// Where recovery slots and project locks live (in its `recovery` folder): `$SPANTAG_STATE_DIR`, else the system's state folder for spantag
/// (`$XDG_STATE_HOME/spantag` or `~/.local/state/spantag` on Linux), or its local data folder
/// where there is no state folder (`~/Library/Application Support/spantag` on macOS,
/// `%LOCALAPPDATA%\spantag\data` on Windows).
pub fn state_dir() -> Option<PathBuf> {
    dir_or("SPANTAG_STATE_DIR", || {
        project_dirs().map(|p| p.state_dir().unwrap_or(p.data_local_dir()).to_owned())
    })
}

/// Reads the settings file; a missing or unreadable file gives defaults.
pub fn load_settings() -> Settings {
    config_dir()
        .map(|d| load_settings_from(&d))
        .unwrap_or_default()
}

/// Reads the settings file in `dir`; a missing or unreadable file gives defaults.
pub fn load_settings_from(dir: &Path) -> Settings {
    std::fs::read_to_string(dir.join("settings.ron"))
        .ok()
        .and_then(|s| ron::from_str(&s).ok())
        .unwrap_or_default()
}

/// Writes the settings file in `dir` (through a temporary file and a rename).
pub fn save_settings(dir: &Path, settings: &Settings) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("settings.ron");
    let text = ron::ser::to_string_pretty(settings, ron::ser::PrettyConfig::default())
        .map_err(|e| e.to_string())?;
    project_io::write_atomic(&path, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(path)
}

fn clean(s: String) -> Option<String> {
    let t = s.trim().to_owned();
    (!t.is_empty()).then_some(t)
}

/// The annotator name someone chose: the command line, else `$SPANTAG_ANNOTATOR`, else the
/// settings file. `None` at a first start.
pub fn configured_annotator(cli: Option<&str>) -> Option<String> {
    cli.map(str::to_owned)
        .and_then(clean)
        .or_else(|| std::env::var("SPANTAG_ANNOTATOR").ok().and_then(clean))
        .or_else(|| load_settings().annotator.and_then(clean))
}

/// The annotator name: [`configured_annotator`], else `$USER`, else `annotator`.
pub fn resolve_annotator(cli: Option<&str>) -> String {
    configured_annotator(cli)
        .or_else(|| std::env::var("USER").ok().and_then(clean))
        .or_else(|| std::env::var("USERNAME").ok().and_then(clean))
        .unwrap_or_else(|| "annotator".to_owned())
}

/// A job for the autosave worker.
enum Job {
    Write {
        project: Box<Project>,
        target: recovery::Target,
        revision: u64,
    },
    /// Remove the recovery data of this slot folder.
    Clear(PathBuf),
}

impl Job {
    fn slot(&self) -> &Path {
        match self {
            Job::Write { target, .. } => &target.dir,
            Job::Clear(dir) => dir,
        }
    }
}

/// Result of an autosave.
#[derive(Debug)]
pub struct AutosaveDone {
    /// The slot folder written.
    pub slot: PathBuf,
    pub revision: u64,
    pub result: Result<(), String>,
}

/// Writes recovery files on a background thread: the UI thread only copies the project (a pointer
/// per document) and sends it; serializing and writing happen on the worker.
pub struct Autosaver {
    dir: PathBuf,
    /// `None` once dropped (see `Drop`).
    tx: Option<Sender<Job>>,
    rx: Receiver<AutosaveDone>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Autosaver {
    /// Starts the worker; `dir` is the recovery folder (for [`Autosaver::dir`]), each job names
    /// its slot in it.
    pub fn start(dir: PathBuf) -> Self {
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel();
        let worker = std::thread::Builder::new()
            .name("spantag-autosave".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    let mut batch = vec![first];
                    batch.extend(jobs.try_iter());
                    // In order; a write that a later job of the same slot replaces is skipped.
                    for (i, job) in batch.iter().enumerate() {
                        let superseded = batch[i + 1..].iter().any(|j| j.slot() == job.slot());
                        match job {
                            Job::Write { .. } if superseded => {}
                            Job::Write {
                                project,
                                target,
                                revision,
                            } => {
                                let result = recovery::write(target, project);
                                let _ = done.send(AutosaveDone {
                                    slot: target.dir.clone(),
                                    revision: *revision,
                                    result,
                                });
                            }
                            Job::Clear(dir) => recovery::clear(dir),
                        }
                    }
                }
            })
            .ok();
        Autosaver {
            dir,
            tx: Some(tx),
            rx,
            worker,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues a recovery write of `project` (a copy of the workspace's, which shares its
    /// documents) at `revision` into the slot of `target`.
    pub fn save(&self, project: Project, target: recovery::Target, revision: u64) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Job::Write {
                project: Box::new(project),
                target,
                revision,
            });
        }
    }

    /// Queues removal of the recovery data of the slot folder `slot`.
    pub fn clear(&self, slot: &Path) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Job::Clear(slot.to_owned()));
        }
    }

    /// Finished autosaves since the last call.
    pub fn finished(&self) -> Vec<AutosaveDone> {
        self.rx.try_iter().collect()
    }
}

impl Drop for Autosaver {
    /// Waits for the queued jobs: a window that closes after a save must not leave the recovery
    /// data that the save was to clear (at most one write is in progress).
    fn drop(&mut self) {
        self.tx = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

/// How an explicit save ended: the stamp of the file written, or why nothing was saved.
pub type SaveOutcome = Result<Option<FileStamp>, String>;

/// An explicit save (Save, Save as…) running on a thread of its own: serializing and writing a
/// large project takes about a second, far too long for a frame. The thread writes through
/// `project_io::save` (atomic: the old file stays whole until the new one is complete) and then
/// takes the new file's stamp.
pub struct PendingSave {
    /// Where the project is being written.
    pub path: PathBuf,
    /// The workspace revision of the copy being written.
    pub revision: u64,
    rx: Receiver<SaveOutcome>,
}

impl PendingSave {
    /// Starts writing `project` (a copy of the workspace's at `revision`) to `path`. With `hold`,
    /// the thread waits before writing until a message arrives or its sender is dropped (for
    /// tests of what the app does meanwhile).
    pub fn start(
        project: Project,
        path: PathBuf,
        revision: u64,
        hold: Option<Receiver<()>>,
    ) -> Self {
        let (tx, rx) = channel();
        let failed = tx.clone();
        let target = path.clone();
        let spawned = std::thread::Builder::new()
            .name("spantag-save".into())
            .spawn(move || {
                if let Some(hold) = hold {
                    let _ = hold.recv();
                }
                let outcome = project_io::save(&project, &target)
                    .map(|()| FileStamp::of(&target))
                    .map_err(|e| e.to_string());
                let _ = tx.send(outcome);
            });
        if let Err(e) = spawned {
            let _ = failed.send(Err(format!("could not start the save thread: {e}")));
        }
        PendingSave { path, revision, rx }
    }

    /// How the save ended, once it has (`None` while it runs).
    pub fn outcome(&self) -> Option<SaveOutcome> {
        match self.rx.try_recv() {
            Ok(outcome) => Some(outcome),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(Err("the save stopped before it finished".to_owned()))
            }
        }
    }
}

/// What a file looked like when it was opened or last saved: its size and modification time,
/// to notice changes made by someone else. Taking and checking a stamp reads only the file's
/// metadata, never its content, so both fit in a frame whatever the file's size.
///
/// No content hash: every write by another program changes the modification time (to the
/// nanosecond on the usual file systems), and a hash was only ever consulted when size or time
/// had changed, so it could not catch a change that keeps both. All it did was spare the
/// question after a file was touched or rewritten with the same bytes; that question costs one
/// answer (Overwrite), while hashing read the whole file on the UI thread (282 ms for 136 MB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

impl FileStamp {
    /// The stamp of the file at `path` now, or `None` if its metadata cannot be read.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    /// The stamp as text (`size:N modified:SECONDS.NANOS`), as a recovery slot remembers the
    /// file its work started from.
    pub fn describe(&self) -> String {
        let modified = self
            .modified
            .and_then(|t| t.duration_since(std::time::SystemTime::UNIX_EPOCH).ok())
            .map_or_else(
                || "unknown".to_owned(),
                |d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()),
            );
        format!("size:{} modified:{modified}", self.len)
    }

    /// Whether the file at `path` still has this size and modification time.
    pub fn matches(&self, path: &Path) -> bool {
        FileStamp::of(path).as_ref() == Some(self)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn an_unset_override_falls_back() {
        let fallback = || Some(PathBuf::from("fallback"));
        let unset = "SPANTAG_TEST_VARIABLE_THAT_IS_NEVER_SET";
        assert_eq!(dir_or(unset, fallback), Some(PathBuf::from("fallback")));
    }

    #[test]
    fn folders_follow_the_system_conventions() {
        let Some(p) = project_dirs() else {
            return; // no home folder here
        };
        #[cfg(target_os = "linux")]
        {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let xdg = |var: &str, default: &str| {
                std::env::var_os(var)
                    .map(PathBuf::from)
                    .filter(|d| d.is_absolute())
                    .or_else(|| home.as_ref().map(|h| h.join(default)))
                    .map(|d| d.join("spantag"))
            };
            assert_eq!(
                Some(p.config_dir()),
                xdg("XDG_CONFIG_HOME", ".config").as_deref()
            );
            assert_eq!(
                p.state_dir(),
                xdg("XDG_STATE_HOME", ".local/state").as_deref()
            );
        }
        #[cfg(target_os = "macos")]
        assert!(
            p.config_dir()
                .ends_with("Library/Application Support/spantag")
        );
        #[cfg(windows)]
        assert!(p.config_dir().ends_with("spantag\\config"));
        if std::env::var_os("SPANTAG_CONFIG_DIR").is_none() {
            assert_eq!(config_dir().as_deref(), Some(p.config_dir()));
        }
        if std::env::var_os("SPANTAG_STATE_DIR").is_none() {
            let state = state_dir().unwrap();
            // macOS keeps both in Application Support; the file names differ.
            #[cfg(not(target_os = "macos"))]
            assert_ne!(state, p.config_dir());
            assert!(state.ends_with("spantag") || state.ends_with("spantag\\data"));
        }
    }
}
