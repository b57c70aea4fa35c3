//! Journaled changes from the terminal: `dream-mcp edit`, `rm` and `index`. Each is one run made through
//! [`Dreamer::change_reported`] with the same functions and checks as the tools `write_memory_file`,
//! `delete_memory_file` and `rewrite_index`; this module only adds the editor session and the messages.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::change::edit;
use crate::change::run::{Dreamer, RunReport};
use crate::memory::digest::sha256_hex;
use crate::memory::dir::{Access, MAX_FILE_BYTES, MemoryPath};

use super::render;

/// `file` as the tools take it: relative to the memory directory. An absolute path inside the memory
/// directory (as a shell completes it) is made relative; everything else is left for the checks to judge.
fn relative(memory_root: &Path, file: &str) -> String {
    Path::new(file)
        .strip_prefix(memory_root)
        .ok()
        .and_then(|p| p.to_str())
        .map_or_else(|| file.to_string(), str::to_string)
}

/// The text printed after a change: the tool's warnings, then the run and how to undo it.
fn done(warnings: &[String], report: Option<RunReport>) -> String {
    let mut text: String = warnings.iter().map(|w| format!("warning: {w}\n")).collect();
    if let Some(r) = report {
        text.push_str(&render::run_report(&r));
    }
    text
}

/// Writes `text` to a new private file in `temp_dir` named after `path`, and returns its path.
fn keep(temp_dir: &Path, path: &MemoryPath, text: &[u8]) -> anyhow::Result<PathBuf> {
    let name = path.as_str().replace('/', "-");
    for n in 0..100u32 {
        let file = temp_dir.join(format!("dream-edit-{}-{n}-{name}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&file) {
            Ok(mut f) => {
                f.write_all(text)
                    .with_context(|| format!("writing {}", file.display()))?;
                return Ok(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", file.display())),
        }
    }
    bail!(
        "could not create a temporary file in {}",
        temp_dir.display()
    )
}

/// Reads at most [`MAX_FILE_BYTES`] + 1 bytes, so an oversized input is refused by the checks rather
/// than read whole.
fn read_bounded(mut input: impl Read, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    input
        .by_ref()
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("reading {what}"))?;
    Ok(buf)
}

/// Runs `editor` (a shell command line, as git runs `$EDITOR`) on `file` and waits for it.
fn run_editor(editor: &str, file: &Path) -> anyhow::Result<()> {
    let mut cmd = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.arg("/C").arg(format!("{editor} \"{}\"", file.display()));
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg(format!("{editor} \"$@\""))
            .arg(editor)
            .arg(file);
        c
    };
    let status = cmd
        .status()
        .with_context(|| format!("starting the editor {editor:?}"))?;
    if !status.success() {
        bail!("the editor {editor:?} exited with {status}");
    }
    Ok(())
}

/// `dream-mcp edit FILE`: the file (or an empty one for a new name) is copied to `temp_dir`, `editor`
/// changes the copy, and the result goes through `write_memory_file`'s checks (`rewrite_index`'s for
/// MEMORY.md) with the hash read before editing, so a change made meanwhile is not overwritten. On a
/// refusal nothing changes and the edited copy stays, named in the error.
pub fn edit(
    dreamer: &Dreamer,
    file: &str,
    editor: Option<&str>,
    temp_dir: &Path,
) -> anyhow::Result<String> {
    let Some(editor) = editor else {
        bail!("no editor: set VISUAL or EDITOR (e.g. `EDITOR=nano dream-mcp edit {file}`)");
    };
    let dir = dreamer.memory()?;
    let file = relative(dir.root(), file);
    let path = dir.resolve(&file, Access::Read)?;
    if !path.is_index() {
        // The write rules, checked before the editor opens rather than after the work is done.
        dir.resolve(&file, Access::Write)?;
    }
    let before = dir.read_opt(&path)?;
    let expected = before.as_deref().map(sha256_hex).unwrap_or_default();
    let original = before.unwrap_or_default();
    if std::str::from_utf8(&original).is_err() {
        bail!(
            "{path} is not UTF-8 text; `dream-mcp edit` edits text only, and nothing was changed"
        );
    }
    let copy = keep(temp_dir, &path, &original)?;
    if let Err(e) = run_editor(editor, &copy) {
        bail!(
            "{e:#}; nothing was changed; the copy is kept in {}",
            copy.display()
        );
    }
    let edited = read_bounded(
        std::fs::File::open(&copy).with_context(|| format!("opening {}", copy.display()))?,
        &copy.display().to_string(),
    )?;
    if edited == original {
        let _ = std::fs::remove_file(&copy);
        return Ok(format!("{path}: unchanged; nothing was written\n"));
    }
    let kept = |e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "{e}\nnothing was changed; your edited text is kept in {}",
            copy.display()
        )
    };
    let text = String::from_utf8(edited).map_err(|_| kept(&"the edited text is not UTF-8"))?;
    let summary = format!("edit {path} from the terminal");
    let written = if path.is_index() {
        dreamer
            .change_reported(&summary, |dir, run| {
                edit::rewrite_index(dir, run, &text, Some(&expected), &[])
            })
            .map(|(o, r)| done(&o.warnings, r))
    } else {
        dreamer
            .change_reported(&summary, |dir, run| {
                edit::write_file(dir, run, path.as_str(), &text, Some(&expected), &[])
            })
            .map(|(o, r)| done(&o.warnings, r))
    };
    let out = written.map_err(|e| kept(&e))?;
    let _ = std::fs::remove_file(&copy);
    Ok(out)
}

/// `dream-mcp rm FILE`: `delete_memory_file` as a run of its own.
pub fn rm(dreamer: &Dreamer, file: &str) -> anyhow::Result<String> {
    let file = relative(dreamer.memory()?.root(), file);
    let (outcome, report) = dreamer
        .change_reported(&format!("rm {file} from the terminal"), |dir, run| {
            edit::delete_file(dir, run, &file, None, &[])
        })?;
    let still: Vec<String> = outcome
        .index_lines_still_linking
        .iter()
        .map(|l| {
            format!(
                "MEMORY.md still links to {}: {l} (fix it with `dream-mcp edit MEMORY.md`)",
                outcome.path
            )
        })
        .collect();
    Ok(done(&still, report))
}

/// `dream-mcp index [FROM]`: `rewrite_index` with the content of `from` (or stdin when `None` or `-`),
/// as a run of its own. A refused index read from stdin is kept in `temp_dir`, named in the error.
pub fn index(dreamer: &Dreamer, from: Option<&Path>, temp_dir: &Path) -> anyhow::Result<String> {
    let from = from.filter(|p| *p != Path::new("-"));
    let bytes = match from {
        Some(p) => read_bounded(
            std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?,
            &p.display().to_string(),
        )?,
        None => read_bounded(std::io::stdin().lock(), "standard input")?,
    };
    let refused = |e: &dyn std::fmt::Display| -> anyhow::Error {
        match from {
            Some(p) => anyhow::anyhow!(
                "{e}\nnothing was changed ({} is left as it is)",
                p.display()
            ),
            None => match keep(temp_dir, &MemoryPath::index(), &bytes) {
                Ok(copy) => anyhow::anyhow!(
                    "{e}\nnothing was changed; the index you gave is kept in {}",
                    copy.display()
                ),
                Err(k) => {
                    anyhow::anyhow!("{e}\nnothing was changed (and it could not be kept: {k:#})")
                }
            },
        }
    };
    let text =
        std::str::from_utf8(&bytes).map_err(|_| refused(&"the new index is not UTF-8 text"))?;
    let (outcome, report) = dreamer
        .change_reported("rewrite MEMORY.md from the terminal", |dir, run| {
            edit::rewrite_index(dir, run, text, None, &[])
        })
        .map_err(|e| refused(&e))?;
    Ok(done(&outcome.warnings, report))
}
