//! The documentation shows what the commands print today.
//!
//! Every fenced block in the README and `docs/` that starts with
//! `$ funnelsim …` is a transcript: the command (continued over lines ending
//! in `\`) is run from the repository's root, and each following line must
//! appear in what it prints, in order. A line may elide text with `…`: the
//! pieces around it must then appear, in order, on one printed line; a line
//! that is only `…` stands for any number of lines.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The documents whose transcripts are checked.
const DOCUMENTS: [&str; 8] = [
    "README.md",
    "docs/model.md",
    "docs/output.md",
    "docs/calibration.md",
    "docs/reliability.md",
    "docs/workshop.md",
    "docs/analysis.md",
    "docs/cluster.md",
];

/// Documents whose prose quotes results: every such number must be one a
/// transcript of the same document shows (and so one the command prints).
const QUOTING: [&str; 2] = ["README.md", "docs/workshop.md"];

/// Numbers in that prose that are not results, each with its reason.
const NOT_RESULTS: [(&str, &str, &str); 5] = [
    ("README.md", "1.89", "the minimum Rust version"),
    ("README.md", "130", "the exit status of an interrupted command"),
    ("README.md", "10,000", "the largest sweep grid"),
    ("docs/workshop.md", "2011", "the year of a cited article"),
    ("docs/workshop.md", "60", "a ratio the cited article reports"),
];

struct Transcript {
    document: String,
    line: usize,
    args: Vec<String>,
    expected: Vec<String>,
}

fn transcripts(document: &str, text: &str) -> Vec<Transcript> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let starts_block = lines[i].trim_start().starts_with("```");
        if !(starts_block && lines.get(i + 1).is_some_and(|l| l.starts_with("$ funnelsim "))) {
            i += 1;
            continue;
        }
        let line = i + 2;
        i += 1;
        let mut command = String::new();
        loop {
            let l = lines[i].trim_start_matches("$ ");
            i += 1;
            match l.strip_suffix('\\') {
                Some(part) => command.push_str(part),
                None => {
                    command.push_str(l);
                    break;
                }
            }
        }
        let mut expected = Vec::new();
        while i < lines.len() && !lines[i].trim_start().starts_with("```") {
            expected.push(lines[i].to_owned());
            i += 1;
        }
        i += 1;
        let args = command.split_whitespace().skip(1).map(str::to_owned).collect();
        out.push(Transcript {
            document: document.to_owned(),
            line,
            args,
            expected,
        });
    }
    out
}

/// Whether `printed` starts with the first piece of `expected` (split at
/// `…`; indentation included) and holds the others after it, in order.
fn matches(expected: &str, printed: &str) -> bool {
    let mut pieces = expected.split('…');
    let first = pieces.next().unwrap_or_default().trim_end();
    let Some(mut rest) = printed.strip_prefix(first) else {
        return false;
    };
    for piece in pieces.map(str::trim).filter(|p| !p.is_empty()) {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

fn check(t: &Transcript, root: &Path) -> Result<(), String> {
    // Run where the documented relative paths resolve, but write nothing
    // into the repository: scenarios/ is linked into a scratch directory.
    let scratch = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("scenarios"), scratch.path().join("scenarios")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_funnelsim"))
        .current_dir(scratch.path())
        .env_remove("COLUMNS")
        .args(&t.args)
        .output()
        .unwrap();
    if !o.status.success() {
        return Err(format!(
            "{}:{}: `funnelsim {}` failed: {}",
            t.document,
            t.line,
            t.args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let printed: Vec<&str> = printed.lines().collect();
    let mut next = 0;
    for (k, want) in t.expected.iter().enumerate() {
        if want.trim() == "…" || want.trim().is_empty() {
            continue;
        }
        match printed[next..].iter().position(|p| matches(want, p)) {
            Some(at) => next += at + 1,
            None => {
                return Err(format!(
                    "{}:{}: `funnelsim {}` no longer prints\n    {want}\n  (documented line {}); it prints:\n{}",
                    t.document,
                    t.line,
                    t.args.join(" "),
                    k + 1,
                    printed.join("\n")
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn documented_transcripts_match_what_the_commands_print() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    for d in DOCUMENTS {
        let text = std::fs::read_to_string(root.join(d)).unwrap_or_else(|e| panic!("{d}: {e}"));
        all.extend(transcripts(d, &text));
    }
    assert!(all.len() >= 5, "found only {} transcripts", all.len());
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = all.iter().map(|t| s.spawn(|| check(t, &root))).collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The numbers quoted in a document's prose (outside code blocks, headings
/// and `code` spans) that read as results: with a decimal point, a
/// thousands separator or a percent sign, or of two digits or more — but
/// not durations of the session ("15 min", "75-minute").
fn quoted_numbers(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block || line.starts_with('#') || line.starts_with('|') {
            continue;
        }
        // Drop `code` spans and link targets: file names, flags and paths.
        let mut prose = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                prose.push(c);
            }
        }
        let prose = prose
            .split("](")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once(')').map_or("", |(_, r)| r)
                }
            })
            .collect::<String>();
        let chars: Vec<char> = prose.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let starts = chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_alphanumeric());
            if !starts {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || ((chars[j] == '.' || chars[j] == ',')
                        && chars.get(j + 1).is_some_and(char::is_ascii_digit)))
            {
                j += 1;
            }
            let mut token: String = chars[i..j].iter().collect();
            if chars.get(j) == Some(&'%') {
                token.push('%');
            }
            let rest: String = chars[j..].iter().take(8).collect();
            let duration = rest.starts_with(" min") || rest.starts_with("-min") || rest.starts_with("–");
            let digits = token.chars().filter(char::is_ascii_digit).count();
            let ordinal = i == 0 || chars[..i].iter().all(|c| c.is_whitespace());
            let result = token.contains(['.', ',', '%']) || digits >= 2;
            if result && !duration && !(ordinal && rest.starts_with(". ")) {
                out.push((n + 1, token));
            }
            i = j;
        }
    }
    out
}

/// Whether `line` shows `number` whole, not as part of a longer number
/// ("116" is not in "1,116", "116.5" or "2116"; "116." ending a sentence is).
fn shows(line: &str, number: &str) -> bool {
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    let separator = |c: Option<char>| c.is_some_and(|c| c == ',' || c == '.');
    line.match_indices(number).any(|(at, _)| {
        let mut before = line[..at].chars().rev();
        let (b1, b2) = (before.next(), before.next());
        let mut after = line[at + number.len()..].chars();
        let (a1, a2) = (after.next(), after.next());
        let joined_before = digit(b1) || (separator(b1) && digit(b2));
        let joined_after = digit(a1) || (separator(a1) && digit(a2));
        !joined_before && !joined_after
    })
}

#[test]
fn every_number_the_guide_and_the_readme_quote_is_printed_by_a_command() {
    // The transcripts themselves are checked against the commands above;
    // this checks that the prose quotes only numbers a transcript shows.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for d in QUOTING {
        let text = std::fs::read_to_string(root.join(d)).unwrap();
        let shown: Vec<String> = transcripts(d, &text)
            .into_iter()
            .flat_map(|t| t.expected.into_iter().chain([t.args.join(" ")]))
            .collect();
        for (line, number) in quoted_numbers(&text) {
            let exempt = NOT_RESULTS.iter().any(|&(doc, n, _)| doc == d && n == number);
            if !exempt && !shown.iter().any(|l| shows(l, &number)) {
                missing.push(format!("{d}:{line}: {number}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "numbers quoted in prose that no transcript shows (run the command and quote what it prints):\n{}",
        missing.join("\n")
    );
}

#[test]
fn a_quoted_number_must_be_shown_whole() {
    assert!(shows("  deals won   116   114 – 117", "116"));
    assert!(shows("won 116.", "116"));
    assert!(!shows("leads 1,116", "116"));
    assert!(!shows("won 116.5", "116"));
    assert!(!shows("won 2116", "116"));
}

#[test]
fn quoted_numbers_are_results_not_durations_or_list_markers() {
    let text = "### 1. Step (15 min)\n1. **116 deals won: a close rate of 3.1%** in a 75-minute session\n\
                see `01_blame_game.toml` and [the README](../README.md#a-2)\n```\n12,345\n```\n2,976 leads, step 3";
    let got: Vec<String> = quoted_numbers(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(got, ["116", "3.1%", "2,976"]);
}

#[test]
fn elisions_match_pieces_in_order() {
    assert!(matches(
        "  leads   3,670 … 3,756",
        "  leads   3,670   3,662 – 3,678   3,577 … 3,756"
    ));
    assert!(
        !matches("  leads   3,670", "  leads    3,670"),
        "spacing is part of the layout"
    );
    assert!(!matches("  leads", "leads"), "so is indentation");
    assert!(!matches("3,756 … 3,670", "3,670 3,756"));
    assert!(matches("… a", "xay"));
}
