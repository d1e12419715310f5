//! Fuzz target `import_conll`: see `spantag_fuzz::checks`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spantag_fuzz::run("import_conll", data));
