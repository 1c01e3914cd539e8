//! Running the demo: the selected scenarios one after another, each under a load
//! [`Sampler`], then the goal table and the report folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use serde::Serialize;

use super::ctx::Ctx;
use super::goals::{Findings, Goal};
use super::history::{self, Meta};
use super::page::{self, Page};
use super::report::{Section, ms, num};
use super::settings::{Scenario, Settings};
use super::{convoy, cpu, io, load, lock, race, reading, share, sweep, timeline};
use crate::cpython::Python;
use crate::host::{cores, file_stamp};
use crate::json::{self, Obj};
use crate::load::{LoadReading, OTHERS_LIMIT, STEAL_LIMIT, Sampler};
use crate::results::{self, Tee};

/// The default report folder: `target/gil-demo/<UTC time>` in the workspace.
fn default_out() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("gil-demo")
        .join(file_stamp(SystemTime::now()))
}

/// The report folder's `results.json` (see [`crate::json`] for the schema).
#[derive(Debug, Serialize)]
struct Results<'a> {
    tool: &'static str,
    version: &'static str,
    meta: &'a Meta,
    settings: RunSettings<'a>,
    scenarios: Obj,
    goals: &'a [Goal],
}

/// The settings a report was measured with.
#[derive(Debug, Serialize)]
struct RunSettings<'a> {
    scale: f64,
    rounds: usize,
    threads: &'a [usize],
    interval_ms: f64,
    intervals_ms: Vec<f64>,
}

/// Writes `results.json`, the charts and `index.html` into `out`; returns the charts' names.
fn write_report(
    out: &Path,
    results: &Results<'_>,
    html: &str,
    sections: &[Section],
) -> Result<Vec<String>, String> {
    let write = |name: &str, text: &str| {
        std::fs::write(out.join(name), text)
            .map_err(|e| format!("cannot write {}: {e}", out.join(name).display()))
    };
    write("results.json", &json::pretty(results))?;
    let mut chart_names = Vec::new();
    for sec in sections {
        for chart in &sec.charts {
            write(&chart.file, &chart.svg)?;
            chart_names.push(chart.file.clone());
        }
    }
    write("index.html", html)?;
    Ok(chart_names)
}

/// Runs the demo: every selected scenario, the goal table and the report folder, printing as
/// it goes (tables on stdout, progress on stderr). Returns the report folder.
///
/// # Errors
///
/// The report folder cannot be created or written, or a scenario failed (the others still
/// run and the report is still written).
#[expect(
    clippy::too_many_lines,
    reason = "one pass: find CPython, run each scenario under a sampler, check the goals, write the report"
)]
pub fn run(settings: &Settings) -> Result<PathBuf, String> {
    let started = Instant::now();
    let out = settings.out.clone().unwrap_or_else(default_out);
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("cannot create the report folder {}: {e}", out.display()))?;
    let out = std::fs::canonicalize(&out).unwrap_or(out);
    let py = match Python::choose(&settings.python, &out) {
        Ok(Some(py)) => Some(py),
        Ok(None) => {
            eprintln!("CPython: off (--no-python); our numbers only.");
            None
        }
        Err(e) => {
            eprintln!("CPython: {e}; going on with our numbers only.");
            None
        }
    };
    let cores = cores();
    let mut intro = vec![format!(
        "What the GIL does, measured on this machine: {cores} cores, {} {}; switch interval {}; \
         scale {}, {}.",
        std::env::consts::OS,
        std::env::consts::ARCH,
        ms(settings.interval.as_secs_f64()),
        settings.scale,
        super::svg::count(settings.rounds, "round")
    )];
    intro.push(py.as_ref().map_or_else(
        || "CPython: not run.".to_owned(),
        |p| {
            format!(
                "CPython {} ({}) runs the same scenarios beside us.",
                p.version,
                p.program.display()
            )
        },
    ));
    let mut printed = Tee::new();
    for line in &intro {
        printed.line(line);
    }
    let selected: Vec<Scenario> = Scenario::ALL
        .into_iter()
        .filter(|s| settings.only.is_empty() || settings.only.contains(s))
        .collect();
    let mut ctx = Ctx {
        s: settings,
        py,
        findings: Findings::default(),
    };
    let mut sections = Vec::new();
    let mut failures = Vec::new();
    for (i, sc) in selected.iter().enumerate() {
        let what = match sc {
            Scenario::Cpu => "CPU-bound work on 1, 2, 4 threads and processes",
            Scenario::Io => "sleeps and loopback TCP requests on 1, 2, 4 threads",
            Scenario::Timeline => "who holds the GIL when: 2 CPU threads and 1 I/O thread traced",
            Scenario::Convoy => "convoy: socket round trips next to 0, 1, 2 spinners",
            Scenario::Share => "K = 2 and 4 threads sharing the GIL",
            Scenario::Load => "convoy and sharing next to 0, 1, 2 busy processes",
            Scenario::Sweep => "switch intervals 1, 5, 20 ms",
            Scenario::Lock => "uncontended Lock",
            Scenario::Race => "counter += 1 on 2 and 4 threads, without and with a Lock",
        };
        eprintln!(
            "[{}/{}] {what}{} …",
            i + 1,
            selected.len(),
            if ctx.py.is_some() && *sc != Scenario::Timeline {
                ", then CPython"
            } else {
                ""
            }
        );
        let t0 = Instant::now();
        let sampler = Sampler::start();
        let result = match sc {
            Scenario::Cpu => cpu::cpu(&mut ctx),
            Scenario::Io => io::io(&mut ctx),
            Scenario::Timeline => timeline::timeline(&mut ctx),
            Scenario::Convoy => Ok(convoy::convoy(&mut ctx)),
            Scenario::Share => share::share(&mut ctx),
            Scenario::Load => load::load(&mut ctx),
            Scenario::Sweep => Ok(sweep::sweep(&mut ctx)),
            Scenario::Lock => Ok(lock::lock(&mut ctx)),
            Scenario::Race => race::race(&mut ctx),
        };
        let reading = sampler.stop();
        let steal = reading.steal;
        eprintln!(
            "[{}/{}] done in {:.1} s{}{}{}{}",
            i + 1,
            selected.len(),
            t0.elapsed().as_secs_f64(),
            steal.map_or(String::new(), |x| format!(
                "; the hypervisor took {:.1} % of the CPU time",
                x * 100.0
            )),
            reading.outside.map_or(String::new(), |x| format!(
                "; {} runnable outside this run",
                num(x, 1)
            )),
            reading.others_cpu.map_or(String::new(), |x| format!(
                "; other processes kept {} cores busy",
                num(x, 2)
            )),
            if reading.is_noisy() {
                " (expect noisy numbers)"
            } else {
                ""
            }
        );
        match result {
            Ok(mut sec) => {
                // Lettered in running order, so (a), (b), … match what was run.
                let letter = char::from(b'a' + u8::try_from(i % 26).unwrap_or(0));
                sec.title = format!("({letter}) {}", sec.title);
                sec.json = sec
                    .json
                    .with("steal_fraction", steal)
                    .with("procs_running", reading.procs_running)
                    .with("outside_runnable", reading.outside)
                    .with("others_cpu", reading.others_cpu)
                    .with("loadavg", reading.loadavg);
                ctx.findings.loads.push((*sc, reading));
                if let Some(note) = reading::load_note(&reading) {
                    sec.reading = format!("{} {note}", sec.reading);
                }
                printed.line(format_args!(
                    "\n{}\n{}\n{}-> {}",
                    sec.title, sec.setup, sec.table, sec.reading
                ));
                sections.push(sec);
            }
            Err(e) => {
                eprintln!("  {} failed: {e}", sc.id());
                failures.push(format!("{}: {e}", sc.id()));
            }
        }
    }
    let goals = ctx.findings.goals(cores);
    printed.line(format_args!(
        "\nGoals (from the project's issues; a miss is reported, not hidden)\n{goals}\
         A verdict measured while the hypervisor took over {:.0} % of the CPU, while other \
         processes kept over {OTHERS_LIMIT} cores busy, or while a thread outside this run was \
         runnable in most samples (runnable outside ≥ 1), is marked noisy: rerun that scenario \
         (--only NAME) when the machine is quieter. \"machine could not show it\": even plain \
         threads without a GIL fell short of the bar in that run.",
        STEAL_LIMIT * 100.0
    ));
    let goal_list = ctx.findings.goal_list(cores);
    let loads: Vec<LoadReading> = ctx.findings.loads.iter().map(|(_, l)| *l).collect();
    let meta = Meta::now(
        ctx.py.as_ref().map(|p| p.version.as_str()),
        cores,
        LoadReading::median_of(&loads),
    );
    let previous = history::previous(&out).map(|(dir, prev)| {
        let line = format!(
            "The previous report, {} ({}), against this one ({}). A change within the spread \
             of the rounds, or under a different load, is not a change of the code.",
            dir.display(),
            prev.meta.line(),
            meta.line()
        );
        (line, history::compare(&prev, &goal_list))
    });
    if let Some((line, table)) = &previous {
        printed.line(format_args!(
            "\nCompared with your previous run\n{line}\n{table}"
        ));
    }
    let meta_line = meta.line();
    let chart_names = write_report(
        &out,
        &Results {
            tool: "gil-bench demo",
            version: env!("CARGO_PKG_VERSION"),
            meta: &meta,
            settings: RunSettings {
                scale: settings.scale,
                rounds: settings.rounds,
                threads: &settings.threads,
                interval_ms: settings.interval.as_secs_f64() * 1e3,
                intervals_ms: settings
                    .intervals
                    .iter()
                    .map(|d| d.as_secs_f64() * 1e3)
                    .collect(),
            },
            scenarios: sections
                .iter()
                .fold(Obj::new(), |all, sec| all.with(sec.id, &sec.json)),
            goals: &goal_list,
        },
        &page::html(&Page {
            title: "gil demo: the GIL, measured",
            intro: &intro,
            meta: Some(&meta_line),
            sections: &sections,
            goals: &goals,
            previous: previous.as_ref().map(|(l, t)| (l.as_str(), t)),
        }),
        &sections,
    )?;
    eprintln!("{}", crate::browser::report_lines(&out));
    let mut tail = String::new();
    let _ = write!(
        tail,
        "\nReport: {}\n  index.html (open it in a browser), results.json, {}\nFinished in {:.0} s.",
        out.display(),
        chart_names.join(", "),
        started.elapsed().as_secs_f64()
    );
    println!("{tail}");
    if let Some(path) = &settings.results {
        let command = results::command("demo");
        results::write_section(path, "demo", &command, printed.text())?;
    }
    if failures.is_empty() {
        Ok(out)
    } else {
        Err(format!("some scenarios failed: {}", failures.join("; ")))
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    /// The whole demo at a tiny scale, without CPython: every scenario runs, every file of the
    /// report is written and names what it should.
    #[test]
    fn tiny_demo_writes_the_whole_report() {
        let dir = std::env::temp_dir().join(format!("gil-demo-test-{}", std::process::id()));
        let settings = Settings::tiny(dir.clone());
        let out = run(&settings).unwrap();
        assert_eq!(out, std::fs::canonicalize(&dir).unwrap());
        let json = std::fs::read_to_string(dir.join("results.json")).unwrap();
        for id in [
            "cpu", "io", "timeline", "convoy", "share", "load", "sweep", "lock", "race", "goals",
        ] {
            assert!(
                json.contains(&format!("\"{id}\":")),
                "{id} missing from {json}"
            );
        }
        for key in [
            "\"meta\":",
            "\"rustc\":",
            "\"settings\":",
            "\"others_cpu\":",
        ] {
            assert!(json.contains(key), "{key} missing from {json}");
        }
        let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
        assert_eq!(
            html.matches("<figcaption><b>Figure ").count(),
            html.matches("<figure").count()
        );
        for chart in [
            "cpu_speedup.svg",
            "io.svg",
            "timeline.svg",
            "convoy.svg",
            "waits.svg",
            "sweep_convoy.svg",
            "sweep_waits.svg",
            "load_convoy.svg",
            "load_waits.svg",
            "race.svg",
        ] {
            let svg = std::fs::read_to_string(dir.join(chart)).unwrap();
            let id = format!("<figure id=\"{}\">", chart.trim_end_matches(".svg"));
            assert!(svg.starts_with("<svg") && html.contains(&id), "{chart}");
        }
        assert!(!dir.join("demo_cpython.py").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
