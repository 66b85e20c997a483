//! The store contract: every case runs on each backend, as `store::contract::sqlite::<case>`
//! and, with the `postgres` feature, `store::contract::postgres::<case>`.
//!
//! A SQLite case gets a fresh database file; a PostgreSQL case a fresh database on the
//! server `PASSKEYS_TEST_POSTGRES` names, dropped when the case passes. Built with
//! `postgres` and no server, the PostgreSQL cases fail, unless the run says
//! `PASSKEYS_TEST_POSTGRES=skip`.
//!
//! The cases are in four files: accounts and sessions ([`accounts`]), sessions as
//! people and operators see them and recovery codes ([`sessions`]), passkeys
//! ([`passkeys`]), and finishing ceremonies, alone and at once ([`finishes`]).

mod accounts;
mod finishes;
mod passkeys;
mod sessions;

use std::sync::Arc;

use webauthn_rs::prelude::{Passkey, Uuid};

use self::{accounts::*, finishes::*, passkeys::*, sessions::*};
use crate::error::StoreError;
use crate::store::{
    Claim, CredentialRecord, CredentialUse, Deletion, NewSession, Owner, Store, UserRecord,
};

/// The clock of every case.
pub(super) const NOW: i64 = 1_000_000;

/// A store on a database of its own, and what removes that database.
struct Fixture {
    store: Arc<dyn Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool, std::path::PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool, String, String),
}

impl Fixture {
    #[cfg(feature = "sqlite")]
    async fn sqlite() -> Fixture {
        let path =
            std::env::temp_dir().join(format!("passkeys-store-{:032x}.db", rand::random::<u128>()));
        let config = rocket_db_pools::Config {
            url: format!("sqlite://{}", path.display()),
            min_connections: None,
            max_connections: 4,
            connect_timeout: 5,
            idle_timeout: None,
            extensions: None,
        };
        let pool = crate::store::pool::sqlite(&config)
            .await
            .expect("a SQLite database in the temporary directory");
        let store = crate::store::sqlite::SqliteStore::new(&pool);
        store
            .migrate()
            .await
            .expect("migrate a new SQLite database");
        Fixture {
            store: Arc::new(store),
            cleanup: Cleanup::Sqlite(pool, path),
        }
    }

    #[cfg(feature = "postgres")]
    async fn postgres() -> Option<Fixture> {
        let server = match std::env::var("PASSKEYS_TEST_POSTGRES") {
            Ok(skip) if skip == "skip" => {
                eprintln!("SKIPPED (PASSKEYS_TEST_POSTGRES=skip): a PostgreSQL store case");
                return None;
            }
            Ok(server) => server,
            Err(_) => panic!(
                "built with the `postgres` feature: set PASSKEYS_TEST_POSTGRES to a server \
                 url (`scripts/postgres.sh` starts one), or to `skip`"
            ),
        };
        let name = format!("passkeys_store_{:032x}", rand::random::<u128>());
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to PASSKEYS_TEST_POSTGRES");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create a database for the case");
        admin.close().await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(&format!("{server}/{name}"))
            .await
            .expect("connect to the case's database");
        let store = crate::store::postgres::PgStore::new(&pool);
        store
            .migrate()
            .await
            .expect("migrate a new PostgreSQL database");
        Some(Fixture {
            store: Arc::new(store),
            cleanup: Cleanup::Postgres(pool, server, name),
        })
    }

    /// Removes the case's database (after a pass; a failed case leaves it to look at).
    async fn finish(self) {
        drop(self.store);
        match self.cleanup {
            #[cfg(feature = "sqlite")]
            Cleanup::Sqlite(pool, path) => {
                pool.close().await;
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            #[cfg(feature = "postgres")]
            Cleanup::Postgres(pool, server, name) => {
                pool.close().await;
                let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
                    .await
                    .expect("connect to PASSKEYS_TEST_POSTGRES");
                sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .expect("drop the case's database");
                admin.close().await;
            }
        }
    }
}

/// One test per case and backend.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = super::Fixture::sqlite().await;
                    super::$case(fixture.store.clone()).await;
                    fixture.finish().await;
                }
            )*
        }

        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(fixture) = super::Fixture::postgres().await else {
                        return;
                    };
                    super::$case(fixture.store.clone()).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

contract!(
    // Accounts and sessions.
    a_sign_up_writes_the_account_its_passkey_and_its_session,
    a_sign_up_under_a_taken_name_writes_nothing,
    an_upsert_refreshes_the_names_and_keeps_the_handle,
    a_sign_in_ends_the_session_it_replaces,
    sessions_end_at_expiry_and_are_purged,
    an_account_change_ends_every_session_but_the_one_kept,
    the_invitation_is_recorded_and_counted,
    the_secret_is_made_once_and_kept,
    migrating_again_changes_nothing,
    // Sessions as people see them, the admin API, recovery codes.
    sessions_are_listed_seen_and_ended_by_their_owner_only,
    ending_every_session_keeps_the_one_asked_and_no_other_accounts,
    an_operator_revokes_a_last_passkey_only_when_asked,
    a_recovery_code_works_once_and_ends_every_session,
    new_recovery_codes_void_the_old,
    two_uses_of_one_recovery_code_at_once_sign_in_once,
    // Passkeys.
    a_passkey_id_belongs_to_one_account,
    adding_a_passkey_needs_the_account_unchanged_and_its_session_live,
    an_account_holds_at_most_its_limit_of_passkeys,
    the_last_passkey_of_a_passkey_only_account_stays,
    an_account_with_another_way_to_sign_in_may_delete_its_last_passkey,
    deleting_a_passkey_can_end_the_sessions_it_opened,
    renaming_a_passkey_is_for_its_own_account_only,
    passkeys_added_after_a_time_go_with_their_sessions,
    passkey_shapes_and_rp_ids_describe_what_is_stored,
    // Finishing ceremonies.
    a_ceremony_finishes_once,
    a_sign_in_raises_the_counter_and_never_lowers_it,
    a_sign_in_with_a_deleted_passkey_opens_no_session,
    finished_ceremonies_are_forgotten_after_they_expire,
    concurrent_finishes_of_one_ceremony_write_once,
    concurrent_sign_ins_with_one_passkey_keep_the_highest_counter,
    adding_a_passkey_and_changing_the_account_at_once_never_deadlock,
);

// ---- what the cases build from ----

/// A real passkey (its key is never used: the store does not verify).
fn template() -> Passkey {
    serde_json::from_str(include_str!("../test-passkey.json")).expect("test-passkey.json parses")
}

/// An account not yet stored; `factors` 0 is passkeys-only.
pub(super) fn account(name: &str, factors: u32) -> UserRecord {
    UserRecord {
        handle: Uuid::new_v4(),
        user_id: format!("user-{name}"),
        username: name.to_owned(),
        display_name: format!("{name} (display)"),
        factors,
    }
}

/// A passkey of `user` with this id, registered at `created_at` for `localhost`.
pub(super) fn passkey(user: &UserRecord, id: &[u8], created_at: i64) -> CredentialRecord {
    CredentialRecord {
        credential_id: id.to_vec(),
        user_handle: user.handle,
        user_id: user.user_id.clone(),
        passkey: template(),
        name: "Passkey".into(),
        aaguid: None,
        transports: vec!["internal".into()],
        backup_eligible: true,
        backup_state: false,
        counter: 0,
        rp_id: "localhost".into(),
        created_at,
        last_used_at: None,
    }
}

/// A new ceremony's claim.
pub(super) fn claim() -> Claim {
    Claim {
        expires_at: NOW + 300,
        id: rand::random(),
    }
}

/// A session of `handle` for an hour, opened by `credential` when given.
pub(super) fn session(handle: Uuid, credential: Option<&[u8]>) -> NewSession {
    NewSession {
        token_hash: rand::random(),
        id: rand::random(),
        user_handle: handle,
        factors: 0,
        user_verified: true,
        credential_id: credential.map(<[u8]>::to_vec),
        created_at: NOW,
        expires_at: NOW + 3600,
    }
}

/// How the app's delete route deletes: ending the passkey's sessions or not, but `keep`.
pub(super) fn deletion(revoke: bool, keep: &[u8; 32]) -> Deletion<'_> {
    Deletion {
        revoke,
        keep: Some(keep),
        allow_last: false,
    }
}

/// A sign-in with passkey `id` of `user` at this counter.
pub(super) fn used(user: &UserRecord, id: &[u8], counter: u32, must_exceed: bool) -> CredentialUse {
    CredentialUse {
        credential_id: id.to_vec(),
        user_handle: user.handle,
        counter,
        must_exceed,
        backup_state: true,
        used_at: NOW + 1,
    }
}

/// Signs up `name` with passkey `id`: the account and its first session.
pub(super) async fn sign_up(store: &dyn Store, name: &str, id: &[u8]) -> (UserRecord, NewSession) {
    let user = account(name, 0);
    let first = session(user.handle, Some(id));
    store
        .add_credential(
            Owner::New {
                user: &user,
                session: &first,
                replaces: None,
            },
            &passkey(&user, id, NOW),
            &claim(),
        )
        .await
        .expect("sign up");
    (user, first)
}

/// Adds passkey `id` to a stored account from the live session `by`.
pub(super) async fn add(
    store: &dyn Store,
    user: &UserRecord,
    by: &NewSession,
    id: &[u8],
    created_at: i64,
    max_passkeys: usize,
) -> Result<(), StoreError> {
    let generation = store.generation(user.handle).await.expect("generation");
    let owner = Owner::Existing {
        handle: user.handle,
        session: &by.token_hash,
        generation,
        now: NOW,
        max_passkeys,
    };
    store
        .add_credential(owner, &passkey(user, id, created_at), &claim())
        .await
}

/// The ids of an account's passkeys, oldest first.
pub(super) async fn ids(store: &dyn Store, handle: Uuid) -> Vec<Vec<u8>> {
    let list = store.credentials(handle).await.expect("credentials");
    list.into_iter().map(|c| c.credential_id).collect()
}

/// Whether the session is live now.
pub(super) async fn live(store: &dyn Store, session: &NewSession) -> bool {
    store
        .session(&session.token_hash, NOW)
        .await
        .expect("read a session")
        .is_some()
}
