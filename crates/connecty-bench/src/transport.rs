//! Transport overhead: the same results fetch of a completed question,
//! through connecty's clients and through bare hyper / bare ureq.

use std::time::{Duration, Instant};

use connecty_proto::{QuestionId, ResultsOptions, State};
use http::HeaderValue;

use crate::emu::EmuProc;
use crate::raw::{self, RawHyper};
use crate::report::{Report, Table};

/// The question: the sample workspace's 41 countries, 3 text columns.
pub const QUESTION: &str = "SELECT * FROM countries";
const DW: u64 = 13;
const COUNTRIES: usize = 41;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    ConnectyHyper,
    RawHyper,
    ConnectyUreq,
    RawUreq,
    RawUreqTimeouts,
}

const VARIANTS: [Variant; 5] = [
    Variant::ConnectyHyper,
    Variant::RawHyper,
    Variant::ConnectyUreq,
    Variant::RawUreq,
    Variant::RawUreqTimeouts,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::ConnectyHyper => "connecty-hyper `results()`",
            Variant::RawHyper => "raw hyper (hyper-util legacy client)",
            Variant::ConnectyUreq => "connecty-ureq `results()`",
            Variant::RawUreq => "raw ureq (Agent)",
            Variant::RawUreqTimeouts => {
                "raw ureq (Agent) with connecty-ureq's timeouts (not a target baseline)"
            }
        }
    }
}

struct Ctx {
    rt: tokio::runtime::Runtime,
    hyper: connecty_hyper::Client,
    ureq: connecty_ureq::Client,
    raw_hyper: RawHyper,
    agent: ureq::Agent,
    agent_timeouts: ureq::Agent,
    qid: QuestionId,
    opts: ResultsOptions,
    url: String,
    bearer: HeaderValue,
}

/// Whether proxy variables are set; then the connecty clients are built
/// with proxies disabled, as the raw clients have none.
pub fn proxy_env_set() -> bool {
    [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

/// A connecty-hyper client for the emulator, every other setting default.
pub fn hyper_builder(emu: &EmuProc) -> Result<connecty_hyper::ClientBuilder, String> {
    let mut b = connecty_hyper::ClientBuilder::new()
        .base_url(&emu.base_url)
        .and_then(|b| b.credentials(&emu.client_id, &emu.client_secret))
        .map_err(|e| e.to_string())?;
    if proxy_env_set() {
        b = b.proxy(connecty_proto::ProxySetting::Disabled);
    }
    Ok(b)
}

fn ureq_client(emu: &EmuProc) -> Result<connecty_ureq::Client, String> {
    let mut b = connecty_ureq::ClientBuilder::new()
        .base_url(&emu.base_url)
        .and_then(|b| b.credentials(&emu.client_id, &emu.client_secret))
        .map_err(|e| e.to_string())?;
    if proxy_env_set() {
        b = b.proxy(connecty_proto::ProxySetting::Disabled);
    }
    b.build().map_err(|e| e.to_string())
}

fn rows_of(r: &connecty_proto::ResultsResponse) -> Result<usize, String> {
    if r.state != State::Completed {
        return Err(format!("question not completed: {}", r.state.as_str()));
    }
    r.results
        .as_ref()
        .and_then(|r| r.dataframe.as_ref())
        .map(|d| d.len())
        .ok_or_else(|| "no dataframe in the results".to_string())
}

impl Ctx {
    fn new(emu: &EmuProc) -> Result<Ctx, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        let hyper = hyper_builder(emu)?.build().map_err(|e| e.to_string())?;
        let ureq = ureq_client(emu)?;
        let raw_hyper = raw::hyper_client();
        let agent = raw::ureq_agent();
        let agent_timeouts = raw::ureq_agent_with_timeouts();
        let (qid, bearer) = rt.block_on(async {
            let answer = hyper
                .ask_and_wait(DW, QUESTION, &connecty_proto::WaitOptions::new())
                .await
                .map_err(|e| format!("asking {QUESTION:?}: {e}"))?;
            let bearer = raw::token(
                &raw_hyper,
                &emu.base_url,
                &emu.client_id,
                &emu.client_secret,
            )
            .await?;
            Ok::<_, String>((answer.question_id, bearer))
        })?;
        let opts = ResultsOptions::default();
        let url = format!(
            "{}/v1/dw/{DW}/questions/{qid}/results?include={}",
            emu.base_url,
            opts.include.to_query_value()
        );
        Ok(Ctx {
            rt,
            hyper,
            ureq,
            raw_hyper,
            agent,
            agent_timeouts,
            qid,
            opts,
            url,
            bearer,
        })
    }

    /// Checks that every variant gets the same 41 rows.
    fn check(&self) -> Result<(), String> {
        for v in VARIANTS {
            let rows = match v {
                Variant::ConnectyHyper => {
                    let r = self
                        .rt
                        .block_on(self.hyper.results(DW, self.qid, &self.opts))
                        .map_err(|e| e.to_string())?;
                    rows_of(&r)?
                }
                Variant::ConnectyUreq => {
                    let r = self
                        .ureq
                        .results(DW, self.qid, &self.opts)
                        .map_err(|e| e.to_string())?;
                    rows_of(&r)?
                }
                Variant::RawHyper => {
                    let body = self.rt.block_on(async {
                        raw::send(&self.raw_hyper, raw::get(&self.url, &self.bearer)?).await
                    })?;
                    let r = connecty_proto::parse_results_body(body).map_err(|e| e.to_string())?;
                    rows_of(&r)?
                }
                Variant::RawUreq | Variant::RawUreqTimeouts => {
                    let body = self.raw_ureq_once(v == Variant::RawUreqTimeouts)?;
                    let r = connecty_proto::parse_results_body(body).map_err(|e| e.to_string())?;
                    rows_of(&r)?
                }
            };
            if rows != COUNTRIES {
                return Err(format!("{} got {rows} rows, not {COUNTRIES}", v.name()));
            }
        }
        Ok(())
    }

    fn raw_ureq_once(&self, timeouts: bool) -> Result<Vec<u8>, String> {
        let agent = if timeouts {
            &self.agent_timeouts
        } else {
            &self.agent
        };
        let resp = agent
            .get(&self.url)
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::AUTHORIZATION, self.bearer.clone())
            .call()
            .map_err(|e| format!("raw ureq request failed: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("raw ureq request answered {}", resp.status()));
        }
        resp.into_body()
            .read_to_vec()
            .map_err(|e| format!("raw ureq body failed: {e}"))
    }

    /// `n` sequential requests of `v`, each timed, appended to `out`.
    fn batch(&self, v: Variant, n: usize, out: &mut Vec<Duration>) -> Result<(), String> {
        match v {
            Variant::ConnectyHyper => self.rt.block_on(async {
                for _ in 0..n {
                    let t = Instant::now();
                    let r = self.hyper.results(DW, self.qid, &self.opts).await;
                    let d = t.elapsed();
                    r.map_err(|e| e.to_string())?;
                    out.push(d);
                }
                Ok(())
            }),
            Variant::RawHyper => self.rt.block_on(async {
                for _ in 0..n {
                    let t = Instant::now();
                    let req = raw::get(&self.url, &self.bearer)?;
                    let body = raw::send(&self.raw_hyper, req).await?;
                    let d = t.elapsed();
                    drop(body);
                    out.push(d);
                }
                Ok(())
            }),
            Variant::ConnectyUreq => {
                for _ in 0..n {
                    let t = Instant::now();
                    let r = self.ureq.results(DW, self.qid, &self.opts);
                    let d = t.elapsed();
                    r.map_err(|e| e.to_string())?;
                    out.push(d);
                }
                Ok(())
            }
            Variant::RawUreq | Variant::RawUreqTimeouts => {
                for _ in 0..n {
                    let t = Instant::now();
                    let body = self.raw_ureq_once(v == Variant::RawUreqTimeouts)?;
                    let d = t.elapsed();
                    drop(body);
                    out.push(d);
                }
                Ok(())
            }
        }
    }
}

fn target_name(stack: &str) -> String {
    format!("transport overhead, {stack}: connecty <= 1.20x raw {stack} (median per request)")
}

/// The targets' names (also used when they cannot be measured).
pub fn target_names() -> Vec<String> {
    vec![target_name("hyper"), target_name("ureq")]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

struct Summary {
    median: Duration,
    mean: Duration,
    p90: Duration,
}

fn summarize(mut v: Vec<Duration>) -> Summary {
    v.sort();
    let n = v.len().max(1);
    let total: Duration = v.iter().sum();
    Summary {
        median: v.get(v.len() / 2).copied().unwrap_or_default(),
        mean: total / n as u32,
        p90: v.get(v.len() * 9 / 10).copied().unwrap_or_default(),
    }
}

pub fn run(report: &mut Report, quick: bool) -> Result<(), String> {
    let n: usize = if quick { 200 } else { 1_000 };
    let blocks: usize = n / 10;
    let warmup: usize = if quick { 20 } else { 100 };
    let mut emu = EmuProc::start(0)?;
    let ctx = Ctx::new(&emu)?;
    ctx.check()?;

    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(n); VARIANTS.len()];
    let mut conns = [0u64; VARIANTS.len()];
    for v in VARIANTS {
        ctx.batch(v, warmup, &mut Vec::new())?;
    }
    // Interleaved blocks, rotating the order, so drift in the machine's load
    // reaches every variant alike.
    let per_block = n.div_ceil(blocks);
    for b in 0..blocks {
        for k in 0..VARIANTS.len() {
            let i = (b + k) % VARIANTS.len();
            let left = n - times[i].len();
            let before = emu.stats()?;
            ctx.batch(VARIANTS[i], per_block.min(left), &mut times[i])?;
            conns[i] += emu.stats()?.since(before).connections;
        }
    }

    let sums: Vec<Summary> = times.into_iter().map(summarize).collect();
    let mut rows = Vec::new();
    for (i, v) in VARIANTS.iter().enumerate() {
        let s = &sums[i];
        let ratio = |raw: usize| {
            (
                s.median.as_secs_f64() / sums[raw].median.as_secs_f64(),
                s.mean.as_secs_f64() / sums[raw].mean.as_secs_f64(),
            )
        };
        let (rm, ra) = match v {
            Variant::ConnectyHyper => {
                let r = ratio(1);
                (format!("**{:.2}x**", r.0), format!("{:.2}x", r.1))
            }
            Variant::ConnectyUreq => {
                let r = ratio(3);
                (format!("**{:.2}x**", r.0), format!("{:.2}x", r.1))
            }
            Variant::RawUreqTimeouts => {
                let r = ratio(3);
                (
                    format!("{:.2}x (vs raw ureq)", r.0),
                    format!("{:.2}x (vs raw ureq)", r.1),
                )
            }
            Variant::RawHyper | Variant::RawUreq => ("(baseline)".into(), "(baseline)".into()),
        };
        rows.push(vec![
            v.name().to_string(),
            format!("{n}"),
            us(s.median),
            us(s.mean),
            us(s.p90),
            rm,
            ra,
            format!("{}", conns[i]),
        ]);
    }
    for (stack, c, r) in [("hyper", 0, 1), ("ureq", 2, 3)] {
        let ratio = sums[c].median.as_secs_f64() / sums[r].median.as_secs_f64();
        report.target(
            target_name(stack),
            ratio <= 1.20,
            format!(
                "{ratio:.2}x (mean {:.2}x)",
                sums[c].mean.as_secs_f64() / sums[r].mean.as_secs_f64()
            ),
        );
    }
    let mut notes = vec![format!(
        "{n} sequential fetches per client of the same completed question (`{QUESTION}`: {COUNTRIES} rows, 3 text columns; `GET /v1/dw/13/questions/{{id}}/results?include=dataframe`) from the emulator on loopback, in a separate process. After {warmup} warm-up requests per client, the clients take turns in {blocks} interleaved blocks of {per_block} requests (rotating order), each request timed alone."
    ),
    "Fairness: every client sends the same URL and headers (`Accept: application/json`, `Accept-Encoding: gzip`, connecty's `User-Agent`, the same bearer token), so the emulator does the same work (it gzips each body) and every client decodes gzip. Both hyper clients run on the same current-thread tokio runtime; each client keeps one pooled keep-alive connection (the last column counts connections opened during the timed blocks). The connecty times include what the SDK does per call and the raw clients do not: building the request, the state machine, the per-request timeout, and parsing the body into a dataframe (part of the SDK). The raw clients only read the body into bytes.".to_string(),
    "The last row is a diagnostic, not a baseline: the raw ureq agent with the resolve, connect and global timeouts connecty-ureq configures. ureq 3.5 resolves the host before it looks in its pool, and with any resolve or global timeout set its default resolver runs each lookup on a new thread (`resolve_async`), so every request, pooled or not and even for an IP literal, spawns a thread. The gap between it and the bare agent is that cost.".to_string()];
    if proxy_env_set() {
        notes.push(
            "Proxy variables are set in this environment: the connecty clients were built with proxies disabled, like the raw ones.".into(),
        );
    }
    report.table(Table {
        title: "Transport overhead: connecty vs bare hyper / ureq".into(),
        command: "cargo xtask bench (connecty-bench, transport)".into(),
        notes,
        header: [
            "client",
            "requests",
            "median",
            "mean",
            "p90",
            "connecty / raw (median)",
            "connecty / raw (mean)",
            "connections opened",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    });
    Ok(())
}
