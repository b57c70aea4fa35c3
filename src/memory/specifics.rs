//! Specifics: the exact facts a memory file holds, the ones a consolidation must not drop silently.
//!
//! A specific is a literal string a later reader could need word for word: a code span, a URL, an
//! e-mail address or `@handle`, an issue or PR number (`#123`, `PR 45`, `GH-7`), a date (`2026-07-04`,
//! `04/07/2026`), a version (`v1.2.3`), a number with a unit (`25,000 bytes`, `30 min`, `20 HP`, `3 秒`),
//! a number of three or more digits (ports, limits), a path or file name (`src/lib.rs`, `~/.claude`,
//! `MEMORY.md`), a `[[wiki-link]]`, an identifier (`snake_case`, `CamelCase`, `camelCase`, `ALL_CAPS`),
//! a proper noun (a capitalised word or run of words not opening a sentence: `Supabase`, `Registre des
//! âmes`), and a quoted term (`「…」`, `“…”`, `《…》`, `« … »`).
//!
//! Extraction is deterministic and language-aware in the ways the shared real memories need: ASCII
//! tokens are found inside Chinese text (where `\b` finds no boundary), accented capitals open French
//! names, and CJK quotation marks delimit terms. Frontmatter contributes only its `name` and
//! `description` values (session ids and node types are bookkeeping, not facts).
//!
//! [`extract`] returns each specific once per text, at its first line. [`key`] is the form two
//! specifics are compared in (case and inner spacing ignored).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What kind of fact a specific is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The text of a `` `code span` `` (commands, snippets, names).
    Code,
    /// An `http(s)://` URL.
    Url,
    /// An e-mail address or an `@handle`.
    Handle,
    /// An issue or pull-request number.
    Issue,
    /// A calendar date.
    Date,
    /// A version number.
    Version,
    /// A number with a unit, or a number of three or more digits.
    Number,
    /// A path or a file name.
    Path,
    /// A `[[wiki-link]]` to another note.
    Link,
    /// An identifier: snake_case, CamelCase, camelCase or ALL_CAPS.
    Identifier,
    /// A proper noun: capitalised words that do not open a sentence.
    Name,
    /// A quoted term.
    Term,
}

/// One specific found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Specific {
    /// The specific as written.
    pub text: String,
    /// What kind of fact it is.
    pub kind: Kind,
    /// The 1-based line it first appears on.
    pub line: usize,
}

/// Units a number may carry to count as a specific (compared case-insensitively for ASCII).
const UNITS: &[&str] = &[
    "ms",
    "s",
    "sec",
    "secs",
    "second",
    "seconds",
    "min",
    "mins",
    "minute",
    "minutes",
    "h",
    "hr",
    "hrs",
    "hour",
    "hours",
    "d",
    "day",
    "days",
    "jour",
    "jours",
    "week",
    "weeks",
    "semaine",
    "semaines",
    "mois",
    "month",
    "months",
    "an",
    "ans",
    "year",
    "years",
    "b",
    "byte",
    "bytes",
    "octets",
    "kb",
    "kib",
    "mb",
    "mib",
    "gb",
    "gib",
    "tb",
    "k",
    "m",
    "x",
    "px",
    "em",
    "rem",
    "pt",
    "hp",
    "xp",
    "pv",
    "fps",
    "hz",
    "khz",
    "mhz",
    "ghz",
    "line",
    "lines",
    "ligne",
    "lignes",
    "file",
    "files",
    "fichier",
    "fichiers",
    "token",
    "tokens",
    "char",
    "chars",
    "characters",
    "caractères",
    "run",
    "runs",
    "session",
    "sessions",
    "test",
    "tests",
    "item",
    "items",
    "entries",
    "rows",
    "cores",
    "threads",
    "workers",
    "retries",
    "tries",
    "€",
    "$",
    "usd",
    "eur",
    "cm",
    "mm",
    "km",
    "kg",
    "g",
];

/// CJK characters that act as units or measure words after a number.
const CJK_UNITS: &str = "秒分钟小时天日周月年个次条行万亿元件项位倍份张页字节";

/// File extensions that make a bare `name.ext` a file name.
const EXTENSIONS: &[&str] = &[
    "md", "rs", "py", "js", "ts", "tsx", "jsx", "json", "toml", "yaml", "yml", "nix", "sh", "txt",
    "sql", "html", "css", "scss", "go", "java", "kt", "c", "h", "cpp", "hpp", "rb", "lock", "cfg",
    "ini", "env", "csv", "parquet", "log", "vue", "svelte", "swift", "lua", "zig", "ex", "exs",
];

/// The specifics pattern: alternatives in priority order (leftmost-first), all ASCII-classed so they
/// work inside Chinese text; boundaries are checked after matching.
static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<code>`[^`\n]+`)",
        r"|(?P<link>\[\[[^\]\n]+\]\])",
        r"|(?P<url>https?://[^\s<>()\[\]`]+)",
        r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
        r"|(?P<handle>@[A-Za-z][A-Za-z0-9_-]+)",
        r"|(?P<issue>(?:(?i:PR|issue|pull|MR)\s?#?|GH-|#)[0-9]+)",
        r"|(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?|[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}|[0-9]{4}年[0-9]{1,2}月(?:[0-9]{1,2}日)?)",
        r"|(?P<path>(?:~|\.{1,2})?/?[A-Za-z0-9_.@-]+(?:/[A-Za-z0-9_.@-]+)+/?|~/|(?:~|\.)/[A-Za-z0-9_.@-]+)",
        r"|(?P<version>[vV]?[0-9]+\.[0-9]+(?:\.[0-9]+)+(?:[-+][A-Za-z0-9.]+)?|[vV][0-9]+(?:\.[0-9]+)?)",
        r"|(?P<number>[0-9][0-9,.]*[0-9]|[0-9])(?P<unit>\s?(?:[A-Za-z€$%]+|[\x{4e00}-\x{9fff}]))?",
        // Only words that can be specifics (a capital, an underscore, a dot or a digit inside), so the
        // plain lowercase words that make up most text are never matched at all.
        r"|(?P<word>[A-Za-z0-9_.-]*(?:[A-Z_]|[A-Za-z0-9]\.[A-Za-z]|[A-Za-z]-?[0-9])[A-Za-z0-9_.-]*)",
        r"|(?P<name>[\p{Lu}&&[^A-Z]]\p{Ll})",
        r"|(?P<term>「[^」\n]+」|“[^”\n]+”|《[^》\n]+》|«[^»\n]+»|\x22[^\x22\n]+\x22)",
    ))
    .unwrap_or_else(|e| unreachable!("the specifics pattern is valid: {e}"))
});

/// The form specifics are compared in: lowercased, with runs of white space made one space, and
/// surrounding backticks, quotes and trailing sentence punctuation removed.
pub fn key(text: &str) -> String {
    let trimmed = text
        .trim_matches(|c: char| "`\"'「」“”《》«» ".contains(c))
        .trim_end_matches(['.', ',', ';', ':', '!', '?']);
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Whether `c` continues an ASCII token (so a match next to it is only part of a longer token).
fn ascii_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The specifics of `text`, each once (by [`key`]) at its first line, in order of appearance.
pub fn extract(text: &str) -> Vec<Specific> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut body_start = 0;
    let mut lines = text.split_inclusive('\n').enumerate().peekable();
    // Frontmatter: keep only the name and description values.
    if text.starts_with("---") {
        lines.next();
        for (n, line) in lines.by_ref() {
            let trimmed = line.trim();
            if trimmed == "---" {
                body_start = n + 1;
                break;
            }
            for field in ["name:", "description:"] {
                if let Some(value) = trimmed.strip_prefix(field) {
                    scan_line(value, n + 1, false, &mut seen, &mut out);
                }
            }
        }
        if body_start == 0 {
            // No closing marker: the whole text is body after all.
            lines = text.split_inclusive('\n').enumerate().peekable();
        }
    }
    for (n, line) in lines {
        let heading = line.trim_start().starts_with('#');
        scan_line(line, n + 1, heading, &mut seen, &mut out);
    }
    out
}

/// Adds the specifics of one line (1-based `line`) not yet `seen` to `out`. In a heading, single
/// capitalised words are title case, not names.
fn scan_line(
    text: &str,
    line: usize,
    heading: bool,
    seen: &mut std::collections::HashSet<String>,
    out: &mut Vec<Specific>,
) {
    let mut at = 0;
    // The fast engine finds each match; the slower one that reports groups runs on that match only.
    // (Bounded repetitions would make both slow, so lengths are checked here instead.)
    while let Some(m) = PATTERN.find_at(text, at) {
        let Some(caps) = PATTERN.captures_at(text, m.start()) else {
            break;
        };
        let Some(whole) = caps.get(0) else { break };
        if too_long(&caps) {
            // An unmatched quote or backtick pairs with a far one: look inside instead.
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        at = m.end().max(m.start() + 1);
        let before = text[..whole.start()].chars().next_back();
        let after = text[whole.end()..].chars().next();
        let found = classify(&caps, text, whole.start(), before, after, heading);
        let Some((kind, specific)) = found else {
            continue;
        };
        let specific = specific.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        at = at.max(specific.as_ptr() as usize - text.as_ptr() as usize + specific.len());
        if specific.is_empty() {
            continue;
        }
        let k = key(specific);
        if k.is_empty() || !seen.insert(k) {
            continue;
        }
        out.push(Specific {
            text: specific.to_string(),
            kind,
            line,
        });
    }
}

/// Whether a delimited match (code span, link, quoted term, handle, issue number) is longer than such
/// a thing is: then its delimiters do not belong together.
fn too_long(caps: &regex::Captures<'_>) -> bool {
    let over = |name: &str, max: usize| {
        caps.name(name)
            .is_some_and(|m| m.as_str().chars().count() > max)
    };
    over("code", 302)
        || over("link", 204)
        || over("term", 62)
        || over("handle", 40)
        || caps
            .name("issue")
            .is_some_and(|m| m.as_str().bytes().filter(u8::is_ascii_digit).count() > 7)
        || caps
            .name("term")
            .is_some_and(|m| m.as_str().starts_with('"') && m.as_str().chars().count() > 42)
}

/// What one match of [`PATTERN`] is, if it is a specific: its kind and its text.
fn classify<'t>(
    caps: &regex::Captures<'t>,
    line: &'t str,
    start: usize,
    before: Option<char>,
    after: Option<char>,
    heading: bool,
) -> Option<(Kind, &'t str)> {
    let group = |name: &str| caps.name(name).map(|m| m.as_str());
    if let Some(code) = group("code") {
        let inner = code.trim_matches('`').trim();
        return (!inner.is_empty()).then_some((Kind::Code, inner));
    }
    if let Some(link) = group("link") {
        return Some((Kind::Link, link));
    }
    if let Some(url) = group("url") {
        return Some((Kind::Url, url));
    }
    if let Some(email) = group("email") {
        return (!ascii_word(before)).then_some((Kind::Handle, email));
    }
    if let Some(handle) = group("handle") {
        return (!ascii_word(before) && !ascii_word(after)).then_some((Kind::Handle, handle));
    }
    let bounded = !ascii_word(before) && !ascii_word(after);
    if let Some(issue) = group("issue") {
        return bounded.then_some((Kind::Issue, issue));
    }
    if let Some(date) = group("date") {
        return bounded.then_some((Kind::Date, date));
    }
    if let Some(path) = group("path") {
        return (bounded && is_path(path)).then_some((Kind::Path, path));
    }
    if let Some(version) = group("version") {
        return bounded.then_some((Kind::Version, version));
    }
    if let Some(number) = group("number") {
        if ascii_word(before) {
            return None;
        }
        let whole = caps.get(0).map_or(number, |m| m.as_str());
        if let Some(unit) = group("unit") {
            let unit = unit.trim();
            let known = UNITS.iter().any(|u| u.eq_ignore_ascii_case(unit))
                || unit == "%"
                || unit.chars().all(|c| CJK_UNITS.contains(c));
            if known && !ascii_word(after) {
                return Some((Kind::Number, whole));
            }
        }
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        return (digits >= 3 && !ascii_word(line[start + number.len()..].chars().next()))
            .then_some((Kind::Number, number));
    }
    if let Some(word) = group("word") {
        if !bounded {
            return None;
        }
        return word_specific(word, line, start, heading);
    }
    if group("name").is_some() {
        return name_specific(line, start, heading);
    }
    group("term").map(|term| (Kind::Term, term))
}

/// Whether a slash-joined token is a path rather than a list of words (`save/cancel/create`) or a
/// fraction: it is rooted (`/`, `~/`, `./`), or some segment has a file extension or a dot.
fn is_path(token: &str) -> bool {
    let token = token.trim_end_matches(['.', ',', ';', ':']);
    if token.starts_with('/') || token.starts_with("~/") || token.starts_with('.') {
        return token.len() > 1;
    }
    if token.ends_with('/') && token.matches('/').count() == 1 {
        return false; // `feat/`, `o/`
    }
    token.split('/').any(|s| s.contains('.') || s.contains('_'))
        || token.split('/').count() >= 3
            && !token.split('/').all(|s| s.chars().all(char::is_alphabetic))
}

/// The specific an ASCII word is, if any: a file name, or an identifier.
fn word_specific<'t>(
    word: &'t str,
    line: &'t str,
    start: usize,
    heading: bool,
) -> Option<(Kind, &'t str)> {
    let word = word.trim_end_matches(['.', '-']);
    if word.is_empty() {
        return None;
    }
    if let Some((stem, ext)) = word.rsplit_once('.')
        && stem.len() >= 2
        && EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
    {
        return Some((Kind::Path, word));
    }
    let has_lower = word.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = word.bytes().any(|b| b.is_ascii_uppercase());
    let snake = word.contains('_') && word.len() > 2;
    let inner_upper = word.bytes().skip(1).any(|b| b.is_ascii_uppercase()) && has_lower;
    let caps = !has_lower
        && has_upper
        && word.bytes().filter(u8::is_ascii_uppercase).count() >= 2
        && !SHOUTED.contains(&word);
    let dotted = word.contains('.') && word.split('.').all(|s| s.len() >= 2);
    let kebab_code = word.contains('-') && word.bytes().any(|b| b.is_ascii_digit());
    if snake || inner_upper || caps || dotted || kebab_code {
        return Some((Kind::Identifier, word));
    }
    // A plain capitalised ASCII word: a name unless it opens a sentence.
    if word.as_bytes()[0].is_ascii_uppercase() {
        return name_specific(line, start, heading);
    }
    None
}

/// Words written in capitals for emphasis, not acronyms or constants.
const SHOUTED: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "NO",
    "YES",
    "ALL",
    "ANY",
    "ONLY",
    "NEVER",
    "ALWAYS",
    "MUST",
    "SHOULD",
    "DO",
    "DON'T",
    "IS",
    "ARE",
    "THE",
    "IF",
    "THEN",
    "ELSE",
    "BUT",
    "NOTE",
    "IMPORTANT",
    "WARNING",
    "TODO",
    "CRITICAL",
    "NOW",
    "BEFORE",
    "AFTER",
    "EVERY",
    "NONE",
    "OK",
    "NEW",
    "OLD",
    "WHY",
    "HOW",
    "WHAT",
    "SYMPTOM",
    "EXIT",
    "FIX",
    "BUG",
    "STOP",
    "ET",
    "OU",
    "PAS",
    "JAMAIS",
    "TOUJOURS",
];

/// Common words that are capitalised for emphasis or grammar, not names.
const NOT_NAMES: &[&str] = &[
    "I", "I'm", "I've", "OK", "Why", "How", "What", "When", "Where", "Note", "Notes", "See",
    "Also", "Related", "Never", "Always", "Do", "Don't", "Use", "The", "This", "That", "If", "Le",
    "La", "Les", "Un", "Une", "Pour", "Ne", "Pas", "Yes", "No", "A", "An", "In", "On", "For",
];

/// A run of capitalised words (with the particles names carry: `de`, `of`, `von`...).
static NAME_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\p{Lu}[\p{Lu}\p{Ll}'’-]*(?:[ \t](?:(?:de|des|du|la|le|of|the|von|van|di|da|del)[ \t])?\p{Lu}[\p{Lu}\p{Ll}'’-]*)*",
    )
    .unwrap_or_else(|e| unreachable!("the name pattern is valid: {e}"))
});

/// The proper noun starting at `start` in `line`: the run of capitalised words there, without
/// leading words in [`NOT_NAMES`]. None in a heading (title case), for one word opening a sentence,
/// and for a single letter.
fn name_specific(line: &str, start: usize, heading: bool) -> Option<(Kind, &str)> {
    if heading {
        return None;
    }
    let run = NAME_RUN.find(&line[start..])?.as_str();
    let run = run.trim_end_matches(['\'', '’', '-']);
    let mut offset = 0;
    for word in run.split_whitespace() {
        if !NOT_NAMES.contains(&word) {
            break;
        }
        offset = run[offset..]
            .find(word)
            .map_or(offset, |i| offset + i + word.len());
    }
    let name = run[offset..].trim_start();
    let words = name.split_whitespace().count();
    if words == 0 || name.chars().count() < 2 {
        return None;
    }
    let at = start + (run.len() - run[offset..].len()) + (run[offset..].len() - name.len());
    if words == 1 && (NOT_NAMES.contains(&name) || opens_sentence(&line[..at])) {
        return None;
    }
    Some((Kind::Name, name))
}

/// Whether text ending with `prefix` leaves the next word at a sentence's start: the line's start
/// (after list, quote, heading and emphasis markers) or after `.`, `!`, `?`, `:` or a CJK full stop.
fn opens_sentence(prefix: &str) -> bool {
    let trimmed = prefix.trim_end_matches(|c: char| {
        c.is_whitespace() || "*_-+>#\"'“«(「[".contains(c) || c.is_ascii_digit()
    });
    match trimmed.chars().next_back() {
        None => true,
        Some(c) => ".!?:;。！？：".contains(c) || (c == ')' && trimmed.len() <= 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(Kind, String)> {
        extract(text)
            .into_iter()
            .map(|s| (s.kind, s.text))
            .collect()
    }

    fn has(text: &str, kind: Kind, specific: &str) -> bool {
        texts(text).contains(&(kind, specific.to_string()))
    }

    #[test]
    fn finds_each_kind() {
        let t = "Run `cargo test --lib` before pushing; see https://example.com/docs.\n\
                 Ask @ali or ali.k@example.org about PR #412 and GH-7.\n\
                 Released v1.4.2 on 2026-07-04, limit 25,000 bytes, timeout 30 min, port 8080.\n\
                 Config in ~/.claude/settings.json and src/change/run.rs; notes in MEMORY.md.\n\
                 The handler is `DreamServer`: call finish_dream via rmcpServer, not LEGACY_API.\n\
                 Deployed with Supabase and Claude Code. See [[feedback-plan-mode]].";
        for (kind, s) in [
            (Kind::Code, "cargo test --lib"),
            (Kind::Url, "https://example.com/docs"),
            (Kind::Handle, "@ali"),
            (Kind::Handle, "ali.k@example.org"),
            (Kind::Issue, "PR #412"),
            (Kind::Issue, "GH-7"),
            (Kind::Version, "v1.4.2"),
            (Kind::Date, "2026-07-04"),
            (Kind::Number, "25,000 bytes"),
            (Kind::Number, "30 min"),
            (Kind::Number, "8080"),
            (Kind::Path, "~/.claude/settings.json"),
            (Kind::Path, "src/change/run.rs"),
            (Kind::Path, "MEMORY.md"),
            (Kind::Code, "DreamServer"),
            (Kind::Identifier, "finish_dream"),
            (Kind::Identifier, "rmcpServer"),
            (Kind::Identifier, "LEGACY_API"),
            (Kind::Name, "Supabase"),
            (Kind::Name, "Claude Code"),
            (Kind::Link, "[[feedback-plan-mode]]"),
        ] {
            assert!(
                has(t, kind, s),
                "{kind:?} {s:?} missing from {:#?}",
                texts(t)
            );
        }
    }

    #[test]
    fn sentence_openers_headings_and_plain_words_are_not_specifics() {
        let got =
            texts("# How To Apply\nThe user prefers tabs. Always ask first.\n- Never push.\n");
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn slash_joined_words_and_fragments_are_not_paths() {
        let got = texts("Buttons save/cancel/create and feat/ branches, météo/événement.\n");
        assert!(got.iter().all(|(k, _)| *k != Kind::Path), "{got:?}");
    }

    #[test]
    fn ascii_tokens_inside_chinese_text() {
        let t = "使用Supabase数据库,默认`-y`跳过。注意:2026-07-04前rm是软删,超时3秒,共120个因子。\n称为「硬删除」。";
        for (kind, s) in [
            (Kind::Name, "Supabase"),
            (Kind::Code, "-y"),
            (Kind::Date, "2026-07-04"),
            (Kind::Number, "3秒"),
            (Kind::Number, "120个"),
            (Kind::Term, "「硬删除」"),
        ] {
            assert!(
                has(t, kind, s),
                "{kind:?} {s:?} missing from {:#?}",
                texts(t)
            );
        }
    }

    #[test]
    fn french_names_with_accents_and_particles() {
        let t = "Accessible depuis le Registre des Âmes et le Grimoire, voir « règle du Docte ».\nLe code \"opt-in destructive\" reste.";
        assert!(has(t, Kind::Name, "Registre des Âmes"), "{:?}", texts(t));
        assert!(has(t, Kind::Name, "Grimoire"), "{:?}", texts(t));
        assert!(has(t, Kind::Term, "« règle du Docte »"), "{:?}", texts(t));
        assert!(
            has(t, Kind::Term, "\"opt-in destructive\""),
            "{:?}",
            texts(t)
        );
    }

    #[test]
    fn frontmatter_keeps_only_name_and_description() {
        let t = "---\nname: deploy-notes\ndescription: How we deploy with Fly.io\nmetadata:\n  originSessionId: a8aa7342-1004-49e0-b73c-995062472e90\n---\nBody uses `fly deploy`.\n";
        let got = texts(t);
        assert!(
            got.contains(&(Kind::Identifier, "Fly.io".to_string())),
            "{got:?}"
        );
        assert!(
            got.contains(&(Kind::Code, "fly deploy".to_string())),
            "{got:?}"
        );
        assert!(!got.iter().any(|(_, s)| s.contains("a8aa7342")), "{got:?}");
    }

    #[test]
    fn each_specific_once_at_its_first_line() {
        let s = extract("uses `jq`\nagain `jq` and `JQ`\n");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].line, 1);
    }

    #[test]
    fn key_ignores_case_spacing_and_quotes() {
        assert_eq!(key("`Claude   Code`"), "claude code");
        assert_eq!(key("src/lib.rs."), "src/lib.rs");
    }
}
