//! Tests that run the built `spantag` binary: every subcommand, pipes, export/import, agree and merge, and
//! inputs that are not regular files.
//! Each module below was its own test file; grouping them links one binary instead of several.

#[path = "../common/mod.rs"]
mod common;

mod agree;
mod commands;
mod formats;
mod imports;
mod loading;
mod merge;
mod overwrite;
mod pages;
mod pipe;
mod reads;
mod relations;
mod saves;
mod suggest;
