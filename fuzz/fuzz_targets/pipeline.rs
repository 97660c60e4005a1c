//! cargo-fuzz target `pipeline`: see fuzz/checks.rs for the input layout and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| {
    checks::allow_contained_panics();
    checks::pipeline(data);
});
