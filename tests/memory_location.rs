//! `autoMemoryDirectory` values Claude Code refuses (it falls back to its default) and values it accepts
//! that this server refuses to serve (`/`, home, a `.git` folder, the project tree): the CLI and the server
//! say so naming the setting and its file, and nothing in the source tree or the home folder changes.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::{Env, StdioServer, Tree};

/// An environment whose project is a trusted git checkout with notes, and a home with notes, and
/// `autoMemoryDirectory` set to `value` in the project's local settings.
fn world(value: &str) -> Env {
    let env = Env::new();
    for (dir, files) in [
        (
            &env.project,
            &["README.md", "CLAUDE.md", "docs/guide.md"][..],
        ),
        (&env.home, &["notes.md", "repo/README.md"][..]),
    ] {
        for f in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, format!("# {f}\n")).expect("write");
        }
    }
    std::fs::create_dir_all(env.project.join(".git")).expect("mkdir .git");
    std::fs::create_dir_all(env.home.join("repo/.git")).expect("mkdir .git");
    std::fs::create_dir_all(env.project.join(".claude")).expect("mkdir");
    std::fs::create_dir_all(&env.config).expect("mkdir");
    let trust =
        json!({"projects": {env.project.to_string_lossy(): {"hasTrustDialogAccepted": true}}});
    std::fs::write(env.config.join(".claude.json"), trust.to_string()).expect("trust");
    set(&env, value);
    env
}

fn set(env: &Env, value: &str) {
    std::fs::write(
        env.project.join(".claude/settings.local.json"),
        json!({"autoMemoryDirectory": value}).to_string(),
    )
    .expect("settings");
}

/// A settings value computed from the environment's folders.
type ValueIn = fn(&Env) -> String;

fn snapshot(env: &Env) -> Tree {
    Tree::of(
        env.root(),
        &[
            &env.project,
            &env.home.join("repo"),
            &env.home.join("notes.md"),
        ],
    )
}

fn where_json(env: &Env) -> (Option<i32>, Value) {
    let o = env
        .command()
        .args(["where", "--json"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).expect("json"),
    )
}

/// Runs every command that reaches the memory; returns each one's exit code and stderr.
fn every_command(env: &Env) -> Vec<(String, Option<i32>, String)> {
    [
        &["check"][..],
        &["status"],
        &["history"],
        &["undo"],
        &["diff"],
        &["grep", "README"],
    ]
    .iter()
    .map(|args| {
        let o = env
            .command()
            .args(*args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run");
        (
            args.join(" "),
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    })
    .collect()
}

#[test]
fn values_claude_code_refuses_fall_back_to_its_default() {
    for value in [
        ".",
        "~",
        "~/",
        "~/..",
        "~/../x",
        "/",
        "/a",
        "memory",
        "./memory",
        "$HOME",
        "$HOME/mem",
        "",
    ] {
        let env = world(value);
        let before = snapshot(&env);
        let (code, v) = where_json(&env);
        assert_eq!(code, Some(0), "{value:?}: {v}");
        assert_eq!(v["memory_source"], "project_slug", "{value:?}");
        let default = env.config.join("projects");
        assert!(
            Path::new(v["memory_dir"].as_str().unwrap_or_default()).starts_with(&default),
            "{value:?}: {v}"
        );
        if !value.is_empty() {
            assert!(
                v["ignored_setting"]
                    .as_str()
                    .is_some_and(|n| n.contains("settings.local.json")),
                "{value:?}: {v}"
            );
        }
        every_command(&env);
        before.assert_unchanged(&snapshot(&env), value);
    }
}

#[test]
fn folders_claude_code_accepts_but_that_hold_a_source_tree_or_home_are_refused() {
    let cases: [(ValueIn, &str); 5] = [
        (|e| e.project.display().to_string(), "project"),
        (|e| e.root().display().to_string(), "project"),
        (|e| e.home.display().to_string(), "home folder"),
        (|_| "~/repo".to_string(), ".git"),
        (|e| format!("{}/repo/", e.home.display()), ".git"),
    ];
    for (value, why) in cases {
        let env = world("");
        let value = value(&env);
        set(&env, &value);
        let before = snapshot(&env);
        let (code, v) = where_json(&env);
        assert_eq!(code, Some(1), "{value:?}: {v}");
        let refused = v["memory_refused"].as_str().unwrap_or_default();
        assert!(
            refused.contains("autoMemoryDirectory") && refused.contains("settings.local.json"),
            "{refused}"
        );
        for (cmd, code, stderr) in every_command(&env) {
            assert_ne!(code, Some(0), "{cmd} on {value:?} succeeded");
            assert!(
                stderr.contains("settings.local.json") && stderr.contains("refused"),
                "{cmd}: {stderr}"
            );
        }
        let mut server = env.command();
        server.arg("serve");
        let mut server = StdioServer::spawn(server);
        server.handshake();
        for (tool, args) in [
            ("list_memory", json!({})),
            ("read_memory_file", json!({"path": "README.md"})),
            (
                "write_memory_file",
                json!({"path": "README.md", "content": "# gone\n"}),
            ),
            ("delete_memory_file", json!({"path": "CLAUDE.md"})),
            ("start_dream", json!({})),
            ("grep_transcripts", json!({"pattern": "README"})),
        ] {
            let err = server.call(tool, args).expect_err(tool);
            assert!(
                err.contains(why) && err.contains("settings.local.json"),
                "{tool}: {err}"
            );
        }
        drop(server);
        before.assert_unchanged(&snapshot(&env), &value);
    }
}

#[test]
fn an_untrusted_project_setting_is_refused_naming_the_file() {
    let env = world("/srv/somewhere");
    std::fs::remove_file(env.config.join(".claude.json")).expect("untrust");
    let (code, v) = where_json(&env);
    assert_eq!(code, Some(1), "{v}");
    let refused = v["memory_refused"].as_str().unwrap_or_default();
    assert!(
        refused.contains("trust") && refused.contains("settings.local.json"),
        "{refused}"
    );
    let o = env
        .command()
        .args(["where", "--json"])
        .env("DREAM_TRUST_PROJECT_SETTINGS", "1")
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["memory_dir"], "/srv/somewhere");
    assert_eq!(v["memory_source"], "local_settings");
}
