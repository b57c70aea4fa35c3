//! Path validation: whatever string a tool is handed, an accepted path stays inside the memory directory.
#![no_main]

use dream_mcp::{Access, MemoryPath};
use dream_mcp_fuzz::{assert_confined, hostile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let fixture = hostile();
    if let Ok(path) = MemoryPath::parse(&raw) {
        assert_eq!(path.as_str(), raw, "parse changed the path");
        assert_eq!(
            MemoryPath::parse(path.as_str()).ok(),
            Some(path.clone()),
            "not idempotent"
        );
        assert!(
            path.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)),
            "accepted {raw:?} with a character outside the name alphabet"
        );
        let segments: Vec<&str> = path.as_str().split('/').collect();
        assert!(
            segments.len() == 1 || (segments.len() == 2 && segments[0] == "team"),
            "accepted {raw:?} outside the top level and team/"
        );
    }
    for dir in fixture.dirs() {
        for access in [Access::Read, Access::Write] {
            match dir.resolve(&raw, access) {
                Ok(path) => assert_confined(dir, &path, access),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains("refused"), "refusal without a rule: {msg}");
                }
            }
        }
    }
});
