//! Finishing ceremonies: at most once, alone and at once, and what a sign-in writes.

use std::sync::Arc;
use std::time::Duration;

use super::{account, add, claim, deletion, ids, live, passkey, session, sign_up, used, NOW};
use crate::error::StoreError;
use crate::store::{Claim, Owner, Store};

pub(super) async fn a_ceremony_finishes_once(store: Arc<dyn Store>) {
    let (user, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let ceremony = claim();
    let next = session(user.handle, Some(b"ada-passkey"));
    let use_ = used(&user, b"ada-passkey", 1, true);
    assert!(!store.finished(&ceremony).await.unwrap());
    assert!(store
        .record_sign_in(&use_, &next, None, &ceremony)
        .await
        .unwrap());
    assert!(store.finished(&ceremony).await.unwrap());

    // The same ceremony again, as a sign-in or as a sign-up, writes nothing.
    let again = session(user.handle, Some(b"ada-passkey"));
    let result = store
        .record_sign_in(
            &used(&user, b"ada-passkey", 2, true),
            &again,
            None,
            &ceremony,
        )
        .await;
    assert!(matches!(result, Err(StoreError::Replayed)), "{result:?}");
    assert!(!live(&*store, &again).await);
    let counter = store.credential(user.handle, b"ada-passkey").await.unwrap();
    assert_eq!(
        counter.unwrap().counter,
        1,
        "the counter of the first finish"
    );

    let bob = account("bob", 0);
    let bobs = session(bob.handle, Some(b"bob-passkey"));
    let owner = Owner::New {
        user: &bob,
        session: &bobs,
        replaces: None,
    };
    let result = store
        .add_credential(owner, &passkey(&bob, b"bob-passkey", NOW), &ceremony)
        .await;
    assert!(matches!(result, Err(StoreError::Replayed)), "{result:?}");
    assert_eq!(store.user_by_username("bob").await.unwrap(), None);
    assert!(!live(&*store, &bobs).await);

    // Another ceremony with the same expiry is another claim.
    let other = Claim {
        expires_at: ceremony.expires_at,
        id: rand::random(),
    };
    assert!(!store.finished(&other).await.unwrap());
}

pub(super) async fn a_sign_in_raises_the_counter_and_never_lowers_it(store: Arc<dyn Store>) {
    let (user, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let sign_in = |counter, must_exceed| {
        let store = store.clone();
        let user = user.clone();
        async move {
            let next = session(user.handle, Some(b"ada-passkey"));
            let use_ = used(&user, b"ada-passkey", counter, must_exceed);
            let ceremony = claim();
            let result = store.record_sign_in(&use_, &next, None, &ceremony).await;
            let finished = store.finished(&ceremony).await.unwrap();
            (result, live(&*store, &next).await, finished)
        }
    };
    let stored = || {
        let store = store.clone();
        let handle = user.handle;
        async move {
            let found = store.credential(handle, b"ada-passkey").await.unwrap();
            found.expect("the passkey")
        }
    };

    let (result, opened, finished) = sign_in(5, true).await;
    assert!(matches!(result, Ok(true)), "{result:?}");
    assert!(opened && finished);
    let after = stored().await;
    assert_eq!(after.counter, 5);
    assert_eq!(after.last_used_at, Some(NOW + 1));
    assert!(after.backup_state, "the backup state of the sign-in");

    // A counter that had to go up and did not: nothing written, the claim included.
    let (result, opened, finished) = sign_in(3, true).await;
    assert!(matches!(result, Err(StoreError::Regressed)), "{result:?}");
    assert!(!opened && !finished);
    assert_eq!(stored().await.counter, 5);

    // A sign-in the policy lets through with a lower counter leaves the higher one.
    let (result, opened, _) = sign_in(3, false).await;
    assert!(matches!(result, Ok(true)), "{result:?}");
    assert!(opened);
    assert_eq!(stored().await.counter, 5);
}

pub(super) async fn a_sign_in_with_a_deleted_passkey_opens_no_session(store: Arc<dyn Store>) {
    let (user, first) = sign_up(&*store, "ada", b"gone").await;
    add(&*store, &user, &first, b"kept", NOW, 10).await.unwrap();
    store
        .delete_credential(user.handle, b"gone", deletion(false, &first.token_hash))
        .await
        .unwrap();

    let next = session(user.handle, Some(b"gone"));
    let ceremony = claim();
    let result = store
        .record_sign_in(
            &used(&user, b"gone", 1, true),
            &next,
            Some(&first.token_hash),
            &ceremony,
        )
        .await;
    assert!(matches!(result, Ok(false)), "{result:?}");
    assert!(!live(&*store, &next).await, "no session");
    assert!(
        live(&*store, &first).await,
        "the session it would replace stays"
    );
    assert!(
        store.finished(&ceremony).await.unwrap(),
        "the claim is kept"
    );
    assert_eq!(ids(&*store, user.handle).await, vec![b"kept".to_vec()]);
}

pub(super) async fn finished_ceremonies_are_forgotten_after_they_expire(store: Arc<dyn Store>) {
    let (user, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let ceremony = claim();
    let next = session(user.handle, Some(b"ada-passkey"));
    store
        .record_sign_in(
            &used(&user, b"ada-passkey", 1, true),
            &next,
            None,
            &ceremony,
        )
        .await
        .unwrap();
    // The sign-up's claim and this one, both expiring at NOW + 300.
    assert_eq!(store.purge_finished(ceremony.expires_at).await.unwrap(), 0);
    assert!(
        store.finished(&ceremony).await.unwrap(),
        "kept until it expires"
    );
    assert_eq!(
        store.purge_finished(ceremony.expires_at + 1).await.unwrap(),
        2
    );
    assert!(!store.finished(&ceremony).await.unwrap());
}

/// Runs `n` copies of `finish` at once and returns their results.
async fn at_once<T, F>(n: usize, finish: impl Fn(usize) -> F) -> Vec<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(finish(i))).collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("a finish panicked"));
    }
    results
}

pub(super) async fn concurrent_finishes_of_one_ceremony_write_once(store: Arc<dyn Store>) {
    // 50 sign-ups with one ceremony, each under its own name with its own passkey.
    let ceremony = claim();
    let results = at_once(50, |i| {
        let store = store.clone();
        async move {
            let user = account(&format!("user{i}"), 0);
            let id = format!("passkey-{i}").into_bytes();
            let first = session(user.handle, Some(&id));
            let owner = Owner::New {
                user: &user,
                session: &first,
                replaces: None,
            };
            let record = passkey(&user, &id, NOW);
            store.add_credential(owner, &record, &ceremony).await
        }
    })
    .await;
    let written = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(written, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(StoreError::Replayed))),
        "{results:?}"
    );
    let mut accounts = 0;
    for i in 0..50 {
        accounts += usize::from(
            store
                .user_by_username(&format!("user{i}"))
                .await
                .unwrap()
                .is_some(),
        );
    }
    assert_eq!(accounts, 1, "one account written");

    // 50 sign-ins with one ceremony.
    let (user, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let ceremony = claim();
    let sessions: Vec<_> = (0..50)
        .map(|_| session(user.handle, Some(b"ada-passkey")))
        .collect();
    let results = at_once(50, |i| {
        let store = store.clone();
        let user = user.clone();
        let next = sessions[i].clone();
        async move {
            let use_ = used(&user, b"ada-passkey", i as u32 + 1, true);
            store.record_sign_in(&use_, &next, None, &ceremony).await
        }
    })
    .await;
    let signed_in = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(signed_in, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(true) | Err(StoreError::Replayed))),
        "{results:?}"
    );
    let mut open = 0;
    for next in &sessions {
        open += usize::from(live(&*store, next).await);
    }
    assert_eq!(open, 1, "one session opened");
}

pub(super) async fn concurrent_sign_ins_with_one_passkey_keep_the_highest_counter(
    store: Arc<dyn Store>,
) {
    let (user, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let sessions: Vec<_> = (0..20)
        .map(|_| session(user.handle, Some(b"ada-passkey")))
        .collect();
    let results = at_once(20, |i| {
        let store = store.clone();
        let user = user.clone();
        let next = sessions[i].clone();
        async move {
            let use_ = used(&user, b"ada-passkey", i as u32 + 1, true);
            store.record_sign_in(&use_, &next, None, &claim()).await
        }
    })
    .await;
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(true) | Err(StoreError::Regressed))),
        "{results:?}"
    );
    let stored = store.credential(user.handle, b"ada-passkey").await.unwrap();
    assert_eq!(stored.unwrap().counter, 20, "the highest counter is kept");
    for (result, next) in results.iter().zip(&sessions) {
        assert_eq!(
            live(&*store, next).await,
            result.is_ok(),
            "a session exactly for each sign-in that was written"
        );
    }
    assert!(
        matches!(results[19], Ok(true)),
        "the highest counter is written"
    );
}

pub(super) async fn adding_a_passkey_and_changing_the_account_at_once_never_deadlock(
    store: Arc<dyn Store>,
) {
    // Adding locks the account, then checks its session; an account change locks the
    // account, then ends sessions: with one lock order, never a deadlock.
    let user = store.upsert_user(&account("ada", 1), NOW).await.unwrap();
    let (mut added, mut stale) = (0, 0);
    for round in 0..100u32 {
        let adding = session(user.handle, None);
        let changing = session(user.handle, None);
        store.open_session(&adding, None).await.unwrap();
        store.open_session(&changing, None).await.unwrap();
        let add = {
            let store = store.clone();
            let user = user.clone();
            tokio::spawn(async move {
                add(&*store, &user, &adding, &round.to_be_bytes(), NOW, 1000).await
            })
        };
        let change = {
            let store = store.clone();
            let user_id = user.user_id.clone();
            let keep = changing.token_hash;
            tokio::spawn(async move { store.account_changed(&user_id, Some(&keep)).await })
        };
        let limit = Duration::from_secs(10);
        let added_result = tokio::time::timeout(limit, add)
            .await
            .unwrap_or_else(|_| panic!("round {round}: adding a passkey hung"))
            .unwrap();
        tokio::time::timeout(limit, change)
            .await
            .unwrap_or_else(|_| panic!("round {round}: the account change hung"))
            .unwrap()
            .unwrap_or_else(|e| panic!("round {round}: the account change failed: {e}"));
        match added_result {
            Ok(()) => added += 1,
            Err(StoreError::Stale) => stale += 1,
            Err(e) => panic!("round {round}: adding failed otherwise: {e}"),
        }
    }
    assert_eq!(added + stale, 100);
    assert_eq!(ids(&*store, user.handle).await.len(), added);
}
