//! Charts and the HTML report.

use std::path::Path;

use super::{funnelsim, scenario};

fn svg_texts(path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not valid SVG: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let shapes = doc
        .descendants()
        .filter(|n| {
            matches!(
                n.tag_name().name(),
                "rect" | "polyline" | "polygon" | "path" | "circle" | "line"
            )
        })
        .count();
    let texts = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .collect();
    (shapes, texts)
}

#[test]
fn run_writes_every_chart_with_its_series() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = funnelsim()
        .arg("run")
        .arg(scenario("baseline"))
        .args(["-n", "10", "--png", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stages = [
        "unaware",
        "problem defined",
        "exploring solutions",
        "building requirements",
        "shortlisting suppliers",
        "validating",
        "deciding",
    ];

    let (shapes, texts) = svg_texts(&dir.join("funnel.svg"));
    assert!(shapes >= 7, "funnel has {shapes} shapes");
    let svg = std::fs::read_to_string(dir.join("funnel.svg")).unwrap();
    assert!(
        svg.contains("@font-face") && svg.contains("data:font/ttf;base64,"),
        "the font is embedded"
    );
    for st in stages {
        assert!(
            texts.iter().any(|t| t == st),
            "funnel lacks label {st}: {texts:?}"
        );
    }
    assert!(texts.iter().any(|t| t.contains("% of previous")));

    for chart in ["pipeline_count.svg", "pipeline_value.svg"] {
        let (shapes, texts) = svg_texts(&dir.join(chart));
        assert!(shapes >= 14, "{chart}: a band and a median line per stage");
        for st in stages {
            assert!(texts.iter().any(|t| t == st), "{chart} legend lacks {st}");
        }
        assert!(texts.iter().any(|t| t == "measurement window"));
    }
    let (_, texts) = svg_texts(&dir.join("blame.svg"));
    for c in [
        "premature handoff (marketing)",
        "approach mismatch (sales)",
        "buyer stalled (buyer)",
    ] {
        assert!(texts.iter().any(|t| t == c), "blame lacks {c}");
    }
    let (_, texts) = svg_texts(&dir.join("outcomes.svg"));
    assert!(texts.iter().any(|t| t == "went dark"));
    let (shapes, _) = svg_texts(&dir.join("cycle_histogram.svg"));
    assert!(shapes > 10);
    for png in [
        "funnel",
        "pipeline_count",
        "pipeline_value",
        "outcomes",
        "blame",
        "cycle_histogram",
    ] {
        let bytes = std::fs::read(dir.join(format!("{png}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{png}.png");
        assert!(bytes.len() > 5_000, "{png}.png is suspiciously small");
        assert_png_at_twice_the_svg(&dir, png);
    }
}

/// `<dir>/<name>.png` is twice the size of `<dir>/<name>.svg` (for slides).
fn assert_png_at_twice_the_svg(dir: &Path, name: &str) {
    let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let attr = |a: &str| -> u32 { doc.root_element().attribute(a).unwrap().parse().unwrap() };
    assert_eq!(
        (be(16), be(20)),
        (2 * attr("width"), 2 * attr("height")),
        "{name}.png"
    );
}

#[test]
fn strategist_commands_write_their_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (scenario("baseline"), scenario("nurture_then_handoff"));
    let cases: [(Vec<&std::ffi::OsStr>, &str, &str); 3] = [
        (
            vec!["compare".as_ref(), a.as_os_str(), b.as_os_str()],
            "comparison_B.svg",
            "deals won",
        ),
        (
            vec![
                "sweep".as_ref(),
                b.as_os_str(),
                "--vary".as_ref(),
                "handoff.threshold=40:80:20".as_ref(),
            ],
            "sweep.svg",
            "handoff.threshold",
        ),
        (
            vec![
                "sensitivity".as_ref(),
                b.as_os_str(),
                "--params".as_ref(),
                "outreach.reps,handoff.threshold".as_ref(),
            ],
            "tornado.svg",
            "handoff.threshold",
        ),
    ];
    for (i, (args, chart, label)) in cases.iter().enumerate() {
        let dir = tmp.path().join(i.to_string());
        let out = funnelsim()
            .args(args)
            .args(["-n", "5", "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (shapes, texts) = svg_texts(&dir.join(chart));
        assert!(shapes > 3, "{chart}");
        assert!(
            texts.iter().any(|t| t.contains(label)),
            "{chart} lacks {label}: {texts:?}"
        );
    }
}

/// Checks that every non-void HTML element is closed in order.
fn assert_balanced(html: &str) {
    const VOID: [&str; 6] = ["meta", "br", "img", "input", "link", "hr"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("every tag is closed by '>'");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if tag.starts_with('/') {
            let open = stack.pop().unwrap_or_else(|| panic!("stray </{name}>"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}

#[test]
fn report_is_well_formed_self_contained_and_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let nasty = tmp.path().join("nasty.toml");
    let text = std::fs::read_to_string(scenario("markov_check"))
        .unwrap()
        .replacen(
            "name = \"Markov check: outreach without effect\"",
            "name = \"<script>alert(1)</script>\"\n# the description too:",
            1,
        );
    let text = text.replacen("description = \"", "description = \"<b onmouseover=x>&", 1);
    std::fs::write(&nasty, text).unwrap();
    let dir = tmp.path().join("report");
    let out = funnelsim()
        .arg("report")
        .arg(scenario("baseline"))
        .arg(&nasty)
        .args(["-n", "5", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_balanced(&html);
    assert!(!html.contains("<script"), "scenario text must be escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<b onmouseover"));
    for attr in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "@import",
    ] {
        assert!(
            !html.contains(attr),
            "report loads something from the network: {attr}"
        );
    }
    assert!(html.contains("data:font/ttf;base64,"), "the font is embedded");
    // Headline numbers, narrative, every chart, and the comparison.
    for needle in [
        "Close rate (won / leads)",
        "What the numbers say",
        "reached sales while buyers were still",
        "Comparison",
        "B vs A",
        "95% CI",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    let figures = html.matches("<figure class=\"chart\"").count();
    assert_eq!(figures, 2 * 6 + 1, "six charts per scenario plus the comparison");
    for heading in [
        "<h3>Who is to blame (proximate causes)</h3>",
        "<h3>Who could have won the lost deals (counterfactual)</h3>",
    ] {
        assert_eq!(html.matches(heading).count(), 2, "one {heading} per scenario");
    }
    for id in [
        "ledger-proximate-A",
        "ledger-proximate-B",
        "ledger-counterfactual-A",
        "ledger-counterfactual-B",
    ] {
        assert_eq!(html.matches(&format!("id=\"{id}\"")).count(), 1, "{id}");
    }
}

#[test]
fn report_shows_both_blame_ledgers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let out = funnelsim()
        .arg("report")
        .arg(scenario("baseline"))
        .args(["-n", "10", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_balanced(&html);
    let section = |id: &str| -> &str {
        let start = html
            .find(&format!("<div class=\"ledger\" id=\"{id}\">"))
            .unwrap_or_else(|| panic!("report lacks the {id} ledger"));
        let end = start + html[start..].find("</table>").expect("the ledger's table");
        &html[start..end]
    };

    // What happened: the proximate cause of every loss, by side.
    let proximate = section("ledger-proximate");
    for needle in [
        "<h3>Who is to blame (proximate causes)</h3>",
        "The proximate-cause ledger: what happened",
        "<td>premature handoff</td><td>marketing</td>",
        "<td>competitor won</td><td>buyer</td>",
        "<td>sales side</td>",
    ] {
        assert!(proximate.contains(needle), "proximate ledger lacks {needle}");
    }

    // What was avoidable: the four worlds, paired, and the Shapley split.
    let counterfactual = section("ledger-counterfactual");
    for needle in [
        "<h3>Who could have won the lost deals (counterfactual)</h3>",
        "The counterfactual ledger: what was avoidable",
        "10 replications",
        "<th>world</th><th>deals won</th><th>recovered vs as is</th><th>95% CI (paired)</th>",
        "<td>as is</td>",
        "<td>marketing perfect</td>",
        "<td>sales perfect</td>",
        "<td>both perfect</td>",
        "Shapley split",
        "<td>marketing</td>",
        "<td>sales</td>",
    ] {
        assert!(
            counterfactual.contains(needle),
            "counterfactual ledger lacks {needle}"
        );
    }
    // Each perfect world's row has a paired interval: "+a – +b".
    let worlds: Vec<&str> = counterfactual
        .split("<tr>")
        .filter(|r| r.contains(" perfect</td>"))
        .collect();
    assert_eq!(worlds.len(), 3, "{counterfactual}");
    for row in worlds {
        assert!(row.contains(" – "), "no interval in {row}");
    }
    assert!(
        html.contains("handed off on reaching building requirements"),
        "what the perfect worlds mean"
    );
    // The narrative reads the counterfactual too.
    assert!(html.contains("Re-running the same buyers (10 replications), perfect marketing would have"));
}

/// The five workshop scenarios (in order).
fn workshop() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/workshop");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5);
    files
}

#[test]
fn a_five_scenario_report_folder_stays_small_and_every_svg_carries_its_glyphs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let out = funnelsim()
        .arg("report")
        .args(workshop())
        .args(["-n", "20", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut total = 0;
    let mut svgs = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        total += std::fs::metadata(&path).unwrap().len();
        if path.extension().is_some_and(|x| x == "svg") {
            svgs += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            // Each SVG embeds a font of its own: a subset, far below the
            // whole DejaVu Sans (about 1 MB in base64).
            let font = text
                .split_once("base64,")
                .and_then(|(_, r)| r.split_once(')'))
                .map(|(f, _)| f.len())
                .unwrap_or_else(|| panic!("{} embeds no font", path.display()));
            assert!(font < 60_000, "{}: font of {font} bytes", path.display());
            assert!(!svg_texts(&path).1.is_empty());
        }
    }
    assert_eq!(svgs, 5 * 6 + 4, "six charts a scenario and four comparisons");
    assert!(total < 3_000_000, "report folder of {total} bytes");
}

#[test]
fn report_tables_put_values_beside_differences_and_colour_by_direction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let files = workshop();
    let out = funnelsim()
        .arg("report")
        .args(&files[..2])
        .args(["-n", "20", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert_balanced(&html);
    // The comparison: A and B beside every paired difference.
    let start = html.find("<table class=\"versus\">").expect("a comparison table");
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    assert!(table.contains("<th>metric</th><th>A</th><th>B</th><th>difference</th><th>95% CI (paired)</th>"));
    let row = |label: &str| -> &str {
        table
            .split("<tr>")
            .find(|r| r.starts_with(&format!("<td>{label}</td>")))
            .unwrap_or_else(|| panic!("no {label} row in {table}"))
    };
    // Nurturing before the handoff wins more deals and costs less per win:
    // both better, though one goes up and the other down.
    let won = row("deals won");
    assert!(won.contains("class=\"better\">+"), "{won}");
    let cost = row("cost per won deal");
    assert!(cost.contains("class=\"better\">-"), "{cost}");
    assert!(cost.contains("verdict better"), "{cost}");
    assert_eq!(
        row("leads").matches("<td").count(),
        7,
        "metric, A, B, difference, CI, change, verdict"
    );
    // Handoffs by stage, as a table per scenario.
    assert_eq!(html.matches("<h3>Handed off, by stage</h3>").count(), 2);
    assert!(html.contains("<th>stage at handoff</th>"));
    // Marketing and sales are orange and blue in the blame chart (an
    // Okabe–Ito pair colour-blind readers tell apart), as its axis says.
    let blame = std::fs::read_to_string(dir.join("blame_A.svg")).unwrap();
    assert!(blame.contains("orange marketing, blue sales, grey buyer"));
    for colour in ["#E69F00", "#0072B2"] {
        assert!(
            blame.to_uppercase().contains(colour),
            "blame chart lacks {colour}"
        );
    }
}

#[test]
fn report_chain_compares_each_scenario_with_the_one_before() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("report");
    let out = funnelsim()
        .arg("report")
        .args(&workshop()[..3])
        .args(["-n", "5", "--chain", "--png", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<h3>B vs A</h3>"));
    assert!(html.contains("<h3>C vs B</h3>"));
    assert!(!html.contains("<h3>C vs A</h3>"));
    assert!(html.contains("compared with the one before it (--chain)"));
    let (_, texts) = svg_texts(&dir.join("comparison_C.svg"));
    assert!(texts.iter().any(|t| t == "C vs B: paired change"), "{texts:?}");
    // --png: every chart also as a PNG at 2×, for slides.
    for name in ["comparison_C", "funnel_A", "pipeline_count_B", "blame_C"] {
        assert_png_at_twice_the_svg(&dir, name);
    }
}
