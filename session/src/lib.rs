//! # The session: a kernel run as a log of operations
//!
//! ## Overview
//! A kernel is deterministic, so a run *is* its log: the operations made
//! on a fresh kernel, in order, each with its arguments.  Replaying the log
//! gives back every state of the run, step by step.  This crate is that
//! log as a file — the **session** — in one place for everyone who writes
//! or reads one:
//! * the playground (its timeline, Export session, Import session, the
//!   link, the presets in `www/presets/`), which replays a session through
//!   the kernel component in the browser;
//! * `ipclab run --record FILE`, which writes the run of guest programs as
//!   a session (each guest a process with its name, each kernel call a
//!   step with its outcome), so the playground opens it;
//! * `ipclab ipcs FILE`, which replays a session on the kernel to print
//!   the state it ends in.
//!
//! A small crate of its own (not a module of `ipc-core`): a session is the
//! vocabulary of the *embedder* interface (`spawn`, `msgsnd` with a
//! timeout, `takeResult`), not kernel state, and it depends on nothing but
//! serde — the playground reads it without the kernel.
//!
//! ## Objects
//! * [`Entry`] — one operation: `[op, args, kind]`, or `[op, args, kind,
//!   at]` with the kernel time (ns) the operation was made at.  `op` is one
//!   of [`OPS`]; `args` are JSON scalars, or an array of byte values where
//!   an operation takes data ([`Op::bytes_at`]); `kind` is what the step
//!   did ([`Kind`]).
//! * [`Session`] — the file: `format` "ipclab-session", `version`, the
//!   `log`, the step shown (`step`), where the timeline starts (`base`),
//!   the steps a fork set aside (`branch`), the kernel's configuration
//!   (`config`), process names (`names`), the preset it came from, and —
//!   kept as they are — any other fields (a preset's title, story, goal).
//!
//! ## Versions
//! * **1** — the playground's until December 2026: no `config` (the
//!   playground's small limits), no names, no times, data as text.  Read
//!   as it is (it means exactly that).
//! * **2** — adds `config` ([`KernelConfig`]: `"playground"` or
//!   `"default"`, the kernel's `default-config`), `names` (pid → name),
//!   `at` on entries (a replayer first moves the clock up to it: the
//!   guests' simulated time between calls), data as bytes, and `origin`
//!   (what wrote it).  Written by every writer.
//! * Anything else is refused with a message naming the version.
//!
//! ## Checks, in order ([`Session::parse`])
//! 1. JSON, and at most [`MAX_BYTES`];
//! 2. `format` is "ipclab-session";
//! 3. `version` is 1 or 2;
//! 4. every entry of the log and of the branch: a known operation, at
//!    most its number of arguments, each a scalar or (where it takes data,
//!    from version 2) bytes, a known kind, a time only from version 2;
//! 5. `base` ≤ `step` ≤ the log's length; the branch's `at` within the log.
//!
//! ## Invariants
//! * `Session::parse(&s.to_json()) == Ok(s)` for every session `parse`
//!   accepts (tested on every preset and on a recorded run).
//! * Parsing never panics, whatever the input.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

pub mod call;
pub mod timeline;
pub use call::{Call, Data, Tunable};

/// The `format` of every session file.
pub const FORMAT: &str = "ipclab-session";
/// The version this crate writes.
pub const VERSION: u32 = 2;
/// The largest session file read (a log of about a million steps).
pub const MAX_BYTES: usize = 32 << 20;

/// One operation of the vocabulary: its name, how many arguments it takes
/// at most, and which of them may be bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    pub name: &'static str,
    pub arity: usize,
    /// The argument that carries data (text, or from version 2 bytes).
    pub bytes_at: Option<usize>,
}

const fn op(name: &'static str, arity: usize) -> Op {
    Op { name, arity, bytes_at: None }
}

const fn data(name: &'static str, arity: usize, at: usize) -> Op {
    Op { name, arity, bytes_at: Some(at) }
}

/// Every operation a session may hold, with its arguments as the
/// playground's bridge takes them (`playground/js/bridge.js`): first the
/// acting tid (pid for process calls); 64-bit values as decimal strings;
/// a timeout < 0 is none.
pub const OPS: &[Op] = &[
    op("spawn", 6), // uid, gid, groups ("1,2"), privileged, zone (0), project (1)
    op("fork", 1),  // pid
    op("threadCreate", 1),
    op("exit", 1),
    op("msgget", 3),         // tid, key, msgflg
    data("msgsnd", 6, 3),    // tid, msqid, mtype, data, msgflg, timeout ns
    op("msgrcv", 6),         // tid, msqid, msgsz, msgtyp, msgflg, timeout ns
    op("msgctlStat", 2),     // tid, msqid
    op("msgctlSet", 6),      // tid, msqid, uid, gid, mode, qbytes
    op("msgctlRmid", 2),     // tid, msqid
    op("semget", 4),         // tid, key, nsems, semflg
    op("semop", 4),          // tid, semid, sops ("[[num,op,flg],…]"), timeout ns
    op("semctlSetval", 4),   // tid, semid, semnum, val
    op("semctlGetall", 2),   // tid, semid
    op("semctlStat", 2),     // tid, semid
    op("semctlRmid", 2),     // tid, semid
    op("semOpen", 6),        // tid, name, creat, excl, mode, value
    op("semInit", 3),        // tid, value, pshared
    op("semClose", 2),       // tid, id
    op("semUnlink", 2),      // tid, name
    op("semDestroy", 2),     // tid, id
    op("semPost", 2),        // tid, id
    op("semWait", 2),        // tid, id
    op("semTrywait", 2),     // tid, id
    op("semTimedwait", 4),   // tid, id, sec, nsec (absolute)
    op("semGetvalue", 2),    // tid, id
    op("shmget", 4),         // tid, key, size, shmflg
    op("shmat", 4),          // tid, shmid, addr, shmflg
    op("shmdt", 2),          // tid, addr
    op("shmctlStat", 2),     // tid, shmid
    op("shmctlSet", 5),      // tid, shmid, uid, gid, mode
    op("shmctlRmid", 2),     // tid, shmid
    op("shmctlLock", 3),     // tid, shmid, lock
    op("shmRead", 3),        // tid, addr, len
    data("shmWrite", 3, 2),  // tid, addr, data
    op("setTunable", 3),     // tid, name, value
    op("pipe", 1),           // tid
    op("fdRead", 4),         // tid, fd, len, nonblock
    data("fdWrite", 4, 2),   // tid, fd, data, nonblock
    op("fdClose", 2),        // tid, fd
    op("portCreate", 1),     // tid
    op("portSend", 4),       // tid, port, events, user
    op("portSendn", 4),      // tid, ports ("[…]"), events, user
    op("portAlert", 5),      // tid, port, flags, events, user
    op("portAssociate", 6),  // tid, port, source, object, events, user
    op("portDissociate", 4), // tid, port, source, object
    op("portGetn", 5),       // tid, port, max, nget, timeout ns (relative)
    op("portGet", 3),        // tid, port, timeout ns (relative)
    op("takeResult", 1),     // tid
    op("interrupt", 1),      // tid
    op("advance", 1),        // ns
    op("restore", 1),        // a kernel snapshot
];

/// The operation of this name.
pub fn op_named(name: &str) -> Option<&'static Op> {
    OPS.iter().find(|o| o.name == name)
}

/// What a step did, as the timeline marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// It returned.
    Call,
    /// The kernel parked the caller.
    Park,
    /// It woke a parked thread.
    Wake,
    /// The kernel refused it.
    Error,
    /// It removed an object or ended a process.
    Removal,
}

impl Kind {
    /// What a step did, from what its answer says: refused (an errno, or
    /// a completion that failed), parked, taking something away (a call
    /// that [`Call::removes`] and succeeded), waking a parked thread, or
    /// none of these.  The first that holds.
    pub fn of(refused: bool, parked: bool, removes: bool, woke: bool) -> Kind {
        if refused {
            Kind::Error
        } else if parked {
            Kind::Park
        } else if removes {
            Kind::Removal
        } else if woke {
            Kind::Wake
        } else {
            Kind::Call
        }
    }
}

/// One operation of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub op: &'static str,
    pub args: Vec<Value>,
    pub kind: Option<Kind>,
    /// The kernel time (ns) it was made at: a replayer moves the clock up
    /// to it first (version 2).
    pub at: Option<u64>,
}

impl Entry {
    /// An entry of operation `op`; `None` if `op` is not one of [`OPS`]
    /// (never another operation in its place).
    pub fn new(op: &str, args: Vec<Value>, kind: Kind) -> Option<Entry> {
        Some(Entry { op: op_named(op)?.name, args, kind: Some(kind), at: None })
    }

    /// The entry made at kernel time `at`.
    pub fn at(mut self, at: u64) -> Entry {
        self.at = Some(at);
        self
    }

    /// Data as an argument: text when it is UTF-8 (readable in the file
    /// and in the playground's labels), else the bytes.
    pub fn data_arg(bytes: &[u8]) -> Value {
        match std::str::from_utf8(bytes) {
            Ok(s) => Value::String(s.to_string()),
            Err(_) => Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
        }
    }

    fn check(&self, version: u32, i: usize) -> Result<(), String> {
        let op = op_named(self.op).ok_or_else(|| format!("step {} is not an operation", i + 1))?;
        if self.args.len() > op.arity {
            return Err(format!(
                "step {} ({}) has {} arguments; it takes {}",
                i + 1,
                op.name,
                self.args.len(),
                op.arity
            ));
        }
        for (j, a) in self.args.iter().enumerate() {
            let ok = match a {
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
                Value::Array(b) => {
                    version >= 2 && op.bytes_at == Some(j) && b.iter().all(|x| x.as_u64().is_some_and(|x| x <= 255))
                }
                Value::Object(_) => false,
            };
            if !ok {
                return Err(format!(
                    "step {} ({}): argument {} is not a value this operation takes",
                    i + 1,
                    op.name,
                    j + 1
                ));
            }
        }
        if self.at.is_some() && version < 2 {
            return Err(format!("step {} carries a time, which version {version} has not", i + 1));
        }
        Ok(())
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let n = 2 + usize::from(self.kind.is_some() || self.at.is_some()) + usize::from(self.at.is_some());
        let mut seq = s.serialize_seq(Some(n))?;
        seq.serialize_element(self.op)?;
        seq.serialize_element(&self.args)?;
        if self.kind.is_some() || self.at.is_some() {
            seq.serialize_element(&self.kind)?;
        }
        if let Some(at) = self.at {
            seq.serialize_element(&at)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        let v: Vec<Value> = Vec::deserialize(d)?;
        if v.len() < 2 || v.len() > 4 {
            return Err(D::Error::custom("an entry is [op, args, kind] or [op, args, kind, at]"));
        }
        let name = v[0].as_str().ok_or_else(|| D::Error::custom("an entry's operation is not a name"))?;
        let op = op_named(name).ok_or_else(|| {
            D::Error::custom(format!("{name:?} is not an operation this build knows: a file from another build?"))
        })?;
        let args = match &v[1] {
            Value::Array(a) => a.clone(),
            _ => return Err(D::Error::custom(format!("the arguments of {name} are not a list"))),
        };
        let kind = match v.get(2) {
            None | Some(Value::Null) => None,
            Some(k) => Some(Kind::deserialize(k).map_err(|_| D::Error::custom(format!("{k} is not a step kind")))?),
        };
        let at = match v.get(3) {
            None | Some(Value::Null) => None,
            Some(t) => Some(t.as_u64().ok_or_else(|| D::Error::custom("an entry's time is not a number of ns"))?),
        };
        Ok(Entry { op: op.name, args, kind, at })
    }
}

/// The steps a fork set aside: from step `at`, these operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    pub at: u64,
    pub log: Vec<Entry>,
}

/// The configuration the kernel of a session is created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KernelConfig {
    /// The playground's small limits (7 sequence bits, 4 ids at least, an
    /// event log of 400, queues of 256 bytes and 8 messages): table growth
    /// and full queues show up within a few steps.  Every version-1 file.
    #[default]
    Playground,
    /// The kernel's `default-config` (what `ipclab run` runs guests on).
    Default,
}

impl KernelConfig {
    /// The playground's limits, as (seq bits, ids min, event capacity,
    /// msg max message bytes, msg max queue bytes, msg max queue messages):
    /// the one place they are written (the playground's bridge is given
    /// them; the host builds its kernel from them).
    pub const PLAYGROUND: PlaygroundLimits = PlaygroundLimits {
        seq_bits: 7,
        ids_min: 4,
        event_capacity: 400,
        max_message_bytes: 256,
        max_queue_bytes: 256,
        max_queue_messages: 8,
    };
}

/// The limits [`KernelConfig::Playground`] changes from the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlaygroundLimits {
    pub seq_bits: u32,
    pub ids_min: u32,
    pub event_capacity: u32,
    pub max_message_bytes: u64,
    pub max_queue_bytes: u64,
    pub max_queue_messages: u64,
}

/// A session file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub format: String,
    pub version: u32,
    /// Start-up operations the timeline does not go back before.
    #[serde(default)]
    pub base: u64,
    /// The step shown (the whole log if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    pub log: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<Branch>,
    #[serde(default)]
    pub config: KernelConfig,
    /// Process names by pid (a recorded run's guests).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<u32, String>,
    /// What wrote it ("playground", "ipclab run").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The kernel's snapshot at the step shown (an exported session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Everything else, kept as it is (a preset's title, story, goal…).
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

impl Session {
    /// An empty session of this version's format.
    pub fn new(config: KernelConfig, origin: &str) -> Session {
        Session {
            format: FORMAT.to_string(),
            version: VERSION,
            base: 0,
            step: None,
            log: Vec::new(),
            branch: None,
            config,
            names: BTreeMap::new(),
            origin: Some(origin.to_string()),
            snapshot: None,
            rest: serde_json::Map::new(),
        }
    }

    /// Reads and checks a session file (see the module documentation).
    pub fn parse(text: &str) -> Result<Session, String> {
        if text.len() > MAX_BYTES {
            return Err(format!("the file has {} bytes; a session file has at most {MAX_BYTES}", text.len()));
        }
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        Session::from_value(v)
    }

    /// [`Session::parse`] of parsed JSON.
    pub fn from_value(v: Value) -> Result<Session, String> {
        let format = v.get("format").and_then(Value::as_str);
        if format != Some(FORMAT) {
            return Err(match format {
                Some(f) => format!("this is an {f:?} file, not an ipclab session"),
                None => "this is not an ipclab session (no \"format\": \"ipclab-session\")".to_string(),
            });
        }
        let version = v.get("version").and_then(Value::as_u64).unwrap_or(0);
        if version != 1 && version != 2 {
            return Err(format!("session version {version}; this build reads versions 1 and 2"));
        }
        // Each entry named by its step, as the timeline counts them.
        for (i, e) in v.get("log").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let op = e.get(0).and_then(Value::as_str);
            if op.and_then(op_named).is_none() || !e.get(1).is_some_and(Value::is_array) {
                let name = e.get(0).map_or("nothing".to_string(), Value::to_string);
                return Err(format!(
                    "step {} is not an operation this build knows ({name}): a file from another build?",
                    i + 1
                ));
            }
        }
        let s: Session = serde_json::from_value(v).map_err(|e| format!("not a session of version {version}: {e}"))?;
        s.check()?;
        Ok(s)
    }

    /// The checks beyond the shape (see the module documentation).
    pub fn check(&self) -> Result<(), String> {
        for (i, e) in self.log.iter().enumerate() {
            e.check(self.version, i)?;
        }
        if let Some(b) = &self.branch {
            for (i, e) in b.log.iter().enumerate() {
                e.check(self.version, i).map_err(|m| format!("the branch's {m}"))?;
            }
            if b.at > self.log.len() as u64 {
                return Err(format!("the branch starts at step {} of a log of {}", b.at, self.log.len()));
            }
        }
        if self.version < 2 && (self.config != KernelConfig::Playground || !self.names.is_empty()) {
            return Err("a version-1 session has no config nor names".to_string());
        }
        let n = self.log.len() as u64;
        if self.base > n || self.step.is_some_and(|s| s < self.base || s > n) {
            let step = self.step.map_or("absent".to_string(), |s| s.to_string());
            return Err(format!("steps out of the log: base {}, step {step}, a log of {n} operation(s)", self.base));
        }
        Ok(())
    }

    /// The session as its file (always valid JSON).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The session as its file, one entry per line (what `--record` writes:
    /// readable and diffable).
    pub fn to_json_lines(&self) -> String {
        let mut head = self.clone();
        head.log = Vec::new();
        let mut text = serde_json::to_string_pretty(&head).unwrap_or_default();
        let entries: Vec<String> = self.log.iter().map(|e| serde_json::to_string(e).unwrap_or_default()).collect();
        let log =
            if entries.is_empty() { "[]".to_string() } else { format!("[\n    {}\n  ]", entries.join(",\n    ")) };
        text = text.replacen("\"log\": []", &format!("\"log\": {log}"), 1);
        text.push('\n');
        text
    }

    /// The name of process `pid`, if the session gives one.
    pub fn name_of(&self, pid: u32) -> Option<&str> {
        self.names.get(&pid).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presets() -> Vec<(String, String)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/presets");
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .expect("www/presets")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("index.json"))
            .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn every_preset_is_a_version_2_session_with_its_processes_named_and_round_trips() {
        let list = presets();
        assert!(list.len() >= 10, "{}", list.len());
        for (path, text) in list {
            let s = Session::parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(s.version, 2, "{path}");
            assert_eq!(s.config, KernelConfig::Playground);
            let spawns = s.log.iter().filter(|e| e.op == "spawn").count();
            assert!(s.names.len() >= spawns, "{path}: every spawned process has a name");
            assert!(s.rest.contains_key("title"), "{path}: the preset's words are kept");
            let again = Session::parse(&s.to_json()).unwrap();
            assert_eq!(again, s, "{path}");
        }
    }

    /// A version-1 file (what the playground wrote before December 2026)
    /// reads as it is: the playground's limits, no names, no times.
    #[test]
    fn a_version_1_file_reads_as_it_is() {
        let text = include_str!("../tests/fixtures/v1-stale-id.json");
        let s = Session::parse(text).unwrap();
        assert_eq!((s.version, s.config), (1, KernelConfig::Playground));
        assert!(s.names.is_empty() && s.log.iter().all(|e| e.at.is_none()));
        assert_eq!(Session::parse(&s.to_json()).unwrap(), s, "it round-trips as version 1");
    }

    #[test]
    fn a_version_2_session_round_trips_with_names_times_and_bytes() {
        assert!(Entry::new("fly", Vec::new(), Kind::Call).is_none(), "no other operation stands in for an unknown one");
        let mut s = Session::new(KernelConfig::Default, "ipclab run");
        s.names.insert(1, "ping".into());
        s.log
            .push(Entry::new("spawn", vec![100.into(), 10.into(), "".into(), false.into()], Kind::Call).unwrap().at(0));
        s.log.push(
            Entry::new(
                "msgsnd",
                vec![1.into(), 0.into(), "1".into(), Entry::data_arg(&[0xff, 0]), 0.into(), (-1).into()],
                Kind::Park,
            )
            .unwrap()
            .at(1500),
        );
        for text in [s.to_json(), s.to_json_lines()] {
            let back = Session::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back, s);
            assert_eq!(
                Call::from_entry(&back.log[1]).map(|c| match c {
                    Call::Msgsnd { data, .. } => data.0,
                    _ => Vec::new(),
                }),
                Some(vec![0xff, 0])
            );
            assert_eq!(back.name_of(1), Some("ping"));
        }
    }

    #[test]
    fn what_is_not_a_session_is_refused_with_its_reason() {
        let cases = [
            ("[1,2]", "not an ipclab session"),
            ("{\"format\":\"ipclab-presets\"}", "\"ipclab-presets\" file"),
            ("{\"format\":\"ipclab-session\",\"version\":3,\"log\":[]}", "version 3"),
            (
                "{\"format\":\"ipclab-session\",\"version\":1,\"log\":[[\"fly\",[],\"call\"]]}",
                "step 1 is not an operation this build knows (\"fly\")",
            ),
            ("{\"format\":\"ipclab-session\",\"version\":1,\"log\":[[\"exit\",[1,2],\"call\"]]}", "takes 1"),
            (
                "{\"format\":\"ipclab-session\",\"version\":1,\"log\":[[\"msgsnd\",[1,0,\"1\",[1,2],0,-1],\"call\"]]}",
                "argument 4",
            ),
            ("{\"format\":\"ipclab-session\",\"version\":1,\"log\":[[\"exit\",[1],\"call\",5]]}", "carries a time"),
            ("{\"format\":\"ipclab-session\",\"version\":1,\"log\":[[\"exit\",[1],\"odd\"]]}", "not a step kind"),
            ("{\"format\":\"ipclab-session\",\"version\":2,\"log\":[],\"step\":4}", "out of the log"),
            (
                "{\"format\":\"ipclab-session\",\"version\":2,\"log\":[],\"config\":\"huge\"}",
                "not a session of version 2",
            ),
            ("{\"format\":\"ipclab-session\",\"version\":1,\"log\":[],\"names\":{\"1\":\"a\"}}", "no config nor names"),
            ("not json", "not JSON"),
        ];
        for (text, why) in cases {
            let e = Session::parse(text).expect_err(text);
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
