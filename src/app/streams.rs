//! Live result streams: how many one instance serves at once. (What a stream
//! reads is `results::watch` and `results::result_for`; the event framing is
//! HTTP's.) Imports nothing else of the crate, so the configuration can name
//! its default without depending on the use cases.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Streams one instance serves at once, unless configured.
pub const DEFAULT_MAX_STREAMS: usize = 500;

/// Counts the open streams of this instance.
#[derive(Debug)]
pub struct StreamLimiter {
    open: AtomicUsize,
    max: usize,
}

impl StreamLimiter {
    pub fn new(max: usize) -> Self {
        StreamLimiter {
            open: AtomicUsize::new(0),
            max,
        }
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// A place for one more stream, if this instance has one free.
    pub fn acquire(self: &Arc<Self>) -> Option<Permit> {
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(self.clone()))
    }
}

/// One open stream; released when dropped (client gone, or done).
#[derive(Debug)]
pub struct Permit(Arc<StreamLimiter>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}
