//! `scripts/dream-mcp`, the launcher Claude Code starts: which binary it runs, how it builds one when there is
//! none, and that it never writes to stdout (the MCP protocol's channel) itself.
//!
//! Every run is hermetic: PATH holds only links to the few system tools the launcher uses, plus the fakes a
//! test puts there (binaries that say which one ran, and a `cargo` that "builds" one).
// The plugin tests drive the POSIX launcher and Claude Code on Linux and macOS (see docs/plugin.md for Windows).
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use dream_mcp::sha256_hex;
use serde_json::Value;

use crate::util::asset_server::AssetServer;
use crate::util::claude_code::{
    assert_success, asset_name, launcher_tools, release, run_with_limit,
};
use crate::util::{Env, VERSION, repo, text};

/// The fixture world with a plugin folder holding only the manifest, the launcher and Cargo.toml.
struct World {
    env: Env,
    root: PathBuf,
    plugin: PathBuf,
    data: PathBuf,
    /// A folder on PATH for fake `dream-mcp` and `cargo`.
    fakes: PathBuf,
    tools: PathBuf,
}

impl World {
    fn new() -> World {
        let env = Env::new();
        let root = env.root().to_path_buf();
        let world = World {
            plugin: root.join("plugin"),
            data: root.join("data"),
            fakes: root.join("fakes"),
            tools: root.join("tools"),
            root,
            env,
        };
        for dir in ["plugin/.claude-plugin", "plugin/scripts", "fakes", "tools"] {
            fs::create_dir_all(world.root.join(dir)).expect("create folder");
        }
        for file in [
            ".claude-plugin/plugin.json",
            "scripts/dream-mcp",
            "Cargo.toml",
        ] {
            fs::copy(repo().join(file), world.plugin.join(file)).expect("copy plugin file");
        }
        launcher_tools(&world.tools);
        world
    }

    fn launcher(&self) -> PathBuf {
        self.plugin.join("scripts/dream-mcp")
    }

    fn installed(&self) -> PathBuf {
        self.data.join("bin").join(VERSION).join("dream-mcp")
    }

    /// The launcher with a clean environment, as Claude Code starts it for an installed plugin.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.launcher());
        cmd.env_clear()
            .env(
                "PATH",
                format!("{}:{}", self.fakes.display(), self.tools.display()),
            )
            .env("HOME", &self.env.home)
            .env("CLAUDE_PLUGIN_ROOT", &self.plugin)
            .env("CLAUDE_PLUGIN_DATA", &self.data)
            .args(args);
        cmd
    }

    fn run(&self, cmd: &mut Command) -> Output {
        run_with_limit(cmd, Duration::from_secs(60))
    }
}

/// Writes an executable shell script.
fn script(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
    fs::write(path, format!("#!/bin/sh\n{body}")).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A stand-in for dream-mcp reporting `version`, that prints `label` and its arguments when run.
fn fake_binary(path: &Path, label: &str, version: &str) {
    script(
        path,
        &format!(
            "if [ \"$1\" = --version ]; then echo 'dream-mcp {version}'; exit 0; fi\necho \"{label} $*\"\n"
        ),
    );
}

/// A `cargo` that records its arguments, waits `sleep` seconds, then writes a binary labelled `built` into
/// `<target-dir>/release/` (or fails when `fail` is set).
fn fake_cargo(world: &World, sleep: u32, fail: bool) {
    let calls = world.root.join("cargo-calls");
    let outcome = if fail {
        "echo 'error: could not compile dream-mcp (boom)' >&2; exit 101".to_string()
    } else {
        format!(
            "mkdir -p \"$target/release\"\nprintf '#!/bin/sh\\nif [ \"$1\" = --version ]; then echo \"dream-mcp {VERSION}\"; exit 0; fi\\necho \"built $*\"\\n' > \"$target/release/dream-mcp\"\nchmod +x \"$target/release/dream-mcp\""
        )
    };
    script(
        &world.fakes.join("cargo"),
        &format!(
            "echo \"$*\" >> '{}'\ntarget=\nwhile [ $# -gt 0 ]; do [ \"$1\" = --target-dir ] && target=$2; shift; done\nsleep {sleep}\n{outcome}\n",
            calls.display()
        ),
    );
}

fn cargo_calls(world: &World) -> Vec<String> {
    fs::read_to_string(world.root.join("cargo-calls"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

impl World {
    /// Pins `bytes` as this platform's release asset with `scripts/release` (which also ships it in `bin/`)
    /// and returns its sha256.
    fn pin(&self, bytes: &[u8]) -> String {
        let assets = self.root.join("assets");
        fs::create_dir_all(&assets).expect("create assets folder");
        fs::write(assets.join(asset_name()), bytes).expect("write asset");
        assert_success("scripts/release", &release(&assets, &self.plugin, &[]));
        sha256_hex(bytes)
    }

    fn shipped(&self) -> PathBuf {
        self.plugin.join("bin").join(asset_name())
    }

    /// The SessionStart context the launcher printed as the hook, asserting it is the hook's JSON.
    fn hook_context(&self, out: &Output) -> String {
        assert_eq!(
            out.status.code(),
            Some(0),
            "the SessionStart hook must never fail"
        );
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("hook output is not JSON ({e}): {}", text(&out.stdout)));
        assert_eq!(json["hookSpecificOutput"]["hookEventName"], "SessionStart");
        json["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .expect("additionalContext")
            .to_string()
    }
}

/// The text of a stand-in binary that prints `label` and its arguments.
fn fake_text(label: &str, version: &str) -> String {
    format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'dream-mcp {version}'; exit 0; fi\necho \"{label} $*\"\n"
    )
}

#[test]
fn runs_the_first_of_placed_pinned_explicit_path_and_data_binaries() {
    let w = World::new();
    fake_binary(&w.plugin.join("bin/dream-mcp"), "placed", VERSION);
    w.pin(fake_text("pinned", VERSION).as_bytes());
    let env_bin = w.root.join("explicit/dream-mcp");
    fake_binary(&env_bin, "explicit", VERSION);
    fake_binary(&w.fakes.join("dream-mcp"), "on-path", VERSION);
    fake_binary(&w.installed(), "plugin-data", VERSION);
    let run = |cmd: &mut Command| text(&w.run(cmd).stdout);
    let explicit = |w: &World| {
        let mut cmd = w.command(&["serve", "--x"]);
        cmd.env("DREAM_MCP_BIN", &env_bin);
        cmd
    };

    assert_eq!(run(&mut explicit(&w)), "placed serve --x\n");
    fs::remove_file(w.plugin.join("bin/dream-mcp")).expect("remove placed binary");
    assert_eq!(run(&mut explicit(&w)), "pinned serve --x\n");
    fs::remove_file(w.shipped()).expect("remove shipped binary");
    assert_eq!(run(&mut explicit(&w)), "explicit serve --x\n");
    assert_eq!(run(&mut w.command(&["serve"])), "on-path serve\n");

    // A dream-mcp on PATH of another version is passed over, and so is a copy of the launcher itself.
    fake_binary(&w.fakes.join("dream-mcp"), "on-path", "0.0.0-other");
    let other = w.root.join("other-launcher");
    fs::create_dir_all(&other).expect("create folder");
    fs::copy(w.launcher(), other.join("dream-mcp")).expect("copy launcher");
    let path = format!(
        "{}:{}:{}",
        other.display(),
        w.fakes.display(),
        w.tools.display()
    );
    let out = w.run(w.command(&["serve"]).env("PATH", &path));
    assert_eq!(text(&out.stdout), "plugin-data serve\n");

    // A checkout's own build is not one of the sources: with nothing else and no cargo, it fails.
    fs::remove_file(w.installed()).expect("remove data binary");
    fake_binary(
        &w.plugin.join("target/release/dream-mcp"),
        "checkout",
        VERSION,
    );
    let out = w.run(&mut w.command(&["serve"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "", "the launcher wrote to stdout");
}

#[test]
fn a_shipped_binary_that_is_not_the_pinned_one_is_not_run() {
    let w = World::new();
    w.pin(fake_text("pinned", VERSION).as_bytes());
    fs::write(w.shipped(), fake_text("tampered", VERSION)).expect("tamper");
    fake_binary(&w.installed(), "plugin-data", VERSION);
    let out = w.run(&mut w.command(&["serve"]));
    assert_eq!(text(&out.stdout), "plugin-data serve\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not running it"), "{stderr}");
    assert!(
        stderr.contains(&sha256_hex(fake_text("tampered", VERSION).as_bytes())),
        "{stderr}"
    );
}

#[test]
fn downloads_the_pinned_asset_once_checks_it_and_keeps_it() {
    let w = World::new();
    let body = fake_text("downloaded", VERSION);
    let digest = w.pin(body.as_bytes());
    fs::remove_dir_all(w.plugin.join("bin")).expect("remove bin/");
    let server = AssetServer::start(vec![(asset_name(), body.clone().into_bytes())]);
    let out = w.run(
        w.command(&["serve", "--z"])
            .env("DREAM_MCP_DOWNLOAD_URL", format!("{}/", server.url())),
    );
    assert_eq!(
        text(&out.stdout),
        "downloaded serve --z\n",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(server.requests(), [format!("/{}", asset_name())]);
    let kept = fs::read(w.installed()).expect("kept in plugin data");
    assert_eq!(sha256_hex(&kept), digest);
    let again = w.run(
        w.command(&["serve"])
            .env("DREAM_MCP_DOWNLOAD_URL", server.url()),
    );
    assert_eq!(text(&again.stdout), "downloaded serve\n");
    assert_eq!(server.requests().len(), 1, "downloaded twice");
}

#[test]
fn a_download_with_another_digest_is_deleted_unrun_and_the_hook_says_so() {
    let w = World::new();
    w.pin(fake_text("pinned", VERSION).as_bytes());
    fs::remove_dir_all(w.plugin.join("bin")).expect("remove bin/");
    let ran = w.root.join("ran");
    let impostor = format!("#!/bin/sh\ntouch '{}'\necho impostor\n", ran.display());
    let server = AssetServer::start(vec![(asset_name(), impostor.clone().into_bytes())]);
    for args in [&["serve"][..], &["status", "--hook"][..]] {
        let out = w.run(w.command(args).env("DREAM_MCP_DOWNLOAD_URL", server.url()));
        let message = if args[0] == "serve" {
            assert_eq!(out.status.code(), Some(1));
            assert_eq!(text(&out.stdout), "");
            text(&out.stderr)
        } else {
            w.hook_context(&out)
        };
        assert!(
            message.contains(&sha256_hex(impostor.as_bytes())) && message.contains("deleted unrun"),
            "{message}"
        );
        assert!(message.contains("cargo is not installed"), "{message}");
    }
    assert!(!ran.exists(), "the unverified download ran");
    assert!(
        !w.installed().exists(),
        "the unverified download was installed"
    );
    let left: Vec<_> = fs::read_dir(w.installed().parent().expect("parent"))
        .expect("read data bin")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_unreachable_download_names_the_url_and_the_fixes() {
    let w = World::new();
    w.pin(fake_text("pinned", VERSION).as_bytes());
    fs::remove_dir_all(w.plugin.join("bin")).expect("remove bin/");
    let out = w.run(
        w.command(&["status", "--hook"])
            .env("DREAM_MCP_DOWNLOAD_URL", "http://127.0.0.1:9/mirror"),
    );
    let context = w.hook_context(&out);
    assert!(
        context.contains(&format!(
            "downloading http://127.0.0.1:9/mirror/{} failed",
            asset_name()
        )),
        "{context}"
    );
    for needle in [
        "DREAM_MCP_DOWNLOAD_URL",
        "https://rustup.rs",
        "DREAM_MCP_BIN",
        "/mcp",
    ] {
        assert!(context.contains(needle), "lacks {needle}: {context}");
    }
}

#[test]
fn explicit_binary_that_cannot_run_is_an_error_not_a_fallback() {
    let w = World::new();
    fake_binary(&w.installed(), "plugin-data", VERSION);
    let missing = w.root.join("nowhere/dream-mcp");
    let out = w.run(w.command(&["serve"]).env("DREAM_MCP_BIN", &missing));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("DREAM_MCP_BIN") && stderr.contains(&missing.display().to_string()),
        "{stderr}"
    );
    let hook = w.run(
        w.command(&["status", "--hook"])
            .env("DREAM_MCP_BIN", &missing),
    );
    let context = w.hook_context(&hook);
    assert!(context.contains("DREAM_MCP_BIN"), "{context}");
}

#[test]
fn builds_into_plugin_data_then_runs_the_build() {
    let w = World::new();
    fake_cargo(&w, 1, false);
    let out = w.run(
        w.command(&["serve", "--y"])
            .env("DREAM_MCP_BUILD_WAIT", "30"),
    );
    assert_eq!(
        text(&out.stdout),
        "built serve --y\n",
        "stderr: {}",
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("building dream-mcp"));
    let calls = cargo_calls(&w);
    assert_eq!(
        calls,
        [format!(
            "build --release --locked --manifest-path {}/Cargo.toml --target-dir {}/target",
            w.plugin.display(),
            w.data.display()
        )]
    );
    assert!(w.installed().is_file(), "the build is kept per version");
    assert!(
        !w.data.join(format!("build-{VERSION}.lock")).exists(),
        "lock left behind"
    );

    let again = w.run(&mut w.command(&["serve"]));
    assert_eq!(text(&again.stdout), "built serve\n");
    assert_eq!(cargo_calls(&w).len(), 1, "built twice");
}

#[test]
fn slow_build_keeps_running_and_says_how_to_reconnect() {
    let w = World::new();
    fake_cargo(&w, 4, false);
    let start = Instant::now();
    let out = w.run(w.command(&["serve"]).env("DREAM_MCP_BUILD_WAIT", "1"));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "waited for the build"
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is building from source in the background"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/mcp") && stderr.contains("reconnect"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("build-{VERSION}.log")), "{stderr}");

    // A second start while the build runs joins it instead of starting another.
    let second = w.run(w.command(&["serve"]).env("DREAM_MCP_BUILD_WAIT", "1"));
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(cargo_calls(&w).len(), 1, "a second build was started");

    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.installed().exists() {
        assert!(
            Instant::now() < deadline,
            "the background build never finished"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = w.run(&mut w.command(&["serve"]));
    assert_eq!(text(&out.stdout), "built serve\n");
}

#[test]
fn session_start_hook_starts_the_build_without_waiting() {
    let w = World::new();
    fake_cargo(&w, 3, false);
    let start = Instant::now();
    let out = w.run(&mut w.command(&["status", "--hook"]));
    assert!(start.elapsed() < Duration::from_secs(2), "the hook waited");
    let context = w.hook_context(&out);
    assert!(context.contains("building from source"), "{context}");
    assert!(context.contains("/mcp"), "{context}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.installed().exists() {
        assert!(Instant::now() < deadline, "the hook did not start a build");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = w.run(&mut w.command(&["status", "--hook"]));
    assert_eq!(text(&out.stdout), "built status --hook\n");
}

#[test]
fn failed_build_shows_the_log() {
    let w = World::new();
    fake_cargo(&w, 0, true);
    let out = w.run(w.command(&["serve"]).env("DREAM_MCP_BUILD_WAIT", "20"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("failed"), "{stderr}");
    assert!(stderr.contains("boom"), "the log's tail is shown: {stderr}");
}

#[test]
fn missing_cargo_says_how_to_install_it() {
    let w = World::new();
    let out = w.run(&mut w.command(&["serve"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cargo is not installed"), "{stderr}");
    assert!(stderr.contains("https://rustup.rs"), "{stderr}");
    assert!(stderr.contains("DREAM_MCP_BIN"), "{stderr}");
    assert!(cargo_calls(&w).is_empty());
    let context = w.hook_context(&w.run(&mut w.command(&["status", "--hook"])));
    assert_eq!(context, stderr.trim_end().trim_start_matches("dream-mcp: "));
}
