//! POSIX semaphores: named behaviour tests in uipc_sem.c's terms, and a
//! property test against a simple reference model.

mod common;

use common::*;
use ipc_core::psem::view::PsemState;
use ipc_core::psem::{O_CREAT, O_EXCL, PsemLimits, PsemReply, Timespec};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn psem_kernel(limits: PsemLimits) -> Kernel {
    Kernel::new(Config { psem: limits, ..Config::default() }).unwrap()
}

fn wait_done(k: &mut Kernel, t: Tid, id: u32) -> Result<(), Errno> {
    match k.sem_wait(t, id) {
        Outcome::Done(r) => r,
        Outcome::Blocked(reason) => panic!("sem_wait parked: {reason}"),
    }
}

fn value(k: &Kernel, id: u32) -> Option<u32> {
    k.facilities().psem().get(id).map(|s| s.value)
}

fn refs(k: &Kernel, id: u32) -> Option<u32> {
    k.facilities().psem().get(id).map(|s| s.refs)
}

#[test]
fn open_name_rules_and_check_order() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let c = O_CREAT;
    assert_eq!(k.sem_open(t, b"/fifteen_bytes!", c, 0o600, 0), Err(Errno::ENAMETOOLONG), "15 bytes");
    assert_eq!(k.sem_open(t, b"/fifteen_bytes!", 0, 0o600, 0), Err(Errno::ENAMETOOLONG), "before the lookup");
    assert_eq!(k.sem_unlink(t, b"/fifteen_bytes!"), Err(Errno::ENAMETOOLONG));
    assert_eq!(k.sem_open(t, "/ééééééé".as_bytes(), c, 0o600, 0), Err(Errno::ENAMETOOLONG), "bytes, not chars");
    assert_eq!(k.sem_open(t, b"noslash", 0, 0o600, 0), Err(Errno::ENOENT), "a bad name is not found first");
    assert_eq!(k.sem_open(t, b"noslash", c, 0o600, 0), Err(Errno::EINVAL));
    assert_eq!(k.sem_open(t, b"/", c, 0o600, 0), Err(Errno::EINVAL), "at least 2 bytes");
    assert_eq!(k.sem_open(t, b"/a/b", c, 0o600, 0), Err(Errno::EINVAL), "no other '/'");
    assert_eq!(k.sem_open(t, b"", c, 0o600, 0), Err(Errno::EINVAL));
    // The name ends at its first NUL, as copyinstr reads it.
    let id = k.sem_open(t, b"/ok\0and then anything at all", c, 0o600, 2).unwrap();
    assert_eq!(k.sem_open(t, b"/ok", 0, 0, 0), Ok(id));
    assert_eq!(k.sem_open(t, b"/fourteen_byte", c, 0o600, 0).map(|_| ()), Ok(()), "14 bytes fit");
    assert_eq!(k.sem_open(t, b"/ok", O_CREAT | O_EXCL, 0o600, 0), Err(Errno::EEXIST));
    assert_eq!(k.sem_open(t, b"/ok", O_EXCL, 0o600, 0), Err(Errno::EEXIST), "O_EXCL alone, as the seed tests it");
    k.check().unwrap();
}

#[test]
fn value_limit_and_system_limit() {
    let mut k = psem_kernel(PsemLimits { max_sems: 2, value_max: 5 });
    let t = user(&mut k, 100, 10);
    assert_eq!(k.sem_init(t, 6, false), Err(Errno::EINVAL));
    assert_eq!(k.sem_open(t, b"/x", O_CREAT, 0o600, 6), Err(Errno::EINVAL));
    assert_eq!(k.sem_open(t, b"bad", O_CREAT, 0o600, 6), Err(Errno::EINVAL), "value is tested first");
    let a = k.sem_init(t, 5, false).unwrap();
    assert_eq!(k.sem_post(t, a), Err(Errno::EOVERFLOW));
    assert_eq!(value(&k, a), Some(5));
    k.sem_open(t, b"/x", O_CREAT, 0o600, 0).unwrap();
    assert_eq!(k.sem_init(t, 0, true), Err(Errno::ENFILE));
    assert_eq!(k.sem_open(t, b"/y", O_CREAT, 0o600, 0), Err(Errno::ENFILE));
    assert_eq!(k.sem_open(t, b"bad", O_CREAT, 0o600, 0), Err(Errno::EINVAL), "name before the limit");
    assert_eq!(k.sem_open(t, b"/x", 0, 0, 0).map(|_| ()), Ok(()), "opening an existing one needs no slot");
    k.sem_destroy(t, a).unwrap();
    assert!(k.sem_init(t, 0, false).is_ok(), "a freed semaphore frees its slot");
    assert_eq!(
        Kernel::new(Config { psem: PsemLimits { max_sems: 0, value_max: 1 }, ..Config::default() }).err(),
        Some(Errno::EINVAL)
    );
    k.check().unwrap();
}

/// Ids come from a counter that stays on the last id given and skips ids
/// in use (and 0): a freed last id is given again at once.
#[test]
fn ids_follow_ksem_counter() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let a = k.sem_init(t, 0, false).unwrap();
    let b = k.sem_init(t, 0, false).unwrap();
    let c = k.sem_init(t, 0, false).unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
    k.sem_destroy(t, c).unwrap();
    assert_eq!(k.sem_init(t, 0, false), Ok(3), "the counter sits on 3, which is free again");
    k.sem_destroy(t, a).unwrap();
    assert_eq!(k.sem_init(t, 0, false), Ok(4), "3 is in use: count up, not back to 1");
    assert!(last_steps(&k).iter().any(|s| s.contains("skipped 1 id")), "{:?}", last_steps(&k));
    k.check().unwrap();
}

/// Every call looks the id up in the caller's own reference list.
#[test]
fn an_id_the_process_never_opened_is_einval() {
    let mut k = kernel();
    let a = user(&mut k, 100, 10);
    let b = user(&mut k, 100, 10);
    let id = k.sem_init(a, 1, true).unwrap();
    assert_eq!(k.sem_post(b, id), Err(Errno::EINVAL));
    assert_eq!(k.sem_wait(b, id), Outcome::Done(Err(Errno::EINVAL)));
    assert_eq!(k.sem_trywait(b, id), Err(Errno::EINVAL));
    assert_eq!(k.sem_getvalue(b, id), Err(Errno::EINVAL));
    assert_eq!(k.sem_destroy(b, id), Err(Errno::EINVAL));
    assert_eq!(k.sem_close(b, id), Err(Errno::EINVAL));
    assert!(last_steps(&k)[0].contains("exists, but pid"), "{:?}", last_steps(&k));
    assert_eq!(k.sem_getvalue(a, 99), Err(Errno::EINVAL));
    assert_eq!(k.sem_getvalue(a, id), Ok(1));
    k.check().unwrap();
}

/// `ksem_perm`: write bits of any matching class, or privilege; EPERM.
#[test]
fn opening_an_existing_name_needs_a_write_bit() {
    let mut k = kernel();
    let owner = user(&mut k, 100, 10);
    let same_group = user(&mut k, 101, 10);
    let other = user(&mut k, 200, 20);
    let su = root(&mut k);
    k.sem_open(owner, b"/p", O_CREAT, 0o400, 0).unwrap();
    assert_eq!(k.sem_open(owner, b"/p", 0, 0, 0), Err(Errno::EPERM), "read-only even for the owner");
    assert!(k.sem_open(su, b"/p", 0, 0, 0).is_ok(), "privilege passes");
    k.sem_open(owner, b"/q", O_CREAT, 0o020, 0).unwrap();
    assert!(k.sem_open(owner, b"/q", 0, 0, 0).is_ok(), "S_IWGRP serves the owner through its gid…");
    assert!(k.sem_open(same_group, b"/q", 0, 0, 0).is_ok(), "…and the group");
    let owner_elsewhere = user(&mut k, 100, 11);
    assert_eq!(k.sem_open(owner_elsewhere, b"/q", 0, 0, 0), Err(Errno::EPERM), "but not the owner's uid alone");
    assert_eq!(k.sem_open(other, b"/q", 0, 0, 0), Err(Errno::EPERM));
    k.sem_open(owner, b"/r", O_CREAT, 0o002, 0).unwrap();
    for t in [owner, same_group, other] {
        assert!(k.sem_open(t, b"/r", 0, 0, 0).is_ok(), "S_IWOTH grants everyone, the owner too");
    }
    // A supplementary group does not count: ksem_perm compares the egid.
    let (_, grouped) = k.spawn(Credentials { groups: vec![10], ..Credentials::user(300, 30) }, 0, 1).unwrap();
    assert_eq!(k.sem_open(grouped, b"/q", 0, 0, 0), Err(Errno::EPERM));
    // sem_unlink checks nothing.
    assert_eq!(k.sem_unlink(other, b"/p"), Ok(()));
    k.check().unwrap();
}

#[test]
fn opening_twice_takes_two_references_and_two_closes() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = k.sem_open(t, b"/twice", O_CREAT, 0o600, 0).unwrap();
    assert_eq!(k.sem_open(t, b"/twice", O_CREAT, 0o600, 0), Ok(id));
    assert_eq!(refs(&k, id), Some(2));
    assert_eq!(k.facilities().psem().refs_of(p), &[id, id]);
    k.sem_close(t, id).unwrap();
    assert_eq!(refs(&k, id), Some(1));
    k.sem_close(t, id).unwrap();
    assert_eq!(refs(&k, id), Some(0), "a named semaphore lives at 0 references");
    assert_eq!(k.sem_close(t, id), Err(Errno::EINVAL));
    assert_eq!(k.sem_open(t, b"/twice", 0, 0, 0), Ok(id), "and is found again by name");
    k.check().unwrap();
}

#[test]
fn unlink_while_open_lives_until_the_last_reference() {
    let mut k = kernel();
    let (pa, a) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let b = user(&mut k, 100, 10);
    let id = k.sem_open(a, b"/u", O_CREAT, 0o600, 1).unwrap();
    assert_eq!(k.sem_open(b, b"/u", 0, 0, 0), Ok(id));
    k.sem_unlink(a, b"/u").unwrap();
    assert!(last_steps(&k).iter().any(|s| s.contains("lives on with 2 reference")));
    assert_eq!(k.sem_unlink(a, b"/u"), Err(Errno::ENOENT));
    assert_eq!(k.sem_open(b, b"/u", 0, 0, 0), Err(Errno::ENOENT), "the name is gone");
    let view = k.psem_view();
    assert!(view.names.is_empty());
    let s = view.sems.iter().find(|s| s.id == id).unwrap();
    assert_eq!((s.state.clone(), s.name.as_deref(), s.refs), (PsemState::Unlinked, Some("/u"), 2));
    // Still usable by those who hold it.
    k.sem_post(b, id).unwrap();
    assert_eq!(k.sem_getvalue(a, id), Ok(2));
    // A new semaphore may take the name; it is a different one.
    let fresh = k.sem_open(b, b"/u", O_CREAT | O_EXCL, 0o600, 0).unwrap();
    assert_ne!(fresh, id);
    // The seed's sem_close tests ks_name: an unlinked semaphore cannot be closed...
    assert_eq!(k.sem_close(a, id), Err(Errno::EINVAL));
    // ...but sem_destroy takes it (no name now), and exit drops it.
    assert_eq!(k.sem_destroy(a, id), Ok(()));
    assert_eq!(refs(&k, id), Some(1));
    k.exit(k.thread(b).unwrap().pid).unwrap();
    assert_eq!(value(&k, id), None, "freed with its last reference");
    assert!(k.facilities().psem().refs_of(pa).is_empty());
    k.check().unwrap();
}

#[test]
fn unlink_without_references_frees_at_once() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.sem_open(t, b"/gone", O_CREAT, 0o600, 0).unwrap();
    k.sem_close(t, id).unwrap();
    k.sem_unlink(t, b"/gone").unwrap();
    assert_eq!(value(&k, id), None);
    assert!(last_steps(&k).iter().any(|s| s.contains("freed")));
    k.check().unwrap();
}

#[test]
fn close_and_destroy_take_their_own_kind() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let named = k.sem_open(t, b"/n", O_CREAT, 0o600, 0).unwrap();
    let anon = k.sem_init(t, 0, false).unwrap();
    assert_eq!(k.sem_close(t, anon), Err(Errno::EINVAL));
    assert_eq!(k.sem_destroy(t, named), Err(Errno::EINVAL));
    let w = k.thread_create(k.thread(t).unwrap().pid).unwrap();
    assert!(k.sem_wait(w, anon).is_blocked());
    assert_eq!(k.sem_destroy(t, anon), Err(Errno::EBUSY), "threads wait on it");
    assert_eq!(refs(&k, anon), Some(2), "the waiter holds a reference");
    k.sem_post(t, anon).unwrap();
    assert_eq!(k.take_result(w).unwrap().result, Ok(Reply::Psem(PsemReply::Acquired)));
    assert_eq!(k.sem_destroy(t, anon), Ok(()));
    assert_eq!(value(&k, anon), None);
    k.check().unwrap();
}

#[test]
fn post_wakes_the_oldest_waiter_only() {
    let mut k = kernel();
    let (p, a) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let b = k.thread_create(p).unwrap();
    let c = k.thread_create(p).unwrap();
    let id = k.sem_init(a, 0, false).unwrap();
    assert_eq!(k.sem_trywait(b, id), Err(Errno::EAGAIN));
    let reason = match k.sem_wait(b, id) {
        Outcome::Blocked(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(reason, format!("sem_wait: semaphore {id} is 0; waits for a sem_post"));
    assert!(k.sem_wait(c, id).is_blocked());
    assert_eq!(refs(&k, id), Some(3));
    k.sem_post(a, id).unwrap();
    let woke: Vec<Tid> = k.last_event().unwrap().woke.iter().map(|w| w.tid).collect();
    assert_eq!(woke, vec![b], "the oldest, and only one");
    assert_eq!(value(&k, id), Some(0), "the value went to the waiter");
    k.sem_post(a, id).unwrap();
    assert_eq!(k.last_event().unwrap().woke[0].tid, c);
    k.sem_post(a, id).unwrap();
    assert_eq!(k.sem_getvalue(a, id), Ok(1));
    k.take_result(b).unwrap();
    k.take_result(c).unwrap();
    assert_eq!(wait_done(&mut k, b, id), Ok(()));
    assert_eq!(k.sem_trywait(c, id), Err(Errno::EAGAIN));
    k.check().unwrap();
}

#[test]
fn interrupt_and_timedwait_end_a_wait() {
    let mut k = kernel();
    let (p, a) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let b = k.thread_create(p).unwrap();
    let id = k.sem_init(a, 0, false).unwrap();
    assert!(k.sem_wait(b, id).is_blocked());
    assert_eq!(k.interrupt(b), Ok(true));
    assert_eq!(k.take_result(b).unwrap().result, Err(Errno::EINTR));
    assert_eq!(refs(&k, id), Some(1), "the waiter's reference went with it");
    // An invalid timespec is EINVAL only when the call would wait.
    let bad = Timespec { sec: 0, nsec: 1_000_000_000 };
    assert_eq!(k.sem_timedwait(b, id, bad), Outcome::Done(Err(Errno::EINVAL)));
    assert_eq!(k.sem_timedwait(b, id, Timespec { sec: 0, nsec: -1 }), Outcome::Done(Err(Errno::EINVAL)));
    k.sem_post(a, id).unwrap();
    assert_eq!(k.sem_timedwait(b, id, bad), Outcome::Done(Ok(())));
    // A deadline not after now: ETIMEDOUT at once.
    k.advance(500);
    assert_eq!(k.sem_timedwait(b, id, Timespec::from_nanos(500)), Outcome::Done(Err(Errno::ETIMEDOUT)));
    assert_eq!(k.sem_timedwait(b, id, Timespec { sec: -5, nsec: 0 }), Outcome::Done(Err(Errno::ETIMEDOUT)));
    // A deadline ahead: parks until the clock reaches it.
    let r = k.sem_timedwait(b, id, Timespec { sec: 1, nsec: 0 });
    assert_eq!(r, Outcome::Blocked(format!("sem_timedwait: semaphore {id} is 0; waits for a sem_post")));
    assert_eq!(k.wait_of(b).unwrap().deadline, Some(1_000_000_000));
    k.advance(999_999_499);
    assert!(k.wait_of(b).is_some(), "1 ns early");
    k.advance(1);
    assert_eq!(k.take_result(b).unwrap().result, Err(Errno::ETIMEDOUT));
    // A post before the deadline wins.
    assert!(k.sem_timedwait(b, id, Timespec { sec: 9, nsec: 0 }).is_blocked());
    k.sem_post(a, id).unwrap();
    assert_eq!(k.take_result(b).unwrap().result, Ok(Reply::Psem(PsemReply::Acquired)));
    k.check().unwrap();
}

#[test]
fn fork_copies_references_reversed_and_exec_exit_drop_them() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let x = k.sem_open(t, b"/x", O_CREAT, 0o600, 0).unwrap();
    let y = k.sem_init(t, 0, true).unwrap();
    let z = k.sem_open(t, b"/z", O_CREAT, 0o600, 0).unwrap();
    assert_eq!(k.facilities().psem().refs_of(p), &[z, y, x], "newest first");
    let (c, ct) = k.fork(p).unwrap();
    assert_eq!(k.facilities().psem().refs_of(c), &[x, y, z], "the seed's forkhook reverses the list");
    assert_eq!((refs(&k, x), refs(&k, y), refs(&k, z)), (Some(2), Some(2), Some(2)));
    // The child uses what it inherited: producer and consumer across fork.
    assert!(k.sem_wait(ct, y).is_blocked());
    k.sem_post(t, y).unwrap();
    assert_eq!(k.take_result(ct).unwrap().result, Ok(Reply::Psem(PsemReply::Acquired)));
    // exec drops every reference; the anonymous one survives in the parent.
    k.exec(c).unwrap();
    assert!(k.facilities().psem().refs_of(c).is_empty());
    assert_eq!(k.sem_post(ct, y), Err(Errno::EINVAL), "after exec the child holds nothing");
    assert_eq!((refs(&k, x), refs(&k, y), refs(&k, z)), (Some(1), Some(1), Some(1)));
    // exit: the anonymous semaphore is freed, the named ones stay at 0.
    k.exit(p).unwrap();
    assert_eq!((refs(&k, x), refs(&k, y), refs(&k, z)), (Some(0), None, Some(0)));
    k.check().unwrap();
}

#[test]
fn exit_of_a_waiter_drops_both_its_references() {
    let mut k = kernel();
    let (pa, a) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let id = k.sem_init(a, 0, true).unwrap();
    let (c, ct) = k.fork(pa).unwrap();
    assert!(k.sem_wait(ct, id).is_blocked());
    assert_eq!(refs(&k, id), Some(3));
    k.exit(c).unwrap();
    assert_eq!(refs(&k, id), Some(1));
    assert!(k.psem_view().sems[0].waiters.is_empty());
    k.check().unwrap();
}

#[test]
fn events_say_what_happened() {
    let mut k = kernel();
    let t = user(&mut k, 100, 10);
    let id = k.sem_open(t, b"/ev", O_CREAT | O_EXCL, 0o640, 3).unwrap();
    let e = k.last_event().unwrap().to_string();
    assert!(e.contains("sem_open(name=\"/ev\", oflag=O_CREAT|O_EXCL, mode=0640, value=3) -> semaphore 1"), "{e}");
    assert_eq!(
        last_steps(&k),
        vec!["psem: new named semaphore 1", "psem: pid 1 holds a reference to semaphore 1 (ks_ref 1)"]
    );
    let long = vec![b'x'; 1_000_000];
    assert_eq!(k.sem_open(t, &long, O_CREAT, 0o600, 0), Err(Errno::ENAMETOOLONG));
    let e = k.last_event().unwrap().to_string();
    assert!(e.contains("(1000000 bytes)") && e.len() < 400, "a huge name is logged by its head: {e}");
    k.sem_getvalue(t, id).unwrap();
    assert!(k.last_event().unwrap().to_string().ends_with("sem_getvalue(id=1) -> 3"));
}

#[test]
fn tampered_snapshots_are_refused() {
    let mut k = kernel();
    let (p, t) = k.spawn(Credentials::user(100, 10), 0, 1).unwrap();
    let w = k.thread_create(p).unwrap();
    let id = k.sem_open(t, b"/t", O_CREAT, 0o600, 0).unwrap();
    assert!(k.sem_wait(w, id).is_blocked());
    let json = serde_json::to_value(&k).unwrap();
    assert_eq!(serde_json::from_value::<Kernel>(json.clone()).unwrap().check(), Ok(()));
    let s = format!("/fac/psem/sems/{id}");
    for (path, value) in [
        (format!("{s}/refs"), serde_json::json!(1)),
        (format!("{s}/value"), serde_json::json!(1)),
        (format!("{s}/waiters"), serde_json::json!([])),
        (format!("{s}/name"), serde_json::json!(null)),
        ("/fac/psem/names".to_string(), serde_json::json!([])),
        (format!("/fac/psem/procs/{p}"), serde_json::json!([])),
    ] {
        let mut j = json.clone();
        *j.pointer_mut(&path).unwrap_or_else(|| panic!("no {path} in the snapshot")) = value.clone();
        let tampered: Kernel = serde_json::from_value(j).unwrap();
        assert!(tampered.check().is_err(), "tampering {path} = {value} went unnoticed");
    }
}

// ----- the property test -----

const NAMES: [&[u8]; 4] = [b"/a", b"/b", b"/c", b"bad"];
const VALUE_MAX: u32 = 3;

/// The reference: semaphores by id with their value, name and waiters
/// (oldest first, with deadlines); each worker's reference list, newest
/// first; the id counter.  `ks_ref` is derived, never stored.
#[derive(Clone, Default)]
struct MSem {
    name: Option<Vec<u8>>,
    anonymous: bool,
    mode: u32,
    /// Made by worker 3, the other user.
    by_other: bool,
    value: u32,
    waiters: Vec<(usize, Option<u64>)>,
}

#[derive(Default)]
struct Model {
    sems: BTreeMap<u32, MSem>,
    lists: Vec<Vec<u32>>,
    counter: u32,
    now: u64,
    /// Whether each worker is the other user now (a fork copies it).
    other: Vec<bool>,
}

impl Model {
    fn refs(&self, id: u32) -> u32 {
        let held: usize = self.lists.iter().map(|l| l.iter().filter(|&&x| x == id).count()).sum();
        (held + self.sems[&id].waiters.len()) as u32
    }

    /// Frees `id` if nothing keeps it.
    fn settle(&mut self, id: u32) {
        if self.sems.contains_key(&id) && self.refs(id) == 0 && self.sems[&id].name.is_none() {
            self.sems.remove(&id);
        }
    }

    fn drop_ref(&mut self, who: usize, id: u32) {
        let i = self.lists[who].iter().position(|&x| x == id).unwrap();
        self.lists[who].remove(i);
        self.settle(id);
    }

    fn create(&mut self, s: MSem) -> Result<u32, Errno> {
        if self.sems.len() >= 6 {
            return Err(Errno::ENFILE);
        }
        while self.sems.contains_key(&self.counter) {
            self.counter += 1;
        }
        self.sems.insert(self.counter, s);
        Ok(self.counter)
    }

    fn holds(&self, who: usize, id: u32) -> bool {
        self.lists[who].contains(&id)
    }

    /// Removes `who`'s wait, if any; returns the semaphore it waited on.
    fn cancel(&mut self, who: usize) -> Option<u32> {
        let id = *self.sems.iter().find(|(_, s)| s.waiters.iter().any(|w| w.0 == who))?.0;
        self.sems.get_mut(&id).unwrap().waiters.retain(|w| w.0 != who);
        self.settle(id);
        Some(id)
    }

    fn waiting(&self, who: usize) -> bool {
        self.sems.values().any(|s| s.waiters.iter().any(|w| w.0 == who))
    }
}

#[derive(Debug, Clone)]
enum Act {
    Open { who: usize, name: usize, creat: bool, excl: bool, open_mode: bool, value: u32 },
    Init { who: usize, value: u32 },
    Close { who: usize, id: u32 },
    Unlink { who: usize, name: usize },
    Destroy { who: usize, id: u32 },
    Post { who: usize, id: u32 },
    Wait { who: usize, id: u32, how: u8 },
    Interrupt { who: usize },
    Advance { ns: u64 },
    Fork { who: usize, into: usize },
    Exec { who: usize },
    Exit { who: usize },
}

fn act() -> impl Strategy<Value = Act> {
    let who = 0usize..4;
    let id = 1u32..8;
    prop_oneof![
        4 => (who.clone(), 0usize..4, any::<bool>(), any::<bool>(), any::<bool>(), 0u32..5)
            .prop_map(|(who, name, creat, excl, open_mode, value)| Act::Open { who, name, creat, excl, open_mode, value }),
        2 => (who.clone(), 0u32..5).prop_map(|(who, value)| Act::Init { who, value }),
        2 => (who.clone(), id.clone()).prop_map(|(who, id)| Act::Close { who, id }),
        1 => (who.clone(), 0usize..4).prop_map(|(who, name)| Act::Unlink { who, name }),
        2 => (who.clone(), id.clone()).prop_map(|(who, id)| Act::Destroy { who, id }),
        5 => (who.clone(), id.clone()).prop_map(|(who, id)| Act::Post { who, id }),
        5 => (who.clone(), id, 0u8..3).prop_map(|(who, id, how)| Act::Wait { who, id, how }),
        1 => who.clone().prop_map(|who| Act::Interrupt { who }),
        1 => (1u64..4).prop_map(|ns| Act::Advance { ns }),
        1 => (who.clone(), who.clone()).prop_map(|(who, into)| Act::Fork { who, into }),
        1 => who.clone().prop_map(|who| Act::Exec { who }),
        1 => who.prop_map(|who| Act::Exit { who }),
    ]
}

fn woke_tids(k: &Kernel) -> Vec<Tid> {
    k.last_event().unwrap().woke.iter().map(|w| w.tid).collect()
}

/// Worker 3 is another user: it passes `ksem_perm` only through S_IWOTH.
fn cred(who: usize) -> Credentials {
    if who == 3 { Credentials::user(200, 20) } else { Credentials::user(100, 10) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    /// Results, wake-ups, values, names, reference counts and every
    /// process's reference list agree with the model after every step;
    /// check() holds throughout.
    #[test]
    fn posix_semaphores_match_the_model(acts in proptest::collection::vec(act(), 1..80)) {
        let mut k = psem_kernel(PsemLimits { max_sems: 6, value_max: VALUE_MAX });
        let mut w: Vec<(Pid, Tid)> = (0..4).map(|i| k.spawn(cred(i), 0, 1).unwrap()).collect();
        let mut m = Model { lists: vec![Vec::new(); 4], counter: 1, other: (0..4).map(|i| i == 3).collect(), ..Model::default() };
        for a in acts {
            let mut want_woke: Vec<usize> = Vec::new();
            match a {
                Act::Open { who, name, creat, excl, open_mode, value } => {
                    if m.waiting(who) { continue; }
                    let n = NAMES[name];
                    let mode = if open_mode { 0o666 } else { 0o600 };
                    let oflag = if creat { O_CREAT } else { 0 } | if excl { O_EXCL } else { 0 };
                    let got = k.sem_open(w[who].1, n, oflag, mode, value);
                    let found = m.sems.iter().find(|(_, s)| s.name.as_deref() == Some(n)).map(|(&id, s)| (id, s.clone()));
                    // Workers of one user share uid and gid; modes here have no group bits.
                    let is_other = m.other[who];
                    let granted = |s: &MSem| (s.by_other == is_other && s.mode & 0o200 != 0) || s.mode & 0o002 != 0;
                    let want = match found {
                        Some(_) if excl => Err(Errno::EEXIST),
                        Some((_, s)) if !granted(&s) => Err(Errno::EPERM),
                        Some((id, _)) => Ok(id),
                        None if !creat => Err(Errno::ENOENT),
                        None if value > VALUE_MAX || name == 3 => Err(Errno::EINVAL),
                        None => m.create(MSem { name: Some(n.to_vec()), mode, value, by_other: is_other, ..MSem::default() }),
                    };
                    if let Ok(id) = want { m.lists[who].insert(0, id); }
                    prop_assert_eq!(got, want);
                }
                Act::Init { who, value } => {
                    if m.waiting(who) { continue; }
                    let got = k.sem_init(w[who].1, value, false);
                    let want = if value > VALUE_MAX { Err(Errno::EINVAL) } else {
                        m.create(MSem { anonymous: true, value, ..MSem::default() })
                    };
                    if let Ok(id) = want { m.lists[who].insert(0, id); }
                    prop_assert_eq!(got, want);
                }
                Act::Close { who, id } => {
                    if m.waiting(who) { continue; }
                    let got = k.sem_close(w[who].1, id);
                    let want = if !m.holds(who, id) || m.sems[&id].name.is_none() { Err(Errno::EINVAL) } else {
                        m.drop_ref(who, id);
                        Ok(())
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Unlink { who, name } => {
                    if m.waiting(who) { continue; }
                    let n = NAMES[name];
                    let got = k.sem_unlink(w[who].1, n);
                    let found = m.sems.iter().find(|(_, s)| s.name.as_deref() == Some(n)).map(|(&id, _)| id);
                    let want = match found {
                        None => Err(Errno::ENOENT),
                        Some(id) => {
                            m.sems.get_mut(&id).unwrap().name = None;
                            m.settle(id);
                            Ok(())
                        }
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Destroy { who, id } => {
                    if m.waiting(who) { continue; }
                    let got = k.sem_destroy(w[who].1, id);
                    let want = if !m.holds(who, id) || m.sems[&id].name.is_some() {
                        Err(Errno::EINVAL)
                    } else if !m.sems[&id].waiters.is_empty() {
                        Err(Errno::EBUSY)
                    } else {
                        m.drop_ref(who, id);
                        Ok(())
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Post { who, id } => {
                    if m.waiting(who) { continue; }
                    let got = k.sem_post(w[who].1, id);
                    let want = if !m.holds(who, id) { Err(Errno::EINVAL) } else if m.sems[&id].value == VALUE_MAX {
                        Err(Errno::EOVERFLOW)
                    } else {
                        let s = m.sems.get_mut(&id).unwrap();
                        if s.waiters.is_empty() { s.value += 1; } else {
                            let (first, _) = s.waiters.remove(0);
                            want_woke.push(first);
                            m.settle(id);
                        }
                        Ok(())
                    };
                    prop_assert_eq!(got, want);
                }
                Act::Wait { who, id, how } => {
                    if m.waiting(who) { continue; }
                    let t = w[who].1;
                    let got = match how {
                        0 => Outcome::Done(k.sem_trywait(t, id)),
                        1 => k.sem_wait(t, id),
                        _ => k.sem_timedwait(t, id, Timespec::from_nanos(m.now + 2)),
                    };
                    if !m.holds(who, id) {
                        prop_assert_eq!(got, Outcome::Done(Err(Errno::EINVAL)));
                    } else if m.sems[&id].value > 0 {
                        m.sems.get_mut(&id).unwrap().value -= 1;
                        prop_assert_eq!(got, Outcome::Done(Ok(())));
                    } else if how == 0 {
                        prop_assert_eq!(got, Outcome::Done(Err(Errno::EAGAIN)));
                    } else {
                        prop_assert!(got.is_blocked());
                        let deadline = (how == 2).then_some(m.now + 2);
                        m.sems.get_mut(&id).unwrap().waiters.push((who, deadline));
                    }
                }
                Act::Interrupt { who } => {
                    let was = m.cancel(who).is_some();
                    prop_assert_eq!(k.interrupt(w[who].1), Ok(was));
                    if was { want_woke.push(who); }
                }
                Act::Advance { ns } => {
                    // Expired waits end in deadline order, then park order.
                    let order = park_order(&k, &w);
                    k.advance(ns);
                    m.now += ns;
                    let mut expired: Vec<(u64, usize, usize)> = Vec::new();
                    for s in m.sems.values() {
                        for &(who, d) in &s.waiters {
                            if let Some(d) = d && d <= m.now { expired.push((d, order[who], who)); }
                        }
                    }
                    expired.sort_unstable();
                    for (_, _, who) in expired {
                        m.cancel(who);
                        want_woke.push(who);
                    }
                }
                Act::Fork { who, into } => {
                    if who == into { continue; }
                    k.exit(w[into].0).unwrap();
                    m.cancel(into);
                    for id in std::mem::take(&mut m.lists[into]) {
                        m.settle(id);
                    }
                    w[into] = k.fork(w[who].0).unwrap();
                    m.lists[into] = m.lists[who].iter().rev().copied().collect();
                    m.other[into] = m.other[who];
                }
                Act::Exec { who } => {
                    k.exec(w[who].0).unwrap();
                    for id in std::mem::take(&mut m.lists[who]) {
                        m.settle(id);
                    }
                }
                Act::Exit { who } => {
                    k.exit(w[who].0).unwrap();
                    m.cancel(who);
                    for id in std::mem::take(&mut m.lists[who]) {
                        m.settle(id);
                    }
                    w[who] = k.spawn(cred(who), 0, 1).unwrap();
                    m.other[who] = who == 3;
                }
            }
            let want: Vec<Tid> = want_woke.iter().map(|&i| w[i].1).collect();
            prop_assert_eq!(woke_tids(&k), want);
            for &(_, t) in &w {
                let _ = k.take_result(t);
            }
            prop_assert_eq!(k.check(), Ok(()));
            let ps = k.facilities().psem();
            let got: Vec<(u32, u32, u32, Option<Vec<u8>>)> =
                ps.all().map(|s| (s.id, s.value, s.refs, s.name.clone())).collect();
            let want: Vec<(u32, u32, u32, Option<Vec<u8>>)> =
                m.sems.iter().map(|(&id, s)| (id, s.value, m.refs(id), s.name.clone())).collect();
            prop_assert_eq!(got, want);
            for (i, &(p, _)) in w.iter().enumerate() {
                prop_assert_eq!(ps.refs_of(p), m.lists[i].as_slice(), "worker {}'s list", i);
            }
            let anon: Vec<u32> = m.sems.iter().filter(|(_, s)| s.anonymous).map(|(&id, _)| id).collect();
            let view_anon: Vec<u32> = k.psem_view().sems.iter()
                .filter(|s| matches!(s.state, PsemState::Anonymous { .. })).map(|s| s.id).collect();
            prop_assert_eq!(view_anon, anon);
        }
    }
}

/// Each worker's park order (lower parked earlier), for timeouts' tie-break.
fn park_order(k: &Kernel, w: &[(Pid, Tid)]) -> Vec<usize> {
    w.iter().map(|&(_, t)| k.wait_of(t).map_or(usize::MAX, |x| x.order as usize)).collect()
}
