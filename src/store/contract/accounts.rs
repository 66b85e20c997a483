//! Accounts, sessions, the invitation, and the schema.

use std::sync::Arc;

use super::{account, claim, ids, live, passkey, session, sign_up, used, NOW};
use crate::error::StoreError;
use crate::store::{EnrollmentEvent, EnrollmentRecord, Owner, Store};

pub(super) async fn a_sign_up_writes_the_account_its_passkey_and_its_session(
    store: Arc<dyn Store>,
) {
    let (user, first) = sign_up(&*store, "ada", b"ada-passkey").await;

    let found = store.user_by_username("ada").await.unwrap();
    assert_eq!(
        found.as_ref(),
        Some(&user),
        "the account is found by its name"
    );
    assert_eq!(
        ids(&*store, user.handle).await,
        vec![b"ada-passkey".to_vec()]
    );
    let stored = store
        .credential(user.handle, b"ada-passkey")
        .await
        .unwrap()
        .expect("the passkey is found by its account and id");
    assert_eq!(stored.user_id, user.user_id);
    assert_eq!(stored.transports, vec!["internal".to_owned()]);
    assert!(stored.backup_eligible);
    assert_eq!(stored.last_used_at, None);

    let open = store.session(&first.token_hash, NOW).await.unwrap();
    let open = open.expect("the first session is live");
    assert_eq!(open.user, user);
    assert!(open.user_verified);
    assert_eq!(open.created_at, NOW);
}

pub(super) async fn a_sign_up_under_a_taken_name_writes_nothing(store: Arc<dyn Store>) {
    sign_up(&*store, "ada", b"ada-passkey").await;
    // The same name in capitals, and in fullwidth letters: one name, one account.
    for (taken, id) in [
        ("ADA", &b"second"[..]),
        ("\u{ff41}\u{ff44}\u{ff41}", b"third"),
    ] {
        let user = account(taken, 0);
        let first = session(user.handle, Some(id));
        let ceremony = claim();
        let owner = Owner::New {
            user: &user,
            session: &first,
            replaces: None,
        };
        let result = store
            .add_credential(owner, &passkey(&user, id, NOW), &ceremony)
            .await;
        assert!(
            matches!(result, Err(StoreError::Duplicate("username"))),
            "{taken:?}: {result:?}"
        );
        assert!(
            ids(&*store, user.handle).await.is_empty(),
            "{taken:?}: no passkey"
        );
        assert!(!live(&*store, &first).await, "{taken:?}: no session");
        assert!(
            !store.finished(&ceremony).await.unwrap(),
            "{taken:?}: the ceremony may finish again (under another name)"
        );
    }
    let ada = store.user_by_username("Ada").await.unwrap().unwrap();
    assert_eq!(ada.username, "ada", "the first account keeps its name");
}

pub(super) async fn an_upsert_refreshes_the_names_and_keeps_the_handle(store: Arc<dyn Store>) {
    let first = store.upsert_user(&account("grace", 1), NOW).await.unwrap();
    let mut renamed = account("grace.hopper", 3);
    renamed.user_id = first.user_id.clone();
    let second = store.upsert_user(&renamed, NOW + 1).await.unwrap();

    assert_eq!(
        second.handle, first.handle,
        "an app user keeps one passkey account"
    );
    assert_eq!(second.username, "grace.hopper");
    assert_eq!(second.display_name, "grace.hopper (display)");
    assert_eq!(second.factors, 3, "the factors are the app's latest");
    let found = store.user_by_username("GRACE.HOPPER").await.unwrap();
    assert_eq!(found, Some(second));
    assert_eq!(store.user_by_username("grace").await.unwrap(), None);
}

pub(super) async fn a_sign_in_ends_the_session_it_replaces(store: Arc<dyn Store>) {
    let (user, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let next = session(user.handle, Some(b"ada-passkey"));
    let signed_in = store
        .record_sign_in(
            &used(&user, b"ada-passkey", 1, true),
            &next,
            Some(&first.token_hash),
            &claim(),
        )
        .await
        .unwrap();
    assert!(signed_in);
    assert!(!live(&*store, &first).await, "the replaced session ended");
    assert!(live(&*store, &next).await);

    // Opening a session outside a ceremony replaces the same way.
    let third = session(user.handle, None);
    store
        .open_session(&third, Some(&next.token_hash))
        .await
        .unwrap();
    assert!(!live(&*store, &next).await);
    assert!(live(&*store, &third).await);
}

pub(super) async fn sessions_end_at_expiry_and_are_purged(store: Arc<dyn Store>) {
    let (user, long) = sign_up(&*store, "ada", b"ada-passkey").await;
    let mut short = session(user.handle, None);
    short.expires_at = NOW + 10;
    store.open_session(&short, None).await.unwrap();

    let at = |t| store.session(&short.token_hash, t);
    assert!(
        at(NOW + 9).await.unwrap().is_some(),
        "live until its expiry"
    );
    assert!(at(NOW + 10).await.unwrap().is_none(), "over at its expiry");
    assert_eq!(store.purge_sessions(NOW + 10).await.unwrap(), 1);
    assert!(
        store
            .session(&short.token_hash, NOW)
            .await
            .unwrap()
            .is_none(),
        "gone"
    );
    assert!(live(&*store, &long).await, "a session not expired stays");

    store.delete_session(&long.token_hash).await.unwrap();
    assert!(!live(&*store, &long).await, "a deleted session is over");
}

pub(super) async fn an_account_change_ends_every_session_but_the_one_kept(store: Arc<dyn Store>) {
    let (user, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let (other, others) = sign_up(&*store, "bob", b"bob-passkey").await;
    let kept = session(user.handle, None);
    let third = session(user.handle, None);
    store.open_session(&kept, None).await.unwrap();
    store.open_session(&third, None).await.unwrap();
    let before = store.generation(user.handle).await.unwrap();

    let ended = store
        .account_changed(&user.user_id, Some(&kept.token_hash))
        .await
        .unwrap();
    assert_eq!(ended, 2, "the first and the third");
    assert!(live(&*store, &kept).await);
    assert!(!live(&*store, &first).await);
    assert!(!live(&*store, &third).await);
    assert!(
        live(&*store, &others).await,
        "another account's session stays"
    );
    assert!(store.generation(user.handle).await.unwrap() > before);
    assert_eq!(
        ids(&*store, user.handle).await.len(),
        1,
        "a change of password leaves the passkeys"
    );

    assert_eq!(
        store.account_changed(&other.user_id, None).await.unwrap(),
        1
    );
    assert!(
        !live(&*store, &others).await,
        "without one kept, every session ends"
    );
    let none = store.account_changed("no such user", None).await;
    assert_eq!(none.expect("an app user without passkeys"), 0);
}

pub(super) async fn the_invitation_is_recorded_and_counted(store: Arc<dyn Store>) {
    let user = store.upsert_user(&account("ada", 1), NOW).await.unwrap();
    assert_eq!(
        store.enrollment(user.handle).await.unwrap(),
        EnrollmentRecord::default(),
        "never invited"
    );
    store
        .record_enrollment(user.handle, EnrollmentEvent::Prompted, NOW)
        .await
        .unwrap();
    store
        .record_enrollment(user.handle, EnrollmentEvent::Skipped, NOW + 1)
        .await
        .unwrap();
    store
        .record_enrollment(user.handle, EnrollmentEvent::Prompted, NOW + 2)
        .await
        .unwrap();
    store
        .record_enrollment(user.handle, EnrollmentEvent::Never, NOW + 3)
        .await
        .unwrap();
    assert_eq!(
        store.enrollment(user.handle).await.unwrap(),
        EnrollmentRecord {
            prompted_at: Some(NOW + 2),
            skipped_at: Some(NOW + 1),
            never: true,
            enrolled_at: None,
        }
    );
    store
        .record_enrollment(user.handle, EnrollmentEvent::Enrolled, NOW + 4)
        .await
        .unwrap();
    assert_eq!(
        store.enrollment(user.handle).await.unwrap().enrolled_at,
        Some(NOW + 4)
    );
    let counters = store.counters().await.unwrap();
    let count = |name: &str| counters.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    assert_eq!(count("enrollment.prompted"), Some(2));
    assert_eq!(count("enrollment.skipped"), Some(1));
    assert_eq!(count("enrollment.never"), Some(1));
    assert_eq!(count("enrollment.created"), Some(1));
}

pub(super) async fn the_secret_is_made_once_and_kept(store: Arc<dyn Store>) {
    let secret = store.secret().await.unwrap();
    assert_ne!(secret, [0; 32]);
    assert_eq!(
        store.secret().await.unwrap(),
        secret,
        "one secret for every instance"
    );
}

pub(super) async fn migrating_again_changes_nothing(store: Arc<dyn Store>) {
    let (user, first) = sign_up(&*store, "ada", b"ada-passkey").await;
    let secret = store.secret().await.unwrap();
    store.migrate().await.expect("a second migration");
    assert_eq!(
        ids(&*store, user.handle).await,
        vec![b"ada-passkey".to_vec()]
    );
    assert!(live(&*store, &first).await);
    assert_eq!(store.secret().await.unwrap(), secret);
}
