//! The invitation to create a passkey, as stored: each account's state, and the
//! counters operators read.

use webauthn_rs::prelude::Uuid;

use super::{backend, PgStore};
use crate::error::StoreError;
use crate::store::rows::{self, ENROLLMENT_COLUMNS};
use crate::store::{EnrollmentEvent, EnrollmentRecord};

/// [`Store::enrollment`](crate::store::Store::enrollment).
pub(super) async fn enrollment(
    store: &PgStore,
    handle: Uuid,
) -> Result<EnrollmentRecord, StoreError> {
    sqlx::query(&format!(
        "SELECT {ENROLLMENT_COLUMNS} FROM passkey_enrollment WHERE user_handle = $1"
    ))
    .bind(&handle.as_bytes()[..])
    .fetch_optional(&store.pool)
    .await
    .map_err(backend)?
    .map(|row| rows::enrollment(&row))
    .transpose()
    .map(Option::unwrap_or_default)
}

/// [`Store::record_enrollment`](crate::store::Store::record_enrollment).
pub(super) async fn record_enrollment(
    store: &PgStore,
    handle: Uuid,
    event: EnrollmentEvent,
    now: i64,
) -> Result<(), StoreError> {
    let column = match event {
        EnrollmentEvent::Prompted => "prompted_at = EXCLUDED.prompted_at",
        EnrollmentEvent::Skipped => "skipped_at = EXCLUDED.skipped_at",
        EnrollmentEvent::Never => "never = TRUE",
        EnrollmentEvent::Enrolled => "enrolled_at = EXCLUDED.enrolled_at",
    };
    let at = |e: EnrollmentEvent| (e == event).then_some(now);
    let mut tx = store.pool.begin().await.map_err(backend)?;
    sqlx::query(&format!(
        "INSERT INTO passkey_enrollment (user_handle, prompted_at, skipped_at, never, \
         enrolled_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_handle) DO UPDATE SET {column}"
    ))
    .bind(&handle.as_bytes()[..])
    .bind(at(EnrollmentEvent::Prompted))
    .bind(at(EnrollmentEvent::Skipped))
    .bind(event == EnrollmentEvent::Never)
    .bind(at(EnrollmentEvent::Enrolled))
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query(
        "INSERT INTO passkey_counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = passkey_counters.value + 1",
    )
    .bind(event.counter())
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    tx.commit().await.map_err(backend)
}

/// [`Store::counters`](crate::store::Store::counters).
pub(super) async fn counters(store: &PgStore) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query_as("SELECT name, value FROM passkey_counters ORDER BY name")
        .fetch_all(&store.pool)
        .await
        .map_err(backend)
}
