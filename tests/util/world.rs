//! The fixture world every test works in, and the ways to reach the server in it: in process over an
//! in-memory pipe ([`Client`]), the built binary over raw JSON-RPC on stdio ([`StdioServer`]), or the binary
//! as a CLI ([`Env::cli`]). A snapshot of a tree ([`Tree`]) detects any change.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use dream_mcp::{
    DreamServer, Dreamer, Journal, LocationOptions, Locations, RunRecord, project_folder,
    sha256_hex,
};
use rmcp::model::{CallToolRequestParams, ServerPeerInfo, Tool};
use rmcp::service::RunningService;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};

use super::{binary, topic, write_file};

/// A temporary world laid out as Claude Code has it, so nothing resolves to the real `~/.claude`:
/// `home/` (HOME) with `home/.claude` (the config folder) and, in it, `projects/<slug>/` (the project's
/// transcripts); `project/` (the working directory of spawned binaries); `memory/` (the memory directory);
/// `outside/` (a sibling the tools must never touch); `journal/`.
pub struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    /// HOME for every process started here.
    pub home: PathBuf,
    /// Claude Code's config folder, `home/.claude` (`CLAUDE_CONFIG_DIR`).
    pub config: PathBuf,
    /// The project directory (cwd of spawned binaries).
    pub project: PathBuf,
    /// Where Claude Code keeps the project's session transcripts: `config/projects/<slug of project>`.
    /// Not created: a test that needs it writes a session.
    pub transcripts: PathBuf,
    /// The memory directory the server works on.
    pub memory: PathBuf,
    /// A sibling folder outside the memory directory (targets of symlinks and hard links).
    pub outside: PathBuf,
    /// The journal directory (outside the memory directory), left for the server to create.
    pub journal: PathBuf,
}

impl Env {
    /// Creates the folders (the journal and the transcripts folder are left to whoever writes them).
    pub fn new() -> Env {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = fs::canonicalize(tmp.path()).expect("canonical tempdir");
        let home = root.join("home");
        let config = home.join(".claude");
        let project = root.join("project");
        let env = Env {
            transcripts: project_folder(&config.join("projects"), &project),
            memory: root.join("memory"),
            outside: root.join("outside"),
            journal: root.join("journal"),
            home,
            config,
            project,
            root,
            _tmp: tmp,
        };
        for d in [&env.memory, &env.outside, &env.home, &env.project] {
            fs::create_dir_all(d).expect("create test folder");
        }
        env
    }

    /// The temporary root holding every folder above.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The locations a server under test works on: everything inside the temporary root.
    pub fn locations(&self) -> Locations {
        LocationOptions {
            memory_dir: Some(self.memory.clone()),
            transcripts_dir: Some(self.transcripts.clone()),
            project_dir: Some(self.project.clone()),
            config_dir: Some(self.config.clone()),
            journal_dir: Some(self.journal.clone()),
            home: Some(self.home.clone()),
            cwd: Some(self.project.clone()),
            ..LocationOptions::default()
        }
        .resolve()
    }

    /// The library's dream runner on this environment, in this process.
    pub fn dreamer(&self) -> Dreamer {
        Dreamer::new(self.locations())
    }

    /// A small, healthy memory directory (two topic files, one in `team/`, and an index linking both) and
    /// a secret in the outside folder.
    pub fn healthy(&self) {
        self.put("a.md", topic("a", "first"));
        self.put("team/b.md", topic("b", "shared"));
        self.put("MEMORY.md", "- [A](a.md) — a\n- [B](team/b.md) — b\n");
        self.put_outside("secret.md", "outside, never to be touched\n");
    }

    /// Writes `content` to `rel` inside the memory directory (creating folders), bypassing the tools.
    pub fn put(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        write_file(&self.memory.join(rel), content.as_ref())
    }

    /// Writes `content` to `rel` inside the outside folder.
    pub fn put_outside(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        write_file(&self.outside.join(rel), content.as_ref())
    }

    /// The bytes of `rel` in the memory directory, or `None` when it does not exist.
    pub fn get(&self, rel: &str) -> Option<Vec<u8>> {
        fs::read(self.memory.join(rel)).ok()
    }

    /// A snapshot of the memory directory and the outside folder.
    pub fn tree(&self) -> Tree {
        Tree::of(self.root(), &[&self.memory, &self.outside])
    }

    /// Every run record in the journal, oldest first.
    pub fn runs(&self) -> Vec<RunRecord> {
        Journal::new(&self.journal).runs().expect("journal runs")
    }

    /// Every entry under `journal/runs/` (run folders, whatever state they are in).
    pub fn run_dirs(&self) -> Vec<PathBuf> {
        match fs::read_dir(self.journal.join("runs")) {
            Ok(entries) => {
                let mut v: Vec<PathBuf> = entries.map(|e| e.expect("entry").path()).collect();
                v.sort();
                v
            }
            Err(_) => Vec::new(),
        }
    }

    /// An in-process MCP client talking to a `DreamServer` on this environment.
    pub async fn client(&self) -> Client {
        Client::start(self.locations()).await
    }

    /// A `Command` for the built binary with HOME and CLAUDE_CONFIG_DIR inside the temporary root, no
    /// inherited `DREAM_*` or `CLAUDE_*` variables, and the project folder as its working directory.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(binary());
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("DREAM_") || k.starts_with("CLAUDE_") {
                cmd.env_remove(&*k);
            }
        }
        cmd.env("HOME", &self.home)
            .env("CLAUDE_CONFIG_DIR", &self.config)
            .current_dir(&self.project);
        cmd
    }

    /// [`Env::command`] given this environment's memory, journal and transcripts directories.
    pub fn command_on_dirs(&self) -> Command {
        let mut cmd = self.command();
        cmd.arg("--memory-dir")
            .arg(&self.memory)
            .arg("--journal-dir")
            .arg(&self.journal)
            .arg("--transcripts-dir")
            .arg(&self.transcripts);
        cmd
    }

    /// Runs a CLI command on this environment's directories, with no stdin.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.command_on_dirs()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run dream-mcp")
    }

    /// Starts `dream-mcp serve` on this environment's directories.
    pub fn spawn_server(&self) -> StdioServer {
        let mut cmd = self.command_on_dirs();
        cmd.arg("serve");
        StdioServer::spawn(cmd)
    }

    /// [`Env::spawn_server`], then the MCP handshake.
    pub fn server(&self) -> StdioServer {
        let mut server = self.spawn_server();
        server.handshake();
        server
    }

    /// An rmcp client connected to `dream-mcp serve` on this environment over the child's stdio (stderr
    /// discarded).
    pub async fn child_client(&self) -> RunningService<RoleClient, ()> {
        let mut cmd = self.command_on_dirs();
        cmd.arg("serve");
        let (transport, _) =
            rmcp::transport::TokioChildProcess::builder(tokio::process::Command::from(cmd))
                .stderr(Stdio::null())
                .spawn()
                .expect("start dream-mcp");
        ().serve(transport).await.expect("MCP handshake")
    }
}

/// Every entry below some folders, described by everything a change would alter: type, mode, size, inode,
/// link count, modification time (ns), content hash, symlink target. Symlinks are described, never followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree(BTreeMap<String, String>);

impl Tree {
    /// Snapshots `dirs` (and the folders themselves), naming entries relative to `base`.
    pub fn of(base: &Path, dirs: &[&Path]) -> Tree {
        let mut map = BTreeMap::new();
        for dir in dirs {
            walk(base, dir, &mut map);
        }
        Tree(map)
    }

    /// One SHA-256 over the whole snapshot.
    pub fn digest(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.0 {
            s.push_str(k);
            s.push('\0');
            s.push_str(v);
            s.push('\n');
        }
        sha256_hex(s.as_bytes())
    }

    /// Entries that differ between two snapshots, for readable failures.
    pub fn diff(&self, other: &Tree) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            match other.0.get(k) {
                None => out.push(format!("removed {k}: {v}")),
                Some(w) if w != v => out.push(format!("changed {k}: {v} -> {w}")),
                _ => {}
            }
        }
        for (k, w) in &other.0 {
            if !self.0.contains_key(k) {
                out.push(format!("added {k}: {w}"));
            }
        }
        out
    }

    /// Panics with the differing entries unless `after` has the same digest as `self`.
    pub fn assert_unchanged(&self, after: &Tree, context: &str) {
        assert_eq!(
            self.digest(),
            after.digest(),
            "{context}: the tree changed:\n{}",
            self.diff(after).join("\n")
        );
    }
}

fn walk(base: &Path, path: &Path, map: &mut BTreeMap<String, String>) {
    let meta = fs::symlink_metadata(path).expect("metadata of a tree entry");
    let name = path
        .strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    let mode = meta.permissions().mode() & 0o7777;
    let common = format!(
        "mode={mode:o} ino={} nlink={} mtime={}.{:09}",
        meta.ino(),
        meta.nlink(),
        meta.mtime(),
        meta.mtime_nsec()
    );
    let ft = meta.file_type();
    let desc = if ft.is_symlink() {
        let target = fs::read_link(path).expect("read_link");
        format!("symlink -> {} {common}", target.display())
    } else if ft.is_dir() {
        let mut children: Vec<PathBuf> = fs::read_dir(path)
            .expect("read_dir")
            .map(|e| e.expect("entry").path())
            .collect();
        children.sort();
        for c in &children {
            walk(base, c, map);
        }
        format!("dir {common}")
    } else if ft.is_file() {
        let bytes = fs::read(path).expect("read file");
        format!(
            "file size={} sha256={} {common}",
            bytes.len(),
            sha256_hex(&bytes)
        )
    } else {
        format!("special {common}")
    };
    map.insert(name, desc);
}

/// An MCP client in this process, connected to a `DreamServer` through an in-memory duplex pipe.
pub struct Client {
    service: RunningService<RoleClient, ()>,
}

impl Client {
    /// Starts a server on `locations` and completes the MCP handshake with it.
    pub async fn start(locations: Locations) -> Client {
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        tokio::spawn(async move {
            if let Ok(running) = DreamServer::new(locations).serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let service = ().serve(client_io).await.expect("MCP handshake");
        Client { service }
    }

    /// What the server said about itself in the handshake.
    pub fn server_info(&self) -> ServerPeerInfo {
        (*self.service.peer_info().expect("peer info")).clone()
    }

    /// Every tool the server offers.
    pub async fn tools(&self) -> Vec<Tool> {
        self.service.list_all_tools().await.expect("tools/list")
    }

    /// Calls `tool` with `args`: `Ok(structuredContent)` on success, `Err(text)` when the result is a tool
    /// error (`isError`). A protocol-level error fails the test.
    pub async fn call(&self, tool: &str, args: Value) -> Result<Value, String> {
        let mut params = CallToolRequestParams::new(tool.to_string());
        if let Value::Object(map) = args {
            params = params.with_arguments(map);
        }
        let result = self
            .service
            .call_tool(params)
            .await
            .unwrap_or_else(|e| panic!("tools/call {tool}: protocol error {e}"));
        if result.is_error == Some(true) {
            // The one structured refusal: finish_dream listing the specifics the dream lost.
            assert!(
                result
                    .structured_content
                    .as_ref()
                    .is_none_or(|c| tool == "finish_dream" && c.get("forgotten").is_some()),
                "{tool}: an error result carries structured content"
            );
            Err(result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect::<Vec<_>>()
                .join("\n"))
        } else {
            Ok(result
                .structured_content
                .unwrap_or_else(|| panic!("{tool}: success without structuredContent")))
        }
    }

    /// Calls finish_dream with `summary`; when it lists forgotten specifics, acknowledges every one with
    /// `reason` and calls it again. Returns the report and how many were acknowledged.
    pub async fn finish_acknowledging(&self, summary: &str, reason: &str) -> (Value, usize) {
        let mut params = CallToolRequestParams::new("finish_dream".to_string());
        if let Value::Object(map) = json!({"summary": summary}) {
            params = params.with_arguments(map);
        }
        let first = self.service.call_tool(params).await.expect("finish_dream");
        if first.is_error != Some(true) {
            return (first.structured_content.expect("report"), 0);
        }
        let forgotten = first
            .structured_content
            .as_ref()
            .and_then(|c| c["forgotten"].as_array().cloned())
            .unwrap_or_else(|| panic!("finish_dream refused: {:?}", first.content));
        let acks: Vec<Value> = forgotten
            .iter()
            .map(|f| json!({"specific": f["specific"], "reason": reason}))
            .collect();
        let report = self
            .ok(
                "finish_dream",
                json!({"summary": summary, "forgotten": acks}),
            )
            .await;
        (report, forgotten.len())
    }

    /// Calls `tool` and fails the test unless it succeeds.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        self.call(tool, args.clone())
            .await
            .unwrap_or_else(|e| panic!("{tool} {args} was refused: {e}"))
    }

    /// Calls `tool` and fails the test unless it is refused; returns the error text.
    pub async fn refused(&self, tool: &str, args: Value) -> String {
        match self.call(tool, args.clone()).await {
            Err(e) => e,
            Ok(v) => panic!("{tool} {args} should be refused, but returned {v}"),
        }
    }

    /// Reads a memory file through the tool, returning `(content, sha256)`.
    pub async fn read(&self, path: &str) -> (String, String) {
        let v = self
            .ok(
                "read_memory_file",
                json!({ "path": path, "verbatim": true }),
            )
            .await;
        (
            v["content"].as_str().expect("content").to_string(),
            v["sha256"].as_str().expect("sha256").to_string(),
        )
    }
}

/// The built binary serving MCP on stdio, spoken to one JSON-RPC message per line.
pub struct StdioServer {
    /// The child process.
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// The id [`StdioServer::call`] gives its next request.
    next_id: u64,
}

impl StdioServer {
    /// Spawns `cmd` with piped stdin and stdout (stderr is discarded).
    pub fn spawn(mut cmd: Command) -> StdioServer {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn dream-mcp");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        StdioServer {
            child,
            stdin,
            stdout,
            next_id: 1_000_000,
        }
    }

    /// Takes the child's stdin, e.g. to write from another thread.
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("stdin already taken")
    }

    /// Sends one JSON-RPC message.
    pub fn send(&mut self, msg: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin taken");
        writeln!(stdin, "{msg}").expect("write to server");
        stdin.flush().expect("flush");
    }

    /// Reads the next message from stdout; every line must be a JSON-RPC 2.0 message.
    pub fn recv(&mut self) -> Value {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).expect("read from server");
        assert!(n > 0, "the server closed stdout");
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:?}"));
        assert_eq!(v["jsonrpc"], "2.0", "not JSON-RPC 2.0: {line}");
        v
    }

    /// Sends a request and returns the response with the same id, skipping notifications.
    pub fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v.get("id") == Some(&json!(id)) {
                return v;
            }
            assert!(
                v.get("id").is_none(),
                "response for another request while waiting for {id}: {v}"
            );
        }
    }

    /// Calls `tool` under the next free id: `Ok(structuredContent)` or `Err(error text)`.
    pub fn call(&mut self, tool: &str, args: Value) -> Result<Value, String> {
        self.next_id += 1;
        let resp = self.request(
            self.next_id,
            "tools/call",
            json!({"name": tool, "arguments": args}),
        );
        tool_outcome(tool, &resp)
    }

    /// `initialize` then `notifications/initialized`; returns the initialize result.
    pub fn handshake(&mut self) -> Value {
        let resp = self.request(
            0,
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "dream-tests", "version": "0"}
            }),
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        resp["result"].clone()
    }

    /// Closes stdin and waits for the process to exit, returning whether it exited successfully.
    pub fn finish(mut self) -> bool {
        drop(self.stdin.take());
        self.child.wait().expect("wait").success()
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `tools/call` response as `Ok(structuredContent)`, or `Err(text)` for a tool error (`isError`). A
/// protocol-level error fails the test.
pub fn tool_outcome(tool: &str, resp: &Value) -> Result<Value, String> {
    let result = &resp["result"];
    assert!(result.is_object(), "{tool}: protocol error {resp}");
    if result["isError"] == json!(true) {
        Err(result["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    } else {
        Ok(result["structuredContent"].clone())
    }
}
