//! The emulator as tests start it, and what they check of its answers.
//!
//! The emulator itself is the connecty-emulator crate; these are the few
//! lines every test that uses it would otherwise write again.
//!
//! ```
//! use connecty_testkit::emulators;
//! use connecty_testkit::values::REFERENCE_QUESTION;
//! use connecty_ureq::{ClientBuilder, IncludeSet, WaitOptions};
//!
//! let emulator = emulators::quick();
//! let client = ClientBuilder::from_settings(emulator.settings()).build().unwrap();
//! let options = WaitOptions::new().include(IncludeSet::ALL);
//! let answer = client.ask_and_wait(13, REFERENCE_QUESTION, &options).unwrap();
//! emulators::assert_reference_answer(&answer);
//! ```

use std::time::Duration;

use connecty_emulator::{Emulator, EmulatorHandle, Schedule};

/// An emulator with the default settings on `schedule`.
///
/// # Panics
///
/// When it cannot start (no free port?): the test cannot go on.
pub fn start(schedule: Schedule) -> EmulatorHandle {
    Emulator::builder()
        .schedule(schedule)
        .start()
        .expect("the emulator starts")
}

/// An emulator on [`Schedule::QUICK`]: every state shows, and a wait ends
/// within a fraction of a second.
///
/// # Panics
///
/// As [`start`].
pub fn quick() -> EmulatorHandle {
    start(Schedule::QUICK)
}

/// An emulator whose tokens expire (after 2 s) while a question is still
/// in progress (100 ms pending, then 2.6 s in progress): a client waiting
/// for the answer must fetch a second token.
///
/// # Panics
///
/// As [`start`].
pub fn with_expiring_tokens() -> EmulatorHandle {
    Emulator::builder()
        .token_ttl(Duration::from_secs(2))
        .schedule(Schedule {
            pending: Duration::from_millis(100),
            in_progress: Duration::from_millis(2600),
        })
        .start()
        .expect("the emulator starts")
}

/// Client settings for `emulator` with the right client id and a wrong
/// secret: its token endpoint refuses them.
///
/// # Panics
///
/// Never: the credentials are constants.
pub fn wrong_secret_settings(emulator: &EmulatorHandle) -> connecty_proto::Settings {
    let mut settings = emulator.settings();
    settings.credentials = Some(
        connecty_proto::Credentials::new(emulator.client_id(), "not-the-secret")
            .expect("valid test credentials"),
    );
    settings
}

/// Asserts that `answer` is the emulator's answer to
/// [`REFERENCE_QUESTION`](crate::values::REFERENCE_QUESTION) asked with
/// every part included: five rows, the SQL that ran, a summary, and
/// statistics for every column.
///
/// # Panics
///
/// When it is not.
pub fn assert_reference_answer(answer: &connecty_proto::Answer) {
    let r = &answer.results;
    let df = r.dataframe.as_ref().expect("a dataframe");
    assert_eq!(df.len(), 5);
    assert!(
        r.sql_query
            .as_deref()
            .expect("the SQL")
            .to_uppercase()
            .contains("SELECT")
    );
    assert!(r.response_summary.is_some());
    let stats = r.dataframe_stats.as_ref().expect("statistics");
    assert_eq!(stats.len(), df.width());
}
