//! System V shared memory: named behaviour tests in sysv_shm.c's terms, and
//! a property test against a simple reference model (segments as byte
//! vectors, attach maps as sorted ranges).

mod common;

use common::*;
use ipc_core::shm::{
    PAGE_SIZE, SHM_LOCK, SHM_RDONLY, SHM_RMLINGER, SHM_RND, SHM_UNLOCK, SHM_VA_BASE, ShmLimits, ShmSetPerm, ShmSysctl,
    ShmctlReply,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const BASE: u64 = SHM_VA_BASE;

fn shm_kernel(limits: ShmLimits) -> Kernel {
    Kernel::new(Config { shm: limits, ..Config::default() }).unwrap()
}

fn seg(k: &mut Kernel, t: Tid, size: u64) -> i32 {
    k.shmget(t, IPC_PRIVATE, size, IPC_CREAT | 0o600).unwrap()
}

#[test]
fn shmget_checks_in_the_seeds_order() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    assert_eq!(k.shmget(t, 0x10, 100, 0), Err(Errno::ENOENT));
    assert_eq!(k.shmget(t, 0x10, 0, IPC_CREAT | 0o600), Err(Errno::EINVAL), "below shmmin");
    assert_eq!(k.shmget(t, 0x10, 8 * 1024 * 1024 + 1, IPC_CREAT | 0o600), Err(Errno::EINVAL), "above shmmax");
    let id = k.shmget(t, 0x10, 100, IPC_CREAT | 0o640).unwrap();
    let ds = k.shmctl_stat(t, id).unwrap();
    assert_eq!((ds.segsz, ds.nattch, ds.cpid, ds.lpid), (100, 0, pid_of(&k, t), 0), "segsz as asked");
    assert_eq!(k.shmget(t, 0x10, 100, IPC_CREAT | IPC_EXCL | 0o600), Err(Errno::EEXIST));
    assert_eq!(k.shmget(other, 0x10, 100, 0o606), Err(Errno::EACCES), "asked bits not in the mode");
    assert_eq!(k.shmget(t, 0x10, 101, 0), Err(Errno::EINVAL), "larger than the segment");
    assert_eq!(k.shmget(t, 0x10, 0, 0), Ok(id), "0 takes any size");
    assert_eq!(k.shmget(t, 0x10, 4096, 0), Err(Errno::EINVAL), "segsz is 100, not the page it occupies");
    // IPC_PRIVATE creates without IPC_CREAT.
    let p = k.shmget(t, IPC_PRIVATE, 1, 0o600).unwrap();
    assert_ne!(p, id);
    assert_eq!(k.shmget(t, 0x11, 1, IPC_CREAT | 0o4000), Err(Errno::EINVAL), "unknown flag bits");
    assert_eq!(k.facilities().shm().committed(), 2);
    k.check().unwrap();
}

#[test]
fn limits_enospc_enomem_and_sysctl() {
    let mut k = shm_kernel(ShmLimits { shmmax: 4 * PAGE_SIZE, shmmin: 1, shmmni: 2, shmseg: 1, shmall: 5 });
    let t = user(&mut k, 100, 10);
    let su = root(&mut k);
    let a = seg(&mut k, t, 4 * PAGE_SIZE);
    assert_eq!(k.shmget(t, IPC_PRIVATE, 2 * PAGE_SIZE, IPC_CREAT | 0o600), Err(Errno::ENOMEM), "5 pages of shmall");
    seg(&mut k, t, PAGE_SIZE);
    assert_eq!(k.shmget(t, IPC_PRIVATE, 1, IPC_CREAT | 0o600), Err(Errno::ENOSPC), "shmmni");
    assert_eq!(k.shmget(t, IPC_PRIVATE, 0, IPC_CREAT | 0o600), Err(Errno::EINVAL), "size before shmmni");
    k.shmat(t, a, 0, 0).unwrap();
    let b = k.shmget(t, IPC_PRIVATE, 1, 0).err();
    assert_eq!(b, Some(Errno::ENOSPC));
    assert_eq!(k.shmat(t, a, 0, 0), Err(Errno::EMFILE), "shmseg is 1");
    // The tunables, as the sysctl handlers take them.
    assert_eq!(k.shm_sysctl(t, ShmSysctl::Shmseg(4)), Err(Errno::EPERM));
    k.shm_sysctl(su, ShmSysctl::Shmseg(4)).unwrap();
    assert!(k.shmat(t, a, 0, 0).is_ok());
    assert_eq!(k.shm_sysctl(su, ShmSysctl::Shmmni(1)), Err(Errno::EBUSY), "slot 1 is in use");
    assert_eq!(k.shm_sysctl(su, ShmSysctl::Shmmni(0)), Err(Errno::EINVAL));
    k.shm_sysctl(su, ShmSysctl::Shmmni(3)).unwrap();
    assert_eq!(k.shm_sysctl(su, ShmSysctl::Shmmax(100)), Err(Errno::EINVAL), "below a page");
    k.shm_sysctl(su, ShmSysctl::Shmmax(3 * PAGE_SIZE + 1)).unwrap();
    assert_eq!((k.facilities().shm().limits().shmmax, k.facilities().shm().limits().shmall), (4 * PAGE_SIZE, 4));
    k.shm_sysctl(su, ShmSysctl::Shmmaxpgs(9)).unwrap();
    assert_eq!(k.facilities().shm().limits().shmmax, 9 * PAGE_SIZE);
    assert_eq!(k.shm_sysctl(su, ShmSysctl::Shmmaxpgs(0)), Err(Errno::EINVAL));
    k.check().unwrap();
}

#[test]
fn two_processes_share_bytes() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = seg(&mut k, a, 10_000);
    let va = k.shmat(a, id, 0, 0).unwrap();
    assert_eq!(va, BASE, "address 0: the lowest free range from the base");
    let vb = k.shmat(b, id, 0, 0).unwrap();
    assert_eq!(vb, BASE, "each process has its own address space");
    k.shm_write(a, va + 4094, b"hello").unwrap();
    assert_eq!(k.shm_read(b, vb + 4094, 5).unwrap(), b"hello", "across a page boundary, seen by the other");
    assert_eq!(k.shm_read(b, vb + 12_287, 1).unwrap(), vec![0], "the page-rounded tail reads as zero");
    assert_eq!(k.shm_read(b, vb + 12_288, 1), Err(Errno::EFAULT), "past the 3 pages");
    assert_eq!(k.shm_read(b, vb - 1, 2), Err(Errno::EFAULT));
    let ds = k.shmctl_stat(a, id).unwrap();
    assert_eq!((ds.nattch, ds.lpid), (2, pid_of(&k, b)));
    // A second segment goes right after the first in the same process.
    let id2 = seg(&mut k, a, 1);
    assert_eq!(k.shmat(a, id2, 0, 0), Ok(BASE + 3 * PAGE_SIZE));
    // An access may run across adjacent attachments.
    k.shm_write(a, BASE + 3 * PAGE_SIZE - 2, b"abcd").unwrap();
    assert_eq!(k.shm_read(a, BASE + 3 * PAGE_SIZE - 2, 4).unwrap(), b"abcd");
    assert_eq!(k.shm_read(b, vb + 3 * PAGE_SIZE - 2, 2).unwrap(), b"ab");
    assert_eq!(k.shm_read(a, 0, 1 << 21), Err(Errno::EINVAL), "more than one access moves");
    // Detach: the address is gone; the bytes stay in the segment.
    k.shmdt(a, va).unwrap();
    assert_eq!(k.shm_read(a, va, 1), Err(Errno::EFAULT));
    assert_eq!(k.shmdt(a, va), Err(Errno::EINVAL));
    assert_eq!(k.shmdt(b, vb + 1), Err(Errno::EINVAL), "not the attach address");
    assert_eq!(k.shm_read(b, vb + 4094, 5).unwrap(), b"hello");
    let ds = k.shmctl_stat(a, id).unwrap();
    assert_eq!((ds.nattch, ds.lpid), (1, pid_of(&k, b)), "shmdt does not set lpid (the seed)");
    k.check().unwrap();
}

#[test]
fn addresses_rnd_alignment_overlap_and_read_only() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let r = user(&mut k, 200, 20);
    let id = seg(&mut k, t, 2 * PAGE_SIZE);
    k.shmctl_set(t, id, ShmSetPerm { uid: 100, gid: 10, mode: 0o644 }).unwrap();
    assert_eq!(k.shmat(t, id, 0x2000_0001, 0), Err(Errno::EINVAL), "unaligned without SHM_RND");
    assert_eq!(k.shmat(t, id, 0x2000_0fff, SHM_RND), Ok(0x2000_0000));
    assert_eq!(k.shmat(t, id, 0x2000_1000, 0), Err(Errno::ENOMEM), "overlaps the first attachment");
    assert_eq!(k.shmat(t, id, 0x2000_2000, 0), Ok(0x2000_2000), "adjacent is fine");
    assert_eq!(k.shmat(t, id, 0x800, SHM_RND), Err(Errno::ENOMEM), "rounds to page 0, below the address space");
    assert_eq!(k.shmat(t, id, (1 << 47) - PAGE_SIZE, 0), Err(Errno::ENOMEM), "runs past the address space");
    assert_eq!(k.shmat(t, id, 0, 0o1), Err(Errno::EINVAL), "unknown flags");
    // Read-only: needs read; a store faults with EACCES, a load works.
    assert_eq!(k.shmat(r, id, 0, 0), Err(Errno::EACCES), "read+write needs write permission");
    let va = k.shmat(r, id, 0, SHM_RDONLY).unwrap();
    k.shm_write(t, 0x2000_0000, b"x").unwrap();
    assert_eq!(k.shm_read(r, va, 1).unwrap(), b"x");
    assert_eq!(k.shm_write(r, va, b"y"), Err(Errno::EACCES));
    assert!(last_steps(&k)[0].contains("read-only"), "{:?}", last_steps(&k));
    assert_eq!(k.shm_read(t, 0x2000_0000, 1).unwrap(), b"x", "nothing was stored");
    k.check().unwrap();
}

#[test]
fn rmid_while_attached_defers_destruction() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = k.shmget(a, 0x77, 5000, IPC_CREAT | 0o600).unwrap();
    let va = k.shmat(a, id, 0, 0).unwrap();
    let vb = k.shmat(b, id, 0, 0).unwrap();
    k.shm_write(a, va, b"kept").unwrap();
    k.shmctl_rmid(a, id).unwrap();
    assert!(last_steps(&k).iter().any(|s| s.contains("removed but still attached 2 time(s)")));
    let view = k.shm_view();
    let s = &view.segments[0];
    assert_eq!((s.removed, s.perm.key, s.nattch), (true, IPC_PRIVATE, 2), "removed, key IPC_PRIVATE, attached by 2");
    assert_eq!(k.shmget(a, 0x77, 0, 0), Err(Errno::ENOENT), "the key is gone");
    assert_eq!(k.shmat(a, id, 0, 0), Err(Errno::EINVAL), "a removed segment is not found by id");
    assert_eq!(k.shmctl_stat(a, id), Err(Errno::EINVAL));
    assert_eq!(k.shm_read(b, vb, 4).unwrap(), b"kept", "the memory lives on while attached");
    assert_eq!(k.facilities().shm().nused(), 1);
    k.shmdt(a, va).unwrap();
    assert_eq!(k.facilities().shm().committed(), 2);
    k.shmdt(b, vb).unwrap();
    assert!(last_steps(&k).iter().any(|s| s.contains("freed")), "{:?}", last_steps(&k));
    assert!(k.shm_view().segments.is_empty());
    assert_eq!((k.facilities().shm().nused(), k.facilities().shm().committed()), (0, 0));
    k.check().unwrap();
}

#[test]
fn rmlinger_keeps_a_removed_segment_attachable_by_id() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.shmget(t, IPC_PRIVATE, 1, IPC_CREAT | SHM_RMLINGER | 0o600).unwrap();
    let va = k.shmat(t, id, 0, 0).unwrap();
    k.shmctl_rmid(t, id).unwrap();
    let ds = k.shmctl_stat(t, id).unwrap();
    assert!(ds.removed && ds.rmlinger);
    let va2 = k.shmat(t, id, 0, 0).unwrap();
    assert_eq!(k.shmctl_stat(t, id).unwrap().nattch, 2);
    k.shmctl_rmid(t, id).unwrap();
    k.shmdt(t, va).unwrap();
    k.shmdt(t, va2).unwrap();
    assert_eq!(k.shmat(t, id, 0, 0), Err(Errno::EINVAL), "freed at the last detach");
    // Without attachments RMID frees at once, RMLINGER or not.
    let id = k.shmget(t, IPC_PRIVATE, 1, IPC_CREAT | SHM_RMLINGER | 0o600).unwrap();
    k.shmctl_rmid(t, id).unwrap();
    assert_eq!(k.shmctl_stat(t, id), Err(Errno::EINVAL));
    k.check().unwrap();
}

#[test]
fn fork_inherits_exec_and_exit_detach() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = seg(&mut k, t, 100);
    let va = k.shmat(t, id, 0, 0).unwrap();
    let (c, ct) = k.fork(p).unwrap();
    assert_eq!(k.shmctl_stat(t, id).unwrap().nattch, 2);
    assert_eq!(k.facilities().shm().map_of(c)[0].va, va, "same address in the child");
    k.shm_write(ct, va, b"child").unwrap();
    assert_eq!(k.shm_read(t, va, 5).unwrap(), b"child");
    k.shmctl_rmid(t, id).unwrap();
    k.exec(c).unwrap();
    assert!(k.facilities().shm().map_of(c).is_empty());
    assert_eq!(k.shm_read(ct, va, 1), Err(Errno::EFAULT), "exec detached everything");
    assert_eq!(k.shm_view().segments.len(), 1, "the parent still holds the removed segment");
    k.exit(p).unwrap();
    assert!(k.shm_view().segments.is_empty(), "exit detached the last attachment: freed");
    k.check().unwrap();
}

#[test]
fn shmctl_commands_and_their_errnos() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let other = user(&mut k, 200, 20);
    let su = root(&mut k);
    let id = seg(&mut k, t, 100);
    assert_eq!(k.shmctl(t, id, IPC_SET, None), Err(Errno::EFAULT));
    assert_eq!(k.shmctl(t, id + 1, IPC_SET, None), Err(Errno::EFAULT), "before the lookup");
    assert_eq!(k.shmctl(t, id, 99, None), Err(Errno::EINVAL));
    assert_eq!(k.shmctl(t, id + 1, 99, None), Err(Errno::EINVAL));
    assert_eq!(k.shmctl_stat(other, id), Err(Errno::EACCES));
    assert_eq!(k.shmctl_rmid(other, id), Err(Errno::EPERM));
    assert_eq!(k.shmctl_set(other, id, ShmSetPerm { uid: 200, gid: 20, mode: 0o666 }), Err(Errno::EPERM));
    k.advance(5);
    k.shmctl_set(t, id, ShmSetPerm { uid: 200, gid: 20, mode: 0o1666 }).unwrap();
    let ds = k.shmctl_stat(other, id).unwrap();
    assert_eq!((ds.perm.uid, ds.perm.mode & 0o7777, ds.ctime), (200, 0o666, 5));
    assert_eq!(k.shmctl(t, id, SHM_LOCK, None), Err(Errno::EPERM), "unprivileged");
    assert_eq!(k.shmctl(su, id, SHM_LOCK, None), Ok(ShmctlReply::Done));
    assert!(!k.shmctl_stat(t, id).unwrap().locked, "root has it not attached: shm_memlock does nothing");
    k.shmat(su, id, 0, 0).unwrap();
    k.shmctl(su, id, SHM_LOCK, None).unwrap();
    assert!(k.shmctl_stat(t, id).unwrap().locked);
    k.shmctl(su, id, SHM_UNLOCK, None).unwrap();
    assert!(!k.shmctl_stat(t, id).unwrap().locked);
    assert_eq!(k.shmids(t), Ok(vec![id]));
    k.check().unwrap();
}

#[test]
fn zone_removal_removes_segments_as_rmid() {
    let mut k = kernel();
    let (zp, zt) = k.spawn(Credentials::user(100, 10), 5, 1).unwrap();
    let a = seg(&mut k, zt, 1);
    let b = k.shmget(zt, 0x55, 1, IPC_CREAT | 0o666).unwrap();
    k.shmat(zt, a, 0, 0).unwrap();
    let global = root(&mut k);
    let vb = k.shmat(global, b, 0, 0).unwrap();
    assert_eq!(k.zone_remove(5), Err(Errno::EBUSY), "a process still runs in the zone");
    k.exit(zp).unwrap();
    assert_eq!(k.zone_remove(5), Ok(2));
    let view = k.shm_view();
    assert_eq!(view.segments.len(), 1, "the one the global zone still has attached lives on, removed");
    assert!(view.segments[0].removed && view.segments[0].id == b);
    k.shmdt(global, vb).unwrap();
    assert!(k.shm_view().segments.is_empty());
    k.check().unwrap();
}

#[test]
fn tampered_snapshots_are_refused() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = seg(&mut k, t, 100);
    k.shmat(t, id, 0, 0).unwrap();
    k.shm_write(t, BASE, b"x").unwrap();
    let json = serde_json::to_value(&k).unwrap();
    assert_eq!(serde_json::from_value::<Kernel>(json.clone()).unwrap().check(), Ok(()));
    let body = "/fac/shm/svc/objects/cells/0/body";
    for (path, value) in [
        (format!("{body}/nattch"), serde_json::json!(2)),
        (format!("{body}/pages"), serde_json::json!(7)),
        (format!("{body}/removed"), serde_json::json!(true)),
        ("/fac/shm/committed".to_string(), serde_json::json!(9)),
        ("/fac/shm/nused".to_string(), serde_json::json!(0)),
        (format!("/fac/shm/maps/{p}/0/va"), serde_json::json!(4097)),
        (format!("{body}/mem/pages/0"), serde_json::json!([1, 2, 3])),
    ] {
        let mut j = json.clone();
        *j.pointer_mut(&path).unwrap_or_else(|| panic!("no {path} in the snapshot")) = value.clone();
        let tampered: Kernel = serde_json::from_value(j).unwrap();
        assert!(tampered.check().is_err(), "tampering {path} = {value} went unnoticed");
    }
}

// ----- the property test -----

/// The reference: each segment's bytes, whether removed, and each worker's
/// attachments as (address, length, segment, read-only), sorted.
#[derive(Default)]
struct Model {
    segs: BTreeMap<i32, (Vec<u8>, bool)>,
    maps: Vec<Vec<(u64, u64, i32, bool)>>,
}

impl Model {
    fn nattch(&self, id: i32) -> u32 {
        self.maps.iter().flatten().filter(|a| a.2 == id).count() as u32
    }

    fn settle(&mut self, id: i32) {
        if self.segs.get(&id).is_some_and(|s| s.1) && self.nattch(id) == 0 {
            self.segs.remove(&id);
        }
    }

    fn lowest_free(&self, who: usize, len: u64) -> u64 {
        let mut va = BASE;
        for &(a, l, _, _) in &self.maps[who] {
            if a < va + len && va < a + l {
                va = a + l;
            }
        }
        va
    }

    fn locate(&self, who: usize, addr: u64, len: u64) -> Option<Vec<(i32, u64, u64, bool)>> {
        let mut out = Vec::new();
        let mut at = addr;
        while at < addr + len {
            let &(a, l, id, ro) = self.maps[who].iter().find(|m| m.0 <= at && at < m.0 + m.1)?;
            let n = (a + l - at).min(addr + len - at);
            out.push((id, at - a, n, ro));
            at += n;
        }
        Some(out)
    }
}

#[derive(Debug, Clone)]
enum Act {
    Get { who: usize, pages: u64 },
    At { who: usize, pick: usize, fixed: Option<u64>, rdonly: bool },
    Dt { who: usize, pick: usize },
    Rmid { pick: usize },
    Write { who: usize, pick: usize, offset: u64, data: Vec<u8> },
    Read { who: usize, pick: usize, offset: u64, len: u64 },
    Fork { who: usize, into: usize },
    Exit { who: usize },
}

fn act() -> impl Strategy<Value = Act> {
    let who = 0usize..3;
    prop_oneof![
        2 => (who.clone(), 1u64..3).prop_map(|(who, pages)| Act::Get { who, pages }),
        4 => (who.clone(), 0usize..4, proptest::option::of(0u64..8), any::<bool>())
            .prop_map(|(who, pick, fixed, rdonly)| Act::At { who, pick, fixed: fixed.map(|p| BASE + p * PAGE_SIZE), rdonly }),
        2 => (who.clone(), 0usize..4).prop_map(|(who, pick)| Act::Dt { who, pick }),
        1 => (0usize..4).prop_map(|pick| Act::Rmid { pick }),
        4 => (who.clone(), 0usize..4, 0u64..9000, proptest::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(who, pick, offset, data)| Act::Write { who, pick, offset, data }),
        4 => (who.clone(), 0usize..4, 0u64..9000, 1u64..6)
            .prop_map(|(who, pick, offset, len)| Act::Read { who, pick, offset, len }),
        1 => (who.clone(), who.clone()).prop_map(|(who, into)| Act::Fork { who, into }),
        1 => who.prop_map(|who| Act::Exit { who }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    /// Results, bytes, nattch, removal and every attach map agree with the
    /// model after every step; check() holds throughout.
    #[test]
    fn shared_memory_matches_the_model(acts in proptest::collection::vec(act(), 1..60)) {
        let mut k = kernel();
        let mut w: Vec<(Pid, Tid)> = (0..3).map(|_| k.spawn(Credentials::user(100, 10), 0, 1).unwrap()).collect();
        let mut m = Model { maps: vec![Vec::new(); 3], ..Model::default() };
        let mut ids: Vec<i32> = Vec::new();
        for a in acts {
            match a {
                Act::Get { who, pages } => {
                    let size = pages * PAGE_SIZE - 1;
                    let id = k.shmget(w[who].1, IPC_PRIVATE, size, IPC_CREAT | 0o600).unwrap();
                    m.segs.insert(id, (vec![0; (pages * PAGE_SIZE) as usize], false));
                    ids.push(id);
                }
                Act::At { who, pick, fixed, rdonly } => {
                    let Some(&id) = ids.get(pick) else { continue };
                    let flg = if rdonly { SHM_RDONLY } else { 0 };
                    let got = k.shmat(w[who].1, id, fixed.unwrap_or(0), flg);
                    let want = match m.segs.get(&id) {
                        None | Some((_, true)) => Err(Errno::EINVAL),
                        Some((bytes, false)) => {
                            let len = bytes.len() as u64;
                            let va = fixed.unwrap_or_else(|| m.lowest_free(who, len));
                            if m.maps[who].iter().any(|&(a, l, _, _)| a < va + len && va < a + l) {
                                Err(Errno::ENOMEM)
                            } else {
                                m.maps[who].push((va, len, id, rdonly));
                                m.maps[who].sort_unstable();
                                Ok(va)
                            }
                        }
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Dt { who, pick } => {
                    let Some(&(va, _, id, _)) = m.maps[who].get(pick) else { continue };
                    k.shmdt(w[who].1, va).unwrap();
                    m.maps[who].remove(pick);
                    m.settle(id);
                }
                Act::Rmid { pick } => {
                    let Some(&id) = ids.get(pick) else { continue };
                    let got = k.shmctl_rmid(w[0].1, id);
                    match m.segs.get_mut(&id) {
                        Some(s) if !s.1 => {
                            prop_assert_eq!(got, Ok(()));
                            s.1 = true;
                            m.settle(id);
                        }
                        _ => prop_assert_eq!(got, Err(Errno::EINVAL)),
                    }
                }
                Act::Write { who, pick, offset, data } => {
                    let Some(&(va, ..)) = m.maps[who].get(pick) else { continue };
                    let got = k.shm_write(w[who].1, va + offset, &data);
                    let want = match m.locate(who, va + offset, data.len() as u64) {
                        None => Err(Errno::EFAULT),
                        Some(parts) if parts.iter().any(|p| p.3) => Err(Errno::EACCES),
                        Some(parts) => {
                            let mut done = 0;
                            for (id, off, n) in parts.into_iter().map(|p| (p.0, p.1, p.2)) {
                                let bytes = &mut m.segs.get_mut(&id).unwrap().0;
                                bytes[off as usize..(off + n) as usize].copy_from_slice(&data[done..done + n as usize]);
                                done += n as usize;
                            }
                            Ok(())
                        }
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Read { who, pick, offset, len } => {
                    let Some(&(va, ..)) = m.maps[who].get(pick) else { continue };
                    let got = k.shm_read(w[who].1, va + offset, len);
                    let want = match m.locate(who, va + offset, len) {
                        None => Err(Errno::EFAULT),
                        Some(parts) => Ok(parts
                            .into_iter()
                            .flat_map(|(id, off, n, _)| m.segs[&id].0[off as usize..(off + n) as usize].to_vec())
                            .collect::<Vec<u8>>()),
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Fork { who, into } => {
                    if who == into { continue; }
                    k.exit(w[into].0).unwrap();
                    for (_, _, id, _) in std::mem::take(&mut m.maps[into]) { m.settle(id); }
                    w[into] = k.fork(w[who].0).unwrap();
                    m.maps[into] = m.maps[who].clone();
                }
                Act::Exit { who } => {
                    k.exit(w[who].0).unwrap();
                    for (_, _, id, _) in std::mem::take(&mut m.maps[who]) { m.settle(id); }
                    w[who] = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
                }
            }
            prop_assert_eq!(k.check(), Ok(()));
            let view = k.shm_view();
            let got: BTreeMap<i32, (bool, u32)> = view.segments.iter().map(|s| (s.id, (s.removed, s.nattch))).collect();
            let want: BTreeMap<i32, (bool, u32)> = m.segs.iter().map(|(&id, s)| (id, (s.1, m.nattch(id)))).collect();
            prop_assert_eq!(got, want);
            for (i, &(p, _)) in w.iter().enumerate() {
                let mut got: Vec<(u64, u64, i32, bool)> =
                    k.facilities().shm().map_of(p).iter().map(|a| (a.va, a.len, a.shmid, a.rdonly)).collect();
                got.sort_unstable();
                prop_assert_eq!(&got, &m.maps[i], "worker {}'s map", i);
            }
        }
    }
}

/// sys_shmat counts the attach (lpid, nattch) before `uvm_map`; a mapping
/// that fails leaves through `shm_delete_mapping`, which sets dtime.
#[test]
fn a_failed_shmat_at_a_fixed_address_leaves_lpid_and_dtime() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = seg(&mut k, a, PAGE_SIZE);
    k.advance(1_000);
    let va = k.shmat(a, id, 0x2000_0000, 0).unwrap();
    let before = k.shmctl_stat(a, id).unwrap();
    assert_eq!((before.lpid, before.nattch, before.atime, before.dtime), (pid_of(&k, a), 1, 1_000, 0));
    k.advance(1_000);
    // A second attach at the same address overlaps A's first: ENOMEM.
    assert_eq!(k.shmat(a, id, va, 0), Err(Errno::ENOMEM));
    let s = k.shmctl_stat(a, id).unwrap();
    assert_eq!((s.nattch, s.atime), (1, 1_000), "nattch and atime as before");
    assert_eq!((s.lpid, s.dtime), (pid_of(&k, a), 2_000), "the failed attach was counted, then undone");
    k.advance(1_000);
    // Outside the address space, by another process: it becomes lpid.
    assert_eq!(k.shmat(b, id, 1 << 47, 0), Err(Errno::ENOMEM));
    let s = k.shmctl_stat(a, id).unwrap();
    assert_eq!((s.lpid, s.dtime, s.nattch, s.atime), (pid_of(&k, b), 3_000, 1, 1_000));
    // A failure before the attach is counted (misaligned, EINVAL) leaves nothing.
    k.advance(1_000);
    assert_eq!(k.shmat(a, id, 0x3000_0001, 0), Err(Errno::EINVAL));
    let s = k.shmctl_stat(a, id).unwrap();
    assert_eq!((s.lpid, s.dtime), (pid_of(&k, b), 3_000));
    assert_eq!(k.facilities().shm().map_of(pid_of(&k, a)).len(), 1, "A's map holds its one attachment");
    k.check().unwrap();
}

/// `shmfork` shares the parent's attach map; `shmexit` of a map still
/// shared only lowers nattch (no `shm_delete_mapping`, so no dtime).
#[test]
fn exit_or_exec_of_a_map_still_shared_since_fork_sets_no_dtime() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = seg(&mut k, t, 100);
    k.advance(1_000);
    k.shmat(t, id, 0, 0).unwrap();
    let (c, _) = k.fork(p).unwrap();
    let (c2, _) = k.fork(p).unwrap();
    assert_eq!(k.shmctl_stat(t, id).unwrap().nattch, 3);
    k.advance(1_000);
    k.exit(c).unwrap();
    let s = k.shmctl_stat(t, id).unwrap();
    assert_eq!((s.nattch, s.dtime), (2, 0), "exit of a shared map: nattch down, no dtime");
    k.advance(1_000);
    k.exec(c2).unwrap();
    let s = k.shmctl_stat(t, id).unwrap();
    assert_eq!((s.nattch, s.dtime), (1, 0), "exec of a shared map: the same");
    // Now the parent's map is its own again: its exit detaches, dtime set.
    k.advance(1_000);
    let watcher = user(&mut k, 100, 10);
    k.exit(p).unwrap();
    let s = k.shmctl_stat(watcher, id).unwrap();
    assert_eq!((s.nattch, s.dtime), (0, 4_000));
    k.check().unwrap();
}

/// Once a process attaches or detaches after the fork its map is its own
/// (`shmmap_getprivate`), and its exit detaches through
/// `shm_delete_mapping`: dtime is set.
#[test]
fn exit_of_a_map_made_its_own_after_fork_sets_dtime() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = seg(&mut k, t, 100);
    let other = seg(&mut k, t, 100);
    k.shmat(t, id, 0, 0).unwrap();
    let (c, ct) = k.fork(p).unwrap();
    k.advance(1_000);
    // The child attaches another segment: its map is copied, its own.
    k.shmat(ct, other, 0, 0).unwrap();
    k.advance(1_000);
    k.exit(c).unwrap();
    let s = k.shmctl_stat(t, id).unwrap();
    assert_eq!((s.nattch, s.dtime), (1, 2_000), "the child's own map: detached, dtime set");
    // A detach makes the map its own too.
    let (c, ct) = k.fork(p).unwrap();
    let va = k.facilities().shm().map_of(c)[0].va;
    k.advance(1_000);
    k.shmdt(ct, va).unwrap();
    assert_eq!(k.shmctl_stat(t, id).unwrap().dtime, 3_000);
    assert_eq!(k.facilities().shm().map_of(p).len(), 1, "the parent keeps its attachment");
    k.check().unwrap();
}
