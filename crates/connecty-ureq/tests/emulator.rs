//! The blocking client against the emulator: the whole API
//! contract over real loopback HTTP.

use connecty_emulator::{EmulatorHandle, Schedule};
use connecty_testkit::emulators::{self, assert_reference_answer};
use connecty_testkit::progress::record_states;
use connecty_testkit::values::REFERENCE_QUESTION;
use connecty_ureq::connecty_proto::State;
use connecty_ureq::{ClientBuilder, Error, IncludeSet, WaitOptions};

/// An emulator on the quick schedule and a client for it.
fn started() -> (EmulatorHandle, connecty_ureq::Client) {
    let emu = emulators::quick();
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
        .ask_and_wait(13, REFERENCE_QUESTION, &options)
        .unwrap();
    assert_reference_answer(&answer);
    assert_eq!(states.lock().unwrap().last(), Some(&State::Completed));
    assert_eq!(emu.token_requests(), 1);
}

#[test]
fn a_token_expiring_mid_wait_is_refreshed_against_the_emulator() {
    let emu = emulators::with_expiring_tokens();
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
    let emu = emulators::start(Schedule::IMMEDIATE);
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
    let emu = emulators::start(Schedule::DEFAULT);
    let client = ClientBuilder::from_settings(emulators::wrong_secret_settings(&emu))
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
