//! Human-readable rendering of an inventory for `dream-mcp check`.

use std::fmt::Write;

use crate::change::journal::{Cited, RunRecord, RunStatus};
use crate::change::run::RunReport;
use crate::claude_code::gate::{Due, Gate, GateConfig};
use crate::claude_code::locations::Locations;
use crate::findings::{Finding, Kind, Severity};
use crate::inventory::Inventory;
use crate::provenance::FileProvenance;
use crate::stores::overview::StoreStatus;

/// The text Claude Code adds to a session when a consolidation is due.
pub fn hook_context(due: Due, config: GateConfig) -> String {
    let since = due
        .hours_since_last
        .map_or("no consolidation has run yet".to_string(), |h| {
            format!("{h:.0} hours since the last one")
        });
    format!(
        "A memory consolidation is due: at least {} sessions and {since} (threshold: {} h and {} sessions). \
At a natural pause, tell the user briefly and, if they agree, run the `dream` skill (/dream) to \
consolidate the auto-memory files. Do not interrupt the current task for it.",
        due.sessions, config.min_hours, config.min_sessions
    )
}

/// The text Claude Code adds to a session when a consolidation is due and the user chose `auto`.
pub fn hook_auto_context(due: Due, config: GateConfig) -> String {
    format!(
        "A memory consolidation is due ({} sessions, threshold {} h and {} sessions) and the user chose to \
have it run automatically. Without asking, start the `dream` skill (/dream) now: it runs as a background \
agent, so go on with the user's request meanwhile. When it reports back, tell the user in one or two lines \
what it changed and the undo command it gives (`dream-mcp undo <run>`). Start it only once.",
        due.sessions, config.min_hours, config.min_sessions
    )
}

/// What the user is shown when the hook has Claude start a dream by itself.
pub fn hook_auto_notice(due: Due) -> String {
    let since = due
        .hours_since_last
        .map_or("never consolidated".to_string(), |h| {
            format!("{h:.0} h since the last one")
        });
    format!(
        "dream: a memory consolidation is due ({} sessions, {since}); Claude starts it in the background (when_due = auto, once per window). `dream-mcp history` shows it and `dream-mcp undo` takes it back.",
        due.sessions
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
    let _ = writeln!(s, "sessions since: {}", gate.sessions);
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

/// Renders `status --all`: one line per store, then the totals.
pub fn stores(lines: &[StoreStatus]) -> String {
    if lines.is_empty() {
        return "no memory stores found\n".to_string();
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<4} {:<24} {:>5} {:>7} {:>10} {:>8} {:>8}  WHERE",
        "DUE", "STORE", "LINES", "BYTES", "E/W/I", "LAST", "SESSIONS"
    );
    for l in lines {
        let due = if l.due { "due" } else { "-" };
        let last = l
            .hours_since_last
            .map_or("never".to_string(), |h| format!("{h:.0} h"));
        let place = l
            .project_dir
            .as_deref()
            .or(l.project_folder.as_deref())
            .unwrap_or(&l.memory_dir);
        let (lines_, bytes, findings) = match (&l.problem, l.exists) {
            (Some(_), _) => ("!".to_string(), "!".to_string(), "!".to_string()),
            (None, false) => ("-".to_string(), "-".to_string(), "-".to_string()),
            (None, true) => (
                l.index_lines.to_string(),
                l.index_bytes.to_string(),
                format!("{}/{}/{}", l.errors, l.warnings, l.infos),
            ),
        };
        let _ = writeln!(
            s,
            "{due:<4} {:<24} {lines_:>5} {bytes:>7} {findings:>10} {last:>8} {:>8}  {place}",
            l.store, l.sessions_since
        );
        if let Some(p) = &l.problem {
            let _ = writeln!(s, "     ! {p}");
        }
    }
    let due = lines.iter().filter(|l| l.due).count();
    let errors = lines.iter().filter(|l| l.errors > 0).count();
    let _ = writeln!(
        s,
        "{} store(s), {due} due, {errors} with errors (E/W/I: findings by severity; `-`: no memory yet)",
        lines.len()
    );
    s
}

/// Renders the journal's runs for `dream-mcp history`.
pub fn history(runs: &[RunRecord], forgotten: bool) -> String {
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
            "{}  {:<6} {:<11} {:>3} file(s)  {}{}",
            r.id,
            format!("{:?}", r.kind).to_lowercase(),
            status,
            r.touched.len(),
            r.summary,
            retention_tag(r)
        );
        for t in r.touched.iter().filter(|t| !t.evidence.is_empty()) {
            let cited: Vec<String> = t.evidence.iter().map(|c| c.to_string()).collect();
            let _ = writeln!(s, "    {}: evidence {}", t.path, cited.join("; "));
        }
        if forgotten {
            s.push_str(&forgotten_list(r));
        }
    }
    s
}

/// The runs that changed a file on evidence, for `blame`: one line per run, then its citations.
pub fn cited(path: &str, runs: &[Cited]) -> String {
    let mut s = String::new();
    if runs.is_empty() {
        return s;
    }
    let _ = writeln!(s, "\nevidence recorded with changes to {path}:");
    for r in runs {
        let what = if r.deleted {
            "deleted it"
        } else {
            "changed it"
        };
        let _ = writeln!(s, "  run {} ({}) {what}: {}", r.run, r.when, r.summary);
        for c in &r.evidence {
            let _ = writeln!(s, "    {c}");
        }
    }
    s
}

/// `  [kept 412 of 418 specifics]` for a run with a retention audit that lost something.
fn retention_tag(r: &RunRecord) -> String {
    match &r.retention {
        Some(ret) if !ret.forgotten.is_empty() => format!("  [{}]", ret.figure()),
        _ => String::new(),
    }
}

/// The specifics run `r` made the memory lose, one per line with file, line and reason (indented).
pub fn forgotten_list(r: &RunRecord) -> String {
    let mut s = String::new();
    let Some(ret) = &r.retention else {
        let _ = writeln!(s, "    (no retention audit recorded for this run)");
        return s;
    };
    if ret.forgotten.is_empty() {
        let _ = writeln!(s, "    {}; nothing forgotten", ret.figure());
        return s;
    }
    let _ = writeln!(s, "    {}; forgotten:", ret.figure());
    for f in &ret.forgotten {
        let _ = write!(s, "    - {:?}  {}:{}", f.specific, f.file, f.line);
        match &f.reason {
            Some(reason) => {
                let _ = write!(s, "  let go: {reason}");
                if let Some(e) = &f.evidence {
                    let _ = write!(s, " (evidence: {e})");
                }
            }
            None => s.push_str("  (no reason given)"),
        }
        if let Some(p) = &f.provenance {
            let _ = write!(s, "  [written by run {p}]");
        }
        s.push('\n');
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
    for (label, list, count) in [
        ("created", &r.created, r.counts.created),
        ("changed", &r.changed, r.counts.changed),
        ("deleted", &r.deleted, r.counts.deleted),
    ] {
        for c in list.iter() {
            let _ = writeln!(
                s,
                "  {label:<8} {} ({} -> {} lines)",
                c.path, c.lines_before, c.lines_after
            );
        }
        if count > list.len() {
            let more = count - list.len();
            let _ = writeln!(
                s,
                "  {label:<8} {more} more (dream-mcp diff {} shows them)",
                r.run_id
            );
        }
    }
    if let Some(ret) = &r.retention {
        let _ = writeln!(s, "retention: {}", ret.figure());
    }
    let _ = writeln!(s, "to take this back: {}", r.undo_command);
    let _ = writeln!(s, "  (from anywhere: {})", r.undo_command_full);
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
    if let Some(origin) = &loc.memory_setting {
        let _ = writeln!(s, "  from:      {origin}");
    }
    if let Some(why) = &loc.memory_refused {
        let _ = writeln!(s, "  REFUSED:   {why}");
    }
    if let Some(note) = &loc.ignored_setting {
        let _ = writeln!(s, "  note:      {note}");
    }
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

/// Findings of one kind shown before the rest are summed up; `check --json` lists every one.
pub const SHOWN_PER_KIND: usize = 8;

/// Renders an inventory and its findings for a person: the state of MEMORY.md, then the findings grouped
/// by severity and kind with counts, then the files. With `colour`, severities and locations are
/// coloured with ANSI codes.
pub fn inventory(inv: &Inventory, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut s = String::new();
    let idx = &inv.index;
    let _ = writeln!(s, "memory:  {}", inv.memory_dir);
    if let Some(project) = &inv.project_dir {
        let _ = writeln!(s, "project: {project}");
    }
    let _ = writeln!(
        s,
        "{} topic file(s), {} skipped",
        inv.files.len(),
        inv.skipped.len()
    );
    let size = &idx.size;
    if size.exists {
        let state = if size.over_limit {
            paint("1;31", "OVER LIMIT")
        } else {
            "ok".to_string()
        };
        let _ = writeln!(
            s,
            "MEMORY.md: {} lines / {} max, {} bytes / {} max: {state}",
            size.lines, size.max_lines, size.bytes, size.max_bytes
        );
    } else {
        let _ = writeln!(s, "MEMORY.md: missing");
    }
    if let (Some(first), Some(last)) = (idx.cut_lines.first(), idx.cut_lines.last()) {
        let _ = writeln!(
            s,
            "  Claude Code silently cuts {} line(s) (lines {}-{}), the newest entries:",
            idx.cut_lines.len(),
            first.line,
            last.line
        );
        for l in idx.cut_lines.iter().take(5) {
            let _ = writeln!(s, "  {:>5}  {}", l.line, l.text);
        }
        if idx.cut_lines.len() > 5 {
            let _ = writeln!(s, "         ... and {} more", idx.cut_lines.len() - 5);
        }
    }
    let count = |severity: Severity| {
        inv.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let _ = writeln!(
        s,
        "\nfindings: {} error(s), {} warning(s), {} info",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let of_severity: Vec<&Finding> = inv
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if of_severity.is_empty() {
            continue;
        }
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        let heading = format!(
            "{} ({})",
            severity.as_str().to_uppercase(),
            of_severity.len()
        );
        let _ = writeln!(s, "\n{}", paint(code, &heading));
        let mut kinds: Vec<Kind> = of_severity.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            let of_kind: Vec<&&Finding> = of_severity.iter().filter(|f| f.kind == kind).collect();
            let _ = writeln!(s, "  {} ({})", paint("1", kind.as_str()), of_kind.len());
            for f in of_kind.iter().take(SHOWN_PER_KIND) {
                let place = format!("{}:{}", f.file, f.line);
                let _ = writeln!(s, "    {}  {}", paint("36", &place), f.message);
                if let Some(suggestion) = &f.suggestion {
                    let _ = writeln!(s, "      {}", paint("2", &format!("-> {suggestion}")));
                }
            }
            if of_kind.len() > SHOWN_PER_KIND {
                let _ = writeln!(
                    s,
                    "    ... and {} more (dream-mcp check --json lists them all)",
                    of_kind.len() - SHOWN_PER_KIND
                );
            }
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
            f.facts.memory_type.as_deref().unwrap_or("-"),
            f.facts.lines,
            f.facts.bytes,
            f.facts.description.as_deref().unwrap_or("")
        );
    }
    s
}

/// Renders `blame`: each line of `content` after its origin (session, time, tool; `~` for a loose
/// match), like `git blame`, then one line per origin with its uuid and what the user said.
pub fn blame(found: &FileProvenance, content: &str, colour: bool) -> String {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let palette = ["33", "36", "35", "32", "34"];
    let mut s = String::new();
    let width = content.lines().count().to_string().len();
    let mut ranges = found.ranges.iter().peekable();
    for (i, line) in content.lines().enumerate() {
        let n = i + 1;
        while ranges.next_if(|r| r.to < n).is_some() {}
        let range = ranges.peek().filter(|r| r.from <= n);
        let origin = range.and_then(|r| Some((r.origin?, r.normalised)));
        let who = match origin {
            Some((o, loose)) => {
                let w = &found.origins[o];
                let short: String = w.session.chars().take(8).collect();
                let when: String = w
                    .timestamp
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " ");
                let tool = format!("{}{}", w.tool, if loose { "~" } else { "" });
                paint(
                    palette[o % palette.len()],
                    &format!("{short} {when} {tool:<18}"),
                )
            }
            None => paint("2", &format!("{:<8} {:<16} {:<18}", "--------", "", "")),
        };
        let _ = writeln!(s, "{who} {n:>width$}) {line}");
    }
    let _ = writeln!(
        s,
        "\n{} of {} lines traced to a session (first write {}, last {})",
        found.attributed,
        found.lines,
        found.first_write.as_deref().unwrap_or("unknown"),
        found.last_write.as_deref().unwrap_or("unknown")
    );
    for (o, w) in found.origins.iter().enumerate() {
        let said = w
            .user
            .as_deref()
            .map_or(String::new(), |u| format!(" \u{201c}{u}\u{201d}"));
        let _ = writeln!(
            s,
            "{} {} {} uuid {}{said}",
            paint(palette[o % palette.len()], &w.session),
            w.timestamp,
            w.tool,
            w.uuid
        );
    }
    s
}
