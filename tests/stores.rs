//! Agent memory stores served beside the project's memory: found in each scope, named by `store` on
//! every tool, each confined to its own folder with its own journal and lock.

use std::fs;
use std::path::PathBuf;

use serde_json::json;

use crate::util::{Env, memory_files, text, topic, write_file};

/// An environment with one agent store in each scope, each holding `note.md` and an index.
struct Stores {
    env: Env,
    user: PathBuf,
    project: PathBuf,
    local: PathBuf,
}

fn stores() -> Stores {
    let env = Env::new();
    env.healthy();
    let user = env.config.join("agent-memory").join("reviewer");
    let project = env
        .project
        .join(".claude")
        .join("agent-memory")
        .join("designer");
    let local = env
        .project
        .join(".claude")
        .join("agent-memory-local")
        .join("scout");
    for (dir, who) in [
        (&user, "reviewer"),
        (&project, "designer"),
        (&local, "scout"),
    ] {
        write_file(
            &dir.join("note.md"),
            topic("note", &format!("The {who} checks the API error shape.")).as_bytes(),
        );
        write_file(
            &dir.join("MEMORY.md"),
            b"- [Note](note.md) - what to check\n",
        );
    }
    Stores {
        env,
        user,
        project,
        local,
    }
}

#[tokio::test]
async fn list_memory_names_the_agent_stores_of_every_scope() {
    let s = stores();
    let client = s.env.client().await;
    let v = client.ok("list_memory", json!({})).await;
    let ids: Vec<&str> = v["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["user/reviewer", "project/designer", "local/scout"],
        "{v}"
    );
    let designer = &v["stores"][1];
    assert_eq!(
        designer["shared"], true,
        "project scope is checked in: {designer}"
    );
    assert_eq!(designer["files"], 1);
    assert_eq!(designer["index_lines"], 1);
    // Seen from an agent store, the project's memory is one of the others.
    let v = client
        .ok("list_memory", json!({"store": "local/scout"}))
        .await;
    assert_eq!(v["stores"][0]["id"], "memory", "{v}");
    assert_eq!(v["index"]["lines"], 1, "the scout's index: {v}");
}

#[tokio::test]
async fn every_tool_takes_a_store() {
    let s = stores();
    let client = s.env.client().await;
    for tool in client.tools().await {
        let props = tool
            .input_schema
            .get("properties")
            .cloned()
            .unwrap_or_default();
        assert!(
            props.get("store").is_some(),
            "{} has no store parameter: {props}",
            tool.name
        );
    }
}

#[tokio::test]
async fn a_dream_of_an_agent_store_changes_only_that_store_and_undoes() {
    let s = stores();
    let before_auto = memory_files(&s.env.memory);
    let before_user = memory_files(&s.user);
    let before_local = memory_files(&s.local);
    let client = s.env.client().await;
    let store = json!("project/designer");
    client
        .ok(
            "start_dream",
            json!({"store": store, "min_hours": 0, "min_sessions": 0}),
        )
        .await;
    let read = client
        .ok(
            "read_memory_file",
            json!({"store": store, "path": "note.md"}),
        )
        .await;
    assert!(
        read["content"].as_str().unwrap().contains("designer"),
        "{read}"
    );
    client
        .ok(
            "write_memory_file",
            json!({"store": store, "path": "colours.md",
                   "content": topic("colours", "The palette is teal and sand."),
                   "expected_sha256": ""}),
        )
        .await;
    client
        .ok(
            "rewrite_index",
            json!({"store": store,
                   "content": "- [Note](note.md) - what to check\n- [Colours](colours.md) - the palette\n"}),
        )
        .await;
    let finished = client
        .ok(
            "finish_dream",
            json!({"store": store, "summary": "added the palette"}),
        )
        .await;
    assert_eq!(finished["counts"]["created"], 1, "{finished}");
    assert!(s.project.join("colours.md").is_file());
    assert!(
        s.project.join(dream_mcp::lock::LOCK_NAME).is_file(),
        "the consolidation lock is the store's own"
    );
    // Nothing else moved: not the project's memory, not the other agents'.
    assert_eq!(memory_files(&s.env.memory), before_auto);
    assert_eq!(memory_files(&s.user), before_user);
    assert_eq!(memory_files(&s.local), before_local);
    // The project's memory has no dream open and its journal does not hold the agent's run.
    let refused = client
        .refused("finish_dream", json!({"summary": "x"}))
        .await;
    assert!(refused.contains("no dream"), "{refused}");
    let run = finished["run_id"].as_str().expect("run id");
    assert!(
        !s.env.runs().iter().any(|r| r.id == run),
        "the agent store's run is in its own journal"
    );
    // The person sees and undoes it from the terminal with the same store id.
    let history = s
        .env
        .cli(&["history", "--store", "project/designer", "--json"]);
    assert!(history.status.success(), "{}", text(&history.stderr));
    assert!(
        text(&history.stdout).contains(run),
        "{}",
        text(&history.stdout)
    );
    let undo = s.env.cli(&["undo", "--store", "project/designer", run]);
    assert!(undo.status.success(), "{}", text(&undo.stderr));
    assert!(
        !s.project.join("colours.md").exists(),
        "undo removed the created file"
    );
    assert_eq!(
        fs::read(s.project.join("MEMORY.md")).expect("index"),
        b"- [Note](note.md) - what to check\n",
        "undo put the index back"
    );
    assert_eq!(memory_files(&s.env.memory), before_auto);
}

#[test]
fn rm_from_the_terminal_in_an_agent_store_is_journaled_there_and_undone() {
    let s = stores();
    let before = memory_files(&s.local);
    let before_auto = memory_files(&s.env.memory);
    let out = s.env.cli(&["rm", "--store", "local/scout", "note.md"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!s.local.join("note.md").exists());
    assert!(s.user.join("note.md").exists() && s.project.join("note.md").exists());
    assert!(
        s.env.runs().is_empty(),
        "not journaled as the project's memory"
    );
    let out = s.env.cli(&["undo", "--store", "local/scout"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(memory_files(&s.local), before);
    assert_eq!(memory_files(&s.env.memory), before_auto);
}

#[test]
fn an_unknown_store_on_the_command_line_is_refused_naming_the_stores() {
    let s = stores();
    let out = s.env.cli(&["rm", "--store", "user/nobody", "note.md"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("user/nobody") && err.contains("local/scout"),
        "{err}"
    );
    assert!(s.user.join("note.md").exists() && s.local.join("note.md").exists());
}

#[tokio::test]
async fn a_path_in_one_store_never_reaches_another() {
    let s = stores();
    let client = s.env.client().await;
    for path in [
        "../designer/note.md",
        "../../agent-memory/designer/note.md",
        s.project.join("note.md").to_str().unwrap(),
    ] {
        let e = client
            .refused(
                "read_memory_file",
                json!({"store": "user/reviewer", "path": path}),
            )
            .await;
        assert!(!e.is_empty(), "{path}");
    }
    let before = memory_files(&s.user);
    let e = client
        .refused(
            "write_memory_file",
            json!({"store": "user/reviewer", "path": "../scout/x.md",
                   "content": topic("x", "x")}),
        )
        .await;
    assert!(!e.is_empty());
    assert_eq!(memory_files(&s.user), before);
    assert!(!s.local.join("x.md").exists());
}

#[tokio::test]
async fn an_unknown_or_symlinked_store_is_refused_naming_the_stores() {
    let s = stores();
    let elsewhere = s.env.outside.join("agent");
    write_file(
        &elsewhere.join("MEMORY.md"),
        b"- [Secret](secret.md) - no\n",
    );
    std::os::unix::fs::symlink(&elsewhere, s.user.with_file_name("linked")).expect("symlink");
    let client = s.env.client().await;
    let e = client
        .refused("list_memory", json!({"store": "user/nobody"}))
        .await;
    assert!(e.contains("store") && e.contains("user/reviewer"), "{e}");
    let e = client
        .refused(
            "read_memory_file",
            json!({"store": "user/linked", "path": "MEMORY.md"}),
        )
        .await;
    assert!(e.contains("symlink"), "{e}");
    let e = client
        .refused(
            "start_dream",
            json!({"store": "user/linked", "min_hours": 0, "min_sessions": 0}),
        )
        .await;
    assert!(e.contains("symlink"), "{e}");
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        1,
        "nothing was written through the link"
    );
}

#[tokio::test]
async fn a_fact_two_stores_share_and_an_agents_feedback_rule_are_reported_not_moved() {
    let env = Env::new();
    env.healthy();
    let fact =
        "The integration tests need the Postgres container started with docker compose up db.";
    env.put("testing.md", topic("testing", fact));
    let designer = env
        .project
        .join(".claude")
        .join("agent-memory")
        .join("designer");
    write_file(&designer.join("db.md"), topic("db", fact).as_bytes());
    let reviewer = env.config.join("agent-memory").join("reviewer");
    write_file(
        &reviewer.join("style.md"),
        b"---\nname: style\ndescription: Reject patches that add unwrap outside tests\ntype: feedback\n---\nThe user wants every unwrap outside tests rejected in review.\n",
    );
    let scout = env
        .project
        .join(".claude")
        .join("agent-memory-local")
        .join("scout");
    write_file(
        &scout.join("paths.md"),
        topic("paths", "The scout maps the crate layout first.").as_bytes(),
    );
    let before = [&env.memory, &designer, &reviewer, &scout].map(|d| memory_files(d));
    let client = env.client().await;

    let v = client.ok("list_memory", json!({})).await;
    let across = &v["across_stores"];
    assert_eq!(across["findings_by_kind"]["shared_fact"], 1, "{across}");
    assert_eq!(across["findings_by_kind"]["agent_feedback"], 1, "{across}");
    let findings = across["findings"].as_array().expect("findings");
    let shared = findings
        .iter()
        .find(|f| f["kind"] == "shared_fact")
        .expect("shared fact");
    assert_eq!(shared["file"], "memory:testing.md", "{shared}");
    let said = format!("{}{}", shared["message"], across["advice"]["shared_fact"]);
    assert!(said.contains("project/designer"), "{said}");
    assert!(
        said.contains("shared with the team"),
        "project scope is named as shared: {said}"
    );
    let feedback = findings
        .iter()
        .find(|f| f["kind"] == "agent_feedback")
        .expect("agent feedback");
    assert_eq!(feedback["file"], "user/reviewer:style.md", "{feedback}");
    assert!(
        feedback["message"].as_str().unwrap().contains("unwrap"),
        "{feedback}"
    );

    // Seen from an agent's store, only what involves that store.
    let v = client
        .ok("list_memory", json!({"store": "user/reviewer"}))
        .await;
    let kinds = &v["across_stores"]["findings_by_kind"];
    assert_eq!(kinds["agent_feedback"], 1, "{v}");
    assert!(kinds.get("shared_fact").is_none(), "{kinds}");
    let v = client
        .ok("list_memory", json!({"store": "local/scout"}))
        .await;
    assert!(
        v.get("across_stores").is_none(),
        "nothing involves the scout: {v}"
    );
    let v = client
        .ok("list_memory", json!({"store": "project/designer"}))
        .await;
    assert_eq!(
        v["across_stores"]["findings"][0]["file"], "project/designer:db.md",
        "{v}"
    );

    // Reporting moved nothing.
    assert_eq!(
        [&env.memory, &designer, &reviewer, &scout].map(|d| memory_files(d)),
        before
    );
}
