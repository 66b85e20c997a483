//! Group commit for sign-ins on SQLite.

use std::collections::{HashMap, HashSet};

use rocket::tokio::sync::{mpsc, oneshot};
use sqlx::Row;

use super::cache::Cache;
use super::{backend, bind_session, finished};
use crate::error::StoreError;
use crate::store::rows::NEW_SESSION_COLUMNS;
use crate::store::{Claim, CredentialUse, NewSession};

/// One sign-in's writes: the claim of its ceremony, the credential's counter, backup state
/// and time of use, the new session, and the end of the session it replaces.
pub(super) struct SignIn {
    pub used: CredentialUse,
    pub session: NewSession,
    pub replaces: Option<[u8; 32]>,
    pub claim: Claim,
}

type Reply = oneshot::Sender<Result<bool, StoreError>>;

/// Group commit for sign-ins. Each sign-in hands its writes to one task, which writes
/// everything queued so far in one transaction, then answers each sign-in once that
/// transaction has committed. Alone, a sign-in is written at once; under load, the
/// sign-ins that arrive while a transaction runs share the next one, so the cost of a
/// commit (and of sqlx's round trips to its SQLite thread) is paid once per group instead
/// of once per sign-in. A group whose statements fail is written again one sign-in at a
/// time, so one bad write cannot fail the others; a busy or unreachable database fails
/// the group once.
pub(super) struct SignInWriter {
    queue: mpsc::UnboundedSender<(SignIn, Reply)>,
}

/// The most sign-ins written in one transaction.
const MAX_GROUP: usize = 32;

/// What a group wrote for one sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Claimed, and its credential updated and session opened.
    Recorded,
    /// Claimed, but its credential no longer exists: nothing else written.
    Gone,
    /// Its ceremony was finished before: nothing written.
    Replayed,
    /// Its counter had to go up but another sign-in raised it to it or beyond: nothing
    /// written.
    Regressed,
}

impl Written {
    fn answer(self) -> Result<bool, StoreError> {
        match self {
            Written::Recorded => Ok(true),
            Written::Gone => Ok(false),
            Written::Replayed => Err(StoreError::Replayed),
            Written::Regressed => Err(StoreError::Regressed),
        }
    }
}

impl SignInWriter {
    /// Starts the writer; it keeps `cache` in step with each group it commits, before
    /// any sign-in of the group hears back.
    pub(super) fn spawn(pool: sqlx::SqlitePool, cache: std::sync::Arc<Cache>) -> Self {
        let (queue, mut incoming) = mpsc::unbounded_channel::<(SignIn, Reply)>();
        rocket::tokio::spawn(async move {
            let mut queued = Vec::with_capacity(MAX_GROUP);
            while incoming.recv_many(&mut queued, MAX_GROUP).await > 0 {
                // Finishes of one ceremony in one group: the first is written, the others
                // are replays.
                // Of the sign-ins with one passkey whose counter had to go up, each must go
                // above the one before it in the group (equal counters: a cloned key).
                let mut claims = HashSet::with_capacity(queued.len());
                let mut raised: HashMap<Vec<u8>, u32> = HashMap::new();
                let mut group = Vec::with_capacity(queued.len());
                for (sign_in, reply) in queued.drain(..) {
                    if !claims.insert(sign_in.claim) {
                        let _ = reply.send(Err(StoreError::Replayed));
                        continue;
                    }
                    let used = &sign_in.used;
                    if used.must_exceed {
                        let last = raised.entry(used.credential_id.clone()).or_insert(0);
                        if *last > 0 && used.counter <= *last {
                            let _ = reply.send(Err(StoreError::Regressed));
                            continue;
                        }
                        *last = used.counter;
                    }
                    group.push((sign_in, reply));
                }
                let (sign_ins, replies): (Vec<_>, Vec<_>) = group.into_iter().unzip();
                let outcome: Vec<Result<Written, StoreError>> =
                    match write_sign_ins(&pool, &sign_ins).await {
                        // One bad sign-in (a statement it made fail) must not fail the
                        // others: they are written again one by one. A database that is
                        // busy, locked or gone fails the whole group at once, without
                        // waiting again.
                        Err(e) if sign_ins.len() > 1 && fails_alone(&e) => {
                            let mut outcome = Vec::with_capacity(sign_ins.len());
                            for sign_in in &sign_ins {
                                let alone =
                                    write_sign_ins(&pool, std::slice::from_ref(sign_in)).await;
                                outcome.push(alone.map(|written| written[0]).map_err(backend));
                            }
                            outcome
                        }
                        Err(e) => vec![Err(backend(e)); sign_ins.len()],
                        Ok(written) => written.into_iter().map(Ok).collect(),
                    };
                // The cache learns what was written before anyone acts on it.
                let written = |wanted: Written| {
                    let outcome = &outcome;
                    sign_ins
                        .iter()
                        .zip(outcome)
                        .filter(move |(_, result)| matches!(result, Ok(w) if *w == wanted))
                        .map(|(sign_in, _)| &sign_in.used)
                };
                for gone in written(Written::Gone) {
                    cache.forget(&gone.credential_id, gone.user_handle);
                }
                for used in per_credential(written(Written::Recorded)) {
                    cache.used(used);
                }
                for (reply, result) in replies.into_iter().zip(outcome) {
                    let _ = reply.send(result.and_then(Written::answer));
                }
            }
        });
        SignInWriter { queue }
    }

    pub(super) async fn write(&self, sign_in: SignIn) -> Result<bool, StoreError> {
        let stopped = || StoreError::Backend("the sign-in writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.queue.send((sign_in, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Whether a failed group may be written again one sign-in at a time: a statement that
/// failed (a constraint, a trigger), not a database that is busy, locked or unreachable.
fn fails_alone(e: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i64 = 5;
    const SQLITE_LOCKED: i64 = 6;
    match e {
        sqlx::Error::Database(db) => {
            let primary = db
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .map(|code| code & 0xff);
            !matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED))
        }
        _ => false,
    }
}

/// One use per credential, as a group writes it: sign-ins with one passkey may share a
/// group and finish in any order; the highest counter is kept (the latest of equal ones).
fn per_credential<'a>(uses: impl Iterator<Item = &'a CredentialUse>) -> Vec<&'a CredentialUse> {
    let mut credentials: Vec<&CredentialUse> = Vec::new();
    for used in uses {
        match credentials
            .iter_mut()
            .find(|c| c.credential_id == used.credential_id)
        {
            Some(kept) if kept.counter > used.counter => {}
            Some(kept) => *kept = used,
            None => credentials.push(used),
        }
    }
    credentials
}

/// `(?, ?, ...)` with `columns` placeholders, `rows` times, comma-separated.
fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

/// Writes a group of sign-ins (of distinct ceremonies) in one transaction, sent to SQLite
/// as one script (one round trip to sqlx's SQLite thread, however large the group).
///
/// The script first records each sign-in's ceremony as finished, with a plain `INSERT`: a
/// ceremony finished before (a replay) makes the whole script fail and roll back, and
/// the writer then writes the group again one sign-in at a time, where the replay fails
/// alone ([`Written::Replayed`]). So does a sign-in whose counter had to go up but is no
/// longer above the stored one: its record gets no id (a `NOT NULL` failure) unless it
/// is ([`Written::Regressed`]). Replays and such races are rare (a captured finish sent
/// again, a cloned key), so the common path pays one statement. Then, only for credentials that
/// still exist: the counter is raised with `max()`, the sessions are opened, and the
/// sessions they replace are ended (a session planted before the sign-in is worth
/// nothing after it).
async fn write_sign_ins(
    pool: &sqlx::SqlitePool,
    sign_ins: &[SignIn],
) -> Result<Vec<Written>, sqlx::Error> {
    // One row per credential; the update's max() keeps the counter from going down.
    let credentials = per_credential(sign_ins.iter().map(|s| &s.used));
    let script = format!(
        "BEGIN IMMEDIATE; \
         INSERT INTO passkey_finished_ceremonies (expires_at, id) VALUES {claims}; \
         WITH used (credential_id, user_handle, counter, backup_state, used_at) \
         AS (VALUES {used}) \
         UPDATE passkey_credentials SET counter = max(passkey_credentials.counter, used.counter), \
         backup_state = used.backup_state, last_used_at = used.used_at FROM used \
         WHERE passkey_credentials.credential_id = used.credential_id \
         AND passkey_credentials.user_handle = used.user_handle \
         RETURNING passkey_credentials.credential_id; \
         WITH replaced (token_hash, credential_id, user_handle) AS (VALUES {replaced}) \
         DELETE FROM passkey_sessions WHERE token_hash IN (SELECT r.token_hash FROM replaced r \
         JOIN passkey_credentials c ON c.credential_id = r.credential_id \
         AND c.user_handle = r.user_handle); \
         WITH opened ({NEW_SESSION_COLUMNS}) AS (VALUES {opened}) \
         INSERT INTO passkey_sessions ({NEW_SESSION_COLUMNS}) \
         SELECT o.* FROM opened o JOIN passkey_credentials c \
         ON c.credential_id = o.credential_id AND c.user_handle = o.user_handle; \
         COMMIT;",
        claims = vec![CLAIM; sign_ins.len()].join(", "),
        used = placeholders(credentials.len(), 5),
        replaced = placeholders(sign_ins.len(), 3),
        opened = placeholders(sign_ins.len(), 9),
    );
    let mut query = sqlx::query(&script);
    for sign_in in sign_ins {
        let used = &sign_in.used;
        query = query
            .bind(sign_in.claim.expires_at)
            .bind(!used.must_exceed)
            .bind(&sign_in.claim.id[..])
            .bind(&used.credential_id)
            .bind(&used.user_handle.as_bytes()[..])
            .bind(used.counter as i64)
            .bind(&sign_in.claim.id[..]);
    }
    for used in &credentials {
        query = query
            .bind(&used.credential_id)
            .bind(&used.user_handle.as_bytes()[..])
            .bind(used.counter as i64)
            .bind(used.backup_state)
            .bind(used.used_at);
    }
    for sign_in in sign_ins {
        // A sign-in that replaces nothing names no token (NULL matches no row).
        query = query
            .bind(sign_in.replaces.as_ref().map(|hash| &hash[..]))
            .bind(&sign_in.used.credential_id)
            .bind(&sign_in.used.user_handle.as_bytes()[..]);
    }
    for sign_in in sign_ins {
        query = bind_session(query, &sign_in.session);
    }
    let mut connection = pool.acquire().await?;
    let rows = match query.fetch_all(&mut *connection).await {
        Ok(rows) => rows,
        Err(e) => {
            // The script stopped part way: whatever it began is undone before the
            // connection goes back to the pool; one that cannot be undone is closed.
            let usable = !sqlx::query("ROLLBACK")
                .execute(&mut *connection)
                .await
                .is_err_and(|e| !e.to_string().contains("no transaction is active"));
            // Alone, a sign-in whose ceremony was finished before is a replay, and one whose
            // counter no longer goes up lost a race with another sign-in. A copy of a
            // finish whose first copy committed in an earlier group fails on its counter
            // before its claim: it is a replay all the same. (Asked on this connection:
            // the pool may have no other.)
            let answer = match (sign_ins, claim_failure(&e)) {
                ([sign_in], Some(Written::Regressed)) if usable => {
                    if finished(&mut *connection, &sign_in.claim).await? {
                        Ok(vec![Written::Replayed])
                    } else {
                        Ok(vec![Written::Regressed])
                    }
                }
                ([_], Some(written)) => Ok(vec![written]),
                _ => Err(e),
            };
            if !usable {
                connection.close().await.ok();
            }
            return answer;
        }
    };
    let existing: HashSet<Vec<u8>> = rows
        .iter()
        .map(|row| row.try_get::<Vec<u8>, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(sign_ins
        .iter()
        .map(|s| {
            if existing.contains(&s.used.credential_id) {
                Written::Recorded
            } else {
                Written::Gone
            }
        })
        .collect())
}

/// One row of the claims `INSERT`: the ceremony's expiry, and its id only if the sign-in
/// need not raise the counter, or if the passkey's stored counter (-1 when the passkey is
/// gone, a case the later statements handle) is still below the sign-in's.
const CLAIM: &str = "(?, CASE WHEN ? THEN ? WHEN coalesce((SELECT counter FROM \
     passkey_credentials WHERE credential_id = ? AND user_handle = ?), -1) < ? THEN ? END)";

/// Why the claims of a single sign-in failed, when it is one of the two known reasons:
/// its ceremony was finished before (the unique key), or its counter no longer goes up
/// (no id, `NOT NULL`).
fn claim_failure(e: &sqlx::Error) -> Option<Written> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    let message = db.message();
    if db.is_unique_violation() && message.contains("passkey_finished_ceremonies") {
        Some(Written::Replayed)
    } else if message.contains("NOT NULL constraint failed: passkey_finished_ceremonies.id") {
        Some(Written::Regressed)
    } else {
        None
    }
}
