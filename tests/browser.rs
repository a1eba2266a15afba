//! The HTML report in a real browser (headless Chromium): no console errors,
//! every chart visible at the page's full width on a 1920×1080 screen with
//! its text at least 12 px tall, the embedded font loaded, and a screenshot
//! under `target/` to look at.
//!
//! `.ci/run` installs Debian's `chromium` and sets `FUNNELSIM_REQUIRE_BROWSER=1`,
//! so in CI a missing browser is a failure; on a developer machine without
//! Chromium the test says so and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| Path::new(d).join(name))
                .find(|p| p.is_file())
        })
}

pub(crate) fn headless(browser: &Path, profile: &Path) -> Command {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

const HARNESS: &str = r#"<!DOCTYPE html>
<html><body>
<iframe id="f" src="report.html" style="width:1920px;height:1080px;border:0"></iframe>
<pre id="out">PENDING</pre>
<script>
document.getElementById('f').addEventListener('load', async () => {
  const d = document.getElementById('f').contentDocument;
  await d.fonts.ready;
  const figs = [...d.querySelectorAll('figure.chart')].map(f => {
    const s = f.querySelector('svg');
    const r = s ? s.getBoundingClientRect() : { width: 0, height: 0 };
    const style = s ? getComputedStyle(s) : null;
    // The smallest text of the chart as drawn: its font size through the
    // scale the SVG is shown at (rotated text included).
    let text = Infinity;
    for (const t of (s ? s.querySelectorAll('text') : [])) {
      if (!t.textContent.trim()) continue;
      const m = t.getScreenCTM();
      text = Math.min(text, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b));
    }
    return { id: f.id, w: r.width, h: r.height, text, visible: !!style && style.display !== 'none' && style.visibility !== 'hidden' };
  });
  const font = [...d.fonts].some(f => f.family.replace(/"/g, '') === 'FunnelsimSans' && f.status === 'loaded');
  document.getElementById('out').textContent = 'RESULT' + JSON.stringify({ figs, font }) + 'END';
});
</script>
</body></html>
"#;

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("FUNNELSIM_REQUIRE_BROWSER").is_none(),
            "FUNNELSIM_REQUIRE_BROWSER is set but no chromium is installed"
        );
        eprintln!("skipped: chromium not found (CI installs it)");
        return;
    };
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("browser-test");
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target).unwrap();
    let dir = target.join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_funnelsim"))
        .args([
            "report",
            "scenarios/baseline.toml",
            "scenarios/inbound_insight.toml",
            "-n",
            "20",
            "--out",
        ])
        .arg(&dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let profile = target.join("profile");

    // 1. The report alone: no console messages, no failed loads.
    let shot = target.join("report-screenshot.png");
    let run = headless(&browser, &profile)
        .arg("--window-size=1920,1080")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.join("report.html").display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Failed to load resource"))
        .collect();
    assert!(
        console.is_empty(),
        "console output from the report:\n{}",
        console.join("\n")
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.len() > 20_000,
        "screenshot of {} bytes is suspiciously small",
        png.len()
    );

    // 2. Measure every chart from a harness page that frames the report.
    std::fs::write(dir.join("harness.html"), HARNESS).unwrap();
    let dump = headless(&browser, &profile)
        .args(["--virtual-time-budget=15000", "--dump-dom"])
        .arg(format!("file://{}", dir.join("harness.html").display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&dump.stdout);
    let json = dom
        .split_once("RESULT")
        .and_then(|(_, r)| r.split_once("END"))
        .map(|(j, _)| j.replace("&quot;", "\""))
        .unwrap_or_else(|| {
            panic!(
                "harness produced no result:\n{dom}\n{}",
                String::from_utf8_lossy(&dump.stderr)
            )
        });
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let figs = v["figs"].as_array().unwrap();
    assert_eq!(figs.len(), 13, "six charts per scenario plus the comparison");
    for f in figs {
        assert!(f["visible"].as_bool().unwrap(), "{f}");
        // Full width at 1920×1080: the page's margins and the figure's
        // padding aside, and chart text no smaller than 12 px.
        assert!(f["w"].as_f64().unwrap() > 1600.0, "chart not at full width: {f}");
        assert!(f["text"].as_f64().unwrap() >= 12.0, "chart text below 12 px: {f}");
        assert!(
            f["w"].as_f64().unwrap() > 100.0 && f["h"].as_f64().unwrap() > 100.0,
            "chart too small: {f}"
        );
    }
    assert_eq!(v["font"], true, "the embedded font did not load");
    let smallest = figs
        .iter()
        .filter_map(|f| f["text"].as_f64())
        .fold(f64::INFINITY, f64::min);
    eprintln!(
        "smallest chart text: {smallest:.1} px; screenshot: {}",
        shot.display()
    );
}
