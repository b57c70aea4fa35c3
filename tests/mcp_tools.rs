//! Every MCP tool through an in-process client: what the server says about itself and its tools, and each
//! tool's structured output on success and its tool error on refusal.

use dream_mcp::{MAX_FILE_BYTES, sha256_hex};
use serde_json::{Value, json};

use crate::util::{self, Env, topic};

#[tokio::test]
async fn server_reports_its_name_version_and_short_instructions() {
    let env = Env::new();
    let client = env.client().await;
    let info = client.server_info();
    let server = info.server_info.expect("server info");
    assert_eq!(server.name, "dream-mcp");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"));
    let instructions = info.instructions.expect("instructions");
    assert!(
        instructions.len() < 2048,
        "instructions are {} bytes; Claude Code cuts at 2 KB",
        instructions.len()
    );
    assert!(instructions.contains("relative to"), "{instructions}");
    assert!(instructions.contains("memory directory"), "{instructions}");
    assert!(info.capabilities.tools.is_some(), "tools capability");
}

#[tokio::test]
async fn every_tool_has_documented_parameters_and_annotations_within_a_size_budget() {
    let env = Env::new();
    let client = env.client().await;
    let tools = client.tools().await;
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    assert_eq!(names, util::TOOLS);
    let definitions = serde_json::to_string(&tools)
        .expect("tools serialise")
        .len();
    assert!(
        definitions < 8_500,
        "the tool definitions are {definitions} characters, paid on every request"
    );
    for tool in &tools {
        let name = tool.name.as_ref();
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(!description.is_empty(), "{name} has no description");
        assert!(description.len() < 2048, "{name} description over 2 KB");
        assert!(
            tool.output_schema.is_none(),
            "{name}: output schemas cost every request"
        );
        if let Some(props) = tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
        {
            for (param, schema) in props {
                let doc = schema["description"].as_str().unwrap_or_default();
                assert!(!doc.is_empty(), "{name}.{param} has no description");
            }
        }
        let a = tool
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has no annotations"));
        let read_only = matches!(
            name,
            "list_memory" | "read_memory_file" | "grep_transcripts"
        );
        // Hints left out take the protocol's defaults: not read-only, destructive, not idempotent,
        // open world. Only what differs from them is sent.
        assert_eq!(
            a.read_only_hint.unwrap_or(false),
            read_only,
            "{name} read_only_hint"
        );
        assert_eq!(a.open_world_hint, Some(false), "{name} open_world_hint");
        let destructive = matches!(
            name,
            "write_memory_file" | "delete_memory_file" | "rewrite_index" | "abort_dream"
        );
        if !read_only {
            assert_eq!(
                a.destructive_hint.unwrap_or(true),
                destructive,
                "{name} destructive_hint"
            );
        }
        assert_ne!(a.read_only_hint, Some(false), "{name} sends a default");
        assert_ne!(a.destructive_hint, Some(true), "{name} sends a default");
        assert_ne!(a.idempotent_hint, Some(false), "{name} sends a default");
    }
    let params = |tool: &str| -> Vec<String> {
        let t = tools.iter().find(|t| t.name == tool).expect("tool");
        let mut p: Vec<String> = t.input_schema["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        p.sort();
        p
    };
    assert_eq!(
        params("read_memory_file"),
        ["from_line", "path", "provenance", "store", "verbatim"]
    );
    assert_eq!(
        params("write_memory_file"),
        ["content", "evidence", "expected_sha256", "path", "store"]
    );
    assert_eq!(
        params("delete_memory_file"),
        ["evidence", "expected_sha256", "path", "store"]
    );
    assert_eq!(
        params("rewrite_index"),
        ["content", "evidence", "expected_sha256", "store"]
    );
}

#[tokio::test]
async fn list_memory_reports_index_files_dead_links_orphans_and_skipped() {
    let env = Env::new();
    let index = "# Memory\n- [Build](build.md) — how the build breaks\n- [Gone](gone.md) — deleted long ago\n";
    env.put("MEMORY.md", index);
    let build = topic("build", "Run `make` twice.");
    env.put("build.md", &build);
    env.put("orphan.md", "no frontmatter here\n");
    env.put(
        "team/conventions.md",
        "---\nname: conventions\ndescription: team rules\nmetadata:\n  type: feedback\n---\nbody\n",
    );
    env.put("notes.txt", "not markdown");
    env.put("logs/2026/01/02/s.md", "a log");
    let client = env.client().await;
    let v = client.ok("list_memory", json!({"files_limit": 10})).await;

    assert_eq!(
        v["directories"]["memory_dir"],
        json!(env.memory.to_string_lossy())
    );
    assert_eq!(
        v["directories"]["journal_dir"],
        json!(env.journal.to_string_lossy())
    );
    assert_eq!(v["memory_dir"], json!(env.memory.to_string_lossy()));
    let idx = &v["index"];
    assert_eq!(idx["exists"], true);
    assert_eq!(idx["lines"], 3);
    assert_eq!(idx["bytes"], index.len());
    assert_eq!(idx["max_lines"], 200);
    assert_eq!(idx["max_bytes"], 25_000);
    assert_eq!(idx["over_limit"], false);
    assert_eq!(idx["sha256"], sha256_hex(index.as_bytes()));
    assert_eq!(idx["entries"], 2, "two list items with links");
    assert_eq!(idx["cut_lines_total"], 0);
    assert_eq!(idx.get("cut_from_line"), None);
    let dead = idx["dead_links"].as_array().expect("dead links");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["line"], 3);
    assert_eq!(dead[0]["target"], "gone.md");
    assert!(
        dead[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("does not exist")
    );
    assert_eq!(idx["orphans"], json!(["orphan.md", "team/conventions.md"]));

    let files = v["files"].as_array().expect("files");
    let paths: Vec<&str> = files
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["build.md", "orphan.md", "team/conventions.md"]);
    let b = &files[0];
    assert_eq!(b["description"], "notes about build");
    assert_eq!(b["memory_type"], "project");
    assert_eq!(b["lines"], build.lines().count());
    assert_eq!(b["sha256"], sha256_hex(build.as_bytes()));
    assert_eq!(
        b.get("problems"),
        None,
        "a sound, linked file has no problems: {b}"
    );
    assert_eq!(
        files[1]["problems"],
        json!(["no frontmatter", "not in the index"])
    );
    assert_eq!(files[2]["memory_type"], "feedback");
    assert_eq!(files[2]["problems"], json!(["not in the index"]));

    let skipped: Vec<&str> = v["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| s["path"].as_str().expect("path"))
        .collect();
    assert_eq!(skipped, ["logs", "notes.txt"]);
}

#[tokio::test]
async fn list_memory_shows_which_entries_claude_code_would_cut() {
    let env = Env::new();
    let mut index = String::new();
    for i in 1..=205 {
        env.put(&format!("e{i}.md"), topic(&format!("e{i}"), "x"));
        index.push_str(&format!("- [E{i}](e{i}.md) — entry {i}\n"));
    }
    env.put("MEMORY.md", &index);
    let client = env.client().await;
    let v = client.ok("list_memory", json!({})).await;
    assert_eq!(v["index"]["over_limit"], true);
    assert_eq!(v["index"]["lines"], 205);
    assert_eq!(v["index"]["cut_from_line"], 201);
    assert_eq!(v["index"]["cut_lines_total"], 5);
    assert_eq!(v["index"]["orphans"], json!([]));
    assert_eq!(v["files_total"], 205);
    assert_eq!(v["files"], json!([]), "the file table only on request");
    let last = client
        .ok(
            "list_memory",
            json!({"files_offset": 200, "files_limit": 50}),
        )
        .await;
    let paths: Vec<&str> = last["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths.len(), 5, "{paths:?}");
    assert_eq!(last["files_offset"], 200);
}

#[tokio::test]
async fn list_memory_caps_findings_per_kind_but_counts_them_all() {
    let env = Env::new();
    let mut index = String::new();
    for i in 1..=12 {
        env.put(&format!("e{i}.md"), topic(&format!("e{i}"), "x"));
        index.push_str(&format!("- [E{i}](e{i}.md) — entry {i}\n"));
        index.push_str(&format!("- [Gone {i}](gone{i}.md) — deleted\n"));
    }
    env.put("MEMORY.md", &index);
    let client = env.client().await;
    let v = client.ok("list_memory", json!({})).await;
    assert_eq!(v["findings_by_kind"]["dead_link"], 12);
    let shown = |v: &Value| {
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == "dead_link")
            .count()
    };
    assert_eq!(shown(&v), 3, "default: 3 of each kind");
    assert!(v["findings_omitted"].as_u64().expect("omitted") >= 9);
    let all = client
        .ok("list_memory", json!({"findings_per_kind": 50}))
        .await;
    assert_eq!(shown(&all), 12);
}

#[tokio::test]
async fn list_memory_on_an_empty_directory_reports_a_missing_index() {
    let env = Env::new();
    let client = env.client().await;
    let v = client.ok("list_memory", json!({})).await;
    assert_eq!(v["index"]["exists"], false);
    assert_eq!(v["index"]["lines"], 0);
    assert_eq!(v["index"]["sha256"], "");
    assert_eq!(v["files"], json!([]));
}

#[tokio::test]
async fn every_tool_refuses_when_the_memory_directory_is_missing() {
    let env = Env::new();
    std::fs::remove_dir(&env.memory).expect("remove memory dir");
    let client = env.client().await;
    let calls = [
        ("list_memory", json!({})),
        ("read_memory_file", json!({"path": "a.md"})),
        ("write_memory_file", json!({"path": "a.md", "content": "x"})),
        ("delete_memory_file", json!({"path": "a.md"})),
        ("rewrite_index", json!({"content": ""})),
    ];
    for (tool, args) in calls {
        let e = client.refused(tool, args).await;
        assert!(
            e.contains(&env.memory.display().to_string()) && e.contains("does not exist"),
            "{tool}: {e}"
        );
    }
    assert!(
        !env.memory.exists(),
        "a refused call created the memory dir"
    );
    assert!(env.run_dirs().is_empty());
}

#[tokio::test]
async fn read_memory_file_returns_content_hash_and_counts() {
    let env = Env::new();
    let body = topic("build", "line one\nline two");
    env.put("build.md", &body);
    env.put("MEMORY.md", "- [Build](build.md) — hook\n");
    env.put("team/shared.md", "shared\n");
    let client = env.client().await;
    let v = client
        .ok("read_memory_file", json!({"path": "build.md"}))
        .await;
    assert_eq!(v["path"], "build.md");
    assert_eq!(v["content"], body);
    assert_eq!(v["sha256"], sha256_hex(body.as_bytes()));
    assert_eq!(v["lines"], 7);
    assert_eq!(v["bytes"], body.len());
    let (index, _) = client.read("MEMORY.md").await;
    assert_eq!(index, "- [Build](build.md) — hook\n");
    let grouped = client
        .ok("read_memory_file", json!({"path": "MEMORY.md"}))
        .await;
    assert_eq!(grouped.get("content"), None, "{grouped}");
    assert_eq!(
        grouped["index"],
        json!({"entries": [{"file": "build.md", "title": "Build", "lines": ["1 hook"]}],
               "other_lines": []})
    );
    assert_eq!(grouped["sha256"], sha256_hex(index.as_bytes()));
    let (shared, _) = client.read("team/shared.md").await;
    assert_eq!(shared, "shared\n");
}

#[tokio::test]
async fn a_long_file_is_read_in_parts_under_the_answer_budget() {
    let env = Env::new();
    let body: String = (0..1500)
        .map(|i| format!("- note {i:04}: {}\n", "x".repeat(50)))
        .collect();
    env.put("long.md", &body);
    let client = env.client().await;
    let (mut text, mut from, mut parts) = (String::new(), 1, 0);
    loop {
        let v = client
            .ok(
                "read_memory_file",
                json!({"path": "long.md", "from_line": from}),
            )
            .await;
        assert_eq!(
            v["sha256"],
            sha256_hex(body.as_bytes()),
            "the whole file's hash"
        );
        assert_eq!(v["lines"], 1500);
        let part = v["content"].as_str().expect("content");
        assert!(part.len() <= 30_000, "{} characters", part.len());
        text.push_str(part);
        parts += 1;
        match v["next_line"].as_u64() {
            Some(next) => from = next,
            None => break,
        }
    }
    assert_eq!(text, body, "the parts join into the file");
    assert!(parts >= 3, "{parts} parts");
}

#[tokio::test]
async fn read_memory_file_refuses_a_missing_file_and_a_bad_path() {
    let env = Env::new();
    let client = env.client().await;
    let e = client
        .refused("read_memory_file", json!({"path": "nope.md"}))
        .await;
    assert!(
        e.contains("\"nope.md\"") && e.contains("does not exist"),
        "{e}"
    );
    let e = client
        .refused("read_memory_file", json!({"path": "../x.md"}))
        .await;
    assert!(e.contains("\"../x.md\"") && e.contains("'..'"), "{e}");
    let e = client.refused("read_memory_file", json!({})).await;
    assert!(e.contains("path"), "missing parameter: {e}");
}

#[tokio::test]
async fn read_memory_file_refuses_a_file_over_the_cap() {
    let env = Env::new();
    env.put("huge.md", vec![b'a'; MAX_FILE_BYTES + 1]);
    let client = env.client().await;
    let e = client
        .refused("read_memory_file", json!({"path": "huge.md"}))
        .await;
    assert!(
        e.contains("\"huge.md\"") && e.contains(&MAX_FILE_BYTES.to_string()),
        "{e}"
    );
}

#[tokio::test]
async fn write_memory_file_creates_and_replaces_with_warnings() {
    let env = Env::new();
    let client = env.client().await;
    let first = topic("build", "v1");
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "build.md", "content": first}),
        )
        .await;
    assert_eq!(v["path"], "build.md");
    assert_eq!(v["created"], true);
    assert_eq!(v["sha256"], sha256_hex(first.as_bytes()));
    assert_eq!(v["previous_sha256"], Value::Null);
    assert_eq!(v["bytes"], first.len());
    assert_eq!(v["lines"], first.lines().count());
    assert_eq!(v["warnings"], json!([]));
    assert_eq!(env.get("build.md").as_deref(), Some(first.as_bytes()));

    let second = "no frontmatter at all\n";
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "build.md", "content": second, "expected_sha256": sha256_hex(first.as_bytes())}),
        )
        .await;
    assert_eq!(v["created"], false);
    assert_eq!(v["previous_sha256"], sha256_hex(first.as_bytes()));
    let warnings = v["warnings"].as_array().expect("warnings");
    assert!(
        warnings.len() == 1
            && warnings[0]
                .as_str()
                .is_some_and(|w| w.contains("no frontmatter")),
        "{warnings:?}"
    );
    assert_eq!(env.get("build.md").as_deref(), Some(second.as_bytes()));

    let bad_type = "---\nname: x\ndescription: y\ntype: notes\n---\nbody\n";
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "x.md", "content": bad_type}),
        )
        .await;
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("\\\"notes\\\"")
            && warnings.contains("user, feedback, project, reference"),
        "{warnings}"
    );
}

#[tokio::test]
async fn write_memory_file_creates_the_team_folder_and_keeps_the_file_mode() {
    let env = Env::new();
    let client = env.client().await;
    client
        .ok(
            "write_memory_file",
            json!({"path": "team/rules.md", "content": topic("rules", "a")}),
        )
        .await;
    assert!(env.memory.join("team").is_dir());
    assert_eq!(
        env.get("team/rules.md").as_deref(),
        Some(topic("rules", "a").as_bytes())
    );

    use std::os::unix::fs::PermissionsExt;
    let p = env.put("private.md", "secret\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    client
        .ok(
            "write_memory_file",
            json!({"path": "private.md", "content": "still secret\n"}),
        )
        .await;
    let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a rewrite widened the file's permissions");
}

#[tokio::test]
async fn write_memory_file_accepts_the_size_cap_and_refuses_one_byte_more() {
    let env = Env::new();
    env.put("big.md", "old\n");
    let client = env.client().await;
    let at_cap = "a".repeat(MAX_FILE_BYTES);
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "big.md", "content": at_cap}),
        )
        .await;
    assert_eq!(v["bytes"], MAX_FILE_BYTES);
    let before = env.tree();
    let over = "b".repeat(MAX_FILE_BYTES + 1);
    let e = client
        .refused(
            "write_memory_file",
            json!({"path": "big.md", "content": over}),
        )
        .await;
    assert!(
        e.contains("\"big.md\"") && e.contains(&MAX_FILE_BYTES.to_string()),
        "{e}"
    );
    before.assert_unchanged(&env.tree(), "over-cap write");
    let e = client
        .refused(
            "write_memory_file",
            json!({"path": "nul.md", "content": "a\u{0}b"}),
        )
        .await;
    assert!(e.contains("\"nul.md\"") && e.contains("NUL"), "{e}");
    before.assert_unchanged(&env.tree(), "NUL write");
}

#[tokio::test]
async fn delete_memory_file_removes_and_reports_index_lines_still_linking() {
    let env = Env::new();
    let body = topic("old", "stale");
    env.put("old.md", &body);
    env.put("keep.md", topic("keep", "k"));
    env.put(
        "MEMORY.md",
        "- [Keep](keep.md) — k\n- [Old](old.md) — stale\n- [Old again](old.md#why) — twice\n",
    );
    let client = env.client().await;
    let v = client
        .ok("delete_memory_file", json!({"path": "old.md"}))
        .await;
    assert_eq!(v["path"], "old.md");
    assert_eq!(v["previous_sha256"], sha256_hex(body.as_bytes()));
    assert_eq!(
        v["index_lines_still_linking"],
        json!([
            "line 2: - [Old](old.md) — stale",
            "line 3: - [Old again](old.md#why) — twice"
        ])
    );
    assert!(env.get("old.md").is_none());
    assert!(env.get("keep.md").is_some());
    let v = client
        .ok("delete_memory_file", json!({"path": "keep.md"}))
        .await;
    assert_eq!(
        v["index_lines_still_linking"],
        json!(["line 1: - [Keep](keep.md) — k"])
    );
}

#[tokio::test]
async fn delete_memory_file_refuses_a_missing_file_and_the_index() {
    let env = Env::new();
    env.put("MEMORY.md", "- [A](a.md) — a\n");
    env.put("a.md", "a\n");
    let client = env.client().await;
    let before = env.tree();
    let e = client
        .refused("delete_memory_file", json!({"path": "nope.md"}))
        .await;
    assert!(
        e.contains("\"nope.md\"") && e.contains("does not exist"),
        "{e}"
    );
    let e = client
        .refused("delete_memory_file", json!({"path": "MEMORY.md"}))
        .await;
    assert!(
        e.contains("\"MEMORY.md\"") && e.contains("rewrite_index"),
        "{e}"
    );
    before.assert_unchanged(&env.tree(), "refused deletes");
    assert!(env.run_dirs().is_empty(), "{:?}", env.run_dirs());
}

#[tokio::test]
async fn rewrite_index_writes_and_warns_about_long_entries_and_orphans() {
    let env = Env::new();
    env.put("a.md", topic("a", "a"));
    env.put("b.md", topic("b", "b"));
    env.put("MEMORY.md", "old index\n");
    let client = env.client().await;
    let long = format!("- [A](a.md) — {}", "x".repeat(160));
    let content = format!("# Memory\n{long}\n");
    let v = client
        .ok(
            "rewrite_index",
            json!({"content": content, "expected_sha256": sha256_hex(b"old index\n")}),
        )
        .await;
    assert_eq!(v["sha256"], sha256_hex(content.as_bytes()));
    assert_eq!(v["previous_sha256"], sha256_hex(b"old index\n"));
    assert_eq!(v["lines"], 2);
    assert_eq!(v["bytes"], content.len());
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("warning"))
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("line 2:") && warnings[0].contains("150"));
    assert!(warnings[1].contains("b.md") && warnings[1].contains("orphan"));
    assert_eq!(env.get("MEMORY.md").as_deref(), Some(content.as_bytes()));
}

#[tokio::test]
async fn list_memory_skips_a_topic_file_over_the_cap_instead_of_failing() {
    let env = Env::new();
    env.put("huge.md", vec![b'a'; MAX_FILE_BYTES + 1]);
    env.put("small.md", topic("small", "s"));
    let client = env.client().await;
    let v = client.ok("list_memory", json!({"files_limit": 10})).await;
    let paths: Vec<&str> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["small.md"]);
    let skipped = v["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["path"], "huge.md");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&MAX_FILE_BYTES.to_string())),
        "{skipped:?}"
    );
}
