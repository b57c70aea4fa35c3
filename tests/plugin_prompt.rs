//! The `dream` MCP prompt: listed by the server, and its text is the skill's body, for clients that have MCP
//! prompts but no skills.
// The plugin tests drive the POSIX launcher and Claude Code on Linux and macOS (see docs/plugin.md for Windows).
#![cfg(unix)]

use rmcp::model::GetPromptRequestParams;

use crate::util::Env;
use crate::util::claude_code::skill_parts;

#[tokio::test]
async fn dream_prompt_is_listed_and_is_the_skill_body() {
    let env = Env::new();
    let client = env.child_client().await;

    let prompts = client.list_all_prompts().await.expect("prompts/list");
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["dream"], "prompts offered: {names:?}");
    assert!(prompts[0].arguments.as_ref().is_none_or(Vec::is_empty));
    let description = prompts[0].description.as_deref().unwrap_or_default();
    assert!(description.contains("memory"), "{description}");

    let result = client
        .get_prompt(GetPromptRequestParams::new("dream"))
        .await
        .expect("prompts/get dream");
    let result = serde_json::to_value(&result).expect("prompt result as JSON");
    let messages = result["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{result}");
    assert_eq!(messages[0]["role"], "user");
    let text = messages[0]["content"]["text"]
        .as_str()
        .expect("text content");
    let (_, body) = skill_parts();
    assert_eq!(
        text, body,
        "the prompt differs from skill/dream/SKILL.md's body"
    );

    let unknown = client
        .get_prompt(GetPromptRequestParams::new("nightmare"))
        .await;
    assert!(unknown.is_err(), "an unknown prompt must be an error");
    let _ = client.cancel().await;
}
