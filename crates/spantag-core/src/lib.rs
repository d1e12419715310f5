//! spantag-core: everything spantag knows about projects, with no GUI and no command line.
//!
//! [`model`] holds projects, documents, spans and labels; [`text`] converts offsets and finds
//! tokens and sentences (with [`segment`]); [`edit`] and [`history`] change projects undoably;
//! [`project_io`] reads and writes project files; [`fix`] trims spans that begin or end in
//! whitespace; [`listing`] cuts long problem lists; [`read`] reads every input file within a limit; [`import`] decodes articles; [`formats`]
//! exports and imports training data; [`review`] merges annotators and measures agreement;
//! [`markup`] is the inline span notation of `spantag show` and test fixtures. Offsets inside
//! the core are Unicode code points (see [`text`]).
//!
//! This crate's dependency tree holds no egui, eframe, rfd or clap: the compiler keeps the core
//! free of the GUI and the command line.

pub mod boilerplate;
pub mod edit;
pub mod fix;
pub mod formats;
pub mod history;
pub mod html;
pub mod import;
pub mod listing;
pub mod markup;
pub mod model;
pub mod movement;
pub mod project_io;
pub mod read;
pub mod review;
pub mod segment;
pub mod stats;
pub mod suggest;
pub mod text;
pub mod time;
