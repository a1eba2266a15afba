//! SIGINT and SIGTERM: every command stops within a second, removes what it
//! had staged and says what (if anything) it had already written.
//! Simulations poll [`requested`] between chunks of replications and
//! writers between files; a watchdog ends any phase that cannot poll (a fit,
//! one large chart).

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use funnelsim::output::fs;

/// Set by the SIGINT/SIGTERM handler.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the SIGINT/SIGTERM handler. The first signal asks the command
/// to stop; later ones change nothing (the watchdog is already running).
pub fn install_handler() {
    // Failing to install (e.g. a handler already exists) only loses the
    // graceful stop; the default action still ends the process.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            return;
        }
        // A phase that cannot check the flag must not keep the user
        // waiting: past the grace period the staged outputs are removed
        // (after any commit in progress completes) and the process ends
        // with the same status as a graceful stop.
        std::thread::spawn(|| {
            std::thread::sleep(INTERRUPT_GRACE);
            fs::abandon_staged();
            eprintln!("\nerror: {}", Interrupted { progress: None });
            std::process::exit(130);
        });
    });
}

/// How long an interrupted command may take to stop by itself.
const INTERRUPT_GRACE: std::time::Duration = std::time::Duration::from_millis(700);

/// The command was interrupted; exit status 130.
#[derive(Debug)]
pub struct Interrupted {
    /// Replications finished and requested, when the interrupt came during
    /// a simulation.
    pub progress: Option<(u64, u64)>,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.progress {
            Some((done, total)) => write!(f, "interrupted: {done} of {total} replications finished; ")?,
            None => write!(f, "interrupted; ")?,
        }
        let written = fs::written();
        if written.is_empty() {
            write!(f, "nothing was written")
        } else {
            let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            write!(f, "{} had been written, nothing else was", names.join(", "))
        }
    }
}

impl std::error::Error for Interrupted {}

/// Whether the user asked the command to stop.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Stops before the next output is written if the user interrupted
/// meanwhile.
pub fn stop_if_requested() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Interrupted { progress: None }.into());
    }
    Ok(())
}
