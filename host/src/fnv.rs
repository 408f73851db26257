//! FNV-1a, 64-bit: stable across Rust versions, unlike `DefaultHasher`. `build.rs` uses it
//! to hash the embedded component once, at build time, and the on-disk cache to name
//! artifacts.

use std::hash::Hasher;

pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The hash of `bytes`, as the 16 hex digits `build.rs` embeds (the library itself
/// hashes only small values, so outside tests only `build.rs` calls this).
#[cfg_attr(not(test), allow(dead_code))]
pub fn hex_of(bytes: &[u8]) -> String {
    let mut hasher = Fnv64::default();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
}
