//! (b) I/O-bound work split over 1, 2, 4 threads: sleeps and loopback TCP requests, every
//! blocking call inside `allow_threads`.

use std::time::Duration;

use super::ctx::{Ctx, list};
use super::reading;
use super::report::{Chart, Section, Table, ms, num, times};
use super::scenarios::{self, Flavor};
use super::svg::{Bars, RefLine, count};
use crate::json::Obj;
use crate::stats::{median, round_ratio, try_interleaved};

/// (b) I/O-bound scaling: sleeps and loopback TCP requests.
#[expect(
    clippy::too_many_lines,
    reason = "a straight-line script: measure, tabulate, read, chart"
)]
pub(super) fn io(ctx: &mut Ctx<'_>) -> Result<Section, String> {
    let s = ctx.s;
    let sleeps = (ctx.scaled(40.0) as usize).max(*s.threads.last().unwrap_or(&1));
    let each = Duration::from_millis(5);
    let trips = (ctx.scaled(100.0) as usize).max(*s.threads.last().unwrap_or(&1));
    let delay = Duration::from_millis(1);
    let rts = Flavor::ALL
        .iter()
        .map(|f| f.runtime(s.interval))
        .collect::<Result<Vec<_>, _>>()?;
    // (kind: 0 sleeps / 1 tcp, flavour, threads)
    let variants: Vec<(usize, usize, usize)> = (0..2)
        .flat_map(|kind| {
            (0..Flavor::ALL.len()).flat_map(move |f| s.threads.iter().map(move |&k| (kind, f, k)))
        })
        .collect();
    let samples = try_interleaved::<_, String>(variants.len(), s.rounds, |i| {
        let (kind, f, k) = variants[i];
        let d = if kind == 0 {
            scenarios::sleep_threads(&rts[f], k, sleeps, each)?
        } else {
            scenarios::tcp_threads(&rts[f], k, trips, delay)?
        };
        Ok(d.as_secs_f64())
    })?;
    let index = |kind: usize, f: usize, k: usize| variants.iter().position(|&v| v == (kind, f, k));
    let time = |kind: usize, f: usize, k: usize| {
        index(kind, f, k).map_or(f64::NAN, |i| median(&samples[i]))
    };
    // Time relative to 1 thread of the same work and flavour: median of per-round ratios.
    let rel = |kind: usize, f: usize, k: usize| match (index(kind, f, k), index(kind, f, 1)) {
        (Some(i), Some(one)) => round_ratio(&samples[i], &samples[one]),
        _ => f64::NAN,
    };
    let py = ctx.python(
        "io",
        &[
            ("sleeps", sleeps.to_string()),
            ("sleep_ms", "5".into()),
            ("trips", trips.to_string()),
            ("delay_ms", "1".into()),
            ("threads", list(&s.threads)),
            ("repeats", s.rounds.to_string()),
        ],
    );
    let py_get = |kind: usize, k: usize, what: &str| {
        let name = if kind == 0 { "sleep" } else { "tcp" };
        py.as_ref()
            .map_or(f64::NAN, |p| p.get(&format!("{name}_t{k}_{what}")))
    };
    let pyl = ctx.py_label();
    let versus = format!("Fair's ratio ÷ {pyl}'s");
    let mut t = Table::new(&[
        "work, threads",
        Flavor::Fair.label(),
        Flavor::CPython.label(),
        Flavor::FreeThreaded.label(),
        &pyl,
        &versus,
    ]);
    let kinds = [
        format!("{sleeps} sleeps of 5 ms"),
        format!("{trips} TCP requests"),
    ];
    let cell = |ratio: f64, time: f64| format!("{} ({})", times(ratio), ms(time));
    let mut json_rows = Vec::new();
    let mut groups = Vec::new();
    let mut series: Vec<(String, Vec<f64>)> = Flavor::ALL
        .iter()
        .map(|f| (f.label().to_owned(), Vec::new()))
        .collect();
    series.push((pyl.clone(), Vec::new()));
    for (kind, kind_label) in kinds.iter().enumerate() {
        for &k in &s.threads {
            let mut cells = vec![format!("{kind_label}, {k}")];
            let mut row = Obj::new()
                .with("work", if kind == 0 { "sleep" } else { "tcp" })
                .with("threads", k);
            for (f, (_, ratios)) in series.iter_mut().take(Flavor::ALL.len()).enumerate() {
                cells.push(cell(rel(kind, f, k), time(kind, f, k)));
                ratios.push(rel(kind, f, k));
                row = row
                    .with(&format!("{}_s", Flavor::ALL[f].key()), time(kind, f, k))
                    .with(
                        &format!("{}_vs_1_thread", Flavor::ALL[f].key()),
                        rel(kind, f, k),
                    );
            }
            let py_ratio = py_get(kind, k, "ratio");
            cells.push(cell(py_ratio, py_get(kind, k, "s")));
            cells.push(num(rel(kind, 0, k) / py_ratio, 2));
            series[3].1.push(py_ratio);
            t.row(cells);
            json_rows.push(
                row.with("cpython_s", py_get(kind, k, "s"))
                    .with("cpython_vs_1_thread", py_ratio),
            );
            groups.push(format!("{} ×{k}", if kind == 0 { "sleep" } else { "TCP" }));
        }
    }
    if py.is_none() {
        series.pop();
        t.drop_columns(&[&pyl, &versus]);
    }
    let kmax = *s.threads.last().unwrap_or(&1);
    let reading = reading::io(
        kmax,
        [rel(0, 0, kmax), rel(0, 2, kmax)],
        [rel(1, 0, kmax), rel(1, 2, kmax)],
    );
    let chart = Bars {
        title: "I/O-bound work split over threads: time relative to 1 thread".into(),
        y_label: "time / 1-thread time".into(),
        groups,
        series,
        log: false,
        refs: vec![RefLine {
            y: 1.0,
            label: "1 thread".into(),
        }],
    };
    Ok(Section {
        id: "io",
        title: "I/O-bound work on 1, 2, 4 threads".into(),
        setup: format!(
            "{sleeps} sleeps of 5 ms, and {trips} one-byte requests over loopback TCP to echo threads \
             that answer after 1 ms (a stand-in for a remote service), split over the threads; every \
             blocking call runs inside allow_threads (the GIL is released), as CPython's time.sleep \
             and socket calls do. Median of {}.",
            count(s.rounds, "interleaved round")
        ),
        table: t,
        reading,
        json: Obj::new()
            .with("sleeps", sleeps)
            .with("sleep_ms", 5.0)
            .with("tcp_requests", trips)
            .with("tcp_server_delay_ms", 1.0)
            .with("rows", json_rows),
        charts: vec![Chart::new(
            "io.svg",
            chart.svg(),
            "Time for the same sleeps and network requests split over N threads, relative to one thread (lower is faster). A blocking call releases the GIL, so the waits overlap and the bars shrink toward 1/N under the GIL too.",
        )],
    })
}
