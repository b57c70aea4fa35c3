//! `dream-mcp status --all` and `check --all`: one line per store of every project and every agent
//! store, sortable, as JSON, fast on 100 projects.

use std::time::Instant;

use serde_json::Value;

use crate::util::stores::many_projects;
use crate::util::{Env, notice, text};

fn all(env: &Env, args: &[&str]) -> (Option<i32>, Vec<Value>, String) {
    let o = env.command().args(args).output().expect("run dream-mcp");
    let lines = if args.contains(&"--json") {
        serde_json::from_slice(&o.stdout).expect("JSON array")
    } else {
        Vec::new()
    };
    (o.status.code(), lines, text(&o.stdout) + &text(&o.stderr))
}

#[test]
fn status_all_lists_every_project_and_agent_store_on_100_projects_quickly() {
    let env = Env::new();
    many_projects(&env, 100);
    let started = Instant::now();
    let (code, lines, out) = all(&env, &["status", "--all", "--json"]);
    let took = started.elapsed();
    notice(&format!(
        "status --all on 100 projects: {} ms (debug build)",
        took.as_millis()
    ));
    assert_eq!(code, Some(0), "{out}");
    let count = |scope: &str| lines.iter().filter(|l| l["scope"] == scope).count();
    assert_eq!(count("memory"), 100, "{out}");
    assert_eq!(count("project"), 25);
    assert_eq!(count("local"), 20);
    assert_eq!(count("user"), 1);
    let p000 = lines
        .iter()
        .find(|l| l["project_folder"] == "-src-p000" && l["store"] == "memory")
        .expect("p000");
    assert_eq!(p000["index_lines"], 5);
    assert_eq!(p000["due"], false, "consolidated an hour ago");
    assert_eq!(p000["sessions_since"], 0);
    let p001 = lines
        .iter()
        .find(|l| l["project_folder"] == "-src-p001" && l["store"] == "memory")
        .expect("p001");
    assert_eq!(p001["due"], true, "never consolidated, 6 sessions");
    assert_eq!(p001["sessions_since"], 6);
    let reviewer = lines
        .iter()
        .find(|l| l["project_folder"] == "-src-p004" && l["store"] == "project/reviewer")
        .expect("p004 reviewer");
    assert!(
        reviewer["memory_dir"]
            .as_str()
            .unwrap()
            .ends_with("p004/.claude/agent-memory/reviewer")
    );
    assert_eq!(reviewer["index_lines"], 2);
    let helper = lines
        .iter()
        .find(|l| l["store"] == "user/helper")
        .expect("helper");
    assert_eq!(
        helper["sessions_since"], 600,
        "a user-scope store counts every project's sessions"
    );
    // Due first by default.
    let first_not_due = lines.iter().position(|l| l["due"] == false).unwrap();
    assert!(lines[first_not_due..].iter().all(|l| l["due"] == false));
    assert!(took.as_secs() < 20, "status --all took {took:?}");
}

#[test]
fn status_all_sorts_renders_and_check_all_exits_1_on_an_error() {
    let env = Env::new();
    many_projects(&env, 3);
    let folder = env.config.join("projects/-src-p001/memory");
    std::fs::write(folder.join("MEMORY.md"), "- [Gone](gone.md) — dead link\n").unwrap();
    let (code, lines, out) = all(&env, &["status", "--all", "--json", "--sort", "findings"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(lines[0]["project_folder"], "-src-p001", "{out}");
    assert!(lines[0]["errors"].as_u64().unwrap() >= 1);
    let (code, _, out) = all(&env, &["status", "--all", "--sort", "name"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("DUE "), "{out}");
    assert!(out.contains("project/reviewer"), "{out}");
    assert!(out.contains("store(s)"), "{out}");
    let (code, _, out) = all(&env, &["check", "--all"]);
    assert_eq!(code, Some(1), "{out}");
    std::fs::write(folder.join("MEMORY.md"), "").unwrap();
    let (code, _, out) = all(&env, &["check", "--all"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _, out) = all(&env, &["status", "--all", "--sort", "bogus"]);
    assert_eq!(code, Some(2), "{out}");
}

#[test]
fn status_all_refuses_a_symlinked_agent_store_and_skips_odd_entries() {
    let env = Env::new();
    many_projects(&env, 1);
    let agents = env.config.join("agent-memory");
    std::os::unix::fs::symlink(&env.outside, agents.join("sneaky")).unwrap();
    std::fs::write(agents.join("not-a-folder"), "x").unwrap();
    std::fs::create_dir_all(agents.join(".hidden")).unwrap();
    let (code, lines, out) = all(&env, &["status", "--all", "--json"]);
    assert_eq!(code, Some(0), "{out}");
    let sneaky = lines
        .iter()
        .find(|l| l["store"] == "user/sneaky")
        .expect("listed");
    assert!(
        sneaky["problem"].as_str().unwrap().contains("symlink"),
        "{out}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l["store"] == "user/not-a-folder" || l["store"] == "user/.hidden")
    );
}
