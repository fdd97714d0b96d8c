//! Question states and results, and the parser of the results body.

use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::dataframe::DataFrame;
use crate::error::DecodeError;
use crate::json::{Scanner, text_of};
use crate::stats::{Members, RawJson, Statistics};

/// A question's processing state.
///
/// A state the reference does not list is [`State::Unknown`]: not an error,
/// not final, shown to the caller as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// `PENDING`: queued.
    Pending,
    /// `IN_PROGRESS`: being answered.
    InProgress,
    /// `COMPLETED`: results are ready.
    Completed,
    /// `FAILED`: the question could not be answered.
    Failed,
    /// Any other state, as sent.
    Unknown(String),
}

impl State {
    /// Parses a state name.
    pub fn from_wire(s: &str) -> State {
        match s {
            "PENDING" => State::Pending,
            "IN_PROGRESS" => State::InProgress,
            "COMPLETED" => State::Completed,
            "FAILED" => State::Failed,
            other => State::Unknown(other.to_string()),
        }
    }

    /// The state's wire name.
    pub fn as_str(&self) -> &str {
        match self {
            State::Pending => "PENDING",
            State::InProgress => "IN_PROGRESS",
            State::Completed => "COMPLETED",
            State::Failed => "FAILED",
            State::Unknown(s) => s,
        }
    }

    /// Whether the question will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, State::Completed | State::Failed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(State::from_wire(&s))
    }
}

/// The results of a completed question. Each part is present only when it
/// was included (and sent).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct QuestionResults {
    /// `response_summary` (include `summary`).
    pub response_summary: Option<String>,
    /// `sql_query` (include `sqlquery`).
    pub sql_query: Option<String>,
    /// `dataframe` (include `dataframe`).
    pub dataframe: Option<DataFrame>,
    /// `dataframe_stats` (include `statistics`).
    pub dataframe_stats: Option<Statistics>,
    /// Fields the reference does not list, as sent.
    pub extra: Members,
}

impl Serialize for QuestionResults {
    /// Writes the API's own shape: the same field names, the dataframe's
    /// exact text, the statistics with every unknown part kept.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(v) = &self.response_summary {
            m.serialize_entry("response_summary", v)?;
        }
        if let Some(v) = &self.sql_query {
            m.serialize_entry("sql_query", v)?;
        }
        if let Some(v) = &self.dataframe {
            m.serialize_entry("dataframe", v)?;
        }
        if let Some(v) = &self.dataframe_stats {
            m.serialize_entry("dataframe_stats", v)?;
        }
        for (k, v) in &self.extra.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for QuestionResults {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawJson::deserialize(d)?;
        let text = format!(r#"{{"state":"COMPLETED","results":{}}}"#, raw.get());
        parse_results_bytes(text.into_bytes())
            .map(|r| r.results.unwrap_or_default())
            .map_err(serde::de::Error::custom)
    }
}

/// The answer of `GET /v1/dw/{dw_id}/questions/{question_id}/results`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResultsResponse {
    /// The question's state.
    pub state: State,
    /// The results, when the state is `COMPLETED` and the server sent them.
    pub results: Option<QuestionResults>,
    /// Other top-level fields (an `error` or `message` next to `FAILED`).
    pub extra: Members,
}

impl ResultsResponse {
    /// A response carrying only a state.
    pub fn state_only(state: State) -> Self {
        Self {
            state,
            results: None,
            extra: Members::default(),
        }
    }

    /// The reason of a `FAILED` state: a message field, else any other
    /// fields sent besides the state, else `None`.
    pub fn failure_reason(&self) -> Option<String> {
        if self.extra.is_empty() {
            return None;
        }
        let value = serde_json::to_value(&self.extra).ok()?;
        if let serde_json::Value::Object(map) = &value {
            if let Some(m) = crate::error::message_field(map) {
                return Some(m);
            }
        }
        Some(crate::error::excerpt(value.to_string().as_bytes()))
    }
}

impl Serialize for ResultsResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("state", &self.state)?;
        if let Some(r) = &self.results {
            m.serialize_entry("results", r)?;
        }
        for (k, v) in &self.extra.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn at_path(text: &[u8], path: &str, message: impl Into<String>) -> DecodeError {
    DecodeError::new(path, message, text)
}

/// Parses a results body. The body's bytes become the dataframe's storage:
/// nothing is copied cell by cell.
///
/// The body is checked as UTF-8 by the scanner as it goes (see
/// `json.rs`), not in a pass of its own; when the body is refused, invalid
/// UTF-8 anywhere in it is the error reported, as if it had been checked
/// first.
pub fn parse_results_body(body: Vec<u8>) -> Result<ResultsResponse, DecodeError> {
    parse_results_bytes(body)
}

fn parse_results_bytes(mut body: Vec<u8>) -> Result<ResultsResponse, DecodeError> {
    body.shrink_to_fit();
    let text = Arc::new(body);
    scan_results(&text).map_err(|e| match std::str::from_utf8(&text) {
        Err(u) => DecodeError::new(
            "$",
            format!("body is not valid UTF-8 (at byte {})", u.valid_up_to()),
            &text,
        ),
        Ok(_) => e,
    })
}

fn scan_results(text: &Arc<Vec<u8>>) -> Result<ResultsResponse, DecodeError> {
    let mut state: Option<State> = None;
    let mut results: Option<QuestionResults> = None;
    let mut extra = Members::default();
    let mut s = Scanner::new(text);
    let mut failure: Option<DecodeError> = None;

    if s.peek() != Some(b'{') {
        return Err(at_path(text, "$", not_json_message(text_of(text))));
    }
    let outcome = s.object(|s, key| {
        match key.as_ref() {
            "state" => {
                if s.peek() == Some(b'"') {
                    let (a, b, esc) = s.string()?;
                    state = Some(State::from_wire(&crate::json::decode_string(
                        text, a, b, esc,
                    )));
                } else {
                    s.value(1)?;
                    failure.get_or_insert(at_path(text, "$.state", "state must be a string"));
                }
            }
            "results" => {
                if s.peek() == Some(b'n') {
                    s.value(1)?;
                } else if s.peek() != Some(b'{') {
                    s.value(1)?;
                    failure.get_or_insert(at_path(text, "$.results", "results must be an object"));
                } else {
                    match parse_question_results(text, s) {
                        Ok(r) => results = Some(r),
                        Err(Inner::Scan(e)) => return Err(e),
                        Err(Inner::Decode(e)) => {
                            failure.get_or_insert(e);
                            return Err(crate::json::ScanError {
                                at: s.pos,
                                message: "abort",
                            });
                        }
                    }
                }
            }
            other => {
                let (a, b) = s.value(1)?;
                if let Ok(raw) = RawJson::from_text(text_of(&text[a..b])) {
                    extra.0.push((other.to_string(), raw));
                }
            }
        }
        Ok(())
    });
    if let Err(e) = outcome {
        return Err(match failure {
            Some(f) => f,
            None => scan_error(text, "$", e),
        });
    }
    if !s.at_end() {
        return Err(at_path(
            text,
            "$",
            "trailing characters after the JSON document",
        ));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let Some(state) = state else {
        return Err(at_path(text, "$.state", "missing field `state`"));
    };
    Ok(ResultsResponse {
        state,
        results,
        extra,
    })
}

enum Inner {
    Scan(crate::json::ScanError),
    Decode(DecodeError),
}

fn parse_question_results(
    text: &Arc<Vec<u8>>,
    s: &mut Scanner<'_>,
) -> Result<QuestionResults, Inner> {
    let mut out = QuestionResults::default();
    let mut failure: Option<DecodeError> = None;
    s.object(|s, key| {
        let key = key.into_owned();
        if key == "dataframe" && s.peek() == Some(b'[') {
            match DataFrame::scan(text, s) {
                Ok(df) => out.dataframe = Some(df),
                Err(e) => {
                    // Keep scanning only if the error was structural; a
                    // ragged row leaves the scanner past the row.
                    let message = if e.at >= text.len() {
                        "truncated JSON: the body ended in the middle of a value".to_string()
                    } else {
                        e.message
                    };
                    failure.get_or_insert(DecodeError::new(e.path, message, text));
                    return Err(crate::json::ScanError {
                        at: e.at,
                        message: "dataframe",
                    });
                }
            }
            return Ok(());
        }
        let (a, b) = s.value(2)?;
        let raw = text_of(&text[a..b]);
        let path = format!("$.results.{key}");
        match key.as_str() {
            "dataframe" => {
                if raw != "null" {
                    failure.get_or_insert(at_path(
                        text,
                        &path,
                        "dataframe must be an array of rows",
                    ));
                }
            }
            "response_summary" | "sql_query" => match serde_json::from_str::<Option<String>>(raw) {
                Ok(v) => {
                    if key == "sql_query" {
                        out.sql_query = v;
                    } else {
                        out.response_summary = v;
                    }
                }
                Err(_) => {
                    failure.get_or_insert(at_path(text, &path, "expected a string"));
                }
            },
            "dataframe_stats" => match serde_json::from_str::<Option<Statistics>>(raw) {
                Ok(v) => out.dataframe_stats = v,
                Err(e) => {
                    failure.get_or_insert(at_path(text, &path, format!("statistics: {e}")));
                }
            },
            _ => {
                if let Ok(raw) = RawJson::from_text(raw) {
                    out.extra.0.push((key, raw));
                }
            }
        }
        Ok(())
    })
    .map_err(|e| match failure.take() {
        Some(d) => Inner::Decode(d),
        None => Inner::Scan(e),
    })?;
    match failure {
        Some(d) => Err(Inner::Decode(d)),
        None => Ok(out),
    }
}

/// A decode error for a scan failure, with a path guess and the offset.
pub(crate) fn scan_error(text: &[u8], path: &str, e: crate::json::ScanError) -> DecodeError {
    if e.message == "dataframe" {
        // Already reported with its own path; reached only through a bug.
        return at_path(text, "$.results.dataframe", "invalid dataframe");
    }
    let message = if e.at >= text.len() {
        "truncated JSON: the body ended in the middle of a value".to_string()
    } else {
        format!("invalid JSON at byte {}: {}", e.at, e.message)
    };
    at_path(text, path, message)
}

/// Describes a body that is not a JSON object.
pub(crate) fn not_json_message(text: &str) -> String {
    let t = text.trim_start();
    if t.starts_with('<') {
        "expected JSON but got HTML or XML".to_string()
    } else if t.is_empty() {
        "empty body where JSON was expected".to_string()
    } else {
        "expected a JSON object".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API reference's example response, verbatim (the `//` comment line
    /// removed, as JSON has no comments).
    pub(crate) const REFERENCE_RESULTS: &str = r#"{
  "state": "COMPLETED",
  "results": {
    "sql_query": "WITH ranked_logins AS (\n    SELECT \n        l.user_id, \n        l.login_at AS login_timestamp, \n        u.email AS user_email,\n        ROW_NUMBER() OVER (ORDER BY l.login_at DESC) AS login_rank\n    FROM \n        connectyailocal2.usr.logins l\n    JOIN \n        connectyailocal2.usr.users u ON l.user_id = u.user_id\n)\nSELECT \n    login_timestamp, \n    user_email\nFROM \n    ranked_logins\nWHERE \n    login_rank <= 100\nORDER BY \n    login_timestamp DESC;\n",
    "dataframe": [
      ["login_timestamp", "user_email"],
      ["2025-11-04T13:05:01.146+01:00", "damian@connectyai.com"],
      ["2025-11-04T11:48:15.46+01:00", "damian@connectyai.com"],
      ["2025-11-04T10:49:22.91+01:00", "damian@connectyai.com"]
    ],
    "dataframe_stats": {
      "login_timestamp": {
        "general": {
          "count": 100,
          "nulls_count": 0
        },
        "temporal": {
          "distinct_count": 100,
          "distinct_approx": false,
          "min": "2025-10-24T11:03:05.196568+02:00",
          "max": "2025-11-04T13:05:01.146482+01:00"
        }
      },
      "user_email": {
        "general": {
          "count": 100,
          "nulls_count": 0
        },
        "string": {
          "distinct_count": 2,
          "distinct_approx": false,
          "empty_string_count": 0,
          "min_len": 21,
          "mean_len": 22.44,
          "max_len": 45
        }
      }
    }
  }
}"#;

    fn parse(t: &str) -> Result<ResultsResponse, DecodeError> {
        parse_results_body(t.as_bytes().to_vec())
    }

    #[test]
    fn reference_example_parses() {
        let r = parse(REFERENCE_RESULTS).unwrap();
        assert_eq!(r.state, State::Completed);
        let res = r.results.unwrap();
        assert!(
            res.sql_query
                .unwrap()
                .starts_with("WITH ranked_logins AS (\n")
        );
        assert!(res.response_summary.is_none());
        let df = res.dataframe.unwrap();
        assert_eq!(df.columns(), ["login_timestamp", "user_email"]);
        assert_eq!(df.len(), 3);
        assert_eq!(
            df.cell(1, 0).unwrap().as_str().unwrap(),
            "2025-11-04T11:48:15.46+01:00"
        );
        let stats = res.dataframe_stats.unwrap();
        assert_eq!(stats.len(), 2);
    }

    #[test]
    fn reference_round_trips_to_the_same_json() {
        let r = parse(REFERENCE_RESULTS).unwrap();
        let out = serde_json::to_string(&r).unwrap();
        let a: serde_json::Value = serde_json::from_str(&out).unwrap();
        let b: serde_json::Value = serde_json::from_str(REFERENCE_RESULTS).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn in_progress_has_only_a_state() {
        let r = parse(r#"{ "state": "IN_PROGRESS" }"#).unwrap();
        assert_eq!(r, ResultsResponse::state_only(State::InProgress));
        let r = parse(r#"{"state":"THINKING_HARD"}"#).unwrap();
        assert_eq!(r.state, State::Unknown("THINKING_HARD".into()));
        assert!(!r.state.is_terminal());
    }

    #[test]
    fn failed_with_and_without_reason() {
        let r = parse(r#"{"state":"FAILED","error":"column x does not exist"}"#).unwrap();
        assert_eq!(
            r.failure_reason().as_deref(),
            Some("column x does not exist")
        );
        let r = parse(r#"{"state":"FAILED"}"#).unwrap();
        assert_eq!(r.failure_reason(), None);
    }

    #[test]
    fn bad_bodies_are_decode_errors() {
        for (body, path, needle) in [
            ("", "$", "empty body"),
            ("<html><body>502</body></html>", "$", "HTML"),
            (
                r#"{"state":"COMPLETED","results":{"dataframe":[["a"],[1]"#,
                "$.results.dataframe",
                "truncated",
            ),
            (
                r#"{"state":"COMPLETED","results":{"sql_query":"SEL"#,
                "$",
                "truncated",
            ),
            (r#"{"results":{}}"#, "$.state", "missing field"),
            (r#"{"state":7}"#, "$.state", "string"),
            (
                r#"{"state":"COMPLETED","results":{"dataframe":[["a","b"],[1]]}}"#,
                "$.results.dataframe[1]",
                "ragged",
            ),
            (
                r#"{"state":"COMPLETED","results":{"dataframe":5}}"#,
                "$.results.dataframe",
                "array",
            ),
            (
                r#"{"state":"COMPLETED","results":{"sql_query":5}}"#,
                "$.results.sql_query",
                "string",
            ),
            (r#"{"state":"COMPLETED"} x"#, "$", "trailing"),
        ] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.path, path, "{body}");
            assert!(e.message.contains(needle), "{body}: {}", e.message);
        }
        let e = parse_results_body(vec![b'{', b'"', 0xff, b'"', b'}']).unwrap_err();
        assert!(e.message.contains("UTF-8"));
    }

    #[test]
    fn unknown_fields_are_kept() {
        let t = r#"{"state":"COMPLETED","results":{"dataframe":[["a"],[1]],"chart":{"kind":"bar"}},"trace_id":"abc"}"#;
        let r = parse(t).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), t);
    }
}
