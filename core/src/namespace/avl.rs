//! # AVL tree of keys
//!
//! illumos keeps every keyed IPC object of a namespace in an AVL tree sorted
//! by `(key, zone)` so that GET finds a key in O(log n).  This is our own
//! AVL tree, because the playground draws it: every node's height and balance
//! factor, and every rotation an insert or a remove performs, are observable.
//!
//! ## Objects
//! * [`Avl`]: the tree; owns boxed [`Node`]s.  Plain data (serde), so it is
//!   part of a kernel snapshot.
//! * [`Rotation`]: one rebalancing step, named by the node that was out of
//!   balance and the shape that fixed it (single left/right, double
//!   left-right/right-left).
//!
//! ## Operations
//! * [`Avl::find`] — O(log n); also reports how many nodes it visited.
//! * [`Avl::insert`] / [`Avl::remove`] — O(log n); return the rotations made.
//! * [`Avl::nodes`] — the tree laid out in pre-order with child indices, for viewers.
//!
//! ## Invariants (checked by [`Avl::check`], and by property tests against
//! a `BTreeMap`)
//! 1. In-order traversal is strictly increasing (it is a search tree).
//! 2. Every node's `height` is 1 + the larger of its children's heights
//!    (an empty subtree has height 0).
//! 3. Every node's balance factor, height(left) − height(right), is −1, 0 or 1.
//! 4. `len` equals the number of nodes.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

type Link<K, V> = Option<Box<Node<K, V>>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node<K, V> {
    pub key: K,
    pub value: V,
    pub height: u32,
    left: Link<K, V>,
    right: Link<K, V>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Avl<K, V> {
    root: Link<K, V>,
    len: usize,
}

/// The shape of a rebalancing step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationKind {
    /// Right-heavy node, right child not left-heavy: rotate left.
    Left,
    /// Left-heavy node, left child not right-heavy: rotate right.
    Right,
    /// Left-heavy node whose left child is right-heavy: rotate the child left, then the node right.
    LeftRight,
    /// Right-heavy node whose right child is left-heavy: rotate the child right, then the node left.
    RightLeft,
}

impl std::fmt::Display for RotationKind {
    /// The rotation's name as a textbook writes it: `left`, `right-left`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RotationKind::Left => "left",
            RotationKind::Right => "right",
            RotationKind::LeftRight => "left-right",
            RotationKind::RightLeft => "right-left",
        })
    }
}

/// One rebalancing step: which node was out of balance and how it was fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation<K> {
    pub kind: RotationKind,
    /// Key of the node whose balance factor reached ±2.
    pub at: K,
}

/// A node as a viewer sees it: pre-order position with child positions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeView<K, V> {
    pub key: K,
    pub value: V,
    pub height: u32,
    /// height(left) − height(right).
    pub balance: i32,
    pub left: Option<usize>,
    pub right: Option<usize>,
}

impl<K, V> Default for Avl<K, V> {
    fn default() -> Self {
        Avl { root: None, len: 0 }
    }
}

fn height<K, V>(link: &Link<K, V>) -> u32 {
    link.as_ref().map_or(0, |n| n.height)
}

fn balance_of<K, V>(n: &Node<K, V>) -> i32 {
    height(&n.left) as i32 - height(&n.right) as i32
}

fn update<K, V>(n: &mut Node<K, V>) {
    n.height = 1 + height(&n.left).max(height(&n.right));
}

// The two rotations are only called where the balance factor guarantees the
// child exists, so the `expect`s state invariants, not input checks.
fn rotate_right<K, V>(mut n: Box<Node<K, V>>) -> Box<Node<K, V>> {
    let mut pivot = n.left.take().expect("left-heavy node has a left child");
    n.left = pivot.right.take();
    update(&mut n);
    pivot.right = Some(n);
    update(&mut pivot);
    pivot
}

fn rotate_left<K, V>(mut n: Box<Node<K, V>>) -> Box<Node<K, V>> {
    let mut pivot = n.right.take().expect("right-heavy node has a right child");
    n.right = pivot.left.take();
    update(&mut n);
    pivot.left = Some(n);
    update(&mut pivot);
    pivot
}

fn rebalance<K: Copy, V>(mut n: Box<Node<K, V>>, rots: &mut Vec<Rotation<K>>) -> Box<Node<K, V>> {
    update(&mut n);
    let b = balance_of(&n);
    if b > 1 {
        let left = n.left.take().expect("left-heavy");
        let kind = if balance_of(&left) < 0 {
            n.left = Some(rotate_left(left));
            RotationKind::LeftRight
        } else {
            n.left = Some(left);
            RotationKind::Right
        };
        rots.push(Rotation { kind, at: n.key });
        rotate_right(n)
    } else if b < -1 {
        let right = n.right.take().expect("right-heavy");
        let kind = if balance_of(&right) > 0 {
            n.right = Some(rotate_right(right));
            RotationKind::RightLeft
        } else {
            n.right = Some(right);
            RotationKind::Left
        };
        rots.push(Rotation { kind, at: n.key });
        rotate_left(n)
    } else {
        n
    }
}

fn rebalance_link<K: Copy, V>(link: &mut Link<K, V>, rots: &mut Vec<Rotation<K>>) {
    if let Some(n) = link.take() {
        *link = Some(rebalance(n, rots));
    }
}

fn insert_at<K: Ord + Copy, V>(link: &mut Link<K, V>, key: K, value: V, rots: &mut Vec<Rotation<K>>) -> bool {
    let Some(n) = link.as_mut() else {
        *link = Some(Box::new(Node { key, value, height: 1, left: None, right: None }));
        return true;
    };
    let inserted = match key.cmp(&n.key) {
        Ordering::Less => insert_at(&mut n.left, key, value, rots),
        Ordering::Greater => insert_at(&mut n.right, key, value, rots),
        Ordering::Equal => false,
    };
    if inserted {
        rebalance_link(link, rots);
    }
    inserted
}

fn remove_min<K: Copy, V>(link: &mut Link<K, V>, rots: &mut Vec<Rotation<K>>) -> Option<(K, V)> {
    let n = link.as_mut()?;
    if n.left.is_some() {
        let min = remove_min(&mut n.left, rots);
        rebalance_link(link, rots);
        min
    } else {
        let node = link.take()?;
        let Node { key, value, right, .. } = *node;
        *link = right;
        Some((key, value))
    }
}

fn remove_at<K: Ord + Copy, V>(link: &mut Link<K, V>, key: &K, rots: &mut Vec<Rotation<K>>) -> Option<V> {
    let ord = key.cmp(&link.as_ref()?.key);
    let removed = match ord {
        Ordering::Less => remove_at(&mut link.as_mut()?.left, key, rots),
        Ordering::Greater => remove_at(&mut link.as_mut()?.right, key, rots),
        Ordering::Equal => {
            let mut node = link.take()?;
            let (left, right) = (node.left.take(), node.right.take());
            match (left, right) {
                (None, only) | (only, None) => {
                    *link = only;
                    return Some(node.value);
                }
                (left, right) => {
                    // Two children: the in-order successor takes this node's place.
                    let mut right = right;
                    let (succ_key, succ_value) = remove_min(&mut right, rots)?;
                    let value = std::mem::replace(&mut node.value, succ_value);
                    node.key = succ_key;
                    node.left = left;
                    node.right = right;
                    *link = Some(node);
                    Some(value)
                }
            }
        }
    };
    if removed.is_some() {
        rebalance_link(link, rots);
    }
    removed
}

impl<K: Ord + Copy, V: Copy> Avl<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Height of the whole tree (0 when empty).
    pub fn height(&self) -> u32 {
        height(&self.root)
    }

    /// Looks `key` up; returns its value and the number of nodes visited.
    pub fn find(&self, key: &K) -> (Option<V>, u32) {
        let mut cur = &self.root;
        let mut visited = 0;
        while let Some(n) = cur {
            visited += 1;
            cur = match key.cmp(&n.key) {
                Ordering::Less => &n.left,
                Ordering::Greater => &n.right,
                Ordering::Equal => return (Some(n.value), visited),
            };
        }
        (None, visited)
    }

    /// Inserts a new key.  Returns the rotations performed, or `None` (and
    /// changes nothing) if the key is already present.
    pub fn insert(&mut self, key: K, value: V) -> Option<Vec<Rotation<K>>> {
        let mut rots = Vec::new();
        if insert_at(&mut self.root, key, value, &mut rots) {
            self.len += 1;
            Some(rots)
        } else {
            None
        }
    }

    /// Removes a key.  Returns its value and the rotations performed.
    pub fn remove(&mut self, key: &K) -> Option<(V, Vec<Rotation<K>>)> {
        let mut rots = Vec::new();
        let value = remove_at(&mut self.root, key, &mut rots)?;
        self.len -= 1;
        Some((value, rots))
    }

    /// All entries in key order.
    pub fn entries(&self) -> Vec<(K, V)> {
        fn walk<K: Copy, V: Copy>(link: &Link<K, V>, out: &mut Vec<(K, V)>) {
            if let Some(n) = link {
                walk(&n.left, out);
                out.push((n.key, n.value));
                walk(&n.right, out);
            }
        }
        let mut out = Vec::with_capacity(self.len);
        walk(&self.root, &mut out);
        out
    }

    /// The tree in pre-order (root first) with child positions, for drawing.
    pub fn nodes(&self) -> Vec<NodeView<K, V>> {
        fn walk<K: Copy, V: Copy>(link: &Link<K, V>, out: &mut Vec<NodeView<K, V>>) -> Option<usize> {
            let n = link.as_ref()?;
            let at = out.len();
            out.push(NodeView {
                key: n.key,
                value: n.value,
                height: n.height,
                balance: balance_of(n),
                left: None,
                right: None,
            });
            let left = walk(&n.left, out);
            let right = walk(&n.right, out);
            out[at].left = left;
            out[at].right = right;
            Some(at)
        }
        let mut out = Vec::with_capacity(self.len);
        walk(&self.root, &mut out);
        out
    }

    /// Verifies the invariants listed in the module documentation.
    pub fn check(&self) -> Result<(), String>
    where
        K: std::fmt::Debug,
    {
        fn walk<K: Ord + Copy + std::fmt::Debug, V>(
            link: &Link<K, V>,
            lo: Option<K>,
            hi: Option<K>,
            count: &mut usize,
        ) -> Result<u32, String> {
            let Some(n) = link else { return Ok(0) };
            *count += 1;
            if lo.is_some_and(|lo| n.key <= lo) || hi.is_some_and(|hi| n.key >= hi) {
                return Err(format!("key {:?} out of order", n.key));
            }
            let lh = walk(&n.left, lo, Some(n.key), count)?;
            let rh = walk(&n.right, Some(n.key), hi, count)?;
            if n.height != 1 + lh.max(rh) {
                return Err(format!("node {:?} has height {} but children {lh}/{rh}", n.key, n.height));
            }
            if (lh as i64 - rh as i64).abs() > 1 {
                return Err(format!("node {:?} out of balance ({lh} vs {rh})", n.key));
            }
            Ok(n.height)
        }
        let mut count = 0;
        walk(&self.root, None, None, &mut count)?;
        if count != self.len {
            return Err(format!("len {} but {} nodes", self.len, count));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn ascending_inserts_rotate_left_and_stay_balanced() {
        let mut t = Avl::new();
        assert_eq!(t.insert(1, ()), Some(vec![]));
        assert_eq!(t.insert(2, ()), Some(vec![]));
        assert_eq!(t.insert(3, ()), Some(vec![Rotation { kind: RotationKind::Left, at: 1 }]));
        assert_eq!(t.nodes()[0].key, 2, "2 became the root");
        assert_eq!(t.height(), 2);
        t.check().unwrap();
    }

    #[test]
    fn zigzag_insert_makes_a_double_rotation() {
        let mut t = Avl::new();
        t.insert(30, ());
        t.insert(10, ());
        let rots = t.insert(20, ()).unwrap();
        assert_eq!(rots, vec![Rotation { kind: RotationKind::LeftRight, at: 30 }]);
        assert_eq!(t.nodes()[0].key, 20);
        t.check().unwrap();
    }

    #[test]
    fn duplicate_insert_changes_nothing() {
        let mut t = Avl::new();
        t.insert(5, 'a');
        assert_eq!(t.insert(5, 'b'), None);
        assert_eq!(t.find(&5), (Some('a'), 1));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn removing_a_node_with_two_children_uses_its_successor() {
        let mut t = Avl::new();
        for k in [20, 10, 30, 25, 40] {
            t.insert(k, k * 10);
        }
        let (v, _) = t.remove(&20).unwrap();
        assert_eq!(v, 200);
        assert_eq!(t.nodes()[0].key, 25);
        assert_eq!(t.entries(), vec![(10, 100), (25, 250), (30, 300), (40, 400)]);
        t.check().unwrap();
        assert!(t.remove(&20).is_none());
    }

    #[test]
    fn removal_can_rotate() {
        let mut t = Avl::new();
        for k in [20, 10, 30, 40] {
            t.insert(k, ());
        }
        let (_, rots) = t.remove(&10).unwrap();
        assert_eq!(rots, vec![Rotation { kind: RotationKind::Left, at: 20 }]);
        t.check().unwrap();
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(i16),
        Remove(i16),
        Find(i16),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![(0i16..64).prop_map(Op::Insert), (0i16..64).prop_map(Op::Remove), (0i16..64).prop_map(Op::Find),]
    }

    proptest! {
        /// The tree behaves like a BTreeMap and keeps every AVL invariant
        /// after every single step.
        #[test]
        fn matches_btreemap_model(ops in proptest::collection::vec(op(), 0..200)) {
            let mut tree = Avl::new();
            let mut model = BTreeMap::new();
            for (i, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Insert(k) => {
                        let fresh = !model.contains_key(&k);
                        if fresh { model.insert(k, i); }
                        prop_assert_eq!(tree.insert(k, i).is_some(), fresh);
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(tree.remove(&k).map(|(v, _)| v), model.remove(&k));
                    }
                    Op::Find(k) => {
                        prop_assert_eq!(tree.find(&k).0, model.get(&k).copied());
                    }
                }
                prop_assert_eq!(tree.check(), Ok(()));
                prop_assert_eq!(tree.entries(), model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
                // An AVL tree of n nodes is at most ~1.44 log2(n+2) high.
                let bound = (1.45 * ((tree.len() + 2) as f64).log2()).ceil() as u32;
                prop_assert!(tree.height() <= bound);
            }
        }
    }
}
