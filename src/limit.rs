//! Rate limits per client address and ceremony kind (governor).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rocket::Request;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::RateLimit;
use crate::error::{Error, ErrorCode};
use crate::store::SharedCounts;

/// What is being limited. Each kind has its own budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Register,
    Authenticate,
    Manage,
    /// Signing in with a recovery code.
    Recover,
}

/// One keyed limiter per action, managed state, cleaned periodically; or, with
/// `rate_limit.shared`, the counts of the database several instances share.
pub(crate) struct Limiter {
    register: DefaultKeyedRateLimiter<IpAddr>,
    authenticate: DefaultKeyedRateLimiter<IpAddr>,
    manage: DefaultKeyedRateLimiter<IpAddr>,
    recover: DefaultKeyedRateLimiter<IpAddr>,
    trusted_header: Option<String>,
    shared: Option<Shared>,
}

/// Requests counted in the shared database: one budget per client, kind and minute.
struct Shared {
    counts: Arc<dyn SharedCounts>,
    clock: Arc<dyn Clock>,
    budget: i64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("clients", &self.len())
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::Authenticate => "authenticate",
            Action::Manage => "manage",
            Action::Recover => "recover",
        }
    }
}

/// An address as proxies write it: `203.0.113.7`, `203.0.113.7:5678`, `2001:db8::1`,
/// `[2001:db8::1]:443`.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(socket) = text.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
}

/// The answer to a client over its budget.
pub(crate) fn rate_limited(retry_after: u64) -> Error {
    Error::coded(ErrorCode::RateLimited).retry_after(retry_after)
}

/// The answer to a request a governor limiter refused, with the wait it named.
pub(crate) fn refused_until(
    not_until: governor::NotUntil<<DefaultClock as governor::clock::Clock>::Instant>,
) -> Error {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    rate_limited(wait.as_secs() + 1)
}

impl Limiter {
    /// The limiter; with `shared` counts (PostgreSQL, `rate_limit.shared`), every
    /// request is counted in the database instead.
    pub fn new(
        limits: &RateLimit,
        trusted_header: Option<String>,
        shared: Option<(Arc<dyn SharedCounts>, Arc<dyn Clock>)>,
    ) -> Self {
        let per_minute = NonZeroU32::new(limits.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Limiter {
            register: RateLimiter::keyed(quota),
            authenticate: RateLimiter::keyed(quota),
            manage: RateLimiter::keyed(quota),
            recover: RateLimiter::keyed(quota),
            trusted_header,
            shared: shared.map(|(counts, clock)| Shared {
                counts,
                clock,
                budget: i64::from(limits.per_minute.max(limits.burst)),
            }),
        }
    }

    /// The client's key: the peer address, or the trusted proxy header's when configured.
    /// IPv6 addresses are keyed by their /64, which one client usually holds whole.
    ///
    /// With a trusted header, the address is the last entry of its last line: a proxy
    /// appends the address it saw (as a new line, like HAProxy, or at the end of the
    /// existing one, like nginx), and everything before it came from the client. A
    /// request without the header (one that did not pass the proxy) is keyed by its
    /// peer; one whose header the proxy filled with something that is not an address is
    /// refused, never keyed by the proxy's own address (which every client shares).
    pub fn client(&self, request: &Request<'_>) -> Result<Option<IpAddr>, Error> {
        let ip = match &self.trusted_header {
            Some(name) => match request.headers().get(name).last() {
                Some(line) => {
                    let last = line.rsplit(',').next().unwrap_or_default();
                    let Some(ip) = parse_address(last) else {
                        log::error!(
                            "passkeys: the trusted proxy header `{name}` ends with {:?}, \
                             which is not an IP address",
                            last.chars().take(64).collect::<String>()
                        );
                        return Err(Error::invalid(
                            "The client address reported by the proxy could not be read.",
                        ));
                    };
                    Some(ip)
                }
                None => request.remote().map(|r| r.ip()),
            },
            None => request.remote().map(|r| r.ip()),
        };
        let Some(ip) = ip else { return Ok(None) };
        Ok(Some(match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let mut segments = v6.segments();
                    segments[4..].fill(0);
                    IpAddr::V6(segments.into())
                }
            },
            v4 => v4,
        }))
    }

    /// Admits a request of this kind from this client, or answers 429 with
    /// `Retry-After`.
    pub async fn admit(&self, action: Action, client: Option<IpAddr>) -> Result<(), Error> {
        let admitted = self.counted(action, client).await;
        if admitted
            .as_ref()
            .is_err_and(|e| e.code() == ErrorCode::RateLimited)
        {
            crate::measure::rate_limited(action.name());
        }
        admitted
    }

    async fn counted(&self, action: Action, client: Option<IpAddr>) -> Result<(), Error> {
        let Some(shared) = &self.shared else {
            return self.check(action, client);
        };
        let now = shared.clock.now();
        let window = now - now.rem_euclid(60);
        let client = client.map(|c| c.to_string()).unwrap_or_default();
        let key = format!("{}:{client}", action.name());
        let count = shared.counts.count_request(&key, window).await?;
        if count > shared.budget {
            Err(rate_limited((window + 60 - now).max(1) as u64))
        } else {
            Ok(())
        }
    }

    fn check(&self, action: Action, client: Option<IpAddr>) -> Result<(), Error> {
        let limiter = match action {
            Action::Register => &self.register,
            Action::Authenticate => &self.authenticate,
            Action::Manage => &self.manage,
            Action::Recover => &self.recover,
        };
        // A request without a peer address (a local test client) shares one budget.
        let key = client.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        limiter.check_key(&key).map_err(refused_until)
    }

    /// Forgets clients that are back to a full budget, so the maps stay small, and the
    /// shared counts of minutes past.
    pub async fn clean(&self, now: i64) -> Result<(), Error> {
        for limiter in [
            &self.register,
            &self.authenticate,
            &self.manage,
            &self.recover,
        ] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(shared) = &self.shared {
            shared.counts.purge_requests(now - 120).await?;
        }
        Ok(())
    }

    /// How many clients are tracked, across actions.
    pub fn len(&self) -> usize {
        self.register.len() + self.authenticate.len() + self.manage.len() + self.recover.len()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_address;

    #[test]
    fn addresses_as_proxies_write_them() {
        for (text, ip) in [
            ("203.0.113.7", "203.0.113.7"),
            (" 203.0.113.7 ", "203.0.113.7"),
            ("203.0.113.7:5678", "203.0.113.7"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
        ] {
            assert_eq!(parse_address(text), ip.parse().ok(), "{text}");
        }
        for text in [
            "",
            "unknown",
            "_hidden",
            "203.0.113",
            "evil.example",
            "[::1",
        ] {
            assert_eq!(parse_address(text), None, "{text}");
        }
    }
}
