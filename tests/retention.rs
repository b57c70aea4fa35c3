//! Nothing forgotten unseen: the retention audit of a dream, finish_dream's refusal and
//! acknowledgements, and the safety net that records other writers' changes as `external` runs.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use dream_mcp::{
    Acknowledgement, Budget, Dreamer, Error, GateConfig, LocationOptions, Locations, Observation,
    RunKind, edit,
};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dream-mcp");

const DEPLOY: &str = "---\nname: deploy\ndescription: how we deploy\ntype: project\n---\nDeploy with `fly deploy` to the Fly.io app.\nThe API listens on port 8080.\nAsk @ali before touching PR #412.\n";
const INDEX: &str = "- [Deploy](deploy.md) — how we deploy\n- [Tools](tools.md) — tools\n";
const TOOLS: &str = "---\nname: tools\ndescription: tools\ntype: reference\n---\nWe use ripgrep.\n";

struct World {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    mem: PathBuf,
    journal: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        let mem = root.join("memory");
        fs::create_dir_all(&mem).unwrap();
        fs::create_dir_all(root.join("home")).unwrap();
        fs::create_dir_all(root.join("transcripts")).unwrap();
        fs::write(mem.join("deploy.md"), DEPLOY).unwrap();
        fs::write(mem.join("tools.md"), TOOLS).unwrap();
        fs::write(mem.join("MEMORY.md"), INDEX).unwrap();
        World {
            journal: root.join("journal"),
            mem,
            root,
            _tmp: tmp,
        }
    }

    fn locations(&self) -> Locations {
        LocationOptions {
            memory_dir: Some(self.mem.clone()),
            transcripts_dir: Some(self.root.join("transcripts")),
            journal_dir: Some(self.journal.clone()),
            project_dir: Some(self.root.clone()),
            home: Some(self.root.join("home")),
            config_dir: Some(self.root.join("home/.claude")),
            ..LocationOptions::default()
        }
        .resolve()
    }

    fn dreamer(&self) -> Dreamer {
        Dreamer::new(self.locations())
    }

    /// Runs the binary with the world's directories and a temporary HOME.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.command();
        cmd.args(args).stdin(Stdio::null());
        cmd.output().unwrap()
    }

    fn command(&self) -> Command {
        self.command_on(&self.mem)
    }

    /// The binary with `mem` as the memory directory and the world's other directories.
    fn command_on(&self, mem: &Path) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--memory-dir")
            .arg(mem)
            .arg("--journal-dir")
            .arg(&self.journal)
            .arg("--transcripts-dir")
            .arg(self.root.join("transcripts"))
            .arg("--project-dir")
            .arg(&self.root)
            .env("HOME", self.root.join("home"))
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CLAUDE_PROJECT_DIR")
            .current_dir(&self.root);
        cmd
    }

    /// The SessionStart hook's stdout.
    fn hook(&self) -> String {
        let out = self.cli(&["status", "--hook"]);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn stdout(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<_> = fs::read_dir(&self.mem)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

fn sha(bytes: &[u8]) -> String {
    dream_mcp::sha256_hex(bytes)
}

fn ack(specific: &str, reason: &str) -> Acknowledgement {
    Acknowledgement {
        specific: specific.to_string(),
        reason: reason.to_string(),
        evidence: Some("session 3, line 12".to_string()),
    }
}

/// Opens a dream and rewrites deploy.md without the port line.
fn dream_dropping_the_port(dreamer: &Dreamer) {
    dreamer.start(GateConfig::default()).unwrap();
    let merged = DEPLOY.replace("The API listens on port 8080.\n", "");
    dreamer
        .change("write deploy.md", |dir, run| {
            edit::write_file(
                dir,
                run,
                "deploy.md",
                &merged,
                Some(&sha(DEPLOY.as_bytes())),
                &[],
            )
        })
        .unwrap();
}

#[test]
fn a_dream_that_drops_a_fact_is_refused_until_it_acknowledges() {
    let w = World::new();
    let dreamer = w.dreamer();
    dream_dropping_the_port(&dreamer);
    let Err(Error::Forgotten { figure, forgotten }) = dreamer.finish("merged", &[]) else {
        panic!("finish_dream should refuse a dream that lost the port");
    };
    let lost: Vec<(&str, &str, usize)> = forgotten
        .iter()
        .map(|f| (f.specific.as_str(), f.file.as_str(), f.line))
        .collect();
    assert_eq!(
        lost,
        vec![("API", "deploy.md", 7), ("8080", "deploy.md", 7)]
    );
    assert!(figure.starts_with("kept "), "{figure}");
    // Still open: a stray acknowledgement is refused and the dream stays open.
    assert!(dreamer.finish("merged", &[ack("9090", "x")]).is_err());
    // One of two acknowledged: still refused, listing only the other.
    let Err(Error::Forgotten { forgotten, .. }) =
        dreamer.finish("merged", &[ack("8080", "superseded by fly.toml")])
    else {
        panic!("one unacknowledged specific left");
    };
    assert_eq!(forgotten.len(), 1);
    assert_eq!(forgotten[0].specific, "API");
    // A refusal lists only the first specifics, so acknowledgements come in rounds: the one given to the
    // refused call above stands, and this call acknowledges the rest.
    let report = dreamer
        .finish("merged", &[ack("API", "stale because the API was removed")])
        .unwrap();
    let retention = report.retention.expect("the report carries the audit");
    assert_eq!(retention.forgotten.len(), 2);
    assert!(retention.forgotten.iter().all(|f| f.reason.is_some()));
    assert_eq!(retention.kept + 2, retention.total);

    // The reasons are journaled and shown with the run.
    let history = w.stdout(&["history", "--forgotten"]);
    assert!(history.contains("superseded by fly.toml"), "{history}");
    assert!(history.contains("deploy.md:7"), "{history}");
    assert!(
        history.contains("evidence: session 3, line 12"),
        "{history}"
    );
    let diff = w.stdout(&["diff", "--forgotten", &report.run_id]);
    assert!(diff.contains("\"8080\""), "{diff}");
}

#[test]
fn a_dream_that_moves_facts_without_losing_any_finishes_at_once() {
    let w = World::new();
    let dreamer = w.dreamer();
    dreamer.start(GateConfig::default()).unwrap();
    let tools = format!("{TOOLS}Port 8080 serves the API; ask @ali about PR #412.\n");
    dreamer
        .change("write tools.md", |dir, run| {
            edit::write_file(
                dir,
                run,
                "tools.md",
                &tools,
                Some(&sha(TOOLS.as_bytes())),
                &[],
            )
        })
        .unwrap();
    let deploy = DEPLOY.replace(
        "The API listens on port 8080.\nAsk @ali before touching PR #412.\n",
        "",
    );
    dreamer
        .change("write deploy.md", |dir, run| {
            edit::write_file(
                dir,
                run,
                "deploy.md",
                &deploy,
                Some(&sha(DEPLOY.as_bytes())),
                &[],
            )
        })
        .unwrap();
    let report = dreamer.finish("moved the API notes", &[]).unwrap();
    let retention = report.retention.unwrap();
    assert!(retention.forgotten.is_empty(), "{retention:?}");
    assert_eq!(retention.kept, retention.total);
    assert!(retention.total >= 5, "{retention:?}");
}

#[test]
fn finish_dream_over_mcp_lists_forgotten_specifics_as_structured_content() {
    let w = World::new();
    let mut child = w
        .command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut id = 0;
    let mut request = |method: &str, params: Value| -> Value {
        id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(stdin, "{msg}").unwrap();
        if method == "initialize" {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            writeln!(
                stdin,
                "{}",
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
            )
            .unwrap();
            return serde_json::from_str(&line).unwrap();
        }
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "server closed");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == id {
                return v["result"].clone();
            }
        }
    };
    request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}),
    );
    let call = |request: &mut dyn FnMut(&str, Value) -> Value, name: &str, args: Value| {
        request("tools/call", json!({"name": name, "arguments": args}))
    };
    let started = call(&mut request, "start_dream", json!({}));
    assert_eq!(started["isError"], false, "{started}");
    let deleted = call(
        &mut request,
        "delete_memory_file",
        json!({"path": "deploy.md", "expected_sha256": sha(DEPLOY.as_bytes())}),
    );
    assert_eq!(deleted["isError"], false, "{deleted}");
    let refused = call(
        &mut request,
        "finish_dream",
        json!({"summary": "dropped deploy"}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    let forgotten = refused["structuredContent"]["forgotten"]
        .as_array()
        .unwrap()
        .clone();
    let names: Vec<&str> = forgotten
        .iter()
        .map(|f| f["specific"].as_str().unwrap())
        .collect();
    for s in ["fly deploy", "8080", "@ali", "PR #412"] {
        assert!(names.contains(&s), "{s} missing from {names:?}");
    }
    assert!(
        forgotten
            .iter()
            .all(|f| f["file"] == "deploy.md" && f["line"].as_u64().unwrap() >= 6)
    );
    let text = refused["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("8080") && text.contains("forgotten"),
        "{text}"
    );
    let acks: Vec<Value> = names
        .iter()
        .map(|s| json!({"specific": s, "reason": "stale because the app was shut down"}))
        .collect();
    let finished = call(
        &mut request,
        "finish_dream",
        json!({"summary": "dropped deploy", "forgotten": acks}),
    );
    assert_eq!(finished["isError"], false, "{finished}");
    let retention = &finished["structuredContent"]["retention"];
    assert_eq!(
        retention["kept"].as_u64().unwrap() + names.len() as u64,
        retention["total"].as_u64().unwrap()
    );
    drop(stdin);
    child.wait().unwrap();
}

/// Sets a file's modification time `ago` in the past.
fn age(path: &Path, ago: Duration) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - ago).unwrap();
}

#[test]
fn a_built_in_dream_is_recorded_at_the_next_session_start_and_undone_byte_for_byte() {
    let w = World::new();
    let lock = w.mem.join(".consolidate-lock");
    fs::write(&lock, "").unwrap();
    age(&lock, Duration::from_secs(3 * 86_400));
    // First session start: the baseline, nothing recorded, nothing said.
    assert_eq!(w.hook().trim(), "");
    assert!(w.dreamer().journal().runs().unwrap().is_empty());
    let before = w.files();

    // Claude Code's own dream, outside the server: one file merged, one deleted, the lock moved.
    fs::write(
        w.mem.join("tools.md"),
        format!("{TOOLS}Deploy with `fly deploy`.\n"),
    )
    .unwrap();
    fs::remove_file(w.mem.join("deploy.md")).unwrap();
    fs::write(w.mem.join("MEMORY.md"), "- [Tools](tools.md) — tools\n").unwrap();
    fs::write(&lock, "").unwrap();

    let said = w.hook();
    let runs = w.dreamer().journal().runs().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run.kind, RunKind::External);
    assert!(
        run.summary.starts_with("Claude Code's dream"),
        "{}",
        run.summary
    );
    assert_eq!(run.touched.len(), 3);
    let lost: Vec<&str> = run
        .retention
        .as_ref()
        .unwrap()
        .forgotten
        .iter()
        .map(|f| f.specific.as_str())
        .collect();
    assert!(lost.contains(&"8080") && lost.contains(&"@ali"), "{lost:?}");
    assert!(
        !lost.contains(&"fly deploy"),
        "moved to tools.md, so kept: {lost:?}"
    );
    // Told once, with the commands.
    let out: Value = serde_json::from_str(said.trim()).unwrap();
    let notice = out["systemMessage"].as_str().unwrap();
    assert!(
        notice.contains(&format!("history --forgotten {}", run.id)),
        "{notice}"
    );
    assert!(notice.contains(&format!("undo {}", run.id)), "{notice}");
    assert_eq!(w.hook().trim(), "", "said once only");
    assert_eq!(w.dreamer().journal().runs().unwrap().len(), 1);

    // Undo brings every byte back, and the undo is not itself taken for another writer's change.
    let undone = w.cli(&["undo", &run.id]);
    assert!(undone.status.success(), "{undone:?}");
    assert_eq!(w.files(), before);
    assert_eq!(w.hook().trim(), "");
    let kinds: Vec<RunKind> = w
        .dreamer()
        .journal()
        .runs()
        .unwrap()
        .iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds, vec![RunKind::External, RunKind::Undo]);
}

#[test]
fn hand_edits_are_recorded_as_external_and_nothing_when_nothing_changed() {
    let w = World::new();
    let dreamer = w.dreamer();
    assert!(matches!(
        dreamer.observe_external(Budget::default()).unwrap(),
        Observation::FirstLook
    ));
    assert!(matches!(
        dreamer.observe_external(Budget::default()).unwrap(),
        Observation::Unchanged
    ));
    // A touch without a change records nothing either.
    age(&w.mem.join("tools.md"), Duration::from_secs(60));
    assert!(matches!(
        dreamer.observe_external(Budget::default()).unwrap(),
        Observation::Unchanged
    ));
    assert!(dreamer.journal().runs().unwrap().is_empty());

    fs::write(w.mem.join("notes.md"), "A hand-written note about `jq`.\n").unwrap();
    let Observation::Recorded(run) = dreamer.observe_external(Budget::default()).unwrap() else {
        panic!("a new file is a change");
    };
    assert_eq!(run.kind, RunKind::External);
    assert!(
        run.summary.starts_with("auto-memory or a hand edit"),
        "{}",
        run.summary
    );
    assert_eq!(run.touched.len(), 1);
    assert_eq!(run.touched[0].path, "notes.md");

    // This program's own changes move the known state: they are never recorded twice.
    dreamer
        .change("write tools.md", |dir, run| {
            edit::write_file(
                dir,
                run,
                "tools.md",
                &format!("{TOOLS}And fd.\n"),
                Some(&sha(TOOLS.as_bytes())),
                &[],
            )
        })
        .unwrap();
    assert!(matches!(
        dreamer.observe_external(Budget::default()).unwrap(),
        Observation::Unchanged
    ));
    assert_eq!(dreamer.journal().runs().unwrap().len(), 2);
}

#[test]
fn a_huge_or_slow_directory_is_skipped_within_the_budget() {
    let w = World::new();
    let dreamer = w.dreamer();
    assert!(matches!(
        dreamer.observe_external(Budget::default()).unwrap(),
        Observation::FirstLook
    ));
    for i in 0..50 {
        fs::write(
            w.mem.join(format!("n{i}.md")),
            format!("note {i} about `x{i}`\n"),
        )
        .unwrap();
    }
    let few_files = Budget {
        files: 10,
        ..Budget::default()
    };
    assert!(matches!(
        dreamer.observe_external(few_files).unwrap(),
        Observation::Skipped(_)
    ));
    let no_time = Budget {
        time: Duration::ZERO,
        ..Budget::default()
    };
    assert!(matches!(
        dreamer.observe_external(no_time).unwrap(),
        Observation::Skipped(_)
    ));
    let few_bytes = Budget {
        bytes: 100,
        ..Budget::default()
    };
    assert!(matches!(
        dreamer.observe_external(few_bytes).unwrap(),
        Observation::Skipped(_)
    ));
    assert!(
        dreamer.journal().runs().unwrap().is_empty(),
        "nothing recorded when skipped"
    );
    // Within budget, the same change is recorded.
    assert!(matches!(
        dreamer.observe_external(Budget::default()).unwrap(),
        Observation::Recorded(_)
    ));

    // An unlistable memory path (a file where the folder should be) never fails the session start.
    let out = {
        let mut cmd = w.command_on(&w.mem.join("tools.md"));
        cmd.args(["status", "--hook"]);
        cmd.stdin(Stdio::null()).output().unwrap()
    };
    assert!(out.status.success(), "{out:?}");
}
