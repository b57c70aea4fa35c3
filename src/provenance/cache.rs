//! The index cached between calls, in one JSON file per memory directory under the cache folder the face
//! passes in (never inside the memory directory): for each transcript, its path, size and modification
//! time and the writes read from it. A transcript whose size or time changed is read again.
//!
//! The file is hostile input like any other: over [`MAX_CACHE_BYTES`], unparsable, of another version or
//! another memory directory, it is ignored; an entry with an implausible write is dropped (so its
//! transcript is read again). It is replaced atomically (written aside, then renamed).

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::scan::{self, Write};
use crate::memory::digest::sha256_hex;

/// Largest cache file read.
const MAX_CACHE_BYTES: u64 = 256 << 20;
/// The cache format; another number is ignored.
const VERSION: u32 = 1;

/// A transcript as last indexed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileKey {
    /// Full path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u64,
}

/// One transcript's writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Which transcript, at which size and time.
    pub key: FileKey,
    /// What it wrote to memory.
    pub writes: Vec<Write>,
}

/// The file's shape.
#[derive(Debug, Serialize, Deserialize)]
struct Stored<E> {
    version: u32,
    memory_dir: String,
    entries: Vec<E>,
}

/// The entries of the cache not yet claimed by a transcript.
#[derive(Debug, Default)]
pub struct Cache {
    entries: HashMap<String, Entry>,
}

/// The cache file of `memory_dir` in `dir`.
fn file(dir: &Path, memory_dir: &Path) -> PathBuf {
    let digest = sha256_hex(memory_dir.as_os_str().as_encoded_bytes());
    dir.join(format!("provenance-{}.json", &digest[..16]))
}

/// Whether a cached write could have come from [`scan::scan`].
fn plausible(w: &Write) -> bool {
    scan::relative(Path::new(&w.file)).as_deref() == Some(w.file.as_str())
        && w.session.len() <= 128
        && w.uuid.len() <= 128
        && w.timestamp.len() <= 64
        && w.tool.len() <= 32
        && w.user
            .as_ref()
            .is_none_or(|u| u.len() <= 4 * scan::USER_SNIPPET_CHARS + 8)
}

impl Cache {
    /// The cache of `memory_dir` in `dir`, empty when there is none or it cannot be used (with why, for
    /// a file that exists but is refused).
    pub fn load(dir: Option<&Path>, memory_dir: &Path) -> (Cache, Option<String>) {
        let Some(dir) = dir else {
            return (Cache::default(), None);
        };
        let path = file(dir, memory_dir);
        let refused = |why: String| {
            (
                Cache::default(),
                Some(format!(
                    "provenance cache {} ignored: {why}",
                    path.display()
                )),
            )
        };
        let f = match crate::os::open_read_no_follow(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Cache::default(), None),
            Err(e) => return refused(e.to_string()),
        };
        let mut text = Vec::new();
        if let Err(e) = f.take(MAX_CACHE_BYTES + 1).read_to_end(&mut text) {
            return refused(e.to_string());
        }
        if text.len() as u64 > MAX_CACHE_BYTES {
            return refused(format!("larger than {MAX_CACHE_BYTES} bytes"));
        }
        let stored: Stored<Entry> = match serde_json::from_slice(&text) {
            Ok(s) => s,
            Err(e) => return refused(format!("not a cache file ({e})")),
        };
        if stored.version != VERSION || stored.memory_dir != memory_dir.display().to_string() {
            return refused("written for another version or memory directory".to_string());
        }
        let entries = stored
            .entries
            .into_iter()
            .filter(|e| e.writes.iter().all(plausible))
            .map(|e| (e.key.path.clone(), e))
            .collect();
        (Cache { entries }, None)
    }

    /// The entry of a transcript at exactly this size and time, taken out of the cache.
    pub fn take(&mut self, key: &FileKey) -> Option<Entry> {
        match self.entries.remove(&key.path) {
            Some(e) if e.key == *key => Some(e),
            _ => None,
        }
    }

    /// Whether entries are left that no transcript claimed (transcripts since deleted).
    pub fn has_leftovers(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Replaces the cache of `memory_dir` in `dir` with `entries`; a problem comes back as a warning.
    pub fn save<'a>(
        dir: Option<&Path>,
        memory_dir: &Path,
        entries: impl Iterator<Item = &'a Entry>,
    ) -> Option<String> {
        let dir = dir?;
        let path = file(dir, memory_dir);
        let stored = Stored {
            version: VERSION,
            memory_dir: memory_dir.display().to_string(),
            entries: entries.collect(),
        };
        let result = (|| -> std::io::Result<()> {
            fs::create_dir_all(dir)?;
            let text = serde_json::to_vec(&stored)?;
            let aside = path.with_extension(format!("json.tmp-{}", std::process::id()));
            fs::write(&aside, text)?;
            fs::rename(&aside, &path).inspect_err(|_| {
                let _ = fs::remove_file(&aside);
            })
        })();
        result
            .err()
            .map(|e| format!("provenance cache {} not written: {e}", path.display()))
    }
}
