//! Bounded reads: the one way the core reads an input file (articles, import files, projects).
//!
//! [`read_bounded`] opens the file, refuses what is not a regular file (a FIFO would block
//! forever, `/dev/zero` never ends) and counts the bytes it actually reads, so that a file that
//! grows while it is read, or whose size is not what its metadata says, is still cut off.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a file could not be read. Each message names the file and says the reason once (the
/// operating system's error is part of the message, not a separate cause in the chain).
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: this is {kind}, not a regular file")]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{path}: larger than the limit of {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },
}

impl ReadError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }
}

/// What kind of file `meta` describes, in words, when it is not a regular file.
pub(crate) fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a regular file")
}

/// Opens `path` (following symbolic links) and checks with the opened file's own metadata that
/// it is a regular file. On Unix the file is opened without blocking, so that opening a FIFO
/// with no writer returns at once and is then refused.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), ReadError> {
    let io = |error| ReadError::Io {
        path: path.to_owned(),
        error,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK only matters for opening FIFOs and devices, which are refused below; reads
        // from regular files ignore it.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if let Some(kind) = not_regular(&meta) {
        return Err(ReadError::NotAFile {
            path: path.to_owned(),
            kind,
        });
    }
    Ok((file, meta))
}

/// Reads from `file` until its end into `buf`, refusing more than `max` bytes in all (what `buf`
/// already holds counts). `hint` is the expected total length (for one allocation).
pub(crate) fn read_rest(
    file: &mut File,
    path: &Path,
    max: u64,
    hint: u64,
    buf: &mut Vec<u8>,
) -> Result<(), ReadError> {
    let already = buf.len() as u64;
    let room = max.saturating_sub(already);
    let wanted = hint.saturating_sub(already).min(room);
    buf.reserve(usize::try_from(wanted).unwrap_or(0).saturating_add(1));
    file.take(room.saturating_add(1))
        .read_to_end(buf)
        .map_err(|error| ReadError::Io {
            path: path.to_owned(),
            error,
        })?;
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            limit: max,
        });
    }
    Ok(())
}

/// Reads the whole regular file at `path` (symbolic links followed), refusing folders, FIFOs,
/// sockets and devices, and any file of more than `max` bytes, counted as they are read.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let (mut file, meta) = open_regular(path)?;
    if meta.len() > max {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
            limit: max,
        });
    }
    let mut buf = Vec::new();
    read_rest(&mut file, path, max, meta.len(), &mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("spantag-read-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_file_at_the_limit_is_read_and_one_byte_more_is_refused() {
        let dir = temp_dir("limit");
        let at = dir.join("at.txt");
        let over = dir.join("over.txt");
        std::fs::write(&at, "ünïc").expect("write"); // 6 bytes
        std::fs::write(&over, "ünïcd").expect("write"); // 7 bytes
        assert_eq!(read_bounded(&at, 6).expect("read"), "ünïc".as_bytes());
        let e = read_bounded(&over, 6).expect_err("over the limit");
        assert!(matches!(e, ReadError::TooLarge { limit: 6, .. }));
        assert_eq!(
            e.to_string(),
            format!("{}: larger than the limit of 6 bytes", over.display())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_file_names_the_reason_once() {
        let dir = temp_dir("missing");
        let e = read_bounded(&dir.join("nope.txt"), 10).expect_err("missing");
        assert!(e.is_not_found());
        let text = e.to_string();
        assert_eq!(text.matches("os error 2").count(), 1, "{text}");
        assert!(std::error::Error::source(&e).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn folders_are_refused_by_name() {
        let dir = temp_dir("folder");
        let e = read_bounded(&dir, 10).expect_err("a folder");
        assert_eq!(
            e.to_string(),
            format!("{}: this is a folder, not a regular file", dir.display())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_are_refused_even_through_a_link() {
        let dir = temp_dir("dev");
        let link = dir.join("zero.txt");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        let e = read_bounded(&link, 10).expect_err("a device");
        assert!(
            e.to_string()
                .ends_with("this is a character device, not a regular file"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_limit_counts_bytes_read_not_the_size_the_file_claims() {
        // Files under /proc are regular files that claim a size of 0 bytes.
        let path = Path::new("/proc/self/status");
        let claimed = std::fs::metadata(path).expect("metadata").len();
        assert_eq!(claimed, 0);
        let e = read_bounded(path, 100).expect_err("over the limit");
        assert!(matches!(e, ReadError::TooLarge { limit: 100, .. }), "{e}");
        assert!(read_bounded(path, 1 << 20).expect("read").len() > 100);
    }
}
