//! The values test servers and tests share, each defined once.
//!
//! The question id and the workspace are the API reference's own examples.

/// The question id of the API reference's examples, answered by
/// [`FakeApi`](crate::net::FakeApi) and used throughout the fixtures.
pub const QUESTION_ID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

/// The data workspace of the API reference's examples.
pub const WORKSPACE_ID: u64 = 13;

/// The client id of test servers and fixtures (the
/// [emulator](connecty_emulator) has its own,
/// [`DEFAULT_CLIENT_ID`](connecty_emulator::DEFAULT_CLIENT_ID)).
pub const CLIENT_ID: &str = "connecty-test-client";

/// The client secret of test servers and fixtures: a test credential, and
/// recognisable, so a test can assert it never leaks.
pub const CLIENT_SECRET: &str = "connecty-test-secret";

/// The dataframe [`FakeApi`](crate::net::FakeApi) answers, as JSON: a
/// header row and two data rows.
pub const DATAFRAME: &str = r#"[["country","orders"],["Poland",12],["Chile",7]]"#;

/// The API reference's example question, which the
/// [emulator](connecty_emulator::KNOWN_QUESTIONS) knows best.
pub const REFERENCE_QUESTION: &str = "list the top 5 countries with the most orders";
