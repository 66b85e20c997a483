//! Sessions as their owners and operators see them, and recovery codes.

use std::sync::Arc;

use super::{add, ids, live, session, sign_up, NOW};
use crate::store::{Deleted, Deletion, Store};

pub(super) async fn sessions_are_listed_seen_and_ended_by_their_owner_only(store: Arc<dyn Store>) {
    let (ada, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let (bob, bobs) = sign_up(&*store, "bob", b"bob-passkey").await;
    let mut laptop = session(ada.handle, None);
    laptop.factors = 2;
    laptop.user_verified = false;
    store.open_session(&laptop, None).await.unwrap();

    let listed = store.sessions_of(ada.handle, NOW).await.unwrap();
    assert_eq!(listed.len(), 2, "ada's two sessions, not bob's");
    let by_passkey = listed.iter().find(|s| s.id == first.id).expect("listed");
    assert_eq!(by_passkey.passkey_name.as_deref(), Some("Passkey"));
    assert_eq!((by_passkey.created_at, by_passkey.last_seen_at), (NOW, NOW));
    assert_eq!(by_passkey.device, "", "not seen since it opened");
    let by_password = listed.iter().find(|s| s.id == laptop.id).expect("listed");
    assert_eq!(
        (by_password.factors, by_password.passkey_name.clone()),
        (2, None)
    );

    // Seen: the device is written once, the time every time it is asked to.
    store
        .touch_session(&laptop.token_hash, NOW + 400, "Firefox on Linux")
        .await
        .unwrap();
    store
        .touch_session(&laptop.token_hash, NOW + 800, "Chrome on Windows")
        .await
        .unwrap();
    let read = store.session(&laptop.token_hash, NOW + 900).await.unwrap();
    let read = read.expect("live");
    assert_eq!(
        (read.device.as_str(), read.last_seen_at),
        ("Firefox on Linux", NOW + 800)
    );
    assert_eq!(read.id, laptop.id);
    let listed = store.sessions_of(ada.handle, NOW).await.unwrap();
    assert_eq!(listed[0].id, laptop.id, "the most recently seen first");

    // Another account's id ends nothing.
    assert!(!store.end_session(bob.handle, &laptop.id).await.unwrap());
    assert!(live(&*store, &laptop).await);
    assert!(!store
        .end_session(ada.handle, &rand::random())
        .await
        .unwrap());
    assert!(store.end_session(ada.handle, &laptop.id).await.unwrap());
    assert!(!live(&*store, &laptop).await);
    assert!(
        !store.end_session(ada.handle, &laptop.id).await.unwrap(),
        "ended once"
    );
    assert!(live(&*store, &first).await && live(&*store, &bobs).await);

    // Expired sessions are not listed.
    assert!(store
        .sessions_of(ada.handle, NOW + 3600)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.user_by_id(&ada.user_id).await.unwrap(), Some(ada));
    assert_eq!(store.user_by_id("nobody").await.unwrap(), None);
}

pub(super) async fn ending_every_session_keeps_the_one_asked_and_no_other_accounts(
    store: Arc<dyn Store>,
) {
    let (ada, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let (_, bobs) = sign_up(&*store, "bob", b"bob-passkey").await;
    let (second, third) = (session(ada.handle, None), session(ada.handle, None));
    store.open_session(&second, None).await.unwrap();
    store.open_session(&third, None).await.unwrap();
    let ended = store
        .end_sessions(ada.handle, Some(&second.token_hash))
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert!(live(&*store, &second).await);
    assert!(!live(&*store, &first).await && !live(&*store, &third).await);
    assert!(
        live(&*store, &bobs).await,
        "another account's session stays"
    );
    assert_eq!(store.end_sessions(ada.handle, None).await.unwrap(), 1);
    assert!(!live(&*store, &second).await);
    assert_eq!(store.end_sessions(ada.handle, None).await.unwrap(), 0);
}

pub(super) async fn an_operator_revokes_a_last_passkey_only_when_asked(store: Arc<dyn Store>) {
    let (ada, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let (bob, _) = sign_up(&*store, "bob", b"bob-passkey").await;
    // Read once, so that a cache holds it.
    assert!(store
        .credential(ada.handle, b"ada-passkey")
        .await
        .unwrap()
        .is_some());
    let keep_last = Deletion {
        revoke: true,
        keep: None,
        allow_last: false,
    };
    let deleted = store
        .delete_credential(ada.handle, b"ada-passkey", keep_last)
        .await
        .unwrap();
    assert_eq!(deleted, Deleted::LastPasskey);
    assert_eq!(ids(&*store, ada.handle).await.len(), 1, "nothing deleted");
    assert!(live(&*store, &first).await);

    let revoke = Deletion {
        allow_last: true,
        ..keep_last
    };
    let other = store
        .delete_credential(bob.handle, b"ada-passkey", revoke)
        .await
        .unwrap();
    assert_eq!(other, Deleted::NotFound, "not through another account");
    let deleted = store
        .delete_credential(ada.handle, b"ada-passkey", revoke)
        .await
        .unwrap();
    assert_eq!(deleted, Deleted::Done(1), "with the one session it opened");
    assert!(ids(&*store, ada.handle).await.is_empty());
    assert!(store
        .credential(ada.handle, b"ada-passkey")
        .await
        .unwrap()
        .is_none());
    assert!(!live(&*store, &first).await, "the sessions it opened end");
}

pub(super) async fn a_recovery_code_works_once_and_ends_every_session(store: Arc<dyn Store>) {
    let (ada, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let (bob, bobs) = sign_up(&*store, "bob", b"bob-passkey").await;
    let codes: Vec<[u8; 32]> = (0..3).map(|_| rand::random()).collect();
    store
        .set_recovery_codes(ada.handle, &codes, NOW)
        .await
        .unwrap();
    store
        .set_recovery_codes(bob.handle, &[rand::random()], NOW)
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(ada.handle).await.unwrap(), 3);
    let generation = store.generation(ada.handle).await.unwrap();

    // A wrong code, and ada's code for bob: nothing changes.
    let mut recovered = session(ada.handle, None);
    recovered.factors = 32;
    let guess: [u8; 32] = rand::random();
    // The nil account (what an unknown name is tried as) has no codes.
    let nobody = store.recover(
        webauthn_rs::prelude::Uuid::nil(),
        &codes[0],
        &recovered,
        None,
    );
    assert_eq!(nobody.await.unwrap(), None);
    let wrong = store.recover(ada.handle, &guess, &recovered, None);
    assert_eq!(wrong.await.unwrap(), None);
    let mut bobs_try = session(bob.handle, None);
    bobs_try.factors = 32;
    let crossed = store.recover(bob.handle, &codes[0], &bobs_try, None);
    assert_eq!(crossed.await.unwrap(), None);
    assert!(!live(&*store, &recovered).await && !live(&*store, &bobs_try).await);
    assert!(live(&*store, &first).await);
    assert_eq!(store.recovery_codes_left(ada.handle).await.unwrap(), 3);
    assert_eq!(store.generation(ada.handle).await.unwrap(), generation);

    // The recovering browser held carol's session: it ends too (and only it of hers).
    let (_, carols) = sign_up(&*store, "carol", b"carol-passkey").await;
    let used = store.recover(ada.handle, &codes[0], &recovered, Some(&carols.token_hash));
    assert_eq!(used.await.unwrap(), Some(1), "ada's one session ended");
    assert!(
        live(&*store, &recovered).await,
        "the recovery's session opens"
    );
    assert!(!live(&*store, &first).await, "every other session ends");
    assert!(live(&*store, &bobs).await, "another account's stays");
    assert!(
        !live(&*store, &carols).await,
        "the browser's previous session ends"
    );
    assert!(store.generation(ada.handle).await.unwrap() > generation);
    assert_eq!(store.recovery_codes_left(ada.handle).await.unwrap(), 2);

    // Pending registrations of the account are void (the generation moved on).
    let stale = add(&*store, &ada, &first, b"late", NOW, 20).await;
    assert!(
        stale.is_err(),
        "a registration from an ended session does not finish"
    );

    let again = session(ada.handle, None);
    let twice = store.recover(ada.handle, &codes[0], &again, None);
    assert_eq!(twice.await.unwrap(), None, "once");
    assert!(!live(&*store, &again).await);
}

pub(super) async fn new_recovery_codes_void_the_old(store: Arc<dyn Store>) {
    let (ada, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let old: Vec<[u8; 32]> = (0..10).map(|_| rand::random()).collect();
    store
        .set_recovery_codes(ada.handle, &old, NOW)
        .await
        .unwrap();
    let new: Vec<[u8; 32]> = (0..10).map(|_| rand::random()).collect();
    store
        .set_recovery_codes(ada.handle, &new, NOW + 1)
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(ada.handle).await.unwrap(), 10);
    let attempt = session(ada.handle, None);
    assert_eq!(
        store
            .recover(ada.handle, &old[0], &attempt, None)
            .await
            .unwrap(),
        None
    );
    assert!(store
        .recover(ada.handle, &new[9], &attempt, None)
        .await
        .unwrap()
        .is_some());
}

pub(super) async fn two_uses_of_one_recovery_code_at_once_sign_in_once(store: Arc<dyn Store>) {
    let (ada, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let code: [u8; 32] = rand::random();
    store
        .set_recovery_codes(ada.handle, &[code], NOW)
        .await
        .unwrap();
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let attempt = session(ada.handle, None);
            tokio::spawn(async move { store.recover(ada.handle, &code, &attempt, None).await })
        })
        .collect();
    let mut won = 0;
    for attempt in attempts {
        // A loser may see the code gone, or (SQLite) a busy database: never a second win.
        if let Ok(Ok(Some(_))) = attempt.await {
            won += 1;
        }
    }
    assert_eq!(won, 1, "one code, one sign-in");
    assert_eq!(store.sessions_of(ada.handle, NOW).await.unwrap().len(), 1);
}
