//! A short, safe excerpt around a match: bounded context, the match marked, credentials blanked.

use std::ops::Range;

/// Opens the marked match in a snippet.
pub const MARK_START: &str = "«";
/// Closes the marked match in a snippet.
pub const MARK_END: &str = "»";
/// Longest part of a match shown, in characters; longer matches are cut with `…`.
pub const MAX_MATCH_CHARS: usize = 200;

/// A part of the text to hide, and what to show instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// Byte range in the text.
    pub range: Range<usize>,
    /// What replaces it, e.g. `[REDACTED github_token]`.
    pub replacement: String,
}

/// The excerpt of `text` around the match at `m`: up to `context` characters on each side, `…` where
/// text was left out, the match between [`MARK_START`] and [`MARK_END`], every `redactions` range that
/// touches the excerpt replaced (whole, even where it reaches outside), and runs of whitespace or control
/// characters shown as one space.
pub fn snippet(text: &str, m: Range<usize>, context: usize, redactions: &[Redaction]) -> String {
    let mut red: Vec<&Redaction> = redactions.iter().filter(|r| !r.range.is_empty()).collect();
    red.sort_by_key(|r| r.range.start);
    let red = merge(red);
    // Widen the match over any redaction it touches, so the marks never sit inside one.
    let (mut ms, mut me) = (m.start, m.end);
    for r in &red {
        if r.range.start < me && ms < r.range.end {
            ms = ms.min(r.range.start);
            me = me.max(r.range.end);
        }
    }
    // Cut a long match, moving the cut past a redaction it would split.
    let mut cut = advance(text, ms, MAX_MATCH_CHARS).min(me);
    if let Some(r) = red
        .iter()
        .find(|r| r.range.start < cut && cut < r.range.end)
    {
        cut = r.range.end;
    }
    let match_cut = cut < me;
    let start = retreat(text, ms, context);
    let end = if match_cut {
        cut
    } else {
        advance(text, me, context)
    };

    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut pos = start;
    let emit = |out: &mut String, upto: usize, pos: &mut usize| {
        while *pos < upto {
            match red
                .iter()
                .find(|r| r.range.start <= *pos && *pos < r.range.end)
            {
                Some(r) => {
                    out.push_str(&r.replacement);
                    *pos = r.range.end.max(*pos + 1);
                }
                None => {
                    let next = red
                        .iter()
                        .map(|r| r.range.start)
                        .find(|&s| s > *pos)
                        .unwrap_or(usize::MAX)
                        .min(upto);
                    out.push_str(&text[*pos..next]);
                    *pos = next;
                }
            }
        }
    };
    emit(&mut out, ms, &mut pos);
    out.push_str(MARK_START);
    emit(&mut out, cut, &mut pos);
    if match_cut {
        out.push('…');
    }
    out.push_str(MARK_END);
    emit(&mut out, end, &mut pos);
    if pos < text.len() {
        out.push('…');
    }
    collapse_whitespace(&out)
}

/// Merges overlapping redactions (keeping the first one's replacement).
fn merge(sorted: Vec<&Redaction>) -> Vec<Redaction> {
    let mut out: Vec<Redaction> = Vec::new();
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.range.start < last.range.end => {
                last.range.end = last.range.end.max(r.range.end);
            }
            _ => out.push(r.clone()),
        }
    }
    out
}

/// The byte index `n` characters after `i` (or the end).
fn advance(text: &str, i: usize, n: usize) -> usize {
    text[i..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(k, _)| i + k)
}

/// The byte index `n` characters before `i` (or the start).
fn retreat(text: &str, i: usize, n: usize) -> usize {
    if n == 0 {
        return i;
    }
    text[..i]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(k, _)| k)
}

/// Shows each run of whitespace or control characters as one space.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> Range<usize> {
        let i = text.find(needle).unwrap();
        i..i + needle.len()
    }

    #[test]
    fn context_is_bounded_and_elisions_are_shown() {
        let text = "aaaa bbbb NEEDLE cccc dddd";
        assert_eq!(
            snippet(text, at(text, "NEEDLE"), 5, &[]),
            "…bbbb «NEEDLE» cccc…"
        );
        assert_eq!(
            snippet(text, at(text, "NEEDLE"), 100, &[]),
            "aaaa bbbb «NEEDLE» cccc dddd"
        );
        assert_eq!(snippet(text, at(text, "NEEDLE"), 0, &[]), "…«NEEDLE»…");
    }

    #[test]
    fn context_counts_characters_not_bytes() {
        let text = "ééééé X ééééé";
        assert_eq!(snippet(text, at(text, "X"), 3, &[]), "…éé «X» éé…");
    }

    #[test]
    fn whitespace_and_control_runs_collapse() {
        let text = "line one\n\n\tline\u{1b}[31m two";
        assert_eq!(
            snippet(text, at(text, "two"), 100, &[]),
            "line one line [31m «two»"
        );
    }

    #[test]
    fn long_matches_are_cut() {
        let text = format!("x {} y", "m".repeat(500));
        let s = snippet(&text, 2..502, 10, &[]);
        assert_eq!(s, format!("x «{}…»…", "m".repeat(MAX_MATCH_CHARS)));
    }

    #[test]
    fn redactions_hide_whole_secrets_even_across_the_edges() {
        let text = "token is sk-ant-SECRETSECRET and the NEEDLE is here";
        let r = at(text, "sk-ant-SECRETSECRET");
        let red = [Redaction {
            range: r,
            replacement: "[REDACTED]".into(),
        }];
        let s = snippet(text, at(text, "NEEDLE"), 15, &red);
        assert_eq!(s, "…[REDACTED] and the «NEEDLE» is here");
        assert!(!s.contains("SECRET"));
    }

    #[test]
    fn a_match_inside_a_secret_marks_the_redaction() {
        let text = "key=sk-ant-abcdef end";
        let red = [Redaction {
            range: at(text, "sk-ant-abcdef"),
            replacement: "[REDACTED]".into(),
        }];
        assert_eq!(
            snippet(text, at(text, "ant"), 20, &red),
            "key=«[REDACTED]» end"
        );
    }
}
