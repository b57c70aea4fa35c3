//! The plugin's files agree with each other and with the crate: one version, one license, the skill
//! pre-approves exactly the server's tools, the agent is offered nothing that writes outside the memory
//! directory, and the icon is what the plugin directory accepts.
// The plugin tests drive the POSIX launcher and Claude Code on Linux and macOS (see docs/plugin.md for Windows).
#![cfg(unix)]

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use crate::util::claude_code::{server_tools, skill_field, skill_md, skill_parts};
use crate::util::{VERSION, repo};

const TOOL_PREFIX: &str = "mcp__plugin_dream_dream__";

fn json_file(path: &str) -> Value {
    let text = fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

#[test]
fn plugin_manifest_repeats_the_crate_and_declares_the_server_inline() {
    let plugin = json_file(".claude-plugin/plugin.json");
    assert_eq!(plugin["name"], "dream");
    assert_eq!(plugin["version"], VERSION, "plugin.json version");
    assert_eq!(plugin["license"], env!("CARGO_PKG_LICENSE"));
    assert_eq!(plugin["repository"], env!("CARGO_PKG_REPOSITORY"));
    assert_eq!(plugin["skills"], "./skill/");
    assert_eq!(plugin["agents"], json!(["./agents/dreamer.md"]));
    assert_eq!(plugin["hooks"], "./hooks/hooks.json");
    assert_eq!(
        plugin["network"],
        json!({"hosts": ["github.com", "release-assets.githubusercontent.com", "objects.githubusercontent.com"]}),
        "the launcher's download reaches only the GitHub release"
    );
    assert_eq!(
        plugin["engines"],
        json!({"claude-code": format!(">={}", crate::util::claude_code::CLAUDE_VERSION)}),
        "engines names the Claude Code release the acceptance tests run against"
    );
    assert!(
        plugin.get("binaries").is_none(),
        "binaries are pinned only on the release ref, by scripts/release"
    );
    let servers = plugin["mcpServers"].as_object().expect("mcpServers inline");
    assert_eq!(servers.keys().collect::<Vec<_>>(), ["dream"]);
    assert_eq!(
        servers["dream"]["command"],
        "${CLAUDE_PLUGIN_ROOT}/scripts/dream-mcp"
    );
    assert_eq!(servers["dream"]["args"], json!(["serve"]));
    for key in ["description", "author", "homepage", "keywords"] {
        assert!(!plugin[key].is_null(), "plugin.json lacks {key}");
    }
    assert!(
        !repo().join(".mcp.json").exists(),
        "a root .mcp.json would also load as project config for anyone opening this repository"
    );
    for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(repo().join(license).is_file(), "{license} missing");
    }
}

#[test]
fn marketplace_lists_the_plugin_at_the_same_version() {
    let market = json_file(".claude-plugin/marketplace.json");
    assert_eq!(market["name"], "dream");
    assert!(market["owner"]["name"].is_string());
    let plugins = market["plugins"].as_array().expect("plugins");
    assert_eq!(plugins.len(), 1);
    assert_eq!(plugins[0]["name"], "dream");
    assert_eq!(plugins[0]["source"], "./");
    assert_eq!(plugins[0]["version"], VERSION, "marketplace.json version");
}

#[test]
fn icon_is_a_square_png_the_directory_accepts() {
    let bytes = fs::read(repo().join(".claude-plugin/icon.png")).expect("icon.png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().expect("width bytes"));
    let height = u32::from_be_bytes(bytes[20..24].try_into().expect("height bytes"));
    assert_eq!(width, height, "icon must be square");
    assert!((512..=2048).contains(&width), "icon is {width} px");
    assert!(bytes.len() < 2 * 1024 * 1024, "icon over 2 MB");
}

#[test]
fn skill_frontmatter_triggers_forks_and_preapproves_exactly_the_servers_tools() {
    let text = skill_md();
    assert!(
        text.lines().count() < 500,
        "SKILL.md has {} lines",
        text.lines().count()
    );
    assert_eq!(skill_field("name"), "dream");
    assert_eq!(skill_field("context"), "fork");
    assert_eq!(
        skill_field("agent"),
        "dream:dreamer",
        "a bare agent name is ignored and the fork gets every tool"
    );
    let description = skill_field("description");
    for phrase in [
        "dream",
        "consolidate my memory",
        "clean up my memory",
        "tidy my memory files",
        "prune my memory files",
        "memory consolidation",
    ] {
        assert!(description.contains(phrase), "description lacks {phrase:?}");
    }

    let allowed: BTreeSet<String> = skill_field("allowed-tools")
        .split(',')
        .map(|t| t.trim().to_string())
        .collect();
    let mut expected: BTreeSet<String> = server_tools()
        .iter()
        .map(|t| format!("{TOOL_PREFIX}{t}"))
        .collect();
    expected.extend(["Read", "Grep", "Glob"].map(String::from));
    assert_eq!(
        allowed, expected,
        "allowed-tools must name every tool of the server, and nothing else"
    );

    let (_, body) = skill_parts();
    for tool in allowed.iter().filter_map(|t| t.strip_prefix(TOOL_PREFIX)) {
        assert!(
            body.contains(&format!("`{tool}`")),
            "the body never says when to use {tool}"
        );
    }
}

#[test]
fn dreamer_agent_is_offered_no_tool_that_writes_outside_memory() {
    let text = fs::read_to_string(repo().join("agents/dreamer.md")).expect("agents/dreamer.md");
    let front = text
        .strip_prefix("---\n")
        .and_then(|r| r.split_once("\n---\n"))
        .expect("agent frontmatter")
        .0;
    let field = |key: &str| {
        front
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("agent has no {key}"))
    };
    assert_eq!(field("name"), "dreamer");
    let tools: Vec<&str> = field("tools").split(',').map(str::trim).collect();
    assert_eq!(
        tools,
        ["Read", "Grep", "Glob", "mcp__plugin_dream_dream__*"]
    );
}

#[test]
fn session_start_hook_runs_the_launcher_status_check() {
    let hooks = json_file("hooks/hooks.json");
    let session_start = hooks["hooks"]["SessionStart"]
        .as_array()
        .expect("SessionStart hooks");
    let commands: Vec<&str> = session_start
        .iter()
        .flat_map(|m| m["hooks"].as_array().into_iter().flatten())
        .map(|h| {
            assert_eq!(h["type"], "command");
            h["command"].as_str().expect("command")
        })
        .collect();
    assert_eq!(
        commands,
        ["\"${CLAUDE_PLUGIN_ROOT}/scripts/dream-mcp\" status --hook"]
    );
    let launcher = repo().join("scripts/dream-mcp");
    let mode = fs::metadata(&launcher)
        .expect("launcher")
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "launcher is not executable");
    let text = fs::read_to_string(&launcher).expect("read launcher");
    assert!(text.starts_with("#!/bin/sh\n"), "launcher must be POSIX sh");
}

/// A plugin tree and an assets folder for `scripts/release`.
fn release_world() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let plugin = tmp.path().join("plugin");
    let assets = tmp.path().join("assets");
    fs::create_dir_all(plugin.join(".claude-plugin")).expect("create plugin");
    fs::create_dir_all(&assets).expect("create assets");
    for file in [".claude-plugin/plugin.json", "Cargo.toml"] {
        fs::copy(repo().join(file), plugin.join(file)).expect("copy plugin file");
    }
    (tmp, plugin, assets)
}

#[test]
fn release_script_writes_sha256sums_ships_the_assets_and_pins_them() {
    let (_tmp, plugin, assets) = release_world();
    let names = [
        "dream-mcp-x86_64-unknown-linux-musl",
        "dream-mcp-x86_64-pc-windows-msvc.exe",
    ];
    for name in names {
        fs::write(assets.join(name), format!("binary {name}")).expect("write asset");
    }
    let out = crate::util::claude_code::release(&assets, &plugin, &[]);
    crate::util::claude_code::assert_success("scripts/release", &out);
    let digest = |name: &str| dream_mcp::sha256_hex(format!("binary {name}").as_bytes());

    let sums = fs::read_to_string(assets.join("SHA256SUMS")).expect("SHA256SUMS");
    let mut expected: Vec<String> = names
        .iter()
        .map(|n| format!("{}  {n}", digest(n)))
        .collect();
    expected.sort_by(|a, b| {
        a.split_whitespace()
            .nth(1)
            .cmp(&b.split_whitespace().nth(1))
    });
    assert_eq!(sums.lines().collect::<Vec<_>>(), expected);

    let manifest: Value = serde_json::from_str(
        &fs::read_to_string(plugin.join(".claude-plugin/plugin.json")).expect("plugin.json"),
    )
    .expect("plugin.json is JSON");
    let pins: serde_json::Map<String, Value> = names
        .iter()
        .map(|n| (n.to_string(), json!({"sha256": digest(n)})))
        .collect();
    assert_eq!(manifest["binaries"], Value::Object(pins));
    let original = json_file(".claude-plugin/plugin.json");
    for (key, value) in original.as_object().expect("object") {
        assert_eq!(&manifest[key], value, "scripts/release changed {key}");
    }
    for name in names {
        let shipped = plugin.join("bin").join(name);
        assert_eq!(
            fs::read_to_string(&shipped).expect("shipped asset"),
            format!("binary {name}")
        );
        let mode = fs::metadata(&shipped)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{name} is not executable");
    }

    // In CI every released platform must be there.
    let out = crate::util::claude_code::release(&assets, &plugin, &["--require-all"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = crate::util::text(&out.stderr);
    assert!(
        stderr.contains("missing assets: dream-mcp-aarch64-apple-darwin"),
        "{stderr}"
    );
}

#[test]
fn release_script_refuses_a_stray_asset_and_changes_nothing() {
    let (_tmp, plugin, assets) = release_world();
    fs::write(assets.join("dream-mcp-sparc-sun-solaris"), "x").expect("write asset");
    let before = fs::read(plugin.join(".claude-plugin/plugin.json")).expect("plugin.json");
    let out = crate::util::claude_code::release(&assets, &plugin, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = crate::util::text(&out.stderr);
    assert!(
        stderr.contains("dream-mcp-sparc-sun-solaris") && stderr.contains("released triple"),
        "{stderr}"
    );
    assert_eq!(
        fs::read(plugin.join(".claude-plugin/plugin.json")).expect("plugin.json"),
        before
    );
    assert!(!assets.join("SHA256SUMS").exists());
    assert!(!plugin.join("bin").exists());
}
