//! The command's settings, resolved once: the global flags become
//! connecty-settings' [`Explicit`], which resolves them against the
//! environment and the profile; each command then builds its client from
//! the result.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use connecty_proto::{Settings, WorkspaceId};
use connecty_settings::{Endpoint, Explicit, Source, Transport};

use crate::cli::{Cli, WaitArgs};
use crate::client::AnyClient;
use crate::exit::{Context, Failure, FailureKind, register_secret};

/// A command's settings, and what its errors name.
pub struct Loaded {
    /// The settings for the transports' `ClientBuilder`.
    pub settings: Settings,
    /// The transport.
    pub transport: Transport,
    /// What errors name: the base URL, where the credentials came from, the
    /// body limit.
    pub ctx: Context,
    /// The config directory, when there is one.
    pub dir: Option<PathBuf>,
}

impl Loaded {
    /// For a command that waits: `--timeout` becomes the deadline of every
    /// wait, and errors name workspace `dw` when the command has one.
    pub fn waiting(mut self, dw: Option<WorkspaceId>, wait: &WaitArgs) -> Self {
        if dw.is_some() {
            self.ctx.dw = dw;
        }
        wait.apply(&mut self.settings);
        self
    }

    /// Builds the client, mapping a bad setting to its failure.
    pub fn client(&self) -> Result<AnyClient, Failure> {
        crate::client::build(self.transport, &self.settings, &self.ctx)
    }
}

impl From<connecty_settings::Error> for Failure {
    fn from(e: connecty_settings::Error) -> Self {
        let kind = match e.kind {
            connecty_settings::ErrorKind::Authentication => {
                FailureKind::Sdk(connecty_proto::ErrorKind::Authentication)
            }
            _ => FailureKind::Sdk(connecty_proto::ErrorKind::InvalidInput),
        };
        let f = Failure::new(kind, e.message);
        match e.hint {
            Some(h) => f.hint(h),
            None => f,
        }
    }
}

/// `--base-url` or `--region` (both is a usage error).
pub fn endpoint_flag(cli: &Cli) -> Result<Option<Endpoint>, Failure> {
    match (&cli.base_url, cli.region) {
        (Some(_), Some(_)) => Err(Failure::usage(
            "--base-url and --region cannot be used together",
        )),
        (Some(u), None) => Ok(Some(Endpoint::BaseUrl(u.clone()))),
        (None, Some(r)) => Ok(Some(Endpoint::Region(r))),
        (None, None) => Ok(None),
    }
}

/// The global flags that carry settings.
fn explicit(cli: &Cli) -> Result<Explicit, Failure> {
    Ok(Explicit {
        profile: cli.profile.clone(),
        endpoint: endpoint_flag(cli).map_err(|f| {
            f.hint("--base-url is the API's address itself; --region picks eu1 or us1")
        })?,
        transport: cli.transport.map(Transport::from),
        ca_cert: cli.ca_cert.clone(),
        body_limit: cli.body_limit.map(|mib| mib.saturating_mul(1024 * 1024)),
    })
}

/// Reads the profile (config.toml, and credentials.toml when the
/// environment does not give both credentials) and resolves every setting;
/// reads `--ca-cert` (or the profile's `ca_cert`).
pub fn load(cli: &Cli, needs_credentials: bool) -> Result<Loaded, Failure> {
    let resolved = connecty_settings::load(
        &explicit(cli)?,
        &connecty_settings::process_env,
        needs_credentials,
    )?;
    if let Some(c) = &resolved.settings.credentials {
        register_secret(c.client_secret().expose());
    }
    let mut settings = resolved.settings.clone();
    if let Some(path) = &resolved.ca_cert {
        let what = if resolved.sources.ca_cert == Some(Source::Explicit) {
            "--ca-cert"
        } else {
            "the profile's ca_cert"
        };
        settings
            .extra_root_certificates
            .push(read_file(path, what)?);
    }
    let ctx = Context {
        base_url: settings.base_url.to_string(),
        dw: None,
        credentials_from: resolved.credentials_from(),
        body_limit: Some(settings.body_limit),
    };
    Ok(Loaded {
        settings,
        transport: resolved.transport,
        ctx,
        dir: resolved.dir,
    })
}

/// Reads a file, or stdin for `-`.
pub fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
}

/// Reads a file, or stdin for `-` (exit 2 when it cannot).
pub fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    read_input(path)
        .map_err(|e| Failure::usage(format!("cannot read {what} {}: {e}", path.display())))
}
