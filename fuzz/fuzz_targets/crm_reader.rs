//! Fuzz target: the CRM history reader and the cleaning after it must never
//! panic, whatever the bytes of the CSV export.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../bodies/crm_reader.rs");

fuzz_target!(|data: &[u8]| fuzz_crm_reader(data));
