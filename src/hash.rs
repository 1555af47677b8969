//! FNV-1a hash maps for the short keys lbc looks up most (directive names, location patterns,
//! upstream names): SipHash's resistance to crafted collisions buys nothing on a config file
//! and costs several times more per lookup.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};

/// Builds [`FnvHasher`]s.
#[derive(Default, Clone, Copy, Debug)]
pub struct Fnv;

/// 64-bit FNV-1a.
pub struct FnvHasher(u64);

impl BuildHasher for Fnv {
    type Hasher = FnvHasher;
    fn build_hasher(&self) -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

pub type FnvHashMap<K, V> = HashMap<K, V, Fnv>;
pub type FnvHashSet<K> = HashSet<K, Fnv>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_1a_reference_values() {
        // The published FNV-1a 64-bit test vectors.
        let hash = |s: &str| {
            let mut h = Fnv.build_hasher();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }
}
