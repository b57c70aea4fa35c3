//! One transcript read line by line into the memory writes it records.
//!
//! Only lines that can matter are decoded: a cheap byte search picks assistant lines holding a `tool_use`
//! of a writing tool, `user` lines that are typed prompts (for the snippet of what the user said), and
//! `tool_result` lines with `is_error` while a write waits for its result. Lines are read through
//! [`ClipLongLines`], so a line of hundreds of megabytes is never buffered whole (a clipped line does not
//! parse and is skipped).
//!
//! Before that, [`Prefilter::might_write`] reads the transcript once in large buffers for any byte string a
//! recorded write must hold (a memory path, this server's write tools); most sessions hold none and
//! cost one multi-needle search, as much as one `rg` pass, instead of a walk line by line.

use std::io::{BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use memchr::memmem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::claude_code::coverage::slug_prefix_of;
use crate::claude_code::slug;
use crate::transcripts::clip::ClipLongLines;
use crate::transcripts::record::{self, Role, Wanted};
use crate::transcripts::sink::Redacted;

/// Longest line decoded; longer ones (tool output, images) are clipped and skipped.
pub const MAX_LINE_BYTES: usize = 8 << 20;
/// Longest typed prompt decoded for its snippet; a longer `user` line is a paste, not worth the parse.
const MAX_PROMPT_LINE: usize = 256 << 10;
/// Characters of the user's words kept with a write.
pub const USER_SNIPPET_CHARS: usize = 120;
/// Most text kept from one write (the memory files themselves are smaller).
const MAX_TEXT_BYTES: usize = 256 << 10;
/// Most writes kept from one transcript; a transcript claiming more is hostile or broken.
const MAX_WRITES_PER_FILE: usize = 10_000;
/// Longest path accepted in a tool call.
const MAX_PATH_BYTES: usize = 4096;

/// One recorded change to a memory file: which tool call, when, in which session, and the text it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Write {
    /// The session (`sessionId`).
    pub session: String,
    /// The `uuid` of the assistant line holding the tool call.
    pub uuid: String,
    /// When the call was made (RFC 3339, from the transcript).
    pub timestamp: String,
    /// The tool: `Write`, `Edit`, `MultiEdit`, `write_memory_file` or `rewrite_index`.
    pub tool: String,
    /// The memory file, relative to the memory directory.
    pub file: String,
    /// The text written: the whole content for `Write`, the new strings for edits (one per line group).
    pub text: String,
    /// The last thing the user (or, in a subagent, the main agent) said before the call, shortened.
    pub user: Option<String>,
}

/// Where memory writes may point: the memory directory (as given and canonical).
#[derive(Debug, Clone)]
pub struct Target {
    roots: Vec<PathBuf>,
}

impl Target {
    /// Writes into `memory_dir` (either spelling of it) count.
    pub fn new(memory_dir: &Path) -> Target {
        let mut roots = vec![memory_dir.to_path_buf()];
        if let Ok(c) = std::fs::canonicalize(memory_dir)
            && c != memory_dir
        {
            roots.push(c);
        }
        Target { roots }
    }

    /// The memory file an absolute `file_path` names, relative to the memory directory: a path under it,
    /// or `<any>/projects/<key>/memory/<file>` where `<key>` is the project key of the session's `cwd` or
    /// of a folder above it (the same memory written from another home, as in a copied transcript).
    /// `None` for anything else, including paths with `.` or `..` parts.
    pub fn resolve(&self, file_path: &str, cwd: Option<&str>) -> Option<String> {
        if file_path.len() > MAX_PATH_BYTES {
            return None;
        }
        let path = Path::new(file_path);
        if !path.is_absolute()
            || path
                .components()
                .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        {
            return None;
        }
        for root in &self.roots {
            if let Ok(rel) = path.strip_prefix(root) {
                return relative(rel);
            }
        }
        let parts: Vec<&str> = path
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        let cwd_slug = slug::slug(Path::new(cwd?));
        let at = parts.windows(3).position(|w| {
            w[0] == "projects" && w[2] == "memory" && slug_prefix_of(w[1], &cwd_slug)
        })?;
        relative(Path::new(&parts[at + 3..].join("/")))
    }
}

/// `rel` as a memory-relative path (`a.md`, `team/b.md`): normal parts only, `/`-separated, not empty.
pub fn relative(rel: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty() && rel.as_os_str().len() <= MAX_PATH_BYTES).then(|| parts.join("/"))
}

/// Buffer [`Prefilter::might_write`] reads a transcript in.
const PREFILTER_BUFFER: usize = 1 << 20;

/// Byte strings one of which every write [`scan`] records must hold, searched for in one pass.
pub struct Prefilter {
    teddy: Option<aho_corasick::packed::Searcher>,
    finders: Vec<memmem::Finder<'static>>,
    keep: usize,
}

impl Prefilter {
    /// The strings for writes into `target`: `/memory/`, plain or JSON-escaped (a project key's memory
    /// in any home, and every root that ends in `memory`), any other root (as written or escaped), and
    /// the names of this server's write tools.
    pub fn new(target: &Target) -> Prefilter {
        let mut needles: Vec<String> = vec![
            "/memory/".into(),
            "\\/memory\\/".into(),
            "write_memory_file\"".into(),
            "rewrite_index\"".into(),
        ];
        for root in &target.roots {
            let plain = root.to_string_lossy().into_owned();
            if plain.ends_with("/memory") {
                continue;
            }
            let escaped = serde_json::to_string(&plain).unwrap_or_default();
            let escaped = escaped.trim_matches('"').to_string();
            needles.push(escaped.replace('/', "\\/"));
            needles.push(escaped);
            needles.push(plain);
        }
        needles.retain(|n| !n.is_empty());
        needles.sort();
        needles.dedup();
        // Teddy (a SIMD multi-substring search) when the CPU has it, else one search per needle.
        let teddy = aho_corasick::packed::Config::new()
            .builder()
            .extend(&needles)
            .build();
        let finders = match teddy {
            Some(_) => Vec::new(),
            None => needles
                .iter()
                .map(|n| memmem::Finder::new(n).into_owned())
                .collect(),
        };
        let keep = needles.iter().map(String::len).max().unwrap_or(1) - 1;
        Prefilter {
            teddy,
            finders,
            keep,
        }
    }

    fn found(&self, hay: &[u8]) -> bool {
        match &self.teddy {
            Some(t) => t.find(hay).is_some(),
            None => self.finders.iter().any(|f| f.find(hay).is_some()),
        }
    }

    /// Whether `reader` (one transcript) holds one of the strings, with the bytes read; `buf` is the
    /// caller's, reused across transcripts. Read errors count as a hit, so [`scan`] meets and handles them.
    pub fn might_write(&self, mut reader: impl Read, buf: &mut Vec<u8>) -> (bool, u64) {
        buf.resize(PREFILTER_BUFFER + self.keep, 0);
        let (mut filled, mut bytes) = (0usize, 0u64);
        loop {
            let n = match reader.read(&mut buf[filled..]) {
                Ok(0) => return (false, bytes),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return (true, bytes),
            };
            bytes += n as u64;
            filled += n;
            if self.found(&buf[..filled]) {
                return (true, bytes);
            }
            // Keep the tail a needle could start in.
            let tail = filled.min(self.keep);
            buf.copy_within(filled - tail..filled, 0);
            filled = tail;
        }
    }
}

/// What reading one transcript gave.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The writes it records, in file order, rejected calls removed.
    pub writes: Vec<Write>,
    /// Bytes read.
    pub bytes: u64,
}

/// Byte patterns that pick the lines worth decoding.
struct Needles {
    tool_use: memmem::Finder<'static>,
    write: memmem::Finder<'static>,
    edit: memmem::Finder<'static>,
    mcp_write: memmem::Finder<'static>,
    mcp_index: memmem::Finder<'static>,
    user: memmem::Finder<'static>,
    tool_result: memmem::Finder<'static>,
    is_error: memmem::Finder<'static>,
}

impl Needles {
    fn new() -> Needles {
        Needles {
            tool_use: memmem::Finder::new(b"\"tool_use\""),
            write: memmem::Finder::new(b"Write\""),
            edit: memmem::Finder::new(b"Edit\""),
            mcp_write: memmem::Finder::new(b"write_memory_file\""),
            mcp_index: memmem::Finder::new(b"rewrite_index\""),
            user: memmem::Finder::new(b"\"user\""),
            tool_result: memmem::Finder::new(b"\"tool_result\""),
            is_error: memmem::Finder::new(b"\"is_error\""),
        }
    }

    fn writing_call(&self, line: &[u8]) -> bool {
        self.tool_use.find(line).is_some()
            && (self.write.find(line).is_some()
                || self.edit.find(line).is_some()
                || self.mcp_write.find(line).is_some()
                || self.mcp_index.find(line).is_some())
    }
}

/// A write waiting for its tool result.
struct Pending {
    id: String,
    write: Write,
}

/// Reads `reader` (one transcript) and returns its memory writes as `target` resolves them.
pub fn scan(reader: impl Read, target: &Target) -> Scanned {
    let needles = Needles::new();
    let mut clip = ClipLongLines::new(reader, MAX_LINE_BYTES);
    let mut lines = BufReader::with_capacity(256 << 10, &mut clip);
    let mut line = Vec::new();
    let mut last_user: Option<String> = None;
    let mut pending: Vec<Pending> = Vec::new();
    let mut writes = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if needles.writing_call(&line) {
            pending.extend(calls(&line, target, last_user.as_deref()));
            if pending.len() > MAX_WRITES_PER_FILE {
                break;
            }
        } else if needles.tool_result.find(&line).is_some() {
            if !pending.is_empty() && needles.is_error.find(&line).is_some() {
                let failed = failed_results(&line);
                pending.retain(|p| {
                    let done = failed.contains(&p.id);
                    !done
                });
            }
        } else if line.len() <= MAX_PROMPT_LINE
            && needles.user.find(&line).is_some()
            && let Some(said) = prompt(&line)
        {
            last_user = Some(said);
        }
        // Writes whose result has come are settled; keep the buffer short.
        if pending.len() > 64 {
            writes.extend(pending.drain(..pending.len() - 64).map(|p| p.write));
        }
    }
    drop(lines);
    writes.extend(pending.into_iter().map(|p| p.write));
    writes.truncate(MAX_WRITES_PER_FILE);
    Scanned {
        writes,
        bytes: clip.consumed(),
    }
}

/// What the user typed in a `user` line (or the main agent's briefing in a subagent), shortened.
fn prompt(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let rec = record::parse(
        text,
        Wanted {
            tool_output: false,
            thinking: false,
        },
    )
    .ok()?;
    let said = rec
        .pieces
        .iter()
        .filter(|p| matches!(p.role, Role::User | Role::Agent))
        .map(|p| p.text.as_ref())
        .collect::<Vec<_>>()
        .join(" ");
    let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
    if said.is_empty() {
        return None;
    }
    Some(shorten(&Redacted::new(&said).text, USER_SNIPPET_CHARS))
}

/// `s` cut to at most `chars` characters, with `…` when cut.
pub fn shorten(s: &str, chars: usize) -> String {
    match s.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The ids of the `tool_result` blocks marked `is_error: true` in a line.
fn failed_results(line: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<Value>(line) else {
        return Vec::new();
    };
    blocks(&v)
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        .filter(|b| b.get("is_error").and_then(Value::as_bool) == Some(true))
        .filter_map(|b| b.get("tool_use_id")?.as_str().map(str::to_string))
        .collect()
}

/// The content blocks of a line's message.
fn blocks(v: &Value) -> impl Iterator<Item = &Value> {
    v.get("message")
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A string field, capped.
fn text_of(v: &Value, key: &str) -> Option<String> {
    let s = v.get(key)?.as_str()?;
    let cut = (0..=s.len().min(MAX_TEXT_BYTES))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    Some(s[..cut].to_string())
}

/// The memory writes among an assistant line's tool calls.
fn calls(line: &[u8], target: &Target, user: Option<&str>) -> Vec<Pending> {
    let Ok(v) = serde_json::from_slice::<Value>(line) else {
        return Vec::new();
    };
    if v.get("type").and_then(Value::as_str) != Some("assistant") {
        return Vec::new();
    }
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(session), Some(uuid), Some(timestamp)) =
        (field("sessionId"), field("uuid"), field("timestamp"))
    else {
        return Vec::new();
    };
    let cwd = field("cwd");
    blocks(&v)
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .filter_map(|b| {
            let id = b.get("id")?.as_str()?.to_string();
            let name = b.get("name")?.as_str()?;
            let input = b.get("input")?;
            let tool = tool_name(name)?;
            let (file, text) = match tool {
                "Write" => (
                    target.resolve(input.get("file_path")?.as_str()?, cwd.as_deref())?,
                    text_of(input, "content")?,
                ),
                "Edit" => (
                    target.resolve(input.get("file_path")?.as_str()?, cwd.as_deref())?,
                    text_of(input, "new_string")?,
                ),
                "MultiEdit" => {
                    let file = target.resolve(input.get("file_path")?.as_str()?, cwd.as_deref())?;
                    let edits = input.get("edits")?.as_array()?;
                    let texts: Vec<String> = edits
                        .iter()
                        .filter_map(|e| text_of(e, "new_string"))
                        .collect();
                    (file, texts.join("\n"))
                }
                "write_memory_file" => (
                    relative(Path::new(input.get("path")?.as_str()?))?,
                    text_of(input, "content")?,
                ),
                _ => ("MEMORY.md".to_string(), text_of(input, "content")?),
            };
            Some(Pending {
                id,
                write: Write {
                    session: session.clone(),
                    uuid: uuid.clone(),
                    timestamp: timestamp.clone(),
                    tool: tool.to_string(),
                    file,
                    text,
                    user: user.map(str::to_string),
                },
            })
        })
        .collect()
}

/// The writing tool a `tool_use` name is: Claude Code's own, or this server's (`mcp__<server>__<tool>`).
fn tool_name(name: &str) -> Option<&'static str> {
    match name {
        "Write" => Some("Write"),
        "Edit" => Some("Edit"),
        "MultiEdit" => Some("MultiEdit"),
        n if n == "write_memory_file" || n.ends_with("__write_memory_file") => {
            Some("write_memory_file")
        }
        n if n == "rewrite_index" || n.ends_with("__rewrite_index") => Some("rewrite_index"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_inside_the_memory_only() {
        let t = Target {
            roots: vec![PathBuf::from("/h/.claude/projects/-w-app/memory")],
        };
        let r = |p: &str, cwd: Option<&str>| t.resolve(p, cwd);
        assert_eq!(
            r("/h/.claude/projects/-w-app/memory/a.md", None).as_deref(),
            Some("a.md")
        );
        assert_eq!(
            r("/h/.claude/projects/-w-app/memory/team/b.md", None).as_deref(),
            Some("team/b.md")
        );
        assert_eq!(r("/h/.claude/projects/-w-app/memory/../x.md", None), None);
        assert_eq!(r("/h/.claude/projects/-w-app/memory", None), None);
        assert_eq!(r("relative/memory/a.md", None), None);
        assert_eq!(r("/etc/passwd", Some("/w/app")), None);
        // Another home, the same project key as the session's cwd (or a folder above it).
        assert_eq!(
            r(
                "/old/.claude/projects/-w-app/memory/a.md",
                Some("/w/app/sub")
            )
            .as_deref(),
            Some("a.md")
        );
        assert_eq!(
            r("/old/.claude/projects/-w-app/memory/a.md", Some("/w/apple")),
            None
        );
        assert_eq!(
            r("/old/.claude/projects/-w-other/memory/a.md", Some("/w/app")),
            None
        );
    }

    #[test]
    fn prefilter_passes_every_spelling_of_a_memory_write_and_nothing_else() {
        let custom = Target {
            roots: vec![PathBuf::from("/srv/notes")],
        };
        let default = Target {
            roots: vec![PathBuf::from("/h/.claude/projects/-w-app/memory")],
        };
        let hit = |t: &Target, text: &[u8]| {
            let mut buf = Vec::new();
            Prefilter::new(t).might_write(text, &mut buf)
        };
        let write = br#"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Write","input":{"file_path":"/h/.claude/projects/-w-app/memory/a.md"}}]}}"#;
        assert_eq!(hit(&default, write), (true, write.len() as u64));
        // Escaped slashes, another home's memory, this server's tools, a custom root (plain and escaped).
        assert!(
            hit(
                &default,
                br#""file_path":"\/x\/projects\/-w-app\/memory\/a.md""#
            )
            .0
        );
        assert!(hit(&default, br#""name":"mcp__dream__write_memory_file""#).0);
        assert!(hit(&default, br#""name":"mcp__dream__rewrite_index""#).0);
        assert!(hit(&custom, br#""file_path":"/srv/notes/a.md""#).0);
        assert!(hit(&custom, br#""file_path":"\/srv\/notes\/a.md""#).0);
        // A session that never writes memory is read to its end and passed over.
        let other = br#"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Write","input":{"file_path":"/w/app/src/main.rs"}}]}}"#;
        assert_eq!(hit(&default, other), (false, other.len() as u64));
    }

    /// A reader that hands out at most `1000` bytes a read, so needles straddle reads.
    struct Chunked<'a>(&'a [u8]);

    impl Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(1000);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn prefilter_finds_a_needle_across_reads() {
        let t = Target {
            roots: vec![PathBuf::from("/srv/notes")],
        };
        let mut buf = Vec::new();
        for at in 990..1001 {
            let mut text = vec![b'x'; at];
            text.extend_from_slice(b"rewrite_index\"");
            text.extend(vec![b'y'; 3000]);
            let (hit, bytes) = Prefilter::new(&t).might_write(Chunked(&text), &mut buf);
            assert!(hit, "needle at {at}");
            assert!(bytes <= 2000, "read on past the needle at {at}: {bytes}");
            let clean = vec![b'x'; 5000];
            assert!(!Prefilter::new(&t).might_write(Chunked(&clean), &mut buf).0);
        }
    }

    #[test]
    fn names_of_writing_tools() {
        assert_eq!(
            tool_name("mcp__plugin_dream_dream__write_memory_file"),
            Some("write_memory_file")
        );
        assert_eq!(
            tool_name("mcp__dream__rewrite_index"),
            Some("rewrite_index")
        );
        assert_eq!(tool_name("NotebookEdit"), None);
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("ab", 3), "ab");
    }
}
