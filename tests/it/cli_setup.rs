//! Setting up as a new user does: `init`, where the configuration is looked
//! for, `--version`, help with examples, shell completions and the man page,
//! and the README's test command being the one CI runs.

use std::path::Path;
use std::process::{Command, Output};

fn nianbao(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nianbao"));
    c.current_dir(dir).args(args).env_remove("NIANBAO_CONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run nianbao")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn init_writes_a_commented_config_a_seed_example_and_the_archive_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let out = nianbao(tmp.path(), &["init", "site"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = std::fs::read_to_string(dir.join("crawler.toml")).unwrap();
    assert!(config.contains("contact = \"\"") && config.contains("# "));
    nianbao::config::Config::load(&dir.join("crawler.toml")).expect("a valid config");
    assert!(dir.join("archive").is_dir());
    let seeds = std::fs::read_to_string(dir.join("seeds/agencies.csv")).unwrap();
    assert!(seeds.starts_with("agency,region,level,url,aliases\n"));
    // The examples are comments: nothing is crawled until the user adds rows.
    let rows = nianbao::seeds::load(&[dir.join("seeds")]).unwrap();
    assert!(rows.is_empty());

    // A second init keeps what the user edited.
    std::fs::write(
        dir.join("crawler.toml"),
        "[crawler]\ncontact = \"me@example.org\"\n",
    )
    .unwrap();
    let out = nianbao(tmp.path(), &["init", "site"], &[]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("kept the existing"));
    assert!(
        std::fs::read_to_string(dir.join("crawler.toml"))
            .unwrap()
            .contains("me@example.org")
    );

    // In the folder, `crawl` finds the config and says the seeds are empty.
    let out = nianbao(&dir, &["crawl"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no seed rows") && !text(&out.stderr).contains("defaults"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn config_is_found_by_flag_then_environment_then_the_current_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("crawler.toml"),
        "[storage]\ndatabase = \"local.db\"\n",
    )
    .unwrap();
    std::fs::write(d.join("env.toml"), "[storage]\ndatabase = \"env.db\"\n").unwrap();
    std::fs::write(d.join("flag.toml"), "[storage]\ndatabase = \"flag.db\"\n").unwrap();
    // `status` opens an existing archive only: the error names the archive
    // the configuration it found points at.
    let status = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.push("status");
        text(&nianbao(d, &all, env).stderr)
    };
    assert!(status(&[], &[]).contains("local.db"), "./crawler.toml");
    let err = status(&[], &[("NIANBAO_CONFIG", "env.toml")]);
    assert!(
        err.contains("env.db"),
        "NIANBAO_CONFIG before ./crawler.toml: {err}"
    );
    let err = status(
        &["--config", "flag.toml"],
        &[("NIANBAO_CONFIG", "env.toml")],
    );
    assert!(err.contains("flag.db"), "--config first: {err}");

    // A named file that is not there is an error, not the defaults.
    let out = nianbao(d, &["status"], &[("NIANBAO_CONFIG", "gone.toml")]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("gone.toml"));

    // None at all: the defaults, said out loud with the archive's place.
    let empty = tempfile::tempdir().unwrap();
    let out = nianbao(empty.path(), &["status"], &[]);
    let err = text(&out.stderr);
    assert!(
        err.contains("using the defaults") && err.contains("archive/nianbao.db"),
        "{err}"
    );
}

#[test]
fn version_names_the_extractor_and_the_commit() {
    let out = nianbao(Path::new("."), &["--version"], &[]);
    let v = text(&out.stdout);
    assert!(out.status.success());
    assert!(v.contains(env!("CARGO_PKG_VERSION")), "{v}");
    assert!(
        v.contains(&format!(
            "extractor {}",
            nianbao::extract::EXTRACTOR_VERSION
        )),
        "{v}"
    );
    let commit = v
        .split("commit ")
        .nth(1)
        .unwrap_or("")
        .trim_end_matches([')', '\n']);
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
}

/// Every subcommand (and bench's) documents every option, with an example.
#[test]
fn every_option_has_help_and_every_command_an_example() {
    let help = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push("--help");
        let out = nianbao(Path::new("."), &all, &[]);
        assert!(out.status.success(), "{args:?}");
        text(&out.stdout)
    };
    let top = help(&[]);
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 15, "{top}");
    let mut pages: Vec<(Vec<String>, String)> = Vec::new();
    for c in &commands {
        pages.push((vec![c.clone()], help(&[c])));
    }
    if commands.iter().any(|c| c == "bench") {
        let bench = help(&["bench"]);
        let subs: Vec<String> = bench
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|c| c != "help")
            .collect();
        assert!(subs.len() >= 3, "{bench}");
        for b in subs {
            pages.push((vec!["bench".into(), b.clone()], help(&["bench", &b])));
        }
    }
    for (cmd, page) in &pages {
        if cmd == &["bench".to_string()] {
            continue;
        }
        assert!(page.contains("Example"), "{cmd:?} has no example:\n{page}");
        // An option line is `  -x, --name <V>` or `      --name`; its help follows on the line.
        for line in page
            .lines()
            .skip_while(|l| !l.starts_with("Options:") && !l.starts_with("Arguments:"))
            .filter(|l| l.trim_start().starts_with('-') || l.trim_start().starts_with('<'))
        {
            let t = line.trim();
            // A bare `[default: 20]` says nothing about what the option is.
            let described = t
                .split("  ")
                .filter(|p| !p.trim().is_empty())
                .nth(1)
                .is_some_and(|h| !h.trim_start().starts_with("[default"));
            assert!(described, "{cmd:?}: undocumented option {t:?}");
        }
    }
    assert!(help(&["missing"]).contains("csv|json|jsonl|xlsx"));
}

#[test]
fn completions_and_manpage_come_from_the_command_line_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef nianbao"),
        ("fish", "complete -c nianbao"),
    ] {
        let out = nianbao(Path::new("."), &["completions", shell], &[]);
        let s = text(&out.stdout);
        assert!(out.status.success());
        assert!(s.contains(marker), "{shell}: {s}");
        assert!(s.contains("missing") && s.contains("region"), "{shell}");
    }
    let out = nianbao(Path::new("."), &["completions", "tcsh"], &[]);
    assert!(!out.status.success());

    let out = nianbao(Path::new("."), &["manpage"], &[]);
    let man = text(&out.stdout);
    assert!(out.status.success());
    assert!(
        man.starts_with(".ie") || man.contains(".TH nianbao"),
        "{man}"
    );
    assert!(
        man.contains("nianbao\\-missing") && man.contains("region"),
        "every command's options"
    );
}

/// `.ci/run` runs the README's test command verbatim, so CI tests what a new
/// user types; the command makes its own virtual environment (PEP 668).
#[test]
fn ci_runs_the_readme_test_command_verbatim() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains("cargo test") && l.contains('#'))
        .expect("the README's test command");
    let command = line.split('#').next().unwrap().trim();
    assert!(command.contains("python3 -m venv .venv"), "{command}");
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == command),
        ".ci/run must run `{command}` verbatim"
    );
}
