//! `scan`: the input is a whole EVTX file (file header and 64 KiB chunks, the last one may be
//! cut short). See `wmihunt_fuzz::check` for what is asserted.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wmihunt_fuzz::check(data);
});
