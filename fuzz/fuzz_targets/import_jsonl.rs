//! Fuzz target `import_jsonl`: see `spantag_fuzz::checks`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spantag_fuzz::run("import_jsonl", data));
