//! Polling efficiency on the virtual clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connecty_proto::request::Endpoint;
use connecty_proto::*;

use crate::report::{Report, Table};

const LATENCY: Duration = Duration::from_millis(20);

/// Requests made and the lag between completion and the client knowing.
fn simulate(done_at: Duration) -> (usize, Duration, Duration) {
    let config = Arc::new(ClientConfig::new(
        BaseUrl::parse("http://127.0.0.1:1").expect("url"),
        Credentials::new("id", "secret").expect("credentials"),
    ));
    let start = Instant::now();
    let mut now = start;
    let wall = chrono::DateTime::UNIX_EPOCH;
    let mut op = Operation::new(
        config,
        AskAndWait::new(13, "q", ResultsOptions::default()),
        now,
    );
    let mut requests = 0;
    let mut polls: Vec<Duration> = Vec::new();
    loop {
        match op.poll_output(now) {
            Output::Transmit(t) => {
                requests += 1;
                let body = match t.endpoint {
                    Endpoint::Ask => {
                        r#"{"question_id":"729cb7a4-4b06-449e-a3c9-df40f5e570b8"}"#.to_string()
                    }
                    _ if now - start >= done_at => {
                        r#"{"state":"COMPLETED","results":{"dataframe":[["a"],[1]]}}"#.into()
                    }
                    _ => r#"{"state":"IN_PROGRESS"}"#.into(),
                };
                if t.endpoint == Endpoint::Results {
                    polls.push(now - start);
                }
                now += LATENCY;
                let resp = http::Response::builder()
                    .status(200)
                    .body(body.into_bytes())
                    .expect("response");
                op.handle_response(t.id, resp, now, wall);
            }
            Output::NeedToken { .. } => {
                let tok =
                    AccessToken::new("t", wall.fixed_offset(), now, Duration::from_secs(3600));
                op.handle_token(tok, now);
            }
            Output::Event(_) => {}
            Output::Timeout(at) => now = at,
            Output::Done(r) => {
                assert!(r.is_ok());
                let known = now - start;
                let max_gap = polls
                    .windows(2)
                    .map(|w| w[1] - w[0])
                    .max()
                    .unwrap_or_default();
                return (requests, known.saturating_sub(done_at), max_gap);
            }
        }
    }
}

pub fn run(report: &mut Report) {
    let mut rows = Vec::new();
    let mut all_met = true;
    for secs in [0.5f64, 2.0, 10.0, 60.0, 600.0] {
        let done_at = Duration::from_secs_f64(secs);
        let (requests, lag, max_gap) = simulate(done_at);
        let allowed = Duration::from_millis(250).max(done_at / 4);
        // The lag target counts from completion to the answer arriving.
        let met = lag <= allowed && max_gap <= Duration::from_secs(5) + LATENCY;
        all_met &= met;
        rows.push(vec![
            format!("{secs} s"),
            format!("{requests}"),
            format!("{:.0} ms", lag.as_secs_f64() * 1e3),
            format!("{:.0} ms", allowed.as_secs_f64() * 1e3),
            format!("{:.2} s", max_gap.as_secs_f64()),
            if met {
                "met".into()
            } else {
                "**missed**".into()
            },
        ]);
    }
    report.target(
        "polling: lag <= max(250 ms, 25% of question time); <= 1 poll per 5 s at the cap",
        all_met,
        "see the polling table",
    );
    report.table(Table {
        title: "Polling efficiency (virtual clock)".into(),
        command: "cargo xtask bench (connecty-bench, polling)".into(),
        notes: vec![format!(
            "Default schedule: first poll at once after the ask, then 250 ms, x1.5 per poll, capped at 5 s and at 25% of the time waited. Each request takes {} ms of virtual time. Requests include the ask (the token exchange is handed in by the driver). Lag is from the question completing to the client holding the results.",
            LATENCY.as_millis()
        )],
        header: ["question completes at", "requests", "lag", "lag allowed", "largest gap between polls", "target"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows,
    });
}
