//! Property tests: random operation sequences against deliberately simple
//! reference models (vectors scanned linearly), checking every invariant
//! after every step.
//!
//! * `namespace_and_queues_match_the_model`: non-blocking operations; the
//!   model predicts every id (slot, sequence, growth), every errno and every
//!   message received.
//! * `blocking_conserves_messages_and_loses_no_wakeup`: several processes
//!   that park and wake; bytes sent = received + dropped by RMID + queued,
//!   and no parked thread could have been satisfied.

mod common;
use common::*;
use ipc_core::hooks::SysChan;
use ipc_core::msg::{MsgChan, MsgReply};
use proptest::prelude::*;
use std::collections::BTreeMap;

const QBYTES: u64 = 24;
const QMAX: u64 = 3;
const MSGMAX: u64 = 20;

#[derive(Debug, Clone)]
enum Op {
    Get { key: i32, creat: bool, excl: bool },
    Send { pick: usize, mtype: i64, len: usize },
    Recv { pick: usize, msgtyp: i64, msgsz: u64, noerror: bool },
    Rmid { pick: usize },
    Stat { pick: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i32..5, any::<bool>(), any::<bool>()).prop_map(|(key, creat, excl)| Op::Get { key, creat, excl }),
        (any::<usize>(), 1i64..5, 0usize..26).prop_map(|(pick, mtype, len)| Op::Send { pick, mtype, len }),
        (any::<usize>(), -5i64..5, 0u64..12, any::<bool>()).prop_map(|(pick, msgtyp, msgsz, noerror)| Op::Recv {
            pick,
            msgtyp,
            msgsz,
            noerror
        }),
        any::<usize>().prop_map(|pick| Op::Rmid { pick }),
        any::<usize>().prop_map(|pick| Op::Stat { pick }),
    ]
}

/// A queue in the model: its key and its messages in arrival order.
type ModelQueue = (i32, Vec<(i64, Vec<u8>)>);

/// The reference: a vector of slots, linear scans, and per-queue vectors.
struct Model {
    seq_bits: u32,
    max_slots: usize,
    project_limit: usize,
    slots: Vec<(u32, Option<i32>)>,
    queues: BTreeMap<i32, ModelQueue>,
}

impl Model {
    fn get(&mut self, key: i32, flag: i32) -> Result<i32, Errno> {
        if key != IPC_PRIVATE
            && let Some((&id, _)) = self.queues.iter().find(|(_, q)| q.0 == key)
        {
            if flag & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL {
                return Err(Errno::EEXIST);
            }
            return Ok(id);
        }
        if key != IPC_PRIVATE && flag & IPC_CREAT == 0 {
            return Err(Errno::ENOENT);
        }
        if self.queues.len() >= self.project_limit {
            return Err(Errno::ENOSPC);
        }
        if self.queues.len() == self.slots.len() {
            if self.slots.len() >= self.max_slots {
                return Err(Errno::ENOSPC);
            }
            let n = self.slots.len();
            self.slots.resize(n * 2, (0, None));
        }
        let index = self.slots.iter().position(|s| s.1.is_none()).unwrap();
        let id = ((self.slots[index].0 << (31 - self.seq_bits)) | index as u32) as i32;
        self.slots[index].1 = Some(id);
        self.queues.insert(id, (key, Vec::new()));
        Ok(id)
    }

    fn rmid(&mut self, id: i32) -> Result<(), Errno> {
        self.queues.remove(&id).ok_or(Errno::EINVAL)?;
        let slot = self.slots.iter_mut().find(|s| s.1 == Some(id)).unwrap();
        slot.1 = None;
        slot.0 = if slot.0 == (1 << self.seq_bits) - 1 { 0 } else { slot.0 + 1 };
        Ok(())
    }

    fn send(&mut self, id: i32, mtype: i64, data: Vec<u8>) -> Result<(), Errno> {
        let q = &mut self.queues.get_mut(&id).ok_or(Errno::EINVAL)?.1;
        if data.len() as u64 > QBYTES.min(MSGMAX) {
            return Err(Errno::EINVAL);
        }
        let bytes: usize = q.iter().map(|m| m.1.len()).sum();
        if (bytes + data.len()) as u64 > QBYTES || q.len() as u64 >= QMAX {
            return Err(Errno::EAGAIN);
        }
        q.push((mtype, data));
        Ok(())
    }

    fn recv(&mut self, id: i32, msgtyp: i64, msgsz: u64, noerror: bool) -> Result<Received, Errno> {
        let q = &mut self.queues.get_mut(&id).ok_or(Errno::EINVAL)?.1;
        let at = match msgtyp {
            0 => (!q.is_empty()).then_some(0),
            t if t > 0 => q.iter().position(|m| m.0 == t),
            t => {
                let lowest = q.iter().map(|m| m.0).filter(|&ty| ty <= -t).min();
                lowest.and_then(|l| q.iter().position(|m| m.0 == l))
            }
        }
        .ok_or(Errno::ENOMSG)?;
        if q[at].1.len() as u64 > msgsz && !noerror {
            return Err(Errno::E2BIG);
        }
        let (mtype, mut data) = q.remove(at);
        data.truncate(msgsz as usize);
        Ok(Received { mtype, data })
    }
}

fn ids_to_try(model: &Model, stale: &[i32]) -> Vec<i32> {
    let mut ids: Vec<i32> = model.queues.keys().copied().collect();
    ids.extend_from_slice(stale);
    ids.push(-1);
    ids.push(0x7fff_ffff);
    ids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn namespace_and_queues_match_the_model(
        shape in prop_oneof![Just((3u32, 2u32, 6usize)), Just((28, 2, 100)), Just((1, 1, 4))],
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let (seq_bits, ids_min, project_limit) = shape;
        let msg = MsgLimits { max_message_bytes: MSGMAX, max_queue_bytes: QBYTES, max_queue_messages: QMAX, max_queues: 128 };
        let config = Config { ids: IdSpace { seq_bits, ids_min }, msg, event_capacity: 64, ..Config::default() };
        let mut k = Kernel::new(config).unwrap();
        k.set_project_limit(1, Facility::Msg, project_limit as u32).unwrap();
        let t = user(&mut k, 100, 10);
        let mut model = Model {
            seq_bits,
            max_slots: 1 << (31 - seq_bits),
            project_limit,
            slots: vec![(0, None); ids_min as usize],
            queues: BTreeMap::new(),
        };
        let mut stale: Vec<i32> = Vec::new();
        let mut counter = 0u8;
        for op in ops {
            let ids = ids_to_try(&model, &stale);
            match op {
                Op::Get { key, creat, excl } => {
                    let flag = 0o600 | if creat { IPC_CREAT } else { 0 } | if excl { IPC_EXCL } else { 0 };
                    prop_assert_eq!(k.msgget(t, key, flag), model.get(key, flag));
                }
                Op::Send { pick, mtype, len } => {
                    let id = ids[pick % ids.len()];
                    counter = counter.wrapping_add(1);
                    let data = vec![counter; len];
                    prop_assert_eq!(send(&mut k, t, id, mtype, &data), model.send(id, mtype, data.clone()));
                }
                Op::Recv { pick, msgtyp, msgsz, noerror } => {
                    let id = ids[pick % ids.len()];
                    let flags = IPC_NOWAIT | if noerror { MSG_NOERROR } else { 0 };
                    let got = k.msgrcv(t, id, msgsz, msgtyp, flags, None);
                    prop_assert_eq!(got, Outcome::Done(model.recv(id, msgtyp, msgsz, noerror)));
                }
                Op::Rmid { pick } => {
                    let id = ids[pick % ids.len()];
                    let r = model.rmid(id);
                    if r.is_ok() { stale.push(id); }
                    prop_assert_eq!(rmid(&mut k, t, id), r);
                }
                Op::Stat { pick } => {
                    let id = ids[pick % ids.len()];
                    let got = stat(&mut k, t, id).map(|ds| (ds.qnum, ds.cbytes));
                    let want = model.queues.get(&id).map(|q| {
                        (q.1.len() as u64, q.1.iter().map(|m| m.1.len() as u64).sum::<u64>())
                    }).ok_or(Errno::EINVAL);
                    prop_assert_eq!(got, want);
                }
            }
            prop_assert_eq!(k.check(), Ok(()));
            prop_assert_eq!(k.msg_service().table().len(), model.slots.len());
            let mut want_ids: Vec<i32> = model.queues.keys().copied().collect();
            let mut got_ids = k.msgids(t).unwrap();
            want_ids.sort_unstable();
            got_ids.sort_unstable();
            prop_assert_eq!(got_ids, want_ids);
        }
    }
}

#[derive(Debug, Clone)]
enum Act {
    Send { who: usize, mtype: i64, len: usize, nowait: bool },
    Recv { who: usize, msgtyp: i64, nowait: bool },
    Interrupt { who: usize },
    Advance { ns: u64 },
    RmidAndRecreate,
    Lower { qbytes: u64 },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0usize..4, 1i64..4, 0usize..12, any::<bool>()).prop_map(|(who, mtype, len, nowait)| Act::Send { who, mtype, len, nowait }),
        4 => (0usize..4, -3i64..4, any::<bool>()).prop_map(|(who, msgtyp, nowait)| Act::Recv { who, msgtyp, nowait }),
        1 => (0usize..4).prop_map(|who| Act::Interrupt { who }),
        1 => (0u64..40).prop_map(|ns| Act::Advance { ns }),
        1 => Just(Act::RmidAndRecreate),
        1 => (8u64..24).prop_map(|qbytes| Act::Lower { qbytes }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn blocking_conserves_messages_and_loses_no_wakeup(acts in proptest::collection::vec(act(), 1..150)) {
        let msg = MsgLimits { max_message_bytes: 16, max_queue_bytes: 16, max_queue_messages: 3, max_queues: 128 };
        let mut k = Kernel::new(Config { msg, ..Config::default() }).unwrap();
        let admin = root(&mut k);
        let workers: Vec<Tid> = (0..4).map(|i| user(&mut k, 100 + i, 10)).collect();
        let mut id = k.msgget(admin, 0x51, IPC_CREAT | 0o666).unwrap();
        let (mut sent, mut received, mut dropped) = (0u64, 0u64, 0u64);
        let mut pending_send: BTreeMap<Tid, u64> = BTreeMap::new();
        for act in acts {
            match act {
                Act::Send { who, mtype, len, nowait } => {
                    let t = workers[who];
                    let flags = if nowait { IPC_NOWAIT } else { 0 };
                    match k.msgsnd(t, id, mtype, &vec![1; len], flags, Some(25)) {
                        Outcome::Done(Ok(())) => sent += len as u64,
                        Outcome::Blocked(_) => { pending_send.insert(t, len as u64); }
                        Outcome::Done(Err(e)) => prop_assert!(matches!(e, Errno::EAGAIN | Errno::EBUSY | Errno::EINVAL), "{e}"),
                    }
                }
                Act::Recv { who, msgtyp, nowait } => {
                    let t = workers[who];
                    let flags = if nowait { IPC_NOWAIT } else { 0 };
                    match k.msgrcv(t, id, 64, msgtyp, flags, Some(30)) {
                        Outcome::Done(Ok(m)) => received += m.data.len() as u64,
                        Outcome::Blocked(_) => {}
                        Outcome::Done(Err(e)) => prop_assert!(matches!(e, Errno::ENOMSG | Errno::EBUSY), "{e}"),
                    }
                }
                Act::Interrupt { who } => { k.interrupt(workers[who]).unwrap(); }
                Act::Advance { ns } => { k.advance(ns); }
                Act::RmidAndRecreate => {
                    dropped += stat(&mut k, admin, id).unwrap().cbytes;
                    rmid(&mut k, admin, id).unwrap();
                    id = k.msgget(admin, 0x51, IPC_CREAT | 0o666).unwrap();
                }
                Act::Lower { qbytes } => {
                    // Only ever lower: illumos' IPC_SET wakes no sender, so a
                    // raise may leave a sender parked that would now fit
                    // (see msg.rs: raising_qbytes_does_not_wake_parked_senders).
                    let qbytes = qbytes.min(stat(&mut k, admin, id).unwrap().qbytes);
                    k.msgctl(admin, id, IPC_SET, Some(MsqSet { uid: 0, gid: 0, mode: 0o666, qbytes })).unwrap();
                }
            }
            // Collect every completed parked call.
            for &t in &workers {
                if let Ok(done) = k.take_result(t) {
                    match (done.call(), done.result) {
                        ("msgsnd", Ok(_)) => sent += pending_send.remove(&t).unwrap(),
                        ("msgsnd", Err(_)) => { pending_send.remove(&t); }
                        ("msgrcv", Ok(Reply::Msg(MsgReply::Received(m)))) => received += m.data.len() as u64,
                        (_, r) => prop_assert!(r.is_err(), "unexpected completion {r:?}"),
                    }
                }
            }
            prop_assert_eq!(k.check(), Ok(()));
            let ds = stat(&mut k, admin, id).unwrap();
            prop_assert_eq!(sent, received + dropped + ds.cbytes, "bytes are conserved");
            // No lost wake-up: nobody parked could proceed now.
            let queue = &k.msg_queue_views()[0];
            for &t in &workers {
                let Some(w) = k.wait_of(t) else { continue };
                let SysChan::Msg(chan) = &w.chan else { continue };
                match chan {
                    MsgChan::Recv { msgtyp, .. } => {
                        let satisfiable = queue.messages.iter().any(|m| match *msgtyp {
                            0 => true,
                            ty if ty > 0 => m.mtype == ty,
                            ty => m.mtype <= -ty,
                        });
                        prop_assert!(!satisfiable, "tid {t} waits for type {msgtyp} but one is queued");
                    }
                    MsgChan::Send { size, .. } => {
                        let fits = queue.cbytes + size <= queue.qbytes && queue.qnum < queue.qmax;
                        prop_assert!(!fits, "tid {t} waits to send {size} bytes but they fit");
                    }
                }
            }
        }
    }
}
