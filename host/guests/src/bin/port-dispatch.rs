//! An event-port dispatcher: one loop over `port_getn` serving events from
//! two pipes (PORT_SOURCE_FD, one-shot: re-associated after each event)
//! and from `port_send` (PORT_SOURCE_USER), then a timed `port_getn` that
//! ends with ETIME and the events gathered so far, and alert mode.
//!
//! Guests are single-threaded wasm32-wasip2 programs, so this dispatcher
//! serves its own events; the playground's event-port test shows worker
//! threads parked in `port_getn`, head first.

use ipclab_guests::*;

const FD: u16 = 4;
const POLLIN: u16 = 0x1;

fn main() {
    let port = check("port_create", port::port_create());
    let (r1, w1) = check("pipe", fd::pipe());
    let (r2, w2) = check("pipe", fd::pipe());
    check("associate", port::port_associate(port, FD, r1 as u64, POLLIN, 1));
    check("associate", port::port_associate(port, FD, r2 as u64, POLLIN, 2));
    check("write", fd::write(w2, b"job for 2"));
    check("port_send", port::port_send(port, 0x42, 99));
    check("write", fd::write(w1, b"job for 1"));
    let mut served = 0;
    while served < 3 {
        let got = check("port_getn", port::port_getn(port, 8, 1, None));
        for ev in got.events {
            match ev.source {
                FD => {
                    let fd = ev.object as i32;
                    let data = check("read", fd::read(fd, 64));
                    println!("fd {fd} (user {}) ready: {:?}", ev.user, String::from_utf8_lossy(&data));
                    // One-shot: re-arm the association.
                    check("associate", port::port_associate(port, FD, ev.object, POLLIN, ev.user));
                }
                s => println!("source {s}: events {:#x}, user {}", ev.events, ev.user),
            }
            served += 1;
        }
    }
    check("port_send", port::port_send(port, 1, 1));
    let partial = check("port_getn", port::port_getn(port, 8, 3, Some(Timespec { sec: 0, nsec: 2_000_000 })));
    println!("asked for 3 within 2 ms: {} event(s), etime {}", partial.events.len(), partial.etime);
    check("port_alert", port::port_alert(port, 1, 0x7, 7));
    let alerted = check("port_getn", port::port_getn(port, 8, 5, None));
    println!(
        "in alert mode port_getn returns at once: source {}, events {:#x}",
        alerted.events[0].source, alerted.events[0].events
    );
    println!("pending after all that: {}", check("port_pending", port::port_pending(port)));
    for f in [r1, w1, r2, w2, port] {
        check("close", fd::close(f));
    }
}
