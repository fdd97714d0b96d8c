//! Ctrl-C (SIGINT), routed to whoever is waiting.
//!
//! Until the first [`watch`], Ctrl-C keeps its default: the process ends.
//! From then on one thread receives every SIGINT and calls the innermost
//! watcher; when no watcher is left, it prints `interrupted` and ends the
//! process with exit 130. A watcher therefore covers exactly the span in
//! which something must happen on Ctrl-C: a wait to stop, a temporary file
//! to remove (the caller does that when its call returns, not the signal
//! thread, so no file is ever half-handled).

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::exit::ExitStatus;

type Watcher = Arc<dyn Fn() + Send + Sync>;

static WATCHERS: Mutex<Vec<(u64, Watcher)>> = Mutex::new(Vec::new());
static NEXT_ID: Mutex<u64> = Mutex::new(0);
static STARTED: OnceLock<bool> = OnceLock::new();

/// A registered watcher; dropping it unregisters it.
#[must_use = "the watcher is removed when this is dropped"]
pub struct Watch {
    id: u64,
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(id, _)| *id != self.id);
    }
}

/// Calls `f` (on the signal thread) for each Ctrl-C until the returned
/// [`Watch`] is dropped; the innermost watcher alone is called. Returns
/// after the handler is in place, so no Ctrl-C after this call can end the
/// process by default. Without a signal handler (none could be installed)
/// Ctrl-C keeps its default.
pub fn watch(f: impl Fn() + Send + Sync + 'static) -> Watch {
    STARTED.get_or_init(start);
    let id = {
        let mut next = NEXT_ID.lock().unwrap_or_else(PoisonError::into_inner);
        *next += 1;
        *next
    };
    WATCHERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((id, Arc::new(f)));
    Watch { id }
}

/// Whether the signal thread is running (false when no handler could be
/// installed).
fn start() -> bool {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<bool>();
    let spawned = std::thread::Builder::new()
        .name("connecty-interrupt".to_string())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let _ = ready_tx.send(false);
                return;
            };
            rt.block_on(forward(ready_tx));
        });
    spawned.is_ok() && ready_rx.recv().unwrap_or(false)
}

#[cfg(unix)]
async fn forward(ready: std::sync::mpsc::Sender<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut sigint) = signal(SignalKind::interrupt()) else {
        let _ = ready.send(false);
        return;
    };
    let _ = ready.send(true);
    while sigint.recv().await.is_some() {
        deliver();
    }
}

#[cfg(not(unix))]
async fn forward(ready: std::sync::mpsc::Sender<bool>) {
    let _ = ready.send(true);
    while tokio::signal::ctrl_c().await.is_ok() {
        deliver();
    }
}

fn deliver() {
    let current = WATCHERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .last()
        .map(|(_, f)| Arc::clone(f));
    match current {
        Some(f) => f(),
        None => {
            eprintln!("interrupted");
            std::process::exit(i32::from(ExitStatus::Interrupted.code()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn the_innermost_watcher_is_called_and_dropping_restores_the_outer() {
        let outer = Arc::new(AtomicU32::new(0));
        let inner = Arc::new(AtomicU32::new(0));
        let o = Arc::clone(&outer);
        let _outer = watch(move || {
            o.fetch_add(1, Ordering::SeqCst);
        });
        {
            let i = Arc::clone(&inner);
            let _inner = watch(move || {
                i.fetch_add(1, Ordering::SeqCst);
            });
            deliver();
        }
        deliver();
        assert_eq!(
            (outer.load(Ordering::SeqCst), inner.load(Ordering::SeqCst)),
            (1, 1)
        );
    }
}
