//! Collects tables and renders docs/benchmarks.md.

/// The median, min and max of figures from several runs (`v` not empty).
pub fn spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// One measurement's table.
pub struct Table {
    pub title: String,
    pub command: String,
    pub notes: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The whole report.
pub struct Report {
    quick: bool,
    tables: Vec<Table>,
    targets: Vec<(String, Option<bool>, String)>,
}

impl Report {
    pub fn new(quick: bool) -> Self {
        Self {
            quick,
            tables: Vec::new(),
            targets: Vec::new(),
        }
    }

    pub fn table(&mut self, t: Table) {
        eprintln!("== {}", t.title);
        eprintln!("{}", t.header.join(" | "));
        for r in &t.rows {
            eprintln!("{}", r.join(" | "));
        }
        self.tables.push(t);
    }

    /// Records a target as met or missed, with the figure.
    pub fn target(&mut self, name: impl Into<String>, met: bool, figure: impl Into<String>) {
        self.targets.push((name.into(), Some(met), figure.into()));
    }

    /// How many targets are recorded so far.
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }

    /// Records a target that could not be measured in this run, and why.
    pub fn target_not_measured(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.targets.push((name.into(), None, why.into()));
    }

    /// A measurement that could not run: a section with the reason instead
    /// of a table.
    pub fn not_run(&mut self, name: &str, why: &str) {
        self.tables.push(Table {
            title: format!("{name}: not measured"),
            command: format!("cargo xtask bench (connecty-bench, {name})"),
            notes: vec![format!(
                "This measurement could not run: {}",
                why.replace('\n', " ")
            )],
            header: Vec::new(),
            rows: Vec::new(),
        });
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# Benchmarks\n\n");
        s.push_str("Written by `cargo xtask bench`");
        if self.quick {
            s.push_str(" --quick (few repetitions: figures are indicative only)");
        }
        s.push_str(". Every speed figure is a ratio against a baseline measured in the same run; absolute times on a shared machine are noise.\n\n");
        s.push_str(&format!(
            "- date: {}\n",
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
        ));
        s.push_str(&format!("- machine: {}\n", machine()));
        s.push_str("- build: the `bench` profile (release, thin LTO, one codegen unit) for the bench and every parser it times; the `connecty` CLI in the release profile, as `cargo install` builds it\n\n");
        s.push_str("## Targets\n\n| target | figure | met |\n|---|---|---|\n");
        for (name, met, figure) in &self.targets {
            s.push_str(&format!(
                "| {name} | {figure} | {} |\n",
                match met {
                    Some(true) => "met",
                    Some(false) => "**missed**",
                    None => "not measured",
                }
            ));
        }
        for t in &self.tables {
            s.push_str(&format!("\n## {}\n\nCommand: `{}`\n\n", t.title, t.command));
            for n in &t.notes {
                s.push_str(n);
                s.push_str("\n\n");
            }
            if t.header.is_empty() {
                continue;
            }
            s.push_str(&format!("| {} |\n", t.header.join(" | ")));
            s.push_str(&format!("|{}\n", "---|".repeat(t.header.len())));
            for r in &t.rows {
                s.push_str(&format!("| {} |\n", r.join(" | ")));
            }
        }
        s
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "? GiB".into());
    format!(
        "{cpu}, {cores} cores, {mem}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
