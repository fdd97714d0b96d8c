//! The tools' arguments, read from the `arguments` object of a
//! `tools/call`: every refusal names the argument, so an agent can fix its
//! call. The rules of a question, a question id, `include` and `max_rows`
//! are the core's ([`validate_question`], [`IncludeSet::parse`],
//! [`MAX_ROWS_LIMIT`]); this module only reads JSON.

use connecty_proto::{
    Include, IncludeSet, MAX_ROWS_LIMIT, QuestionId, WorkspaceId, validate_question,
};
use serde_json::{Map, Value};

/// A refused argument: what is wrong, in words that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(pub String);

impl std::fmt::Display for ArgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the answer should hold and where it may go; shared by `ask` and
/// `results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The workspace.
    pub dw: WorkspaceId,
    /// `max_rows` sent to the API; `None`: the API's default.
    pub max_rows: Option<u32>,
    /// Fetch every row of the answer.
    pub all_rows: bool,
    /// The components to include.
    pub include: IncludeSet,
    /// A file name inside `--output-dir` for the whole answer.
    pub save_as: Option<String>,
    /// Replace an existing `save_as` file.
    pub overwrite: bool,
}

/// `ask`'s arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// What to fetch.
    pub fetch: Fetch,
}

/// `results`' arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsArgs {
    /// The question.
    pub question_id: QuestionId,
    /// Poll until a final state.
    pub wait: bool,
    /// What to fetch.
    pub fetch: Fetch,
}

const ASK_KEYS: &[&str] = &[
    "question",
    "dw",
    "max_rows",
    "all_rows",
    "include",
    "save_as",
    "overwrite",
];
const RESULTS_KEYS: &[&str] = &[
    "question_id",
    "dw",
    "wait",
    "max_rows",
    "all_rows",
    "include",
    "save_as",
    "overwrite",
];

fn no_unknown(args: &Map<String, Value>, known: &[&str]) -> Result<(), ArgError> {
    match args.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ArgError(format!(
            "unknown argument {k:?}: the arguments are {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn string<'a>(args: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ArgError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ArgError(format!(
            "argument {key:?} must be a string, not {other}"
        ))),
    }
}

fn boolean(args: &Map<String, Value>, key: &str, default: bool) -> Result<bool, ArgError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(ArgError(format!(
            "argument {key:?} must be true or false, not {other}"
        ))),
    }
}

fn integer(args: &Map<String, Value>, key: &str) -> Result<Option<u64>, ArgError> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(other) => Err(ArgError(format!(
            "argument {key:?} must be a non-negative integer, not {other}"
        ))),
    }
}

fn workspace(
    args: &Map<String, Value>,
    default: Option<WorkspaceId>,
) -> Result<WorkspaceId, ArgError> {
    match (integer(args, "dw")?, default) {
        (Some(dw), _) => Ok(WorkspaceId(dw)),
        (None, Some(dw)) => Ok(dw),
        (None, None) => Err(ArgError(
            "argument \"dw\" (the Data Workspace id, an integer) is required: this server \
             was started without --dw"
                .to_string(),
        )),
    }
}

fn include(args: &Map<String, Value>) -> Result<IncludeSet, ArgError> {
    let items = match args.get("include") {
        None | Some(Value::Null) => return Ok(IncludeSet::ALL),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(ArgError(format!(
                "argument \"include\" must be an array of \"dataframe\", \"statistics\", \
                 \"sqlquery\", \"summary\", not {other}"
            )));
        }
    };
    let mut set = IncludeSet::empty();
    for item in items {
        let Value::String(name) = item else {
            return Err(ArgError(format!(
                "argument \"include\": {item} is not a string"
            )));
        };
        let known = Include::ALL.iter().find(|i| i.as_str() == name);
        match known {
            Some(i) => set = set.with(*i),
            None => {
                return Err(ArgError(format!(
                    "argument \"include\": {name:?} is not a result component: expected \
                     dataframe, statistics, sqlquery or summary"
                )));
            }
        }
    }
    if set.is_empty() {
        return Err(ArgError(
            "argument \"include\" is empty: name at least one of dataframe, statistics, \
             sqlquery, summary"
                .to_string(),
        ));
    }
    Ok(set)
}

fn fetch(args: &Map<String, Value>, dw: Option<WorkspaceId>) -> Result<Fetch, ArgError> {
    let max_rows = match integer(args, "max_rows")? {
        None => None,
        Some(n) if n == 0 || n > u64::from(MAX_ROWS_LIMIT) => {
            return Err(ArgError(format!(
                "argument \"max_rows\" must be from 1 to {MAX_ROWS_LIMIT}, not {n}"
            )));
        }
        Some(n) => u32::try_from(n).ok(),
    };
    Ok(Fetch {
        dw: workspace(args, dw)?,
        max_rows,
        all_rows: boolean(args, "all_rows", false)?,
        include: include(args)?,
        save_as: string(args, "save_as")?.map(str::to_string),
        overwrite: boolean(args, "overwrite", false)?,
    })
}

/// Reads `ask`'s arguments; `dw` is the server's `--dw`.
pub fn ask(args: &Map<String, Value>, dw: Option<WorkspaceId>) -> Result<AskArgs, ArgError> {
    no_unknown(args, ASK_KEYS)?;
    let question = string(args, "question")?
        .ok_or_else(|| ArgError("argument \"question\" (a string) is required".to_string()))?;
    validate_question(question)
        .map_err(|e| ArgError(format!("argument \"question\" {}", e.message)))?;
    Ok(AskArgs {
        question: question.to_string(),
        fetch: fetch(args, dw)?,
    })
}

/// Reads `results`' arguments; `dw` is the server's `--dw`.
pub fn results(
    args: &Map<String, Value>,
    dw: Option<WorkspaceId>,
) -> Result<ResultsArgs, ArgError> {
    no_unknown(args, RESULTS_KEYS)?;
    let id = string(args, "question_id")?.ok_or_else(|| {
        ArgError("argument \"question_id\" (the id `ask` returned) is required".to_string())
    })?;
    let question_id = id
        .parse::<QuestionId>()
        .map_err(|e| ArgError(format!("argument \"question_id\": {}", e.message)))?;
    let wait = boolean(args, "wait", true)?;
    let fetch = fetch(args, dw)?;
    if fetch.all_rows && !wait {
        return Err(ArgError(
            "argument \"all_rows\" needs \"wait\": true (every row is fetched once the \
             question is COMPLETED)"
                .to_string(),
        ));
    }
    Ok(ResultsArgs {
        question_id,
        wait,
        fetch,
    })
}

/// Reads `health`'s arguments: there are none.
pub fn health(args: &Map<String, Value>) -> Result<(), ArgError> {
    no_unknown(args, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn ask_defaults() {
        let a = ask(&map(json!({"question": "q", "dw": 13})), None).unwrap();
        assert_eq!(a.question, "q");
        assert_eq!(a.fetch.dw, WorkspaceId(13));
        assert_eq!(a.fetch.include, IncludeSet::ALL);
        assert_eq!(a.fetch.max_rows, None);
        assert!(!a.fetch.all_rows && !a.fetch.overwrite);
        let a = ask(&map(json!({"question": "q"})), Some(WorkspaceId(7))).unwrap();
        assert_eq!(a.fetch.dw, WorkspaceId(7));
    }

    #[test]
    fn every_refusal_names_its_argument() {
        let id = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";
        let cases: &[(Value, &str)] = &[
            (json!({"dw": 13}), "\"question\""),
            (json!({"question": "", "dw": 13}), "\"question\""),
            (json!({"question": 5, "dw": 13}), "\"question\""),
            (json!({"question": "q"}), "\"dw\""),
            (json!({"question": "q", "dw": "13"}), "\"dw\""),
            (json!({"question": "q", "dw": -1}), "\"dw\""),
            (json!({"question": "q", "dw": 1.5}), "\"dw\""),
            (
                json!({"question": "q", "dw": 13, "max_rows": 0}),
                "\"max_rows\"",
            ),
            (
                json!({"question": "q", "dw": 13, "max_rows": 10_000_001}),
                "\"max_rows\"",
            ),
            (
                json!({"question": "q", "dw": 13, "include": ["tables"]}),
                "\"include\"",
            ),
            (
                json!({"question": "q", "dw": 13, "include": []}),
                "\"include\"",
            ),
            (
                json!({"question": "q", "dw": 13, "include": "summary"}),
                "\"include\"",
            ),
            (
                json!({"question": "q", "dw": 13, "all_rows": "yes"}),
                "\"all_rows\"",
            ),
            (
                json!({"question": "q", "dw": 13, "colour": "red"}),
                "\"colour\"",
            ),
            (
                json!({"question": "q", "dw": 13, "save_as": 1}),
                "\"save_as\"",
            ),
        ];
        for (args, name) in cases {
            let e = ask(&map(args.clone()), None).unwrap_err();
            assert!(e.0.contains(name), "{args}: {e}");
        }
        let cases: &[(Value, &str)] = &[
            (json!({"dw": 13}), "\"question_id\""),
            (json!({"dw": 13, "question_id": "nope"}), "\"question_id\""),
            (
                json!({"dw": 13, "question_id": id, "wait": false, "all_rows": true}),
                "\"all_rows\"",
            ),
            (json!({"dw": 13, "question_id": id, "wait": 1}), "\"wait\""),
            (
                json!({"dw": 13, "question_id": id, "question": "q"}),
                "\"question\"",
            ),
        ];
        for (args, name) in cases {
            let e = results(&map(args.clone()), None).unwrap_err();
            assert!(e.0.contains(name), "{args}: {e}");
        }
        assert!(
            health(&map(json!({"x": 1})))
                .unwrap_err()
                .0
                .contains("\"x\"")
        );
    }

    #[test]
    fn results_defaults_to_waiting() {
        let r = results(
            &map(json!({"question_id": "729cb7a4-4b06-449e-a3c9-df40f5e570b8"})),
            Some(WorkspaceId(13)),
        )
        .unwrap();
        assert!(r.wait);
        assert_eq!(r.fetch.dw, WorkspaceId(13));
    }
}
