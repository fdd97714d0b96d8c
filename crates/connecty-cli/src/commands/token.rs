//! `connecty token`: one token exchange; prints when the token expires,
//! and the token itself only with `--show`.

use std::time::SystemTime;

use crate::cli::Cli;
use crate::exit::{Outcome, failure, register_secret};
use crate::output::println_out;
use crate::settings;

/// `connecty token [--show]`.
pub fn run(cli: &Cli, show: bool) -> Outcome {
    let loaded = settings::load(cli, true)?;
    let client = loaded.client()?;
    let token = client.token().map_err(|e| failure(&e, &loaded.ctx))?;
    let line = expiry_line(token.expires_at(), SystemTime::now());
    if show {
        eprintln!("{line}");
        println_out(token.expose())
    } else {
        register_secret(token.expose());
        println_out(&line)
    }
}

/// "expires at 2025-11-05T11:54:22.793708+01:00 (in 59 minutes)".
pub fn expiry_line(expires_at: chrono::DateTime<chrono::FixedOffset>, now: SystemTime) -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(now);
    let secs = (expires_at.with_timezone(&chrono::Utc) - now).num_seconds();
    let when = if secs <= 0 {
        "already expired".to_string()
    } else if secs < 120 {
        format!("in {secs} second{}", if secs == 1 { "" } else { "s" })
    } else {
        format!("in {} minutes", secs / 60)
    };
    format!(
        "token expires at {} ({when})",
        expires_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn expiry_in_minutes_and_seconds() {
        let at = chrono::DateTime::parse_from_rfc3339("2025-11-05T11:54:22.793708+01:00").unwrap();
        let now: SystemTime = chrono::DateTime::parse_from_rfc3339("2025-11-05T09:54:22+00:00")
            .unwrap()
            .with_timezone(&chrono::Utc)
            .into();
        assert_eq!(
            expiry_line(at, now),
            "token expires at 2025-11-05T11:54:22.793708+01:00 (in 60 minutes)"
        );
        let now = now + Duration::from_secs(3599);
        assert_eq!(
            expiry_line(at, now),
            "token expires at 2025-11-05T11:54:22.793708+01:00 (in 1 second)"
        );
        let now = now + Duration::from_secs(10);
        assert!(expiry_line(at, now).ends_with("(already expired)"));
    }
}
