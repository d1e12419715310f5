//! Recognising import files: the shape of one JSON record ([`Shape`]), and a guess at what a whole
//! input is ([`guess`]) for the message that refuses a file given with the wrong `--format`.
//!
//! An importer refuses an input in which none of the first [`FIRST_RECORDS`] records (lines,
//! tasks) is a valid record of its format, before anything is added ([`wrong_format`]); the
//! message names the format the input looks like: spaCy/Prodigy JSONL, doccano JSONL, Label
//! Studio JSON, CoNLL, brat standoff, or prose (articles, which `spantag add` takes).

use super::{Format, FormatError};
use serde_json::Value;
use std::path::Path;

/// How many records at the start of a file decide whether it is in the chosen format.
pub(crate) const FIRST_RECORDS: usize = 20;

/// How many token lines at the start of a CoNLL file decide whether it is CoNLL.
const FIRST_TOKEN_LINES: usize = 50;

/// The shape of one JSON record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `text` with `spans` or `tokens` (or Prodigy's own keys): spaCy/Prodigy.
    Prodigy,
    /// `text` with a `label`/`labels` list or `entities`: doccano.
    Doccano,
    /// A `data` object: a Label Studio task.
    LabelStudio,
    /// Only `text` (and keys no format claims): a document without annotations, which both
    /// spaCy/Prodigy and doccano files may hold.
    PlainText,
    /// Not an object with a `text` string or a `data` object.
    Other,
}

impl Shape {
    /// The words for it in messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Shape::Prodigy => "a spaCy/Prodigy task (\"text\" with \"spans\")",
            Shape::Doccano => "a doccano record (\"text\" with a \"label\" list or \"entities\")",
            Shape::LabelStudio => "a Label Studio task (a \"data\" object)",
            Shape::PlainText => "a record with only a \"text\"",
            Shape::Other => "neither a task nor a record with a \"text\" string",
        }
    }

    /// The format whose records look like this.
    fn format(self) -> Option<Format> {
        match self {
            Shape::Prodigy => Some(Format::Jsonl),
            Shape::Doccano => Some(Format::Doccano),
            Shape::LabelStudio => Some(Format::LabelStudio),
            Shape::PlainText | Shape::Other => None,
        }
    }
}

/// Keys only Prodigy writes (besides `spans` and `tokens`).
const PRODIGY_KEYS: &[&str] = &[
    "_input_hash",
    "_task_hash",
    "_view_id",
    "_session_id",
    "_annotator_id",
    "answer",
    "accept",
    "options",
];

/// The shape of a JSON value read as one record.
pub(crate) fn shape(v: &Value) -> Shape {
    let Some(o) = v.as_object() else {
        return Shape::Other;
    };
    if o.get("data").is_some_and(Value::is_object) {
        return Shape::LabelStudio;
    }
    if !o.get("text").is_some_and(Value::is_string) {
        return Shape::Other;
    }
    if o.contains_key("spans") || o.contains_key("tokens") {
        return Shape::Prodigy;
    }
    let list = |k: &str| o.get(k).is_some_and(Value::is_array);
    let doccano_relations = o
        .get("relations")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .is_some_and(|r| r.get("from_id").is_some());
    if list("label") || list("labels") || list("entities") || doccano_relations {
        return Shape::Doccano;
    }
    if PRODIGY_KEYS.iter().any(|k| o.contains_key(*k)) {
        return Shape::Prodigy;
    }
    Shape::PlainText
}

/// Whether the last column of a CoNLL token line is a tag spantag reads: `O`, `-` (spaCy's
/// missing value) or a one-letter prefix (B, I, L, U, E, S) with a label.
pub(crate) fn is_conll_tag(tag: &str) -> bool {
    if tag == "O" || tag == "-" {
        return true;
    }
    match tag.split_once(['-', '_']) {
        Some((p, l)) => matches!(p, "B" | "I" | "L" | "U" | "E" | "S") && !l.is_empty(),
        None => false,
    }
}

/// Whether a line of a brat `.ann` file has the shape of an annotation: an id (a kind letter
/// and a number: `T1`, `R2`, `#3`; or `*`), a tab and more.
pub(crate) fn is_ann_line(line: &str) -> bool {
    let Some((id, rest)) = line.split_once('\t') else {
        return false;
    };
    let id_ok = id == "*"
        || id
            .strip_prefix(['T', 'R', 'E', 'A', 'M', 'N', '#'])
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    id_ok && !rest.is_empty()
}

/// What an input looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Guess {
    /// A format spantag imports, and why it looks like it.
    Format(Format, String),
    /// Plain text: an article, for `spantag add`.
    Prose,
    /// Nothing (or only whitespace).
    Empty,
    /// Something else.
    Unknown,
}

impl Guess {
    /// "; it looks like …: try …" for a refusal message (empty when it looks like the chosen
    /// format after all, with records too broken to read).
    pub(crate) fn advice(&self, chosen: Format) -> String {
        match self {
            Guess::Format(f, why) if *f != chosen => {
                format!(
                    "; it looks like {} ({why}): try --format {}",
                    long_name(*f),
                    f
                )
            }
            Guess::Format(..) => String::new(),
            Guess::Prose => {
                "; it looks like plain text (prose): add articles with `spantag add`".into()
            }
            Guess::Empty => "; it is empty".into(),
            Guess::Unknown => format!(
                "; nor does it look like another format spantag imports ({})",
                names()
            ),
        }
    }
}

fn names() -> String {
    super::importers()
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name of a format in messages.
pub(crate) fn long_name(f: Format) -> &'static str {
    match f {
        Format::Jsonl => "spaCy/Prodigy JSONL",
        Format::Doccano => "doccano JSONL",
        Format::LabelStudio => "Label Studio JSON",
        Format::Conll => "CoNLL",
        Format::Brat => "brat standoff",
        Format::Spacy => "spaCy DocBin",
        Format::Hf => "Hugging Face JSONL",
        Format::Csv => "CSV",
    }
}

/// The most common shape among JSON records, ignoring [`Shape::Other`]; `PlainText` only when
/// nothing else is found.
fn main_shape(shapes: &[Shape]) -> Option<Shape> {
    let count = |s: Shape| shapes.iter().filter(|&&x| x == s).count();
    [Shape::Prodigy, Shape::Doccano, Shape::LabelStudio]
        .into_iter()
        .map(|s| (count(s), s))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, s)| s)
        .or_else(|| (count(Shape::PlainText) > 0).then_some(Shape::PlainText))
}

/// What `text` (the content of `path`) looks like.
pub(crate) fn guess(text: &str, path: &Path) -> Guess {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Guess::Empty;
    }
    // One JSON value: a list of tasks or one task.
    if t.starts_with(['[', '{'])
        && let Ok(v) = serde_json::from_str::<Value>(t)
    {
        let shapes: Vec<Shape> = match &v {
            Value::Array(a) => a.iter().take(FIRST_RECORDS).map(shape).collect(),
            other => vec![shape(other)],
        };
        return json_guess(&shapes, "a JSON list");
    }
    // JSON lines.
    let lines: Vec<&str> = t
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(FIRST_RECORDS)
        .collect();
    let parsed: Vec<Shape> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| shape(&v))
        .collect();
    if parsed.len() * 2 > lines.len() {
        return json_guess(&parsed, "JSON lines");
    }
    // brat annotations.
    let ann = t
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(FIRST_RECORDS);
    let (mut n, mut good) = (0, 0);
    for l in ann {
        n += 1;
        good += usize::from(is_ann_line(l));
    }
    if good * 2 > n {
        return Guess::Format(
            Format::Brat,
            format!(
                "brat annotation lines such as `T1<TAB>LABEL 0 5<TAB>text`{}",
                if path.extension().is_some_and(|e| e == "ann") {
                    ""
                } else {
                    "; give the folder or the .ann files"
                }
            ),
        );
    }
    // CoNLL token lines.
    let (n, good) = conll_lines(t);
    if n > 0 && good * 2 > n {
        return Guess::Format(
            Format::Conll,
            "one token a line with a tag in the last column".into(),
        );
    }
    if looks_like_prose(t) {
        return Guess::Prose;
    }
    Guess::Unknown
}

fn json_guess(shapes: &[Shape], what: &str) -> Guess {
    match main_shape(shapes) {
        Some(s) => match s.format() {
            Some(f) => Guess::Format(f, format!("{what} of records like {}", s.describe())),
            None => Guess::Format(
                Format::Jsonl,
                format!("{what} of records with only a \"text\""),
            ),
        },
        None => Guess::Unknown,
    }
}

/// Of the first token lines of a CoNLL text (not blank, not `-DOCSTART-`): how many there are and
/// how many have at least two columns and a tag in the last one.
pub(crate) fn conll_lines(text: &str) -> (usize, usize) {
    let (mut n, mut good) = (0, 0);
    for l in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-DOCSTART-"))
        .take(FIRST_TOKEN_LINES)
    {
        n += 1;
        let cols: Vec<&str> = l.split_whitespace().collect();
        if cols.len() >= 2 && cols.last().is_some_and(|t| is_conll_tag(t)) {
            good += 1;
        }
    }
    (n, good)
}

/// Mostly letters and spaces, with words of several letters: running text.
fn looks_like_prose(t: &str) -> bool {
    let sample: String = t.chars().take(4000).collect();
    let n = sample.chars().count().max(1);
    let letters = sample.chars().filter(|c| c.is_alphabetic()).count();
    let spaces = sample.chars().filter(|c| c.is_whitespace()).count();
    let words = sample.split_whitespace().count().max(1);
    letters * 2 > n && spaces * 20 > n && (n - spaces) / words >= 3
}

/// The refusal of an input that is not in the chosen format: nothing is imported. `why` says
/// what the importer looked for and did not find; the guess from the text adds what it is
/// instead.
pub(crate) fn wrong_format(path: &Path, chosen: Format, why: &str, text: &str) -> FormatError {
    let g = guess(text, path);
    FormatError::Invalid(format!(
        "{} does not look like {} ({why}){}. Nothing was imported.",
        path.display(),
        long_name(chosen),
        g.advice(chosen)
    ))
}

/// Counts, over the first [`FIRST_RECORDS`] records of one file, how many are valid records of
/// the importer's format.
#[derive(Debug, Default)]
pub(crate) struct FirstRecords {
    seen: usize,
    valid: usize,
    /// The shape of the first invalid record, for the message.
    pub first_bad: Option<String>,
}

impl FirstRecords {
    /// Counts one record (only the first [`FIRST_RECORDS`] count).
    pub(crate) fn record(&mut self, valid: bool, what: impl FnOnce() -> String) {
        if self.seen >= FIRST_RECORDS {
            return;
        }
        self.seen += 1;
        if valid {
            self.valid += 1;
        } else if self.first_bad.is_none() {
            self.first_bad = Some(what());
        }
    }

    /// `Err` (nothing imported) when none of the first records was valid.
    pub(crate) fn check(
        &self,
        path: &Path,
        chosen: Format,
        text: &str,
        expected: &str,
    ) -> Result<(), FormatError> {
        if self.valid > 0 {
            return Ok(());
        }
        let why = match (&self.first_bad, self.seen) {
            (_, 0) => "it holds no records".to_owned(),
            (Some(bad), n) => {
                format!("none of its first {n} record(s) is {expected}; the first is {bad}")
            }
            (None, n) => format!("none of its first {n} record(s) is {expected}"),
        };
        Err(wrong_format(path, chosen, &why, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        assert_eq!(shape(&json!({"text": "a", "spans": []})), Shape::Prodigy);
        assert_eq!(shape(&json!({"text": "a", "spans": "x"})), Shape::Prodigy);
        assert_eq!(
            shape(&json!({"text": "a", "label": [[0, 1, "X"]]})),
            Shape::Doccano
        );
        assert_eq!(shape(&json!({"text": "a", "entities": []})), Shape::Doccano);
        assert_eq!(
            shape(&json!({"text": "a", "label": "POS", "answer": "accept"})),
            Shape::Prodigy
        );
        assert_eq!(shape(&json!({"data": {"text": "a"}})), Shape::LabelStudio);
        assert_eq!(shape(&json!({"text": "a", "id": 3})), Shape::PlainText);
        assert_eq!(shape(&json!({"txt": "a"})), Shape::Other);
        assert_eq!(shape(&json!([1])), Shape::Other);
    }

    #[test]
    fn guesses() {
        let p = Path::new("x");
        let g = |t: &str| guess(t, p);
        assert!(matches!(
            g(r#"{"text": "a", "label": [[0, 1, "X"]]}"#),
            Guess::Format(Format::Doccano, _)
        ));
        assert!(matches!(
            g("[{\"data\": {\"text\": \"a\"}}]"),
            Guess::Format(Format::LabelStudio, _)
        ));
        assert!(matches!(
            g("{\"text\": \"a\", \"spans\": []}\n{\"text\": \"b\"}"),
            Guess::Format(Format::Jsonl, _)
        ));
        assert!(matches!(
            g("T1\tPER 0 4\tAnna\n#1\tAnnotatorNotes T1\tx\n"),
            Guess::Format(Format::Brat, _)
        ));
        assert!(matches!(
            g("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n"),
            Guess::Format(Format::Conll, _)
        ));
        assert_eq!(
            g("The mayor of Lune Port said on Tuesday that the bridge would open.\n"),
            Guess::Prose
        );
        assert_eq!(g("  \n"), Guess::Empty);
        assert!(is_conll_tag("B-PER") && is_conll_tag("O") && is_conll_tag("U_LOC"));
        assert!(!is_conll_tag("said") && !is_conll_tag("PER") && !is_conll_tag("B-"));
    }
}
