//! The emulator against the API reference, over plain HTTP/1.1 from a
//! `TcpStream`: no connecty transport is involved.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use connecty_emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, EmulatorError, EmulatorHandle,
    KNOWN_QUESTIONS, Schedule,
};
use connecty_proto::{State, parse_results_body};
use serde_json::{Value, json};

const TOP5: &str = "list the top 5 countries with the most orders";
/// The question id of the API reference's examples.
const QUESTION_ID: &str = "729cb7a4-4b06-449e-a3c9-df40f5e570b8";

/// One HTTP response as received.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }

    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .expect("an error field")
            .to_string()
    }
}

/// Sends one request on a fresh connection and reads the whole answer.
fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut stream = TcpStream::connect(addr).expect("connect to the emulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = raw[split + 4..].to_vec();
    let resp = Resp {
        status,
        headers,
        body,
    };
    assert_ne!(
        resp.header("transfer-encoding"),
        Some("chunked"),
        "the test client reads only whole bodies"
    );
    if let Some(n) = resp.header("content-length") {
        assert_eq!(n.parse::<usize>().unwrap(), resp.body.len());
    }
    resp
}

fn get(emu: &EmulatorHandle, path: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    send(emu.addr(), "GET", path, &[("Authorization", &auth)], b"")
}

fn post_json(emu: &EmulatorHandle, path: &str, token: Option<&str>, body: &Value) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    send(
        emu.addr(),
        "POST",
        path,
        &headers,
        body.to_string().as_bytes(),
    )
}

fn token(emu: &EmulatorHandle) -> String {
    let r = post_json(
        emu,
        "/v1/auth/token",
        None,
        &json!({"client_id": emu.client_id(), "client_secret": emu.client_secret()}),
    );
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    r.json()["access_token"].as_str().unwrap().to_string()
}

fn ask(emu: &EmulatorHandle, token: &str, question: &str) -> String {
    let r = post_json(
        emu,
        "/v1/dw/13/questions",
        Some(token),
        &json!({ "question": question }),
    );
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    let id = r.json()["question_id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    id
}

fn results_path(id: &str, query: &str) -> String {
    if query.is_empty() {
        format!("/v1/dw/13/questions/{id}/results")
    } else {
        format!("/v1/dw/13/questions/{id}/results?{query}")
    }
}

/// Polls until the state is terminal (bounded, so a bug cannot hang the
/// suite) and returns the final response.
fn wait(emu: &EmulatorHandle, token: &str, id: &str, query: &str) -> Resp {
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(emu, &results_path(id, query), token);
        assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
        let state = r.json()["state"].as_str().unwrap().to_string();
        if state == "COMPLETED" || state == "FAILED" {
            return r;
        }
        assert!(Instant::now() < give_up, "still {state}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn fast() -> EmulatorHandle {
    Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap()
}

/// Asks and waits, returning the final JSON.
fn ask_and_wait(emu: &EmulatorHandle, question: &str, query: &str) -> Value {
    let t = token(emu);
    let id = ask(emu, &t, question);
    wait(emu, &t, &id, query).json()
}

#[test]
fn health_is_ok_without_a_token() {
    let emu = fast();
    let r = send(emu.addr(), "GET", "/v1/health", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.base_url(), format!("http://{}", emu.addr()));
}

#[test]
fn token_is_issued_for_the_configured_credentials() {
    let emu = Emulator::builder()
        .credentials("my-id", "my-secret")
        .token_ttl(Duration::from_secs(600))
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    assert_eq!(emu.client_id(), "my-id");
    assert_eq!(emu.client_secret(), "my-secret");
    let r = post_json(
        &emu,
        "/v1/auth/token",
        None,
        &json!({"client_id": "my-id", "client_secret": "my-secret"}),
    );
    assert_eq!(r.status, 200);
    let body = r.json();
    let access = body["access_token"].as_str().unwrap();
    assert!(access.len() >= 32);
    let expires_text = body["expires_at"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(expires_text).unwrap();
    assert!(
        expires_text.contains('.') && expires_text.ends_with("+00:00"),
        "{expires_text}"
    );
    let date =
        chrono::DateTime::parse_from_rfc2822(r.header("date").expect("a Date header")).unwrap();
    let lifetime = expires - date;
    assert!(
        (599..=601).contains(&lifetime.num_seconds()),
        "{lifetime:?}"
    );
    // Each exchange gives a new token.
    let r2 = post_json(
        &emu,
        "/v1/auth/token",
        None,
        &json!({"client_id": "my-id", "client_secret": "my-secret"}),
    );
    assert_ne!(r2.json()["access_token"], body["access_token"]);
    assert_eq!(emu.token_requests(), 2);
}

#[test]
fn defaults_are_the_documented_test_credentials() {
    let emu = fast();
    assert_eq!(emu.client_id(), DEFAULT_CLIENT_ID);
    assert_eq!(emu.client_secret(), DEFAULT_CLIENT_SECRET);
    assert_eq!(emu.workspace_id(), 13);
    let debug = format!("{emu:?}");
    assert!(!debug.contains(DEFAULT_CLIENT_SECRET), "{debug}");
    assert!(debug.contains("[redacted]"));
    let builder = format!("{:?}", Emulator::builder());
    assert!(!builder.contains(DEFAULT_CLIENT_SECRET), "{builder}");
    let config = emu.client_config();
    assert_eq!(config.base_url.to_string(), emu.base_url());
    assert_eq!(
        config.credentials.as_ref().unwrap().client_id(),
        DEFAULT_CLIENT_ID
    );
}

#[test]
fn bad_credentials_get_401_and_bad_bodies_400() {
    let emu = fast();
    for body in [
        json!({"client_id": DEFAULT_CLIENT_ID, "client_secret": "wrong"}),
        json!({"client_id": "someone", "client_secret": DEFAULT_CLIENT_SECRET}),
        json!({"client_id": "", "client_secret": ""}),
    ] {
        let r = post_json(&emu, "/v1/auth/token", None, &body);
        assert_eq!(r.status, 401);
        assert_eq!(r.json(), json!({"error": "invalid client credentials"}));
    }
    for raw in [
        &b"not json"[..],
        b"",
        b"[]",
        br#"{"client_id": 5, "client_secret": "x"}"#,
        br#"{"client_id": "emulator-client"}"#,
        b"{\"client_id\": \"\xff\"}",
    ] {
        let r = send(emu.addr(), "POST", "/v1/auth/token", &[], raw);
        assert_eq!(r.status, 400, "{raw:?}");
        assert!(r.error().contains("client_id"));
    }
    let r = send(emu.addr(), "GET", "/v1/auth/token", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert_eq!(emu.token_requests(), 10);
}

#[test]
fn missing_or_unknown_bearer_tokens_get_401() {
    let emu = fast();
    let path = "/v1/dw/13/questions";
    let body = json!({"question": TOP5});
    let r = post_json(&emu, path, None, &body);
    assert_eq!(r.status, 401);
    assert!(r.error().contains("Authorization"));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = post_json(&emu, path, Some("made-up"), &body);
    assert_eq!(r.status, 401);
    assert_eq!(r.error(), "invalid access token");
    let r = send(
        emu.addr(),
        "POST",
        path,
        &[("Authorization", "Basic abc")],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 401);
    let r = get(&emu, &results_path(QUESTION_ID, ""), "made-up");
    assert_eq!(r.status, 401);
    assert_eq!(emu.questions_asked(), 0);
}

#[test]
fn an_expired_token_gets_401_and_a_fresh_one_works() {
    let emu = Emulator::builder()
        .token_ttl(Duration::from_secs(1))
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let t = token(&emu);
    let id = ask(&emu, &t, TOP5);
    // Let the one-second lifetime pass.
    std::thread::sleep(Duration::from_millis(1_100));
    let r = get(&emu, &results_path(&id, ""), &t);
    assert_eq!(r.status, 401);
    assert_eq!(r.error(), "access token expired");
    let r = post_json(
        &emu,
        "/v1/dw/13/questions",
        Some(&t),
        &json!({"question": TOP5}),
    );
    assert_eq!(r.status, 401);
    let fresh = token(&emu);
    let r = wait(&emu, &fresh, &id, "");
    assert_eq!(r.json()["state"], "COMPLETED");
    assert_eq!(emu.token_requests(), 2);
}

#[test]
fn questions_go_pending_then_in_progress_then_completed() {
    let emu = Emulator::builder()
        .schedule(Schedule {
            pending: Duration::from_millis(700),
            in_progress: Duration::from_millis(700),
        })
        .start()
        .unwrap();
    let t = token(&emu);
    let id = ask(&emu, &t, TOP5);
    let mut seen: Vec<String> = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let r = get(&emu, &results_path(&id, ""), &t);
        let state = r.json()["state"].as_str().unwrap().to_string();
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "COMPLETED" || Instant::now() > give_up {
            break;
        }
        // Only the state, nothing else, before completion.
        assert_eq!(r.json(), json!({ "state": state }));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(seen, ["PENDING", "IN_PROGRESS", "COMPLETED"]);
}

#[test]
fn include_and_max_rows_are_honoured() {
    let emu = fast();
    let t = token(&emu);
    let id = ask(&emu, &t, "SELECT id, status FROM orders ORDER BY id");
    // Default: the dataframe only, at most 1000 rows.
    let d = wait(&emu, &t, &id, "").json();
    let results = d["results"].as_object().unwrap();
    assert_eq!(results.keys().collect::<Vec<_>>(), ["dataframe"]);
    let df = results["dataframe"].as_array().unwrap();
    assert_eq!(df.len(), 1 + 1000);
    assert_eq!(df[0], json!(["id", "status"]));
    assert_eq!(df[1][0], 1);

    let r = get(
        &emu,
        &results_path(&id, "include=dataframe,sqlquery,summary&max_rows=3"),
        &t,
    )
    .json();
    let results = r["results"].as_object().unwrap();
    assert_eq!(
        results.keys().collect::<Vec<_>>(),
        ["dataframe", "response_summary", "sql_query"]
    );
    assert_eq!(results["dataframe"].as_array().unwrap().len(), 4);
    assert_eq!(
        results["sql_query"],
        "SELECT id, status FROM orders ORDER BY id"
    );
    let summary = results["response_summary"].as_str().unwrap();
    assert!(summary.starts_with("Emulator: 5000 rows"), "{summary}");
    assert!(summary.contains("first 3 rows (max_rows)"), "{summary}");

    // Statistics alone, from every row, not only the first max_rows.
    let r = get(
        &emu,
        &results_path(&id, "include=statistics&max_rows=2"),
        &t,
    )
    .json();
    let results = r["results"].as_object().unwrap();
    assert_eq!(results.keys().collect::<Vec<_>>(), ["dataframe_stats"]);
    assert_eq!(
        results["dataframe_stats"]["id"]["general"],
        json!({"count": 5000, "nulls_count": 0})
    );
    assert_eq!(results["dataframe_stats"]["id"]["numeric"]["max"], 5000);

    // Percent-encoded commas and a big max_rows.
    let r = get(
        &emu,
        &results_path(&id, "include=dataframe%2Csqlquery&max_rows=100000"),
        &t,
    )
    .json();
    assert_eq!(
        r["results"]["dataframe"].as_array().unwrap().len(),
        1 + 5000
    );
}

#[test]
fn top_five_countries_has_statistics_in_the_reference_shape() {
    let emu = fast();
    let v = ask_and_wait(&emu, TOP5, "include=dataframe,statistics,sqlquery,summary");
    assert_eq!(v["state"], "COMPLETED");
    let r = &v["results"];
    let df = r["dataframe"].as_array().unwrap();
    assert_eq!(df[0], json!(["country", "orders"]));
    assert_eq!(df.len(), 6);
    let counts: Vec<i64> = df[1..].iter().map(|row| row[1].as_i64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert_eq!(r["sql_query"], KNOWN_QUESTIONS[0].sql);
    assert_eq!(
        r["response_summary"],
        format!("Emulator: 5 rows from the SQL mapped to the known question \"{TOP5}\".")
    );
    let stats = &r["dataframe_stats"];
    let country = &stats["country"];
    assert_eq!(country["general"], json!({"count": 5, "nulls_count": 0}));
    let s = &country["string"];
    assert_eq!(s["distinct_count"], 5);
    assert_eq!(s["distinct_approx"], false);
    assert_eq!(s["empty_string_count"], 0);
    let names: Vec<&str> = df[1..].iter().map(|row| row[0].as_str().unwrap()).collect();
    let lens: Vec<u64> = names.iter().map(|n| n.chars().count() as u64).collect();
    assert_eq!(s["min_len"], *lens.iter().min().unwrap());
    assert_eq!(s["max_len"], *lens.iter().max().unwrap());
    let mean = lens.iter().sum::<u64>() as f64 / 5.0;
    assert!((s["mean_len"].as_f64().unwrap() - mean).abs() < 0.006);
    let orders = &stats["orders"];
    assert_eq!(orders["general"], json!({"count": 5, "nulls_count": 0}));
    let n = &orders["numeric"];
    assert_eq!(n["max"], counts[0]);
    assert_eq!(n["min"], counts[4]);
    assert_eq!(n["sum"], counts.iter().sum::<i64>());
    assert_eq!(n["mean"], counts.iter().sum::<i64>() as f64 / 5.0);
    assert!(country.get("numeric").is_none() && orders.get("string").is_none());
}

#[test]
fn completed_bodies_parse_with_the_sdk_parser() {
    let emu = fast();
    let t = token(&emu);
    let id = ask(
        &emu,
        &t,
        "Show the 100 latest orders with the customer email?",
    );
    let r = wait(
        &emu,
        &t,
        &id,
        "include=dataframe,statistics,sqlquery,summary",
    );
    let parsed = parse_results_body(r.body).expect("the SDK parses the emulator's body");
    assert_eq!(parsed.state, State::Completed);
    let results = parsed.results.expect("results");
    let df = results.dataframe.expect("dataframe");
    assert_eq!(df.columns(), ["order_timestamp", "customer_email"]);
    assert_eq!(df.len(), 100);
    let stats = results.dataframe_stats.expect("statistics");
    let ts = stats.column("order_timestamp").expect("timestamp column");
    assert_eq!(ts.general.as_ref().unwrap().count, Some(100));
    let temporal = ts.temporal.as_ref().expect("typed temporal section");
    assert_eq!(temporal.distinct_approx, Some(false));
    let (min, max) = (
        temporal.min.as_ref().unwrap(),
        temporal.max.as_ref().unwrap(),
    );
    assert!(min.datetime() <= max.datetime());
    // The newest order comes first, and max keeps its original text.
    assert_eq!(df.cell(0, 0).unwrap().as_str().unwrap(), max.as_str());
    let email = stats.column("customer_email").unwrap();
    let string = email.string.as_ref().expect("typed string section");
    assert_eq!(string.empty_string_count, Some(0));
    assert!(string.mean_len.unwrap() > 10.0);
    assert!(results.sql_query.unwrap().starts_with("WITH ranked_orders"));
    assert!(
        results
            .response_summary
            .unwrap()
            .starts_with("Emulator: 100 rows")
    );

    // A numeric section is kept by the parser as an unmodelled section.
    let id = ask(&emu, &t, TOP5);
    let r = wait(&emu, &t, &id, "include=statistics");
    let stats = parse_results_body(r.body)
        .unwrap()
        .results
        .unwrap()
        .dataframe_stats
        .unwrap();
    let orders = stats.column("orders").unwrap();
    let numeric = orders.section("numeric").expect("a numeric section");
    assert!(numeric["max"].as_i64().is_some_and(|n| n > 0));
    assert!(numeric["distinct_count"].as_u64().is_some());
}

#[test]
fn sql_questions_run_as_sql_with_typed_cells() {
    let emu = fast();
    let v = ask_and_wait(
        &emu,
        "  select count(*) AS n, 1.5 AS x, NULL AS missing, 'Zoë' AS name FROM orders",
        "include=dataframe,sqlquery",
    );
    assert_eq!(v["state"], "COMPLETED", "{v}");
    assert_eq!(
        v["results"]["dataframe"],
        json!([["n", "x", "missing", "name"], [5000, 1.5, null, "Zoë"]])
    );
    assert_eq!(
        v["results"]["sql_query"],
        "select count(*) AS n, 1.5 AS x, NULL AS missing, 'Zoë' AS name FROM orders"
    );
    let v = ask_and_wait(
        &emu,
        "WITH g AS (SELECT is_gift, note FROM orders WHERE note IS NOT NULL) SELECT * FROM g LIMIT 50",
        "",
    );
    let df = v["results"]["dataframe"].as_array().unwrap();
    assert_eq!(df.len(), 51);
    assert!(df[1..].iter().all(|row| row[0].is_boolean()));
    let v = ask_and_wait(&emu, "SELECT 9223372036854775807 AS big", "");
    assert_eq!(
        serde_json::to_string(&v["results"]["dataframe"]).unwrap(),
        "[[\"big\"],[9223372036854775807]]"
    );
}

#[test]
fn every_known_question_completes() {
    let emu = fast();
    let t = token(&emu);
    for k in KNOWN_QUESTIONS {
        let id = ask(&emu, &t, &k.question.to_uppercase());
        let v = wait(&emu, &t, &id, "include=dataframe,sqlquery").json();
        assert_eq!(v["state"], "COMPLETED", "{}: {v}", k.question);
        assert_eq!(v["results"]["sql_query"], k.sql);
        assert!(
            v["results"]["dataframe"].as_array().unwrap().len() > 1,
            "{}: no rows",
            k.question
        );
    }
}

#[test]
fn an_unknown_question_fails_with_what_the_emulator_can_answer() {
    let emu = fast();
    let v = ask_and_wait(&emu, "what is the meaning of life?", "");
    assert_eq!(v["state"], "FAILED");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("not a text-to-SQL engine"), "{e}");
    assert!(e.contains("SELECT"), "{e}");
    for k in KNOWN_QUESTIONS {
        assert!(e.contains(k.question), "{e}");
    }
    assert!(v.get("results").is_none());
}

#[test]
fn a_sql_error_fails_with_the_sqlite_message() {
    let emu = fast();
    let v = ask_and_wait(&emu, "SELECT * FROM no_such_table", "");
    assert_eq!(v["state"], "FAILED");
    let e = v["error"].as_str().unwrap();
    assert!(e.contains("no such table: no_such_table"), "{e}");
    let v = ask_and_wait(&emu, "SELECT FROM WHERE", "");
    assert_eq!(v["state"], "FAILED");
    assert!(v["error"].as_str().unwrap().contains("syntax error"));
    // Writes are refused: the database is read-only.
    let v = ask_and_wait(&emu, "WITH x AS (SELECT 1) DELETE FROM orders", "");
    assert_eq!(v["state"], "FAILED");
    let v = ask_and_wait(&emu, "SELECT count(*) AS n FROM orders", "");
    assert_eq!(v["results"]["dataframe"][1][0], 5000);
}

#[test]
fn a_slow_query_is_stopped_and_fails() {
    let emu = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .query_timeout(Duration::from_millis(100))
        .start()
        .unwrap();
    let v = ask_and_wait(
        &emu,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
        "",
    );
    assert_eq!(v["state"], "FAILED");
    assert!(v["error"].as_str().unwrap().contains("longer than"));
    // Still responsive afterwards.
    let v = ask_and_wait(&emu, "SELECT 1 AS one", "");
    assert_eq!(v["results"]["dataframe"], json!([["one"], [1]]));
}

#[test]
fn another_workspace_is_404_and_a_bad_dw_id_400() {
    let emu = fast();
    let t = token(&emu);
    let body = json!({"question": TOP5});
    let r = post_json(&emu, "/v1/dw/14/questions", Some(&t), &body);
    assert_eq!(r.status, 404);
    assert!(r.error().contains("workspace 14"), "{}", r.error());
    let r = post_json(&emu, "/v1/dw/abc/questions", Some(&t), &body);
    assert_eq!(r.status, 400);
    assert!(r.error().contains("dw_id"));
    let id = ask(&emu, &t, TOP5);
    let r = get(&emu, &format!("/v1/dw/14/questions/{id}/results"), &t);
    assert_eq!(r.status, 404);
    assert!(r.error().contains("workspace 14"));
    let r = get(&emu, &format!("/v1/dw/-1/questions/{id}/results"), &t);
    assert_eq!(r.status, 400);

    let other = Emulator::builder()
        .workspace_id(7)
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let t = token(&other);
    assert_eq!(
        post_json(&other, "/v1/dw/7/questions", Some(&t), &body).status,
        200
    );
    assert_eq!(
        post_json(&other, "/v1/dw/13/questions", Some(&t), &body).status,
        404
    );
}

#[test]
fn an_unknown_question_id_is_404_and_a_malformed_one_400() {
    let emu = fast();
    let t = token(&emu);
    let r = get(&emu, &results_path(QUESTION_ID, ""), &t);
    assert_eq!(r.status, 404);
    assert!(r.error().contains(QUESTION_ID));
    let r = get(&emu, &results_path("not-a-uuid", ""), &t);
    assert_eq!(r.status, 400);
    assert!(r.error().contains("question_id"));
}

#[test]
fn bad_include_and_max_rows_are_400() {
    let emu = fast();
    let t = token(&emu);
    let id = ask(&emu, &t, TOP5);
    for q in [
        "include=tables",
        "include=",
        "include=dataframe,everything",
        "max_rows=0",
        "max_rows=-5",
        "max_rows=ten",
        "max_rows=1.5",
    ] {
        let r = get(&emu, &results_path(&id, q), &t);
        assert_eq!(r.status, 400, "{q}");
        let e = r.error();
        assert!(e.contains("include") || e.contains("max_rows"), "{q}: {e}");
    }
}

#[test]
fn bad_question_bodies_are_400_and_huge_ones_413() {
    let emu = fast();
    let t = token(&emu);
    for body in [
        json!({}),
        json!({"question": 5}),
        json!({"question": "   "}),
        json!(["list"]),
    ] {
        let r = post_json(&emu, "/v1/dw/13/questions", Some(&t), &body);
        assert_eq!(r.status, 400, "{body}");
    }
    let huge = json!({"question": "x".repeat(2 * 1024 * 1024)});
    let r = post_json(&emu, "/v1/dw/13/questions", Some(&t), &huge);
    assert_eq!(r.status, 413);
    let long = json!({"question": format!("SELECT '{}'", "x".repeat(70 * 1024))});
    let r = post_json(&emu, "/v1/dw/13/questions", Some(&t), &long);
    assert_eq!(r.status, 400);
    assert_eq!(emu.questions_asked(), 0);
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    let emu = fast();
    let r = send(emu.addr(), "GET", "/v2/health", &[], b"");
    assert_eq!(r.status, 404);
    assert!(r.error().contains("/v1/health"));
    let r = send(emu.addr(), "DELETE", "/v1/health", &[], b"");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET"));
    let r = send(emu.addr(), "GET", "/v1/dw/13/questions", &[], b"");
    assert_eq!(r.status, 405);
}

#[test]
fn responses_are_gzipped_when_accepted() {
    let emu = fast();
    let t = token(&emu);
    let id = ask(&emu, &t, "SELECT * FROM customers");
    let query = "include=dataframe,statistics&max_rows=1500";
    let plain = wait(&emu, &t, &id, query);
    assert_eq!(plain.header("content-encoding"), None);
    let auth = format!("Bearer {t}");
    let zipped = send(
        emu.addr(),
        "GET",
        &results_path(&id, query),
        &[("Authorization", &auth), ("Accept-Encoding", "gzip")],
        b"",
    );
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert!(zipped.body.len() * 2 < plain.body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    // Small answers too, and q=0 turns it off.
    let r = send(
        emu.addr(),
        "GET",
        "/v1/health",
        &[("Accept-Encoding", "br, gzip;q=0.8")],
        b"",
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let r = send(
        emu.addr(),
        "GET",
        "/v1/health",
        &[("Accept-Encoding", "gzip;q=0")],
        b"",
    );
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.json(), json!({"status": "ok"}));
}

#[test]
fn the_large_table_option_adds_events() {
    let rows = 3_000;
    let emu = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .large_table_rows(rows)
        .start()
        .unwrap();
    let t = token(&emu);
    let id = ask(&emu, &t, "SELECT * FROM events");
    let r = wait(&emu, &t, &id, "max_rows=200000");
    let v = r.json();
    let df = v["results"]["dataframe"].as_array().unwrap();
    assert_eq!(
        df[0],
        json!(["id", "value", "label", "occurred_at", "flag", "comment"])
    );
    assert_eq!(df.len() as u64, 1 + rows);
    let row = &df[1];
    assert!(row[0].is_i64() && row[1].is_f64() && row[2].is_string());
    assert!(chrono::DateTime::parse_from_rfc3339(row[3].as_str().unwrap()).is_ok());
    assert!(row[4].is_boolean());
    assert!(df[1..].iter().any(|r| r[5].is_null()));
    assert!(df[1..].iter().any(|r| r[5].is_string()));
    // About 87 bytes a row, so 200,000 rows make about 17 MB.
    let per_row = r.body.len() as u64 / rows;
    assert!((60..=100).contains(&per_row), "{per_row} bytes a row");
}

#[test]
fn a_sqlite_file_of_ones_own_is_served_read_only() {
    let path = std::env::temp_dir().join(format!(
        "connecty-emulator-test-{}.sqlite",
        uuid::Uuid::new_v4().simple()
    ));
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE logins (user_email TEXT, login_at TIMESTAMP, ok BOOLEAN);
             INSERT INTO logins VALUES ('damian@connectyai.com', '2025-11-04T13:05:01.146+01:00', 1);
             INSERT INTO logins VALUES ('ola@connectyai.com', '2025-11-04T11:48:15.46+01:00', 0);",
        )
        .unwrap();
    }
    let emu = Emulator::builder()
        .database(&path)
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let v = ask_and_wait(
        &emu,
        "SELECT * FROM logins ORDER BY login_at DESC",
        "include=dataframe,statistics",
    );
    assert_eq!(
        v["results"]["dataframe"],
        json!([
            ["user_email", "login_at", "ok"],
            [
                "damian@connectyai.com",
                "2025-11-04T13:05:01.146+01:00",
                true
            ],
            ["ola@connectyai.com", "2025-11-04T11:48:15.46+01:00", false]
        ])
    );
    assert_eq!(
        v["results"]["dataframe_stats"]["login_at"]["temporal"]["max"],
        "2025-11-04T13:05:01.146+01:00"
    );
    // The sample's known questions have no tables here.
    let v = ask_and_wait(&emu, TOP5, "");
    assert_eq!(v["state"], "FAILED");
    assert!(v["error"].as_str().unwrap().contains("no such table"));
    drop(emu);
    let _ = std::fs::remove_file(&path);

    let e = Emulator::builder().database(&path).start().unwrap_err();
    assert!(matches!(e, EmulatorError::Database(_)), "{e}");
    let e = Emulator::builder()
        .database(std::env::temp_dir())
        .large_table_rows(10)
        .start()
        .unwrap_err();
    assert!(matches!(e, EmulatorError::InvalidConfig(_)), "{e}");
}

#[test]
fn invalid_settings_are_refused_at_start() {
    let e = Emulator::builder()
        .credentials("", "x")
        .start()
        .unwrap_err();
    assert!(matches!(e, EmulatorError::InvalidConfig(_)), "{e}");
    assert!(e.to_string().contains("client_id"), "{e}");
    let e = Emulator::builder()
        .credentials("id", "line\nbreak")
        .start()
        .unwrap_err();
    assert!(!e.to_string().contains("line\nbreak"), "{e}");
    let e = Emulator::builder().max_rows_cap(0).start().unwrap_err();
    assert!(matches!(e, EmulatorError::InvalidConfig(_)));
}

#[test]
fn the_row_cap_bounds_results_and_is_reported() {
    let emu = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .max_rows_cap(10)
        .start()
        .unwrap();
    let v = ask_and_wait(
        &emu,
        "SELECT id FROM orders",
        "include=dataframe,summary,statistics",
    );
    assert_eq!(v["results"]["dataframe"].as_array().unwrap().len(), 11);
    assert_eq!(
        v["results"]["dataframe_stats"]["id"]["general"]["count"],
        10
    );
    assert!(
        v["results"]["response_summary"]
            .as_str()
            .unwrap()
            .contains("kept only the first 10 rows")
    );
}

#[test]
fn counters_count_every_request() {
    let emu = fast();
    assert_eq!((emu.requests(), emu.token_requests()), (0, 0));
    let t = token(&emu);
    let id = ask(&emu, &t, TOP5);
    wait(&emu, &t, &id, "");
    assert!(emu.requests() >= 3);
    assert_eq!(emu.token_requests(), 1);
    assert_eq!(emu.questions_asked(), 1);
}

#[test]
fn shutdown_stops_listening() {
    let emu = fast();
    let addr = emu.addr();
    assert_eq!(send(addr, "GET", "/v1/health", &[], b"").status, 200);
    emu.shutdown();
    assert!(TcpStream::connect(addr).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_starts_and_stops_inside_an_async_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = fast();
    let mut stream = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    stream
        .write_all(b"GET /v1/health HTTP/1.1\r\nHost: e\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with(r#"{"status":"ok"}"#));
    // Dropping the handle in async code must not panic.
    drop(emu);
}

#[tokio::test(flavor = "current_thread")]
async fn it_can_be_dropped_on_a_current_thread_runtime() {
    let emu = fast();
    let addr = emu.addr();
    let r = tokio::task::spawn_blocking(move || send(addr, "GET", "/v1/health", &[], b""))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    drop(emu);
}

#[test]
fn a_huge_token_lifetime_still_gives_a_valid_date() {
    let emu = Emulator::builder()
        .token_ttl(Duration::MAX)
        .schedule(Schedule::IMMEDIATE)
        .start()
        .unwrap();
    let r = post_json(
        &emu,
        "/v1/auth/token",
        None,
        &json!({"client_id": emu.client_id(), "client_secret": emu.client_secret()}),
    );
    let expires = r.json()["expires_at"].as_str().unwrap().to_string();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&expires).is_ok(),
        "{expires}"
    );
    let t = r.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        ask_and_wait(&emu, "SELECT 1 AS one", "")["state"],
        "COMPLETED"
    );
    let id = ask(&emu, &t, "SELECT 2 AS two");
    assert_eq!(wait(&emu, &t, &id, "").json()["state"], "COMPLETED");
}

#[test]
fn large_bodies_are_reused_only_for_identical_requests() {
    let emu = Emulator::builder()
        .schedule(Schedule::IMMEDIATE)
        .large_table_rows(20_000)
        .start()
        .unwrap();
    let t = token(&emu);
    let first = ask(&emu, &t, "SELECT * FROM events");
    let a = wait(&emu, &t, &first, "max_rows=20000");
    // Another question with the same SQL and options: the same body.
    let second = ask(&emu, &t, "SELECT * FROM events");
    let b = wait(&emu, &t, &second, "max_rows=20000");
    assert!(a.body.len() > 1024 * 1024);
    assert_eq!(a.body, b.body);
    // Other options: another body.
    let c = wait(&emu, &t, &second, "max_rows=19999");
    assert_ne!(c.body, a.body);
    assert_eq!(
        c.json()["results"]["dataframe"].as_array().unwrap().len(),
        20_000
    );
    let d = wait(
        &emu,
        &t,
        &second,
        "max_rows=20000&include=dataframe,summary",
    );
    assert!(d.json()["results"]["response_summary"].is_string());
}
