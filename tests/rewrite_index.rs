//! `rewrite_index` enforces the limits Claude Code loads MEMORY.md under: at most 200 lines and 25,000
//! bytes, no frontmatter, every link to an existing topic file. A refusal lists every violation with its
//! line number and writes nothing.

use serde_json::json;

use crate::util::{Env, topic};

/// An environment with topic files `e1.md` .. `e<n>.md` and a small existing index.
fn env_with_files(n: usize) -> Env {
    let env = Env::new();
    for i in 1..=n {
        env.put(&format!("e{i}.md"), topic(&format!("e{i}"), "x"));
    }
    env.put("MEMORY.md", "- [E1](e1.md) — the old index\n");
    env
}

/// One index line linking to `e<i>.md`, padded to exactly `len` bytes including its newline.
fn line(i: usize, len: usize) -> String {
    let head = format!("- [E{i}](e{i}.md) — ");
    let pad = len - head.len() - 1;
    format!("{head}{}\n", "p".repeat(pad))
}

/// Calls rewrite_index with `content` and asserts it is refused without any change; returns the problems.
async fn refused(env: &Env, content: &str) -> Vec<String> {
    let before = env.tree();
    let client = env.client().await;
    let msg = client
        .refused("rewrite_index", json!({ "content": content }))
        .await;
    before.assert_unchanged(&env.tree(), "refused rewrite_index");
    assert!(env.run_dirs().is_empty(), "a refused rewrite left a run");
    let mut lines = msg.lines();
    let head = lines.next().unwrap_or_default();
    let problems: Vec<String> = lines.map(str::to_string).collect();
    assert_eq!(
        head,
        format!("MEMORY.md not written: {} problem(s):", problems.len()),
        "{msg}"
    );
    problems
}

#[tokio::test]
async fn two_hundred_lines_are_accepted() {
    let env = env_with_files(200);
    let content: String = (1..=200).map(|i| line(i, 40)).collect();
    let client = env.client().await;
    let v = client
        .ok("rewrite_index", json!({ "content": content }))
        .await;
    assert_eq!(v["lines"], 200);
    assert_eq!(v["warnings"], json!([]));
    assert_eq!(env.get("MEMORY.md").as_deref(), Some(content.as_bytes()));
}

#[tokio::test]
async fn two_hundred_and_one_lines_are_refused() {
    let env = env_with_files(201);
    let content: String = (1..=201).map(|i| line(i, 40)).collect();
    let problems = refused(&env, &content).await;
    assert_eq!(
        problems,
        ["201 lines: at most 200 load; lines 201-201 would be cut"]
    );
}

#[tokio::test]
async fn exactly_25000_bytes_are_accepted() {
    let env = env_with_files(200);
    let content: String = (1..=200).map(|i| line(i, 125)).collect();
    assert_eq!(content.len(), 25_000);
    let client = env.client().await;
    let v = client
        .ok("rewrite_index", json!({ "content": content }))
        .await;
    assert_eq!(v["bytes"], 25_000);
    assert_eq!(env.get("MEMORY.md").as_deref(), Some(content.as_bytes()));
}

#[tokio::test]
async fn bytes_over_25000_are_refused_naming_the_first_line_cut() {
    let env = env_with_files(200);
    let mut content: String = (1..200).map(|i| line(i, 125)).collect();
    content.push_str(&line(200, 126));
    assert_eq!(content.len(), 25_001);
    let problems = refused(&env, &content).await;
    assert_eq!(
        problems,
        ["25001 bytes: at most 25000 load; line 200 onward would be cut"]
    );
}

#[tokio::test]
async fn a_dead_link_is_refused_with_its_line() {
    let env = env_with_files(2);
    let content = "# Memory\n- [E1](e1.md) — ok\n- [Gone](gone.md) — deleted\n- [E2](e2.md) — ok\n";
    let problems = refused(&env, content).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("line 3: link to \"gone.md\"")
            && problems[0].contains("does not exist"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn frontmatter_is_refused() {
    let env = env_with_files(1);
    let content = "---\nname: index\n---\n- [E1](e1.md) — ok\n";
    let problems = refused(&env, content).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("line 1:") && problems[0].contains("frontmatter"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn every_violation_is_listed_with_its_line_number() {
    let env = env_with_files(210);
    let mut content = String::from("---\ntitle: x\n---\n");
    content.push_str("- [Gone](gone.md) — dead, line 4\n");
    for i in 5..=209 {
        content.push_str(&line(i, 130));
    }
    content.push_str("- [Out](../outside/secret.md) — line 210\n");
    content.push_str("- [Dir](team/) — line 211\n");
    let problems = refused(&env, &content).await;
    let expected_prefixes = [
        "211 lines: at most 200 load; lines 201-211 would be cut",
        "",
        "line 1:",
        "line 4: link to \"gone.md\"",
        "line 210: link to \"../outside/secret.md\"",
        "line 211: link to \"team/\"",
    ];
    assert_eq!(problems.len(), expected_prefixes.len(), "{problems:#?}");
    for (problem, prefix) in problems.iter().zip(expected_prefixes) {
        assert!(problem.starts_with(prefix), "{problem:?} vs {prefix:?}");
    }
    let bytes = &problems[1];
    assert!(
        bytes.starts_with(&format!(
            "{} bytes: at most 25000 load; line ",
            content.len()
        )),
        "{bytes}"
    );
}

#[tokio::test]
async fn links_to_team_files_anchors_and_urls_are_fine_and_code_spans_are_not_links() {
    let env = env_with_files(1);
    env.put("team/rules.md", topic("rules", "r"));
    let content = "# Memory\n\
        - [E1](e1.md#why) — anchor\n\
        - [Rules](team/rules.md) — shared\n\
        - [Docs](https://example.com/gone.md) — a URL\n\
        - Write `[x](missing.md)` literally — code\n";
    let client = env.client().await;
    let v = client
        .ok("rewrite_index", json!({ "content": content }))
        .await;
    assert_eq!(v["lines"], 5);
    assert_eq!(v["warnings"], json!([]));
    let listed = client.ok("list_memory", json!({})).await;
    assert_eq!(listed["index"]["dead_links"], json!([]));
    assert_eq!(listed["index"]["orphans"], json!([]));
}

#[tokio::test]
async fn an_empty_index_is_written_and_warns_about_every_orphan() {
    let env = env_with_files(2);
    let client = env.client().await;
    let v = client.ok("rewrite_index", json!({ "content": "" })).await;
    assert_eq!(v["lines"], 0);
    assert_eq!(
        v["warnings"],
        json!([
            "e1.md is not linked from the new index (orphan)",
            "e2.md is not linked from the new index (orphan)"
        ])
    );
    assert_eq!(env.get("MEMORY.md").as_deref(), Some(&b""[..]));
}

#[tokio::test]
async fn a_missing_index_is_created() {
    let env = Env::new();
    env.put("a.md", topic("a", "a"));
    let client = env.client().await;
    let v = client
        .ok("rewrite_index", json!({ "content": "- [A](a.md) — a\n" }))
        .await;
    assert_eq!(v["previous_sha256"], serde_json::Value::Null);
    assert_eq!(
        env.get("MEMORY.md").as_deref(),
        Some("- [A](a.md) — a\n".as_bytes())
    );
}
