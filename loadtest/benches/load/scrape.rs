//! The crate server's own counts: `GET /metrics` (the Prometheus text format) scraped
//! before, mid-way and after each phase, and its deltas compared with what the load tool
//! itself sent and saw.
//!
//! The tool counts, per ceremony kind (`register`, `authenticate`): each start and finish
//! answered 200 (the server counts it started or finished before it answers), each other
//! answer by the error code in its body (`{"error": code}`: the server counts it failed
//! with that reason), each finish that set a session cookie (a session opened by
//! passkey), each sign-in finish answered 200 (one sample of the sign-in duration), each
//! `rate_limited` answer, and every request it sent. The tool sends nothing else to the
//! server during a phase (no page loads, no sign-outs), so the deltas must be equal.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};

use crate::client::Conn;

pub const STARTED: &str = "passkeys_ceremonies_started_total";
pub const FINISHED: &str = "passkeys_ceremonies_finished_total";
pub const FAILED: &str = "passkeys_ceremonies_failed_total";
pub const SESSIONS_OPENED: &str = "passkeys_sessions_opened_total";
pub const RATE_LIMITED: &str = "passkeys_requests_rate_limited_total";
/// The sign-in duration's sample count (a summary's or a histogram's `_count`).
pub const SIGN_IN_COUNT: &str = "passkeys_sign_in_duration_seconds_count";
/// Every series of these names is compared: one the tool did not expect to move must not.
const COMPARED: [&str; 6] = [
    STARTED,
    FINISHED,
    FAILED,
    SESSIONS_OPENED,
    SIGN_IN_COUNT,
    RATE_LIMITED,
];
/// The derived row per kind: started + finished + failed, against the requests sent.
const REQUESTS: &str = "requests";

/// A series' key: its name and its labels sorted by name, `name{a="x",b="y"}`.
pub fn series(name: &str, labels: &[(&str, &str)]) -> String {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.sort();
    key(name, &labels)
}

fn key(name: &str, labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{name}{{{}}}", inner.join(","))
}

/// One line of the exposition: a name, its labels, a value.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// One scrape, by series key.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub series: BTreeMap<String, Series>,
}

impl Sample {
    fn value(&self, key: &str) -> f64 {
        self.series.get(key).map_or(0.0, |s| s.value)
    }

    /// The sum of the values of these names whose label `kind` is `kind`.
    fn kind_total(&self, names: &[&str], kind: &str) -> f64 {
        self.series
            .values()
            .filter(|s| {
                names.contains(&s.name.as_str())
                    && s.labels.get("kind").map(String::as_str) == Some(kind)
            })
            .map(|s| s.value)
            .sum()
    }

    /// Ceremony requests counted, of every kind: started + finished + failed.
    fn ceremony_requests(&self) -> f64 {
        self.series
            .values()
            .filter(|s| [STARTED, FINISHED, FAILED].contains(&s.name.as_str()))
            .map(|s| s.value)
            .sum()
    }
}

/// Parses the Prometheus text format: `name{label="value",...} value [timestamp]` lines;
/// `#` lines (HELP, TYPE) and blank lines are skipped.
pub fn parse(text: &str) -> Result<Sample, String> {
    let mut sample = Sample::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let series = parse_line(line).map_err(|e| format!("line {}: {e}: {line}", n + 1))?;
        let labels: Vec<(String, String)> = series
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        sample.series.insert(key(&series.name, &labels), series);
    }
    Ok(sample)
}

fn parse_line(line: &str) -> Result<Series, String> {
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("no value")?;
    let name = &line[..name_end];
    if name.is_empty() {
        return Err("no name".into());
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(inside) = rest.strip_prefix('{') {
        let mut chars = inside.char_indices().peekable();
        let end = loop {
            // Skip separators, then read `label="value"` or the closing brace.
            while let Some(&(_, c)) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    chars.next();
                } else {
                    break;
                }
            }
            let Some((start, c)) = chars.next() else {
                return Err("unclosed labels".into());
            };
            if c == '}' {
                break start + 1;
            }
            let mut label_end = start;
            let mut found = false;
            for (i, c) in chars.by_ref() {
                if c == '=' {
                    label_end = i;
                    found = true;
                    break;
                }
            }
            if !found {
                return Err("a label without a value".into());
            }
            let label = inside[start..label_end].trim().to_string();
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("label {label}: value not quoted"));
            }
            let mut value = String::new();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => match chars.next().map(|(_, c)| c) {
                        Some('n') => value.push('\n'),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => value.push(c),
                }
            }
            if !closed {
                return Err(format!("label {label}: unclosed value"));
            }
            labels.insert(label, value);
        };
        rest = &inside[end..];
    }
    let value = rest.split_whitespace().next().ok_or("no value")?;
    let value = match value {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|e| format!("value {v}: {e}"))?,
    };
    Ok(Series {
        name: name.to_string(),
        labels,
        value,
    })
}

/// One `GET /metrics` on a new loopback connection; answers the sample and how long the
/// request took, in milliseconds.
pub async fn scrape(port: u16) -> Result<(Sample, f64), String> {
    let began = Instant::now();
    let mut conn = Conn::connect(port).await?;
    let answer = conn.get("/metrics").await?;
    let millis = began.elapsed().as_secs_f64() * 1e3;
    if answer.status != 200 {
        return Err(format!("GET /metrics answered {}", answer.status));
    }
    let text = std::str::from_utf8(&answer.body).map_err(|e| format!("/metrics: {e}"))?;
    // A server that has counted nothing yet answers no series: every count is zero.
    Ok((parse(text)?, millis))
}

/// What the load tool sent and saw in one phase, as the series deltas it expects.
#[derive(Default, Clone, Debug)]
pub struct Tally {
    /// Series key -> the delta the tool expects.
    pub expected: BTreeMap<String, u64>,
    /// Ceremony kind -> requests sent (starts and finishes).
    pub sent: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, key: String) {
        *self.expected.entry(key).or_default() += 1;
    }

    pub fn sent(&mut self, kind: &str) {
        *self.sent.entry(kind.to_string()).or_default() += 1;
    }

    /// A start answered 200.
    pub fn started(&mut self, kind: &str) {
        self.add(series(STARTED, &[("kind", kind)]));
    }

    /// A finish answered 200, which set a session cookie or not.
    pub fn finished(&mut self, kind: &str, session: bool) {
        self.add(series(FINISHED, &[("kind", kind)]));
        if kind == "authenticate" {
            self.add(SIGN_IN_COUNT.to_string());
        }
        if session {
            self.add(series(SESSIONS_OPENED, &[("method", "passkey")]));
        }
    }

    /// A start or finish answered with an error: its code from the body (`{"error":
    /// code}`), else `http-<status>`, which the server never counts.
    pub fn failed(&mut self, kind: &str, status: u16, body: &[u8]) {
        let code = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("http-{status}"));
        self.add(series(FAILED, &[("kind", kind), ("reason", &code)]));
        if code == "rate_limited" {
            self.add(series(RATE_LIMITED, &[("action", kind)]));
        }
    }

    /// A request that got no answer: the server may or may not have counted it, so it
    /// is expected under a reason the server never uses (and shows as a mismatch).
    pub fn unanswered(&mut self, kind: &str) {
        self.add(series(FAILED, &[("kind", kind), ("reason", "no-answer")]));
    }

    pub fn merge(&mut self, other: Tally) {
        for (key, n) in other.expected {
            *self.expected.entry(key).or_default() += n;
        }
        for (kind, n) in other.sent {
            *self.sent.entry(kind).or_default() += n;
        }
    }

    fn requests_key(kind: &str) -> String {
        series(REQUESTS, &[("kind", kind)])
    }
}

/// One compared series: the delta of the server's count and the tool's.
#[derive(Clone, Debug)]
pub struct Row {
    pub series: String,
    pub metrics: f64,
    pub tool: u64,
}

impl Row {
    pub fn matches(&self) -> bool {
        self.metrics == self.tool as f64
    }
}

/// The scrape mid-way through a phase: the server's count of ceremony requests
/// (started + finished + failed, since the phase began) must lie between the answers the
/// tool had received when it sent the scrape and those it had received when the scrape
/// came back plus the requests then in flight (at most one per connection).
#[derive(Clone, Debug)]
pub struct Mid {
    pub answered_before: u64,
    pub answered_after: u64,
    pub in_flight: u64,
    pub counted: f64,
    pub millis: f64,
    /// Every compared series between its value before and after the phase.
    pub monotonic: bool,
    /// Whether the phase was still running when the scrape came back.
    pub under_load: bool,
}

impl Mid {
    pub fn holds(&self) -> bool {
        self.monotonic
            && self.counted >= self.answered_before as f64
            && self.counted <= (self.answered_after + self.in_flight) as f64
    }
}

/// The comparison for one phase.
#[derive(Clone, Debug)]
pub struct Check {
    pub label: String,
    pub rows: Vec<Row>,
    pub mid: Option<Mid>,
    pub errors: Vec<String>,
    /// Milliseconds of each scrape: before, mid-way, after.
    pub scrape_ms: Vec<f64>,
}

impl Check {
    pub fn holds(&self) -> bool {
        self.errors.is_empty()
            && !self.rows.is_empty()
            && self.rows.iter().all(Row::matches)
            && self.mid.as_ref().is_some_and(Mid::holds)
    }

    /// What does not match, for the failure message.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.errors.clone();
        for row in self.rows.iter().filter(|r| !r.matches()) {
            out.push(format!(
                "{}: metrics {} vs load tool {}",
                row.series, row.metrics, row.tool
            ));
        }
        match &self.mid {
            None if self.errors.is_empty() => out.push("no mid-way scrape".into()),
            Some(mid) if !mid.holds() => out.push(format!(
                "mid-way scrape: {} ceremony requests counted, outside [{}, {} + {} in \
                 flight]{}",
                mid.counted,
                mid.answered_before,
                mid.answered_after,
                mid.in_flight,
                if mid.monotonic {
                    ""
                } else {
                    "; a series outside its before..after range"
                }
            )),
            _ => {}
        }
        out
    }

    /// One line for people: `started{register} 32/32, ...` (metrics/tool).
    pub fn line(&self) -> String {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{} {}/{}{}",
                    short(&r.series),
                    r.metrics,
                    r.tool,
                    if r.matches() { "" } else { " MISMATCH" }
                )
            })
            .collect();
        let mid = match &self.mid {
            Some(m) => format!(
                "mid-way: {} counted, tool {}..{} (+{} in flight){}{}",
                m.counted,
                m.answered_before,
                m.answered_after,
                m.in_flight,
                if m.under_load { "" } else { " after the phase" },
                if m.holds() { "" } else { " MISMATCH" }
            ),
            None => "no mid-way scrape".into(),
        };
        let ms: Vec<String> = self.scrape_ms.iter().map(|m| format!("{m:.1}")).collect();
        let mut line = format!(
            "{:<5} {} | {} | {} | scrapes {} ms",
            if self.holds() { "match" } else { "MISMATCH" },
            self.label,
            rows.join(", "),
            mid,
            ms.join("/")
        );
        for e in &self.errors {
            let _ = std::fmt::Write::write_fmt(&mut line, format_args!(" | ERROR {e}"));
        }
        line
    }

    pub fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "series": r.series,
                    "metrics": r.metrics,
                    "load_tool": r.tool,
                    "match": r.matches(),
                })
            })
            .collect();
        json!({
            "phase": self.label,
            "match": self.holds(),
            "rows": rows,
            "mid_phase": self.mid.as_ref().map(|m| json!({
                "counted": m.counted,
                "answered_before": m.answered_before,
                "answered_after": m.answered_after,
                "in_flight_max": m.in_flight,
                "monotonic": m.monotonic,
                "under_load": m.under_load,
                "ms": (m.millis * 10.0).round() / 10.0,
                "holds": m.holds(),
            })),
            "scrape_ms": self.scrape_ms.iter().map(|m| (m * 10.0).round() / 10.0).collect::<Vec<_>>(),
            "errors": self.errors,
        })
    }
}

/// `passkeys_ceremonies_started_total{kind="register"}` -> `started{register}`.
fn short(key: &str) -> String {
    let (name, labels) = key.split_once('{').unwrap_or((key, ""));
    let name = name
        .trim_start_matches("passkeys_")
        .trim_start_matches("ceremonies_")
        .trim_start_matches("requests_")
        .trim_end_matches("_total");
    let values: Vec<&str> = labels
        .trim_end_matches('}')
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(_, v)| v.trim_matches('"'))
        .collect();
    if values.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", values.join(","))
    }
}

/// The server's deltas against the tool's tally, every compared series that moved on
/// either side, then `requests{kind}`: started + finished + failed against sent.
pub fn compare(before: &Sample, after: &Sample, tally: &Tally) -> Vec<Row> {
    let mut deltas: BTreeMap<String, f64> = BTreeMap::new();
    for (key, s) in after.series.iter().chain(before.series.iter()) {
        if COMPARED.contains(&s.name.as_str()) && !deltas.contains_key(key) {
            deltas.insert(key.clone(), after.value(key) - before.value(key));
        }
    }
    let mut keys: Vec<&String> = deltas.keys().chain(tally.expected.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut rows: Vec<Row> = keys
        .into_iter()
        .map(|key| Row {
            series: key.clone(),
            metrics: deltas.get(key).copied().unwrap_or(0.0),
            tool: tally.expected.get(key).copied().unwrap_or(0),
        })
        .filter(|r| r.metrics != 0.0 || r.tool != 0)
        .collect();
    // Kinds either side saw.
    let mut kinds: Vec<String> = tally.sent.keys().cloned().collect();
    for s in after.series.values() {
        if let Some(kind) = s.labels.get("kind") {
            if !kinds.contains(kind) {
                kinds.push(kind.clone());
            }
        }
    }
    kinds.sort();
    for kind in kinds {
        let names = [STARTED, FINISHED, FAILED];
        let counted = after.kind_total(&names, &kind) - before.kind_total(&names, &kind);
        let sent = tally.sent.get(&kind).copied().unwrap_or(0);
        if counted != 0.0 || sent != 0 {
            rows.push(Row {
                series: Tally::requests_key(&kind),
                metrics: counted,
                tool: sent,
            });
        }
    }
    rows
}

/// The mid-way scrape's checks against the scrapes before and after the phase.
pub fn mid_check(
    before: &Sample,
    mid: &Sample,
    after: &Sample,
    answered: (u64, u64),
    in_flight: u64,
    millis: f64,
    under_load: bool,
) -> Mid {
    let monotonic = mid
        .series
        .iter()
        .chain(after.series.iter())
        .filter(|(_, s)| COMPARED.contains(&s.name.as_str()))
        .all(|(key, _)| {
            let (b, m, a) = (before.value(key), mid.value(key), after.value(key));
            b <= m && m <= a
        });
    Mid {
        answered_before: answered.0,
        answered_after: answered.1,
        in_flight,
        counted: mid.ceremony_requests() - before.ceremony_requests(),
        millis,
        monotonic,
        under_load,
    }
}
