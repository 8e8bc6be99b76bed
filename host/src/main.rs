//! `ipclab`: run guest programs as processes of one kernel, explore their
//! schedules, print `ipcs`, run composed commands.  See `ipclab help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use ipclab_host::explore::{self, ExploreOptions};
use ipclab_host::kernel::Choice;
use ipclab_host::run::{self, RunOptions};
use ipclab_host::sim;
use ipclab_host::sim::sched::{Policy, Schedule};

const MANIFEST_HELP: &str = "\
A manifest lists [[guest]] tables: name, wasm (a path relative to the manifest, or the
name of a built example in target/guests/), args, uid, gid, groups, privileged, zone,
project, fuel (CPU budget in wasm instructions), memory_mib (memory limit); and
[[expect]] tables, properties every run must keep: guest and last_line (its last line of
stdout) or contains (a line containing it).

Every run is a deterministic simulation: all guests on one thread, a scheduler deciding
at every kernel call, time simulated (a kernel call costs 500 ns, 100000 wasm
instructions 100 µs; a run where everyone waits jumps to the next deadline). The same
manifest, policy and seed give the same output, byte for byte.

Exit status of run: 0 when every guest exited 0 and every [[expect]] held, else the first
failing guest's status (101 for a trap or a kill; 1 for a broken property), 3 on
deadlock, 2 for bad input (nothing is run). The kernel component is
target/ipc-component.wasm (or IPC_COMPONENT_WASM); compiled programs are cached under
target/ipclab-cache/.";

#[derive(Parser)]
#[command(
    name = "ipclab",
    about = "ipclab — Unix kernel IPC as a deterministic state machine, hosting programs",
    after_help = MANIFEST_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScheduleKind {
    /// The guest that has been runnable longest first (round robin).
    Fifo,
    /// Uniformly among the runnable guests (--seed).
    Random,
    /// Probabilistic Concurrency Testing (--seed, --depth).
    Pct,
    /// The picks of a schedule file (--schedule replay FILE).
    Replay,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplorePolicy {
    Random,
    Pct,
}

/// The kernel the guests call.
#[derive(Clone, Copy, ValueEnum)]
enum KernelKind {
    /// ipc-core compiled into ipclab (the default: the fastest).
    Native,
    /// The kernel component (target/ipc-component.wasm) in its own wasmtime store.
    Component,
}

impl KernelKind {
    fn choice(self) -> Choice {
        match self {
            KernelKind::Native => Choice::Native,
            KernelKind::Component => Choice::Component,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the manifest's guests as processes of one kernel.
    Run {
        manifest: PathBuf,
        /// fifo (default), random, pct, or replay FILE.
        #[arg(long, value_enum, default_value = "fifo")]
        schedule: ScheduleKind,
        /// The schedule file to replay (with --schedule replay).
        #[arg(value_name = "FILE")]
        replay_file: Option<PathBuf>,
        /// The seed of random and pct (default 0).
        #[arg(long)]
        seed: Option<u64>,
        /// PCT's depth: the number of priority changes plus one (default 3).
        #[arg(long)]
        depth: Option<u32>,
        /// Print the ipcs view at the end.
        #[arg(long)]
        ipcs: bool,
        /// Print every refused or parked call with the kernel's reason.
        #[arg(long, alias = "trace")]
        explain: bool,
        /// Write the run's schedule to FILE (replay it with --schedule replay FILE).
        #[arg(long, value_name = "FILE")]
        save_schedule: Option<PathBuf>,
        /// The kernel the guests call: native (ipc-core in ipclab) or component.
        #[arg(long, value_enum, default_value = "native")]
        kernel: KernelKind,
        /// Write the run as a playground session to FILE (Import session opens it;
        /// `ipclab ipcs FILE` prints its state).
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// Run many schedules and report every distinct failure once.
    Explore {
        manifest: PathBuf,
        /// How many schedules to run.
        #[arg(long, default_value_t = 1000)]
        schedules: u64,
        #[arg(long, value_enum, default_value = "random")]
        policy: ExplorePolicy,
        /// The first seed; schedule i runs with seed + i.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// PCT's depth (with --policy pct; default 3).
        #[arg(long)]
        depth: Option<u32>,
        /// Worker threads, each running its own simulations.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Where to write each failure's schedule file (default: target/ipclab-explore/).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The kernel the guests call: native (ipc-core in ipclab) or component.
        #[arg(long, value_enum, default_value = "native")]
        kernel: KernelKind,
    },
    /// Print ipcs -a of a kernel snapshot or of an exported playground session.
    Ipcs { file: PathBuf },
    /// Run a self-contained wasi:cli command (e.g. a guest composed by `wac plug`).
    Exec {
        command: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Run { manifest, schedule, replay_file, seed, depth, ipcs, explain, save_schedule, kernel, record } => {
            let opts =
                RunOptions { explain, kernel: kernel.choice(), record: record.is_some(), ..RunOptions::default() };
            let files = Files { save_schedule, record };
            run_manifest(&manifest, schedule, replay_file, seed, depth, ipcs, files, opts)
        }
        Command::Explore { manifest, schedules, policy, seed, depth, jobs, out, kernel } => {
            let pct = matches!(policy, ExplorePolicy::Pct);
            if depth.is_some() && !pct {
                return ExitCode::from(bad_input("--depth applies to --policy pct only") as u8);
            }
            let opts = ExploreOptions {
                schedules,
                pct,
                seed,
                depth: depth.unwrap_or(3),
                jobs: jobs.max(1),
                out: out.unwrap_or_else(|| ipclab_host::engine::target_dir().join("ipclab-explore")),
                progress: true,
                kernel: kernel.choice(),
            };
            explore::main(&manifest, &opts)
        }
        Command::Ipcs { file } => match std::fs::read_to_string(&file) {
            Ok(s) => match ipclab_host::session::ipcs_of_file(&s) {
                Ok(text) => {
                    print!("{text}");
                    0
                }
                Err(e) => fail(&format!("{}: {e}", file.display())),
            },
            Err(e) => fail(&format!("cannot read {}: {e}", file.display())),
        },
        Command::Exec { command, args } => run::exec(&command, &args).unwrap_or_else(|e| fail(&e)),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// The files a run writes besides its output.
struct Files {
    save_schedule: Option<PathBuf>,
    record: Option<PathBuf>,
}

#[allow(clippy::too_many_arguments)]
fn run_manifest(
    path: &Path,
    schedule: ScheduleKind,
    replay_file: Option<PathBuf>,
    seed: Option<u64>,
    depth: Option<u32>,
    ipcs: bool,
    files: Files,
    opts: RunOptions,
) -> i32 {
    let (manifest, text) = match run::Manifest::read_with_text(path) {
        Ok(m) => m,
        Err(e) => return bad_input(&e),
    };
    // A flag the chosen schedule does not read is a mistake, not a no-op.
    if seed.is_some() && !matches!(schedule, ScheduleKind::Random | ScheduleKind::Pct) {
        return bad_input("--seed applies to --schedule random or pct");
    }
    if depth.is_some() && !matches!(schedule, ScheduleKind::Pct) {
        return bad_input("--depth applies to --schedule pct only");
    }
    // The files the run writes are checked before it runs (nothing half-run).
    for file in [&files.record, &files.save_schedule].into_iter().flatten() {
        if file.is_dir() {
            return bad_input(&format!("{} is a directory, not a file to write", file.display()));
        }
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            return bad_input(&format!("cannot make {}: {e}", dir.display()));
        }
    }
    let (seed, depth) = (seed.unwrap_or(0), depth.unwrap_or(3));
    let policy = match (schedule, replay_file) {
        (ScheduleKind::Replay, Some(file)) => {
            let picks = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))
                .and_then(|t| {
                    Schedule::parse(&t, &text, manifest.guests.len()).map_err(|e| format!("{}: {e}", file.display()))
                });
            match picks {
                Ok(picks) => Policy::Replay { picks },
                Err(e) => return bad_input(&e),
            }
        }
        (ScheduleKind::Replay, None) => return bad_input("--schedule replay needs a schedule FILE"),
        (_, Some(f)) => return bad_input(&format!("unexpected argument {}", f.display())),
        (ScheduleKind::Fifo, None) => Policy::Fifo,
        (ScheduleKind::Random, None) => Policy::Random { seed },
        (ScheduleKind::Pct, None) => Policy::Pct { seed, depth },
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let prepared = match run::Prepared::new(&manifest, base) {
        Ok(p) => p,
        Err(e) => return bad_input(&e),
    };
    let opts = RunOptions { policy: policy.clone(), ..opts };
    match run::run_prepared(&manifest, &prepared, &opts) {
        Ok(report) => {
            for g in &report.guests {
                let stopped = g.status == run::EXIT_DEADLOCK && g.killed.is_none();
                if stopped && report.deadlock.is_some() {
                    // Its call could never complete: the host stopped it.
                    eprintln!("ipclab: {} (pid {}) stopped in the deadlock (status {})", g.name, g.pid, g.status);
                } else if stopped && report.livelock.is_some() {
                    eprintln!(
                        "ipclab: {} (pid {}) stopped at the limit of decisions (status {})",
                        g.name, g.pid, g.status
                    );
                } else {
                    eprintln!("ipclab: {} (pid {}) exited with status {}", g.name, g.pid, g.status);
                }
                if let Some(why) = &g.refusal {
                    eprintln!("ipclab: {}'s last refused call: {why}", g.name);
                }
            }
            for b in &report.broken {
                eprintln!("ipclab: property broken: {b}");
            }
            if let Some(m) = &report.misfit {
                eprintln!("ipclab: the schedule does not fit this run: {m}");
            }
            if ipcs {
                print!("{}", report.ipcs);
            }
            if let (Some(file), Some(session)) = (&files.record, &report.session) {
                if let Err(e) = std::fs::write(file, session.to_json_lines()) {
                    return fail(&format!("cannot write {}: {e}", file.display()));
                }
                eprintln!(
                    "ipclab: the run ({} steps) recorded in {}: open it in the playground (Import session)",
                    session.log.len().saturating_sub(session.base as usize),
                    file.display()
                );
            }
            if let Some(file) = files.save_schedule {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let s = Schedule::new(&name, &text, &policy.describe(), &report.picks);
                if let Err(e) = std::fs::write(&file, s.to_json()) {
                    return fail(&format!("cannot write {}: {e}", file.display()));
                }
                eprintln!(
                    "ipclab: schedule ({} decisions, {} context switches) written to {}",
                    report.picks.len(),
                    sim::sched::switches(&report.picks),
                    file.display()
                );
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

fn bad_input(msg: &str) -> i32 {
    eprintln!("ipclab: {msg}");
    2
}
