// The bridge between the Yew playground and the ipc-component.
//
// The component is the kernel and Rust (`ipclab-session`'s timeline, in
// the playground's wasm) is the session: this file only owns what must
// live in JavaScript — the kernel resource, the process and thread
// handles, the checkpoints (component resources) — and forwards each
// call, turning what jco returns into plain JSON for Rust (BigInt ->
// Number, typed arrays -> arrays, thrown ComponentError -> {ok:false,
// errno}).  It also carries bytes for Rust: the session text to the URL,
// to localStorage, to a download, and back.  It holds no kernel logic and
// no session logic.  Interfaces used: system, msg, sem, shm (System V),
// psem (POSIX semaphores), fd (pipes) and port (event ports), inspect.
// 64-bit arguments (sizes, addresses, port user values) come from Rust as
// decimal strings and cross into jco as BigInt.
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
/** step -> the kernel's checkpoint after that many operations (which steps: the timeline in Rust decides). */
const checkpoints = new Map();
/** How jco names a resource handle's destructor. */
const DISPOSE = Symbol.dispose || Symbol.for('dispose');
/** Past any event's seq: `kernel.events(END)` returns no event, only the next cursor. */
const END = 2n ** 63n;

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

/** Data as the session holds it: text (its UTF-8 bytes) or an array of bytes. */
const bytesOf = (data) => (typeof data === 'string' ? new TextEncoder().encode(data) : Uint8Array.from(data));

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
 * The text of a session file served beside the page (`#open=runs/x.json`:
 * a run `ipclab run --record www/runs/x.json` wrote).  Only a path on the
 * page's own server: a link cannot make the page fetch from elsewhere.
 */
async function servedSession(path) {
  const url = new URL(decodeURIComponent(path), document.baseURI);
  if (url.origin !== location.origin) throw new Error(`${path} is not a file of this server`);
  const res = await fetch(url.href, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  const length = Number(res.headers.get('content-length') || 0);
  if (length > IMPORT_MAX_BYTES) throw new Error(`${url.pathname} has ${length} bytes; a session file has at most ${IMPORT_MAX_BYTES}`);
  return res.text();
}

/**
 * Loads the component.  Resolves to a JSON answer whose value says what
 * the page opened with, for Rust to replay: {link, linkError, saved} — the
 * session text the URL's hash carries (`#session=`, or `#open=` naming a
 * served file), or why it cannot be read; and the one saved in localStorage.
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
    let link = null;
    let linkError = null;
    try {
      if (location.hash.startsWith('#session=')) link = await sessionOfHash(location.hash);
      else if (location.hash.startsWith('#open=')) link = await servedSession(location.hash.slice('#open='.length));
    } catch (e) {
      linkError = String(e && e.message ? e.message : e);
    }
    return JSON.stringify({ ok: true, value: { link, linkError, saved: savedText() } });
  } catch (e) {
    const message = e && e.payload !== undefined ? `kernel creation failed: ${e.payload}` : String(e && e.stack ? e.stack : e);
    return JSON.stringify({ ok: false, errno: 'bridge', message });
  }
}

/**
 * A fresh kernel: `limits` (JSON) are the playground's small limits to set
 * on the default configuration, or null for the default itself.  Every
 * handle and checkpoint of the old one is dropped.
 */
export function resetKernel(limits) {
  return call(() => {
    const config = system.defaultConfig();
    const l = JSON.parse(limits);
    if (l) {
      config.seqBits = l.seq_bits;
      config.idsMin = l.ids_min;
      config.eventCapacity = l.event_capacity;
      config.msg.maxMessageBytes = BigInt(l.max_message_bytes);
      config.msg.maxQueueBytes = BigInt(l.max_queue_bytes);
      config.msg.maxQueueMessages = BigInt(l.max_queue_messages);
    }
    for (const step of [...checkpoints.keys()]) forgetCheckpoint(step);
    kernel = system.Kernel.create(config);
    processes.clear();
    threads.clear();
    return { value: null };
  });
}

/**
 * Makes operation `op` with `args` (JSON), first moving the clock up to
 * `at` (ns; < 0: not given).  Its answer, with what the kernel's event
 * says of it: {..answer, facts: {failed, woke}}; or, when `quiet` (the
 * timeline re-making logged steps), nothing.
 */
export function act(op, args, at, quiet) {
  const f = Object.hasOwn(OPS, op) ? OPS[op] : null;
  if (!f) return bridgeError(`${JSON.stringify(op)} is not an operation this build knows`);
  let list;
  try {
    list = JSON.parse(args);
    if (at >= 0) {
      const now = kernel.now();
      const t = BigInt(at);
      if (t > now) kernel.advance(t - now);
    }
  } catch (e) {
    return failure(e);
  }
  if (quiet) {
    try {
      f(...list);
    } catch (_) {
      // The logged step failed the first time too.
    }
    return '';
  }
  const [, cursor] = kernel.events(END);
  const answer = call(() => f(...list));
  const [events] = kernel.events(cursor);
  const last = events[events.length - 1];
  const facts = {
    failed: !!(last && last.outcome && last.outcome.tag === 'failed'),
    woke: !!(last && last.woke && last.woke.length > 0),
  };
  return `${answer.slice(0, -1)},"facts":${JSON.stringify(facts)}}`;
}

/** Keeps the kernel's state as the checkpoint of `step`; its size (the length of its snapshot). */
export function checkpoint(step) {
  forgetCheckpoint(step);
  const cp = kernel.checkpoint();
  checkpoints.set(step, cp);
  return Number(cp.size());
}

/** The checkpoints held, for diagnostics: how many, and their snapshots' length together. */
export function checkpointsHeld() {
  let bytes = 0;
  for (const cp of checkpoints.values()) bytes += Number(cp.size());
  return { count: checkpoints.size, bytes };
}

/** Restores the checkpoint of `step`. */
export function rewind(step) {
  const cp = checkpoints.get(step);
  if (cp) kernel.rewind(cp);
}

/** Frees the checkpoint of `step` (the component frees its copy). */
export function forgetCheckpoint(step) {
  const cp = checkpoints.get(step);
  if (cp === undefined) return;
  checkpoints.delete(step);
  cp[DISPOSE]();
}

/** Spawns a process with one thread; groups is a comma-separated list; zone 0 and project 1 unless given. */
function spawn(uid, gid, groups, privileged, zone = 0, project = 1) {
  const list = String(groups)
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map((s) => Number(s));
  if (list.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffffffff)) throw new Error('groups must be numbers');
  const cred = { ruid: uid, euid: uid, rgid: gid, egid: gid, groups: Uint32Array.from(list), privileged };
  return { value: adopt(kernel.spawn(cred, zone >>> 0, project >>> 0)) };
}

function fork(pid) {
  return { value: adopt(process(pid).fork()) };
}

function threadCreate(pid) {
  const t = process(pid).threadCreate();
  threads.set(t.tid(), t);
  return { value: { pid, tid: t.tid() } };
}

function exit(pid) {
  process(pid).exit();
  return { value: null };
}

function msgget(tid, key, flags) {
  return { value: msg.msgget(thread(tid), key | 0, flags | 0) };
}

/** timeoutNs < 0 means none; mtype is passed as a decimal string (s64). */
function msgsnd(tid, msqid, mtype, data, flags, timeoutNs) {
  const bytes = bytesOf(data);
  const out = msg.msgsnd(thread(tid), msqid | 0, BigInt(mtype), bytes, flags | 0, timeout(timeoutNs));
  return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
}

function msgrcv(tid, msqid, msgsz, msgtyp, flags, timeoutNs) {
  const out = msg.msgrcv(thread(tid), msqid | 0, BigInt(msgsz), BigInt(msgtyp), flags | 0, timeout(timeoutNs));
  return out.tag === 'blocked' ? { blocked: out.val } : { value: received(out.val) };
}

function msgctlStat(tid, msqid) {
  return { value: plain(msg.msgctlStat(thread(tid), msqid | 0)) };
}

function msgctlSet(tid, msqid, uid, gid, mode, qbytes) {
  msg.msgctlSet(thread(tid), msqid | 0, { uid, gid, mode, qbytes: BigInt(qbytes) });
  return { value: null };
}

function msgctlRmid(tid, msqid) {
  msg.msgctlRmid(thread(tid), msqid | 0);
  return { value: null };
}

function semget(tid, key, nsems, flags) {
  return { value: sem.semget(thread(tid), key | 0, nsems | 0, flags | 0) };
}

/** sops: a JSON array of [sem_num, sem_op, sem_flg]; timeoutNs < 0 means none (semop), else semtimedop. */
function semop(tid, semid, sops, timeoutNs) {
  const list = JSON.parse(sops).map(([semNum, semOp, semFlg]) => ({ semNum, semOp, semFlg }));
  const out = sem.semop(thread(tid), semid | 0, list, timeout(timeoutNs));
  return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
}

function semctlSetval(tid, semid, semnum, val) {
  sem.semctlSetval(thread(tid), semid | 0, semnum >>> 0, val | 0);
  return { value: null };
}

function semctlGetall(tid, semid) {
  return { value: Array.from(sem.semctlGetall(thread(tid), semid | 0)) };
}

function semctlStat(tid, semid) {
  return { value: plain(sem.semctlStat(thread(tid), semid | 0)) };
}

function semctlRmid(tid, semid) {
  sem.semctlRmid(thread(tid), semid | 0);
  return { value: null };
}

/** A psem wait-outcome ({tag:'acquired'} or {tag:'blocked', val}) as the bridge's answer. */
function waited(out) {
  return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
}

/** sem_open: oflag is WIT flags, lifted by jco as {creat, excl}. */
function semOpen(tid, name, creat, excl, mode, value) {
  return {
    value: psem.semOpen(thread(tid), String(name), { creat: !!creat, excl: !!excl }, mode >>> 0, value >>> 0),
  };
}

function semInit(tid, value, pshared) {
  return { value: psem.semInit(thread(tid), value >>> 0, !!pshared) };
}

function semClose(tid, id) {
  psem.semClose(thread(tid), id >>> 0);
  return { value: null };
}

function semUnlink(tid, name) {
  psem.semUnlink(thread(tid), String(name));
  return { value: null };
}

function semDestroy(tid, id) {
  psem.semDestroy(thread(tid), id >>> 0);
  return { value: null };
}

function semPost(tid, id) {
  psem.semPost(thread(tid), id >>> 0);
  return { value: null };
}

function semWait(tid, id) {
  return waited(psem.semWait(thread(tid), id >>> 0));
}

function semTrywait(tid, id) {
  psem.semTrywait(thread(tid), id >>> 0);
  return { value: null };
}

/** abstime on the logical clock; sec and nsec are decimal strings (s64). */
function semTimedwait(tid, id, sec, nsec) {
  return waited(psem.semTimedwait(thread(tid), id >>> 0, { sec: BigInt(sec), nsec: BigInt(nsec) }));
}

function semGetvalue(tid, id) {
  return { value: psem.semGetvalue(thread(tid), id >>> 0) };
}

/** shmget: size is a decimal string (u64). */
function shmget(tid, key, size, flags) {
  return { value: shm.shmget(thread(tid), key | 0, BigInt(size), flags | 0) };
}

/** shmat: addr is a decimal string (u64; 0 lets the kernel choose); the value is the address attached. */
function shmat(tid, shmid, addr, flags) {
  return { value: Number(shm.shmat(thread(tid), shmid | 0, BigInt(addr), flags | 0)) };
}

function shmdt(tid, addr) {
  shm.shmdt(thread(tid), BigInt(addr));
  return { value: null };
}

function shmctlStat(tid, shmid) {
  return { value: plain(shm.shmctlStat(thread(tid), shmid | 0)) };
}

function shmctlSet(tid, shmid, uid, gid, mode) {
  shm.shmctlSet(thread(tid), shmid | 0, { uid: uid >>> 0, gid: gid >>> 0, mode: mode >>> 0 });
  return { value: null };
}

function shmctlRmid(tid, shmid) {
  shm.shmctlRmid(thread(tid), shmid | 0);
  return { value: null };
}

/** SHM_LOCK (lock true) or SHM_UNLOCK (lock false). */
function shmctlLock(tid, shmid, lock) {
  shm.shmctlLock(thread(tid), shmid | 0, !!lock);
  return { value: null };
}

/** A load of len bytes at addr (decimal strings): the bytes, as an array of numbers. */
function shmRead(tid, addr, len) {
  return { value: Array.from(shm.read(thread(tid), BigInt(addr), BigInt(len))) };
}

/** A store of the text's UTF-8 bytes at addr (a decimal string). */
function shmWrite(tid, addr, data) {
  shm.write(thread(tid), BigInt(addr), bytesOf(data));
  return { value: null };
}

/** A tunable: name is shmmax, shmmaxpgs (u64) or shmmni, shmseg (u32); value a decimal string. */
function setTunable(tid, name, value) {
  const wide = name === 'shmmax' || name === 'shmmaxpgs';
  const val = wide ? BigInt(value) : Number(value);
  shm.setTunable(thread(tid), { tag: String(name), val });
  return { value: null };
}

/** pipe(): {read, write}, the two fds. */
function pipe(tid) {
  const [read, write] = fd.pipe(thread(tid));
  return { value: { read, write } };
}

/** read(fd, len, nonblock): the bytes (empty: end of file), or parked. */
function fdRead(tid, f, len, nonblock) {
  const out = fd.read(thread(tid), f | 0, len >>> 0, !!nonblock);
  return out.tag === 'blocked' ? { blocked: out.val } : { value: Array.from(out.val) };
}

/** write(fd, the text's UTF-8 bytes, nonblock): how many bytes, or parked. */
function fdWrite(tid, f, data, nonblock) {
  const out = fd.write(thread(tid), f | 0, bytesOf(data), !!nonblock);
  return out.tag === 'blocked' ? { blocked: out.val } : { value: Number(out.val) };
}

function fdClose(tid, f) {
  fd.close(thread(tid), f | 0);
  return { value: null };
}

/** A relative port timeout in nanoseconds (< 0: none, wait forever) as a timespec. */
function portTimeout(ns) {
  if (ns === undefined || ns === null || ns < 0) return undefined;
  const t = BigInt(Math.round(ns));
  return { sec: t / 1000000000n, nsec: t % 1000000000n };
}

function portCreate(tid) {
  return { value: port.portCreate(thread(tid)) };
}

/** user is a decimal string (u64). */
function portSend(tid, p, events, user) {
  port.portSend(thread(tid), p | 0, events | 0, BigInt(user));
  return { value: null };
}

/** ports: a JSON array of port fds; the value is {sent, errors}. */
function portSendn(tid, ports, events, user) {
  const list = Int32Array.from(JSON.parse(ports));
  return { value: plain(port.portSendn(thread(tid), list, events | 0, BigInt(user))) };
}

function portAlert(tid, p, flags, events, user) {
  port.portAlert(thread(tid), p | 0, flags | 0, events | 0, BigInt(user));
  return { value: null };
}

/** object and user are decimal strings (u64). */
function portAssociate(tid, p, source, object, events, user) {
  port.portAssociate(thread(tid), p | 0, source & 0xffff, BigInt(object), events & 0xffff, BigInt(user));
  return { value: null };
}

function portDissociate(tid, p, source, object) {
  port.portDissociate(thread(tid), p | 0, source & 0xffff, BigInt(object));
  return { value: null };
}

/** port_getn: {tag:'got', val:{events, etime}} or {tag:'pending', val:n}, or parked. */
function portGetn(tid, p, max, nget, timeoutNs) {
  const out = port.portGetn(thread(tid), p | 0, max >>> 0, nget >>> 0, portTimeout(timeoutNs));
  return out.tag === 'blocked' ? { blocked: out.val } : { value: plain(out) };
}

/** port_get: {tag:'event', val} or {tag:'none'}, or parked. */
function portGet(tid, p, timeoutNs) {
  const out = port.portGet(thread(tid), p | 0, portTimeout(timeoutNs));
  return out.tag === 'blocked' ? { blocked: out.val } : { value: plain(out) };
}

/** The completed result of a parked call: {call, ok, errno?, value?}. */
function takeResult(tid) {
  const c = thread(tid).takeResult();
  const r = c.result;
  // jco lifts result<reply, errno> inside a record as {tag:'ok'|'err', val}.
  if (r && r.tag === 'err') return { value: { call: c.call, ok: false, errno: String(r.val) } };
  const value = r && r.tag === 'ok' ? r.val : r;
  return { value: { call: c.call, ok: true, reply: reply(value) } };
}

function interrupt(tid) {
  return { value: thread(tid).interrupt() };
}

function advance(ns) {
  return { value: Number(kernel.advance(BigInt(ns))) };
}


function restore(json) {
  kernel.restore(json);
  return { value: null };
}

/** A scene window that draws a tree whole up to 255 keys (ipc-core's TREE_WHOLE_MAX) and sends no long lists nor events. */
const WHOLE_TREE = JSON.stringify({ page_size: 1, tree_whole_max: 255, events: 0 });

/**
 * Everything the page draws of the kernel, as one JSON answer.  `window`
 * is the JSON of ipc-core's scene window (the pages the reader chose): the
 * namespaces and the queues come from `inspect.scene`, the core's own view
 * types cut to one screen, spliced in as the component wrote them.
 * `rotated` names the facility whose AVL tree the newest event rotated,
 * when that tree is small enough to draw whole (Rust then asks for it one
 * step back: `wholeTree`).
 */
export function state(window) {
  let scene;
  let rest;
  try {
    scene = inspect.scene(kernel, window || '{}');
    const [, next] = kernel.events(END);
    const [events] = next > 0n ? kernel.events(next - 1n) : [[]];
    const last = events[events.length - 1];
    const step = last ? last.steps.find((s) => s.facility && s.rotations && s.rotations.length > 0) : undefined;
    const rotated = step && !JSON.parse(inspect.scene(kernel, WHOLE_TREE))[step.facility].tree.overview ? step.facility : null;
    rest = JSON.stringify({
      now: Number(kernel.now()),
      explanation: plain(inspect.explain(kernel) ?? null),
      rotated,
    });
  } catch (e) {
    return failure(e);
  }
  // rest is `{…}`: its fields follow the scene's inside "value".
  return `{"ok":true,"value":{"scene":${scene},${rest.slice(1)}}`;
}

/** The AVL tree of `facility` drawn whole (its nodes), as JSON. */
export function wholeTree(facility) {
  return call(() => ({ value: JSON.parse(inspect.scene(kernel, WHOLE_TREE))[facility].tree.nodes }));
}

/** The kernel's snapshot (`kernel.snapshot`). */
export function snapshot() {
  return call(() => ({ value: kernel.snapshot() }));
}

/** The largest session file read (a log of ~10^6 steps; ipclab-session's MAX_BYTES). */
const IMPORT_MAX_BYTES = 32 << 20;

/** The text of the file chosen in `input` (a file input), or why there is none. */
export async function readFile(input) {
  const file = input && input.files && input.files[0];
  if (!file) return bridgeError('no file was chosen');
  try {
    if (file.size > IMPORT_MAX_BYTES) throw new Error(`the file has ${file.size} bytes; a session file has at most ${IMPORT_MAX_BYTES}`);
    return JSON.stringify({ ok: true, value: { name: file.name, text: await file.text() } });
  } catch (e) {
    return bridgeError(e);
  } finally {
    input.value = '';
  }
}

// Presets: sessions a teacher starts from, each a JSON file under
// presets/ (served with the page) in the session format plus a title, a
// story, a goal and an explanation; presets/index.json lists them in
// teaching order.

/** A preset's name: its file under presets/, without .json. */
const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** The text of presets/FILE (fetched against the page's address). */
async function fetchText(file) {
  const url = new URL(`presets/${file}`, document.baseURI);
  const res = await fetch(url.href, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  return res.text();
}

/** The list of presets (presets/index.json): {presets: [{name, title}]}, in teaching order. */
export async function presetIndex() {
  try {
    let index;
    try {
      index = JSON.parse(await fetchText('index.json'));
    } catch (e) {
      throw new Error(`presets/index.json: ${e.message}`);
    }
    if (!index || !Array.isArray(index.presets)) throw new Error('presets/index.json has no "presets" list');
    const list = index.presets.filter((p) => p && PRESET_NAME.test(p.name) && typeof p.title === 'string');
    return JSON.stringify({ ok: true, value: list.map(({ name, title }) => ({ name, title })) });
  } catch (e) {
    return bridgeError(e);
  }
}

/** The text of the preset `name` (presets/NAME.json). */
export async function presetText(name) {
  try {
    if (!PRESET_NAME.test(String(name))) throw new Error(`${JSON.stringify(name)} is not a preset name`);
    return JSON.stringify({ ok: true, value: await fetchText(`${name}.json`) });
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

/** The session `json` as a URL hash: `#session=z…` (deflate-raw) or `#session=j…` (plain JSON), base64url. */
async function sessionHash(json) {
  const bytes = new TextEncoder().encode(json);
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

// The session survives a reload: it is kept in localStorage (the session
// file's text, which Rust gives through the function registered with
// `setSessionSource`), saved shortly after each action or jump and when
// the page is hidden or left, and replayed on load when the URL carries no
// session.  Where localStorage is unavailable (private mode, storage
// disabled, full) nothing is saved and nothing breaks.

/** The localStorage key of the saved session. */
const SAVED_KEY = 'ipclab-session';
/** The pending save, if any. */
let saveTimer = null;
/** Gives the session's text (registered by Rust). */
let sessionSource = null;

/** Registers the function that gives the session's text (a Rust closure). */
export function setSessionSource(f) {
  sessionSource = f;
}

/** localStorage, or null where the browser refuses it. */
function storage() {
  try {
    return window.localStorage || null;
  } catch (_) {
    return null;
  }
}

/** The saved session's text, or null. */
function savedText() {
  try {
    return storage()?.getItem(SAVED_KEY) ?? null;
  } catch (_) {
    return null;
  }
}

/** Saves the session now (a pending save is done at once). */
function saveNow() {
  if (saveTimer !== null) clearTimeout(saveTimer);
  saveTimer = null;
  if (!sessionSource) return;
  try {
    storage()?.setItem(SAVED_KEY, sessionSource());
  } catch (_) {
    // Private mode or a full quota: the session is simply not kept.
  }
}

/** Saves the session soon: many steps in a row (playing, replaying) make one save. */
function saveSoon() {
  if (saveTimer === null) saveTimer = setTimeout(saveNow, 200);
}

/** Forgets the saved session. */
export function forgetSaved() {
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
export function leaveLink() {
  if (location.hash.startsWith('#session=') || location.hash.startsWith('#open=')) window.history.replaceState(null, '', location.pathname + location.search);
}

/** The session moved on (an action, a jump): save it soon; the address no longer holds it. */
export function moved() {
  leaveLink();
  saveSoon();
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
 * Puts the session `json` in the page's URL (the hash) and copies the link
 * to the clipboard if the browser lets it.  Resolves to a JSON answer
 * whose value is {url, copied}.
 */
export async function copyLink(json) {
  try {
    const hash = await sessionHash(json);
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
export function download(name, json) {
  const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
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

/** Every operation a session may hold, by name (ipclab-session's OPS). */
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
