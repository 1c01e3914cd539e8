//! The report's HTML page: a primer for learners, the run's metadata, each section's setup,
//! table, reading and captioned charts, the goals, and the comparison with the previous run.
//! Charts are inlined, so the page works on its own.

use std::fmt::Write as _;

use super::report::{Section, Table, escape};

/// The primer: what the GIL is, what to look for, the expected picture.
const PRIMER: &str = "The GIL (global interpreter lock) lets one thread at a time run \
    interpreter code; a thread hands it on when it blocks (a sleep, a socket, a lock) or when \
    its switch interval runs out while another thread waits. So look for three things: \
    CPU-bound threads that finish no sooner than one thread, I/O-bound threads that do, and \
    how long a thread waits to get the GIL back. The expected picture: under the GIL, \
    CPU-bound work gains nothing from threads while free-threading and processes approach N× \
    on N free cores; I/O overlaps under any GIL; a fair hand-off keeps waits short; and \
    without a lock, counter += 1 loses updates with or without a GIL.";

/// The questions the page answers, each with the section (id) that answers it.
const QUESTIONS: [(&str, &str); 5] = [
    ("Why don't CPU-bound threads speed up under the GIL?", "cpu"),
    ("Why do I/O-bound threads speed up anyway?", "io"),
    ("What do free-threading and processes change?", "cpu"),
    ("Who holds the GIL when, and who waits?", "timeline"),
    ("Why do I still need a lock?", "race"),
];

/// Everything the page shows.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The heading.
    pub title: &'a str,
    /// Lines under the heading (machine, settings, CPython).
    pub intro: &'a [String],
    /// The run's metadata in one line, when known.
    pub meta: Option<&'a str>,
    /// The scenarios that ran.
    pub sections: &'a [Section],
    /// The goal table.
    pub goals: &'a Table,
    /// The previous run (a line saying which) and the goal-by-goal comparison with it.
    pub previous: Option<(&'a str, &'a Table)>,
}

const STYLE: &str = "body { font-family: system-ui, sans-serif; max-width: 980px; \
    margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.4; }\n\
    table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }\n\
    th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }\n\
    th:first-child, td:first-child { text-align: left; }\n\
    th { background: #f3f3f3; }\n\
    .primer { background: #fff8e6; padding: 0.6em 0.9em; border-left: 4px solid #e69f00; }\n\
    .reading { background: #eef6ff; padding: 0.5em 0.8em; border-left: 4px solid #3b7dd8; }\n\
    figure { margin: 1em 0; }\n\
    figure svg { max-width: 100%; height: auto; }\n\
    figcaption { color: #333; font-size: 0.92em; margin-top: 0.3em; }\n\
    .setup, .meta { color: #555; }\n";

/// The page as HTML.
pub fn html(p: &Page<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{t}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>",
        t = escape(p.title)
    );
    let _ = writeln!(s, "<p class=\"primer\">{}</p>", escape(PRIMER));
    let ids: Vec<&str> = p.sections.iter().map(|sec| sec.id).collect();
    let answered: Vec<_> = QUESTIONS
        .iter()
        .filter(|(_, id)| ids.contains(id))
        .collect();
    if !answered.is_empty() {
        s.push_str("<p>Questions this page answers, each with a chart measured here:</p>\n<ul>\n");
        for (q, id) in answered {
            let _ = writeln!(s, "<li><a href=\"#{id}\">{}</a></li>", escape(q));
        }
        s.push_str("</ul>\n");
    }
    for line in p.intro {
        let _ = writeln!(s, "<p>{}</p>", escape(line));
    }
    if let Some(meta) = p.meta {
        let _ = writeln!(s, "<p class=\"meta\">Measured {}.</p>", escape(meta));
    }
    s.push_str("<h2>Contents</h2>\n<ul>\n");
    for sec in p.sections {
        let _ = writeln!(
            s,
            "<li><a href=\"#{}\">{}</a></li>",
            sec.id,
            escape(&sec.title)
        );
    }
    s.push_str("<li><a href=\"#goals\">Goals</a></li>\n");
    if p.previous.is_some() {
        s.push_str("<li><a href=\"#previous\">Compared with your previous run</a></li>\n");
    }
    s.push_str("</ul>\n");
    let mut figure = 0;
    for sec in p.sections {
        let _ = writeln!(
            s,
            "<h2 id=\"{}\">{}</h2>\n<p class=\"setup\">{}</p>",
            sec.id,
            escape(&sec.title),
            escape(&sec.setup)
        );
        s.push_str(&sec.table.to_html());
        let _ = writeln!(s, "<p class=\"reading\">{}</p>", escape(&sec.reading));
        for chart in &sec.charts {
            figure += 1;
            let _ = writeln!(
                s,
                "<figure id=\"{}\">{}<figcaption><b>Figure {figure}.</b> {}</figcaption></figure>",
                escape(chart.file.trim_end_matches(".svg")),
                chart.svg,
                escape(&chart.caption)
            );
        }
    }
    s.push_str("<h2 id=\"goals\">Goals</h2>\n");
    s.push_str(&p.goals.to_html());
    if let Some((line, table)) = p.previous {
        let _ = writeln!(
            s,
            "<h2 id=\"previous\">Compared with your previous run</h2>\n<p class=\"setup\">{}</p>",
            escape(line)
        );
        s.push_str(&table.to_html());
    }
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::report::Chart;
    use crate::json::Obj;

    fn section(id: &'static str) -> Section {
        let mut t = Table::new(&["x<y"]);
        t.row(vec!["a&b".into()]);
        Section {
            id,
            title: "CPU".into(),
            setup: "s".into(),
            table: t,
            reading: "r".into(),
            json: Obj::new(),
            charts: vec![Chart::new("c.svg", "<svg></svg>".into(), "What <c> shows")],
        }
    }

    #[test]
    fn escapes_cells_and_captions_every_chart() {
        let goals = Table::new(&["goal"]);
        let secs = [section("cpu")];
        let page = html(&Page {
            title: "T",
            intro: &["i".into()],
            meta: Some("2026-12-03 20:25 UTC, 2 cores"),
            sections: &secs,
            goals: &goals,
            previous: None,
        });
        assert!(page.contains("<th>x&lt;y</th>"));
        assert!(page.contains("<td>a&amp;b</td>"));
        assert!(page.contains(
            "<figure id=\"c\"><svg></svg><figcaption><b>Figure 1.</b> What &lt;c&gt; shows"
        ));
        assert!(page.contains("class=\"primer\""));
        // Only the questions a section that ran answers.
        assert!(page.contains("href=\"#cpu\">Why don&#39;t CPU-bound"));
        assert!(!page.contains("#race"));
        assert!(!page.contains("id=\"previous\""));
        assert!(page.contains("Measured 2026-12-03 20:25 UTC, 2 cores."));
        assert!(page.ends_with("</html>\n"));
    }

    #[test]
    fn shows_the_previous_run_when_there_is_one() {
        let goals = Table::new(&["goal"]);
        let mut cmp = Table::new(&["goal", "previous", "now"]);
        cmp.row(vec!["g".into(), "1.1".into(), "1.0".into()]);
        let page = html(&Page {
            title: "T",
            intro: &[],
            meta: None,
            sections: &[],
            goals: &goals,
            previous: Some(("run of yesterday", &cmp)),
        });
        assert!(page.contains("<h2 id=\"previous\">Compared with your previous run</h2>"));
        assert!(page.contains("run of yesterday") && page.contains("<td>1.1</td>"));
        assert!(page.contains("href=\"#previous\""));
    }
}
