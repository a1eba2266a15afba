//! `funnelsim completions`: a shell's completion script, generated from the
//! same definition as the parser, so it always knows every command and
//! option.

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

/// `funnelsim completions`.
#[derive(Debug, Args)]
#[command(after_help = "Install, for example:\n  \
    bash:  funnelsim completions bash > ~/.local/share/bash-completion/completions/funnelsim\n  \
    zsh:   funnelsim completions zsh > ~/.zfunc/_funnelsim  (with fpath+=~/.zfunc before compinit)\n  \
    fish:  funnelsim completions fish > ~/.config/fish/completions/funnelsim.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `funnelsim completions`.
pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "funnelsim", &mut out);
    Ok(())
}
