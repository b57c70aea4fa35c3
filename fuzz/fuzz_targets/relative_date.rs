//! Findings on content a write brings (the relative-date detector first among them): any text gives
//! findings that point at a real line of the file, never a panic.
#![no_main]

use std::sync::{Mutex, OnceLock};

use dream_mcp::findings::{Analysis, Evidence};
use dream_mcp_fuzz::hostile;
use libfuzzer_sys::fuzz_target;

/// The analysis of the fixture's `team_file` directory the findings are computed against, made once.
fn analysis() -> &'static Mutex<Analysis> {
    static ANALYSIS: OnceLock<Mutex<Analysis>> = OnceLock::new();
    ANALYSIS.get_or_init(|| {
        let mut analysis = Analysis::default();
        analysis
            .refresh(&hostile().team_file)
            .expect("analysis of the fixture");
        Mutex::new(analysis)
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let content = format!("---\nname: fuzz\ndescription: fuzz\ntype: project\n---\n{text}");
    let lines = content.lines().count().max(1);
    let findings = analysis()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .for_write("fuzz.md", &content, None);
    for finding in findings {
        if finding.file == "fuzz.md" {
            assert!(
                (1..=lines).contains(&finding.line),
                "line {} of {lines}: {finding:?}",
                finding.line
            );
        }
        assert!(!finding.message.is_empty());
        if let Some(Evidence::RelativeDate(e)) = &finding.evidence {
            assert!(!e.phrase.is_empty());
            let flat = |s: &str| {
                s.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_lowercase()
            };
            assert!(
                flat(&content).contains(&flat(&e.phrase)),
                "phrase {:?} is not in the text",
                e.phrase
            );
            assert_eq!(e.anchor.is_some(), e.anchor_source.is_some(), "{e:?}");
        }
    }
});
