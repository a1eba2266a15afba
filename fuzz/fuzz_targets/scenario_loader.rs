//! Fuzz target: scenario loading and validation must never panic, whatever
//! the bytes. Valid scenarios must also survive `--set`-style overrides.
#![no_main]

use funnelsim::model::scenario::Scenario;
use funnelsim::model::scenario::overrides::Override;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Scenario::from_toml_str(text);
    // Treat the last line as an override of the rest.
    if let Some((body, last)) = text.rsplit_once('\n')
        && let Ok(ov) = Override::parse(last)
    {
        let _ = Scenario::from_toml_str_with(body, &[ov]);
    }
});
