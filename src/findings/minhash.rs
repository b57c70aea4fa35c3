//! MinHash with banding (locality-sensitive hashing): the pairs of word sets likely to be alike, in time
//! linear in the sets' total size, for memories too large to pair exactly.
//!
//! Each set gets [`BANDS`] × [`ROWS`] minimum hashes (the smallest of each hash function over its words);
//! two sets agree on one such minimum with probability equal to their Jaccard similarity `s`, so on all
//! rows of some band with probability `1 - (1 - s^ROWS)^BANDS`: 98.5% at 60%, 99.9% at 70%, and under
//! 0.4% for sets sharing a tenth of their words. Sets agreeing on a band are candidates; the caller
//! verifies each exactly, so a candidate never becomes a false pair, while a true pair near the
//! threshold is found with that probability.

/// Bands of the signature.
pub(crate) const BANDS: usize = 30;
/// Minimum hashes per band.
pub(crate) const ROWS: usize = 4;
/// A 16-bit hash of `word` under hash function `j` (SplitMix64 finaliser): two words sharing one is a
/// 1-in-65,536 accident, and half-width minimums halve the memory a signature reads.
fn mix(word: usize, j: usize) -> u16 {
    let mut z = ((word as u64) << 8 | j as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_4765_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u16
}

/// One band's rows folded into a bucket key.
fn bucket(rows: &[u16]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &r in rows {
        h = (h ^ u64::from(r)).wrapping_mul(0x0100_0000_01b3);
        h ^= h >> 29;
    }
    (h ^ (h >> 32)) as u32
}

/// One set offered to [`candidates`]: its id, and a tag carried with it through the sorting and handed
/// back with it, so that the caller's first test of a pair reads nothing else (on a large memory most
/// of the time goes to reading what is not in the cache). Twelve bytes, not sixteen: a large memory has
/// a million of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(Rust, packed(4))]
pub(crate) struct Item {
    /// The set's id, as `words` takes it.
    pub id: u32,
    /// Whatever the caller wants at hand when pairing.
    pub tag: u64,
}

/// Calls `pair(a, b)` for two of `items` (`a` listed before `b`) when their sets, `words(id)` over word
/// ids below `vocabulary`, agree on every row of some band and `keep(a, b)` holds; within one bucket
/// each item is paired with the next `per_bucket` items only, so a bucket of a thousand alike sets costs
/// a thousand calls, not a million (they still chain into one group). A pair agreeing on several bands
/// is offered once per band, in band order whatever thread worked the band out.
///
/// Two threads work the bands out, the even ones and the odd ones, one pass over the words a band (the
/// signatures, the sorting, and `keep`, the cheap test that turns most candidates down); `pair` runs on
/// the calling thread, band after band.
pub(crate) fn candidates<W: IntoIterator<Item = u32>>(
    items: &[Item],
    vocabulary: usize,
    words: impl Fn(usize) -> W + Sync,
    per_bucket: usize,
    keep: impl Fn(Item, Item) -> bool + Sync,
    mut pair: impl FnMut(Item, Item),
) {
    let worker = || Worker {
        items,
        words: &words,
        keep: &keep,
        per_bucket,
        table: vec![0u16; vocabulary * ROWS],
        band: Band::with_room(items.len()),
        part: Vec::new(),
        spare: Vec::new(),
        run: Vec::new(),
    };
    std::thread::scope(|scope| {
        // One band worked out ahead at most: each is a few hundred kilobytes of candidates.
        let (sender, even) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            let mut worker = worker();
            for band in (0..BANDS).step_by(2) {
                if sender.send(worker.band(band)).is_err() {
                    return;
                }
            }
        });
        let mut odd = worker();
        for band in 0..BANDS {
            let found = if band % 2 == 0 {
                // A closed channel is a panic in the other thread, raised again when the scope ends.
                match even.recv() {
                    Ok(found) => found,
                    Err(_) => return,
                }
            } else {
                odd.band(band)
            };
            for (a, b) in found {
                pair(items[a as usize], items[b as usize]);
            }
        }
    });
}

/// What one thread of [`candidates`] keeps between bands: the hashes of the band's rows per word and
/// the band's entries.
struct Worker<'a, F, K> {
    items: &'a [Item],
    words: &'a F,
    keep: &'a K,
    per_bucket: usize,
    table: Vec<u16>,
    band: Band,
    part: Vec<Entry>,
    spare: Vec<Entry>,
    run: Vec<(u32, Item)>,
}

impl<W: IntoIterator<Item = u32>, F: Fn(usize) -> W, K: Fn(Item, Item) -> bool> Worker<'_, F, K> {
    /// The candidates of band `band` that `keep` holds to, as places in the items, in the order
    /// [`candidates`] offers them.
    fn band(&mut self, band: usize) -> Vec<(u32, u32)> {
        // Per word, the hashes of the band's rows side by side, so a signature is a run of minimums.
        for (w, row) in self.table.chunks_exact_mut(ROWS).enumerate() {
            for (j, h) in row.iter_mut().enumerate() {
                *h = mix(w, band * ROWS + j);
            }
        }
        self.band.clear();
        let mut signature = [0u16; ROWS];
        for (i, item) in self.items.iter().enumerate() {
            signature.fill(u16::MAX);
            for w in (self.words)(item.id as usize) {
                let Some(row) = self.table.get(w as usize * ROWS..(w as usize + 1) * ROWS) else {
                    continue;
                };
                for (s, &h) in signature.iter_mut().zip(row) {
                    *s = (*s).min(h);
                }
            }
            self.band.push(Entry {
                key: bucket(&signature),
                at: i as u32,
            });
        }
        self.band.sort_overflow();
        let mut found = Vec::new();
        for top in 0..PARTS {
            self.band.part(top, &mut self.part);
            radix_sort_low(&mut self.part, &mut self.spare);
            pair_within_buckets(
                &self.part,
                self.items,
                self.per_bucket,
                &mut self.run,
                |a, b| {
                    if (self.keep)(a.1, b.1) {
                        found.push((a.0, b.0));
                    }
                },
            );
        }
        found
    }
}

/// An item's place in the items with its bucket key in one band: 8 bytes, where carrying the item itself
/// made the two buffers of a sort most of the memory of a large check.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    key: u32,
    at: u32,
}

/// Parts of a band: its entries split by the top byte of their key.
const PARTS: usize = 256;

/// The entries of a band, split by the top byte of the keys as they are made (in item order): sorting
/// each part by the rest of its key sorts the band, stably, within the cache and with spare room the
/// size of one part, where sorting a whole band took a second buffer of its size (a large check's
/// memory). One allocation for them all, so it goes back to the system when done.
struct Band {
    /// Part `p` at `p * room`, filled to `fill[p]`.
    entries: Vec<Entry>,
    fill: Vec<usize>,
    room: usize,
    /// The entries of parts that were full, in item order.
    overflow: Vec<Entry>,
}

impl Band {
    /// A band with room for `n` entries: a part's share, and four standard deviations of room for
    /// chance (a part past it spills into the overflow).
    fn with_room(n: usize) -> Band {
        let share = n / PARTS;
        let room = share + 4 * share.isqrt() + 16;
        Band {
            entries: vec![Entry::default(); PARTS * room],
            fill: vec![0; PARTS],
            room,
            overflow: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.fill.fill(0);
        self.overflow.clear();
    }

    fn push(&mut self, e: Entry) {
        let at = (e.key >> 24) as usize;
        match self.fill[at] {
            f if f < self.room => {
                self.entries[at * self.room + f] = e;
                self.fill[at] = f + 1;
            }
            _ => self.overflow.push(e),
        }
    }

    /// Orders the overflow by part, stably, for [`Band::part`].
    fn sort_overflow(&mut self) {
        self.overflow.sort_by_key(|e| e.key >> 24);
    }

    /// Part `top` into `out`, in item order (the overflow sorted by [`Band::sort_overflow`]).
    fn part(&self, top: usize, out: &mut Vec<Entry>) {
        let start = top * self.room;
        out.clear();
        out.extend_from_slice(&self.entries[start..start + self.fill[top]]);
        let from = self
            .overflow
            .partition_point(|e| ((e.key >> 24) as usize) < top);
        let to = self
            .overflow
            .partition_point(|e| ((e.key >> 24) as usize) <= top);
        out.extend_from_slice(&self.overflow[from..to]);
    }
}

/// Calls `pair` for the entries (their places and items) of each run of equal keys in `part` (sorted
/// by key), each with the next `per_bucket` of its run. Each item of a run is read from `items` once,
/// into `run`, and an item alone in its bucket not at all: most of the time of a large memory's pairing
/// went to fetching two items a pair from all over the items.
fn pair_within_buckets(
    part: &[Entry],
    items: &[Item],
    per_bucket: usize,
    run: &mut Vec<(u32, Item)>,
    mut pair: impl FnMut((u32, Item), (u32, Item)),
) {
    let mut start = 0;
    while start < part.len() {
        let key = part[start].key;
        let end = start + part[start..].iter().take_while(|e| e.key == key).count();
        if end - start > 1 {
            run.clear();
            run.extend(
                part[start..end]
                    .iter()
                    .map(|e| (e.at, items[e.at as usize])),
            );
            for k in 0..run.len() {
                for m in k + 1..run.len().min(k + 1 + per_bucket) {
                    pair(run[k], run[m]);
                }
            }
        }
        start = end;
    }
}

/// Sorts `v`, entries whose keys share their top byte, by key, stably (equal keys keep their order), in
/// three passes of one byte: linear, where a comparison sort of the thirty bands was most of the work.
fn radix_sort_low(v: &mut Vec<Entry>, spare: &mut Vec<Entry>) {
    for shift in [0, 8, 16] {
        let mut counts = [0usize; 257];
        for e in v.iter() {
            counts[((e.key >> shift) & 0xff) as usize + 1] += 1;
        }
        for d in 1..257 {
            counts[d] += counts[d - 1];
        }
        spare.clear();
        spare.extend_from_slice(v);
        for e in v.iter() {
            let d = ((e.key >> shift) & 0xff) as usize;
            spare[counts[d]] = *e;
            counts[d] += 1;
        }
        std::mem::swap(v, spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sets` as items, each tagged with its id squared.
    fn items_of(sets: &[Vec<u32>]) -> Vec<Item> {
        (0..sets.len() as u32)
            .map(|id| Item {
                id,
                tag: u64::from(id) * u64::from(id),
            })
            .collect()
    }

    fn pairs_of(sets: &[Vec<u32>], per_bucket: usize) -> Vec<(usize, usize)> {
        let items = items_of(sets);
        let vocabulary = sets.iter().flatten().max().map_or(0, |&w| w as usize + 1);
        let mut out = Vec::new();
        candidates(
            &items,
            vocabulary,
            |i| sets[i].iter().copied(),
            per_bucket,
            |_, _| true,
            |a, b| {
                // Each item comes with its own tag.
                for x in [a, b] {
                    let (tag, id) = (x.tag, x.id);
                    assert_eq!(tag, u64::from(id) * u64::from(id));
                }
                let (a, b) = (a.id as usize, b.id as usize);
                out.push((a.min(b), a.max(b)));
            },
        );
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn alike_sets_are_candidates_and_unrelated_ones_are_not() {
        let mut sets: Vec<Vec<u32>> = Vec::new();
        // 200 pairs at 80% (8 shared of 10 distinct words), on words no other pair uses.
        for p in 0..200u32 {
            let base: Vec<u32> = (0..9).map(|k| p * 20 + k).collect();
            let mut a = base.clone();
            a.pop();
            let mut b = base[1..].to_vec();
            b.push(p * 20 + 10);
            b.sort_unstable();
            sets.push(a);
            sets.push(b);
        }
        let found = pairs_of(&sets, 16);
        let true_pairs = (0..200)
            .filter(|p| found.contains(&(2 * p, 2 * p + 1)))
            .count();
        // 1 - (1 - 0.8^4)^30 is over 99.99%: every one is found.
        assert_eq!(true_pairs, 200);
        // Sets sharing no word never collide but by a 32-bit bucket accident.
        let false_pairs = found.iter().filter(|(a, b)| a / 2 != b / 2).count();
        assert!(false_pairs <= 2, "{false_pairs} unrelated pairs");
    }

    #[test]
    fn the_pairs_come_band_by_band_in_bucket_order_as_one_thread_would_offer_them() {
        // Sets over a small vocabulary: many collide, in buckets of all sizes.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let sets: Vec<Vec<u32>> = (0..300)
            .map(|_| {
                let mut set: Vec<u32> = (0..6)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        (state % 12) as u32
                    })
                    .collect();
                set.sort_unstable();
                set.dedup();
                set
            })
            .collect();
        let items = items_of(&sets);
        // Odd ids turned down by `keep`.
        let keep = |a: Item, b: Item| (a.id | b.id).is_multiple_of(2);
        let mut got = Vec::new();
        candidates(
            &items,
            12,
            |i| sets[i].iter().copied(),
            4,
            keep,
            |a, b| got.push((a.id, b.id)),
        );
        // The same, one band after another on one thread: each set's key, a stable sort, each with the
        // next four of its run.
        let mut expected = Vec::new();
        for band in 0..BANDS {
            let mut keyed: Vec<(u32, u32)> = sets
                .iter()
                .enumerate()
                .map(|(i, set)| {
                    let rows: Vec<u16> = (0..ROWS)
                        .map(|j| {
                            set.iter()
                                .map(|&w| mix(w as usize, band * ROWS + j))
                                .min()
                                .unwrap_or(u16::MAX)
                        })
                        .collect();
                    (bucket(&rows), i as u32)
                })
                .collect();
            keyed.sort_by_key(|&(key, _)| key);
            for (k, &(key, a)) in keyed.iter().enumerate() {
                for &(other, b) in keyed[k + 1..].iter().take(4) {
                    if other == key && keep(items[a as usize], items[b as usize]) {
                        expected.push((a, b));
                    }
                }
            }
        }
        assert!(expected.len() > 1_000, "{} calls", expected.len());
        assert_eq!(got, expected);
    }

    #[test]
    fn a_band_sorted_by_parts_is_the_band_sorted_stably_even_when_parts_overflow() {
        // Keys crowded into two top bytes, so those parts spill far past their room.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let entries: Vec<Entry> = (0..5_000u32)
            .map(|at| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let top = if state.is_multiple_of(3) { 7 } else { 200 };
                let key = (top << 24) | (state >> 40) as u32 & 0x3ff;
                Entry { key, at }
            })
            .collect();
        let mut band = Band::with_room(5_000);
        for &e in &entries {
            band.push(e);
        }
        assert!(!band.overflow.is_empty());
        band.sort_overflow();
        let (mut part, mut spare, mut sorted) = (Vec::new(), Vec::new(), Vec::new());
        for top in 0..PARTS {
            band.part(top, &mut part);
            radix_sort_low(&mut part, &mut spare);
            sorted.extend(part.iter().map(|e| (e.key, e.at)));
        }
        let mut expected: Vec<(u32, u32)> = entries.iter().map(|e| (e.key, e.at)).collect();
        expected.sort_by_key(|&(key, _)| key);
        assert_eq!(sorted, expected);
    }

    #[test]
    fn a_bucket_of_identical_sets_chains_with_linear_calls() {
        let sets: Vec<Vec<u32>> = vec![vec![1, 2, 3, 4, 5]; 1_000];
        let items = items_of(&sets);
        let mut calls = 0usize;
        let mut parent: Vec<usize> = (0..sets.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                i = parent[i];
            }
            i
        }
        candidates(
            &items,
            6,
            |i| sets[i].iter().copied(),
            4,
            |_, _| true,
            |a, b| {
                calls += 1;
                let (a, b) = (a.id as usize, b.id as usize);
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            },
        );
        assert!(calls <= BANDS * 4 * sets.len(), "{calls} calls");
        assert!((0..sets.len()).all(|i| root(&mut parent, i) == 0));
    }
}
