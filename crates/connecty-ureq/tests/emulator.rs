//! The blocking client against the testkit's emulator: the whole API
//! contract over real loopback HTTP.

use std::time::Duration;

use connecty_testkit::emulator::{Emulator, Schedule};
use connecty_testkit::progress::record_states;
use connecty_ureq::connecty_proto::State;
use connecty_ureq::{ClientBuilder, Error, IncludeSet, WaitOptions};

fn quick() -> Schedule {
    Schedule {
        pending: Duration::from_millis(50),
        in_progress: Duration::from_millis(100),
    }
}

/// An emulator on the quick schedule and a client for it.
fn started() -> (
    connecty_testkit::emulator::EmulatorHandle,
    connecty_ureq::Client,
) {
    let emu = Emulator::builder().schedule(quick()).start().unwrap();
    let client = ClientBuilder::from_settings(emu.settings())
        .build()
        .unwrap();
    (emu, client)
}

#[test]
fn asks_the_reference_question_and_gets_typed_results() {
    let (emu, client) = started();
    client.health().unwrap();
    let (options, states) = record_states(WaitOptions::new().include(IncludeSet::ALL));
    let answer = client
        .ask_and_wait(
            13,
            "list the top 5 countries with the most orders",
            &options,
        )
        .unwrap();
    let r = &answer.results;
    let df = r.dataframe.as_ref().unwrap();
    assert_eq!(df.len(), 5);
    assert!(
        r.sql_query
            .as_deref()
            .unwrap()
            .to_uppercase()
            .contains("SELECT")
    );
    assert!(r.response_summary.is_some());
    let stats = r.dataframe_stats.as_ref().unwrap();
    assert_eq!(stats.len(), df.width());
    assert_eq!(states.lock().unwrap().last(), Some(&State::Completed));
    assert_eq!(emu.token_requests(), 1);
}

#[test]
fn a_token_expiring_mid_wait_is_refreshed_against_the_emulator() {
    let emu = Emulator::builder()
        .token_ttl(Duration::from_secs(2))
        .schedule(Schedule {
            pending: Duration::from_millis(100),
            in_progress: Duration::from_millis(2600),
        })
        .start()
        .unwrap();
    let client = ClientBuilder::from_settings(emu.settings())
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "SELECT 1 AS one", &WaitOptions::new())
        .unwrap();
    assert_eq!(
        answer.results.dataframe.unwrap().cell(0, 0).unwrap().raw(),
        "1"
    );
    assert_eq!(emu.token_requests(), 2);
}

#[test]
fn an_unknown_question_fails_with_the_emulators_reason() {
    let emu = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let client = ClientBuilder::from_settings(emu.settings())
        .build()
        .unwrap();
    match client.ask_and_wait(13, "what is the meaning of life", &WaitOptions::new()) {
        Err(Error::QuestionFailed { reason, .. }) => assert!(reason.unwrap().contains("SQL")),
        other => panic!("{other:?}"),
    }
    match client.ask(14, "SELECT 1") {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_credentials_are_an_authentication_error() {
    let emu = Emulator::builder().start().unwrap();
    let client = ClientBuilder::new()
        .base_url(&emu.base_url())
        .unwrap()
        .credentials("emulator-client", "not-the-secret")
        .unwrap()
        .build()
        .unwrap();
    assert!(matches!(client.token(), Err(Error::Authentication { .. })));
    assert_eq!(emu.token_requests(), 1);
}

#[test]
fn a_cut_answer_is_known_and_all_rows_fetches_the_rest_once() {
    use connecty_ureq::connecty_proto::{Completeness, Event, Include};
    let (_emu, client) = started();
    // 5,000 orders; the server's default cuts at 1,000, and the statistics
    // (computed over every row, nulls in `note` included) give the total.
    let with_stats = IncludeSet::DEFAULT.with(Include::Statistics);
    let cut = client
        .ask_and_wait(
            13,
            "SELECT * FROM orders",
            &WaitOptions::new().include(with_stats),
        )
        .unwrap();
    assert_eq!(cut.results.dataframe.as_ref().unwrap().len(), 1000);
    let verdict = cut.completeness().unwrap();
    assert!(
        matches!(verdict, Completeness::Cut { rows: 1000, .. }),
        "{verdict:?}"
    );
    assert_eq!(verdict.total(), Some(5000));

    let fetches = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&fetches);
    let options = WaitOptions::new().all_rows(true).on_progress(move |e| {
        if let Event::FetchingAllRows { max_rows, .. } = e {
            seen.lock().unwrap().push(*max_rows);
        }
    });
    let all = client
        .ask_and_wait(13, "SELECT * FROM orders", &options)
        .unwrap();
    assert_eq!(all.results.dataframe.as_ref().unwrap().len(), 5000);
    assert_eq!(all.completeness(), Some(Completeness::Complete));
    assert_eq!(
        *fetches.lock().unwrap(),
        [5000],
        "one extra GET, max_rows = the total"
    );
}
