//! `nianbao init DIR`: a folder ready to crawl — the commented default
//! `crawler.toml`, a `seeds/` example to fill in, and an `archive/` folder.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use std::path::{Path, PathBuf};

/// The shipped configuration: every key, commented, at its default.
const CONFIG: &str = include_str!("../../crawler.toml");

/// A seed file whose rows are comments, so nothing is crawled until the user
/// writes their own.
const SEEDS: &str = "agency,region,level,url,aliases
# One row per agency that must publish a report, or per report column of a portal.
# agency: the issuing body's full name; region: 省/市/区 it belongs to (used by --region);
# level: 省直, 市直, 区县, 部门, 乡镇 …; url: its disclosure page (may be empty);
# aliases: other names its reports use, separated by ';'. Lines starting with # are ignored.
#
# 新乡市卫滨区人民政府,河南省新乡市卫滨区,区县,http://www.weibin.gov.cn/xxgk/ndbg/,卫滨区人民政府;卫滨区
# 肖寨门镇人民政府,辽宁省沈阳市辽中区,乡镇,,肖寨门镇
# ,辽宁省沈阳市,,https://www.shenyang.gov.cn/zwgk/zfxxgkndgzbg/,
";

/// Arguments of `init`.
#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  nianbao init /srv/nianbao && cd /srv/nianbao && $EDITOR crawler.toml seeds/agencies.csv && nianbao crawl"
)]
pub struct InitArgs {
    /// The folder to set up (created if missing); existing files are never overwritten.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Writes the files that are not there yet and says what to do next.
pub fn run(args: InitArgs) -> Result<()> {
    let dir = &args.dir;
    if dir.exists() && !dir.is_dir() {
        bail!("{} exists and is not a folder", dir.display());
    }
    for sub in ["seeds", "archive"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("creating {}", dir.join(sub).display()))?;
    }
    let mut wrote = Vec::new();
    for (path, text) in [
        (dir.join("crawler.toml"), CONFIG),
        (dir.join("seeds/agencies.csv"), SEEDS),
    ] {
        if write_new(&path, text)? {
            wrote.push(path.display().to_string());
        } else {
            errln!("kept the existing {}", path.display());
        }
    }
    outln!(
        "{} ready{}.\nNext: fill in `contact` in crawler.toml, add agencies to seeds/agencies.csv, then \
         `cd {} && nianbao crawl` (the archive goes to archive/nianbao.db).",
        dir.display(),
        if wrote.is_empty() {
            String::new()
        } else {
            format!(": wrote {}", wrote.join(", "))
        },
        dir.display()
    )?;
    Ok(())
}

/// Writes `text` to a new file; false when the file already exists.
fn write_new(path: &Path, text: &str) -> Result<bool> {
    use std::io::Write;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            f.write_all(text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}
