//! The generic drivers over in-memory transports.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use connecty_proto::*;

const QID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

fn config() -> ClientConfig {
    ClientConfig::new(
        BaseUrl::parse("http://127.0.0.1:1").unwrap(),
        Credentials::new("id", "client-secret-value").unwrap(),
    )
}

/// Answers like the API; counts token requests; optionally refuses
/// credentials.
#[derive(Default)]
struct Api {
    tokens: AtomicU32,
    requests: AtomicU32,
    polls: AtomicU32,
    refuse: bool,
}

impl Api {
    fn answer(&self, req: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let (status, body) = match (req.method().as_str(), req.uri().path()) {
            ("POST", "/v1/auth/token") => {
                self.tokens.fetch_add(1, Ordering::SeqCst);
                if self.refuse {
                    (401, r#"{"error":"invalid client"}"#.to_string())
                } else {
                    (
                        200,
                        r#"{"access_token":"tok","expires_at":"2099-01-01T00:00:00+00:00"}"#
                            .to_string(),
                    )
                }
            }
            ("POST", _) => (200, format!(r#"{{"question_id":"{QID}"}}"#)),
            _ if self.polls.fetch_add(1, Ordering::SeqCst) % 2 == 0 => {
                (200, r#"{"state":"IN_PROGRESS"}"#.to_string())
            }
            _ => (
                200,
                r#"{"state":"COMPLETED","results":{"dataframe":[["a"],[1]]}}"#.to_string(),
            ),
        };
        http::Response::builder()
            .status(status)
            .body(body.into_bytes())
            .unwrap()
    }
}

fn wall() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-11-05T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A blocking transport over `api` whose token exchange takes `delay` (a
/// real sleep), so that threads really overlap while it runs.
fn slow_token_exchange(api: &Arc<Api>, delay: Duration) -> impl BlockingTransport + use<> {
    let a = Arc::clone(api);
    FnTransport::new(Instant::now(), wall(), move |req| {
        if req.uri().path() == "/v1/auth/token" {
            std::thread::sleep(delay);
        }
        Ok(a.answer(&req))
    })
}

#[test]
fn blocking_threads_share_one_token_exchange() {
    let api = Arc::new(Api::default());
    let t = slow_token_exchange(&api, Duration::from_millis(50));
    let client = BlockingClient::new(t, config());
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.ask_and_wait(13, "q", &WaitOptions::new()))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().is_ok());
    }
    assert_eq!(api.tokens.load(Ordering::SeqCst), 1);
    assert_eq!(client.token_exchanges(), 1);
}

#[test]
fn blocking_bad_credentials_fail_every_waiter_with_one_exchange() {
    let api = Arc::new(Api {
        refuse: true,
        ..Default::default()
    });
    let t = slow_token_exchange(&api, Duration::from_millis(100));
    let client = BlockingClient::new(t, config());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || c.ask(13, "q"))
        })
        .collect();
    for h in handles {
        assert!(matches!(
            h.join().unwrap(),
            Err(Error::Authentication { .. })
        ));
    }
    // Threads that joined an exchange in flight share its error; a thread
    // that arrived after it ended may try once more.
    assert!(
        api.tokens.load(Ordering::SeqCst) <= 2,
        "{}",
        api.tokens.load(Ordering::SeqCst)
    );
}

/// An async transport whose sends yield once, so futures interleave.
struct Yielding {
    api: Arc<Api>,
    start: Instant,
    elapsed: Mutex<Duration>,
}

/// An async client over `api` whose every request yields once.
fn yielding_client(api: &Arc<Api>) -> AsyncClient<Yielding> {
    let t = Yielding {
        api: Arc::clone(api),
        start: Instant::now(),
        elapsed: Mutex::new(Duration::ZERO),
    };
    AsyncClient::new(t, config())
}

struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[async_trait::async_trait]
impl AsyncTransport for Yielding {
    async fn send(
        &self,
        req: http::Request<Vec<u8>>,
        _t: Duration,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        for _ in 0..3 {
            YieldOnce(false).await;
        }
        Ok(self.api.answer(&req))
    }
    async fn sleep_until(&self, deadline: Instant) {
        {
            let mut e = self.elapsed.lock().unwrap();
            *e = (*e).max(deadline.saturating_duration_since(self.start));
        }
        YieldOnce(false).await;
    }
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }
    fn wall_clock(&self) -> DateTime<Utc> {
        wall()
    }
}

/// Polls every future round-robin until all are ready.
fn join_all<F: Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut futs: Vec<Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(&mut cx) {
                    Poll::Ready(v) => out[i] = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if !pending {
            return out.into_iter().map(Option::unwrap).collect();
        }
    }
    panic!("futures did not finish");
}

#[test]
fn fifty_concurrent_async_questions_make_one_token_request() {
    let api = Arc::new(Api::default());
    let client = yielding_client(&api);
    let opts = WaitOptions::new();
    let futs: Vec<_> = (0..50)
        .map(|_| client.ask_and_wait(13, "q", &opts))
        .collect();
    let results = join_all(futs);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(api.tokens.load(Ordering::SeqCst), 1);
    assert_eq!(client.token_exchanges(), 1);
}

#[test]
fn a_dropped_exchange_leader_does_not_block_others() {
    let api = Arc::new(Api::default());
    let client = yielding_client(&api);
    let mut cx = Context::from_waker(Waker::noop());
    {
        // Start an exchange and drop it half-way.
        let mut leader = Box::pin(client.token());
        assert!(leader.as_mut().poll(&mut cx).is_pending());
    }
    let r = join_all(vec![client.token()]);
    assert!(r[0].is_ok());
    assert_eq!(client.token_exchanges(), 2);
}

/// Runs one future to its end.
fn block_on<F: Future>(f: F) -> F::Output {
    join_all(vec![f]).pop().expect("one output")
}

#[test]
fn async_and_blocking_clients_have_the_same_methods() {
    // Two clients over two transports answering alike; every public method
    // of each is called, and both give the same answers.
    let api = Arc::new(Api::default());
    let a = Arc::clone(&api);
    let t0 = Instant::now();
    let blocking = BlockingClient::new(
        FnTransport::new(t0, wall(), move |r| Ok(a.answer(&r))),
        config(),
    );
    let b = Arc::clone(&api);
    let asynchronous = AsyncClient::new(
        FnTransport::new(t0, wall(), move |r| Ok(b.answer(&r))),
        config(),
    );
    let q: QuestionId = QID.parse().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let opts = WaitOptions::new()
        .timeout(Duration::from_secs(60))
        .on_progress(move |e| s.lock().unwrap().push(format!("{e:?}")));
    let results = ResultsOptions::default();

    // health
    blocking.health().unwrap();
    block_on(asynchronous.health()).unwrap();
    // token
    assert_eq!(blocking.token().unwrap().expose(), "tok");
    assert_eq!(block_on(asynchronous.token()).unwrap().expose(), "tok");
    // ask
    assert_eq!(blocking.ask(13, "q").unwrap(), q);
    assert_eq!(block_on(asynchronous.ask(13, "q")).unwrap(), q);
    // results: the API alternates IN_PROGRESS and COMPLETED.
    let r1 = blocking.results(13, q, &results).unwrap();
    let r2 = block_on(asynchronous.results(13, q, &results)).unwrap();
    assert_ne!(
        r1.state, r2.state,
        "one of each: {:?} {:?}",
        r1.state, r2.state
    );
    // wait
    let w1 = blocking.wait(13, q, &opts).unwrap();
    let w2 = block_on(asynchronous.wait(13, q, &opts)).unwrap();
    assert_eq!(w1.question_id, q);
    assert_eq!(w1.results, w2.results);
    // ask_and_wait
    let a1 = blocking.ask_and_wait(13, "q", &opts).unwrap();
    let a2 = block_on(asynchronous.ask_and_wait(13, "q", &opts)).unwrap();
    assert_eq!(a1, a2);
    assert!(seen.lock().unwrap().iter().any(|e| e.contains("Asked")));
    // the accessors
    assert_eq!(blocking.config(), asynchronous.config());
    assert_eq!(blocking.token_exchanges(), 1);
    assert_eq!(asynchronous.token_exchanges(), 1);
    // Both waited on their transport's virtual clock.
    assert!(BlockingTransport::now(blocking.transport()) > t0);
    assert!(AsyncTransport::now(asynchronous.transport()) > t0);
    let (b2, a2) = (blocking.clone(), asynchronous.clone());
    assert_eq!(b2.token_exchanges(), 1, "clones share the token");
    assert!(format!("{b2:?}").contains("127.0.0.1"));
    assert!(format!("{a2:?}").contains("127.0.0.1"));
}

#[test]
fn clients_are_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<
        BlockingClient<
            FnTransport<
                fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>,
            >,
        >,
    >();
    check::<AsyncClient<Yielding>>();
}

#[test]
fn no_credentials_allows_health_only() {
    let api = Arc::new(Api::default());
    let a = Arc::clone(&api);
    let cfg = ClientConfig::with_optional_credentials(
        BaseUrl::parse("http://127.0.0.1:1").unwrap(),
        None,
    );
    let c = BlockingClient::new(
        FnTransport::new(Instant::now(), wall(), move |r| Ok(a.answer(&r))),
        cfg,
    );
    assert!(c.health().is_ok());
    match c.ask(13, "q") {
        Err(Error::InvalidInput(i)) => assert_eq!(i.field, "CONNECTY_CLIENT_ID"),
        other => panic!("{other:?}"),
    }
    assert_eq!(api.tokens.load(Ordering::SeqCst), 0);
}

#[test]
fn a_dead_host_with_a_short_deadline_says_it_cannot_be_reached() {
    // Every request fails to connect; sleeping advances the virtual clock,
    // so the token exchange retries until the caller's deadline.
    let t = FnTransport::new(Instant::now(), wall(), |_req| {
        Err(TransportError::new(
            TransportErrorKind::Connect,
            "could not connect to 127.0.0.1:1",
        ))
    });
    // Retries never run out before the deadline does.
    let mut cfg = config();
    cfg.retry = RetryPolicy {
        max_attempts: 1_000,
        ..RetryPolicy::default()
    };
    let client = BlockingClient::new(t, cfg);
    let opts = WaitOptions::new().timeout(Duration::from_secs(2));
    let e = client.ask_and_wait(13, "q", &opts).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Timeout {
                asked: Asked::No,
                last_error: Some(_),
                ..
            }
        ),
        "{e:?}"
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with("cannot reach http://127.0.0.1:1: could not connect to 127.0.0.1:1"),
        "{shown}"
    );
    assert!(shown.contains("deadline reached after"), "{shown}");
    assert!(
        shown.contains("the question was never asked, so there is nothing to resume"),
        "{shown}"
    );
    assert_eq!(e.hint(), Some(Hint::CheckNetwork));
}
