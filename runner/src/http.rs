//! The `http` probe: a minimal HTTP/1.1 client over `std::net::TcpStream`.
//!
//! One request per probe, `Connection: close`, no redirects followed, no
//! request body. The response body is read by `Content-Length`, by chunked
//! transfer coding, or to the end of the connection, and is cut at
//! [`BODY_LIMIT`]. Header names come back lower-case; repeated headers are
//! joined with `, `. `timeout_ms` bounds the whole exchange after name
//! resolution (connect, write, every read).
//!
//! `https://` is refused with a clear error: there is no TLS in the runner yet.
//!
//! Invariant: errors start with `http <METHOD> <url>:`; header values (which may
//! be secrets) never appear in them.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use froyo_runner_protocol::HttpResponse;

/// The most body kept; the rest is not read.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The most bytes of status line and headers accepted.
const HEAD_LIMIT: usize = 64 * 1024;

pub fn request(
    url: &str,
    method: &str,
    headers: &BTreeMap<String, String>,
    timeout_ms: u64,
) -> Result<HttpResponse, String> {
    let timeout = Duration::from_millis(timeout_ms.max(1));
    exchange(url, method, headers, timeout)
        .map_err(|message| format!("http {method} {url}: {message}"))
}

/// The parts of an `http://` URL the request needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// As written, for the `Host` header.
    pub authority: String,
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

pub fn parse_url(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url.split_once("://").ok_or("not an absolute URL")?;
    if scheme.eq_ignore_ascii_case("https") {
        return Err("https probes are not supported by the runner yet".to_owned());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(format!("unsupported URL scheme `{scheme}` (only http:// is)"));
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return Err(
            "credentials in URLs are not supported; send an Authorization header".to_owned()
        );
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("unclosed `[` in the host")?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("garbage after `]` in the host")?),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".to_owned());
    }
    let port = match port {
        None | Some("") => 80,
        Some(port) => port.parse().map_err(|_| format!("bad port `{port}`"))?,
    };
    let path = if path.is_empty() {
        "/".to_owned()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    if path.bytes().any(|byte| byte.is_ascii_control() || byte == b' ') {
        return Err("the path contains spaces or control characters".to_owned());
    }
    Ok(Target { authority: authority.to_owned(), host: host.to_owned(), port, path })
}

fn exchange(
    url: &str,
    method: &str,
    headers: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<HttpResponse, String> {
    let target = parse_url(url)?;
    if method.is_empty() || !method.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    {
        return Err("the method is not a token".to_owned());
    }
    for (name, value) in headers {
        let bad_name = name.is_empty()
            || !name
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte));
        if bad_name {
            return Err(format!("bad request header name `{}`", name.escape_debug()));
        }
        if value.bytes().any(|byte| byte == b'\r' || byte == b'\n' || byte == 0) {
            return Err(format!("the value of request header `{name}` contains a line break"));
        }
    }

    let addresses: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|error| format!("resolve {}: {error}", target.host))?
        .collect();
    let deadline = Instant::now() + timeout;
    let stream = connect(&addresses, deadline, timeout)?;

    let head = request_head(method, &target, headers);
    let mut stream = Deadline { stream, deadline, timeout };
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|error| stream.describe(&error, "send the request"))?;

    let mut reader = BufReader::new(stream);
    read_response(&mut reader, method)
        .map_err(|error| reader.get_ref().describe(&error, "read the response"))
}

fn connect(
    addresses: &[SocketAddr],
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream, String> {
    let mut last_error = None;
    for address in addresses {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(format!("timed out after {} ms (connect)", timeout.as_millis()));
        }
        match TcpStream::connect_timeout(address, remaining) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(format!("connect to {address}: {error}")),
        }
    }
    Err(last_error.unwrap_or_else(|| "the host resolved to no address".to_owned()))
}

/// A stream whose every read and write must finish before one deadline.
struct Deadline {
    stream: TcpStream,
    deadline: Instant,
    timeout: Duration,
}

impl Deadline {
    fn remaining(&self) -> io::Result<Duration> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() { Err(io::ErrorKind::TimedOut.into()) } else { Ok(remaining) }
    }

    fn describe(&self, error: &io::Error, doing: &str) -> String {
        match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                format!("timed out after {} ms ({doing})", self.timeout.as_millis())
            }
            _ => format!("{doing}: {error}"),
        }
    }
}

impl Read for Deadline {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let remaining = self.remaining()?;
        self.stream.set_read_timeout(Some(remaining))?;
        self.stream.read(buffer)
    }
}

impl Write for Deadline {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let remaining = self.remaining()?;
        self.stream.set_write_timeout(Some(remaining))?;
        self.stream.write(buffer)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// The request line and headers. A `Host` header given replaces the URL's
/// authority (to ask a name-based virtual host through `localhost`); the
/// connection is always closed after one exchange.
fn request_head(method: &str, target: &Target, headers: &BTreeMap<String, String>) -> String {
    let given = |header: &str| {
        headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(header)).map(|(_, value)| value)
    };
    let host = given("host").map_or(target.authority.as_str(), String::as_str);
    let mut head = format!("{method} {} HTTP/1.1\r\nHost: {host}\r\n", target.path);
    if given("user-agent").is_none() {
        head.push_str(concat!("User-Agent: froyo-runner/", env!("CARGO_PKG_VERSION"), "\r\n"));
    }
    if given("accept").is_none() {
        head.push_str("Accept: */*\r\n");
    }
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("connection") {
            continue;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    head
}

/// Reads the status line, headers and body (after skipping `1xx` answers).
pub fn read_response(reader: &mut impl BufRead, method: &str) -> io::Result<HttpResponse> {
    let mut head_bytes = 0;
    loop {
        let status_line = read_line(reader, &mut head_bytes)?;
        if status_line.is_empty() {
            return Err(invalid("the server closed the connection without answering"));
        }
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if !version.starts_with("HTTP/") {
            return Err(invalid(format!(
                "not an HTTP status line: {:?}",
                truncate(&status_line, 80)
            )));
        }
        let status: u16 = parts
            .next()
            .and_then(|code| code.parse().ok())
            .filter(|code| (100..1000).contains(code))
            .ok_or_else(|| invalid(format!("bad status line {:?}", truncate(&status_line, 80))))?;
        let mut headers = BTreeMap::<String, String>::new();
        loop {
            let line = read_line(reader, &mut head_bytes)?;
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(invalid(format!("bad header line {:?}", truncate(&line, 80))));
            };
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            headers
                .entry(name)
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let no_body =
            method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304 || status < 200;
        let body = if no_body {
            Vec::new()
        } else if headers
            .get("transfer-encoding")
            .is_some_and(|coding| coding.to_ascii_lowercase().contains("chunked"))
        {
            read_chunked(reader)?
        } else if let Some(length) = headers.get("content-length") {
            let length: u64 = length
                .split(',')
                .next()
                .and_then(|first| first.trim().parse().ok())
                .ok_or_else(|| invalid(format!("bad Content-Length {length:?}")))?;
            read_exact_capped(reader, length)?
        } else {
            let mut body = Vec::new();
            reader.take(BODY_LIMIT as u64).read_to_end(&mut body)?;
            body
        };
        return Ok(HttpResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
}

/// One CRLF- (or LF-) terminated line without its terminator; empty at end of stream.
fn read_line(reader: &mut impl BufRead, head_bytes: &mut usize) -> io::Result<String> {
    let mut line = Vec::new();
    let limit = HEAD_LIMIT.saturating_sub(*head_bytes) as u64 + 1;
    reader.take(limit).read_until(b'\n', &mut line)?;
    *head_bytes += line.len();
    if *head_bytes > HEAD_LIMIT {
        return Err(invalid(format!("the response head is larger than {HEAD_LIMIT} bytes")));
    }
    while line.last().is_some_and(|byte| *byte == b'\n' || *byte == b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_exact_capped(reader: &mut impl BufRead, length: u64) -> io::Result<Vec<u8>> {
    let wanted = length.min(BODY_LIMIT as u64);
    let mut body = Vec::new();
    reader.take(wanted).read_to_end(&mut body)?;
    if (body.len() as u64) < wanted {
        return Err(invalid(format!("the body ended after {} of {length} bytes", body.len())));
    }
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line_bytes = 0;
    loop {
        line_bytes = line_bytes.min(HEAD_LIMIT / 2);
        let size_line = read_line(reader, &mut line_bytes)?;
        let size_text = size_line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size {:?}", truncate(&size_line, 40))))?;
        if size == 0 {
            // Trailers, up to the empty line (or the end of the connection).
            loop {
                if read_line(reader, &mut line_bytes)?.is_empty() {
                    return Ok(body);
                }
            }
        }
        let room = (BODY_LIMIT - body.len()) as u64;
        let before = body.len();
        reader.take(size.min(room)).read_to_end(&mut body)?;
        if ((body.len() - before) as u64) < size.min(room) {
            return Err(invalid("the body ended inside a chunk"));
        }
        if size > room {
            // The limit is reached; the rest is not read (the connection closes).
            return Ok(body);
        }
        read_line(reader, &mut line_bytes)?;
    }
}

fn truncate(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn urls() {
        let parsed = [
            "http://example.com",
            "http://127.0.0.1:8080/a/b?c=d#frag",
            "HTTP://[::1]:9/x",
            "http://h?q",
        ]
        .map(|url| {
            parse_url(url).map(|t| format!("{} {} {} {}", t.authority, t.host, t.port, t.path))
        });
        expect![[r#"
            [
                Ok(
                    "example.com example.com 80 /",
                ),
                Ok(
                    "127.0.0.1:8080 127.0.0.1 8080 /a/b?c=d",
                ),
                Ok(
                    "[::1]:9 ::1 9 /x",
                ),
                Ok(
                    "h h 80 /?q",
                ),
            ]
        "#]]
        .assert_debug_eq(&parsed);
        let refused = [
            "https://example.com/",
            "ftp://x/",
            "example.com",
            "http://u:p@h/",
            "http://h:99999/",
            "http:///x",
        ]
        .map(parse_url);
        expect![[r#"
            [
                Err(
                    "https probes are not supported by the runner yet",
                ),
                Err(
                    "unsupported URL scheme `ftp` (only http:// is)",
                ),
                Err(
                    "not an absolute URL",
                ),
                Err(
                    "credentials in URLs are not supported; send an Authorization header",
                ),
                Err(
                    "bad port `99999`",
                ),
                Err(
                    "the URL has no host",
                ),
            ]
        "#]]
        .assert_debug_eq(&refused);
    }

    #[test]
    fn a_host_header_given_replaces_the_authority() {
        let target = parse_url("http://localhost:8080/x").unwrap();
        let headers = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
        };
        let plain = request_head("GET", &target, &headers(&[("X-Token", "t")]));
        expect![[r#"
            "GET /x HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: froyo-runner/0.1.0\r\nAccept: */*\r\nX-Token: t\r\nConnection: close\r\n\r\n"
        "#]]
        .assert_debug_eq(&plain);
        let named = request_head(
            "HEAD",
            &target,
            &headers(&[("host", "www.example.com"), ("Accept", "text/html"), ("Connection", "x")]),
        );
        expect![[r#"
            "HEAD /x HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: froyo-runner/0.1.0\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
        "#]]
        .assert_debug_eq(&named);
    }

    fn parse(raw: &str) -> io::Result<HttpResponse> {
        read_response(&mut io::Cursor::new(raw.as_bytes().to_vec()), "GET")
    }

    #[test]
    fn bodies() {
        let chunked = parse(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n\
             5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: t\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.status, 200);
        assert_eq!(chunked.body, "hello, world");
        assert_eq!(chunked.headers["x-a"], "1, 2");
        let sized = parse("HTTP/1.0 404 Not Found\nContent-Length: 3\n\nabcdef").unwrap();
        assert_eq!((sized.status, sized.body.as_str()), (404, "abc"));
        let until_close = parse("HTTP/1.1 200 OK\r\n\r\nall of it").unwrap();
        assert_eq!(until_close.body, "all of it");
        let short = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").unwrap_err();
        assert_eq!(short.to_string(), "the body ended after 3 of 10 bytes");
        assert!(parse("").is_err());
        assert!(parse("SSH-2.0-OpenSSH\r\n").is_err());
        assert!(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
    }

    #[test]
    fn body_is_capped() {
        let big = "x".repeat(BODY_LIMIT + 10);
        let raw = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{big}", big.len());
        assert_eq!(parse(&raw).unwrap().body.len(), BODY_LIMIT);
        let raw = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
            big.len()
        );
        assert_eq!(parse(&raw).unwrap().body.len(), BODY_LIMIT);
    }
}
