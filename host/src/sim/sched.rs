//! # Schedulers: who makes the next kernel call
//!
//! A run is a sequence of **decisions**.  At each one the simulation
//! ([`super`]) hands the scheduler the guests that can go on — each stopped
//! at a kernel call, woken from one, or pre-empted by fuel — and the
//! scheduler picks one.  Everything else in a run is a function of those
//! picks, so a run is written down completely by its list of picks: the
//! [`Schedule`].
//!
//! The shape follows awslabs' shuttle: a scheduler is an oracle with two
//! questions (a new execution begins; which runnable guest goes next), and
//! every policy is a few lines over it:
//!
//! | policy | picks |
//! |---|---|
//! | [`Policy::Fifo`] | the guest that has been runnable longest (round robin: a guest that just ran goes to the back) |
//! | [`Policy::Random`] | uniformly among the runnable, from a generator seeded with `--seed` |
//! | [`Policy::Pct`] | Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010): random distinct priorities, the highest runnable runs, and at `depth − 1` random decision points the running guest drops below every other |
//! | [`Policy::Replay`] | what a schedule file says, decision by decision (a pick that is not runnable is an error, not a guess) |
//!
//! The generator is `rand_xorshift`'s `XorShiftRng`: its output is fixed
//! by its algorithm, so a seed means the same schedule on every machine.
//!
//! ## The schedule file
//! JSON: the format version, the manifest's name and a digest of its text
//! (a schedule from another manifest is refused), the policy it came from,
//! and `picks`, run-length encoded as a string: `"0*12 1*3 0 2*40"` is guest
//! 0 for twelve decisions, guest 1 for three, guest 0 once, guest 2 forty
//! times (guests numbered in manifest order).  Each run of one guest is one
//! context switch, which is what shrinking reduces.

use rand::{RngExt, SeedableRng};
use rand_xorshift::XorShiftRng;
use serde::{Deserialize, Serialize};

/// How a run picks the next guest (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    Fifo,
    Random { seed: u64 },
    Pct { seed: u64, depth: u32 },
    Replay { picks: Vec<u32> },
}

impl Policy {
    /// The policy as the command line names it (`pct --seed 3 --depth 2`).
    pub fn describe(&self) -> String {
        match self {
            Policy::Fifo => "fifo".into(),
            Policy::Random { seed } => format!("random --seed {seed}"),
            Policy::Pct { seed, depth } => format!("pct --seed {seed} --depth {depth}"),
            Policy::Replay { picks } => format!("replay ({} decisions)", picks.len()),
        }
    }
}

/// A guest the scheduler may pick: its index and when it last became
/// runnable (a counter of decisions, for FIFO).
#[derive(Debug, Clone, Copy)]
pub struct Runnable {
    pub guest: u32,
    pub since: u64,
}

/// The oracle a run asks at every decision.
pub struct Scheduler {
    policy: Policy,
    rng: XorShiftRng,
    /// PCT: each guest's priority (higher runs first).
    priority: Vec<u64>,
    /// PCT: the decisions at which the running guest's priority drops.
    change_points: Vec<u64>,
    /// Decisions made so far.
    decisions: u64,
    /// Every pick, in order: the schedule.
    picks: Vec<u32>,
    /// Replay: a pick that did not fit (the decision and the guest named).
    misfit: Option<(u64, u32)>,
    /// Lenient replay (shrinking): follow the picks where they fit, else FIFO.
    lenient: bool,
}

/// PCT's estimate of a run's length in decisions, when nothing better is
/// known (`explore` passes the longest run it has seen).
pub const PCT_DEFAULT_STEPS: u64 = 2_000;

impl Scheduler {
    pub fn new(policy: Policy, guests: usize, pct_steps: u64) -> Scheduler {
        let seed = match &policy {
            Policy::Random { seed } | Policy::Pct { seed, .. } => *seed,
            _ => 0,
        };
        let mut rng = XorShiftRng::seed_from_u64(seed);
        let mut priority = Vec::new();
        let mut change_points = Vec::new();
        if let Policy::Pct { depth, .. } = &policy {
            // Distinct priorities depth..depth+n in a random order; the
            // change points take the values depth-1 .. 1 (below all).
            let d = u64::from(*depth).max(1);
            let mut p: Vec<u64> = (0..guests as u64).map(|i| d + i).collect();
            for i in (1..p.len()).rev() {
                let j = rng.random_range(0..=i);
                p.swap(i, j);
            }
            priority = p;
            for _ in 1..d {
                change_points.push(rng.random_range(1..=pct_steps.max(1)));
            }
        }
        Scheduler {
            policy,
            rng,
            priority,
            change_points,
            decisions: 0,
            picks: Vec::new(),
            misfit: None,
            lenient: false,
        }
    }

    /// A replay that follows `picks` where they fit and, where they do not
    /// or have run out, keeps the guest picked last if it can go on, else
    /// goes FIFO — adding no context switch it can avoid: how shrinking
    /// tries a shorter schedule.
    pub fn lenient(picks: Vec<u32>) -> Scheduler {
        let mut s = Scheduler::new(Policy::Replay { picks }, 0, 0);
        s.lenient = true;
        s
    }

    /// Picks one of `ready` (never empty); `None` when a strict replay's
    /// next pick is not runnable or the schedule has ended.
    pub fn pick(&mut self, ready: &[Runnable]) -> Option<u32> {
        let fifo = |r: &[Runnable]| r.iter().min_by_key(|r| (r.since, r.guest)).map(|r| r.guest);
        let at = self.decisions;
        self.decisions += 1;
        let chosen = match &self.policy {
            Policy::Fifo => fifo(ready),
            Policy::Random { .. } => Some(ready[self.rng.random_range(0..ready.len())].guest),
            Policy::Pct { .. } => {
                if let Some(i) = self.change_points.iter().position(|&c| c == at) {
                    // The guest that would run now drops below every other.
                    if let Some(top) = self.top(ready) {
                        let low = (self.change_points.len() - i) as u64;
                        self.priority[top as usize] = low;
                    }
                }
                self.top(ready)
            }
            Policy::Replay { picks } => match picks.get(at as usize) {
                Some(&g) if ready.iter().any(|r| r.guest == g) => Some(g),
                Some(&g) if !self.lenient => {
                    self.misfit = Some((at, g));
                    None
                }
                None if !self.lenient => {
                    self.misfit = Some((at, u32::MAX));
                    None
                }
                // Lenient: the guest picked last if it can go on (no new
                // context switch), else FIFO.
                _ => match self.picks.last() {
                    Some(&last) if ready.iter().any(|r| r.guest == last) => Some(last),
                    _ => fifo(ready),
                },
            },
        };
        if let Some(g) = chosen {
            self.picks.push(g);
        }
        chosen
    }

    fn top(&self, ready: &[Runnable]) -> Option<u32> {
        ready.iter().max_by_key(|r| self.priority.get(r.guest as usize).copied().unwrap_or(0)).map(|r| r.guest)
    }

    /// Why a strict replay stopped, in words.
    pub fn misfit(&self) -> Option<String> {
        self.misfit.map(|(at, g)| {
            if g == u32::MAX {
                format!("the schedule ends at decision {at} but the run goes on")
            } else {
                format!("decision {at} picks guest {g}, which cannot run there")
            }
        })
    }

    /// Every pick made so far.
    pub fn picks(&self) -> &[u32] {
        &self.picks
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

/// A schedule file (see the module documentation).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Always `"ipclab-schedule"`.
    pub format: String,
    pub version: u32,
    /// The manifest's file name, for the reader.
    pub manifest: String,
    /// FNV-1a of the manifest's text, hex: a schedule fits only its manifest.
    pub manifest_digest: String,
    /// The policy the picks came from (`random --seed 7`).
    pub policy: String,
    /// Run-length encoded picks: `"0*12 1*3 0"`.
    pub picks: String,
    /// Context switches in `picks` (runs of one guest, minus one).
    pub switches: usize,
}

pub const SCHEDULE_FORMAT: &str = "ipclab-schedule";
pub const SCHEDULE_VERSION: u32 = 1;

impl Schedule {
    pub fn new(manifest: &str, manifest_text: &str, policy: &str, picks: &[u32]) -> Schedule {
        Schedule {
            format: SCHEDULE_FORMAT.into(),
            version: SCHEDULE_VERSION,
            manifest: manifest.into(),
            manifest_digest: digest(manifest_text),
            policy: policy.into(),
            picks: encode(picks),
            switches: switches(picks),
        }
    }

    /// Parses a schedule file and checks it belongs to this manifest.
    pub fn parse(text: &str, manifest_text: &str, guests: usize) -> Result<Vec<u32>, String> {
        let s: Schedule = serde_json::from_str(text).map_err(|e| format!("not a schedule file: {e}"))?;
        if s.format != SCHEDULE_FORMAT || s.version != SCHEDULE_VERSION {
            return Err(format!(
                "format {:?} version {} is not {SCHEDULE_FORMAT:?} version {SCHEDULE_VERSION}",
                s.format, s.version
            ));
        }
        if s.manifest_digest != digest(manifest_text) {
            return Err(format!(
                "it was recorded for another manifest ({}, digest {}), not this one (digest {})",
                s.manifest,
                s.manifest_digest,
                digest(manifest_text)
            ));
        }
        let picks = decode(&s.picks)?;
        if let Some(g) = picks.iter().find(|&&g| g as usize >= guests) {
            return Err(format!("it picks guest {g}, but the manifest has {guests} guests"));
        }
        Ok(picks)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a schedule names its manifest by it.
pub fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `[0,0,0,1,2,2]` → `"0*3 1 2*2"`.
pub fn encode(picks: &[u32]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < picks.len() {
        let g = picks[i];
        let n = picks[i..].iter().take_while(|&&p| p == g).count();
        out.push(if n == 1 { g.to_string() } else { format!("{g}*{n}") });
        i += n;
    }
    out.join(" ")
}

/// The inverse of [`encode`]; an error names the bad item.
pub fn decode(text: &str) -> Result<Vec<u32>, String> {
    let mut picks = Vec::new();
    for item in text.split_whitespace() {
        let (g, n) = item.split_once('*').unwrap_or((item, "1"));
        let g: u32 = g.parse().map_err(|_| format!("bad pick {item:?} in the schedule"))?;
        let n: usize = n.parse().map_err(|_| format!("bad repeat count in {item:?}"))?;
        if n == 0 || picks.len() + n > 100_000_000 {
            return Err(format!("bad repeat count in {item:?}"));
        }
        picks.extend(std::iter::repeat_n(g, n));
    }
    Ok(picks)
}

/// Context switches: places where the pick changes.
pub fn switches(picks: &[u32]) -> usize {
    picks.windows(2).filter(|w| w[0] != w[1]).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_round_trip_through_the_encoding() {
        for picks in [vec![], vec![0], vec![0, 0, 0, 1, 2, 2], vec![3, 1, 3, 1]] {
            assert_eq!(decode(&encode(&picks)).unwrap(), picks);
        }
        assert_eq!(encode(&[0, 0, 0, 1, 2, 2]), "0*3 1 2*2");
        assert!(decode("0*x").is_err() && decode("a").is_err() && decode("1*0").is_err());
    }

    fn ready(gs: &[u32]) -> Vec<Runnable> {
        gs.iter().map(|&g| Runnable { guest: g, since: u64::from(g) }).collect()
    }

    #[test]
    fn a_seed_gives_the_same_picks_and_another_seed_others() {
        let run = |seed| {
            let mut s = Scheduler::new(Policy::Random { seed }, 4, 0);
            (0..64).map(|_| s.pick(&ready(&[0, 1, 2, 3])).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let mut p = Scheduler::new(Policy::Pct { seed: 3, depth: 3 }, 4, 50);
        let a: Vec<u32> = (0..50).map(|_| p.pick(&ready(&[0, 1, 2, 3])).unwrap()).collect();
        // PCT runs one guest until a change point: few switches.
        assert!(switches(&a) <= 2, "{a:?}");
    }

    #[test]
    fn a_strict_replay_refuses_a_pick_that_cannot_run() {
        let mut s = Scheduler::new(Policy::Replay { picks: vec![1, 0] }, 2, 0);
        assert_eq!(s.pick(&ready(&[0, 1])), Some(1));
        assert_eq!(s.pick(&ready(&[1])), None);
        assert!(s.misfit().unwrap().contains("decision 1 picks guest 0"));
        let mut l = Scheduler::lenient(vec![1, 0]);
        assert_eq!(l.pick(&ready(&[0, 1])), Some(1));
        assert_eq!(l.pick(&ready(&[1])), Some(1));
        assert_eq!(l.pick(&ready(&[0, 1])), Some(1), "past the picks: the last guest goes on");
        assert_eq!(l.pick(&ready(&[0, 2])), Some(0), "else FIFO");
    }

    #[test]
    fn a_schedule_belongs_to_its_manifest() {
        let s = Schedule::new("m.toml", "text", "fifo", &[0, 1, 1]);
        assert_eq!(Schedule::parse(&s.to_json(), "text", 2).unwrap(), [0, 1, 1]);
        assert!(Schedule::parse(&s.to_json(), "other", 2).unwrap_err().contains("another manifest"));
        assert!(Schedule::parse(&s.to_json(), "text", 1).unwrap_err().contains("picks guest 1"));
        assert!(Schedule::parse("{", "text", 2).unwrap_err().contains("not a schedule file"));
    }
}
