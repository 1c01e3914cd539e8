//! Keeping a model below the preemption bound asked for, out loud (gil-runtime's loom tests
//! include this file by path).

/// Runs a model at `cap` preemptions at most, whatever `LOOM_MAX_PREEMPTIONS` says (at
/// `cap` when it is unset), and says so on stderr when the environment asked for more
/// (`cargo xtask verify` runs the models with `--nocapture`). For a model that cannot run at
/// the next bound; `why` is the reason, and the call site documents it in full.
pub(crate) fn model_capped<F>(name: &str, cap: usize, why: &str, f: F)
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
