//! Index parsing and review: line accounting matches Claude Code's limits, links come from their
//! line, and a proposed index is refused exactly when it breaks a rule.
#![no_main]

use dream_mcp::index::{self, Index, MAX_BYTES, MAX_LINES};
use dream_mcp_fuzz::hostile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let idx = Index::parse(&text);
    assert_eq!(idx.bytes, text.len());
    assert_eq!(idx.lines.len(), text.split_inclusive('\n').count());
    let mut loaded_bytes = 0;
    let mut cut_seen = false;
    let mut in_fence = false;
    for (n, (line, raw)) in idx.lines.iter().zip(text.split_inclusive('\n')).enumerate() {
        assert_eq!(line.line, n + 1);
        assert!(
            raw.starts_with(&line.text),
            "line {} text is not its own",
            line.line
        );
        if line.loaded {
            assert!(!cut_seen, "line {} loaded after a cut line", line.line);
            loaded_bytes += raw.len();
        } else {
            cut_seen = true;
        }
        let fence = {
            let t = line.text.trim_start();
            t.starts_with("```") || t.starts_with("~~~")
        };
        let quoted = in_fence || fence;
        in_fence ^= fence;
        let expected = if quoted {
            Vec::new()
        } else {
            index::links(&line.text)
        };
        assert_eq!(expected, line.links, "line {}", line.line);
        for link in &line.links {
            assert!(
                line.text.contains(&link.title),
                "title {:?} not on its line",
                link.title
            );
            assert!(
                line.text.contains(&link.target),
                "target {:?} not on its line",
                link.target
            );
            if let Some(file) = link.local_file() {
                assert!(link.target.contains(file));
            }
        }
    }
    assert!(idx.lines.iter().filter(|l| l.loaded).count() <= MAX_LINES);
    assert!(loaded_bytes <= MAX_BYTES);
    assert_eq!(
        idx.over_limits(),
        idx.lines.len() > MAX_LINES || idx.bytes > MAX_BYTES
    );
    if !idx.over_limits() {
        assert!(
            idx.lines.iter().all(|l| l.loaded),
            "a line under the limits was cut"
        );
    }

    let fixture = hostile();
    let (dir, files) = (&fixture.plain, &fixture.plain_files);
    let review = index::review(&text, dir, files);
    let dead = idx.dead_links(dir);
    let should_refuse = idx.over_limits() || idx.has_frontmatter || !dead.is_empty();
    assert_eq!(
        !review.violations.is_empty(),
        should_refuse,
        "{:?}",
        review.violations
    );
    for d in &dead {
        assert!(
            review
                .violations
                .iter()
                .any(|v| v.starts_with(&format!("line {}:", d.line))),
            "dead link on line {} not reported",
            d.line
        );
    }
    let orphans = files
        .iter()
        .filter(|f| idx.lines_linking(f).is_empty())
        .count();
    assert_eq!(
        review
            .warnings
            .iter()
            .filter(|w| w.ends_with("(orphan)"))
            .count(),
        orphans
    );
});
