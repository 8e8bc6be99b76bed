//! `ipclab`: run guest programs as processes of one kernel, print `ipcs`,
//! run composed commands.  See `ipclab help`.

use std::path::Path;
use std::process::ExitCode;

use ipclab_host::{ipcs, run};

const HELP: &str = "\
ipclab — Unix kernel IPC as a deterministic state machine, hosting programs

USAGE:
  ipclab run MANIFEST.toml [--ipcs]   run the manifest's guests as processes of one kernel;
                                      --ipcs prints the ipcs view at the end
  ipclab ipcs FILE.json               print ipcs -a of a kernel snapshot (kernel.snapshot, the
                                      playground's Save state) or of the step an exported
                                      playground session shows (Export session)
  ipclab exec COMMAND.wasm [ARGS...]  run a self-contained wasi:cli command (e.g. a guest
                                      composed with the provider by `wac plug`)

A manifest lists [[guest]] tables: name, wasm (a path relative to the manifest, or the
name of a built example in target/guests/), args, uid, gid, groups, privileged, zone,
project, fuel (CPU budget in wasm instructions), memory_mib (memory limit). Exit status:
0 when every guest exited 0, else the first failure's status (101 for a trap), 3 on
deadlock. The kernel component is target/ipc-component.wasm (or IPC_COMPONENT_WASM).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("run") => match args.get(1) {
            Some(m) => run_manifest(Path::new(m), args.iter().skip(2).any(|a| a == "--ipcs")),
            None => usage("run needs a manifest"),
        },
        Some("ipcs") => match args.get(1).map(std::fs::read_to_string) {
            Some(Ok(s)) => match ipcs::from_file(&s) {
                Ok(text) => {
                    print!("{text}");
                    0
                }
                Err(e) => fail(&e),
            },
            Some(Err(e)) => fail(&format!("cannot read the snapshot: {e}")),
            None => usage("ipcs needs a snapshot or session file"),
        },
        Some("exec") => match args.get(1) {
            Some(w) => run::exec(Path::new(w), &args[2..]).unwrap_or_else(|e| fail(&e)),
            None => usage("exec needs a component"),
        },
        Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            0
        }
        _ => usage("unknown or missing command"),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn run_manifest(path: &Path, ipcs: bool) -> i32 {
    let manifest = match run::Manifest::read(path) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    let base = path.parent().unwrap_or(Path::new("."));
    match run::run(&manifest, base) {
        Ok(report) => {
            for g in &report.guests {
                if report.deadlock.is_some() && g.status == run::EXIT_DEADLOCK && g.killed.is_none() {
                    // Its call could never complete: the host stopped it.
                    eprintln!("ipclab: {} (pid {}) stopped in the deadlock (status {})", g.name, g.pid, g.status);
                } else {
                    eprintln!("ipclab: {} (pid {}) exited with status {}", g.name, g.pid, g.status);
                }
            }
            if ipcs {
                print!("{}", report.ipcs);
            }
            report.status()
        }
        Err(e) => fail(&e),
    }
}

fn fail(msg: &str) -> i32 {
    eprintln!("ipclab: {msg}");
    1
}

fn usage(msg: &str) -> i32 {
    eprintln!("ipclab: {msg}\n\n{HELP}");
    2
}
