//! The operation state machine, driven on a virtual clock.

mod harness;

use std::time::Duration;

use connecty_proto::request::Endpoint;
use connecty_proto::*;
use harness::*;

fn qid() -> QuestionId {
    QID.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn ask_and_wait(
    sim: &Sim,
    options: ResultsOptions,
    timeout: Option<Duration>,
) -> Operation<AskAndWait> {
    let call = AskAndWait::new(13, "list the top 5 countries with the most orders", options);
    Operation::new(config(), call, sim.now)
        .with_timeout(timeout)
        .with_jitter_seed(7)
}

fn wait(sim: &Sim, options: ResultsOptions, timeout: Option<Duration>) -> Operation<Wait> {
    Operation::new(config(), Wait::new(13, qid(), options), sim.now).with_timeout(timeout)
}

/// Replies by endpoint: token never reached (the harness hands tokens),
/// ask answers the id, polls pop `states` then complete.
fn scripted(mut polls: Vec<Reply>) -> impl FnMut(&Sent, &Sim) -> Reply {
    polls.reverse();
    move |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        Endpoint::Results => polls.pop().unwrap_or_else(completed),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ask_and_wait_completes_after_in_progress() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim
        .run(op, scripted(vec![state("PENDING"), state("IN_PROGRESS")]))
        .unwrap();
    assert_eq!(r.question_id, qid());
    assert_eq!(r.results.dataframe.unwrap().len(), 2);
    assert_eq!(sim.tokens_issued, 1);
    assert_eq!(sim.sent.len(), 4);
    assert_eq!(sim.sent[0].method, "POST");
    assert_eq!(
        sim.sent[0].body,
        br#"{"question":"list the top 5 countries with the most orders"}"#
    );
    // The first poll goes as soon as the ask is answered; then 250 ms, and
    // while little time has passed delays stay at 250 ms (a quarter of the
    // wait is less).
    let polls = sim.polls();
    assert_eq!(polls[0], ms(10));
    assert_eq!(polls[1] - polls[0], ms(10 + 250));
    assert_eq!(polls[2] - polls[1], ms(10 + 250));
}

#[test]
fn events_report_the_id_each_state_change_once_and_every_poll() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    sim.run(
        op,
        scripted(vec![
            state("PENDING"),
            state("PENDING"),
            state("IN_PROGRESS"),
            state("IN_PROGRESS"),
        ]),
    )
    .unwrap();
    let kinds: Vec<String> = sim
        .events
        .iter()
        .filter(|(_, e)| !matches!(e, Event::Polled { .. }))
        .map(|(_, e)| match e {
            Event::Asked { .. } => "asked".to_string(),
            Event::StateChanged { state, .. } => state.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["asked", "PENDING", "IN_PROGRESS", "COMPLETED"]);
    // Every poll is reported, changed or not, numbered from 1, each after
    // the change it brought.
    let polls: Vec<(u32, String)> = sim
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Polled { polls, state, .. } => Some((*polls, state.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        polls,
        [
            (1, "PENDING".to_string()),
            (2, "PENDING".to_string()),
            (3, "IN_PROGRESS".to_string()),
            (4, "IN_PROGRESS".to_string()),
            (5, "COMPLETED".to_string()),
        ]
    );
    let order: Vec<&str> = sim
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::StateChanged { .. } => Some("changed"),
            Event::Polled { .. } => Some("polled"),
            _ => None,
        })
        .take(3)
        .collect();
    assert_eq!(order, ["changed", "polled", "polled"]);
}

#[test]
fn polls_carry_include_and_max_rows() {
    let mut sim = Sim::new();
    let options = ResultsOptions {
        include: IncludeSet::ALL,
        max_rows: Some(50),
    };
    let op = ask_and_wait(&sim, options, None);
    sim.run(op, scripted(vec![state("IN_PROGRESS")])).unwrap();
    for s in sim.sent.iter().filter(|s| s.endpoint == Endpoint::Results) {
        assert_eq!(
            s.path_and_query,
            format!(
                "/v1/dw/13/questions/{QID}/results?include=dataframe,statistics,sqlquery,summary&max_rows=50"
            )
        );
    }
    // The poll that saw COMPLETED carried the results: no extra request.
    assert_eq!(sim.sent.len(), 3);
}

#[test]
fn a_ten_minute_question_polls_at_most_every_5s_and_is_seen_promptly() {
    let mut sim = Sim::new();
    let done_at = Duration::from_secs(600);
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim.run(op, |s, sim| match s.endpoint {
        Endpoint::Ask => asked(),
        _ if sim.elapsed() >= done_at => completed(),
        _ => state("IN_PROGRESS"),
    });
    assert!(r.is_ok());
    let polls = sim.polls();
    let last = *polls.last().unwrap();
    let lag = last - done_at;
    assert!(lag <= Duration::from_secs(5) + ms(10), "lag {lag:?}");
    for w in polls.windows(2) {
        assert!(w[1] - w[0] <= Duration::from_secs(5) + ms(10));
    }
    // About 20 polls ramp up to the 5 s cap (reached after 20 s); then
    // one per ~5 s.
    assert!(polls.len() <= 20 + 600 / 5, "{} polls", polls.len());
    assert!(polls.len() >= 100);
}

#[test]
fn lag_targets_for_short_questions() {
    for (done_ms, max_lag_ms) in [
        (500u64, 250u64),
        (2000, 500),
        (10_000, 2500),
        (60_000, 15_000),
        (3_700, 925),
        (25_000, 6250),
    ] {
        let mut sim = Sim::new();
        let done_at = ms(done_ms);
        let op = ask_and_wait(&sim, ResultsOptions::default(), None);
        sim.run(op, |s, sim| match s.endpoint {
            Endpoint::Ask => asked(),
            _ if sim.elapsed() >= done_at => completed(),
            _ => state("IN_PROGRESS"),
        })
        .unwrap();
        let known = *sim.polls().last().unwrap() + ms(10);
        let lag = known - done_at;
        assert!(
            lag <= ms(max_lag_ms.max(250)),
            "done at {done_ms} ms, known after {lag:?}"
        );
    }
}

#[test]
fn deadline_reached_carries_the_question_id_and_last_state() {
    let mut sim = Sim::new();
    let op = ask_and_wait(
        &sim,
        ResultsOptions::default(),
        Some(Duration::from_secs(30)),
    );
    let e = sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        _ => state("IN_PROGRESS"),
    });
    match e {
        Err(Error::Timeout {
            asked,
            last_state,
            elapsed,
            last_error,
        }) => {
            assert_eq!(asked, Asked::Yes(qid()));
            assert_eq!(last_state, Some(State::InProgress));
            assert_eq!(elapsed, Duration::from_secs(30));
            // Every poll answered: nothing failed, the question is slow.
            assert_eq!(last_error, None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.elapsed(), Duration::from_secs(30));
}

#[test]
fn the_default_deadline_is_twenty_minutes() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        _ => state("PENDING"),
    });
    assert!(matches!(e, Err(Error::Timeout { .. })));
    assert_eq!(sim.elapsed(), DEFAULT_DEADLINE);
}

#[test]
fn a_request_in_flight_at_the_deadline_is_cut_to_it() {
    let mut sim = Sim::new();
    let op = ask_and_wait(
        &sim,
        ResultsOptions::default(),
        Some(Duration::from_secs(2)),
    );
    let e = sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        _ => Reply::Http {
            status: 200,
            headers: vec![],
            body: r#"{"state":"IN_PROGRESS"}"#.into(),
            latency: Duration::from_secs(100),
        },
    });
    assert!(
        matches!(
            e,
            Err(Error::Timeout {
                asked: Asked::Yes(_),
                ..
            })
        ),
        "{e:?}"
    );
    assert_eq!(sim.elapsed(), Duration::from_secs(2));
}

#[test]
fn failed_question_is_an_error_with_the_reason() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(
        op,
        scripted(vec![ok(
            r#"{"state":"FAILED","error":"no such table: orders"}"#,
        )]),
    );
    assert_eq!(
        e.unwrap_err(),
        Error::QuestionFailed {
            question_id: qid(),
            reason: Some("no such table: orders".into())
        }
    );
}

#[test]
fn failed_without_reason() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, scripted(vec![state("FAILED")]));
    assert_eq!(
        e.unwrap_err(),
        Error::QuestionFailed {
            question_id: qid(),
            reason: None
        }
    );
}

#[test]
fn unknown_state_keeps_polling() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim.run(
        op,
        scripted(vec![state("QUEUED_FOR_GPU"), state("QUEUED_FOR_GPU")]),
    );
    assert!(r.is_ok());
    assert!(sim.events.iter().any(|(_, e)| matches!(e, Event::StateChanged { state: State::Unknown(s), .. } if s == "QUEUED_FOR_GPU")));
}

#[test]
fn a_401_mid_poll_exchanges_once_and_replays_once() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim.run(
        op,
        scripted(vec![
            state("IN_PROGRESS"),
            status(401, r#"{"error":"token expired"}"#),
        ]),
    );
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(sim.tokens_issued, 2);
    assert_eq!(sim.rejected, ["token-1"]);
    let polls: Vec<_> = sim
        .sent
        .iter()
        .filter(|s| s.endpoint == Endpoint::Results)
        .collect();
    assert_eq!(polls[1].authorization.as_deref(), Some("Bearer token-1"));
    assert_eq!(polls[2].authorization.as_deref(), Some("Bearer token-2"));
    // The replay is immediate, not after a poll delay.
    assert_eq!(polls[2].at, polls[1].at + ms(10));
}

#[test]
fn a_second_401_is_an_authentication_error() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(
        op,
        scripted(vec![
            status(401, ""),
            status(401, r#"{"detail":"revoked"}"#),
        ]),
    );
    assert_eq!(
        e.unwrap_err(),
        Error::Authentication {
            status: http::StatusCode::UNAUTHORIZED,
            message: Some("revoked".into())
        }
    );
    assert_eq!(sim.tokens_issued, 2);
}

#[test]
fn tokens_are_refreshed_before_expiry_not_after() {
    let mut sim = Sim::new();
    sim.token_lifetime = Duration::from_secs(30);
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let done_at = Duration::from_secs(100);
    sim.run(op, |s, sim| match s.endpoint {
        Endpoint::Ask => asked(),
        _ if sim.elapsed() >= done_at => completed(),
        _ => state("IN_PROGRESS"),
    })
    .unwrap();
    // 100 s with 30 s tokens refreshed 3 s early: four tokens, no 401.
    assert_eq!(sim.tokens_issued, 4);
}

#[test]
fn rate_limited_with_retry_after_seconds() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim.run(
        op,
        scripted(vec![with_header(status(429, ""), "retry-after", "7")]),
    );
    assert!(r.is_ok());
    let polls = sim.polls();
    assert_eq!(polls[1] - polls[0], ms(10) + Duration::from_secs(7));
    assert!(sim.events.iter().any(
        |(_, e)| matches!(e, Event::Retrying { delay, .. } if *delay == Duration::from_secs(7))
    ));
}

#[test]
fn retry_after_as_http_date_is_clamped_to_the_cap() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim.run(
        op,
        scripted(vec![with_header(
            status(429, ""),
            "retry-after",
            "Wed, 05 Nov 2025 11:00:00 GMT",
        )]),
    );
    assert!(r.is_ok());
    let polls = sim.polls();
    // An hour away, clamped to the 20 s cap.
    assert_eq!(polls[1] - polls[0], ms(10) + Duration::from_secs(20));
}

#[test]
fn rate_limited_until_retries_run_out() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        _ => with_header(
            status(429, r#"{"message":"slow down"}"#),
            "retry-after",
            "2",
        ),
    });
    assert_eq!(
        e.unwrap_err(),
        Error::RateLimited {
            attempts: 3,
            retry_after: Some(Duration::from_secs(2)),
            message: Some("slow down".into())
        }
    );
}

#[test]
fn gateway_errors_then_success() {
    for code in [502, 503, 504] {
        let mut sim = Sim::new();
        let op = ask_and_wait(&sim, ResultsOptions::default(), None);
        let r = sim.run(
            op,
            scripted(vec![
                status(code, "<html>bad gateway</html>"),
                status(code, ""),
            ]),
        );
        assert!(r.is_ok(), "{code}: {r:?}");
        let polls = sim.polls();
        // Full jitter: each delay within its ceiling (1 s, then 2 s).
        assert!(polls[1] - polls[0] <= ms(10) + Duration::from_secs(1));
        assert!(polls[2] - polls[1] <= ms(10) + Duration::from_secs(2));
    }
}

#[test]
fn server_errors_until_retries_run_out() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        _ => status(503, "<html>unavailable</html>"),
    });
    match e.unwrap_err() {
        Error::Server {
            status,
            attempts,
            message,
        } => {
            assert_eq!(status, 503);
            assert_eq!(attempts, 3);
            assert_eq!(message.as_deref(), Some("<html>unavailable</html>"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.sent.len(), 4);
}

#[test]
fn jitter_is_deterministic_per_seed_and_varies_across_seeds() {
    let delays = |seed: u64| {
        let mut sim = Sim::new();
        let op = wait(&sim, ResultsOptions::default(), None).with_jitter_seed(seed);
        let _ = sim.run(op, |_, _| status(503, ""));
        let p = sim.polls();
        (p[1] - p[0], p[2] - p[1])
    };
    assert_eq!(delays(1), delays(1));
    assert_ne!(delays(1), delays(2));
}

#[test]
fn a_question_post_is_not_repeated_after_a_mid_request_failure() {
    for kind in [TransportErrorKind::Io, TransportErrorKind::Timeout] {
        let mut sim = Sim::new();
        let op = ask_and_wait(&sim, ResultsOptions::default(), None);
        let e = sim.run(op, |_, _| Reply::Fail(kind, ms(5)));
        match e.unwrap_err() {
            Error::Transport(t) => {
                assert_eq!(t.kind, kind);
                assert_eq!(t.attempts, 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(sim.sent.len(), 1);
    }
}

#[test]
fn a_question_post_is_retried_after_a_connect_failure() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let mut first = true;
    let r = sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask if std::mem::take(&mut first) => {
            Reply::Fail(TransportErrorKind::Connect, ms(1))
        }
        Endpoint::Ask => asked(),
        _ => completed(),
    });
    assert!(r.is_ok());
    let asks: Vec<_> = sim
        .sent
        .iter()
        .filter(|s| s.endpoint == Endpoint::Ask)
        .collect();
    assert_eq!(asks.len(), 2);
    assert_eq!(asks[1].attempt, 2);
}

#[test]
fn a_question_post_is_not_retried_after_502_or_504() {
    for code in [502, 504] {
        let mut sim = Sim::new();
        let op = ask_and_wait(&sim, ResultsOptions::default(), None);
        let e = sim.run(op, |_, _| status(code, ""));
        assert!(matches!(e, Err(Error::Server { attempts: 1, .. })), "{e:?}");
        assert_eq!(sim.sent.len(), 1);
    }
}

#[test]
fn polls_are_retried_after_timeouts() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let r = sim.run(
        op,
        scripted(vec![
            Reply::Fail(TransportErrorKind::Timeout, ms(100)),
            Reply::Fail(TransportErrorKind::Io, ms(1)),
        ]),
    );
    assert!(r.is_ok());
}

#[test]
fn tls_errors_are_final() {
    let mut sim = Sim::new();
    let op = Operation::new(config(), Health, sim.now);
    let e = sim.run(op, |_, _| Reply::Fail(TransportErrorKind::Tls, ms(1)));
    assert!(matches!(
        e,
        Err(Error::Transport(TransportError {
            kind: TransportErrorKind::Tls,
            attempts: 1,
            ..
        }))
    ));
}

#[test]
fn not_found_workspace_and_question() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |_, _| {
        status(404, r#"{"detail":"workspace 13 not found"}"#)
    });
    assert_eq!(
        e.unwrap_err(),
        Error::NotFound {
            resource: Resource::Workspace(WorkspaceId(13)),
            message: Some("workspace 13 not found".into())
        }
    );
    let mut sim = Sim::new();
    let op = wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |_, _| status(404, ""));
    assert_eq!(
        e.unwrap_err(),
        Error::NotFound {
            resource: Resource::Question(WorkspaceId(13), qid()),
            message: None
        }
    );
}

#[test]
fn a_403_on_ask_or_results_is_forbidden_naming_the_workspace() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |_, _| status(403, r#"{"detail":"not your workspace"}"#));
    assert_eq!(
        e.unwrap_err(),
        Error::Forbidden {
            resource: Resource::Workspace(WorkspaceId(13)),
            message: Some("not your workspace".into())
        }
    );
    assert_eq!(sim.sent.len(), 1, "a 403 is not retried");
    let mut sim = Sim::new();
    let op = wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, |_, _| status(403, ""));
    assert_eq!(
        e.unwrap_err(),
        Error::Forbidden {
            resource: Resource::Question(WorkspaceId(13), qid()),
            message: None
        }
    );
}

#[test]
fn a_dead_host_at_the_deadline_says_it_cannot_be_reached() {
    let mut sim = Sim::new();
    let op = ask_and_wait(
        &sim,
        ResultsOptions::default(),
        Some(Duration::from_secs(2)),
    );
    let e = sim
        .run(op, |_, _| Reply::Fail(TransportErrorKind::Connect, ms(900)))
        .unwrap_err();
    match &e {
        Error::Timeout {
            asked: Asked::No,
            last_error: Some(last),
            ..
        } => match last.as_ref() {
            Error::Transport(t) => {
                assert_eq!(t.kind, TransportErrorKind::Connect);
                assert_eq!(t.origin.as_deref(), Some("https://api.eu1.connecty-ai.com"));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    let shown = e.to_string();
    assert!(
        shown.starts_with("cannot reach https://api.eu1.connecty-ai.com: scripted failure"),
        "{shown}"
    );
    assert!(shown.contains("never asked"), "{shown}");
    assert_eq!(e.hint(), Some(Hint::CheckNetwork));
}

#[test]
fn an_ask_cut_by_the_deadline_may_have_been_taken() {
    let mut sim = Sim::new();
    let op = ask_and_wait(
        &sim,
        ResultsOptions::default(),
        Some(Duration::from_secs(1)),
    );
    let e = sim.run(op, |_, _| {
        Reply::Fail(TransportErrorKind::Timeout, Duration::from_secs(5))
    });
    assert!(
        matches!(
            e,
            Err(Error::Timeout {
                asked: Asked::Unconfirmed,
                ..
            })
        ),
        "{e:?}"
    );
    assert_eq!(sim.sent.len(), 1);
}

#[test]
fn the_deadline_during_a_retried_503_carries_the_503() {
    let mut sim = Sim::new();
    let op = wait(
        &sim,
        ResultsOptions::default(),
        Some(Duration::from_millis(500)),
    )
    .with_jitter_seed(1);
    let e = sim.run(op, |_, _| status(503, "down")).unwrap_err();
    match e {
        Error::Timeout {
            asked: Asked::Yes(q),
            last_error: Some(last),
            ..
        } => {
            assert_eq!(q, qid());
            assert!(matches!(*last, Error::Server { .. }), "{last:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_token_exchange_that_runs_out_of_time_ends_the_operation_unasked() {
    let sim = Sim::new();
    let mut op = ask_and_wait(
        &sim,
        ResultsOptions::default(),
        Some(Duration::from_secs(1)),
    );
    assert!(matches!(op.poll_output(sim.now), Output::NeedToken { .. }));
    let mut connect = TransportError::new(TransportErrorKind::Connect, "could not connect");
    connect.origin = Some("https://api.eu1.connecty-ai.com".into());
    let later = sim.now + Duration::from_secs(1);
    op.handle_token_error(
        Error::Timeout {
            asked: Asked::NoQuestion,
            last_state: None,
            elapsed: Duration::from_secs(1),
            last_error: Some(Box::new(Error::Transport(connect))),
        },
        later,
    );
    let Output::Done(Err(e)) = op.poll_output(later) else {
        panic!("the operation must end")
    };
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
        shown.starts_with("cannot reach https://api.eu1.connecty-ai.com"),
        "{shown}"
    );
    assert!(
        shown.contains("the question was never asked, so there is nothing to resume"),
        "{shown}"
    );
}

#[test]
fn wait_polls_at_once_then_on_schedule() {
    let mut sim = Sim::new();
    let op = wait(&sim, ResultsOptions::default(), None);
    sim.run(
        op,
        scripted(vec![state("IN_PROGRESS"), state("IN_PROGRESS")]),
    )
    .unwrap();
    let p = sim.polls();
    assert_eq!(p[0], Duration::ZERO);
    assert_eq!(p[1], ms(10 + 250));
    assert_eq!(p[2], ms(10 + 250 + 10 + 250));
}

#[test]
fn results_fetches_once_and_returns_any_state() {
    for body in [
        r#"{"state":"IN_PROGRESS"}"#,
        r#"{"state":"FAILED","message":"boom"}"#,
    ] {
        let mut sim = Sim::new();
        let op = Operation::new(
            config(),
            Results::new(13, qid(), ResultsOptions::default()),
            sim.now,
        );
        let r: ResultsResponse = sim.run(op, |_, _| ok(body)).unwrap();
        assert!(!r.state.is_terminal() || r.state == State::Failed);
        assert_eq!(sim.sent.len(), 1);
    }
}

fn refused_field<C: Call>(call: C) -> &'static str {
    let mut sim = Sim::new();
    let op = Operation::new(config(), call, sim.now);
    assert!(op.is_done(), "refused at once");
    match sim.run(op, |_, _| panic!("no request may be sent")) {
        Err(Error::InvalidInput(i)) => i.field,
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_input_ends_before_any_request() {
    let zero_rows = ResultsOptions {
        max_rows: Some(0),
        ..Default::default()
    };
    let nothing = ResultsOptions {
        include: IncludeSet::empty(),
        max_rows: None,
    };
    assert_eq!(refused_field(Ask::new(1, "   ")), "question");
    assert_eq!(
        refused_field(Ask::new(1, "x".repeat(MAX_QUESTION_BYTES + 1))),
        "question"
    );
    assert_eq!(
        refused_field(AskAndWait::new(1, "", ResultsOptions::default())),
        "question"
    );
    assert_eq!(
        refused_field(AskAndWait::new(1, "q", zero_rows)),
        "max_rows"
    );
    assert_eq!(refused_field(Wait::new(1, qid(), zero_rows)), "max_rows");
    assert_eq!(refused_field(Results::new(1, qid(), nothing)), "include");
}

#[test]
fn the_token_operation_exchanges_credentials() {
    let mut sim = Sim::new();
    let op = Operation::new(config(), Token, sim.now);
    let r = sim.run(op, |s, _| {
        assert_eq!(s.method, "POST");
        assert_eq!(s.path_and_query, "/v1/auth/token");
        assert!(s.authorization.is_none());
        with_header(
            ok(r#"{"access_token":"fresh","expires_at":"2025-11-05T11:00:00+00:00"}"#),
            "date",
            "Wed, 05 Nov 2025 10:00:00 GMT",
        )
    });
    let t = r.unwrap();
    assert_eq!(t.expose(), "fresh");
    // The lifetime counts from the Date header, applied at receipt.
    assert_eq!(t.expires() - sim.now, Duration::from_secs(3600));
}

#[test]
fn bad_credentials_are_not_retried() {
    let mut sim = Sim::new();
    let op = Operation::new(config(), Token, sim.now);
    let e = sim.run(op, |_, _| {
        status(401, r#"{"error":"invalid client credentials"}"#)
    });
    assert_eq!(
        e.unwrap_err(),
        Error::Authentication {
            status: http::StatusCode::UNAUTHORIZED,
            message: Some("invalid client credentials".into())
        }
    );
    assert_eq!(sim.sent.len(), 1);
}

#[test]
fn token_exchange_is_retried_on_503() {
    let mut sim = Sim::new();
    let op = Operation::new(config(), Token, sim.now).with_jitter_seed(3);
    let mut n = 0;
    let r = sim.run(op, |_, _| {
        n += 1;
        if n == 1 {
            status(503, "")
        } else {
            ok(r#"{"access_token":"a","expires_at":"2025-11-05T11:00:00+00:00"}"#)
        }
    });
    assert!(r.is_ok());
    assert_eq!(sim.sent.len(), 2);
}

#[test]
fn health_accepts_any_2xx_and_reports_errors() {
    let mut sim = Sim::new();
    assert_eq!(
        sim.run(Operation::new(config(), Health, sim.now), |_, _| status(
            204, ""
        ))
        .unwrap(),
        ()
    );
    let mut sim = Sim::new();
    let e = sim.run(Operation::new(config(), Health, sim.now), |_, _| {
        status(418, "teapot")
    });
    assert_eq!(
        e.unwrap_err(),
        Error::Api {
            status: http::StatusCode::IM_A_TEAPOT,
            message: Some("teapot".into())
        }
    );
}

#[test]
fn decode_errors_surface_with_path_and_excerpt() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let e = sim.run(op, scripted(vec![ok("<html>maintenance</html>")]));
    match e.unwrap_err() {
        Error::Decode(d) => {
            assert_eq!(d.path, "$");
            assert_eq!(d.excerpt, "<html>maintenance</html>");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_transport_that_never_answers_is_timed_out_by_the_machine() {
    let sim = Sim::new();
    let mut op = Operation::new(config(), Health, sim.now);
    let Output::Transmit(t) = op.poll_output(sim.now) else {
        panic!()
    };
    let expires = sim.now + t.timeout;
    assert!(matches!(op.poll_output(sim.now), Output::Timeout(at) if at == expires));
    // The transport is silent: the machine times the request out itself and
    // retries (health is idempotent).
    assert!(matches!(
        op.poll_output(expires),
        Output::Event(Event::Retrying { .. })
    ));
    // A late answer to the abandoned request is ignored.
    op.handle_response(
        t.id,
        http::Response::new(Vec::new()),
        expires,
        chrono::DateTime::UNIX_EPOCH,
    );
    assert!(!op.is_done());
}

#[test]
fn secrets_never_appear_in_debug_of_outputs_or_errors() {
    let mut sim = Sim::new();
    let op = ask_and_wait(&sim, ResultsOptions::default(), None);
    let dbg = format!("{op:?}");
    assert!(!dbg.contains("client-secret-value"), "{dbg}");
    let e = sim
        .run(op, scripted(vec![status(401, ""), status(401, "")]))
        .unwrap_err();
    let all = format!("{e:?} {e} {:?}", sim.events);
    assert!(
        !all.contains("token-1")
            && !all.contains("token-2")
            && !all.contains("client-secret-value")
    );
}

#[test]
fn transmit_debug_hides_the_token_request_body() {
    let sim = Sim::new();
    let mut op = Operation::new(config(), Token, sim.now);
    let Output::Transmit(t) = op.poll_output(sim.now) else {
        panic!()
    };
    let dbg = format!("{t:?}");
    assert!(
        dbg.contains("/v1/auth/token") && dbg.contains("body_len"),
        "{dbg}"
    );
    assert!(!dbg.contains("client-secret-value"));
    let bytes: Vec<String> = b"client-secret-value"
        .iter()
        .map(|b| b.to_string())
        .collect();
    assert!(!dbg.contains(&bytes.join(", ")));
}

// ---------------------------------------------------------------------------
// All rows.

fn rows_body(n: u64, stats: Option<(u64, u64)>) -> String {
    let mut df = String::from(r#"[["country","orders"]"#);
    for i in 0..n {
        df.push_str(&format!(r#",["country-{i}",{i}]"#));
    }
    df.push(']');
    let stats = match stats {
        Some((count, nulls)) => format!(
            r#","dataframe_stats":{{"country":{{"general":{{"count":{count},"nulls_count":{nulls}}}}},"orders":{{"general":{{"count":{count},"nulls_count":{nulls}}}}}}}"#
        ),
        None => String::new(),
    };
    format!(r#"{{"state":"COMPLETED","results":{{"dataframe":{df}{stats}}}}}"#)
}

fn all_rows_wait(sim: &Sim, max_rows: Option<u32>, body_limit: u64) -> Operation<Wait> {
    let mut cfg = (*config()).clone();
    cfg.body_limit = body_limit;
    let options = ResultsOptions {
        max_rows,
        ..ResultsOptions::default()
    };
    Operation::new(
        std::sync::Arc::new(cfg),
        Wait::new(13, qid(), options).all_rows(true),
        sim.now,
    )
}

#[test]
fn all_rows_with_a_known_total_fetches_once_with_max_rows_set_to_it() {
    let mut sim = Sim::new();
    let op = all_rows_wait(&sim, Some(3), DEFAULT_BODY_LIMIT);
    let answer = sim
        .run(op, |s, _| {
            if s.path_and_query.ends_with("max_rows=5") {
                ok(&rows_body(5, None))
            } else {
                ok(&rows_body(3, Some((5, 0))))
            }
        })
        .unwrap();
    let queries: Vec<&str> = sim.sent.iter().map(|s| s.path_and_query.as_str()).collect();
    assert_eq!(
        queries,
        [
            format!("/v1/dw/13/questions/{QID}/results?include=dataframe,statistics&max_rows=3"),
            format!("/v1/dw/13/questions/{QID}/results?include=dataframe&max_rows=5"),
        ]
    );
    assert_eq!(answer.results.dataframe.as_ref().unwrap().len(), 5);
    assert_eq!(answer.max_rows, Some(5));
    // The statistics that counted the rows stay, so the answer proves
    // itself whole.
    assert_eq!(answer.completeness(), Some(Completeness::Complete));
    assert!(
        sim.events
            .iter()
            .any(|(_, e)| matches!(e, Event::FetchingAllRows { max_rows: 5, .. }))
    );
}

#[test]
fn all_rows_already_complete_sends_nothing_more() {
    for (rows, stats) in [(2, None), (3, Some((3, 0)))] {
        let mut sim = Sim::new();
        let op = all_rows_wait(&sim, Some(3), DEFAULT_BODY_LIMIT);
        let answer = sim.run(op, |_, _| ok(&rows_body(rows, stats))).unwrap();
        assert_eq!(sim.sent.len(), 1, "{rows} rows");
        assert_eq!(answer.completeness(), Some(Completeness::Complete));
    }
}

#[test]
fn all_rows_with_an_unknown_total_asks_for_what_the_body_limit_holds() {
    let mut sim = Sim::new();
    // 1,000 rows (the server's default), no statistics.
    let op = all_rows_wait(&sim, None, 1_000_000);
    let answer = sim
        .run(op, |s, _| {
            if s.path_and_query.contains("max_rows=") {
                ok(&rows_body(1500, None))
            } else {
                ok(&rows_body(1000, None))
            }
        })
        .unwrap();
    assert_eq!(sim.sent.len(), 2);
    let fetch = &sim.sent[1].path_and_query;
    let max_rows: u64 = fetch.rsplit("max_rows=").next().unwrap().parse().unwrap();
    // About 20 bytes a row (`["country-999",999]`): the limit holds some
    // 50,000.
    assert!((40_000..60_000).contains(&max_rows), "{fetch}");
    assert_eq!(answer.results.dataframe.unwrap().len(), 1500);
    // Still full at what the limit holds: too large.
    let mut sim = Sim::new();
    let op = all_rows_wait(&sim, None, 1_000_000);
    let e = sim
        .run(op, |s, _| {
            let n = s
                .path_and_query
                .rsplit("max_rows=")
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1000);
            ok(&rows_body(n, None))
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::AnswerTooLarge {
                body_limit: 1_000_000,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.hint(), Some(Hint::RaiseBodyLimit));
}

#[test]
fn all_rows_too_large_for_the_body_limit_ends_before_fetching() {
    let mut sim = Sim::new();
    let op = all_rows_wait(&sim, Some(10), 10_000);
    let e = sim
        .run(op, |_, _| ok(&rows_body(10, Some((1_000_000, 0)))))
        .unwrap_err();
    assert_eq!(sim.sent.len(), 1, "nothing fetched");
    match &e {
        Error::AnswerTooLarge {
            rows_at_least,
            estimated_bytes,
            body_limit,
            ..
        } => {
            assert_eq!((*rows_at_least, *body_limit), (1_000_000, 10_000));
            assert!(estimated_bytes.unwrap() > 10_000_000);
        }
        other => panic!("{other:?}"),
    }
    let shown = e.to_string();
    assert!(
        shown.contains("body limit of 10000 bytes") && shown.contains("at least 1000000 rows"),
        "{shown}"
    );
    let hint = e.hint().expect("a hint").to_string();
    assert!(hint.contains("ClientBuilder::body_limit"), "{hint}");
}

#[test]
fn all_rows_never_asks_again_and_polls_include_statistics() {
    let mut sim = Sim::new();
    let call = AskAndWait::new(13, "q", ResultsOptions::default()).all_rows(true);
    let op = Operation::new(config(), call, sim.now);
    let mut polls = 0;
    sim.run(op, |s, _| match s.endpoint {
        Endpoint::Ask => asked(),
        _ if s.path_and_query.contains("max_rows=") => ok(&rows_body(1200, None)),
        _ => {
            polls += 1;
            if polls < 3 {
                state("IN_PROGRESS")
            } else {
                ok(&rows_body(1000, Some((1200, 0))))
            }
        }
    })
    .unwrap();
    let asks = sim
        .sent
        .iter()
        .filter(|s| s.endpoint == Endpoint::Ask)
        .count();
    assert_eq!(asks, 1);
    for s in sim
        .sent
        .iter()
        .filter(|s| s.endpoint == Endpoint::Results)
        .take(3)
    {
        assert!(
            s.path_and_query.ends_with("include=dataframe,statistics"),
            "{}",
            s.path_and_query
        );
    }
    assert!(
        sim.sent
            .last()
            .unwrap()
            .path_and_query
            .ends_with("include=dataframe&max_rows=1200")
    );
}
