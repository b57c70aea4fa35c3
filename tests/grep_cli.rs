//! `dream-mcp grep`: human output by default, the tool's JSON with `--json`, grep's exit codes, and clear
//! errors for bad input. Runs the built binary with HOME and CLAUDE_CONFIG_DIR in a temporary folder.

use std::process::Output;

use crate::util::transcripts::{S1, S2, assistant, user};
use crate::util::{Env, text};

const T1: &str = "2026-03-01T09:00:00.000Z";
const T2: &str = "2026-03-02T10:30:00.000Z";

fn env() -> Env {
    let env = Env::new();
    env.session(
        S1,
        &[user(S1, "u1", T1, "Remember: the deploy needs the VPN")],
    );
    env.session(S2, &[assistant(S2, "a1", T2, "The deploy finished")]);
    env
}

fn grep(env: &Env, args: &[&str]) -> Output {
    let mut all = vec!["grep"];
    all.extend_from_slice(args);
    env.cli(&all)
}

fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

#[test]
fn a_snippet_said_again_is_shown_once_with_its_count() {
    let env = Env::new();
    let said = "The deploy finished";
    env.session(S1, &[user(S1, "u1", T1, said)]);
    env.session(S2, &[assistant(S2, "a1", T2, said)]);
    let out = stdout(&grep(&env, &["deploy", "--color", "never"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("(and 1 more like it)"), "{out}");
    assert_eq!(lines[1], "    The «deploy» finished");
    assert!(!lines[2].contains("deploy"), "shown once: {out}");
}

#[test]
fn human_output_shows_date_speaker_session_and_snippet_newest_first() {
    let env = env();
    let o = grep(&env, &["deploy", "--color", "never"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("2026-03-02 10:30:00  assistant text        22222222"),
        "{out}"
    );
    assert!(lines[0].ends_with(&format!("{S2}.jsonl:1")), "{out}");
    assert_eq!(lines[1], "    The «deploy» finished");
    assert!(lines[2].starts_with("2026-03-01 09:00:00  user"), "{out}");
    assert_eq!(lines[3], "    Remember: the «deploy» needs the VPN");
    assert!(
        out.contains("2 hit(s) shown of 2 matching line(s)"),
        "{out}"
    );
}

#[test]
fn json_output_is_the_tool_answer() {
    let env = env();
    let o = grep(&env, &["--preset", "remember", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["hits"][0]["uuid"], "u1");
    assert_eq!(v["hits"][0]["role"], "user");
    assert_eq!(v["stats"]["files_searched"], 2);
}

#[test]
fn nothing_found_exits_1_like_grep() {
    let env = env();
    let o = grep(&env, &["no-such-word"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("0 hit(s) shown"), "{}", stdout(&o));
}

#[test]
fn bad_input_exits_2_naming_it() {
    let env = env();
    let o = grep(&env, &["deploy", "--since", "last tuesday"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("\"last tuesday\"") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    let o = grep(&env, &["deploy", "--preset", "errors"]);
    assert_eq!(o.status.code(), Some(2));
    let o = grep(&env, &["(unclosed"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("(unclosed"));
}
