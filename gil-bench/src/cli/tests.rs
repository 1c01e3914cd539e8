use super::*;

/// What [`parse`] read: every `--n`, the last `--xs` and `--pick`, whether `--on` was seen.
type Read = (Vec<usize>, Vec<f64>, Vec<&'static str>, bool);

/// Parses `line` with one value flag `--n` (an integer in 1..=10), one list flag `--xs`, one
/// name flag `--pick` and one switch `--on`; returns what was read, or the first error.
fn parse(line: &str) -> Result<Read, String> {
    let mut p = parser(line.split_whitespace());
    let (mut n, mut xs, mut picked, mut on) = (Vec::new(), Vec::new(), Vec::new(), false);
    while let Some(arg) = next(&mut p)? {
        match arg {
            Arg::Long("n") => n.push(number(&mut p, "--n", 1..=10)?),
            Arg::Long("xs") => xs = numbers(&mut p, "--xs", 0.0..=1.0)?,
            Arg::Long("pick") => picked = names(&mut p, "--pick", &["a", "b", "c"], |x| x)?,
            Arg::Long("on") => on = true,
            other => return Err(unknown(&other)),
        }
    }
    Ok((n, xs, picked, on))
}

#[test]
fn a_value_may_follow_the_flag_or_an_equals_sign() {
    assert_eq!(parse("--n 4 --n=5").unwrap().0, [4, 5]);
    assert_eq!(parse("--xs=0.5,1 --on").unwrap().1, [0.5, 1.0]);
    assert!(parse("--on").unwrap().3);
}

#[test]
fn an_integer_flag_rejects_a_fraction_instead_of_truncating_it() {
    let e = parse("--n 2.7").unwrap_err();
    assert_eq!(e, "--n takes an integer in 1..=10, not \"2.7\"");
    assert!(parse("--n=2.7").unwrap_err().contains("2.7"));
}

#[test]
fn numbers_out_of_range_or_not_numbers_are_errors() {
    for bad in ["--n 0", "--n 11", "--n -1", "--n abc", "--n=abc", "--n ''"] {
        assert!(parse(bad).unwrap_err().starts_with("--n takes"), "{bad}");
    }
    for bad in ["--xs nan", "--xs inf", "--xs 2", "--xs 0.5,,1", "--xs ,"] {
        assert!(
            parse(bad).unwrap_err().starts_with("--xs takes a number"),
            "{bad}"
        );
    }
}

#[test]
fn missing_values_unknown_flags_and_stray_words_are_errors() {
    assert_eq!(parse("--n").unwrap_err(), "--n needs a value");
    assert_eq!(
        parse("--frobnicate").unwrap_err(),
        "unknown flag --frobnicate (try --help)"
    );
    assert_eq!(parse("-x").unwrap_err(), "unknown flag -x (try --help)");
    assert_eq!(
        parse("stray").unwrap_err(),
        "unexpected argument \"stray\" (try --help)"
    );
    assert_eq!(parse("--on=1").unwrap_err(), "--on takes no value");
}

#[test]
fn names_are_checked_kept_once_and_all_means_every_one() {
    assert_eq!(parse("--pick c,a,c").unwrap().2, ["c", "a"]);
    assert_eq!(parse("--pick all").unwrap().2, ["a", "b", "c"]);
    assert_eq!(
        parse("--pick a,z").unwrap_err(),
        "--pick: unknown name \"z\" (known: a, b, c, or all)"
    );
}
