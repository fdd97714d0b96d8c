#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| connecty_fuzz::arrow::convert(data));
