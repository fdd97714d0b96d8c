//! A real pseudo-terminal for driving `connecty` as a person would.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long any single expectation may take.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A process on a pty; everything it writes is collected.
pub struct Terminal {
    pty: Arc<pty_process::blocking::Pty>,
    child: Child,
    seen: Arc<(Mutex<Vec<u8>>, Condvar)>,
    /// How much of `seen` earlier expectations consumed.
    mark: usize,
}

impl Terminal {
    /// Starts `cmd` on a new pty of `rows` x `cols`.
    pub fn spawn(cmd: Command, rows: u16, cols: u16) -> Terminal {
        let (pty, pts) = pty_process::blocking::open().expect("a pty");
        pty.resize(pty_process::Size::new(rows, cols))
            .expect("the pty takes a size");
        let child = pty_process::blocking::Command::from(cmd)
            .spawn(pts)
            .expect("the binary starts on the pty");
        let pty = Arc::new(pty);
        let seen = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let (reader, sink) = (Arc::clone(&pty), Arc::clone(&seen));
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match (&*reader).read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        // Answer "where is the cursor?" as a terminal
                        // would (line editors ask before each prompt).
                        if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                            let _ = (&*reader).write_all(b"\x1b[1;1R");
                        }
                        let (lock, cv) = &*sink;
                        lock.lock().unwrap().extend_from_slice(&buf[..n]);
                        cv.notify_all();
                    }
                }
            }
        });
        Terminal {
            pty,
            child,
            seen,
            mark: 0,
        }
    }

    /// Everything written so far, as a person reads it: lossily decoded,
    /// without terminal escape sequences and carriage returns.
    pub fn all(&self) -> String {
        plain(&self.seen.0.lock().unwrap())
    }

    /// Everything written so far, bytes as sent (escape codes kept).
    pub fn raw(&self) -> Vec<u8> {
        self.seen.0.lock().unwrap().clone()
    }

    /// Waits until `needle` appears after the previous expectation, and
    /// returns the text up to and including it.
    pub fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let (lock, cv) = &*self.seen;
        let mut seen = lock.lock().unwrap();
        loop {
            let all = plain(&seen);
            let text = &all[self.mark.min(all.len())..];
            if let Some(at) = text.find(needle) {
                let upto = &text[..at + needle.len()];
                self.mark += upto.len();
                return upto.to_string();
            }
            let now = Instant::now();
            assert!(
                now < deadline,
                "{needle:?} never appeared; the terminal shows:\n{all}"
            );
            seen = cv.wait_timeout(seen, deadline - now).unwrap().0;
        }
    }

    /// The screen as a person sees it at the end: as [`Terminal::all`],
    /// but a carriage return not followed by a newline starts the line
    /// over (spinners redraw themselves this way).
    pub fn screen(&self) -> String {
        let raw = self.seen.0.lock().unwrap();
        let mut out = String::new();
        for line in plain_keeping_cr(&raw).split('\n') {
            let shown = line.trim_end_matches('\r');
            out.push_str(shown.rsplit('\r').next().unwrap_or(""));
            out.push('\n');
        }
        out
    }

    /// Types `text` and Enter, then waits for the line editor's echo of it.
    pub fn line(&mut self, text: &str) {
        self.send(&format!("{text}\r"));
        self.expect(text);
    }

    /// Waits until the program has turned the terminal's echo off, as a
    /// password prompt does just after printing its prompt; typing before
    /// that would be echoed by the terminal itself, not by the program.
    pub fn wait_for_echo_off(&self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let termios = rustix::termios::tcgetattr(&*self.pty).expect("the pty has attributes");
            if !termios
                .local_modes
                .contains(rustix::termios::LocalModes::ECHO)
            {
                return;
            }
            assert!(Instant::now() < deadline, "echo stayed on:\n{}", self.all());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Types `text` (use `\r` for Enter, `\x03` for Ctrl-C, `\x04` for
    /// Ctrl-D).
    pub fn send(&self, text: &str) {
        (&*self.pty)
            .write_all(text.as_bytes())
            .expect("the pty takes input");
    }

    /// Waits for the process to end; returns its status and everything
    /// it wrote ([`Terminal::all`]).
    pub fn wait(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited on") {
                // Let the reader drain what is left.
                std::thread::sleep(Duration::from_millis(50));
                return (status, self.all());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the process did not end; the terminal shows:\n{}",
                    self.all()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `raw` without CSI (`ESC [ ... letter`) and OSC (`ESC ] ... BEL`)
/// sequences, other escapes and carriage returns.
pub fn plain(raw: &[u8]) -> String {
    plain_keeping_cr(raw).replace('\r', "")
}

fn plain_keeping_cr(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    for c in chars.by_ref() {
                        if c == '\x07' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            c => out.push(c),
        }
    }
    out
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
