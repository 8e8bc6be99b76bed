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
/** kernel snapshots taken before each action, newest last */
const history = [];
const HISTORY_MAX = 200;

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

/** Runs `f`; success, failure with an errno, or a bridge-level error, as a JSON string. */
function call(f) {
  try {
    return JSON.stringify({ ok: true, ...f() });
  } catch (e) {
    if (e && e.payload !== undefined) return JSON.stringify({ ok: false, errno: String(e.payload) });
    return JSON.stringify({ ok: false, errno: 'bridge', message: String(e && e.message ? e.message : e) });
  }
}

/** Like `call`, but first remembers the kernel state for Step back. */
function action(f) {
  if (kernel) {
    history.push(kernel.snapshot());
    if (history.length > HISTORY_MAX) history.shift();
  }
  return call(f);
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
    kernel = system.Kernel.create(playgroundConfig());
    return JSON.stringify({ ok: true });
  } catch (e) {
    const message = e && e.payload !== undefined ? `kernel creation failed: ${e.payload}` : String(e && e.stack ? e.stack : e);
    return JSON.stringify({ ok: false, errno: 'bridge', message });
  }
}

/** Spawns a process with one thread; groups is a comma-separated list. */
export function spawn(uid, gid, groups, privileged) {
  return action(() => {
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
  return action(() => ({ value: adopt(process(pid).fork()) }));
}

export function threadCreate(pid) {
  return action(() => {
    const t = process(pid).threadCreate();
    threads.set(t.tid(), t);
    return { value: { pid, tid: t.tid() } };
  });
}

export function exit(pid) {
  return action(() => {
    process(pid).exit();
    return { value: null };
  });
}

export function msgget(tid, key, flags) {
  return action(() => ({ value: msg.msgget(thread(tid), key | 0, flags | 0) }));
}

/** timeoutNs < 0 means none; mtype is passed as a decimal string (s64). */
export function msgsnd(tid, msqid, mtype, data, flags, timeoutNs) {
  return action(() => {
    const bytes = new TextEncoder().encode(data);
    const out = msg.msgsnd(thread(tid), msqid | 0, BigInt(mtype), bytes, flags | 0, timeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
  });
}

export function msgrcv(tid, msqid, msgsz, msgtyp, flags, timeoutNs) {
  return action(() => {
    const out = msg.msgrcv(thread(tid), msqid | 0, BigInt(msgsz), BigInt(msgtyp), flags | 0, timeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: received(out.val) };
  });
}

export function msgctlStat(tid, msqid) {
  return action(() => ({ value: plain(msg.msgctlStat(thread(tid), msqid | 0)) }));
}

export function msgctlSet(tid, msqid, uid, gid, mode, qbytes) {
  return action(() => {
    msg.msgctlSet(thread(tid), msqid | 0, { uid, gid, mode, qbytes: BigInt(qbytes) });
    return { value: null };
  });
}

export function msgctlRmid(tid, msqid) {
  return action(() => {
    msg.msgctlRmid(thread(tid), msqid | 0);
    return { value: null };
  });
}

export function semget(tid, key, nsems, flags) {
  return action(() => ({ value: sem.semget(thread(tid), key | 0, nsems | 0, flags | 0) }));
}

/** sops: a JSON array of [sem_num, sem_op, sem_flg]; timeoutNs < 0 means none (semop), else semtimedop. */
export function semop(tid, semid, sops, timeoutNs) {
  return action(() => {
    const list = JSON.parse(sops).map(([semNum, semOp, semFlg]) => ({ semNum, semOp, semFlg }));
    const out = sem.semop(thread(tid), semid | 0, list, timeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: null };
  });
}

export function semctlSetval(tid, semid, semnum, val) {
  return action(() => {
    sem.semctlSetval(thread(tid), semid | 0, semnum >>> 0, val | 0);
    return { value: null };
  });
}

export function semctlGetall(tid, semid) {
  return action(() => ({ value: Array.from(sem.semctlGetall(thread(tid), semid | 0)) }));
}

export function semctlStat(tid, semid) {
  return action(() => ({ value: plain(sem.semctlStat(thread(tid), semid | 0)) }));
}

export function semctlRmid(tid, semid) {
  return action(() => {
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
  return action(() => ({
    value: psem.semOpen(thread(tid), String(name), { creat: !!creat, excl: !!excl }, mode >>> 0, value >>> 0),
  }));
}

export function semInit(tid, value, pshared) {
  return action(() => ({ value: psem.semInit(thread(tid), value >>> 0, !!pshared) }));
}

export function semClose(tid, id) {
  return action(() => {
    psem.semClose(thread(tid), id >>> 0);
    return { value: null };
  });
}

export function semUnlink(tid, name) {
  return action(() => {
    psem.semUnlink(thread(tid), String(name));
    return { value: null };
  });
}

export function semDestroy(tid, id) {
  return action(() => {
    psem.semDestroy(thread(tid), id >>> 0);
    return { value: null };
  });
}

export function semPost(tid, id) {
  return action(() => {
    psem.semPost(thread(tid), id >>> 0);
    return { value: null };
  });
}

export function semWait(tid, id) {
  return action(() => waited(psem.semWait(thread(tid), id >>> 0)));
}

export function semTrywait(tid, id) {
  return action(() => {
    psem.semTrywait(thread(tid), id >>> 0);
    return { value: null };
  });
}

/** abstime on the logical clock; sec and nsec are decimal strings (s64). */
export function semTimedwait(tid, id, sec, nsec) {
  return action(() => waited(psem.semTimedwait(thread(tid), id >>> 0, { sec: BigInt(sec), nsec: BigInt(nsec) })));
}

export function semGetvalue(tid, id) {
  return action(() => ({ value: psem.semGetvalue(thread(tid), id >>> 0) }));
}

/** shmget: size is a decimal string (u64). */
export function shmget(tid, key, size, flags) {
  return action(() => ({ value: shm.shmget(thread(tid), key | 0, BigInt(size), flags | 0) }));
}

/** shmat: addr is a decimal string (u64; 0 lets the kernel choose); the value is the address attached. */
export function shmat(tid, shmid, addr, flags) {
  return action(() => ({ value: Number(shm.shmat(thread(tid), shmid | 0, BigInt(addr), flags | 0)) }));
}

export function shmdt(tid, addr) {
  return action(() => {
    shm.shmdt(thread(tid), BigInt(addr));
    return { value: null };
  });
}

export function shmctlStat(tid, shmid) {
  return action(() => ({ value: plain(shm.shmctlStat(thread(tid), shmid | 0)) }));
}

export function shmctlSet(tid, shmid, uid, gid, mode) {
  return action(() => {
    shm.shmctlSet(thread(tid), shmid | 0, { uid: uid >>> 0, gid: gid >>> 0, mode: mode >>> 0 });
    return { value: null };
  });
}

export function shmctlRmid(tid, shmid) {
  return action(() => {
    shm.shmctlRmid(thread(tid), shmid | 0);
    return { value: null };
  });
}

/** SHM_LOCK (lock true) or SHM_UNLOCK (lock false). */
export function shmctlLock(tid, shmid, lock) {
  return action(() => {
    shm.shmctlLock(thread(tid), shmid | 0, !!lock);
    return { value: null };
  });
}

/** A load of len bytes at addr (decimal strings): the bytes, as an array of numbers. */
export function shmRead(tid, addr, len) {
  return action(() => ({ value: Array.from(shm.read(thread(tid), BigInt(addr), BigInt(len))) }));
}

/** A store of the text's UTF-8 bytes at addr (a decimal string). */
export function shmWrite(tid, addr, data) {
  return action(() => {
    shm.write(thread(tid), BigInt(addr), new TextEncoder().encode(data));
    return { value: null };
  });
}

/** A tunable: name is shmmax, shmmaxpgs (u64) or shmmni, shmseg (u32); value a decimal string. */
export function setTunable(tid, name, value) {
  return action(() => {
    const wide = name === 'shmmax' || name === 'shmmaxpgs';
    const val = wide ? BigInt(value) : Number(value);
    shm.setTunable(thread(tid), { tag: String(name), val });
    return { value: null };
  });
}

/** pipe(): {read, write}, the two fds. */
export function pipe(tid) {
  return action(() => {
    const [read, write] = fd.pipe(thread(tid));
    return { value: { read, write } };
  });
}

/** read(fd, len, nonblock): the bytes (empty: end of file), or parked. */
export function fdRead(tid, f, len, nonblock) {
  return action(() => {
    const out = fd.read(thread(tid), f | 0, len >>> 0, !!nonblock);
    return out.tag === 'blocked' ? { blocked: out.val } : { value: Array.from(out.val) };
  });
}

/** write(fd, the text's UTF-8 bytes, nonblock): how many bytes, or parked. */
export function fdWrite(tid, f, data, nonblock) {
  return action(() => {
    const out = fd.write(thread(tid), f | 0, new TextEncoder().encode(data), !!nonblock);
    return out.tag === 'blocked' ? { blocked: out.val } : { value: Number(out.val) };
  });
}

export function fdClose(tid, f) {
  return action(() => {
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
  return action(() => ({ value: port.portCreate(thread(tid)) }));
}

/** user is a decimal string (u64). */
export function portSend(tid, p, events, user) {
  return action(() => {
    port.portSend(thread(tid), p | 0, events | 0, BigInt(user));
    return { value: null };
  });
}

/** ports: a JSON array of port fds; the value is {sent, errors}. */
export function portSendn(tid, ports, events, user) {
  return action(() => {
    const list = Int32Array.from(JSON.parse(ports));
    return { value: plain(port.portSendn(thread(tid), list, events | 0, BigInt(user))) };
  });
}

export function portAlert(tid, p, flags, events, user) {
  return action(() => {
    port.portAlert(thread(tid), p | 0, flags | 0, events | 0, BigInt(user));
    return { value: null };
  });
}

/** object and user are decimal strings (u64). */
export function portAssociate(tid, p, source, object, events, user) {
  return action(() => {
    port.portAssociate(thread(tid), p | 0, source & 0xffff, BigInt(object), events & 0xffff, BigInt(user));
    return { value: null };
  });
}

export function portDissociate(tid, p, source, object) {
  return action(() => {
    port.portDissociate(thread(tid), p | 0, source & 0xffff, BigInt(object));
    return { value: null };
  });
}

/** port_getn: {tag:'got', val:{events, etime}} or {tag:'pending', val:n}, or parked. */
export function portGetn(tid, p, max, nget, timeoutNs) {
  return action(() => {
    const out = port.portGetn(thread(tid), p | 0, max >>> 0, nget >>> 0, portTimeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: plain(out) };
  });
}

/** port_get: {tag:'event', val} or {tag:'none'}, or parked. */
export function portGet(tid, p, timeoutNs) {
  return action(() => {
    const out = port.portGet(thread(tid), p | 0, portTimeout(timeoutNs));
    return out.tag === 'blocked' ? { blocked: out.val } : { value: plain(out) };
  });
}

/** The completed result of a parked call: {call, ok, errno?, value?}. */
export function takeResult(tid) {
  return action(() => {
    const c = thread(tid).takeResult();
    const r = c.result;
    // jco lifts result<reply, errno> inside a record as {tag:'ok'|'err', val}.
    if (r && r.tag === 'err') return { value: { call: c.call, ok: false, errno: String(r.val) } };
    const value = r && r.tag === 'ok' ? r.val : r;
    return { value: { call: c.call, ok: true, reply: reply(value) } };
  });
}

export function interrupt(tid) {
  return action(() => ({ value: thread(tid).interrupt() }));
}

export function advance(ns) {
  return action(() => ({ value: Number(kernel.advance(BigInt(ns))) }));
}

/** Everything the views show, in one JSON object. */
export function state(cursor) {
  return call(() => {
    const [events, next] = kernel.events(BigInt(cursor || 0));
    return {
      value: {
        now: Number(kernel.now()),
        namespace: plain(inspect.namespace(kernel, 'msg')),
        semNamespace: plain(inspect.namespace(kernel, 'sem')),
        queues: plain(inspect.msgQueues(kernel)),
        semSets: plain(inspect.semSets(kernel)),
        psem: plain(inspect.psem(kernel)),
        shm: plain(inspect.shm(kernel)),
        shmNamespace: plain(inspect.namespace(kernel, 'shm')),
        ports: plain(inspect.ports(kernel)),
        pipes: plain(inspect.pipes(kernel)),
        fdTables: plain(inspect.fdTables(kernel)),
        processes: plain(inspect.processes(kernel)),
        events: plain(events),
        cursor: Number(next),
        history: history.length,
      },
    };
  });
}

export function snapshot() {
  return call(() => ({ value: kernel.snapshot() }));
}

export function restore(json) {
  return action(() => {
    kernel.restore(json);
    return { value: null };
  });
}

/** Restores the state from before the last action. */
export function stepBack() {
  return call(() => {
    const snap = history.pop();
    if (snap === undefined) throw new Error('nothing to step back to');
    kernel.restore(snap);
    return { value: history.length };
  });
}

/**
 * Downloads the kernel's whole state (`kernel.snapshot`) as
 * ipclab-snapshot.json, which `ipclab ipcs FILE` prints from the command line.
 */
export function saveState() {
  return call(() => {
    const json = kernel.snapshot();
    const url = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'ipclab-snapshot.json';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return { value: json.length };
  });
}

/** Forgets every snapshot: Step back cannot go before this point. */
export function forgetHistory() {
  history.length = 0;
}
