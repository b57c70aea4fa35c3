//! grep_transcripts through an in-process MCP client: its definition (read-only, output schema, the
//! result-size `_meta`), structured hits, refusals as tool errors, and progress notifications.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dream_mcp::DreamServer;
use dream_mcp::transcripts::MAX_ANSWER_CHARS;
use rmcp::model::{CallToolRequestParams, ProgressNotificationParam};
use rmcp::service::NotificationContext;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::util::Env;
use crate::util::transcripts::{S1, S2, S3, T1, T2, T3, user};

/// An environment whose transcripts directory holds two sessions mentioning `deploy`.
fn env_with_sessions() -> Env {
    let env = Env::new();
    env.session(S1, &[user(S1, "old", T1, "deploy to staging first")]);
    env.session(
        S2,
        &[user(S2, "new", T2, "No, use the canary flag to deploy")],
    );
    env
}

#[tokio::test]
async fn the_tool_is_read_only_and_declares_its_result_size() {
    let env = Env::new();
    let client = env.client().await;
    let tools = client.tools().await;
    let tool = tools
        .iter()
        .find(|t| t.name == "grep_transcripts")
        .expect("grep_transcripts is offered");
    let a = tool.annotations.as_ref().expect("annotations");
    assert_eq!(a.read_only_hint, Some(true));
    assert_eq!(a.idempotent_hint, Some(true));
    let meta = tool.meta.as_ref().expect("_meta on the tool");
    assert_eq!(
        meta.0.get("anthropic/maxResultSizeChars"),
        Some(&json!(MAX_ANSWER_CHARS))
    );
    let description = tool.description.as_deref().unwrap_or_default();
    assert!(description.len() < 2048, "description over 2 KB");
    let props = tool.input_schema["properties"].as_object().expect("params");
    for p in [
        "pattern",
        "preset",
        "case_insensitive",
        "role",
        "since",
        "sessions",
        "since_last_dream",
        "include_tool_output",
        "max_results",
        "context_chars",
    ] {
        let doc = props[p]["description"].as_str().unwrap_or_default();
        assert!(!doc.is_empty(), "{p} is undocumented");
    }
}

#[tokio::test]
async fn hits_come_back_structured_newest_first() {
    let env = env_with_sessions();
    let client = env.client().await;
    let v = client
        .ok("grep_transcripts", json!({"pattern": "deploy"}))
        .await;
    let hits = v["hits"].as_array().expect("hits");
    let ids: Vec<&str> = hits.iter().map(|h| h["uuid"].as_str().unwrap()).collect();
    assert_eq!(ids, ["new", "old"]);
    assert_eq!(hits[0]["session"], json!(S2));
    assert_eq!(hits[0]["timestamp"], json!(T2));
    assert_eq!(hits[0].get("date"), None, "the timestamp says the day");
    assert_eq!(hits[0]["role"], json!("user"));
    assert_eq!(hits[0].get("kind"), None, "`text` goes without saying");
    assert_eq!(hits[0].get("file"), None, "the file is `<session>.jsonl`");
    assert_eq!(hits[0]["line"], json!(1));
    assert_eq!(
        v["stats"].get("folders"),
        None,
        "one folder, named by start_dream"
    );
    assert_eq!(
        hits[0]["snippet"],
        json!("No, use the canary flag to «deploy»")
    );
    assert_eq!(v["stats"]["files_searched"], json!(2));
    assert_eq!(v["stats"]["hits_returned"], json!(2));
    assert_eq!(v["stats"]["truncated"], json!(false));
    let v = client
        .ok("grep_transcripts", json!({"preset": "corrections"}))
        .await;
    assert_eq!(v["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["hits"][0]["uuid"], json!("new"));
}

#[tokio::test]
async fn bad_requests_are_tool_errors_naming_the_input() {
    let env = env_with_sessions();
    let client = env.client().await;
    for (args, expect) in [
        (json!({"pattern": "(unclosed"}), "(unclosed"),
        (json!({"pattern": r"\w{1000}{1000}"}), "too large"),
        (json!({"pattern": "x", "preset": "errors"}), "exactly one"),
        (json!({}), "exactly one"),
        (json!({"pattern": "x", "since": "last week"}), "last week"),
        (
            json!({"pattern": "x", "sessions": ["../../etc"]}),
            "../../etc",
        ),
    ] {
        let err = client.refused("grep_transcripts", args.clone()).await;
        assert!(err.contains(expect), "{args}: {err}");
    }
}

#[tokio::test]
async fn a_missing_transcripts_directory_is_a_tool_error() {
    let env = Env::new();
    let client = env.client().await;
    let err = client
        .refused("grep_transcripts", json!({"pattern": "x"}))
        .await;
    assert!(err.contains("transcripts directory"), "{err}");
}

/// A client that counts progress notifications.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);

impl ClientHandler for Counting {
    async fn on_progress(
        &self,
        _params: ProgressNotificationParam,
        _ctx: NotificationContext<RoleClient>,
    ) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn progress_notifications_reach_a_client_that_asks() {
    let env = env_with_sessions();
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let locations = env.locations();
    tokio::spawn(async move {
        if let Ok(running) = DreamServer::new(locations).serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let counter = Counting::default();
    let client = counter.clone().serve(client_io).await.expect("handshake");
    let args: serde_json::Map<String, Value> =
        serde_json::from_value(json!({"pattern": "deploy"})).unwrap();
    // The rmcp client attaches a progress token to every request.
    let result = client
        .call_tool(CallToolRequestParams::new("grep_transcripts").with_arguments(args))
        .await
        .expect("call");
    assert_ne!(result.is_error, Some(true));
    for _ in 0..100 {
        if counter.0.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(counter.0.load(Ordering::SeqCst) > 0, "no progress received");
}

#[tokio::test]
async fn group_gathers_a_correction_repeated_across_sessions_with_its_sessions_and_dates() {
    let env = Env::new();
    env.session(
        S1,
        &[
            user(
                S1,
                "a1",
                T1,
                "No, use pnpm instead of npm for installing packages",
            ),
            user(S1, "a2", T1, "No, don't skip the canary before the deploy"),
        ],
    );
    env.session(
        S2,
        &[user(
            S2,
            "b1",
            T2,
            "no, use pnpm, not npm, when installing packages",
        )],
    );
    env.session(
        S3,
        &[
            user(
                S3,
                "c1",
                T3,
                "No, use pnpm not npm for installing the packages",
            ),
            user(
                S3,
                "c2",
                T3,
                "no, use pnpm not npm for installing packages again",
            ),
        ],
    );
    let client = env.client().await;
    let v = client
        .ok(
            "grep_transcripts",
            json!({"preset": "corrections", "group": true}),
        )
        .await;
    assert!(v["hits"].as_array().expect("hits").is_empty(), "{v}");
    let groups = v["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2, "{v}");
    let pnpm = &groups[0];
    assert_eq!(pnpm["sessions"], 3, "{pnpm}");
    assert_eq!(pnpm["hits"], 4, "{pnpm}");
    assert_eq!(pnpm["first_date"], "2026-03-01");
    assert_eq!(pnpm["last_date"], "2026-03-03");
    let sessions: Vec<&str> = pnpm["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .filter_map(|h| h["session"].as_str())
        .collect();
    assert_eq!(
        sessions,
        [S3, S2, S1],
        "one snippet a session, newest first"
    );
    assert_eq!(groups[1]["sessions"], 1);
    assert!(
        groups[1]["examples"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("canary")
    );

    // max_results counts groups.
    let v = client
        .ok(
            "grep_transcripts",
            json!({"preset": "corrections", "group": true, "max_results": 1}),
        )
        .await;
    assert_eq!(v["groups"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["stats"]["truncated"], true);
}

#[tokio::test]
async fn a_grouped_answer_stays_within_the_answer_budget() {
    let env = Env::new();
    for i in 0..120 {
        let id = format!("{:08}-1111-4111-8111-{:012}", i, i);
        let text = format!("deploy {i} {}", format!("word{i} ").repeat(60));
        env.session(&id, &[user(&id, &format!("u{i}"), T1, &text)]);
    }
    let client = env.client().await;
    let v = client
        .ok(
            "grep_transcripts",
            json!({"pattern": "deploy", "group": true, "max_results": 200, "context_chars": 1000}),
        )
        .await;
    let len = v.to_string().len();
    assert!(len <= MAX_ANSWER_CHARS, "{len} characters");
    let shown = v["groups"].as_array().expect("groups").len();
    assert!(shown > 0 && shown < 120, "{shown} groups fit");
    assert_eq!(v["stats"]["truncated"], true);
}
