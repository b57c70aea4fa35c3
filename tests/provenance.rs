//! Provenance and transcript coverage on the fixture in `tests/fixtures/provenance/` (see its README):
//! sessions of one memory launched in the project, a subfolder and a worktree, in main and subagent
//! transcripts, with every shape of memory write Claude Code makes.

use std::fs;
use std::path::{Path, PathBuf};

use dream_mcp::provenance::{Provenance, Sources};
use dream_mcp::transcripts::GrepRequest;
use dream_mcp::{
    Control, GateConfig, LocationOptions, Locations, Query, gate, grep_folders, project_folder,
};

use crate::util::{repo, write_file};

const S1: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const S2: &str = "b2b2b2b2-0000-4000-8000-000000000002";
const S3: &str = "c3c3c3c3-0000-4000-8000-000000000003";

/// The fixture laid out as Claude Code would have it: a git root with a linked worktree, another project
/// whose folder name starts with the root's slug, and their transcript folders under the config home.
pub struct Fixture {
    _t: tempfile::TempDir,
    pub home: PathBuf,
    pub root: PathBuf,
    pub wt: PathBuf,
    pub other: PathBuf,
    pub config: PathBuf,
    pub memory: PathBuf,
    pub cache: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let t = tempfile::tempdir().expect("temp dir");
        let base = fs::canonicalize(t.path()).expect("canonical temp dir");
        let home = base.join("home");
        let config = home.join(".claude");
        let root = base.join("work/app");
        let wt = base.join("work/app-wt");
        let other = base.join("work/app-other");
        fs::create_dir_all(root.join(".git/worktrees/wt")).unwrap();
        fs::create_dir_all(root.join("web")).unwrap();
        fs::create_dir_all(&wt).unwrap();
        fs::create_dir_all(&other).unwrap();
        fs::write(
            root.join(".git/worktrees/wt/gitdir"),
            format!("{}\n", wt.join(".git").display()),
        )
        .unwrap();
        fs::write(root.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", root.join(".git/worktrees/wt").display()),
        )
        .unwrap();
        let projects = config.join("projects");
        let memory = project_folder(&projects, &root).join("memory");
        let src = repo().join("tests/fixtures/provenance");
        let subst = |text: String| {
            text.replace("@ROOT@", &root.display().to_string())
                .replace("@WT@", &wt.display().to_string())
                .replace("@OTHER@", &other.display().to_string())
                .replace("@MEM@", &memory.display().to_string())
        };
        for (name, launched) in [
            ("own", root.clone()),
            ("sub", root.join("web")),
            ("worktree", wt.clone()),
            ("other", other.clone()),
        ] {
            copy(
                &src.join(name),
                &project_folder(&projects, &launched),
                &subst,
            );
        }
        copy(&src.join("memory"), &memory, &subst);
        Fixture {
            cache: base.join("cache"),
            _t: t,
            home,
            root,
            wt,
            other,
            config,
            memory,
        }
    }

    /// The locations of a session launched in `launched`.
    pub fn locations_in(&self, launched: &Path) -> Locations {
        LocationOptions {
            project_dir: Some(launched.to_path_buf()),
            config_dir: Some(self.config.clone()),
            home: Some(self.home.clone()),
            cwd: Some(launched.to_path_buf()),
            journal_dir: Some(self.home.join("journal")),
            ..LocationOptions::default()
        }
        .resolve()
    }

    pub fn locations(&self) -> Locations {
        self.locations_in(&self.root)
    }

    pub fn folder(&self, launched: &Path) -> PathBuf {
        project_folder(&self.config.join("projects"), launched)
    }

    pub fn build(&self) -> Provenance {
        let folders = self.locations().transcript_folders();
        Provenance::build(Sources {
            folders: &folders,
            memory_dir: &self.memory,
            cache_dir: Some(&self.cache),
            threads: 2,
        })
    }
}

/// Copies the tree `from` to `to`, passing every file's text through `subst`.
fn copy(from: &Path, to: &Path, subst: &dyn Fn(String) -> String) {
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &dest, subst);
        } else {
            let text = fs::read_to_string(e.path()).unwrap();
            write_file(&dest, subst(text).as_bytes());
        }
    }
}

fn grep(loc: &Locations, pattern: &str) -> dream_mcp::transcripts::GrepResult {
    let req = GrepRequest {
        pattern: Some(pattern.to_string()),
        ..GrepRequest::default()
    };
    let q = Query::new(&req, None).unwrap();
    grep_folders(&loc.transcript_folders(), &q, &Control::default()).unwrap()
}

#[test]
fn subfolder_and_worktree_sessions_belong_to_the_memory_and_a_prefix_twin_does_not() {
    let f = Fixture::new();
    let loc = f.locations();
    assert_eq!(loc.memory_dir, f.memory);
    let mut want = vec![f.folder(&f.root.join("web")), f.folder(&f.wt)];
    want.sort();
    want.insert(0, f.folder(&f.root));
    assert_eq!(loc.transcript_folders(), want);
    // The other project's folder name starts with the root's slug; its cwd says it is not ours.
    assert!(
        f.folder(&f.other)
            .to_string_lossy()
            .starts_with(&*f.folder(&f.root).to_string_lossy())
    );
    // Launched in the subfolder: its own folder first, the root's among the rest.
    let sub = f.locations_in(&f.root.join("web")).transcript_folders();
    assert_eq!(sub[0], f.folder(&f.root.join("web")));
    assert_eq!(sub.len(), 3, "{sub:?}");
    // An explicit transcripts directory is the only one.
    let mut o = LocationOptions {
        project_dir: Some(f.root.clone()),
        config_dir: Some(f.config.clone()),
        home: Some(f.home.clone()),
        ..LocationOptions::default()
    };
    o.transcripts_dir = Some(f.folder(&f.root));
    assert_eq!(o.resolve().transcript_folders(), vec![f.folder(&f.root)]);
}

#[test]
fn grep_and_the_gate_cover_every_folder_of_the_memory() {
    let f = Fixture::new();
    let loc = f.locations();
    let r = grep(&loc, "pnpm");
    assert_eq!(r.stats.folders.len(), 3, "{:?}", r.stats.folders);
    let hit = r
        .hits
        .iter()
        .find(|h| h.session_id.as_deref() == Some(S2))
        .expect("subfolder hit");
    let sub_name = f.folder(&f.root.join("web"));
    let sub_name = sub_name.file_name().unwrap().to_string_lossy();
    assert_eq!(hit.file, format!("../{sub_name}/{S2}.jsonl"));
    assert!(
        grep(&loc, "real database in a container")
            .hits
            .iter()
            .any(|h| h.session_id.as_deref() == Some(S3))
    );
    assert!(
        grep(&loc, "zebracorn").hits.is_empty(),
        "another project's session"
    );
    let g = gate::evaluate(
        &loc.memory_dir,
        &loc.transcript_folders(),
        GateConfig::default(),
        None,
        std::time::SystemTime::now(),
    );
    let mut ids: Vec<&str> = g.sessions_since.iter().map(|s| s.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, vec![S1, S2, S3]);
    assert_eq!(g.folders.len(), 3);
}

/// The origin of line `n` (from 1) of `file`: (session, tool, loose), or `None`.
fn origin_of(p: &Provenance, f: &Fixture, file: &str, n: usize) -> Option<(String, String, bool)> {
    let text = fs::read_to_string(f.memory.join(file)).unwrap();
    let fp = p.file(file, &text);
    let r = fp
        .ranges
        .iter()
        .find(|r| r.from <= n && n <= r.to)
        .expect("line in a range");
    r.origin.map(|o| {
        (
            fp.origins[o].session.clone(),
            fp.origins[o].tool.clone(),
            r.normalised,
        )
    })
}

fn some(s: &str, tool: &str, loose: bool) -> Option<(String, String, bool)> {
    Some((s.to_string(), tool.to_string(), loose))
}

#[test]
fn every_line_is_traced_to_the_earliest_write_that_holds_it() {
    let f = Fixture::new();
    let p = f.build();
    // deploy.md: Write, then a rejected Edit, the same Edit accepted, then a replace_all Edit.
    assert_eq!(origin_of(&p, &f, "deploy.md", 2), some(S1, "Write", false));
    assert_eq!(
        origin_of(&p, &f, "deploy.md", 8),
        some(S3, "Edit", true),
        "the replace_all fragment"
    );
    assert_eq!(origin_of(&p, &f, "deploy.md", 9), some(S1, "Edit", false));
    assert_eq!(origin_of(&p, &f, "deploy.md", 10), some(S1, "Write", false));
    assert_eq!(origin_of(&p, &f, "deploy.md", 11), None, "added by hand");
    let deploy = fs::read_to_string(f.memory.join("deploy.md")).unwrap();
    let fp = p.file("deploy.md", &deploy);
    let staging = fp.ranges.iter().find(|r| r.from == 9).unwrap();
    let o = &fp.origins[staging.origin.unwrap()];
    // The accepted edit, not the rejected one made five seconds earlier.
    assert_eq!(o.timestamp, "2026-03-02T10:00:10.000Z");
    assert_eq!(o.user.as_deref(), Some("staging moved: it is stage-3 now"));
    assert_eq!((fp.lines, fp.attributed), (10, 9));
    assert_eq!(fp.first_write.as_deref(), Some("2026-03-01T09:00:05.000Z"));
    assert_eq!(fp.last_write.as_deref(), Some("2026-03-04T15:00:10.000Z"));
    // testing.md: written by a subagent, later rewritten whole in the worktree.
    assert_eq!(origin_of(&p, &f, "testing.md", 8), some(S1, "Write", false));
    assert_eq!(origin_of(&p, &f, "testing.md", 9), some(S3, "Write", false));
    let testing = fs::read_to_string(f.memory.join("testing.md")).unwrap();
    let tp = p.file("testing.md", &testing);
    let sub = &tp.origins[tp.ranges[0].origin.unwrap()];
    assert_eq!(
        sub.user.as_deref(),
        Some("Record the testing conventions the user gave in memory.")
    );
    // web.md: only with whitespace normalised; MEMORY.md: Write, then MultiEdit from the subfolder.
    assert_eq!(origin_of(&p, &f, "web.md", 8), some(S2, "Write", true));
    assert_eq!(origin_of(&p, &f, "MEMORY.md", 1), some(S1, "Write", false));
    assert_eq!(origin_of(&p, &f, "MEMORY.md", 2), None);
    assert_eq!(
        origin_of(&p, &f, "MEMORY.md", 3),
        some(S2, "MultiEdit", false)
    );
    // Writes outside the memory and the other project's are not recorded.
    assert_eq!(p.stats.writes, 8, "{:?}", p.stats);
    assert_eq!(p.stats.transcripts, 4);
}

#[test]
fn a_repeat_reads_nothing_and_a_changed_transcript_is_read_again() {
    let f = Fixture::new();
    let first = f.build();
    assert_eq!(first.stats.scanned, 4);
    let again = f.build();
    assert_eq!((again.stats.scanned, again.stats.bytes_read), (0, 0));
    let deploy = fs::read_to_string(f.memory.join("deploy.md")).unwrap();
    assert_eq!(
        first.file("deploy.md", &deploy).ranges,
        again.file("deploy.md", &deploy).ranges
    );
    // A session goes on: only its transcript is read again.
    let session = f.folder(&f.root.join("web")).join(format!("{S2}.jsonl"));
    let mut text = fs::read_to_string(&session).unwrap();
    text.push_str("{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"more\"}}\n");
    fs::write(&session, text).unwrap();
    assert_eq!(f.build().stats.scanned, 1);
    // A damaged cache is ignored with a warning, and the answer is the same.
    for e in fs::read_dir(&f.cache).unwrap() {
        fs::write(
            e.unwrap().path(),
            b"{\"version\":1,\"memory_dir\":\"x\",\"entries\":[{",
        )
        .unwrap();
    }
    let rebuilt = f.build();
    assert_eq!(rebuilt.stats.scanned, 4);
    assert!(
        rebuilt.stats.warnings.iter().any(|w| w.contains("ignored")),
        "{:?}",
        rebuilt.stats.warnings
    );
    assert_eq!(
        first.file("deploy.md", &deploy).ranges,
        rebuilt.file("deploy.md", &deploy).ranges
    );
}

#[test]
fn hostile_transcripts_give_no_writes_outside_the_memory_and_do_not_stop_the_index() {
    let f = Fixture::new();
    let folder = f.folder(&f.root);
    let mem = f.memory.display().to_string();
    let call = |path: &str, content: &str| {
        serde_json::json!({"type":"assistant","sessionId":"e5e5e5e5-0000-4000-8000-000000000005","uuid":"u","timestamp":"2026-03-06T00:00:00.000Z","cwd":f.root,
            "message":{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"Write","input":{"file_path":path,"content":content}}]}})
        .to_string()
    };
    let lines = [
        "not json at all \"tool_use\" Write\"".to_string(),
        format!("{{\"type\":\"assistant\",\"x\":\"{}\"}}", "A".repeat(9 << 20)),
        call(&format!("{mem}/../escaped.md"), "Added by hand, in no transcript."),
        call("relative/deploy.md", "Added by hand, in no transcript."),
        call(&format!("{mem}/deploy.md"), "Added by hand, in no transcript."),
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":\"Write\",\"input\":7}]}}".to_string(),
        "{\"type\":\"assistant\",\"message\"".to_string(),
    ];
    write_file(
        &folder.join("e5e5e5e5-0000-4000-8000-000000000005.jsonl"),
        lines.join("\n").as_bytes(),
    );
    let p = f.build();
    // Only the well-formed write into the memory counts: the hand-added line is now traced to it.
    assert_eq!(p.stats.writes, 9, "{:?}", p.stats);
    let deploy = fs::read_to_string(f.memory.join("deploy.md")).unwrap();
    assert_eq!(p.file("deploy.md", &deploy).attributed, 10);
}

#[tokio::test]
async fn read_memory_file_gives_compact_provenance_and_list_memory_the_write_times() {
    let f = Fixture::new();
    let client = crate::util::Client::start(f.locations()).await;
    let plain = client
        .ok("read_memory_file", serde_json::json!({"path": "deploy.md"}))
        .await;
    assert!(plain.get("provenance").is_none(), "only when asked");
    let v = client
        .ok(
            "read_memory_file",
            serde_json::json!({"path": "deploy.md", "provenance": true}),
        )
        .await;
    let p = &v["provenance"];
    assert_eq!(
        (p["lines"].as_u64(), p["attributed"].as_u64()),
        (Some(10), Some(9))
    );
    let ranges = p["ranges"].as_array().unwrap();
    // Lines 1-7 come from one Write: one range, not seven entries.
    assert_eq!(
        (ranges[0]["from"].as_u64(), ranges[0]["to"].as_u64()),
        (Some(1), Some(6))
    );
    let first = &p["origins"][ranges[0]["origin"].as_u64().unwrap() as usize];
    assert_eq!(first["session"], S1);
    assert_eq!(first["tool"], "Write");
    assert!(
        first["user"]
            .as_str()
            .unwrap()
            .starts_with("remember: we deploy")
    );
    let list = client
        .ok("list_memory", serde_json::json!({"files_limit": 10}))
        .await;
    let times = list["write_times"].as_array().unwrap();
    let web = times.iter().find(|t| t["path"] == "web.md").unwrap();
    assert_eq!(web["first_write"], "2026-03-03T08:00:10.000Z");
    let index = times.iter().find(|t| t["path"] == "MEMORY.md").unwrap();
    assert_eq!(index["last_write"], "2026-03-03T08:00:05.000Z");
    // deploy.md's "Yesterday" is read against the day its line was written.
    let dated = list["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "relative_date" && x["file"] == "deploy.md")
        .expect("relative date in deploy.md");
    // list_memory leaves out evidence its message restates: the message carries the anchor.
    let message = dated["message"].as_str().unwrap();
    assert!(message.contains("2026-02-28"), "{dated}");
    assert!(
        message.contains("transcript that wrote the line"),
        "{dated}"
    );
}

/// The example's memory copied beside its transcripts, and `dream-mcp` run on them.
fn on_example(args: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let env = crate::util::Env::new();
    let t = tempfile::tempdir().unwrap();
    crate::util::copy_tree(&crate::util::example("messy-memory"), &env.memory, &|_| {
        false
    });
    let out = env
        .command()
        .arg("--memory-dir")
        .arg(&env.memory)
        .arg("--journal-dir")
        .arg(t.path().join("journal"))
        .arg("--transcripts-dir")
        .arg(crate::util::example("transcripts"))
        .env("DREAM_CACHE_DIR", t.path().join("cache"))
        .args(args)
        .output()
        .expect("run dream-mcp");
    (t, out)
}

#[test]
fn every_line_of_the_example_is_traced_and_its_yesterdays_resolve_from_the_write_times() {
    let names: Vec<String> = fs::read_dir(crate::util::example("messy-memory"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() > 10);
    for name in &names {
        let (_t, out) = on_example(&["blame", name, "--json"]);
        assert!(out.status.success(), "{}", crate::util::text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["lines"].as_u64().unwrap() > 0, "{name}");
        assert_eq!(v["attributed"], v["lines"], "{name}: {v}");
    }
    let (_t, out) = on_example(&["blame", "build-commands.md", "--color", "never"]);
    let text = crate::util::text(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("c71a5e93 2026-02-04 09:02 Edit")
                && l.ends_with("same TS2307, same fix.")),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    let (_t, out) = on_example(&["blame", "build-commands.md", "--color", "always"]);
    assert!(crate::util::text(&out.stdout).contains("\x1b[33m"));
    let (_t, out) = on_example(&[
        "check",
        &crate::util::example("messy-memory").display().to_string(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut resolved: Vec<(u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "relative_date" && f["file"] == "build-commands.md")
        .map(|f| {
            assert!(
                f["evidence"]["anchor_source"]
                    .as_str()
                    .unwrap()
                    .contains("transcript"),
                "{f}"
            );
            (
                f["line"].as_u64().unwrap(),
                f["evidence"]["resolved"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    resolved.sort();
    let want = [
        (9, "2026-02-10"),
        (15, "2026-01-20"),
        (17, "2026-02-03"),
        (18, "2026-02-03"),
        (20, "2026-03-02"),
        (25, "2026-02-24"),
    ];
    assert_eq!(
        resolved,
        want.iter()
            .map(|(l, d)| (*l, d.to_string()))
            .collect::<Vec<_>>(),
        "the dates the README gives for each event"
    );
}
