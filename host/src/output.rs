//! # A guest's stdout and stderr, line by line, with its name and pid
//!
//! Every complete line a guest writes goes to the host's stdout (or stderr)
//! as `[name pid N] line`, so several guests' output interleaves readably.
//! A last line without a newline is written when the guest ends
//! ([`Prefixed::finish`]).

use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// One output stream of one guest.
#[derive(Clone)]
pub struct Prefixed {
    prefix: Arc<str>,
    to_stderr: bool,
    /// Write lines to the host's stdio (else only keep them).
    echo: bool,
    /// Bytes of the current, unfinished line.
    pending: Arc<Mutex<Vec<u8>>>,
    /// Every complete line, also kept for the caller (tests, the runner's summary).
    log: Arc<Mutex<Vec<String>>>,
}

impl Prefixed {
    pub fn new(prefix: &str, to_stderr: bool, echo: bool) -> Self {
        Prefixed {
            prefix: prefix.into(),
            to_stderr,
            echo,
            pending: Arc::new(Mutex::new(Vec::new())),
            log: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn emit(&self, line: &[u8]) {
        let text = String::from_utf8_lossy(line).into_owned();
        if self.echo {
            let out = format!("{} {text}\n", self.prefix);
            // Output errors (a closed pipe) must not kill the guest.
            let _ = if self.to_stderr {
                std::io::stderr().lock().write_all(out.as_bytes())
            } else {
                std::io::stdout().lock().write_all(out.as_bytes())
            };
        }
        if let Ok(mut log) = self.log.lock() {
            log.push(text);
        }
    }

    fn push(&self, bytes: &[u8]) {
        let Ok(mut p) = self.pending.lock() else { return };
        p.extend_from_slice(bytes);
        while let Some(i) = p.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = p.drain(..=i).collect();
            self.emit(&line[..line.len() - 1]);
        }
    }

    /// Writes out a last line that had no newline.
    pub fn finish(&self) {
        let rest = self.pending.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default();
        if !rest.is_empty() {
            self.emit(&rest);
        }
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl IsTerminal for Prefixed {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Prefixed {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Prefixed {
    async fn ready(&mut self) {}
}

impl OutputStream for Prefixed {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
