//! Everything that touches the disk besides explicit saves: the settings file, the annotator
//! name, the autosave worker thread and its recovery file, and file stamps that detect outside
//! changes to the project file.

use serde::{Deserialize, Serialize};
use spantag_core::model::Project;
use spantag_core::project_io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::SystemTime;

/// Persistent user settings (`$XDG_CONFIG_HOME/spantag/settings.ron`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub annotator: Option<String>,
}

/// The settings directory (`$SPANTAG_CONFIG_DIR`, else `$XDG_CONFIG_HOME/spantag`, else
/// `~/.config/spantag`).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SPANTAG_CONFIG_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CONFIG_HOME") {
        return Some(PathBuf::from(d).join("spantag"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config").join("spantag"))
}

/// Where recovery files live (`$SPANTAG_STATE_DIR`, else `$XDG_STATE_HOME/spantag`, else
/// `~/.local/state/spantag`).
pub fn state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("SPANTAG_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return Some(PathBuf::from(d).join("spantag"));
    }
    std::env::var_os("HOME").map(|h| {
        PathBuf::from(h)
            .join(".local")
            .join("state")
            .join("spantag")
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

/// What the recovery file says about the work it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecoveryMeta {
    /// The project file the work belongs to, if it had one.
    pub path: Option<PathBuf>,
    /// When it was written (seconds since the Unix epoch).
    pub written: u64,
}

/// Paths of the recovery project and its metadata.
pub fn recovery_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("recovery.ron"), dir.join("recovery.meta.ron"))
}

/// A recovery file left by an earlier session, if any.
pub fn find_recovery(dir: &Path) -> Option<(Project, RecoveryMeta)> {
    let (proj, meta) = recovery_paths(dir);
    let meta: RecoveryMeta = ron::from_str(&std::fs::read_to_string(meta).ok()?).ok()?;
    let project = project_io::load(&proj).ok()?;
    Some((project, meta))
}

/// Removes the recovery files (after a save or an explicit discard).
pub fn clear_recovery(dir: &Path) {
    let (proj, meta) = recovery_paths(dir);
    let _ = std::fs::remove_file(meta);
    let _ = std::fs::remove_file(proj);
}

/// A job for the autosave worker.
enum Job {
    Write {
        project: Box<Project>,
        path: Option<PathBuf>,
        revision: u64,
    },
    Clear,
}

/// Result of an autosave.
#[derive(Debug)]
pub struct AutosaveDone {
    pub revision: u64,
    pub result: Result<(), String>,
}

/// Writes recovery files on a background thread: the UI thread only clones the project and sends
/// it; serializing and writing happen on the worker.
pub struct Autosaver {
    dir: PathBuf,
    tx: Sender<Job>,
    rx: Receiver<AutosaveDone>,
}

impl Autosaver {
    /// Starts the worker writing into `dir`.
    pub fn start(dir: PathBuf) -> Self {
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel();
        let wdir = dir.clone();
        std::thread::Builder::new()
            .name("spantag-autosave".into())
            .spawn(move || {
                while let Ok(mut job) = jobs.recv() {
                    // Only the newest queued job matters.
                    while let Ok(next) = jobs.try_recv() {
                        job = next;
                    }
                    match job {
                        Job::Write {
                            project,
                            path,
                            revision,
                        } => {
                            let result = write_recovery(&wdir, &project, path);
                            let _ = done.send(AutosaveDone { revision, result });
                        }
                        Job::Clear => clear_recovery(&wdir),
                    }
                }
            })
            .ok();
        Autosaver { dir, tx, rx }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues a recovery write of `project` at `revision`.
    pub fn save(&self, project: Project, path: Option<PathBuf>, revision: u64) {
        let _ = self.tx.send(Job::Write {
            project: Box::new(project),
            path,
            revision,
        });
    }

    /// Queues removal of the recovery files.
    pub fn clear(&self) {
        let _ = self.tx.send(Job::Clear);
    }

    /// Finished autosaves since the last call.
    pub fn finished(&self) -> Vec<AutosaveDone> {
        self.rx.try_iter().collect()
    }
}

fn write_recovery(dir: &Path, project: &Project, path: Option<PathBuf>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (proj, meta) = recovery_paths(dir);
    let mut project = project.clone();
    project.normalize();
    let text = project_io::to_ron_string(&project).map_err(|e| e.to_string())?;
    project_io::write_atomic(&proj, text.as_bytes()).map_err(|e| e.to_string())?;
    let written = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let m = ron::to_string(&RecoveryMeta { path, written }).map_err(|e| e.to_string())?;
    project_io::write_atomic(&meta, m.as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}

/// What a file looked like when it was opened or last saved: size, modification time and a
/// content hash, to notice changes made by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub hash: String,
}

impl FileStamp {
    /// The stamp of the file at `path` now, or `None` if it cannot be read.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        let bytes = std::fs::read(path).ok()?;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            hash: spantag_core::model::content_hash(&String::from_utf8_lossy(&bytes)),
        })
    }

    /// Whether the file at `path` still matches this stamp (cheap check first, hash if the
    /// metadata differs).
    pub fn matches(&self, path: &Path) -> bool {
        let Ok(meta) = std::fs::metadata(path) else {
            return false;
        };
        if meta.len() == self.len && meta.modified().ok() == self.modified {
            return true;
        }
        FileStamp::of(path).is_some_and(|s| s.hash == self.hash)
    }
}
