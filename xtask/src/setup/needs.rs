//! The table of what the tests need: one row per program or package, with
//! the test that needs it. Installing and checking them is `super`'s job.

/// How a missing requirement is installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    /// A Debian package providing `program` (looked up on `PATH` and in
    /// `/usr/sbin`); the first package that the archive knows is installed.
    Debian {
        program: &'static str,
        packages: &'static [&'static str],
    },
    /// A Python distribution at an exact version, imported as `module`.
    Python {
        module: &'static str,
        distribution: &'static str,
        version: &'static str,
    },
    /// A cargo subcommand (`cargo NAME --version` answers) from crates.io.
    Cargo {
        subcommand: &'static str,
        krate: &'static str,
        version: &'static str,
    },
    /// An npm package at an exact version, in `target/node`.
    Npm {
        package: &'static str,
        version: &'static str,
    },
}

/// One thing the test suite needs, and who needs it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Need {
    pub(super) source: Source,
    pub(super) used_by: &'static str,
}

/// Everything `cargo xtask ci` needs beyond the Rust toolchain and Python 3.
pub(super) const NEEDS: &[Need] = &[
    Need {
        source: Source::Debian {
            program: "nginx",
            packages: &["nginx-light", "nginx"],
        },
        used_by: "the real-infrastructure tests (connecty-hyper, connecty-ureq, connecty-testkit tests/real.rs)",
    },
    Need {
        source: Source::Debian {
            program: "tinyproxy",
            packages: &["tinyproxy"],
        },
        used_by: "the forward-proxy tests (the same files)",
    },
    Need {
        source: Source::Debian {
            program: "zsh",
            packages: &["zsh"],
        },
        used_by: "the CLI's completion tests",
    },
    Need {
        source: Source::Debian {
            program: "fish",
            packages: &["fish"],
        },
        used_by: "the CLI's completion tests",
    },
    Need {
        source: Source::Python {
            module: "pyarrow",
            distribution: "pyarrow",
            version: "26.0.1",
        },
        used_by: "connecty-arrow's and the CLI's readers tests",
    },
    Need {
        source: Source::Python {
            module: "duckdb",
            distribution: "duckdb",
            version: "2.0.0",
        },
        used_by: "connecty-arrow's and the CLI's readers tests",
    },
    Need {
        source: Source::Python {
            module: "mcp",
            distribution: "mcp",
            version: "2.3.0",
        },
        used_by: "the CLI's `connecty mcp` tests (crates/connecty-cli/tests/mcp), the official Python MCP SDK as the client",
    },
    Need {
        source: Source::Debian {
            program: "npm",
            packages: &["npm"],
        },
        used_by: "installing the MCP Inspector CLI (Node 20 runs it)",
    },
    Need {
        source: Source::Npm {
            package: "@modelcontextprotocol/inspector-cli",
            version: "1.0.3",
        },
        used_by: "the CLI's `connecty mcp` tests (the MCP Inspector's command-line client)",
    },
    Need {
        source: Source::Python {
            module: "maturin",
            distribution: "maturin",
            version: "1.16.0",
        },
        used_by: "the Python package's build (`maturin develop` in `cargo xtask ci`)",
    },
    Need {
        source: Source::Python {
            module: "pytest",
            distribution: "pytest",
            version: "9.2.0",
        },
        used_by: "the Python package's tests (crates/connecty-python/tests)",
    },
    Need {
        source: Source::Python {
            module: "polars",
            distribution: "polars",
            version: "2.1.0",
        },
        used_by: "the Python package's tests (to_polars, the PyCapsule read by polars)",
    },
    Need {
        source: Source::Python {
            module: "pandas",
            distribution: "pandas",
            version: "3.1.1",
        },
        used_by: "the Python package's tests (to_pandas)",
    },
    Need {
        source: Source::Cargo {
            subcommand: "deny",
            krate: "cargo-deny",
            version: "0.20.2",
        },
        used_by: "the last step of `cargo xtask ci` (cargo deny check)",
    },
];
