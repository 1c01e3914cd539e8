//! Readings from recorded figures: an idle run and runs next to busy processes (the demo's
//! tables of 2026-12-03 on the 2-core CI-class VM; the "1 busy process" and "2 busy
//! processes" rows are the load scenario's). Each reading must quote the figures it was given
//! and must not claim the opposite of what they show.

use super::*;

const PY: &str = "CPython 3.11.7";

#[test]
fn convoy_idle_explains_the_interval() {
    // Idle: Fair 2.05×, CPython policy 156×, CPython 3.11.7 124×.
    let s = convoy(2.05, 156.0, Some((PY, 124.0)));
    assert!(
        s.contains("2.05×") && s.contains("156×") && s.contains("124×"),
        "{s}"
    );
    assert!(
        s.contains("waited out the spinner's switch interval"),
        "{s}"
    );
    assert!(!s.contains("milder"), "{s}");
}

#[test]
fn convoy_next_to_busy_processes_says_what_it_saw() {
    // 1 busy process: Fair 4.39×, CPython policy 4.01×, CPython 3.11.7 3.21×: everyone else
    // came out ahead of Fair; the reading must not blame CPython's interval.
    let s = convoy(4.39, 4.01, Some((PY, 3.21)));
    assert!(s.contains("milder than Fair's"), "{s}");
    assert!(!s.contains("waited out"), "{s}");
    // 2 busy processes: Fair 2.20×, policy 2.83×, CPython 3.10×: a small gap, said as such.
    let s = convoy(2.20, 2.83, Some((PY, 3.10)));
    assert!(
        s.contains("The gap was small") && s.contains("1.41×"),
        "{s}"
    );
    assert!(!s.contains("waited out"), "{s}");
    // The policy far behind but CPython itself ahead of Fair: both said.
    let s = convoy(4.0, 60.0, Some((PY, 3.0)));
    assert!(
        s.contains("waited out") && s.contains("milder than ours (3.00× vs 4.00×)"),
        "{s}"
    );
    // Without CPython.
    let s = convoy(1.4, 90.0, None);
    assert!(!s.contains("CPython 3"), "{s}");
}

#[test]
fn io_overlap_or_not() {
    // Idle, 4 threads: sleeps 0.25× / 0.26×, TCP 0.29× / 0.34× of the 1-thread time.
    let s = io(4, [0.25, 0.26], [0.29, 0.34]);
    assert!(s.contains("overlap even under the GIL"), "{s}");
    assert!(s.contains("ideal 0.25×"), "{s}");
    // Waits that did not overlap (a machine with no core free for the echo threads).
    let s = io(4, [0.26, 0.26], [0.92, 0.95]);
    assert!(s.contains("did not overlap"), "{s}");
    assert!(!s.contains("overlap even"), "{s}");
}

#[test]
fn share_idle_and_busy() {
    // Idle: p99 3.28 / 10.73 / 14.42 intervals, Jain ≥ 0.9975.
    let s = share(4, 3.28, 10.73, Some((PY, 14.42)), 0.9975);
    assert!(
        s.contains("3.28×") && s.contains("10.73×") && s.contains("14.42×"),
        "{s}"
    );
    assert!(s.contains("only the FIFO hand-off bounded"), "{s}");
    assert!(s.contains("same share"), "{s}");
    // Next to 1 busy process: 3.48 / 12.97 / 12.85: Fair still ahead.
    let s = share(4, 3.48, 12.97, Some((PY, 12.85)), 0.99);
    assert!(s.contains("only the FIFO hand-off bounded"), "{s}");
    // A run where the policy did no worse: not claimed otherwise.
    let s = share(2, 1.46, 1.27, Some((PY, 1.30)), 0.9984);
    assert!(s.contains("no longer than Fair's"), "{s}");
    assert!(!s.contains("only the FIFO"), "{s}");
    assert!(share(4, 3.0, 9.0, None, 0.8).contains("not equal"));
    // 0.98996 prints as 0.990: the words follow the printed figure.
    let s = share(4, 3.22, 10.38, None, 0.989_96);
    assert!(s.contains("≥ 0.990") && s.contains("the same share"), "{s}");
    assert!(share(4, 3.0, 9.0, None, 0.96).contains("nearly the same share"));
}

#[test]
fn sweep_from_the_figures() {
    // Idle: hand-offs 981 / 210 / 58 at 1 / 5 / 20 ms; convoy 1.46–1.76× (Fair),
    // 90.23–3829× (policy), 106–1829× (CPython 3.11.7).
    let s = sweep(
        &[1.0, 5.0, 20.0],
        &[981.0, 210.0, 58.0],
        &[
            ("Fair", 1.46, 1.76),
            ("CPython policy", 90.23, 3829.0),
            (PY, 106.0, 1829.0),
        ],
    );
    assert!(s.contains("fell from 981 to 58"), "{s}");
    assert!(s.contains("Fair 1.46×–1.76×"), "{s}");
    assert!(
        s.contains("Fair's worst stayed below CPython policy's best"),
        "{s}"
    );
    let s = sweep(
        &[1.0, 5.0, 20.0],
        &[400.0, 420.0, 58.0],
        &[("Fair", 1.5, 6.0), ("CPython policy", 3.0, 40.0)],
    );
    assert!(s.contains("did not fall steadily"), "{s}");
    assert!(s.contains("overlapped"), "{s}");
    assert!(s.ends_with('.') && !s.ends_with(".."), "{s}");
}

#[test]
fn load_note_only_under_load() {
    let quiet = LoadReading {
        steal: Some(0.01),
        outside: Some(0.0),
        others_cpu: Some(0.1),
        ..LoadReading::default()
    };
    assert_eq!(load_note(&quiet), None);
    let busy = LoadReading {
        others_cpu: Some(0.93),
        outside: Some(1.0),
        ..quiet
    };
    let s = load_note(&busy).unwrap();
    assert!(s.contains("other processes kept 0.9 cores busy"), "{s}");
    assert!(s.contains("1.0 threads outside"), "{s}");
    assert!(!s.contains("hypervisor"), "{s}");
}

#[test]
fn cpu_threads_idle_and_busy() {
    // Idle: Fair 1.15×, policy 1.07×, CPython 1.18×; free-threaded 0.52×, std 0.51×.
    let s = cpu_threads(2, [1.15, 1.07], Some((PY, 1.18)), 0.52, 0.51, 2);
    assert!(s.contains("no faster than one thread"), "{s}");
    assert!(
        s.contains("a 1.92× speed-up on 2 cores, close to plain std threads' 1.96×"),
        "{s}"
    );
    // Next to busy processes: Fair 1.22×, policy 0.93×, CPython 0.95×; free 0.89×, std 0.94×.
    let s = cpu_threads(2, [1.22, 0.93], Some((PY, 0.95)), 0.89, 0.94, 2);
    assert!(s.contains("no faster than one thread"), "{s}");
    assert!(s.contains("could not show the parallel speed-up"), "{s}");
    assert!(!s.contains("side by side"), "{s}");
    // Next to one busy process: Fair 1.11×, policy 1.12×, CPython 0.897×: Fair's figure is
    // read as taking turns, CPython's as noise — never "faster than one thread" after 1.11×.
    let s = cpu_threads(2, [1.11, 1.12], Some((PY, 0.897)), 0.855, 0.813, 2);
    assert!(s.contains("no faster than one thread"), "{s}");
    assert!(
        s.contains("CPython 3.11.7's 0.90× under 1× only because"),
        "{s}"
    );
    assert!(!s.contains("faster than one thread, which"), "{s}");
    // A GIL figure well under 1× (the same busy run's N = 1 column, Fair 0.84×) is not
    // explained as taking turns.
    let s = cpu_threads(2, [0.84, 1.02], Some((PY, 1.16)), 0.89, 0.94, 2);
    assert!(!s.contains("no faster"), "{s}");
    assert!(s.contains("sequential rounds were slowed"), "{s}");
    // Free-threaded clearly behind the ceiling.
    let s = cpu_threads(2, [1.0, 1.0], None, 0.8, 0.52, 2);
    assert!(s.contains("well below plain std threads' 1.92×"), "{s}");
    assert!(cpu_threads(2, [1.0, 1.0], None, 1.0, 1.0, 1).contains("on 1 core"));
    // --threads 1: nothing to compare, and no claim about taking turns.
    let s = cpu_threads(1, [2.49, 2.83], None, 2.8, 1.07, 2);
    assert!(
        s.contains("--threads 2 or more") && !s.contains("take turns"),
        "{s}"
    );
}
