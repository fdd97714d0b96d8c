//! Writes the seed corpus of every fuzz target to `<out>/<target>/`:
//! `cargo run --manifest-path fuzz/Cargo.toml --no-default-features
//! --example seed_corpus -- fuzz/corpus` (what `cargo xtask fuzz-seeds`
//! runs). Existing files are kept; seeds are named by their content's hash.

use std::hash::{Hash, Hasher};
use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("corpus"));
    let corpus = connecty_fuzz::seeds::corpus(
        &root.join("seeds"),
        &root.join("../crates/connecty-testkit/fixtures"),
    );
    for (target, inputs) in corpus {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        for input in &inputs {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            input.hash(&mut h);
            std::fs::write(dir.join(format!("seed-{:016x}", h.finish())), input)?;
        }
        println!(
            "seeds: {target}: {} inputs in {}",
            inputs.len(),
            dir.display()
        );
    }
    Ok(())
}
