//! Patterns for grep_transcripts: any string compiles or is refused with a reason naming it; none panics
//! or compiles past the size limit.
#![no_main]

use dream_mcp::transcripts::Matchers;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let pattern = String::from_utf8_lossy(rest);
    match Matchers::new(&pattern, flags & 1 == 1) {
        Ok(m) => {
            assert_eq!(m.source(), pattern);
            assert!(
                !m.decoded().is_match(""),
                "a pattern matching the empty string was accepted"
            );
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
