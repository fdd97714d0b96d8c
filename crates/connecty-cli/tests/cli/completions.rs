//! Completion scripts, loaded by the shells themselves (`.ci/run`
//! installs zsh and fish).

use super::profiles::ConfigDir;
use super::*;

fn script(shell: &str) -> String {
    let run = connecty(&["completions", shell], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.len() > 500, "{run:?}");
    run.stdout
}

/// Runs `program args`, failing the test when the shell is missing.
fn shell(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (.ci/run installs it): {e}"))
}

fn ok(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

#[test]
fn every_completion_script_is_accepted_by_its_shell() {
    let dir = ConfigDir::new();
    let save = |shell: &str, name: &str| {
        let path = dir.0.path().join(name);
        std::fs::write(&path, script(shell)).unwrap();
        path.to_str().unwrap().to_string()
    };
    // bash: parses, loads, registers, and completes subcommands and values.
    let bash = save("bash", "connecty.bash");
    ok(&shell("bash", &["-n", &bash]));
    let probe = format!(
        "source {bash}; complete -p connecty; \
         COMP_WORDS=(connecty com); COMP_CWORD=1; COMP_LINE='connecty com'; COMP_POINT=12; \
         _connecty connecty com connecty; echo \"words: ${{COMPREPLY[*]}}\"; \
         COMP_WORDS=(connecty ask --format ''); COMP_CWORD=3; \
         _connecty connecty '' --format; echo \"formats: ${{COMPREPLY[*]}}\""
    );
    let out = ok(&shell("bash", &["-c", &probe]));
    assert!(out.contains("-F _connecty connecty"), "{out}");
    assert!(out.contains("words: completions"), "{out}");
    assert!(
        out.contains("formats: table csv json ndjson markdown parquet arrow"),
        "{out}"
    );
    // zsh: parses and defines the completion function.
    let zsh = save("zsh", "_connecty");
    ok(&shell("zsh", &["-n", &zsh]));
    let out = ok(&shell(
        "zsh",
        &[
            "-c",
            &format!("autoload -U compinit; compinit -u -D; source {zsh}; whence -w _connecty"),
        ],
    ));
    assert!(out.contains("_connecty: function"), "{out}");
    // fish: parses and completes subcommands.
    let fish = save("fish", "connecty.fish");
    ok(&shell("fish", &["--no-execute", &fish]));
    let out = ok(&shell(
        "fish",
        &["-c", &format!("source {fish}; complete -C 'connecty sh'")],
    ));
    assert!(out.contains("shell"), "{out}");
    // Elvish only knows its edit: module in an interactive session, and
    // PowerShell is not in Debian: their scripts are at least generated.
    assert!(script("elvish").contains("edit:completion:arg-completer[connecty]"));
    assert!(script("powershell").contains("Register-ArgumentCompleter"));
}
