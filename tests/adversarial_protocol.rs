//! The adversarial suite at the edges: JSON type confusion in tool parameters and malformed JSON-RPC sent
//! to the built server over stdio, and hostile arguments and tampered journals given to the CLI.
//!
//! Every case must get a clear error (a tool error or a JSON-RPC error naming the problem), leave the
//! temporary tree byte-identical and the journal without runs, and leave the server answering.

use std::fs;
use std::io::Write;

use dream_mcp::sha256_hex;
use serde_json::{Value, json};

use crate::util::{Env, Tree, topic};

fn healthy(env: &Env) {
    env.healthy();
}

fn tree(env: &Env) -> Tree {
    Tree::of(env.root(), &[&env.memory, &env.outside, &env.home])
}

/// `(tool, arguments, a phrase the error must contain)`.
fn confusions() -> Vec<(&'static str, Value, &'static str)> {
    let sha = "0".repeat(64);
    vec![
        // read_memory_file
        ("read_memory_file", json!({"path": 5}), "invalid type"),
        ("read_memory_file", json!({"path": null}), "invalid type"),
        (
            "read_memory_file",
            json!({"path": ["a.md"]}),
            "invalid type",
        ),
        (
            "read_memory_file",
            json!({"path": {"p": "a.md"}}),
            "invalid type",
        ),
        ("read_memory_file", json!({"path": true}), "invalid type"),
        ("read_memory_file", json!({}), "missing field `path`"),
        (
            "read_memory_file",
            json!({"path": "a.md", "follow": true}),
            "unknown field `follow`",
        ),
        // write_memory_file
        (
            "write_memory_file",
            json!({"path": "a.md", "content": 5}),
            "invalid type",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": null}),
            "invalid type",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": ["x"]}),
            "invalid type",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": {"text": "x"}}),
            "invalid type",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md"}),
            "missing field `content`",
        ),
        (
            "write_memory_file",
            json!({"content": "x"}),
            "missing field `path`",
        ),
        (
            "write_memory_file",
            json!({"path": 1.5, "content": "x"}),
            "invalid type",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": "x", "expected_sha256": 5}),
            "invalid type",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": "x", "expected_sha": sha}),
            "unknown field `expected_sha`",
        ),
        (
            "write_memory_file",
            json!({"path": "a.md", "content": "x", "force": true}),
            "unknown field `force`",
        ),
        // delete_memory_file
        ("delete_memory_file", json!({"path": false}), "invalid type"),
        (
            "delete_memory_file",
            json!({"path": "a.md", "expected_sha256": []}),
            "invalid type",
        ),
        (
            "delete_memory_file",
            json!({"path": "a.md", "recursive": true}),
            "unknown field `recursive`",
        ),
        ("delete_memory_file", json!({}), "missing field `path`"),
        // rewrite_index
        ("rewrite_index", json!({"content": 42}), "invalid type"),
        ("rewrite_index", json!({}), "missing field `content`"),
        (
            "rewrite_index",
            json!({"content": "- [A](a.md) — a\n", "force": true}),
            "unknown field `force`",
        ),
        // start_dream, finish_dream, abort_dream
        ("start_dream", json!({"min_hours": "24"}), "invalid type"),
        ("start_dream", json!({"min_sessions": -1}), "expected usize"),
        ("start_dream", json!({"min_sessions": 1e30}), "invalid type"),
        ("start_dream", json!({"min_hours": []}), "invalid type"),
        (
            "start_dream",
            json!({"ignore_lock": true}),
            "unknown field `ignore_lock`",
        ),
        ("finish_dream", json!({}), "missing field `summary`"),
        ("finish_dream", json!({"summary": 7}), "invalid type"),
        ("abort_dream", json!({"reason": null}), "invalid type"),
        // grep_transcripts
        ("grep_transcripts", json!({"pattern": 5}), "invalid type"),
        (
            "grep_transcripts",
            json!({"pattern": "x", "max_results": -1}),
            "expected usize",
        ),
        (
            "grep_transcripts",
            json!({"pattern": "x", "context_chars": "200"}),
            "invalid type",
        ),
        (
            "grep_transcripts",
            json!({"pattern": "x", "sessions": "abc"}),
            "invalid type",
        ),
        (
            "grep_transcripts",
            json!({"pattern": "x", "preset": "everything"}),
            "unknown variant",
        ),
        (
            "grep_transcripts",
            json!({"pattern": "x", "role": "root"}),
            "unknown variant",
        ),
        (
            "grep_transcripts",
            json!({"pattern": "x", "regex": "y"}),
            "unknown field `regex`",
        ),
        (
            "grep_transcripts",
            json!({"pattern": "x", "since_last_dream": "yes"}),
            "invalid type",
        ),
    ]
}

/// The error text of a response: a tool error's text or a JSON-RPC error's message.
fn error_text(resp: &Value) -> Option<String> {
    if let Some(msg) = resp["error"]["message"].as_str() {
        return Some(msg.to_string());
    }
    (resp["result"]["isError"] == json!(true)).then(|| {
        resp["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    })
}

#[test]
fn json_type_confusion_in_every_tool_is_refused_and_changes_nothing() {
    let env = Env::new();
    healthy(&env);
    let before = tree(&env);
    let mut server = env.spawn_server();
    server.handshake();
    let table = confusions();
    for (n, (tool, args, phrase)) in table.iter().enumerate() {
        let resp = server.request(
            100 + n as u64,
            "tools/call",
            json!({"name": tool, "arguments": args}),
        );
        let msg = error_text(&resp).unwrap_or_else(|| panic!("{tool} {args}: accepted: {resp}"));
        assert!(
            msg.contains(phrase),
            "{tool} {args}: {msg:?} lacks {phrase:?}"
        );
        before.assert_unchanged(&tree(&env), &format!("{tool} {args}"));
        assert!(env.run_dirs().is_empty(), "{tool} {args}: left a run");
    }
    eprintln!("{} JSON type confusion cases refused", table.len());
    assert!(table.len() >= 30);
}

/// Requests that are not valid tool calls at all.
#[test]
fn malformed_requests_get_errors_and_the_server_keeps_answering() {
    let env = Env::new();
    healthy(&env);
    let before = tree(&env);
    let mut server = env.spawn_server();
    server.handshake();
    let bad = [
        json!({"name": "read_memory_file", "arguments": ["a.md"]}),
        json!({"name": "read_memory_file", "arguments": "a.md"}),
        json!({"name": "no_such_tool", "arguments": {}}),
        json!({"name": "../write_memory_file", "arguments": {"path": "a.md", "content": "x"}}),
        json!({"arguments": {"path": "a.md"}}),
    ];
    for (n, params) in bad.iter().enumerate() {
        let resp = server.request(200 + n as u64, "tools/call", params.clone());
        assert!(
            error_text(&resp).is_some_and(|m| !m.is_empty()),
            "{params}: no error: {resp}"
        );
    }
    // Lines that are not JSON-RPC at all, then a lone surrogate no JSON parser accepts: ignored.
    let stdin = server.take_stdin();
    let mut stdin = stdin;
    writeln!(stdin, "this is not json").unwrap();
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":300,"method":"tools/call","params":{{"name":"read_memory_file","arguments":{{"path":"\ud800.md"}}}}}}"#
    )
    .unwrap();
    writeln!(
        stdin,
        "{}",
        json!({"jsonrpc": "2.0", "id": 301, "method": "tools/call",
               "params": {"name": "read_memory_file", "arguments": {"path": "a.md"}}})
    )
    .unwrap();
    stdin.flush().unwrap();
    let answered = loop {
        let v = server.recv();
        if v["id"] == json!(301) {
            break v;
        }
    };
    assert_eq!(
        answered["result"]["structuredContent"]["content"],
        topic("a", "first"),
        "the server still answers after garbage: {answered}"
    );
    before.assert_unchanged(&tree(&env), "malformed requests");
    assert!(env.run_dirs().is_empty());
    drop(stdin);
    assert!(server.finish(), "the server exits cleanly at end of input");
}

/// A run record edited by another local process: its id names another folder, or its blob points
/// outside its folder.
fn tampered_run(env: &Env, folder: &str, id: &str, blob: &str) {
    let dir = env.journal.join("runs").join(folder);
    fs::create_dir_all(dir.join("before")).unwrap();
    let record = json!({
        "id": id, "kind": "single", "status": "finished",
        "started": "2026-11-20T10:00:00.000Z", "ended": "2026-11-20T10:00:01.000Z",
        "pid": 1, "summary": "tampered", "undoes": null,
        "touched": [{
            "path": "a.md",
            "before": {"sha256": sha256_hex(b"outside\n"), "blob": blob},
            "after": {"sha256": sha256_hex(topic("a", "first").as_bytes()), "blob": null}
        }]
    });
    fs::write(dir.join("run.json"), record.to_string()).unwrap();
}

/// `(name, setup, arguments, a phrase stderr must contain)`.
type CliCase = (&'static str, fn(&Env), Vec<String>, &'static str);

#[test]
fn hostile_cli_arguments_and_tampered_journals_are_refused_and_change_nothing() {
    let cases: Vec<CliCase> = vec![
        (
            "undo of a run that does not exist",
            healthy,
            vec!["undo".into(), "20990101T000000.000000Z-1".into()],
            "no run",
        ),
        (
            "undo with a path-like run id",
            healthy,
            vec!["undo".into(), "../../outside/secret.md".into()],
            "no run",
        ),
        (
            "diff of a run that does not exist",
            healthy,
            vec!["diff".into(), "nope".into()],
            "no run",
        ),
        (
            "undo with an empty journal",
            healthy,
            vec!["undo".into()],
            "no run",
        ),
        (
            "undo of a record whose blob points outside its folder",
            |e| {
                healthy(e);
                tampered_run(
                    e,
                    "20261120T100000.000000Z-1",
                    "20261120T100000.000000Z-1",
                    "../../../outside/secret.md",
                );
            },
            vec!["undo".into(), "20261120T100000.000000Z-1".into()],
            "no run",
        ),
        (
            "undo of a record whose id names another folder",
            |e| {
                healthy(e);
                tampered_run(e, "20261120T100000.000000Z-2", "../../outside", "before/0");
            },
            vec!["undo".into(), "../../outside".into()],
            "no run",
        ),
        (
            "check of a file",
            healthy,
            vec!["check".into(), "$MEM/a.md".into()],
            "not a directory",
        ),
        (
            "check of a folder that does not exist",
            healthy,
            vec!["check".into(), "$MEM/nope".into()],
            "does not exist",
        ),
    ];
    for (name, setup, args, phrase) in &cases {
        let env = Env::new();
        setup(&env);
        let journal_before = env.run_dirs();
        let before = tree(&env);
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("$MEM", &env.memory.to_string_lossy()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.cli(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(phrase),
            "{name}: {stderr:?} lacks {phrase:?}"
        );
        before.assert_unchanged(&tree(&env), name);
        assert_eq!(
            env.run_dirs(),
            journal_before,
            "{name}: the journal changed"
        );
        let history = env.cli(&["history", "--json"]);
        let runs: Value = serde_json::from_slice(&history.stdout).expect("history parses");
        assert_eq!(runs, json!([]), "{name}: a tampered record is listed");
    }
    eprintln!("{} hostile CLI cases refused", cases.len());
}
