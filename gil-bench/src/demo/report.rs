//! What the demo writes: text tables and the report folder's HTML page (its JSON goes through
//! [`crate::json`]).

use std::fmt::{self, Write as _};

use crate::json::Obj;

/// A text table: the first column is left-aligned, the others right-aligned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub head: Vec<String>,
    /// Rows of cells (a short row leaves the rest of its cells empty).
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(head: &[&str]) -> Self {
        Self {
            head: head.iter().map(|&h| h.to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Removes the columns titled `titles` (the CPython columns when there is no Python).
    pub fn drop_columns(&mut self, titles: &[&str]) {
        let keep: Vec<bool> = self
            .head
            .iter()
            .map(|h| !titles.contains(&h.as_str()))
            .collect();
        let filter = |cells: &mut Vec<String>| {
            let mut i = 0;
            cells.retain(|_| {
                let k = keep.get(i).copied().unwrap_or(true);
                i += 1;
                k
            });
        };
        filter(&mut self.head);
        for row in &mut self.rows {
            filter(row);
        }
    }

    fn widths(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < w.len() {
                    w[i] = w[i].max(cell.chars().count());
                }
            }
        }
        w
    }

    /// The table as HTML (`<table>` with a header row), cells escaped.
    pub fn to_html(&self) -> String {
        let mut s = String::from("<table>\n<tr>");
        for h in &self.head {
            let _ = write!(s, "<th>{}</th>", escape(h));
        }
        s.push_str("</tr>\n");
        for row in &self.rows {
            s.push_str("<tr>");
            for i in 0..self.head.len() {
                let cell = row.get(i).map_or("", String::as_str);
                let _ = write!(s, "<td>{}</td>", escape(cell));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
        s
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.widths();
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| -> fmt::Result {
            for (i, width) in w.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                if i == 0 {
                    write!(f, "{cell:<width$}")?;
                } else {
                    write!(f, "  {cell:>width$}")?;
                }
            }
            writeln!(f)
        };
        line(f, &self.head)?;
        let total = w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        writeln!(f, "{}", "-".repeat(total))?;
        for row in &self.rows {
            line(f, row)?;
        }
        Ok(())
    }
}

/// `s` with the five HTML/XML special characters escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One scenario's part of the report.
#[derive(Debug, Clone)]
pub struct Section {
    /// Short id (`cpu`, `io`, ...): the JSON key and the HTML anchor.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// What was run, in one or two sentences.
    pub setup: String,
    /// The results.
    pub table: Table,
    /// The one-line reading printed under the table.
    pub reading: String,
    /// The same results as JSON.
    pub json: Obj,
    /// Charts: file name (`scaling.svg`) and SVG text.
    pub charts: Vec<(String, String)>,
}

/// Formats `x` with `digits` decimals, or `n/a` when it is not finite.
pub fn num(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{x:.digits$}")
    } else {
        "n/a".to_owned()
    }
}

/// Formats a ratio as `1.23×` (`2841×` from 100, `0.004×` below 0.1; `n/a` when not
/// finite).
pub fn times(x: f64) -> String {
    if x.is_finite() {
        if x >= 100.0 {
            format!("{x:.0}×")
        } else if x < 0.1 {
            format!("{x:.3}×")
        } else {
            format!("{x:.2}×")
        }
    } else {
        "n/a".to_owned()
    }
}

/// `seconds` as `12.3 ms`.
pub fn ms(seconds: f64) -> String {
    format!("{} ms", num(seconds * 1e3, 1))
}

/// The report's HTML page: a header with `intro` lines, then each section's setup, table,
/// reading and charts (inlined, so the page works on its own), then `footer` as a table.
pub fn html(title: &str, intro: &[String], sections: &[Section], goals: &Table) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>\nbody {{ font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; \
         padding: 0 1em; color: #222; }}\ntable {{ border-collapse: collapse; margin: 0.5em 0; \
         font-size: 0.9em; }}\nth, td {{ border: 1px solid #ccc; padding: 0.2em 0.6em; \
         text-align: right; }}\nth:first-child, td:first-child {{ text-align: left; }}\n\
         th {{ background: #f3f3f3; }}\n.reading {{ background: #eef6ff; padding: 0.5em 0.8em; \
         border-left: 4px solid #3b7dd8; }}\nfigure {{ margin: 1em 0; }}\n\
         figure svg {{ max-width: 100%; height: auto; }}\n\
         .setup {{ color: #555; }}\n</style>\n</head>\n<body>\n<h1>{}</h1>",
        escape(title),
        escape(title)
    );
    for line in intro {
        let _ = writeln!(s, "<p>{}</p>", escape(line));
    }
    s.push_str("<ul>\n");
    for sec in sections {
        let _ = writeln!(
            s,
            "<li><a href=\"#{}\">{}</a></li>",
            sec.id,
            escape(&sec.title)
        );
    }
    s.push_str("<li><a href=\"#goals\">Goals</a></li>\n</ul>\n");
    for sec in sections {
        let _ = writeln!(
            s,
            "<h2 id=\"{}\">{}</h2>\n<p class=\"setup\">{}</p>",
            sec.id,
            escape(&sec.title),
            escape(&sec.setup)
        );
        s.push_str(&sec.table.to_html());
        let _ = writeln!(s, "<p class=\"reading\">{}</p>", escape(&sec.reading));
        for (name, svg) in &sec.charts {
            let _ = writeln!(
                s,
                "<figure>{svg}<figcaption>{}</figcaption></figure>",
                escape(name)
            );
        }
    }
    s.push_str("<h2 id=\"goals\">Goals</h2>\n");
    s.push_str(&goals.to_html());
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&["name", "value"]);
        t.row(vec!["a".into(), "1.00".into()]);
        t.row(vec!["longer".into(), "12.5".into()]);
        t.row(vec!["short row".into()]);
        let text = t.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "name       value");
        assert_eq!(lines[1], "-".repeat(16));
        assert_eq!(lines[2], "a           1.00");
        assert_eq!(lines[3], "longer      12.5");
        assert_eq!(lines[4].trim_end(), "short row");
    }

    #[test]
    fn drops_columns_by_title() {
        let mut t = Table::new(&["a", "b", "c"]);
        t.row(vec!["1".into(), "2".into(), "3".into()]);
        t.row(vec!["4".into()]);
        t.drop_columns(&["b", "zzz"]);
        assert_eq!(t.head, ["a", "c"]);
        assert_eq!(t.rows, [vec!["1", "3"], vec!["4"]]);
    }

    #[test]
    fn html_escapes_cells_and_inlines_charts() {
        let mut t = Table::new(&["x<y"]);
        t.row(vec!["a&b".into()]);
        let sec = Section {
            id: "cpu",
            title: "CPU".into(),
            setup: "s".into(),
            table: t.clone(),
            reading: "r".into(),
            json: Obj::new(),
            charts: vec![("c.svg".into(), "<svg></svg>".into())],
        };
        let page = html("T", &["i".into()], &[sec], &t);
        assert!(page.contains("<th>x&lt;y</th>"));
        assert!(page.contains("<td>a&amp;b</td>"));
        assert!(page.contains("<figure><svg></svg>"));
        assert!(page.ends_with("</html>\n"));
    }

    #[test]
    fn number_formats() {
        assert_eq!(num(1.234, 1), "1.2");
        assert_eq!(num(f64::NAN, 1), "n/a");
        assert_eq!(times(1.234), "1.23×");
        assert_eq!(times(2841.4), "2841×");
        assert_eq!(times(0.0042), "0.004×");
        assert_eq!(times(f64::INFINITY), "n/a");
    }
}
