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
const DOCUMENTS: [&str; 5] = [
    "README.md",
    "docs/model.md",
    "docs/output.md",
    "docs/calibration.md",
    "docs/reliability.md",
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
