//! The async client against the emulator: the whole API
//! contract over real loopback HTTP.

use connecty_emulator::Schedule;
use connecty_hyper::connecty_proto::State;
use connecty_hyper::{ClientBuilder, Error, IncludeSet, WaitOptions};
use connecty_testkit::emulators::{self, assert_reference_answer};
use connecty_testkit::progress::record_states;
use connecty_testkit::values::REFERENCE_QUESTION;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asks_the_reference_question_and_gets_typed_results() {
    let emu = emulators::quick();
    let client = ClientBuilder::from_settings(emu.settings())
        .build()
        .unwrap();
    client.health().await.unwrap();
    let (options, states) = record_states(WaitOptions::new().include(IncludeSet::ALL));
    let answer = client
        .ask_and_wait(13, REFERENCE_QUESTION, &options)
        .await
        .unwrap();
    assert_reference_answer(&answer);
    assert_eq!(states.lock().unwrap().last(), Some(&State::Completed));
    assert_eq!(emu.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expiring_mid_wait_is_refreshed_against_the_emulator() {
    let emu = emulators::with_expiring_tokens();
    let client = ClientBuilder::from_settings(emu.settings())
        .build()
        .unwrap();
    let answer = client
        .ask_and_wait(13, "SELECT 1 AS one", &WaitOptions::new())
        .await
        .unwrap();
    assert_eq!(
        answer.results.dataframe.unwrap().cell(0, 0).unwrap().raw(),
        "1"
    );
    assert_eq!(emu.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_question_fails_with_the_emulators_reason() {
    let emu = emulators::start(Schedule::IMMEDIATE);
    let client = ClientBuilder::from_settings(emu.settings())
        .build()
        .unwrap();
    match client
        .ask_and_wait(13, "what is the meaning of life", &WaitOptions::new())
        .await
    {
        Err(Error::QuestionFailed { reason, .. }) => assert!(reason.unwrap().contains("SQL")),
        other => panic!("{other:?}"),
    }
    match client.ask(14, "SELECT 1").await {
        Err(Error::NotFound { .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_an_authentication_error() {
    let emu = emulators::start(Schedule::DEFAULT);
    let client = ClientBuilder::from_settings(emulators::wrong_secret_settings(&emu))
        .build()
        .unwrap();
    assert!(matches!(
        client.token().await,
        Err(Error::Authentication { .. })
    ));
    assert_eq!(emu.token_requests(), 1);
}
