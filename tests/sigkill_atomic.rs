//! A writer killed with SIGKILL in the middle of a large write leaves either the old file or one of the
//! new ones, byte for byte, never a part; and whatever it leaves behind is invisible to `list_memory`.
//!
//! The built binary is spawned as an MCP server, handed several writes of a file near the 256 KiB cap,
//! and killed at a random moment; this repeats many times on the same file.

use std::fs;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dream_mcp::MAX_FILE_BYTES;
use serde_json::json;

use crate::util::{Env, StdioServer};

/// Kills per test run.
const ITERATIONS: usize = 60;
/// Writes handed to each server before it is killed.
const WRITES_PER_SERVER: usize = 2;
const FILE: &str = "big.md";

/// A small xorshift generator: no dependency, and the seed is printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Distinct content number `n`, a few bytes under the cap; every line names `n`.
fn content(n: usize) -> String {
    let mut s = format!("---\nname: big\ndescription: version {n}\ntype: reference\n---\n");
    let target = MAX_FILE_BYTES - 16 - n % 7;
    let mut line = 0;
    while s.len() < target {
        let l = format!("version {n} line {line} {}\n", "x".repeat(60));
        if s.len() + l.len() > target {
            break;
        }
        s.push_str(&l);
        line += 1;
    }
    s
}

fn write_request(id: usize, n: usize) -> String {
    let msg = json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": "write_memory_file", "arguments": {"path": FILE, "content": content(n)}},
    });
    format!("{msg}\n")
}

fn started(env: &Env) -> StdioServer {
    let mut server = env.spawn_server();
    let init = server.handshake();
    assert_eq!(init["serverInfo"]["name"], "dream-mcp");
    server
}

/// Time for one server to complete `WRITES_PER_SERVER` writes, so kills can be spread over that window.
fn calibrate(env: &Env, first: usize) -> Duration {
    let mut server = started(env);
    let t = Instant::now();
    for k in 0..WRITES_PER_SERVER {
        let resp = server.request(
            10 + k as u64,
            "tools/call",
            json!({"name": "write_memory_file", "arguments": {"path": FILE, "content": content(first + k)}}),
        );
        assert_ne!(resp["result"]["isError"], true, "{resp}");
    }
    let elapsed = t.elapsed();
    assert!(server.finish());
    assert_eq!(
        env.get(FILE).as_deref(),
        Some(content(first + WRITES_PER_SERVER - 1).as_bytes())
    );
    elapsed
}

fn temp_files(env: &Env) -> Vec<String> {
    fs::read_dir(&env.memory)
        .expect("read memory dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != FILE)
        .collect()
}

/// Waits until a hidden file not in `before` appears in the memory directory (the writer's temporary
/// file), or `limit` passes.
fn wait_for_new_hidden_file(env: &Env, before: &[String], limit: Duration) {
    let t = Instant::now();
    while t.elapsed() < limit {
        if temp_files(env)
            .iter()
            .any(|n| n.starts_with('.') && !before.contains(n))
        {
            return;
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_killed_at_any_moment_leaves_the_old_or_a_new_file_never_a_part() {
    let env = Env::new();
    env.put(FILE, content(0));
    let window = calibrate(&env, 1);
    let mut next = 1 + WRITES_PER_SERVER;
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1;
    eprintln!("seed {seed}, {WRITES_PER_SERVER} writes take {window:?}");
    let mut rng = Rng(seed);
    let (mut unchanged, mut changed, mut mid_write) = (0, 0, 0);

    for iteration in 0..ITERATIONS {
        let old = env.get(FILE).expect("file exists");
        let leftovers = temp_files(&env);
        let mut server = started(&env);
        let batch: Vec<usize> = (next..next + WRITES_PER_SERVER).collect();
        next += WRITES_PER_SERVER;
        let mut stdin = server.take_stdin();
        let requests: Vec<String> = batch
            .iter()
            .enumerate()
            .map(|(k, &n)| write_request(100 + k, n))
            .collect();
        let writer = std::thread::spawn(move || {
            for r in requests {
                if stdin.write_all(r.as_bytes()).is_err() {
                    break; // killed while we were still sending
                }
            }
        });
        if iteration % 2 == 0 {
            // Any moment: parsing, journaling, writing, renaming, or after.
            let max = window.as_micros() as u64 * 11 / 10 + 1;
            std::thread::sleep(Duration::from_micros(rng.next() % max));
        } else {
            // Aimed at the write itself: soon after the temporary file appears.
            wait_for_new_hidden_file(&env, &leftovers, window);
            std::thread::sleep(Duration::from_micros(rng.next() % 3000));
        }
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reap");
        writer.join().expect("writer thread");

        let now = env.get(FILE).expect("the file never disappears");
        if now == old {
            unchanged += 1;
        } else {
            let which = batch.iter().find(|&&n| now == content(n).into_bytes());
            assert!(
                which.is_some(),
                "iteration {iteration} (seed {seed}): {FILE} is {} bytes and matches neither the old \
                 content nor any new one",
                now.len()
            );
            changed += 1;
        }
        if temp_files(&env).len() > leftovers.len() {
            mid_write += 1;
        }
    }
    eprintln!(
        "{ITERATIONS} kills: {unchanged} left the old file, {changed} a new one, {mid_write} landed \
         between creating the temporary file and renaming it"
    );
    assert!(
        unchanged > 0 && changed > 0 && mid_write > 0,
        "kills did not spread over the writes"
    );

    let client = env.client().await;
    let listed = client.ok("list_memory", json!({"files_limit": 10})).await;
    let files: Vec<&str> = listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(files, [FILE], "{listed}");
    assert_eq!(listed["skipped"], json!([]), "temporary files are visible");
    let (text, _) = client.read(FILE).await;
    assert!(text.starts_with("---\nname: big\n"));
}
