//! The newest hits seen so far, bounded: memory stays constant however many lines match.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::result::Hit;

/// Orders hits: newer first; on equal times, by file and then line, so the order is the same on every run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RankKey {
    /// Milliseconds since the epoch: the line's timestamp, or its file's mtime when it has none.
    pub time_ms: i64,
    /// File, relative to the transcripts directory.
    pub file: String,
    /// Line number.
    pub line: u64,
}

/// A hit with its rank; compared by rank only.
#[derive(Debug)]
struct Ranked {
    key: RankKey,
    hit: Hit,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Keeps the `capacity` highest-ranked hits.
#[derive(Debug)]
pub struct TopHits {
    capacity: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl TopHits {
    /// An empty set keeping at most `capacity` hits.
    pub fn new(capacity: usize) -> TopHits {
        TopHits {
            capacity,
            heap: BinaryHeap::with_capacity(capacity + 1),
        }
    }

    /// Whether a hit ranked `key` would be kept (so the caller can skip building one that would not).
    pub fn accepts(&self, key: &RankKey) -> bool {
        self.heap.len() < self.capacity || self.heap.peek().is_some_and(|Reverse(r)| *key > r.key)
    }

    /// Offers a hit; the lowest-ranked one is dropped when over capacity.
    pub fn push(&mut self, key: RankKey, hit: Hit) {
        if !self.accepts(&key) {
            return;
        }
        self.heap.push(Reverse(Ranked { key, hit }));
        if self.heap.len() > self.capacity {
            self.heap.pop();
        }
    }

    /// Adds every hit of `other`.
    pub fn merge(&mut self, other: TopHits) {
        for Reverse(r) in other.heap {
            self.push(r.key, r.hit);
        }
    }

    /// The kept hits, highest-ranked (newest) first.
    pub fn into_sorted(self) -> Vec<Hit> {
        let mut v: Vec<Ranked> = self.heap.into_iter().map(|Reverse(r)| r).collect();
        v.sort_by(|a, b| b.key.cmp(&a.key));
        v.into_iter().map(|r| r.hit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcripts::record::{Kind, Role};

    fn hit(line: u64) -> Hit {
        Hit {
            session_id: None,
            uuid: None,
            timestamp: None,
            date: None,
            role: Role::User,
            kind: Kind::Text,
            snippet: String::new(),
            file: "f".into(),
            line,
            repeats: 0,
        }
    }

    fn key(t: i64, line: u64) -> RankKey {
        RankKey {
            time_ms: t,
            file: "f".into(),
            line,
        }
    }

    #[test]
    fn keeps_the_newest_in_order_across_merges() {
        let mut a = TopHits::new(3);
        let mut b = TopHits::new(3);
        for (t, line) in [(5, 1), (1, 2), (9, 3)] {
            a.push(key(t, line), hit(line));
        }
        for (t, line) in [(7, 4), (2, 5), (8, 6)] {
            b.push(key(t, line), hit(line));
        }
        assert!(!a.accepts(&key(0, 99)));
        a.merge(b);
        let lines: Vec<u64> = a.into_sorted().iter().map(|h| h.line).collect();
        assert_eq!(lines, vec![3, 6, 4]);
    }
}
