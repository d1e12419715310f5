//! Core library tests: property tests, format round trips, and the bundled sample project.
//! Each module below was its own test file; grouping them links one binary instead of several.

mod boilerplate;
mod dates;
mod exports;
mod formats_relations;
mod formats_relations_json;
mod fuzz_regressions;
mod imports;
mod pages;
mod props;
mod relations;
mod roundtrip;
mod sample;
mod suggest;
