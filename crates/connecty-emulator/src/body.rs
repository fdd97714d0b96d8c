//! The JSON bodies the emulator sends, as serde types, one per shape of the
//! API reference.
//!
//! Keys come in the order the emulator has always sent them: the reference's
//! order for results, alphabetical for the small objects (as `json!` wrote
//! them before these types existed), so that no byte on the wire changed.

use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::values::Dataframe;

/// Every error: `{"error": "<message>"}`.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub(crate) error: &'a str,
}

/// `GET /v1/health`.
#[derive(Debug, Serialize)]
pub(crate) struct HealthBody {
    pub(crate) status: &'static str,
}

/// `POST /v1/auth/token`.
#[derive(Debug, Serialize)]
pub(crate) struct TokenBody<'a> {
    pub(crate) access_token: &'a str,
    /// RFC 3339 with an offset and microseconds.
    pub(crate) expires_at: &'a str,
}

/// `POST /v1/dw/{dw_id}/questions`.
#[derive(Debug, Serialize)]
pub(crate) struct QuestionIdBody {
    pub(crate) question_id: Uuid,
}

/// A results body while the question is not done, or once it completed.
#[derive(Debug, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum ResultsBody<'a> {
    /// `{"state":"PENDING"}`.
    Pending,
    /// `{"state":"IN_PROGRESS"}`.
    InProgress,
    /// `{"state":"COMPLETED","results":{…}}`.
    Completed {
        /// Only the included parts.
        results: Results<'a>,
    },
}

/// A `FAILED` results body: `{"error":"<reason>","state":"FAILED"}`.
#[derive(Debug, Serialize)]
pub(crate) struct FailedBody<'a> {
    pub(crate) error: &'a str,
    pub(crate) state: State,
}

/// The state of a [`FailedBody`].
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum State {
    Failed,
}

/// The `results` of a completed question: only the included parts, in the
/// order `response_summary`, `sql_query`, `dataframe`, `dataframe_stats`.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Results<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) sql_query: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dataframe: Option<Dataframe<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dataframe_stats: Option<&'a RawValue>,
}

/// `body` as JSON bytes. Serializing these types cannot fail (string keys,
/// no maps with other keys); an empty body stands in if it ever did.
pub(crate) fn to_json(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: &impl Serialize) -> String {
        String::from_utf8(to_json(body)).unwrap()
    }

    #[test]
    fn bodies_are_the_bytes_the_emulator_always_sent() {
        assert_eq!(
            text(&ErrorBody { error: "a \"b\"" }),
            r#"{"error":"a \"b\""}"#
        );
        assert_eq!(text(&HealthBody { status: "ok" }), r#"{"status":"ok"}"#);
        assert_eq!(
            text(&TokenBody {
                access_token: "emu_x",
                expires_at: "2025-11-05T10:00:00.000000+00:00"
            }),
            r#"{"access_token":"emu_x","expires_at":"2025-11-05T10:00:00.000000+00:00"}"#
        );
        let id = Uuid::parse_str("729cb7a4-4b06-449e-a3c9-df40f5e570b8").unwrap();
        assert_eq!(
            text(&QuestionIdBody { question_id: id }),
            r#"{"question_id":"729cb7a4-4b06-449e-a3c9-df40f5e570b8"}"#
        );
        assert_eq!(text(&ResultsBody::Pending), r#"{"state":"PENDING"}"#);
        assert_eq!(text(&ResultsBody::InProgress), r#"{"state":"IN_PROGRESS"}"#);
        assert_eq!(
            text(&FailedBody {
                error: "no",
                state: State::Failed
            }),
            r#"{"error":"no","state":"FAILED"}"#
        );
        let stats = RawValue::from_string(r#"{"a":{}}"#.to_string()).unwrap();
        let results = Results {
            response_summary: Some("s".to_string()),
            sql_query: Some("SELECT 1"),
            dataframe: None,
            dataframe_stats: Some(&stats),
        };
        assert_eq!(
            text(&ResultsBody::Completed { results }),
            r#"{"state":"COMPLETED","results":{"response_summary":"s","sql_query":"SELECT 1","dataframe_stats":{"a":{}}}}"#
        );
        assert_eq!(
            text(&ResultsBody::Completed {
                results: Results::default()
            }),
            r#"{"state":"COMPLETED","results":{}}"#
        );
    }
}
