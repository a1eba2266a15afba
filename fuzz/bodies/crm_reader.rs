// The body of the `crm_reader` fuzz target, shared with
// tests/fuzz_bodies.rs (see fuzz/bodies/overrides.rs). Included with `include!`.

/// Writes the bytes to a temporary CSV file (the reader takes a path), reads
/// it as a CRM export and cleans the rows; must never panic.
pub fn fuzz_crm_reader(data: &[u8]) {
    use std::io::Write as _;

    use funnelsim::calibration::history::clean;
    use funnelsim::input::crm::{Columns, read};
    let Ok(mut file) = tempfile::Builder::new().suffix(".csv").tempfile() else {
        return;
    };
    if file.write_all(data).is_err() || file.flush().is_err() {
        return;
    }
    let stages = ["lead", "qualified", "proposal", "closed"].map(str::to_owned);
    if let Ok(rows) = read(file.path(), &Columns::default()) {
        let _ = clean(&rows, &stages, None);
    }
}
