//! Running loom models at the preemption bound they need (`--cfg loom` only).
//!
//! `LOOM_MAX_PREEMPTIONS` always wins over a model's own bound, except where a model is
//! capped: then [`model_capped`] says so on stderr (the loom step of `cargo xtask verify`
//! runs with `--nocapture`).

/// Runs a model with `LOOM_MAX_PREEMPTIONS` preemptions, or `default` when the variable is
/// unset (loom's own default is no bound): for the 3-thread models, which would not finish
/// without one. The environment always wins, so a deeper run (`cargo xtask verify --deep`
/// sets 3) really is one.
pub fn model_bounded<F>(default: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(default);
    builder.check(f);
}

/// Runs a model with at least `floor` preemptions, more if `LOOM_MAX_PREEMPTIONS` says so:
/// for models (regressions among them) whose interesting path needs more than the CI bound
/// of 2 to be reached.
pub fn model_with_bound<F>(floor: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(builder.preemption_bound.map_or(floor, |b| b.max(floor)));
    builder.check(f);
}

/// Runs a model at `cap` preemptions at most, whatever `LOOM_MAX_PREEMPTIONS` says (at `cap`
/// when it is unset), and says so on stderr when the environment asked for more. For a model
/// that cannot run at the next bound; `why` is the reason, and the call site documents it in
/// full.
pub fn model_capped<F>(name: &str, cap: usize, why: &str, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    let asked = builder.preemption_bound;
    if let Some(asked) = asked.filter(|&bound| bound > cap) {
        eprintln!("{name}: run at {cap} preemptions, not {asked}: {why}");
    }
    builder.preemption_bound = Some(asked.map_or(cap, |bound| bound.min(cap)));
    builder.check(f);
}
