use super::*;

/// The body of a burner in unit tests, where this binary's `main` is libtest's: `Burners`
/// runs this binary again with only this test selected and the lifetime in the environment.
/// Run without that variable (`cargo test -- --ignored`), it returns at once.
#[test]
#[ignore = "the body of a burner process, started by Burners in unit tests"]
fn burner_process() {
    if let Some(d) = std::env::var(TEST_BURN_ENV)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        black_box(burn(Duration::from_secs_f64(d)));
    }
}

fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

fn cpu_ticks_of(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    // Fields after the name: state is 0, utime is 11, stime 12.
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

#[test]
fn burners_start_burn_and_are_reaped() {
    if !std::path::Path::new("/proc/self/stat").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    let mut b = Burners::start(2, Duration::from_secs(30)).unwrap();
    let pids = b.pids();
    assert_eq!(pids.len(), 2);
    assert_eq!(b.alive(), 2);
    // They burn: CPU time shows up within a second even on a busy machine.
    let t0 = Instant::now();
    while pids.iter().any(|&p| cpu_ticks_of(p).unwrap_or(0) == 0)
        && t0.elapsed() < Duration::from_secs(2)
    {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        pids.iter().all(|&p| cpu_ticks_of(p).unwrap_or(0) > 0),
        "{pids:?}"
    );
    drop(b);
    // Killed and reaped: no process (not even a zombie) is left under those ids.
    for p in pids {
        assert!(!exists(p), "burner {p} survived");
    }
    assert!(Burners::start(0, Duration::ZERO).unwrap().pids().is_empty());
}

#[test]
fn a_burner_stops_by_itself_at_its_deadline() {
    let mut b = Burners::spawn(1, Duration::from_millis(100)).unwrap();
    let t0 = Instant::now();
    while b.alive() > 0 && t0.elapsed() < Duration::from_secs(4) {
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(b.alive(), 0, "still burning after {:?}", t0.elapsed());
    assert!(
        t0.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t0.elapsed()
    );
    let status = b.children[0].wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn burn_requests() {
    let args = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        burn_request(args("--burn 1.5")),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(burn_request(args("--burn 0")), Some(Duration::ZERO));
    for no in [
        "",
        "--burn",
        "--burn x",
        "--burn -1",
        "--burn 1e9",
        "--only load --burn 1",
    ] {
        assert_eq!(burn_request(args(no)), None, "{no:?}");
    }
    let t0 = Instant::now();
    burn(Duration::from_millis(5));
    assert!(t0.elapsed() >= Duration::from_millis(5));
}

const STAT: &str = "\
cpu  18211 0 3267 125900 633 0 50 1282 0 0
cpu0 9000 0 1600 63000 300 0 25 640 0 0
intr 123 0 0
ctxt 456
btime 1700000000
processes 13707
procs_running 3
procs_blocked 0
";

#[test]
fn parses_proc_text() {
    assert_eq!(parse_procs_running(STAT), Some(3));
    assert_eq!(
        parse_cpu_ticks(STAT),
        Some((1282, 18211 + 3267 + 125_900 + 633 + 50 + 1282))
    );
    assert_eq!(parse_procs_running("cpu 1 2 3\n"), None);
    assert_eq!(parse_cpu_ticks("cpu0 1 2 3 4 5 6 7 8\n"), None);
    assert_eq!(parse_cpu_ticks("cpu  1 2 3\n"), None);
    assert_eq!(parse_loadavg("1.47 0.54 0.23 3/108 13707\n"), Some(1.47));
    assert_eq!(parse_loadavg(""), None);
    assert_eq!(steal_between(Some((10, 100)), Some((15, 200))), Some(0.05));
    assert_eq!(steal_between(Some((10, 100)), Some((10, 100))), None);
    assert_eq!(steal_between(None, Some((10, 100))), None);
    assert_eq!(task_state("42 (a (b) c) R 1 42 42"), Some('R'));
    assert_eq!(task_state("42 (x) S 1"), Some('S'));
    assert_eq!(task_state("garbage"), None);
}

#[test]
fn readings_and_their_medians() {
    let sampler = Sampler::start();
    thread::sleep(Duration::from_millis(10));
    let r = sampler.stop();
    if std::path::Path::new("/proc/stat").exists() {
        // The sampler itself was runnable when it looked.
        assert!(r.procs_running.is_some_and(|x| x >= 1.0), "{r:?}");
        assert!(r.outside.is_some_and(|x| x >= 0.0), "{r:?}");
        assert!(r.loadavg.is_some(), "{r:?}");
        assert!(r.others_cpu.is_none_or(|x| x >= 0.0), "{r:?}");
    }
    let two = LoadReading {
        procs_running: Some(2.0),
        outside: None,
        loadavg: Some(1.0),
        steal: Some(0.0),
        others_cpu: Some(0.1),
    };
    let four = LoadReading {
        procs_running: Some(4.0),
        outside: Some(1.0),
        ..two
    };
    let m = LoadReading::median_of(&[two, four, four]);
    assert_eq!(m.procs_running, Some(4.0));
    assert_eq!(m.outside, Some(1.0));
    assert_eq!(LoadReading::median_of(&[]), LoadReading::default());
    assert!(!LoadReading::default().is_noisy());
    assert!(four.is_noisy()); // one thread outside this run
    let stolen = LoadReading {
        steal: Some(0.2),
        ..two
    };
    assert!(stolen.is_noisy());
    assert!(!two.is_noisy());
    let neighbour = LoadReading {
        others_cpu: Some(0.9),
        ..two
    };
    assert!(neighbour.is_noisy()); // another process kept 0.9 cores busy
}

/// A busy child of this process is ours, not another process's load: its CPU time counts in
/// this process tree's ticks.
#[test]
fn a_busy_child_counts_as_ours() {
    if !std::path::Path::new("/proc/stat").exists() {
        return;
    }
    let before = others::ticks_now().expect("/proc readable");
    let burners = Burners::start(1, Duration::from_secs(30)).unwrap();
    let pid = burners.pids()[0];
    let t0 = Instant::now();
    while cpu_ticks_of(pid).unwrap_or(0) < 10 && t0.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(20));
    }
    let child = cpu_ticks_of(pid).unwrap();
    let after = others::ticks_now().expect("/proc readable");
    assert!(child >= 10, "the burner did not burn: {child} ticks");
    assert!(
        after.2 - before.2 >= child,
        "{before:?} {after:?}, child {child}"
    );
    drop(burners);
}
