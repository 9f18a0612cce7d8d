//! Starting and stopping the Chromium process: found on the system (never
//! downloaded), run headless with a fresh profile, spoken to over
//! `--remote-debugging-pipe`, and unable to outlive nianbao.
//!
//! Chromium runs in its own process group and gets `SIGKILL` when the thread
//! that started it dies (`PR_SET_PDEATHSIG`); that thread lives exactly as long
//! as the browser, so a killed nianbao takes the browser with it. Its helper
//! processes stay in the group, which is killed as a whole on drop, and the
//! DevTools pipe closing makes Chromium quit on its own too.

use super::RenderError;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where Debian, Ubuntu and Chrome installs put the binary, in the order tried.
const CANDIDATES: &[&str] = &[
    // Debian's /usr/bin/chromium is a shell wrapper; the real binary keeps our pid and group.
    "/usr/lib/chromium/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The command that installs a browser, for messages.
pub const INSTALL_HINT: &str = "install Chromium (`apt-get install chromium`) or set [render] chromium = \"/path/to/chromium\" in crawler.toml";

/// The Chromium binary to use: `configured` (a path, or a name looked up in
/// `PATH`) when given, else the first of the usual places that exists.
pub fn find_chromium(configured: Option<&Path>) -> Option<PathBuf> {
    match configured {
        Some(p) => lookup(p),
        None => CANDIDATES.iter().find_map(|c| lookup(Path::new(c))),
    }
}

fn lookup(p: &Path) -> Option<PathBuf> {
    if p.components().count() > 1 {
        return p.is_file().then(|| p.to_path_buf());
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(p))
        .find(|c| c.is_file())
}

/// A running browser: its process group, the parent's ends of the DevTools
/// pipe, and its throw-away profile folder. Dropping it kills the group.
pub struct Process {
    pub pid: i32,
    /// nianbao writes commands here (the browser's fd 3).
    pub to_browser: Option<OwnedFd>,
    /// The browser writes replies and events here (its fd 4).
    pub from_browser: Option<OwnedFd>,
    profile: PathBuf,
}

static LAUNCHES: AtomicU64 = AtomicU64::new(0);

/// Starts `binary` headless with a fresh profile and the DevTools pipe.
pub fn launch(binary: &Path, user_agent: &str) -> Result<Process, RenderError> {
    clean_stale_profiles();
    let profile = std::env::temp_dir().join(format!(
        "nianbao-chromium-{}-{}",
        std::process::id(),
        LAUNCHES.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).map_err(|e| RenderError::Launch {
        binary: binary.to_path_buf(),
        message: format!(
            "cannot create the profile folder {}: {e}",
            profile.display()
        ),
    })?;
    let (cmd_read, cmd_write) = pipe()?;
    let (evt_read, evt_write) = pipe()?;
    let mut command = Command::new(binary);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Without these Chromium phones home (updates, sync, safe browsing…).
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
            "--no-first-run",
            "--no-default-browser-check",
            "--no-pings",
            "--metrics-recording-only",
            "--password-store=basic",
            "--use-mock-keychain",
            "--mute-audio",
            "--disable-dev-shm-usage",
            "--blink-settings=imagesEnabled=false",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--user-agent={user_agent}"))
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (child_in, child_out) = (cmd_read.as_raw_fd(), evt_write.as_raw_fd());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || child_setup(child_in, child_out));
    }
    // The browser is started and waited for by a thread of its own: the
    // parent-death signal follows the thread that forked, so that thread must
    // live exactly as long as the browser.
    let (tx, rx) = std::sync::mpsc::channel();
    let binary_owned = binary.to_path_buf();
    std::thread::Builder::new()
        .name("chromium".into())
        .spawn(move || match command.spawn() {
            Ok(mut child) => {
                let _ = tx.send(Ok(child.id() as i32));
                let _ = child.wait();
            }
            Err(e) => {
                let _ = tx.send(Err(e));
            }
        })
        .map_err(|e| RenderError::Launch {
            binary: binary_owned.clone(),
            message: e.to_string(),
        })?;
    let pid = rx
        .recv()
        .map_err(|e| RenderError::Launch {
            binary: binary.to_path_buf(),
            message: e.to_string(),
        })?
        .map_err(|e| RenderError::Launch {
            binary: binary.to_path_buf(),
            message: e.to_string(),
        })?;
    // The child's ends are closed here, so the pipe reports EOF when the browser dies.
    drop(cmd_read);
    drop(evt_write);
    Ok(Process {
        pid,
        to_browser: Some(cmd_write),
        from_browser: Some(evt_read),
        profile,
    })
}

/// In the forked child: own process group, die with the parent, lower CPU
/// priority, DevTools pipe on fds 3 and 4.
fn child_setup(cmd_read: RawFd, evt_write: RawFd) -> std::io::Result<()> {
    // SAFETY: plain system calls on fds and the calling process.
    unsafe {
        if libc::setpgid(0, 0) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        #[cfg(target_os = "linux")]
        {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl took effect.
            if libc::getppid() == 1 {
                libc::_exit(1);
            }
        }
        // Rendering is background work: at nice 10 a busy browser never delays the
        // crawler's own timers and politeness clock. Failure only costs that.
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
        // Both fds are ≥ 10 (see `pipe`), so these dup2s cannot clobber each other.
        if libc::dup2(cmd_read, 3) < 0 || libc::dup2(evt_write, 4) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A close-on-exec pipe whose fds are ≥ 10, clear of the 3 and 4 the child needs.
fn pipe() -> Result<(OwnedFd, OwnedFd), RenderError> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc != 0 {
        return Err(RenderError::Io(std::io::Error::last_os_error()));
    }
    let mut high = [0 as RawFd; 2];
    for (i, fd) in fds.iter().enumerate() {
        // SAFETY: fd is ours, just returned by pipe2.
        let h = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, 10) };
        // SAFETY: as above; the duplicate (or the error) replaces it.
        unsafe { libc::close(*fd) };
        if h < 0 {
            return Err(RenderError::Io(std::io::Error::last_os_error()));
        }
        high[i] = h;
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(high[0]), OwnedFd::from_raw_fd(high[1])) })
}

impl Process {
    /// The browser has ended and been reaped.
    pub fn exited(&self) -> bool {
        // SAFETY: signal 0 only checks that the pid exists.
        unsafe { libc::kill(self.pid, 0) != 0 }
    }

    /// Kills the whole process group (browser, renderers, GPU and utility helpers).
    pub fn kill(&self) {
        // SAFETY: signalling our own child's group.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.to_browser.take();
        self.from_browser.take();
        self.kill();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Profiles left by a nianbao that was killed (its pid is gone).
fn clean_stale_profiles() {
    let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix("nianbao-chromium-"))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_that_does_not_exist_is_not_found() {
        assert_eq!(
            find_chromium(Some(Path::new("/nonexistent/chromium"))),
            None
        );
        assert_eq!(find_chromium(Some(Path::new("no-such-browser-xyz"))), None);
    }

    #[test]
    fn a_name_is_looked_up_in_path() {
        // `sh` is in PATH on every Unix system.
        let found = find_chromium(Some(Path::new("sh"))).expect("sh in PATH");
        assert!(found.is_absolute() && found.ends_with("sh"));
    }

    #[test]
    fn pipe_fds_stay_clear_of_3_and_4() {
        let (a, b) = pipe().unwrap();
        assert!(a.as_raw_fd() >= 10 && b.as_raw_fd() >= 10);
    }
}
