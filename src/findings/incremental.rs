//! The findings of one write in time proportional to what changed: an analysis of the memory directory
//! kept between writes (each file's text, its statements' words, the absolute paths it names), brought up
//! to date by reading again only the files the kernel reports changed, or, where it cannot tell, those
//! whose stamp moved.

use std::path::Path;
use std::time::SystemTime;

use super::duplicate::{self, StatementWords, Vocabulary};
use super::project::Project;
use super::stale_path::{Elsewhere, Mentions};
use super::text::{self, Doc};
use super::{Evidence, Finding, content_checks, file_doc, index_doc, sort};
use crate::error::Result;
use crate::memory::digest::Digest256;
use crate::memory::dir::{INDEX_NAME, MemoryDir, Watcher};
use crate::memory::snapshot::{self, Loaded};

/// Words (and statements) the vocabulary may hold beyond those of the files it describes (those of
/// versions since rewritten) before it is rebuilt: bounds the memory of a long session.
const STALE_WORDS: usize = 200_000;

/// One memory directory as the findings of a write need it, kept up to date across writes.
#[derive(Default)]
pub struct Analysis {
    /// Which files changed since the last refresh, when the system says.
    watcher: Option<Watcher>,
    loaded: Loaded,
    vocabulary: Vocabulary,
    /// Per topic file, in the order of `loaded.files`: what was worked out of its version.
    files: Vec<Entry>,
    /// The same for MEMORY.md.
    index: Option<Entry>,
    /// The id the next entry gets in the vocabulary's index.
    next_id: u32,
}

impl std::fmt::Debug for Analysis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analysis")
            .field("files", &self.files.len())
            .field("words", &self.vocabulary.len())
            .finish_non_exhaustive()
    }
}

/// What one version of one file contributes.
struct Entry {
    /// Its id in the vocabulary's index.
    id: u32,
    /// The file, relative to the memory directory.
    path: String,
    sha256: Digest256,
    words: StatementWords,
    mentions: Mentions,
}

impl Analysis {
    /// Brings the analysis up to date with `dir`: the files the kernel reports changed (or, when it
    /// cannot tell, every file whose stamp moved) are read and analysed again, the removed ones dropped.
    pub fn refresh(&mut self, dir: &MemoryDir) -> Result<()> {
        let previous = std::mem::take(&mut self.loaded);
        let now = SystemTime::now();
        let changes = self.watcher.as_mut().and_then(|w| w.changes(dir));
        let loaded = match changes {
            Some(names) => snapshot::refresh_names(dir, previous, &names, now),
            None => {
                // Watch first: a change during the listing is then reported next time.
                self.watcher = dir.watch();
                snapshot::refresh(dir, previous, now)
            }
        };
        // The changes reported are spent: after a failure only a full listing can tell again.
        self.loaded = loaded.inspect_err(|_| self.watcher = None)?;
        let live: usize = self.files.iter().map(|e| e.words.len()).sum();
        let statements: usize = self.files.iter().map(|e| e.words.statements()).sum();
        if self.vocabulary.len() > live + STALE_WORDS
            || self.vocabulary.statements() > 2 * statements + STALE_WORDS
        {
            *self = Analysis {
                watcher: self.watcher.take(),
                loaded: std::mem::take(&mut self.loaded),
                ..Analysis::default()
            };
        }
        // Both are sorted by path: one merge pass pairs each file with what was worked out before.
        let mut old = std::mem::take(&mut self.files).into_iter().peekable();
        let mut gone = Vec::new();
        for f in &self.loaded.files {
            let path = f.path.as_str();
            while let Some(e) = old.next_if(|e| e.path.as_str() < path) {
                gone.push(e);
            }
            let entry = match old.next_if(|e| e.path == path) {
                Some(e) if e.sha256 == f.summary.sha256 => e,
                previous => {
                    gone.extend(previous);
                    let sha = f.summary.sha256;
                    Analysis::entry(
                        &mut self.vocabulary,
                        &mut self.next_id,
                        sha,
                        &file_doc(f, &f.text),
                    )
                }
            };
            self.files.push(entry);
        }
        gone.extend(old);
        let index_sha = self.loaded.index.as_deref().map(Digest256::of);
        if self.index.as_ref().map(|e| &e.sha256) != index_sha.as_ref() {
            gone.extend(self.index.take());
            let index_text = self.loaded.index.as_deref().map(String::from_utf8_lossy);
            if let Some((sha, text)) = index_sha.zip(index_text) {
                let doc = index_doc(&text, self.loaded.index_modified);
                let entry = Analysis::entry(&mut self.vocabulary, &mut self.next_id, sha, &doc);
                self.index = Some(entry);
            }
        }
        for e in &gone {
            self.vocabulary.remove(&e.words);
        }
        if self.vocabulary.dead() > live {
            let alive = self.positions();
            self.vocabulary
                .compact(|id| alive.get(id as usize).is_some_and(|p| p.is_some()));
        }
        Ok(())
    }

    /// What `doc` (the version with `sha256`) contributes, added to `vocabulary`'s index under the id
    /// `next_id` (then moved on).
    fn entry(
        vocabulary: &mut Vocabulary,
        next_id: &mut u32,
        sha256: Digest256,
        doc: &Doc,
    ) -> Entry {
        let id = *next_id;
        *next_id += 1;
        let words = vocabulary.statement_words(doc);
        vocabulary.add(id, &words);
        Entry {
            id,
            path: doc.file.to_string(),
            sha256,
            words,
            mentions: Mentions::of(doc.text),
        }
    }

    /// Per entry id: the entry's place among the index (when there is one) followed by the topic files,
    /// the order [`Analysis::duplicates`] reads them in; `None` for ids no longer kept.
    fn positions(&self) -> Vec<Option<usize>> {
        let mut at = vec![None; self.next_id as usize];
        for (i, e) in self.index.iter().chain(&self.files).enumerate() {
            at[e.id as usize] = Some(i);
        }
        at
    }

    /// The findings about what `content`, just written to `path` (relative to the memory directory),
    /// says: relative dates, stale paths looked for in `project_dir`, credentials, and facts it repeats
    /// from other files. Frontmatter problems are reported by the write itself; index problems are for
    /// list_memory. The file at `path` in the analysis is ignored; only the files holding a statement
    /// close enough to one of `content`'s are read for duplicates.
    pub fn for_write(
        &mut self,
        path: &str,
        content: &str,
        project_dir: Option<&Path>,
    ) -> Vec<Finding> {
        let today = text::local_date(SystemTime::now());
        let written = Doc::new(path, content, Some(today), path == INDEX_NAME);
        let project = project_dir.and_then(Project::open);
        let written_mentions = Mentions::of(content);
        let elsewhere = project.as_ref().map(|p| {
            let files = self.files.iter().map(|e| &e.mentions);
            Elsewhere::from_mentions(files.chain([&written_mentions]), p)
        });
        let mut out = content_checks(
            std::slice::from_ref(&written),
            &self.loaded.files,
            project.as_ref().zip(elsewhere.as_ref()),
        );
        out.extend(self.duplicates(written));
        sort(&mut out);
        out
    }

    /// The duplicate findings holding a statement of `written`.
    fn duplicates(&mut self, written: Doc) -> Vec<Finding> {
        let path = written.file;
        let focus = self.vocabulary.statement_words(&written);
        let positions = self.positions();
        // The index first (position 0), then the topic files: the order `collect` reads them in.
        let entries: Vec<&Entry> = self.index.iter().chain(&self.files).collect();
        let repeating = self.vocabulary.repeating(&focus, |id| {
            let at = positions.get(id as usize).copied().flatten()?;
            (entries[at].path != path).then(|| (at, &entries[at].words))
        });
        let index_text = self.loaded.index.as_deref().map(String::from_utf8_lossy);
        let first_file = usize::from(self.index.is_some());
        let mut docs: Vec<Doc> = repeating
            .into_iter()
            .filter_map(|at| match at.checked_sub(first_file) {
                Some(i) => self.loaded.files.get(i).map(|f| file_doc(f, &f.text)),
                None => index_text
                    .as_deref()
                    .map(|t| index_doc(t, self.loaded.index_modified)),
            })
            .collect();
        docs.push(written);
        duplicate::check_involving(&docs, docs.len() - 1)
            .into_iter()
            .filter(|f| match f.evidence.as_deref() {
                Some(Evidence::Duplicate(e)) => e.locations.iter().any(|l| l.file == path),
                _ => false,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const FACT_X: &str = "- The deploy script needs the staging token from vault before it runs.\n";
    const FACT_Y: &str = "- Integration tests require the local postgres container on port 5433.\n";

    fn files_named(findings: &[Finding]) -> Vec<String> {
        let mut files: Vec<String> = findings
            .iter()
            .filter_map(|f| match f.evidence.as_deref() {
                Some(Evidence::Duplicate(d)) => Some(d.locations.iter().map(|l| l.file.clone())),
                _ => None,
            })
            .flatten()
            .collect();
        files.sort();
        files.dedup();
        files
    }

    fn fresh(dir: &MemoryDir, path: &str, content: &str) -> Vec<Finding> {
        let mut analysis = Analysis::default();
        analysis.refresh(dir).unwrap_or_else(|e| panic!("{e}"));
        analysis.for_write(path, content, None)
    }

    /// Changes the files outside the analysis (one rewritten in place at the same length, one
    /// removed, one added, the index and a team file written) and checks that the kept analysis finds
    /// for a write exactly what a new one does, and that it saw each change.
    fn kept_analysis_follows_outside_changes(watch: bool) {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path();
        let write = |name: &str, text: &str| {
            fs::write(root.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let unrelated = "- Lunch is at noon on Fridays in the large meeting room downstairs.\n";
        write("a.md", &format!("# Notes\n\n{unrelated}"));
        write("b.md", &format!("# Notes\n\n{}", "x".repeat(FACT_Y.len())));
        write("c.md", &format!("# Deploy\n\n{FACT_X}"));
        let dir = MemoryDir::open(root).unwrap_or_else(|e| panic!("{e}"));
        let content = format!("# New\n\n{FACT_X}{FACT_Y}- Releases are cut on Thursdays.\n");
        let mut analysis = Analysis::default();
        let refresh = |analysis: &mut Analysis| {
            analysis.refresh(&dir).unwrap_or_else(|e| panic!("{e}"));
            if !watch {
                analysis.watcher = None;
            }
        };
        refresh(&mut analysis);
        #[cfg(target_os = "linux")]
        assert_eq!(analysis.watcher.is_some(), watch);
        let before = analysis.for_write("new.md", &content, None);
        assert_eq!(files_named(&before), ["c.md", "new.md"]);

        // Each fact also has a neighbour: one repeated as the last line of three files is boilerplate.
        write(
            "b.md",
            &format!("# Notes\n\n{FACT_Y}- Builds run on the second runner.\n"),
        );
        fs::remove_file(root.join("c.md")).unwrap_or_else(|e| panic!("{e}"));
        write("d.md", &format!("# Deploy, again\n\n{FACT_X}"));
        write(
            "MEMORY.md",
            "- [Deploy](d.md) — the deploy script needs the staging token\n",
        );
        fs::create_dir(root.join("team")).unwrap_or_else(|e| panic!("{e}"));
        write(
            "team/shared.md",
            &format!("# Shared\n\n{FACT_Y}- Reviews happen on Tuesdays.\n"),
        );
        refresh(&mut analysis);
        let after = analysis.for_write("new.md", &content, None);
        assert_eq!(
            files_named(&after),
            ["b.md", "d.md", "new.md", "team/shared.md"]
        );
        assert_eq!(after, fresh(&dir, "new.md", &content));

        // Once more with nothing changed but one file: the rest comes from what was kept.
        write(
            "a.md",
            &format!("# Notes\n\n- Staging is reset nightly.\n{FACT_X}- Ask ops for access.\n"),
        );
        refresh(&mut analysis);
        let last = analysis.for_write("new.md", &content, None);
        assert_eq!(
            files_named(&last),
            // The index line links d.md only: saying a.md's fact again is a duplicate of a.md.
            [
                "MEMORY.md",
                "a.md",
                "b.md",
                "d.md",
                "new.md",
                "team/shared.md"
            ]
        );
        assert_eq!(last, fresh(&dir, "new.md", &content));
    }

    #[test]
    fn a_kept_analysis_follows_outside_changes_told_by_the_kernel() {
        kept_analysis_follows_outside_changes(true);
    }

    #[test]
    fn a_kept_analysis_follows_outside_changes_found_by_stamps() {
        kept_analysis_follows_outside_changes(false);
    }

    #[test]
    fn a_write_ignores_the_previous_version_of_its_own_file() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        fs::write(tmp.path().join("new.md"), format!("# Old\n\n{FACT_X}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let dir = MemoryDir::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        let found = fresh(&dir, "new.md", &format!("# New\n\n{FACT_X}"));
        assert!(files_named(&found).is_empty(), "{found:?}");
    }
}
