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
//! only statements sharing a rare word are compared.

use std::collections::HashMap;

use super::text::{Doc, LazyRegex};
use super::{DuplicateEvidence, Evidence, Finding, Kind, Location, Severity};
use crate::index;

/// Two statements are duplicates when their shared words are at least this percentage of their union.
pub const THRESHOLD_PERCENT: usize = 60;
/// Statements with fewer distinct words than this are too short to call duplicates.
pub const MIN_WORDS: usize = 4;
/// How much of a statement's text a location quotes.
const QUOTE_CHARS: usize = 160;

/// Words that carry no fact.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "always", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "done", "each", "else", "even", "every", "for", "from", "get", "gets",
    "got", "had", "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "just", "let", "like", "may", "me", "might", "more", "most",
    "must", "my", "never", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or",
    "other", "our", "out", "over", "own", "same", "she", "should", "so", "some", "still", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "us", "very", "via", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "yet", "you",
    "your",
];

/// `[title](target)` (and images): removed from index lines, reduced to the title elsewhere.
static LINK: LazyRegex = LazyRegex::new(r"!?\[([^\]]*)\]\([^)]*\)");

/// One statement.
#[derive(Debug)]
struct Statement {
    doc: usize,
    line: usize,
    /// The text the words come from (for an index line: without its links).
    text: String,
    /// The text as a location quotes it.
    shown: String,
    /// Distinct word ids, rarest first.
    words: Vec<u32>,
    /// For an index line: the topic files it links to.
    links: Vec<String>,
}

/// The duplicate groups among `docs`.
pub(crate) fn check(docs: &[Doc]) -> Vec<Finding> {
    let mut statements = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        statements_of(i, doc, &mut statements);
    }
    let words = Words::intern(&mut statements);
    let pairs = similar_pairs(docs, &statements, &words);
    groups(docs, &statements, &pairs)
}

/// Collects the statements of one file.
fn statements_of(doc_index: usize, doc: &Doc, out: &mut Vec<Statement>) {
    let push = |out: &mut Vec<Statement>, line: usize, text: String, shown: Option<&str>, links| {
        out.push(Statement {
            doc: doc_index,
            line,
            shown: shown.map_or_else(|| text.clone(), str::to_string),
            text,
            words: Vec::new(),
            links,
        });
    };
    if doc.is_index {
        for line in doc.body().iter().filter(|l| !l.in_code) {
            let links = index::links(line.text)
                .iter()
                .filter_map(|l| l.local_file().map(str::to_string))
                .collect();
            let text = LINK
                .get()
                .map_or(line.text.into(), |re| re.replace_all(line.text, ""));
            push(out, line.number, text.into_owned(), Some(line.text), links);
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
        let text = LINK
            .get()
            .map_or(t.into(), |re| re.replace_all(t, "$1"))
            .into_owned();
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

/// The normalised words of `text`.
fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1)
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|mut w| {
            if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                w.pop();
            }
            w
        })
}

/// Word ids and how many statements use each.
struct Words {
    frequency: Vec<u32>,
}

impl Words {
    /// Gives every word an id and fills each statement's words, rarest first.
    fn intern(statements: &mut [Statement]) -> Words {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut frequency: Vec<u32> = Vec::new();
        for s in statements.iter_mut() {
            let mut w: Vec<u32> = words_of(&s.text)
                .map(|word| {
                    let next = ids.len() as u32;
                    *ids.entry(word).or_insert(next)
                })
                .collect();
            w.sort_unstable();
            w.dedup();
            for &id in &w {
                if id as usize == frequency.len() {
                    frequency.push(0);
                }
                frequency[id as usize] += 1;
            }
            s.words = w;
        }
        for s in statements.iter_mut() {
            s.words
                .sort_unstable_by_key(|&id| (frequency[id as usize], id));
        }
        Words { frequency }
    }

    fn key(&self, id: u32) -> (u32, u32) {
        (self.frequency[id as usize], id)
    }

    /// Number of words two rarest-first lists share.
    fn shared(&self, a: &[u32], b: &[u32]) -> usize {
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match self.key(a[i]).cmp(&self.key(b[j])) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }
}

/// The smallest number of shared words that can reach the threshold for a statement of `len` words.
fn min_overlap(len: usize) -> usize {
    (THRESHOLD_PERCENT * len).div_ceil(100)
}

/// Every pair of statements at or over the threshold, with its similarity in percent.
fn similar_pairs(
    docs: &[Doc],
    statements: &[Statement],
    words: &Words,
) -> Vec<(usize, usize, usize)> {
    let mut order: Vec<usize> = (0..statements.len())
        .filter(|&i| statements[i].words.len() >= MIN_WORDS)
        .collect();
    order.sort_by_key(|&i| statements[i].words.len());
    let mut postings: Vec<Vec<usize>> = vec![Vec::new(); words.frequency.len()];
    let mut last_seen: Vec<usize> = vec![usize::MAX; statements.len()];
    let mut pairs = Vec::new();
    for &x in &order {
        let wx = &statements[x].words;
        let prefix = wx.len() - min_overlap(wx.len()) + 1;
        let min_len = min_overlap(wx.len());
        for &w in &wx[..prefix] {
            for &y in &postings[w as usize] {
                if last_seen[y] == x || statements[y].words.len() < min_len {
                    continue;
                }
                last_seen[y] = x;
                let wy = &statements[y].words;
                let shared = words.shared(wx, wy);
                let union = wx.len() + wy.len() - shared;
                if shared * 100 >= THRESHOLD_PERCENT * union && !summarises(docs, statements, x, y)
                {
                    pairs.push((y, x, shared * 100 / union));
                }
            }
        }
        for &w in &wx[..prefix] {
            postings[w as usize].push(x);
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
                    text: quote(&statements[i].shown),
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
