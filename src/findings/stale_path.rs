//! `stale_path`: a path a memory names (`src/api/express.ts`, `./scripts/build.sh`, `docs/x.md`) that does
//! not exist in the project any more, so the note describes code that is gone.
//!
//! A token counts as a project path when it contains a `/` and either ends in a known file extension,
//! ends in `/`, or starts with a folder that exists in the project (so `and/or` and `text/html` are
//! words, not paths). Left alone: URLs and domains (`github.com/x`), globs, `~/`, absolute and `../`
//! paths, environment variables, scoped packages (`@fastify/cors`), files of the memory directory itself,
//! `team/<name>.md` links, and build output folders (`node_modules/`, `dist/`, `target/` ...), which come and go with builds.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::text::{Doc, LazyRegex, overlaps, url_spans};
use super::{Evidence, Finding, Kind, PathEvidence, Severity};
use crate::memory::dir::{MemoryPath, TEAM_DIR};

/// Characters a path token is made of (the rest of a line separates tokens).
static TOKEN: LazyRegex = LazyRegex::new(r"[A-Za-z0-9_.@~$%*?{}\[\]/+-]+");

/// Extensions that make a slash-separated token a file path.
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

/// Build output and dependency folders: never checked.
const GENERATED: &[&str] = &[
    "node_modules",
    "dist",
    "build",
    "out",
    "target",
    "coverage",
    ".next",
    ".nuxt",
    ".svelte-kit",
    ".turbo",
    ".cache",
    "vendor",
    "__pycache__",
    ".venv",
    "venv",
    ".git",
    "tmp",
];

/// Checks paths against one project directory, remembering what it has already looked up.
pub(crate) struct Checker<'a> {
    project: &'a Path,
    memory_files: HashSet<&'a str>,
    exists: HashMap<String, bool>,
    folders: RefCell<HashMap<String, bool>>,
}

impl<'a> Checker<'a> {
    /// A checker for `project`; `memory_files` (paths relative to the memory directory) are never paths
    /// of the project.
    pub(crate) fn new(project: &'a Path, memory_files: impl IntoIterator<Item = &'a str>) -> Self {
        Checker {
            project,
            memory_files: memory_files.into_iter().collect(),
            exists: HashMap::new(),
            folders: RefCell::new(HashMap::new()),
        }
    }

    /// The missing project paths named in `doc`'s body.
    pub(crate) fn check(&mut self, doc: &Doc) -> Vec<Finding> {
        let Some(re) = TOKEN.get() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for line in doc.body() {
            if !line.text.contains('/') {
                continue;
            }
            let urls = url_spans(line.text);
            let mut seen: Vec<&str> = Vec::new();
            for m in re.find_iter(line.text) {
                if overlaps(&m.range(), &urls) {
                    continue;
                }
                let Some(path) = self.candidate(m.as_str()) else {
                    continue;
                };
                if seen.contains(&path) || self.exists(path) {
                    continue;
                }
                seen.push(path);
                out.push(Finding {
                    kind: Kind::StalePath,
                    severity: Severity::Warning,
                    file: doc.file.to_string(),
                    line: line.number,
                    message: format!("`{path}` does not exist in the project"),
                    suggestion: Some(format!(
                        "find what replaced it (`git log --diff-filter=D --name-status -- {path}` shows when it went) and update the note, or drop it"
                    )),
                    evidence: Some(Evidence::StalePath(PathEvidence {
                        path: path.to_string(),
                        looked_in: self.project.display().to_string(),
                    })),
                });
            }
        }
        out
    }

    /// The project-relative path a token names, or `None` when it is not one worth checking.
    fn candidate<'t>(&self, token: &'t str) -> Option<&'t str> {
        let token = token.trim_end_matches(['.', ',', '?', '!']);
        if !token.contains('/')
            || token.starts_with(['/', '~', '$', '%', '@'])
            || token.contains(['*', '?', '{', '}', '[', ']', '$', '%'])
            || token.starts_with("../")
        {
            return None;
        }
        let path = token.trim_start_matches("./");
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        if segments.iter().any(|s| {
            s.is_empty() || *s == "." || *s == ".." || !s.bytes().any(|b| b.is_ascii_alphabetic())
        }) {
            return None;
        }
        let first = segments[0];
        let domain_like = first.contains('.') && !first.starts_with('.');
        let memory_file = self.memory_files.contains(path)
            || (first == TEAM_DIR && MemoryPath::parse(path).is_ok());
        if domain_like || memory_file || GENERATED.contains(&first) {
            return None;
        }
        let last = segments[segments.len() - 1];
        let known_extension = last.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        });
        let folder = path.ends_with('/');
        (known_extension || folder || self.is_project_folder(first)).then_some(path)
    }

    fn is_project_folder(&self, name: &str) -> bool {
        if let Some(&known) = self.folders.borrow().get(name) {
            return known;
        }
        let found = self.project.join(name).is_dir();
        self.folders.borrow_mut().insert(name.to_string(), found);
        found
    }

    fn exists(&mut self, path: &str) -> bool {
        if let Some(&known) = self.exists.get(path) {
            return known;
        }
        let found = self.project.join(path).try_exists().unwrap_or(true);
        self.exists.insert(path.to_string(), found);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for d in ["src/routes", "scripts", "docs", ".github/workflows"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap_or_else(|e| panic!("{e}"));
        }
        for f in [
            "src/server.ts",
            "src/routes/expenses.ts",
            "scripts/codegen.sh",
            ".github/workflows/ci.yml",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap_or_else(|e| panic!("{e}"));
        }
        dir
    }

    fn stale(text: &str) -> Vec<(usize, String)> {
        let p = project();
        let doc = Doc::new("notes.md", text, None, false);
        let mut checker = Checker::new(p.path(), ["team/shared.md"]);
        checker
            .check(&doc)
            .into_iter()
            .map(|f| match f.evidence {
                Some(Evidence::StalePath(e)) => (f.line, e.path),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn token_pattern_compiles() {
        assert!(TOKEN.get().is_some());
    }

    #[test]
    fn reports_missing_files_and_folders_in_prose_code_spans_and_code_blocks() {
        let text = "- Entry point is `src/app.ts` (was src/app.ts:12), errors in src/middleware/errorHandler.ts.\n\
                    - Build with ./scripts/build.sh, docs in docs/api.md and `src/middleware/`.\n\
                    ```sh\n\
                    bash scripts/seed.sh\n\
                    ```\n";
        assert_eq!(
            stale(text),
            [
                (1, "src/app.ts".to_string()),
                (1, "src/middleware/errorHandler.ts".to_string()),
                (2, "scripts/build.sh".to_string()),
                (2, "docs/api.md".to_string()),
                (2, "src/middleware/".to_string()),
                (4, "scripts/seed.sh".to_string()),
            ]
        );
    }

    #[test]
    fn existing_paths_are_fine() {
        let text = "Server in `src/server.ts`, routes in src/routes/expenses.ts and src/routes/, \
                    codegen in ./scripts/codegen.sh, CI in .github/workflows/ci.yml.\n";
        assert_eq!(stale(text), []);
    }

    #[test]
    fn near_misses_are_not_paths() {
        let text = "See https://fastify.dev/docs/latest/Reference/Routes.md and github.com/acme/tally/blob/main/src/app.ts.\n\
                    Install @fastify/cors; use and/or; content type text/html; 24/7; 2026/03/16; req/s.\n\
                    Globs: src/**/*.test.ts and src/{a,b}.ts. Home: ~/notes/x.md. System: /etc/hosts/x.conf.\n\
                    Outside: ../tally-web/src/api.ts. Env: $HOME/bin/x.sh. Output: dist/server.js, node_modules/x/index.js.\n\
                    Memory links: [shared](team/shared.md), [gone](team/gone.md). Bare names: package.json, app.ts.\n";
        assert_eq!(stale(text), []);
    }

    #[test]
    fn without_extension_only_paths_under_an_existing_folder_count() {
        assert_eq!(
            stale("client/server split; src/old_module is gone\n"),
            [(1, "src/old_module".to_string())]
        );
    }
}
