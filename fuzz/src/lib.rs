//! spantag's fuzz targets (see `fuzz_targets/`): the checks they run live in [`checks`], which
//! the core's regression test replays on every input kept in
//! `crates/spantag-core/tests/fuzz-regressions/TARGET/`.

pub mod checks;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's folder for the importers' input files: in `/dev/shm` where there is one (no
/// disk writes per run), else in the system's temporary folder.
fn scratch_root() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("spantag-fuzz-{}", std::process::id()));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {e}", dir.display());
        }
        dir
    })
}

/// Runs fuzz target `name` on one input.
pub fn run(name: &str, data: &[u8]) {
    let dir = scratch_root().join(name);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    checks::run(name, data, &dir);
}
