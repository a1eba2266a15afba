//! What funnelsim says on stderr besides errors, and in what colour: the
//! global `--quiet` and `--color` options. Notes, warnings and the progress
//! bar go through here; errors and results do not (they are always shown).
//! And how results are laid out as text on stdout: the terminal's width
//! (80 columns when stdout is not a terminal; `COLUMNS` overrides both) and
//! the global `--plain`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;

/// Set by `--quiet`.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Set by `--plain`.
static PLAIN: AtomicBool = AtomicBool::new(false);

/// Names in plain words in text output (`--plain`).
pub fn set_plain(plain: bool) {
    PLAIN.store(plain, Ordering::Relaxed);
}

/// The width text on stdout is laid out for: `COLUMNS` if it is set to a
/// number, else the terminal's width if stdout is one, else 80.
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    columns
        .or_else(|| {
            std::io::stdout()
                .is_terminal()
                .then(|| console::Term::stdout().size_checked())
                .flatten()
                .map(|(_, cols)| usize::from(cols))
        })
        .unwrap_or(funnelsim::output::text::DEFAULT_WIDTH)
}

/// How text on stdout is laid out: [`width`] and `--plain`.
pub fn style() -> funnelsim::output::text::Style {
    funnelsim::output::text::Style::new(width(), PLAIN.load(Ordering::Relaxed))
}

/// Makes `note!` and the progress bar silent (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Prints a note or a warning on stderr, like `eprintln!`, unless
/// `--quiet` was given.
macro_rules! note {
    ($($arg:tt)*) => {
        if !$crate::cli::term::quiet() {
            eprintln!($($arg)*);
        }
    };
}
pub(crate) use note;

/// `--color WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces
    /// it, CLICOLOR=0 turns it off)
    Auto,
    /// Always colour, whatever the environment says
    Always,
    /// Never colour
    Never,
}

impl ColorWhen {
    /// The same choice in clap's terms (its help and error messages).
    pub fn clap(self) -> clap::ColorChoice {
        match self {
            ColorWhen::Auto => clap::ColorChoice::Auto,
            ColorWhen::Always => clap::ColorChoice::Always,
            ColorWhen::Never => clap::ColorChoice::Never,
        }
    }

    /// Whether to colour what goes to stderr (the progress bar), by the
    /// conventions clap follows too: `NO_COLOR` (set and not empty) turns
    /// colour off, then `CLICOLOR_FORCE` (not `0`) on, then `CLICOLOR=0`
    /// off; otherwise colour when stderr is a terminal.
    pub fn stderr(self) -> bool {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto if var("NO_COLOR").is_some() => false,
            ColorWhen::Auto if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
            ColorWhen::Auto if var("CLICOLOR").is_some_and(|v| v == "0") => false,
            ColorWhen::Auto => std::io::stderr().is_terminal(),
        }
    }

    /// The `--color` of a command line, read before clap parses it, so
    /// that clap's own help and errors follow it: the last `--color WHEN`
    /// or `--color=WHEN` before a `--`; `auto` if there is none or its
    /// value is not one (clap then reports that).
    pub fn from_args(args: &[std::ffi::OsString]) -> ColorWhen {
        let mut when = ColorWhen::Auto;
        let mut args = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
        while let Some(a) = args.next() {
            let value = match a {
                "--" => break,
                "--color" => args.next(),
                _ => a.strip_prefix("--color="),
            };
            if let Some(w) = value.and_then(|v| ColorWhen::from_str(v, false).ok()) {
                when = w;
            }
        }
        when
    }
}

/// Applies `--color` to what funnelsim draws itself (the progress bar).
pub fn set_color(when: ColorWhen) {
    console::set_colors_enabled_stderr(when.stderr());
}

#[cfg(test)]
mod tests {
    use super::ColorWhen;

    fn when(args: &[&str]) -> ColorWhen {
        let args: Vec<std::ffi::OsString> = std::iter::once("funnelsim")
            .chain(args.iter().copied())
            .map(Into::into)
            .collect();
        ColorWhen::from_args(&args)
    }

    #[test]
    fn the_last_color_before_a_double_dash_counts() {
        assert_eq!(when(&["run", "x.toml"]), ColorWhen::Auto);
        assert_eq!(when(&["--color", "never", "run"]), ColorWhen::Never);
        assert_eq!(when(&["run", "--color=always"]), ColorWhen::Always);
        assert_eq!(
            when(&["--color", "never", "run", "--color", "always"]),
            ColorWhen::Always
        );
        assert_eq!(
            when(&["--color", "never", "--", "--color=always"]),
            ColorWhen::Never
        );
        assert_eq!(when(&["--color", "purple"]), ColorWhen::Auto);
        assert_eq!(when(&["--color"]), ColorWhen::Auto);
    }
}
