//! The transcript-line extractor: hostile transcript content never panics the decoder, every JSON object
//! decodes (unknown shapes are ignored, not errors), and asking for less content never yields more.
#![no_main]

use dream_mcp::transcripts::record::{self, Wanted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let is_object = serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|v| v.is_object());
    let all = record::parse(&line, Wanted::ALL);
    // Every JSON object decodes. The converse does not hold: lone UTF-16 surrogate escapes ("\ud83d"),
    // which JavaScript's JSON.stringify writes for a cut emoji, decode here but not in serde_json.
    assert!(
        !is_object || all.is_ok(),
        "a JSON object failed to decode: {line:?}"
    );
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
