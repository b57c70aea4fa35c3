//! Generates a large synthetic memory directory and the project it describes, for the findings benchmark
//! in BENCHMARKS.md.
//!
//!     cargo run --release --example gen_memory -- <out> [files] [bytes per file]
//!
//! writes `<out>/memory/` (MEMORY.md plus `files` topic files of about `bytes per file` each; default
//! 1,000 files of 5,000 bytes, 5 MB in all) and `<out>/project/` (the source tree the notes name). The
//! text is deterministic: words drawn with Zipf-like (1/rank) frequencies from a vocabulary of 30,000 (about
//! what 5 MB of English notes use), in list items,
//! paragraphs, headings and code blocks, with relative dates, project paths (some missing), URLs, and
//! one statement in fifty copied from another file, so every kind of finding has work to do.

use std::fs;
use std::io;
use std::path::Path;

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// An index in `0..n` with probability falling off as 1/rank.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ten", "ra", "vo", "sel", "du", "pri", "an", "cor", "ex", "li", "mon", "ta",
    "gre", "fi", "nu", "ost", "pe", "ril", "sa", "tho", "ven",
];

const RELATIVE: [&str; 8] = [
    "yesterday",
    "last week",
    "3 days ago",
    "this morning",
    "recently",
    "tomorrow",
    "last Friday",
    "the other day",
];

fn vocabulary(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let parts = 2 + rng.below(3);
            (0..parts)
                .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                .collect()
        })
        .collect()
}

fn sentence(rng: &mut Rng, words: &[String]) -> String {
    let n = 8 + rng.below(14);
    let mut s: Vec<&str> = (0..n)
        .map(|_| words[rng.zipf(words.len())].as_str())
        .collect();
    let extra = rng.below(40);
    let tail;
    if extra == 0 {
        tail = RELATIVE[rng.below(RELATIVE.len())].to_string();
        s.push(&tail);
    } else if extra == 1 {
        tail = format!("`src/mod{}/file{}.ts`", rng.below(60), rng.below(20));
        s.push(&tail);
    } else if extra == 2 {
        tail = format!(
            "https://docs.example.com/{}/{}.md",
            words[rng.below(50)],
            rng.below(99)
        );
        s.push(&tail);
    }
    let mut out = s.join(" ");
    out.push('.');
    out
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "usage: gen_memory <out> [files] [bytes per file]",
        )
    })?;
    let files: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let out = Path::new(&out);
    let memory = out.join("memory");
    let project = out.join("project");
    fs::create_dir_all(&memory)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // The project: 60 modules of 20 files, of which the notes name some that exist and some that do not.
    for m in 0..60 {
        let dir = project.join(format!("src/mod{m}"));
        fs::create_dir_all(&dir)?;
        for f in 0..15 {
            fs::write(dir.join(format!("file{f}.ts")), "export {};\n")?;
        }
    }
    let words = vocabulary(&mut rng, 30_000);
    let mut shared: Vec<String> = Vec::new();
    let mut index = String::new();
    let mut total = 0;
    for i in 0..files {
        let name = format!("topic-{i:04}.md");
        let mut text = format!(
            "---\nname: topic-{i:04}\ndescription: {}\ntype: project\n---\n# {}\n\n",
            sentence(&mut rng, &words).trim_end_matches('.'),
            words[rng.below(words.len())]
        );
        while text.len() < size {
            let roll = rng.below(100);
            if roll < 2 && !shared.is_empty() {
                let copy = shared[rng.below(shared.len())].clone();
                text.push_str(&format!("- {copy}\n"));
            } else if roll < 60 {
                let s = sentence(&mut rng, &words);
                if rng.below(50) == 0 {
                    shared.push(s.clone());
                }
                text.push_str(&format!("- {s}\n"));
            } else if roll < 85 {
                let para: Vec<String> = (0..3).map(|_| sentence(&mut rng, &words)).collect();
                text.push_str(&format!("\n{}\n\n", para.join(" ")));
            } else if roll < 93 {
                text.push_str(&format!("## {}\n", sentence(&mut rng, &words)));
            } else {
                text.push_str(&format!(
                    "```\n$ npm run {} -- --since yesterday\nok src/mod{}/file{}.ts\n```\n",
                    words[rng.below(100)],
                    rng.below(60),
                    rng.below(20)
                ));
            }
        }
        total += text.len();
        fs::write(memory.join(&name), text)?;
        if i < 180 {
            index.push_str(&format!(
                "- [{}](topic-{i:04}.md) — {}\n",
                words[rng.below(words.len())],
                words[rng.zipf(words.len())]
            ));
        }
    }
    fs::write(memory.join("MEMORY.md"), &index)?;
    eprintln!(
        "wrote {files} topic files ({total} bytes) and MEMORY.md to {}; project in {}",
        memory.display(),
        project.display()
    );
    Ok(())
}
