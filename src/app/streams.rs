//! Live result streams: how many one instance serves at once, in all and per
//! client address. (What a stream reads is `results::watch` and
//! `results::result_for`; the event framing is HTTP's.) Imports nothing else of
//! the crate, so the configuration can name its defaults without depending on
//! the use cases.
//!
//! docs/SECURITY.md S8: a slot is held by a [`Permit`] that lives inside the
//! stream, so it is freed the moment the stream is dropped — when the client
//! goes away (the server drops a response whose connection closed), not at the
//! next heartbeat — and one address cannot hold every slot.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Streams one instance serves at once, unless configured. An idle stream
/// costs the database nothing (it follows the change feed) and little memory;
/// each holds a socket, so the process's open-file limit must allow it.
pub const DEFAULT_MAX_STREAMS: usize = 10_000;

/// Streams one client address may hold open at once on one instance, unless
/// configured.
pub const DEFAULT_MAX_STREAMS_PER_ADDRESS: usize = 20;

/// Counts the open streams of this instance, in all and per client address.
#[derive(Debug)]
pub struct StreamLimiter {
    open: AtomicUsize,
    max: usize,
    max_per_address: usize,
    by_address: Mutex<HashMap<String, usize>>,
}

/// Why no stream slot was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This instance serves as many streams as it may.
    Instance,
    /// This client address holds as many streams as it may.
    Address,
}

impl StreamLimiter {
    pub fn new(max: usize, max_per_address: usize) -> Self {
        StreamLimiter {
            open: AtomicUsize::new(0),
            max,
            max_per_address,
            by_address: Mutex::new(HashMap::new()),
        }
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Streams `address` holds open now.
    pub fn open_for(&self, address: &str) -> usize {
        self.addresses().get(address).copied().unwrap_or(0)
    }

    fn addresses(&self) -> MutexGuard<'_, HashMap<String, usize>> {
        // A counter map stays consistent even if a holder panicked.
        self.by_address
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for one more stream of `address`, if both this instance and
    /// the address have one free.
    pub fn acquire(self: &Arc<Self>, address: &str) -> Result<Permit, Refused> {
        let mut addresses = self.addresses();
        let held = addresses.get(address).copied().unwrap_or(0);
        if held >= self.max_per_address {
            return Err(Refused::Address);
        }
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .map_err(|_| Refused::Instance)?;
        addresses.insert(address.to_owned(), held + 1);
        Ok(Permit {
            limiter: self.clone(),
            address: address.to_owned(),
        })
    }
}

/// One open stream; released when dropped (client gone, or done).
#[derive(Debug)]
pub struct Permit {
    limiter: Arc<StreamLimiter>,
    address: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut addresses = self.limiter.addresses();
        if let Some(n) = addresses.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                addresses.remove(&self.address);
            }
        }
        self.limiter.open.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_instance_and_per_address_and_freed_on_drop() {
        let limiter = Arc::new(StreamLimiter::new(3, 2));
        let a1 = limiter.acquire("a").unwrap();
        let a2 = limiter.acquire("a").unwrap();
        assert_eq!(limiter.acquire("a").unwrap_err(), Refused::Address);
        let b1 = limiter.acquire("b").unwrap();
        assert_eq!(limiter.acquire("c").unwrap_err(), Refused::Instance);
        assert_eq!(limiter.open(), 3);
        assert_eq!(limiter.open_for("a"), 2);
        drop(a1);
        assert_eq!(limiter.open_for("a"), 1);
        let c1 = limiter.acquire("c").unwrap();
        drop((a2, b1, c1));
        assert_eq!(limiter.open(), 0);
        assert!(
            limiter.addresses().is_empty(),
            "no entry kept for idle addresses"
        );
    }
}
