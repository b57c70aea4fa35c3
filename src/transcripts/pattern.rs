//! The two matchers of one search: the user's regex over decoded text, and a raw-bytes regex derived from
//! it that finds every JSON line which *could* hold a match.
//!
//! Transcripts are JSON lines, so text is stored escaped: `"` as `\"`, a newline as `\n`, `\` as `\\`,
//! and (depending on the writer) non-ASCII characters or `<`, `>`, `&` as `\uXXXX`. The raw regex is the
//! user's regex rewritten so that each character also matches its escaped forms, with anchors and word
//! boundaries dropped (they mean something else inside a JSON line). It is a superset: it may accept a line
//! the decoded regex rejects (a match in `cwd` or across fields), never the reverse. Candidates are then
//! decoded and checked with the real regex, so escapes and metadata fields cause neither false hits nor
//! missed ones.

use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use regex::{Regex, RegexBuilder};
use regex_syntax::ParserBuilder;
use regex_syntax::hir::{
    Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Repetition,
};

use super::error::GrepError;

/// Longest accepted pattern, in bytes. Search patterns are short; this keeps hostile input cheap to refuse.
pub const MAX_PATTERN_BYTES: usize = 1024;
/// Largest compiled form of a pattern, in bytes (the `regex` crate's size limit). A pattern over it, such
/// as `\w{1000}{1000}`, is refused with an error naming the limit.
pub const COMPILED_SIZE_LIMIT: usize = 2 * (1 << 20);

/// The compiled matchers of one search.
#[derive(Debug)]
pub struct Matchers {
    source: String,
    decoded: Regex,
    raw: RegexMatcher,
}

impl Matchers {
    /// Compiles `pattern` (Rust `regex` syntax) for decoded text and derives the raw-line matcher.
    ///
    /// Refused: patterns over [`MAX_PATTERN_BYTES`], syntax errors, patterns that match the empty string
    /// (they would match every line), and patterns whose compiled form exceeds [`COMPILED_SIZE_LIMIT`]. A
    /// pattern may contain a newline (`a\nb`): it matches text spanning lines of one message.
    pub fn new(pattern: &str, case_insensitive: bool) -> Result<Matchers, GrepError> {
        let refuse = |reason: String| GrepError::Pattern {
            pattern: pattern.to_string(),
            reason,
        };
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(refuse(format!(
                "it is {} bytes long; at most {MAX_PATTERN_BYTES} are allowed",
                pattern.len()
            )));
        }
        let decoded = RegexBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .size_limit(COMPILED_SIZE_LIMIT)
            .dfa_size_limit(COMPILED_SIZE_LIMIT)
            .build()
            .map_err(|e| refuse(regex_error(e)))?;
        let hir = ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .build()
            .parse(pattern)
            .map_err(|e| refuse(e.to_string()))?;
        if hir.properties().minimum_len() == Some(0) {
            return Err(refuse(
                "it can match empty text, so it would match every line; make it require at least one character"
                    .to_string(),
            ));
        }
        let raw_pattern = raw(&hir).to_string();
        let raw = RegexMatcherBuilder::new()
            .line_terminator(Some(b'\n'))
            .size_limit(4 * COMPILED_SIZE_LIMIT)
            .dfa_size_limit(4 * COMPILED_SIZE_LIMIT)
            .build(&raw_pattern)
            .map_err(|e| refuse(format!("its JSON-escaped form does not compile: {e}")))?;
        Ok(Matchers {
            source: pattern.to_string(),
            decoded,
            raw,
        })
    }

    /// The pattern as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The regex over decoded text.
    pub fn decoded(&self) -> &Regex {
        &self.decoded
    }

    /// The superset regex over raw JSON lines.
    pub fn raw(&self) -> &RegexMatcher {
        &self.raw
    }
}

fn regex_error(e: regex::Error) -> String {
    match e {
        regex::Error::CompiledTooBig(limit) => format!(
            "it is too large once compiled (over the {limit}-byte limit); use fewer or smaller repetitions"
        ),
        other => other.to_string(),
    }
}

/// Rewrites a decoded-text regex into one over the JSON-escaped bytes of the same text.
fn raw(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Hir::empty(),
        HirKind::Literal(lit) => Hir::concat(literal(&lit.0)),
        HirKind::Class(Class::Unicode(c)) => class(c),
        HirKind::Class(Class::Bytes(c)) => bytes_class(c),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            min: rep.min,
            max: rep.max,
            greedy: rep.greedy,
            sub: Box::new(raw(&rep.sub)),
        }),
        HirKind::Capture(cap) => raw(&cap.sub),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(raw).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(raw).collect()),
    }
}

/// One piece per character: the character itself where it can appear raw, else its escaped forms.
fn literal(bytes: &[u8]) -> Vec<Hir> {
    let mut out = Vec::new();
    for chunk in bytes.utf8_chunks() {
        out.extend(chunk.valid().chars().map(char_forms));
        if !chunk.invalid().is_empty() {
            out.push(Hir::literal(chunk.invalid()));
        }
    }
    out
}

/// The short escape JSON writers use for `c`, if it has one.
fn short_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => r#"\""#,
        '\\' => r"\\",
        '/' => r"\/",
        '\n' => r"\n",
        '\r' => r"\r",
        '\t' => r"\t",
        '\u{8}' => r"\b",
        '\u{c}' => r"\f",
        _ => return None,
    })
}

/// Whether some writer emits `c` as `\uXXXX`: control characters, non-ASCII, and the HTML-sensitive
/// characters some encoders escape.
fn may_be_u_escaped(c: char) -> bool {
    c.is_control() || !c.is_ascii() || matches!(c, '<' | '>' | '&' | '\'')
}

/// Whether `c` can stand for itself inside a JSON string.
fn allowed_raw(c: char) -> bool {
    !(c < ' ' || c == '"' || c == '\\')
}

/// Every raw form of one decoded character.
fn char_forms(c: char) -> Hir {
    let mut alts = Vec::new();
    if allowed_raw(c) {
        let mut buf = [0; 4];
        alts.push(Hir::literal(c.encode_utf8(&mut buf).as_bytes()));
    }
    if let Some(esc) = short_escape(c) {
        alts.push(Hir::literal(esc.as_bytes()));
    }
    if may_be_u_escaped(c) {
        let mut units = [0; 2];
        alts.push(Hir::concat(
            c.encode_utf16(&mut units)
                .iter()
                .map(|&u| u_escape(Some(u)))
                .collect(),
        ));
    }
    Hir::alternation(alts)
}

/// `\uXXXX` for the code unit `unit` (hex digits in either case), or for any code unit when `None`.
fn u_escape(unit: Option<u16>) -> Hir {
    let hex_any = || {
        Hir::class(Class::Unicode(ClassUnicode::new([
            ClassUnicodeRange::new('0', '9'),
            ClassUnicodeRange::new('A', 'F'),
            ClassUnicodeRange::new('a', 'f'),
        ])))
    };
    let digits: Vec<Hir> = match unit {
        Some(u) => format!("{u:04x}")
            .chars()
            .map(|d| {
                let up = d.to_ascii_uppercase();
                Hir::class(Class::Unicode(ClassUnicode::new([
                    ClassUnicodeRange::new(d, d),
                    ClassUnicodeRange::new(up, up),
                ])))
            })
            .collect(),
        None => (0..4).map(|_| hex_any()).collect(),
    };
    let mut parts = vec![Hir::literal(*br"\u")];
    parts.extend(digits);
    Hir::concat(parts)
}

/// Any `\uXXXX` escape, or a surrogate pair of them (one character outside the BMP).
fn any_u_escape() -> Hir {
    Hir::concat(vec![
        u_escape(None),
        Hir::repetition(Repetition {
            min: 0,
            max: Some(1),
            greedy: true,
            sub: Box::new(u_escape(None)),
        }),
    ])
}

/// A character class over raw bytes: the members that can appear raw, plus the escapes of the others.
fn class(c: &ClassUnicode) -> Hir {
    let contains = |ch: char| c.ranges().iter().any(|r| r.start() <= ch && ch <= r.end());
    let mut plain = c.clone();
    plain.difference(&ClassUnicode::new([
        ClassUnicodeRange::new('\0', '\u{1f}'),
        ClassUnicodeRange::new('"', '"'),
        ClassUnicodeRange::new('\\', '\\'),
    ]));
    let mut alts = Vec::new();
    if !plain.ranges().is_empty() {
        alts.push(Hir::class(Class::Unicode(plain)));
    }
    for ch in ['"', '\\', '/', '\n', '\r', '\t', '\u{8}', '\u{c}'] {
        if contains(ch)
            && let Some(esc) = short_escape(ch)
        {
            alts.push(Hir::literal(esc.as_bytes()));
        }
    }
    let escapable = c.ranges().iter().any(|r| {
        r.end() >= '\u{7f}'
            || r.start() < ' '
            || ['<', '>', '&', '\'']
                .iter()
                .any(|&x| r.start() <= x && x <= r.end())
    });
    if escapable {
        alts.push(any_u_escape());
    }
    Hir::alternation(alts)
}

/// A byte class (from `(?-u)`): its ASCII part as a character class, non-ASCII bytes kept raw.
fn bytes_class(c: &ClassBytes) -> Hir {
    let ascii: Vec<ClassUnicodeRange> = c
        .ranges()
        .iter()
        .filter(|r| r.start() < 0x80)
        .map(|r| ClassUnicodeRange::new(char::from(r.start()), char::from(r.end().min(0x7f))))
        .collect();
    let mut alts = vec![class(&ClassUnicode::new(ascii))];
    let mut high = c.clone();
    high.intersect(&ClassBytes::new([ClassBytesRange::new(0x80, 0xff)]));
    if !high.ranges().is_empty() {
        alts.push(Hir::class(Class::Bytes(high)));
        alts.push(any_u_escape());
    }
    Hir::alternation(alts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use grep_matcher::Matcher;

    /// The JSON line a writer would produce for `text`, escaping as serde_json does.
    fn json(text: &str) -> String {
        serde_json::to_string(text).unwrap()
    }

    fn raw_hits(m: &Matchers, line: &str) -> bool {
        m.raw().is_match(line.as_bytes()).unwrap()
    }

    fn m(p: &str) -> Matchers {
        Matchers::new(p, false).unwrap()
    }

    #[test]
    fn plain_literals_stay_plain() {
        // The fast path for ordinary words is the word itself, as for ripgrep.
        let printed = raw(&regex_syntax::parse("error").unwrap()).to_string();
        assert!(printed == "error" || printed == "(?:error)", "{printed}");
    }

    #[test]
    fn quotes_backslashes_and_newlines_match_their_escapes() {
        for (pat, text) in [
            (r#"say "hi""#, r#"then say "hi" twice"#),
            (r"C:\\Users", r"path C:\Users\me"),
            (r"line one\nline two", "line one\nline two"),
            ("a/b", "a/b"),
            ("tab\there", "tab\there"),
        ] {
            let mm = m(pat);
            assert!(mm.decoded().is_match(text), "{pat} on decoded");
            assert!(raw_hits(&mm, &json(text)), "{pat} on {}", json(text));
        }
    }

    #[test]
    fn escaped_forward_slash_and_html_escapes_are_found() {
        assert!(raw_hits(&m("a/b"), r#""a\/b""#));
        assert!(raw_hits(&m("<div>"), r#""\u003cdiv\u003E""#));
    }

    #[test]
    fn non_ascii_matches_raw_and_u_escaped_forms() {
        let mm = m("café");
        assert!(raw_hits(&mm, r#""un café""#));
        assert!(raw_hits(&mm, r#""un caf\u00e9""#));
        assert!(raw_hits(&mm, r#""un caf\u00E9""#));
        assert!(raw_hits(&m("🎉"), r#""party \ud83c\udf89""#));
        let ci = Matchers::new("CAFÉ", true).unwrap();
        assert!(raw_hits(&ci, r#""un caf\u00e9""#));
    }

    #[test]
    fn classes_cover_escaped_members() {
        // `.` between words must match an escaped quote or newline.
        assert!(raw_hits(&m("said.hi"), r#""said\"hi""#));
        assert!(raw_hits(&m(r"one\stwo"), r#""one\ntwo""#));
        assert!(raw_hits(&m(r"x[^a]y"), r#""x\u00e9y""#));
    }

    #[test]
    fn anchors_and_word_boundaries_do_not_hide_candidates() {
        assert!(raw_hits(
            &m(r"^Remember\b"),
            r#"{"content":"Remember this"}"#
        ));
        assert!(raw_hits(&m(r"\bfoo$"), r#""x\nfoo""#));
    }

    #[test]
    fn empty_matching_patterns_are_refused() {
        let err = Matchers::new("a*", false).unwrap_err().to_string();
        assert!(err.contains("empty text"), "{err}");
    }

    #[test]
    fn huge_patterns_are_refused_with_the_limit() {
        let err = Matchers::new(r"\w{1000}{1000}", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too large") && err.contains("limit"), "{err}");
        let long = "a".repeat(MAX_PATTERN_BYTES + 1);
        let err = Matchers::new(&long, false).unwrap_err().to_string();
        assert!(err.contains("at most 1024"), "{err}");
    }

    #[test]
    fn syntax_errors_name_the_pattern() {
        let err = Matchers::new("(unclosed", false).unwrap_err().to_string();
        assert!(err.contains("\"(unclosed\""), "{err}");
    }
}
