//! The text `dream-mcp grep` prints for a person.

use std::fmt::Write;

use crate::transcripts::snippet::{MARK_END, MARK_START};
use crate::transcripts::{GrepResult, Hit};

const BOLD_RED: &str = "\x1b[1;31m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// One hit: a header line, then its snippet indented, each line after `indent`.
fn hit(s: &mut String, h: &Hit, indent: &str, color: bool) {
    let when = h
        .timestamp
        .as_deref()
        .map(|t| t.get(..19).unwrap_or(t).replace('T', " "))
        .unwrap_or_else(|| "(no timestamp)".to_string());
    let session = h
        .session_id
        .as_deref()
        .map_or("-", |id| id.get(..8).unwrap_or(id));
    let (role, kind) = (h.role.as_str(), h.kind.as_str());
    let (dim, reset) = if color { (DIM, RESET) } else { ("", "") };
    let repeats = match h.repeats {
        0 => String::new(),
        n => format!("  (and {n} more like it)"),
    };
    let _ = writeln!(
        s,
        "{indent}{when}  {role:<9} {kind:<11} {session}  {dim}{}:{}{reset}{repeats}",
        h.file, h.line
    );
    let snippet = if color {
        h.snippet
            .replace(MARK_START, BOLD_RED)
            .replace(MARK_END, RESET)
    } else {
        h.snippet.clone()
    };
    let _ = writeln!(s, "{indent}    {snippet}");
}

/// Renders hits (newest first) or groups of alike hits (each with its sessions and dates), a header
/// line and an indented snippet a hit, then a summary and the warnings. With `color`, matches are bold red instead of between « and ».
pub fn render(r: &GrepResult, color: bool) -> String {
    let mut s = String::new();
    for h in &r.hits {
        hit(&mut s, h, "", color);
    }
    for g in &r.groups {
        let span = match (&g.first_date, &g.last_date) {
            (Some(a), Some(b)) if a != b => format!("{a} .. {b}"),
            (Some(a), _) => a.clone(),
            _ => "(no dates)".to_string(),
        };
        let _ = writeln!(s, "{} session(s), {} hit(s), {span}:", g.sessions, g.hits);
        for h in &g.examples {
            hit(&mut s, h, "  ", color);
        }
    }
    if !r.groups.is_empty() {
        s.push('\n');
    }
    let st = &r.stats;
    if !r.hits.is_empty() {
        s.push('\n');
    }
    if !r.groups.is_empty() {
        let _ = write!(
            s,
            "{} group(s) of alike hits, most sessions first; ",
            r.groups.len()
        );
    }
    let _ = write!(
        s,
        "{} hit(s) shown of {} matching line(s), newest first; {} file(s), {:.1} MB searched in {} ms",
        st.hits_returned,
        st.matching_lines,
        st.files_searched,
        st.bytes_searched as f64 / 1e6,
        st.elapsed_ms
    );
    if st.files_skipped > 0 {
        let _ = write!(
            s,
            "; {} file(s) skipped by date or session",
            st.files_skipped
        );
    }
    if let Some(last) = &st.last_dream {
        let _ = write!(
            s,
            "; since the last dream ({})",
            last.as_deref().unwrap_or("never: all sessions")
        );
    }
    s.push('\n');
    if st.truncated && !st.cancelled {
        let _ = writeln!(
            s,
            "(more matches than shown: raise --max-results or narrow with --since / --session)"
        );
    }
    for w in &st.warnings {
        let line = w.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(s, "warning: {}{line}: {}", w.file, w.message);
    }
    let unlisted = st.warnings_total.saturating_sub(st.warnings.len() as u64);
    if unlisted > 0 {
        let _ = writeln!(s, "warning: ... and {unlisted} more");
    }
    s
}
