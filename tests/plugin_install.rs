//! Installing the plugin without Rust, in the real Claude Code, with a PATH that holds only the system tools
//! the launcher uses (no `cargo`, no `dream-mcp`):
//!
//! (a) a plugin release whose `bin/` carries this platform's `dream-mcp-<triple>`, pinned in plugin.json by
//!     `scripts/release`, installs from a local marketplace and `claude mcp list` shows it Connected;
//! (b) without `bin/`, the launcher downloads the pinned asset from a server on 127.0.0.1, checks it and
//!     connects; an asset whose digest is not the pinned one is refused with a message, and never run;
//! (c) with nothing to be had, the SessionStart hook's context tells Claude what is missing and the fix.
//!
//! The time from `claude plugin install` to a connected server is printed (BENCHMARKS.md keeps the figures).
// The plugin tests drive the POSIX launcher and Claude Code on Linux and macOS (see docs/plugin.md for Windows).
#![cfg(unix)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dream_mcp::sha256_hex;
use serde_json::Value;

use crate::util::asset_server::AssetServer;
use crate::util::claude_code::{
    Sandbox, assert_success, asset_name, claude_for, launcher_tools, release, session_start_context,
};
use crate::util::scripted_model::{Block, ScriptedModel};
use crate::util::{VERSION, binary, notice, text};

/// A sandbox with the plugin staged, or `None` after saying why the test is skipped.
fn sandbox(test: &str) -> Option<Sandbox> {
    claude_for(test).map(Sandbox::new)
}

/// Pins the binary built here, as this platform's release asset, into the sandbox's plugin.
fn release_built_binary(sandbox: &Sandbox) -> String {
    let assets = sandbox.root().join("assets");
    fs::create_dir_all(&assets).expect("create assets folder");
    fs::copy(binary(), assets.join(asset_name())).expect("copy the built binary");
    let out = release(&assets, &sandbox.plugin, &[]);
    assert_success("scripts/release", &out);
    let digest = sha256_hex(&fs::read(binary()).expect("read the built binary"));
    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(sandbox.plugin.join(".claude-plugin/plugin.json"))
            .expect("plugin.json"),
    )
    .expect("plugin.json is JSON");
    assert_eq!(
        manifest["binaries"][asset_name()]["sha256"],
        digest.as_str(),
        "{manifest:#}"
    );
    digest
}

/// `claude mcp list` with only the launcher's tools on PATH, plus `env`; the plugin's listing line.
fn mcp_line(sandbox: &Sandbox, tools: &Path, env: &[(&str, &OsStr)]) -> String {
    let mut cmd = sandbox.command();
    cmd.args(["mcp", "list"]).env("PATH", tools);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = sandbox.run(&mut cmd, Duration::from_secs(90));
    assert_success("claude mcp list", &out);
    let listing = text(&out.stdout);
    listing
        .lines()
        .find(|l| l.starts_with("plugin:dream:dream:"))
        .unwrap_or_else(|| panic!("plugin:dream:dream not listed:\n{listing}"))
        .to_string()
}

/// Everything the plugin's MCP server logs held in this sandbox (Claude Code keeps a server's stderr there).
fn mcp_logs(sandbox: &Sandbox) -> String {
    let mut all = String::new();
    let cache = sandbox.home.join(".cache/claude-cli-nodejs");
    for project in fs::read_dir(&cache).into_iter().flatten().flatten() {
        let dir = project.path().join("mcp-logs-plugin-dream-dream");
        for log in fs::read_dir(dir).into_iter().flatten().flatten() {
            all.push_str(&fs::read_to_string(log.path()).unwrap_or_default());
        }
    }
    all
}

/// Where the launcher keeps a downloaded or built binary.
fn installed(sandbox: &Sandbox) -> PathBuf {
    sandbox
        .plugin_data()
        .join("bin")
        .join(VERSION)
        .join("dream-mcp")
}

/// The SessionStart context of a `claude -p hello` with only the launcher's tools on PATH, plus `env`.
fn hook_context(sandbox: &Sandbox, tools: &Path, env: &[(&str, &OsStr)]) -> String {
    let model = ScriptedModel::start(Box::new(|_| vec![Block::Text("Noted.".into())]));
    let mut cmd = sandbox.command();
    cmd.args(["-p", "hello", "--output-format", "json"])
        .env("PATH", tools)
        .env("ANTHROPIC_BASE_URL", model.url())
        .env("ANTHROPIC_API_KEY", "sk-ant-scripted-model");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = sandbox.run(&mut cmd, Duration::from_secs(120));
    assert_success("claude -p hello", &out);
    session_start_context(&model).expect("no SessionStart context")
}

#[test]
fn a_release_binary_in_bin_connects_without_rust() {
    let Some(sandbox) = sandbox("release_binary_in_bin") else {
        return;
    };
    let tools = launcher_tools(&sandbox.root().join("tools"));
    release_built_binary(&sandbox);
    let shipped = sandbox.plugin.join("bin").join(asset_name());
    assert!(
        shipped.is_file(),
        "scripts/release did not place {}",
        shipped.display()
    );

    let start = Instant::now();
    sandbox.install_plugin();
    let line = mcp_line(&sandbox, &tools, &[]);
    let elapsed = start.elapsed();
    assert!(line.contains("✔ Connected"), "{line}");
    notice(&format!(
        "release binary in bin/: install to connected in {:.1} s",
        elapsed.as_secs_f64()
    ));
    assert!(
        !installed(&sandbox).exists(),
        "the launcher downloaded or built instead of running the shipped binary"
    );

    // A shipped binary that is not the pinned one is not run: with nothing else to be had, the server fails
    // and its log says why.
    let mut bytes = fs::read(&shipped).expect("read shipped binary");
    bytes.extend_from_slice(b"tampered");
    fs::write(&shipped, bytes).expect("tamper with the shipped binary");
    let line = mcp_line(
        &sandbox,
        &tools,
        &[("DREAM_MCP_DOWNLOAD_URL", OsStr::new("http://127.0.0.1:9"))],
    );
    assert!(line.contains("Failed"), "{line}");
    let logs = mcp_logs(&sandbox);
    assert!(
        logs.contains("not the") && logs.contains("not running it"),
        "{logs}"
    );
}

#[test]
fn the_pinned_download_connects_and_a_wrong_checksum_is_refused_unrun() {
    let Some(sandbox) = sandbox("pinned_download") else {
        return;
    };
    let tools = launcher_tools(&sandbox.root().join("tools"));
    let digest = release_built_binary(&sandbox);
    fs::remove_dir_all(sandbox.plugin.join("bin")).expect("remove bin/");
    let server = AssetServer::start(vec![(
        asset_name(),
        fs::read(binary()).expect("read the built binary"),
    )]);
    let url = server.url();

    let start = Instant::now();
    sandbox.install_plugin();
    let line = mcp_line(
        &sandbox,
        &tools,
        &[("DREAM_MCP_DOWNLOAD_URL", OsStr::new(&url))],
    );
    let elapsed = start.elapsed();
    assert!(line.contains("✔ Connected"), "{line}");
    notice(&format!(
        "pinned download from 127.0.0.1: install to connected in {:.1} s",
        elapsed.as_secs_f64()
    ));
    assert!(
        server.requests().contains(&format!("/{}", asset_name())),
        "{:?}",
        server.requests()
    );
    let kept = fs::read(installed(&sandbox)).expect("the download is kept in plugin data");
    assert_eq!(sha256_hex(&kept), digest);

    // A second sandbox whose server answers with a program that is not the pinned asset.
    let Some(wrong) = self::sandbox("wrong_checksum") else {
        return;
    };
    let tools = launcher_tools(&wrong.root().join("tools"));
    release_built_binary(&wrong);
    fs::remove_dir_all(wrong.plugin.join("bin")).expect("remove bin/");
    let ran = wrong.root().join("the-download-ran");
    let impostor = format!("#!/bin/sh\ntouch '{}'\n", ran.display());
    let impostor_digest = sha256_hex(impostor.as_bytes());
    let server = AssetServer::start(vec![(asset_name(), impostor.into_bytes())]);
    let url = server.url();
    wrong.install_plugin();
    let env = [("DREAM_MCP_DOWNLOAD_URL", OsStr::new(&url))];
    let line = mcp_line(&wrong, &tools, &env);
    assert!(line.contains("Failed"), "{line}");
    assert!(!server.requests().is_empty(), "nothing was downloaded");
    assert!(!ran.exists(), "the unverified download was run");
    let data_bin = installed(&wrong);
    assert!(!data_bin.exists(), "the unverified download was installed");
    let leftovers: Vec<_> = fs::read_dir(data_bin.parent().expect("parent"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "download left behind: {leftovers:?}");
    let logs = mcp_logs(&wrong);
    assert!(
        logs.contains(&format!("has sha256 {impostor_digest}")) && logs.contains("deleted unrun"),
        "{logs}"
    );

    // The session hears it too.
    let context = hook_context(&wrong, &tools, &env);
    assert!(context.contains(&impostor_digest), "{context}");
    assert!(context.contains("deleted unrun"), "{context}");
    assert!(!ran.exists(), "the unverified download was run by the hook");
}

#[test]
fn with_nothing_available_the_session_start_hook_names_the_problem_and_the_fix() {
    let Some(sandbox) = sandbox("nothing_available") else {
        return;
    };
    let tools = launcher_tools(&sandbox.root().join("tools"));
    // The checkout's own plugin.json pins no release binary, and there is no cargo.
    sandbox.install_plugin();
    let line = mcp_line(&sandbox, &tools, &[]);
    assert!(line.contains("Failed"), "{line}");

    let context = hook_context(&sandbox, &tools, &[]);
    for needle in [
        "The dream plugin's MCP server cannot start",
        "pins no release binary",
        "cargo is not installed",
        "https://rustup.rs",
        "DREAM_MCP_BIN",
        "/mcp",
    ] {
        assert!(context.contains(needle), "lacks {needle:?}: {context}");
    }
    let logs = mcp_logs(&sandbox);
    assert!(logs.contains("cargo is not installed"), "{logs}");
}
