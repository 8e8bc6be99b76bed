//! `cargo xtask`: the project's single entry point for building, testing and
//! serving everything, on a fresh clone as well as on a developer machine.
//!
//! Commands (see [`HELP`]):
//! - `test`: every check of the project in order (fmt, clippy, unit tests, then
//!   the component, host tests, playground and browser test once those crates
//!   exist), stopping at the first failure.
//! - `build-web`: component → jco transpile, playground → wasm-bindgen, into `www/`.
//! - `serve [--port N]`: `build-web`, then a small static server over `www/`.
//! - `bench`: the side-by-side benchmark (Linux system calls, `ipc-core`, the
//!   component in wasmtime), full mode; its table goes into `README.md`.
//!
//! Missing tools (rustup targets and components, `wasm-bindgen-cli`, npm
//! packages, Chromium) are installed on demand, and every external command is
//! printed before it runs. Errors end with a message and a non-zero exit code.
//!
//! Modules: [`cmd`] runs and prints commands, [`setup`] installs what is
//! missing, [`tasks`] holds the build and test steps, [`serve`] is the static
//! file server.

mod cmd;
mod serve;
mod setup;
mod tasks;

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
usage: cargo xtask <command>

commands:
  test               run every test of the project in order, stop at the first failure
  build-web          build the component (jco) and the playground (wasm-bindgen) into www/
  serve [--port N]   build-web, then serve www/ on http://127.0.0.1:N/ (default 8000)
  bench              Linux, ipc-core and the component side by side; writes the table into README.md
  help, --help, -h   show this help
";

fn main() -> ExitCode {
    // A bug in xtask should still read as a one-line error, not a backtrace.
    std::panic::set_hook(Box::new(|info| eprintln!("xtask: internal error: {info}")));

    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root();
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!("xtask: error: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> cmd::Result {
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("test") => no_args(rest).and_then(|()| tasks::test_all()),
        Some("build-web") => no_args(rest).and_then(|()| tasks::build_web()),
        Some("serve") => tasks::serve(parse_port(rest)?),
        Some("bench") => no_args(rest).and_then(|()| tasks::bench()),
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{HELP}")),
        None => Err(format!("no command given\n\n{HELP}")),
    }
}

fn no_args(rest: &[String]) -> cmd::Result {
    match rest.first() {
        Some(extra) => Err(format!("unexpected argument `{extra}` (see `cargo xtask --help`)")),
        None => Ok(()),
    }
}

/// Parses `[--port N]` (also `--port=N`); the default port is 8000.
fn parse_port(rest: &[String]) -> cmd::Result<u16> {
    let value = match rest {
        [] => return Ok(8000),
        [flag, n] if flag == "--port" => n.as_str(),
        [flag] if flag.starts_with("--port=") => &flag["--port=".len()..],
        _ => return Err(format!("usage: cargo xtask serve [--port N], got {rest:?}")),
    };
    value.parse().map_err(|_| format!("invalid port `{value}` (expected 0-65535)"))
}

/// The workspace root: the parent of this crate's directory. The run-time
/// `CARGO_MANIFEST_DIR` (set by `cargo run`) wins over the compile-time one so
/// a moved checkout still works.
fn repo_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}

#[cfg(test)]
mod tests {
    use super::parse_port;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn port_parsing() {
        assert_eq!(parse_port(&[]), Ok(8000));
        assert_eq!(parse_port(&strings(&["--port", "8765"])), Ok(8765));
        assert_eq!(parse_port(&strings(&["--port=9000"])), Ok(9000));
        assert!(parse_port(&strings(&["--port", "x"])).is_err());
        assert!(parse_port(&strings(&["--bogus"])).is_err());
    }
}
