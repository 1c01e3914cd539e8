use super::*;
use crate::demo::Findings;

fn meta(date: &str) -> Meta {
    Meta {
        date: date.to_owned(),
        commit: Some("abc1234".into()),
        rustc: Some("rustc 1.95.0".into()),
        cpython: None,
        cores: 2,
        os: "linux".into(),
        arch: "x86_64".into(),
        load: LoadReading::default(),
    }
}

fn goals(cpu: f64) -> Vec<Goal> {
    Findings {
        cpu2_vs_seq: Some(cpu),
        ..Findings::default()
    }
    .goal_list(2)
}

/// Writes a report folder `name` under `root` with this `results.json` text.
fn report(root: &Path, name: &str, json: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("results.json"), json).unwrap();
    dir
}

#[test]
fn finds_the_newest_readable_earlier_report() {
    let root = std::env::temp_dir().join(format!("gil-demo-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let doc = |m: Meta, g: Vec<Goal>| {
        serde_json::json!({ "tool": "gil-bench demo", "meta": m, "goals": g, "scenarios": {} })
            .to_string()
    };
    report(
        &root,
        "2026-12-01T10-00-00Z",
        &doc(meta("first"), goals(1.10)),
    );
    report(
        &root,
        "2026-12-02T10-00-00Z",
        &doc(meta("second"), goals(1.02)),
    );
    // An older version's report without `meta`, newer than both: skipped, not an error.
    report(
        &root,
        "2026-12-02T11-00-00Z",
        "{\"tool\": \"gil-bench demo\", \"goals\": []}",
    );
    // A later report is not "previous".
    report(
        &root,
        "2026-12-04T10-00-00Z",
        &doc(meta("later"), goals(1.0)),
    );
    let out = root.join("2026-12-03T10-00-00Z");
    std::fs::create_dir_all(&out).unwrap();
    let (dir, prev) = previous(&out).expect("an earlier report");
    assert!(dir.ends_with("2026-12-02T10-00-00Z"), "{}", dir.display());
    assert_eq!(prev.meta.date, "second");
    assert_eq!(prev.goals, goals(1.02));
    assert!(previous(&root.join("2026-11-01T00-00-00Z")).is_none());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn compares_goal_by_goal() {
    let prev = Previous {
        meta: meta("then"),
        goals: goals(1.10),
    };
    let t = compare(&prev, &goals(1.021));
    let cpu = &t.rows[0];
    assert_eq!(cpu[1], "1.100×");
    assert_eq!(cpu[2], "1.021×");
    assert_eq!(figure(3.2201, "intervals"), "3.22 × interval");
    assert_eq!(figure(0.0, "updates"), "0 updates");
    assert_eq!(cpu[3], "0.93×");
    assert_eq!((cpu[4].as_str(), cpu[5].as_str()), ("MISSED", "met"));
    // Not run in either: dashes, no ratio.
    assert_eq!(t.rows[2][1..4], ["—", "—", "—"]);
}

#[test]
fn meta_of_this_run_reads_back() {
    let m = Meta::now(Some("3.13.0"), 2, LoadReading::default());
    assert_eq!(m.cores, 2);
    assert!(m.line().contains("CPython 3.13.0") && m.line().contains("2 cores"));
    let back: Meta = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back, m);
}
