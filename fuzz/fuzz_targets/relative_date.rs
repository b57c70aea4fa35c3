//! Findings on content a write brings (the relative-date detector first among them): any text gives
//! findings that point at a real line of the file, never a panic.
#![no_main]

use dream_mcp::findings::{self, Evidence};
use dream_mcp_fuzz::hostile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let content = format!("---\nname: fuzz\ndescription: fuzz\ntype: project\n---\n{text}");
    let lines = content.lines().count().max(1);
    for finding in findings::for_content(&hostile().team_file, "fuzz.md", &content, None) {
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
