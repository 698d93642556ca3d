//! The stdio framing in front of `tower-lsp-server`.
//!
//! tower-lsp-server answers a malformed message with a JSON-RPC error, but
//! the framed reader under it ends the input stream after any decoding
//! error, so one bad message from a client stopped the server. Here every
//! message is framed and checked first: a well-formed one is passed on
//! unchanged; a malformed one (headers without `Content-Length`, a body that
//! is not UTF-8 JSON, JSON that is not a JSON-RPC message, a body larger than
//! [`MAX_MESSAGE_BYTES`]) is answered here with `-32700 Parse error` or
//! `-32600 Invalid request` and dropped, and the server goes on.
//!
//! The server's own output goes through a channel to one writer, together
//! with those answers: the server writes whole messages per write, so they
//! never interleave.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::jsonrpc::{Request, Response};

/// The largest message accepted (a whole workspace file fits many times over).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// The longest header block read before giving up on it.
const MAX_HEADER_BYTES: usize = 8 << 10;

/// Writes whatever it is given to a channel, whole.
pub(crate) struct ChannelWriter(pub(crate) UnboundedSender<Vec<u8>>);

impl AsyncWrite for ChannelWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(match self.0.send(buf.to_vec()) {
            Ok(()) => Ok(buf.len()),
            Err(_) => Err(std::io::ErrorKind::BrokenPipe.into()),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Copies the channel to `output`, flushing after each message, until every sender is gone.
pub(crate) async fn write_all<O: AsyncWrite>(
    output: O,
    mut messages: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut output = std::pin::pin!(output);
    while let Some(bytes) = messages.recv().await {
        if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

/// Reads framed messages from `input`, passes the well-formed ones to
/// `server`, and answers the others on `answers`. Returns at the end of
/// `input` (dropping `server`, which ends the server's input too).
pub(crate) async fn filter<I, S>(input: I, mut server: S, answers: UnboundedSender<Vec<u8>>)
where
    I: AsyncRead + Unpin,
    S: AsyncWrite + Unpin,
{
    let mut input = input;
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        // The header block.
        let header_end = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end;
            }
            if buffer.len() > MAX_HEADER_BYTES {
                answer(&answers, None, -32700, "Parse error: headers too long");
                buffer.clear();
            }
            match input.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        };
        let length = content_length(&buffer[..header_end]);
        buffer.drain(..header_end + 4);
        let Some(length) = length else {
            answer(&answers, None, -32700, "Parse error: no valid Content-Length header");
            continue;
        };
        // The body, or (too large) bytes to skip.
        let keep = length <= MAX_MESSAGE_BYTES;
        let mut remaining = length;
        let mut body = Vec::new();
        loop {
            let take = remaining.min(buffer.len());
            if keep {
                body.extend_from_slice(&buffer[..take]);
            }
            buffer.drain(..take);
            remaining -= take;
            if remaining == 0 {
                break;
            }
            match input.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        if !keep {
            answer(&answers, None, -32700, "Parse error: the message is too large");
            continue;
        }
        match check(&body) {
            Ok(()) => {
                let header = format!("Content-Length: {}\r\n\r\n", body.len());
                let sent = async {
                    server.write_all(header.as_bytes()).await?;
                    server.write_all(&body).await?;
                    server.flush().await
                };
                if sent.await.is_err() {
                    return;
                }
            }
            Err((id, code, message)) => answer(&answers, id, code, message),
        }
    }
}

/// Whether `body` is a JSON-RPC message the server can decode; otherwise
/// the id to answer (when one can be read), the error code and message.
fn check(body: &[u8]) -> Result<(), (Option<serde_json::Value>, i64, &'static str)> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Err((None, -32700, "Parse error"));
    };
    if serde_json::from_value::<Request>(value.clone()).is_ok()
        || serde_json::from_value::<Response>(value.clone()).is_ok()
    {
        return Ok(());
    }
    let id = value.get("id").filter(|id| id.is_string() || id.is_number()).cloned();
    Err((id, -32600, "Invalid request"))
}

fn answer(
    answers: &UnboundedSender<Vec<u8>>,
    id: Option<serde_json::Value>,
    code: i64,
    message: &str,
) {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "error": {"code": code, "message": message},
        "id": id.unwrap_or(serde_json::Value::Null),
    })
    .to_string();
    let _ = answers.send(format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes());
}

/// The value of the `Content-Length` header (any case), when it is a number.
fn content_length(headers: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(headers).ok()?;
    text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
