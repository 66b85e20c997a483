//! The credential ids a username-first sign-in offers for a name without passkeys.
//!
//! They must look like a real account's: derived from the name (the same on every
//! request), in the count and lengths of one real account's passkeys. The account is
//! chosen on a ring of a sample of accounts (consistent hashing, keyed by the store's
//! secret): a name maps to the first account after its point, so over many names decoys
//! follow the site's own distribution, and a new sampled account changes the decoys of
//! about one name in `n`. Choosing costs one hash and a binary search, whatever `n`.

use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::Uuid;

/// How many accounts decoys are modelled on.
pub(crate) const SAMPLE: usize = 1024;

/// The shape of a site without accounts yet: one id of 16 bytes.
const EMPTY_SITE: &[usize] = &[16];

/// The sample of accounts decoys imitate, on a keyed ring.
pub(crate) struct Decoys {
    secret: [u8; 32],
    /// (point on the ring, the account's passkey id lengths), sorted by point.
    ring: RwLock<Vec<(u64, Vec<usize>)>>,
}

impl std::fmt::Debug for Decoys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoys")
            .field("accounts", &self.ring.read().len())
            .finish_non_exhaustive()
    }
}

impl Decoys {
    pub fn new(secret: [u8; 32]) -> Self {
        Decoys {
            secret,
            ring: RwLock::new(Vec::new()),
        }
    }

    /// SHA-256 of the secret and the parts, each with its length.
    fn keyed(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        hasher.finalize().into()
    }

    fn point(&self, parts: &[&[u8]]) -> u64 {
        let digest = self.keyed(parts);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first)
    }

    /// Replaces the sample: each account's handle and passkey id lengths.
    pub fn refresh(&self, accounts: Vec<(Uuid, Vec<usize>)>) {
        let mut ring: Vec<(u64, Vec<usize>)> = accounts
            .into_iter()
            .filter(|(_, lengths)| !lengths.is_empty())
            .map(|(handle, lengths)| (self.point(&[b"account", handle.as_bytes()]), lengths))
            .collect();
        ring.sort_unstable_by_key(|(point, _)| *point);
        *self.ring.write() = ring;
    }

    /// The decoy credential ids for a username key.
    pub fn ids(&self, username_key: &str) -> Vec<Vec<u8>> {
        let name = username_key.as_bytes();
        let point = self.point(&[b"name", name]);
        let lengths: Vec<usize> = {
            let ring = self.ring.read();
            if ring.is_empty() {
                EMPTY_SITE.to_vec()
            } else {
                let at = ring.partition_point(|(p, _)| *p < point) % ring.len();
                ring[at].1.clone()
            }
        };
        lengths
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let index = (i as u32).to_be_bytes();
                let mut id = Vec::with_capacity(len + 32);
                let mut block = 0u32;
                while id.len() < len {
                    id.extend_from_slice(&self.keyed(&[b"id", name, &index, &block.to_be_bytes()]));
                    block += 1;
                }
                id.truncate(len);
                id
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoys_follow_the_sample_and_stay_put_when_it_grows() {
        let decoys = Decoys::new([1; 32]);
        let names: Vec<String> = (0..2000).map(|i| format!("name{i}")).collect();
        assert!(
            names.iter().all(|n| decoys.ids(n).len() == 1),
            "no accounts yet"
        );
        // Fixed handles: with random ones, a ring of 100 points now and then gives one
        // count a share outside the bounds below, and the test failed.
        let handle = |i: u128| {
            Uuid::from_u128((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835))
        };
        let accounts: Vec<(Uuid, Vec<usize>)> = (0..100)
            .map(|i| (handle(i as u128), vec![16 + i % 3 * 16; 1 + i % 4]))
            .collect();
        decoys.refresh(accounts.clone());
        let before: Vec<Vec<Vec<u8>>> = names.iter().map(|n| decoys.ids(n)).collect();
        // Every decoy has the shape of a sampled account, and repeats itself.
        for (name, ids) in names.iter().zip(&before) {
            let shape: Vec<usize> = ids.iter().map(Vec::len).collect();
            assert!(accounts.iter().any(|(_, lengths)| *lengths == shape));
            assert_eq!(&decoys.ids(name), ids);
        }
        // Counts spread like the accounts' (a quarter each of 1 to 4 passkeys).
        for count in 1..=4 {
            let share = before.iter().filter(|ids| ids.len() == count).count();
            assert!(
                (250..=750).contains(&share),
                "{count} passkeys: {share} of 2000"
            );
        }
        // One more account moves few decoys.
        let mut grown = accounts;
        grown.push((handle(100), vec![64]));
        decoys.refresh(grown);
        let moved = names
            .iter()
            .zip(&before)
            .filter(|(name, ids)| decoys.ids(name) != **ids)
            .count();
        assert!(moved < 150, "{moved} of 2000 decoys changed");
    }
}
