//! Ctrl-C and SIGTERM: stop the children, then stop ourselves with exit code 130.
//!
//! The runner starts each child in a process group of its own, so that a signal sent only to
//! our pid (as CI runners and supervisors do) still reaches every grandchild — cargo's rustc,
//! nextest's test binaries — through the handler, which forwards it to each group. A second
//! interrupt kills them outright.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, Once};

static INTERRUPTS: AtomicU32 = AtomicU32::new(0);
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// Installs the handler once per process. Failing to install only loses the forwarding, so a
/// failure is ignored rather than stopping the run.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(on_interrupt);
    });
}

/// Whether an interrupt has arrived.
pub fn interrupted() -> bool {
    INTERRUPTS.load(Ordering::SeqCst) > 0
}

fn on_interrupt() {
    let count = INTERRUPTS.fetch_add(1, Ordering::SeqCst) + 1;
    let children = CHILDREN.lock().map(|c| c.clone()).unwrap_or_default();
    for pid in children {
        forward(pid, count > 1);
    }
}

/// A running child, unregistered when dropped.
#[derive(Debug)]
pub(crate) struct ChildGuard(u32);

impl ChildGuard {
    /// Registers `pid` for forwarding. An interrupt that came before it registered reaches it
    /// at once — unless it is `recovery`, a command started because of that interrupt (the
    /// switch back of a deploy), which only a second interrupt stops.
    pub(crate) fn register(pid: u32, recovery: bool) -> Self {
        if let Ok(mut children) = CHILDREN.lock() {
            children.push(pid);
        }
        // An interrupt that came between spawn and register must still reach this child.
        if interrupted() && !recovery {
            forward(pid, false);
        }
        ChildGuard(pid)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(mut children) = CHILDREN.lock() {
            children.retain(|&pid| pid != self.0);
        }
    }
}

/// Kills the process group of a child (a command past its timeout).
pub(crate) fn kill_group(pid: u32) {
    forward(pid, true);
}

/// Asks the process group of a child to end (SIGTERM): a background service being stopped.
pub(crate) fn terminate_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) on the process group of a child we spawned and still track.
        unsafe {
            libc::kill(-pid, libc::SIGTERM);
        }
    }
    #[cfg(not(unix))]
    forward(pid, true);
}

#[cfg(unix)]
fn forward(pid: u32, kill: bool) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    let signal = if kill { libc::SIGKILL } else { libc::SIGINT };
    // SAFETY: kill(2) on the process group of a child we spawned and still track (its pid is
    // its group id); no memory is involved.
    unsafe {
        libc::kill(-pid, signal);
    }
}

#[cfg(not(unix))]
fn forward(_pid: u32, _kill: bool) {
    // Windows delivers Ctrl-C to the whole console group, children included.
}
