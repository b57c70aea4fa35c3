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
/// Bands worked out per pass over the words (a divisor of [`BANDS`]): each pass decodes every set once,
/// so two at a time cost half the passes of one for a band more of entries held (three measured no
/// faster at 100,000 files and held 12 MB more).
const BANDS_AT_ONCE: usize = 2;

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
/// ids below `vocabulary`, agree on every row of some band; within one bucket each item is paired with
/// the next `per_bucket` items only, so a bucket of a thousand alike sets costs a thousand calls, not a
/// million (they still chain into one group). A pair agreeing on several bands is offered once per band.
pub(crate) fn candidates<W: IntoIterator<Item = u32>>(
    items: &[Item],
    vocabulary: usize,
    words: impl Fn(usize) -> W,
    per_bucket: usize,
    pair: impl FnMut(Item, Item),
) {
    candidates_by::<{ BANDS_AT_ONCE * ROWS }, W>(items, vocabulary, words, per_bucket, pair);
}

/// [`candidates`], working out the bands `WIDTH / ROWS` at a time (a divisor of [`BANDS`]).
fn candidates_by<const WIDTH: usize, W: IntoIterator<Item = u32>>(
    items: &[Item],
    vocabulary: usize,
    words: impl Fn(usize) -> W,
    per_bucket: usize,
    mut pair: impl FnMut(Item, Item),
) {
    const { assert!(WIDTH.is_multiple_of(ROWS) && BANDS.is_multiple_of(WIDTH / ROWS)) };
    let n = items.len();
    // A few bands at a time, in order (so the pairs come in the same order whatever the grouping): the
    // hashes of all thirty for every word, or a key per band and item for all thirty at once, would be
    // most of the memory of a large check.
    let bands_at_once = WIDTH / ROWS;
    let mut table = vec![0u16; vocabulary * WIDTH];
    let mut signature = [0u16; WIDTH];
    // The group's entries, bucketed as the signatures are worked out.
    let mut bands = Bands::with_room(bands_at_once, n);
    let (mut part, mut spare) = (Vec::new(), Vec::new());
    for first in (0..BANDS).step_by(bands_at_once) {
        // Per word, the hashes of these bands side by side, so a signature is a run of minimums
        // (vectorised).
        for (w, row) in table.chunks_exact_mut(WIDTH).enumerate() {
            for (j, h) in row.iter_mut().enumerate() {
                *h = mix(w, first * ROWS + j);
            }
        }
        bands.clear();
        for (i, item) in items.iter().enumerate() {
            signature.fill(u16::MAX);
            for w in words(item.id as usize) {
                let Some(row) = table.get(w as usize * WIDTH..(w as usize + 1) * WIDTH) else {
                    continue;
                };
                for (s, &h) in signature.iter_mut().zip(row) {
                    *s = (*s).min(h);
                }
            }
            for (band, rows) in signature.chunks_exact(ROWS).enumerate() {
                bands.push(
                    band,
                    Entry {
                        key: bucket(rows),
                        at: i as u32,
                    },
                );
            }
        }
        for band in 0..bands_at_once {
            bands.sort_overflow(band);
            for top in 0..PARTS {
                bands.part(band, top, &mut part);
                radix_sort_low(&mut part, &mut spare);
                pair_within_buckets(&part, items, per_bucket, &mut pair);
            }
        }
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

/// The entries of a group of bands, each band split by the top byte of the keys as they are made (in item
/// order): sorting each part by the rest of its key sorts the band, stably, within the cache and with
/// spare room the size of one part, where sorting a whole band took a second buffer of its size (a large
/// check's memory). One allocation for them all, so it goes back to the system when done.
struct Bands {
    /// Part `p` of band `b` at `(b * PARTS + p) * room`, filled to `fill[b * PARTS + p]`.
    entries: Vec<Entry>,
    fill: Vec<usize>,
    room: usize,
    /// Per band: the entries of parts that were full, in item order.
    overflow: Vec<Vec<Entry>>,
}

impl Bands {
    /// `bands` bands with room for `n` entries each: a part's share, and four standard deviations of
    /// room for chance (a part past it spills into the band's overflow).
    fn with_room(bands: usize, n: usize) -> Bands {
        let share = n / PARTS;
        let room = share + 4 * share.isqrt() + 16;
        Bands {
            entries: vec![Entry::default(); bands * PARTS * room],
            fill: vec![0; bands * PARTS],
            room,
            overflow: vec![Vec::new(); bands],
        }
    }

    fn clear(&mut self) {
        self.fill.fill(0);
        self.overflow.iter_mut().for_each(Vec::clear);
    }

    fn push(&mut self, band: usize, e: Entry) {
        let at = band * PARTS + (e.key >> 24) as usize;
        match self.fill[at] {
            f if f < self.room => {
                self.entries[at * self.room + f] = e;
                self.fill[at] = f + 1;
            }
            _ => self.overflow[band].push(e),
        }
    }

    /// Orders `band`'s overflow by part, stably, for [`Bands::part`].
    fn sort_overflow(&mut self, band: usize) {
        self.overflow[band].sort_by_key(|e| e.key >> 24);
    }

    /// Part `top` of `band` into `out`, in item order (its overflow sorted by [`Bands::sort_overflow`]).
    fn part(&self, band: usize, top: usize, out: &mut Vec<Entry>) {
        let at = band * PARTS + top;
        let start = at * self.room;
        out.clear();
        out.extend_from_slice(&self.entries[start..start + self.fill[at]]);
        let overflow = &self.overflow[band];
        let from = overflow.partition_point(|e| ((e.key >> 24) as usize) < top);
        let to = overflow.partition_point(|e| ((e.key >> 24) as usize) <= top);
        out.extend_from_slice(&overflow[from..to]);
    }
}

/// Calls `pair` for the items (of `items`) of each run of equal keys in `band` (sorted by key), each
/// with the next `per_bucket` of its run.
fn pair_within_buckets(
    band: &[Entry],
    items: &[Item],
    per_bucket: usize,
    pair: &mut impl FnMut(Item, Item),
) {
    let mut start = 0;
    while start < band.len() {
        let key = band[start].key;
        let end = start + band[start..].iter().take_while(|e| e.key == key).count();
        for k in start..end {
            for m in k + 1..end.min(k + 1 + per_bucket) {
                pair(items[band[k].at as usize], items[band[m].at as usize]);
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
    fn the_pairs_come_in_the_same_order_however_many_bands_are_worked_out_at_once() {
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
        let (mut one, mut some, mut all) = (Vec::new(), Vec::new(), Vec::new());
        let words = |i: usize| sets[i].iter().copied();
        candidates_by::<ROWS, _>(&items, 12, words, 4, |a, b| one.push((a.id, b.id)));
        candidates(&items, 12, words, 4, |a, b| some.push((a.id, b.id)));
        candidates_by::<{ BANDS * ROWS }, _>(&items, 12, words, 4, |a, b| all.push((a.id, b.id)));
        assert!(one.len() > 1_000, "{} calls", one.len());
        assert_eq!(one, some);
        assert_eq!(one, all);
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
        let mut bands = Bands::with_room(2, 5_000);
        for &e in &entries {
            bands.push(1, e);
        }
        assert!(!bands.overflow[1].is_empty());
        bands.sort_overflow(1);
        let (mut part, mut spare, mut sorted) = (Vec::new(), Vec::new(), Vec::new());
        for top in 0..PARTS {
            bands.part(1, top, &mut part);
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
