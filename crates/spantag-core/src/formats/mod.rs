//! Training data: export to the formats NLP libraries load, import from other annotation tools.
//!
//! # Export
//!
//! [`export`] writes a project (filtered by label, status and done flag) in one [`ExportFormat`],
//! optionally split by document into `train` / `dev` / `test` sets, and returns an
//! [`ExportSummary`] that lists every span that could not be represented and why, and every
//! problem of the export as a whole ([`ExportSummary::problems`], e.g. an empty entity layer).
//! Nothing is dropped silently. [`preview`] renders the first records without writing anything,
//! and [`Progress`] lets a GUI show a progress bar (and cancel) while another thread exports.
//!
//! Offsets are Unicode code points wherever a format has offsets (Python `str` indices), except
//! doccano's, which are UTF-16 code units as doccano counts them.
//!
//! ## Tokens
//!
//! Token formats (jsonl, spacy, conll, hf; [`Exporter::tokens`]) use the document's kept tokens
//! when it has them ([`crate::model::Document::tokenization`], from a CoNLL import), else its
//! tokens ([`crate::text::TextIndex`]): Unicode word segments without whitespace; either further
//! split at every
//! span boundary that falls inside a token (so `[actor Anna]'s` exports `Anna` and `'s` as two
//! tokens) and at whitespace inside a segment (a space followed by a combining mark). jsonl and
//! `.spacy` add the whitespace between them as spaCy does ([`with_whitespace_tokens`]), so their
//! tokens give back the exact text. A span with whitespace at either end (`" Jane Smith"`) is
//! exported trimmed to its text, with the offsets of the trimmed text, and counted
//! ([`ExportSummary::trimmed`]); a span of whitespace only is reported. The character-offset
//! formats (brat, Label Studio, csv, doccano) write every span exactly as it is.
//!
//! ## Layers and overlaps
//!
//! The *entity layer* holds the labels given by [`ExportOptions::entity_labels`], or by default
//! every label [`is_entity_label`] accepts: every label whose name does not contain `claim`,
//! `quote` or `sentence` (so `actor`, `place`, `number`, and CoNLL-2003's `PER`, `LOC`, `ORG`,
//! `MISC`); every other exported label (e.g. `claim`) forms the *claims layer*. An export of a
//! format with an entity layer whose entity layer comes out empty although spans were selected
//! has that as a problem (the files are written; `spantag export` exits with 1). Formats that can
//! only carry one non-overlapping label per token (CoNLL, hf) write each layer to its own file
//! ([`Layer`]); `.spacy` puts the entity layer in `doc.ents` and the spans in the span groups of
//! [`ExportOptions::span_groups`] (by default `entities`, `claims` and `sc` with every span).
//! Within one layer, overlapping spans are resolved by [`Overlap`]: `longest` (default) keeps the
//! longest span (ties: the earliest, then label order), `first` keeps the earliest-starting one;
//! every span that loses is reported as not represented (for `.spacy` it is still in its span
//! groups and only noted).
//!
//! ## Output layout
//!
//! Without a split, `--out` is the output file (a folder for brat). With a split, `--out` is a
//! folder that receives one file per split: `train.jsonl`, `dev.jsonl`, `test.jsonl` (brat:
//! `train/`, `dev/`, `test/`). Companion files: CoNLL's claims layer goes to `NAME.claims.conll`
//! beside `NAME.conll`; hf writes the label names (ClassLabel order, a JSON list) to
//! `NAME.labels.json` beside `NAME.jsonl` (`NAME.claims.jsonl` and `NAME.claims.labels.json` for
//! the claims layer). An hf split keeps each layer in a folder of its own, so that
//! `datasets.load_dataset` never mixes rows whose tag ids mean different labels:
//! `OUT/entities/{train,dev,test}.jsonl` with `OUT/entities/labels.json`, `OUT/claims/...`, and
//! `OUT/README.md`, a dataset card that makes `load_dataset("OUT")` load the entity layer with
//! named tags and `load_dataset("OUT", "claims")` the claims layer. Every file is written to a
//! temporary name (`.NAME.spantag-tmp` beside it, replacing one a killed run left) and renamed
//! into place only when the whole export succeeded; a failed export removes its temporary files.
//! [`export`] replaces no existing file; [`export_with`] replaces regular files when asked
//! ([`WriteRules`]), never the project it reads, a device, a FIFO, a socket or a folder.
//!
//! ## Relations and fragments
//!
//! [`Prepared::relations`] holds a document's relations that pass the status filter and whose
//! two spans are exported (the others are counted in [`ExportSummary::filtered`]). A writer that
//! carries relations counts what it wrote (`Reports::relations_written`, set
//! `Reports::carries_relations`); one that cannot hold them says why (`Reports::no_relations`:
//! CoNLL, hf). The summary then says how many relations were not exported and why (exit code 0:
//! a property of the format). Likewise a format that cannot hold a discontinuous span's
//! fragments (all but brat, which sets `Reports::carries_fragments`) writes it over its whole
//! range, and the summary says how many.
//!
//! # Import
//!
//! [`import`] reads files of an [`ImportFormat`] into a project. Documents whose text is already
//! in the project receive the spans; others are added. Unknown labels are added as they are
//! written (`PER`, `Actor`: case is kept, even beside a project label that differs only by
//! case) unless renamed with [`ImportOptions::map`]. Overlapping spans are kept. Texts with CRLF
//! line endings are normalised to LF and the offsets (counted in the original text) are mapped
//! accordingly; whitespace at either end of a span is trimmed off ([`ImportSummary::trimmed`]).
//!
//! Nothing is dropped silently. A span whose offsets do not fit its text (out of range, inside a
//! surrogate pair or a CRLF pair, or covering other text than the file says) or a record that
//! cannot be read is a problem ([`ImportSummary::problems`], with its file and line). What the
//! project has no place for yet — keys of a record or of its `meta` that the model cannot hold,
//! brat events, attributes, normalisations and equivalences — is counted by kind with its first
//! locations ([`NotKept`]). Either makes the summary incomplete (exit code 1).
//!
//! A parser hands over what a record holds besides text and spans in [`Extras`] (beside the
//! record, [`Parsed::push_with`]): relations (by index into the record's spans; relation types
//! the project lacks are added allowing any labels and listed in
//! [`ImportSummary::relation_types_added`]), fragments of discontinuous spans (brat), and the
//! file's tokens, sentences and extra columns (CoNLL), kept as [`crate::model::Tokenization`].
//! Relations may also come in [`Record`]'s own `relations` (jsonl, doccano, labelstudio), and a
//! record's metadata (a Prodigy task's `meta` and other keys, Label Studio's `data` and task
//! keys, doccano's extra keys) in its `meta`, kept in [`crate::model::Document::meta`] and
//! written back by those exports (`jsonl.rs`: `plain_meta`, `tool_meta`).
//!
//! An import is refused before anything is added ([`FormatError`], exit code 2) when an input
//! does not look like its format: none of its first records is one (`sniff.rs`; the message
//! names the format the input looks like); when its offsets fit the texts only in the other
//! [`OffsetUnit`] and the unit was not given (given, the import follows it with a warning); and
//! when a file is not UTF-8 (its invalid bytes are named by line and column; it is never decoded
//! as a legacy encoding).

//! # The format registry
//!
//! Every format lives in one file of this folder (`jsonl.rs`, `conll.rs`, ...) that holds both
//! its export and its import code and starts with a `pub(crate) static FORMAT: FormatSpec`: its
//! [`Exporter`] (description, file extension, what it writes and the functions that render it)
//! and its [`Importer`] (description, offsets, what to pick and the function that reads it),
//! either of which may be `None`. The `registry!` below names each file once; that line declares
//! the module, adds the variant to [`Format`] and makes the file's `FORMAT` the answer of
//! [`Format::spec`]. Export and import dispatch through the spec, and the command line and the
//! app list the formats from it ([`exporters`], [`importers`]), so nothing else names a format.
//!
//! Adding a format is one new file plus one registration line: write `formats/tsv.rs` with its
//! `FORMAT` (its writer has the signature of the other formats' `export`, its reader that of
//! their `parse_file`), then add `Tsv => tsv,` with a doc comment to the registry. The position
//! of the line is the format's place in menus, `--help` and error messages.
//!
//! The rest of this folder is shared by every format: the export driver (`export.rs`: options,
//! selection; `output.rs`: checking, writing and renaming the output files; `layers.rs`: layers
//! and the overlap policy; `split.rs`: train/dev/test splits), the export tokens (`tokens.rs`)
//! and the import driver (`import.rs`: offsets and their unit, CRLF, trimming, labels, merging
//! into the project; `sniff.rs`: recognising a format, refusing the wrong one).

pub mod docbin;
mod export;
mod import;
mod layers;
mod output;
mod sniff;
mod split;
mod tokens;

pub use export::{
    ExportOptions, ExportSummary, GroupSpans, Layer, Overlap, Progress, Scheme, SpanGroup,
    Unrepresented, default_span_groups, entity_layer_problem, export, export_to_bytes, export_with,
    parse_span_groups, preview, span_groups_text, writes_one_file,
};
pub use import::{
    DEFAULT_IMPORT_MAX_BYTES, ImportOptions, ImportProblem, ImportSummary, NotKept, OffsetUnit,
    import, import_edits,
};
pub use output::{WriteRules, temp_path};
pub use split::{assign_splits, parse_split, splitmix64};
pub use tokens::{Prepared, SpacyTok, Tok, export_tokens, is_space, with_whitespace_tokens};

pub(crate) use export::companion;
pub(crate) use import::{
    Extras, Parsed, RawRelation, RawSpan, Record, json_str, json_usize, read_text,
};
pub use layers::is_entity_label;
pub(crate) use layers::{Ctx, LayerSpans, Reports};
pub(crate) use output::{Output, TempFile, remove_if_there, sync_dir};
pub(crate) use sniff::{FirstRecords, Shape};
pub(crate) use tokens::{CharCursor, NOT_ALIGNED, each_document};

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;
use strum::{IntoEnumIterator, VariantNames};
use thiserror::Error;

/// Declares the format modules, the [`Format`] enum and [`Format::spec`] from one line per
/// format: `Variant => module,` (the module's `FORMAT` is the spec).
macro_rules! registry {
    ($($(#[$doc:meta])* $variant:ident => $module:ident,)*) => {
        $(pub mod $module;)*

        /// A file format spantag exports to or imports from (or both, see [`Format::spec`]).
        /// Its name is the variant in lower case (`labelstudio`); parsing ignores case.
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            strum::Display,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::EnumIter,
            strum::VariantNames,
        )]
        #[strum(serialize_all = "lowercase", ascii_case_insensitive)]
        pub enum Format {
            $($(#[$doc])* $variant,)*
        }

        impl Format {
            /// What the format can do, and how.
            pub fn spec(self) -> &'static FormatSpec {
                match self {
                    $(Format::$variant => &$module::FORMAT,)*
                }
            }
        }
    };
}

// The registry: one line per format, in the order menus and messages list them.
registry! {
    /// spaCy/Prodigy task JSONL.
    Jsonl => jsonl,
    /// spaCy DocBin (`.spacy`).
    Spacy => spacy,
    /// CoNLL-2003 style, one token a line.
    Conll => conll,
    /// Hugging Face token classification JSONL + label names.
    Hf => hf,
    /// brat standoff folder.
    Brat => brat,
    /// Label Studio JSON tasks.
    LabelStudio => labelstudio,
    /// One row per span.
    Csv => csv,
    /// doccano sequence-labelling JSONL.
    Doccano => doccano,
}

/// The format [`export`] writes: any [`Format`] with an exporter ([`exporters`]).
pub type ExportFormat = Format;
/// The format [`import`] reads: any [`Format`] with an importer ([`importers`]).
pub type ImportFormat = Format;

/// A format's entry in the registry: what it writes and reads. `None` where it cannot.
#[derive(Debug)]
pub struct FormatSpec {
    pub export: Option<Exporter>,
    pub import: Option<Importer>,
}

/// Renders one split (the documents) to its output path (a file, or a folder for a
/// [`Exporter::folder`] format), adding the files to the output. The `Option<&str>` is the split's
/// name.
pub(crate) type WriteFn = fn(
    &Ctx<'_>,
    &mut [Prepared<'_>],
    &Path,
    Option<&str>,
    &mut Output,
    &mut Reports,
    &Progress,
) -> Result<(), FormatError>;

/// The preview of one document: the record as the export would write it (the entity layer for
/// layered formats).
pub(crate) type PreviewFn = fn(&Ctx<'_>, &mut Prepared<'_>, &mut Reports) -> String;

/// Writes files that belong to the whole export once every split is rendered (hf's label
/// names); the flag says whether the output is a split folder.
pub(crate) type FinishFn = fn(&Ctx<'_>, &Path, bool, &mut Output);

/// Reads one input path, adding its records and problems.
pub(crate) type ReadFn = fn(&Path, &mut Parsed) -> Result<(), FormatError>;

/// How a format is written.
pub struct Exporter {
    /// One line about the output, for menus.
    pub description: &'static str,
    /// The extension of one output file, without the dot (empty for a folder format).
    pub extension: &'static str,
    /// The output is a folder rather than a file (brat).
    pub folder: bool,
    /// Writes one layer a file and honours [`ExportOptions::layer`] (CoNLL, hf).
    pub layered: bool,
    /// Honours [`ExportOptions::scheme`] (CoNLL).
    pub scheme: bool,
    /// Uses the entity layer and the overlap policy ([`ExportOptions::entity_labels`],
    /// [`ExportOptions::overlap`]).
    pub entity_layer: bool,
    /// Aligns spans to tokens: a span with whitespace at either end is exported trimmed to its
    /// text ([`ExportSummary::trimmed`]). Character-offset formats keep every span exactly.
    pub tokens: bool,
    /// Honours [`ExportOptions::span_groups`] (`.spacy`).
    pub span_groups: bool,
    pub(crate) write: WriteFn,
    pub(crate) preview: PreviewFn,
    pub(crate) finish: Option<FinishFn>,
}

/// How a format is read.
pub struct Importer {
    /// One line about the input, for menus.
    pub description: &'static str,
    /// The offset unit its files usually use ([`ImportOptions::offsets`] overrides it); `None`
    /// when its offsets are always code points (or it has none), so there is nothing to choose.
    pub offsets: Option<OffsetUnit>,
    /// What an input path names.
    pub input: Input,
    pub(crate) read: ReadFn,
}

/// What the inputs of an import are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Files of a kind: its name and the usual extensions (without the dot).
    Files {
        kind: &'static str,
        extensions: &'static [&'static str],
    },
    /// Folders (searched for the format's files).
    Folder,
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter")
            .field("extension", &self.extension)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Importer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer")
            .field("offsets", &self.offsets)
            .field("input", &self.input)
            .finish_non_exhaustive()
    }
}

impl Exporter {
    /// Whether the format writes files for the whole export besides its output (hf's label
    /// names), so it never goes to standard output.
    pub fn finish_files(&self) -> bool {
        self.finish.is_some()
    }
}

impl Format {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// How the format is written, if it can be.
    pub fn exporter(self) -> Option<&'static Exporter> {
        self.spec().export.as_ref()
    }

    /// How the format is read, if it can be.
    pub fn importer(self) -> Option<&'static Importer> {
        self.spec().import.as_ref()
    }

    /// The file extension of one output file (empty for a folder format or one that is not
    /// exported).
    pub fn extension(self) -> &'static str {
        self.exporter().map_or("", |e| e.extension)
    }
}

/// The formats [`export`] writes, in registry order.
pub fn exporters() -> &'static [Format] {
    static LIST: OnceLock<Vec<Format>> = OnceLock::new();
    LIST.get_or_init(|| Format::iter().filter(|f| f.exporter().is_some()).collect())
}

/// The formats [`import`] reads, in registry order.
pub fn importers() -> &'static [Format] {
    static LIST: OnceLock<Vec<Format>> = OnceLock::new();
    LIST.get_or_init(|| Format::iter().filter(|f| f.importer().is_some()).collect())
}

/// Parses a name from a list as the command line accepts it: case-insensitive, surrounding
/// whitespace ignored. The error names every accepted value.
fn parse_among<T: Copy + FromStr + PartialEq>(
    s: &str,
    accepted: &[T],
    names: &[&str],
) -> Result<T, String> {
    s.trim()
        .parse::<T>()
        .ok()
        .filter(|v| accepted.contains(v))
        .ok_or_else(|| format!("unknown value {s:?}; expected one of: {}", names.join(", ")))
}

/// Parses a value of one of the option enums ([`Scheme`], [`Layer`], [`Overlap`],
/// [`OffsetUnit`]): case-insensitive, surrounding whitespace ignored; the error names every
/// value.
pub fn parse_name<T: Copy + FromStr + PartialEq + IntoEnumIterator + VariantNames>(
    s: &str,
) -> Result<T, String> {
    let all: Vec<T> = T::iter().collect();
    parse_among(s, &all, T::VARIANTS)
}

/// Parses the name of a format that exports; the error lists those formats.
pub fn parse_export_format(s: &str) -> Result<Format, String> {
    let names: Vec<&str> = exporters().iter().map(|f| f.name()).collect();
    parse_among(s, exporters(), &names)
}

/// Parses the name of a format that imports; the error lists those formats.
pub fn parse_import_format(s: &str) -> Result<Format, String> {
    let names: Vec<&str> = importers().iter().map(|f| f.name()).collect();
    parse_among(s, importers(), &names)
}

/// Why an export or import failed as a whole (nothing was written).
#[derive(Debug, Error)]
pub enum FormatError {
    /// Writing failed (the operating system's reason is in the message, not a separate cause,
    /// so that it is said once).
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// An input file not readable, not a regular file, or over the size limit.
    #[error(transparent)]
    Read(#[from] crate::read::ReadError),
    #[error("{0}")]
    Invalid(String),
    /// The export would replace an existing file and was not asked to (`force`); nothing was
    /// written.
    #[error("{} already exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// The export would replace something it never replaces (its own project, a device, a FIFO,
    /// a socket or a folder); nothing was written.
    #[error("{0}")]
    Refused(String),
    #[error("cancelled")]
    Cancelled,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FormatError + '_ {
    move |error| FormatError::Io {
        path: path.to_owned(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_lists_and_names() {
        let names = |v: &[Format]| v.iter().map(|f| f.name()).collect::<Vec<_>>().join(",");
        assert_eq!(
            names(exporters()),
            "jsonl,spacy,conll,hf,brat,labelstudio,csv,doccano"
        );
        assert_eq!(names(importers()), "jsonl,conll,brat,labelstudio,doccano");
        assert_eq!(Format::LabelStudio.to_string(), "labelstudio");
        assert_eq!(parse_export_format(" JSONL "), Ok(Format::Jsonl));
        assert_eq!(parse_export_format("doccano"), Ok(Format::Doccano));
        assert_eq!(
            parse_export_format("tsv"),
            Err(
                "unknown value \"tsv\"; expected one of: jsonl, spacy, conll, hf, brat, \
                 labelstudio, csv, doccano"
                    .into()
            )
        );
        assert_eq!(parse_import_format("Doccano"), Ok(Format::Doccano));
        assert!(parse_import_format("hf").is_err());
        assert_eq!(parse_name::<Scheme>("BILOU"), Ok(Scheme::Bilou));
        assert_eq!(
            parse_name::<OffsetUnit>("x"),
            Err("unknown value \"x\"; expected one of: codepoints, utf16".into())
        );
        for f in Format::iter() {
            if let Some(e) = f.exporter() {
                assert_eq!(e.folder, e.extension.is_empty(), "{f}");
            }
        }
    }
}
