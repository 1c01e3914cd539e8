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
    /// Its charts.
    pub charts: Vec<Chart>,
}

/// One chart of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Its file in the report folder (`cpu_speedup.svg`).
    pub file: String,
    /// The SVG text.
    pub svg: String,
    /// What it shows and what to look for, in words (the page's figure caption).
    pub caption: String,
}

impl Chart {
    /// A chart saved as `file`, with its caption.
    pub fn new(file: &str, svg: String, caption: &str) -> Self {
        Self {
            file: file.to_owned(),
            svg,
            caption: caption.to_owned(),
        }
    }
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
    fn number_formats() {
        assert_eq!(num(1.234, 1), "1.2");
        assert_eq!(num(f64::NAN, 1), "n/a");
        assert_eq!(times(1.234), "1.23×");
        assert_eq!(times(2841.4), "2841×");
        assert_eq!(times(0.0042), "0.004×");
        assert_eq!(times(f64::INFINITY), "n/a");
    }
}
