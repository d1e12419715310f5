//! GUI tests: the real app driven headless with egui_kittest (clicks, drags, keys, menus).
//! Each module below was its own test file; grouping them links one binary instead of several.

#[path = "../common/mod.rs"]
mod common;

mod annotate;
mod export;
mod files;
mod imports;
mod name;
mod recovery;
mod relation_review;
mod relations;
mod review;
mod undo;
mod window;
