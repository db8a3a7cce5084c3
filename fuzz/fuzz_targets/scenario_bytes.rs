//! Raw bytes as a scenario file: load, validate and, when valid, a short simulation.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes that are not UTF-8 are refused before parsing (located by `read_file`).
    if let Ok(text) = std::str::from_utf8(data) {
        common::check(text);
    }
});
