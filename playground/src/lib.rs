//! # ipc-playground: a teaching playground for Unix IPC
//!
//! A Yew app (compiled to `wasm32-unknown-unknown`, loaded by `www/index.html`)
//! that drives the ipc-component, transpiled to JavaScript by jco, through the
//! small bridge in `js/bridge.js`.  The playground holds no kernel logic:
//! everything it shows (processes, slot table, AVL tree of keys, id list,
//! queues, semaphore arrays, shared memory, POSIX semaphores, event ports,
//! pipes and fd tables, event log) is
//! read back from the component's `inspect` interface and event log after
//! every call.
//!
//! Modules: [`bridge`] calls into the component, [`model`] mirrors the state
//! it reports, [`app`] runs calls and reports results, [`panels`], [`sem`],
//! [`shm`], [`psem`], [`ports`] and [`views`] draw the page, [`timeline`] draws
//! the session's steps, its play controls, keyboard shortcuts and share
//! controls, [`explain`] the shown step's narration and kernel path,
//! [`predict`] predict-then-reveal, [`preset`] the presets (stories to step through, with a goal
//! checked at the last step), [`form`] and [`errno`] are helpers.

pub mod app;
pub mod bridge;
pub mod errno;
pub mod explain;
pub mod form;
pub mod model;
pub mod panels;
pub mod ports;
pub mod predict;
pub mod preset;
pub mod psem;
pub mod sem;
pub mod shm;
pub mod timeline;
pub mod views;

use wasm_bindgen::prelude::*;

/// Entry point: mounts the app on `<div id="app">` (or the body).
#[wasm_bindgen(start)]
pub fn start() {
    let document = web_sys::window().and_then(|w| w.document());
    match document.and_then(|d| d.get_element_by_id("app")) {
        Some(root) => {
            yew::Renderer::<app::App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<app::App>::new().render();
        }
    }
}
