//! `relative_date`: "yesterday", "last week", "3 days ago" and the like. They are true the day they are
//! written and wrong every day after, and a consolidation days later resolves them against the wrong day.
//!
//! Session-relative phrases ("this session", "next session", "last time", "下次 session") are reported too:
//! the next session reading them cannot tell which one is meant.
//!
//! Each finding carries its anchor, the best date the file offers for when the phrase was written, and
//! says which it used: a date on the same line, else the time a transcript shows the line was written,
//! else the nearest line above that starts with a date or a dated heading above, else a date in the file
//! name, else `metadata.modified`, else the file's modification date; and the absolute date computed
//! from it.
//!
//! Not statements, left alone: fenced code, inline code, URLs, quoted speech (`"…"`, `“…”`, `«…»`, `「…」`),
//! link titles, file names (`today-timeline.tsx`), title-case feature names and UI labels ("Recently
//! Added", "Last Played"), `recently` as an adjective ("recently fixed bugs"), the rules of a feedback
//! memory (its `Why:` / `How to apply:` paragraphs), and "today" on a line that already carries its date.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::text::{Doc, LazyRegex, dates, masked_spans, overlaps};

use super::{DateEvidence, Evidence, Finding, Kind, Severity};

static PHRASE: LazyRegex = LazyRegex::new(concat!(
    r"(?i)(?-u:\b)(?:",
    r"(?P<dby>the\s+day\s+before\s+yesterday)",
    r"|(?P<vague>the\s+other\s+day|(?:a\s+few|a\s+couple\s+of|several)\s+(?:days|weeks|months)\s+ago|recently|lately|a\s+while\s+(?:ago|back))",
    r"|(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?P<agounit>day|week|month|year)s?\s+ago",
    r"|(?P<day>yesterday|today|tonight|tomorrow|last\s+night|this\s+(?:morning|afternoon|evening)|earlier\s+today)",
    r"|(?P<dir>last|next|this)\s+(?P<unit>week|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"|(?P<session>(?:this|next|last|previous|the\s+next)\s+session|last\s+time)",
    r")(?-u:\b)",
    r"|(?P<zhsession>(?:下次|下一次|上次|这次|本次)新?\s*(?:session|会话))"
));

/// A capitalised word, for telling "Recently Added" (a feature name) from "Recently, ..." (a statement).
fn capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

/// Where an anchor date came from, in words for the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Anchor {
    date: NaiveDate,
    source: String,
}

/// The relative dates in `doc`'s body.
pub(crate) fn check(doc: &Doc) -> Vec<Finding> {
    let Some(re) = PHRASE.get() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut sections = Sections::default();
    let mut in_rule = false;
    for line in doc.body() {
        if line.in_code {
            continue;
        }
        sections.see(line.number, line.text);
        in_rule = rule_paragraph(doc.is_feedback, in_rule, line.text);
        if in_rule {
            continue;
        }
        let mut masked = None;
        for caps in re.captures_iter(line.text) {
            let Some(m) = caps.get(0) else { continue };
            let masked = masked.get_or_insert_with(|| quoted_spans(line.text));
            if overlaps(&m.range(), masked) || not_a_statement(line.text, m.start(), m.end()) {
                continue;
            }
            let phrase = m.as_str().split_whitespace().collect::<Vec<_>>().join(" ");
            let on_line = same_line_anchor(line.number, line.text, m.start());
            if on_line.is_some() && caps.name("day").is_some_and(|d| is_today(d.as_str())) {
                // "2026-07-16: ... today" already says which day.
                continue;
            }
            let session = caps.name("session").is_some() || caps.name("zhsession").is_some();
            if session && doc.is_feedback {
                // "suggest closing this session": a rule about sessions in general.
                continue;
            }
            let anchor = on_line
                .or_else(|| {
                    let (date, source) = doc
                        .transcript_dates?
                        .get(line.number.checked_sub(1)?)?
                        .as_ref()?;
                    Some(Anchor {
                        date: *date,
                        source: source.clone(),
                    })
                })
                .or_else(|| sections.anchor())
                .or_else(|| {
                    doc.file_name_date.map(|date| Anchor {
                        date,
                        source: "the date in the file name".to_string(),
                    })
                })
                .or_else(|| {
                    doc.frontmatter_date.map(|date| Anchor {
                        date,
                        source: "the date in the frontmatter".to_string(),
                    })
                })
                .or_else(|| {
                    doc.modified.map(|date| Anchor {
                        date,
                        source: "the file's modification date".to_string(),
                    })
                });
            let resolved = anchor.as_ref().and_then(|a| resolve(&caps, a.date));
            out.push(finding(doc, line.number, phrase, anchor, resolved));
        }
    }
    out
}

fn is_today(day: &str) -> bool {
    let d = day.to_ascii_lowercase();
    d == "today" || d == "tonight" || d.starts_with("this ") || d.starts_with("earlier")
}

/// Whether `text` continues the rule paragraphs of a feedback memory (`**Why:**`, `**How to apply:**`,
/// and their French and Chinese forms): rules are not events, so their "today" is habitual.
fn rule_paragraph(feedback: bool, was: bool, text: &str) -> bool {
    if !feedback {
        return false;
    }
    let t = text
        .trim_start()
        .trim_start_matches(['-', '*', ' '])
        .to_lowercase();
    let label = [
        "why",
        "how to apply",
        "pourquoi",
        "comment appliquer",
        "为什么",
        "如何应用",
    ]
    .iter()
    .any(|l| t.starts_with(l));
    if label {
        return true;
    }
    was && !text.trim().is_empty() && !text.trim_start().starts_with('#')
}

/// Byte ranges of `line` that are code, URLs, quoted speech or link titles.
fn quoted_spans(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = masked_spans(line);
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»'), ('「', '」'), ('[', ']')] {
        let mut from = 0;
        while let Some(i) = line[from..].find(open).map(|i| from + i) {
            let after = i + open.len_utf8();
            let Some(j) = line[after..].find(close).map(|j| after + j) else {
                break;
            };
            spans.push(i..j + close.len_utf8());
            from = j + close.len_utf8();
        }
    }
    spans
}

/// A phrase that is part of a name, not a statement: inside a file name or identifier
/// (`today-timeline.tsx`), a title-case feature name or label ("Recently Added", "Last Played"), or
/// `recently` as an adjective ("recently fixed bugs").
fn not_a_statement(line: &str, start: usize, end: usize) -> bool {
    let before = line[..start].chars().next_back();
    let after = line[end..].chars().next();
    if before.is_some_and(|c| matches!(c, '-' | '_' | '/' | '.'))
        || after.is_some_and(|c| matches!(c, '-' | '_' | '/'))
        || (after == Some('.') && line[end + 1..].starts_with(|c: char| c.is_alphanumeric()))
    {
        return true;
    }
    let phrase = &line[start..end];
    let next_word = line[end..].split_whitespace().next().unwrap_or("");
    if capitalised(phrase) && capitalised(next_word) {
        return true;
    }
    let sentence_start = line[..start]
        .trim_end_matches(['*', ' ', '(', '-'])
        .chars()
        .next_back()
        .is_none_or(|c| matches!(c, '.' | '!' | '?' | ':' | '—' | '|'));
    if capitalised(phrase) && !sentence_start {
        return true;
    }
    let lower = phrase.to_ascii_lowercase();
    if lower == "recently" {
        let mut words = line[end..].split_whitespace();
        let participle = words.next().unwrap_or("");
        let noun = words.next().unwrap_or("");
        let adjectival = participle.len() > 3
            && participle.ends_with("ed")
            && noun.chars().next().is_some_and(char::is_alphabetic)
            && !participle.ends_with([',', '.', ';', ':']);
        return adjectival;
    }
    false
}

fn finding(
    doc: &Doc,
    line: usize,
    phrase: String,
    anchor: Option<Anchor>,
    resolved: Option<String>,
) -> Finding {
    let (severity, message, suggestion) = match (&anchor, &resolved) {
        (Some(a), Some(r)) => (
            Severity::Warning,
            format!(
                "\"{phrase}\" is relative: written on {} ({}) it means {r}",
                a.date, a.source
            ),
            format!(
                "write {r} instead; if a transcript mentions the same event, its timestamp is the exact anchor"
            ),
        ),
        (_, None) if is_vague(&phrase) => (
            Severity::Info,
            format!("\"{phrase}\" is relative and vague; it says nothing once the day has passed"),
            "replace it with the date it happened (search the transcripts for the event) or drop it"
                .to_string(),
        ),
        _ => (
            Severity::Warning,
            format!("\"{phrase}\" is relative and the file gives no date to resolve it against"),
            "replace it with the absolute date; the timestamp of the transcript that mentions the event is the anchor"
                .to_string(),
        ),
    };
    Finding {
        kind: Kind::RelativeDate,
        severity,
        file: doc.file.to_string(),
        line,
        message,
        suggestion: Some(suggestion),
        evidence: Some(Box::new(Evidence::RelativeDate(DateEvidence {
            phrase,
            anchor: anchor.as_ref().map(|a| a.date.to_string()),
            anchor_source: anchor.map(|a| a.source),
            resolved,
        }))),
    }
}

fn is_vague(phrase: &str) -> bool {
    let p = phrase.to_ascii_lowercase();
    [
        "other day",
        "few",
        "couple",
        "several",
        "recently",
        "lately",
        "while",
        "session",
        "time",
        "会话",
    ]
    .iter()
    .any(|w| p.contains(w))
}

/// The date on the same line: the last one before the phrase, else the first one after it.
fn same_line_anchor(number: usize, text: &str, at: usize) -> Option<Anchor> {
    let found: Vec<_> = dates(text).collect();
    let date = found
        .iter()
        .rev()
        .find(|(r, _)| r.end <= at)
        .or_else(|| found.iter().find(|(r, _)| r.start >= at))
        .map(|(_, d)| *d)?;
    Some(Anchor {
        date,
        source: format!("the date on line {number}"),
    })
}

/// The headings enclosing the current line, with the dates they carry.
#[derive(Debug, Default)]
struct Sections {
    /// For heading levels 1-6: the date in the current heading of that level and its line.
    levels: [Option<(NaiveDate, usize)>; 6],
    /// The last line since the current heading that starts with a date, and its number.
    dated_line: Option<(NaiveDate, usize)>,
}

impl Sections {
    fn see(&mut self, number: usize, text: &str) {
        let t = text.trim_start();
        let level = t.bytes().take_while(|&b| b == b'#').count();
        if !(1..=6).contains(&level) || !t[level..].starts_with([' ', '\t']) {
            // A line or paragraph that starts with a date ("2026-07-22 RCA: ...") dates what follows it
            // until the next heading or dated line.
            let lead = t.trim_start_matches(['-', '*', '+', ' ', '(', '[']);
            if let Some((r, d)) = dates(lead).next()
                && r.start == 0
            {
                self.dated_line = Some((d, number));
            }
            return;
        }
        self.levels[level - 1] = dates(t).next().map(|(_, d)| (d, number));
        for slot in &mut self.levels[level..] {
            *slot = None;
        }
        self.dated_line = None;
    }

    fn anchor(&self) -> Option<Anchor> {
        if let Some((date, n)) = self.dated_line {
            return Some(Anchor {
                date,
                source: format!("the dated line {n}"),
            });
        }
        self.levels
            .iter()
            .rev()
            .flatten()
            .next()
            .map(|&(date, n)| Anchor {
                date,
                source: format!("the heading on line {n}"),
            })
    }
}

/// The absolute date (or week, month, year) a phrase means when written on `anchor`.
fn resolve(caps: &regex::Captures, anchor: NaiveDate) -> Option<String> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let back = |n: u64| anchor.checked_sub_days(Days::new(n));
    let ahead = |n: u64| anchor.checked_add_days(Days::new(n));
    if caps.name("dby").is_some() {
        return day(back(2));
    }
    if caps.name("vague").is_some() || caps.name("zhsession").is_some() {
        return None;
    }
    if let Some(sess) = caps.name("session") {
        return sess
            .as_str()
            .to_ascii_lowercase()
            .starts_with("this")
            .then(|| format!("the session of {anchor}"));
    }
    if let Some(d) = caps.name("day") {
        let d = d.as_str().to_ascii_lowercase();
        return day(if d.starts_with("yesterday") || d.starts_with("last") {
            back(1)
        } else if d.starts_with("tomorrow") {
            ahead(1)
        } else {
            Some(anchor)
        });
    }
    if let (Some(n), Some(unit)) = (caps.name("n"), caps.name("agounit")) {
        let n = count(n.as_str())?;
        return match unit.as_str().to_ascii_lowercase().as_str() {
            "day" => day(back(n)),
            "week" => back(7 * n).map(week_of),
            "month" => anchor
                .checked_sub_months(Months::new(u32::try_from(n).ok()?))
                .map(month_of),
            _ => Some((anchor.year() - i32::try_from(n).ok()?).to_string()),
        };
    }
    let dir = caps.name("dir")?.as_str().to_ascii_lowercase();
    let unit = caps.name("unit")?.as_str().to_ascii_lowercase();
    let step: i64 = match dir.as_str() {
        "last" => -1,
        "next" => 1,
        _ => 0,
    };
    match unit.as_str() {
        "week" => shift_days(anchor, 7 * step).map(week_of),
        "month" => match step {
            -1 => anchor.checked_sub_months(Months::new(1)),
            1 => anchor.checked_add_months(Months::new(1)),
            _ => Some(anchor),
        }
        .map(month_of),
        "year" => Some((anchor.year() + step as i32).to_string()),
        weekday => {
            let target: Weekday = weekday.parse().ok()?;
            let from = i64::from(anchor.weekday().num_days_from_monday());
            let to = i64::from(target.num_days_from_monday());
            let delta = match step {
                -1 => -((from - to + 6).rem_euclid(7) + 1),
                1 => (to - from + 6).rem_euclid(7) + 1,
                _ => to - from,
            };
            day(shift_days(anchor, delta))
        }
    }
}

fn shift_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
}

fn week_of(d: NaiveDate) -> String {
    let monday = d
        .checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday())))
        .unwrap_or(d);
    format!("the week of {monday}")
}

fn month_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn count(word: &str) -> Option<u64> {
    let w = word.to_ascii_lowercase();
    let words = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve",
    ];
    match w.as_str() {
        "a" | "an" => Some(1),
        _ => w
            .parse()
            .ok()
            .or_else(|| words.iter().position(|x| *x == w).map(|i| i as u64 + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    /// (phrase, resolved, anchor source) for each finding in `text`, written on `modified`.
    fn found(text: &str, modified: &str) -> Vec<(String, Option<String>, Option<String>)> {
        let doc = Doc::new("notes.md", text, Some(date(modified)), false);
        check(&doc)
            .into_iter()
            .map(|f| match f.evidence.map(|e| *e) {
                Some(Evidence::RelativeDate(e)) => (e.phrase, e.resolved, e.anchor_source),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn resolved(phrase: &str, anchor: &str) -> Option<String> {
        let text = format!("## {anchor}\n- {phrase} it happened\n");
        let f = found(&text, "2000-01-01");
        assert_eq!(f.len(), 1, "{phrase}: {f:?}");
        f.into_iter().next().and_then(|(_, r, _)| r)
    }

    #[test]
    fn pattern_compiles() {
        assert!(PHRASE.get().is_some());
    }

    #[test]
    fn resolves_each_phrase_against_its_anchor() {
        // 2026-03-16 is a Monday.
        let cases = [
            ("yesterday", "2026-03-15"),
            ("Yesterday", "2026-03-15"),
            ("today", "2026-03-16"),
            ("this morning", "2026-03-16"),
            ("earlier today", "2026-03-16"),
            ("tonight", "2026-03-16"),
            ("last night", "2026-03-15"),
            ("tomorrow", "2026-03-17"),
            ("the day before yesterday", "2026-03-14"),
            ("3 days ago", "2026-03-13"),
            ("two days ago", "2026-03-14"),
            ("a day ago", "2026-03-15"),
            ("2 weeks ago", "the week of 2026-03-02"),
            ("last week", "the week of 2026-03-09"),
            ("this week", "the week of 2026-03-16"),
            ("next week", "the week of 2026-03-23"),
            ("last month", "2026-02"),
            ("next month", "2026-04"),
            ("6 months ago", "2025-09"),
            ("last year", "2025"),
            ("a year ago", "2025"),
            ("last Friday", "2026-03-13"),
            ("last Monday", "2026-03-09"),
            ("next Monday", "2026-03-23"),
            ("next Wednesday", "2026-03-18"),
            ("this Friday", "2026-03-20"),
        ];
        for (phrase, want) in cases {
            assert_eq!(
                resolved(phrase, "2026-03-16").as_deref(),
                Some(want),
                "{phrase}"
            );
        }
    }

    #[test]
    fn vague_phrases_are_reported_without_a_date() {
        for phrase in [
            "recently",
            "the other day",
            "a few days ago",
            "a while ago",
            "lately",
        ] {
            assert_eq!(resolved(phrase, "2026-03-16"), None, "{phrase}");
        }
    }

    #[test]
    fn anchors_on_the_line_then_the_heading_then_the_frontmatter_then_the_modification_date() {
        let text = "---\nname: b\ndate: 2026-02-01\n---\n\
                    - 2026-01-20: yesterday the build broke\n\
                    ## 2026-03-02 worktree\n\
                    ### Details\n\
                    - yesterday again\n\
                    ## Undated\n\
                    - yesterday once more\n";
        let f = found(text, "2026-03-20");
        assert_eq!(
            f,
            [
                (
                    "yesterday".to_string(),
                    Some("2026-01-19".to_string()),
                    Some("the date on line 5".to_string())
                ),
                (
                    "yesterday".to_string(),
                    Some("2026-03-01".to_string()),
                    Some("the heading on line 6".to_string())
                ),
                (
                    "yesterday".to_string(),
                    Some("2026-01-31".to_string()),
                    Some("the date in the frontmatter".to_string())
                ),
            ]
        );
        let plain = found("- yesterday the build broke\n", "2026-03-16");
        assert_eq!(
            plain,
            [(
                "yesterday".to_string(),
                Some("2026-03-15".to_string()),
                Some("the file's modification date".to_string())
            )]
        );
    }

    #[test]
    fn quotes_in_code_and_urls_are_not_statements() {
        let text = "Log from the failing run:\n\
                    ```\n\
                    [cron] job skipped: already ran today, next run tomorrow 03:00\n\
                    ```\n\
                    The `--since yesterday` flag and https://example.com/reports/last-week/today are fine.\n";
        assert_eq!(found(text, "2026-03-16"), []);
    }

    #[test]
    fn words_that_only_contain_a_phrase_do_not_match() {
        let text =
            "Todays-style names, yesterdays_build, the lastweek flag, 10 daysago, a holiday.\n";
        assert_eq!(found(text, "2026-03-16"), []);
    }

    #[test]
    fn the_frontmatter_is_not_scanned() {
        let text =
            "---\nname: x\ndescription: what we learned yesterday\ntype: project\n---\nbody\n";
        assert_eq!(found(text, "2026-03-16"), []);
    }

    #[test]
    fn anchors_on_a_dated_line_above_then_the_file_name_then_metadata_modified() {
        let text = "---\nname: x\ndescription: d\nmetadata: \n  modified: 2026-07-22T05:07:35.194Z\n---\n\
                    Intro: the cache broke yesterday.\n\
                    \n\
                    2026-07-20 RCA (second pass):\n\
                    - the fix landed yesterday\n";
        let f = found(text, "2026-07-23");
        assert_eq!(
            f,
            [
                (
                    "yesterday".to_string(),
                    Some("2026-07-21".to_string()),
                    Some("the date in the frontmatter".to_string())
                ),
                (
                    "yesterday".to_string(),
                    Some("2026-07-19".to_string()),
                    Some("the dated line 9".to_string())
                ),
            ]
        );
        let doc = Doc::new(
            "2026-05-02-deploy.md",
            "- deployed yesterday\n",
            Some(date("2026-06-01")),
            false,
        );
        let f = check(&doc);
        assert!(
            f[0].message.contains("2026-05-01") && f[0].message.contains("file name"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn names_labels_quotes_and_rules_are_not_statements() {
        let text = "- [Issue #574 Recently Added fixed](x.md) and Jellyfin Recently Added shows upgrades\n\
                    - Operator said (\"it got stamped genuine today\") and «demain» “today” is quoted\n\
                    - see today-timeline.tsx and last_week.rs and `today`\n\
                    - short-form state only (recently fixed bugs)\n\
                    - 2026-07-16 (later still): fixed today\n";
        assert_eq!(found(text, "2026-07-20"), []);
        let feedback = "---\nname: x\ndescription: d\nmetadata: \n  type: feedback\n---\n\
                        Make the index now.\n\
                        **How to apply:** create it on the live DB so the query is fast today.\n\
                        Then it is fast.\n\
                        \n\
                        The build broke yesterday; suggest closing this session when pivoting.\n";
        let f = found(feedback, "2026-07-20");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "yesterday");
    }

    #[test]
    fn session_relative_phrases_are_reported() {
        let text = "- re-arm next session\n- this session killed the run\n- last time it failed\n- (下次新 session 直接读)\n";
        let f = found(text, "2026-07-20");
        let phrases: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            phrases,
            [
                "next session",
                "this session",
                "last time",
                "下次新 session"
            ]
        );
        assert_eq!(f[1].1.as_deref(), Some("the session of 2026-07-20"));
        assert_eq!(f[0].1, None);
    }

    #[test]
    fn without_any_date_the_finding_says_so() {
        let doc = Doc::new("x.md", "- fixed yesterday\n", None, false);
        let f = check(&doc);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("no date"), "{}", f[0].message);
    }
}
