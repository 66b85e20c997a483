//! A small HTTP/1.1 client on hyper's connection API: one keep-alive connection per
//! worker, and a cookie jar per simulated browser.

use std::net::{Ipv4Addr, SocketAddr};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderName, CONTENT_TYPE, COOKIE, HOST, ORIGIN, SET_COOKIE};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One keep-alive connection to the server under test.
pub struct Conn {
    addr: SocketAddr,
    host: String,
    origin: String,
    sender: SendRequest<Full<Bytes>>,
}

/// A response, read whole.
pub struct Response {
    pub status: u16,
    pub body: Bytes,
    /// The raw `Set-Cookie` header values.
    pub set_cookies: Vec<String>,
}

async fn handshake(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

impl Conn {
    /// Connects to `127.0.0.1:port`, presenting itself as `http://localhost:port`.
    pub async fn connect(port: u16) -> Result<Conn, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Ok(Conn {
            addr,
            host: format!("localhost:{port}"),
            origin: format!("http://localhost:{port}"),
            sender: handshake(addr).await?,
        })
    }

    /// GETs a path (no cookies, no `Origin`): the server's `/metrics`.
    pub async fn get(&mut self, path: &str) -> Result<Response, String> {
        if self.sender.ready().await.is_err() || self.sender.is_closed() {
            self.sender = handshake(self.addr).await?;
        }
        let request = Request::builder()
            .method("GET")
            .uri(path)
            .header(HOST, &self.host)
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("GET {path}: body: {e}"))?
            .to_bytes();
        Ok(Response {
            status: parts.status.as_u16(),
            body,
            set_cookies: Vec::new(),
        })
    }

    /// POSTs a JSON body with the jar's cookies, and files the answer's cookies in it.
    /// `client` is the browser's address, sent as `X-Real-IP` (the crate trusts it as a
    /// reverse proxy's header, so each simulated browser has its own rate-limit key).
    pub async fn post(
        &mut self,
        path: &str,
        body: Vec<u8>,
        jar: Option<&mut Jar>,
        client: Option<Ipv4Addr>,
    ) -> Result<Response, String> {
        // The server may close an idle keep-alive connection: reconnect once.
        if self.sender.ready().await.is_err() || self.sender.is_closed() {
            self.sender = handshake(self.addr).await?;
        }
        let mut request = Request::builder()
            .method("POST")
            .uri(path)
            .header(HOST, &self.host)
            .header(ORIGIN, &self.origin)
            .header(CONTENT_TYPE, "application/json");
        // The browser's own address, as a trusted proxy would report it; none: the
        // connection's (every browser then shares the load tool's one address).
        if let Some(client) = client {
            request = request.header(HeaderName::from_static("x-real-ip"), client.to_string());
        }
        if let Some(cookies) = jar.as_ref().and_then(|jar| jar.header()) {
            request = request.header(COOKIE, cookies);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("POST {path}: body: {e}"))?
            .to_bytes();
        let set_cookies: Vec<String> = parts
            .headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        if let Some(jar) = jar {
            for header in &set_cookies {
                jar.file(header);
            }
        }
        Ok(Response {
            status: parts.status.as_u16(),
            body,
            set_cookies,
        })
    }
}

/// A browser's cookies: every cookie this tool meets is scoped to `/` or the mount, and
/// every request goes under the mount, so all of them are sent back. Values are sent
/// back exactly as received (they may be percent-encoded).
#[derive(Default)]
pub struct Jar {
    cookies: Vec<(String, String)>,
}

/// The name and value of a `Set-Cookie` header, and whether it deletes the cookie.
pub fn parse_set_cookie(header: &str) -> Option<(&str, &str, bool)> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    let removal = value.is_empty()
        || parts.any(|attr| {
            let attr = attr.trim();
            attr.len() > 8
                && attr[..8].eq_ignore_ascii_case("max-age=")
                && attr[8..].trim().parse::<i64>().is_ok_and(|age| age <= 0)
        });
    Some((name, value, removal))
}

impl Jar {
    fn file(&mut self, header: &str) {
        let Some((name, value, removal)) = parse_set_cookie(header) else {
            return;
        };
        self.cookies.retain(|(n, _)| n != name);
        if !removal {
            self.cookies.push((name.to_string(), value.to_string()));
        }
    }

    fn header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        Some(pairs.join("; "))
    }
}
