//! Findings end to end: `dream-mcp check` on the messy example (text, JSON, colour, exit status), a clean
//! memory directory with no findings, and the findings list_memory and write_memory_file return.

use std::fs;
use std::process::Output;

use chrono::{DateTime, Days, Local};
use serde_json::{Value, json};

use crate::util::{Env, example, text, topic};

/// Runs `dream-mcp check` on the messy example with `extra` arguments.
fn check_example(env: &Env, extra: &[&str]) -> Output {
    env.command()
        .arg("check")
        .arg(example("messy-memory"))
        .arg("--project-dir")
        .arg(example("messy-project"))
        .args(extra)
        .output()
        .expect("run dream-mcp check")
}

fn stdout(out: &Output) -> String {
    text(&out.stdout)
}

/// The findings of `kind` as (file, line) pairs.
fn located(findings: &[Value], kind: &str) -> Vec<(String, u64)> {
    findings
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn example_findings(env: &Env) -> Vec<Value> {
    let out = check_example(env, &["--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("check --json prints JSON");
    v["findings"].as_array().expect("findings").clone()
}

#[test]
fn check_shows_the_example_findings_grouped_by_severity_with_counts() {
    let env = Env::new();
    let out = check_example(&env, &[]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "error findings exit 1:\n{text}");
    let errors = text.find("\nERROR (").expect("an ERROR section");
    let warnings = text.find("\nWARNING (").expect("a WARNING section");
    let info = text.find("\nINFO (").expect("an INFO section");
    assert!(errors < warnings && warnings < info, "{text}");
    assert!(
        text.contains("findings: 5 error(s),"),
        "a count line leads the findings:\n{text}"
    );
    for needle in [
        "MEMORY.md: 284 lines / 200 max",
        "over_line_limit (1)",
        "MEMORY.md:201  MEMORY.md has 284 lines; Claude Code loads the first 200",
        "dead_link (2)",
        "link to `deploy-checklist.md`: the file does not exist",
        "secret (1)",
        "random-notes.md:9",
        "stale_path (",
        "api-conventions.md:8  `src/app.ts` is not in the project",
        "relative_date (",
        "duplicate (",
        "orphan (1)",
        "testing-strategy.md:1",
        "frontmatter (3)",
        "oncall.md:1  no frontmatter",
        "-> ",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert!(
        !text.contains("Tr4ck-st4ging-92"),
        "a stored password is reported, never printed"
    );
}

#[test]
fn check_colours_on_request_and_never_with_color_never() {
    let env = Env::new();
    let coloured = stdout(&check_example(&env, &["--color", "always"]));
    assert!(
        coloured.contains("\x1b[1;31mERROR (5)\x1b[0m"),
        "{coloured}"
    );
    assert!(coloured.contains("\x1b[1;33mWARNING ("), "{coloured}");
    let plain = stdout(
        &env.command()
            .env("NO_COLOR", "1")
            .arg("check")
            .arg(example("messy-memory"))
            .arg("--project-dir")
            .arg(example("messy-project"))
            .arg("--color")
            .arg("never")
            .output()
            .expect("run"),
    );
    assert!(!plain.contains('\x1b'), "{plain}");
}

#[test]
fn check_json_has_every_finding_of_the_example_with_evidence() {
    let env = Env::new();
    let findings = example_findings(&env);
    let only = |kind: &str| located(&findings, kind);
    let at = |file: &str, line: u64| (file.to_string(), line);

    assert_eq!(only("over_line_limit"), [at("MEMORY.md", 201)]);
    assert_eq!(only("over_byte_limit"), [at("MEMORY.md", 256)]);
    assert_eq!(only("dead_link"), [at("MEMORY.md", 9), at("MEMORY.md", 65)]);
    assert_eq!(only("orphan"), [at("testing-strategy.md", 1)]);
    assert_eq!(only("secret"), [at("random-notes.md", 9)]);
    assert_eq!(
        only("frontmatter"),
        [
            at("oncall.md", 1),
            at("random-notes.md", 1),
            at("random-notes.md", 1)
        ]
    );

    // api-conventions.md still describes the Express files the move to Fastify deleted.
    let stale: Vec<(String, u64, String)> = findings
        .iter()
        .filter(|f| f["kind"] == "stale_path" && f["file"] == "api-conventions.md")
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["evidence"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        stale,
        [
            (
                "api-conventions.md".to_string(),
                8,
                "src/app.ts".to_string()
            ),
            (
                "api-conventions.md".to_string(),
                14,
                "src/middleware/errorHandler.ts".to_string()
            ),
            (
                "api-conventions.md".to_string(),
                16,
                "src/middleware/auth.ts".to_string()
            ),
        ]
    );
    let existing = [
        "src/server.ts",
        "src/plugins/cors.ts",
        "migrations/004_expense_index.sql",
    ];
    assert!(
        findings
            .iter()
            .filter(|f| f["kind"] == "stale_path")
            .all(|f| !existing.contains(&f["evidence"]["path"].as_str().unwrap_or_default())),
        "paths that exist are not stale"
    );

    // build-commands.md says "yesterday" six times and has no date: each is read against its mtime.
    let modified = fs::metadata(example("messy-memory/build-commands.md"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let day_before = DateTime::<Local>::from(modified)
        .date_naive()
        .checked_sub_days(Days::new(1))
        .expect("a day earlier")
        .to_string();
    let yesterdays: Vec<&Value> = findings
        .iter()
        .filter(|f| f["kind"] == "relative_date" && f["file"] == "build-commands.md")
        .collect();
    assert_eq!(yesterdays.len(), 6, "{yesterdays:?}");
    for f in &yesterdays {
        let e = &f["evidence"];
        assert_eq!(
            e["phrase"].as_str().map(str::to_lowercase).as_deref(),
            Some("yesterday")
        );
        assert_eq!(e["anchor_source"], "the file's modification date");
        assert_eq!(e["resolved"], day_before.as_str());
        assert!(
            f["suggestion"]
                .as_str()
                .is_some_and(|s| s.contains("transcript")),
            "{f}"
        );
    }
    // In the index, a date on the line is the anchor.
    let tomorrow = findings
        .iter()
        .find(|f| f["kind"] == "relative_date" && f["file"] == "MEMORY.md" && f["line"] == 197)
        .expect("the 'tomorrow' of 2026-02-09");
    assert_eq!(tomorrow["evidence"]["anchor"], "2026-02-09");
    assert_eq!(tomorrow["evidence"]["resolved"], "2026-02-10");

    // The three contradictory entries about the same 401 are grouped.
    let group: Vec<(String, u64)> = findings
        .iter()
        .filter(|f| f["kind"] == "duplicate" && f["file"] == "debugging.md")
        .flat_map(|f| {
            f["evidence"]["locations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|l| {
            (
                l["file"].as_str().unwrap_or_default().to_string(),
                l["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        group.starts_with(&[
            at("debugging.md", 8),
            at("debugging.md", 14),
            at("debugging.md", 20)
        ]),
        "{group:?}"
    );
    // user-preferences.md repeats the index's content lines.
    let repeated: Vec<u64> = findings
        .iter()
        .filter(|f| f["kind"] == "duplicate" && f["file"] == "MEMORY.md")
        .filter(|f| {
            f["evidence"]["locations"]
                .as_array()
                .is_some_and(|ls| ls.iter().any(|l| l["file"] == "user-preferences.md"))
        })
        .map(|f| f["line"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(repeated, [18, 19, 20, 21, 22]);

    // Files that are in order have nothing against them.
    for clean in ["project-overview.md", "feedback_commits.md"] {
        assert!(
            findings.iter().all(|f| f["file"] != clean),
            "{clean} is clean"
        );
    }
}

#[test]
fn a_clean_memory_directory_has_no_findings_and_check_exits_0() {
    let env = Env::new();
    fs::create_dir_all(env.project.join("src")).expect("project src");
    fs::write(env.project.join("src/server.ts"), "").expect("project file");
    env.put(
        "build.md",
        topic(
            "build",
            "- Run `npm run codegen` before `npm run build` on a fresh clone (seen 2026-01-20).\n\
             - The server starts from `src/server.ts`.\n\
             - Logs quote times like this:\n\n```\n[cron] skipped: already ran today\n```\n",
        ),
    );
    env.put(
        "user.md",
        "---\nname: user\ndescription: who the user is\ntype: user\n---\nSenior TypeScript developer; prefers small commits.\n",
    );
    env.put(
        "MEMORY.md",
        "- [Build](build.md) — codegen before build\n- [User](user.md) — who the user is\n",
    );
    let out = env
        .command()
        .arg("check")
        .arg(&env.memory)
        .arg("--json")
        .output()
        .expect("run check");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["findings"], json!([]), "{v}");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(
        &env.command()
            .arg("check")
            .arg(&env.memory)
            .output()
            .expect("run check"),
    );
    assert!(
        text.contains("findings: 0 error(s), 0 warning(s), 0 info"),
        "{text}"
    );
}

#[test]
fn warnings_alone_do_not_fail_check() {
    let env = Env::new();
    env.put("notes.md", topic("notes", "- The build broke yesterday."));
    env.put("MEMORY.md", "- [Notes](notes.md) — build notes\n");
    let out = env
        .command()
        .arg("check")
        .arg(&env.memory)
        .output()
        .expect("run check");
    let text = stdout(&out);
    assert!(text.contains("relative_date (1)"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[tokio::test]
async fn list_memory_returns_the_findings() {
    let env = Env::new();
    // A project (a manifest, no git): paths are checked against it.
    std::fs::write(env.project.join("package.json"), "{}").expect("manifest");
    std::fs::create_dir(env.project.join("src")).expect("src");
    env.put("notes.md", topic("notes", "- Entry point is `src/app.ts`."));
    env.put(
        "MEMORY.md",
        "- [Notes](notes.md) — entry point\n- [Gone](gone.md) — removed\n",
    );
    let client = env.client().await;
    let v = client.ok("list_memory", json!({})).await;
    let findings = v["findings"].as_array().expect("findings").clone();
    assert_eq!(
        located(&findings, "dead_link"),
        [("MEMORY.md".to_string(), 2)]
    );
    let stale = findings
        .iter()
        .find(|f| f["kind"] == "stale_path")
        .expect("src/app.ts is not in the project");
    assert_eq!(stale["evidence"]["path"], "src/app.ts");
    assert_eq!(
        stale["evidence"]["looked_in"],
        env.project.display().to_string()
    );
}

#[tokio::test]
async fn write_memory_file_returns_the_findings_of_what_it_wrote() {
    let env = Env::new();
    std::fs::write(env.project.join("package.json"), "{}").expect("manifest");
    std::fs::create_dir(env.project.join("scripts")).expect("scripts");
    env.put(
        "prefs.md",
        topic(
            "prefs",
            "- Prefers small, focused commits with imperative subject lines.",
        ),
    );
    let client = env.client().await;
    let content = topic(
        "build",
        "- Yesterday the build failed in `scripts/build.sh`.\n\
         - The user prefers small focused commits, with imperative subject lines.\n\
         - Staging contact: jane.doe@acme-corp.io",
    );
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "build.md", "content": content}),
        )
        .await;
    assert_eq!(v["path"], "build.md");
    assert_eq!(v["warnings"], json!([]));
    let findings = v["findings"].as_array().expect("findings").clone();
    let kinds: Vec<&str> = findings.iter().filter_map(|f| f["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["stale_path", "relative_date", "secret", "duplicate"],
        "{findings:?}"
    );
    let yesterday = Local::now()
        .date_naive()
        .checked_sub_days(Days::new(1))
        .expect("a day earlier")
        .to_string();
    // The answer is brief: the message says the resolved date, so the evidence is not repeated.
    let date = findings[1]["message"].as_str().expect("message");
    assert!(date.contains(yesterday.as_str()), "{date}");
    assert_eq!(findings[0]["evidence"]["path"], "scripts/build.sh");
    let places: Vec<(String, u64)> = findings[3]["evidence"]["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap_or_default().to_string(),
                l["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [("prefs.md".to_string(), 6), ("build.md".to_string(), 7)]
    );
    assert!(
        !v.to_string().contains("jane.doe"),
        "the findings never repeat the personal data"
    );
}

#[tokio::test]
async fn write_memory_file_lists_the_first_findings_of_a_kind_and_counts_them_all() {
    let env = Env::new();
    let client = env.client().await;
    let body: Vec<String> = (0..8)
        .map(|i| format!("- Yesterday the job number {i} was moved to another runner."))
        .collect();
    let v = client
        .ok(
            "write_memory_file",
            json!({"path": "jobs.md", "content": topic("jobs", &body.join("\n"))}),
        )
        .await;
    assert_eq!(v["findings_by_kind"]["relative_date"], 8, "{v}");
    let listed = v["findings"].as_array().expect("findings");
    assert!(
        !listed.is_empty() && listed.len() < 8,
        "the first few are listed: {v}"
    );
    assert!(listed.iter().all(|f| f["kind"] == "relative_date"), "{v}");
    assert_eq!(v["findings_omitted"], 8 - listed.len(), "{v}");
    // The advice all of them share is said once.
    assert!(v["advice"]["relative_date"].is_string(), "{v}");
}

/// The analysis a write's findings come from is warmed on a thread of its own when a dream starts or
/// the memory is listed; a file changed after that is still seen by the next write.
#[test]
fn a_warmed_analysis_still_sees_a_file_changed_after_it() {
    const FACT_X: &str = "- The deploy script needs the staging token from vault before it runs.\n";
    const FACT_Y: &str = "- Integration tests require the local postgres container on port 5433.\n";
    let env = Env::new();
    env.put("c.md", format!("# Deploy\n\n{FACT_X}"));
    let dreamer = env.dreamer();
    let files_repeated = |content: &str| -> Vec<String> {
        let found = dreamer
            .findings_for_write("new.md", content)
            .expect("findings of a write");
        let found = serde_json::to_value(&found).expect("findings serialise");
        let mut files: Vec<String> = found
            .as_array()
            .expect("a list")
            .iter()
            .filter(|f| f["kind"] == "duplicate")
            .flat_map(|f| {
                f["evidence"]["locations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|l| l["file"].as_str().map(String::from))
            .collect();
        files.sort();
        files.dedup();
        files
    };
    dreamer
        .warm_analysis()
        .expect("a thread")
        .join()
        .expect("warming finished");
    assert_eq!(
        files_repeated(&format!("# New\n\n{FACT_X}")),
        ["c.md", "new.md"]
    );
    env.put("c.md", format!("# Tests\n\n{FACT_Y}"));
    assert_eq!(
        files_repeated(&format!("# New\n\n{FACT_X}")),
        Vec::<String>::new()
    );
    assert_eq!(
        files_repeated(&format!("# New\n\n{FACT_Y}")),
        ["c.md", "new.md"]
    );
}
