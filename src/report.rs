//! Human-readable rendering of an inventory for `dream-mcp check`.

use std::fmt::Write;

use crate::inventory::Inventory;
use crate::locations::Locations;

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
