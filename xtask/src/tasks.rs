//! The build and test steps behind `cargo xtask test`, `build-web` and `bench`.
//!
//! `test` runs, in order and stopping at the first failure:
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy -p ipc-core -p xtask --all-targets -- -D warnings`
//! 3. `cargo test -p ipc-core --release` (unit, property, doc tests, the
//!    permission matrix, limits, and 10^5 operations of the whole-kernel
//!    fuzzer — release, as the host tests build it, so nothing is compiled
//!    twice) and `cargo test -p xtask`
//! 4. `cargo check -p ipc-core` for `wasm32-wasip2` and `wasm32-unknown-unknown`
//!
//! then, each only once its crate exists (its `Cargo.toml` is present):
//! 5. the component for `wasm32-wasip2`, copied to `target/ipc-component.wasm`,
//!    and clippy on it;
//! 6. clippy and host tests (`ipc-host-tests`, wasmtime), given the
//!    component through `IPC_COMPONENT_WASM`;
//! 7. the example guests and the provider for `wasm32-wasip2` (copied to
//!    `target/guests/`), the `wac` compositions (`wac-cli` installed on
//!    demand), clippy on the host crates, and `ipclab`'s tests: every
//!    example run through `ipclab run`, the compositions through `ipclab
//!    exec`;
//! 8. the side-by-side benchmark in its quick mode;
//! 9. clippy and unit tests of the playground;
//! 10. `build-web`: jco transpile of the component and the Yew playground
//!    through wasm-bindgen, into `www/`;
//! 11. the browser test (`tests/browser/playground.test.mjs`, Playwright on
//!    Debian's Chromium) against `www/` served by xtask on a free port, then
//!    the scale test (`tests/browser/scale.test.mjs`: first render and
//!    interaction times with 10^3 and 10^4 queues and 10^4 steps, printed;
//!    `IPC_SCALE_QUEUES` and `IPC_SCALE_STEPS` set other sizes).

use crate::cmd::{Cmd, Result, say};
use crate::serve;
use crate::setup::{
    ensure_cargo_bin, ensure_chromium, ensure_npm_packages, ensure_rust_components, ensure_rust_target,
    lockfile_version,
};
use std::fs;
use std::path::{Path, PathBuf};

const WASIP2: &str = "wasm32-wasip2";
const WASM32: &str = "wasm32-unknown-unknown";
const COMPONENT_MANIFEST: &str = "component/Cargo.toml";
const PLAYGROUND_MANIFEST: &str = "playground/Cargo.toml";
const HOST_TESTS_MANIFEST: &str = "tests/Cargo.toml";
const HOST_MANIFEST: &str = "host/Cargo.toml";
/// The example guests (`host/guests/src/bin/*`), copied to `target/guests/`.
const GUESTS: &[&str] = &[
    "msg-ping",
    "msg-pong",
    "producer",
    "consumer",
    "ring-writer",
    "ring-reader",
    "philosopher",
    "psem-pair",
    "port-dispatch",
    "solo",
    "scenario-rmid",
    "hostile",
    "load",
    "shm-counter",
    "msg-race",
    "psem-handshake",
];
/// `wac` composes the provider and the scenario with the kernel component.
const WAC_VERSION: &str = "0.12.0";
const BROWSER_TEST: &str = "tests/browser/playground.test.mjs";
const SCALE_TEST: &str = "tests/browser/scale.test.mjs";
const WWW: &str = "www";

fn exists(path: &str) -> bool {
    Path::new(path).exists()
}

fn cargo(args: &[&str]) -> Result {
    Cmd::new("cargo").args(args.iter().copied()).run()
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

/// The stable location of the built component, absolute.
fn component_wasm() -> Result<PathBuf> {
    let path = target_dir().join("ipc-component.wasm");
    std::path::absolute(&path).map_err(|e| format!("cannot resolve {}: {e}", path.display()))
}

/// Numbers the steps of `cargo xtask test` and names the failing one.
#[derive(Default)]
struct Steps {
    done: usize,
}

impl Steps {
    fn run(&mut self, name: &str, step: impl FnOnce() -> Result) -> Result {
        let n = self.done + 1;
        say(format_args!("──── step {n}: {name}"));
        step().map_err(|e| format!("FAILED at step {n}, {name}: {e}"))?;
        self.done = n;
        Ok(())
    }

    fn skip(&self, what: &str, missing: &str) {
        say(format_args!("──── skipping {what}: {missing} does not exist yet"));
    }
}

pub fn test_all() -> Result {
    let mut steps = Steps::default();
    steps.run("formatting (cargo fmt --check)", || {
        ensure_rust_components()?;
        cargo(&["fmt", "--all", "--", "--check"])
    })?;
    steps.run("clippy (ipc-core, ipclab-session, xtask)", || {
        cargo(&[
            "clippy",
            "-p",
            "ipc-core",
            "-p",
            "ipclab-session",
            "-p",
            "xtask",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
    })?;
    steps.run("tests (ipc-core: unit, property, doc, permissions, limits, fuzz; ipclab-session; xtask)", || {
        cargo(&["test", "-p", "ipc-core", "--release"])?;
        cargo(&["test", "-p", "ipclab-session", "--release"])?;
        cargo(&["test", "-p", "xtask"])
    })?;
    steps.run("ipc-core builds for both wasm targets", || {
        ensure_rust_target(WASIP2)?;
        ensure_rust_target(WASM32)?;
        cargo(&["check", "-p", "ipc-core", "--target", WASIP2, "--target", WASM32])
    })?;

    if exists(COMPONENT_MANIFEST) {
        steps.run("component build (wasm32-wasip2)", build_component)?;
        steps.run("clippy (ipc-component)", || {
            cargo(&["clippy", "-p", "ipc-component", "--target", WASIP2, "--", "-D", "warnings"])
        })?;
    } else {
        steps.skip("component build and clippy", COMPONENT_MANIFEST);
    }

    if exists(HOST_TESTS_MANIFEST) {
        steps.run("clippy (ipc-host-tests)", || {
            cargo(&["clippy", "-p", "ipc-host-tests", "--release", "--all-targets", "--", "-D", "warnings"])
        })?;
        steps.run("host tests (ipc-host-tests, wasmtime)", || {
            let wasm = built_component()?;
            Cmd::new("cargo").args(["test", "-p", "ipc-host-tests", "--release"]).env("IPC_COMPONENT_WASM", wasm).run()
        })?;
    } else {
        steps.skip("host tests", HOST_TESTS_MANIFEST);
    }

    if exists(HOST_MANIFEST) {
        steps.run("example guests, provider and wac compositions (wasm32-wasip2)", build_guests)?;
        steps.run("clippy (ipclab-host; guests and provider for wasm32-wasip2)", || {
            cargo(&["clippy", "-p", "ipclab-host", "--release", "--all-targets", "--", "-D", "warnings"])?;
            cargo(&[
                "clippy",
                "-p",
                "ipclab-guests",
                "-p",
                "ipclab-provider",
                "--target",
                WASIP2,
                "--",
                "-D",
                "warnings",
            ])
        })?;
        steps.run("ipclab: every example through `ipclab run`, compositions through `ipclab exec`", || {
            let wasm = built_component()?;
            Cmd::new("cargo").args(["test", "-p", "ipclab-host", "--release"]).env("IPC_COMPONENT_WASM", wasm).run()
        })?;
    } else {
        steps.skip("example guests and compositions", HOST_MANIFEST);
    }

    if exists(HOST_TESTS_MANIFEST) {
        steps.run("benchmark, quick mode (side-by-side: Linux, ipc-core, component, hosted guests)", || {
            run_side_by_side(true).map(|_| ())
        })?;
    }

    if exists(PLAYGROUND_MANIFEST) {
        steps.run("clippy (ipc-playground)", || {
            ensure_rust_target(WASM32)?;
            cargo(&["clippy", "-p", "ipc-playground", "--target", WASM32, "--", "-D", "warnings"])
        })?;
        steps.run("tests (ipc-playground, host)", || cargo(&["test", "-p", "ipc-playground"]))?;
    }

    if exists(PLAYGROUND_MANIFEST) || exists(COMPONENT_MANIFEST) {
        steps.run("web build (build-web: jco + playground)", build_web)?;
    } else {
        steps.skip("web build", PLAYGROUND_MANIFEST);
    }

    if exists(BROWSER_TEST) {
        steps.run("browser test (Playwright + Chromium)", browser_test)?;
    } else {
        steps.skip("browser test", BROWSER_TEST);
    }

    say(format_args!("all {} steps passed", steps.done));
    Ok(())
}

/// Builds the component and copies it to `target/ipc-component.wasm`.
pub fn build_component() -> Result {
    ensure_rust_target(WASIP2)?;
    cargo(&["build", "-p", "ipc-component", "--target", WASIP2, "--profile", "component-release"])?;
    let built = target_dir().join(WASIP2).join("component-release/ipc_component.wasm");
    let stable = component_wasm()?;
    let bytes = fs::copy(&built, &stable)
        .map_err(|e| format!("cannot copy {} to {}: {e}", built.display(), stable.display()))?;
    say(format_args!("component: {} ({:.1} KB)", stable.display(), bytes as f64 / 1024.0));
    Ok(())
}

/// The component's path, or an error saying how to produce it.
fn built_component() -> Result<PathBuf> {
    let wasm = component_wasm()?;
    if wasm.exists() {
        Ok(wasm)
    } else {
        Err(format!("{} is missing: the component must be built first ({COMPONENT_MANIFEST})", wasm.display()))
    }
}

/// Builds the example guests and the provider adapter, copies them to
/// `target/guests/`, and composes with `wac`: the provider (adapter +
/// kernel component), `solo` + provider, and the scenario + kernel.
pub fn build_guests() -> Result {
    ensure_rust_target(WASIP2)?;
    let kernel = built_component()?;
    cargo(&["build", "-p", "ipclab-guests", "-p", "ipclab-provider", "--target", WASIP2, "--profile", "wasm-release"])?;
    let built = target_dir().join(WASIP2).join("wasm-release");
    let out = target_dir().join("guests");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let copy = |from: &str, to: &str| -> Result<PathBuf> {
        let (src, dst) = (built.join(from), out.join(to));
        fs::copy(&src, &dst).map_err(|e| format!("cannot copy {} to {}: {e}", src.display(), dst.display()))?;
        Ok(dst)
    };
    for g in GUESTS {
        copy(&format!("{g}.wasm"), &format!("{g}.wasm"))?;
    }
    let adapter = copy("ipclab_provider.wasm", "provider-adapter.wasm")?;
    let wac = ensure_cargo_bin("wac", "wac-cli", WAC_VERSION, &["--locked"])?;
    let plug = |socket: &Path, plug: &Path, to: &str| -> Result {
        Cmd::new(&wac)
            .args(["plug"])
            .args([socket])
            .args(["--plug"])
            .args([plug])
            .args(["-o"])
            .args([out.join(to)])
            .run()
    };
    // The provider also exports the kernel's `types` (which the guest
    // interfaces refer to), so it is composed by a script, not `plug`.
    Cmd::new(&wac)
        .args(["compose", "host/compose/provider.wac", "--dep"])
        .args([format!("ipclab:kernel={}", kernel.display())])
        .args(["--dep"])
        .args([format!("ipclab:adapter={}", adapter.display())])
        .args(["-o"])
        .args([out.join("provider.wasm")])
        .run()?;
    plug(&out.join("solo.wasm"), &out.join("provider.wasm"), "solo-composed.wasm")?;
    plug(&out.join("scenario-rmid.wasm"), &kernel, "scenario-composed.wasm")?;
    say(format_args!("guests and compositions in {}", out.display()));
    Ok(())
}

/// Runs the side-by-side benchmark (release) and returns what it printed.
fn run_side_by_side(quick: bool) -> Result<String> {
    let wasm = built_component()?;
    let mut args = vec!["run", "-q", "--release", "-p", "ipc-host-tests", "--bin", "side-by-side", "--"];
    if quick {
        args.push("--quick");
    }
    let out = Cmd::new("cargo").args(args).env("IPC_COMPONENT_WASM", wasm).output()?;
    print!("{out}");
    Ok(out)
}

/// Where `cargo xtask bench` writes its table in the README.
const BENCH_BEGIN: &str = "<!-- bench:begin (written by `cargo xtask bench`) -->";
const BENCH_END: &str = "<!-- bench:end -->";

/// `cargo xtask bench`: builds the component, runs the side-by-side
/// benchmark in full and writes its table into `README.md`.
pub fn bench() -> Result {
    if !exists(HOST_TESTS_MANIFEST) || !exists(COMPONENT_MANIFEST) {
        return Err(format!("the benchmark needs {HOST_TESTS_MANIFEST} and {COMPONENT_MANIFEST}"));
    }
    build_component()?;
    if exists(HOST_MANIFEST) {
        build_guests()?;
    }
    let table = run_side_by_side(false)?;
    let readme = fs::read_to_string("README.md").map_err(|e| format!("cannot read README.md: {e}"))?;
    let updated = splice(&readme, BENCH_BEGIN, BENCH_END, &table)
        .ok_or_else(|| format!("README.md has no `{BENCH_BEGIN}` … `{BENCH_END}` section"))?;
    fs::write("README.md", updated).map_err(|e| format!("cannot write README.md: {e}"))?;
    say("README.md: benchmark table updated");
    Ok(())
}

/// `text` with what lies between the `begin` and `end` markers replaced by `body`.
fn splice(text: &str, begin: &str, end: &str, body: &str) -> Option<String> {
    let start = text.find(begin)? + begin.len();
    let stop = start + text[start..].find(end)?;
    Some(format!("{}\n{}\n{}", &text[..start], body.trim(), &text[stop..]))
}

/// `cargo xtask serve [--port N]`: build the web parts, then serve forever.
pub fn serve(port: u16) -> Result {
    build_web()?;
    let addr = serve::start(Path::new(WWW), port)?;
    if !Path::new(WWW).join("index.html").exists() {
        say("www/index.html does not exist yet: / shows a placeholder page");
    }
    println!("ipclab playground: http://{addr}/");
    say("serving www/ (Ctrl-C to stop)");
    loop {
        std::thread::park();
    }
}

/// `cargo xtask build-web`: the component through jco into `www/component`,
/// the playground through wasm-bindgen into `www/pkg`. Parts whose crate does
/// not exist yet are skipped.
pub fn build_web() -> Result {
    let (component, playground) = (exists(COMPONENT_MANIFEST), exists(PLAYGROUND_MANIFEST));
    if !component && !playground {
        say("build-web: nothing to build yet (neither component/ nor playground/ has a Cargo.toml)");
        return Ok(());
    }
    if Path::new(WWW).join("package.json").exists() {
        ensure_npm_packages(Path::new(WWW))?;
    }
    if component {
        build_component()?;
        let jco = Path::new(WWW).join("node_modules/.bin/jco");
        if !jco.exists() {
            return Err(format!("{} is missing: add @bytecodealliance/jco to www/package.json", jco.display()));
        }
        let wasm = component_wasm()?;
        Cmd::new(jco)
            .args(["transpile"])
            .args([&wasm])
            .args(["-o", "www/component", "--name", "ipc_component"])
            .run()?;
    }
    if playground {
        ensure_rust_target(WASM32)?;
        // Not stripped by cargo: wasm-bindgen reads the `target_features`
        // section (it warns without it) and drops the name and producers
        // sections itself.
        cargo(&[
            "build",
            "-p",
            "ipc-playground",
            "--target",
            WASM32,
            "--profile",
            "wasm-release",
            "--config",
            "profile.wasm-release.strip=false",
        ])?;
        let version = lockfile_version("wasm-bindgen")?;
        let wasm_bindgen = ensure_cargo_bin("wasm-bindgen", "wasm-bindgen-cli", &version, &[])?;
        let built = target_dir().join(WASM32).join("wasm-release/ipc_playground.wasm");
        Cmd::new(wasm_bindgen)
            .args(["--target", "web", "--no-typescript", "--remove-name-section", "--remove-producers-section"])
            .args(["--out-dir", "www/pkg"])
            .args([built])
            .run()?;
    }
    Ok(())
}

/// Serves `www/` on a free loopback port and runs the Node browser tests on it.
fn browser_test() -> Result {
    ensure_chromium()?;
    ensure_npm_packages(Path::new(WWW))?;
    let addr = serve::start(Path::new(WWW), 0)?;
    say(format_args!("serving {WWW}/ on http://{addr}/ for the browser test"));
    Cmd::new("node").args([BROWSER_TEST]).env("IPC_WWW_URL", format!("http://{addr}/")).run()?;
    if exists(SCALE_TEST) {
        Cmd::new("node").args([SCALE_TEST]).env("IPC_WWW_URL", format!("http://{addr}/")).run()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::splice;

    #[test]
    fn splice_replaces_only_the_marked_section() {
        let text = "a\n<!-- b -->\nold\n<!-- e -->\nz\n";
        assert_eq!(
            splice(text, "<!-- b -->", "<!-- e -->", "new\n").as_deref(),
            Some("a\n<!-- b -->\nnew\n<!-- e -->\nz\n")
        );
        assert_eq!(splice("no markers", "<!-- b -->", "<!-- e -->", "x"), None);
    }
}
