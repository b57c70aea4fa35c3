//! A release-asset server on 127.0.0.1 for the launcher's download path: serves fixed bytes by file name
//! (`GET /<name>`), 404 for anything else, and counts the requests it answered.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// The running server; it serves until the test process ends.
pub struct AssetServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl AssetServer {
    /// Serves `files` (name, bytes) from a thread of its own.
    pub fn start(files: Vec<(String, Vec<u8>)>) -> AssetServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind local port");
        let addr = listener.local_addr().expect("local addr");
        let files: HashMap<String, Vec<u8>> = files.into_iter().collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header.trim().is_empty() => break,
                        Ok(_) => {}
                    }
                }
                seen.lock().expect("requests lock").push(path.clone());
                let found = files.get(path.trim_start_matches('/'));
                let (status, body): (&str, &[u8]) = match found {
                    Some(bytes) => ("200 OK", bytes),
                    None => ("404 Not Found", b"not found\n"),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body);
            }
        });
        AssetServer { addr, requests }
    }

    /// The base URL to give the launcher as `DREAM_MCP_DOWNLOAD_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests lock").clone()
    }
}
