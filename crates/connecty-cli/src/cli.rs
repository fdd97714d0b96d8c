//! The command line: options, commands and their help.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use connecty_proto::{
    BaseUrl, IncludeSet, MAX_ROWS_LIMIT, QuestionId, Region, WorkspaceId, validate_question,
};

use connecty_proto::Settings;
use connecty_settings::Transport;

use crate::format::Format;

const AFTER_HELP: &str = "\
Credentials:
  A client id and secret, issued by ConnectyAI support. Save them in a profile
  with `connecty configure` (the secret goes to credentials.toml, mode 0600),
  or export CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET. Never as flags
  (flags show in the process list). `health`, `emulator`, `demo` and
  `completions` need none.

Profiles:
  $CONNECTY_CONFIG_DIR (else ~/.config/connecty, or the platform's config
  dir) holds config.toml and credentials.toml, one [profiles.NAME] table per
  profile. --profile NAME or CONNECTY_PROFILE picks one, else `default`.
  Each setting comes from the first of: flag, environment, profile, default.

Rows:
  The API returns at most --max-rows rows of an answer (1000 unless set).
  When an answer may have more, ask, results and batch say so on stderr
  (never stdout): the rows shown, the total when known, and how to get every
  row: --all-rows.

Environment:
  CONNECTY_PROFILE        stands in for --profile
  CONNECTY_CONFIG_DIR     the directory of config.toml, credentials.toml, history
  CONNECTY_CLIENT_ID      client id (wins over the profile's)
  CONNECTY_CLIENT_SECRET  client secret (wins over the profile's)
  CONNECTY_BASE_URL       stands in for --base-url (wins over CONNECTY_REGION)
  CONNECTY_REGION         stands in for --region (eu1 or us1; default eu1)
  CONNECTY_TRANSPORT      stands in for --transport (ureq or hyper; default ureq)
  CONNECTY_PAGER, PAGER   the pager for tables taller than the terminal
                          (default: less -FRX; empty: none)
  COLUMNS                 width that tables are cut to on a terminal (default:
                          the terminal's); piped or --output tables are never cut
  HTTPS_PROXY, NO_PROXY   proxy settings, read as curl reads them

Exit codes:
  0  success
  1  any other failure (network, server, not found, unexpected response;
     for batch: at least one question did not complete)
  2  usage error (bad flag or value, unreadable file, unknown profile)
  3  authentication failed (credentials refused or not set, or
     credentials.toml readable by other users), or forbidden (403: these
     credentials may not use that workspace)
  4  the question FAILED (its reason on stderr)
  5  deadline reached (the question id on stderr; resume it with
     `connecty results --dw ID QUESTION_ID --wait`)
  130  interrupted (Ctrl-C) while waiting; the resume command is on stderr

Try it without an account:
  connecty demo";

/// The `connecty` command line.
#[derive(Debug, Parser)]
#[command(
    name = "connecty",
    version,
    about = "Ask ConnectyAI questions of a Data Workspace, wait, and print the answer",
    long_about = "Ask ConnectyAI questions of a Data Workspace, wait for the results and print \
                  them as a table, CSV, JSON, NDJSON or Markdown, or write them as Parquet or \
                  Arrow files; run question sets in batch; \
                  work in an interactive shell; or try it all against a local emulator with \
                  `connecty demo`.",
    after_help = AFTER_HELP,
    propagate_version = true,
    max_term_width = 100,
    next_help_heading = "Global options"
)]
pub struct Cli {
    /// The profile to use (config.toml and credentials.toml) [default: default]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// API base URL, such as https://gateway.example/connecty (wins over --region)
    #[arg(
        long,
        global = true,
        value_name = "URL",
        value_parser = parse_base_url
    )]
    pub base_url: Option<BaseUrl>,

    /// API region: eu1 (https://api.eu1.connecty-ai.com) or us1 (https://api.us1.connecty-ai.com) [default: eu1]
    #[arg(
        long,
        global = true,
        value_name = "REGION",
        ignore_case = true,
        hide_possible_values = true,
        value_parser = region_parser()
    )]
    pub region: Option<Region>,

    /// HTTP client: ureq (blocking) or hyper (async, tokio) [default: ureq]; batch always runs on hyper
    #[arg(
        long,
        global = true,
        value_enum,
        ignore_case = true,
        hide_possible_values = true
    )]
    pub transport: Option<TransportKind>,

    /// Also trust the root certificate(s) in this PEM file (for private gateways)
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_cert: Option<PathBuf>,

    /// Largest response accepted, in MiB after gzip decoding [default: 256]
    #[arg(
        long,
        global = true,
        value_name = "MIB",
        value_parser = clap::value_parser!(u64).range(1..=1024 * 1024)
    )]
    pub body_limit: Option<u64>,

    /// Never send tables through the pager
    #[arg(long, global = true)]
    pub no_pager: bool,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The transports, as `--transport` names them (connecty-settings'
/// [`Transport`] with clap's help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TransportKind {
    /// Blocking client (connecty-ureq)
    #[default]
    Ureq,
    /// Async client on tokio (connecty-hyper)
    Hyper,
}

impl From<TransportKind> for Transport {
    fn from(kind: TransportKind) -> Transport {
        match kind {
            TransportKind::Ureq => Transport::Ureq,
            TransportKind::Hyper => Transport::Hyper,
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check that the service is up: prints `ok`
    #[command(
        long_about = "Check that the service is up: GET /v1/health. Prints `ok` and exits 0 \
                            when it answers 200. Needs no credentials."
    )]
    Health,

    /// Exchange the credentials for an access token and print when it expires
    #[command(
        long_about = "Exchange CONNECTY_CLIENT_ID and CONNECTY_CLIENT_SECRET for an access token \
                      (POST /v1/auth/token) and print when it expires, as RFC 3339 and in minutes \
                      from now. The token itself is printed only with --show.",
        after_help = "Exit codes: 0 success, 3 credentials refused or not set, 1 other failure."
    )]
    Token {
        /// Print the token alone on stdout (the expiry then goes to stderr), for
        /// `export BEARER_TOKEN=$(connecty token --show)`
        #[arg(long)]
        show: bool,
    },

    /// Ask a question, wait for its results and print them
    #[command(
        long_about = "Ask QUESTION of Data Workspace --dw, poll until it is COMPLETED or FAILED \
                      (showing a spinner on stderr when stderr is a terminal), then print the \
                      results on stdout (or write them to --output FILE) in --format. When the \
                      answer may have more rows than it shows, a note on stderr says how many \
                      were shown, the total when known, and that --all-rows returns every row. \
                      With --no-wait, print only the question id.",
        after_help = "Examples:\n  connecty ask --dw 13 \"list the top 5 countries with the most orders\"\n  \
                      connecty ask --dw 13 \"orders per month in 2025\" --format csv --output orders.csv\n  \
                      connecty ask --dw 13 \"...\" --include dataframe,summary,sqlquery --max-rows 50\n  \
                      id=$(connecty ask --dw 13 \"...\" --no-wait)\n\n\
                      Exit codes: 0 success, 1 other failure, 2 usage error, 3 authentication failed\n\
                      or forbidden, 4 the question FAILED, 5 deadline reached (resume with\n\
                      `connecty results --wait`), 130 interrupted."
    )]
    Ask(AskArgs),

    /// Fetch a question's state and whatever results it has (poll with --wait)
    #[command(
        long_about = "Fetch the state of question QUESTION_ID in Data Workspace --dw once, and \
                      print it with whatever results exist. With --wait, poll until the question \
                      is COMPLETED or FAILED first (as ask does), for example to resume after a \
                      deadline.",
        after_help = "Output: table prints `state: ...` above the results; json carries the state \
                      in the document;\ncsv and ndjson print the state on stderr and the rows on \
                      stdout.\n\n\
                      Exit codes: 0 fetched (any state but FAILED), 1 other failure, 2 usage \
                      error,\n3 authentication failed, 4 the question FAILED, 5 deadline reached \
                      (with --wait)."
    )]
    Results(ResultsArgs),

    /// Ask many questions (one per line) concurrently, printing one JSON line each
    #[command(
        long_about = "Read questions from FILE (or stdin for `-`), one per line, blank lines \
                      skipped, and ask each of Data Workspace --dw, at most --concurrency at a \
                      time, on the async (hyper) client. Each question's outcome is written to \
                      stdout as one JSON object per line, in input order, as soon as it and all \
                      before it are done:\n\n  \
                      {\"question\": ..., \"question_id\": ..., \"state\": \"COMPLETED\", \"results\": {...}, \"completeness\": {...}}\n  \
                      {\"question\": ..., \"question_id\": ...|null, \"state\": ...|null, \"error\": {\"kind\": ..., \"message\": ...}}\n\n\
                      completeness says whether the dataframe holds every row: {\"verdict\": \
                      \"complete\"|\"cut\"|\"may_be_cut\", \"rows\": N, \"at_least\": N|null, \
                      \"at_most\": N|null, \"total\": N|null} (null without a dataframe); an \
                      answer that may be cut is also named on stderr, as \"question N\" (its line \
                      of output). Error kinds: authentication, forbidden, not_found, rate_limited, \
                      server, api, decode, question_failed, timeout, answer_too_large, transport, \
                      invalid_input. A failed question does not stop the others.",
        after_help = "Exit codes: 0 every question COMPLETED, 1 at least one did not, 2 usage \
                      error,\n3 authentication failed (checked once, before any question is asked)."
    )]
    Batch(BatchArgs),

    /// Ask questions one after another in an interactive session
    #[command(
        long_about = "An interactive session: each line is a question for the current Data \
                      Workspace, answered in the current format while a spinner shows the wait. \
                      Lines starting with a backslash are meta-commands (\\help lists them). \
                      History is kept in the config directory (mode 0600); a line starting with \
                      a space is kept out of it. Ctrl-C while waiting stops the wait and prints \
                      how to resume; Ctrl-C at the prompt clears the line; Ctrl-D leaves. A \
                      question that FAILED or ran past --timeout prints its error, and the \
                      session goes on."
    )]
    Shell(ShellArgs),

    /// Save a profile: region or base URL, client id and secret; then check them
    #[command(
        long_about = "Write profile --profile (else CONNECTY_PROFILE, else `default`) to \
                      config.toml (region or base_url, client_id) and credentials.toml \
                      (client_secret, mode 0600) in the config directory. Only that profile's \
                      keys change; other profiles and comments are kept, and each file is \
                      replaced atomically. Then one token exchange checks the credentials.\n\n\
                      On a terminal it asks for what the flags do not give, the secret without \
                      echo. For scripts, give everything as flags and the secret on stdin.",
        after_help = "Examples:\n  connecty configure\n  \
                      connecty configure --profile us --region us1\n  \
                      printf %s \"$SECRET\" | connecty configure --profile ci --base-url https://gw.example \\\n      \
                      --client-id my-client --client-secret-stdin\n\n\
                      Exit codes: 0 saved and checked, 1 saved but the check could not reach the \
                      service,\n2 usage error, 3 saved but the credentials were refused."
    )]
    Configure(ConfigureArgs),

    /// Print the shell completion script for bash, zsh, fish, powershell or elvish
    #[command(
        long_about = "Print the completion script for SHELL on stdout.",
        after_help = "Install:\n  \
                      bash:  connecty completions bash > ~/.local/share/bash-completion/completions/connecty\n  \
                      zsh:   connecty completions zsh > ~/.zfunc/_connecty   (with fpath+=~/.zfunc before compinit)\n  \
                      fish:  connecty completions fish > ~/.config/fish/completions/connecty.fish\n  \
                      powershell:  connecty completions powershell >> $PROFILE\n  \
                      elvish:  connecty completions elvish >> ~/.config/elvish/rc.elv"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Serve a local ConnectyAI emulator on loopback until interrupted
    #[command(
        long_about = "Serve the embedded ConnectyAI emulator (connecty-emulator) on 127.0.0.1 until Ctrl-C. It prints \
                      its base URL, the credentials it accepts and the `export` lines that point \
                      this command (or your own code) at it. Questions are answered from a SQLite \
                      database: the built-in sample shop (countries, customers, orders), or --db. SQL text is \
                      run as is; questions it does not know end FAILED."
    )]
    Emulator(EmulatorArgs),

    /// Try it all offline: ask a local emulator a sample question and print the table
    #[command(
        long_about = "Start the emulator in this process, ask it \"list the top 5 countries with \
                      the most orders\" over real HTTP on loopback (with --transport), show the \
                      progress and print the summary, the SQL and the table. Needs no credentials \
                      and no network."
    )]
    Demo,
}

/// What the results of a question should contain.
#[derive(Debug, Args)]
pub struct ResultOptions {
    /// Result components, comma-separated: dataframe, statistics, sqlquery, summary (or all)
    #[arg(long, value_name = "LIST", default_value = "dataframe", value_parser = parse_include)]
    pub include: IncludeSet,

    /// Most rows to return (the API's default is 1000)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_ROWS_LIMIT)))]
    pub max_rows: Option<u32>,
}

/// How long to wait: `--timeout`, the one waiting flag of ask, results,
/// batch and shell. Each command words its help (`mut_arg`).
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Overall deadline for waiting, in seconds (fractions allowed) [default: 1200]
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<Duration>,
}

impl WaitArgs {
    /// `settings` with `--timeout` as the deadline of every wait.
    pub fn apply(&self, settings: &mut Settings) {
        if let Some(t) = self.timeout {
            settings.default_deadline = t;
        }
    }
}

/// `connecty ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// Data Workspace id (ConnectyAI app: Manager -> Data Environments -> Data Workspaces)
    #[arg(long, value_name = "ID", value_parser = parse_workspace)]
    pub dw: WorkspaceId,

    /// The question, in words (or SQL), such as "list the top 5 countries with the most orders"
    #[arg(value_name = "QUESTION", value_parser = parse_question)]
    pub question: String,

    /// Result components and row limit.
    #[command(flatten)]
    pub results: ResultOptions,

    /// Output format and file.
    #[command(flatten)]
    pub output: OutputArgs,

    /// The deadline.
    #[command(flatten)]
    pub deadline: WaitArgs,

    /// Print only the question id, without waiting (resume with `connecty results --wait`)
    #[arg(long, conflicts_with_all = ["format", "timeout", "output", "all_rows"])]
    pub no_wait: bool,

    /// Return every row, not only the first --max-rows (one more request
    /// once the question completes; an answer larger than --body-limit is
    /// refused before it is fetched)
    #[arg(long)]
    pub all_rows: bool,
}

/// Where and how results are written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format: table, csv, json, ndjson, markdown; parquet or arrow (binary: with --output FILE or piped) [default: table]
    #[arg(long, value_enum, default_value_t = Format::Table, hide_default_value = true)]
    pub format: Format,

    /// Write the results to FILE instead of stdout: through a temporary file
    /// beside it, renamed only once complete (a failed or interrupted
    /// question leaves FILE as it was)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `connecty results`.
#[derive(Debug, Args)]
#[command(mut_arg("timeout", |a| a
    .help("Overall deadline for --wait, in seconds (fractions allowed) [default: 1200]")
    .requires("wait")))]
pub struct ResultsArgs {
    /// Data Workspace id the question was asked of
    #[arg(long, value_name = "ID", value_parser = parse_workspace)]
    pub dw: WorkspaceId,

    /// The question id printed by `ask --no-wait` or a deadline message
    #[arg(value_name = "QUESTION_ID", value_parser = parse_question_id)]
    pub question_id: QuestionId,

    /// Result components and row limit.
    #[command(flatten)]
    pub results: ResultOptions,

    /// Output format and file (the file is written only for a COMPLETED question).
    #[command(flatten)]
    pub output: OutputArgs,

    /// Poll until the question is COMPLETED or FAILED
    #[arg(long)]
    pub wait: bool,

    /// The deadline of --wait.
    #[command(flatten)]
    pub deadline: WaitArgs,

    /// With --wait: return every row, not only the first --max-rows
    #[arg(long, requires = "wait")]
    pub all_rows: bool,
}

/// `connecty batch`.
#[derive(Debug, Args)]
#[command(mut_arg("timeout", |a| a
    .help("Deadline of each question, in seconds (fractions allowed) [default: 1200]")))]
pub struct BatchArgs {
    /// Data Workspace id to ask every question of
    #[arg(long, value_name = "ID", value_parser = parse_workspace)]
    pub dw: WorkspaceId,

    /// File of questions, one per line; `-` reads stdin
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,

    /// Most questions in flight at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,

    /// Result components and row limit, for every question.
    #[command(flatten)]
    pub results: ResultOptions,

    /// The deadline of each question.
    #[command(flatten)]
    pub deadline: WaitArgs,

    /// Return every row of each answer, not only the first --max-rows
    #[arg(long)]
    pub all_rows: bool,
}

/// `connecty shell`.
#[derive(Debug, Args)]
#[command(mut_arg("timeout", |a| a
    .help("Deadline of each question's wait, in seconds (fractions allowed) [default: 1200]")))]
pub struct ShellArgs {
    /// Data Workspace to ask (change it with \dw ID)
    #[arg(long, value_name = "ID", value_parser = parse_workspace)]
    pub dw: Option<WorkspaceId>,

    /// The deadline of each question's wait.
    #[command(flatten)]
    pub deadline: WaitArgs,
}

/// `connecty configure`.
#[derive(Debug, Args)]
pub struct ConfigureArgs {
    /// The client id to save (asked on a terminal when missing)
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from stdin (its first line) instead of asking
    #[arg(long)]
    pub client_secret_stdin: bool,
}

/// `connecty emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port on 127.0.0.1 (0 picks a free one)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,

    /// SQLite database to answer from, instead of the built-in demo shop
    #[arg(long, value_name = "FILE.sqlite")]
    pub db: Option<PathBuf>,

    /// Lifetime of the access tokens it issues, in seconds [default: 3600]
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub token_ttl: Option<Duration>,
}

fn parse_base_url(s: &str) -> Result<BaseUrl, String> {
    BaseUrl::parse(s).map_err(|e| e.message)
}

fn region_parser() -> impl clap::builder::TypedValueParser<Value = Region> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["eu1", "us1"])
        .try_map(|s| s.parse::<Region>().map_err(|e| e.message))
}

/// Parses an include list, as `--include` and `\include` take it.
pub fn parse_include(s: &str) -> Result<IncludeSet, String> {
    IncludeSet::parse(s).map_err(|e| e.message)
}

/// Parses a Data Workspace id, as `--dw` and `\dw` take it.
pub fn parse_workspace(s: &str) -> Result<WorkspaceId, String> {
    s.parse::<WorkspaceId>().map_err(|e| e.message)
}

/// Parses a question id, as `results` and `\results` take it.
pub fn parse_question_id(s: &str) -> Result<QuestionId, String> {
    s.parse::<QuestionId>().map_err(|e| e.message)
}

fn parse_question(s: &str) -> Result<String, String> {
    validate_question(s).map_err(|e| format!("the question {}", e.message))?;
    Ok(s.to_string())
}

/// Seconds as a decimal number: `30`, `0.5`. At most a year.
pub fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds, such as 30 or 0.5"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "{s:?} is not a number of seconds, such as 30 or 0.5"
        ));
    }
    if v > 366.0 * 24.0 * 3600.0 {
        return Err(format!("{s} seconds is more than a year"));
    }
    Ok(Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds() {
        assert_eq!(parse_secs("0.2"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_secs("30"), Ok(Duration::from_secs(30)));
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("nan").is_err());
        assert!(parse_secs("1e30").is_err());
    }
}
