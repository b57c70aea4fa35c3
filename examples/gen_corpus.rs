//! Writes a deterministic transcripts directory for the grep benchmark (bench/grep.sh).
//!
//! ```text
//! cargo run --release --example gen_corpus -- OUT_DIR SIZE_MB [TEMPLATES_DIR]
//! ```
//!
//! Lines are taken, in a seeded pseudo-random order, from the real transcripts in TEMPLATES_DIR (default
//! `../shared/fixtures/transcripts`) when it exists, else from built-in synthetic lines; each copy gets a
//! fresh session id, uuid and timestamp. Sessions of 0.5 to 4 MB are spread over 180 days, some with
//! subagent transcripts, each file's mtime set to its last timestamp. Planted on top: the phrase
//! `quokka-migration` in 60 user prompts (the selective pattern), one 20 MB single-line tool result, and a
//! half-written last line in the newest session. The same arguments always give the same bytes.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

/// The selective needle planted in user prompts.
const NEEDLE: &str = "quokka-migration";
const NEEDLE_COUNT: usize = 60;
const HUGE_LINE_BYTES: usize = 20 << 20;

/// splitmix64: a small deterministic generator, enough for shuffling templates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen_corpus OUT_DIR SIZE_MB [TEMPLATES_DIR]");
        std::process::exit(2);
    }
    let out = PathBuf::from(&args[1]);
    let target: u64 = args[2].parse::<u64>()? << 20;
    let templates_dir = args.get(3).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/transcripts")
    });
    let templates = load_templates(&templates_dir);
    eprintln!(
        "{} template lines ({})",
        templates.len(),
        if templates_dir.is_dir() {
            "real transcripts"
        } else {
            "synthetic"
        }
    );
    fs::create_dir_all(&out)?;
    let avg_line = templates
        .iter()
        .map(|t| t.to_string().len() as u64 + 1)
        .sum::<u64>()
        / templates.len().max(1) as u64;
    // One needle per this many lines spreads them over the whole corpus.
    let needle_every = (target / avg_line.max(1) / NEEDLE_COUNT as u64).max(1);
    let mut rng = Rng(0x5eed_0001);
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .single()
        .ok_or("bad start")?;
    let mut written = 0u64;
    let mut sessions = Vec::new();
    let mut needles = 0usize;
    let mut huge_done = false;
    let mut day = 0i64;
    while written < target {
        let id = rng.uuid();
        let size = (512 << 10) + rng.below(7 << 19);
        let mut t =
            start + chrono::Duration::days(day) + chrono::Duration::minutes(rng.below(600) as i64);
        day = (day + 1) % 180;
        let path = out.join(format!("{id}.jsonl"));
        let mut w = BufWriter::new(fs::File::create(&path)?);
        let mut bytes = 0u64;
        while bytes < size {
            t += chrono::Duration::milliseconds(500 + rng.below(20_000) as i64);
            let tpl = &templates[rng.below(templates.len() as u64) as usize];
            let line = if needles < NEEDLE_COUNT && rng.below(needle_every) == 0 {
                needles += 1;
                user_line(
                    &id,
                    &rng.uuid(),
                    t,
                    &format!("Remember the {NEEDLE} needs a backup first (case {needles})"),
                )
            } else {
                instantiate(tpl, &id, &rng.uuid(), t)
            };
            bytes += line.len() as u64 + 1;
            writeln!(w, "{line}")?;
        }
        if !huge_done && written > target / 2 {
            huge_done = true;
            let content =
                "0123456789abcdef error: synthetic build log line\n".repeat(HUGE_LINE_BYTES / 49);
            let line = json!({"type": "user", "sessionId": id, "uuid": rng.uuid(),
                "timestamp": ts(t), "message": {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_huge", "content": content}]}})
            .to_string();
            bytes += line.len() as u64 + 1;
            writeln!(w, "{line}")?;
        }
        w.flush()?;
        drop(w);
        set_mtime(&path, t)?;
        if rng.below(4) == 0 {
            let sub = out.join(&id).join("subagents");
            fs::create_dir_all(&sub)?;
            let p = sub.join(format!("agent-a{:x}.jsonl", rng.next() >> 40));
            let mut w = BufWriter::new(fs::File::create(&p)?);
            for _ in 0..40 {
                let tpl = &templates[rng.below(templates.len() as u64) as usize];
                let line = instantiate(tpl, &id, &rng.uuid(), t);
                bytes += line.len() as u64 + 1;
                writeln!(w, "{line}")?;
            }
            w.flush()?;
            drop(w);
            set_mtime(&p, t)?;
        }
        written += bytes;
        sessions.push((path, t));
    }
    // The newest session is still being written: its last line is cut in half.
    if let Some((path, t)) = sessions.iter().max_by_key(|(_, t)| *t) {
        let half = user_line("x", "half", *t, "this line was cut while being writ");
        let mut f = fs::OpenOptions::new().append(true).open(path)?;
        f.write_all(&half.as_bytes()[..half.len() / 2])?;
        drop(f);
        set_mtime(path, *t)?;
    }
    eprintln!(
        "wrote {} sessions, {} MB, {needles} needles, huge line: {huge_done}",
        sessions.len(),
        written >> 20
    );
    Ok(())
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn user_line(session: &str, uuid: &str, t: DateTime<Utc>, text: &str) -> String {
    json!({"parentUuid": null, "isSidechain": false, "userType": "external", "cwd": "/home/dev/project",
        "sessionId": session, "version": "2.1.39", "gitBranch": "main", "type": "user",
        "message": {"role": "user", "content": text}, "uuid": uuid, "timestamp": ts(t)})
    .to_string()
}

/// A template line with this copy's session, uuid and time.
fn instantiate(tpl: &Value, session: &str, uuid: &str, t: DateTime<Utc>) -> String {
    let mut v = tpl.clone();
    if let Some(o) = v.as_object_mut() {
        for (k, val) in [
            ("sessionId", session),
            ("uuid", uuid),
            ("timestamp", &ts(t)),
        ] {
            if o.contains_key(k) {
                o.insert(k.to_string(), json!(val));
            }
        }
    }
    v.to_string()
}

fn set_mtime(path: &Path, t: DateTime<Utc>) -> std::io::Result<()> {
    let secs = u64::try_from(t.timestamp()).unwrap_or(0);
    fs::File::options()
        .write(true)
        .open(path)?
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Every JSON line of the real transcripts, in path order; synthetic lines when there are none.
fn load_templates(dir: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    files.sort();
    let mut lines: Vec<Value> = files
        .iter()
        .filter_map(|f| fs::read_to_string(f).ok())
        .flat_map(|s| {
            s.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect::<Vec<Value>>()
        })
        .collect();
    if lines.is_empty() {
        lines = synthetic();
    }
    lines
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "jsonl") {
            out.push(p);
        }
    }
}

/// Lines of every variant, with the sizes and vocabulary of real sessions, for machines without the
/// shared transcripts.
fn synthetic() -> Vec<Value> {
    let t = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut v = Vec::new();
    let prose = "The build failed because the config loader reads the old path; I will update the \
                 loader, rerun the tests and report back with the results. ";
    let output = "running 42 tests\ntest parser::tests::empty ... ok\ntest io::tests::missing ... \
                  FAILED\nerror: test failed, to rerun pass `--lib`\n";
    for i in 0..50 {
        v.push(
            serde_json::from_str(&user_line(
                "s",
                "u",
                t,
                &format!("Please fix issue {i}: the loader ignores the new path"),
            ))
            .unwrap_or_default(),
        );
        v.push(
            json!({"type": "assistant", "sessionId": "s", "uuid": "u", "timestamp": ts(t),
            "cwd": "/home/dev/project", "message": {"role": "assistant", "content": [
                {"type": "text", "text": prose.repeat(1 + i % 6)}]}}),
        );
        v.push(json!({"type": "assistant", "sessionId": "s", "uuid": "u", "timestamp": ts(t),
            "message": {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Bash",
                "input": {"command": "cargo test --lib", "description": "run tests"}}]}}));
        v.push(
            json!({"type": "user", "sessionId": "s", "uuid": "u", "timestamp": ts(t),
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t",
                "content": output.repeat(1 + i * 7 % 40)}]}}),
        );
        v.push(json!({"type": "progress", "sessionId": "s", "data": {"type": "hook_progress"}}));
    }
    v
}
