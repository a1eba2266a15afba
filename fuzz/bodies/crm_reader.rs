// The body of the `crm_reader` fuzz target, shared with
// tests/fuzz_bodies.rs (see fuzz/bodies/overrides.rs). Included with `include!`.

/// Writes the bytes to a temporary CSV file (the reader takes a path), reads
/// it as a CRM export and cleans the rows; must never panic.
pub fn fuzz_crm_reader(data: &[u8]) {
    use std::io::Write as _;

    use funnelsim::calibration::history::clean;
    use funnelsim::calibration::vocabulary::Vocabulary;
    use funnelsim::input::crm::{ReadOptions, read};
    let Ok(mut file) = tempfile::Builder::new().suffix(".csv").tempfile() else {
        return;
    };
    if file.write_all(data).is_err() || file.flush().is_err() {
        return;
    }
    let stages = ["lead", "qualified", "proposal", "closed"].map(str::to_owned);
    let vocabulary = Vocabulary::new(&stages, &[], &["Dormant=no_decision".to_owned()])
        .expect("a valid vocabulary");
    // Every layout, and telling it from the header.
    for layout in [None]
        .into_iter()
        .chain(funnelsim::input::crm::Layout::ALL.map(Some))
    {
        let options = ReadOptions {
            layout,
            columns: Default::default(),
            vocabulary: &vocabulary,
            stage_dates: Vec::new(),
            dates: Default::default(),
        };
        if let Ok(history) = read(file.path(), &options) {
            let _ = clean(&history.rows, &stages, None);
        }
    }
}
