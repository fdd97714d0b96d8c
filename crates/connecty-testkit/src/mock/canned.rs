//! One-line mocks: an API whose every question completes with a given
//! dataframe, or fails with a given reason.

use std::sync::Arc;

use connecty_proto::{AsyncClient, BaseUrl, BlockingClient, ClientConfig, Credentials};

use super::MockTransport;
use crate::fixture::{CannedResponse, RecordedRequest, RequestMatcher};
use crate::net::completed_body_with;

/// The question id the one-line mocks hand out.
pub const MOCK_QUESTION_ID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

/// The base URL of [`MockTransport::blocking_client`] and
/// [`MockTransport::async_client`]; nothing is ever sent there.
pub const MOCK_BASE_URL: &str = "http://connecty.mock";

/// What the one-line mocks answer to polls.
enum Verdict {
    Completed(String),
    Failed(String),
}

/// Answers any call like the API would for `verdict`.
fn answer(verdict: &Verdict, request: &RecordedRequest) -> CannedResponse {
    let path = request.path.as_str();
    match (request.method.as_str(), path) {
        ("POST", p) if p.ends_with("/v1/auth/token") => CannedResponse::json(
            200,
            r#"{"access_token":"mock-token","expires_at":"2099-01-01T00:00:00Z"}"#,
        ),
        ("POST", p) if p.ends_with("/questions") => CannedResponse::json(
            201,
            serde_json::json!({ "question_id": MOCK_QUESTION_ID }).to_string(),
        ),
        ("GET", p) if p.ends_with("/results") => match verdict {
            Verdict::Completed(df) => CannedResponse::json(200, completed_body_with(df)),
            Verdict::Failed(reason) => CannedResponse::json(
                200,
                serde_json::json!({ "state": "FAILED", "error": reason }).to_string(),
            ),
        },
        ("GET", p) if p.ends_with("/v1/health") => CannedResponse::new(200),
        _ => CannedResponse::json(404, r#"{"detail":"not an endpoint of the mock API"}"#),
    }
}

impl MockTransport {
    fn answering(verdict: Verdict) -> Self {
        let verdict = Arc::new(verdict);
        MockTransport::new()
            .expect(RequestMatcher::any())
            .repeatedly()
            .respond_with(move |request| answer(&verdict, request))
    }

    /// An API on which every question completes at once with `dataframe`
    /// (its JSON text, header row first, such as
    /// `[["country","orders"],["Poland",12]]`): tokens are issued, questions
    /// get the id [`MOCK_QUESTION_ID`], every poll answers `COMPLETED`.
    /// Whatever the call includes, the results carry only the dataframe.
    ///
    /// ```
    /// use connecty_testkit::MockTransport;
    /// use connecty_ureq::{BlockingClient, BlockingTransport, WaitOptions};
    ///
    /// // The code under test, over any blocking transport.
    /// fn count_rows<T: BlockingTransport>(client: &BlockingClient<T>) -> usize {
    ///     let answer = client
    ///         .ask_and_wait(13, "how many orders per country?", &WaitOptions::new())
    ///         .expect("answered");
    ///     answer.results.dataframe.map_or(0, |df| df.len())
    /// }
    ///
    /// let transport = MockTransport::completed(r#"[["country","n"],["PL",3],["CL",2]]"#);
    /// assert_eq!(count_rows(&transport.blocking_client()), 2);
    /// ```
    pub fn completed(dataframe: &str) -> Self {
        Self::answering(Verdict::Completed(dataframe.to_string()))
    }

    /// An API on which every question fails (state `FAILED`) with
    /// `reason`.
    ///
    /// ```
    /// use connecty_testkit::MockTransport;
    /// use connecty_ureq::{Error, WaitOptions};
    ///
    /// let client = MockTransport::failed("no such table: orders").blocking_client();
    /// match client.ask_and_wait(13, "SELECT * FROM orders", &WaitOptions::new()) {
    ///     Err(Error::QuestionFailed { reason, .. }) => {
    ///         assert_eq!(reason.as_deref(), Some("no such table: orders"))
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn failed(reason: &str) -> Self {
        Self::answering(Verdict::Failed(reason.to_string()))
    }

    /// The client configuration of [`blocking_client`](Self::blocking_client):
    /// [`MOCK_BASE_URL`], test credentials, every other setting at its
    /// default (waits cost nothing on the virtual clock).
    pub fn client_config() -> ClientConfig {
        // Both parse: the values are constants.
        let base = BaseUrl::parse(MOCK_BASE_URL).expect("a valid URL");
        let credentials = Credentials::new("mock-client", "mock-secret").expect("valid");
        ClientConfig::new(base, credentials)
    }

    /// A blocking client over (a clone of) this transport.
    pub fn blocking_client(&self) -> BlockingClient<MockTransport> {
        BlockingClient::new(self.clone(), Self::client_config())
    }

    /// An async client over (a clone of) this transport.
    pub fn async_client(&self) -> AsyncClient<MockTransport> {
        AsyncClient::new(self.clone(), Self::client_config())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connecty_proto::{Error, ResultsOptions, State, WaitOptions};

    #[test]
    fn completed_answers_every_call_of_both_clients() {
        let t = MockTransport::completed(r#"[["a"],[1],[2]]"#);
        let q = MOCK_QUESTION_ID.parse().unwrap();
        let c = t.blocking_client();
        c.health().unwrap();
        assert_eq!(c.ask(13, "q").unwrap(), q);
        let r = c.results(13, q, &ResultsOptions::default()).unwrap();
        assert_eq!(r.state, State::Completed);
        assert_eq!(
            c.wait(13, q, &WaitOptions::new())
                .unwrap()
                .results
                .dataframe
                .unwrap()
                .len(),
            2
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let a = runtime
            .block_on(t.async_client().ask_and_wait(13, "q", &WaitOptions::new()))
            .unwrap();
        assert_eq!(a.results.dataframe.unwrap().len(), 2);
        t.finish().unwrap();
    }

    #[test]
    fn failed_gives_the_reason() {
        let c = MockTransport::failed("boom").blocking_client();
        match c.ask_and_wait(1, "q", &WaitOptions::new()) {
            Err(Error::QuestionFailed { reason, .. }) => {
                assert_eq!(reason.as_deref(), Some("boom"))
            }
            other => panic!("{other:?}"),
        }
    }
}
