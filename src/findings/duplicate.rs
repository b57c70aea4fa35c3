//! `duplicate`: the same fact stated more than once, within a file or across files (the index included).
//!
//! Statements are list items (with their continuation lines), paragraphs and headings of topic files, and
//! the lines of MEMORY.md with their links removed. Each becomes a set of words: lower-cased, split on
//! anything that is not a letter or digit, common English words dropped, a plural `s` trimmed. Two
//! statements are duplicates when each has at least [`MIN_WORDS`] words and the words they share are at
//! least 60% of all their words together (Jaccard similarity, [`THRESHOLD_PERCENT`]). An index line is
//! not a duplicate of the topic file it links to: summarising its target is what an index line is for.
//!
//! Pairs are found without comparing every statement with every other: words are ordered rarest first,
//! and two sets that reach the threshold must share a word among their first few (prefix filtering), so
//! only statements sharing a rare word are compared (the PPJoin algorithm, in `similar_pairs`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::text::{Doc, LazyRegex};
use super::{DuplicateEvidence, Evidence, Finding, Kind, Location, Severity};
use crate::memory::index;

/// Two statements are duplicates when their shared words are at least this percentage of their union.
pub const THRESHOLD_PERCENT: usize = 60;
/// Statements with fewer distinct words than this are too short to call duplicates.
pub const MIN_WORDS: usize = 4;
/// How much of a statement's text a location quotes.
const QUOTE_CHARS: usize = 160;

/// Whether `word` (lower case) is a common English word that carries no fact.
fn is_stopword(word: &str) -> bool {
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

/// One statement.
#[derive(Debug)]
struct Statement {
    doc: usize,
    line: usize,
    /// The text the words come from (for an index line: without its links).
    text: String,
    /// The text as a location quotes it, when it differs from `text` (index lines).
    shown: Option<String>,
    /// For an index line: the topic files it links to.
    links: Vec<String>,
}

/// The duplicate groups among `docs`.
pub(crate) fn check(docs: &[Doc]) -> Vec<Finding> {
    let mut statements = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        statements_of(i, doc, &mut statements);
    }
    let sets = WordSets::of(&statements);
    let pairs = similar_pairs(docs, &statements, &sets);
    groups(docs, &statements, &pairs)
}

/// Collects the statements of one file.
fn statements_of(doc_index: usize, doc: &Doc, out: &mut Vec<Statement>) {
    let push = |out: &mut Vec<Statement>, line: usize, text: String, shown: Option<&str>, links| {
        out.push(Statement {
            doc: doc_index,
            line,
            shown: shown.map(str::to_string),
            text,
            links,
        });
    };
    if doc.is_index {
        for line in doc.body().iter().filter(|l| !l.in_code) {
            let links = index::links(line.text)
                .iter()
                .filter_map(|l| l.local_file().map(str::to_string))
                .collect();
            let text = without_links(line.text, "");
            push(out, line.number, text, Some(line.text), links);
        }
        return;
    }
    let mut current: Option<(usize, String)> = None;
    let flush = |out: &mut Vec<Statement>, current: &mut Option<(usize, String)>| {
        if let Some((line, text)) = current.take() {
            push(out, line, text, None, Vec::new());
        }
    };
    for line in doc.body() {
        let t = line.text.trim();
        if line.in_code
            || t.is_empty()
            || t.starts_with('|')
            || t.chars().all(|c| c == '-' || c == '*' || c == '_')
        {
            flush(out, &mut current);
            continue;
        }
        if t.starts_with('#') {
            flush(out, &mut current);
            let heading = t.trim_start_matches('#').trim().to_string();
            push(out, line.number, heading, None, Vec::new());
            continue;
        }
        let text = without_links(t, "$1");
        match (list_item(&text), current.as_mut()) {
            (Some(item), _) => {
                flush(out, &mut current);
                current = Some((line.number, item.to_string()));
            }
            (None, Some((_, acc))) => {
                acc.push(' ');
                acc.push_str(&text);
            }
            (None, None) => current = Some((line.number, text)),
        }
    }
    flush(out, &mut current);
}

/// `text` with its Markdown links replaced by `replacement` (`$1` keeps the title).
fn without_links(text: &str, replacement: &str) -> String {
    match LINK.get() {
        Some(re) if text.contains("](") => re.replace_all(text, replacement).into_owned(),
        _ => text.to_string(),
    }
}

/// The text of a list item line without its marker, or `None` when the line is not a list item.
fn list_item(t: &str) -> Option<&str> {
    if let Some(rest) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
    {
        return Some(rest);
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &t[digits..];
    (digits > 0)
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
}

/// Calls `f` with each normalised word of `text` (lower-cased, stopwords dropped, a plural `s` trimmed),
/// reusing one buffer.
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if raw.len() < 2 || (!raw.is_ascii() && raw.chars().nth(1).is_none()) {
            continue;
        }
        word.clear();
        if raw.is_ascii() {
            word.extend(raw.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            word.extend(raw.chars().flat_map(char::to_lowercase));
        }
        if is_stopword(&word) {
            continue;
        }
        if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
            word.pop();
        }
        f(&word);
    }
}

/// Every statement's distinct words as ranks (0 is the rarest word; ties by first use), ascending, kept
/// in one buffer so the join reads them with few cache misses.
struct WordSets {
    ranks: Vec<u32>,
    /// Per statement: start and length in `ranks`.
    spans: Vec<(u32, u32)>,
    /// Number of distinct words.
    vocabulary: usize,
}

impl WordSets {
    fn of(statements: &[Statement]) -> WordSets {
        let mut ids: HashMap<String, u32, BuildHasherDefault<Fnv>> = HashMap::default();
        let mut frequency: Vec<u32> = Vec::new();
        let mut ranks: Vec<u32> = Vec::new();
        let mut spans = Vec::with_capacity(statements.len());
        for s in statements {
            let start = ranks.len();
            for_each_word(&s.text, |word| {
                let id = match ids.get(word) {
                    Some(&id) => id,
                    None => {
                        let id = ids.len() as u32;
                        ids.insert(word.to_string(), id);
                        frequency.push(0);
                        id
                    }
                };
                ranks.push(id);
            });
            let set = &mut ranks[start..];
            set.sort_unstable();
            let mut len = 0;
            for k in 0..set.len() {
                if k == 0 || set[k] != set[len - 1] {
                    set[len] = set[k];
                    len += 1;
                }
            }
            ranks.truncate(start + len);
            for &id in &ranks[start..] {
                frequency[id as usize] += 1;
            }
            spans.push((start as u32, len as u32));
        }
        let mut by_rarity: Vec<u32> = (0..frequency.len() as u32).collect();
        by_rarity.sort_unstable_by_key(|&id| (frequency[id as usize], id));
        let mut rank = vec![0u32; frequency.len()];
        for (r, &id) in by_rarity.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        for &(start, len) in &spans {
            let set = &mut ranks[start as usize..(start + len) as usize];
            for w in set.iter_mut() {
                *w = rank[*w as usize];
            }
            set.sort_unstable();
        }
        WordSets {
            ranks,
            spans,
            vocabulary: frequency.len(),
        }
    }

    /// The words of statement `i`.
    fn get(&self, i: usize) -> &[u32] {
        let (start, len) = self.spans[i];
        &self.ranks[start as usize..(start + len) as usize]
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

/// Every pair of statements at or over the threshold, with its similarity in percent.
///
/// This is the PPJoin algorithm (Xiao et al., 2008): statements are visited from shortest to longest;
/// each probes an inverted index with its first `|x| - ceil(t|x|) + 1` words (rarest first), which a pair
/// at or over the threshold must share a word in; only the first `|y| - ceil(2t/(1+t)|y|) + 1` words of
/// each statement are indexed; a candidate is dropped as soon as the words left cannot reach the overlap
/// the threshold needs; survivors are verified exactly.
fn similar_pairs(
    docs: &[Doc],
    statements: &[Statement],
    sets: &WordSets,
) -> Vec<(usize, usize, usize)> {
    const P: usize = THRESHOLD_PERCENT;
    let mut order: Vec<usize> = (0..statements.len())
        .filter(|&i| sets.get(i).len() >= MIN_WORDS)
        .collect();
    order.sort_by_key(|&i| sets.get(i).len());
    // Per word: (statement, position of the word in it, its number of words), in indexing order.
    let mut postings: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); sets.vocabulary];
    // Per word: how many entries at the front are too short for every statement still to come.
    let mut skip: Vec<usize> = vec![0; sets.vocabulary];
    // Overlap seen so far per candidate; PRUNED once it cannot reach the threshold.
    const PRUNED: u32 = u32::MAX;
    let mut overlap: Vec<u32> = vec![0; statements.len()];
    // Per candidate: the positions in x and in it of the last shared word counted.
    let mut last: Vec<(u32, u32)> = vec![(0, 0); statements.len()];
    let mut touched: Vec<usize> = Vec::new();
    let mut pairs = Vec::new();
    for &x in &order {
        let wx = sets.get(x);
        let lx = wx.len();
        let min_len = ceil_div(P * lx, 100);
        let probe = lx - min_len + 1;
        for (i, &w) in wx[..probe].iter().enumerate() {
            let list = &postings[w as usize];
            let mut start = skip[w as usize];
            while start < list.len() && (list[start].2 as usize) < min_len {
                start += 1;
            }
            skip[w as usize] = start;
            for &(y, j, ly) in &list[start..] {
                let (y, ly) = (y as usize, ly as usize);
                if overlap[y] == PRUNED {
                    continue;
                }
                let needed = ceil_div(P * (lx + ly), 100 + P);
                let reachable = 1 + (lx - i - 1).min(ly - j as usize - 1);
                if overlap[y] as usize + reachable >= needed {
                    if overlap[y] == 0 {
                        touched.push(y);
                    }
                    overlap[y] += 1;
                    last[y] = (i as u32, j);
                } else {
                    if overlap[y] == 0 {
                        touched.push(y);
                    }
                    overlap[y] = PRUNED;
                }
            }
        }
        // Every word shared before the last counted pair of positions was counted (those positions lie
        // in both prefixes), so verification only merges what comes after them.
        for &y in &touched {
            let wy = sets.get(y);
            let needed = ceil_div(P * (lx + wy.len()), 100 + P);
            let counted = overlap[y] as usize;
            let (i, j) = (last[y].0 as usize + 1, last[y].1 as usize + 1);
            if overlap[y] != PRUNED
                && let Some(rest) =
                    shared_at_least(&wx[i..], &wy[j..], needed.saturating_sub(counted))
                && !summarises(docs, statements, x, y)
            {
                let n = counted + rest;
                pairs.push((y, x, n * 100 / (lx + wy.len() - n)));
            }
            overlap[y] = 0;
        }
        touched.clear();
        let indexed = lx - ceil_div(2 * P * lx, 100 + P) + 1;
        for (i, &w) in wx[..indexed].iter().enumerate() {
            postings[w as usize].push((x as u32, i as u32, lx as u32));
        }
    }
    pairs
}

/// Whether one of the two is an index line linking to the other's file.
fn summarises(docs: &[Doc], statements: &[Statement], a: usize, b: usize) -> bool {
    let links_to =
        |from: &Statement, to: &Statement| from.links.iter().any(|f| f == docs[to.doc].file);
    links_to(&statements[a], &statements[b]) || links_to(&statements[b], &statements[a])
}

/// Joins pairs into groups and turns each group into a finding.
fn groups(docs: &[Doc], statements: &[Statement], pairs: &[(usize, usize, usize)]) -> Vec<Finding> {
    let mut parent: Vec<usize> = (0..statements.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for &(a, b, _) in pairs {
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut members: HashMap<usize, (Vec<usize>, usize)> = HashMap::new();
    for &(a, b, similarity) in pairs {
        let r = root(&mut parent, a);
        let entry = members.entry(r).or_insert((Vec::new(), 100));
        entry.0.extend([a, b]);
        entry.1 = entry.1.min(similarity);
    }
    let mut out: Vec<Finding> = members
        .into_values()
        .map(|(mut m, similarity)| {
            m.sort_by_key(|&i| (statements[i].doc, statements[i].line));
            m.dedup();
            let locations: Vec<Location> = m
                .iter()
                .map(|&i| Location {
                    file: docs[statements[i].doc].file.to_string(),
                    line: statements[i].line,
                    text: quote(statements[i].shown.as_deref().unwrap_or(&statements[i].text)),
                })
                .collect();
            let places: Vec<String> = locations
                .iter()
                .map(|l| format!("{}:{}", l.file, l.line))
                .collect();
            Finding {
                kind: Kind::Duplicate,
                severity: Severity::Warning,
                file: locations[0].file.clone(),
                line: locations[0].line,
                message: format!(
                    "the same fact is stated {} times: {}",
                    locations.len(),
                    places.join(", ")
                ),
                suggestion: Some(
                    "keep it once, in the topic file it belongs to, and delete the other copies; where they disagree, the transcripts show which is current"
                        .to_string(),
                ),
                evidence: Some(Evidence::Duplicate(DuplicateEvidence {
                    similarity_percent: similarity,
                    locations,
                })),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out
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

    /// The groups found among `files` as lists of `file:line`.
    fn groups_of(files: &[(&str, &str)]) -> Vec<Vec<String>> {
        let docs: Vec<Doc> = files
            .iter()
            .map(|(name, text)| Doc::new(name, text, None, *name == "MEMORY.md"))
            .collect();
        check(&docs)
            .into_iter()
            .map(|f| match f.evidence {
                Some(Evidence::Duplicate(e)) => e
                    .locations
                    .iter()
                    .map(|l| format!("{}:{}", l.file, l.line))
                    .collect(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn words_are_normalised_and_common_words_dropped() {
        let mut words = Vec::new();
        for_each_word(
            "The Builds were FAILING on a fresh clone; class and x, é ÉTÉ",
            |w| words.push(w.to_string()),
        );
        assert_eq!(
            words,
            ["build", "failing", "fresh", "clone", "class", "été"]
        );
    }

    #[test]
    fn link_pattern_compiles() {
        assert!(LINK.get().is_some());
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
    fn prefix_filtering_finds_exactly_the_pairs_a_full_comparison_finds() {
        // Statements over a small vocabulary, so that many pairs sit near the threshold.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let text: String = (0..400)
            .map(|_| {
                let len = 4 + next(6);
                let words: Vec<String> = (0..len).map(|_| format!("w{}", next(14))).collect();
                format!("- {}\n", words.join(" "))
            })
            .collect();
        let docs = [Doc::new("a.md", &text, None, false)];
        let mut statements = Vec::new();
        statements_of(0, &docs[0], &mut statements);
        let sets = WordSets::of(&statements);
        let mut fast: Vec<(usize, usize)> = similar_pairs(&docs, &statements, &sets)
            .into_iter()
            .map(|(a, b, _)| (a.min(b), a.max(b)))
            .collect();
        fast.sort_unstable();
        let mut full = Vec::new();
        for a in 0..statements.len() {
            for b in a + 1..statements.len() {
                let (wa, wb) = (sets.get(a), sets.get(b));
                if wa.len() < MIN_WORDS || wb.len() < MIN_WORDS {
                    continue;
                }
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
        let at = "- alpha bravo charlie delta\n- alpha bravo charlie echo\n";
        assert_eq!(groups_of(&[("a.md", at)]).len(), 1);
        // 3 of 6: 50%, not.
        let below = "- alpha bravo charlie delta\n- alpha bravo charlie echo foxtrot\n";
        assert_eq!(groups_of(&[("a.md", below)]), Vec::<Vec<String>>::new());
        // 3 words is under MIN_WORDS, however alike.
        let short = "- alpha bravo charlie delta\n- alpha bravo charlie\n";
        assert_eq!(groups_of(&[("a.md", short)]), Vec::<Vec<String>>::new());
    }
}
