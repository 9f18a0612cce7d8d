//! `nianbao completions SHELL` and `nianbao manpage`: generated from the clap
//! definitions, so they never drift from the real options.

use anyhow::Result;
use clap::Args;
use clap_complete::Shell;

/// Arguments of `completions`.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  nianbao completions bash > ~/.local/share/bash-completion/completions/nianbao\n  nianbao completions zsh > ~/.zfunc/_nianbao\n  nianbao completions fish > ~/.config/fish/completions/nianbao.fish"
)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

/// Prints the completion script of the shell.
pub fn run(args: CompletionsArgs) -> Result<()> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut super::command(), "nianbao", &mut out);
    write_stdout(&out)
}

/// Prints the man page (roff) with every subcommand's options.
pub fn manpage() -> Result<()> {
    let cmd = super::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
    // One section per subcommand, so `man nianbao` documents every option.
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("nianbao-{}", sub.get_name());
        let sub = sub.clone().name(name);
        let man = clap_mangen::Man::new(sub);
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        man.render_extra_section(&mut out)?;
    }
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes)?;
    stdout.flush()?;
    Ok(())
}
