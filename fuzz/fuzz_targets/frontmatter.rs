//! Frontmatter parsing: any text gives Absent, Unclosed or a block whose fields came from the text.
#![no_main]

use dream_mcp::edit::frontmatter_warnings;
use dream_mcp::findings::MAX_DESCRIPTION_CHARS;
use dream_mcp::frontmatter::{self, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let lines: Vec<&str> = body.lines().map(str::trim_end).collect();
    let parsed = frontmatter::parse(&text);
    let warnings = frontmatter_warnings(&text);
    match &parsed {
        Parsed::Absent => {
            assert_ne!(
                lines.first().copied(),
                Some("---"),
                "a --- first line was missed"
            );
            assert_eq!(warnings.len(), 1, "{warnings:?}");
        }
        Parsed::Unclosed => {
            assert_eq!(lines.first().copied(), Some("---"));
            assert!(!lines[1..].contains(&"---"), "a closing --- was missed");
            assert_eq!(warnings.len(), 1, "{warnings:?}");
        }
        Parsed::Present(fm) => {
            assert!(fm.end_line >= 2);
            assert_eq!(lines.first().copied(), Some("---"));
            assert_eq!(
                lines.get(fm.end_line - 1).copied(),
                Some("---"),
                "end_line is off"
            );
            assert!(
                !lines[1..fm.end_line - 1].contains(&"---"),
                "the block closed at a later ---"
            );
            for value in [&fm.name, &fm.description, &fm.type_raw]
                .into_iter()
                .flatten()
            {
                assert!(!value.is_empty() && !value.contains('\n'), "{value:?}");
                assert!(
                    body.contains(value.as_str()),
                    "{value:?} is not from the text"
                );
            }
            if let Some(t) = fm.memory_type() {
                assert!(fm.type_raw.is_some(), "{t:?} without a raw type");
            }
            let complete = fm
                .name
                .as_deref()
                .is_some_and(|n| !n.contains(char::is_whitespace))
                && fm
                    .description
                    .as_deref()
                    .is_some_and(|d| d.chars().count() <= MAX_DESCRIPTION_CHARS)
                && fm.memory_type().is_some();
            assert_eq!(warnings.is_empty(), complete, "{warnings:?}");
        }
    }
});
