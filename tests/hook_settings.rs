//! The plugin's settings (`userConfig`) end to end through the SessionStart hook: `when_due` = suggest,
//! auto or off, the hours and sessions thresholds, the circuit breaker (one automatic dream per gate
//! window), and silence while Claude Code's own auto-dream is on.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::stores::{session_id, sessions, store};
use crate::util::{Env, age, dead_pid, notice, text, write_lock};

/// A project whose memory has never been consolidated and has 6 sessions: the default gate is open.
fn due_world() -> Env {
    let env = Env::new();
    store(&env.memory, 2);
    sessions(&env.transcripts, &env.project, 6);
    env
}

/// Runs `status --hook` with the plugin options `options` (`KEY` of `CLAUDE_PLUGIN_OPTION_<KEY>`),
/// returning the hook JSON (`Null` when silent).
fn hook(env: &Env, options: &[(&str, &str)]) -> Value {
    let mut cmd = env.command_on_dirs();
    cmd.args(["status", "--hook"]).stdin(Stdio::null());
    for (k, v) in options {
        cmd.env(format!("CLAUDE_PLUGIN_OPTION_{k}"), v);
    }
    let o = cmd.output().expect("run hook");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    if out.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&out).expect("hook JSON")
    }
}

fn context(v: &Value) -> String {
    v["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn when_due_suggest_is_the_default_and_offers_the_dream() {
    let env = due_world();
    for options in [
        &[][..],
        &[("WHEN_DUE", "suggest")][..],
        &[("WHEN_DUE", "bogus")][..],
    ] {
        let v = hook(&env, options);
        let c = context(&v);
        assert!(
            c.contains("At a natural pause") && c.contains("/dream"),
            "{options:?}: {v}"
        );
        assert!(v.get("systemMessage").is_none(), "{v}");
    }
}

#[test]
fn when_due_off_says_nothing() {
    let env = due_world();
    assert_eq!(hook(&env, &[("WHEN_DUE", "off")]), Value::Null);
}

#[test]
fn when_due_auto_starts_once_per_gate_window_and_tells_the_user_how_to_undo() {
    let env = due_world();
    let v = hook(&env, &[("WHEN_DUE", "auto")]);
    let c = context(&v);
    assert!(
        c.contains("Without asking") && c.contains("background"),
        "{v}"
    );
    let told = v["systemMessage"].as_str().unwrap_or_default();
    assert!(
        told.contains("dream-mcp undo") && told.contains("background"),
        "{v}"
    );
    // The circuit breaker: a second session start in the same window does nothing.
    assert_eq!(hook(&env, &[("WHEN_DUE", "auto")]), Value::Null);
    assert_eq!(hook(&env, &[("WHEN_DUE", "auto")]), Value::Null);
    // A suggestion is still allowed: it starts nothing.
    assert!(context(&hook(&env, &[])).contains("At a natural pause"));
    // A consolidation that happened (a new window, whose gate opens again later) re-arms it.
    write_lock(&env.memory, dead_pid(), Duration::from_secs(30 * 3600));
    for n in 0..6 {
        age(
            &env.transcripts.join(format!("{}.jsonl", session_id(n))),
            Duration::ZERO,
        );
    }
    let v = hook(&env, &[("WHEN_DUE", "auto")]);
    assert!(context(&v).contains("Without asking"), "{v}");
    assert_eq!(hook(&env, &[("WHEN_DUE", "auto")]), Value::Null);
}

#[test]
fn the_thresholds_come_from_the_plugin_options() {
    let env = due_world();
    assert_eq!(hook(&env, &[("MIN_SESSIONS", "7")]), Value::Null);
    let v = hook(&env, &[("MIN_SESSIONS", "6")]);
    assert!(context(&v).contains("6 sessions"), "{v}");
    // Consolidated 2 hours ago, 6 sessions since: closed at 24 h, open at 1 h.
    write_lock(&env.memory, dead_pid(), Duration::from_secs(2 * 3600));
    for n in 0..6 {
        age(
            &env.transcripts.join(format!("{}.jsonl", session_id(n))),
            Duration::ZERO,
        );
    }
    assert_eq!(hook(&env, &[]), Value::Null);
    let v = hook(&env, &[("MIN_HOURS", "1")]);
    assert!(context(&v).contains("threshold: 1 h"), "{v}");
    // A flag or DREAM_* variable wins over the option.
    let o = env
        .command_on_dirs()
        .args(["status", "--hook", "--min-hours", "24"])
        .env("CLAUDE_PLUGIN_OPTION_MIN_HOURS", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
}

#[test]
fn nothing_is_started_or_offered_while_claude_codes_own_auto_dream_is_on() {
    let env = due_world();
    std::fs::write(
        env.config.join("settings.json"),
        r#"{"autoDreamEnabled": true}"#,
    )
    .unwrap();
    assert_eq!(hook(&env, &[("WHEN_DUE", "auto")]), Value::Null);
    assert_eq!(hook(&env, &[]), Value::Null);
    std::fs::write(
        env.config.join("settings.json"),
        r#"{"autoDreamEnabled": false}"#,
    )
    .unwrap();
    assert!(context(&hook(&env, &[("WHEN_DUE", "auto")])).contains("Without asking"));
}

#[test]
fn hook_time_with_the_settings() {
    let env = due_world();
    let runs = 20;
    let started = Instant::now();
    for _ in 0..runs {
        hook(
            &env,
            &[
                ("WHEN_DUE", "suggest"),
                ("MIN_HOURS", "24"),
                ("MIN_SESSIONS", "5"),
            ],
        );
    }
    let each = started.elapsed() / runs;
    notice(&format!(
        "status --hook with the settings: {} ms per run (debug build)",
        each.as_millis()
    ));
    assert!(each < Duration::from_secs(2), "{each:?}");
}
