//! SIGINT and SIGTERM: every command stops within a second and writes
//! nothing. Simulations poll [`requested`] between chunks of replications;
//! a watchdog ends phases that cannot poll (fits, charts, table writers).

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use funnelsim::output::fs;

/// Set by the SIGINT/SIGTERM handler; the engine stops between chunks of
/// replications when it is set.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the SIGINT/SIGTERM handler: the first signal asks the run to
/// stop (it stops within a chunk of replications, well under a second); the
/// staging directory is then removed and nothing is written.
pub fn install_handler() {
    // Failing to install (e.g. a handler already exists) only loses the
    // graceful stop; the default action still ends the process.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            return; // The watchdog is already on its way.
        }
        // Simulations notice the flag within a chunk of replications; a
        // phase that cannot check it (a fit, a chart, a table writer) must
        // not keep the user waiting: past the grace period, the staged
        // outputs are removed and the process ends with the same status.
        std::thread::spawn(|| {
            std::thread::sleep(INTERRUPT_GRACE);
            fs::abandon_staged();
            eprintln!("error: interrupted; nothing was written");
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
            Some((done, total)) => write!(
                f,
                "interrupted: {done} of {total} replications finished; nothing was written"
            ),
            None => write!(f, "interrupted; nothing was written"),
        }
    }
}

impl std::error::Error for Interrupted {}

/// Whether the user asked the command to stop.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Stops before an output is committed if the user interrupted meanwhile.
pub fn stop_if_requested() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Interrupted { progress: None }.into());
    }
    Ok(())
}
