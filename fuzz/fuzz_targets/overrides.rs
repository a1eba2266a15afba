//! Fuzz target: `--set KEY.PATH=VALUE` and `--vary PATH=VALUES` parsing, and
//! applying what parses to a valid scenario, must never panic: every input
//! is either applied or refused with a message.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../bodies/overrides.rs");

fuzz_target!(|data: &[u8]| fuzz_overrides(data));
