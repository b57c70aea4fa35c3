//! A scripted model: a local HTTP server speaking the Anthropic Messages API the way Claude Code calls it
//! (`POST /v1/messages` with `stream: true`, answered with server-sent events), so the real agent loop can
//! be driven offline. A closure decides each reply from the request; every request is kept for assertions.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One content block of a scripted reply.
#[derive(Debug, Clone)]
pub enum Block {
    /// Text shown as the model's answer.
    Text(String),
    /// A tool call: `id`, tool `name`, `input`.
    ToolUse(String, String, Value),
}

/// Decides the reply to one `/v1/messages` request.
pub type Script = dyn Fn(&Value) -> Vec<Block> + Send + Sync;

/// The running server. It stops when dropped with the test process.
pub struct ScriptedModel {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl ScriptedModel {
    /// Starts the server on a free local port, in its own thread.
    pub fn start(script: Box<Script>) -> ScriptedModel {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind local port");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let kept = requests.clone();
        let script: Arc<Script> = Arc::from(script);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let (kept, script) = (kept.clone(), script.clone());
                    tokio::spawn(async move {
                        let _ = serve(stream, &kept, &*script).await;
                    });
                }
            });
        });
        ScriptedModel { addr, requests }
    }

    /// The base URL to give Claude Code as `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every `/v1/messages` request body received so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("requests lock").clone()
    }
}

/// Answers the requests of one connection until it closes.
async fn serve(
    stream: TcpStream,
    requests: &Mutex<Vec<Value>>,
    script: &Script,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let Some((path, body)) = read_request(&mut reader).await? else {
            return Ok(());
        };
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (content_type, payload) = if path.starts_with("/v1/messages/count_tokens") {
            (
                "application/json",
                json!({"input_tokens": 1000}).to_string(),
            )
        } else if path.starts_with("/v1/messages") {
            requests
                .lock()
                .expect("requests lock")
                .push(request.clone());
            let blocks = script(&request);
            if request["stream"] == true {
                ("text/event-stream", events(&blocks))
            } else {
                ("application/json", message(&blocks).to_string())
            }
        } else {
            let error =
                json!({"type": "error", "error": {"type": "not_found_error", "message": path}});
            write_response(
                reader.get_mut(),
                "404 Not Found",
                "application/json",
                &error.to_string(),
            )
            .await?;
            continue;
        };
        write_response(reader.get_mut(), "200 OK", content_type, &payload).await?;
    }
}

/// Reads one HTTP/1.1 request: its path and body (`Content-Length` or chunked). `None` at end of stream.
async fn read_request(
    reader: &mut BufReader<TcpStream>,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).await?;
    }
    Ok(Some((path, body)))
}

async fn write_response(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nrequest-id: req_scripted\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await
}

fn stop_reason(blocks: &[Block]) -> &'static str {
    if blocks.iter().any(|b| matches!(b, Block::ToolUse(..))) {
        "tool_use"
    } else {
        "end_turn"
    }
}

fn usage() -> Value {
    json!({"input_tokens": 100, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
}

/// The reply as one non-streaming message.
fn message(blocks: &[Block]) -> Value {
    let content: Vec<Value> = blocks
        .iter()
        .map(|b| match b {
            Block::Text(text) => json!({"type": "text", "text": text}),
            Block::ToolUse(id, name, input) => {
                json!({"type": "tool_use", "id": id, "name": name, "input": input})
            }
        })
        .collect();
    json!({
        "id": "msg_scripted", "type": "message", "role": "assistant", "model": "claude-scripted",
        "content": content, "stop_reason": stop_reason(blocks), "stop_sequence": null, "usage": usage(),
    })
}

/// The reply as the server-sent events of a streamed message.
fn events(blocks: &[Block]) -> String {
    let mut start = message(&[]);
    start["stop_reason"] = Value::Null;
    let mut events = vec![json!({"type": "message_start", "message": start})];
    for (index, block) in blocks.iter().enumerate() {
        let (opening, delta) = match block {
            Block::Text(text) => (
                json!({"type": "text", "text": ""}),
                json!({"type": "text_delta", "text": text}),
            ),
            Block::ToolUse(id, name, input) => (
                json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
                json!({"type": "input_json_delta", "partial_json": input.to_string()}),
            ),
        };
        events
            .push(json!({"type": "content_block_start", "index": index, "content_block": opening}));
        events.push(json!({"type": "content_block_delta", "index": index, "delta": delta}));
        events.push(json!({"type": "content_block_stop", "index": index}));
    }
    events.push(json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason(blocks), "stop_sequence": null},
        "usage": {"output_tokens": 20},
    }));
    events.push(json!({"type": "message_stop"}));
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap_or("")))
        .collect()
}
