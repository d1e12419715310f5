//! spantag: annotate text spans in news articles and export training data.
//!
//! The core (everything but [`ui`]) knows nothing of the GUI: [`model`] holds projects, documents,
//! spans and labels; [`text`] converts offsets and finds tokens and sentences; [`edit`] and
//! [`history`] change projects undoably; [`project_io`] reads and writes project files; [`import`]
//! decodes articles; [`markup`] is the inline span notation of `spantag show` and test fixtures.
//! Offsets inside the core are Unicode code points (see [`text`]).

pub mod cli;
pub mod edit;
pub mod formats;
pub mod history;
pub mod import;
pub mod markup;
pub mod model;
pub mod project_io;
pub mod review;
pub mod segment;
pub mod stats;
pub mod text;
pub mod time;
pub mod ui;
