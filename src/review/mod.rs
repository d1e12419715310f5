//! Reviewing: comparing annotators, agreement figures, and merging into a gold project.

pub mod compare;
pub mod merge;
