//! What the SQLite store keeps in memory between reads.

use std::collections::HashMap;

use parking_lot::Mutex;
use webauthn_rs::prelude::Uuid;

use crate::input::username_key;
use crate::store::{with_state, CredentialRecord, CredentialUse, UserRecord};

/// Accounts and passkeys as last read or written by this process, so that a sign-in does
/// not read them from the database: passkeys by id, each account's list of passkey ids,
/// and accounts by username. Every write of a sign-in stays conditional on the passkey in
/// the database, so an entry can at worst make a sign-in fail that would have failed
/// anyway; each write of the store updates or drops the entries it changes.
///
/// A change that is not applied to the cached entries in place bumps `epoch`, and a
/// database read is cached only if the epoch did not move while it ran; a read never
/// replaces a cached passkey (which sign-ins keep up to date in place). So a slow read can
/// never put back an older counter or a deleted passkey, and sign-ins of cached passkeys
/// do not stop other reads from being cached.
#[derive(Default)]
pub(super) struct Cache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    credentials: HashMap<Vec<u8>, CredentialRecord>,
    /// Each account's passkey ids, oldest first.
    lists: HashMap<Uuid, Vec<Vec<u8>>>,
    /// Accounts by username key ([`username_key`]); none for a name known to have no
    /// account.
    users: HashMap<String, Option<UserRecord>>,
    /// The username each cached account is kept under.
    user_names: HashMap<Uuid, String>,
    epoch: u64,
}

/// At most this many entries of each kind; past it the cache starts again empty.
const CACHE_CAP: usize = 16_384;

impl CacheInner {
    fn make_room(&mut self) {
        if self.credentials.len() >= CACHE_CAP
            || self.lists.len() >= CACHE_CAP
            || self.users.len() >= CACHE_CAP
        {
            self.credentials.clear();
            self.lists.clear();
            self.users.clear();
            self.user_names.clear();
        }
    }
}

impl Cache {
    pub(super) fn epoch(&self) -> u64 {
        self.inner.lock().epoch
    }

    pub(super) fn credential(&self, credential_id: &[u8]) -> Option<CredentialRecord> {
        self.inner.lock().credentials.get(credential_id).cloned()
    }

    /// Caches a passkey read from the database while the cache stood at `epoch`.
    pub(super) fn put_credential(&self, record: &CredentialRecord, epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.make_room();
        inner
            .credentials
            .entry(record.credential_id.clone())
            .or_insert_with(|| record.clone());
    }

    /// The account's passkeys, when every one of them is cached.
    pub(super) fn list(&self, handle: Uuid) -> Option<Vec<CredentialRecord>> {
        let inner = self.inner.lock();
        inner
            .lists
            .get(&handle)?
            .iter()
            .map(|id| inner.credentials.get(id).cloned())
            .collect()
    }

    /// Caches an account's passkeys read from the database at `epoch`.
    pub(super) fn put_list(&self, handle: Uuid, list: &[CredentialRecord], epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.make_room();
        let ids = list.iter().map(|c| c.credential_id.clone()).collect();
        inner.lists.insert(handle, ids);
        for record in list {
            inner
                .credentials
                .entry(record.credential_id.clone())
                .or_insert_with(|| record.clone());
        }
    }

    /// The cached answer for this name: an account, or none known to have it.
    pub(super) fn user(&self, username: &str) -> Option<Option<UserRecord>> {
        let inner = self.inner.lock();
        inner.users.get(&username_key(username)).cloned()
    }

    /// Caches what the database answered for `username` at `epoch`.
    pub(super) fn put_user(&self, username: &str, user: Option<&UserRecord>, epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.make_room();
        let key = username_key(username);
        if let Some(user) = user {
            inner.user_names.insert(user.handle, key.clone());
        }
        inner.users.insert(key, user.cloned());
    }

    /// An account's names may have changed, or an account may now have `username`.
    pub(super) fn forget_user(&self, handle: Uuid, username: &str) {
        let mut inner = self.inner.lock();
        inner.epoch += 1;
        if let Some(name) = inner.user_names.remove(&handle) {
            inner.users.remove(&name);
        }
        inner.users.remove(&username_key(username));
    }

    /// A passkey was stored (read at `epoch`): its account's list changed.
    pub(super) fn added(&self, record: &CredentialRecord, epoch: u64) {
        let mut inner = self.inner.lock();
        let unchanged = inner.epoch == epoch;
        inner.epoch += 1;
        inner.lists.remove(&record.user_handle);
        if unchanged {
            inner.make_room();
            inner
                .credentials
                .insert(record.credential_id.clone(), record.clone());
        }
    }

    /// Applies a recorded sign-in, as the database did.
    pub(super) fn used(&self, used: &CredentialUse) {
        let mut inner = self.inner.lock();
        let Some(record) = inner.credentials.get_mut(&used.credential_id) else {
            // A read of it may be under way: it must not be cached.
            inner.epoch += 1;
            return;
        };
        record.counter = record.counter.max(used.counter);
        record.backup_state = used.backup_state;
        record.last_used_at = Some(used.used_at);
        record.passkey = with_state(
            record.passkey.clone(),
            record.counter,
            record.backup_state,
            record.backup_eligible,
        );
    }

    /// A passkey was renamed or deleted, or may be gone.
    pub(super) fn forget(&self, credential_id: &[u8], handle: Uuid) {
        let mut inner = self.inner.lock();
        inner.epoch += 1;
        inner.credentials.remove(credential_id);
        inner.lists.remove(&handle);
    }
}
