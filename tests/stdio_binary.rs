//! The built binary speaks MCP over stdin/stdout: raw JSON-RPC, one message per line, nothing else on
//! stdout, and a clean exit when stdin closes.

use serde_json::{Value, json};

use crate::util::{self, Env, StdioServer, topic};

#[test]
fn the_binary_speaks_json_rpc_over_stdio() {
    let env = Env::new();
    env.put("a.md", topic("a", "first"));
    env.put("MEMORY.md", "- [A](a.md) — a\n");
    let mut server = env.spawn_server();

    let init = server.handshake();
    assert_eq!(init["serverInfo"]["name"], "dream-mcp");
    assert_eq!(init["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(init["protocolVersion"], "2025-06-18");
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    let instructions = init["instructions"].as_str().expect("instructions");
    assert!(instructions.len() < 2048 && instructions.contains("memory directory"));

    let list = server.request(1, "tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort();
    assert_eq!(names, util::TOOLS);
    for t in tools {
        assert!(
            t.get("outputSchema").is_none(),
            "{}: the answer is JSON text",
            t["name"]
        );
        assert_eq!(t["inputSchema"]["type"], "object", "{}", t["name"]);
    }

    let call = |server: &mut StdioServer, id: u64, name: &str, args: Value| {
        let resp = server.request(id, "tools/call", json!({"name": name, "arguments": args}));
        assert!(resp.get("error").is_none(), "{name}: {resp}");
        resp["result"].clone()
    };

    let listed = call(&mut server, 2, "list_memory", json!({"files_limit": 10}));
    assert_ne!(listed["isError"], true, "{listed}");
    assert_eq!(listed["structuredContent"]["index"]["lines"], 1);
    assert_eq!(
        listed["structuredContent"]["files"][0]["path"], "a.md",
        "{listed}"
    );
    assert_eq!(
        listed["structuredContent"]["directories"]["memory_dir"],
        env.memory.to_string_lossy().as_ref()
    );

    let read = call(&mut server, 3, "read_memory_file", json!({"path": "a.md"}));
    assert_eq!(read["structuredContent"]["content"], topic("a", "first"));
    let hash = read["structuredContent"]["sha256"].clone();

    let written = call(
        &mut server,
        4,
        "write_memory_file",
        json!({"path": "a.md", "content": topic("a", "second"), "expected_sha256": hash}),
    );
    assert_ne!(written["isError"], true, "{written}");
    assert_eq!(written["structuredContent"]["created"], false);
    assert_eq!(
        env.get("a.md").as_deref(),
        Some(topic("a", "second").as_bytes())
    );

    let refused = call(
        &mut server,
        5,
        "read_memory_file",
        json!({"path": "../outside/secret.md"}),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused["content"][0]["text"].as_str().expect("error text");
    assert!(
        text.contains("\"../outside/secret.md\"") && text.contains("'..'"),
        "{text}"
    );
    assert!(refused.get("structuredContent").is_none(), "{refused}");

    let unknown = server.request(
        6,
        "tools/call",
        json!({"name": "format_disk", "arguments": {}}),
    );
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    assert_eq!(unknown["error"]["message"], "tool not found", "{unknown}");

    let bad = call(&mut server, 7, "read_memory_file", json!({"path": 5}));
    assert_eq!(bad["isError"], true, "{bad}");
    assert!(
        bad["content"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("expected a string")),
        "{bad}"
    );

    assert!(server.finish(), "the server did not exit cleanly on EOF");
    assert_eq!(env.runs().len(), 1, "one journaled write");
}
