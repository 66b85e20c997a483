//! The fairing: at ignite, config -> Webauthn, store, limiter, screens; mount the routes.
//! Nothing is built per request.

use std::sync::Arc;
use std::time::Duration;

use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::figment::providers::Serialized;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;
use webauthn_rs::prelude::WebauthnBuilder;

use crate::accounts::Accounts;
use crate::base::Core;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Settings};
use crate::cookies::Cookies;
use crate::events::{Events, LogEvents};
use crate::i18n::{Catalog, ChooseLocale};
use crate::limit::Limiter;
use crate::passkeys::Parts as PasskeysParts;
use crate::passkeys::Passkeys;
use crate::providers::Providers;
use crate::routes;
use crate::screens::Screens;
use crate::service::admin::Admin;
use crate::service::ceremonies::{Ceremonies, Services};
use crate::service::enrollment::Enrollment;
use crate::service::management::Management;
use crate::service::recovery::Recovery;
use crate::service::sessions::Sessions;
use crate::store::pool::{Backend, PasskeysDb};
use crate::store::{SharedCounts, Store};

/// The default database: an embedded SQLite file beside the app.
const DEFAULT_DATABASE_URL: &str = "sqlite://passkeys.sqlite";

/// The fairing that [`Passkeys::fairing()`] returns; configure it with its methods.
pub struct PasskeysFairing {
    config: Option<Config>,
    accounts: Option<Arc<dyn Accounts>>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn Events>,
    choose_locale: Option<ChooseLocale>,
}

impl std::fmt::Debug for PasskeysFairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeysFairing")
            .field("config", &self.config)
            .field("accounts", &self.accounts.as_ref().map(|_| "(the app's)"))
            .finish_non_exhaustive()
    }
}

impl Passkeys {
    /// The fairing, configured from `[default.passkeys]` in Rocket.toml (or
    /// `ROCKET_PASSKEYS_*` environment variables).
    pub fn fairing() -> PasskeysFairing {
        PasskeysFairing {
            config: None,
            accounts: None,
            clock: Arc::new(SystemClock),
            events: Arc::new(LogEvents),
            choose_locale: None,
        }
    }

    /// The fairing with a configuration built in code; Rocket.toml's `passkeys` table is
    /// then not read.
    pub fn custom(config: Config) -> PasskeysFairing {
        PasskeysFairing {
            config: Some(config),
            ..Passkeys::fairing()
        }
    }
}

impl PasskeysFairing {
    /// The app's own users: sign-up creates the account through this.
    pub fn accounts(mut self, accounts: impl Accounts) -> Self {
        self.accounts = Some(Arc::new(accounts));
        self
    }

    /// Where passkey events go (added, removed, used, failed, suspected clone,
    /// enrollment). Default: the log.
    pub fn events(mut self, events: impl Events) -> Self {
        self.events = Arc::new(events);
        self
    }

    /// The clock the crate reads (tests use a [`ManualClock`](crate::ManualClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The app's choice of language for a request, as a language tag: a signed-in
    /// user's saved preference, say, from the app's own cookie. `None` leaves it to the
    /// browser's `Accept-Language`; a language picked on the screens' menu comes first.
    /// See [`Locale`](crate::Locale) for the whole order.
    ///
    /// ```rust,no_run
    /// use rocket_passkeys::Passkeys;
    ///
    /// let fairing = Passkeys::fairing().choose_locale(|request| {
    ///     request.cookies().get("lang").map(|c| c.value().to_string())
    /// });
    /// ```
    pub fn choose_locale(
        mut self,
        choose: impl Fn(&rocket::Request<'_>) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.choose_locale = Some(Arc::new(choose));
        self
    }
}

#[allow(clippy::result_large_err)] // Rocket's own fairing result type
fn fail(rocket: Rocket<Build>, message: impl std::fmt::Display) -> rocket::fairing::Result {
    log::error!("passkeys: {message}");
    Err(rocket)
}

#[rocket::async_trait]
impl Fairing for PasskeysFairing {
    fn info(&self) -> Info {
        Info {
            name: "Passkeys",
            // Attached twice, the last one configures the app (and routes are mounted
            // once).
            kind: Kind::Ignite | Kind::Singleton,
        }
    }

    async fn on_ignite(&self, rocket: Rocket<Build>) -> rocket::fairing::Result {
        let config = match &self.config {
            Some(config) => config.clone(),
            None => match Config::from_figment(rocket.figment()) {
                Ok(config) => config,
                Err(e) => return fail(rocket, format!("bad configuration: {e}")),
            },
        };
        let port = rocket
            .figment()
            .extract_inner::<u16>("port")
            .unwrap_or(8000);
        let settings = match config.settings(port) {
            Ok(settings) => settings,
            Err(e) => return fail(rocket, e),
        };
        let webauthn = match build_webauthn(&settings) {
            Ok(webauthn) => webauthn,
            Err(e) => return fail(rocket, e),
        };
        let catalog = match Catalog::load(&settings.locale_config()) {
            Ok(catalog) => Arc::new(catalog),
            Err(e) => return fail(rocket, e),
        };
        let screens = match Screens::load(
            settings.templates_dir.as_deref(),
            catalog,
            self.choose_locale.clone(),
        ) {
            Ok(screens) => screens,
            Err(e) => return fail(rocket, format!("`passkeys.templates_dir`: {e}")),
        };

        // The embedded SQLite file and, for SQLite (one writer at a time), a pool of one,
        // unless the app configured them. PostgreSQL keeps rocket_db_pools' default.
        let figment = rocket.figment().clone().join(Serialized::default(
            "databases.passkeys.url",
            DEFAULT_DATABASE_URL,
        ));
        let url: String = figment
            .extract_inner("databases.passkeys.url")
            .unwrap_or_default();
        let figment = if url.starts_with("postgres") {
            figment
        } else {
            figment.join(Serialized::default("databases.passkeys.max_connections", 1))
        };
        let accounts = self.accounts.clone();
        let clock = self.clock.clone();
        let events = self.events.clone();
        let stage = AdHoc::try_on_ignite("Passkeys store", move |rocket| async move {
            let Some(db) = PasskeysDb::fetch(&rocket) else {
                return fail(rocket, "the passkeys database did not start");
            };
            let (store, shared) = open_store(&db.0);
            if let Err(e) = store.migrate().await {
                return fail(rocket, format!("cannot prepare the database: {e}"));
            }
            let shared = match (settings.rate_limit.shared, shared) {
                (false, _) => None,
                (true, Some(shared)) => Some(shared),
                (true, None) => {
                    let why = "`passkeys.rate_limit.shared` needs a database that several \
                               instances share (PostgreSQL); SQLite serves one instance";
                    return fail(rocket, why);
                }
            };
            let secret = match store.secret().await {
                Ok(secret) => secret,
                Err(e) => return fail(rocket, format!("cannot read the database: {e}")),
            };
            match store.rp_ids().await {
                Ok(counts) => {
                    if let Err(e) = check_rp_id(&settings, &counts) {
                        return fail(rocket, e);
                    }
                }
                Err(e) => return fail(rocket, format!("cannot read the database: {e}")),
            }
            let parts = Parts {
                accounts,
                clock,
                events,
                secret,
                shared,
            };
            let passkeys = match assemble(settings, webauthn, screens, store, parts) {
                Ok(passkeys) => passkeys,
                Err(e) => return fail(rocket, e),
            };
            if let Err(e) = passkeys.ceremonies.refresh_decoys().await {
                return fail(rocket, format!("cannot read the database: {e}"));
            }
            let mount = passkeys.settings().mount.clone();
            let rocket = rocket.mount("/", routes::well_known(passkeys.settings()));
            Ok(rocket
                .mount(mount.as_str(), routes::routes())
                .register(mount.as_str(), routes::catchers())
                .manage(passkeys)
                .attach(no_store(mount.clone()))
                .attach(AdHoc::on_liftoff("Passkeys cleanup", |rocket| {
                    Box::pin(async move {
                        if let Some(passkeys) = rocket.state::<Passkeys>() {
                            spawn_cleanup(passkeys);
                        }
                    })
                })))
        });
        Ok(rocket
            .configure(figment)
            .attach(PasskeysDb::init())
            .attach(stage))
    }
}

/// Answers under the mount are personal (ceremony options, a user's passkeys, the
/// screens with their names) or one-time: no cache may keep them. The script and styles,
/// which say how long they may be kept, are the exception.
fn no_store(mount: String) -> AdHoc {
    AdHoc::on_response("Passkeys no-store", move |request, response| {
        let mount = mount.clone();
        Box::pin(async move {
            let path = request.uri().path();
            let under = path
                .as_str()
                .strip_prefix(mount.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            if under && !response.headers().contains("Cache-Control") {
                response.set_raw_header("Cache-Control", "no-store");
            }
        })
    })
}

/// Passkeys only work under the rp id they were made for: a launch that would strand
/// stored ones fails, naming how many, unless the operator allows it.
fn check_rp_id(settings: &Settings, counts: &[(String, i64)]) -> Result<(), String> {
    let stranded: i64 = counts
        .iter()
        .filter(|(rp_id, _)| *rp_id != settings.rp_id)
        .map(|(_, n)| n)
        .sum();
    if stranded == 0 {
        return Ok(());
    }
    let others = counts
        .iter()
        .filter(|(rp_id, _)| *rp_id != settings.rp_id)
        .map(|(rp_id, _)| format!("`{rp_id}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let sentence = format!(
        "`passkeys.rp_id` is `{}`, but {stranded} stored passkey(s) were made for {others} and \
         would stop working; keep the old rp_id (with `related_origins` for new domains) or \
         set `passkeys.allow_rp_id_change = true` to launch anyway",
        settings.rp_id
    );
    if settings.allow_rp_id_change {
        log::warn!("passkeys: WARNING: {sentence}");
        Ok(())
    } else {
        Err(sentence)
    }
}

fn build_webauthn(settings: &Settings) -> Result<webauthn_rs::Webauthn, String> {
    let first = &settings.origins[0];
    let mut builder = WebauthnBuilder::new(&settings.rp_id, first)
        .map_err(|e| format!("`passkeys.rp_id` does not fit `passkeys.origins`: {e}"))?
        .rp_name(&settings.rp_name)
        .timeout(Duration::from_secs(settings.ceremony_timeout as u64))
        .allow_subdomains(false)
        .allow_any_port(false);
    for origin in settings.origins[1..]
        .iter()
        .chain(&settings.related_origins)
        .chain(&settings.android_origins)
    {
        builder = builder.append_allowed_origin(origin);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up WebAuthn: {e}"))
}

/// What the app handed the fairing, plus the store's secret and its shared counts.
struct Parts {
    accounts: Option<Arc<dyn Accounts>>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn Events>,
    secret: [u8; 32],
    shared: Option<Arc<dyn SharedCounts>>,
}

/// The store for the database the pool talks to, and its shared counts when several
/// instances can share it.
fn open_store(backend: &Backend) -> (Arc<dyn Store>, Option<Arc<dyn SharedCounts>>) {
    match backend {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite(pool) => (Arc::new(crate::store::sqlite::SqliteStore::new(pool)), None),
        #[cfg(feature = "postgres")]
        Backend::Postgres(pool) => {
            let store = Arc::new(crate::store::postgres::PgStore::new(pool));
            (store.clone(), Some(store))
        }
    }
}

/// The core, the services over it, and the HTTP parts.
fn assemble(
    settings: Settings,
    webauthn: webauthn_rs::Webauthn,
    screens: Screens,
    store: Arc<dyn Store>,
    parts: Parts,
) -> Result<Passkeys, String> {
    let cookies = Cookies::new(
        settings.secure_cookies,
        &settings.mount,
        settings.session_ttl,
        settings.ceremony_timeout,
    );
    let shared = parts.shared.map(|counts| (counts, parts.clock.clone()));
    let limiter = Arc::new(Limiter::new(
        &settings.rate_limit,
        settings.trusted_proxy_header.clone(),
        shared,
    ));
    let core = Arc::new(Core::new(settings, store, parts.clock, parts.events));
    let sessions = Arc::new(Sessions::new(core.clone()));
    let management = Arc::new(Management::new(
        core.clone(),
        sessions.clone(),
        Providers::builtin(),
    ));
    let enrollment = Arc::new(Enrollment::new(core.clone(), management.clone()));
    let recovery = Arc::new(Recovery::new(
        core.clone(),
        sessions.clone(),
        management.clone(),
    ));
    let services = Services {
        sessions: sessions.clone(),
        management: management.clone(),
        enrollment: enrollment.clone(),
        recovery: recovery.clone(),
    };
    crate::measure::describe();
    let ceremonies = Ceremonies::new(
        core.clone(),
        services,
        webauthn,
        parts.accounts,
        parts.secret,
    )?;
    Ok(Passkeys::assemble(PasskeysParts {
        admin: Arc::new(Admin::new(core.clone())),
        core,
        ceremonies: Arc::new(ceremonies),
        sessions,
        management,
        enrollment,
        recovery,
        screens,
        limiter,
        cookies,
    }))
}

/// Every minute: forget what has expired ([`Passkeys::purge_expired`]).
fn spawn_cleanup(passkeys: &Passkeys) {
    let maintenance = passkeys.maintenance();
    rocket::tokio::spawn(async move {
        let mut tick = rocket::tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = maintenance.run().await {
                log::warn!("passkeys: could not forget expired records: {e}");
            }
        }
    });
}
