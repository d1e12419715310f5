//! Core library tests: property tests, format round trips, and the bundled sample project.
//! Each module below was its own test file; grouping them links one binary instead of several.

mod boilerplate;
mod dates;
mod exports;
mod fuzz_regressions;
mod imports;
mod pages;
mod props;
mod relations;
mod roundtrip;
mod sample;
