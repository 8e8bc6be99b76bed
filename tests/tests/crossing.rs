//! The `crossing` tool (instructions per call into the component, counted
//! under callgrind) keeps working: it precompiles the component, runs each
//! call shape it names the number of times asked, and refuses what it does
//! not know.  Counting itself needs valgrind, which CI does not install;
//! the README's figures come from running it there by hand.

use std::process::Command;

fn crossing(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_crossing")).args(args).output().expect("run crossing");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn crossing_precompiles_then_runs_each_call_shape() {
    let (ok, out, err) = crossing(&["compile"]);
    assert!(ok, "compile failed: {err}");
    assert!(out.starts_with("precompiled into ") && out.trim_end().ends_with(".cwasm"), "{out}");
    for shape in ["now", "semop1"] {
        let (ok, out, err) = crossing(&[shape, "25"]);
        assert!(ok, "{shape} failed: {err}");
        assert_eq!(out.trim_end(), format!("25 × {shape}"));
    }
}

#[test]
fn crossing_refuses_what_it_does_not_know() {
    let (ok, _, err) = crossing(&["semop1", "many"]);
    assert!(!ok);
    assert!(err.contains("not a count: many"), "{err}");
    let (ok, _, err) = crossing(&[]);
    assert!(!ok);
    assert!(err.contains("usage: crossing compile"), "{err}");
}
