//! Acceptance tests in the real Claude Code (installed from npm into a cache folder when it is not on PATH;
//! each test skips, saying so, when it cannot be had). Every run uses a temporary HOME.
//!
//! 1. `claude plugin validate` accepts the checkout with no warnings, also under the plugin directory's
//!    rules.
//! 2. The plugin installs from the checkout as a marketplace and its MCP server connects, both with an
//!    explicit binary and with one the launcher finds in `${CLAUDE_PLUGIN_DATA}`.
//! 3. A scripted model plays a whole dream over a copy of `examples/` through `claude -p "/dream"`: the
//!    skill's body reaches the model; the forked agent is offered only the dream tools and Read, Grep and
//!    Glob; every dream tool call succeeds without a permission prompt and returns what the model needs
//!    (findings, dated evidence); writes aimed outside the memory directory are refused; the memory ends
//!    exactly as scripted, and the undo command it reports restores it byte for byte.
//! 4. The SessionStart hook tells the model a dream is due when the automatic gate is open, and says nothing
//!    when it is closed.
// The plugin tests drive the POSIX launcher and Claude Code on Linux and macOS (see docs/plugin.md for Windows).
#![cfg(unix)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use dream_mcp::sha256_hex;
use serde_json::{Value, json};

use crate::util::claude_code::{
    Sandbox, assert_success, blocks, claude_for, is_fork, path_without_dream_mcp, server_tools,
    session_start_context, skill_parts, tool_names,
};
use crate::util::scripted_model::{Block, ScriptedModel};
use crate::util::{VERSION, binary, copy_tree, example, memory_files, repo, text, write_lock};

const TOOL_PREFIX: &str = "mcp__plugin_dream_dream__";

/// `claude plugin validate --json` of `target` in a fresh HOME, parsed.
fn validate(sandbox: &Sandbox, target: &Path, profile: bool) -> Value {
    let mut cmd = sandbox.command();
    cmd.args(["plugin", "validate", "--strict", "--json"]);
    if profile {
        cmd.args(["--profile", "directory"]);
    }
    let out = sandbox.run(cmd.arg(target), Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "validate printed no JSON ({e}): {}{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    assert_success(
        &format!("claude plugin validate {}", target.display()),
        &out,
    );
    report
}

#[test]
fn plugin_validates_strictly_with_no_warnings_and_passes_the_directory_profile() {
    let Some(claude) = claude_for(
        "plugin_claude_code::plugin_validates_strictly_with_no_warnings_and_passes_the_directory_profile",
    ) else {
        return;
    };
    let sandbox = Sandbox::new(claude);
    // The plugin as a clone has it (the validator walks every file, and a built `target/` holds more than
    // the 20,000 it looks at): as a marketplace, and its plugin manifest on its own.
    for target in [
        sandbox.plugin.clone(),
        sandbox.plugin.join(".claude-plugin/plugin.json"),
    ] {
        for profile in [false, true] {
            let report = validate(&sandbox, &target, profile);
            let manifest = &report["manifest"];
            assert_eq!(report["success"], true, "{report:#}");
            assert_eq!(manifest["errors"], json!([]), "{report:#}");
            assert_eq!(manifest["warnings"], json!([]), "{report:#}");
            assert_eq!(report["contents"], json!([]), "{report:#}");
            let provides = &report["provides"];
            assert_eq!(provides["skills"], json!(["dream:dream"]));
            assert_eq!(provides["agents"], json!(["dream:dreamer"]));
            assert_eq!(provides["mcpServers"][0]["name"], "dream");
            assert_eq!(provides["hooks"][0]["event"], "SessionStart");
            assert_eq!(report["hosts"]["declared"]["plugin"], true, "{report:#}");
            let directory = &report["directory"];
            assert_eq!(directory["findings"], json!([]), "{report:#}");
            assert_eq!(directory["undecided"], json!([]), "{report:#}");
            assert_eq!(directory["incomplete"], false, "{report:#}");
        }
    }

    // The human report of `validate --strict .` says nothing is wrong.
    let out = sandbox.run(
        sandbox
            .command()
            .args(["plugin", "validate", "--strict"])
            .arg(&sandbox.plugin),
        Duration::from_secs(60),
    );
    assert_success("claude plugin validate --strict .", &out);
    let report = text(&out.stdout);
    assert!(report.contains("Validation passed"), "{report}");
    assert!(
        !report.contains('⚠') && !report.contains('✘'),
        "warnings: {report}"
    );

    // The skill and the agent as Claude Code's component checks see them.
    let components = sandbox.root().join("components/.claude");
    fs::create_dir_all(components.join("skills/dream")).expect("create skills folder");
    fs::create_dir_all(components.join("agents")).expect("create agents folder");
    fs::copy(
        repo().join("skill/dream/SKILL.md"),
        components.join("skills/dream/SKILL.md"),
    )
    .expect("copy skill");
    fs::copy(
        repo().join("agents/dreamer.md"),
        components.join("agents/dreamer.md"),
    )
    .expect("copy agent");
    let report = validate(&sandbox, &components, false);
    assert_eq!(report["success"], true, "{report:#}");
    assert_eq!(
        report["contents"],
        json!([]),
        "skill or agent problems: {report:#}"
    );
}

/// `claude mcp list` in the sandbox's project, with `env` added.
fn mcp_list(sandbox: &Sandbox, env: &[(&str, &std::ffi::OsStr)]) -> String {
    let mut cmd = sandbox.command();
    cmd.arg("mcp").arg("list");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = sandbox.run(&mut cmd, Duration::from_secs(90));
    assert_success("claude mcp list", &out);
    text(&out.stdout)
}

fn assert_connected(listing: &str) {
    let line = listing
        .lines()
        .find(|l| l.starts_with("plugin:dream:dream:"))
        .unwrap_or_else(|| panic!("plugin:dream:dream not listed:\n{listing}"));
    assert!(line.contains("Connected"), "{line}");
    assert!(line.contains("/scripts/dream-mcp serve"), "{line}");
}

#[test]
fn plugin_installs_from_the_checkout_and_its_server_connects() {
    let Some(claude) =
        claude_for("plugin_claude_code::plugin_installs_from_the_checkout_and_its_server_connects")
    else {
        return;
    };
    let sandbox = Sandbox::new(claude);
    sandbox.install_plugin();
    let path = path_without_dream_mcp();

    // With an explicit binary.
    let bin = binary();
    let listing = mcp_list(
        &sandbox,
        &[("DREAM_MCP_BIN", bin.as_os_str()), ("PATH", &path)],
    );
    assert_connected(&listing);

    // With nothing but a build the launcher made earlier in ${CLAUDE_PLUGIN_DATA}; the stand-in records
    // that it was the one started.
    let marker = sandbox.root().join("started-from-plugin-data");
    let built = sandbox
        .plugin_data()
        .join("bin")
        .join(VERSION)
        .join("dream-mcp");
    fs::create_dir_all(built.parent().expect("parent")).expect("create plugin data bin");
    fs::write(
        &built,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            marker.display(),
            bin.display()
        ),
    )
    .expect("write stand-in");
    fs::set_permissions(&built, fs::Permissions::from_mode(0o755)).expect("chmod");
    let listing = mcp_list(&sandbox, &[("PATH", &path)]);
    assert_connected(&listing);
    let started = fs::read_to_string(&marker).expect("the plugin-data binary was not started");
    assert!(started.lines().any(|l| l == "serve"), "{started}");
}

// ---------------------------------------------------------------------------------------------------
// The scripted dream.

/// What a scripted tool call must come back as.
#[derive(Debug, Clone)]
enum Expect {
    /// A result without `is_error`.
    Ok,
    /// A result without `is_error` whose text contains all of these.
    OkWith(Vec<String>),
    /// A tool error from the server whose text contains this.
    Refused(String),
    /// Claude Code's answer to a tool the agent was not given.
    NoSuchTool,
}

/// One tool call of the script.
struct Call {
    name: String,
    input: Value,
    expect: Expect,
}

fn dream_tool(name: &str, input: Value, expect: Expect) -> Call {
    Call {
        name: format!("{TOOL_PREFIX}{name}"),
        input,
        expect,
    }
}

/// The after-state this dream leaves (`tests/fixtures/plugin-dream/`).
fn after(name: &str) -> String {
    let path = repo().join("tests/fixtures/plugin-dream").join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SUMMARY: &str = "Moved api-conventions.md to Fastify (2026-02-10) and folded in the current facts of \
random-notes.md, which is deleted with its stale ones and a password; dated the TS2307 build failures; \
rebuilt MEMORY.md from 284 lines to one pointer per topic file.";

const FINAL_TEXT: &str = "Dream finished: api-conventions.md and build-commands.md rewritten, random-notes.md \
folded in and deleted, MEMORY.md cut from 284 lines to 11 pointers. The staging database password was in \
random-notes.md: rotate it. Review with `dream-mcp diff`; undo with `dream-mcp undo`.";

/// Copies the example into the sandbox the way Claude Code lays it out: the project, its memory
/// directory, and its session transcripts.
fn install_example(sandbox: &Sandbox) {
    copy_tree(&example("messy-project"), &sandbox.project, &|_| false);
    copy_tree(&example("messy-memory"), &sandbox.memory_dir(), &|_| false);
    copy_tree(&example("transcripts"), &sandbox.transcripts, &|_| false);
}

/// The dream the scripted model plays over the example: one reply per entry; each reply is one or more
/// tool calls. `memory` is the sandbox's copy, read for the hashes a careful dream passes.
fn dream_script(memory: &Path, outside: &Path) -> Vec<Vec<Call>> {
    let sha = |name: &str| sha256_hex(&fs::read(memory.join(name)).expect("read example file"));
    let evidence = |input: Value, needles: &[&str]| {
        dream_tool(
            "grep_transcripts",
            input,
            Expect::OkWith(needles.iter().map(|n| n.to_string()).collect()),
        )
    };
    vec![
        vec![dream_tool("start_dream", json!({}), Expect::Ok)],
        vec![dream_tool(
            "list_memory",
            json!({}),
            Expect::OkWith(vec!["relative_date".into(), "stale_path".into()]),
        )],
        // Evidence from the sessions since the last dream (all of them: there was none), with dates.
        vec![evidence(
            json!({"preset": "remember", "since_last_dream": true}),
            &["amount_cents", "2026-02-18"],
        )],
        vec![evidence(
            json!({"preset": "corrections", "since_last_dream": true}),
            &["clock skew", "2026-02-12"],
        )],
        vec![evidence(
            json!({"pattern": "TS2307", "since_last_dream": true}),
            &["2026-02-03", "2026-03-02"],
        )],
        // Read-only calls, issued together.
        vec![
            dream_tool(
                "read_memory_file",
                json!({"path": "random-notes.md"}),
                Expect::Ok,
            ),
            dream_tool(
                "read_memory_file",
                json!({"path": "api-conventions.md"}),
                Expect::Ok,
            ),
            dream_tool(
                "read_memory_file",
                json!({"path": "build-commands.md"}),
                Expect::Ok,
            ),
        ],
        vec![dream_tool(
            "write_memory_file",
            json!({"path": "api-conventions.md", "content": after("api-conventions.md"),
                   "expected_sha256": sha("api-conventions.md")}),
            Expect::Ok,
        )],
        vec![dream_tool(
            "write_memory_file",
            json!({"path": "build-commands.md", "content": after("build-commands.md"),
                   "expected_sha256": sha("build-commands.md")}),
            Expect::Ok,
        )],
        vec![dream_tool(
            "delete_memory_file",
            json!({"path": "random-notes.md", "expected_sha256": sha("random-notes.md")}),
            Expect::Ok,
        )],
        // Writes aimed outside the memory directory: the server refuses them.
        vec![dream_tool(
            "write_memory_file",
            json!({"path": "../escape.md", "content": after("api-conventions.md")}),
            Expect::Refused("../escape.md".into()),
        )],
        vec![dream_tool(
            "write_memory_file",
            json!({"path": outside.join("escape.md"), "content": after("api-conventions.md")}),
            Expect::Refused(outside.join("escape.md").display().to_string()),
        )],
        // Tools the agent was not given.
        vec![Call {
            name: "Write".into(),
            input: json!({"file_path": outside.join("escape.md"), "content": "x"}),
            expect: Expect::NoSuchTool,
        }],
        vec![Call {
            name: "Bash".into(),
            input: json!({"command": format!("touch {}", outside.join("escape.md").display())}),
            expect: Expect::NoSuchTool,
        }],
        vec![dream_tool(
            "rewrite_index",
            json!({"content": after("MEMORY.md"), "expected_sha256": sha("MEMORY.md")}),
            Expect::Ok,
        )],
        // The rewrites let specifics go: finish_dream lists them and the dream stays open; the model
        // then acknowledges them ([`acknowledge_forgotten`]).
        vec![dream_tool(
            "finish_dream",
            json!({"summary": SUMMARY}),
            Expect::Refused("finish_dream refused".into()),
        )],
    ]
}

/// The specifics a `finish_dream` refusal lists in its text, one `- "specific" (file:line)` line each, as
/// a model reads them.
fn listed_forgotten(refusal: &str) -> Vec<String> {
    refusal
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.rsplit_once(" (").map(|(quoted, _)| quoted))
        .filter_map(|quoted| serde_json::from_str::<String>(quoted).ok())
        .collect()
}

/// The model's reply after a refused `finish_dream`: finish again, acknowledging every specific the
/// refusal listed. A refusal lists at most 50, so a dream may take several rounds; `None` once the
/// last finish succeeded.
fn acknowledge_forgotten(step: usize, previous: &Value) -> Option<Vec<Block>> {
    let text = result_text(previous);
    if previous["is_error"] != true || !text.contains("finish_dream refused") {
        return None;
    }
    let acks: Vec<Value> = listed_forgotten(&text)
        .into_iter()
        .map(|s| json!({"specific": s, "reason": "superseded by the merged notes", "evidence": "random-notes.md"}))
        .collect();
    assert!(!acks.is_empty(), "a refusal that lists nothing: {text}");
    Some(vec![Block::ToolUse(
        format!("toolu_{step}_0"),
        format!("{TOOL_PREFIX}finish_dream"),
        json!({"summary": SUMMARY, "forgotten": acks}),
    )])
}

/// Why a tool result does not match what the script expects of it, if it does not.
fn mismatch(expect: &Expect, result: &Value) -> Option<String> {
    let is_error = result["is_error"] == true;
    let message = result_text(result);
    let shown: String = message.chars().take(600).collect();
    let (wanted_error, needles): (bool, Vec<&str>) = match expect {
        Expect::Ok => (false, vec![]),
        Expect::OkWith(needles) => (false, needles.iter().map(String::as_str).collect()),
        Expect::Refused(path) => (true, vec![path.as_str()]),
        Expect::NoSuchTool => (true, vec!["No such tool available"]),
    };
    if is_error != wanted_error {
        let got = if is_error { "an error" } else { "a success" };
        return Some(format!("expected {expect:?}, got {got}: {shown}"));
    }
    let missing: Vec<&&str> = needles.iter().filter(|n| !message.contains(**n)).collect();
    (!missing.is_empty()).then(|| format!("lacks {missing:?}: {shown}"))
}

/// A tool result's text, whether its content is a string or a block array.
fn result_text(result: &Value) -> String {
    match &result["content"] {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// Runs `claude -p <prompt> --output-format json` against `model` and parses the result.
fn run_print(sandbox: &Sandbox, model: &ScriptedModel, prompt: &str) -> (Output, Value) {
    let bin = binary();
    let out = sandbox.run(
        sandbox
            .command()
            .args(["-p", prompt, "--output-format", "json"])
            .env("ANTHROPIC_BASE_URL", model.url())
            .env("ANTHROPIC_API_KEY", "sk-ant-scripted-model")
            .env("DREAM_MCP_BIN", &bin),
        Duration::from_secs(180),
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "claude -p printed no JSON ({e}):\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out, result)
}

#[test]
fn scripted_model_plays_a_whole_dream_through_the_skill() {
    let Some(claude) =
        claude_for("plugin_claude_code::scripted_model_plays_a_whole_dream_through_the_skill")
    else {
        return;
    };
    let sandbox = Sandbox::new(claude);
    sandbox.install_plugin();
    install_example(&sandbox);
    let memory = sandbox.memory_dir();
    let before = memory_files(&memory);
    let outside = sandbox.outside.clone();
    fs::create_dir_all(&outside).expect("create outside folder");

    let script = dream_script(&memory, &outside);
    let replies: Vec<Vec<Block>> = script
        .iter()
        .enumerate()
        .map(|(step, calls)| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    Block::ToolUse(format!("toolu_{step}_{i}"), c.name.clone(), c.input.clone())
                })
                .collect()
        })
        .collect();
    let model = ScriptedModel::start(Box::new(move |request: &Value| {
        if !is_fork(request) {
            return vec![Block::Text("The dream runs in its own agent.".into())];
        }
        // Claude Code merges consecutive assistant turns, so the next step follows from the highest step
        // whose tool call is already in the conversation.
        let step = blocks(request)
            .into_iter()
            .filter(|b| b["type"] == "tool_use")
            .filter_map(|b| {
                b["id"]
                    .as_str()?
                    .strip_prefix("toolu_")?
                    .split('_')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |s| s + 1);
        if let Some(reply) = replies.get(step) {
            return reply.clone();
        }
        let previous = blocks(request).into_iter().find(|b| {
            b["type"] == "tool_result" && b["tool_use_id"] == format!("toolu_{}_0", step - 1)
        });
        previous
            .and_then(|p| acknowledge_forgotten(step, p))
            .unwrap_or_else(|| vec![Block::Text(FINAL_TEXT.into())])
    }));

    let (out, result) = run_print(&sandbox, &model, "/dream");
    assert_success("claude -p /dream", &out);
    assert_eq!(result["is_error"], false, "{result:#}");
    assert_eq!(
        result["permission_denials"],
        json!([]),
        "a dream tool needed permission"
    );
    assert_eq!(result["result"], FINAL_TEXT, "{result:#}");

    // The forked agent got the skill's body, and only the dream tools plus Read, Grep and Glob.
    let requests = model.requests();
    let fork: Vec<&Value> = requests.iter().filter(|r| is_fork(r)).collect();
    // One request per scripted reply, one per acknowledging finish_dream, and the final one.
    let rounds = fork.len() - script.len() - 1;
    assert!(
        (1..=10).contains(&rounds),
        "{} requests for {} scripted replies: the forgotten specifics took {rounds} rounds",
        fork.len(),
        script.len()
    );
    let (_, body) = skill_parts();
    let skill_block = blocks(fork[0])
        .into_iter()
        .filter_map(|b| b["text"].as_str())
        .find(|t| t.starts_with("Base directory for this skill:"))
        .expect("the skill's body reaches the model");
    assert!(
        skill_block.contains(body.trim_end()),
        "the skill text differs from SKILL.md's body"
    );
    let mut expected_tools: BTreeSet<String> = server_tools()
        .iter()
        .map(|t| format!("{TOOL_PREFIX}{t}"))
        .collect();
    expected_tools.extend(["Read", "Grep", "Glob"].map(String::from));
    for request in &fork {
        let offered = tool_names(request);
        for forbidden in ["Write", "Edit", "Bash", "NotebookEdit"] {
            assert!(
                !offered.contains(forbidden),
                "{forbidden} offered to the dream agent"
            );
        }
        assert_eq!(offered, expected_tools, "tools offered to the dream agent");
    }

    // Each scripted call came back as expected.
    let last = fork.last().expect("fork requests");
    let results: BTreeMap<String, &Value> = blocks(last)
        .into_iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| (b["tool_use_id"].as_str().unwrap_or_default().to_string(), b))
        .collect();
    // Every call is checked, and all mismatches reported together at the end.
    let mut mismatches = Vec::new();
    for (step, calls) in script.iter().enumerate() {
        for (i, call) in calls.iter().enumerate() {
            let id = format!("toolu_{step}_{i}");
            let result = results
                .get(&id)
                .unwrap_or_else(|| panic!("no result for {} ({id})", call.name));
            if let Some(why) = mismatch(&call.expect, result) {
                mismatches.push(format!("step {step}, {}: {why}", call.name));
            }
        }
    }
    let finish = results[&format!("toolu_{}_0", script.len() - 1 + rounds)];
    let report: Value = serde_json::from_str(&result_text(finish)).expect("finish_dream JSON");
    assert_eq!(report["summary"], SUMMARY);
    let let_go = report["retention"]["forgotten"]
        .as_array()
        .expect("the report carries the retention audit");
    assert!(
        !let_go.is_empty() && let_go.iter().all(|f| f["reason"].is_string()),
        "every specific let go has its reason: {report:#}"
    );
    assert!(
        report["undo_command"]
            .as_str()
            .is_some_and(|c| c.contains("dream-mcp undo")),
        "{report:#}"
    );

    // The memory ends exactly as scripted: two files rewritten, one deleted, a new index, the rest as
    // they were; and nothing was written outside it.
    let mut expected = before.clone();
    expected.remove("random-notes.md");
    for name in ["MEMORY.md", "api-conventions.md", "build-commands.md"] {
        expected.insert(name.to_string(), after(name).into_bytes());
    }
    assert_eq!(memory_files(&memory), expected);
    let check = sandbox.run(
        std::process::Command::new(binary())
            .arg("check")
            .arg(&memory)
            .env_clear()
            .env("HOME", &sandbox.home)
            .current_dir(&sandbox.project),
        Duration::from_secs(60),
    );
    assert_success("dream-mcp check after the dream", &check);
    assert_eq!(
        fs::read_dir(&outside).expect("read outside").count(),
        0,
        "something was written outside the memory directory"
    );
    assert!(!memory.parent().expect("parent").join("escape.md").exists());

    // The undo command the dream reported puts every file back, byte for byte.
    let undo = report["undo_command"].as_str().expect("undo command");
    let args: Vec<&str> = undo.split_whitespace().collect();
    assert_eq!(args[..2], ["dream-mcp", "undo"], "{undo}");
    let out = sandbox.run(
        std::process::Command::new(binary())
            .args(&args[1..])
            .env_clear()
            .env("HOME", &sandbox.home)
            .current_dir(&sandbox.project),
        Duration::from_secs(60),
    );
    assert_success(undo, &out);
    assert_eq!(
        memory_files(&memory),
        before,
        "undo did not restore the memory"
    );
    assert!(
        mismatches.is_empty(),
        "tool results differ from the script:\n{}",
        mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------------
// The automatic trigger.

/// Writes `count` session transcripts, last modified now, where Claude Code keeps this project's sessions.
fn write_sessions(sandbox: &Sandbox, count: usize) {
    let dir = &sandbox.transcripts;
    fs::create_dir_all(dir).expect("create transcripts dir");
    for i in 0..count {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let line = json!({"type": "user", "sessionId": id, "message": {"role": "user", "content": "hello"}});
        fs::write(dir.join(format!("{id}.jsonl")), format!("{line}\n")).expect("write session");
    }
}

#[test]
fn session_start_hook_says_a_dream_is_due_only_when_the_gate_is_open() {
    let Some(claude) = claude_for(
        "plugin_claude_code::session_start_hook_says_a_dream_is_due_only_when_the_gate_is_open",
    ) else {
        return;
    };
    let sandbox = Sandbox::new(claude);
    sandbox.install_plugin();
    copy_tree(&example("messy-memory"), &sandbox.memory_dir(), &|_| false);
    let answer = "Noted.";
    let model = ScriptedModel::start(Box::new(move |_| vec![Block::Text(answer.into())]));

    // Four sessions and no consolidation yet: the gate is closed.
    write_sessions(&sandbox, 4);
    let (out, result) = run_print(&sandbox, &model, "hello");
    assert_success("claude -p hello", &out);
    assert_eq!(result["result"], answer);
    assert_eq!(session_start_context(&model), None);

    // A fifth session opens it.
    write_sessions(&sandbox, 5);
    let model = ScriptedModel::start(Box::new(move |_| vec![Block::Text(answer.into())]));
    let (out, result) = run_print(&sandbox, &model, "hello");
    assert_success("claude -p hello", &out);
    assert_eq!(result["result"], answer);
    let context =
        session_start_context(&model).expect("no SessionStart context with the gate open");
    assert!(
        context.contains("A memory consolidation is due"),
        "{context}"
    );
    assert!(context.contains("/dream"), "{context}");

    // A recent consolidation closes it again.
    write_lock(&sandbox.memory_dir(), 1, Duration::from_secs(3600));
    let model = ScriptedModel::start(Box::new(move |_| vec![Block::Text(answer.into())]));
    let (out, _) = run_print(&sandbox, &model, "hello");
    assert_success("claude -p hello", &out);
    assert_eq!(session_start_context(&model), None);
}

/// Sets the plugin's `userConfig` options in the sandbox's user settings, as Claude Code's config dialog
/// saves them (`pluginConfigs["dream@dream"].options`), keeping what the install wrote there.
fn set_plugin_options(sandbox: &Sandbox, options: Value) {
    let file = sandbox.config.join("settings.json");
    let mut settings: Value = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    settings["pluginConfigs"]["dream@dream"]["options"] = options;
    std::fs::write(&file, serde_json::to_vec_pretty(&settings).unwrap()).unwrap();
}

#[test]
fn plugin_user_config_reaches_the_hook_in_claude_code() {
    let Some(claude) =
        claude_for("plugin_claude_code::plugin_user_config_reaches_the_hook_in_claude_code")
    else {
        return;
    };
    let sandbox = Sandbox::new(claude);
    sandbox.install_plugin();
    copy_tree(&example("messy-memory"), &sandbox.memory_dir(), &|_| false);
    write_sessions(&sandbox, 2);
    let answer = "Noted.";
    let run = |options: Value| {
        set_plugin_options(&sandbox, options);
        let model = ScriptedModel::start(Box::new(move |_| vec![Block::Text(answer.into())]));
        let (out, _) = run_print(&sandbox, &model, "hello");
        assert_success("claude -p hello", &out);
        session_start_context(&model)
    };
    // Two sessions: closed at the default 5, open with min_sessions = 2.
    assert_eq!(run(serde_json::json!({})), None);
    let suggest = run(serde_json::json!({"min_sessions": 2})).expect("due at 2 sessions");
    assert!(suggest.contains("At a natural pause"), "{suggest}");
    assert_eq!(
        run(serde_json::json!({"min_sessions": 2, "when_due": "off"})),
        None
    );
    let auto = run(serde_json::json!({"min_sessions": 2, "when_due": "auto"})).expect("auto");
    assert!(auto.contains("Without asking"), "{auto}");
    // The circuit breaker: the next session start in the same window does not start another.
    assert_eq!(
        run(serde_json::json!({"min_sessions": 2, "when_due": "auto"})),
        None
    );
}

#[test]
/// The skill is `background: true`. Claude Code 2.1.332 in `-p` mode runs it as a forked execution that
/// completes inside the Skill tool call (there is no later session to report back to), then the turn goes
/// on with its result; the model reaches it with the Skill tool once `Skill(dream:dream)` is allowed.
fn in_print_mode_the_background_dream_skill_completes_within_the_turn_and_the_turn_goes_on() {
    let Some(claude) = claude_for(
        "plugin_claude_code::in_print_mode_the_background_dream_skill_completes_within_the_turn_and_the_turn_goes_on",
    ) else {
        return;
    };
    let sandbox = Sandbox::new(claude);
    sandbox.install_plugin();
    copy_tree(&example("messy-memory"), &sandbox.memory_dir(), &|_| false);
    // In -p mode the Skill tool needs its allow rule, as a user of `when_due = auto` gives it.
    let file = sandbox.config.join("settings.json");
    let mut settings: Value = fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    settings["permissions"]["allow"] = serde_json::json!(["Skill(dream:dream)"]);
    fs::write(&file, serde_json::to_vec_pretty(&settings).unwrap()).unwrap();
    let model = ScriptedModel::start(Box::new(move |request: &Value| {
        if is_fork(request) {
            return vec![Block::Text("Dream done: nothing to change.".into())];
        }
        let started = blocks(request).iter().any(|b| b["type"] == "tool_result");
        if started {
            vec![Block::Text("Going on with the task.".into())]
        } else {
            vec![Block::ToolUse(
                "toolu_skill".into(),
                "Skill".into(),
                serde_json::json!({"skill": "dream:dream"}),
            )]
        }
    }));
    let (out, result) = run_print(&sandbox, &model, "hello");
    assert_success("claude -p hello", &out);
    let requests = model.requests();
    let skill_result: Vec<String> = requests
        .iter()
        .filter(|r| !is_fork(r))
        .flat_map(|r| blocks(r).into_iter().cloned().collect::<Vec<_>>())
        .filter(|b| b["type"] == "tool_result" && b["tool_use_id"] == "toolu_skill")
        .map(|b| b["content"].to_string())
        .collect();
    assert_eq!(skill_result.len(), 1, "{skill_result:?}");
    assert!(
        skill_result[0].contains("completed (forked execution)")
            && skill_result[0].contains("Dream done: nothing to change."),
        "{skill_result:?}"
    );
    assert_eq!(requests.iter().filter(|r| is_fork(r)).count(), 1);
    assert_eq!(result["result"], "Going on with the task.", "{result:#}");
    assert_eq!(result["permission_denials"], serde_json::json!([]));
}
