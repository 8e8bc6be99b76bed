//! # The message list of one queue
//!
//! Messages on two intrusive doubly linked lists, one in arrival order and
//! one per type, in an arena; the type lists' ends sit in a [`TypeIndex`],
//! a vector sorted by type.  Type-0 receive is O(1); finding a type is
//! O(log T) for T distinct types queued (illumos scans the one list: O(n));
//! the first message of a new type, or the last of a type, moves at most T
//! index entries (a few bytes each, no allocation once the vector has grown).
//! A queue that sends and receives one type never allocates for its index.
//!
//! ## Invariants (checked by [`MessageList::check`])
//! 1. Following `next` from `head` visits every message once and ends at
//!    `tail`; `prev` links mirror `next` links.
//! 2. Each type's list holds exactly the messages of that type, in arrival
//!    order, between the first and last recorded in `by_type`.
//! 3. Together the type lists hold every message once.
//! 4. The type index is strictly sorted by type.

use crate::namespace::arena::{Arena, Handle};
use serde::{Deserialize, Serialize};

/// Each queued type's (first, last) message, sorted by type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct TypeIndex(Vec<(i64, (Handle, Handle))>);

impl TypeIndex {
    fn find(&self, mtype: i64) -> Result<usize, usize> {
        self.0.binary_search_by_key(&mtype, |e| e.0)
    }

    fn get(&self, mtype: i64) -> Option<(Handle, Handle)> {
        self.find(mtype).ok().map(|i| self.0[i].1)
    }

    fn get_mut(&mut self, mtype: i64) -> Option<&mut (Handle, Handle)> {
        let i = self.find(mtype).ok()?;
        Some(&mut self.0[i].1)
    }

    fn insert(&mut self, mtype: i64, ends: (Handle, Handle)) {
        match self.find(mtype) {
            Ok(i) => self.0[i].1 = ends,
            Err(i) => self.0.insert(i, (mtype, ends)),
        }
    }

    fn remove(&mut self, mtype: i64) {
        if let Ok(i) = self.find(mtype) {
            self.0.remove(i);
        }
    }

    /// The lowest type queued.
    fn first(&self) -> Option<(i64, (Handle, Handle))> {
        self.0.first().copied()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub mtype: i64,
    pub data: Vec<u8>,
    prev: Option<Handle>,
    next: Option<Handle>,
    type_prev: Option<Handle>,
    type_next: Option<Handle>,
}

/// Messages in arrival order, indexed by type.  An empty list that never
/// held a message costs one pointer: the lists are allocated at the first
/// message (an idle queue stays small; see the benchmark's bytes per queue).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageList {
    lists: Option<Box<Lists>>,
}

impl MessageList {
    pub fn len(&self) -> usize {
        self.lists.as_ref().map_or(0, |l| l.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, h: Handle) -> Option<&Message> {
        self.lists.as_ref()?.get(h)
    }

    /// Appends at the tail.  O(log T).
    pub fn push_back(&mut self, mtype: i64, data: Vec<u8>) -> Handle {
        self.lists.get_or_insert_with(Box::default).push_back(mtype, data)
    }

    /// `msgrcv_lookup`: the message `msgtyp` selects.
    pub fn select(&self, msgtyp: i64) -> Option<Handle> {
        self.lists.as_ref()?.select(msgtyp)
    }

    /// Unlinks a message from both lists.  O(log T).
    pub fn unlink(&mut self, h: Handle) -> Option<Message> {
        self.lists.as_mut()?.unlink(h)
    }

    /// Verifies both lists' links and the type index (a restored snapshot may lie).
    pub fn check(&self) -> Result<(), String> {
        self.lists.as_ref().map_or(Ok(()), |l| l.check())
    }

    /// Messages in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = &Message> {
        self.lists.iter().flat_map(|l| l.iter())
    }
}

/// The two linked lists and the type index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Lists {
    nodes: Arena<Message>,
    head: Option<Handle>,
    tail: Option<Handle>,
    /// type → (first, last) message of that type.
    by_type: TypeIndex,
}

impl Lists {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn get(&self, h: Handle) -> Option<&Message> {
        self.nodes.get(h)
    }

    /// Appends at the tail.  O(log T).
    pub fn push_back(&mut self, mtype: i64, data: Vec<u8>) -> Handle {
        let last_of_type = self.by_type.get(mtype).map(|(_, last)| last);
        let h = self.nodes.insert(Message {
            mtype,
            data,
            prev: self.tail,
            next: None,
            type_prev: last_of_type,
            type_next: None,
        });
        match self.tail {
            Some(t) => self.nodes.get_mut(t).expect("tail is live").next = Some(h),
            None => self.head = Some(h),
        }
        self.tail = Some(h);
        match last_of_type {
            Some(l) => {
                self.nodes.get_mut(l).expect("type tail is live").type_next = Some(h);
                if let Some(e) = self.by_type.get_mut(mtype) {
                    e.1 = h;
                }
            }
            None => {
                self.by_type.insert(mtype, (h, h));
            }
        }
        h
    }

    /// `msgrcv_lookup`: the message `msgtyp` selects.
    pub fn select(&self, msgtyp: i64) -> Option<Handle> {
        match msgtyp {
            0 => self.head,
            t if t > 0 => self.by_type.get(t).map(|(first, _)| first),
            t => {
                let (lowest, (first, _)) = self.by_type.first()?;
                (lowest.unsigned_abs() <= t.unsigned_abs() && lowest <= t.unsigned_abs().min(i64::MAX as u64) as i64)
                    .then_some(first)
            }
        }
    }

    /// Unlinks a message from both lists.  O(log T).
    pub fn unlink(&mut self, h: Handle) -> Option<Message> {
        let m = self.nodes.remove(h)?;
        match m.prev {
            Some(p) => self.nodes.get_mut(p).expect("prev is live").next = m.next,
            None => self.head = m.next,
        }
        match m.next {
            Some(n) => self.nodes.get_mut(n).expect("next is live").prev = m.prev,
            None => self.tail = m.prev,
        }
        if let Some(p) = m.type_prev {
            self.nodes.get_mut(p).expect("type prev is live").type_next = m.type_next;
        }
        if let Some(n) = m.type_next {
            self.nodes.get_mut(n).expect("type next is live").type_prev = m.type_prev;
        }
        match (m.type_prev, m.type_next) {
            (None, None) => {
                self.by_type.remove(m.mtype);
            }
            (None, Some(n)) => {
                if let Some(e) = self.by_type.get_mut(m.mtype) {
                    e.0 = n;
                }
            }
            (Some(p), None) => {
                if let Some(e) = self.by_type.get_mut(m.mtype) {
                    e.1 = p;
                }
            }
            (Some(_), Some(_)) => {}
        }
        Some(m)
    }

    /// Verifies both lists' links and the type index (a restored snapshot may lie).
    pub fn check(&self) -> Result<(), String> {
        self.nodes.check()?;
        let n = self.nodes.len();
        let mut prev = None;
        let mut cur = self.head;
        let mut count = 0;
        while let Some(h) = cur {
            let m = self.nodes.get(h).ok_or(format!("message list: dangling handle {h}"))?;
            count += 1;
            if m.prev != prev || count > n {
                return Err("message list: broken or cyclic links".into());
            }
            if self.by_type.get(m.mtype).is_none() {
                return Err(format!("message list: type {} not indexed", m.mtype));
            }
            prev = cur;
            cur = m.next;
        }
        if count != n || self.tail != prev {
            return Err(format!("message list: {count} linked of {n}, tail mismatch"));
        }
        let mut typed = 0;
        if !self.by_type.0.windows(2).all(|w| w[0].0 < w[1].0) {
            return Err("type index: not strictly sorted".into());
        }
        for &(mtype, (first, last)) in &self.by_type.0 {
            let (mut prev, mut cur) = (None, Some(first));
            while let Some(h) = cur {
                let m = self.nodes.get(h).ok_or(format!("type list {mtype}: dangling handle {h}"))?;
                typed += 1;
                if m.mtype != mtype || m.type_prev != prev || typed > n {
                    return Err(format!("type list {mtype}: broken or cyclic links"));
                }
                prev = cur;
                cur = m.type_next;
            }
            if prev != Some(last) {
                return Err(format!("type list {mtype}: last mismatch"));
            }
        }
        if typed != n {
            return Err(format!("type lists hold {typed} of {n} messages"));
        }
        Ok(())
    }

    /// Messages in arrival order.
    pub fn iter(&self) -> impl Iterator<Item = &Message> {
        std::iter::successors(self.head.and_then(|h| self.nodes.get(h)), |m| m.next.and_then(|n| self.nodes.get(n)))
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Send(i64, u8),
        Recv(i64),
    }

    /// The reference: a plain vector in arrival order, scanned linearly.
    fn model_select(model: &[(i64, u8)], msgtyp: i64) -> Option<usize> {
        match msgtyp {
            0 => (!model.is_empty()).then_some(0),
            t if t > 0 => model.iter().position(|m| m.0 == t),
            t => {
                let lowest = model.iter().map(|m| m.0).filter(|&ty| ty <= t.abs()).min()?;
                model.iter().position(|m| m.0 == lowest)
            }
        }
    }

    proptest! {
        #[test]
        fn selection_matches_a_linear_scan(ops in proptest::collection::vec(
            prop_oneof![(1i64..6, any::<u8>()).prop_map(|(t, b)| Op::Send(t, b)), (-7i64..7).prop_map(Op::Recv)],
            0..150,
        )) {
            let mut list = MessageList::default();
            let mut model: Vec<(i64, u8)> = Vec::new();
            for op in ops {
                match op {
                    Op::Send(t, b) => { list.push_back(t, vec![b]); model.push((t, b)); }
                    Op::Recv(t) => {
                        let got = list.select(t).and_then(|h| list.unlink(h)).map(|m| (m.mtype, m.data[0]));
                        let want = model_select(&model, t).map(|i| model.remove(i));
                        prop_assert_eq!(got, want);
                    }
                }
                let order: Vec<(i64, u8)> = list.iter().map(|m| (m.mtype, m.data[0])).collect();
                prop_assert_eq!(&order, &model);
                prop_assert_eq!(list.len(), model.len());
            }
        }
    }

    #[test]
    fn most_negative_msgtyp_selects_lowest_type() {
        let mut list = MessageList::default();
        list.push_back(i64::MAX, vec![1]);
        list.push_back(5, vec![2]);
        assert_eq!(list.select(i64::MIN).and_then(|h| list.get(h)).map(|m| m.mtype), Some(5));
        assert_eq!(list.select(-4), None);
    }
}
