//! The tools as `tools/list` shows them: names, descriptions an LLM can act
//! on, input schemas and output schemas. The names and argument names are
//! the interface; keep them.

use std::sync::Arc;

use connecty_proto::MAX_ROWS_LIMIT;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::ServerConfig;

/// The server's instructions, sent at `initialize`.
pub const INSTRUCTIONS: &str = "Ask ConnectyAI questions (in words, or SQL) of a Data \
Workspace and get the answer: a summary, the SQL, typed columns and rows. Use `ask` for a new \
question; when it comes back unfinished (the tool deadline passed) or you need the answer \
again, use `results` with its question_id. Results hold at most a budget of rows and bytes; \
`rows_omitted` says how many rows were left out, and `save_as` writes the whole answer to a \
file when the server has an output directory. Use `health` to check the service is up.";

fn object(v: Value) -> Arc<JsonObject> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(JsonObject::new()),
    }
}

fn common_properties(config: &ServerConfig) -> serde_json::Map<String, Value> {
    let dw = match config.default_workspace {
        Some(dw) => {
            format!("The Data Workspace id (an integer). Optional: this server defaults to {dw}.")
        }
        None => "The Data Workspace id (an integer), as given by the user or the ConnectyAI \
                 app (Manager -> Data Environments -> Data Workspaces)."
            .to_string(),
    };
    let save = if config.output_dir.is_some() {
        "A file name (no directory) to write the whole answer to, in the server's output \
         directory; the extension picks the format: .parquet, .arrow, .csv, .json or .ndjson. \
         Use it for answers larger than the result budget, then tell the user the path."
    } else {
        "Not available: this server was started without --output-dir, so it cannot write \
         files. Giving it is refused."
    };
    let json = json!({
        "dw": {"type": "integer", "minimum": 0, "description": dw},
        "max_rows": {
            "type": "integer", "minimum": 1, "maximum": MAX_ROWS_LIMIT,
            "description": "The most rows the API returns (its default is 1000). The result \
                            itself shows at most the budget's rows either way."
        },
        "all_rows": {
            "type": "boolean",
            "description": "Fetch every row of the answer, not only the first max_rows \
                            (one more request once the question completes). Use with save_as."
        },
        "include": {
            "type": "array",
            "items": {"type": "string", "enum": ["dataframe", "statistics", "sqlquery", "summary"]},
            "minItems": 1,
            "description": "The parts of the answer to fetch; default all four."
        },
        "save_as": {"type": "string", "description": save},
        "overwrite": {
            "type": "boolean",
            "description": "With save_as: replace a file of that name (default false: refused)."
        },
    });
    match json {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// The output schema of `ask` and `results`.
pub fn answer_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "question_id": {"type": "string", "description": "The question's id, for results."},
            "state": {"type": "string", "description": "PENDING, IN_PROGRESS, COMPLETED or FAILED."},
            "summary": {"type": ["string", "null"], "description": "ConnectyAI's summary of the answer."},
            "sql": {"type": ["string", "null"], "description": "The SQL that produced the answer."},
            "columns": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "type": {"type": "string", "description": "int64, uint64, float64, decimal128(P,S) (cells are exact decimal strings), timestamp[us, UTC], date32, utf8, bool, json or null."}
                    },
                    "required": ["name", "type"]
                }
            },
            "rows": {
                "type": "array",
                "items": {"type": "array"},
                "description": "The rows shown, each a list of cells in column order, exactly as received."
            },
            "row_count": {"type": "integer", "description": "The rows the API returned."},
            "completeness": {
                "type": ["object", "null"],
                "properties": {
                    "complete": {"type": "boolean"},
                    "rows": {"type": "integer"},
                    "at_least": {"type": ["integer", "null"]},
                    "at_most": {"type": ["integer", "null"]}
                },
                "description": "Whether the API returned every row of the answer, and bounds on its total."
            },
            "rows_omitted": {"type": "integer", "description": "Rows returned but left out of this result to fit the budget."},
            "saved": {
                "type": ["object", "null"],
                "properties": {
                    "path": {"type": "string"},
                    "rows": {"type": "integer"},
                    "bytes": {"type": "integer"}
                },
                "description": "The file save_as wrote."
            },
            "message": {"type": ["string", "null"], "description": "What to do next, when the question has not finished."}
        },
        "required": ["question_id", "state", "columns", "rows", "row_count", "rows_omitted"]
    })
}

fn budget_words(config: &ServerConfig) -> String {
    format!(
        "A result shows at most {} rows and {} bytes (the context budget); rows beyond it are \
         counted in rows_omitted, never dropped silently.",
        config.max_result_rows, config.max_result_bytes
    )
}

/// The three tools, described for this server's configuration.
pub fn tools(config: &ServerConfig) -> Vec<Tool> {
    let mut ask_props = common_properties(config);
    ask_props.insert(
        "question".into(),
        json!({"type": "string", "minLength": 1, "description": "The question in words, such as \"list the top 5 countries with the most orders\", or one SQL statement."}),
    );
    let mut ask_required = vec!["question"];
    if config.default_workspace.is_none() {
        ask_required.push("dw");
    }
    let ask_input = json!({
        "type": "object",
        "properties": ask_props,
        "required": ask_required,
        "additionalProperties": false,
    });
    let mut results_props = common_properties(config);
    results_props.insert(
        "question_id".into(),
        json!({"type": "string", "description": "The question_id an earlier ask returned."}),
    );
    results_props.insert(
        "wait".into(),
        json!({"type": "boolean", "description": "Wait until the question is COMPLETED or FAILED (default true), up to the tool deadline; false reads its state once."}),
    );
    let mut results_required = vec!["question_id"];
    if config.default_workspace.is_none() {
        results_required.push("dw");
    }
    let results_input = json!({
        "type": "object",
        "properties": results_props,
        "required": results_required,
        "additionalProperties": false,
    });
    let deadline = config.tool_timeout.as_secs_f64();
    let ask = Tool::new(
        "ask",
        format!(
            "Ask a question of a ConnectyAI Data Workspace, wait for the answer and return it: \
             summary, SQL, typed columns and rows. Asks once; waits at most {deadline:.0} s. \
             If the deadline passes, it returns the question_id and state instead of an answer: \
             then call results with that question_id to go on waiting (do not ask again). {} \
             A question that FAILED, or any other error, comes back as an error result with \
             what to do next.",
            budget_words(config)
        ),
        object(ask_input),
    )
    .with_raw_output_schema(object(answer_schema()))
    .with_annotations(annotations(false));
    let results = Tool::new(
        "results",
        format!(
            "Resume or re-read a question asked earlier, by its question_id: waits until it is \
             COMPLETED or FAILED (wait: true, the default; at most {deadline:.0} s) and returns \
             the answer as ask does. Use it after ask returned an unfinished state, to fetch \
             every row (all_rows with save_as), or to get rows that the budget left out \
             (save_as). {}",
            budget_words(config)
        ),
        object(results_input),
    )
    .with_raw_output_schema(object(answer_schema()))
    .with_annotations(annotations(false));
    let health = Tool::new(
        "health",
        "Check that the ConnectyAI API answers (no credentials needed). Use it when other \
         tools fail with network errors.",
        object(json!({"type": "object", "properties": {}, "additionalProperties": false})),
    )
    .with_raw_output_schema(object(json!({
        "type": "object",
        "properties": {"status": {"type": "string"}, "base_url": {"type": "string"}},
        "required": ["status"]
    })))
    .with_annotations(annotations(true));
    vec![ask, results, health]
}

fn annotations(read_only: bool) -> ToolAnnotations {
    let mut a = ToolAnnotations::default();
    a.read_only_hint = Some(read_only);
    a.destructive_hint = Some(false);
    a.open_world_hint = Some(true);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_both_schemas_and_names_its_arguments() {
        let config = ServerConfig::default();
        let tools = tools(&config);
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["ask", "results", "health"]);
        for t in &tools {
            assert_eq!(t.input_schema["type"], "object", "{}", t.name);
            assert_eq!(t.input_schema["additionalProperties"], false, "{}", t.name);
            assert!(t.output_schema.is_some(), "{}", t.name);
            assert!(t.description.as_ref().is_some_and(|d| d.len() > 40));
        }
        let ask = &tools[0].input_schema["properties"];
        let keys: Vec<&String> = ask.as_object().unwrap().keys().collect();
        for k in [
            "question", "dw", "max_rows", "all_rows", "include", "save_as",
        ] {
            assert!(keys.iter().any(|x| *x == k), "{k}");
        }
        assert_eq!(tools[0].input_schema["required"], json!(["question", "dw"]));
        let results = &tools[1].input_schema["properties"];
        for k in [
            "question_id",
            "dw",
            "wait",
            "max_rows",
            "all_rows",
            "save_as",
        ] {
            assert!(results.get(k).is_some(), "{k}");
        }
        assert!(
            tools[0]
                .description
                .as_ref()
                .unwrap()
                .contains("call results")
        );
    }

    #[test]
    fn a_default_workspace_makes_dw_optional() {
        let config = ServerConfig {
            default_workspace: Some(connecty_proto::WorkspaceId(13)),
            ..ServerConfig::default()
        };
        let tools = tools(&config);
        assert_eq!(tools[0].input_schema["required"], json!(["question"]));
        assert_eq!(tools[1].input_schema["required"], json!(["question_id"]));
    }
}
