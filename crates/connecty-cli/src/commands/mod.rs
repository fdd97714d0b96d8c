//! One module per subcommand, each with its `run`, called by the
//! dispatcher's one `match`. A command loads its settings (the crate's
//! `settings` module), builds its client, and uses the shared helpers
//! (`answer`, `output`, `client`, `exit`, ...). None imports the
//! dispatcher; two import a sibling, one way: `configure` words its check
//! with `token`'s expiry line, and `demo` starts `emulator`'s emulator.

pub mod ask;
pub mod batch;
pub mod completions;
pub mod configure;
pub mod demo;
pub mod emulator;
pub mod health;
pub mod mcp;
pub mod results;
pub mod shell;
pub mod token;
