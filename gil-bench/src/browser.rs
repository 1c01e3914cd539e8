//! The demo report seen in a real browser: headless Chromium loads a copy of a page with a
//! check script added, which measures every chart and label from inside the page and writes
//! its [`Verdict`] into the DOM; then a second run takes a full-page screenshot.
//!
//! No browser-driving crate: Chromium's own `--dump-dom` and `--screenshot` switches, run
//! with a fresh profile, the network-related background work off (it stalls on a machine
//! without network), and a timeout.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// The environment variable naming the browser to use.
pub const ENV: &str = "CHROMIUM";
/// When this environment variable is `1`, a missing browser is an error, not a skip (CI).
pub const REQUIRE_ENV: &str = "GIL_REQUIRE_BROWSER";
/// The page width the check and the screenshot lay the page out at, in CSS pixels.
pub const WIDTH: u32 = 1100;
/// The longest a browser run may take.
const TIMEOUT: Duration = Duration::from_mins(1);
/// Two labels overlap when they share more than this many pixels both ways.
const TOLERANCE: f64 = 1.0;

/// Installed first in `<head>`: records script errors before anything else runs.
const HOOK: &str = "<script>window.__gilErrors = [];\
window.onerror = function (m, src, line) { window.__gilErrors.push(m + ' at ' + src + ':' + line); };\
window.addEventListener('unhandledrejection', function (e) { window.__gilErrors.push('unhandled rejection: ' + e.reason); });\
</script>";

/// Added at the end of `<body>`: once the page has loaded, measures it and writes the verdict
/// as JSON into `<pre id="gil-check">`.
const CHECK: &str = include_str!("browser/check.js");

/// The page as measured from inside the browser.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Verdict {
    /// Script errors, in the order they happened.
    pub errors: Vec<String>,
    /// Every `<svg>` of the page.
    pub charts: Vec<Chart>,
    /// Pairs of labels (or blocks of text) that overlap.
    pub overlaps: Vec<Overlap>,
    /// Labels that stick out of their chart.
    pub clipped: Vec<Clipped>,
    /// The page's full height in CSS pixels.
    pub height: f64,
}

/// One chart's drawn size.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Chart {
    /// The chart's first label (its title).
    pub title: String,
    /// Drawn width in CSS pixels.
    pub width: f64,
    /// Drawn height in CSS pixels.
    pub height: f64,
    /// How many `<text>` labels it has.
    pub labels: usize,
}

/// Two overlapping labels.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Overlap {
    /// The chart's title, or `page` for headings and paragraphs.
    pub chart: String,
    /// One label's text.
    pub a: String,
    /// The other's.
    pub b: String,
    /// The overlap, width × height in pixels.
    pub w: f64,
    /// See `w`.
    pub h: f64,
}

/// A label outside its chart.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Clipped {
    /// The chart's title.
    pub chart: String,
    /// The label's text.
    pub text: String,
}

impl Verdict {
    /// What is wrong with the page, one line each; empty when nothing is.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("script error: {e}"))
            .collect();
        if self.charts.is_empty() {
            out.push("no chart on the page".to_owned());
        }
        for c in &self.charts {
            if c.width < 1.0 || c.height < 1.0 {
                out.push(format!(
                    "chart {:?} is drawn {}×{} px",
                    c.title, c.width, c.height
                ));
            }
        }
        for o in self
            .overlaps
            .iter()
            .filter(|o| o.w > TOLERANCE && o.h > TOLERANCE)
        {
            out.push(format!(
                "in {:?}: {:?} overlaps {:?} by {:.1}×{:.1} px",
                o.chart, o.a, o.b, o.w, o.h
            ));
        }
        for c in &self.clipped {
            out.push(format!(
                "in {:?}: {:?} sticks out of the chart",
                c.chart, c.text
            ));
        }
        out
    }
}

/// A headless Chromium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browser {
    /// The executable.
    pub program: PathBuf,
}

impl Browser {
    /// The browser named by `$CHROMIUM`, else the first of `chromium`, `chromium-browser`,
    /// `google-chrome`, `google-chrome-stable` on `PATH`; `None` when there is none.
    pub fn find() -> Option<Self> {
        if let Some(p) = std::env::var_os(ENV).filter(|p| !p.is_empty()) {
            return Some(Self { program: p.into() });
        }
        let path = std::env::var_os("PATH")?;
        [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
        .map(|program| Self { program })
    }

    /// Loads `page` (a copy of it, with the check script, beside it) and returns what the
    /// script measured.
    ///
    /// # Errors
    ///
    /// The copy cannot be written, the browser fails or times out, or the page gives no
    /// verdict (the check script did not run).
    pub fn check(&self, page: &Path) -> Result<Verdict, String> {
        let html = std::fs::read_to_string(page)
            .map_err(|e| format!("cannot read {}: {e}", page.display()))?;
        let copy = page.with_file_name(".gil-check.html");
        std::fs::write(&copy, instrument(&html))
            .map_err(|e| format!("cannot write {}: {e}", copy.display()))?;
        let dom = self.run(&copy, &["--dump-dom".to_owned()], 900);
        let _ = std::fs::remove_file(&copy);
        parse_verdict(&dom?)
    }

    /// Writes a screenshot of `page`, `height` CSS pixels tall, to `png`.
    ///
    /// # Errors
    ///
    /// The browser fails, times out, or writes no file.
    pub fn screenshot(&self, page: &Path, height: u32, png: &Path) -> Result<(), String> {
        let _ = std::fs::remove_file(png);
        let arg = format!("--screenshot={}", png.display());
        self.run(page, &[arg, "--hide-scrollbars".to_owned()], height)?;
        if png.is_file() {
            Ok(())
        } else {
            Err(format!(
                "{} wrote no {}",
                self.program.display(),
                png.display()
            ))
        }
    }

    /// Checks `dir/index.html` and keeps its screenshot as `dir/screenshot.png`.
    ///
    /// # Errors
    ///
    /// As [`Browser::check`] and [`Browser::screenshot`].
    pub fn snapshot(&self, dir: &Path) -> Result<Verdict, String> {
        let page = dir.join("index.html");
        let verdict = self.check(&page)?;
        // Chromium draws at most 16384 px in one go.
        let height = (verdict.height.ceil() as u32).clamp(100, 16_384);
        self.screenshot(&page, height, &dir.join("screenshot.png"))?;
        Ok(verdict)
    }

    /// Runs the browser headless on `page` with `args` and a `WIDTH` × `height` window;
    /// returns its stdout.
    fn run(&self, page: &Path, args: &[String], height: u32) -> Result<String, String> {
        let page = std::fs::canonicalize(page)
            .map_err(|e| format!("cannot find {}: {e}", page.display()))?;
        let scratch = std::env::temp_dir().join(format!(
            "gil-chromium-{}-{}",
            std::process::id(),
            // Relaxed: only a distinct number is needed, nothing is published with it.
            SCRATCH.fetch_add(1, Relaxed)
        ));
        std::fs::create_dir_all(scratch.join("profile"))
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        let result = self.run_in(&scratch, &page, args, height);
        let _ = std::fs::remove_dir_all(&scratch);
        result
    }

    fn run_in(
        &self,
        scratch: &Path,
        page: &Path,
        args: &[String],
        height: u32,
    ) -> Result<String, String> {
        let file = |name: &str| {
            std::fs::File::create(scratch.join(name))
                .map_err(|e| format!("cannot create {}: {e}", scratch.join(name).display()))
        };
        let mut cmd = Command::new(&self.program);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .arg(format!("--window-size={WIDTH},{height}"))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(file("stdout")?)
        .stderr(file("stderr")?);
        // Its own process group, so that a timeout ends the renderers too.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.program.display()))?;
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if started.elapsed() > TIMEOUT {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} did not finish within {} s",
                    self.program.display(),
                    TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let read = |name: &str| std::fs::read_to_string(scratch.join(name)).unwrap_or_default();
        if status.success() {
            Ok(read("stdout"))
        } else {
            let err = read("stderr");
            let tail: Vec<&str> = err.lines().rev().take(5).collect();
            Err(format!(
                "{} failed ({status}): {}",
                self.program.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
            ))
        }
    }
}

/// Numbers the scratch folders of this process's browser runs.
static SCRATCH: AtomicUsize = AtomicUsize::new(0);

/// `html` with the error hook first in its `<head>` and the check script last in its
/// `<body>` (without such tags: after the doctype, so the page keeps its standards mode, and
/// at the end).
pub fn instrument(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + HOOK.len() + CHECK.len() + 20);
    // Just after the first of these start tags that the page has.
    let after = ["<head", "<html", "<!DOCTYPE", "<!doctype"]
        .iter()
        .find_map(|tag| {
            let start = html.find(tag)?;
            Some(start + html[start..].find('>')? + 1)
        });
    let (head, rest) = html.split_at(after.unwrap_or(0));
    out.push_str(head);
    out.push_str(HOOK);
    let (body, tail) = rest.split_at(rest.rfind("</body>").unwrap_or(rest.len()));
    out.push_str(body);
    out.push_str("<script>");
    out.push_str(CHECK);
    out.push_str("</script>\n");
    out.push_str(tail);
    out
}

/// The verdict the check script wrote into `dom` (the page as `--dump-dom` prints it).
///
/// # Errors
///
/// The DOM has no verdict, or it does not parse.
pub fn parse_verdict(dom: &str) -> Result<Verdict, String> {
    const OPEN: &str = "<pre id=\"gil-check\">";
    // The last one: the script is in the dump too.
    let start = dom
        .rfind(OPEN)
        .ok_or("the page gave no verdict: the check script did not run")?
        + OPEN.len();
    let end = start
        + dom[start..]
            .find("</pre>")
            .ok_or("the verdict is cut short")?;
    // A text node is serialized with these three escaped.
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&json).map_err(|e| format!("the verdict does not parse: {e}: {json}"))
}

/// Checks the report in `dir` and keeps its screenshot when a browser is installed; what
/// happened, in a few lines for the demo's closing output (a check that finds problems
/// lists them; it does not fail the demo).
pub fn report_lines(dir: &Path) -> String {
    let Some(browser) = Browser::find() else {
        return format!(
            "Screenshot: none (no chromium found; install Debian's chromium, or set {ENV})."
        );
    };
    match browser.snapshot(dir) {
        Ok(verdict) => {
            let problems = verdict.problems();
            let mut out = format!(
                "Screenshot: {} (checked in {}: {} charts, {})",
                dir.join("screenshot.png").display(),
                browser.program.display(),
                verdict.charts.len(),
                if problems.is_empty() {
                    "no overlapping labels, no script errors".to_owned()
                } else {
                    format!("{} layout problems", problems.len())
                }
            );
            for p in problems.iter().take(10) {
                out.push_str("\n  ");
                out.push_str(p);
            }
            out
        }
        Err(e) => format!("Screenshot: none ({e})."),
    }
}

/// Whether a missing browser must fail (CI sets [`REQUIRE_ENV`]).
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

#[cfg(test)]
mod tests;
