//! Co-mention counts in bounded memory.
//!
//! Pairs of entities mentioned in one article grow with the square of an article's entities
//! and, over a corpus, with the number of distinct pairs, which a large corpus makes far larger
//! than its entities. Counts are kept exactly until `max_pairs` distinct pairs are held; then
//! the rarest are dropped (lossy counting, Manku & Motwani 2002): the floor rises by one and
//! every pair whose count plus the count it may have missed is at most the floor goes, until a
//! quarter of the room is free. A pair seen again after being dropped starts over and records
//! the floor as what it may have missed, so for every kept pair `count ≤ true count ≤ count +
//! missed`, and a pair that is gone was in at most `floor` articles.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// How many of an article's entities, the most mentioned first, form its pairs: bounds the
/// work an article of hundreds of names (a list, a results table) can cause.
pub const ENTITIES_PER_ARTICLE: usize = 100;

/// A multiplicative hash for the report's maps: the default SipHash guards against adversarial
/// keys, which interned ids and the ids of one's own output are not, at several times the cost
/// on the hottest loops.
#[derive(Default)]
pub struct FastHasher(u64);

/// A hash map keyed by ids or pairs of them.
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.write_u64(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.write_u64(u64::from_le_bytes(last) ^ bytes.len() as u64);
    }
    fn write_u8(&mut self, b: u8) {
        self.write_u64(b as u64);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        let h = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub struct PairCounter {
    /// (smaller id, larger id) packed in one u64 → (count, missed).
    counts: FastMap<u64, (u32, u32)>,
    max_pairs: usize,
    /// No pair dropped so far was in more articles than this.
    pub floor: u32,
}

/// A co-mention pair with its count and the most it may be short of the true count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    pub count: u32,
    pub missed: u32,
}

impl PairCounter {
    pub fn new(max_pairs: usize) -> PairCounter {
        PairCounter { counts: HashMap::default(), max_pairs: max_pairs.max(1), floor: 0 }
    }

    /// Counts every pair of one article's distinct entities (at most [`ENTITIES_PER_ARTICLE`]).
    pub fn add_article(&mut self, entities: &[u32]) {
        let mut ids = entities.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                let floor = self.floor;
                let entry = self.counts.entry((a as u64) << 32 | b as u64).or_insert((0, floor));
                entry.0 += 1;
            }
        }
        if self.counts.len() > self.max_pairs {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let target = self.max_pairs - self.max_pairs / 4;
        while self.counts.len() > target {
            // The lowest floor that drops something: one pass however large the counts are.
            let lowest = self.counts.values().map(|&(count, missed)| count + missed).min().unwrap_or(0);
            self.floor = lowest.max(self.floor + 1);
            let floor = self.floor;
            self.counts.retain(|_, &mut (count, missed)| count + missed > floor);
        }
        self.counts.shrink_to(self.max_pairs);
    }

    /// Pairs counted in at least `min` articles, in no particular order.
    pub fn pairs(&self, min: u32) -> impl Iterator<Item = Pair> + '_ {
        self.counts
            .iter()
            .filter(move |(_, &(count, _))| count >= min)
            .map(|(&key, &(count, missed))| Pair { a: (key >> 32) as u32, b: key as u32, count, missed })
    }
}

/// The distinct entities of an article's mentions, or its [`ENTITIES_PER_ARTICLE`] most
/// mentioned when it has more (ties go to the first mentioned), most mentioned first.
pub fn most_mentioned(mentions: &[u32]) -> Vec<u32> {
    let mut counts: FastMap<u32, (usize, usize)> = FastMap::default(); // id → (mentions, first position)
    for (pos, &id) in mentions.iter().enumerate() {
        counts.entry(id).or_insert((0, pos)).0 += 1;
    }
    let mut ranked: Vec<(u32, usize, usize)> = counts.into_iter().map(|(id, (n, first))| (id, n, first)).collect();
    ranked.sort_unstable_by_key(|&(_, n, first)| (std::cmp::Reverse(n), first));
    ranked.truncate(ENTITIES_PER_ARTICLE);
    ranked.into_iter().map(|c| c.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(counter: &PairCounter, min: u32) -> Vec<Pair> {
        let mut v: Vec<Pair> = counter.pairs(min).collect();
        v.sort_by_key(|p| (p.a, p.b));
        v
    }

    #[test]
    fn counts_each_pair_once_an_article() {
        let mut c = PairCounter::new(100);
        c.add_article(&[3, 1, 2, 1]);
        c.add_article(&[2, 1]);
        let pairs = sorted(&c, 1);
        assert_eq!(pairs.iter().map(|p| (p.a, p.b, p.count)).collect::<Vec<_>>(), [(1, 2, 2), (1, 3, 1), (2, 3, 1)]);
        assert_eq!(sorted(&c, 2).len(), 1);
        assert_eq!(c.floor, 0);
    }

    #[test]
    fn frequent_pairs_survive_pruning_with_bounded_error() {
        // Pair (0, 1) is in every article; every article also brings one pair never seen again.
        let mut c = PairCounter::new(50);
        let n = 1000;
        for i in 0..n {
            c.add_article(&[0, 1]);
            c.add_article(&[1000 + 2 * i, 1001 + 2 * i]);
        }
        assert!(c.counts.len() <= 50);
        assert!(c.floor > 0);
        let frequent = sorted(&c, 1).into_iter().find(|p| (p.a, p.b) == (0, 1)).expect("kept");
        assert!(frequent.count <= n && n <= frequent.count + frequent.missed, "{frequent:?}");
        // Every pair held is within its bound of the truth (each rare pair was seen once).
        assert!(c.pairs(1).all(|p| p.count == 1 || (p.a, p.b) == (0, 1)));
    }

    #[test]
    fn an_article_of_many_entities_pairs_its_most_mentioned() {
        let mut mentions: Vec<u32> = (0..300).collect();
        mentions.extend([299, 299, 5]);
        let top = most_mentioned(&mentions);
        assert_eq!(top.len(), ENTITIES_PER_ARTICLE);
        assert_eq!(&top[..3], &[299, 5, 0]);
        assert_eq!(most_mentioned(&[4, 2, 4]), [4, 2]);
    }
}
