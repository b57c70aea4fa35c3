//! Crash safety: the built server (and the `undo` command) killed with SIGKILL at random points during
//! writes, deletes, index rewrites, finish_dream and undo.
//!
//! After every kill: each memory file holds either its content before the interrupted operation or after
//! it (never a mix, never a stray visible file); `dream-mcp history --json` parses; and `dream-mcp undo` of
//! the run the kill interrupted puts back that run's before-state, byte for byte.
//!
//! The seed is printed; `DREAM_CRASH_SEED=<n>` replays a run, `DREAM_CRASH_ITERATIONS=<n>` changes its
//! length (default 210).

use std::collections::BTreeMap;
use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::util::{Env, StdioServer, memory_files, topic};

/// The visible memory files (top level and `team/`), path to bytes. Hidden files (the lock, temporary
/// files of an interrupted write) are not memory content and are counted separately.
type Files = BTreeMap<String, Vec<u8>>;

fn files(env: &Env) -> Files {
    memory_files(&env.memory)
        .into_iter()
        .filter(|(path, _)| !path.starts_with('.') && !path.starts_with("team/."))
        .collect()
}

/// Hidden leftovers of interrupted atomic writes in the memory directory.
fn temp_leftovers(env: &Env) -> usize {
    [env.memory.clone(), env.memory.join("team")]
        .iter()
        .filter_map(|d| fs::read_dir(d).ok())
        .flatten()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().contains(".dream-tmp-"))
        })
        .count()
}

/// A small deterministic generator (SplitMix64), so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TOPICS: [&str; 4] = ["a.md", "b.md", "team/c.md", "d.md"];

/// One operation sent to the server, and the files it leaves when it succeeds.
#[derive(Debug, Clone)]
enum Op {
    Write(&'static str, String),
    Delete(&'static str),
    Index(String),
    Finish,
}

impl Op {
    fn request(&self) -> (&'static str, Value) {
        match self {
            Op::Write(path, content) => (
                "write_memory_file",
                json!({"path": path, "content": content}),
            ),
            Op::Delete(path) => ("delete_memory_file", json!({ "path": path })),
            Op::Index(content) => ("rewrite_index", json!({ "content": content })),
            Op::Finish => ("finish_dream", json!({"summary": "crash test"})),
        }
    }

    fn apply(&self, files: &mut Files) {
        match self {
            Op::Write(path, content) => {
                files.insert(path.to_string(), content.clone().into_bytes());
            }
            Op::Delete(path) => {
                files.remove(*path);
            }
            Op::Index(content) => {
                files.insert("MEMORY.md".to_string(), content.clone().into_bytes());
            }
            Op::Finish => {}
        }
    }
}

/// A random operation that succeeds on `files`: writes (small, or with `large` often near the size cap so
/// a kill can land inside the copy), deletes of existing topic files, and indexes linking only existing
/// files.
fn random_op(rng: &mut Rng, files: &Files, tag: usize, large: bool) -> Op {
    let existing: Vec<&'static str> = TOPICS
        .iter()
        .copied()
        .filter(|p| files.contains_key(*p))
        .collect();
    match rng.below(3) {
        1 if !existing.is_empty() => Op::Delete(existing[rng.below(existing.len())]),
        2 => Op::Index(
            existing
                .iter()
                .filter(|_| rng.below(2) == 0)
                .map(|p| format!("- [{p}]({p}) — op {tag}\n"))
                .collect(),
        ),
        _ => {
            let path = TOPICS[rng.below(TOPICS.len())];
            let size = if !large || rng.below(2) == 0 {
                rng.below(200)
            } else {
                150_000 + rng.below(100_000)
            };
            // Long lines: large enough for a kill to land inside the copy, few enough lines that the
            // run's diff stays cheap.
            let line = format!("op {tag} {}\n", "x".repeat(990));
            let filler = line.repeat(size / line.len() + 1);
            Op::Write(path, topic(&format!("op-{tag}"), &filler))
        }
    }
}

fn seed_files(env: &Env) -> Files {
    env.put("a.md", topic("a", "first"));
    env.put("b.md", topic("b", "second"));
    env.put("team/c.md", topic("c", "shared"));
    env.put(
        "MEMORY.md",
        "- [A](a.md) — a\n- [B](b.md) — b\n- [C](team/c.md) — c\n",
    );
    files(env)
}

fn call(server: &mut StdioServer, id: u64, op: &Op) {
    let (tool, args) = op.request();
    let resp = server.request(id, "tools/call", json!({"name": tool, "arguments": args}));
    assert_ne!(
        resp["result"]["isError"],
        json!(true),
        "{tool} failed before any kill: {resp}"
    );
}

/// Runs a CLI command on the environment's memory and journal; returns stdout, failing on a non-zero exit.
fn cli(env: &Env, args: &[&str]) -> String {
    let out = env.cli(args);
    assert!(
        out.status.success(),
        "dream-mcp {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// `history --json`, which must parse whatever state the kill left.
fn history(env: &Env) -> Vec<Value> {
    let text = cli(env, &["history", "--json"]);
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("history --json does not parse ({e}): {text}"));
    v.as_array().expect("history is an array").clone()
}

/// The open run the killed process `pid` left, if the kill landed while one was open.
fn interrupted_run(env: &Env, pid: u32) -> Option<String> {
    let open: Vec<String> = history(env)
        .into_iter()
        .filter(|r| r["status"] == "open" && r["pid"] == json!(pid))
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect();
    assert!(open.len() <= 1, "{pid} left several open runs: {open:?}");
    open.into_iter().next()
}

/// Asserts every file is in its state before or after the interrupted operation(s).
fn assert_old_or_new(now: &Files, old: &Files, new: &Files, context: &str) {
    let paths: std::collections::BTreeSet<&String> =
        now.keys().chain(old.keys()).chain(new.keys()).collect();
    for p in paths {
        let (n, o, w) = (now.get(p), old.get(p), new.get(p));
        assert!(
            n == o || n == w,
            "{context}: {p} is neither its old nor its new content ({} bytes; old {}, new {})",
            n.map_or(-1, |b| b.len() as i64),
            o.map_or(-1, |b| b.len() as i64),
            w.map_or(-1, |b| b.len() as i64),
        );
    }
}

fn assert_files(env: &Env, want: &Files, context: &str) {
    let now = files(env);
    assert!(
        &now == want,
        "{context}: files differ: now {:?}, want {:?}",
        now.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
}

#[derive(Debug, Default)]
struct Tally {
    iterations: usize,
    interrupted_runs: usize,
    untouched: usize,
    completed: usize,
    mixed: usize,
    temp_leftovers: usize,
    temp_after_recovery: usize,
}

impl Tally {
    fn outcome(&mut self, now: &Files, old: &Files, new: &Files) {
        if now == old && old != new {
            self.untouched += 1;
        } else if now == new {
            self.completed += 1;
        } else {
            self.mixed += 1;
        }
    }
}

/// Kills the server during operation `kill_at` of a random sequence, inside a dream or as single runs.
fn server_iteration(rng: &mut Rng, op_time: Duration, in_dream: bool, tally: &mut Tally) {
    let env = Env::new();
    let start = seed_files(&env);
    let mut server = env.server();
    let pid = server.child.id();
    let mut id = 1;
    if in_dream {
        let r = server.request(
            id,
            "tools/call",
            json!({"name": "start_dream", "arguments": {}}),
        );
        assert_ne!(r["result"]["isError"], json!(true), "{r}");
        id += 1;
    }
    let n = 1 + rng.below(5);
    let kill_at = rng.below(n + usize::from(in_dream));
    let mut states = vec![start.clone()];
    let mut ops = Vec::new();
    for k in 0..n {
        let op = random_op(rng, states.last().expect("a state"), k, k == kill_at);
        let mut next = states.last().expect("a state").clone();
        op.apply(&mut next);
        ops.push(op);
        states.push(next);
    }
    if in_dream {
        ops.push(Op::Finish);
        states.push(states.last().expect("a state").clone());
    }
    for op in &ops[..kill_at] {
        call(&mut server, id, op);
        id += 1;
    }
    let (tool, args) = ops[kill_at].request();
    server.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": args}}));
    let delay = op_time.mul_f64(rng.below(1200) as f64 / 1000.0);
    std::thread::sleep(delay);
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reap");
    let context = format!(
        "{} op {kill_at} of {} ({tool}) killed after {delay:?}",
        if in_dream { "dream" } else { "single" },
        ops.len()
    );

    let now = files(&env);
    let (old, new) = (&states[kill_at], &states[kill_at + 1]);
    assert_old_or_new(&now, old, new, &context);
    tally.outcome(&now, old, new);
    tally.temp_leftovers += temp_leftovers(&env);

    let before = if in_dream { &start } else { old };
    match interrupted_run(&env, pid) {
        Some(run) => {
            tally.interrupted_runs += 1;
            cli(&env, &["diff", &run, "--color", "never"]);
            cli(&env, &["undo", &run]);
            assert_files(&env, before, &format!("{context}: undo {run}"));
        }
        None if in_dream => {
            assert_eq!(
                kill_at,
                ops.len() - 1,
                "{context}: the dream's run is not open although finish_dream was never sent"
            );
            let dream = history(&env)
                .into_iter()
                .find(|r| r["kind"] == "dream")
                .expect("the finished dream run");
            cli(&env, &["undo", dream["id"].as_str().expect("id")]);
            assert_files(
                &env,
                &start,
                &format!("{context}: undo of the finished dream"),
            );
        }
        None => {}
    }
    history(&env);
    tally.temp_after_recovery += temp_leftovers(&env);
}

/// Finishes a random dream, then kills `dream-mcp undo` of it at a random point.
fn undo_iteration(rng: &mut Rng, undo_time: Duration, tally: &mut Tally) {
    let env = Env::new();
    seed_files(&env);
    let mut server = env.server();
    call(&mut server, 1, &Op::Write("x.md", String::new())); // a run that is not the target
    let before = files(&env);
    server.request(
        2,
        "tools/call",
        json!({"name": "start_dream", "arguments": {}}),
    );
    let mut after = before.clone();
    for k in 0..1 + rng.below(4) {
        let op = random_op(rng, &after, k, true);
        call(&mut server, 3 + k as u64, &op);
        op.apply(&mut after);
    }
    let report = server.request(
        9,
        "tools/call",
        json!({"name": "finish_dream", "arguments": {"summary": "to undo"}}),
    );
    let target = report["result"]["structuredContent"]["run_id"]
        .as_str()
        .expect("run id")
        .to_string();
    assert!(server.finish(), "server exits cleanly on EOF");

    let mut undo = env
        .command_on_dirs()
        .args(["undo", &target])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn undo");
    let pid = undo.id();
    let delay = undo_time.mul_f64(rng.below(1100) as f64 / 1000.0);
    std::thread::sleep(delay);
    let _ = undo.kill(); // it may have finished already
    undo.wait().expect("reap undo");
    let context = format!("undo of {target} killed after {delay:?}");

    let now = files(&env);
    assert_old_or_new(&now, &after, &before, &context);
    tally.outcome(&now, &after, &before);
    tally.temp_leftovers += temp_leftovers(&env);
    match interrupted_run(&env, pid) {
        Some(run) => {
            tally.interrupted_runs += 1;
            cli(&env, &["undo", &run]);
            assert_files(&env, &after, &format!("{context}: undo of the undo {run}"));
            cli(&env, &["undo", &target]);
        }
        None if now == after => {
            cli(&env, &["undo", &target]);
        }
        None => {}
    }
    assert_files(&env, &before, &format!("{context}: the target run undone"));
    history(&env);
    tally.temp_after_recovery += temp_leftovers(&env);
}

/// How long one large write takes end to end, and one undo command, on this machine now.
fn calibrate() -> (Duration, Duration) {
    let env = Env::new();
    let mut files = seed_files(&env);
    let mut server = env.server();
    let t = Instant::now();
    let mut rng = Rng(7);
    for k in 0..6 {
        let op = random_op(&mut rng, &files, k as usize, true);
        call(&mut server, 1 + k, &op);
        op.apply(&mut files);
    }
    let op_time = t.elapsed() / 6;
    drop(server);
    let t = Instant::now();
    cli(&env, &["undo"]);
    (op_time, t.elapsed())
}

#[test]
fn sigkill_at_random_points_leaves_old_or_new_content_and_an_undoable_journal() {
    let seed = std::env::var("DREAM_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos() as u64
        });
    let iterations: usize = std::env::var("DREAM_CRASH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(210);
    eprintln!("crash test seed {seed} (DREAM_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let (op_time, undo_time) = calibrate();
    let started = Instant::now();
    let mut tally = Tally::default();
    for i in 0..iterations {
        match i % 3 {
            0 => server_iteration(&mut rng, op_time, false, &mut tally),
            1 => server_iteration(&mut rng, op_time, true, &mut tally),
            _ => undo_iteration(&mut rng, undo_time, &mut tally),
        }
        tally.iterations += 1;
    }
    eprintln!(
        "{tally:?} in {:?} (op {op_time:?}, undo {undo_time:?})",
        started.elapsed()
    );
    assert!(tally.iterations >= 200);
    assert!(
        tally.interrupted_runs > 0,
        "no kill landed inside a run: the test did not test anything ({tally:?})"
    );
}
