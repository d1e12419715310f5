//! Fuzz target `import_brat`: see `spantag_fuzz::checks`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spantag_fuzz::run("import_brat", data));
