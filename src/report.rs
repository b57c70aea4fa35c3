//! Human-readable rendering of an inventory for `dream-mcp check`.

use std::fmt::Write;

use crate::dream::RunReport;
use crate::inventory::Inventory;
use crate::journal::{RunRecord, RunStatus};
use crate::locations::Locations;
use crate::sessions::Gate;

/// The text Claude Code adds to a session when a consolidation is due.
pub fn hook_context(gate: &Gate) -> String {
    let since = gate
        .hours_since_last
        .map_or("no consolidation has run yet".to_string(), |h| {
            format!("{h:.0} hours since the last one")
        });
    format!(
        "A memory consolidation is due: {} sessions and {since} (threshold: {} h and {} sessions). \
At a natural pause, tell the user briefly and, if they agree, run the `dream` skill (/dream) to \
consolidate the auto-memory files. Do not interrupt the current task for it.",
        gate.sessions_since.len(),
        gate.min_hours,
        gate.min_sessions
    )
}

/// Renders the gate for `dream-mcp status`.
pub fn status(memory_dir: &std::path::Path, gate: &Gate) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "memory: {}", memory_dir.display());
    match (&gate.last_consolidation, gate.hours_since_last) {
        (Some(t), Some(h)) => {
            let _ = writeln!(s, "last consolidation: {t} ({h:.1} h ago)");
        }
        _ => {
            let _ = writeln!(s, "last consolidation: never");
        }
    }
    let _ = writeln!(s, "sessions since: {}", gate.sessions_since.len());
    let verdict = if gate.open {
        "OPEN: a consolidation is due; run /dream in Claude Code"
    } else {
        "closed: no consolidation due yet"
    };
    let _ = writeln!(
        s,
        "gate ({} h and {} sessions): {verdict}",
        gate.min_hours, gate.min_sessions
    );
    s
}

/// Renders the journal's runs for `dream-mcp history`.
pub fn history(runs: &[RunRecord]) -> String {
    if runs.is_empty() {
        return "no runs journaled yet\n".to_string();
    }
    let mut s = String::new();
    for r in runs {
        let status = match r.status {
            RunStatus::Open if r.interrupted() => "INTERRUPTED",
            RunStatus::Open => "open",
            RunStatus::Finished => "finished",
            RunStatus::Aborted => "aborted",
        };
        let _ = writeln!(
            s,
            "{}  {:<6} {:<11} {:>3} file(s)  {}",
            r.id,
            format!("{:?}", r.kind).to_lowercase(),
            status,
            r.touched.len(),
            r.summary
        );
    }
    s
}

/// Colours a unified diff for a terminal (removed red, added green, hunks cyan).
pub fn colour_diff(diff: &str) -> String {
    let mut s = String::with_capacity(diff.len() + diff.len() / 8);
    for line in diff.split_inclusive('\n') {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            "1"
        } else if line.starts_with('+') {
            "32"
        } else if line.starts_with('-') {
            "31"
        } else if line.starts_with("@@") {
            "36"
        } else {
            ""
        };
        if code.is_empty() {
            s.push_str(line);
        } else {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let _ = write!(s, "\x1b[{code}m{body}\x1b[0m");
            if line.ends_with('\n') {
                s.push('\n');
            }
        }
    }
    s
}

/// Renders what a run changed, and how to take it back.
pub fn run_report(r: &RunReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "run {} ({:?}): {}", r.run_id, r.status, r.summary);
    for (label, list) in [
        ("created", &r.created),
        ("changed", &r.changed),
        ("deleted", &r.deleted),
    ] {
        for c in list.iter() {
            let _ = writeln!(
                s,
                "  {label:<8} {} ({} -> {} lines)",
                c.path, c.lines_before, c.lines_after
            );
        }
    }
    let _ = writeln!(s, "to take this back: {}", r.undo_command);
    s
}

/// Renders `where` for a person.
pub fn locations(loc: &Locations) -> String {
    let exists = |p: &std::path::Path| if p.is_dir() { "" } else { "  (does not exist)" };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "memory:      {}{}",
        loc.memory_dir.display(),
        exists(&loc.memory_dir)
    );
    let _ = writeln!(s, "  found by:  {:?}", loc.memory_source);
    let _ = writeln!(
        s,
        "transcripts: {}{}",
        loc.transcripts_dir.display(),
        exists(&loc.transcripts_dir)
    );
    let _ = writeln!(s, "project:     {}", loc.project_dir.display());
    let _ = writeln!(s, "journal:     {}", loc.journal_dir.display());
    if loc.auto_memory_disabled {
        let _ = writeln!(
            s,
            "note: CLAUDE_CODE_DISABLE_AUTO_MEMORY is set; Claude Code is not writing memories"
        );
    }
    s
}

/// Renders an inventory and its problems for a person.
pub fn inventory(inv: &Inventory) -> String {
    let mut s = String::new();
    let idx = &inv.index;
    let _ = writeln!(s, "memory: {}", inv.memory_dir);
    let _ = writeln!(
        s,
        "{} topic file(s), {} skipped",
        inv.files.len(),
        inv.skipped.len()
    );
    if idx.exists {
        let state = if idx.over_limit { "OVER LIMIT" } else { "ok" };
        let _ = writeln!(
            s,
            "MEMORY.md: {} lines / {} max, {} bytes / {} max: {state}",
            idx.lines, idx.max_lines, idx.bytes, idx.max_bytes
        );
    } else {
        let _ = writeln!(s, "MEMORY.md: missing");
    }
    if !idx.cut_lines.is_empty() {
        let _ = writeln!(
            s,
            "\nerror: Claude Code silently cuts {} line(s) of MEMORY.md (lines {}-{}), the newest entries:",
            idx.cut_lines.len(),
            idx.cut_lines[0].line,
            idx.cut_lines[idx.cut_lines.len() - 1].line
        );
        for l in idx.cut_lines.iter().take(5) {
            let _ = writeln!(s, "  {:>4}  {}", l.line, l.text);
        }
        if idx.cut_lines.len() > 5 {
            let _ = writeln!(s, "  ... and {} more", idx.cut_lines.len() - 5);
        }
    }
    if !idx.dead_links.is_empty() {
        let _ = writeln!(
            s,
            "\nerror: {} dead link(s) in MEMORY.md:",
            idx.dead_links.len()
        );
        for d in &idx.dead_links {
            let _ = writeln!(s, "  line {}: {} ({})", d.line, d.target, d.reason);
        }
    }
    if !idx.orphans.is_empty() {
        let _ = writeln!(
            s,
            "\nwarning: {} file(s) not linked from MEMORY.md:",
            idx.orphans.len()
        );
        for o in &idx.orphans {
            let _ = writeln!(s, "  {o}");
        }
    }
    let no_fm: Vec<&str> = inv
        .files
        .iter()
        .filter(|f| !f.has_frontmatter || !f.type_valid)
        .map(|f| f.path.as_str())
        .collect();
    if !no_fm.is_empty() {
        let _ = writeln!(
            s,
            "\nwarning: {} file(s) with missing or invalid frontmatter:",
            no_fm.len()
        );
        for p in no_fm {
            let _ = writeln!(s, "  {p}");
        }
    }
    if !inv.skipped.is_empty() {
        let _ = writeln!(s, "\nskipped:");
        for k in &inv.skipped {
            let _ = writeln!(s, "  {}: {}", k.path, k.reason);
        }
    }
    let _ = writeln!(s, "\nfiles:");
    for f in &inv.files {
        let _ = writeln!(
            s,
            "  {:<32} {:>9} {:>4} lines {:>7} bytes  {}",
            f.path,
            f.memory_type.as_deref().unwrap_or("-"),
            f.lines,
            f.bytes,
            f.description.as_deref().unwrap_or("")
        );
    }
    s
}
