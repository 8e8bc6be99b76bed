//! What the `ipclab` binary's tests share: the repository root and a way
//! to run `ipclab` from it as a user would.

use std::path::PathBuf;
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `ipclab ARGS…` from the repository root: (status, stdout, stderr).
pub fn ipclab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ipclab"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the ipclab binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
