// The bridge between the Yew playground and the ipc-component.
//
// The component is the kernel: this file only owns the kernel resource and
// the process / thread handles, forwards each call, and turns what jco
// returns into plain JSON for Rust (BigInt -> Number, typed arrays -> arrays,
// thrown ComponentError -> {ok:false, errno}).  It holds no kernel logic.
// Interfaces used: system, msg, sem, shm (System V), psem (POSIX
// semaphores), fd (pipes) and port (event ports), inspect.  64-bit
// arguments (sizes, addresses, port user values) come from Rust as decimal
// strings and cross into jco as BigInt.
//
// wasm-bindgen copies this file to pkg/snippets/<crate>/js/bridge.js, so the
// component is loaded by a URL resolved against the page, not this file.

let system = null;
let msg = null;
let sem = null;
let psem = null;
let shm = null;
let fd = null;
let port = null;
let inspect = null;
let kernel = null;
/** pid -> process handle */
const processes = new Map();
/** tid -> thread handle */
const threads = new Map();

// The timeline.  A session is the operation log (every action, with its
// name and arguments) and the states it produces.  The kernel is
// deterministic, so the state after step n is the nearest checkpoint at or
// before n with the log re-run from there.  A checkpoint (`kernel.
// checkpoint`: a copy of the state kept inside the component, rewound to
// without parsing or checking a snapshot) is taken every CHECKPOINT_EVERY
// steps, and the set is thinned so that it never holds more than
// MAX_CHECKPOINTS of them nor more than CHECKPOINT_BYTES of state (by the
// length of their snapshots): history memory grows with the log (a few
// bytes per operation), not with steps × state size.  Thinning
// drops the checkpoint whose loss leaves the smallest gap for its age, so
// checkpoints stay dense near the newest step (Step back stays cheap) and
// spread out towards the oldest (a jump there re-runs more operations).

/** Every action taken, oldest first: {op, args, kind} (kind: call, park, wake, error, removal). */
const oplog = [];
/** step -> {cp, bytes}: the kernel's checkpoint after that many operations (step 0, and multiples of CHECKPOINT_EVERY thinned), and its size. */
const checkpoints = new Map();
const CHECKPOINT_EVERY = 16;
/** At most this many checkpoints (step 0 included)... */
const MAX_CHECKPOINTS = 48;
/** ...holding at most this much state together (but never fewer than MIN_CHECKPOINTS). */
const CHECKPOINT_BYTES = 48 * 1024 * 1024;
const MIN_CHECKPOINTS = 4;
/** The state the checkpoints hold together (the length of their snapshots). */
let checkpointBytes = 0;
/** How jco names a resource handle's destructor. */
const DISPOSE = Symbol.dispose || Symbol.for('dispose');
/** The step shown: the state after the first `position` operations. */
let position = 0;
/** The first step the timeline goes back to (the start-up spawns come before it). */
let base = 0;
/** The step the last action forked the timeline at, or null. */
let forkedAt = null;
/**
 * The steps a fork set aside, kept until the learner discards them (or a
 * later fork sets aside others): {at, log} — the step it branched from and
 * its operations after it, as log entries — or null.
 */
let branch = null;
/** True while the log is re-run to reach a step: those operations are not logged again. */
let replaying = false;
/** True while a whole session (a link's, a file's, the saved one) is replayed into the log. */
let restoring = false;
/** Bumped whenever the operation log changes (an action, a fresh kernel): keys the cached "before" view. */
let logEpoch = 0;
/** The namespace as it was before the shown step, when that step rotated the AVL tree (see beforeRotation). */
let beforeCache = { key: null, value: null };
/** Trees larger than this are drawn as an overview (ipc-core's scene TREE_WHOLE_MAX): no before/after. */
const BEFORE_MAX_KEYS = 255;
/** The preset the session was loaded from (its file name under presets/, without .json), or null. */
let presetName = null;
/** The session format (URL hash and exported file). */
const SESSION_FORMAT = 'ipclab-session';
const SESSION_VERSION = 1;

/** The kernel's limits: small, so that table growth and full queues show up quickly. */
function playgroundConfig() {
  const config = system.defaultConfig();
  config.seqBits = 7;
  config.idsMin = 4;
  config.eventCapacity = 400;
  config.msg.maxMessageBytes = 256n;
  config.msg.maxQueueBytes = 256n;
  config.msg.maxQueueMessages = 8n;
  return config;
}

/** Deep copy into JSON-able data. */
function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (v === undefined || v === null) return null;
  if (ArrayBuffer.isView(v)) return Array.from(v, plain);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const out = {};
    for (const [k, val] of Object.entries(v)) out[k] = plain(val);
    return out;
  }
  return v;
}

const text = (bytes) => new TextDecoder().decode(bytes);

/** A bridge-level error (not the kernel's errno) as a JSON answer. */
const bridgeError = (e) => JSON.stringify({ ok: false, errno: 'bridge', message: String(e && e.message ? e.message : e) });

/** A thrown error as a JSON answer: the component's errno (its payload), or a bridge-level error. */
const failure = (e) => (e && e.payload !== undefined ? JSON.stringify({ ok: false, errno: String(e.payload) }) : bridgeError(e));

/** Runs `f`; success, failure with an errno, or a bridge-level error, as a JSON string. */
function call(f) {
  try {
    return JSON.stringify({ ok: true, ...f() });
  } catch (e) {
    return failure(e);
  }
}

const REMOVALS = new Set(['exit', 'msgctlRmid', 'semctlRmid', 'shmctlRmid', 'semUnlink', 'semDestroy']);
/** Past any event's seq: `kernel.events(END)` returns no event, only the next cursor. */
const END = 2n ** 63n;

/**
 * What kind of step an operation was, from its answer and the event it
 * recorded: error (failed), park (blocked), removal (an object or process
 * taken away), wake (its event woke a thread) or call.
 */
function stepKind(op, answer, cursor) {
  const r = JSON.parse(answer);
  if (!r.ok) return 'error';
  if (r.blocked !== undefined) return 'park';
  const [events] = kernel.events(cursor);
  const last = events[events.length - 1];
  if (last && last.outcome && last.outcome.tag === 'failed') return 'error';
  if (REMOVALS.has(op)) return 'removal';
  if (last && last.woke && last.woke.length > 0) return 'wake';
  return 'call';
}

/**
 * Like `call`, but the operation enters the log (unless the log is being
 * re-run).  Taken while an earlier step is shown, it forks the timeline:
 * the steps after the shown one are set aside as the branch (switchBranch
 * brings them back) first.
 */
function action(op, args, f) {
  if (replaying) {
    // Re-running the log to reach a step: nobody reads the answer, so it is
    // not put into JSON (a failure is part of the log, not an error here).
    try {
      f();
    } catch (_) {
      // The logged step failed the first time too.
    }
    return '';
  }
  if (!kernel) return call(f);
  forkedAt = null;
  if (position < oplog.length) {
    forkedAt = position;
    branch = { at: position, log: oplog.slice(position) };
    cutLog(position);
  }
  const [, cursor] = kernel.events(END);
  const answer = call(f);
  logEpoch += 1;
  oplog.push({ op, args: Array.from(args), kind: stepKind(op, answer, cursor) });
  position = oplog.length;
  if (position % CHECKPOINT_EVERY === 0) addCheckpoint(position);
  if (!restoring) moved();
  return answer;
}

/** Ends the log after `at` operations (the step shown must be at or before it), with its checkpoints. */
function cutLog(at) {
  oplog.length = at;
  for (const step of [...checkpoints.keys()]) if (step > at) dropCheckpoint(step);
}

/**
 * Swaps the timeline's steps after the branch's step with the branch: the
 * steps set aside by the fork come back (re-run from the nearest
 * checkpoint; their kinds as they were recorded), and the steps they
 * replace become the branch.  Shows the last step of what came back.
 */
export function switchBranch() {
  return call(() => {
    if (!branch) throw new Error('there is no branch to switch to');
    const { at, log } = branch;
    goTo(Math.min(position, at));
    const tail = oplog.slice(at);
    cutLog(at);
    oplog.push(...log);
    branch = tail.length > 0 ? { at, log: tail } : null;
    forkedAt = null;
    logEpoch += 1;
    goTo(oplog.length);
    moved();
    return { value: position };
  });
}

/** Forgets the branch a fork set aside. */
export function discardBranch() {
  return call(() => {
    branch = null;
    moved();
    return { value: null };
  });
}

/** Keeps the kernel's state as the state after `step` operations, then thins the set back within its bounds. */
function addCheckpoint(step) {
  dropCheckpoint(step);
  const cp = kernel.checkpoint();
  const bytes = Number(cp.size());
  checkpoints.set(step, { cp, bytes });
  checkpointBytes += bytes;
  thinCheckpoints();
}

/** Forgets the checkpoint of `step`, if there is one (the component frees its copy). */
function dropCheckpoint(step) {
  const c = checkpoints.get(step);
  if (c === undefined) return;
  checkpointBytes -= c.bytes;
  checkpoints.delete(step);
  c.cp[DISPOSE]();
}

/**
 * While there are more than MAX_CHECKPOINTS checkpoints, or they hold more
 * than CHECKPOINT_BYTES of state, drops one: never the oldest (the fresh
 * kernel) nor the newest; of the others, the one whose gap (from the
 * checkpoint before it to the one after) is smallest for its age (its
 * distance from the newest), so old history thins first.
 */
function thinCheckpoints() {
  const over = () =>
    checkpoints.size > MAX_CHECKPOINTS || (checkpointBytes > CHECKPOINT_BYTES && checkpoints.size > MIN_CHECKPOINTS);
  while (over()) {
    const steps = [...checkpoints.keys()].sort((a, b) => a - b);
    if (steps.length < 3) return;
    const newest = steps[steps.length - 1];
    let victim = -1;
    let best = Infinity;
    for (let i = 1; i + 1 < steps.length; i++) {
      const cost = (steps[i + 1] - steps[i - 1]) / (newest - steps[i] + CHECKPOINT_EVERY);
      if (cost < best) [best, victim] = [cost, steps[i]];
    }
    dropCheckpoint(victim);
  }
}

/** The newest checkpoint at or before `step` (step 0's always exists). */
function checkpointAtOrBefore(step) {
  let k = 0;
  for (const s of checkpoints.keys()) if (s <= step && s > k) k = s;
  return k;
}

function thread(tid) {
  const t = threads.get(tid);
  if (!t) throw new Error(`no handle for thread ${tid}`);
  return t;
}

function process(pid) {
  const p = processes.get(pid);
  if (!p) throw new Error(`no handle for process ${pid}`);
  return p;
}

function adopt(proc) {
  const pid = proc.pid();
  processes.set(pid, proc);
  const main = proc.mainThread();
  threads.set(main.tid(), main);
  return { pid, tid: main.tid() };
}

const timeout = (ns) => (ns === undefined || ns === null || ns < 0 ? undefined : BigInt(ns));

/** A received message as JSON: type, size, text and bytes. */
function received(r) {
  return { mtype: Number(r.mtype), size: r.data.length, text: text(r.data), bytes: Array.from(r.data) };
}

/** A reply variant as JSON; messages also get their text decoded. */
function reply(r) {
  if (r && r.tag === 'message') return { tag: 'message', val: received(r.val) };
  return plain(r);
}

/**
 * Loads the component and creates the kernel.  Resolves to a JSON string:
 * {ok:true} or {ok:false, message}.
 */
export async function bridgeInit() {
  try {
    const url = new URL('component/ipc_component.js', document.baseURI);
    const mod = await import(url.href);
    system = mod.system;
    msg = mod.msg;
    sem = mod.sem;
    psem = mod.psem;
    shm = mod.shm;
    fd = mod.fd;
    port = mod.port;
    inspect = mod.inspect;
    reset();
    const found = location.hash.startsWith('#session=') ? await sessionFromUrl() : sessionFromStorage();
    return JSON.stringify({ ok: true, value: found });
  } catch (e) {
    const message = e && e.payload !== undefined ? `kernel creation failed: ${e.payload}` : String(e && e.stack ? e.stack : e);
    return JSON.stringify({ ok: false, errno: 'bridge', message });
  }
}

/** Spawns a process with one thread; groups is a comma-separated list. */
export function spawn(uid, gid, groups, privileged) {
  return action('spawn', [uid, gid, groups, privileged], () => {
    const list = String(groups)
      .split(/[\s,]+/)
      .filter((s) => s !== '')
      .map((s) => Number(s));
    if (list.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffffffff)) throw new Error('groups must be numbers');
    const cred = { ruid: uid, euid: uid, rgid: gid, egid: gid, groups: Uint32Array.from(list), privileged };
    return { value: adopt(kernel.spawn(cred, 0, 1)) };
  });
}

export function fork(pid) {
  return action('fork', [pid], () => ({ value: adopt(process(pid).fork()) }));
}

export function threadCreate(pid) {
  return action('threadCreate', [pid], () => {
    const t = process(pid).threadCreate();
    threads.set(t.tid(), t);
    return { value: { pid, tid: t.tid() } };
  });
}

export function exit(pid) {
  return action('exit', [pid], () => {
    process(pid).exit();
    return { value: null };
  });
}

export function msgget(tid, key, flags) {
  return action('msgget', [tid, key, flags], () => ({ value: msg.msgget(thread(tid), key | 0, flags | 0) }));
}

/** timeoutNs < 0 means none; mtype is passed as a decimal string (s64). */
export function msgsnd(tid, msqid, mtype, data, flags, timeoutNs) {
  return action('msgsnd', [tid, msqid, mtype, data, flags, timeoutNs], () => {
    const bytes = new TextEncoder().encode(data);
    const out = msg.msgsnd(thread(tid), msqid | 0, BigInt(mtype), bytes, flags | 0, timeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
  });
}

export function msgrcv(tid, msqid, msgsz, msgtyp, flags, timeoutNs) {
  return action('msgrcv', [tid, msqid, msgsz, msgtyp, flags, timeoutNs], () => {
    const out = msg.msgrcv(thread(tid), msqid | 0, BigInt(msgsz), BigInt(msgtyp), flags | 0, timeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: received(out.val) };
  });
}

export function msgctlStat(tid, msqid) {
  return action('msgctlStat', [tid, msqid], () => ({ value: plain(msg.msgctlStat(thread(tid), msqid | 0)) }));
}

export function msgctlSet(tid, msqid, uid, gid, mode, qbytes) {
  return action('msgctlSet', [tid, msqid, uid, gid, mode, qbytes], () => {
    msg.msgctlSet(thread(tid), msqid | 0, { uid, gid, mode, qbytes: BigInt(qbytes) });
    return { value: null };
  });
}

export function msgctlRmid(tid, msqid) {
  return action('msgctlRmid', [tid, msqid], () => {
    msg.msgctlRmid(thread(tid), msqid | 0);
    return { value: null };
  });
}

export function semget(tid, key, nsems, flags) {
  return action('semget', [tid, key, nsems, flags], () => ({ value: sem.semget(thread(tid), key | 0, nsems | 0, flags | 0) }));
}

/** sops: a JSON array of [sem_num, sem_op, sem_flg]; timeoutNs < 0 means none (semop), else semtimedop. */
export function semop(tid, semid, sops, timeoutNs) {
  return action('semop', [tid, semid, sops, timeoutNs], () => {
    const list = JSON.parse(sops).map(([semNum, semOp, semFlg]) => ({ semNum, semOp, semFlg }));
    const out = sem.semop(thread(tid), semid | 0, list, timeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
  });
}

export function semctlSetval(tid, semid, semnum, val) {
  return action('semctlSetval', [tid, semid, semnum, val], () => {
    sem.semctlSetval(thread(tid), semid | 0, semnum >>> 0, val | 0);
    return { value: null };
  });
}

export function semctlGetall(tid, semid) {
  return action('semctlGetall', [tid, semid], () => ({ value: Array.from(sem.semctlGetall(thread(tid), semid | 0)) }));
}

export function semctlStat(tid, semid) {
  return action('semctlStat', [tid, semid], () => ({ value: plain(sem.semctlStat(thread(tid), semid | 0)) }));
}

export function semctlRmid(tid, semid) {
  return action('semctlRmid', [tid, semid], () => {
    sem.semctlRmid(thread(tid), semid | 0);
    return { value: null };
  });
}

/** A psem wait-outcome ({tag:'acquired'} or {tag:'blocked', val}) as the bridge's answer. */
function waited(out) {
  return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
}

/** sem_open: oflag is WIT flags, lifted by jco as {creat, excl}. */
export function semOpen(tid, name, creat, excl, mode, value) {
  return action('semOpen', [tid, name, creat, excl, mode, value], () => ({
    value: psem.semOpen(thread(tid), String(name), { creat: !!creat, excl: !!excl }, mode >>> 0, value >>> 0),
  }));
}

export function semInit(tid, value, pshared) {
  return action('semInit', [tid, value, pshared], () => ({ value: psem.semInit(thread(tid), value >>> 0, !!pshared) }));
}

export function semClose(tid, id) {
  return action('semClose', [tid, id], () => {
    psem.semClose(thread(tid), id >>> 0);
    return { value: null };
  });
}

export function semUnlink(tid, name) {
  return action('semUnlink', [tid, name], () => {
    psem.semUnlink(thread(tid), String(name));
    return { value: null };
  });
}

export function semDestroy(tid, id) {
  return action('semDestroy', [tid, id], () => {
    psem.semDestroy(thread(tid), id >>> 0);
    return { value: null };
  });
}

export function semPost(tid, id) {
  return action('semPost', [tid, id], () => {
    psem.semPost(thread(tid), id >>> 0);
    return { value: null };
  });
}

export function semWait(tid, id) {
  return action('semWait', [tid, id], () => waited(psem.semWait(thread(tid), id >>> 0)));
}

export function semTrywait(tid, id) {
  return action('semTrywait', [tid, id], () => {
    psem.semTrywait(thread(tid), id >>> 0);
    return { value: null };
  });
}

/** abstime on the logical clock; sec and nsec are decimal strings (s64). */
export function semTimedwait(tid, id, sec, nsec) {
  return action('semTimedwait', [tid, id, sec, nsec], () => waited(psem.semTimedwait(thread(tid), id >>> 0, { sec: BigInt(sec), nsec: BigInt(nsec) })));
}

export function semGetvalue(tid, id) {
  return action('semGetvalue', [tid, id], () => ({ value: psem.semGetvalue(thread(tid), id >>> 0) }));
}

/** shmget: size is a decimal string (u64). */
export function shmget(tid, key, size, flags) {
  return action('shmget', [tid, key, size, flags], () => ({ value: shm.shmget(thread(tid), key | 0, BigInt(size), flags | 0) }));
}

/** shmat: addr is a decimal string (u64; 0 lets the kernel choose); the value is the address attached. */
export function shmat(tid, shmid, addr, flags) {
  return action('shmat', [tid, shmid, addr, flags], () => ({ value: Number(shm.shmat(thread(tid), shmid | 0, BigInt(addr), flags | 0)) }));
}

export function shmdt(tid, addr) {
  return action('shmdt', [tid, addr], () => {
    shm.shmdt(thread(tid), BigInt(addr));
    return { value: null };
  });
}

export function shmctlStat(tid, shmid) {
  return action('shmctlStat', [tid, shmid], () => ({ value: plain(shm.shmctlStat(thread(tid), shmid | 0)) }));
}

export function shmctlSet(tid, shmid, uid, gid, mode) {
  return action('shmctlSet', [tid, shmid, uid, gid, mode], () => {
    shm.shmctlSet(thread(tid), shmid | 0, { uid: uid >>> 0, gid: gid >>> 0, mode: mode >>> 0 });
    return { value: null };
  });
}

export function shmctlRmid(tid, shmid) {
  return action('shmctlRmid', [tid, shmid], () => {
    shm.shmctlRmid(thread(tid), shmid | 0);
    return { value: null };
  });
}

/** SHM_LOCK (lock true) or SHM_UNLOCK (lock false). */
export function shmctlLock(tid, shmid, lock) {
  return action('shmctlLock', [tid, shmid, lock], () => {
    shm.shmctlLock(thread(tid), shmid | 0, !!lock);
    return { value: null };
  });
}

/** A load of len bytes at addr (decimal strings): the bytes, as an array of numbers. */
export function shmRead(tid, addr, len) {
  return action('shmRead', [tid, addr, len], () => ({ value: Array.from(shm.read(thread(tid), BigInt(addr), BigInt(len))) }));
}

/** A store of the text's UTF-8 bytes at addr (a decimal string). */
export function shmWrite(tid, addr, data) {
  return action('shmWrite', [tid, addr, data], () => {
    shm.write(thread(tid), BigInt(addr), new TextEncoder().encode(data));
    return { value: null };
  });
}

/** A tunable: name is shmmax, shmmaxpgs (u64) or shmmni, shmseg (u32); value a decimal string. */
export function setTunable(tid, name, value) {
  return action('setTunable', [tid, name, value], () => {
    const wide = name === 'shmmax' || name === 'shmmaxpgs';
    const val = wide ? BigInt(value) : Number(value);
    shm.setTunable(thread(tid), { tag: String(name), val });
    return { value: null };
  });
}

/** pipe(): {read, write}, the two fds. */
export function pipe(tid) {
  return action('pipe', [tid], () => {
    const [read, write] = fd.pipe(thread(tid));
    return { value: { read, write } };
  });
}

/** read(fd, len, nonblock): the bytes (empty: end of file), or parked. */
export function fdRead(tid, f, len, nonblock) {
  return action('fdRead', [tid, f, len, nonblock], () => {
    const out = fd.read(thread(tid), f | 0, len >>> 0, !!nonblock);
    return out.tag === 'blocked' ? { blocked: out.val } : { value: Array.from(out.val) };
  });
}

/** write(fd, the text's UTF-8 bytes, nonblock): how many bytes, or parked. */
export function fdWrite(tid, f, data, nonblock) {
  return action('fdWrite', [tid, f, data, nonblock], () => {
    const out = fd.write(thread(tid), f | 0, new TextEncoder().encode(data), !!nonblock);
    return out.tag === 'blocked' ? { blocked: out.val } : { value: Number(out.val) };
  });
}

export function fdClose(tid, f) {
  return action('fdClose', [tid, f], () => {
    fd.close(thread(tid), f | 0);
    return { value: null };
  });
}

/** A relative port timeout in nanoseconds (< 0: none, wait forever) as a timespec. */
function portTimeout(ns) {
  if (ns === undefined || ns === null || ns < 0) return undefined;
  const t = BigInt(Math.round(ns));
  return { sec: t / 1000000000n, nsec: t % 1000000000n };
}

export function portCreate(tid) {
  return action('portCreate', [tid], () => ({ value: port.portCreate(thread(tid)) }));
}

/** user is a decimal string (u64). */
export function portSend(tid, p, events, user) {
  return action('portSend', [tid, p, events, user], () => {
    port.portSend(thread(tid), p | 0, events | 0, BigInt(user));
    return { value: null };
  });
}

/** ports: a JSON array of port fds; the value is {sent, errors}. */
export function portSendn(tid, ports, events, user) {
  return action('portSendn', [tid, ports, events, user], () => {
    const list = Int32Array.from(JSON.parse(ports));
    return { value: plain(port.portSendn(thread(tid), list, events | 0, BigInt(user))) };
  });
}

export function portAlert(tid, p, flags, events, user) {
  return action('portAlert', [tid, p, flags, events, user], () => {
    port.portAlert(thread(tid), p | 0, flags | 0, events | 0, BigInt(user));
    return { value: null };
  });
}

/** object and user are decimal strings (u64). */
export function portAssociate(tid, p, source, object, events, user) {
  return action('portAssociate', [tid, p, source, object, events, user], () => {
    port.portAssociate(thread(tid), p | 0, source & 0xffff, BigInt(object), events & 0xffff, BigInt(user));
    return { value: null };
  });
}

export function portDissociate(tid, p, source, object) {
  return action('portDissociate', [tid, p, source, object], () => {
    port.portDissociate(thread(tid), p | 0, source & 0xffff, BigInt(object));
    return { value: null };
  });
}

/** port_getn: {tag:'got', val:{events, etime}} or {tag:'pending', val:n}, or parked. */
export function portGetn(tid, p, max, nget, timeoutNs) {
  return action('portGetn', [tid, p, max, nget, timeoutNs], () => {
    const out = port.portGetn(thread(tid), p | 0, max >>> 0, nget >>> 0, portTimeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: plain(out) };
  });
}

/** port_get: {tag:'event', val} or {tag:'none'}, or parked. */
export function portGet(tid, p, timeoutNs) {
  return action('portGet', [tid, p, timeoutNs], () => {
    const out = port.portGet(thread(tid), p | 0, portTimeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: plain(out) };
  });
}

/** The completed result of a parked call: {call, ok, errno?, value?}. */
export function takeResult(tid) {
  return action('takeResult', [tid], () => {
    const c = thread(tid).takeResult();
    const r = c.result;
    // jco lifts result<reply, errno> inside a record as {tag:'ok'|'err', val}.
    if (r && r.tag === 'err') return { value: { call: c.call, ok: false, errno: String(r.val) } };
    const value = r && r.tag === 'ok' ? r.val : r;
    return { value: { call: c.call, ok: true, reply: reply(value) } };
  });
}

export function interrupt(tid) {
  return action('interrupt', [tid], () => ({ value: thread(tid).interrupt() }));
}

export function advance(ns) {
  return action('advance', [ns], () => ({ value: Number(kernel.advance(BigInt(ns))) }));
}

/** Everything the views show, in one JSON object. */
/**
 * The namespace as it was before the shown step, when that step's event
 * rotated the AVL tree of a namespace small enough to be drawn whole:
 * {facility, namespace}, else null.  It is the real kernel's, one step
 * back (the timeline goes there and returns: the kernel is deterministic),
 * and is computed once per shown step.
 */
function beforeRotation() {
  const key = `${logEpoch}:${position}`;
  if (beforeCache.key === key) return beforeCache.value;
  let value = null;
  const [, next] = kernel.events(END);
  const [events] = next > 0n ? kernel.events(next - 1n) : [[]];
  const last = events[events.length - 1];
  const rotated = last ? last.steps.find((s) => s.facility && s.rotations && s.rotations.length > 0) : undefined;
  const tree = () => JSON.parse(inspect.scene(kernel, WHOLE_TREE))[rotated.facility].tree;
  if (rotated && position > 0 && !tree().overview) {
    const shown = position;
    goTo(shown - 1);
    try {
      value = { facility: rotated.facility, keys: tree().nodes };
    } finally {
      goTo(shown);
    }
  }
  beforeCache = { key, value };
  return value;
}

/** A scene window that draws a tree whole up to BEFORE_MAX_KEYS keys and sends no long lists nor events. */
const WHOLE_TREE = JSON.stringify({ page_size: 1, tree_whole_max: BEFORE_MAX_KEYS, events: 0 });
/** Timeline labels sent around the step shown: more than the markers the playground draws (50 each side). */
const LABELS_AROUND = 100;
/** One letter per step kind, for the timeline's `kinds` string. */
const KIND_LETTER = { call: 'c', park: 'p', wake: 'w', error: 'e', removal: 'r' };

/**
 * Everything the page draws, as one JSON answer.  `window` is the JSON of
 * ipc-core's scene window (the pages the reader chose): the namespaces and
 * the queues come from `inspect.scene`, the core's own view types cut to
 * one screen, spliced in as the component wrote them; the timeline sends
 * every step's kind as one letter and the labels around the step shown.
 */
export function state(window) {
  let scene;
  let rest;
  try {
    const before = beforeRotation();
    // A window that is not one throws, its reason the payload.
    scene = inspect.scene(kernel, window || '{}');
    const lo = Math.max(0, position - LABELS_AROUND);
    const hi = Math.min(oplog.length, position + LABELS_AROUND);
    rest = JSON.stringify({
      before,
      now: Number(kernel.now()),
      explanation: plain(inspect.explain(kernel) ?? null),
      history: position - base,
      checkpoints: { count: checkpoints.size, bytes: checkpointBytes },
      timeline: {
        step: position,
        base,
        length: oplog.length,
        kinds: oplog.map((e) => KIND_LETTER[e.kind] || 'c').join(''),
        labelsFrom: lo,
        // [op, args] (a restore's snapshot is left out): the page words them.
        labels: oplog.slice(lo, hi).map((e) => [e.op, e.op === 'restore' ? [] : e.args]),
        forkedAt,
        branch: branch ? { at: branch.at, length: branch.log.length } : null,
      },
    });
  } catch (e) {
    return failure(e);
  }
  // rest is `{…}`: its fields follow the scene's inside "value".
  return `{"ok":true,"value":{"scene":${scene},${rest.slice(1)}}`;
}

export function snapshot() {
  return call(() => ({ value: kernel.snapshot() }));
}

export function restore(json) {
  return action('restore', [json], () => {
    kernel.restore(json);
    return { value: null };
  });
}

/** Shows the step before the shown one (the log after it stays: forward goes back to it). */
export function stepBack() {
  return call(() => {
    if (position <= base) throw new Error('nothing to step back to');
    goTo(position - 1);
    moved();
    return { value: position - base };
  });
}

/** Shows the state after `step` operations (clamped to the timeline). */
export function jump(step) {
  return call(() => {
    goTo(Math.max(base, Math.min(step | 0, oplog.length)));
    moved();
    return { value: position };
  });
}

/**
 * Restores the state after `step` operations: from the nearest checkpoint
 * at or before it (or the shown state, when that is nearer), re-running the
 * logged operations in between.  Handles keep naming the same pids and
 * tids; spawn, fork and thread-create re-adopt theirs as they re-run.
 */
function goTo(step) {
  if (step === position) return;
  const k = checkpointAtOrBefore(step);
  let from = position;
  if (step < position || k > position) {
    kernel.rewind(checkpoints.get(k).cp);
    from = k;
  }
  replaying = true;
  try {
    for (let i = from; i < step; i++) {
      OPS[oplog[i].op](...oplog[i].args);
      // Steps re-run for the first time (a branch brought back) get their checkpoints.
      const done = i + 1;
      if (done % CHECKPOINT_EVERY === 0 && done > checkpointAtOrBefore(Infinity)) addCheckpoint(done);
    }
  } finally {
    replaying = false;
  }
  position = step;
}

/** A fresh kernel (same limits) with an empty log. */
function reset() {
  kernel = system.Kernel.create(playgroundConfig());
  processes.clear();
  threads.clear();
  oplog.length = 0;
  for (const step of [...checkpoints.keys()]) dropCheckpoint(step);
  addCheckpoint(0);
  logEpoch += 1;
  position = 0;
  base = 0;
  forkedAt = null;
  branch = null;
  presetName = null;
}

/** The session: the operation log and the step shown (the URL's and the exported file's format). */
function session() {
  return {
    format: SESSION_FORMAT,
    version: SESSION_VERSION,
    base,
    step: position,
    log: oplog.map((e) => [e.op, e.args, e.kind]),
    ...(branch ? { branch: { at: branch.at, log: branch.log.map((e) => [e.op, e.args, e.kind]) } } : {}),
    ...(presetName ? { preset: presetName } : {}),
  };
}

/**
 * Replays a session on a fresh kernel: every logged operation re-run in
 * order (pids and tids come out the same: the kernel is deterministic), then
 * the shown step restored.  Throws, leaving a fresh kernel, if the session
 * is not one or an operation is unknown; returns what replayed differently
 * (a link from another build) as a list of words.
 */
function replay(s) {
  const scalar = (a) => ['number', 'string', 'boolean'].includes(typeof a) || a === null;
  if (!s || s.format !== SESSION_FORMAT || !Array.isArray(s.log)) throw new Error('this is not an ipclab session');
  if (s.version !== SESSION_VERSION) throw new Error(`session version ${s.version}; this build reads version ${SESSION_VERSION}`);
  const known = (e) => Array.isArray(e) && Object.hasOwn(OPS, e[0]) && Array.isArray(e[1]) && e[1].every(scalar);
  s.log.forEach((e, i) => {
    if (!known(e)) {
      throw new Error(`step ${i + 1} is not an operation this build knows (${JSON.stringify(e && e[0])}): a link from another build?`);
    }
  });
  const kept = s.branch;
  if (kept !== undefined && (!kept || !Array.isArray(kept.log) || !kept.log.every(known) || !Number.isInteger(kept.at))) {
    throw new Error('the session\'s branch is not one this build knows: a link from another build?');
  }
  reset();
  const differs = [];
  restoring = true;
  try {
    s.log.forEach(([op, args, kind], i) => {
      OPS[op](...args);
      if (kind && oplog[i].kind !== kind) differs.push(`step ${i + 1} (${op}) was a ${kind} and is now a ${oplog[i].kind}`);
    });
  } finally {
    restoring = false;
  }
  const clamp = (n, lo) => Math.max(lo, Math.min(Number(n) | 0, oplog.length));
  base = clamp(s.base, 0);
  goTo(clamp(s.step ?? oplog.length, base));
  forkedAt = null;
  if (kept && kept.log.length > 0) {
    branch = { at: clamp(kept.at, base), log: kept.log.map(([op, args, kind]) => ({ op, args: Array.from(args), kind })) };
  }
  presetName = typeof s.preset === 'string' && PRESET_NAME.test(s.preset) ? s.preset : null;
  return differs;
}

/**
 * Replays the session `s` in place of the one shown; what replayed
 * differently.  If `s` cannot be replayed, the session shown before is
 * replayed back (a fresh kernel if even that fails) and the error goes on.
 */
function replaceSession(s) {
  const before = session();
  try {
    return replay(s);
  } catch (e) {
    try {
      replay(before);
    } catch (_) {
      reset();
    }
    throw e;
  }
}

/** The largest session file `importSession` reads (a log of ~10^6 steps). */
const IMPORT_MAX_BYTES = 32 << 20;

/**
 * Replays the session file chosen in `input` (a file input), as exported
 * by "Export session".  The answer's value is {step, length, differs}; when
 * the file is not a session this build can replay, the answer says why and
 * the session shown before stays as it was (it is replayed back).
 */
export async function importSession(input) {
  const file = input && input.files && input.files[0];
  if (!file) return bridgeError('no file was chosen');
  try {
    if (file.size > IMPORT_MAX_BYTES) throw new Error(`the file has ${file.size} bytes; a session file has at most ${IMPORT_MAX_BYTES}`);
    let s;
    try {
      s = JSON.parse(await file.text());
    } catch (e) {
      throw new Error(`${file.name} is not JSON (${e.message})`);
    }
    const differs = replaceSession(s);
    moved();
    return JSON.stringify({ ok: true, value: { step: position, length: oplog.length, differs } });
  } catch (e) {
    return bridgeError(e);
  } finally {
    input.value = '';
  }
}

// Presets: sessions a teacher starts from, each a JSON file under
// presets/ (served with the page) in the session format plus a title, a
// story, a goal and an explanation; presets/index.json lists them in
// teaching order.  Loading one replays its log like importing a file.

/** A preset's name: its file under presets/, without .json. */
const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The JSON of presets/NAME (fetched against the page's address). */
async function fetchPreset(file) {
  const url = new URL(`presets/${file}`, document.baseURI);
  const res = await fetch(url.href, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`${url.pathname} is not JSON (${e.message})`);
  }
}

/** A preset's words (what the page shows of it) from its JSON. */
function presetWords(name, p) {
  return { name, title: p.title, story: p.story, explain: p.explain, goal: p.goal, show: p.show ?? null };
}

/** The list of presets (presets/index.json): {presets: [{name, title}]}, in teaching order. */
export async function presetIndex() {
  try {
    const index = await fetchPreset('index.json');
    if (!index || !Array.isArray(index.presets)) throw new Error('presets/index.json has no "presets" list');
    const list = index.presets.filter((p) => p && PRESET_NAME.test(p.name) && typeof p.title === 'string');
    return JSON.stringify({ ok: true, value: list.map(({ name, title }) => ({ name, title })) });
  } catch (e) {
    return bridgeError(e);
  }
}

/**
 * Loads the preset `name`: its log is replayed on a fresh kernel and it
 * becomes the session (saved like any other).  The answer's value is
 * {step, length, differs, preset: {name, title, story, explain, goal, show}};
 * when it cannot be replayed, the answer says why and the session shown
 * before stays as it was.
 */
export async function loadPreset(name) {
  try {
    if (!PRESET_NAME.test(String(name))) throw new Error(`${JSON.stringify(name)} is not a preset name`);
    const p = await fetchPreset(`${name}.json`);
    const differs = replaceSession(p);
    presetName = name;
    moved();
    return JSON.stringify({ ok: true, value: { step: position, length: oplog.length, differs, preset: presetWords(name, p) } });
  } catch (e) {
    return bridgeError(e);
  }
}

/**
 * The words of the preset the session came from (after a reload, a link
 * or an imported file): {ok, value: preset or null}.
 */
export async function currentPreset() {
  if (!presetName) return JSON.stringify({ ok: true, value: null });
  try {
    return JSON.stringify({ ok: true, value: presetWords(presetName, await fetchPreset(`${presetName}.json`)) });
  } catch (e) {
    return bridgeError(e);
  }
}

/** Moves the keyboard focus to the element with this data-testid, if there is one. */
export function focusTestid(testid) {
  const el = document.querySelector(`[data-testid="${CSS.escape(String(testid))}"]`);
  if (el && typeof el.focus === 'function') el.focus();
}

/** The text a panel (`[data-testid=…]`) shows, or null when it is not on the page: for a preset's goal. */
export function panelText(testid) {
  const el = document.querySelector(`[data-testid="${CSS.escape(String(testid))}"]`);
  return el ? el.textContent : null;
}

/** Bytes as base64url (no padding). */
function base64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unbase64url(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** Pipes bytes through a (de)compression stream. */
async function through(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

/** The session as a URL hash: `#session=z…` (deflate-raw) or `#session=j…` (plain JSON), base64url. */
async function sessionHash() {
  const bytes = new TextEncoder().encode(JSON.stringify(session()));
  if (typeof CompressionStream === 'function') {
    return `#session=z${base64url(await through(bytes, new CompressionStream('deflate-raw')))}`;
  }
  return `#session=j${base64url(bytes)}`;
}

/** The session a URL hash carries, as JSON text. */
async function sessionOfHash(hash) {
  const code = hash.slice('#session='.length);
  const bytes = unbase64url(code.slice(1));
  if (code[0] === 'j') return new TextDecoder().decode(bytes);
  if (code[0] !== 'z') throw new Error('the link\'s session is in an unknown encoding');
  if (typeof DecompressionStream !== 'function') throw new Error('this browser cannot decompress the link (no DecompressionStream)');
  return new TextDecoder().decode(await through(bytes, new DecompressionStream('deflate-raw')));
}

/**
 * On load: replays the session in the URL's hash, if there is one.
 * null (none), {step, length, differs}, or {error} (a fresh kernel then).
 */
async function sessionFromUrl() {
  if (!location.hash.startsWith('#session=')) return null;
  try {
    const differs = replay(JSON.parse(await sessionOfHash(location.hash)));
    return { from: 'link', step: position, length: oplog.length, differs };
  } catch (e) {
    reset();
    return { from: 'link', error: String(e && e.message ? e.message : e) };
  }
}

// The session survives a reload: it is kept in localStorage (the same JSON
// as `session()`), saved shortly after each action or jump and when the page
// is hidden or left, and replayed on load when the URL carries no session.
// Where localStorage is unavailable (private mode, storage disabled, full)
// nothing is saved and nothing breaks.

/** The localStorage key of the saved session. */
const SAVED_KEY = 'ipclab-session';
/** The pending save, if any. */
let saveTimer = null;

/** localStorage, or null where the browser refuses it. */
function storage() {
  try {
    return window.localStorage || null;
  } catch (_) {
    return null;
  }
}

/** Saves the session now (a pending save is done at once). */
function saveNow() {
  if (saveTimer !== null) clearTimeout(saveTimer);
  saveTimer = null;
  if (!kernel) return;
  try {
    storage()?.setItem(SAVED_KEY, JSON.stringify(session()));
  } catch (_) {
    // Private mode or a full quota: the session is simply not kept.
  }
}

/** Saves the session soon: many steps in a row (playing, replaying) make one save. */
function saveSoon() {
  if (saveTimer === null) saveTimer = setTimeout(saveNow, 200);
}

/** Forgets the saved session. */
function forgetSaved() {
  if (saveTimer !== null) clearTimeout(saveTimer);
  saveTimer = null;
  try {
    storage()?.removeItem(SAVED_KEY);
  } catch (_) {
    // Nothing was kept.
  }
}

if (typeof window !== 'undefined') {
  window.addEventListener('pagehide', () => saveTimer !== null && saveNow());
  document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && saveTimer !== null && saveNow());
}

/**
 * The URL's `#session=` no longer says where the session is once it moves
 * on: it is taken out of the address (a reload then restores the saved
 * session, not the older one the link carries).
 */
function leaveLink() {
  if (location.hash.startsWith('#session=')) window.history.replaceState(null, '', location.pathname + location.search);
}

/** The session moved on (an action, a jump): save it soon; the address no longer holds it. */
function moved() {
  leaveLink();
  saveSoon();
}

/**
 * On load without a session in the URL: replays the saved session, if
 * there is one.  null (none), {from:'saved', step, length, differs}, or
 * {from:'saved', error} (a fresh kernel then, and the saved session is
 * dropped).
 */
function sessionFromStorage() {
  let text = null;
  try {
    text = storage()?.getItem(SAVED_KEY) ?? null;
  } catch (_) {
    return null;
  }
  if (!text) return null;
  try {
    let s;
    try {
      s = JSON.parse(text);
    } catch (e) {
      throw new Error(`the saved session is not JSON (${e.message})`);
    }
    const differs = replay(s);
    return { from: 'saved', step: position, length: oplog.length, differs };
  } catch (e) {
    reset();
    forgetSaved();
    return { from: 'saved', error: String(e && e.message ? e.message : e) };
  }
}

/** Discards the session, saved one included: a fresh kernel with an empty log (the caller spawns the start-up processes). */
export function newSession() {
  reset();
  forgetSaved();
  leaveLink();
}

/**
 * Scrolls the timeline's strip of markers (only it, never the page) so
 * that the step shown is in view: smoothly, unless the reader asked for
 * reduced motion.
 */
export function revealStep() {
  const now = document.querySelector('.tl-steps .tl-step.now');
  const strip = now && now.closest('.tl-steps');
  if (!strip) return;
  const s = strip.getBoundingClientRect();
  const n = now.getBoundingClientRect();
  if (n.top >= s.top && n.bottom <= s.bottom) return;
  const reduce = typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const top = strip.scrollTop + n.top - s.top - (s.height - n.height) / 2;
  strip.scrollTo({ top, behavior: reduce ? 'auto' : 'smooth' });
}

/**
 * Puts the session in the page's URL (the hash) and copies the link to the
 * clipboard if the browser lets it.  Resolves to a JSON answer whose value
 * is {url, copied}.
 */
export async function copyLink() {
  try {
    const hash = await sessionHash();
    window.history.replaceState(null, '', hash);
    const url = location.href;
    let copied = false;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      const wait = new Promise((resolve) => setTimeout(() => resolve(false), 1000));
      copied = await Promise.race([navigator.clipboard.writeText(url).then(() => true, () => false), wait]);
    }
    return JSON.stringify({ ok: true, value: { url, copied } });
  } catch (e) {
    return bridgeError(e);
  }
}

/** Downloads `json` as a file named `name`. */
function download(name, json) {
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Downloads the session (the operation log and the step shown) as ipclab-session.json. */
export function exportSession() {
  return call(() => {
    // The file also carries the kernel's snapshot at the step shown, which
    // `ipclab ipcs FILE` prints (importing replays the log and ignores it).
    const json = JSON.stringify({ ...session(), snapshot: kernel.snapshot() });
    download('ipclab-session.json', json);
    return { value: { bytes: json.length, steps: oplog.length } };
  });
}

/**
 * Downloads the kernel's whole state (`kernel.snapshot`) as
 * ipclab-snapshot.json, which `ipclab ipcs FILE` prints from the command line.
 */
export function saveState() {
  return call(() => {
    const json = kernel.snapshot();
    download('ipclab-snapshot.json', json);
    return { value: json.length };
  });
}

/** The timeline starts here: stepping back cannot go before this point (the operations stay in the log). */
export function forgetHistory() {
  base = position;
  forkedAt = null;
  saveSoon();
}

/** Every logged operation by name, for re-running the log. */
const OPS = {
  spawn,
  fork,
  threadCreate,
  exit,
  msgget,
  msgsnd,
  msgrcv,
  msgctlStat,
  msgctlSet,
  msgctlRmid,
  semget,
  semop,
  semctlSetval,
  semctlGetall,
  semctlStat,
  semctlRmid,
  semOpen,
  semInit,
  semClose,
  semUnlink,
  semDestroy,
  semPost,
  semWait,
  semTrywait,
  semTimedwait,
  semGetvalue,
  shmget,
  shmat,
  shmdt,
  shmctlStat,
  shmctlSet,
  shmctlRmid,
  shmctlLock,
  shmRead,
  shmWrite,
  setTunable,
  pipe,
  fdRead,
  fdWrite,
  fdClose,
  portCreate,
  portSend,
  portSendn,
  portAlert,
  portAssociate,
  portDissociate,
  portGetn,
  portGet,
  takeResult,
  interrupt,
  advance,
  restore,
};
