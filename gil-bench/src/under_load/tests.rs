use super::*;

#[test]
fn under_load_rotates_levels_and_variants() {
    let mut order = Vec::new();
    let r = under_load(&[0, 0], 3, 2, Duration::ZERO, |l, v| {
        order.push((l, v));
        order.len()
    })
    .unwrap();
    // Round 0: level 0 (variants from 0), level 1 (from 1); round 1: level 1 (from 2), level 0
    // (from 1).
    assert_eq!(
        order,
        [
            (0, 0),
            (0, 1),
            (0, 2),
            (1, 1),
            (1, 2),
            (1, 0),
            (1, 2),
            (1, 0),
            (1, 1),
            (0, 1),
            (0, 2),
            (0, 0)
        ]
    );
    let values: Vec<Vec<Vec<usize>>> = r
        .iter()
        .map(|l| l.iter().map(|v| v.iter().map(|x| x.0).collect()).collect())
        .collect();
    assert_eq!(
        values,
        [
            [vec![1, 12], vec![2, 10], vec![3, 11]],
            [vec![6, 8], vec![4, 9], vec![5, 7]]
        ]
    );
}

#[test]
fn a_tiny_plan_measures_every_level_and_variant() {
    let plan = Plan {
        levels: vec![0, 1],
        rounds: 1,
        interval: Duration::from_millis(1),
        trips: 10,
        budget: Duration::from_millis(5),
        solo: Duration::from_millis(2),
        spinners: vec![1, 2],
        k: 2,
        sharing: Duration::from_millis(5),
        many: Some((3, Duration::from_millis(1))),
    };
    let m = measure(plan, None).unwrap();
    assert_eq!(m.keys, ["fair", "cpython"]);
    assert_eq!(m.runs.len(), 2);
    for lvl in 0..2 {
        for v in 0..2 {
            let f = &m.runs[lvl][v][0].0;
            assert_eq!(f.convoy.len(), 2);
            assert!(f.convoy[0].slowdown > 0.0, "{f:?}");
            assert!(f.many_max_ms.is_finite() || f.many_max_ms.is_nan());
        }
        assert!(m.ratio(lvl, 0, 1, |f| f.convoy[0].slowdown) > 0.0);
    }
    assert!(m.vs_py(0, 0, |f| f.wait_p99_ms).is_nan());
}
