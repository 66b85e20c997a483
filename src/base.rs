//! The core every service stands on: the checked settings, the store, the clock and the
//! events hook, built once at ignite. Services read them through these methods; routes
//! and guards never see the core, only the services.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::events::{Event, Events};
use crate::store::Store;

pub(crate) struct Core {
    settings: Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    events: Arc<dyn Events>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Core {
    pub fn new(
        settings: Settings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        events: Arc<dyn Events>,
    ) -> Self {
        Core {
            settings,
            store,
            clock,
            events,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// Now, in seconds, by the crate's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Tells the app's events hook.
    pub fn event(&self, event: Event) {
        self.events.event(&event);
    }
}
