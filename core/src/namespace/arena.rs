//! # Arena
//!
//! A slab of values addressed by small integer handles, with a free list.
//! The namespace keeps its objects here (a removed object may outlive its
//! slot until its last reference drops), and a message queue keeps its
//! messages here.  Handles are plain `u32`s so the whole structure is plain
//! data: it serializes into a snapshot and restores to the same state.
//!
//! Invariants (checked by [`Arena::check`]): a handle returned by
//! [`Arena::insert`] stays valid until [`Arena::remove`]; freed handles are
//! reused last-freed first (a stack), which is deterministic; every free
//! handle names an empty cell, once.  All operations are O(1).

use serde::{Deserialize, Serialize};

/// A handle into an [`Arena`].
pub type Handle = u32;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arena<T> {
    cells: Vec<Option<T>>,
    free: Vec<Handle>,
    len: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena { cells: Vec::new(), free: Vec::new(), len: 0 }
    }
}

impl<T> Arena<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value` and returns its handle.
    pub fn insert(&mut self, value: T) -> Handle {
        self.len += 1;
        if let Some(h) = self.free.pop()
            && let Some(cell @ None) = self.cells.get_mut(h as usize)
        {
            *cell = Some(value);
            h
        } else {
            self.cells.push(Some(value));
            (self.cells.len() - 1) as Handle
        }
    }

    /// Takes the value out, freeing its handle.
    pub fn remove(&mut self, h: Handle) -> Option<T> {
        let value = self.cells.get_mut(h as usize)?.take()?;
        self.free.push(h);
        self.len -= 1;
        Some(value)
    }

    pub fn get(&self, h: Handle) -> Option<&T> {
        self.cells.get(h as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        self.cells.get_mut(h as usize)?.as_mut()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Verifies the free list and the count (a restored snapshot may lie).
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for &h in &self.free {
            if !seen.insert(h) || !matches!(self.cells.get(h as usize), Some(None)) {
                return Err(format!("arena: free handle {h} is duplicated, out of range or in use"));
            }
        }
        let live = self.cells.iter().filter(|c| c.is_some()).count();
        if live != self.len || live + self.free.len() != self.cells.len() {
            return Err(format!(
                "arena: {live} live, len {}, {} free of {}",
                self.len,
                self.free.len(),
                self.cells.len()
            ));
        }
        Ok(())
    }

    /// Live values in handle order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle, &T)> {
        self.cells.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|v| (i as Handle, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_reused_after_remove() {
        let mut a = Arena::new();
        let x = a.insert("x");
        let y = a.insert("y");
        assert_eq!(a.remove(x), Some("x"));
        assert_eq!(a.remove(x), None, "double remove is refused");
        let z = a.insert("z");
        assert_eq!(z, x);
        assert_eq!(a.get(y), Some(&"y"));
        assert_eq!(a.len(), 2);
        assert_eq!(a.iter().map(|(_, v)| *v).collect::<Vec<_>>(), vec!["z", "y"]);
    }
}
