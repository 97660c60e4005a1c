//! Dedupe: a number is kept once, in its first kept row.
//!
//! Also the fast seeded hashing of the `u64` E.164 keys that the rules' maps share
//! ([`FastMap`], [`FastSet`]): one folded multiply a key instead of SipHash; and the
//! small table of short cells in front of the consent and region maps ([`ShortCells`]).

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher};

/// An odd constant with well-spread bits (PCG's multiplier), mixed into the seeds.
const MULTIPLE: u64 = 0x5851_f42d_4c95_7f2d;

/// `a` and `b` multiplied and folded so that every input bit reaches the high and the low
/// bits of the result (hashbrown indexes by the low bits, tags by the high ones).
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    #[cfg(not(target_arch = "wasm32"))]
    return folded_multiply_wide(a, b);
    #[cfg(target_arch = "wasm32")]
    return splitmix_fold(a, b);
}

/// The 128-bit product, its halves xor-ed: one instruction on 64-bit CPUs.
#[inline]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
fn folded_multiply_wide(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

/// For wasm, where the wide product is a call to `__multi3` (1.3% of a part worker's
/// time): `a ^ b` through SplitMix64's finaliser, two `i64.mul` and three shifts, a
/// bijection whose every input bit reaches every output bit.
#[inline]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn splitmix_fold(a: u64, b: u64) -> u64 {
    let z = a ^ b;
    let z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for one table: std's per-process random SipHash keys, and in wasm (where std has
/// no randomness) `crypto.getRandomValues` too. The keys come from users' files, so their
/// hash must not be predictable from the file alone.
fn random_seed() -> u64 {
    let seed = RandomState::new().hash_one(MULTIPLE);
    #[cfg(target_arch = "wasm32")]
    {
        let mut bytes = [0u8; 8];
        if getrandom::getrandom(&mut bytes).is_ok() {
            return seed ^ u64::from_le_bytes(bytes);
        }
    }
    seed
}

/// Builds [`KeyHasher`]s with a random seed drawn once a table.
#[derive(Clone, Debug)]
pub(crate) struct KeyHashing {
    seed: u64,
    mul: u64,
}

impl Default for KeyHashing {
    fn default() -> KeyHashing {
        let seed = random_seed();
        KeyHashing {
            seed,
            // A fixed multiplier with well-spread bits (the seed is the random part, as in
            // foldhash): a random one could be small (1 in 256 below 2^56), and then
            // consecutive numbers, common in real lists, all hashed into a few shards.
            mul: MULTIPLE,
        }
    }
}

impl KeyHashing {
    /// The hash of one key, as `hash_one(key)` gives it, without the `Hasher` round trip.
    #[inline]
    fn hash_key(&self, key: u64) -> u64 {
        folded_multiply(self.seed ^ key, self.mul)
    }
}

impl BuildHasher for KeyHashing {
    type Hasher = KeyHasher;

    #[inline]
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher {
            hash: self.seed,
            mul: self.mul,
        }
    }
}

/// A folded-multiply hasher (as foldhash's): fast for the integer keys, and correct (if
/// less fast) for byte strings, 8 bytes a multiply.
#[derive(Clone, Debug)]
pub(crate) struct KeyHasher {
    hash: u64,
    mul: u64,
}

impl Hasher for KeyHasher {
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.hash = folded_multiply(self.hash ^ n, self.mul);
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.write_u64(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.write_u64(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with the fast seeded hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, KeyHashing>;
/// A `HashSet` with the fast seeded hasher.
pub(crate) type FastSet<K> = HashSet<K, KeyHashing>;

/// The answers for the last short cells looked up (at most 7 bytes: "GB", "yes",
/// "opt-in"), without hashing them: a cell and its length packed into one `u64` pick one
/// of 64 entries. In front of a map of every distinct cell, whose look-up of a cell
/// (hashing its bytes, comparing them) was, for the consent values and the region
/// column, 6% of a part worker's time in wasm (Node profile, the bench list).
#[derive(Clone, Debug)]
pub(crate) struct ShortCells<V> {
    entries: Box<[(u64, V); SHORT_ENTRIES]>,
}

const SHORT_ENTRIES: usize = 64;
/// No packed cell: its length byte would be 255.
const NO_CELL: u64 = u64::MAX;

impl<V: Copy + Default> Default for ShortCells<V> {
    fn default() -> ShortCells<V> {
        ShortCells {
            entries: Box::new([(NO_CELL, V::default()); SHORT_ENTRIES]),
        }
    }
}

impl<V: Copy> ShortCells<V> {
    /// `cell` and its length in one `u64`; `None` when it is longer than 7 bytes.
    #[inline]
    fn pack(cell: &[u8]) -> Option<u64> {
        if cell.len() > 7 {
            return None;
        }
        let mut bytes = [0u8; 8];
        bytes[..cell.len()].copy_from_slice(cell);
        bytes[7] = cell.len() as u8;
        Some(u64::from_le_bytes(bytes))
    }

    #[inline]
    fn entry(packed: u64) -> usize {
        (packed.wrapping_mul(MULTIPLE) >> 58) as usize
    }

    /// The answer last put for `cell`, if it is still here.
    #[inline]
    pub(crate) fn get(&self, cell: &[u8]) -> Option<V> {
        let packed = Self::pack(cell)?;
        let (key, value) = self.entries[Self::entry(packed)];
        (key == packed).then_some(value)
    }

    /// Keeps `value` as the answer for `cell` (a cell over 7 bytes is not kept), in
    /// place of the cell that shared its entry.
    #[inline]
    pub(crate) fn put(&mut self, cell: &[u8], value: V) {
        if let Some(packed) = Self::pack(cell) {
            self.entries[Self::entry(packed)] = (packed, value);
        }
    }

    /// Forgets every cell.
    pub(crate) fn clear(&mut self) {
        for entry in self.entries.iter_mut() {
            entry.0 = NO_CELL;
        }
    }
}

/// Shards of the kept set, chosen by the top bits of a key's hash: a shard grows on its
/// own, so growing copies 1/256 of the set, never the whole of it.
const SHARD_BITS: u32 = 8;
const SHARDS: usize = 1 << SHARD_BITS;
/// Slots a shard starts with.
const MIN_SLOTS: usize = 8;

/// One shard: open addressing with linear probing over the keys themselves, 0 marking an
/// empty slot (an E.164 key is never 0; a 0 key is kept aside). At most 4/5 full, and it
/// grows by half: 10 to 15 bytes a number. Measured on the 1 GB bench list (8,027,784
/// distinct numbers, wasm engine in Node): the whole wasm memory 142.6 MiB, against
/// 321.9 MiB with one `HashSet<u64>` (the bound there: 64 MB + 16 bytes a number,
/// 183.5 MiB).
#[derive(Default)]
struct Shard {
    slots: Vec<u64>,
    len: usize,
}

impl Shard {
    /// The slot where a key with hash `hash` starts probing (a multiply-shift of the low
    /// 32 bits: any slot count, not only powers of two).
    #[inline]
    fn start(hash: u64, slots: usize) -> usize {
        (((hash & 0xffff_ffff) * slots as u64) >> 32) as usize
    }

    #[inline]
    fn contains(&self, key: u64, hash: u64) -> bool {
        let n = self.slots.len();
        if n == 0 {
            return false;
        }
        let mut i = Shard::start(hash, n);
        loop {
            match self.slots[i] {
                0 => return false,
                k if k == key => return true,
                _ => i = if i + 1 == n { 0 } else { i + 1 },
            }
        }
    }

    /// Adds a key that is not in the shard yet.
    /// Adds `key` unless it is there: true when it was not. One probe, which ends on
    /// the key or on the empty slot the key then goes to (unless the table grows first).
    #[inline]
    fn insert(&mut self, key: u64, hash: u64, hashing: &KeyHashing) -> bool {
        let n = self.slots.len();
        if n > 0 {
            let mut i = Shard::start(hash, n);
            loop {
                match self.slots[i] {
                    0 => break,
                    k if k == key => return false,
                    _ => i = if i + 1 == n { 0 } else { i + 1 },
                }
            }
            if (self.len + 1) * 5 <= n * 4 {
                self.slots[i] = key;
                self.len += 1;
                return true;
            }
        }
        self.grow(hashing);
        Shard::place(&mut self.slots, key, hash);
        self.len += 1;
        true
    }

    fn place(slots: &mut [u64], key: u64, hash: u64) {
        let n = slots.len();
        let mut i = Shard::start(hash, n);
        while slots[i] != 0 {
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        slots[i] = key;
    }

    fn grow(&mut self, hashing: &KeyHashing) {
        let size = (self.slots.len() + self.slots.len() / 2).max(MIN_SLOTS);
        let mut slots = vec![0u64; size];
        for &key in self.slots.iter().filter(|&&k| k != 0) {
            Shard::place(&mut slots, key, hashing.hash_key(key));
        }
        self.slots = slots;
    }
}

/// The numbers already kept.
pub struct Dedupe {
    shards: Vec<Shard>,
    hashing: KeyHashing,
    len: usize,
    zero: bool,
}

impl Default for Dedupe {
    fn default() -> Dedupe {
        Dedupe {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            hashing: KeyHashing::default(),
            len: 0,
            zero: false,
        }
    }
}

impl fmt::Debug for Dedupe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dedupe").field("len", &self.len).finish()
    }
}

impl Dedupe {
    #[inline]
    fn shard(&self, hash: u64) -> usize {
        (hash >> (64 - SHARD_BITS)) as usize
    }

    /// True when `key` was already kept by an earlier row.
    pub fn is_duplicate(&self, key: u64) -> bool {
        if key == 0 {
            return self.zero;
        }
        let hash = self.hashing.hash_key(key);
        self.shards[self.shard(hash)].contains(key, hash)
    }

    /// Records that a row with `key` was kept: true when no earlier row with `key` was
    /// (one probe of the table, where asking [`Dedupe::is_duplicate`] first took two).
    pub fn keep(&mut self, key: u64) -> bool {
        if key == 0 {
            let new = !self.zero;
            self.len += usize::from(new);
            self.zero = true;
            return new;
        }
        let hash = self.hashing.hash_key(key);
        let shard = self.shard(hash);
        let new = self.shards[shard].insert(key, hash, &self.hashing);
        self.len += usize::from(new);
        new
    }

    /// Makes room for `n` numbers in all, spread over the shards as their hashes spread
    /// them, so that the set need not grow (each time copying what it holds) as it fills.
    /// Only an empty set is given room; a shard a number more than its share goes to
    /// grows as before.
    pub fn reserve(&mut self, n: usize) {
        if self.len > 0 || self.zero {
            return;
        }
        // A shard's share, and as many slots again as keep it at most 4/5 full.
        let share = n / SHARDS + 1;
        let slots = (share * 5).div_ceil(4).max(MIN_SLOTS);
        for shard in &mut self.shards {
            shard.slots = vec![0; slots];
        }
    }

    /// Reads the slot where a look-up of `key` starts, so that the look-up soon after
    /// finds it in the cache: touching a batch of keys before looking them up has the
    /// memory fetch them together rather than one miss after another.
    #[inline]
    pub fn touch(&self, key: u64) {
        let hash = self.hashing.hash_key(key);
        let slots = &self.shards[self.shard(hash)].slots;
        if !slots.is_empty() {
            // Read, and kept from being optimised away.
            std::hint::black_box(slots[Shard::start(hash, slots.len())]);
        }
    }

    /// Distinct numbers kept so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the kept set's tables hold (for the memory tests and figures).
    #[cfg(test)]
    fn table_bytes(&self) -> usize {
        self.shards.len() * std::mem::size_of::<Shard>()
            + self
                .shards
                .iter()
                .map(|s| s.slots.capacity() * 8)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kept_numbers_make_duplicates() {
        let mut d = Dedupe::default();
        assert!(!d.is_duplicate(441212941091));
        assert!(d.keep(441212941091), "the first row with a number keeps it");
        assert!(d.is_duplicate(441212941091));
        assert!(!d.keep(441212941091), "a later row's number is a duplicate");
        assert!(!d.is_duplicate(441212941092));
        assert_eq!(d.len(), 1);
    }

    /// Deterministic keys shaped like E.164 numbers, with repeats and a 0.
    fn keys(count: usize) -> Vec<u64> {
        let mut next = crate::xorshift(0x9e37_79b9_7f4a_7c15);
        (0..count)
            .map(|i| {
                let state = next();
                match i % 10 {
                    0 => 0,
                    1..=3 => 447_700_000_000 + state % 1000, // many repeats
                    _ => 10_000_000 + state % 999_999_999_999_999,
                }
            })
            .collect()
    }

    #[test]
    fn the_sharded_set_behaves_as_a_set() {
        let keys = keys(300_000);
        // Grown from nothing, given room for a tenth of the keys (most shards then grow
        // too), and for them all.
        for room in [0, keys.len() / 10, keys.len()] {
            a_set_of(&keys, room);
        }
    }

    fn a_set_of(keys: &[u64], room: usize) {
        let mut d = Dedupe::default();
        d.reserve(room);
        let mut reference = HashSet::new();
        for (i, &key) in keys.iter().enumerate() {
            d.touch(key);
            assert_eq!(d.is_duplicate(key), reference.contains(&key), "{key}");
            if i % 3 != 2 {
                // `keep` says whether the key is new, as `insert` does.
                assert_eq!(d.keep(key), reference.insert(key), "{key}");
                assert!(d.is_duplicate(key));
            }
            assert_eq!(d.len(), reference.len());
            assert_eq!(d.is_empty(), reference.is_empty());
        }
        // Every key, kept or not, once more after all the growth.
        for &key in keys {
            assert_eq!(d.is_duplicate(key), reference.contains(&key), "{key}");
        }
        for probe in 1..10_000u64 {
            assert_eq!(d.is_duplicate(probe), reference.contains(&probe));
        }
    }

    #[test]
    fn short_cells_answer_as_a_map_of_them_would() {
        // Cells of 0 to 9 bytes, some that differ only in length or in a zero byte, many
        // more than the entries, looked up and put in a random order.
        let mut next = crate::xorshift(0x2545_f491_4f6c_dd1d);
        let cells: Vec<Vec<u8>> = (0..400)
            .map(|i| {
                let len = (i % 10) as usize;
                (0..len)
                    .map(|_| [0u8, b'a', b'y', b'\xff'][(next() % 4) as usize])
                    .collect()
            })
            .collect();
        let mut cache = ShortCells::<u32>::default();
        let mut map = HashMap::new();
        for _ in 0..20_000 {
            let cell = &cells[(next() % cells.len() as u64) as usize];
            match cache.get(cell) {
                // A cell in the cache has the answer last put for it.
                Some(v) => assert_eq!(Some(&v), map.get(cell), "{cell:?}"),
                None => {
                    let v = next() as u32;
                    cache.put(cell, v);
                    if cell.len() <= 7 {
                        map.insert(cell.clone(), v);
                        assert_eq!(cache.get(cell), Some(v));
                    } else {
                        assert_eq!(cache.get(cell), None, "{cell:?} is too long to keep");
                    }
                }
            }
        }
        cache.clear();
        assert!(cells.iter().all(|c| cache.get(c).is_none()));
    }

    #[test]
    fn the_kept_set_takes_at_most_16_bytes_a_number() {
        let mut d = Dedupe::default();
        let mut state = 1u64;
        let mut worst: f64 = 0.0;
        for i in 1..=2_000_000u64 {
            state = state.wrapping_mul(MULTIPLE).wrapping_add(1);
            d.keep(10_000_000_000 + state % 90_000_000_000);
            if i >= 100_000 && i % 10_000 == 0 {
                worst = worst.max(d.table_bytes() as f64 / d.len() as f64);
            }
        }
        assert!(d.len() > 1_900_000);
        assert!(worst <= 16.0, "{worst} bytes a number");
    }

    #[test]
    fn close_keys_reach_every_shard_whatever_the_seed() {
        // The seed is random per table: the spread must not depend on it. Both folds (the
        // native one and wasm's) are checked here, natively.
        for (name, fold) in [
            ("wide", folded_multiply_wide as fn(u64, u64) -> u64),
            ("splitmix", splitmix_fold),
        ] {
            let mut state = 0x853c_49e6_748f_ea9bu64;
            for _ in 0..2000 {
                state = state
                    .wrapping_mul(MULTIPLE)
                    .wrapping_add(1442695040888963407);
                let hashes: Vec<u64> = (441_212_941_000..441_212_951_000u64)
                    .map(|k| fold(state ^ k, MULTIPLE))
                    .collect();
                // Top bits pick the shard and hashbrown's tag, low bits the slot.
                let tops: HashSet<u64> = hashes.iter().map(|h| h >> 56).collect();
                let lows: HashSet<u64> = hashes.iter().map(|h| h & 0xff).collect();
                assert_eq!(
                    (tops.len(), lows.len()),
                    (256, 256),
                    "{name}, seed {state:#x}"
                );
            }
            // Distinct keys, distinct hashes (for one seed: 10,000 close keys must not
            // collide; the narrow one is a bijection).
            let distinct: HashSet<u64> = (441_212_941_000..441_212_951_000u64)
                .map(|k| fold(state ^ k, MULTIPLE))
                .collect();
            assert_eq!(distinct.len(), 10_000, "{name}");
        }
        assert_eq!(folded_multiply(3, 5), folded_multiply_wide(3, 5));
    }

    #[test]
    fn the_fast_hasher_spreads_close_keys() {
        let build = KeyHashing::default();
        let hashes: HashSet<u64> = (441_212_941_000..441_212_951_000u64)
            .map(|k| build.hash_one(k))
            .collect();
        assert_eq!(hashes.len(), 10_000);
        // hash_key is what hash_one gives.
        assert_eq!(build.hash_key(7), build.hash_one(7u64));
        // Top bits (shards, hashbrown's tags) and low bits (slots) both vary.
        let tops: HashSet<u64> = hashes.iter().map(|h| h >> 56).collect();
        let lows: HashSet<u64> = hashes.iter().map(|h| h & 0xff).collect();
        assert_eq!((tops.len(), lows.len()), (256, 256));
        // Strings hash too, with their length: "a" and "a\0" differ.
        assert_ne!(build.hash_one("a"), build.hash_one("a\0"));
    }
}
