//! The model trained on the project: an averaged perceptron.
//!
//! - **Entities**: one BIO tagger per entity label (so nested and overlapping labels stay
//!   possible), greedy left to right over each sentence's tokens, with features of the token and
//!   its neighbours (lower-cased word, shape, prefixes and suffixes, capitalisation, the two
//!   words either side, the previous word pair), whether the number rules cover it, and the
//!   gazetteer's hits. In training a gazetteer hit counts only when another document labelled
//!   the string (leave one document out), so the tagger also learns from context and does not
//!   just copy the gazetteer. A suggestion's score is the logistic of its weakest token's
//!   margin (best tag minus the runner-up), so 0.5 means undecided.
//! - **Passages** (labels such as claim, see [`is_band_label`]): one binary scorer per label
//!   over whole sentences (quote marks, reporting verbs, "according to", words, length); a
//!   sentence scored above 0.5 is suggested whole.
//!
//! Training reads the teaching spans ([`super::teaches`]); a document marked done gives all its
//! sentences (untagged text is negative), any other document only the sentences that hold a
//! span. A label suggests once it has [`MIN_SPANS`] teaching spans. Training is deterministic (a fixed shuffle per epoch), and the model is serde data.

use super::features::{DocTokens, Rng, hash, shape};
use super::gazetteer::Gazetteer;
use super::{Suggester, SuggesterKind, Suggestion, numbers, teaches};
use crate::model::{Document, is_band_label};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

/// Passes over the training data.
const EPOCHS: u32 = 5;
/// A label's tagger or scorer suggests only after learning from this many teaching spans of it
/// (fewer teach it nothing it can generalise, and it would propose noise).
pub const MIN_SPANS: usize = 10;
const B: usize = 0;
const I: usize = 1;
const O: usize = 2;
const START: usize = 3;

/// What a model learned from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub documents: usize,
    pub sentences: usize,
    pub tokens: usize,
    /// Teaching spans per label.
    pub spans: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tagger {
    label: String,
    /// Averaged weights of B, I, O per feature id.
    weights: Vec<[f32; 3]>,
    /// Averaged transition weights: previous tag (B, I, O, start) → tag.
    trans: [[f32; 3]; 4],
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PassageScorer {
    label: String,
    weights: HashMap<u64, f32>,
}

/// The trained model (serde: a later version can store it beside the project).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub version: u32,
    pub summary: TrainingSummary,
    vocab: HashMap<u64, u32>,
    taggers: Vec<Tagger>,
    passages: Vec<PassageScorer>,
    gazetteer: Gazetteer,
}

/// Per-document token facts the features need.
struct DocFacts<'d> {
    tokens: DocTokens<'d>,
    lowers: Vec<String>,
    shapes: Vec<String>,
    numbers: Vec<bool>,
    /// Sentences as token ranges.
    sentences: Vec<Range<usize>>,
}

impl<'d> DocFacts<'d> {
    fn of(doc: &'d Document) -> DocFacts<'d> {
        let tokens = DocTokens::of(doc);
        let lowers = tokens.texts.iter().map(|t| t.to_lowercase()).collect();
        let shapes = tokens.texts.iter().map(|t| shape(t)).collect();
        let mut nums = vec![false; tokens.len()];
        for m in numbers::find(&tokens) {
            for i in m.tokens {
                if let Some(n) = nums.get_mut(i) {
                    *n = true;
                }
            }
        }
        let index = doc.index_with_sentences();
        let sentences = index
            .sentences()
            .iter()
            .map(|s| index.tokens_in(s.clone()))
            .filter(|r| !r.is_empty())
            .collect();
        DocFacts {
            tokens,
            lowers,
            shapes,
            numbers: nums,
            sentences,
        }
    }

    fn lower(&self, i: usize) -> &str {
        self.lowers.get(i).map_or("", String::as_str)
    }

    fn shape(&self, i: usize) -> &str {
        self.shapes.get(i).map_or("", String::as_str)
    }

    /// The features of token `i` of sentence `s`, as hashes.
    fn features(&self, s: &Range<usize>, i: usize, out: &mut Vec<u64>) {
        let w = self.lower(i);
        let word = |k: isize| -> &str {
            let j = i as isize + k;
            if j < s.start as isize {
                "<s>"
            } else if j >= s.end as isize {
                "</s>"
            } else {
                self.lower(j as usize)
            }
        };
        let sh = |k: isize| -> &str {
            let j = i as isize + k;
            if j < s.start as isize || j >= s.end as isize {
                "_"
            } else {
                self.shape(j as usize)
            }
        };
        out.push(hash(&[b"bias"]));
        out.push(hash(&[b"w", w.as_bytes()]));
        out.push(hash(&[b"s", self.shape(i).as_bytes()]));
        let chars: Vec<(usize, char)> = w.char_indices().collect();
        for n in 1..=3usize {
            if chars.len() > n {
                let cut = chars.get(n).map_or(w.len(), |c| c.0);
                out.push(hash(&[
                    b"p",
                    &[n as u8],
                    w.get(..cut).unwrap_or("").as_bytes(),
                ]));
                let from = chars.get(chars.len() - n).map_or(0, |c| c.0);
                out.push(hash(&[
                    b"x",
                    &[n as u8],
                    w.get(from..).unwrap_or("").as_bytes(),
                ]));
            }
        }
        let text = self.tokens.text(i);
        if text.chars().next().is_some_and(char::is_uppercase) {
            out.push(hash(&[b"title"]));
            if i == s.start {
                out.push(hash(&[b"title-first"]));
            }
        }
        if text.chars().count() > 1 && text.chars().all(|c| !c.is_lowercase()) {
            out.push(hash(&[b"upper"]));
        }
        if self.numbers.get(i).copied().unwrap_or(false) {
            out.push(hash(&[b"num"]));
        }
        for k in [-2isize, -1, 1, 2] {
            out.push(hash(&[b"w", &k.to_le_bytes(), word(k).as_bytes()]));
        }
        for k in [-1isize, 1] {
            out.push(hash(&[b"s", &k.to_le_bytes(), sh(k).as_bytes()]));
        }
        out.push(hash(&[b"bi", word(-1).as_bytes(), w.as_bytes()]));
        out.push(hash(&[b"bi+", w.as_bytes(), word(1).as_bytes()]));
    }

    /// Per token, per label of `labels`: 1 when a gazetteer hit with that label begins there, 2
    /// inside one, plus 4 when a hit of another label covers it. `own` are the strings this
    /// document labelled itself (in training, a hit needs another document's label).
    fn gazetteer_codes(
        &self,
        gazetteer: &Gazetteer,
        labels: &[String],
        own: Option<&HashSet<(String, Vec<String>)>>,
    ) -> Vec<Vec<u8>> {
        let mut codes = vec![vec![0u8; self.tokens.len()]; labels.len()];
        for m in gazetteer.longest_matches(&self.tokens) {
            let Some(v) = gazetteer.variant(&m) else {
                continue;
            };
            let texts: Vec<String> = v.tokens.iter().map(|t| t.text.clone()).collect();
            let hit: Vec<&str> = v
                .labels
                .iter()
                .filter(|l| {
                    let mine = own.is_some_and(|o| o.contains(&(l.label.clone(), texts.clone())));
                    l.score > 0.0 && (l.imported || l.docs > u32::from(mine))
                })
                .map(|l| l.label.as_str())
                .collect();
            if hit.is_empty() {
                continue;
            }
            for (li, label) in labels.iter().enumerate() {
                let Some(c) = codes.get_mut(li) else { continue };
                let mine = hit.contains(&label.as_str());
                let other = hit.iter().any(|h| *h != label);
                for i in m.tokens.clone() {
                    if let Some(x) = c.get_mut(i) {
                        if mine {
                            *x = (*x & 4) | if i == m.tokens.start { 1 } else { 2 };
                        }
                        if other {
                            *x |= 4;
                        }
                    }
                }
            }
        }
        codes
    }
}

fn gaz_hashes() -> [u64; 3] {
    [hash(&[b"gazB"]), hash(&[b"gazI"]), hash(&[b"gazX"])]
}

/// Passage features of a sentence (token range of a document).
fn passage_features(f: &DocFacts<'_>, s: &Range<usize>, out: &mut Vec<u64>) {
    const REPORTING: &[&str] = &[
        "said",
        "says",
        "say",
        "told",
        "tells",
        "claimed",
        "claims",
        "argued",
        "argues",
        "added",
        "stated",
        "states",
        "warned",
        "warns",
        "noted",
        "notes",
        "insisted",
        "insists",
        "believes",
        "believed",
        "denied",
        "denies",
        "acknowledged",
        "acknowledges",
        "accused",
        "alleged",
        "alleges",
        "suggested",
        "suggests",
        "admitted",
        "explained",
        "announced",
        "according",
        "confirmed",
        "reported",
        "estimated",
        "predicted",
        "expects",
        "expected",
        "promised",
    ];
    const QUOTES: &[&str] = &["\"", "“", "”", "«", "»", "„"];
    out.push(hash(&[b"bias"]));
    let mut words: Vec<&str> = s.clone().map(|i| f.lower(i)).collect();
    let first = words.first().copied().unwrap_or("");
    let last = words.last().copied().unwrap_or("");
    out.push(hash(&[b"first", first.as_bytes()]));
    out.push(hash(&[b"last", last.as_bytes()]));
    let quote = words.iter().any(|w| QUOTES.contains(w));
    let reporting: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| REPORTING.contains(w))
        .collect();
    if quote {
        out.push(hash(&[b"quote"]));
    }
    for r in &reporting {
        out.push(hash(&[b"rv", r.as_bytes()]));
    }
    if !reporting.is_empty() {
        out.push(hash(&[b"rv-any"]));
        if quote {
            out.push(hash(&[b"quote+rv"]));
        }
    }
    if words.windows(2).any(|p| p == ["according", "to"]) {
        out.push(hash(&[b"according-to"]));
    }
    if s.clone()
        .any(|i| f.numbers.get(i).copied().unwrap_or(false))
    {
        out.push(hash(&[b"has-number"]));
    }
    let len_bucket: u8 = match s.len() {
        0..=5 => 0,
        6..=10 => 1,
        11..=20 => 2,
        21..=40 => 3,
        _ => 4,
    };
    out.push(hash(&[b"len", &[len_bucket]]));
    words.sort_unstable();
    words.dedup();
    for w in words {
        out.push(hash(&[b"w", w.as_bytes()]));
    }
}

/// The training sentences of a document: all when it is done, else those a teaching span
/// touches.
fn training_sentences(doc: &Document, f: &DocFacts<'_>) -> Vec<Range<usize>> {
    f.sentences
        .iter()
        .filter(|s| {
            doc.done
                || f.tokens.char_range((*s).clone()).is_some_and(|r| {
                    doc.spans
                        .iter()
                        .any(|sp| teaches(sp) && sp.start < r.end && r.start < sp.end)
                })
        })
        .cloned()
        .collect()
}

/// Lazily averaged perceptron weights.
struct Averaged<const N: usize> {
    w: Vec<[f32; N]>,
    acc: Vec<[f32; N]>,
    stamp: Vec<u32>,
}

impl<const N: usize> Averaged<N> {
    fn new(n: usize) -> Self {
        Averaged {
            w: vec![[0.0; N]; n],
            acc: vec![[0.0; N]; n],
            stamp: vec![0; n],
        }
    }

    fn add(&mut self, f: usize, tag: usize, delta: f32, now: u32) {
        let (Some(w), Some(acc), Some(stamp)) = (
            self.w.get_mut(f),
            self.acc.get_mut(f),
            self.stamp.get_mut(f),
        ) else {
            return;
        };
        let elapsed = (now - *stamp) as f32;
        for t in 0..N {
            acc[t] += elapsed * w[t];
        }
        *stamp = now;
        if let Some(x) = w.get_mut(tag) {
            *x += delta;
        }
    }

    fn average(self, now: u32) -> Vec<[f32; N]> {
        let now_f = now.max(1) as f32;
        self.w
            .iter()
            .zip(&self.acc)
            .zip(&self.stamp)
            .map(|((w, acc), stamp)| {
                let elapsed = (now - stamp) as f32;
                std::array::from_fn(|t| (acc[t] + elapsed * w[t]) / now_f)
            })
            .collect()
    }
}

/// Training data of the taggers: every training token's feature ids.
struct TokenData {
    /// Feature ids of every token, flat; `tok[g]` is the range of token `g`.
    ids: Vec<u32>,
    tok: Vec<Range<usize>>,
    /// Sentences as ranges of global token numbers.
    seqs: Vec<Range<usize>>,
    /// Per label: gold tag and gazetteer code of every token.
    gold: Vec<Vec<u8>>,
    gaz: Vec<Vec<u8>>,
}

impl Model {
    /// Trains on the teaching spans of `docs` for `labels` (entity labels get a tagger, passage
    /// labels a sentence scorer); `gazetteer` gives the gazetteer features (train it on the same
    /// documents: [`Gazetteer::train`]).
    pub fn train(docs: &[&Document], labels: &[String], gazetteer: Gazetteer) -> Model {
        let entity: Vec<String> = labels
            .iter()
            .filter(|l| !is_band_label(l))
            .cloned()
            .collect();
        let band: Vec<String> = labels
            .iter()
            .filter(|l| is_band_label(l))
            .cloned()
            .collect();
        let mut vocab: HashMap<u64, u32> = HashMap::new();
        let intern = |h: u64, vocab: &mut HashMap<u64, u32>| -> u32 {
            let n = vocab.len() as u32;
            *vocab.entry(h).or_insert(n)
        };
        let gh = gaz_hashes();
        let gaz_ids = gh.map(|h| intern(h, &mut vocab));
        let mut data = TokenData {
            ids: Vec::new(),
            tok: Vec::new(),
            seqs: Vec::new(),
            gold: vec![Vec::new(); entity.len()],
            gaz: vec![Vec::new(); entity.len()],
        };
        // (sentence features, per band label: positive?)
        let mut passages: Vec<(Vec<u64>, Vec<bool>)> = Vec::new();
        let mut summary = TrainingSummary::default();
        let mut feats = Vec::with_capacity(32);
        for doc in docs {
            let f = DocFacts::of(doc);
            let sentences = training_sentences(doc, &f);
            if sentences.is_empty() {
                continue;
            }
            summary.documents += 1;
            summary.sentences += sentences.len();
            for s in doc.spans.iter().filter(|s| teaches(s)) {
                *summary.spans.entry(s.label.clone()).or_default() += 1;
            }
            let own: HashSet<(String, Vec<String>)> = doc
                .spans
                .iter()
                .filter(|s| teaches(s))
                .map(|s| {
                    let r = doc.index().tokens_in(s.start..s.end);
                    (
                        s.label.clone(),
                        r.map(|i| f.tokens.text(i).to_owned()).collect(),
                    )
                })
                .collect();
            let codes = f.gazetteer_codes(&gazetteer, &entity, Some(&own));
            let gold = gold_tags(doc, &f, &entity);
            for s in &sentences {
                let first = data.tok.len();
                for i in s.clone() {
                    feats.clear();
                    f.features(s, i, &mut feats);
                    let a = data.ids.len();
                    for &h in &feats {
                        let id = intern(h, &mut vocab);
                        data.ids.push(id);
                    }
                    data.tok.push(a..data.ids.len());
                    for li in 0..entity.len() {
                        let g = gold
                            .get(li)
                            .and_then(|g| g.get(i))
                            .copied()
                            .unwrap_or(O as u8);
                        let c = codes.get(li).and_then(|c| c.get(i)).copied().unwrap_or(0);
                        if let (Some(gv), Some(cv)) = (data.gold.get_mut(li), data.gaz.get_mut(li))
                        {
                            gv.push(g);
                            cv.push(c);
                        }
                    }
                }
                data.seqs.push(first..data.tok.len());
                summary.tokens += s.len();
                if !band.is_empty() {
                    let mut pf = Vec::new();
                    passage_features(&f, s, &mut pf);
                    let r = f.tokens.char_range(s.clone()).unwrap_or(0..0);
                    let positive = band
                        .iter()
                        .map(|l| {
                            doc.spans
                                .iter()
                                .filter(|sp| teaches(sp) && &sp.label == l)
                                .any(|sp| {
                                    let overlap =
                                        sp.end.min(r.end).saturating_sub(sp.start.max(r.start));
                                    overlap * 2 >= r.len().max(1)
                                })
                        })
                        .collect();
                    passages.push((pf, positive));
                }
            }
        }
        let nf = vocab.len();
        let taggers: Vec<Tagger> = entity
            .par_iter()
            .enumerate()
            .map(|(li, label)| train_tagger(&data, li, label, nf, gaz_ids))
            .collect();
        let passages: Vec<PassageScorer> = band
            .par_iter()
            .enumerate()
            .map(|(bi, label)| train_passages(&passages, bi, label))
            .collect();
        Model {
            version: 1,
            summary,
            vocab,
            taggers,
            passages,
            gazetteer,
        }
    }

    /// The entity labels with a tagger and the passage labels with a scorer.
    pub fn labels(&self) -> Vec<&str> {
        self.taggers
            .iter()
            .map(|t| t.label.as_str())
            .chain(self.passages.iter().map(|p| p.label.as_str()))
            .collect()
    }
}

/// Gold BIO tags per entity label for every token of `doc`.
fn gold_tags(doc: &Document, f: &DocFacts<'_>, labels: &[String]) -> Vec<Vec<u8>> {
    let index = doc.index();
    labels
        .iter()
        .map(|label| {
            let mut tags = vec![O as u8; f.tokens.len()];
            for s in doc.spans.iter().filter(|s| teaches(s) && &s.label == label) {
                let r = index.tokens_in(s.start..s.end);
                if r.is_empty() || r.clone().any(|i| tags.get(i) != Some(&(O as u8))) {
                    continue;
                }
                for i in r.clone() {
                    if let Some(t) = tags.get_mut(i) {
                        *t = if i == r.start { B as u8 } else { I as u8 };
                    }
                }
            }
            tags
        })
        .collect()
}

/// The label's gazetteer feature ids for a token code.
fn gaz_feature_ids(code: u8, gaz_ids: [u32; 3], out: &mut [u32; 2]) -> usize {
    let mut n = 0;
    match code & 3 {
        1 => {
            out[n] = gaz_ids[0];
            n += 1;
        }
        2 => {
            out[n] = gaz_ids[1];
            n += 1;
        }
        _ => {}
    }
    if code & 4 != 0 {
        out[n] = gaz_ids[2];
        n += 1;
    }
    n
}

fn scores(weights: &[[f32; 3]], trans: &[[f32; 3]; 4], prev: usize, ids: &[u32]) -> [f32; 3] {
    let mut s = trans.get(prev).copied().unwrap_or([0.0; 3]);
    for &f in ids {
        if let Some(w) = weights.get(f as usize) {
            s[0] += w[0];
            s[1] += w[1];
            s[2] += w[2];
        }
    }
    s
}

/// The best allowed tag after `prev` (I only after B or I) and its margin over the runner-up.
fn best(s: [f32; 3], prev: usize) -> (usize, f32) {
    let allowed: &[usize] = if prev == B || prev == I {
        &[B, I, O]
    } else {
        &[B, O]
    };
    let mut best = O;
    for &t in allowed {
        if s[t] > s[best] {
            best = t;
        }
    }
    let runner = allowed
        .iter()
        .filter(|&&t| t != best)
        .map(|&t| s[t])
        .fold(f32::NEG_INFINITY, f32::max);
    (best, s[best] - runner)
}

fn train_tagger(data: &TokenData, li: usize, label: &str, nf: usize, gaz_ids: [u32; 3]) -> Tagger {
    let mut w = Averaged::<3>::new(nf);
    let mut t = Averaged::<3>::new(4);
    let (Some(gold), Some(gaz)) = (data.gold.get(li), data.gaz.get(li)) else {
        return Tagger {
            label: label.to_owned(),
            weights: Vec::new(),
            trans: [[0.0; 3]; 4],
        };
    };
    let mut order: Vec<usize> = (0..data.seqs.len()).collect();
    let mut rng = Rng::new(0x5eed_0000 + li as u64);
    let mut now: u32 = 1;
    let mut ids: Vec<u32> = Vec::with_capacity(40);
    for _ in 0..EPOCHS {
        rng.shuffle(&mut order);
        for &si in &order {
            let Some(seq) = data.seqs.get(si) else {
                continue;
            };
            let mut prev = START;
            for g in seq.clone() {
                ids.clear();
                if let Some(r) = data.tok.get(g) {
                    ids.extend_from_slice(data.ids.get(r.clone()).unwrap_or(&[]));
                }
                let mut extra = [0u32; 2];
                let n = gaz_feature_ids(gaz.get(g).copied().unwrap_or(0), gaz_ids, &mut extra);
                ids.extend_from_slice(extra.get(..n).unwrap_or(&[]));
                let trans: [[f32; 3]; 4] =
                    std::array::from_fn(|p| t.w.get(p).copied().unwrap_or([0.0; 3]));
                let s = scores(&w.w, &trans, prev, &ids);
                let (pred, _) = best(s, prev);
                let mut truth = gold.get(g).copied().unwrap_or(O as u8) as usize;
                if truth == I && !(prev == B || prev == I) {
                    truth = B;
                }
                if pred != truth {
                    for &f in &ids {
                        w.add(f as usize, truth, 1.0, now);
                        w.add(f as usize, pred, -1.0, now);
                    }
                    t.add(prev, truth, 1.0, now);
                    t.add(prev, pred, -1.0, now);
                }
                now += 1;
                prev = truth;
            }
        }
    }
    let weights = w.average(now);
    let trans_avg = t.average(now);
    Tagger {
        label: label.to_owned(),
        weights,
        trans: std::array::from_fn(|p| trans_avg.get(p).copied().unwrap_or([0.0; 3])),
    }
}

fn train_passages(data: &[(Vec<u64>, Vec<bool>)], bi: usize, label: &str) -> PassageScorer {
    let mut vocab: HashMap<u64, u32> = HashMap::new();
    let rows: Vec<(Vec<u32>, bool)> = data
        .iter()
        .map(|(f, pos)| {
            let ids = f
                .iter()
                .map(|h| {
                    let n = vocab.len() as u32;
                    *vocab.entry(*h).or_insert(n)
                })
                .collect();
            (ids, pos.get(bi).copied().unwrap_or(false))
        })
        .collect();
    let mut w = Averaged::<1>::new(vocab.len());
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let mut rng = Rng::new(0xc1a1_0000 + bi as u64);
    let mut now: u32 = 1;
    for _ in 0..EPOCHS {
        rng.shuffle(&mut order);
        for &r in &order {
            let Some((ids, positive)) = rows.get(r) else {
                continue;
            };
            let s: f32 = ids
                .iter()
                .map(|&f| w.w.get(f as usize).map_or(0.0, |x| x[0]))
                .sum();
            if (s > 0.0) != *positive {
                let delta = if *positive { 1.0 } else { -1.0 };
                for &f in ids {
                    w.add(f as usize, 0, delta, now);
                }
            }
            now += 1;
        }
    }
    let avg = w.average(now);
    let weights = vocab
        .into_iter()
        .filter_map(|(h, id)| {
            let x = avg.get(id as usize)?[0];
            (x != 0.0).then_some((h, x))
        })
        .collect();
    PassageScorer {
        label: label.to_owned(),
        weights,
    }
}

fn logistic(x: f32) -> f64 {
    1.0 / (1.0 + (-f64::from(x)).exp())
}

impl Suggester for Model {
    fn kind(&self) -> SuggesterKind {
        SuggesterKind::Model
    }

    fn suggest_raw(&self, doc: &Document) -> Vec<Suggestion> {
        let f = DocFacts::of(doc);
        let mut out = Vec::new();
        let entity: Vec<String> = self.taggers.iter().map(|t| t.label.clone()).collect();
        let codes = f.gazetteer_codes(&self.gazetteer, &entity, None);
        let gaz_ids = gaz_hashes().map(|h| self.vocab.get(&h).copied().unwrap_or(u32::MAX));
        // Feature ids of every token (once for all labels).
        let mut tok_ids: Vec<Vec<u32>> = vec![Vec::new(); f.tokens.len()];
        let mut feats = Vec::with_capacity(32);
        for s in &f.sentences {
            for i in s.clone() {
                feats.clear();
                f.features(s, i, &mut feats);
                if let Some(ids) = tok_ids.get_mut(i) {
                    ids.extend(feats.iter().filter_map(|h| self.vocab.get(h).copied()));
                }
            }
        }
        let mut ids = Vec::with_capacity(40);
        let learned =
            |label: &str| self.summary.spans.get(label).copied().unwrap_or(0) >= MIN_SPANS;
        for (li, tagger) in self.taggers.iter().enumerate() {
            if !learned(&tagger.label) {
                continue;
            }
            for s in &f.sentences {
                let mut prev = START;
                let mut open: Option<(usize, f32)> = None; // (first token, weakest margin)
                let close = |open: &mut Option<(usize, f32)>, end: usize, out: &mut Vec<_>| {
                    if let Some((a, m)) = open.take()
                        && let Some(r) = f.tokens.char_range(a..end)
                    {
                        out.push(Suggestion {
                            doc: doc.id.clone(),
                            start: r.start,
                            end: r.end,
                            label: tagger.label.clone(),
                            score: logistic(m),
                            suggester: SuggesterKind::Model,
                            reason: format!("model (margin {m:.1})"),
                        });
                    }
                };
                for i in s.clone() {
                    ids.clear();
                    ids.extend_from_slice(tok_ids.get(i).map_or(&[][..], Vec::as_slice));
                    let mut extra = [0u32; 2];
                    let code = codes.get(li).and_then(|c| c.get(i)).copied().unwrap_or(0);
                    let n = gaz_feature_ids(code, gaz_ids, &mut extra);
                    ids.extend_from_slice(extra.get(..n).unwrap_or(&[]));
                    let sc = scores(&tagger.weights, &tagger.trans, prev, &ids);
                    let (tag, margin) = best(sc, prev);
                    match tag {
                        B => {
                            close(&mut open, i, &mut out);
                            open = Some((i, margin));
                        }
                        I => {
                            if let Some((_, m)) = open.as_mut() {
                                *m = m.min(margin);
                            }
                        }
                        _ => close(&mut open, i, &mut out),
                    }
                    prev = tag;
                }
                close(&mut open, s.end, &mut out);
            }
        }
        let mut pf = Vec::new();
        for p in self.passages.iter().filter(|p| learned(&p.label)) {
            for s in &f.sentences {
                pf.clear();
                passage_features(&f, s, &mut pf);
                let x: f32 = pf.iter().filter_map(|h| p.weights.get(h)).sum();
                let score = logistic(x);
                if score >= 0.5
                    && let Some(r) = f.tokens.char_range(s.clone())
                {
                    out.push(Suggestion {
                        doc: doc.id.clone(),
                        start: r.start,
                        end: r.end,
                        label: p.label.clone(),
                        score,
                        suggester: SuggesterKind::Model,
                        reason: "model: sentence scorer".to_owned(),
                    });
                }
            }
        }
        out
    }
}
