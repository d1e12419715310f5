//! spaCy DocBin (`.spacy`), written natively with [`super::docbin`] (attributes ORTH, ENT_IOB,
//! ENT_TYPE). The entity layer (see the module documentation of [`super`]) becomes `doc.ents`
//! (tokens outside entities are `O`, not missing); every exported span is in `doc.spans["sc"]`.
//!
//! Tokens are the export tokens; the text between them is kept exactly: a single space after a
//! token is its `space` flag, any other whitespace (`"\n\n"`, double spaces, a leading line break)
//! is a whitespace token of its own, so `doc.text` equals the document text.
//!
//! An entity-layer span that loses an overlap is still in `doc.spans["sc"]`; it is listed as a note,
//! not as unrepresented.

use super::docbin::{Compression, DocBinWriter, SpacyDoc, SpacySpan, SpacyToken};
use super::{Ctx, Exporter, FormatError, FormatSpec, Output, Prepared, Progress, Reports};
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "spaCy DocBin (.spacy): entity labels as doc.ents, every span in doc.spans[\"sc\"]",
        extension: "spacy",
        folder: false,
        layered: false,
        scheme: false,
        entity_layer: true,
        write: export,
        preview: describe,
        finish: None,
    }),
    import: None,
};

/// Builds the spaCy document of a prepared document.
pub(crate) fn build<'a>(
    ctx: &Ctx<'_>,
    p: &mut Prepared<'a>,
    reports: &mut Reports,
) -> SpacyDoc<'a> {
    let ents_layer = ctx.layer_with(p, true, reports, false);
    p.tokens();
    let toks = p.computed_tokens();
    let text: &'a str = p.doc.text.as_str();
    // Room for whitespace tokens between the tokens too (line breaks, double spaces).
    let mut tokens: Vec<SpacyToken<'a>> = Vec::with_capacity(toks.len() + toks.len() / 4 + 8);
    let mut map: Vec<usize> = Vec::with_capacity(toks.len());
    let first = toks.first().map_or(text.len(), |t| t.bstart);
    if first > 0 {
        tokens.push(SpacyToken {
            text: text.get(..first).unwrap_or(""),
            space: false,
        });
    }
    for (i, t) in toks.iter().enumerate() {
        map.push(tokens.len());
        tokens.push(SpacyToken {
            text: text.get(t.bstart..t.bend).unwrap_or(""),
            space: false,
        });
        let gap_end = toks.get(i + 1).map_or(text.len(), |n| n.bstart);
        let gap = text.get(t.bend..gap_end).unwrap_or("");
        if gap.is_empty() {
            continue;
        }
        let rest = match gap.strip_prefix(' ') {
            Some(r) => {
                if let Some(last) = tokens.last_mut() {
                    last.space = true;
                }
                r
            }
            None => gap,
        };
        if !rest.is_empty() {
            tokens.push(SpacyToken {
                text: rest,
                space: false,
            });
        }
    }
    let span = |r: &std::ops::Range<usize>, s: &'a crate::model::Span| SpacySpan {
        label: s.label.as_str(),
        start_token: map.get(r.start).copied().unwrap_or(0),
        end_token: map.get(r.end - 1).map_or(0, |x| x + 1),
        start_char: s.start,
        end_char: s.end,
    };
    let ents: Vec<SpacySpan<'a>> = ents_layer.spans.iter().map(|(r, s)| span(r, s)).collect();
    let mut sc = Vec::with_capacity(p.spans.len());
    for &s in &p.spans {
        match p.token_range(s) {
            Some(r) => sc.push(span(&r, s)),
            None => reports.unrepresented(p.doc, s, super::NOT_ALIGNED.to_owned()),
        }
    }
    SpacyDoc {
        tokens,
        ents,
        span_groups: vec![("sc", sc)],
    }
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
    let sc = d
        .span_groups
        .first()
        .map(|(_, v)| show(v))
        .unwrap_or_default();
    format!(
        "{}: {} tokens\nents: {}\nspans[\"sc\"]: {}",
        p.doc.id,
        d.tokens.len(),
        show(&d.ents),
        sc
    )
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
    w.reserve(text_bytes / 3, spans * 2);
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
