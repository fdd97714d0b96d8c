//! How many threads a conversion or a Parquet write may use, and the one
//! way they run work on them.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Fewest cells one thread converts: below this a thread's start-up
/// (tens of microseconds) costs more than it saves.
pub(crate) const MIN_CELLS_PER_THREAD: usize = 32 * 1024;

/// How [`to_record_batch_with`](crate::to_record_batch_with) and
/// `write_parquet_with` (feature `parquet`) run.
///
/// By default they use up to [`std::thread::available_parallelism`]
/// threads (which respects CPU affinity and cgroup quotas), and one thread
/// for a small frame. Threads are scoped to the call: none outlives it,
/// and the result is the same, byte for byte, whatever the count.
///
/// ```
/// use std::num::NonZeroUsize;
/// use connecty_arrow::Options;
///
/// // An async service that keeps its executor's threads to itself:
/// let one = Options::new().threads(NonZeroUsize::MIN);
/// assert_eq!(one.max_threads(), 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    threads: Option<NonZeroUsize>,
}

impl Options {
    /// The defaults: as many threads as the machine offers, one for small
    /// frames.
    pub fn new() -> Options {
        Options::default()
    }

    /// Uses at most `n` threads (the calling thread counts as one).
    #[must_use]
    pub fn threads(mut self, n: NonZeroUsize) -> Options {
        self.threads = Some(n);
        self
    }

    /// The most threads a call may use: the number set, else
    /// [`std::thread::available_parallelism`] (1 when unknown).
    pub fn max_threads(&self) -> usize {
        self.threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
    }

    /// Threads for `cells` cells of work: at most [`Self::max_threads`],
    /// each with at least [`MIN_CELLS_PER_THREAD`] cells.
    pub(crate) fn threads_for(&self, cells: usize) -> usize {
        (cells / MIN_CELLS_PER_THREAD).clamp(1, self.max_threads())
    }
}

/// Runs `worker` on this thread and on up to `threads - 1` scoped ones
/// (fewer should the system refuse a thread), and returns when every
/// one has returned. The workers share their work among themselves. A
/// panic in `worker` is a bug and propagates as one.
pub(crate) fn spread(threads: usize, worker: impl Fn() + Sync) {
    if threads <= 1 {
        worker();
        return;
    }
    std::thread::scope(|s| {
        let spawned: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, &worker).ok())
            .collect();
        worker();
        for h in spawned {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// Runs `work` on every job with up to `threads` threads: this one and
/// `threads - 1` scoped ones (fewer should the system refuse a thread),
/// each taking the next job from a shared queue until it is empty, so
/// that jobs of uneven cost spread out. The results in the jobs' order, or
/// the first error (after which no new job starts). A panic in `work` is
/// a bug and propagates as one.
pub(crate) fn run<J, R, E>(
    jobs: Vec<J>,
    threads: usize,
    work: impl Fn(J) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E>
where
    J: Send,
    R: Send,
    E: Send,
{
    let n = jobs.len();
    if threads <= 1 || n <= 1 {
        return jobs.into_iter().map(work).collect();
    }
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    let error: Mutex<Option<E>> = Mutex::new(None);
    let failed = AtomicBool::new(false);
    let worker = || {
        while !failed.load(Ordering::Relaxed) {
            let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
            let Some((i, job)) = next else { break };
            match work(job) {
                Ok(r) => results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                }
            }
        }
    };
    spread(threads.min(n), worker);
    if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    // Every job ran: the queue is empty and no job failed.
    Ok(results.into_iter().flatten().collect())
}

/// [`run`] with the jobs started heaviest first (by `weight`), so that
/// a few large jobs do not end up last on one thread while the others
/// wait; the results still in the jobs' order.
pub(crate) fn run_largest_first<J, R, E>(
    jobs: Vec<J>,
    threads: usize,
    weight: impl Fn(&J) -> usize,
    work: impl Fn(J) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E>
where
    J: Send,
    R: Send,
    E: Send,
{
    let mut jobs: Vec<(usize, J)> = jobs.into_iter().enumerate().collect();
    jobs.sort_by_key(|(_, j)| std::cmp::Reverse(weight(j)));
    let done = run(jobs, threads, |(i, j)| work(j).map(|r| (i, r)))?;
    let mut ordered: Vec<Option<R>> = (0..done.len()).map(|_| None).collect();
    for (i, r) in done {
        if let Some(slot) = ordered.get_mut(i) {
            *slot = Some(r);
        }
    }
    Ok(ordered.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_every_job_in_order() {
        for threads in [1, 2, 8] {
            let out: Result<Vec<usize>, ()> = run((0..100).collect(), threads, |j| Ok(j * 2));
            assert_eq!(out.unwrap(), (0..100).map(|j| j * 2).collect::<Vec<_>>());
            let out: Result<Vec<usize>, usize> = run((0..100).collect(), threads, |j| {
                if j == 50 { Err(j) } else { Ok(j) }
            });
            assert_eq!(out, Err(50));
        }
    }

    #[test]
    fn heaviest_first_keeps_the_order() {
        for threads in [1, 2, 3] {
            let jobs: Vec<usize> = vec![3, 9, 1, 7, 7, 0];
            let out: Result<Vec<usize>, ()> =
                run_largest_first(jobs.clone(), threads, |j| *j, |j| Ok(j * 10));
            assert_eq!(
                out.unwrap(),
                jobs.iter().map(|j| j * 10).collect::<Vec<_>>()
            );
        }
        // The heaviest job starts first (one thread: strictly by weight).
        let started = Mutex::new(Vec::new());
        let _: Result<Vec<()>, ()> = run_largest_first(
            vec![1, 5, 3],
            1,
            |j| *j,
            |j| {
                started.lock().unwrap().push(j);
                Ok(())
            },
        );
        assert_eq!(started.into_inner().unwrap(), [5, 3, 1]);
    }

    #[test]
    fn small_work_stays_on_one_thread() {
        let four = Options::new().threads(NonZeroUsize::new(4).unwrap());
        assert_eq!(four.threads_for(0), 1);
        assert_eq!(four.threads_for(MIN_CELLS_PER_THREAD * 2), 2);
        assert_eq!(four.threads_for(usize::MAX), 4);
        assert!(Options::new().max_threads() >= 1);
    }
}
