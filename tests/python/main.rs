//! Checks by real consumers in Python: spaCy and datasets load the exports; scikit-learn and krippendorff confirm the agreement figures.
//! Each module below was its own test file; grouping them links one binary instead of several.

mod consumers;
mod lossless;
mod reference;
mod relation_agreement;
mod relations;
mod relations_prodigy;
mod venv;
