//! The transcript-line extractor: hostile transcript content never panics the decoder, every JSON object
//! decodes (unknown shapes are ignored, not errors), no line that is not an object does, and asking for
//! less content never yields more.
#![no_main]

use dream_mcp::transcripts::record::{self, Wanted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let is_object = serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|v| v.is_object());
    let all = record::parse(&line, Wanted::ALL);
    // Tolerant, not strict: content it skips (an unknown field) is not validated, so a line strict JSON
    // rejects there may still decode. Every JSON object must.
    if is_object {
        assert!(all.is_ok(), "a JSON object failed to decode: {line:?}");
    }
    if !line.trim_start().starts_with('{') {
        assert!(all.is_err(), "a line that is no object decoded: {line:?}");
    }
    let Ok(all) = all else { return };
    for wanted in [
        Wanted {
            tool_output: false,
            thinking: false,
        },
        Wanted {
            tool_output: true,
            thinking: false,
        },
        Wanted {
            tool_output: false,
            thinking: true,
        },
    ] {
        let narrow = record::parse(&line, wanted).expect("the same line decodes again");
        assert_eq!(narrow.uuid, all.uuid);
        assert_eq!(narrow.session_id, all.session_id);
        assert_eq!(narrow.timestamp, all.timestamp);
        for piece in &narrow.pieces {
            assert!(
                all.pieces.contains(piece),
                "{piece:?} appears only when asking for less"
            );
        }
    }
});
