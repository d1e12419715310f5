//! The gazetteer: every string the project labelled, plus imported lists, found again on whole
//! tokens, the longest match first.
//!
//! Entries come from the spans that teach ([`super::teaches`]: not rejected, not an unreviewed
//! suggestion) of entity labels (passage labels such as claim are left to the model), and from
//! imported lists: Prodigy `patterns.jsonl` (phrase patterns, and token patterns whose tokens
//! each give `orth`, `text` or `lower`) and `text<TAB>LABEL` files. Project strings and phrase
//! patterns match their exact text (token by token, so line breaks and spacing do not matter);
//! a `lower` token matches in any case.
//!
//! The score of a string for a label is INCEpTION's: the share of its occurrences in the
//! project's annotated text that carried the label. Occurrences are its labelled spans (any
//! label) plus its unlabelled occurrences in documents marked done; a rejected span with the
//! string and label counts against it. An imported entry counts as one labelled occurrence.
//!
//! Matching runs one Aho-Corasick automaton (overlapping, standard semantics) over the
//! document's lower-cased tokens joined by single spaces, with every pattern wrapped in spaces,
//! so that a match always begins and ends on token boundaries.

use super::features::DocTokens;
use super::{Suggester, SuggesterKind, Suggestion, teaches};
use crate::model::{Document, is_band_label};
use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

/// One token of a pattern: its text, and whether it matches in any case (`lower`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PatternToken {
    pub text: String,
    pub any_case: bool,
}

/// An imported gazetteer entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern {
    pub label: String,
    pub tokens: Vec<PatternToken>,
}

/// How one label fared for one string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelStat {
    pub label: String,
    /// Spans with this string and label.
    pub hits: u32,
    /// Documents with such a span.
    pub docs: u32,
    /// Rejected spans with this string and label.
    pub rejected: u32,
    /// From an imported list.
    pub imported: bool,
    /// The share of occurrences that carried the label (0..1).
    pub score: f64,
}

/// A string in one spelling (its tokens' exact texts, or any case where a token says so).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub tokens: Vec<PatternToken>,
    pub labels: Vec<LabelStat>,
    /// Occurrences in done documents that no span covers exactly.
    pub unlabelled: u32,
}

/// Every spelling whose lower-cased tokens are the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    /// The lower-cased tokens, each followed by a space, after a leading space.
    key: String,
    len: usize,
    variants: Vec<Variant>,
}

/// A gazetteer match: its tokens and the variant that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GazMatch {
    pub tokens: Range<usize>,
    entry: usize,
    variant: usize,
}

/// The gazetteer suggester (serializable; the automaton is rebuilt on first use).
#[derive(Debug, Serialize, Deserialize)]
pub struct Gazetteer {
    entries: Vec<Entry>,
    #[serde(skip)]
    matcher: OnceLock<Option<AhoCorasick>>,
}

impl Clone for Gazetteer {
    fn clone(&self) -> Self {
        Gazetteer {
            entries: self.entries.clone(),
            matcher: OnceLock::new(),
        }
    }
}

/// The tokens of `text` (as spantag tokenizes documents).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    crate::segment::for_each_token(text, |w| out.push(w.text.to_owned()));
    out
}

fn key_of<'a>(tokens: impl IntoIterator<Item = &'a str>) -> (String, usize) {
    let mut key = String::from(" ");
    let mut n = 0;
    for t in tokens {
        key.push_str(&t.to_lowercase());
        key.push(' ');
        n += 1;
    }
    (key, n)
}

impl Gazetteer {
    /// Collects the strings of the teaching spans of `docs` and the imported `patterns`, and
    /// scores them (see the module's documentation).
    pub fn train(docs: &[&Document], patterns: &[Pattern]) -> Gazetteer {
        let mut by_key: BTreeMap<String, Entry> = BTreeMap::new();
        // (key, variant tokens) → label → (hits, docs, rejected, imported)
        type Counts = BTreeMap<String, (u32, u32, u32, bool)>;
        let mut counts: BTreeMap<(String, Vec<PatternToken>), Counts> = BTreeMap::new();
        for doc in docs {
            let tokens = DocTokens::of(doc);
            let index = doc.index();
            let mut seen_here: HashSet<(String, Vec<PatternToken>, String)> = HashSet::new();
            for span in &doc.spans {
                let rejected = span.status == crate::model::Status::Rejected;
                if is_band_label(&span.label) || !(teaches(span) || rejected) {
                    continue;
                }
                let r = index.tokens_in(span.start..span.end);
                if tokens.char_range(r.clone()) != Some(span.start..span.end) {
                    continue; // not on token boundaries: it could never match whole tokens
                }
                let toks: Vec<PatternToken> = r
                    .clone()
                    .map(|i| PatternToken {
                        text: tokens.text(i).to_owned(),
                        any_case: false,
                    })
                    .collect();
                let (key, _) = key_of(toks.iter().map(|t| t.text.as_str()));
                let c = counts
                    .entry((key.clone(), toks.clone()))
                    .or_default()
                    .entry(span.label.clone())
                    .or_default();
                if teaches(span) {
                    c.0 += 1;
                    if seen_here.insert((key, toks, span.label.clone())) {
                        c.1 += 1;
                    }
                } else {
                    c.2 += 1;
                }
            }
        }
        for p in patterns {
            if p.tokens.is_empty() {
                continue;
            }
            let (key, _) = key_of(p.tokens.iter().map(|t| t.text.as_str()));
            counts
                .entry((key, p.tokens.clone()))
                .or_default()
                .entry(p.label.clone())
                .or_default()
                .3 = true;
        }
        for ((key, toks), labels) in counts {
            let len = toks.len();
            let entry = by_key.entry(key.clone()).or_insert_with(|| Entry {
                key,
                len,
                variants: Vec::new(),
            });
            entry.variants.push(Variant {
                tokens: toks,
                labels: labels
                    .into_iter()
                    .map(|(label, (hits, docs, rejected, imported))| LabelStat {
                        label,
                        hits,
                        docs,
                        rejected,
                        imported,
                        score: 0.0,
                    })
                    .collect(),
                unlabelled: 0,
            });
        }
        let mut g = Gazetteer {
            entries: by_key.into_values().collect(),
            matcher: OnceLock::new(),
        };
        g.count_unlabelled(docs);
        g.score();
        g
    }

    /// Counts each variant's occurrences in done documents that no teaching span covers exactly.
    fn count_unlabelled(&mut self, docs: &[&Document]) {
        let mut unlabelled: HashMap<(usize, usize), u32> = HashMap::new();
        for doc in docs.iter().filter(|d| d.done) {
            let tokens = DocTokens::of(doc);
            let labelled: HashSet<(usize, usize)> = doc
                .spans
                .iter()
                .filter(|s| teaches(s))
                .map(|s| (s.start, s.end))
                .collect();
            for m in self.all_matches(&tokens) {
                if let Some(r) = tokens.char_range(m.tokens.clone())
                    && !labelled.contains(&(r.start, r.end))
                {
                    *unlabelled.entry((m.entry, m.variant)).or_default() += 1;
                }
            }
        }
        for ((e, v), n) in unlabelled {
            if let Some(var) = self.entries.get_mut(e).and_then(|e| e.variants.get_mut(v)) {
                var.unlabelled = n;
            }
        }
    }

    fn score(&mut self) {
        for e in &mut self.entries {
            for v in &mut e.variants {
                let all_hits: u32 = v.labels.iter().map(|l| l.hits).sum();
                for l in &mut v.labels {
                    let prior = u32::from(l.imported);
                    let total = all_hits + prior + v.unlabelled + l.rejected;
                    l.score = if total == 0 {
                        0.0
                    } else {
                        f64::from(l.hits + prior) / f64::from(total)
                    };
                }
            }
        }
    }

    /// Number of distinct strings (spellings).
    pub fn len(&self) -> usize {
        self.entries.iter().map(|e| e.variants.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn matcher(&self) -> Option<&AhoCorasick> {
        self.matcher
            .get_or_init(|| {
                if self.entries.is_empty() {
                    return None;
                }
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(self.entries.iter().map(|e| e.key.as_str()))
                    .ok()
            })
            .as_ref()
    }

    /// Every occurrence of every variant in `tokens`, overlapping ones too.
    pub fn all_matches(&self, tokens: &DocTokens<'_>) -> Vec<GazMatch> {
        let Some(ac) = self.matcher() else {
            return Vec::new();
        };
        let mut hay =
            String::with_capacity(tokens.texts.iter().map(|t| t.len() + 1).sum::<usize>() + 1);
        let mut starts = Vec::with_capacity(tokens.len());
        hay.push(' ');
        for t in &tokens.texts {
            starts.push(hay.len());
            hay.push_str(&t.to_lowercase());
            hay.push(' ');
        }
        let mut out = Vec::new();
        for m in ac.find_overlapping_iter(&hay) {
            let e = m.pattern().as_usize();
            let Some(entry) = self.entries.get(e) else {
                continue;
            };
            let Ok(first) = starts.binary_search(&(m.start() + 1)) else {
                continue;
            };
            let toks = first..first + entry.len;
            for (vi, v) in entry.variants.iter().enumerate() {
                let fits = v
                    .tokens
                    .iter()
                    .zip(toks.clone())
                    .all(|(p, i)| p.any_case || p.text == tokens.text(i));
                if fits {
                    out.push(GazMatch {
                        tokens: toks.clone(),
                        entry: e,
                        variant: vi,
                    });
                }
            }
        }
        out
    }

    /// The matches that do not overlap a longer one (longest first, then leftmost).
    pub fn longest_matches(&self, tokens: &DocTokens<'_>) -> Vec<GazMatch> {
        let mut all = self.all_matches(tokens);
        all.sort_by_key(|m| (std::cmp::Reverse(m.tokens.len()), m.tokens.start, m.variant));
        let mut taken = vec![false; tokens.len()];
        let mut out = Vec::new();
        for m in all {
            let free = m
                .tokens
                .clone()
                .all(|i| !taken.get(i).copied().unwrap_or(true));
            // Other spellings of the same range (e.g. "US" and a `lower` "us") may join.
            let same_range = out.iter().any(|o: &GazMatch| o.tokens == m.tokens);
            if free || same_range {
                for i in m.tokens.clone() {
                    if let Some(t) = taken.get_mut(i) {
                        *t = true;
                    }
                }
                out.push(m);
            }
        }
        out.sort_by_key(|m| (m.tokens.start, m.variant));
        out
    }

    /// The variant a match found.
    pub fn variant(&self, m: &GazMatch) -> Option<&Variant> {
        self.entries.get(m.entry)?.variants.get(m.variant)
    }
}

impl Suggester for Gazetteer {
    fn kind(&self) -> SuggesterKind {
        SuggesterKind::Gazetteer
    }

    fn suggest_raw(&self, doc: &Document) -> Vec<Suggestion> {
        let tokens = DocTokens::of(doc);
        let mut out = Vec::new();
        for m in self.longest_matches(&tokens) {
            let (Some(v), Some(r)) = (self.variant(&m), tokens.char_range(m.tokens.clone())) else {
                continue;
            };
            let total: u32 = v.labels.iter().map(|l| l.hits).sum::<u32>() + v.unlabelled;
            for l in v.labels.iter().filter(|l| l.score > 0.0) {
                let reason = if l.hits == 0 {
                    "in an imported list".to_owned()
                } else {
                    format!(
                        "labelled {} {} of {} times{}{}",
                        l.label,
                        l.hits,
                        total,
                        if l.rejected > 0 {
                            format!(", rejected {} times", l.rejected)
                        } else {
                            String::new()
                        },
                        if l.imported {
                            ", and in an imported list"
                        } else {
                            ""
                        }
                    )
                };
                out.push(Suggestion {
                    doc: doc.id.clone(),
                    start: r.start,
                    end: r.end,
                    label: l.label.clone(),
                    score: l.score,
                    suggester: SuggesterKind::Gazetteer,
                    reason,
                });
            }
        }
        out
    }
}

/// Reads an imported list: Prodigy `patterns.jsonl` when the first line that is not blank
/// starts with `{`, else `text<TAB>LABEL` lines (blank lines and lines starting with `#` are
/// skipped). Labels are matched to `labels` exactly, else ignoring case. Returns the patterns
/// and the problems (by line), each of which left a line out.
pub fn parse_patterns(text: &str, labels: &[String]) -> (Vec<Pattern>, Vec<String>) {
    let jsonl = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with('{'));
    let mut patterns = Vec::new();
    let mut problems = Vec::new();
    let find_label = |name: &str| -> Option<String> {
        labels
            .iter()
            .find(|l| l.as_str() == name)
            .or_else(|| labels.iter().find(|l| l.eq_ignore_ascii_case(name)))
            .cloned()
    };
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || (!jsonl && line.starts_with('#')) {
            continue;
        }
        let parsed = if jsonl {
            parse_prodigy_line(line)
        } else {
            match line.split_once('\t') {
                Some((t, l)) if !t.trim().is_empty() && !l.trim().is_empty() => Ok((
                    l.trim().to_owned(),
                    tokenize(t)
                        .into_iter()
                        .map(|text| PatternToken {
                            text,
                            any_case: false,
                        })
                        .collect(),
                )),
                _ => Err("expected text<TAB>LABEL".to_owned()),
            }
        };
        match parsed {
            Ok((label, tokens)) => {
                if tokens.is_empty() {
                    problems.push(format!("line {n}: the pattern has no tokens"));
                } else if let Some(label) = find_label(&label) {
                    patterns.push(Pattern { label, tokens });
                } else {
                    problems.push(format!("line {n}: label {label:?} is not in the project"));
                }
            }
            Err(e) => problems.push(format!("line {n}: {e}")),
        }
    }
    (patterns, problems)
}

fn parse_prodigy_line(line: &str) -> Result<(String, Vec<PatternToken>), String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let label = v
        .get("label")
        .and_then(|l| l.as_str())
        .ok_or("no \"label\" string")?
        .to_owned();
    let tokens = match v.get("pattern") {
        Some(serde_json::Value::String(s)) => tokenize(s)
            .into_iter()
            .map(|text| PatternToken {
                text,
                any_case: false,
            })
            .collect(),
        Some(serde_json::Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let obj = item
                    .as_object()
                    .ok_or("a token pattern that is not an object")?;
                if obj.len() != 1 {
                    return Err(format!(
                        "a token with {} attributes (only one of orth, text, lower is supported)",
                        obj.len()
                    ));
                }
                let Some((k, val)) = obj.iter().next() else {
                    return Err("an empty token pattern".into());
                };
                let any_case = match k.to_ascii_lowercase().as_str() {
                    "lower" => true,
                    "orth" | "text" => false,
                    other => {
                        return Err(format!(
                            "token attribute {other:?} is not supported (only orth, text, lower)"
                        ));
                    }
                };
                let s = val.as_str().ok_or("a token value that is not a string")?;
                for text in tokenize(s) {
                    out.push(PatternToken { text, any_case });
                }
            }
            out
        }
        _ => return Err("no \"pattern\" (a string or a list of tokens)".into()),
    };
    Ok((label, tokens))
}
