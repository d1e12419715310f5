//! Fuzz target `load`: see `spantag_fuzz::checks`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spantag_fuzz::run("load", data));
