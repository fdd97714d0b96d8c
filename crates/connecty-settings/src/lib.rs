//! # connecty-settings
//!
//! Settings and profiles for every connecty front-end (the `connecty`
//! command today; an MCP server and a Python package next): where the
//! profile files live, reading config.toml and credentials.toml (refusing
//! a credentials file others can read), editing one profile as `connecty
//! configure` does, and the precedence **explicit value > environment >
//! profile > built-in defaults** that ends in connecty-proto's
//! [`Settings`](connecty_proto::Settings).
//!
//! **What it is for:** a front-end turns its own inputs (flags, tool
//! arguments, keyword arguments) into an [`Explicit`], calls [`load`], and
//! builds its client from [`Resolved::settings`]. Every front-end then
//! reads the same files the same way, with the same messages.
//!
//! **What it is not:** an argument parser (no clap types here), nor a
//! client. It reads files, so it is not part of the sans-IO connecty-proto;
//! [`resolve`] alone is pure, and table-tested.
//!
//! The environment is a function from a variable's name to its value, so
//! tests and embedders never touch the process's own ([`env_from`],
//! [`process_env`]).
//!
//! ```
//! use connecty_settings::{Endpoint, Explicit, Source, Transport, env_from, load};
//! use connecty_proto::Region;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let env = env_from(&[
//!     ("CONNECTY_CONFIG_DIR", dir.path().to_str().unwrap()),
//!     ("CONNECTY_TRANSPORT", "hyper"),
//!     ("CONNECTY_CLIENT_ID", "my-client"),
//!     ("CONNECTY_CLIENT_SECRET", "my-secret"),
//! ]);
//! let explicit = Explicit {
//!     endpoint: Some(Endpoint::Region(Region::Us1)),
//!     ..Explicit::default()
//! };
//! let resolved = load(&explicit, &env, true).unwrap();
//! assert_eq!(resolved.transport, Transport::Hyper);
//! assert_eq!(resolved.sources.base_url, Source::Explicit);
//! assert_eq!(
//!     resolved.credentials_from().unwrap(),
//!     "the client id came from CONNECTY_CLIENT_ID, the secret from CONNECTY_CLIENT_SECRET",
//! );
//! ```
//!
//! The files, in the config directory ([`config_dir`]):
//!
//! ```toml
//! # config.toml
//! [profiles.default]
//! region = "eu1"              # or base_url = "https://gateway.example/connecty"
//! transport = "hyper"         # ureq (default) or hyper
//! ca_cert = "gateway-ca.pem"  # relative to the config directory
//! client_id = "my-client"
//!
//! # credentials.toml (mode 0600: refused when group or others can read it)
//! [profiles.default]
//! client_secret = "..."
//! client_id = "my-client"     # optional; wins over config.toml's
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod edit;
mod error;
mod files;
mod load;
mod profile;
mod resolve;

pub use edit::{Update, apply, current};
pub use error::{Error, ErrorKind};
pub use files::{
    CONFIG_FILE, CREDENTIALS_FILE, ENV_CONFIG_DIR, HISTORY_FILE, check_private, config_dir,
    create_private_dir, read_doc,
};
pub use load::{env_from, load, process_env};
pub use profile::{
    DEFAULT_PROFILE, ENV_PROFILE, Endpoint, Profile, ProfileName, StoredCredentials, Transport,
    all_profiles, parse_credentials, parse_profile, profile_names, validate_name,
};
pub use resolve::{ENV_TRANSPORT, Explicit, ProfileInput, Resolved, Source, Sources, resolve};
pub use toml_edit::DocumentMut;
