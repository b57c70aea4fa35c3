//! The real Claude Code for the `plugin_*` tests: found, or installed from npm into a cache folder; a
//! [`Sandbox`] (the fixture world with the plugin staged) that runs it with no real configuration touched;
//! and the skill's text, read independently of the crate.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Env, VERSION, copy_tree, notice, repo, skip, text};

/// The Claude Code release these tests were written against (REFERENCE.md section 5). Override with
/// `DREAM_TEST_CLAUDE_VERSION`.
pub const CLAUDE_VERSION: &str = "2.1.332";

/// `skill/dream/SKILL.md` as written.
pub fn skill_md() -> String {
    fs::read_to_string(repo().join("skill/dream/SKILL.md")).expect("read skill/dream/SKILL.md")
}

/// The skill's frontmatter lines (between the two `---` lines) and its body (after them, leading blank
/// lines removed), split here without the crate's parser so the tests check it independently.
pub fn skill_parts() -> (String, String) {
    let text = skill_md();
    let rest = text
        .strip_prefix("---\n")
        .expect("SKILL.md starts with ---");
    let (front, body) = rest
        .split_once("\n---\n")
        .expect("SKILL.md frontmatter closes");
    (front.to_string(), body.trim_start_matches('\n').to_string())
}

/// The value of `key:` in the skill's frontmatter.
pub fn skill_field(key: &str) -> String {
    let (front, _) = skill_parts();
    front
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("SKILL.md frontmatter has no {key}:"))
        .trim()
        .to_string()
}

/// The Claude Code for `test`, or `None` after [`skip`] says why there is none. With
/// `DREAM_REQUIRE_CLAUDE=1` (for CI) having none is a failure instead.
pub fn claude_for(test: &str) -> Option<PathBuf> {
    match claude() {
        Ok(path) => Some(path),
        Err(why) => {
            if std::env::var_os("DREAM_REQUIRE_CLAUDE").is_some_and(|v| v == "1") {
                panic!("{test}: {why} (DREAM_REQUIRE_CLAUDE=1)");
            }
            skip(test, &why);
            None
        }
    }
}

/// The Claude Code executable the tests drive, or why there is none.
///
/// In order: `$DREAM_TEST_CLAUDE`; `claude` on PATH; a copy installed earlier into the cache folder
/// (`$DREAM_TEST_CACHE`, default `target/claude-code`); otherwise `npm install @anthropic-ai/claude-code` into
/// that folder now. Found once per test run.
pub fn claude() -> Result<PathBuf, String> {
    static CLAUDE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    CLAUDE
        .get_or_init(|| {
            let found = locate_claude();
            match &found {
                Ok(path) => notice(&format!(
                    "using Claude Code {} at {}",
                    version_of(path).unwrap_or_default(),
                    path.display()
                )),
                Err(why) => notice(&format!("Claude Code unavailable: {why}")),
            }
            found
        })
        .clone()
}

fn version_of(claude: &Path) -> Option<String> {
    let out = Command::new(claude)
        .arg("--version")
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn locate_claude() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("DREAM_TEST_CLAUDE") {
        let path = PathBuf::from(path);
        return match version_of(&path) {
            Some(_) => Ok(path),
            None => Err(format!("DREAM_TEST_CLAUDE={} does not run", path.display())),
        };
    }
    if let Some(path) = on_path("claude")
        && version_of(&path).is_some()
    {
        return Ok(path);
    }
    let version = std::env::var("DREAM_TEST_CLAUDE_VERSION").unwrap_or(CLAUDE_VERSION.into());
    let cache = std::env::var_os("DREAM_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target").join("claude-code"));
    let dir = cache.join(&version);
    let bin = dir.join("node_modules/.bin/claude");
    if version_of(&bin).is_some() {
        return Ok(bin);
    }
    install_claude(&cache, &version, &dir)?;
    match version_of(&bin) {
        Some(_) => Ok(bin),
        None => Err(format!("installed {} but it does not run", bin.display())),
    }
}

/// `npm install`s Claude Code into a fresh folder beside `dir`, then renames it into place, so an interrupted
/// or concurrent install never leaves a half-filled cache.
fn install_claude(cache: &Path, version: &str, dir: &Path) -> Result<(), String> {
    let npm = on_path("npm").ok_or("npm is not installed, so Claude Code cannot be installed")?;
    fs::create_dir_all(cache).map_err(|e| format!("creating {}: {e}", cache.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".install-")
        .tempdir_in(cache)
        .map_err(|e| format!("creating a folder in {}: {e}", cache.display()))?;
    notice(&format!(
        "installing @anthropic-ai/claude-code@{version} from npm into {} (about 250 MB, once)",
        cache.display()
    ));
    let out = Command::new(npm)
        .args(["install", "--no-save", "--no-audit", "--no-fund"])
        .args(["--fetch-retries", "1", "--fetch-timeout", "60000"])
        .arg("--prefix")
        .arg(staging.path())
        .arg(format!("@anthropic-ai/claude-code@{version}"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running npm: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let reason: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("npm error") && !l.starts_with("npm error     at "))
            .take(4)
            .collect();
        return Err(format!(
            "npm could not install @anthropic-ai/claude-code@{version} (is the registry reachable?): {}",
            reason.join(" | ")
        ));
    }
    let package = staging
        .path()
        .join("node_modules/@anthropic-ai/claude-code");
    let bin = staging.path().join("node_modules/.bin/claude");
    if version_of(&bin).is_none() {
        // npm configured not to run install scripts leaves the launcher stub; the package's own script swaps
        // in the native binary.
        let _ = Command::new("node")
            .arg("install.cjs")
            .current_dir(&package)
            .stdin(Stdio::null())
            .output();
    }
    let staging = staging.keep();
    match fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        // Another test process installed it first.
        Err(_) if dir.join("node_modules/.bin/claude").exists() => {
            let _ = fs::remove_dir_all(&staging);
            Ok(())
        }
        Err(e) => Err(format!("moving the install into {}: {e}", dir.display())),
    }
}

/// The first `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// PATH without any folder that holds a `dream-mcp`, so the launcher's own resolution is what is tested.
pub fn path_without_dream_mcp() -> OsString {
    let dirs = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|d| !d.join("dream-mcp").exists())
        .collect::<Vec<_>>();
    std::env::join_paths(dirs).expect("PATH entries join")
}

/// Copies the checkout the way a clone has it (no `target/`, no `.git`) into `dest`.
pub fn stage_plugin(dest: &Path) {
    copy_tree(&repo(), dest, &|name| name == "target" || name == ".git");
}

/// The fixture world for one run of Claude Code: an [`Env`] (HOME, config, project, transcripts) with
/// `plugin/`, a staged copy of the checkout, and the Claude Code executable.
pub struct Sandbox {
    env: Env,
    /// The staged plugin the marketplace is added from.
    pub plugin: PathBuf,
    /// The Claude Code executable.
    pub claude: PathBuf,
}

impl Deref for Sandbox {
    type Target = Env;

    fn deref(&self) -> &Env {
        &self.env
    }
}

impl Sandbox {
    /// A fresh sandbox with the plugin staged into it.
    pub fn new(claude: PathBuf) -> Sandbox {
        let env = Env::new();
        let plugin = env.root().join("plugin");
        stage_plugin(&plugin);
        Sandbox {
            env,
            plugin,
            claude,
        }
    }

    /// Where Claude Code keeps the installed plugin's data (`${CLAUDE_PLUGIN_DATA}`):
    /// `<config>/plugins/data/<plugin>-<marketplace>` in Claude Code 2.1.332.
    pub fn plugin_data(&self) -> PathBuf {
        self.config.join("plugins/data/dream-dream")
    }

    /// The auto-memory folder Claude Code uses for the project: `memory/` in its transcripts folder.
    pub fn memory_dir(&self) -> PathBuf {
        self.transcripts.join("memory")
    }

    /// A `claude` command in the project folder with nothing inherited but PATH: HOME is the sandbox's, no
    /// API key or config of the person running the tests leaks in, and no traffic leaves but to a local
    /// model.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.claude);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("TMPDIR", self.root())
            .env("LANG", "C.UTF-8")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("DISABLE_AUTOUPDATER", "1")
            .current_dir(&self.project)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `claude args...`, killing it after `limit`, and returns its output.
    pub fn run(&self, cmd: &mut Command, limit: Duration) -> Output {
        run_with_limit(cmd, limit)
    }

    /// Adds the staged plugin as marketplace `dream` and installs `dream@dream`, asserting both succeed.
    pub fn install_plugin(&self) {
        let add = self.run(
            self.command()
                .args(["plugin", "marketplace", "add"])
                .arg(&self.plugin),
            Duration::from_secs(60),
        );
        assert_success("claude plugin marketplace add", &add);
        assert!(
            text(&add.stdout).contains("dream"),
            "marketplace add did not name the marketplace: {}",
            text(&add.stdout)
        );
        let install = self.run(
            self.command().args(["plugin", "install", "dream@dream"]),
            Duration::from_secs(120),
        );
        assert_success("claude plugin install dream@dream", &install);
        let list = self.run(
            self.command().args(["plugin", "list", "--json"]),
            Duration::from_secs(60),
        );
        assert_success("claude plugin list --json", &list);
        let plugins: Value = serde_json::from_slice(&list.stdout).expect("plugin list is JSON");
        let dream = plugins
            .as_array()
            .and_then(|a| a.iter().find(|p| p["id"] == "dream@dream"))
            .unwrap_or_else(|| panic!("dream@dream is not installed: {plugins}"));
        assert_eq!(dream["enabled"], true, "{dream}");
        assert_eq!(dream["version"], VERSION, "{dream}");
    }
}

/// The system tools the launcher uses, and nothing else: no `cargo`, no `dream-mcp`.
pub const LAUNCHER_TOOLS: &[&str] = &[
    "sh",
    "sed",
    "head",
    "tr",
    "cat",
    "mkdir",
    "rm",
    "cp",
    "mv",
    "find",
    "sleep",
    "tail",
    "dirname",
    "uname",
    "sha256sum",
    "chmod",
    "curl",
    "setsid",
    "nohup",
];

/// Creates `dir` holding links to [`LAUNCHER_TOOLS`] found on this PATH, for a PATH a person without Rust
/// could have.
pub fn launcher_tools(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).expect("create tools folder");
    for tool in LAUNCHER_TOOLS {
        if let Some(path) = on_path(tool) {
            std::os::unix::fs::symlink(path, dir.join(tool)).expect("link tool");
        }
    }
    dir.to_path_buf()
}

/// The target triple the launcher computes here, which names this platform's release asset.
pub fn this_triple() -> String {
    let os = if cfg!(target_os = "macos") {
        "apple-darwin"
    } else {
        "unknown-linux-musl"
    };
    format!("{}-{os}", std::env::consts::ARCH)
}

/// This platform's release asset name.
pub fn asset_name() -> String {
    format!("dream-mcp-{}", this_triple())
}

/// Runs `scripts/release <assets> --plugin <plugin>` and returns its output.
pub fn release(assets: &Path, plugin: &Path, extra: &[&str]) -> Output {
    run_with_limit(
        Command::new("python3")
            .arg(repo().join("scripts/release"))
            .arg(assets)
            .arg("--plugin")
            .arg(plugin)
            .args(extra),
        Duration::from_secs(120),
    )
}

/// Runs `cmd` to completion, killing it after `limit` (a hung Claude Code must fail the test, not hang it).
pub fn run_with_limit(cmd: &mut Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    let pid = child.id();
    let start = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if rx.recv_timeout(limit).is_err() {
            // SAFETY: plain kill(2) on the child's PID; at worst it names an exited process.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
        }
    });
    let out = child.wait_with_output().expect("wait for child");
    let _ = tx.send(());
    assert!(
        start.elapsed() < limit,
        "{cmd:?} did not finish within {limit:?}; stderr: {}",
        text(&out.stderr)
    );
    out
}

/// Asserts that `out` is a success, showing both streams when it is not.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The names of the tools the built server offers over stdio.
pub fn server_tools() -> Vec<String> {
    let env = Env::new();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = env.child_client().await;
        let tools = client.list_all_tools().await.expect("tools/list");
        let _ = client.cancel().await;
        tools.into_iter().map(|t| t.name.to_string()).collect()
    })
}

/// True for a request of the forked dream agent (it has Read but neither Bash nor Agent).
pub fn is_fork(request: &Value) -> bool {
    let names = tool_names(request);
    names.contains("Read") && !names.contains("Bash") && !names.contains("Agent")
}

/// The names of the tools a request offers the model.
pub fn tool_names(request: &Value) -> BTreeSet<String> {
    request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(String::from))
        .collect()
}

/// Every block of every message of a request.
pub fn blocks(request: &Value) -> Vec<&Value> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| m["content"].as_array().into_iter().flatten())
        .collect()
}

/// The SessionStart context the main conversation's first request carries, if any.
pub fn session_start_context(model: &super::scripted_model::ScriptedModel) -> Option<String> {
    let requests = model.requests();
    let first = requests.iter().find(|r| !is_fork(r))?;
    blocks(first)
        .into_iter()
        .filter_map(|b| b["text"].as_str())
        .find(|t| t.contains("SessionStart hook additional context:"))
        .map(String::from)
}
