//! Dream runs: one process's open consolidation, and the single journaled changes made outside one.
//!
//! `start` takes Claude Code's lock and opens a journal run; every change until `finish` or `abort` is
//! recorded in it; `finish` leaves the lock's mtime as the consolidation time and returns what changed,
//! with the diff and the undo command; `abort` restores every touched file and rolls the lock back.
//! Outside a dream, each change is its own journaled run, so nothing is ever lost.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;

use crate::change::external::{self, Budget, Observation};
use crate::change::journal::{GateBefore, Journal, Run, RunKind, RunRecord, RunStatus};
use crate::change::retention::{self, Acknowledgement, Forgotten, Retention};
use crate::claude_code::gate::{self, Gate, GateConfig};
use crate::claude_code::locations::Locations;
use crate::claude_code::lock::Lock;
use crate::error::{Error, Result};
use crate::findings::{Analysis, Finding};
use crate::inventory;
use crate::memory::dir::MemoryDir;
use crate::os::DirLock;
use crate::provenance::{Provenance, Sources};
use crate::settings::Settings;

/// Longest diff returned inline by `finish_dream`; `dream-mcp diff` shows all of it.
pub const MAX_INLINE_DIFF_CHARS: usize = 4_000;

/// Files a run's report names in each of `created`, `changed` and `deleted`; [`ChangeCounts`] counts
/// them all, and `dream-mcp diff <run>` shows every one.
pub const MAX_NAMED_FILES: usize = 25;

/// How many files a run created, changed and deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ChangeCounts {
    /// Files created.
    pub created: usize,
    /// Files changed.
    pub changed: usize,
    /// Files deleted.
    pub deleted: usize,
}

/// A run left open by a process that is gone.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InterruptedRun {
    /// The run id, for `dream-mcp diff` and `dream-mcp undo`.
    pub id: String,
    /// When it started.
    pub started: String,
    /// How many files it touched before it stopped.
    pub files_touched: usize,
}

/// The index and file counts the Orient phase starts from.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InventorySummary {
    /// Topic files (not counting MEMORY.md).
    pub topic_files: usize,
    /// MEMORY.md lines (Claude Code loads 200).
    pub index_lines: usize,
    /// MEMORY.md bytes (Claude Code loads 25,000).
    pub index_bytes: usize,
    /// Whether MEMORY.md is over either limit.
    pub index_over_limit: bool,
    /// Lines Claude Code cuts today.
    pub cut_lines: usize,
    /// Dead links in MEMORY.md.
    pub dead_links: usize,
    /// Topic files MEMORY.md does not link.
    pub orphans: usize,
}

/// What `start_dream` returns.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DreamStart {
    /// The journal run that records this dream.
    pub run_id: String,
    /// The memory directory being consolidated.
    pub memory_dir: String,
    /// Time since the last consolidation, the sessions since, and whether the automatic gate is open.
    pub gate: Gate,
    /// Runs a crashed or killed process left open; their changes can be reviewed and undone.
    pub interrupted_runs: Vec<InterruptedRun>,
    /// The inventory in numbers; call list_memory for the details.
    pub inventory: InventorySummary,
}

/// One file's change in a run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FileChange {
    /// Path relative to the memory directory.
    pub path: String,
    /// Lines before the run (0 when created).
    pub lines_before: usize,
    /// Lines after the run (0 when deleted).
    pub lines_after: usize,
}

/// What a closed run changed.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunReport {
    /// The run id.
    pub run_id: String,
    /// Finished or aborted.
    pub status: RunStatus,
    /// The run's summary.
    pub summary: String,
    /// How many files the run created, changed and deleted in all.
    pub counts: ChangeCounts,
    /// Files the run created (the first [`MAX_NAMED_FILES`]; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<FileChange>,
    /// Files the run changed (the first [`MAX_NAMED_FILES`]; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<FileChange>,
    /// Files the run deleted (the first [`MAX_NAMED_FILES`]; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<FileChange>,
    /// Unified diff of the run (cut at 4,000 characters; `dream-mcp diff <run>` shows all; absent when
    /// nothing changed).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
    /// Whether `diff` was cut (absent when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub diff_truncated: bool,
    /// The command that undoes this run, for a `dream-mcp` on PATH run in the project folder.
    pub undo_command: String,
    /// The same command with this binary's absolute path and the directories spelled out, so it works
    /// from anywhere (the plugin's binary is usually not on PATH).
    pub undo_command_full: String,
    /// The retention audit: how many specifics the run kept, and those it let go with their reasons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

/// Quotes `arg` for a POSIX shell when it holds anything but safe characters.
pub fn shell_quote(arg: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Builds the change report of a closed run from its before- and after-images.
pub fn report(
    journal: &Journal,
    dir: &MemoryDir,
    run: &RunRecord,
    executable: &str,
) -> Result<RunReport> {
    let lines = |b: Option<Vec<u8>>| b.map_or(0, |b| String::from_utf8_lossy(&b).lines().count());
    let (mut created, mut changed, mut deleted) = (Vec::new(), Vec::new(), Vec::new());
    let mut counts = ChangeCounts::default();
    for t in &run.touched {
        let after = t.after.clone().unwrap_or_else(|| t.before.clone());
        if after.sha256 == t.before.sha256 {
            continue;
        }
        let (list, count) = match (t.before.sha256.is_some(), after.sha256.is_some()) {
            (false, _) => (&mut created, &mut counts.created),
            (true, false) => (&mut deleted, &mut counts.deleted),
            (true, true) => (&mut changed, &mut counts.changed),
        };
        *count += 1;
        // Only named files cost reading their images.
        if list.len() < MAX_NAMED_FILES {
            list.push(FileChange {
                path: t.path.clone(),
                lines_before: lines(journal.image(&run.id, &t.before)?),
                lines_after: lines(journal.image(&run.id, &after)?),
            });
        }
    }
    let mut diff = journal.diff(run, dir)?;
    let diff_truncated = diff.len() > MAX_INLINE_DIFF_CHARS;
    if diff_truncated {
        let mut cut = MAX_INLINE_DIFF_CHARS;
        while !diff.is_char_boundary(cut) {
            cut -= 1;
        }
        diff.truncate(cut);
    }
    Ok(RunReport {
        run_id: run.id.clone(),
        status: run.status,
        summary: run.summary.clone(),
        counts,
        created,
        changed,
        deleted,
        diff,
        diff_truncated,
        undo_command: format!("dream-mcp undo {}", run.id),
        undo_command_full: format!(
            "{} --memory-dir {} --journal-dir {} undo {}",
            shell_quote(executable),
            shell_quote(&dir.root().display().to_string()),
            shell_quote(&journal.root().display().to_string()),
            run.id
        ),
        retention: run.retention.as_ref().map(Retention::capped),
    })
}

/// Holds the memory directory's flock, so this change is the only one in progress in any process.
fn serialise(dir: &MemoryDir) -> Result<DirLock> {
    dir.handle().lock().map_err(|e| Error::io(dir.root(), e))
}

/// Longest `summary` or `reason` a run keeps, in characters. A dream's summary is a few sentences; the
/// record is listed by `dream-mcp history` and returned to the model, so it is not a place for content.
pub const MAX_NOTE_CHARS: usize = 4_000;

/// Refuses a run's `summary` or `reason` over [`MAX_NOTE_CHARS`], before anything is closed.
fn check_note(name: &'static str, text: &str) -> Result<()> {
    let chars = text.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(Error::Parameter {
            name,
            rule: format!(
                "it is {chars} characters; at most {MAX_NOTE_CHARS} are kept, so say what changed in a few sentences; nothing was closed"
            ),
        });
    }
    Ok(())
}

/// The refusal of a dream tool called with no dream open.
fn no_dream_open() -> Error {
    Error::DreamState("no dream is open in this server; call start_dream first".to_string())
}

/// Nanoseconds since the Unix epoch (negative before it), exact for the next two centuries.
fn unix_ns(t: SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i64,
        Err(e) => -(e.duration().as_nanos() as i64),
    }
}

/// The time `ns` nanoseconds after the Unix epoch.
fn from_unix_ns(ns: i64) -> SystemTime {
    let d = std::time::Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 {
        std::time::UNIX_EPOCH + d
    } else {
        std::time::UNIX_EPOCH - d
    }
}

struct Active {
    run: Run,
    lock: Lock,
    /// Acknowledgements of forgotten specifics given to earlier, refused `finish_dream` calls: a refusal
    /// lists only the first specifics, so the model acknowledges them in rounds.
    acknowledged: Vec<Acknowledgement>,
}

/// The dream state of one process (one MCP server): at most one open dream at a time.
pub struct Dreamer {
    locations: Locations,
    settings: Settings,
    journal: Journal,
    active: Mutex<Option<Active>>,
    /// What the findings of a write need, kept between writes (and brought up to date in the background
    /// by [`Dreamer::warm_analysis`]).
    analysis: Arc<Mutex<Analysis>>,
    /// Whether a change made outside a dream has swept dead writers' temporary files yet: once per
    /// process is enough (a dream sweeps when it starts and ends), and a sweep lists the whole directory.
    swept: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Dreamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dreamer")
            .field("locations", &self.locations)
            .finish_non_exhaustive()
    }
}

impl Dreamer {
    /// A dreamer over resolved locations with default settings; nothing is touched until a tool is called.
    pub fn new(locations: Locations) -> Dreamer {
        Dreamer::with_settings(locations, Settings::default())
    }

    /// A dreamer over resolved locations with the settings a face resolved.
    pub fn with_settings(locations: Locations, settings: Settings) -> Dreamer {
        let journal = Journal::new(&locations.journal_dir).keeping(settings.keep_runs);
        Dreamer {
            locations,
            settings,
            journal,
            active: Mutex::new(None),
            analysis: Arc::new(Mutex::new(Analysis::default())),
            swept: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The resolved locations.
    pub fn locations(&self) -> &Locations {
        &self.locations
    }

    /// The provenance index of this memory, from every transcript folder of it (cached in the settings'
    /// cache folder).
    pub fn provenance(&self) -> Result<Provenance> {
        self.locations.usable_memory_dir()?;
        let folders = self.locations.transcript_folders();
        Ok(Provenance::build(Sources {
            folders: &folders,
            memory_dir: &self.locations.memory_dir,
            cache_dir: self.settings.cache_dir.as_deref(),
            threads: 0,
        }))
    }

    /// The settings this dreamer was made with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Opens the memory directory (it must exist, and not be one this server refuses to serve).
    pub fn memory(&self) -> Result<MemoryDir> {
        MemoryDir::open(self.locations.usable_memory_dir()?)
    }

    /// The findings about `content`, just written to `path`, against the memory as it is now (see
    /// [`Analysis::for_write`]): only the files changed since the last call are read again.
    pub fn findings_for_write(&self, path: &str, content: &str) -> Result<Vec<Finding>> {
        let dir = self.memory()?;
        let mut analysis = self
            .analysis
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        analysis.refresh(&dir)?;
        Ok(analysis.for_write(path, content, Some(&self.locations.project_dir)))
    }

    /// Brings the analysis writes use up to date on a thread of its own, so that the first write of a
    /// dream does not wait for the whole memory to be read and analysed; called when a dream starts and
    /// when the memory is listed. Skipped while another thread holds the analysis; a failure is logged.
    /// The thread's handle is returned for whoever wants to wait for it.
    pub fn warm_analysis(&self) -> Option<std::thread::JoinHandle<()>> {
        let dir = self.memory().ok()?;
        let analysis = Arc::clone(&self.analysis);
        let spawned = std::thread::Builder::new()
            .name("dream-analysis".to_string())
            .spawn(move || {
                let Ok(mut analysis) = analysis.try_lock() else {
                    return;
                };
                if let Err(e) = analysis.refresh(&dir) {
                    tracing::debug!(error = %e, "analysis not brought up to date ahead of writes");
                }
            });
        spawned
            .inspect_err(|e| {
                tracing::debug!(error = %e, "no thread to bring the analysis up to date ahead of writes")
            })
            .ok()
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Option<Active>> {
        self.active
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes one change through `change`, journaled: into the open dream's run (refused if another
    /// process now holds the lock), or as a run of its own. A refused change leaves no run behind.
    pub fn change<T>(
        &self,
        summary: &str,
        change: impl FnOnce(&MemoryDir, &mut Run) -> Result<T>,
    ) -> Result<T> {
        self.change_recorded(summary, change).map(|(out, _)| out)
    }

    /// [`Dreamer::change`], also returning the report of the run of its own the change was made in
    /// (with its diff and undo command); `None` when it joined the open dream's run.
    pub fn change_reported<T>(
        &self,
        summary: &str,
        change: impl FnOnce(&MemoryDir, &mut Run) -> Result<T>,
    ) -> Result<(T, Option<RunReport>)> {
        let (out, record) = self.change_recorded(summary, change)?;
        let report = match record {
            Some(r) => Some(report(
                &self.journal,
                &self.memory()?,
                &r,
                &self.settings.executable,
            )?),
            None => None,
        };
        Ok((out, report))
    }

    /// [`Dreamer::change`], with the record of the run of its own the change was made in.
    fn change_recorded<T>(
        &self,
        summary: &str,
        change: impl FnOnce(&MemoryDir, &mut Run) -> Result<T>,
    ) -> Result<(T, Option<RunRecord>)> {
        let dir = self.memory()?;
        // One change at a time: within this process (the mutex) and across processes (the flock). The
        // flock covers the hash check, the journal record and the rename, nothing more.
        let mut active = self.active();
        let serial = serialise(&dir)?;
        let held = std::time::Instant::now();
        let out = self.change_serialised(&dir, active.as_mut(), summary, change);
        drop(serial);
        tracing::debug!(
            held_us = held.elapsed().as_micros() as u64,
            "directory lock released"
        );
        if out.is_ok() && !self.swept.swap(true, std::sync::atomic::Ordering::Relaxed) {
            dir.sweep_logged();
        }
        out
    }

    /// [`Dreamer::change`] while the directory lock is held.
    fn change_serialised<T>(
        &self,
        dir: &MemoryDir,
        active: Option<&mut Active>,
        summary: &str,
        change: impl FnOnce(&MemoryDir, &mut Run) -> Result<T>,
    ) -> Result<(T, Option<RunRecord>)> {
        if let Some(a) = active {
            if !a.lock.still_ours() {
                return Err(Error::DreamState(
                    "another process took the consolidation lock during this dream; call abort_dream"
                        .to_string(),
                ));
            }
            a.lock.touch()?;
            return change(dir, &mut a.run).map(|out| (out, None));
        }
        let mut run = self.journal.pending(RunKind::Single, summary);
        match change(dir, &mut run) {
            Ok(out) => {
                run.set_retention(retention::of_run(&self.journal, dir, run.record())?);
                let record = run.close(dir, RunStatus::Finished, None)?;
                self.settle(dir, &record);
                Ok((out, Some(record)))
            }
            Err(e) => {
                run.discard(dir)?;
                Err(e)
            }
        }
    }

    /// Starts a dream: takes the lock, opens a run, and returns what Orient needs.
    pub fn start(&self, gate: GateConfig) -> Result<DreamStart> {
        let mut active = self.active();
        if let Some(a) = active.as_ref() {
            return Err(Error::DreamState(format!(
                "a dream is already open in this server (run {}); call finish_dream or abort_dream first",
                a.run.id()
            )));
        }
        let dir = self.memory()?;
        let gate = gate::evaluate(
            dir.root(),
            &self.locations.transcript_folders(),
            gate,
            None,
            SystemTime::now(),
        )
        .with_start_times();
        let lock = Lock::acquire(dir.root())?;
        dir.sweep_logged();
        let interrupted_runs = self
            .journal
            .runs()?
            .into_iter()
            .filter(RunRecord::interrupted)
            .map(|r| InterruptedRun {
                id: r.id,
                started: r.started,
                files_touched: r.touched.len(),
            })
            .collect();
        let inv = inventory::inventory(&dir, Some(&self.locations.project_dir))?;
        let mut run = self.journal.begin(RunKind::Dream, "dream in progress")?;
        run.set_gate_before(GateBefore {
            lock_mtime_ns: lock.previous_mtime().map(unix_ns),
        })?;
        let start = DreamStart {
            run_id: run.id().to_string(),
            memory_dir: dir.root().display().to_string(),
            gate,
            interrupted_runs,
            inventory: InventorySummary {
                topic_files: inv.files.len(),
                index_lines: inv.index.size.lines,
                index_bytes: inv.index.size.bytes,
                index_over_limit: inv.index.size.over_limit,
                cut_lines: inv.index.cut_lines.len(),
                dead_links: inv.index.dead_links.len(),
                orphans: inv.index.orphans.len(),
            },
        };
        *active = Some(Active {
            run,
            lock,
            acknowledged: Vec::new(),
        });
        self.warm_analysis();
        Ok(start)
    }

    fn take_active(&self) -> Result<Active> {
        self.active().take().ok_or_else(no_dream_open)
    }

    /// Finishes the open dream: audits what it made the memory lose, refuses (leaving the dream open)
    /// while a forgotten specific has no acknowledgement in `forgotten`, then closes its run with
    /// `summary` and the audit, marks the consolidation time on the lock, and reports what changed. When
    /// the journal cannot record the close (a full disk), the dream stays open, so it can be finished again
    /// or aborted.
    pub fn finish(&self, summary: &str, forgotten: &[Acknowledgement]) -> Result<RunReport> {
        check_note("summary", summary)?;
        for ack in forgotten {
            check_note("forgotten.reason", &ack.reason)?;
        }
        let mut active = self.active();
        let a = active.as_mut().ok_or_else(no_dream_open)?;
        let dir = self.memory()?;
        let serial = serialise(&dir)?;
        let mut retention = retention::of_run(&self.journal, &dir, a.run.record())?;
        let in_force = retention.acknowledge(&a.acknowledged, forgotten)?;
        let open: Vec<Forgotten> = retention.unacknowledged().cloned().collect();
        if !open.is_empty() {
            a.acknowledged = in_force;
            return Err(Error::Forgotten {
                figure: retention.figure(),
                forgotten: open,
            });
        }
        a.run.set_retention(retention);
        a.run
            .close_in_place(&dir, RunStatus::Finished, Some(summary))
            .map_err(|e| {
                Error::DreamState(format!(
                    "the dream could not be closed ({e}); it is still open: free space and call finish_dream again, or call abort_dream to put every file back"
                ))
            })?;
        let Active { run, lock, .. } = active.take().ok_or_else(no_dream_open)?;
        drop(active);
        let record = run.into_record();
        self.settle(&dir, &record);
        drop(serial);
        lock.release_success()?;
        report(&self.journal, &dir, &record, &self.settings.executable)
    }

    /// Aborts the open dream: restores every file it touched and rolls the lock back.
    pub fn abort(&self, reason: &str) -> Result<RunReport> {
        check_note("reason", reason)?;
        let Active { run, lock, .. } = self.take_active()?;
        let dir = self.memory()?;
        let serial = serialise(&dir)?;
        let record = run.roll_back(&dir, reason)?;
        self.settle(&dir, &record);
        drop(serial);
        lock.release_rollback()?;
        report(&self.journal, &dir, &record, &self.settings.executable).map_err(|e| {
            Error::DreamState(format!(
                "the dream was aborted and every file put back, but its report could not be read from the journal: {e}"
            ))
        })
    }

    /// Undoes a run (the newest one that changed something when `id` is `None`) under the lock. Undoing
    /// the latest dream also puts the consolidation time back to what it was before that dream, so the
    /// gate reopens; any other undo leaves the consolidation time as it was.
    pub fn undo(&self, id: Option<&str>, force: bool) -> Result<RunReport> {
        let dir = self.memory()?;
        let target = self.journal.run(id)?;
        let lock = Lock::acquire(dir.root())?;
        let serial = serialise(&dir)?;
        dir.sweep_logged();
        let result = self.journal.undo(&dir, &target, force);
        if let Ok(record) = &result {
            self.settle(&dir, record);
        }
        drop(serial);
        match result {
            Ok(record) => {
                match self.gate_before_dream(&target)? {
                    Some(before) => lock.release_to(before)?,
                    None => lock.release_rollback()?,
                }
                report(&self.journal, &dir, &record, &self.settings.executable)
            }
            Err(e) => {
                lock.release_rollback()?;
                Err(e)
            }
        }
    }

    /// For a finished dream that is the latest one, the consolidation time before it (`Some(None)`: there
    /// was no lock file); `None` when undoing `target` leaves the gate alone.
    fn gate_before_dream(&self, target: &RunRecord) -> Result<Option<Option<SystemTime>>> {
        let Some(gate) = target.gate_before.filter(|_| target.kind == RunKind::Dream) else {
            return Ok(None);
        };
        let later_dream = self.journal.runs()?.iter().any(|r| {
            r.kind == RunKind::Dream && r.status == RunStatus::Finished && r.seq() > target.seq()
        });
        if later_dream || target.status != RunStatus::Finished {
            return Ok(None);
        }
        Ok(Some(gate.lock_mtime_ns.map(from_unix_ns)))
    }

    /// When the last consolidation ended: while a dream is open here, the lock's mtime from before the
    /// dream took it (the lock now marks the dream's start); otherwise the lock's mtime.
    pub fn last_consolidation(&self) -> Option<SystemTime> {
        match self.active().as_ref() {
            Some(a) => a.lock.previous_mtime(),
            None => self
                .locations
                .usable_memory_dir()
                .ok()
                .and_then(crate::claude_code::lock::last_consolidation),
        }
    }

    /// The journal of this memory directory.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Records what other writers changed in the memory directory since the journal last knew it, as
    /// an `external` run (skipped while this process has a dream open), within `budget`.
    pub fn observe_external(&self, budget: Budget) -> Result<Observation> {
        if self.active().is_some() {
            return Ok(Observation::Skipped(
                "a dream is open in this server".to_string(),
            ));
        }
        external::observe(&self.journal, &self.memory()?, budget)
    }

    /// Moves the journal's known state past a run this process just closed. Only bookkeeping: a failure
    /// is logged (the next observation then records the run's change once more, as external).
    fn settle(&self, dir: &MemoryDir, record: &RunRecord) {
        if let Err(e) = external::absorb(&self.journal, dir, record) {
            tracing::warn!(
                "could not update the journal's known state after run {}: {e}",
                record.id
            );
        }
    }
}

impl Drop for Dreamer {
    /// A dream left open when the server stops keeps its run (reported as interrupted, undoable) if it
    /// changed anything; an empty one is discarded. The lock rolls back either way.
    fn drop(&mut self) {
        if let Some(active) = self.active().take()
            && active.run.is_empty()
            && let Ok(dir) = self.memory()
            && let Err(e) = active.run.discard(&dir)
        {
            tracing::warn!("could not discard the empty dream run: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn shell_quote_leaves_plain_paths_and_quotes_the_rest() {
        assert_eq!(
            shell_quote("/home/ali/.claude/x-y"),
            "/home/ali/.claude/x-y"
        );
        assert_eq!(shell_quote("/tmp/my notes"), "'/tmp/my notes'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
