use super::*;

#[test]
fn break_even_follows_the_linear_model() {
    // 100 ms sequential, 2 processes in 60 ms of which 10 ms start: f = 0.5, so the
    // processes pay above 10 ms / 0.5 = 20 ms of work.
    let w = break_even(0.6, 0.010, 0.100).unwrap();
    assert!((w - 0.020).abs() < 1e-12, "{w}");
    assert_eq!(break_even(1.2, 0.010, 0.100), None, "f = 1.1: never pays");
    assert_eq!(break_even(f64::NAN, 0.010, 0.100), None);
    assert_eq!(break_even(0.6, 0.010, 0.0), None);
    // A start cost above the whole measured time: f clamps to 0, break-even = start.
    assert_eq!(break_even(0.05, 0.010, 0.100), Some(0.010));
}

#[test]
fn the_processes_sentence_says_what_was_measured() {
    let fast = procs_sentence("ours", 2, 0.6, 0.010, 0.100);
    assert_eq!(
        fast,
        "2 processes (ours) took 0.60× the sequential time, a 1.67× speed-up: true \
         parallelism at a higher overhead (starting 2 processes that do nothing costs \
         ~10.0 ms); by this run's figures, work shorter than ~20.0 ms is faster on one thread."
    );
    // Barely faster: not called parallelism.
    let barely = procs_sentence("a pool", 2, 0.97, 0.011, 0.155);
    assert!(
        barely.contains("0.97× the sequential time, only a 1.03× speed-up ("),
        "{barely}"
    );
    assert!(!barely.contains("parallelism"), "{barely}");
    // Slower, but the parallel part gained: say so, and from where it would pay.
    let slow = procs_sentence("a pool", 2, 1.05, 0.060, 0.100);
    assert!(
        slow.contains("took 1.05× the sequential time, no faster"),
        "{slow}"
    );
    assert!(
        slow.contains("shorter than ~109.1 ms is faster on one thread"),
        "{slow}"
    );
    // A busy machine: no gain at all, no break-even invented.
    let busy = procs_sentence("ours", 1, 1.3, 0.001, 0.100);
    assert!(busy.contains("1 process (ours) took 1.30×"), "{busy}");
    assert!(
        busy.contains("no speed-up on this machine right now"),
        "{busy}"
    );
    assert!(!busy.contains("faster on one thread"), "{busy}");
}

#[test]
fn a_variant_gives_medians_and_the_rounds_spread() {
    let v = Variant {
        label: "x".into(),
        key: "x",
        ratios: vec![vec![0.5, 0.25, 1.0], vec![]],
        times: vec![0.1, f64::NAN],
    };
    assert!((v.ratio(0) - 0.5).abs() < 1e-12);
    assert!(v.ratio(1).is_nan() && v.ratio(7).is_nan());
    let p = v.speedup(0);
    assert_eq!((p.y, p.lo, p.hi), (2.0, 1.0, 4.0));
    assert!(v.speedup(1).y.is_nan());
}

#[test]
fn python_variants_read_their_prefix() {
    let py = PyResults::parse("t2_s 0.5\nt2_ratios 1.0 1.1\np2_s 0.3\np2_ratios 0.6 0.7 0.5\n");
    let t = Variant::python("t".into(), "cpython", &py, "t", &[1, 2]);
    assert!(t.ratios[0].is_empty() && t.times[0].is_nan());
    assert_eq!(t.ratios[1], [1.0, 1.1]);
    let p = Variant::python("p".into(), "cpython_processes", &py, "p", &[2]);
    assert!((p.ratio(0) - 0.6).abs() < 1e-12);
    assert!((p.times[0] - 0.3).abs() < 1e-12);
}
