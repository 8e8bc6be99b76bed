//! # `ipclab explore`: many schedules, every distinct failure once
//!
//! ## Overview
//! A run is a function of its manifest, policy and seed ([`crate::sim`]);
//! exploring is running one manifest under many seeds and keeping what
//! failed.  Schedule `i` runs with seed `seed + i` under `random` or `pct`
//! (PCT's length estimate is the longest run seen so far, first from one
//! FIFO run).  Workers (`--jobs`) each take every `jobs`-th schedule and
//! run their own simulations; the programs are compiled once for all.
//!
//! ## What is a failure
//! A run fails when it deadlocks, runs past [`EXPLORE_MAX_DECISIONS`]
//! (a livelock), a guest exits non-zero, traps or is killed, or an
//! `[[expect]]` property of the manifest breaks ([`RunReport::failure`]).  Failures are grouped by that one line — its
//! kind and the guests involved, never times or ids — and each group is
//! reported once, with the first seed that found it and how many runs did.
//!
//! ## Shrinking
//! A failing schedule found at random switches between guests far more
//! often than the bug needs.  Before it is written, each is shrunk: runs
//! of one guest are removed one at a time and the rest replayed leniently
//! (a pick that no longer fits, and everything past the end, keeps the
//! guest picked last where it can, else goes FIFO); a candidate that fails
//! the same way is kept as the run it produced.
//! Then the shortest prefix that still fails is kept the same way.  The
//! result replays strictly: `ipclab run MANIFEST --schedule replay FILE`.
//!
//! ## Output
//! A progress bar on a terminal, then a table: each failure, the seed that
//! found it first, how many schedules found it, context switches before
//! and after shrinking, and the command that replays it.  Exit status 1
//! when anything failed, 0 when every schedule passed, 2 for bad input.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};

use crate::kernel::Choice;
use crate::run::{Manifest, Prepared, RunOptions, RunReport, run_prepared};
use crate::sim::sched::{Policy, Schedule, switches};

/// A schedule longer than this is reported as a livelock.
pub const EXPLORE_MAX_DECISIONS: u64 = 1_000_000;

/// How to explore.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    pub schedules: u64,
    /// PCT instead of random.
    pub pct: bool,
    pub seed: u64,
    pub depth: u32,
    pub jobs: usize,
    /// Where the failures' schedule files go.
    pub out: PathBuf,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// The kernel the guests call.
    pub kernel: Choice,
}

/// One distinct failure.
#[derive(Debug, Clone)]
pub struct Found {
    /// The failure in one line.
    pub failure: String,
    /// The first seed that found it (lowest schedule number).
    pub seed: u64,
    /// How many schedules failed this way.
    pub count: u64,
    /// Context switches of the schedule as found, and after shrinking.
    pub switches_found: usize,
    pub switches_shrunk: usize,
    /// The shrunk schedule's picks.
    pub picks: Vec<u32>,
}

/// What an exploration found.
#[derive(Debug, Clone)]
pub struct Explored {
    pub runs: u64,
    pub found: Vec<Found>,
}

/// Failures found so far: each one line → (the lowest schedule number
/// that found it, that run's picks, how many runs found it).
type Groups = BTreeMap<String, (u64, Vec<u32>, u64)>;

/// The policy of schedule `i`.
fn policy(opts: &ExploreOptions, i: u64) -> Policy {
    let seed = opts.seed.wrapping_add(i);
    if opts.pct { Policy::Pct { seed, depth: opts.depth } } else { Policy::Random { seed } }
}

fn quiet(policy: Policy, pct_steps: u64) -> RunOptions {
    RunOptions {
        policy,
        echo: false,
        explain: false,
        pct_steps,
        max_decisions: EXPLORE_MAX_DECISIONS,
        ..RunOptions::default()
    }
}

/// Runs the exploration (without shrinking or writing anything).
pub fn explore(manifest: &Manifest, prepared: &Prepared, opts: &ExploreOptions) -> Result<Explored, String> {
    // PCT needs the run's length: one FIFO run says it (random does not).
    let first = if opts.pct {
        run_prepared(manifest, prepared, &RunOptions { kernel: opts.kernel, ..quiet(Policy::Fifo, 0) })?.picks.len()
            as u64
            + 1
    } else {
        0
    };
    let steps = Arc::new(Mutex::new(first));
    let found: Arc<Mutex<Groups>> = Arc::default();
    let error: Arc<Mutex<Option<String>>> = Arc::default();
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(opts.schedules);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} schedules · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    std::thread::scope(|scope| {
        for job in 0..opts.jobs as u64 {
            let (steps, found, error, bar) = (Arc::clone(&steps), Arc::clone(&found), Arc::clone(&error), bar.clone());
            scope.spawn(move || {
                let mut i = job;
                while i < opts.schedules {
                    if error.lock().map(|e| e.is_some()).unwrap_or(true) {
                        return;
                    }
                    let pct_steps = *steps.lock().unwrap_or_else(|p| p.into_inner());
                    match run_prepared(
                        manifest,
                        prepared,
                        &RunOptions { kernel: opts.kernel, ..quiet(policy(opts, i), pct_steps) },
                    ) {
                        Ok(report) => {
                            let mut s = steps.lock().unwrap_or_else(|p| p.into_inner());
                            *s = (*s).max(report.picks.len() as u64);
                            drop(s);
                            if let Some(f) = report.failure() {
                                let mut found = found.lock().unwrap_or_else(|p| p.into_inner());
                                let e = found.entry(f).or_insert((i, report.picks.clone(), 0));
                                e.2 += 1;
                                if i < e.0 {
                                    (e.0, e.1) = (i, report.picks.clone());
                                }
                                bar.set_message(format!("{} distinct failure(s)", found.len()));
                            }
                        }
                        Err(e) => {
                            *error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            return;
                        }
                    }
                    bar.inc(1);
                    i += opts.jobs as u64;
                }
            });
        }
    });
    bar.finish_and_clear();
    if let Some(e) = error.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    let found = std::mem::take(&mut *found.lock().unwrap_or_else(|p| p.into_inner()));
    let mut list: Vec<Found> = found
        .into_iter()
        .map(|(failure, (i, picks, count))| Found {
            failure,
            seed: opts.seed.wrapping_add(i),
            count,
            switches_found: switches(&picks),
            switches_shrunk: switches(&picks),
            picks,
        })
        .collect();
    list.sort_by_key(|f| f.seed);
    Ok(Explored { runs: opts.schedules, found: list })
}

/// The run of `picks` replayed leniently, if it fails as `failure`.
fn fails_the_same(manifest: &Manifest, prepared: &Prepared, picks: Vec<u32>, failure: &str) -> Option<RunReport> {
    let opts = RunOptions { lenient: true, ..quiet(Policy::Replay { picks }, 0) };
    let report = run_prepared(manifest, prepared, &opts).ok()?;
    (report.failure().as_deref() == Some(failure)).then_some(report)
}

/// Shrinks a failing schedule (see the module documentation); at most
/// `budget` replays.
pub fn shrink(manifest: &Manifest, prepared: &Prepared, found: &mut Found, budget: usize) {
    let mut best = found.picks.clone();
    let mut tries = 0;
    // Remove runs of one guest, one at a time, from the front.
    let mut r = 1;
    loop {
        let runs = runs_of(&best);
        if r >= runs.len() || tries >= budget {
            break;
        }
        let mut cand = Vec::with_capacity(best.len());
        for (j, &(g, n)) in runs.iter().enumerate() {
            if j != r {
                cand.extend(std::iter::repeat_n(g, n));
            }
        }
        tries += 1;
        match fails_the_same(manifest, prepared, cand, &found.failure) {
            Some(rep) if switches(&rep.picks) < switches(&best) => best = rep.picks,
            _ => r += 1,
        }
    }
    // The shortest prefix that still fails (FIFO after it).
    let (mut lo, mut hi) = (0usize, best.len());
    while lo < hi && tries < budget {
        let mid = (lo + hi) / 2;
        tries += 1;
        match fails_the_same(manifest, prepared, best[..mid].to_vec(), &found.failure) {
            Some(rep) if switches(&rep.picks) <= switches(&best) => {
                best = rep.picks;
                hi = mid.min(best.len());
            }
            _ => lo = mid + 1,
        }
    }
    found.switches_shrunk = switches(&best);
    found.picks = best;
}

fn runs_of(picks: &[u32]) -> Vec<(u32, usize)> {
    let mut runs: Vec<(u32, usize)> = Vec::new();
    for &p in picks {
        match runs.last_mut() {
            Some((g, n)) if *g == p => *n += 1,
            _ => runs.push((p, 1)),
        }
    }
    runs
}

/// `ipclab explore`: explore, shrink, write the schedules, print the table.
pub fn main(path: &Path, opts: &ExploreOptions) -> i32 {
    let bad = |e: String| {
        eprintln!("ipclab: {e}");
        2
    };
    let (manifest, text) = match Manifest::read_with_text(path) {
        Ok(m) => m,
        Err(e) => return bad(e),
    };
    let prepared = match Prepared::new(&manifest, path.parent().unwrap_or(Path::new("."))) {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let started = std::time::Instant::now();
    let mut explored = match explore(&manifest, &prepared, opts) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("ipclab: {e}");
            return 1;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let policy = if opts.pct { format!("pct --depth {}", opts.depth) } else { "random".into() };
    println!(
        "explored {} schedules of {name} under {policy} (seeds {} to {}) in {secs:.1} s ({:.0} schedules/s, {} job(s))",
        explored.runs,
        opts.seed,
        opts.seed.wrapping_add(explored.runs.saturating_sub(1)),
        explored.runs as f64 / secs.max(1e-9),
        opts.jobs
    );
    if explored.found.is_empty() {
        println!("no failure: every schedule ended with every guest exiting 0 and every [[expect]] holding");
        return 0;
    }
    if let Err(e) = std::fs::create_dir_all(&opts.out) {
        return bad(format!("cannot create {}: {e}", opts.out.display()));
    }
    println!("{} distinct failure(s):", explored.found.len());
    // The program as the user invoked it, so the replay lines can be pasted.
    let me = std::env::args().next().unwrap_or_else(|| "ipclab".to_string());
    for (n, f) in explored.found.iter_mut().enumerate() {
        shrink(&manifest, &prepared, f, 400);
        let file = opts.out.join(format!("{stem}-{}.json", n + 1));
        let kind = if opts.pct {
            format!("pct --seed {} --depth {}", f.seed, opts.depth)
        } else {
            format!("random --seed {}", f.seed)
        };
        let s = Schedule::new(&name, &text, &format!("{kind}, shrunk"), &f.picks);
        if let Err(e) = std::fs::write(&file, s.to_json()) {
            return bad(format!("cannot write {}: {e}", file.display()));
        }
        println!();
        println!("  {}. {}", n + 1, f.failure);
        println!(
            "     found first by seed {} ({kind}); {} of {} schedules failed this way",
            f.seed, f.count, explored.runs
        );
        println!(
            "     schedule: {} decisions, {} context switches (found with {})",
            f.picks.len(),
            f.switches_shrunk,
            f.switches_found
        );
        // Named as the user would type it: relative to where they are.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = file.strip_prefix(&cwd).unwrap_or(&file);
        println!("     replay:   {me} run {} --schedule replay {}", path.display(), shown.display());
        // The failing run as a playground session, beside its schedule.
        let session = opts.out.join(format!("{stem}-{}.session.json", n + 1));
        let record = RunOptions { lenient: true, record: true, ..quiet(Policy::Replay { picks: f.picks.clone() }, 0) };
        match run_prepared(&manifest, &prepared, &record).map(|r| r.session) {
            Ok(Some(s)) => match std::fs::write(&session, s.to_json_lines()) {
                Ok(()) => {
                    let shown = session.strip_prefix(&cwd).unwrap_or(&session);
                    println!("     session:  {} (the playground's Import session opens it)", shown.display());
                }
                Err(e) => return bad(format!("cannot write {}: {e}", session.display())),
            },
            Ok(None) | Err(_) => println!("     session:  (the run could not be recorded)"),
        }
    }
    1
}
