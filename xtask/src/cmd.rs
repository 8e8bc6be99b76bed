//! Running external commands, visibly.
//!
//! [`Cmd`] is a thin wrapper over [`std::process::Command`] that prints the
//! command line (`xtask: $ cargo test -p ipc-core`) before it runs, inherits
//! stdio, and turns a spawn failure or a non-zero exit into an error message
//! instead of a panic. [`Cmd::probe`] is the quiet variant used to ask a tool
//! for its version: it captures stdout and treats any failure as "absent".

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Every fallible xtask function returns a human-readable error message.
pub type Result<T = ()> = std::result::Result<T, String>;

/// Prints an `xtask:`-prefixed progress line.
pub fn say(msg: impl std::fmt::Display) {
    println!("xtask: {msg}");
}

/// True when running under CI (`CI=true` or `CI=1`): nothing may prompt.
pub fn is_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true" | "1"))
}

pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(String, OsString)>,
    dir: Option<PathBuf>,
}

impl Cmd {
    pub fn new(program: impl Into<OsString>) -> Self {
        Cmd { program: program.into(), args: Vec::new(), envs: Vec::new(), dir: None }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.envs.push((key.to_string(), value.into()));
        self
    }

    /// Runs in `dir` (relative to the repository root) instead of the root.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// The command as a shell-like line, e.g. `(cd www && npm ci)`.
    pub fn display(&self) -> String {
        let mut parts: Vec<String> = self.envs.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
        parts.push(quote(&self.program));
        parts.extend(self.args.iter().map(|a| quote(a)));
        let line = parts.join(" ");
        match &self.dir {
            Some(dir) => format!("(cd {} && {line})", dir.display()),
            None => line,
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        c.envs(self.envs.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.dir {
            c.current_dir(dir);
        }
        c
    }

    /// Prints and runs the command with inherited stdio; fails unless it exits 0.
    pub fn run(&self) -> Result {
        let line = self.display();
        say(format_args!("$ {line}"));
        let status = self.command().status().map_err(|e| format!("could not start `{line}`: {e}"))?;
        if status.success() { Ok(()) } else { Err(format!("`{line}` failed ({status})")) }
    }

    /// Prints and runs the command, capturing stdout (stderr goes to the
    /// terminal); fails unless it exits 0.
    pub fn output(&self) -> Result<String> {
        let line = self.display();
        say(format_args!("$ {line}"));
        let out =
            self.command().stderr(Stdio::inherit()).output().map_err(|e| format!("could not start `{line}`: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!("`{line}` failed ({})", out.status))
        }
    }

    /// Prints and runs the command capturing stdout (stderr is discarded).
    /// Returns `None` if it cannot start or exits non-zero.
    pub fn probe(&self) -> Option<String> {
        say(format_args!("$ {}", self.display()));
        let out = self.command().stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn quote(s: &std::ffi::OsStr) -> String {
    let s = s.to_string_lossy();
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:+@,%".contains(c));
    if plain { s.into_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::Cmd;

    #[test]
    fn display_quotes_and_shows_env_and_dir() {
        let c = Cmd::new("cargo").args(["test", "-p", "ipc-host-tests"]).env("A", "/x y");
        assert_eq!(c.display(), "A='/x y' cargo test -p ipc-host-tests");
        let c = Cmd::new("npm").args(["ci"]).dir("www");
        assert_eq!(c.display(), "(cd www && npm ci)");
    }

    #[test]
    fn run_reports_failures_without_panicking() {
        assert!(Cmd::new("true").run().is_ok());
        assert!(Cmd::new("false").run().unwrap_err().contains("`false` failed"));
        assert!(Cmd::new("xtask-no-such-program").run().unwrap_err().contains("could not start"));
        assert_eq!(Cmd::new("echo").args(["hi"]).probe().as_deref(), Some("hi\n"));
    }
}
