//! The blocking stdio of a command on an SSH channel, for [`Session`].
//!
//! russh is asynchronous; the runner client is blocking (the engine calls it
//! from blocking threads). A reader task on the transport's runtime moves the
//! channel's data and extended data into two queues that [`ChunkReader`]s
//! read from, and records how the command ended; writes go straight to the
//! channel through the runtime's handle, so the channel's window is the
//! backpressure.
//!
//! [`Session`]: froyo_runner_client::Session

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use froyo_runner_client::{Exit, Process, Streams};
use russh::ChannelMsg;
use russh::client::Msg;
use russh::{ChannelReadHalf, ChannelWriteHalf};
use tokio::runtime::Handle;

/// How the remote command ended, as far as the reader task knows.
#[derive(Default)]
struct Ending {
    status: Option<String>,
    success: bool,
    closed: bool,
}

/// Turns a started command's channel into the [`Streams`] a runner session
/// reads and writes; `stdout_start` is output already read during the
/// bootstrap that belongs to the runner.
pub(crate) fn streams(
    runtime: &Handle,
    mut reader: ChannelReadHalf,
    writer: ChannelWriteHalf<Msg>,
    stdout_start: Vec<u8>,
    connection: Arc<dyn std::any::Any + Send + Sync>,
) -> Streams {
    let (stdout_sender, stdout_receiver) = mpsc::channel::<Vec<u8>>();
    let (stderr_sender, stderr_receiver) = mpsc::channel::<Vec<u8>>();
    if !stdout_start.is_empty() {
        let _ = stdout_sender.send(stdout_start);
    }
    let ending = Arc::new(Mutex::new(Ending::default()));
    let task_ending = Arc::clone(&ending);
    runtime.spawn(async move {
        pump(&mut reader, stdout_sender, stderr_sender, &task_ending).await;
    });
    let writer = Arc::new(writer);
    Streams {
        stdin: Box::new(ChannelWriter { runtime: runtime.clone(), writer: Arc::clone(&writer) }),
        stdout: Box::new(ChunkReader::new(stdout_receiver)),
        stderr: Box::new(ChunkReader::new(stderr_receiver)),
        process: Box::new(RemoteCommand {
            runtime: runtime.clone(),
            writer,
            ending,
            _connection: connection,
        }),
    }
}

async fn pump(
    reader: &mut ChannelReadHalf,
    stdout: Sender<Vec<u8>>,
    stderr: Sender<Vec<u8>>,
    ending: &Mutex<Ending>,
) {
    let mut stdout = Some(stdout);
    while let Some(message) = reader.wait().await {
        match message {
            ChannelMsg::Data { data } => {
                if let Some(sender) = &stdout {
                    let _ = sender.send(data.to_vec());
                }
            }
            ChannelMsg::ExtendedData { data, ext: 1 } => {
                let _ = stderr.send(data.to_vec());
            }
            ChannelMsg::Eof => stdout = None,
            ChannelMsg::ExitStatus { exit_status } => {
                let mut ending = lock(ending);
                ending.status = Some(format!("exit status: {exit_status}"));
                ending.success = exit_status == 0;
            }
            ChannelMsg::ExitSignal { signal_name, .. } => {
                let mut ending = lock(ending);
                ending.status = Some(format!("signal: {signal_name:?}"));
                ending.success = false;
            }
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    // Closing the queues is the end of file for both readers.
    drop(stdout);
    drop(stderr);
    lock(ending).closed = true;
}

fn lock(ending: &Mutex<Ending>) -> std::sync::MutexGuard<'_, Ending> {
    ending.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads a queue of chunks as a byte stream; a closed queue is the end.
pub(crate) struct ChunkReader {
    receiver: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    position: usize,
}

impl ChunkReader {
    pub(crate) fn new(receiver: Receiver<Vec<u8>>) -> ChunkReader {
        ChunkReader { receiver, chunk: Vec::new(), position: 0 }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        while self.position >= self.chunk.len() {
            match self.receiver.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.position = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let available = &self.chunk[self.position..];
        let count = available.len().min(buffer.len());
        buffer[..count].copy_from_slice(&available[..count]);
        self.position += count;
        Ok(count)
    }
}

/// Writes to the channel, waiting for its window.
struct ChannelWriter {
    runtime: Handle,
    writer: Arc<ChannelWriteHalf<Msg>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let writer = Arc::clone(&self.writer);
        let bytes = buffer.to_vec();
        self.runtime
            .block_on(async move { writer.data_bytes(bytes).await })
            .map_err(|error| io::Error::new(io::ErrorKind::BrokenPipe, error.to_string()))?;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        // The runner reads end of file on its stdin and exits.
        let writer = Arc::clone(&self.writer);
        self.runtime.spawn(async move { writer.eof().await });
    }
}

/// The command at the other end of the channel.
struct RemoteCommand {
    runtime: Handle,
    writer: Arc<ChannelWriteHalf<Msg>>,
    ending: Arc<Mutex<Ending>>,
    /// The SSH connection lives as long as the command.
    _connection: Arc<dyn std::any::Any + Send + Sync>,
}

impl Process for RemoteCommand {
    fn try_wait(&mut self) -> io::Result<Option<Exit>> {
        let ending = lock(&self.ending);
        if !ending.closed {
            return Ok(None);
        }
        Ok(Some(Exit {
            success: ending.success,
            description: ending
                .status
                .clone()
                .unwrap_or_else(|| "the channel closed without an exit status".to_string()),
        }))
    }

    fn kill(&mut self) {
        let writer = Arc::clone(&self.writer);
        self.runtime.spawn(async move { writer.close().await });
    }
}
