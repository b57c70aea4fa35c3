//! A part of a memory file that fits in one answer: whole lines from a given line on, up to a budget of
//! characters, and where the next part starts.

/// Most characters of a file one read returns (well under Claude Code's ~50,000-character inline limit).
pub const MAX_READ_CHARS: usize = 30_000;

/// Lines `first..next` (1-based) of a text, as [`window`] cut them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<'t> {
    /// The lines, with their line endings.
    pub text: &'t str,
    /// The first line (1-based).
    pub first: usize,
    /// The line after the last one given, when the text goes on past the budget.
    pub next: Option<usize>,
}

/// The whole lines of `text` from line `first` (1-based; 0 counts as 1) that fit in `max_chars`
/// characters; at least one line, however long, so a read always moves on.
pub fn window(text: &str, first: usize, max_chars: usize) -> Window<'_> {
    let first = first.max(1);
    let mut start = text.len();
    let mut end = text.len();
    let mut used = 0;
    let mut next = None;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        if n < first {
            continue;
        }
        let at = line.as_ptr() as usize - text.as_ptr() as usize;
        if n == first {
            start = at;
        }
        let chars = line.chars().count();
        if n > first && used + chars > max_chars {
            end = at;
            next = Some(n);
            break;
        }
        used += chars;
    }
    Window {
        text: &text[start.min(end)..end],
        first,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_lines_up_to_the_budget_then_where_to_go_on() {
        let text = "aaaa\nbbbb\ncccc\ndddd";
        assert_eq!(
            window(text, 1, 12),
            Window {
                text: "aaaa\nbbbb\n",
                first: 1,
                next: Some(3)
            }
        );
        assert_eq!(
            window(text, 3, 12),
            Window {
                text: "cccc\ndddd",
                first: 3,
                next: None
            }
        );
        assert_eq!(window(text, 0, 100).text, text);
        assert_eq!(window(text, 9, 100).text, "", "past the end: nothing");
        assert_eq!(
            window("a very long line\nb\n", 1, 3).text,
            "a very long line\n",
            "one line at least"
        );
    }
}
