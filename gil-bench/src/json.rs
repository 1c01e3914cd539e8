//! The one JSON path of the tools: [`serde`] and [`serde_json`]. Numbers are JSON numbers
//! (a ratio is `0.971`, never the table's `"0.971×"`); a figure that was not measured (`NaN`
//! or infinite) is `null`, since JSON has no `NaN`. Fixed rows derive [`Serialize`]; the
//! demo's per-scenario objects are built field by field with [`Obj`], in the order written.
//!
//! # Schema
//!
//! - `harness --json` and `contention --json` print one object per line after each table;
//!   `name` says what it is: `e.gil_share.<policy>.k<K>` (Jain's index, slice and wait
//!   percentiles in ms, `switches_per_s`, `wait_p99_over_interval`),
//!   `c.convoy.<policy>.spinners<N>` (`us_per_trip`, trip percentiles in µs, `slowdown`,
//!   `spinner_share`), `d.thread.start_join.<variant>` (`us_per_thread`, `vs_std`),
//!   `micro.<variant>` (`ns_min`, `ns_median`, `rounds`, `ratio_min` against the row
//!   before), `micro.goal.<goal>` (`goal`, `ratio_min`, the per-round `ratio_median`,
//!   `ratio_lo`, `ratio_hi`, `met`), `load.convoy.<variant>.s<spinners>.b<burners>` and
//!   `load.share.<variant>.k<K>.b<burners>` (the figures, median with `_min`/`_max` over
//!   rounds, `bare_*` probes, the load: `procs_running`, `outside_runnable`, `loadavg`,
//!   `steal` as a fraction, `noisy`; `<ours>_over_<cpython>` ratios when CPython ran),
//!   `switch.<policy>.iv<ms>.<to_enabled|to_free>.b<burners>` and
//!   `switch.bare.to_enabled.b<burners>` (`threads`, `interval_ms`, `switches`, `ms_median`,
//!   `ms_p90`, `ms_max`, `round_median_ms_min`/`_max`, `median_over_interval`,
//!   `p90_over_interval`, `goal_intervals`, `met`, `unsettled`, and the load rows' `burners`
//!   … `noisy`; the bare probe's interval fields and `met` are `null`), and
//!   `contention.<lock>.t<threads>` (the settings, per-thread rates in kHz: `mean_khz`,
//!   `median_khz`, `std_dev_khz`, `min_khz`, `max_khz`, `total_khz`, and `min_over_max`,
//!   overall and `_by_iteration`).
//! - The demo's `results.json`: `tool`, `version`; `meta`, a
//!   [`Meta`](crate::demo::history::Meta) (`date`, `commit`, `rustc`, `cpython`, `cores`,
//!   `os`, `arch`, and `load`: the median over scenarios of `procs_running`, `outside`,
//!   `loadavg`, `steal` as a fraction, `others_cpu` in cores); `settings` (`scale`, `rounds`,
//!   `threads`, `interval_ms`, `intervals_ms`); `scenarios`, one object per scenario id
//!   (`cpu`, `io`, `convoy`, `share`, `sweep`, `lock`, `race`, `timeline`, `load`) with its
//!   sizes, its `rows` (times in seconds `*_s`, ratios `*_vs_seq` with `_min`/`_max` over
//!   rounds, `*_vs_1_thread`, `slowdown`, waits in ms `*_ms*`, lost updates as counts and
//!   fractions) and the load it ran under (`steal_fraction`, `procs_running`,
//!   `outside_runnable`, `others_cpu`, `loadavg`); and `goals`, one
//!   [`Goal`](crate::demo::Goal) per row of the goal table (`id`, `goal`, `bar` with `cmp`,
//!   `limit` and `unit`, `value` in that unit, `verdict` as a snake-case word, `noisy`,
//!   `load`). A later run reads `meta` and `goals` back to compare
//!   ([`crate::demo::history`]).

use serde::Serialize;
use serde_json::{Map, Value};

/// A JSON object built field by field; serializes as the object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Obj(Map<String, Value>);

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// `self` with `key: value` appended (replacing an earlier `key`).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        self.0.insert(key.to_owned(), value_of(value));
        self
    }
}

/// `value` as a JSON value (`null` for a non-finite number).
pub fn value_of(value: impl Serialize) -> Value {
    // A value of ours cannot fail to serialize (no map has non-string keys); `null` says so
    // should one ever.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `value` as one line of JSON.
pub fn line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// `value` as indented JSON, ending in a newline.
pub fn pretty(value: &impl Serialize) -> String {
    let mut text =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_numbers_nan_is_null_and_order_is_kept() {
        let j = Obj::new()
            .with("z", 0.971)
            .with("nan", f64::NAN)
            .with("s", "q\"\\\n\u{1}")
            .with("xs", vec![1.0, f64::INFINITY])
            .with("none", None::<f64>)
            .with("t", true)
            .with("rows", vec![Obj::new().with("n", 3usize)]);
        assert_eq!(
            line(&j),
            r#"{"z":0.971,"nan":null,"s":"q\"\\\n\u0001","xs":[1.0,null],"none":null,"t":true,"rows":[{"n":3}]}"#
        );
    }

    #[test]
    fn derived_rows_serialize_in_field_order() {
        #[derive(Serialize)]
        struct Row {
            name: String,
            ratio: f64,
            missing: f64,
        }
        let row = Row {
            name: "micro.x".into(),
            ratio: 1.21,
            missing: f64::NAN,
        };
        assert_eq!(
            line(&row),
            r#"{"name":"micro.x","ratio":1.21,"missing":null}"#
        );
        assert!(pretty(&row).ends_with("}\n"));
    }
}
