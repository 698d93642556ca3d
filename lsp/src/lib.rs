//! `froyo lsp`: the language server for froyo workspaces (CUE and Starlark).
//!
//! It speaks LSP over stdio through `tower-lsp-server`, on the same salsa
//! database as the CLI (`froyo-db`): open documents and files on disk are
//! its inputs, and diagnostics, completion, hover and navigation are
//! answered from queries on a snapshot, cancelled when a newer edit
//! arrives.
//!
//! Reading order: [`serve`] (the transport), [`server`] (the LSP backend:
//! state, snapshots, debounced diagnostics), [`project`] (loading
//! workspaces from disk), [`convert`] (LSP types at the edge, over the
//! features of `froyo-ide`, which answer in offsets and file ids),
//! [`line_index`] (position encodings).
//!
//! Invariant: only `server` and `convert` know LSP types; the features are
//! `froyo-ide`'s, and this crate only converts between them and LSP. Invariant: no input from the client or the files makes the
//! server exit; a bug in one request fails that request only.
//! Boundary: [`run_stdio`] is what the CLI calls; [`serve`] is what tests call.

pub mod convert;
pub mod line_index;
pub mod project;
pub mod server;
mod transport;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server};

/// The features this server adapts (`froyo-ide`).
pub use froyo_ide as ide;
pub use line_index::{Encoding, LineCol, LineIndex};

/// Serves LSP on `input`/`output` until the client sends `exit` or closes
/// `input`. Must run on a multi-threaded tokio runtime.
pub async fn serve<I, O>(input: I, output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite,
{
    let (service, socket) = LspService::new(server::Backend::new);
    let (server_input, to_server) = tokio::io::duplex(1 << 16);
    let (sender, messages) = tokio::sync::mpsc::unbounded_channel();
    let writer = transport::ChannelWriter(sender.clone());
    let serving = async move {
        let server = Server::new(server_input, writer, socket).serve(service);
        let reading = async {
            transport::filter(input, to_server, sender).await;
            // The input ended and the server's with it: only the server ends this.
            std::future::pending::<()>().await;
        };
        tokio::select! {
            () = server => {}
            () = reading => {}
        }
    };
    tokio::join!(serving, transport::write_all(output, messages));
}

/// Runs the language server on standard input and output (`froyo lsp`),
/// returning when the client exits or closes standard input.
pub fn run_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(32 << 20)
        .enable_all()
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // Work still running (a diagnostics run on a snapshot) is abandoned.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
