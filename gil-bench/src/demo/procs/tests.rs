use std::time::{Duration, Instant};

use super::*;

/// The body of a worker in unit tests, where this binary's `main` is libtest's: `Worker`
/// runs this binary again with only this test selected and the units in the environment.
/// Run without that variable (`cargo test -- --ignored`), it returns at once.
#[test]
#[ignore = "the body of a worker process, started by Worker in unit tests"]
fn worker_process() {
    if let Some(units) = std::env::var(TEST_WORKER_ENV)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        std::process::exit(work(units));
    }
}

fn args(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|&x| x.to_owned()).collect()
}

#[test]
fn only_a_bounded_worker_request_is_one() {
    assert_eq!(worker_request(args(&["--cpu-worker", "1000"])), Some(1000));
    assert_eq!(worker_request(args(&["--cpu-worker", "0"])), Some(0));
    assert_eq!(worker_request(args(&["--only", "cpu"])), None);
    assert_eq!(worker_request(args(&["--cpu-worker"])), None);
    assert_eq!(worker_request(args(&["--cpu-worker", "-1"])), None);
    assert_eq!(worker_request(args(&["--cpu-worker", "1.5"])), None);
    let over = (MAX_UNITS + 1).to_string();
    assert_eq!(worker_request(args(&["--cpu-worker", &over])), None);
    assert_eq!(worker_request(args(&[])), None);
}

#[test]
fn the_reply_line_is_found_among_others() {
    let r = Reply {
        ns: 12,
        checksum: 34,
    };
    assert_eq!(parse_reply("cpu-worker 12 34\n"), Some(r));
    assert_eq!(
        parse_reply("\nrunning 1 test\ncpu-worker 12 34\n.\ntest result: ok"),
        Some(r)
    );
    assert_eq!(parse_reply("cpu-worker 12\n"), None);
    assert_eq!(parse_reply("cpu-worker 12 34 56\n"), None);
    assert_eq!(parse_reply("cpu-worker x 34\n"), None);
    assert_eq!(parse_reply(""), None);
}

/// Each worker computes its own part: the same checksum as the loop run here.
#[test]
fn workers_compute_their_parts_and_reply() {
    let units = 10_001;
    let run = cpu_processes(2, units).unwrap();
    assert_eq!(run.replies.len(), 2);
    let gil = gil_core::Gil::new();
    let mut guard = gil.acquire();
    for (i, reply) in run.replies.iter().enumerate() {
        assert_eq!(reply.checksum, cpu_job(&mut guard, part(units, 2, i)));
        assert!(Duration::from_nanos(reply.ns) <= run.wall, "{run:?}");
    }
    let cost = start_cost(1, 3).unwrap();
    assert!(cost > 0.0 && cost < 10.0, "{cost}");
}

/// A worker whose parent's pipe closes stops at once, long before its units are done.
#[test]
fn a_worker_exits_when_the_parent_pipe_closes() {
    let exe = std::env::current_exe().unwrap();
    let mut w = Worker::start(&exe, MAX_UNITS).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let t0 = Instant::now();
    drop(w.pipe.take());
    let child = w.child.as_mut().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "the worker ran on");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(ORPHANED));
}

#[test]
fn a_worker_that_cannot_start_is_an_error() {
    let e = Worker::start(Path::new("/nonexistent/gil-demo"), 1).unwrap_err();
    assert!(e.contains("cannot start a worker process"), "{e}");
}
