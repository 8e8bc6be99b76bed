//! Installing what a fresh machine lacks, announcing each installation.
//!
//! - rustup pieces: [`ensure_rust_components`] (rustfmt, clippy) and
//!   [`ensure_rust_target`] (`wasm32-wasip2`, `wasm32-unknown-unknown`);
//! - cargo-installed tools pinned to an exact version: [`ensure_cargo_bin`],
//!   with [`locked_version`] reading the version to pin from `Cargo.lock`;
//! - system packages through apt (as root, else via `sudo`): [`ensure_node`],
//!   [`ensure_chromium`] (Debian's Chromium; a browser is never downloaded);
//! - npm packages: [`ensure_npm_packages`] runs `npm install` from the lockfile
//!   unless `node_modules` is already up to date.

use crate::cmd::{Cmd, Result, is_ci, say};
use std::fs;
use std::path::{Path, PathBuf};

/// Makes sure `cargo fmt` and `cargo clippy` are available.
pub fn ensure_rust_components() -> Result {
    let have = |sub: &str| Cmd::new("cargo").args([sub, "--version"]).probe().is_some();
    if !(have("fmt") && have("clippy")) {
        say("installing rustfmt and clippy (rustup component add rustfmt clippy)");
        Cmd::new("rustup").args(["component", "add", "rustfmt", "clippy"]).run()?;
    }
    Ok(())
}

/// Makes sure the rustup target `target` is installed.
pub fn ensure_rust_target(target: &str) -> Result {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .probe()
        .ok_or("`rustup target list --installed` failed; is rustup installed? (https://rustup.rs)")?;
    if !installed.lines().any(|l| l.trim() == target) {
        say(format_args!("installing {target} target (rustup target add {target})"));
        Cmd::new("rustup").args(["target", "add", target]).run()?;
    }
    Ok(())
}

/// Returns a runnable path to `bin` at exactly `version`, installing crate
/// `krate` with `cargo install` (plus `extra_args`) if neither `bin` on PATH
/// nor the one in `$CARGO_HOME/bin` reports that version.
pub fn ensure_cargo_bin(bin: &str, krate: &str, version: &str, extra_args: &[&str]) -> Result<PathBuf> {
    let in_cargo_home = cargo_home().join("bin").join(bin);
    let has_version = |path: &Path| {
        Cmd::new(path).args(["--version"]).probe().is_some_and(|out| out.split_whitespace().any(|word| word == version))
    };
    for candidate in [PathBuf::from(bin), in_cargo_home.clone()] {
        if has_version(&candidate) {
            return Ok(candidate);
        }
    }
    say(format_args!(
        "installing {bin} {version} (cargo install {krate} --version ={version}); this takes a few minutes"
    ));
    let version_req = format!("={version}");
    Cmd::new("cargo").args(["install", krate, "--version", &version_req]).args(extra_args.iter().copied()).run()?;
    if has_version(&in_cargo_home) {
        Ok(in_cargo_home)
    } else {
        Err(format!("installed {krate} but {} does not report version {version}", in_cargo_home.display()))
    }
}

fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
}

/// The version of package `name` in the text of a `Cargo.lock`: the
/// `version = "…"` line that follows `name = "…"` in the same `[[package]]`.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == wanted {
            let next = lines.find(|l| l.starts_with("version = ") || l.is_empty() || l.starts_with('['))?;
            let value = next.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(value.to_string());
        }
    }
    None
}

/// [`locked_version`] on the workspace's `Cargo.lock`, as an error if absent.
pub fn lockfile_version(name: &str) -> Result<String> {
    let lock = fs::read_to_string("Cargo.lock").map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    locked_version(&lock, name).ok_or_else(|| format!("package `{name}` not found in Cargo.lock"))
}

/// Installs Debian packages with apt-get, as root or through `sudo`
/// (`sudo -n` under CI so it fails instead of prompting).
fn apt_install(packages: &[&str]) -> Result {
    let root = Cmd::new("id").args(["-u"]).probe().is_some_and(|uid| uid.trim() == "0");
    let apt = |args: &[&str]| {
        let cmd = if root {
            Cmd::new("apt-get").env("DEBIAN_FRONTEND", "noninteractive")
        } else {
            // sudo drops the environment, hence `env` inside it.
            let sudo_flags: &[&str] = if is_ci() { &["-n"] } else { &[] };
            Cmd::new("sudo").args(sudo_flags.iter().copied()).args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"])
        };
        cmd.args(args.iter().copied()).run()
    };
    apt(&["update"])?;
    apt(&[&["install", "-y"][..], packages].concat())
        .map_err(|e| format!("{e}\n(install {} by hand, then retry)", packages.join(" ")))
}

/// Makes sure `node` and `npm` run; installs Debian's nodejs and npm if not.
pub fn ensure_node() -> Result {
    let ok = |bin: &str| Cmd::new(bin).args(["--version"]).probe().is_some();
    if !(ok("node") && ok("npm")) {
        say("installing Node.js (apt-get install -y nodejs npm)");
        apt_install(&["nodejs", "npm"])?;
    }
    Ok(())
}

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Makes sure Debian's Chromium is at [`CHROMIUM`] (for the browser test).
pub fn ensure_chromium() -> Result {
    if !Path::new(CHROMIUM).exists() {
        say("installing Chromium for the browser test (apt-get install -y chromium)");
        apt_install(&["chromium"])?;
    }
    Ok(())
}

/// Installs the npm packages of `dir` with `npm install` (which follows
/// the committed lockfile), unless `dir/node_modules` is newer than the
/// manifests.  Not `npm ci`: jco's `jco-node-fs` 0.3.2 names optional
/// per-platform packages that were never published (404), so no lockfile
/// can list them and `npm ci` rejects every lockfile as out of sync;
/// `npm install` skips the missing optional ones and leaves the lockfile as
/// it is (checked: byte-identical after a fresh install).
pub fn ensure_npm_packages(dir: &Path) -> Result {
    ensure_node()?;
    let lockfile = dir.join("package-lock.json");
    let marker = dir.join("node_modules/.package-lock.json");
    let mtime = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = mtime(&marker);
    let up_to_date = installed.is_some()
        && [dir.join("package.json"), lockfile.clone()]
            .iter()
            .all(|manifest| mtime(manifest).is_none_or(|changed| Some(changed) <= installed));
    if up_to_date {
        say(format_args!("{}/node_modules is up to date", dir.display()));
        return Ok(());
    }
    say(format_args!("installing npm packages of {} (npm install, from the lockfile)", dir.display()));
    Cmd::new("npm").args(["install", "--no-audit", "--no-fund"]).dir(dir).run()
}

#[cfg(test)]
mod tests {
    use super::locked_version;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "weird"
source = "path"
"#;

    #[test]
    fn reads_the_version_after_the_exact_name() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(LOCK, "wasm-bindgen-backend").as_deref(), Some("0.2.99"));
        assert_eq!(locked_version(LOCK, "wasm"), None);
        assert_eq!(locked_version(LOCK, "weird"), None);
        assert_eq!(locked_version("", "wasm-bindgen"), None);
    }
}
