//! Concurrency: two servers on one memory directory while Claude Code holds the consolidation lock, and
//! eight writers racing on the same files with `expected_sha256`.
//!
//! No update may be lost: every accepted write was made against the content it expected (the accepted
//! writes of a file form one chain from its first content to its last), and every refused one says
//! conflict and names a hash the file really had. Claude Code's lock is never disturbed.
//! `DREAM_CONCURRENCY_RUNS=<n>` repeats the scenario (default 3).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dream_mcp::{lock, sha256_hex};
use serde_json::{Value, json};

use crate::util::{Env, tool_outcome, topic, write_lock};

const WRITERS: usize = 8;
const ROUNDS: usize = 12;
const FILES: [&str; 2] = ["a.md", "team/b.md"];

type Routes = Arc<Mutex<HashMap<u64, Sender<Value>>>>;

/// A server process shared by many threads: requests go out under a lock on stdin, and a reader thread
/// hands each response to the thread waiting for its id.
struct Shared {
    child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    routes: Routes,
    next_id: Mutex<u64>,
}

impl Shared {
    fn spawn(env: &Env) -> Arc<Shared> {
        let mut child = env
            .command_on_dirs()
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dream-mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let routes: Routes = Arc::default();
        let to = Arc::clone(&routes);
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).expect("JSON-RPC line");
                let sender = v["id"]
                    .as_u64()
                    .and_then(|id| to.lock().unwrap().remove(&id));
                if let Some(sender) = sender {
                    let _ = sender.send(v);
                }
            }
        });
        let server = Arc::new(Shared {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            routes,
            next_id: Mutex::new(1),
        });
        server.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "concurrency", "version": "0"}}),
        );
        server.notify("notifications/initialized");
        server
    }

    fn notify(&self, method: &str) {
        let mut stdin = self.stdin.lock().unwrap();
        writeln!(stdin, "{}", json!({"jsonrpc": "2.0", "method": method})).unwrap();
    }

    fn request(&self, method: &str, params: Value) -> Value {
        let id = {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            *next
        };
        let (tx, rx) = channel();
        self.routes.lock().unwrap().insert(id, tx);
        {
            let mut stdin = self.stdin.lock().unwrap();
            writeln!(
                stdin,
                "{}",
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            )
            .unwrap();
        }
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no response to {method} #{id}: {e}"))
    }

    /// Calls a tool: `Ok(structuredContent)` or `Err(error text)`.
    fn call(&self, tool: &str, args: Value) -> Result<Value, String> {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        tool_outcome(tool, &r)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// One write attempt and how it ended.
#[derive(Debug, Clone)]
enum Attempt {
    /// Accepted: the file went from `expected` to `new`, adding `line`.
    Accepted {
        file: &'static str,
        expected: String,
        new: String,
        line: String,
    },
    /// Refused as a conflict; the message named `current` as the file's hash.
    Conflict {
        file: &'static str,
        expected: String,
        current: String,
    },
}

/// The 64-hex hash after "the file is now" in a conflict message.
fn current_hash(msg: &str) -> String {
    let rest = msg
        .split_once("the file is now ")
        .unwrap_or_else(|| panic!("conflict without the current hash: {msg}"))
        .1;
    let hash: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
    assert_eq!(hash.len(), 64, "{msg}");
    hash
}

fn writer(server: Arc<Shared>, w: usize) -> Vec<Attempt> {
    let mut out = Vec::new();
    for round in 0..ROUNDS {
        let file = FILES[(w + round) % FILES.len()];
        let read = server
            .call("read_memory_file", json!({ "path": file }))
            .unwrap_or_else(|e| panic!("read {file}: {e}"));
        let content = read["content"].as_str().expect("content");
        let sha = read["sha256"].as_str().expect("sha256").to_string();
        let line = format!("writer {w} round {round}\n");
        let new_content = format!("{content}{line}");
        match server.call(
            "write_memory_file",
            json!({"path": file, "content": new_content, "expected_sha256": sha}),
        ) {
            Ok(v) => {
                assert_eq!(v["previous_sha256"], json!(sha), "{v}");
                out.push(Attempt::Accepted {
                    file,
                    expected: sha,
                    new: v["sha256"].as_str().expect("sha256").to_string(),
                    line,
                });
            }
            Err(msg) => {
                assert!(
                    msg.contains("conflict"),
                    "refused without a conflict: {msg}"
                );
                assert!(msg.contains(&format!("{file:?}")), "{msg}");
                out.push(Attempt::Conflict {
                    file,
                    current: current_hash(&msg),
                    expected: sha,
                });
            }
        }
    }
    out
}

/// Writes the lock the way Claude Code holds it: a live process's PID and a fresh mtime.
fn claude_code_lock(env: &Env) -> Child {
    let holder = Command::new("sleep").arg("120").spawn().expect("sleep");
    write_lock(&env.memory, holder.id(), Duration::from_secs(30));
    holder
}

/// Checks that the accepted writes to `file` form one chain from `initial` to the file's content now.
fn assert_no_lost_update(env: &Env, file: &str, initial: &[u8], attempts: &[Attempt]) -> usize {
    let mut next: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut states: BTreeSet<String> = BTreeSet::from([sha256_hex(initial)]);
    for a in attempts {
        if let Attempt::Accepted {
            file: f,
            expected,
            new,
            line,
        } = a
            && *f == file
        {
            let earlier = next.insert(expected, (new, line));
            assert!(
                earlier.is_none(),
                "lost update on {file}: two writes accepted against {expected}: {earlier:?} and {line:?}"
            );
            states.insert(new.clone());
        }
    }
    let mut content = String::from_utf8(initial.to_vec()).expect("UTF-8");
    let mut at = sha256_hex(initial);
    let mut steps = 0;
    while let Some((new, line)) = next.get(at.as_str()) {
        content.push_str(line);
        assert_eq!(sha256_hex(content.as_bytes()), *new, "{file}: chain broken");
        at = new.to_string();
        steps += 1;
    }
    assert_eq!(steps, next.len(), "{file}: accepted writes off the chain");
    let now = env.get(file).expect("file exists");
    assert_eq!(
        String::from_utf8_lossy(&now),
        content,
        "{file}: the content is not every accepted write in order"
    );
    for a in attempts {
        if let Attempt::Conflict {
            file: f,
            expected,
            current,
        } = a
            && *f == file
        {
            assert_ne!(expected, current, "{file}: conflict against the same hash");
            assert!(
                states.contains(current),
                "{file}: conflict named {current}, a hash the file never had"
            );
        }
    }
    steps
}

fn one_run() -> (usize, usize) {
    let env = Env::new();
    let mut initial = BTreeMap::new();
    for f in FILES {
        let content = topic(f, "shared by eight writers");
        env.put(f, &content);
        initial.insert(f, content.into_bytes());
    }
    env.put("MEMORY.md", "- [A](a.md) — a\n- [B](team/b.md) — b\n");
    let mut holder = claude_code_lock(&env);
    let lock_before = (
        fs::read(lock::lock_path(&env.memory)).expect("lock"),
        fs::metadata(lock::lock_path(&env.memory))
            .expect("lock")
            .modified()
            .expect("mtime"),
    );
    let servers = [Shared::spawn(&env), Shared::spawn(&env)];
    for s in &servers {
        let msg = s.call("start_dream", json!({})).expect_err("lock is held");
        assert!(
            msg.contains(&holder.id().to_string()) && msg.contains("held"),
            "{msg}"
        );
    }

    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let server = Arc::clone(&servers[w % servers.len()]);
            std::thread::spawn(move || writer(server, w))
        })
        .collect();
    let attempts: Vec<Attempt> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("writer thread"))
        .collect();

    let mut accepted = 0;
    for f in FILES {
        accepted += assert_no_lost_update(&env, f, &initial[f], &attempts);
    }
    let conflicts = attempts.len() - accepted;
    assert_eq!(attempts.len(), WRITERS * ROUNDS);
    assert!(accepted > 0, "no write was accepted");
    let runs = env.runs();
    assert_eq!(
        runs.len(),
        accepted,
        "every accepted write is one journaled run"
    );
    let lock_after = (
        fs::read(lock::lock_path(&env.memory)).expect("lock"),
        fs::metadata(lock::lock_path(&env.memory))
            .expect("lock")
            .modified()
            .expect("mtime"),
    );
    assert_eq!(lock_before, lock_after, "Claude Code's lock was disturbed");
    holder.kill().expect("kill holder");
    holder.wait().expect("reap holder");
    (accepted, conflicts)
}

#[test]
fn eight_writers_on_two_servers_lose_no_update_while_claude_code_holds_the_lock() {
    let runs: usize = std::env::var("DREAM_CONCURRENCY_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let (mut accepted, mut conflicts) = (0, 0);
    for _ in 0..runs {
        let (a, c) = one_run();
        accepted += a;
        conflicts += c;
    }
    eprintln!(
        "{runs} runs of {WRITERS} writers x {ROUNDS} rounds: {accepted} writes accepted, {conflicts} refused as conflicts"
    );
    assert!(
        conflicts > 0,
        "the writers never raced: the test proves nothing"
    );
}
