//! `chunk`: the input is one chunk (cut or zero-padded to 64 KiB, the magic forced) behind a
//! valid file header, so every execution reaches chunk and record parsing. See
//! `wmihunt_fuzz::check` for what is asserted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static HEADER: OnceLock<Vec<u8>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let header = HEADER.get_or_init(wmihunt_fuzz::file_header);
    wmihunt_fuzz::check(&wmihunt_fuzz::file_of_one_chunk(header, data));
});
