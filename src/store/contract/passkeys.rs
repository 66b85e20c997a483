//! Which passkeys an account has: adding, limits, deleting, renaming, and what the store
//! tells about them.

use std::sync::Arc;

use super::{account, add, claim, deletion, ids, live, passkey, session, sign_up, NOW};
use crate::error::StoreError;
use crate::store::{Deleted, Owner, Store};

pub(super) async fn a_passkey_id_belongs_to_one_account(store: Arc<dyn Store>) {
    let (ada, _) = sign_up(&*store, "ada", b"shared-id").await;
    let bob = account("bob", 0);
    let first = session(bob.handle, Some(b"shared-id"));
    let ceremony = claim();
    let owner = Owner::New {
        user: &bob,
        session: &first,
        replaces: None,
    };
    let result = store
        .add_credential(owner, &passkey(&bob, b"shared-id", NOW), &ceremony)
        .await;
    assert!(
        matches!(result, Err(StoreError::Duplicate("credential"))),
        "{result:?}"
    );
    assert_eq!(
        store.user_by_username("bob").await.unwrap(),
        None,
        "no account"
    );
    assert!(!live(&*store, &first).await, "no session");
    assert!(!store.finished(&ceremony).await.unwrap());
    assert!(
        store
            .credential(bob.handle, b"shared-id")
            .await
            .unwrap()
            .is_none(),
        "another account's passkey is none of this one's"
    );
    assert!(store
        .credential(ada.handle, b"shared-id")
        .await
        .unwrap()
        .is_some());

    // Adding it to an existing account is refused the same way.
    let grace = store.upsert_user(&account("grace", 1), NOW).await.unwrap();
    let by = session(grace.handle, None);
    store.open_session(&by, None).await.unwrap();
    let result = add(&*store, &grace, &by, b"shared-id", NOW, 10).await;
    assert!(
        matches!(result, Err(StoreError::Duplicate("credential"))),
        "{result:?}"
    );
    assert!(ids(&*store, grace.handle).await.is_empty());
}

pub(super) async fn adding_a_passkey_needs_the_account_unchanged_and_its_session_live(
    store: Arc<dyn Store>,
) {
    let (user, first) = sign_up(&*store, "ada", b"first").await;
    add(&*store, &user, &first, b"second", NOW, 10)
        .await
        .expect("a live session adds a passkey");
    let after_add = store.generation(user.handle).await.unwrap();

    // A registration started before the account changed is void.
    let generation = store.generation(user.handle).await.unwrap();
    store
        .account_changed(&user.user_id, Some(&first.token_hash))
        .await
        .unwrap();
    assert!(store.generation(user.handle).await.unwrap() > after_add);
    let ceremony = claim();
    let owner = Owner::Existing {
        handle: user.handle,
        session: &first.token_hash,
        generation,
        now: NOW,
        max_passkeys: 10,
    };
    let result = store
        .add_credential(owner, &passkey(&user, b"stale", NOW), &ceremony)
        .await;
    assert!(matches!(result, Err(StoreError::Stale)), "{result:?}");
    assert!(!store.finished(&ceremony).await.unwrap(), "nothing written");

    // So is one whose session ended, or expired, since.
    let ended = session(user.handle, None);
    store.open_session(&ended, None).await.unwrap();
    store.delete_session(&ended.token_hash).await.unwrap();
    let result = add(&*store, &user, &ended, b"ended", NOW, 10).await;
    assert!(matches!(result, Err(StoreError::Stale)), "{result:?}");
    let mut expired = session(user.handle, None);
    expired.expires_at = NOW;
    store.open_session(&expired, None).await.unwrap();
    let result = add(&*store, &user, &expired, b"expired", NOW, 10).await;
    assert!(matches!(result, Err(StoreError::Stale)), "{result:?}");

    // And another account's session adds nothing to this one.
    let (_, others) = sign_up(&*store, "bob", b"bob-passkey").await;
    let result = add(&*store, &user, &others, b"foreign", NOW, 10).await;
    assert!(matches!(result, Err(StoreError::Stale)), "{result:?}");

    assert_eq!(
        ids(&*store, user.handle).await,
        vec![b"first".to_vec(), b"second".to_vec()]
    );
}

pub(super) async fn an_account_holds_at_most_its_limit_of_passkeys(store: Arc<dyn Store>) {
    let (user, first) = sign_up(&*store, "ada", b"one").await;
    add(&*store, &user, &first, b"two", NOW, 2).await.unwrap();
    let result = add(&*store, &user, &first, b"three", NOW, 2).await;
    assert!(matches!(result, Err(StoreError::TooMany(2))), "{result:?}");
    assert_eq!(ids(&*store, user.handle).await.len(), 2);
}

pub(super) async fn the_last_passkey_of_a_passkey_only_account_stays(store: Arc<dyn Store>) {
    let (user, first) = sign_up(&*store, "ada", b"only").await;
    let (other, _) = sign_up(&*store, "bob", b"bobs").await;
    let keep = first.token_hash;
    let delete =
        |handle, id: &'static [u8]| store.delete_credential(handle, id, deletion(true, &keep));

    assert_eq!(
        delete(user.handle, b"only").await.unwrap(),
        Deleted::LastPasskey
    );
    assert_eq!(
        delete(user.handle, b"unknown").await.unwrap(),
        Deleted::NotFound
    );
    assert_eq!(
        delete(other.handle, b"only").await.unwrap(),
        Deleted::NotFound,
        "another account cannot delete it"
    );
    assert_eq!(ids(&*store, user.handle).await, vec![b"only".to_vec()]);

    add(&*store, &user, &first, b"second", NOW, 10)
        .await
        .unwrap();
    assert_eq!(
        delete(user.handle, b"only").await.unwrap(),
        Deleted::Done(0)
    );
    assert_eq!(
        delete(user.handle, b"second").await.unwrap(),
        Deleted::LastPasskey
    );
    assert_eq!(ids(&*store, user.handle).await, vec![b"second".to_vec()]);
}

pub(super) async fn an_account_with_another_way_to_sign_in_may_delete_its_last_passkey(
    store: Arc<dyn Store>,
) {
    let user = store.upsert_user(&account("ada", 1), NOW).await.unwrap();
    let by = session(user.handle, None);
    store.open_session(&by, None).await.unwrap();
    add(&*store, &user, &by, b"only", NOW, 10).await.unwrap();
    let before = store.generation(user.handle).await.unwrap();

    let deleted = store
        .delete_credential(user.handle, b"only", deletion(false, &by.token_hash))
        .await
        .unwrap();
    assert_eq!(deleted, Deleted::Done(0));
    assert!(ids(&*store, user.handle).await.is_empty());
    assert!(store
        .credential(user.handle, b"only")
        .await
        .unwrap()
        .is_none());
    assert!(store.generation(user.handle).await.unwrap() > before);
}

pub(super) async fn deleting_a_passkey_can_end_the_sessions_it_opened(store: Arc<dyn Store>) {
    let (user, by_a) = sign_up(&*store, "ada", b"a").await;
    add(&*store, &user, &by_a, b"b", NOW, 10).await.unwrap();
    add(&*store, &user, &by_a, b"c", NOW, 10).await.unwrap();
    let other_a = session(user.handle, Some(b"a"));
    let by_b = session(user.handle, Some(b"b"));
    let by_c = session(user.handle, Some(b"c"));
    for s in [&other_a, &by_b, &by_c] {
        store.open_session(s, None).await.unwrap();
    }

    // Revoking: the sessions passkey a opened end, but the one kept (the deleting one).
    let deleted = store
        .delete_credential(user.handle, b"a", deletion(true, &by_a.token_hash))
        .await
        .unwrap();
    assert_eq!(deleted, Deleted::Done(1), "one session ended");
    assert!(live(&*store, &by_a).await, "the session kept");
    assert!(
        !live(&*store, &other_a).await,
        "opened by the deleted passkey"
    );
    assert!(live(&*store, &by_b).await, "opened by another passkey");

    // Without revoking, its sessions stay.
    let deleted = store
        .delete_credential(user.handle, b"b", deletion(false, &by_a.token_hash))
        .await
        .unwrap();
    assert_eq!(deleted, Deleted::Done(0));
    assert!(live(&*store, &by_b).await);
    assert!(live(&*store, &by_c).await);
    assert_eq!(ids(&*store, user.handle).await, vec![b"c".to_vec()]);
}

pub(super) async fn renaming_a_passkey_is_for_its_own_account_only(store: Arc<dyn Store>) {
    let (user, _) = sign_up(&*store, "ada", b"ada-passkey").await;
    let (other, _) = sign_up(&*store, "bob", b"bob-passkey").await;
    let name = |handle| {
        let store = store.clone();
        async move {
            let stored = store.credential(handle, b"ada-passkey").await.unwrap();
            stored.map(|c| c.name)
        }
    };

    assert!(store
        .rename_credential(user.handle, b"ada-passkey", "Work laptop")
        .await
        .unwrap());
    assert_eq!(name(user.handle).await.as_deref(), Some("Work laptop"));
    let list = store.credentials(user.handle).await.unwrap();
    assert_eq!(list[0].name, "Work laptop", "the list shows the new name");

    assert!(!store
        .rename_credential(other.handle, b"ada-passkey", "Stolen")
        .await
        .unwrap());
    assert!(!store
        .rename_credential(user.handle, b"unknown", "Nothing")
        .await
        .unwrap());
    assert_eq!(name(user.handle).await.as_deref(), Some("Work laptop"));
}

pub(super) async fn passkeys_added_after_a_time_go_with_their_sessions(store: Arc<dyn Store>) {
    let user = store.upsert_user(&account("ada", 1), NOW).await.unwrap();
    let by = session(user.handle, None);
    store.open_session(&by, None).await.unwrap();
    add(&*store, &user, &by, b"before", NOW - 100, 10)
        .await
        .unwrap();
    add(&*store, &user, &by, b"after", NOW + 50, 10)
        .await
        .unwrap();
    let opened_before = session(user.handle, Some(b"before"));
    let opened_after = session(user.handle, Some(b"after"));
    store.open_session(&opened_before, None).await.unwrap();
    store.open_session(&opened_after, None).await.unwrap();
    let generation = store.generation(user.handle).await.unwrap();

    let removed = store
        .delete_credentials_added_after(&user.user_id, NOW)
        .await
        .unwrap();
    assert_eq!(removed, vec![b"after".to_vec()]);
    assert_eq!(ids(&*store, user.handle).await, vec![b"before".to_vec()]);
    assert!(!live(&*store, &opened_after).await, "its session ended");
    assert!(live(&*store, &opened_before).await);
    assert!(live(&*store, &by).await);
    assert!(store.generation(user.handle).await.unwrap() > generation);

    let none = store
        .delete_credentials_added_after("no such user", 0)
        .await
        .unwrap();
    assert!(none.is_empty());
}

pub(super) async fn passkey_shapes_and_rp_ids_describe_what_is_stored(store: Arc<dyn Store>) {
    assert!(store.passkey_shapes(10).await.unwrap().is_empty());
    let (ada, first) = sign_up(&*store, "ada", &[1; 16]).await;
    let (bob, _) = sign_up(&*store, "bob", &[2; 32]).await;
    let mut other_site = passkey(&ada, &[3; 20], NOW + 1);
    other_site.rp_id = "example.com".into();
    let generation = store.generation(ada.handle).await.unwrap();
    let owner = Owner::Existing {
        handle: ada.handle,
        session: &first.token_hash,
        generation,
        now: NOW,
        max_passkeys: 10,
    };
    store
        .add_credential(owner, &other_site, &claim())
        .await
        .unwrap();

    let mut expected = vec![(ada.handle, vec![16, 20]), (bob.handle, vec![32])];
    expected.sort_by_key(|(handle, _)| *handle);
    assert_eq!(store.passkey_shapes(10).await.unwrap(), expected);
    assert_eq!(
        store.passkey_shapes(1).await.unwrap(),
        expected[..1].to_vec(),
        "at most as many accounts as asked"
    );

    let mut rp_ids = store.rp_ids().await.unwrap();
    rp_ids.sort();
    assert_eq!(
        rp_ids,
        vec![("example.com".to_owned(), 1), ("localhost".to_owned(), 2)]
    );
}
