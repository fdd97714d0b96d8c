//! Property tests: round trips, hostile bytes, and the state machine under
//! random answers and random time steps.

mod harness;

use std::time::Duration;

use connecty_proto::request::Endpoint;
use connecty_proto::*;
use harness::*;
use proptest::prelude::*;

/// A JSON cell as text, with awkward numbers kept as text.
fn cell() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        // Beyond i64/u64 and below -2^53: must survive digit for digit.
        "-?[1-9][0-9]{19,40}".prop_map(|s| s),
        "-?(0|[1-9][0-9]{0,5})\\.[0-9]{1,8}(e[+-]?[0-9]{1,3})?".prop_map(|s| s),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z]{1,6}", inner), 0..4).prop_map(|v| {
                let members: Vec<String> = v
                    .into_iter()
                    .map(|(k, val)| format!("{}:{}", serde_json::to_string(&k).unwrap(), val))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

fn frame() -> impl Strategy<Value = (Vec<String>, Vec<Vec<String>>)> {
    (1usize..5).prop_flat_map(|w| {
        (
            prop::collection::vec(any::<String>(), w),
            prop::collection::vec(prop::collection::vec(cell(), w), 0..6),
        )
    })
}

fn frame_json(cols: &[String], rows: &[Vec<String>]) -> String {
    let mut s = String::from("[");
    s.push_str(&serde_json::to_string(cols).unwrap());
    for r in rows {
        s.push_str(",[");
        s.push_str(&r.join(","));
        s.push(']');
    }
    s.push(']');
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn results_round_trip_with_exact_numbers((cols, rows) in frame(), summary in proptest::option::of(any::<String>()), big in "[1-9][0-9]{20,30}") {
        let df = frame_json(&cols, &rows);
        let mut results = format!(r#"{{"dataframe":{df},"dataframe_stats":{{"c":{{"general":{{"count":{big},"nulls_count":0}},"numeric":{{"max":{big}}}}}}}"#);
        if let Some(s) = &summary {
            results.push_str(&format!(r#","response_summary":{}"#, serde_json::to_string(s).unwrap()));
        }
        results.push('}');
        let body = format!(r#"{{"state":"COMPLETED","results":{results}}}"#);
        let parsed = parse_results_body(body.clone().into_bytes()).unwrap();
        let r = parsed.results.as_ref().unwrap();
        let frame = r.dataframe.as_ref().unwrap();
        prop_assert_eq!(frame.columns(), &cols[..]);
        prop_assert_eq!(frame.len(), rows.len());
        for (i, row) in rows.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                prop_assert_eq!(frame.cell(i, j).unwrap().raw(), c.as_str());
            }
        }
        prop_assert_eq!(r.response_summary.as_ref(), summary.as_ref());
        // Serialise, parse again: the same value, the big numbers intact.
        let out = serde_json::to_string(&parsed).unwrap();
        prop_assert!(out.contains(&big));
        let again = parse_results_body(out.clone().into_bytes()).unwrap();
        prop_assert_eq!(&again, &parsed);
        prop_assert_eq!(serde_json::to_string(&again).unwrap(), out);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_results_body(bytes.clone());
        let resp = http::Response::builder().status(200).body(bytes.clone()).unwrap();
        let _ = response::parse_token(&resp, std::time::Instant::now(), chrono::DateTime::UNIX_EPOCH);
        let _ = response::parse_ask(&resp);
        let _ = response::parse_health(&resp);
        let _ = response::parse_results(resp);
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = DataFrame::from_json(s);
            let _ = serde_json::from_str::<Statistics>(s);
            let _ = BaseUrl::parse(s);
            let _ = IncludeSet::parse(s);
            let _ = s.parse::<WorkspaceId>();
            let _ = s.parse::<QuestionId>();
        }
        let _ = server_message(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(doc in cell()) {
        for body in [
            doc.clone(),
            format!(r#"{{"state":{doc}}}"#),
            format!(r#"{{"state":"COMPLETED","results":{doc}}}"#),
            format!(r#"{{"state":"COMPLETED","results":{{"dataframe":{doc}}}}}"#),
            format!(r#"{{"state":"COMPLETED","results":{{"dataframe":[["a"],[{doc}]],"dataframe_stats":{doc}}}}}"#),
            format!(r#"{{"access_token":{doc},"expires_at":{doc}}}"#),
            format!(r#"{{"question_id":{doc}}}"#),
        ] {
            let _ = parse_results_body(body.clone().into_bytes());
            let resp = http::Response::builder().status(200).body(body.into_bytes()).unwrap();
            let _ = response::parse_token(&resp, std::time::Instant::now(), chrono::DateTime::UNIX_EPOCH);
            let _ = response::parse_ask(&resp);
        }
    }

    #[test]
    fn every_prefix_of_a_results_body_is_an_error_not_a_panic((cols, rows) in frame()) {
        let body = format!(r#"{{"state":"COMPLETED","results":{{"dataframe":{}}}}}"#, frame_json(&cols, &rows));
        for i in 0..body.len() {
            if body.is_char_boundary(i) {
                prop_assert!(parse_results_body(body.as_bytes()[..i].to_vec()).is_err());
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Ok(&'static str),
    Status(u16, Option<&'static str>),
    Fail(TransportErrorKind),
}

fn step() -> impl Strategy<Value = (Step, u64)> {
    let s = prop_oneof![
        Just(Step::Ok(r#"{"state":"PENDING"}"#)),
        Just(Step::Ok(r#"{"state":"IN_PROGRESS"}"#)),
        Just(Step::Ok(r#"{"state":"SOMETHING_NEW"}"#)),
        Just(Step::Ok(
            r#"{"state":"COMPLETED","results":{"dataframe":[["a"],[1]]}}"#
        )),
        Just(Step::Ok(r#"{"state":"FAILED"}"#)),
        Just(Step::Ok("<html>")),
        Just(Step::Status(401, None)),
        Just(Step::Status(429, Some("3"))),
        Just(Step::Status(429, Some("Wed, 05 Nov 2025 10:10:00 GMT"))),
        Just(Step::Status(500, None)),
        Just(Step::Status(502, None)),
        Just(Step::Status(503, None)),
        Just(Step::Status(504, None)),
        Just(Step::Status(404, None)),
        Just(Step::Fail(TransportErrorKind::Connect)),
        Just(Step::Fail(TransportErrorKind::Timeout)),
        Just(Step::Fail(TransportErrorKind::Io)),
    ];
    // Latency from 0 to 120 s: beyond the request timeout sometimes.
    (s, prop_oneof![0u64..2_000, 0u64..120_000])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn the_machine_ends_in_time_with_bounded_requests(
        steps in prop::collection::vec(step(), 1..60),
        deadline_s in 1u64..1_500,
        token_life_s in 5u64..4_000,
        seed in any::<u64>(),
    ) {
        let mut sim = Sim::new();
        sim.token_lifetime = Duration::from_secs(token_life_s);
        let deadline = Duration::from_secs(deadline_s);
        let op = Operation::new(config(), AskAndWait::new(13, "q", ResultsOptions::default()), sim.now)
            .with_timeout(Some(deadline))
            .with_jitter_seed(seed);
        let mut i = 0;
        // The harness asserts that no token is sent past its expiry and that
        // no request leaves after Done.
        let _ = sim.run(op, |s, _| {
            if s.endpoint == Endpoint::Ask && i == 0 {
                i += 1;
                return asked();
            }
            let (st, lat) = steps[i % steps.len()].clone();
            i += 1;
            let latency = Duration::from_millis(lat);
            match st {
                Step::Ok(b) => Reply::Http { status: 200, headers: vec![], body: b.into(), latency },
                Step::Status(c, ra) => Reply::Http {
                    status: c,
                    headers: ra.map(|v| vec![("retry-after", v.to_string())]).unwrap_or_default(),
                    body: String::new(),
                    latency,
                },
                Step::Fail(k) => Reply::Fail(k, latency),
            }
        });
        // Ends by the deadline (requests are cut to it).
        prop_assert!(sim.elapsed() <= deadline, "ran {:?} past deadline {:?}", sim.elapsed(), deadline);
        // Bounded: polls at most every 250 ms on average, plus retries and replays.
        let bound = 3 * (deadline.as_millis() as usize / 250 + 10);
        prop_assert!(sim.sent.len() <= bound, "{} requests", sim.sent.len());
    }
}

/// Statistics of a result of `total` rows whose columns have `nulls`
/// nulls, with `general.count` read as pandas (non-null values) or as SQL
/// (every row).
fn statistics_of(total: u64, nulls: &[u64], pandas: bool) -> Statistics {
    let columns: Vec<String> = nulls
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let count = if pandas { total - n } else { total };
            format!(r#""c{i}":{{"general":{{"count":{count},"nulls_count":{n}}}}}"#)
        })
        .collect();
    serde_json::from_str(&format!("{{{}}}", columns.join(","))).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, .. ProptestConfig::default() })]

    /// Whatever `general.count` means, the verdict is never wrong: a cut
    /// frame is never called complete, a whole one never cut, and a total
    /// or a bound given is true.
    #[test]
    fn completeness_is_right_under_both_readings_of_count(
        total in 0u64..5_000,
        max_rows in proptest::option::of(1u32..3_000),
        null_fractions in prop::collection::vec(0u64..=100, 0..4),
        pandas in any::<bool>(),
        with_stats in any::<bool>(),
    ) {
        let nulls: Vec<u64> = null_fractions.iter().map(|f| total * f / 100).collect();
        let stats = statistics_of(total, &nulls, pandas);
        let asked = u64::from(max_rows.unwrap_or(DEFAULT_MAX_ROWS));
        // The server returns the first max_rows rows.
        let rows = total.min(asked);
        let verdict = completeness(rows, max_rows, with_stats.then_some(&stats));
        match verdict {
            Completeness::Complete => prop_assert_eq!(rows, total),
            Completeness::Cut { rows: r, at_least, at_most } => {
                prop_assert!(r < total, "cut, but all {total} rows are there");
                prop_assert!(at_least <= total && at_least > r);
                prop_assert!(at_most.is_none_or(|m| m >= total));
                prop_assert!(verdict.total().is_none_or(|t| t == total));
            }
            Completeness::Unknown { rows: r, at_most } => {
                prop_assert_eq!(r, asked, "unknown only when the frame is full");
                prop_assert!(at_most.is_none_or(|m| m >= total));
            }
            other => prop_assert!(false, "{other:?}"),
        }
        // Without nulls both readings agree, and statistics always decide.
        if with_stats && nulls.iter().all(|n| *n == 0) && !nulls.is_empty() {
            let unknown = matches!(verdict, Completeness::Unknown { .. });
            prop_assert!(!unknown, "{verdict:?}");
        }
    }
}
