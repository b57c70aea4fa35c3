//! Findings: what decayed in a memory directory, found deterministically and handed to the model (and to
//! `dream-mcp check`) with evidence, so a consolidation does not depend on noticing.
//!
//! One module per kind: `relative_date`, `stale_path`, `duplicate`, `frontmatter`, `secret`, and
//! `index_problems` for MEMORY.md (limits, dead links, orphans, long entries, content lines, repeated
//! links). [`collect`] runs them all over a loaded memory directory; [`Analysis`] keeps what they need
//! between writes and runs the ones about content over one file just written.

pub mod brief;
mod contradiction;
mod duplicate;
pub(crate) mod frontmatter;
mod incremental;
mod index_problems;
mod minhash;
mod project;
mod recall;
mod relative_date;
mod secret;
mod stale_path;
mod text;
mod wiki_link;

use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use crate::memory::dir::INDEX_NAME;
use crate::memory::index::Index;
use crate::memory::snapshot::{IndexSummary, LoadedFile, Texts};
use crate::secrets::SecretKind;
use text::Doc;

pub(crate) use duplicate::is_stopword;
pub use frontmatter::MAX_DESCRIPTION_CHARS;
pub use incremental::Analysis;

/// How much a finding matters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information is lost or exposed now: cut index lines, dead links, stored credentials.
    Error,
    /// The memory is misleading or harder to use: stale facts, relative dates, duplicates.
    Warning,
    /// Worth tidying: long entries, vague dates.
    Info,
}

impl Severity {
    /// The name as printed and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What a finding is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// MEMORY.md is over 200 lines; the newest entries are cut.
    OverLineLimit,
    /// MEMORY.md is over 25,000 bytes; the newest entries are cut.
    OverByteLimit,
    /// An index link to a topic file that does not exist.
    DeadLink,
    /// A likely credential stored in memory.
    Secret,
    /// A path the memory names that does not exist in the project.
    StalePath,
    /// "yesterday", "last week" ...: a date that is only right on the day it was written.
    RelativeDate,
    /// The same fact stated more than once.
    Duplicate,
    /// A topic file no index line links to.
    Orphan,
    /// An index line carrying content instead of a pointer.
    NotAPointer,
    /// A topic file linked from more than one index line.
    DuplicateLink,
    /// Index lines over 150 characters (one finding for them all, or one each near the limits).
    LongEntry,
    /// Missing or invalid frontmatter.
    Frontmatter,
    /// An index line pointing at a file outside the memory directory.
    OutsidePointer,
    /// A topic file longer than the 200 lines / 4 KB recall shows.
    LongTopicFile,
    /// More than 200 topic files: the memory scan drops the oldest.
    OverFileLimit,
    /// The same subject with conflicting state or value in two places.
    Contradiction,
    /// The same fact in two stores (an agent's memory and the project's, or two agents').
    SharedFact,
    /// A feedback rule one agent learned that may hold for every session.
    AgentFeedback,
}

impl Kind {
    /// The name as printed and serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OverLineLimit => "over_line_limit",
            Kind::OverByteLimit => "over_byte_limit",
            Kind::DeadLink => "dead_link",
            Kind::Secret => "secret",
            Kind::StalePath => "stale_path",
            Kind::RelativeDate => "relative_date",
            Kind::Duplicate => "duplicate",
            Kind::Orphan => "orphan",
            Kind::NotAPointer => "not_a_pointer",
            Kind::DuplicateLink => "duplicate_link",
            Kind::LongEntry => "long_entry",
            Kind::Frontmatter => "frontmatter",
            Kind::OutsidePointer => "outside_pointer",
            Kind::LongTopicFile => "long_topic_file",
            Kind::OverFileLimit => "over_file_limit",
            Kind::Contradiction => "contradiction",
            Kind::SharedFact => "shared_fact",
            Kind::AgentFeedback => "agent_feedback",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing worth fixing, where it is, and what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    /// What kind of problem this is.
    pub kind: Kind,
    /// How much it matters.
    pub severity: Severity,
    /// The file, relative to the memory directory (`MEMORY.md` for the index).
    pub file: String,
    /// The 1-based line it is on (1 for a whole-file finding).
    pub line: usize,
    /// What is wrong, in a sentence.
    pub message: String,
    /// What to do about it, when there is a clear step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The facts behind the finding, by kind (boxed: most findings have none, and a large memory's
    /// run to a hundred thousand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<Evidence>>,
}

/// The facts behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Evidence {
    /// For `relative_date`.
    RelativeDate(DateEvidence),
    /// For `stale_path`.
    StalePath(PathEvidence),
    /// For `duplicate`.
    Duplicate(DuplicateEvidence),
    /// For `over_line_limit` and `over_byte_limit`.
    Cut(CutEvidence),
    /// For `duplicate_link`.
    Lines(LinesEvidence),
    /// For `secret` (never the value itself).
    Secret(SecretEvidence),
    /// For `over_file_limit`.
    Files(FilesEvidence),
    /// For `contradiction`.
    Contradiction(ContradictionEvidence),
}

/// Topic files involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FilesEvidence {
    /// Paths relative to the memory directory.
    pub files: Vec<String>,
}

/// Two statements of one subject that disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ContradictionEvidence {
    /// What they are about: `PR #12`, `port`, a file.
    pub subject: String,
    /// Each statement, in file order (a file `CLAUDE.md` is the project's).
    pub locations: Vec<Location>,
    /// What each says, in the order of `locations` (`open` / `done`, or the two values).
    pub values: Vec<String>,
    /// Which location looks newer (an index into `locations`), when a date is known on either side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newer: Option<usize>,
}

/// How a relative date resolves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DateEvidence {
    /// The phrase as written ("yesterday", "last week").
    pub phrase: String,
    /// The date the phrase is read against (`YYYY-MM-DD`), when the file offers one.
    pub anchor: Option<String>,
    /// Where the anchor came from: a date on the line, a heading, the frontmatter, or the file's
    /// modification date. A transcript mentioning the event gives a better one: its timestamp.
    pub anchor_source: Option<String>,
    /// What the phrase means against the anchor: `2026-03-15`, `the week of 2026-03-09`, `2026-02` or
    /// `2025`; absent for vague phrases ("recently").
    pub resolved: Option<String>,
}

/// A path that is not there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PathEvidence {
    /// The path as the memory names it, relative to the project.
    pub path: String,
    /// The project directory it was looked for in (the git root).
    pub looked_in: String,
    /// Where it is now, project-relative, when the tree or git history says (it became a folder, changed
    /// extension, or is the one file of that name elsewhere): update the note instead of dropping it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now_at: Option<String>,
}

/// Every place one fact is stated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct DuplicateEvidence {
    /// The lowest word-set similarity among the matched pairs, in percent (at least
    /// [`duplicate::THRESHOLD_PERCENT`]).
    pub similarity_percent: usize,
    /// Each statement of the fact, in file order.
    pub locations: Vec<Location>,
}

/// One statement of a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Location {
    /// The file, relative to the memory directory.
    pub file: String,
    /// The 1-based line where the statement starts.
    pub line: usize,
    /// The statement, shortened to 160 characters.
    pub text: String,
}

/// What Claude Code cuts from the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CutEvidence {
    /// The first line not loaded.
    pub first_line: usize,
    /// The last line of the index.
    pub last_line: usize,
    /// How many lines are not loaded (`index.cut_lines` lists them).
    pub lines_cut: usize,
    /// Topic files linked only from lines that are cut: no session is pointed at them.
    pub files_linked_only_from_cut_lines: Vec<String>,
}

/// The index lines involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LinesEvidence {
    /// 1-based line numbers in MEMORY.md.
    pub lines: Vec<usize>,
}

/// What a stored credential looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SecretEvidence {
    /// The kind of credential.
    pub secret_kind: SecretKind,
}

/// What [`collect`] reads: the loaded memory, the parsed index and the project it describes.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Every topic file and its text, as [`snapshot::load`] read it (or read again, one at a time, from
    /// a snapshot that dropped them).
    pub texts: Texts<'a>,
    /// MEMORY.md's text, when it exists.
    pub index_text: Option<&'a str>,
    /// MEMORY.md parsed.
    pub index: &'a Index,
    /// MEMORY.md's modification time, the last-resort anchor for its relative dates.
    pub index_modified: Option<SystemTime>,
    /// The index facts the inventory already worked out (dead links, orphans).
    pub summary: &'a IndexSummary,
    /// The project directory stale paths are looked for in; `None` skips `stale_path`.
    pub project_dir: Option<&'a Path>,
    /// When the transcripts show each line was written, by file: the anchors of relative dates.
    pub write_dates: Option<&'a WriteDates>,
}

/// When each line of each memory file was written, from the transcripts: by file (relative to the
/// memory directory), one entry per line (index 0 is line 1), the day and the words naming the write.
pub type WriteDates = std::collections::HashMap<String, Vec<Option<(chrono::NaiveDate, String)>>>;

/// Every finding in the memory directory, errors first, then by file and line.
///
/// The topic files' texts are read one at a time (see [`Texts`]), never all held: the duplicates,
/// beside the rest, read them once for their statements (and again, only the files their findings
/// quote); the rest reads them twice, first for what needs every file (the claims compared for
/// contradictions, the folders named elsewhere) and the findings of one file alone, then for the
/// findings that need the first pass (stale paths) with relative dates and credentials.
pub fn collect(input: &Input) -> Vec<Finding> {
    let files = input.texts.files();
    let dates = input.write_dates;
    let index_doc = input
        .index_text
        .map(|t| with_write_dates(index_doc(t, input.index_modified), dates));
    let first_file = usize::from(index_doc.is_some());
    let mut names: Vec<&str> = Vec::with_capacity(first_file + files.len());
    names.extend(index_doc.as_ref().map(|d| d.file));
    names.extend(files.iter().map(|f| f.path.as_str()));
    let index_text = input.index_text;
    let text_of = |i: usize| match i.checked_sub(first_file) {
        Some(i) => input.texts.get(i),
        None => std::borrow::Cow::Borrowed(index_text.unwrap_or("")),
    };
    // Duplicates compare every file's statements with every other's, from a pass of their own over the
    // texts; the rest reads each file twice (what needs every file first, then the findings that need
    // it). They run side by side.
    let (mut out, duplicates) = std::thread::scope(|scope| {
        let duplicates = scope.spawn(|| {
            let mut duplicates = duplicate::Collector::default();
            if let Some(doc) = &index_doc {
                duplicates.add(doc);
            }
            input
                .texts
                .each(|f, text| duplicates.add(&file_doc(f, text)));
            duplicates.finish(&names, text_of)
        });
        let out = others(input, index_doc.as_ref());
        let duplicates = duplicates
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (out, duplicates)
    });
    // The index problems (an orphan a topic file on a large memory) are made once the pairing, the most
    // memory the check holds, is done.
    let index_problems = index_problems::check(input.index, input.summary);
    // Sized once: grown by doubling, the list of a large memory's findings would be half slack.
    let mut all = Vec::with_capacity(index_problems.len() + out.len() + duplicates.len());
    all.extend(index_problems);
    all.append(&mut out);
    drop(out);
    all.extend(duplicates);
    sort(&mut all);
    all
}

/// Every finding of [`collect`] but the index problems and the duplicates, in the order `collect` lists
/// them before sorting; `index_doc` is MEMORY.md ready for scanning.
fn others(input: &Input, index_doc: Option<&Doc>) -> Vec<Finding> {
    let files = input.texts.files();
    let dates = input.write_dates;
    let project = input.project_dir.and_then(project::Project::open);
    let mut claims = contradiction::Claims::default();
    let mut elsewhere = project.as_ref().map(|_| stale_path::Elsewhere::default());
    let mut add = |doc: &Doc| {
        claims.add(doc);
        if let (Some(e), Some(p)) = (elsewhere.as_mut(), project.as_ref()) {
            e.add(&stale_path::Mentions::of(doc.text), p);
        }
    };
    if let Some(doc) = index_doc {
        add(doc);
    }
    let claude_md = input.project_dir.and_then(project::claude_md);
    let targets = wiki_link::ProjectTargets::new(input.project_dir, claude_md.as_deref());
    let mut out = Vec::new();
    let mut long_files = Vec::new();
    let mut wiki_links = wiki_link::Checker::new(files, &targets);
    input.texts.each(|f, text| {
        add(&with_write_dates(file_doc(f, text), dates));
        out.extend(frontmatter::check(f.path.as_str(), text));
        wiki_links.check(f.path.as_str(), text);
        long_files.extend(recall::long_file(f, text));
    });
    if let Some(text) = input.index_text {
        wiki_links.check(INDEX_NAME, text);
    }
    if let Some(text) = claude_md.as_deref() {
        claims.add(&Doc::new(
            contradiction::PROJECT_CLAUDE_MD,
            text,
            None,
            false,
        ));
    }
    out.extend(wiki_links.finish());
    out.extend(long_files);
    out.extend(recall::over_file_limit(files));
    let paths = project.as_ref().zip(elsewhere.as_ref());
    let mut content = content_checker(files, paths);
    if let Some(doc) = index_doc {
        out.extend(content(doc));
    }
    input
        .texts
        .each(|f, text| out.extend(content(&with_write_dates(file_doc(f, text), dates))));
    out.extend(claims.finish());
    out
}

/// `doc` with the dates `dates` (from the transcripts) give its lines.
fn with_write_dates<'d>(mut doc: Doc<'d>, dates: Option<&'d WriteDates>) -> Doc<'d> {
    doc.transcript_dates = dates.and_then(|d| d.get(doc.file)).map(Vec::as_slice);
    doc
}

/// The facts stated in two stores or more: `stores` are each store's id and topic files. Each group is a
/// duplicate finding whose locations name their file as `<store>:<path>`; facts repeated within one
/// store only are left to that store's own findings.
pub fn shared_facts(stores: &[(&str, &[LoadedFile])]) -> Vec<Finding> {
    let names: Vec<Vec<String>> = stores
        .iter()
        .map(|(id, files)| files.iter().map(|f| format!("{id}:{}", f.path)).collect())
        .collect();
    let docs: Vec<Doc> = stores
        .iter()
        .zip(&names)
        .flat_map(|((_, files), names)| {
            files.iter().zip(names).map(|(f, name)| {
                Doc::new(
                    name.as_str(),
                    &f.text,
                    Some(text::local_date(f.summary.modified)),
                    false,
                )
            })
        })
        .collect();
    let store_of = |file: &str| file.split_once(':').map(|(id, _)| id.to_string());
    duplicate::check(&docs)
        .into_iter()
        .filter(|f| match f.evidence.as_deref() {
            Some(Evidence::Duplicate(d)) => {
                let stores: std::collections::BTreeSet<_> = d
                    .locations
                    .iter()
                    .filter_map(|l| store_of(&l.file))
                    .collect();
                stores.len() >= 2
            }
            _ => false,
        })
        .collect()
}

/// MEMORY.md, ready for scanning.
fn index_doc(text: &str, modified: Option<SystemTime>) -> Doc<'_> {
    Doc::new(INDEX_NAME, text, modified.map(text::local_date), true)
}

/// A topic file with its text `text`, ready for scanning.
fn file_doc<'a>(f: &'a LoadedFile, text: &'a str) -> Doc<'a> {
    Doc::new(
        f.path.as_str(),
        text,
        Some(text::local_date(f.summary.modified)),
        false,
    )
}

/// Relative dates, stale paths (when a project and what the memory says of elsewhere are given) and
/// secrets in `docs`; `files` are the memory's topic files, never paths of the project.
fn content_checks(
    docs: &[Doc],
    files: &[LoadedFile],
    paths: Option<(&project::Project, &stale_path::Elsewhere)>,
) -> Vec<Finding> {
    let mut check = content_checker(files, paths);
    docs.iter().flat_map(&mut check).collect()
}

/// What [`content_checks`] finds in one doc at a time, remembering the project paths looked up.
fn content_checker<'a>(
    files: &'a [LoadedFile],
    paths: Option<(&'a project::Project, &'a stale_path::Elsewhere)>,
) -> impl FnMut(&Doc) -> Vec<Finding> + 'a {
    let mut paths =
        paths.map(|(p, e)| stale_path::Checker::new(p, e, files.iter().map(|f| f.path.as_str())));
    move |doc| {
        let mut out = relative_date::check(doc);
        if let Some(checker) = paths.as_mut() {
            out.extend(checker.check(doc));
        }
        out.extend(secret::check(doc));
        out
    }
}

fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.severity, a.file != INDEX_NAME, &a.file, a.line, a.kind).cmp(&(
            b.severity,
            b.file != INDEX_NAME,
            &b.file,
            b.line,
            b.kind,
        ))
    });
}
