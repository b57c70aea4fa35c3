//! The commands for people: `check` (inventory and problems, with exit statuses), `where` (resolved
//! directories, honouring flags and environment) and `--help`. Every run has HOME and CLAUDE_CONFIG_DIR in
//! temporary folders.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::{Env, text, topic};

fn run(env: &Env, args: &[&str], vars: &[(&str, &Path)]) -> Output {
    let mut cmd = env.command();
    cmd.args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run dream-mcp")
}

fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Claude Code's slug, spelled out here independently of the crate: every non-alphanumeric becomes `-`.
fn slug(p: &Path) -> String {
    p.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn clean(env: &Env) {
    env.put("a.md", topic("a", "a"));
    env.put("MEMORY.md", "- [A](a.md) — a\n");
}

#[test]
fn check_exits_0_on_a_clean_directory() {
    let env = Env::new();
    clean(&env);
    let mem = env.memory.to_string_lossy().into_owned();
    let o = run(&env, &["check", &mem], &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains(&format!("memory:  {mem}")), "{out}");
    assert!(out.contains("1 topic file(s)"), "{out}");
    assert!(out.contains("MEMORY.md: 1 lines / 200 max"), "{out}");
    assert!(out.contains(": ok"), "{out}");
    assert!(out.contains("findings: 0 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn check_exits_1_when_the_index_is_over_its_limits() {
    let env = Env::new();
    let mut index = String::new();
    for i in 1..=203 {
        env.put(&format!("e{i}.md"), topic(&format!("e{i}"), "x"));
        index.push_str(&format!("- [E{i}](e{i}.md) — entry\n"));
    }
    env.put("MEMORY.md", &index);
    let mem = env.memory.to_string_lossy().into_owned();
    let o = run(&env, &["check", &mem], &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("OVER LIMIT"), "{out}");
    assert!(
        out.contains("silently cuts 3 line(s) (lines 201-203)"),
        "{out}"
    );
    assert!(out.contains("- [E203](e203.md)"), "{out}");
}

#[test]
fn check_exits_1_on_a_dead_link_and_names_it() {
    let env = Env::new();
    clean(&env);
    env.put("MEMORY.md", "- [A](a.md) — a\n- [Gone](gone.md) — gone\n");
    let mem = env.memory.to_string_lossy().into_owned();
    let o = run(&env, &["check", &mem], &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("dead_link (1)"), "{out}");
    assert!(out.contains("MEMORY.md:2"), "{out}");
    assert!(out.contains("gone.md"), "{out}");
}

#[test]
fn check_exits_2_for_a_missing_directory_and_names_it() {
    let env = Env::new();
    let missing = env.root().join("no-such-memory");
    let o = run(&env, &["check", &missing.to_string_lossy()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(stdout(&o).is_empty(), "stdout: {}", stdout(&o));

    let file = env.put("file.md", "x");
    let o = run(&env, &["check", &file.to_string_lossy()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not a directory"), "{}", stderr(&o));
}

#[test]
fn check_json_is_the_inventory() {
    let env = Env::new();
    clean(&env);
    env.put("orphan.md", "no frontmatter\n");
    let mem = env.memory.to_string_lossy().into_owned();
    let o = run(&env, &["check", &mem, "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["memory_dir"], mem);
    assert_eq!(v["index"]["lines"], 1);
    assert_eq!(v["index"]["orphans"], serde_json::json!(["orphan.md"]));
    assert_eq!(v["files"].as_array().map(Vec::len), Some(2));
}

#[test]
fn check_without_a_directory_uses_the_flag_then_the_environment() {
    let env = Env::new();
    clean(&env);
    let o = run(
        &env,
        &["check", "--memory-dir", &env.memory.to_string_lossy()],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(&env.memory.to_string_lossy().into_owned()));
    let o = run(&env, &["check"], &[("DREAM_MEMORY_DIR", &env.memory)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(&env.memory.to_string_lossy().into_owned()));
}

fn where_json(env: &Env, args: &[&str], vars: &[(&str, &Path)]) -> Value {
    let mut all = vec!["where", "--json"];
    all.extend_from_slice(args);
    let o = run(env, &all, vars);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("where --json prints JSON")
}

#[test]
fn where_json_honours_memory_dir_flags_and_environment() {
    let env = Env::new();
    let flag = env.root().join("flag-mem");
    let var = env.root().join("env-mem");
    let v = where_json(&env, &["--memory-dir", &flag.to_string_lossy()], &[]);
    assert_eq!(v["memory_dir"], flag.to_string_lossy().as_ref());
    assert_eq!(v["memory_source"], "explicit");

    let v = where_json(&env, &[], &[("DREAM_MEMORY_DIR", &var)]);
    assert_eq!(v["memory_dir"], var.to_string_lossy().as_ref());
    assert_eq!(v["memory_source"], "explicit");

    let v = where_json(
        &env,
        &["--memory-dir", &flag.to_string_lossy()],
        &[("DREAM_MEMORY_DIR", &var)],
    );
    assert_eq!(
        v["memory_dir"],
        flag.to_string_lossy().as_ref(),
        "the flag wins over the environment"
    );

    let journal = env.root().join("j");
    let transcripts = env.root().join("t");
    let v = where_json(
        &env,
        &[],
        &[
            ("DREAM_JOURNAL_DIR", &journal),
            ("DREAM_TRANSCRIPTS_DIR", &transcripts),
        ],
    );
    assert_eq!(v["journal_dir"], journal.to_string_lossy().as_ref());
    assert_eq!(v["transcripts_dir"], transcripts.to_string_lossy().as_ref());
}

#[test]
fn where_json_derives_the_default_from_the_config_dir_and_project() {
    let env = Env::new();
    let config = env.root().join("config");
    let project = env.root().join("elsewhere");
    std::fs::create_dir_all(&project).expect("mkdir");
    let v = where_json(
        &env,
        &[],
        &[
            ("CLAUDE_CONFIG_DIR", &config),
            ("CLAUDE_PROJECT_DIR", &project),
        ],
    );
    let folder = config.join("projects").join(slug(&project));
    assert_eq!(v["config_dir"], config.to_string_lossy().as_ref());
    assert_eq!(v["project_dir"], project.to_string_lossy().as_ref());
    assert_eq!(v["memory_source"], "project_slug");
    assert_eq!(
        v["memory_dir"],
        folder.join("memory").to_string_lossy().as_ref()
    );
    assert_eq!(v["transcripts_dir"], folder.to_string_lossy().as_ref());
    let journal = v["journal_dir"].as_str().expect("journal dir");
    assert!(
        journal.starts_with(&config.join("dream").to_string_lossy().into_owned()),
        "{journal}"
    );

    // Without CLAUDE_PROJECT_DIR the working directory (the env's project folder) is the project.
    let v = where_json(&env, &[], &[]);
    assert_eq!(v["project_dir"], env.project.to_string_lossy().as_ref());
    assert_eq!(
        v["config_dir"],
        env.home.join(".claude").to_string_lossy().as_ref()
    );

    std::fs::create_dir_all(&config).expect("mkdir");
    std::fs::write(
        config.join("settings.json"),
        r#"{"autoMemoryDirectory": "~/my-memory"}"#,
    )
    .expect("settings");
    let v = where_json(&env, &[], &[("CLAUDE_CONFIG_DIR", &config)]);
    assert_eq!(v["memory_source"], "user_settings");
    assert_eq!(
        v["memory_dir"],
        env.home.join("my-memory").to_string_lossy().as_ref()
    );
}

#[test]
fn where_prints_the_directories_for_a_person() {
    let env = Env::new();
    let o = run(
        &env,
        &["where", "--memory-dir", &env.memory.to_string_lossy()],
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(
        out.contains(&format!("memory:      {}\n", env.memory.display())),
        "{out}"
    );
    assert!(out.contains("found by:  Explicit"), "{out}");
    assert!(out.contains("transcripts: "), "{out}");
    assert!(out.contains("(does not exist)"), "{out}");
}

#[test]
fn help_lists_the_commands_and_directory_flags() {
    let env = Env::new();
    let o = run(&env, &["--help"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for needle in [
        "Usage: dream-mcp",
        "serve",
        "where",
        "check",
        "--memory-dir <DIR>",
        "--transcripts-dir <DIR>",
        "--project-dir <DIR>",
        "--journal-dir <DIR>",
        "DREAM_MEMORY_DIR",
        "dream-mcp check examples/messy-memory",
    ] {
        assert!(out.contains(needle), "--help lacks {needle:?}:\n{out}");
    }
    let o = run(&env, &["--version"], &[]);
    assert_eq!(
        stdout(&o).trim(),
        format!("dream-mcp {}", env!("CARGO_PKG_VERSION"))
    );
    let o = run(&env, &["frobnicate"], &[]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown command is a usage error"
    );
    assert!(stderr(&o).contains("frobnicate"), "{}", stderr(&o));
}

#[test]
fn an_empty_environment_variable_counts_as_unset() {
    let env = Env::new();
    let empty = Path::new("");
    let v = where_json(
        &env,
        &[],
        &[
            ("DREAM_MEMORY_DIR", empty),
            ("DREAM_JOURNAL_DIR", empty),
            ("DREAM_TRANSCRIPTS_DIR", empty),
            ("CLAUDE_PROJECT_DIR", empty),
        ],
    );
    assert_eq!(v["memory_source"], "project_slug");
    assert_eq!(v["project_dir"], env.project.to_string_lossy().as_ref());
}

#[test]
fn relative_and_home_relative_directories_are_made_absolute() {
    let env = Env::new();
    let v = where_json(&env, &["--memory-dir", "rel/mem"], &[]);
    assert_eq!(
        v["memory_dir"],
        env.project.join("rel/mem").to_string_lossy().as_ref(),
        "relative to the working directory"
    );
    let v = where_json(&env, &[], &[("DREAM_MEMORY_DIR", Path::new("~/mem"))]);
    assert_eq!(
        v["memory_dir"],
        env.home.join("mem").to_string_lossy().as_ref(),
        "~ is the HOME given to the process"
    );
}
