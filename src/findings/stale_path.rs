//! `stale_path`: a path a memory names (`src/api/express.ts`, `` `scripts/build.sh` ``, `` `walk_effects.rs` ``)
//! that is not in the project any more, so the note describes code that is gone, and where it is now when
//! the tree or git history says (the file became a folder, changed extension, moved).
//!
//! Only tokens that are paths are checked, and they are looked up the way a person would:
//! - a path: in prose it ends in a known extension; in code it may also end in `/` or start with a folder
//!   of the project. Its first folder must be the name of a folder somewhere in the project: a path whose
//!   first folder is nowhere in the tree is about another place (a server, another repository).
//! - not paths: URLs and domains, globs, `~/`, absolute and `../` paths, environment variables, scoped
//!   packages, placeholders (`path/to/x`, `<name>`, `xxx`), slash-joined word lists (`sudo/远端/push`,
//!   `inf/负`), files of the memory directory, build output folders, tree diagrams, attribute values in code.
//! - present: at the project root (the git root above the project directory), as the suffix of a file at
//!   any depth (the sub-project a note is about: `src/coverage.rs` is `runner/src/coverage.rs`), as a
//!   dotted code reference to an existing module (`lib/x.fn`), or git-ignored (local by design).
//! - not stated as current: inside `~~…~~`, the old side of `old → new`, a line that records a removal
//!   (`deleted`, `removed`, `删除` ...), says it is not in git, or names another place (an absolute path, a
//!   folder the memory places outside the project, another repository).
//!
//! A bare file name in backticks (`` `walk_effects.rs` ``) is checked by name against every file of the
//! project. No project (no git root, no manifest) means no check.

use std::collections::{HashMap, HashSet};

use super::project::{GENERATED, Moved, Project};
use super::text::{Doc, LazyRegex, masked_spans, overlaps, url_spans};
use super::{Evidence, Finding, Kind, PathEvidence, Severity};
use crate::memory::dir::{MemoryPath, TEAM_DIR};

/// Characters a path token is made of (the rest of a line separates tokens). Letters of any script, so
/// `météo/événement` is one token, not `o/`.
static TOKEN: LazyRegex = LazyRegex::new(r"[\p{L}\p{N}_.@~$%*?{}\[\]/+-]+");

/// Words saying a line records that something was removed, renamed or retired (en, zh, fr, de, es).
static REMOVAL: LazyRegex = LazyRegex::new(concat!(
    r"(?i)(?-u:\b)(?:deleted|removed|dropped|gone|retired|renamed|moved|obsolete|deprecated|orphan\s+cascade",
    r"|supprimée?s?|retirée?s?|renommée?s?|gelöscht|entfernt|eliminad[oa]s?)(?-u:\b)",
    r"|删|移除|退役|下线|已过时|废弃|改名|重命名"
));

/// Words saying a path is not in git.
static NOT_IN_GIT: LazyRegex = LazyRegex::new(
    r"(?i)不进\s*git|不入\s*git|untracked|not\s+(?:committed|tracked|in\s+git)|git-?ignored|\.gitignore",
);

/// Extensions that make a token a file path.
const EXTENSIONS: &[&str] = &[
    "md",
    "mdx",
    "txt",
    "rst",
    "adoc",
    "ts",
    "tsx",
    "mts",
    "cts",
    "js",
    "jsx",
    "mjs",
    "cjs",
    "json",
    "jsonc",
    "json5",
    "yml",
    "yaml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "env",
    "lock",
    "xml",
    "html",
    "htm",
    "css",
    "scss",
    "sass",
    "less",
    "vue",
    "svelte",
    "astro",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "py",
    "pyi",
    "ipynb",
    "rb",
    "rs",
    "go",
    "java",
    "kt",
    "kts",
    "scala",
    "swift",
    "m",
    "mm",
    "c",
    "h",
    "cc",
    "cpp",
    "cxx",
    "hpp",
    "cs",
    "fs",
    "php",
    "pl",
    "lua",
    "ex",
    "exs",
    "erl",
    "hs",
    "ml",
    "clj",
    "dart",
    "zig",
    "nim",
    "r",
    "jl",
    "sql",
    "prisma",
    "graphql",
    "gql",
    "proto",
    "tf",
    "tfvars",
    "hcl",
    "nix",
    "gradle",
    "csv",
    "tsv",
    "svg",
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "ico",
    "pdf",
    "wasm",
    "patch",
    "diff",
    "dockerfile",
    "mk",
    "cmake",
    "bazel",
    "bzl",
    "plist",
    "pem",
    "crt",
];

/// Extensions of source files, for which a bare name in backticks is checked.
const CODE_EXTENSIONS: &[&str] = &[
    "rs", "py", "js", "jsx", "ts", "tsx", "mjs", "go", "rb", "java", "kt", "swift", "c", "cc",
    "cpp", "h", "hpp", "cs", "php", "vue", "svelte", "scala", "ex", "exs", "dart", "lua", "sh",
];

/// What the whole memory says about places outside the project: the folders it names under absolute
/// paths (`/usr/local/gsim/` makes `gsim/...` a path there) and other repositories or hosts
/// (`~/nixosconfig/...`, `doc2:/run/...`).
#[derive(Debug, Default)]
pub(crate) struct Elsewhere {
    folders: HashSet<String>,
    files: HashSet<String>,
    places: HashSet<String>,
}

/// The absolute paths one text names, before the project is asked which are its own: what
/// [`Elsewhere`] is made of, kept per file so a memory's mentions need not be read again.
#[derive(Debug, Default, Clone)]
pub(crate) struct Mentions {
    /// Hosts named before a `:/path`.
    places: Vec<String>,
    /// Repositories under a home folder (`~/<repo>/...`).
    repos: Vec<String>,
    /// File names at the end of absolute paths.
    files: Vec<String>,
    /// Folder names at the end of absolute paths.
    folders: Vec<String>,
}

impl Mentions {
    /// The absolute paths `text` names (URLs aside).
    pub(crate) fn of(text: &str) -> Mentions {
        let mut m = Mentions::default();
        let Some(re) = TOKEN.get() else { return m };
        for line in text.lines() {
            let urls = url_spans(line);
            for t in re.find_iter(line) {
                if overlaps(&t.range(), &urls) {
                    continue;
                }
                let start = t.start();
                let t = t.as_str().trim_end_matches(['.', ',', ':', ';']);
                if let Some(host) = line[..start].strip_suffix(':').and_then(last_word)
                    && t.starts_with('/')
                    && host.chars().any(|c| c.is_ascii_digit())
                {
                    m.places.push(host.to_ascii_lowercase());
                }
                let segs: Vec<&str> = t.split('/').filter(|s| !s.is_empty()).collect();
                let home_repo = if t.starts_with("~/") {
                    segs.get(1)
                } else if t.starts_with("/home/") || t.starts_with("/Users/") {
                    segs.get(2)
                } else {
                    None
                };
                if let Some(repo) = home_repo {
                    m.repos.push(repo.to_string());
                }
                if !t.starts_with('/') || segs.len() < 2 {
                    continue;
                }
                let last = segs[segs.len() - 1];
                if t.ends_with('/') || !last.contains('.') {
                    m.folders.push(last.to_string());
                } else {
                    m.files.push(last.to_string());
                }
            }
        }
        m
    }
}

impl Elsewhere {
    /// Reads `texts` (every file of the memory) for absolute paths; `project` says which folder names
    /// are the project's own top level (never counted as elsewhere).
    #[cfg(test)]
    fn from_texts<'t>(texts: impl IntoIterator<Item = &'t str>, project: &Project) -> Self {
        let mut e = Elsewhere::default();
        for text in texts {
            e.add(&Mentions::of(text), project);
        }
        e
    }

    /// What `mentions` (of every file of the memory) say, the names of `project`'s own folders left out.
    pub(crate) fn from_mentions<'m>(
        mentions: impl IntoIterator<Item = &'m Mentions>,
        project: &Project,
    ) -> Self {
        let mut e = Elsewhere::default();
        for m in mentions {
            e.add(m, project);
        }
        e
    }

    /// Adds what `m` says, the names of `project`'s own folders left out.
    pub(crate) fn add(&mut self, m: &Mentions, project: &Project) {
        let own = project
            .root()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("");
        self.places.extend(m.places.iter().cloned());
        for repo in &m.repos {
            if repo != own && !project.is_dir(repo) {
                self.places.insert(repo.to_ascii_lowercase());
            }
        }
        self.files.extend(m.files.iter().cloned());
        for folder in &m.folders {
            if !project.is_dir(folder) && folder != own {
                self.folders.insert(folder.clone());
            }
        }
    }
}

fn last_word(s: &str) -> Option<&str> {
    let w = s
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .next()?;
    (!w.is_empty()).then_some(w)
}

/// Checks paths against one project, remembering what it has already looked up.
pub(crate) struct Checker<'a> {
    project: &'a Project,
    elsewhere: &'a Elsewhere,
    memory_files: HashSet<&'a str>,
    present: HashMap<String, bool>,
}

/// One token on a line, with what surrounds it.
struct Token<'l> {
    text: &'l str,
    start: usize,
    end: usize,
    in_code: bool,
}

impl<'a> Checker<'a> {
    /// A checker for `project`; `memory_files` (paths relative to the memory directory) are never paths
    /// of the project.
    pub(crate) fn new(
        project: &'a Project,
        elsewhere: &'a Elsewhere,
        memory_files: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Checker {
            project,
            elsewhere,
            memory_files: memory_files.into_iter().collect(),
            present: HashMap::new(),
        }
    }

    /// The missing project paths named in `doc`'s body.
    pub(crate) fn check(&mut self, doc: &Doc) -> Vec<Finding> {
        let Some(re) = TOKEN.get() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let doc_elsewhere = doc.body().any(|l| {
            re.find_iter(l.text).any(|m| {
                let t = m.as_str();
                (t.starts_with('/') && t[1..].trim_end_matches('/').contains('/'))
                    || self
                        .elsewhere
                        .folders
                        .contains(t.split('/').next().unwrap_or(""))
                        && t.contains('/')
            })
        });
        for line in doc.body() {
            let text = line.text;
            if line.in_code && text.contains(['├', '└', '│']) {
                continue;
            }
            let spans = masked_spans(text);
            let urls: Vec<_> = spans
                .iter()
                .filter(|s| !text[s.start..].starts_with('`'))
                .cloned()
                .collect();
            let code: Vec<_> = spans
                .iter()
                .filter(|s| text[s.start..].starts_with('`'))
                .cloned()
                .collect();
            let tokens: Vec<Token> = re
                .find_iter(text)
                .filter(|m| !overlaps(&m.range(), &urls))
                .map(|m| Token {
                    text: m.as_str(),
                    start: m.start(),
                    end: m.end(),
                    in_code: line.in_code || overlaps(&m.range(), &code),
                })
                .collect();
            let mut seen: Vec<String> = Vec::new();
            for t in &tokens {
                let (from, to) = clause(text, t.start, t.end);
                let near: Vec<&Token> = tokens
                    .iter()
                    .filter(|n| n.start >= from && n.end <= to)
                    .collect();
                if self.is_elsewhere(&text[from..to], text, &near) {
                    continue;
                }
                let Some((path, moved)) =
                    self.stale(text, &text[from..to], t, &code, doc_elsewhere)
                else {
                    continue;
                };
                if seen.contains(&path) {
                    continue;
                }
                seen.push(path.clone());
                out.push(self.finding(doc, line.number, path, moved, t.text.contains('/')));
            }
        }
        out
    }

    fn finding(
        &self,
        doc: &Doc,
        line: usize,
        path: String,
        moved: Option<Moved>,
        has_folder: bool,
    ) -> Finding {
        let (message, suggestion) = match &moved {
            Some(m) => (
                format!("`{path}` is not in the project: {}", m.describe()),
                format!(
                    "update the note to `{}` if it still says what is true there",
                    m.path()
                ),
            ),
            None => (
                format!("`{path}` is not in the project, under that name or anywhere else"),
                format!(
                    "find what replaced it (`git log --diff-filter=D --name-status -- '*{}'` shows when it went) and update the note, or drop it if the fact went with it",
                    path.rsplit('/').next().unwrap_or(&path)
                ),
            ),
        };
        Finding {
            kind: Kind::StalePath,
            severity: if has_folder {
                Severity::Warning
            } else {
                Severity::Info
            },
            file: doc.file.to_string(),
            line,
            message,
            suggestion: Some(suggestion),
            evidence: Some(Box::new(Evidence::StalePath(PathEvidence {
                path,
                looked_in: self.project.root().display().to_string(),
                now_at: moved.map(|m| m.path().to_string()),
            }))),
        }
    }

    /// Whether a clause (`text`, a part of `line` holding `tokens`) is about another place: an absolute
    /// or home path, a folder the memory places outside the project, another repository or host by name,
    /// or it says what it names is not in git.
    fn is_elsewhere(&self, text: &str, line: &str, tokens: &[&Token]) -> bool {
        let absolute = tokens.iter().any(|t| {
            let s = t.text;
            (s.starts_with("~/") || (s.starts_with('/') && s[1..].contains('/')))
                && (t.start == 0 || !line[..t.start].ends_with(|c: char| c.is_alphanumeric()))
        });
        let outside_folder = tokens.iter().any(|t| {
            t.text.contains('/')
                && !t.text.starts_with('/')
                && self.elsewhere.folders.contains(
                    t.text
                        .trim_start_matches("./")
                        .split('/')
                        .next()
                        .unwrap_or(""),
                )
        });
        let lower = text.to_lowercase();
        let place = self.elsewhere.places.iter().any(|p| {
            lower.match_indices(p.as_str()).any(|(i, _)| {
                let before = lower[..i].chars().next_back();
                let after = lower[i + p.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
            })
        });
        absolute || outside_folder || place || NOT_IN_GIT.get().is_some_and(|re| re.is_match(text))
    }

    /// The path a token names when it is missing from the project, with where it is now if known.
    fn stale(
        &mut self,
        line: &str,
        clause: &str,
        t: &Token,
        code: &[std::ops::Range<usize>],
        doc_elsewhere: bool,
    ) -> Option<(String, Option<Moved>)> {
        let raw = t.text.trim_end_matches(['.', ',', '?', '!', ':', ';']);
        let end = t.start + raw.len();
        if raw.starts_with(['/', '~', '$', '%', '@'])
            || raw.contains(['*', '?', '{', '}', '[', ']', '$', '%'])
            || raw.starts_with("../")
            || !raw.is_ascii()
        {
            return None;
        }
        let before = &line[..t.start];
        let after = &line[end..];
        if placeholder(raw, before, after)
            || historical(clause, before, after, t)
            || removal_elsewhere_on_line(line, raw)
        {
            return None;
        }
        if !raw.contains('/') {
            return if doc_elsewhere {
                None
            } else {
                self.stale_bare_name(raw, t, code, line)
            };
        }
        let path = raw.trim_start_matches("./");
        let folder = path.ends_with('/');
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        if segments.iter().any(|s| {
            s.is_empty() || *s == "." || *s == ".." || !s.bytes().any(|b| b.is_ascii_alphabetic())
        }) {
            return None;
        }
        let first = segments[0];
        let last = segments[segments.len() - 1];
        let domain_like = first.contains('.') && !first.starts_with('.');
        let memory_file = self.memory_files.contains(path)
            || (first == TEAM_DIR && MemoryPath::parse(path).is_ok());
        if domain_like || memory_file || GENERATED.contains(&first) {
            return None;
        }
        // `inf/负` or `Latest/"Recently`: a word list, not a folder.
        if folder && after.starts_with(|c: char| !c.is_whitespace() && !"`),.;:*'’".contains(c)) {
            return None;
        }
        let known_extension = extension(last).is_some_and(|e| EXTENSIONS.contains(&e.as_str()));
        let path_like =
            known_extension || (t.in_code && (folder || self.project.has_dir_named(first)));
        if !path_like
            || !self.project.has_dir_named(first)
            || self.elsewhere.folders.contains(first)
        {
            return None;
        }
        if self.present(path, known_extension) {
            return None;
        }
        Some((path.to_string(), self.project.moved(path)))
    }

    /// A bare source file name in backticks (`` `walk_effects.rs` ``) that no file of the project has.
    fn stale_bare_name(
        &mut self,
        raw: &str,
        t: &Token,
        code: &[std::ops::Range<usize>],
        line: &str,
    ) -> Option<(String, Option<Moved>)> {
        // The whole code span must be the name (an optional `:line` after it).
        let span = code.iter().find(|s| s.start < t.start && t.end <= s.end)?;
        let inner = line[span.start..span.end].trim_matches('`');
        let name_only = inner == raw
            || inner.strip_prefix(raw).is_some_and(|rest| {
                rest.starts_with(':') && rest[1..].bytes().all(|b| b.is_ascii_digit() || b == b'-')
            });
        let ext = extension(raw)?;
        if !name_only
            || !CODE_EXTENSIONS.contains(&ext.as_str())
            || !self.project.has_extension(&ext)
            || raw.starts_with('.')
        {
            return None;
        }
        if self.memory_files.contains(raw)
            || self.elsewhere.files.contains(raw)
            || self.project.has_name(raw)
            || self.present(raw, true)
        {
            return None;
        }
        Some((raw.to_string(), self.project.moved(raw)))
    }

    /// Whether the project has `path`: at the root, as a suffix of a path at any depth, git-ignored, or,
    /// for a dotted code reference, as its module file.
    fn present(&mut self, path: &str, known_extension: bool) -> bool {
        if let Some(&known) = self.present.get(path) {
            return known;
        }
        let p = self.project;
        let found = p.exists(path)
            || !p.with_suffix(path).is_empty()
            || p.is_ignored(path)
            || (!known_extension && module_file_exists(p, path));
        self.present.insert(path.to_string(), found);
        found
    }
}

/// `lib/service.delete_match`: the module `lib/service.<ext>` exists.
fn module_file_exists(p: &Project, path: &str) -> bool {
    let (folder, last) = path.rsplit_once('/').unwrap_or(("", path));
    let Some((module, _)) = last.split_once('.') else {
        return false;
    };
    let base = if folder.is_empty() {
        module.to_string()
    } else {
        format!("{folder}/{module}")
    };
    p.exists(&base)
        || CODE_EXTENSIONS.iter().any(|e| {
            let f = format!("{base}.{e}");
            p.exists(&f) || !p.with_suffix(&f).is_empty()
        })
}

/// The lower-case extension of a file name, when it has one.
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// `path/to/x`, `your/...`, `<name>`, `xxx`, `foo/bar`, `example`, a count before a name used as a pattern
/// (`~42 tests/helpers.rs files`), an attribute value (`dir="./out/"`).
fn placeholder(raw: &str, before: &str, after: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    let lead = before.trim_end_matches('`');
    let word = lead
        .trim_end()
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("");
    let digits = word.trim_start_matches('~');
    let counted = lead.ends_with(char::is_whitespace)
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit());
    lower.starts_with("path/to/")
        || lower.starts_with("your/")
        || lower.contains("xxx")
        || lower.contains("foo/bar")
        || lower.contains("example")
        || before.ends_with('<')
        || after.starts_with('>')
        || before.ends_with("=\"")
        || before.ends_with("='")
        || counted
}

/// The byte range of the clause of `line` around `start..end`: up to the nearest `;`, `。` or end of a
/// sentence on either side, so one long paragraph-line is judged part by part.
fn clause(line: &str, start: usize, end: usize) -> (usize, usize) {
    const SEPS: [&str; 6] = ["; ", "；", "。", ". ", "! ", "? "];
    let from = SEPS
        .iter()
        .filter_map(|s| line[..start].rfind(s).map(|i| i + s.len()))
        .max()
        .unwrap_or(0);
    let to = SEPS
        .iter()
        .filter_map(|s| line[end..].find(s).map(|i| end + i))
        .min()
        .unwrap_or(line.len());
    (from, to)
}

/// Whether another clause of `line` records the removal of what `raw` names (its last name is in a
/// clause with a removal word: "`ops/derived/` ... (derived layer deleted 2026-07-07)").
fn removal_elsewhere_on_line(line: &str, raw: &str) -> bool {
    let name = raw.trim_end_matches('/').rsplit('/').next().unwrap_or(raw);
    let stem = name.split('.').next().unwrap_or(name);
    if stem.chars().count() < 3 {
        return false;
    }
    let Some(re) = REMOVAL.get() else {
        return false;
    };
    re.find_iter(line).any(|m| {
        let (from, to) = clause(line, m.start(), m.end());
        line[from..to].contains(stem) && !line[from..to].contains(raw)
    })
}

/// Whether the token is stated as history: struck through, the old side of an arrow, or in a clause that
/// records a removal.
fn historical(line: &str, before: &str, after: &str, t: &Token) -> bool {
    let struck = before.matches("~~").count() % 2 == 1;
    let next = after.trim_start_matches(['`', ' ', '*']);
    let old_side = next.starts_with('→')
        || next.starts_with("->")
        || next.starts_with("=>")
        || t.text.ends_with('-') && next.starts_with('>');
    // The words of paths (`src/gone.ts`) say nothing about removal.
    let rest = match TOKEN.get() {
        Some(re) => re
            .replace_all(line, |c: &regex::Captures| {
                if c[0].contains(['/', '.']) {
                    " ".to_string()
                } else {
                    c[0].to_string()
                }
            })
            .into_owned(),
        None => line.to_string(),
    };
    struck || old_side || REMOVAL.get().is_some_and(|re| re.is_match(&rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for d in [
            ".git",
            "src/routes",
            "scripts",
            "docs",
            ".github/workflows",
            "runner/src/invariants/screenshot",
            "web/src/context",
            "game/src/walls/core",
            "lib",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap_or_else(|e| panic!("{e}"));
        }
        for f in [
            "src/server.ts",
            "src/routes/expenses.ts",
            "scripts/codegen.sh",
            ".github/workflows/ci.yml",
            "runner/Cargo.toml",
            "runner/src/coverage.rs",
            "web/src/context/Character.js",
            "lib/match_service.py",
            ".gitignore",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(dir.path().join(".gitignore"), "/local/\n*.sql\n")
            .unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    /// (line, path, now_at) of each stale path in `text`, the memory holding also `others`.
    fn stale_in(text: &str, others: &[&str]) -> Vec<(usize, String, Option<String>)> {
        let p = project();
        let project = Project::open(p.path()).unwrap_or_else(|| panic!("no project"));
        let elsewhere = Elsewhere::from_texts(others.iter().copied().chain([text]), &project);
        let doc = Doc::new("notes.md", text, None, false);
        let mut checker = Checker::new(&project, &elsewhere, ["team/shared.md"]);
        checker
            .check(&doc)
            .into_iter()
            .map(|f| match f.evidence.map(|e| *e) {
                Some(Evidence::StalePath(e)) => (f.line, e.path, e.now_at),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn stale(text: &str) -> Vec<(usize, String)> {
        stale_in(text, &[])
            .into_iter()
            .map(|(l, p, _)| (l, p))
            .collect()
    }

    #[test]
    fn patterns_compile() {
        assert!(TOKEN.get().is_some() && REMOVAL.get().is_some() && NOT_IN_GIT.get().is_some());
    }

    #[test]
    fn reports_missing_files_and_folders_in_prose_code_spans_and_code_blocks() {
        let text = "- Entry point is `src/app.ts` (was src/app.ts:12), errors in src/routes/errorHandler.ts.\n\
                    - Build with ./scripts/build.sh, docs in docs/api.md and `src/middleware/`.\n\
                    ```sh\n\
                    bash scripts/seed.sh\n\
                    ```\n";
        assert_eq!(
            stale(text),
            [
                (1, "src/app.ts".to_string()),
                (1, "src/routes/errorHandler.ts".to_string()),
                (2, "scripts/build.sh".to_string()),
                (2, "docs/api.md".to_string()),
                (2, "src/middleware/".to_string()),
                (4, "scripts/seed.sh".to_string()),
            ]
        );
    }

    #[test]
    fn existing_paths_are_fine_also_under_a_sub_project_or_ignored() {
        let text = "Server in `src/server.ts`, routes in src/routes/expenses.ts and `src/routes/`, \
                    codegen in ./scripts/codegen.sh, CI in .github/workflows/ci.yml.\n\
                    Coverage in `src/coverage.rs` (the runner crate); `local/dump.sql` and `scripts/backup.sql` are local.\n\
                    Call `lib/match_service.delete_match` to undo.\n";
        assert_eq!(stale(text), []);
    }

    #[test]
    fn near_misses_are_not_paths() {
        let text = "See https://fastify.dev/docs/latest/Reference/Routes.md and github.com/acme/tally/blob/main/src/app.ts.\n\
                    Install @fastify/cors; use and/or; content type text/html; 24/7; 2026/03/16; req/s.\n\
                    Globs: src/**/*.test.ts and src/{a,b}.ts. Home: ~/notes/x.md. System: /etc/hosts/x.conf.\n\
                    Outside: ../tally-web/src/api.ts. Env: $HOME/bin/x.sh. Output: dist/server.js, node_modules/x/index.js.\n\
                    Memory links: [shared](team/shared.md), [gone](team/gone.md). Bare names: package.json, app.ts.\n\
                    Word lists: docs/skills, src/CLI, `docs/失败/push`, Décor/météo/événement, inf/负, `src/\"x\"`.\n\
                    Placeholders: `path/to/script.py`, `src/<name>.ts`, `docs/xxx.md`; ~42 `src/helpers.rs` files.\n";
        assert_eq!(stale(text), []);
    }

    #[test]
    fn a_first_folder_nowhere_in_the_tree_is_another_place() {
        let text = "Downloads land in `incomplete/album.flac`; data in `cc_all/feature.csv`; secrets in `hosts/a/b.nix`.\n";
        assert_eq!(stale(text), []);
    }

    #[test]
    fn folders_the_memory_places_outside_and_other_repositories_are_skipped() {
        let others = [
            "The framework lives in /usr/local/context/ on the server.\n",
            "Host config is in ~/infra/modules/x.nix.\n",
        ];
        let text = "Builtin modules in `context/data/module.py`.\n\
                    The sops file `scripts/app.env` (infra).\n\
                    Synced to /srv/share and `scripts/sync.sh` there.\n\
                    But `scripts/run.sh` is ours.\n";
        assert_eq!(
            stale_in(text, &others),
            [(4, "scripts/run.sh".to_string(), None)]
        );
    }

    #[test]
    fn history_is_not_a_claim_about_now() {
        let text = "- ~~`scripts/old.sh` does the import~~\n\
                    - `scripts/recheck.py` → `scripts/restage.py`\n\
                    - Deleted `scripts/legacy.py` and `docs/legacy.md`.\n\
                    - 删除 cli/refresh.py\n\
                    - Sample output (不进 git): `scripts/sample.sh`\n\
                    - Tree:\n\
                    ```\n\
                    ├── scripts/missing.sh\n\
                    ```\n";
        assert_eq!(stale(text), [(2, "scripts/restage.py".to_string())]);
    }

    #[test]
    fn moved_files_say_where_they_are_now() {
        let text = "- Walls in `game/src/walls/core.rs`.\n\
                    - Context in `context/Character.jsx`.\n\
                    - Screens in `src/invariants/screenshot.rs`.\n\
                    - Pipeline in `scripts/match_service.py`.\n\
                    - Hook in `scripts/pre-push.sh`, old one in `scripts/gone.sh`.\n";
        assert_eq!(
            stale_in(text, &[]),
            [
                (
                    1,
                    "game/src/walls/core.rs".to_string(),
                    Some("game/src/walls/core".to_string())
                ),
                (
                    2,
                    "context/Character.jsx".to_string(),
                    Some("web/src/context/Character.js".to_string())
                ),
                (
                    3,
                    "src/invariants/screenshot.rs".to_string(),
                    Some("runner/src/invariants/screenshot".to_string())
                ),
                (
                    4,
                    "scripts/match_service.py".to_string(),
                    Some("lib/match_service.py".to_string())
                ),
                (5, "scripts/pre-push.sh".to_string(), None),
                (5, "scripts/gone.sh".to_string(), None),
            ]
        );
    }

    #[test]
    fn bare_file_names_in_backticks_are_checked_by_name() {
        let text = "- `walk_effects.rs`: iterates directly; `server.ts` and `coverage.rs:12` are fine.\n\
                    - `config.yaml`, `notes.md` and plain walk_gone.rs are not checked; `screenshot.rs` became a folder.\n";
        assert_eq!(
            stale_in(text, &[]),
            [
                (1, "walk_effects.rs".to_string(), None),
                (
                    2,
                    "screenshot.rs".to_string(),
                    Some("runner/src/invariants/screenshot".to_string())
                ),
            ]
        );
    }
}
