//! The retention audit of a run: the specifics its touched files held before it that appear nowhere
//! in the memory after it.
//!
//! A specific counts as kept when the touched files still hold it after the run (compared by
//! [`specifics::key`]) or when its text appears, case-insensitively and as a whole token, anywhere in
//! the memory after the run (a fact moved to another file, or reworded around the same name, is kept).
//! Files the run did not touch cannot lose anything, so only touched files are read for specifics; the
//! rest of the memory is searched only for the candidates, in one pass.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use crate::change::journal::{Journal, RunRecord};
use crate::error::{Error, Result};
use crate::memory::dir::{MemoryDir, MemoryPath};
use crate::memory::specifics::{self, Kind};

/// A specific the memory held before a run and does not hold after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Forgotten {
    /// The specific as it was written.
    pub specific: String,
    /// What kind of fact it is.
    pub kind: Kind,
    /// The file it was in, relative to the memory directory.
    pub file: String,
    /// Its 1-based line in that file before the run.
    pub line: usize,
    /// The earlier run that last wrote that file, when the journal knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
    /// Why it was let go, when the run acknowledged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What supports the reason (a file, a transcript line), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// A run's retention: how many of the specifics its touched files held survived it, and which did not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Retention {
    /// Distinct specifics the touched files held before the run.
    pub total: usize,
    /// How many of them the memory still holds after it.
    pub kept: usize,
    /// The others, in file and line order.
    pub forgotten: Vec<Forgotten>,
    /// Forgotten specifics an answer left out of `forgotten` (see [`Retention::capped`]); `dream-mcp
    /// history` lists them all.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub forgotten_omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Forgotten specifics a run's report names; the rest are counted.
pub const MAX_NAMED_FORGOTTEN: usize = 25;

/// A model's acknowledgement of one forgotten specific, passed to `finish_dream`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// As finish_dream listed it.
    pub specific: String,
    /// Why it can go: contradicted by..., superseded by..., stale because...
    pub reason: String,
    /// What shows it (a file, a transcript session).
    pub evidence: Option<String>,
}

/// One touched file's text before and after a run (`None`: it did not exist).
#[derive(Debug, Clone, Copy)]
pub struct Touched<'a> {
    /// Path relative to the memory directory.
    pub path: &'a str,
    /// Its text before the run.
    pub before: Option<&'a str>,
    /// Its text after the run.
    pub after: Option<&'a str>,
}

impl Retention {
    /// "kept 412 of 418 specifics", with the number acknowledged when some were.
    pub fn figure(&self) -> String {
        // Only a finished run's audit is capped, and a run finishes only once every forgotten specific is
        // acknowledged: the omitted ones are.
        let acknowledged =
            self.forgotten.iter().filter(|f| f.reason.is_some()).count() + self.forgotten_omitted;
        let mut s = format!("kept {} of {} specifics", self.kept, self.total);
        if acknowledged > 0 {
            s.push_str(&format!(", {acknowledged} let go with a reason"));
        }
        s
    }

    /// This audit naming at most [`MAX_NAMED_FORGOTTEN`] forgotten specifics, for a finished run's report.
    pub fn capped(&self) -> Retention {
        let mut out = self.clone();
        out.forgotten_omitted += out.forgotten.len().saturating_sub(MAX_NAMED_FORGOTTEN);
        out.forgotten.truncate(MAX_NAMED_FORGOTTEN);
        out
    }

    /// The forgotten specifics no acknowledgement covers.
    pub fn unacknowledged(&self) -> impl Iterator<Item = &Forgotten> {
        self.forgotten.iter().filter(|f| f.reason.is_none())
    }

    /// Attaches acknowledgements to the forgotten specifics they name (by [`specifics::key`]): `given`
    /// by this call, and `earlier` ones given to refused calls (a refusal lists only the first
    /// specifics, so they come in rounds). One of `given` naming nothing forgotten is refused, so a
    /// misspelt specific is not silently ignored while the real one stays unacknowledged; an earlier one
    /// that names nothing forgotten any more (the specific was restored) is dropped, and `given` wins over
    /// `earlier`. Returns the acknowledgements in force, to carry to the next call.
    pub fn acknowledge(
        &mut self,
        earlier: &[Acknowledgement],
        given: &[Acknowledgement],
    ) -> Result<Vec<Acknowledgement>> {
        if let Some(empty) = given.iter().find(|a| a.reason.trim().is_empty()) {
            return Err(Error::Parameter {
                name: "forgotten",
                rule: format!(
                    "the reason for {:?} is empty; say why it can go",
                    empty.specific
                ),
            });
        }
        let listed: HashSet<String> = self
            .forgotten
            .iter()
            .map(|f| specifics::key(&f.specific))
            .collect();
        if let Some(stray) = given
            .iter()
            .find(|a| !listed.contains(&specifics::key(&a.specific)))
        {
            return Err(Error::Parameter {
                name: "forgotten",
                rule: format!(
                    "{:?} is not among the forgotten specifics; pass them as finish_dream listed them",
                    stray.specific
                ),
            });
        }
        // Later wins: `given` is inserted after `earlier`.
        let mut by_key: HashMap<String, &Acknowledgement> = HashMap::new();
        for ack in earlier.iter().chain(given) {
            let key = specifics::key(&ack.specific);
            if listed.contains(&key) {
                by_key.insert(key, ack);
            }
        }
        for f in &mut self.forgotten {
            if let Some(ack) = by_key.get(&specifics::key(&f.specific)) {
                f.reason = Some(ack.reason.clone());
                f.evidence = ack.evidence.clone();
            }
        }
        Ok(by_key.into_values().cloned().collect())
    }
}

/// The text of every file in the memory now (MEMORY.md and the topic files), lossily decoded. Files
/// that cannot be read (over the size cap, vanished) are left out: they hold nothing the tools see; a
/// directory that cannot be listed gives nothing, so every candidate counts as forgotten.
pub fn memory_texts(dir: &MemoryDir) -> Vec<String> {
    let mut paths = vec![MemoryPath::index()];
    match dir.list() {
        Ok(listing) => paths.extend(listing.files),
        Err(e) => tracing::warn!("retention audit: cannot list the memory directory: {e}"),
    }
    paths
        .iter()
        .filter_map(|p| dir.read_opt(p).ok().flatten())
        .map(crate::memory::dir::into_text)
        .collect()
}

/// For each path, the newest run in `runs` (other than `except`) that left it existing: where the
/// file's current content came from, as far as the journal knows.
pub fn provenance(runs: &[RunRecord], except: &str) -> HashMap<String, String> {
    let mut by_path = HashMap::new();
    for r in runs.iter().filter(|r| r.id != except) {
        for t in &r.touched {
            if t.after.as_ref().is_some_and(|a| a.sha256.is_some()) {
                by_path.insert(t.path.clone(), r.id.clone());
            }
        }
    }
    by_path
}

/// The retention audit of `run` (open or closed) against the memory as it is now: its touched files'
/// before-images from the journal, against every file in `dir`.
pub fn of_run(journal: &Journal, dir: &MemoryDir, run: &RunRecord) -> Result<Retention> {
    let mut images = Vec::new();
    for t in &run.touched {
        let before = journal.image(&run.id, &t.before)?;
        let after = dir.read_opt(&MemoryPath::parse(&t.path)?)?;
        images.push((t.path.as_str(), before, after));
    }
    of_images(journal, dir, &images, &run.id)
}

/// One touched file's path and its bytes before and after a change (`None`: absent).
pub type Image<'a> = (&'a str, Option<Vec<u8>>, Option<Vec<u8>>);

/// The retention audit of a change given as `(path, bytes before, bytes after)` per touched file,
/// against every file in `dir` now, with provenance from the journal's runs other than `run_id`.
pub fn of_images(
    journal: &Journal,
    dir: &MemoryDir,
    images: &[Image<'_>],
    run_id: &str,
) -> Result<Retention> {
    fn text(b: &Option<Vec<u8>>) -> Option<std::borrow::Cow<'_, str>> {
        b.as_deref().map(String::from_utf8_lossy)
    }
    let texts: Vec<_> = images
        .iter()
        .map(|(path, before, after)| (*path, text(before), text(after)))
        .collect();
    let touched: Vec<Touched<'_>> = texts
        .iter()
        .map(|(path, before, after)| Touched {
            path,
            before: before.as_deref(),
            after: after.as_deref(),
        })
        .collect();
    let origins = provenance(&journal.runs()?, run_id);
    Ok(audit(
        &touched,
        || memory_texts(dir),
        |path| origins.get(path).cloned(),
    ))
}

/// Whether `b` continues an ASCII token, so a match next to it is only part of a longer one.
fn continues_token(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The retention audit of a run that changed `touched`, with `memory_after` giving the text of every
/// file of the memory after it (touched or not; called only when some specific is not in the touched
/// files after the run). `provenance` names the earlier run that last wrote a file, when known.
pub fn audit(
    touched: &[Touched<'_>],
    memory_after: impl FnOnce() -> Vec<String>,
    provenance: impl Fn(&str) -> Option<String>,
) -> Retention {
    let mut seen = HashSet::new();
    let mut before = Vec::new();
    for t in touched {
        for s in t.before.map(specifics::extract).unwrap_or_default() {
            if seen.insert(specifics::key(&s.text)) {
                before.push((t.path, s));
            }
        }
    }
    let after_keys: HashSet<String> = touched
        .iter()
        .filter_map(|t| t.after)
        .flat_map(specifics::extract)
        .map(|s| specifics::key(&s.text))
        .collect();
    let candidates: Vec<usize> = (0..before.len())
        .filter(|&i| !after_keys.contains(&specifics::key(&before[i].1.text)))
        .collect();
    // A run of capitalised words may open with an ordinary word ("Uses Supabase"): its tail counts too.
    let mut needles = Vec::new();
    for (n, &i) in candidates.iter().enumerate() {
        let s = &before[i].1;
        needles.push((n, s.text.as_str()));
        if s.kind == Kind::Name
            && let Some((_, tail)) = s.text.split_once(char::is_whitespace)
        {
            needles.push((n, tail.trim_start()));
        }
    }
    let memory = if needles.is_empty() {
        Vec::new()
    } else {
        memory_after()
    };
    let hits = search(
        needles.iter().map(|(_, t)| *t),
        memory.iter().map(String::as_str),
    );
    let mut found = vec![false; candidates.len()];
    for ((n, _), hit) in needles.iter().zip(hits) {
        found[*n] |= hit;
    }
    let forgotten: Vec<Forgotten> = candidates
        .iter()
        .zip(found)
        .filter(|(_, found)| !found)
        .map(|(&i, _)| {
            let (file, s) = &before[i];
            Forgotten {
                specific: s.text.clone(),
                kind: s.kind,
                file: file.to_string(),
                line: s.line,
                provenance: provenance(file),
                reason: None,
                evidence: None,
            }
        })
        .collect();
    Retention {
        total: before.len(),
        kept: before.len() - forgotten.len(),
        forgotten,
        forgotten_omitted: 0,
    }
}

/// For each needle, whether it appears in some haystack, case-insensitively (ASCII) and not as part of
/// a longer ASCII token. One pass over the haystacks for all needles.
fn search<'a, 'n>(
    needles: impl Iterator<Item = &'n str>,
    haystacks: impl IntoIterator<Item = &'a str>,
) -> Vec<bool> {
    let needles: Vec<String> = needles
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut found = vec![false; needles.len()];
    if needles.is_empty() {
        return found;
    }
    let Ok(ac) = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&needles)
    else {
        return found;
    };
    let mut left = needles.len();
    for hay in haystacks {
        let bytes = hay.as_bytes();
        for m in ac.find_overlapping_iter(hay) {
            let i = m.pattern().as_usize();
            if found[i] {
                continue;
            }
            let n = needles[i].as_bytes();
            let open = !n.first().is_some_and(u8::is_ascii_alphanumeric)
                || !continues_token(m.start().checked_sub(1).and_then(|p| bytes.get(p)));
            let close = !n.last().is_some_and(u8::is_ascii_alphanumeric)
                || !continues_token(bytes.get(m.end()));
            if open && close {
                found[i] = true;
                left -= 1;
                if left == 0 {
                    return found;
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(before: &str, after: &str, rest: &[&str]) -> Retention {
        let touched = [Touched {
            path: "a.md",
            before: Some(before),
            after: Some(after),
        }];
        let mut memory: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
        memory.push(after.to_string());
        audit(&touched, || memory, |_| None)
    }

    #[test]
    fn a_dropped_fact_is_forgotten_with_its_line() {
        let r = run(
            "Deploys use `fly deploy`.\nThe API listens on port 8080.\n",
            "Deploys use `fly deploy`.\n",
            &[],
        );
        let lost: Vec<(&str, usize, &str)> = r
            .forgotten
            .iter()
            .map(|f| (f.specific.as_str(), f.line, f.file.as_str()))
            .collect();
        assert_eq!(lost, vec![("API", 2, "a.md"), ("8080", 2, "a.md")]);
        assert_eq!((r.kept, r.total), (1, 3));
    }

    #[test]
    fn a_fact_moved_to_another_file_or_reworded_is_kept() {
        let r = run(
            "Uses Supabase; limit 25,000 bytes.\n",
            "",
            &["The backend is supabase, and the cap is 25,000 bytes."],
        );
        assert_eq!(r.forgotten, vec![], "{r:?}");
        assert_eq!(r.kept, 2);
    }

    #[test]
    fn part_of_a_longer_token_does_not_count() {
        let r = run("Version v1.2 ships.\n", "", &["Version v1.25 ships."]);
        assert_eq!(r.forgotten.len(), 1, "{r:?}");
    }

    #[test]
    fn deleted_file_loses_everything_it_alone_held() {
        let touched = [Touched {
            path: "gone.md",
            before: Some("Ask @ali about PR #12.\n"),
            after: None,
        }];
        let r = audit(
            &touched,
            || vec!["unrelated".to_string()],
            |p| Some(format!("run-of-{p}")),
        );
        assert_eq!(r.kept, 0);
        assert_eq!(r.forgotten.len(), 2);
        assert_eq!(r.forgotten[0].provenance.as_deref(), Some("run-of-gone.md"));
    }

    #[test]
    fn acknowledgements_attach_and_strays_are_refused() {
        let mut r = run("Port 8080 and port 9090.\n", "", &[]);
        assert_eq!(r.unacknowledged().count(), 2);
        let ack = |s: &str| Acknowledgement {
            specific: s.to_string(),
            reason: "superseded by the config file".to_string(),
            evidence: None,
        };
        assert!(r.acknowledge(&[], &[ack("7070")]).is_err());
        assert_eq!(
            r.unacknowledged().count(),
            2,
            "a refused call changes nothing"
        );
        r.acknowledge(&[], &[ack("8080")]).unwrap();
        assert_eq!(r.unacknowledged().count(), 1);
        assert!(
            r.figure().contains("1 let go with a reason"),
            "{}",
            r.figure()
        );
    }
}
