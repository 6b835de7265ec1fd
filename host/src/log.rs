//! A rule's log: what it printed to stdout and stderr and what it sent to the
//! host's `log` function, in order, cut at a byte limit.
//!
//! Writes past the limit succeed from the rule's point of view (a rule that
//! prints too much is not broken by it) but are dropped; the log records how
//! many bytes were dropped so the reader knows it is incomplete.

use std::{
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use bytes::Bytes;
use serde::Serialize;
use wasmtime_wasi::{
    cli::{IsTerminal, StdoutStream},
    p2::{OutputStream, Pollable, StreamResult},
};

/// Writes the rule may have in flight at once; any value works, this one
/// keeps each write small.
const WRITE_PERMIT: usize = 64 * 1024;

/// The finished log of one call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleLog {
    pub text: String,
    /// Bytes the rule wrote past the limit, dropped.
    pub dropped_bytes: u64,
}

impl RuleLog {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.dropped_bytes == 0
    }
}

#[derive(Default)]
struct Buffer {
    bytes: Vec<u8>,
    dropped: u64,
    /// Every byte the rule wrote, kept or not.
    received: u64,
    cap: usize,
    /// The stream the last bytes came from, so a switch starts a new tagged line.
    current: Option<&'static str>,
}

impl Buffer {
    fn append(&mut self, stream: &'static str, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.received += data.len() as u64;
        if self.bytes.len() >= self.cap {
            // Full: count what is dropped without copying it.
            self.dropped += data.len() as u64;
            return;
        }
        let at_line_start = self.bytes.last().is_none_or(|b| *b == b'\n');
        let mut pending = Vec::new();
        if self.current != Some(stream) || at_line_start {
            if !at_line_start {
                pending.push(b'\n');
            }
            pending.extend_from_slice(format!("[{stream}] ").as_bytes());
            self.current = Some(stream);
        }
        let room = self.cap - self.bytes.len();
        let data_kept = data.len().min(room.saturating_sub(pending.len()));
        pending.extend_from_slice(&data[..data_kept]);
        let kept = pending.len().min(room);
        self.bytes.extend_from_slice(&pending[..kept]);
        self.dropped += (pending.len() - kept + data.len() - data_kept) as u64;
    }
}

/// Shared by a call's stdout, stderr and host `log` function.
#[derive(Clone)]
pub struct LogSink(Arc<Mutex<Buffer>>);

impl LogSink {
    pub fn new(cap: usize) -> LogSink {
        LogSink(Arc::new(Mutex::new(Buffer {
            cap,
            ..Buffer::default()
        })))
    }

    /// One line from the host `log` function, tagged with its level.
    pub fn line(&self, level: &'static str, message: &str) {
        let mut buf = self.0.lock().unwrap();
        let mut text = message.trim_end_matches('\n').to_owned();
        text.push('\n');
        buf.append(level, text.as_bytes());
    }

    /// Bytes the rule has written so far, including those dropped.
    pub fn bytes_received(&self) -> u64 {
        self.0.lock().unwrap().received
    }

    /// A WASI output stream that writes into this log under `name`.
    pub fn stream(&self, name: &'static str) -> LogStream {
        LogStream {
            sink: self.clone(),
            name,
        }
    }

    /// The message of a Rust panic, if the rule printed one (`panicked at`).
    pub fn panic_message(&self) -> Option<String> {
        let buf = self.0.lock().unwrap();
        let text = String::from_utf8_lossy(&buf.bytes);
        let start = text.rfind("panicked at ")?;
        // "panicked at src/lib.rs:3:5:\n<message>" — the message follows the location.
        let rest = &text[start..];
        let mut lines = rest.lines();
        let location = lines.next()?.trim_end_matches(':').to_owned();
        let message = lines
            .next()
            .map(|l| l.trim_start_matches("[stderr] ").trim().to_owned())
            .filter(|m| !m.is_empty() && !m.starts_with("note:"));
        Some(match message {
            Some(m) => format!("{m} ({location})"),
            None => location,
        })
    }

    pub fn finish(&self) -> RuleLog {
        let buf = self.0.lock().unwrap();
        RuleLog {
            text: String::from_utf8_lossy(&buf.bytes).into_owned(),
            dropped_bytes: buf.dropped,
        }
    }
}

/// The stdout or stderr of a call.
pub struct LogStream {
    sink: LogSink,
    name: &'static str,
}

impl LogStream {
    fn write_bytes(&self, data: &[u8]) {
        self.sink.0.lock().unwrap().append(self.name, data);
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(LogStream {
            sink: self.sink.clone(),
            name: self.name,
        })
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LogStream {
            sink: self.sink.clone(),
            name: self.name,
        })
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.write_bytes(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write_bytes(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_streams_and_cuts_at_the_cap() {
        let sink = LogSink::new(40);
        sink.stream("stdout").write_bytes(b"hello\n");
        sink.line("info", "from the host api");
        sink.stream("stderr").write_bytes(b"0123456789");
        let log = sink.finish();
        assert_eq!(log.text.len(), 40);
        assert!(
            log.text
                .starts_with("[stdout] hello\n[info] from the host api\n"),
            "{:?}",
            log.text
        );
        assert!(log.dropped_bytes > 0);
    }

    #[test]
    fn finds_a_panic_message() {
        let sink = LogSink::new(1024);
        sink.stream("stderr").write_bytes(
            b"\nthread '<unnamed>' panicked at src/lib.rs:3:5:\nboom\nnote: run with\n",
        );
        assert_eq!(
            sink.panic_message().as_deref(),
            Some("boom (panicked at src/lib.rs:3:5)")
        );
    }
}
