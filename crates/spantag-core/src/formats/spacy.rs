//! spaCy DocBin (`.spacy`), written natively with [`super::docbin`] (attributes ORTH, ENT_IOB,
//! ENT_TYPE). The entity layer (see the module documentation of [`super`]) becomes `doc.ents`
//! (tokens outside entities are `O`, not missing). The spans go to the span groups of
//! [`ExportOptions::span_groups`](super::ExportOptions::span_groups): by default
//! `doc.spans["entities"]` (the entity layer, overlaps included), `doc.spans["claims"]` (the
//! claims layer) and `doc.spans["sc"]` (every span, the key spaCy's span categorizer reads).
//! `doc.user_data` holds the document's `id` and `title` (read it with
//! `DocBin(store_user_data=True)`) and the relations as the custom extension `doc._.rel`, in the
//! layout of explosion's `rel_component` tutorial: a dict keyed by (head start token, child start
//! token) with one score per relation type, 1.0 for the relation's type and 0.0 for the others
//! (only pairs that have a relation are written; the tutorial reads a missing pair as all 0.0).
//! Register it with `Doc.set_extension("rel", default={})` to read `doc._.rel`. Note that the
//! tutorial's model proposes pairs of `doc.ents`, while spantag's relations usually start at a
//! claim, which is in `doc.spans` (a span group), not in `doc.ents`. A discontinuous span is
//! written over its whole range.
//!
//! Tokens are the export tokens; the text between them is kept exactly: a single space after a
//! token is its `space` flag, any other whitespace (`"\n\n"`, double spaces, a leading line break)
//! is a whitespace token of its own ([`super::with_whitespace_tokens`]), so `doc.text` equals the
//! document text. Spans with whitespace at either end are exported trimmed to their text.
//!
//! An entity-layer span that loses an overlap is still in a span group (`entities`, `sc`) when
//! one holds it; it is then listed as a note, not as unrepresented. A span that is in neither
//! `doc.ents` nor any span group is reported as not represented.

use super::docbin::{Compression, DocBinWriter, RelScores, SpacyDoc, SpacySpan, SpacyToken};
use crate::model::SpanId;
use std::collections::{BTreeMap, HashMap};
use super::{
    Ctx, Exporter, FormatError, FormatSpec, GroupSpans, Output, Prepared, Progress, Reports,
};
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "spaCy DocBin (.spacy): entity labels as doc.ents, spans in doc.spans by layer and in doc.spans[\"sc\"]",
        extension: "spacy",
        folder: false,
        layered: false,
        scheme: false,
        entity_layer: true,
        tokens: true,
        span_groups: true,
        write: export,
        preview: describe,
        finish: None,
    }),
    import: None,
};

/// Builds the spaCy document of a prepared document.
pub(crate) fn build<'x, 'a: 'x>(
    ctx: &Ctx<'x>,
    p: &mut Prepared<'a>,
    reports: &mut Reports,
) -> SpacyDoc<'x> {
    let opts = ctx.opts;
    let groups = &opts.span_groups;
    let holds = |g: GroupSpans, entity: bool| match g {
        GroupSpans::All => true,
        GroupSpans::Entities => entity,
        GroupSpans::Claims => !entity,
    };
    // Entity-layer spans that lose an overlap are still represented when a group holds them.
    let grouped_entities = groups.iter().any(|g| holds(g.spans, true));
    let grouped_claims = groups.iter().any(|g| holds(g.spans, false));
    let ents_layer = ctx.layer_with(p, true, reports, !grouped_entities);
    p.tokens();
    let toks = p.computed_tokens();
    let text: &'x str = p.doc.text.as_str();
    // Room for whitespace tokens between the tokens too (line breaks, double spaces).
    let mut tokens: Vec<SpacyToken<'x>> = Vec::with_capacity(toks.len() + toks.len() / 4 + 8);
    let mut map: Vec<usize> = Vec::with_capacity(toks.len());
    super::with_whitespace_tokens(text, toks, |t| {
        if t.word.is_some() {
            map.push(tokens.len());
        }
        tokens.push(SpacyToken {
            text: text.get(t.bstart..t.bend).unwrap_or(""),
            space: t.space,
        });
    });
    let span = |r: &std::ops::Range<usize>, s: &'x crate::model::Span| SpacySpan {
        label: s.label.as_str(),
        start_token: map.get(r.start).copied().unwrap_or(0),
        end_token: map.get(r.end - 1).map_or(0, |x| x + 1),
        start_char: s.start,
        end_char: s.end,
    };
    let ents: Vec<SpacySpan<'x>> = ents_layer.spans.iter().map(|(r, s)| span(r, s)).collect();
    let ent_starts: Vec<(SpanId, usize)> = ents_layer
        .spans
        .iter()
        .map(|(r, s)| (s.id, span(r, s).start_token))
        .collect();
    let mut span_groups: Vec<(&'x str, Vec<SpacySpan<'x>>)> = groups
        .iter()
        .map(|g| (g.key.as_str(), Vec::new()))
        .collect();
    // The first spaCy token of each aligned span, for `doc._.rel`.
    let mut starts: HashMap<SpanId, usize> = HashMap::new();
    for &s in &p.spans {
        let entity = ctx.is_entity(&s.label);
        let Some(r) = p.token_range(s) else {
            // Entity-layer spans that do not align were reported by `layer_with`.
            if !entity {
                reports.unrepresented(p.doc, s, super::NOT_ALIGNED.to_owned());
            }
            continue;
        };
        if !entity && !grouped_claims {
            reports.unrepresented(
                p.doc,
                s,
                "not an entity label and in no span group (--span-groups)".to_owned(),
            );
            continue;
        }
        let x = span(&r, s);
        starts.insert(s.id, x.start_token);
        for (g, (_, v)) in groups.iter().zip(span_groups.iter_mut()) {
            if holds(g.spans, entity) {
                v.push(x);
            }
        }
    }
    starts.extend(ent_starts);
    let rel = rel_scores(ctx, p, &starts, reports);
    SpacyDoc {
        tokens,
        ents,
        span_groups,
        user_data: vec![("id", p.doc.id.as_str()), ("title", p.doc.title.as_str())],
        rel,
    }
}

/// `doc._.rel` of a document (see [`RelScores`]): one entry per (head start token, child start
/// token) pair that has a relation, scoring every relation type of the project (1.0 for the
/// pair's types, 0.0 for the others). Relations whose span is not in the document are reported
/// with that span; two different pairs of spans that start at the same tokens share an entry
/// (the layout has one per token pair), which is noted.
fn rel_scores<'x>(
    ctx: &Ctx<'x>,
    p: &Prepared<'x>,
    starts: &HashMap<SpanId, usize>,
    reports: &mut Reports,
) -> Vec<RelScores<'x>> {
    reports.carries_relations = true;
    if p.relations.is_empty() {
        return Vec::new();
    }
    let mut kinds: Vec<&'x str> = ctx
        .project
        .relation_types
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    for r in &p.relations {
        if !kinds.contains(&r.kind.as_str()) {
            kinds.push(r.kind.as_str());
        }
    }
    // (head, child) -> (the spans of its first relation, its relation types)
    type Pair<'x> = ((SpanId, SpanId), Vec<&'x str>);
    let mut pairs: BTreeMap<(usize, usize), Pair<'x>> = BTreeMap::new();
    let mut shared = 0;
    for r in &p.relations {
        let (Some(&h), Some(&c)) = (starts.get(&r.from), starts.get(&r.to)) else {
            continue;
        };
        reports.relations_written += 1;
        let entry = pairs
            .entry((h, c))
            .or_insert_with(|| ((r.from, r.to), Vec::new()));
        if entry.0 != (r.from, r.to) {
            shared += 1;
        }
        entry.1.push(r.kind.as_str());
    }
    if shared > 0 {
        reports.notes.push(format!(
            "document {:?}: {shared} relation(s) link spans that start at the same tokens as \
             another related pair, so they share its doc._.rel entry (keyed by start tokens)",
            p.doc.id
        ));
    }
    pairs
        .into_iter()
        .map(|((head, child), (_, types))| RelScores {
            head,
            child,
            scores: kinds
                .iter()
                .map(|k| (*k, if types.contains(k) { 1.0 } else { 0.0 }))
                .collect(),
        })
        .collect()
}

/// A readable rendering of one document for previews.
fn describe(ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    let d = build(ctx, p, reports);
    let show = |v: &[SpacySpan<'_>]| {
        v.iter()
            .map(|s| {
                let t: Vec<&str> = d
                    .tokens
                    .get(s.start_token..s.end_token)
                    .unwrap_or(&[])
                    .iter()
                    .map(|t| t.text)
                    .collect();
                format!("{} {:?}", s.label, t.join(" "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "{}: {} tokens\nents: {}",
        p.doc.id,
        d.tokens.len(),
        show(&d.ents)
    );
    for (key, v) in &d.span_groups {
        out.push_str(&format!("\nspans[{key:?}]: {}", show(v)));
    }
    out
}

fn export(
    ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    _split: Option<&str>,
    files: &mut Output,
    reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let mut w = DocBinWriter::with_threads(Compression::Fast, 1);
    // News text has about one token (words, punctuation, whitespace runs) every 3-4 bytes.
    let text_bytes: usize = docs.iter().map(|p| p.doc.text.len()).sum();
    let spans: usize = docs.iter().map(|p| p.spans.len()).sum();
    // Each span is in about two span groups (its layer's and "sc"), entities also in doc.ents.
    w.reserve(text_bytes / 3, spans * 3);
    super::each_document(docs, progress, |p| {
        let d = build(ctx, p, reports);
        w.add(&d).map_err(|e| {
            FormatError::Invalid(format!("document {:?}: .spacy writer: {e}", p.doc.id))
        })
    })?;
    let bytes = w
        .to_bytes()
        .map_err(|e| FormatError::Invalid(format!(".spacy writer: {e}")))?;
    files.add(out.to_owned(), bytes);
    Ok(())
}
