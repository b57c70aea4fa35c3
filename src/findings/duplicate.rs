//! `duplicate`: the same fact stated more than once, within a file or across files (the index included).
//!
//! Statements are sentences of lines: each sentence of a list item or paragraph line of a topic file, the
//! headings that name code (an identifier, a call, a path), and the lines of MEMORY.md with their links
//! removed. Left out: code blocks, tables, HTML comments, template labels (`**How to apply:**`, a heading
//! with no identifier), see-also and link-led lines, and boilerplate (the same first or last statement in
//! three files or more). Each statement becomes a set of words: lower-cased, split on anything that is
//! not a letter or digit except that a path or file name is one word, common English words dropped, a
//! plural `s` trimmed, Chinese, Japanese and Korean runs cut into character bigrams. Two statements are
//! duplicates when each has at least [`MIN_WORDS`] words and the words they share are at least 60% of all
//! their words together (Jaccard similarity, [`THRESHOLD_PERCENT`]), unless they differ only in values
//! (numbers, paths: two facts of one template, or a contradiction, not a repeat), are about entirely
//! different values, or are neighbouring lines of one file (a list of alike items), each under
//! [`CLOSE_PERCENT`]. An index line is not a duplicate of the topic file it links to: summarising its target
//! is what an index line is for.
//!
//! The work is near-linear and bounded whatever the input: identical statements are grouped by hash before
//! any pairing (a fact in twelve files is one finding with twelve locations); the rest are paired without
//! comparing every statement with every other: words are ordered rarest first, and two sets that reach the
//! threshold must share a word among their first few (prefix filtering), so only statements sharing a rare
//! word are compared (the PPJoin algorithm, in `similar_pairs`). Each word's candidate list, each
//! statement's pairs and the whole comparison have a ceiling ([`Budget`]); reaching one ends in a note
//! that the result is partial, never in an abort. When the join's work, estimated in linear time
//! beforehand (`exact_cost`), would pass the ceiling (about 3,000 topic files of dense text), the pairs
//! come from MinHash instead (`minhash`, linear, each candidate verified exactly, a pair near the
//! threshold found with 98.5% probability), with a note saying so.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::minhash;
use super::text::{Doc, LazyRegex};
use super::{DuplicateEvidence, Evidence, Finding, Kind, Location, Severity};
use crate::memory::index;

/// Two statements are duplicates when their shared words are at least this percentage of their union.
pub const THRESHOLD_PERCENT: usize = 60;
/// Statements with fewer words than this are too short to call duplicates.
pub const MIN_WORDS: usize = 4;
/// Pairs at least this similar are duplicates even when they are neighbouring lines or differ in a value.
pub const CLOSE_PERCENT: usize = 90;
/// Pairs about values that share none (`/ambiance` and `/poche`) need this similarity.
const DIFFERENT_VALUES_PERCENT: usize = 80;
/// How much of a statement's text a location quotes.
const QUOTE_CHARS: usize = 160;
/// Most locations one finding lists (its message gives the full count).
const MAX_LOCATIONS: usize = 20;
/// Identical first or last statements in this many files or more are boilerplate, not a fact.
const BOILERPLATE_FILES: usize = 3;

/// How many words counted one verification of a candidate costs, for [`Vocabulary::repeating`]'s
/// choice between verifying what its rarest words find and counting what all its words find.
const VERIFY_COST: usize = 4;

/// Ceilings on the pairing work, so that no input makes it quadratic.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Most similar pairs kept per statement (more add nothing to its group).
    pairs_per_statement: usize,
    /// Most statements indexed under one word.
    postings_per_word: usize,
    /// Most candidate visits in all.
    visits: usize,
}

/// The ceilings `check` works within.
const BUDGET: Budget = Budget {
    pairs_per_statement: 16,
    postings_per_word: 1_000,
    visits: 30_000_000,
};

/// Whether `word` (lower case) is a common English word that carries no fact.
pub(crate) fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "about"
            | "after"
            | "again"
            | "all"
            | "also"
            | "always"
            | "am"
            | "an"
            | "and"
            | "any"
            | "are"
            | "as"
            | "at"
            | "be"
            | "because"
            | "been"
            | "before"
            | "being"
            | "both"
            | "but"
            | "by"
            | "can"
            | "could"
            | "did"
            | "do"
            | "does"
            | "doing"
            | "done"
            | "each"
            | "else"
            | "even"
            | "every"
            | "for"
            | "from"
            | "get"
            | "gets"
            | "got"
            | "had"
            | "has"
            | "have"
            | "having"
            | "he"
            | "her"
            | "here"
            | "him"
            | "his"
            | "how"
            | "i"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "just"
            | "let"
            | "like"
            | "may"
            | "me"
            | "might"
            | "more"
            | "most"
            | "must"
            | "my"
            | "never"
            | "no"
            | "nor"
            | "not"
            | "now"
            | "of"
            | "off"
            | "on"
            | "once"
            | "only"
            | "or"
            | "other"
            | "our"
            | "out"
            | "over"
            | "own"
            | "same"
            | "she"
            | "should"
            | "so"
            | "some"
            | "still"
            | "such"
            | "than"
            | "that"
            | "the"
            | "their"
            | "them"
            | "then"
            | "there"
            | "these"
            | "they"
            | "this"
            | "those"
            | "through"
            | "to"
            | "too"
            | "under"
            | "until"
            | "up"
            | "us"
            | "very"
            | "via"
            | "was"
            | "we"
            | "were"
            | "what"
            | "when"
            | "where"
            | "which"
            | "while"
            | "who"
            | "why"
            | "will"
            | "with"
            | "would"
            | "yet"
            | "you"
            | "your"
    )
}

/// `[title](target)` (and images): removed from index lines, reduced to the title elsewhere.
static LINK: LazyRegex = LazyRegex::new(r"!?\[([^\]]*)\]\([^)]*\)");
/// `[[name]]` wiki-links: the fact pointed at, not a fact stated.
static WIKI_LINK: LazyRegex = LazyRegex::new(r"\[\[[^\]]*\]\]");

/// Openings of see-also lines (lower case).
const SEE_ALSO: [&str; 10] = [
    "see also",
    "related:",
    "related notes",
    "related memories",
    "cf.",
    "参见",
    "相关",
    "関連",
    "voir aussi",
    "siehe auch",
];

/// Where one statement is. What a location quotes of it is read again from its file's text (see
/// [`quotes`]).
#[derive(Debug, Clone, Copy)]
struct Statement {
    doc: u32,
    line: u32,
}

/// Where each statement is, in 4 bytes a statement (a large memory has millions): its line, and its doc
/// found from where each doc's statements end.
#[derive(Debug)]
struct Places<'e> {
    lines: Vec<u32>,
    /// Per doc: the index past its last statement (see [`Collector`]).
    ends: &'e [u32],
}

impl Places<'_> {
    /// Where statement `i` is.
    fn at(&self, i: usize) -> Statement {
        Statement {
            doc: self.ends.partition_point(|&end| end as usize <= i) as u32,
            line: self.lines[i],
        }
    }

    /// How many statements there are.
    fn len(&self) -> usize {
        self.lines.len()
    }
}

/// The statements of the docs collected (their lines; their docs are known from the order they came
/// in), and apart from them the topic files each index line links to (a few statements of millions: a
/// field each would cost every statement a pointer).
#[derive(Debug, Default)]
struct Statements {
    lines: Vec<u32>,
    links: Links,
    /// The statements that are headings, ascending: a heading names a subject, so it pairs below
    /// [`CLOSE_PERCENT`] only with another heading, never with a sentence about the subject.
    headings: Vec<u32>,
}

/// The topic files linked from each index line that links to some, by statement (ascending).
#[derive(Debug, Default)]
struct Links(Vec<(u32, Vec<String>)>);

impl Links {
    /// The topic files statement `i` links to (none unless it is an index line).
    fn of(&self, i: usize) -> &[String] {
        match self.0.binary_search_by_key(&i, |(s, _)| *s as usize) {
            Ok(at) => &self.0[at].1,
            Err(_) => &[],
        }
    }
}

/// The duplicate groups among `docs`.
pub(crate) fn check(docs: &[Doc]) -> Vec<Finding> {
    check_within(docs, BUDGET, None)
}

/// The duplicate groups among `docs` that hold a statement of `docs[focus]` (a file just written): its
/// statements are compared with every other, exactly, in time linear in the words of all the files
/// (the others are not compared with each other). A group lists the focus statements and what repeats
/// them directly.
pub(crate) fn check_involving(docs: &[Doc], focus: usize) -> Vec<Finding> {
    check_within(docs, BUDGET, Some(focus))
}

/// The duplicate groups among `docs`, within `budget`; with `focus`, only the pairs holding a statement
/// of that file.
fn check_within(docs: &[Doc], budget: Budget, focus: Option<usize>) -> Vec<Finding> {
    let mut collector = Collector::default();
    for doc in docs {
        collector.add(doc);
    }
    let names: Vec<&str> = docs.iter().map(|d| d.file).collect();
    collector.finish_within(&names, |i| Cow::Borrowed(docs[i].text), budget, focus)
}

/// The statements of the docs added so far and their words, kept apart from the texts: [`Collector::add`]
/// reads one doc at a time, so a large memory's texts need not be held together, and
/// [`Collector::finish`] reads again only the texts of the statements its findings quote.
#[derive(Default)]
pub(crate) struct Collector {
    statements: Statements,
    words: WordSetsBuilder,
    /// Per doc: the index past its last statement among `statements` (its first is the previous doc's
    /// end): where a statement stands in its file, for boilerplate, without a field per statement.
    ends: Vec<u32>,
    /// The doc that is MEMORY.md, if one was added (its statements are read as index lines).
    index: Option<usize>,
}

impl Collector {
    /// Adds the statements of `doc`, the next doc (docs are numbered in the order added).
    pub(crate) fn add(&mut self, doc: &Doc) {
        let words = &mut self.words;
        if doc.is_index {
            self.index = Some(self.ends.len());
        }
        statements_of(doc, &mut self.statements, |_, text| words.push(text));
        self.ends.push(self.statements.lines.len() as u32);
    }

    /// The duplicate groups among the docs added, `names[i]` naming doc `i` and `text(i)` giving its text
    /// again (the same text [`Collector::add`] read) for the statements a finding quotes.
    pub(crate) fn finish<'t>(
        self,
        names: &[&str],
        text: impl Fn(usize) -> Cow<'t, str>,
    ) -> Vec<Finding> {
        self.finish_within(names, text, BUDGET, None)
    }

    /// [`Collector::finish`] within `budget`; with `focus`, only the pairs holding a statement of that doc.
    fn finish_within<'t>(
        self,
        names: &[&str],
        text: impl Fn(usize) -> Cow<'t, str>,
        budget: Budget,
        focus: Option<usize>,
    ) -> Vec<Finding> {
        check_collected(self, names, text, budget, focus)
    }
}

/// The work of [`Collector::finish_within`] over what the collector gathered.
fn check_collected<'t>(
    collected: Collector,
    docs: &[&str],
    text: impl Fn(usize) -> Cow<'t, str>,
    budget: Budget,
    focus: Option<usize>,
) -> Vec<Finding> {
    let Collector {
        statements:
            Statements {
                mut lines,
                links,
                headings,
            },
        words,
        ends,
        index,
    } = collected;
    // Grown by doubling; on a large memory the slack is tens of megabytes held to the end.
    lines.shrink_to_fit();
    let statements = Places { lines, ends: &ends };
    let sets = words.finish();
    let eligible = |i: usize| sets.raw[i] as usize >= MIN_WORDS && sets.len(i) >= 2;
    // Identical statements, grouped by their word sets (index lines with links stay alone: whether they
    // repeat depends on what they link to).
    let mut by_set = FirstOfSet::new(&sets.sets);
    let mut same: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut reps = Vec::new();
    for i in (0..statements.len()).filter(|&i| eligible(i)) {
        if !links.of(i).is_empty() {
            reps.push(i);
            continue;
        }
        match by_set.first(i) {
            Some(first) => same.entry(first).or_insert_with(|| vec![first]).push(i),
            None => reps.push(i),
        }
    }
    let boilerplate = |members: &[usize]| {
        let mut files: Vec<u32> = members.iter().map(|&m| statements.at(m).doc).collect();
        files.dedup();
        files.len() >= BOILERPLATE_FILES
            && members.iter().all(|&m| {
                // The first or the last statement of its file.
                let doc = statements.at(m).doc as usize;
                let first = doc.checked_sub(1).map_or(0, |d| ends[d] as usize);
                m == first || m + 1 == ends[doc] as usize
            })
    };
    let dropped: Vec<usize> = same
        .iter()
        .filter(|(_, members)| boilerplate(members))
        .map(|(&rep, _)| rep)
        .collect();
    for rep in &dropped {
        same.remove(rep);
    }
    // The grouping is done: its table (a slot per statement) is not held through the pairing.
    drop(by_set);
    let dropped: HashSet<usize> = dropped.into_iter().collect();
    reps.retain(|r| !dropped.contains(r));
    let sampled = focus.is_none() && exact_cost(&sets, &reps, budget) > budget.visits;
    let first_rep = reps.first().copied();
    let (pairs, stopped_at) = match focus {
        Some(doc) => {
            // A representative stands for the focus file when it or a statement identical to it is there.
            let in_focus = |r: &usize| {
                statements.at(*r).doc as usize == doc
                    || same
                        .get(r)
                        .is_some_and(|m| m.iter().any(|&i| statements.at(i).doc as usize == doc))
            };
            let probes: Vec<usize> = reps.iter().copied().filter(in_focus).collect();
            (focused_pairs(&sets, &reps, &probes, budget), None)
        }
        None if sampled => (sampled_pairs(&statements, &sets, reps, budget), None),
        None => similar_pairs(&statements, &sets, &reps, budget),
    };
    let pairs: Vec<(usize, usize, usize)> = pairs
        .into_iter()
        .filter_map(|(a, b, similarity)| {
            let b = unlinked(docs, &statements, &links, &same, a, b)?;
            let a = unlinked(docs, &statements, &links, &same, b, a)?;
            let heading = |i: usize| headings.binary_search(&(i as u32)).is_ok();
            if similarity < CLOSE_PERCENT && heading(a) != heading(b) {
                return None;
            }
            worth_reporting(docs, &statements, &links, &sets, a, b, similarity)
                .then_some((a, b, similarity))
        })
        .collect();
    // What each statement of doc `d` quotes, its statements read again from its text.
    let quotes_of = |d: usize| {
        let text = text(d);
        let doc = Doc::new(docs[d], &text, None, index == Some(d));
        let mut out = Vec::new();
        statements_of(&doc, &mut Statements::default(), |q, _| out.push(quote(q)));
        out
    };
    let mut out = groups(docs, &statements, &ends, &pairs, &same, quotes_of);
    let n = statements.len();
    let sampled = first_rep.filter(|_| sampled).map(|at| {
        (at, format!(
            "duplicate detection sampled: the memory has too many alike statements to compare every pair ({n} statements), so near-duplicates were found by MinHash and a pair close to the {THRESHOLD_PERCENT}% threshold may be missing (identical statements are all found)"
        ), "split or trim the files of near-identical lines; the check compares everything exactly when the memory is smaller")
    });
    let stopped = stopped_at.map(|at| {
        (at, format!(
            "duplicate detection stopped at this statement: the memory has too many alike statements to compare them all ({n} statements), so the duplicates listed are only the first found"
        ), "split or trim the files of near-identical lines; the check compares everything again afterwards")
    });
    for (at, message, suggestion) in sampled.into_iter().chain(stopped) {
        out.push(Finding {
            kind: Kind::Duplicate,
            severity: Severity::Info,
            file: docs[statements.at(at).doc as usize].to_string(),
            line: statements.at(at).line as usize,
            message,
            suggestion: Some(suggestion.to_string()),
            evidence: None,
        });
    }
    out
}

/// `rep`, or when `from` is an index line linking to its file, the first statement identical to it in a
/// file `from` does not link to; `None` when there is none.
fn unlinked(
    docs: &[&str],
    statements: &Places,
    links: &Links,
    same: &HashMap<usize, Vec<usize>>,
    from: usize,
    rep: usize,
) -> Option<usize> {
    if !summarises(docs, statements, links, from, rep) {
        return Some(rep);
    }
    same.get(&rep)?
        .iter()
        .copied()
        .find(|&m| !summarises(docs, statements, links, from, m))
}

/// Collects the statements of one file, calling `words` with what each quotes and its text (the words
/// compared).
fn statements_of(doc: &Doc, out: &mut Statements, mut words: impl FnMut(&str, &str)) {
    let mut push = |out: &mut Statements, line: usize, quote: &str, text: &str, links: Vec<_>| {
        if !links.is_empty() {
            out.links.0.push((out.lines.len() as u32, links));
        }
        out.lines.push(line as u32);
        words(quote, text);
    };
    let mut in_comment = false;
    for line in doc.body().filter(|l| !l.in_code) {
        let t = line.text.trim();
        if in_comment || t.starts_with("<!--") {
            in_comment = !t.contains("-->");
            continue;
        }
        if t.is_empty()
            || t.starts_with('|')
            || t.starts_with("> [!")
            || t.chars()
                .all(|c| c == '-' || c == '*' || c == '_' || c == '=')
        {
            continue;
        }
        if let Some(heading) = t.strip_prefix('#') {
            let heading = heading.trim_start_matches('#').trim();
            if has_identifier(heading) {
                out.headings.push(out.lines.len() as u32);
                push(out, line.number, heading, heading, Vec::new());
            }
            continue;
        }
        if doc.is_index {
            let links = index::links(line.text)
                .iter()
                .filter_map(|l| l.local_file().map(str::to_string))
                .collect();
            let text = without_links(line.text, "");
            push(out, line.number, line.text, &text, links);
            continue;
        }
        let item = list_item(t).unwrap_or(t);
        let Some(item) = without_label(item) else {
            continue;
        };
        if is_see_also(item) {
            continue;
        }
        for sentence in sentences(item).filter(|s| !is_see_also(s)) {
            let text = without_links(sentence, "$1");
            push(out, line.number, sentence, &text, Vec::new());
        }
    }
}

/// Whether a heading names code: a token with `_`, `::`, `()`, `<`, a dot or slash inside a word, a
/// backtick, or an inner capital (`StagedEffects`). Headings without one are template labels ("How to
/// apply", "Context") that every file of a kind repeats.
fn has_identifier(heading: &str) -> bool {
    heading.contains(['_', '`', '<'])
        || heading.contains("::")
        || heading.contains("()")
        || heading.split_whitespace().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            let b = w.as_bytes();
            b.windows(2)
                .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase())
                || b.windows(3).any(|p| {
                    matches!(p[1], b'.' | b'/')
                        && p[0].is_ascii_alphanumeric()
                        && p[2].is_ascii_alphanumeric()
                })
        })
}

/// The line without a leading template label (`**Why:**`, `**How to apply:**`); `None` when the label is
/// all there is.
fn without_label(item: &str) -> Option<&str> {
    let rest = match item.strip_prefix("**").and_then(|r| r.split_once("**")) {
        Some((label, rest)) if label.ends_with(':') || rest.starts_with(':') => {
            rest.trim_start_matches(':').trim()
        }
        _ => item,
    };
    let only_label = rest.ends_with(':') && !rest.contains(' ') || rest.is_empty();
    (!only_label).then_some(rest)
}

/// Whether a line points elsewhere instead of stating a fact: a see-also line or one that starts with a
/// link.
fn is_see_also(item: &str) -> bool {
    let lower = item.trim_start_matches(['*', '_', '→', ' ']).to_lowercase();
    let is_link = |t: &str| t.starts_with("[[") || (t.starts_with('[') && t.contains("]("));
    is_link(item)
        || SEE_ALSO.iter().any(|s| lower.starts_with(s))
        || lower.strip_prefix("see ").is_some_and(is_link)
}

/// The sentences of a line: split after `.`, `!` or `?` followed by a space, and after `。！？`.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let bytes = rest.as_bytes();
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            let next = i + c.len_utf8();
            let ends = match c {
                '.' | '!' | '?' => bytes.get(next) == Some(&b' '),
                '。' | '！' | '？' => true,
                _ => false,
            };
            if ends {
                end = next;
                break;
            }
        }
        let (sentence, after) = rest.split_at(end);
        rest = after.trim_start();
        Some(sentence.trim())
    })
    .filter(|s| !s.is_empty())
}

/// `text` with its Markdown links replaced by `replacement` (`$1` keeps the title) and its wiki-links
/// removed.
fn without_links(text: &str, replacement: &str) -> String {
    let text = match LINK.get() {
        Some(re) if text.contains("](") => re.replace_all(text, replacement).into_owned(),
        _ => text.to_string(),
    };
    match WIKI_LINK.get() {
        Some(re) if text.contains("[[") => re.replace_all(&text, "").into_owned(),
        _ => text,
    }
}

/// The text of a list item line without its marker, or `None` when the line is not a list item.
fn list_item(t: &str) -> Option<&str> {
    if let Some(rest) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
    {
        return Some(rest.trim_start_matches("[ ] ").trim_start_matches("[x] "));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &t[digits..];
    (digits > 0)
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
}

/// Whether `c` is written without spaces between words (Chinese, Japanese) or is Hangul: such text is
/// compared by character bigrams.
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Whether a whitespace-separated token (punctuation trimmed) is a path or file name, compared as one
/// word: it has a `/` between letters or digits, or ends in a short extension.
fn is_path(core: &str) -> bool {
    let alnum = core.chars().filter(|c| c.is_alphanumeric()).count();
    if alnum < 2 {
        return false;
    }
    if core.contains('/') {
        return true;
    }
    match core.rsplit_once('.') {
        Some((stem, ext)) => {
            (1..=5).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric())
                && ext.bytes().any(|b| b.is_ascii_alphabetic())
                && stem.chars().any(char::is_alphanumeric)
                && (stem.len() >= 2 || ext.len() >= 2)
        }
        None => false,
    }
}

/// Calls `f` with each normalised word of `text` and whether it is a value (has a digit, or is a path),
/// reusing one buffer; returns the number of words as a person counts them (a path counts its parts, a
/// CJK run one per two characters), which [`MIN_WORDS`] applies to.
fn for_each_word(text: &str, mut f: impl FnMut(&str, bool)) -> usize {
    let mut word = String::new();
    let mut count = 0;
    for chunk in text.split_whitespace() {
        let core = chunk
            .trim_matches(|c: char| !(c.is_alphanumeric() || "/_.-~".contains(c)))
            .trim_end_matches(['.', '-']);
        // A file name is compared by its stem's words (`wind_calendar.csv` states what `wind_calendar`
        // does); a path with folders is one word.
        let chunk = match core.rsplit_once('.') {
            Some((stem, _)) if !core.contains('/') && is_path(core) => stem,
            _ => chunk,
        };
        if core.contains('/') && is_path(core) {
            word.clear();
            word.extend(core.chars().flat_map(char::to_lowercase));
            count += core
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .count();
            f(&word, true);
            continue;
        }
        for raw in chunk.split(|c: char| !c.is_alphanumeric()) {
            if raw.chars().any(is_cjk) {
                count += cjk_words(raw, &mut word, &mut f);
            } else {
                count += usize::from(plain_word(raw, &mut word, &mut f));
            }
        }
    }
    count
}

/// The words of a run of letters and digits holding CJK characters: bigrams of each CJK stretch (a lone
/// character as itself), plain words between them.
fn cjk_words(raw: &str, word: &mut String, f: &mut impl FnMut(&str, bool)) -> usize {
    let mut count = 0;
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let cjk = is_cjk(c);
        let end = rest
            .char_indices()
            .find(|&(_, d)| is_cjk(d) != cjk)
            .map_or(rest.len(), |(i, _)| i);
        let (part, after) = rest.split_at(end);
        rest = after;
        if !cjk {
            count += usize::from(plain_word(part, word, f));
            continue;
        }
        let chars: Vec<char> = part.chars().collect();
        count += chars.len().div_ceil(2);
        if chars.len() == 1 {
            word.clear();
            word.push(chars[0]);
            f(word, false);
        }
        for pair in chars.windows(2) {
            word.clear();
            word.extend(pair);
            f(word, false);
        }
    }
    count
}

/// One word of letters and digits, lower-cased, a plural `s` trimmed; `false` when it is too short or a
/// common word.
fn plain_word(raw: &str, word: &mut String, f: &mut impl FnMut(&str, bool)) -> bool {
    let number = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if !number && (raw.len() < 2 || (!raw.is_ascii() && raw.chars().nth(1).is_none())) {
        return false;
    }
    word.clear();
    if raw.is_ascii() {
        word.extend(raw.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        word.extend(raw.chars().flat_map(char::to_lowercase));
    }
    if is_stopword(word) {
        return false;
    }
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word.pop();
    }
    f(word, raw.bytes().any(|b| b.is_ascii_digit()));
    true
}

/// The words of every statement seen, interned once for the life of an analysis, and an index from
/// each word to the statements of the files added that hold it: a file's [`StatementWords`] are worked
/// out when it changes, and a write looks up only the statements sharing a rare word with its own.
#[derive(Default)]
pub(crate) struct Vocabulary {
    ids: HashMap<String, u32, BuildHasherDefault<Fnv>>,
    /// Per word: how many statements of the files added hold it.
    frequency: Vec<u32>,
    /// Per word: every statement holding it (by statement id), including those of files removed
    /// since (dropped at the next [`Vocabulary::compact`]).
    postings: Vec<Vec<u32>>,
    /// Per statement id: the file id it was added with and its place among the file's statements.
    owner: Vec<(u32, u32)>,
    /// Per statement id: how many distinct words it has (what a match must share depends on it).
    sizes: Vec<u32>,
    /// Per statement id: the last lookup that met it (see `lookup`), so each is verified once, or its
    /// count in `hits` started from zero.
    seen: Vec<u32>,
    /// Per statement id: the words it shares with the statement looked up, when that lookup counts.
    hits: Vec<u32>,
    /// Lookups made so far.
    lookup: u32,
    /// How many entries of `postings` belong to removed files.
    dead: usize,
}

/// One file's statements as sets of interned words, in the order [`check`] collects them.
#[derive(Default)]
pub(crate) struct StatementWords {
    /// Every statement's distinct words, one after the other.
    words: Vec<u32>,
    /// Where each statement's words end in `words`.
    ends: Vec<u32>,
}

impl StatementWords {
    fn iter(&self) -> impl Iterator<Item = &[u32]> {
        (0..self.ends.len()).map(|i| self.get(i))
    }

    fn get(&self, i: usize) -> &[u32] {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p] as usize);
        &self.words[start..self.ends[i] as usize]
    }

    /// How many words, counted once a statement: the memory this file's entry holds.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// How many statements.
    pub(crate) fn statements(&self) -> usize {
        self.ends.len()
    }
}

impl Vocabulary {
    /// Number of distinct words interned.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Number of statements ever added (each keeps a few bytes until the vocabulary is rebuilt).
    pub(crate) fn statements(&self) -> usize {
        self.owner.len()
    }

    /// How many index entries belong to files removed since the last compaction.
    pub(crate) fn dead(&self) -> usize {
        self.dead
    }

    /// `doc`'s statements as sets of interned words.
    pub(crate) fn statement_words(&mut self, doc: &Doc) -> StatementWords {
        let mut out = StatementWords::default();
        let ids = &mut self.ids;
        statements_of(doc, &mut Statements::default(), |_, text| {
            let start = out.words.len();
            for_each_word(text, |word, _| out.words.push(intern(ids, word).0));
            sort_distinct_from(&mut out.words, start);
            out.ends.push(out.words.len() as u32);
        });
        self.frequency.resize(self.ids.len(), 0);
        self.postings.resize_with(self.ids.len(), Vec::new);
        out
    }

    /// Indexes the statements of the file `file` (an id the caller keeps for it).
    pub(crate) fn add(&mut self, file: u32, words: &StatementWords) {
        for (i, set) in words.iter().enumerate() {
            let id = self.owner.len() as u32;
            self.owner.push((file, i as u32));
            self.sizes.push(set.len() as u32);
            self.seen.push(0);
            self.hits.push(0);
            for &w in set {
                self.frequency[w as usize] += 1;
                self.postings[w as usize].push(id);
            }
        }
    }

    /// Takes a file's statements out of the word counts; its index entries stay until
    /// [`Vocabulary::compact`] (lookups skip files the caller no longer has).
    pub(crate) fn remove(&mut self, words: &StatementWords) {
        for &w in &words.words {
            self.frequency[w as usize] -= 1;
        }
        self.dead += words.words.len();
    }

    /// Drops the index entries of removed files: `alive` tells which file ids are still there.
    pub(crate) fn compact(&mut self, alive: impl Fn(u32) -> bool) {
        let owner = &self.owner;
        for list in &mut self.postings {
            list.retain(|&id| alive(owner[id as usize].0));
        }
        self.dead = 0;
    }

    /// The files (as `words_of` finds them: a position and its statements, for the file ids added)
    /// with a statement sharing enough words with one of `focus`'s to reach the duplicate threshold:
    /// every file [`check_involving`] can pair `focus` with; the positions come back ascending.
    ///
    /// Each focus statement takes the cheaper of two exact ways, judged by the lengths of the word
    /// lists it would read: looking up its rarest words only (a set at or over the threshold shares one
    /// of them, see [`probe_len`]) and verifying each statement found, or, when its words are all
    /// common (dense text, where the rarest lists are long), counting the shared words of every
    /// statement on the lists of all its words, which needs no verification.
    pub(crate) fn repeating<'w>(
        &mut self,
        focus: &StatementWords,
        words_of: impl Fn(u32) -> Option<(usize, &'w StatementWords)>,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for set in focus.iter().filter(|s| s.len() >= 2) {
            self.next_lookup();
            let rare = self.rarest_first(set);
            let listed = |w: &u32| self.postings.get(*w as usize).map_or(0, Vec::len);
            let probe = &rare[..probe_len(set.len())];
            let probed: usize = probe.iter().map(listed).sum();
            let all: usize = rare.iter().map(listed).sum();
            if all <= probed.saturating_mul(VERIFY_COST) {
                self.count_shared(set, &words_of, &mut out);
            } else {
                self.verify_probed(set, probe, &words_of, &mut out);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Starts a lookup: every statement's mark in `seen` from earlier ones no longer counts.
    fn next_lookup(&mut self) {
        self.lookup = self.lookup.wrapping_add(1);
        if self.lookup == 0 {
            self.seen.fill(0);
            self.lookup = 1;
        }
    }

    /// `set`'s words, those in the fewest statements first.
    fn rarest_first(&self, set: &[u32]) -> Vec<u32> {
        let mut rare = set.to_vec();
        rare.sort_by_key(|&w| (self.frequency.get(w as usize).copied().unwrap_or(0), w));
        rare
    }

    /// [`Vocabulary::repeating`] for one statement `set` by verification: every statement on the lists
    /// of the `probe` words is compared with `set` exactly.
    fn verify_probed<'w>(
        &mut self,
        set: &[u32],
        probe: &[u32],
        words_of: &impl Fn(u32) -> Option<(usize, &'w StatementWords)>,
        out: &mut Vec<usize>,
    ) {
        for &w in probe {
            for &id in self.postings.get(w as usize).into_iter().flatten() {
                let seen = &mut self.seen[id as usize];
                if *seen == self.lookup {
                    continue;
                }
                *seen = self.lookup;
                let (file, i) = self.owner[id as usize];
                let Some((at, words)) = words_of(file) else {
                    continue;
                };
                let other = words.get(i as usize);
                // Sets under two words are never paired (see `eligible` in `check_within`).
                if other.len() >= 2
                    && shared_at_least(set, other, needed_overlap(set.len(), other.len())).is_some()
                {
                    out.push(at);
                }
            }
        }
    }

    /// [`Vocabulary::repeating`] for one statement `set` by counting: each statement on the lists of
    /// `set`'s words is counted once per word, so its count is the words the two share, and it matches
    /// when the count reaches what the threshold needs.
    fn count_shared<'w>(
        &mut self,
        set: &[u32],
        words_of: &impl Fn(u32) -> Option<(usize, &'w StatementWords)>,
        out: &mut Vec<usize>,
    ) {
        for &w in set {
            for &id in self.postings.get(w as usize).into_iter().flatten() {
                let i = id as usize;
                if self.seen[i] != self.lookup {
                    self.seen[i] = self.lookup;
                    self.hits[i] = 0;
                }
                self.hits[i] += 1;
                let size = self.sizes[i] as usize;
                // Counted once, as the count reaches the overlap needed.
                if size >= 2
                    && self.hits[i] as usize == needed_overlap(set.len(), size)
                    && let Some((at, _)) = words_of(self.owner[i].0)
                {
                    out.push(at);
                }
            }
        }
    }
}

/// The id of `word` among `ids`, and whether it was new (given the next id).
fn intern(ids: &mut HashMap<String, u32, BuildHasherDefault<Fnv>>, word: &str) -> (u32, bool) {
    if let Some(&id) = ids.get(word) {
        return (id, false);
    }
    let id = ids.len() as u32;
    ids.insert(word.to_string(), id);
    (id, true)
}

/// Sorts `v[start..]` and drops its repeats: one statement's words as a set.
fn sort_distinct_from(v: &mut Vec<u32>, start: usize) {
    v[start..].sort_unstable();
    let mut len = start;
    for k in start..v.len() {
        if k == start || v[k] != v[len - 1] {
            v[len] = v[k];
            len += 1;
        }
    }
    v.truncate(len);
}

/// Sets of numbers (each ascending, without repeats) one after the other, each as LEB128 varints: its
/// size, then the gaps between its numbers (the first from zero). Word ranks under a few tens of
/// thousands take one or two bytes each instead of four, and a large memory has tens of millions of them.
#[derive(Default)]
struct PackedSets {
    bytes: Vec<u8>,
    /// Per set: where it starts in `bytes`.
    starts: Vec<u32>,
}

/// Appends `n` to `bytes` as a LEB128 varint.
fn push_varint(bytes: &mut Vec<u8>, mut n: u32) {
    while n >= 0x80 {
        bytes.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    bytes.push(n as u8);
}

/// The LEB128 varint at the front of `bytes`, consumed.
fn next_varint(bytes: &mut std::slice::Iter<u8>) -> Option<u32> {
    let mut n = 0u32;
    let mut shift = 0;
    loop {
        let b = *bytes.next()?;
        n |= u32::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(n);
        }
        shift += 7;
    }
}

impl PackedSets {
    /// Appends `set` (ascending, without repeats).
    fn push(&mut self, set: &[u32]) {
        self.starts.push(self.bytes.len() as u32);
        push_varint(&mut self.bytes, set.len() as u32);
        let mut last = 0;
        for &n in set {
            push_varint(&mut self.bytes, n - last);
            last = n;
        }
    }

    /// How many sets there are.
    fn count(&self) -> usize {
        self.starts.len()
    }

    /// How many numbers set `i` has.
    fn len(&self, i: usize) -> usize {
        next_varint(&mut self.packed(i).iter()).unwrap_or(0) as usize
    }

    /// Set `i` as stored: equal sets have equal bytes.
    fn packed(&self, i: usize) -> &[u8] {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.bytes.len(), |&s| s as usize);
        &self.bytes[start..end]
    }

    /// The numbers of set `i`, ascending.
    fn iter(&self, i: usize) -> impl Iterator<Item = u32> + '_ {
        let mut bytes = self.packed(i).iter();
        // The size first: the gaps follow.
        let _ = next_varint(&mut bytes);
        let mut last = 0u32;
        std::iter::from_fn(move || {
            last += next_varint(&mut bytes)?;
            Some(last)
        })
    }

    /// Set `i` decoded into `buf` (cleared first).
    fn read<'b>(&self, i: usize, buf: &'b mut Vec<u32>) -> &'b [u32] {
        buf.clear();
        buf.extend(self.iter(i));
        buf
    }

    /// Gives back the slack of growing by doubling.
    fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.starts.shrink_to_fit();
    }
}

/// Interns the words of statements as they are collected.
#[derive(Default)]
struct WordSetsBuilder {
    ids: HashMap<String, u32, BuildHasherDefault<Fnv>>,
    frequency: Vec<u32>,
    value: Vec<bool>,
    /// Every statement's distinct word ids.
    sets: PackedSets,
    raw: Vec<u8>,
    /// The words of the statement being added.
    scratch: Vec<u32>,
}

impl WordSetsBuilder {
    /// Adds the next statement's words.
    fn push(&mut self, text: &str) {
        let (ids, frequency, value, scratch) = (
            &mut self.ids,
            &mut self.frequency,
            &mut self.value,
            &mut self.scratch,
        );
        scratch.clear();
        let raw = for_each_word(text, |word, is_value| {
            let (id, new) = intern(ids, word);
            if new {
                frequency.push(0);
                value.push(is_value);
            }
            scratch.push(id);
        });
        sort_distinct_from(scratch, 0);
        for &id in scratch.iter() {
            self.frequency[id as usize] += 1;
        }
        self.sets.push(scratch);
        self.raw.push(u8::try_from(raw).unwrap_or(u8::MAX));
    }

    /// Every statement's words as ranks, rarest first.
    fn finish(self) -> WordSets {
        let WordSetsBuilder {
            frequency,
            value,
            sets: by_id,
            mut raw,
            ..
        } = self;
        // Grown by doubling: the slack goes before the pairing allocates its own.
        raw.shrink_to_fit();
        let mut by_rarity: Vec<u32> = (0..frequency.len() as u32).collect();
        by_rarity.sort_unstable_by_key(|&id| (frequency[id as usize], id));
        let mut rank = vec![0u32; frequency.len()];
        for (r, &id) in by_rarity.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        let mut sets = PackedSets {
            bytes: Vec::with_capacity(by_id.bytes.len()),
            starts: Vec::with_capacity(by_id.count()),
        };
        let mut set = Vec::new();
        for i in 0..by_id.count() {
            set.clear();
            set.extend(by_id.iter(i).map(|w| rank[w as usize]));
            set.sort_unstable();
            sets.push(&set);
        }
        drop(by_id);
        sets.shrink_to_fit();
        WordSets {
            value: by_rarity.iter().map(|&id| value[id as usize]).collect(),
            sets,
            raw,
            vocabulary: frequency.len(),
        }
    }
}

/// The first statement of each distinct word set seen: an open-addressing table of statement ids, four
/// bytes a slot at most half full, placed by a hash of the set's bytes and told apart by the bytes
/// themselves (a map from a 64-bit hash took twenty bytes a slot, the most memory of a large check).
struct FirstOfSet<'s> {
    sets: &'s PackedSets,
    /// A statement id a slot, [`FirstOfSet::EMPTY`] for none; a power of two long.
    slots: Vec<u32>,
}

impl<'s> FirstOfSet<'s> {
    const EMPTY: u32 = u32::MAX;

    /// An empty table for the sets of `sets`.
    fn new(sets: &'s PackedSets) -> FirstOfSet<'s> {
        FirstOfSet {
            sets,
            slots: vec![Self::EMPTY; (sets.count() * 2).next_power_of_two().max(16)],
        }
    }

    /// The first set seen equal to set `i`, or `None` when `i` is the first (it is then recorded).
    fn first(&mut self, i: usize) -> Option<usize> {
        let bytes = self.sets.packed(i);
        let mut hasher = Fnv::default();
        hasher.write(bytes);
        let mask = self.slots.len() - 1;
        // The high bits: FNV's low bits mix the last bytes only.
        let mut at = (hasher.finish() >> 32) as usize & mask;
        loop {
            match self.slots[at] {
                Self::EMPTY => {
                    self.slots[at] = i as u32;
                    return None;
                }
                first if self.sets.packed(first as usize) == bytes => return Some(first as usize),
                _ => at = (at + 1) & mask,
            }
        }
    }
}

/// Every statement's distinct words as ranks (0 is the rarest word; ties by first use), ascending, packed
/// in one buffer (see [`PackedSets`]).
struct WordSets {
    sets: PackedSets,
    /// Per statement: its number of words as a person counts them, 255 for any more (only compared with
    /// [`MIN_WORDS`]).
    raw: Vec<u8>,
    /// Per rank: whether the word is a value (a number or a path).
    value: Vec<bool>,
    /// Number of distinct words.
    vocabulary: usize,
}

impl WordSets {
    /// How many distinct words statement `i` has.
    fn len(&self, i: usize) -> usize {
        self.sets.len(i)
    }

    /// The words of statement `i`, decoded into `buf`.
    fn read<'b>(&self, i: usize, buf: &'b mut Vec<u32>) -> &'b [u32] {
        self.sets.read(i, buf)
    }
}

/// FNV-1a: words are short and not attacker-chosen in a way that matters here, and interning hundreds of
/// thousands of them is the bulk of the work on a large memory.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Number of values two ascending lists share, or `None` as soon as it is certain to stay under `needed`.
fn shared_at_least(a: &[u32], b: &[u32], needed: usize) -> Option<usize> {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        if n + (a.len() - i).min(b.len() - j) < needed {
            return None;
        }
        let (x, y) = (a[i], b[j]);
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    (n >= needed).then_some(n)
}

/// `ceil(num / den)` for the threshold arithmetic, kept in integers so the threshold is exact.
fn ceil_div(num: usize, den: usize) -> usize {
    num.div_ceil(den)
}

/// The fewest shared words that put two sets of `la` and `lb` words at or over the threshold.
fn needed_overlap(la: usize, lb: usize) -> usize {
    ceil_div(THRESHOLD_PERCENT * (la + lb), 100 + THRESHOLD_PERCENT)
}

/// The similarity in percent of two sets of `la` and `lb` words sharing `n`.
fn similarity(n: usize, la: usize, lb: usize) -> usize {
    n * 100 / (la + lb - n)
}

/// How many of its first (rarest) words a set of `len` words probes the index with: a set at or over
/// the threshold with it shares one of them.
fn probe_len(len: usize) -> usize {
    len - ceil_div(THRESHOLD_PERCENT * len, 100) + 1
}

/// How many of its first words a set of `len` words is indexed under.
fn indexed_len(len: usize) -> usize {
    len - ceil_div(2 * THRESHOLD_PERCENT * len, 100 + THRESHOLD_PERCENT) + 1
}

/// Every pair among `reps` at or over the threshold, with its similarity in percent, and the statement
/// the work stopped at when `budget` ran out.
///
/// This is the PPJoin algorithm (Xiao et al., 2008): statements are visited from shortest to longest;
/// each probes an inverted index with its first `|x| - ceil(t|x|) + 1` words (rarest first), which a pair
/// at or over the threshold must share a word in; only the first `|y| - ceil(2t/(1+t)|y|) + 1` words of
/// each statement are indexed; a candidate is dropped as soon as the words left cannot reach the overlap
/// the threshold needs; survivors are verified exactly.
fn similar_pairs(
    statements: &Places,
    sets: &WordSets,
    reps: &[usize],
    budget: Budget,
) -> (Vec<(usize, usize, usize)>, Option<usize>) {
    const P: usize = THRESHOLD_PERCENT;
    let mut order = reps.to_vec();
    order.sort_by_key(|&i| sets.len(i));
    let (mut bx, mut by) = (Vec::new(), Vec::new());
    // Per word: (statement, position of the word in it, its number of words), in indexing order.
    let mut postings: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); sets.vocabulary];
    // Per word: how many entries at the front are too short for every statement still to come.
    let mut skip: Vec<usize> = vec![0; sets.vocabulary];
    // Overlap seen so far per candidate; PRUNED once it cannot reach the threshold.
    const PRUNED: u32 = u32::MAX;
    let mut overlap: Vec<u32> = vec![0; statements.len()];
    // Per candidate: the positions in x and in it of the last shared word counted.
    let mut last: Vec<(u32, u32)> = vec![(0, 0); statements.len()];
    let mut found: Vec<u16> = vec![0; statements.len()];
    let mut touched: Vec<usize> = Vec::new();
    let mut pairs = Vec::new();
    let mut visits = 0usize;
    let mut stopped_at = None;
    for &x in &order {
        let wx = sets.read(x, &mut bx);
        let lx = wx.len();
        let min_len = ceil_div(P * lx, 100);
        for (i, &w) in wx[..probe_len(lx)].iter().enumerate() {
            let list = &postings[w as usize];
            let mut start = skip[w as usize];
            while start < list.len() && (list[start].2 as usize) < min_len {
                start += 1;
            }
            skip[w as usize] = start;
            visits += list.len() - start;
            for &(y, j, ly) in &list[start..] {
                let (y, ly) = (y as usize, ly as usize);
                if overlap[y] == PRUNED {
                    continue;
                }
                let needed = needed_overlap(lx, ly);
                let reachable = 1 + (lx - i - 1).min(ly - j as usize - 1);
                if overlap[y] == 0 {
                    touched.push(y);
                }
                if overlap[y] as usize + reachable >= needed {
                    overlap[y] += 1;
                    last[y] = (i as u32, j);
                } else {
                    overlap[y] = PRUNED;
                }
            }
        }
        // Every word shared before the last counted pair of positions was counted (those positions lie
        // in both prefixes), so verification only merges what comes after them.
        for &y in &touched {
            let wy = sets.read(y, &mut by);
            let needed = needed_overlap(lx, wy.len());
            let counted = overlap[y] as usize;
            let (i, j) = (last[y].0 as usize + 1, last[y].1 as usize + 1);
            if overlap[y] != PRUNED
                && (found[x] as usize) < budget.pairs_per_statement
                && (found[y] as usize) < budget.pairs_per_statement
                && let Some(rest) =
                    shared_at_least(&wx[i..], &wy[j..], needed.saturating_sub(counted))
            {
                let n = counted + rest;
                pairs.push((y, x, similarity(n, lx, wy.len())));
                found[x] += 1;
                found[y] += 1;
            }
            overlap[y] = 0;
        }
        touched.clear();
        if visits > budget.visits {
            stopped_at = Some(x);
            break;
        }
        for (i, &w) in wx[..indexed_len(lx)].iter().enumerate() {
            let list = &mut postings[w as usize];
            if list.len() - skip[w as usize] >= budget.postings_per_word {
                stopped_at.get_or_insert(x);
                continue;
            }
            list.push((x as u32, i as u32, lx as u32));
        }
    }
    (pairs, stopped_at)
}

/// An estimate of the candidate visits [`similar_pairs`] would make over `reps` (each statement against
/// the earlier ones indexed under its probe words, each word's list at most `budget.postings_per_word`),
/// in time linear in the words: past `budget.visits` the exact join would stop part way, so the pairs
/// are sampled instead.
fn exact_cost(sets: &WordSets, reps: &[usize], budget: Budget) -> usize {
    let mut indexed = vec![0usize; sets.vocabulary];
    let mut probed = vec![0usize; sets.vocabulary];
    let mut buf = Vec::new();
    for &x in reps {
        let wx = sets.read(x, &mut buf);
        for &w in &wx[..indexed_len(wx.len())] {
            indexed[w as usize] += 1;
        }
        for &w in &wx[..probe_len(wx.len())] {
            probed[w as usize] += 1;
        }
    }
    indexed
        .iter()
        .zip(&probed)
        .map(|(&i, &p)| i.min(budget.postings_per_word).saturating_mul(p) / 2)
        .fold(0usize, usize::saturating_add)
}

/// Every pair at or over the threshold between one of `probes` (a few statements) and any of `reps`,
/// at most `budget.pairs_per_statement` per probe: each statement's words are looked up in an index of
/// the probes' words, so the cost is linear in the words of `reps`. Both are ascending.
fn focused_pairs(
    sets: &WordSets,
    reps: &[usize],
    probes: &[usize],
    budget: Budget,
) -> Vec<(usize, usize, usize)> {
    let mut index: HashMap<u32, Vec<u32>, BuildHasherDefault<Fnv>> = HashMap::default();
    for (k, &p) in probes.iter().enumerate() {
        for w in sets.sets.iter(p) {
            index.entry(w).or_default().push(k as u32);
        }
    }
    let mut shared = vec![0usize; probes.len()];
    let mut found = vec![0usize; probes.len()];
    let mut touched = Vec::new();
    let mut pairs = Vec::new();
    let mut buf = Vec::new();
    for &y in reps {
        let wy = sets.read(y, &mut buf);
        for w in wy.iter() {
            for &k in index.get(w).into_iter().flatten() {
                if shared[k as usize] == 0 {
                    touched.push(k as usize);
                }
                shared[k as usize] += 1;
            }
        }
        for &k in &touched {
            let (p, n) = (probes[k], shared[k]);
            let (lp, ly) = (sets.len(p), wy.len());
            // Two probes pair once, from the later one.
            let once = y > p || probes.binary_search(&y).is_err();
            if y != p
                && once
                && found[k] < budget.pairs_per_statement
                && n >= needed_overlap(lp, ly)
            {
                pairs.push((p, y, similarity(n, lp, ly)));
                found[k] += 1;
            }
            shared[k] = 0;
        }
        touched.clear();
    }
    pairs
}

/// The pairs among `reps` at or over the threshold that MinHash offers ([`minhash::candidates`]), each
/// verified exactly, at most `budget.pairs_per_statement` per statement: linear time for any input, at
/// the cost of missing a pair near the threshold now and then.
fn sampled_pairs(
    statements: &Places,
    sets: &WordSets,
    reps: Vec<usize>,
    budget: Budget,
) -> Vec<(usize, usize, usize)> {
    const P: usize = THRESHOLD_PERCENT;
    let mut found: Vec<u16> = vec![0; statements.len()];
    let mut seen: HashSet<(usize, usize), BuildHasherDefault<Fnv>> = HashSet::default();
    let mut pairs = Vec::new();
    let cap = budget.pairs_per_statement;
    // Most candidates on a large memory are not alike (sets agreeing on a band by their common words):
    // each set's sketch, carried with it, turns most of them down without reading either set.
    // Statement ids are u32 wherever many are held (see `Statement`).
    let (mut ba, mut bb) = (Vec::new(), Vec::new());
    let items: Vec<minhash::Item> = reps
        .iter()
        .map(|&r| minhash::Item {
            id: r as u32,
            tag: Sketch::of(sets.read(r, &mut ba)).0,
        })
        .collect();
    // The items name the representatives: their list (a word a statement) is not held through the
    // pairing.
    drop(reps);
    minhash::candidates(
        &items,
        sets.vocabulary,
        |i| sets.sets.iter(i),
        cap,
        |a, b| !Sketch::rules_out(Sketch(a.tag), Sketch(b.tag)),
        |a, b| {
            let (a, b) = (a.id as usize, b.id as usize);
            let (la, lb) = (sets.len(a), sets.len(b));
            if found[a] as usize >= cap
                || found[b] as usize >= cap
                || la.min(lb) * 100 < P * la.max(lb)
                || seen.contains(&(a.min(b), a.max(b)))
            {
                return;
            }
            let (wa, wb) = (sets.read(a, &mut ba), sets.read(b, &mut bb));
            if let Some(n) = shared_at_least(wa, wb, needed_overlap(la, lb)) {
                seen.insert((a.min(b), a.max(b)));
                pairs.push((a, b, similarity(n, la, lb)));
                found[a] += 1;
                found[b] += 1;
            }
        },
    );
    pairs
}

/// A word set in 64 bits: its size (under 256) and how many of its words fall in each of 14 bins (under
/// 16 each), so that the sum over the bins of the smaller count of two sets bounds the words they share
/// from above. [`Sketch::UNKNOWN`] (a set too large to fit) rules nothing out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sketch(u64);

impl Sketch {
    /// Bins of a sketch.
    const BINS: u32 = 14;
    /// The sketch of a set that does not fit.
    const UNKNOWN: Sketch = Sketch(u64::MAX);

    /// The sketch of `words`.
    fn of(words: &[u32]) -> Sketch {
        let Ok(len) = u8::try_from(words.len()) else {
            return Sketch::UNKNOWN;
        };
        let mut counts = [0u64; Self::BINS as usize];
        for &w in words {
            counts[Self::bin(w)] += 1;
        }
        if counts.iter().any(|&c| c > 15) {
            return Sketch::UNKNOWN;
        }
        let bins = counts
            .iter()
            .enumerate()
            .fold(0u64, |acc, (i, &c)| acc | c << (4 * i));
        Sketch(bins | u64::from(len) << 56)
    }

    /// The bin of word `w` (a multiplicative hash: ranks are ordered by frequency, not spread).
    fn bin(w: u32) -> usize {
        ((u64::from(w.wrapping_mul(0x9E37_79B9)) * u64::from(Self::BINS)) >> 32) as usize
    }

    /// Whether two sets with these sketches cannot be at the threshold: their sizes are too far apart,
    /// or they cannot share the words it needs.
    fn rules_out(a: Sketch, b: Sketch) -> bool {
        if a == Sketch::UNKNOWN || b == Sketch::UNKNOWN {
            return false;
        }
        let (la, lb) = ((a.0 >> 56) as usize, (b.0 >> 56) as usize);
        if la.min(lb) * 100 < THRESHOLD_PERCENT * la.max(lb) {
            return true;
        }
        let shared_at_most: u64 = (0..Self::BINS)
            .map(|i| ((a.0 >> (4 * i)) & 15).min((b.0 >> (4 * i)) & 15))
            .sum();
        (shared_at_most as usize) < needed_overlap(la, lb)
    }
}

/// Whether a pair over the threshold is a repeated fact: not an index line and its own topic file, not
/// two neighbouring lines of a list, not the same template with another value.
fn worth_reporting(
    docs: &[&str],
    statements: &Places,
    links: &Links,
    sets: &WordSets,
    a: usize,
    b: usize,
    similarity: usize,
) -> bool {
    if summarises(docs, statements, links, a, b) {
        return false;
    }
    if similarity >= CLOSE_PERCENT {
        return true;
    }
    let (sa, sb) = (statements.at(a), statements.at(b));
    if sa.doc == sb.doc && sa.line.abs_diff(sb.line) <= 1 {
        return false;
    }
    let (mut ba, mut bb) = (Vec::new(), Vec::new());
    let (wa, wb) = (sets.read(a, &mut ba), sets.read(b, &mut bb));
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b, mut only_values) = (false, false, true);
    let (mut values_a, mut values_b, mut values_shared) = (false, false, false);
    while i < wa.len() || j < wb.len() {
        let (x, y) = (wa.get(i).copied(), wb.get(j).copied());
        let w = match (x, y) {
            (Some(x), Some(y)) if x == y => {
                values_shared |= sets.value[x as usize];
                i += 1;
                j += 1;
                continue;
            }
            (Some(x), Some(y)) if x < y => {
                only_a = true;
                i += 1;
                x
            }
            (Some(x), None) => {
                only_a = true;
                i += 1;
                x
            }
            (_, Some(y)) => {
                only_b = true;
                j += 1;
                y
            }
            (None, None) => break,
        };
        let is_value = sets.value[w as usize];
        only_values &= is_value;
        if wa.binary_search(&w).is_ok() {
            values_a |= is_value;
        } else {
            values_b |= is_value;
        }
    }
    let differ_in_values_only = only_a && only_b && only_values;
    let different_values =
        values_a && values_b && !values_shared && similarity < DIFFERENT_VALUES_PERCENT;
    !differ_in_values_only && !different_values
}

/// Whether one of the two is an index line linking to the other's file.
fn summarises(docs: &[&str], statements: &Places, links: &Links, a: usize, b: usize) -> bool {
    let links_to = |from: usize, to: usize| {
        links
            .of(from)
            .iter()
            .any(|f| f == docs[statements.at(to).doc as usize])
    };
    links_to(a, b) || links_to(b, a)
}

/// Joins pairs and identical statements into groups and turns each group into a finding, quoting from
/// `text(doc)` (each doc read once, only when a finding quotes it).
fn groups(
    docs: &[&str],
    statements: &Places,
    ends: &[u32],
    pairs: &[(usize, usize, usize)],
    same: &HashMap<usize, Vec<usize>>,
    quotes_of: impl Fn(usize) -> Vec<String>,
) -> Vec<Finding> {
    let mut parent: HashMap<usize, usize> = HashMap::new();
    fn root(parent: &mut HashMap<usize, usize>, mut i: usize) -> usize {
        while let Some(&p) = parent.get(&i) {
            if p == i {
                break;
            }
            let grand = parent.get(&p).copied().unwrap_or(p);
            parent.insert(i, grand);
            i = grand;
        }
        i
    }
    let unite = |parent: &mut HashMap<usize, usize>, a: usize, b: usize| {
        let (ra, rb) = (root(parent, a), root(parent, b));
        if ra != rb {
            parent.insert(ra.max(rb), ra.min(rb));
        }
    };
    for (&rep, same) in same {
        for &m in same {
            unite(&mut parent, rep, m);
        }
    }
    for &(a, b, _) in pairs {
        unite(&mut parent, a, b);
    }
    let mut members: HashMap<usize, (Vec<usize>, usize)> = HashMap::new();
    for &(a, b, similarity) in pairs {
        let r = root(&mut parent, a);
        let entry = members.entry(r).or_insert((Vec::new(), 100));
        entry.0.extend([a, b]);
        entry.1 = entry.1.min(similarity);
    }
    for (&rep, same) in same {
        let r = root(&mut parent, rep);
        members.entry(r).or_insert((Vec::new(), 100)).0.extend(same);
    }
    let groups: Vec<(Vec<usize>, usize)> = members
        .into_values()
        .map(|(mut m, similarity)| {
            m.sort_by_key(|&i| (statements.at(i).doc, statements.at(i).line, i));
            m.dedup();
            (m, similarity)
        })
        .collect();
    let quotes = quotes(
        statements,
        ends,
        groups
            .iter()
            .flat_map(|(m, _)| m.iter().take(MAX_LOCATIONS).copied()),
        quotes_of,
    );
    let mut out: Vec<Finding> = groups
        .iter()
        .map(|(m, similarity)| finding(docs, statements, &quotes, m, *similarity))
        .collect();
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out
}

/// What a location quotes of each statement of `quoted`, by statement: the texts are read in doc order,
/// each once.
fn quotes(
    statements: &Places,
    ends: &[u32],
    quoted: impl Iterator<Item = usize>,
    quotes_of: impl Fn(usize) -> Vec<String>,
) -> HashMap<usize, String> {
    let mut quoted: Vec<usize> = quoted.collect();
    quoted.sort_unstable_by_key(|&i| (statements.at(i).doc, i));
    quoted.dedup();
    let mut out = HashMap::with_capacity(quoted.len());
    for of_doc in quoted.chunk_by(|&a, &b| statements.at(a).doc == statements.at(b).doc) {
        let doc = statements.at(of_doc[0]).doc as usize;
        let first = doc.checked_sub(1).map_or(0, |d| ends[d] as usize);
        let mut quotes = quotes_of(doc);
        for &i in of_doc {
            let quote = quotes.get_mut(i - first).map(std::mem::take);
            out.insert(i, quote.unwrap_or_default());
        }
    }
    out
}

/// The finding for one group of statements (in file order), listing at most [`MAX_LOCATIONS`], their
/// texts from `quotes`.
fn finding(
    docs: &[&str],
    statements: &Places,
    quotes: &HashMap<usize, String>,
    group: &[usize],
    similarity: usize,
) -> Finding {
    let locations: Vec<Location> = group
        .iter()
        .take(MAX_LOCATIONS)
        .map(|&i| {
            let s = statements.at(i);
            Location {
                file: docs[s.doc as usize].to_string(),
                line: s.line as usize,
                text: quotes.get(&i).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let mut places: Vec<String> = locations
        .iter()
        .map(|l| format!("{}:{}", l.file, l.line))
        .collect();
    if group.len() > locations.len() {
        places.push(format!("and {} more", group.len() - locations.len()));
    }
    Finding {
        kind: Kind::Duplicate,
        severity: Severity::Warning,
        file: locations[0].file.clone(),
        line: locations[0].line,
        message: format!(
            "the same fact is stated {} times: {}",
            group.len(),
            places.join(", ")
        ),
        suggestion: Some(
            "keep it once, in the topic file it belongs to, and delete the other copies; where they disagree, the transcripts show which is current"
                .to_string(),
        ),
        evidence: Some(Box::new(Evidence::Duplicate(DuplicateEvidence {
            similarity_percent: similarity,
            locations,
        }))),
    }
}

/// The statement's text, whitespace collapsed, cut at [`QUOTE_CHARS`] characters.
fn quote(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(QUOTE_CHARS) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The findings among `files` within `budget`.
    fn findings_of(files: &[(&str, &str)], budget: Budget) -> Vec<Finding> {
        let docs: Vec<Doc> = files
            .iter()
            .map(|(name, text)| Doc::new(name, text, None, *name == "MEMORY.md"))
            .collect();
        check_within(&docs, budget, None)
    }

    /// The groups found among `files` as lists of `file:line`.
    fn groups_of(files: &[(&str, &str)]) -> Vec<Vec<String>> {
        findings_of(files, BUDGET)
            .into_iter()
            .map(|f| match f.evidence.map(|e| *e) {
                Some(Evidence::Duplicate(e)) => e
                    .locations
                    .iter()
                    .map(|l| format!("{}:{}", l.file, l.line))
                    .collect(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// The words of `text` as `for_each_word` gives them, and its word count.
    fn words_of(text: &str) -> (Vec<String>, usize) {
        let mut words = Vec::new();
        let n = for_each_word(text, |w, _| words.push(w.to_string()));
        (words, n)
    }

    /// A small deterministic generator of numbers below `n` (xorshift64), for generated statements.
    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    #[test]
    fn words_are_normalised_and_common_words_dropped() {
        let (words, _) = words_of("The Builds were FAILING on a fresh clone; class and x, é ÉTÉ");
        assert_eq!(
            words,
            ["build", "failing", "fresh", "clone", "class", "été"]
        );
    }

    #[test]
    fn a_path_is_one_word_and_counts_its_parts() {
        let (words, n) = words_of("see `src/Cells/lock.rs`, then wind_calendar.csv");
        assert_eq!(words, ["see", "src/cells/lock.rs", "wind", "calendar"]);
        assert_eq!(n, 1 + 4 + 2);
    }

    #[test]
    fn cjk_text_is_cut_into_character_bigrams() {
        let (words, n) = words_of("周末不交易 ok");
        assert_eq!(words, ["周末", "末不", "不交", "交易", "ok"]);
        assert_eq!(n, 3 + 1);
    }

    #[test]
    fn patterns_compile() {
        assert!(LINK.get().is_some() && WIKI_LINK.get().is_some());
    }

    #[test]
    fn finds_the_same_fact_across_files_and_within_one() {
        let prefs = "---\nname: p\n---\n\
                     - Prefers small, focused commits with imperative subject lines.\n\
                     - Wants a failing test first when fixing a bug, then the fix in the same commit.\n";
        let notes = "# Notes\n\
                     - The user prefers small focused commits, with imperative subject lines\n\
                     - Postgres runs in docker compose on port 5433.\n\
                     \n\
                     Dev Postgres runs in docker compose, on port 5433\n\
                     (5432 is taken).\n";
        let index = "- [Prefs](prefs.md) — how the user works\n\
                     - Wants a failing test first when fixing a bug.\n";
        assert_eq!(
            groups_of(&[
                ("MEMORY.md", index),
                ("notes.md", notes),
                ("prefs.md", prefs)
            ]),
            [
                vec!["MEMORY.md:2".to_string(), "prefs.md:5".to_string()],
                vec!["notes.md:2".to_string(), "prefs.md:4".to_string()],
                vec!["notes.md:3".to_string(), "notes.md:5".to_string()],
            ]
        );
    }

    #[test]
    fn a_sentence_inside_a_paragraph_matches_a_bullet() {
        let a = "We moved CI last spring. The staging deploy needs the VPN token from the vault first. Ask ops.\n";
        let b = "- Staging deploy needs the VPN token from the vault.\n";
        assert_eq!(
            groups_of(&[("a.md", a), ("b.md", b)]),
            [vec!["a.md:1".to_string(), "b.md:1".to_string()]]
        );
    }

    #[test]
    fn a_fact_in_twelve_files_is_one_finding_with_twelve_locations() {
        let names: Vec<String> = (0..12).map(|i| format!("f{i:02}.md")).collect();
        let text = "# Notes\n- intro line for this file only\n- Deploys run from the release branch after review.\n- closing words here\n";
        let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), text)).collect();
        let found = groups_of(&files);
        // The first and last lines, the same in every file, are boilerplate.
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].len(), 12);
        assert_eq!(found[0][0], "f00.md:3");
    }

    #[test]
    fn boilerplate_first_and_last_lines_are_not_facts() {
        let text = |fact: &str| {
            format!(
                "Generated by the notes tool, do not edit by hand.\n- {fact}\nEnd of the generated notes file here.\n"
            )
        };
        let (a, b, c) = (
            text("alpha bravo charlie delta"),
            text("echo foxtrot golf hotel"),
            text("india juliet kilo lima"),
        );
        assert_eq!(
            groups_of(&[("a.md", &a), ("b.md", &b), ("c.md", &c)]),
            Vec::<Vec<String>>::new()
        );
        // In two files the same line is a repeat.
        assert_eq!(groups_of(&[("a.md", &a), ("b.md", &b)]).len(), 2);
    }

    #[test]
    fn labels_headings_and_see_also_lines_are_not_statements() {
        let a = "## How to apply when the next session starts\n\
                 **How to apply:** run the migrations before seeding the database.\n\
                 Related: [[deploy-notes]], [[release-steps]], [[rollback-plan]]\n\
                 - [[reference-company-data]] — three layer architecture plus owners\n\
                 ### drain().collect() is borrow-checker-forced here\n\
                 Backups run nightly at two. See [[process-rules]] for the process-side corollary of the scope rule.\n";
        let b = "## How to apply when the next session starts\n\
                 **How to apply:** ask before rewriting the public changelog.\n\
                 Related: [[deploy-notes]], [[release-steps]], [[rollback-plan]]\n\
                 - [[reference-company-data]] — three layer architecture plus owners\n\
                 ## drain().collect() is borrow-checker-forced\n\
                 Deploys need a signed commit first. See [[process-rules]] for the process-side corollary of the scope rule.\n";
        assert_eq!(
            groups_of(&[("a.md", a), ("b.md", b)]),
            [vec!["a.md:5".to_string(), "b.md:5".to_string()]]
        );
    }

    #[test]
    fn a_heading_is_not_a_duplicate_of_a_sentence_about_its_subject() {
        let a = "## check_armor_direction (Wave 3 Armored)\n\
                 Armour faces the bolt before the cell takes damage.\n";
        let b = "Structural mirror of `check_armor_direction` (Wave 3). All patterns were already accepted there.\n";
        assert!(groups_of(&[("a.md", a), ("b.md", b)]).is_empty());
        let c = "### check_armor_direction (Wave 3)\n";
        assert_eq!(
            groups_of(&[("a.md", a), ("c.md", c)]),
            [vec!["a.md:1".to_string(), "c.md:1".to_string()]],
            "a heading still pairs with a heading"
        );
    }

    #[test]
    fn lines_that_differ_only_in_a_value_are_not_duplicates() {
        let a = "- `src/cells/locked/sync_lock.rs` handles the invulnerable lock state\n\n\
                 - The dev database listens on port 5432 in docker compose\n";
        let b = "- `src/cells/locked/check_release.rs` handles the invulnerable lock state\n\n\
                 - The dev database listens on port 5433 in docker compose\n";
        assert_eq!(
            groups_of(&[("a.md", a), ("b.md", b)]),
            Vec::<Vec<String>>::new()
        );
        // The same path stated twice still counts, case aside.
        let c = "- rawdata ids are kept in /datasvc/rawdata/secId for every run\n";
        let d = "- rawdata ids kept in /datasvc/rawdata/secID for each run\n";
        assert_eq!(groups_of(&[("c.md", c), ("d.md", d)]).len(), 1);
    }

    #[test]
    fn neighbouring_list_items_need_to_be_nearly_identical() {
        let text = "- ARIA tabs on the grimoire view with arrow navigation keys\n\
                    - ARIA tabs on the cercle view with arrow navigation\n";
        assert_eq!(groups_of(&[("a.md", text)]), Vec::<Vec<String>>::new());
    }

    #[test]
    fn chinese_paraphrases_match() {
        let a = "- 交易日历在周末和节假日不更新数据文件\n";
        let b = "- 交易日历周末和节假日不更新数据\n";
        assert_eq!(groups_of(&[("a.md", a), ("b.md", b)]).len(), 1);
    }

    #[test]
    fn two_different_facts_sharing_words_are_not_duplicates() {
        let text = "- Run `npm run build` before deploying to staging.\n\
                    - Run `npm test` before pushing to main.\n\
                    - The staging database runs on Fly Postgres in ams.\n\
                    - The test database runs in docker compose on 5433.\n\
                    - 401 invalid_token on POST /v1/expenses: CORS allowedHeaders lacked Authorization.\n\
                    - 422 invalid_body on POST /v1/expenses: amount_cents must be an integer.\n";
        assert_eq!(groups_of(&[("notes.md", text)]), Vec::<Vec<String>>::new());
    }

    #[test]
    fn an_index_line_summarising_its_own_topic_file_is_not_a_duplicate() {
        let index =
            "- [Build](build.md) — run npm run codegen before npm run build on a fresh clone\n";
        let build = "- Run npm run codegen before npm run build on a fresh clone.\n";
        let other = "- Run npm run codegen before npm run build on any fresh clone.\n";
        assert_eq!(
            groups_of(&[
                ("MEMORY.md", index),
                ("build.md", build),
                ("other.md", other)
            ]),
            [vec![
                "MEMORY.md:1".to_string(),
                "build.md:1".to_string(),
                "other.md:1".to_string()
            ]]
        );
        assert_eq!(
            groups_of(&[("MEMORY.md", index), ("build.md", build)]),
            Vec::<Vec<String>>::new()
        );
    }

    #[test]
    fn short_statements_and_code_blocks_are_ignored() {
        let text = "- Use npm.\n- Use npm.\n```\nnpm run codegen && npm run build --fresh\n```\n\
                    ```\nnpm run codegen && npm run build --fresh\n```\n";
        assert_eq!(groups_of(&[("a.md", text)]), Vec::<Vec<String>>::new());
    }

    #[test]
    fn a_file_of_repeated_lines_is_one_bounded_finding() {
        let line = "- retry the flaky upload job again\n";
        let text = line.repeat(256 * 1024 / line.len());
        let found = findings_of(&[("big.md", &text)], BUDGET);
        assert_eq!(found.len(), 1);
        let Some(Evidence::Duplicate(e)) = found[0].evidence.as_deref() else {
            panic!("{found:?}");
        };
        assert_eq!(e.locations.len(), MAX_LOCATIONS);
        assert!(
            found[0]
                .message
                .contains(&format!("stated {} times", 256 * 1024 / line.len()))
        );
    }

    #[test]
    fn running_out_of_budget_ends_in_a_note_not_an_abort() {
        let text: String = (0..2_000)
            .map(|i| format!("- upload job {} failed on the staging runner\n\n", i))
            .collect();
        let tight = Budget {
            pairs_per_statement: 16,
            postings_per_word: 100,
            visits: 10_000,
        };
        let found = findings_of(&[("big.md", &text)], tight);
        assert!(
            found
                .iter()
                .any(|f| f.severity == Severity::Info && f.message.contains("sampled")),
            "{found:?}"
        );
        assert!(
            found.iter().all(|f| f.severity == Severity::Info),
            "{found:?}"
        );
        // Lines that differ only in their number are no duplicates, within the full budget too.
        assert_eq!(
            findings_of(&[("big.md", &text)], BUDGET)
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            0
        );
    }

    #[test]
    fn a_memory_too_large_to_pair_exactly_is_sampled_and_finds_the_same_duplicates() {
        // 600 unrelated statements over a large vocabulary, and 40 facts each restated with one word
        // changed (80% alike) in another file.
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        // Letters only: a word with a digit is a value, and lines differing in values are no repeats.
        let mut word = |n: u64| {
            let mut k = next(n) * 26 + next(26);
            let mut w = String::from("q");
            while k > 0 {
                w.push(char::from(b'a' + (k % 26) as u8));
                k /= 26;
            }
            w
        };
        let (mut a, mut b) = (String::new(), String::new());
        for _ in 0..600 {
            let words: Vec<String> = (0..9).map(|_| word(5_000)).collect();
            a.push_str(&format!("- {}\n\n", words.join(" ")));
        }
        for k in 0..40 {
            let mut words: Vec<String> = (0..9).map(|_| word(5_000)).collect();
            a.push_str(&format!("- {}\n\n", words.join(" ")));
            words[k % 9] = format!("changed{}", char::from(b'a' + (k % 26) as u8));
            b.push_str(&format!("- {}\n\n", words.join(" ")));
        }
        let files = [("a.md", a.as_str()), ("b.md", b.as_str())];
        let warnings = |found: &[Finding]| {
            let mut at: Vec<(String, usize)> = found
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .map(|f| (f.file.clone(), f.line))
                .collect();
            at.sort();
            at
        };
        let exact = findings_of(&files, BUDGET);
        let sampled = findings_of(
            &files,
            Budget {
                visits: 0,
                ..BUDGET
            },
        );
        assert!(!exact.iter().any(|f| f.message.contains("sampled")));
        assert!(sampled.iter().any(|f| f.message.contains("sampled")));
        assert_eq!(warnings(&exact).len(), 40, "{exact:?}");
        assert_eq!(warnings(&sampled), warnings(&exact));
    }

    #[test]
    fn a_written_file_is_compared_with_every_other_and_finds_what_the_full_check_finds() {
        // Statements over a small vocabulary in five files, so that pairs sit near the threshold (but
        // groups stay under their cap of locations).
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        let texts: Vec<String> = (0..5)
            .map(|_| {
                (0..60)
                    .map(|_| {
                        let words: Vec<String> = (0..4 + next(3))
                            .map(|_| format!("w{}", char::from(b'a' + next(26) as u8)))
                            .collect();
                        format!("- {}\n\n", words.join(" "))
                    })
                    .collect()
            })
            .collect();
        let names = ["a.md", "b.md", "c.md", "d.md", "e.md"];
        let docs: Vec<Doc> = names
            .iter()
            .zip(&texts)
            .map(|(n, t)| Doc::new(n, t, None, false))
            .collect();
        // The lines of e.md that some duplicate finding names, and with which other locations.
        let named = |found: Vec<Finding>| {
            let mut at: Vec<(String, usize)> = found
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .filter_map(|f| match f.evidence.as_deref() {
                    Some(Evidence::Duplicate(d)) => Some(&d.locations),
                    _ => None,
                })
                .filter(|l| l.iter().any(|l| l.file == "e.md"))
                .flatten()
                .filter(|l| l.file == "e.md")
                .map(|l| (l.file.clone(), l.line))
                .collect();
            at.sort();
            at.dedup();
            at
        };
        let focused = named(check_involving(&docs, 4));
        assert!(focused.len() > 10, "{focused:?}");
        assert_eq!(focused, named(check(&docs)));
    }

    #[test]
    fn prefix_filtering_finds_exactly_the_pairs_a_full_comparison_finds() {
        // Statements over a small vocabulary, so that many pairs sit near the threshold.
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        let text: String = (0..400)
            .map(|_| {
                let len = 4 + next(6);
                let words: Vec<String> = (0..len)
                    .map(|_| format!("w{}", char::from(b'a' + next(14) as u8)))
                    .collect();
                format!("- {}\n", words.join(" "))
            })
            .collect();
        let docs = [Doc::new("a.md", &text, None, false)];
        let mut collected = Statements::default();
        let mut builder = WordSetsBuilder::default();
        statements_of(&docs[0], &mut collected, |_, t| builder.push(t));
        let statements = Places {
            lines: collected.lines,
            ends: &[],
        };
        let sets = builder.finish();
        let eligible: Vec<usize> = (0..statements.len())
            .filter(|&i| sets.len(i) >= MIN_WORDS)
            .collect();
        let unlimited = Budget {
            pairs_per_statement: usize::MAX,
            postings_per_word: usize::MAX,
            visits: usize::MAX,
        };
        let (pairs, stopped) = similar_pairs(&statements, &sets, &eligible, unlimited);
        assert_eq!(stopped, None);
        let mut fast: Vec<(usize, usize)> = pairs
            .into_iter()
            .map(|(a, b, _)| (a.min(b), a.max(b)))
            .collect();
        fast.sort_unstable();
        let mut full = Vec::new();
        for (k, &a) in eligible.iter().enumerate() {
            for &b in &eligible[k + 1..] {
                let (wa, wb): (Vec<u32>, Vec<u32>) =
                    (sets.sets.iter(a).collect(), sets.sets.iter(b).collect());
                let n = wa.iter().filter(|w| wb.contains(w)).count();
                if n * 100 >= THRESHOLD_PERCENT * (wa.len() + wb.len() - n) {
                    full.push((a, b));
                }
            }
        }
        assert!(
            full.len() > 50,
            "the data should have many pairs: {}",
            full.len()
        );
        assert_eq!(fast, full);
    }

    #[test]
    fn the_threshold_is_sixty_percent_of_the_union() {
        // 3 shared of 5 distinct words: 60%, a duplicate.
        let at = "- alpha bravo charlie delta\n\n- alpha bravo charlie echo\n";
        assert_eq!(groups_of(&[("a.md", at)]).len(), 1);
        // 3 of 6: 50%, not.
        let below = "- alpha bravo charlie delta\n\n- alpha bravo charlie echo foxtrot\n";
        assert_eq!(groups_of(&[("a.md", below)]), Vec::<Vec<String>>::new());
        // 3 words is under MIN_WORDS, however alike.
        let short = "- alpha bravo charlie delta\n\n- alpha bravo charlie\n";
        assert_eq!(groups_of(&[("a.md", short)]), Vec::<Vec<String>>::new());
    }

    /// A small dense vocabulary (every word in a good share of the statements): both ways of looking a
    /// statement up find exactly the files a comparison with every statement finds, and skip the files
    /// the caller no longer has.
    #[test]
    fn a_lookup_by_counting_finds_what_verifying_and_a_full_comparison_find() {
        let mut rng = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: u64| rng(n) as u32;
        let mut random_words = |len: u32| {
            let mut w = StatementWords::default();
            for _ in 0..len {
                let size = 1 + next(7);
                w.words.extend((0..size).map(|_| next(12)));
                let start = w.ends.last().map_or(0, |&e| e as usize);
                sort_distinct_from(&mut w.words, start);
                w.ends.push(w.words.len() as u32);
            }
            w
        };
        let focus = random_words(6);
        // File 0 holds the focus statements themselves but is gone: the caller no longer finds it.
        let copy = StatementWords {
            words: focus.words.clone(),
            ends: focus.ends.clone(),
        };
        let files: Vec<StatementWords> = [copy]
            .into_iter()
            .chain((1..300).map(|_| random_words(4)))
            .collect();
        let mut vocabulary = Vocabulary::default();
        vocabulary.frequency.resize(12, 0);
        vocabulary.postings.resize_with(12, Vec::new);
        for (id, words) in files.iter().enumerate() {
            vocabulary.add(id as u32, words);
        }
        let words_of = |id: u32| (id != 0).then(|| (id as usize, &files[id as usize]));
        let mut expected: Vec<usize> = (1..files.len())
            .filter(|&i| {
                focus.iter().filter(|s| s.len() >= 2).any(|x| {
                    files[i].iter().any(|y| {
                        y.len() >= 2
                            && shared_at_least(x, y, needed_overlap(x.len(), y.len())).is_some()
                    })
                })
            })
            .collect();
        expected.sort_unstable();
        assert!(
            expected.len() > 10 && expected.len() < files.len() - 10,
            "the sample should hold some matches and some misses: {}",
            expected.len()
        );
        let by = |vocabulary: &mut Vocabulary, counting: bool| {
            let mut out = Vec::new();
            for set in focus.iter().filter(|s| s.len() >= 2) {
                vocabulary.next_lookup();
                if counting {
                    vocabulary.count_shared(set, &words_of, &mut out);
                } else {
                    let rare = vocabulary.rarest_first(set);
                    vocabulary.verify_probed(
                        set,
                        &rare[..probe_len(set.len())],
                        &words_of,
                        &mut out,
                    );
                }
            }
            out.sort_unstable();
            out.dedup();
            out
        };
        assert_eq!(by(&mut vocabulary, true), expected);
        assert_eq!(by(&mut vocabulary, false), expected);
        assert_eq!(vocabulary.repeating(&focus, words_of), expected);
    }

    #[test]
    fn a_sketch_never_rules_out_a_pair_at_the_threshold_and_turns_down_unrelated_ones() {
        // Sets drawn from a small vocabulary (so some pairs are alike) and a few too large to sketch.
        let mut rng = xorshift(0x2545_F491_4F6C_DD1D);
        let mut next = |n: u64| rng(n) as u32;
        let mut sets: Vec<Vec<u32>> = (0..400)
            .map(|k| {
                let len = if k % 100 == 0 { 300 } else { 2 + next(20) };
                let vocabulary = if k % 2 == 0 { 40 } else { 4_000 };
                let mut set: Vec<u32> = (0..len).map(|_| next(vocabulary)).collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .collect();
        sets.push((0..40).collect());
        let (mut alike, mut unrelated, mut turned_down) = (0, 0, 0);
        for a in &sets {
            for b in &sets {
                let at_threshold = a.len().min(b.len()) * 100
                    >= THRESHOLD_PERCENT * a.len().max(b.len())
                    && shared_at_least(a, b, needed_overlap(a.len(), b.len())).is_some();
                let ruled_out = Sketch::rules_out(Sketch::of(a), Sketch::of(b));
                assert!(!(at_threshold && ruled_out), "{a:?} {b:?}");
                if at_threshold {
                    alike += 1;
                } else {
                    unrelated += 1;
                    turned_down += usize::from(ruled_out);
                }
            }
        }
        assert!(alike > sets.len(), "{alike} alike pairs");
        assert!(
            turned_down * 10 >= unrelated * 8,
            "{turned_down} of {unrelated}"
        );
        assert_eq!(Sketch::of(&(0..300).collect::<Vec<u32>>()), Sketch::UNKNOWN);
    }

    #[test]
    fn packed_sets_give_back_what_was_pushed_and_equal_sets_have_equal_bytes() {
        let sets: Vec<Vec<u32>> = vec![
            vec![],
            vec![0],
            vec![
                0,
                1,
                127,
                128,
                129,
                16_383,
                16_384,
                2_097_152,
                u32::MAX - 1,
                u32::MAX,
            ],
            vec![5, 300, 70_000],
            vec![5, 300, 70_000],
            vec![5, 300, 70_001],
        ];
        let mut packed = PackedSets::default();
        for set in &sets {
            packed.push(set);
        }
        assert_eq!(packed.count(), sets.len());
        let mut buf = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            assert_eq!(packed.read(i, &mut buf), set.as_slice());
            assert_eq!(packed.len(i), set.len());
        }
        assert_eq!(packed.packed(3), packed.packed(4));
        assert_ne!(packed.packed(4), packed.packed(5));
        // The size and gaps under 128 take a byte each.
        assert_eq!(packed.packed(1).len(), 2);
        assert_eq!(packed.packed(0).len(), 1);
        assert!(packed.bytes.len() < sets.iter().map(Vec::len).sum::<usize>() * 4);
    }

    #[test]
    fn each_set_is_found_as_the_first_equal_set_seen() {
        let mut packed = PackedSets::default();
        for set in [
            &[1u32, 5][..],
            &[2, 9],
            &[1, 5],
            &[1, 5, 9],
            &[2, 9],
            &[1, 5],
        ] {
            packed.push(set);
        }
        let mut firsts = FirstOfSet::new(&packed);
        let found: Vec<Option<usize>> = (0..packed.count()).map(|i| firsts.first(i)).collect();
        assert_eq!(found, [None, None, Some(0), None, Some(1), Some(0)]);
    }

    #[test]
    fn the_first_equal_set_is_found_among_thousands_sharing_slots() {
        let mut packed = PackedSets::default();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // 3,000 distinct sets, each seen about seven times.
            let n = (state % 3_000) as u32;
            packed.push(&[n, n + 1 + n % 7]);
        }
        let mut firsts = FirstOfSet::new(&packed);
        let mut naive: HashMap<Vec<u8>, usize> = HashMap::new();
        for i in 0..packed.count() {
            let expected = match naive.entry(packed.packed(i).to_vec()) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i);
                    None
                }
            };
            assert_eq!(firsts.first(i), expected, "set {i}");
        }
        assert!(naive.len() > 2_500, "{} distinct sets", naive.len());
    }

    #[test]
    fn a_statement_is_placed_in_its_doc_past_docs_without_statements() {
        // Doc 0 holds statements 0-1, doc 1 none, doc 2 statements 2-4, doc 3 none, doc 4 statement 5.
        let ends = [2, 2, 5, 5, 6];
        let places = Places {
            lines: vec![1, 3, 7, 8, 9, 4],
            ends: &ends,
        };
        let docs: Vec<(u32, u32)> = (0..places.len())
            .map(|i| (places.at(i).doc, places.at(i).line))
            .collect();
        assert_eq!(docs, [(0, 1), (0, 3), (2, 7), (2, 8), (2, 9), (4, 4)]);
    }

    #[test]
    fn an_index_line_keeps_its_links_apart_and_is_no_duplicate_of_its_file() {
        let index =
            "- [Deploy](deploy.md) the deploy script pushes the release image to production\n";
        let topic = "- the deploy script pushes the release image to production\n";
        let docs = [
            Doc::new("MEMORY.md", index, None, true),
            Doc::new("deploy.md", topic, None, false),
            Doc::new("other.md", topic, None, false),
        ];
        let mut collected = Statements::default();
        for doc in &docs {
            statements_of(doc, &mut collected, |_, _| {});
        }
        assert_eq!(collected.links.of(0), ["deploy.md".to_string()]);
        assert!(collected.links.of(1).is_empty());
        // The index line summarises deploy.md, so it is no repeat of it; the two topic files repeat
        // each other, and the index line repeats other.md, which it does not link to: one group.
        let groups = groups_of(&[
            ("MEMORY.md", index),
            ("deploy.md", topic),
            ("other.md", topic),
        ]);
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert!(groups[0].contains(&"other.md:1".to_string()), "{groups:?}");
    }
}
