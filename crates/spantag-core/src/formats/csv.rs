//! CSV, one row per span: `document,start,end,label,text,author,status,note,id` (RFC 4180
//! quoting, code point offsets, UTF-8 without BOM; `id` is spantag's span id). A discontinuous
//! span is one row over its whole range.
//!
//! Relations go to a second file beside it, `NAME.relations.csv`, one row per relation:
//! `document,id,type,from,to,from_text,to_text,author,status,note`, where `from` and `to` are the
//! `id`s of its two spans in the spans file. It is written only when the export has relations.
//! `--out -` writes the span rows only; the summary says how many relations that left out.
//!
//! Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return as a formula. Such text cells get a leading `'` (the OWASP advice), which
//! spreadsheets show as text; the offsets still refer to the unprefixed text.

use super::{Ctx, Exporter, FormatError, FormatSpec, Output, Prepared, Progress, Reports};
use std::fmt::Write as _;
use std::path::Path;

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "One row per span; safe to open in a spreadsheet",
        extension: "csv",
        folder: false,
        layered: false,
        scheme: false,
        entity_layer: false,
        tokens: false,
        span_groups: false,
        write: export,
        preview,
        finish: None,
    }),
    import: None,
};

/// The header row.
pub const HEADER: &str = "document,start,end,label,text,author,status,note,id\n";

/// The header row of the relations file.
pub const RELATIONS_HEADER: &str = "document,id,type,from,to,from_text,to_text,author,status,note\n";

/// A text cell made safe for spreadsheets and quoted when needed.
pub fn cell(s: &str, out: &mut String) {
    let risky = s
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let quote = risky || s.contains([',', '"', '\n', '\r']) || s.starts_with(' ');
    if quote {
        out.push('"');
    }
    if risky {
        out.push('\'');
    }
    for c in s.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

/// The rows of one document (no header).
fn preview(_ctx: &Ctx<'_>, p: &mut Prepared<'_>, _reports: &mut Reports) -> String {
    let mut s = String::new();
    write_rows(p, &mut s);
    s
}

fn write_rows(p: &Prepared<'_>, out: &mut String) {
    for sp in &p.spans {
        cell(&p.doc.id, out);
        let _ = write!(out, ",{},{},", sp.start, sp.end);
        cell(&sp.label, out);
        out.push(',');
        cell(&sp.text, out);
        out.push(',');
        cell(&sp.author, out);
        out.push(',');
        out.push_str(sp.status.name());
        out.push(',');
        cell(sp.note.as_deref().unwrap_or(""), out);
        let _ = writeln!(out, ",{}", sp.id);
    }
}

/// The relation rows of one document (no header); returns how many.
fn write_relations(p: &Prepared<'_>, out: &mut String) -> usize {
    let text = |id| p.doc.span(id).map_or("", |s| s.text.as_str());
    for r in &p.relations {
        cell(&p.doc.id, out);
        let _ = write!(out, ",{},", r.id);
        cell(&r.kind, out);
        let _ = write!(out, ",{},{},", r.from, r.to);
        cell(text(r.from), out);
        out.push(',');
        cell(text(r.to), out);
        out.push(',');
        cell(&r.author, out);
        out.push(',');
        out.push_str(r.status.name());
        out.push(',');
        cell(r.note.as_deref().unwrap_or(""), out);
        out.push('\n');
    }
    p.relations.len()
}

fn export(
    _ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    _split: Option<&str>,
    files: &mut Output,
    reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let mut s = String::from(HEADER);
    let mut rel = String::from(RELATIONS_HEADER);
    let mut relations = 0;
    for p in docs.iter() {
        write_rows(p, &mut s);
        relations += write_relations(p, &mut rel);
        progress.tick()?;
    }
    files.add(out.to_owned(), s.into_bytes());
    if out == Path::new("-") {
        // Standard output takes one file: the spans. The summary counts the relations left out.
        reports.no_relations = Some(
            "csv to standard output writes the span rows only (relations go to \
             NAME.relations.csv beside a file named with --out)",
        );
        return Ok(());
    }
    reports.carries_relations = true;
    if relations > 0 {
        reports.relations_written += relations;
        files.add(
            super::companion(out, "relations", "csv"),
            rel.into_bytes(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        let c = |s: &str| {
            let mut o = String::new();
            cell(s, &mut o);
            o
        };
        assert_eq!(c("plain"), "plain");
        assert_eq!(c("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(c("@x"), "\"'@x\"");
        assert_eq!(c("-3"), "\"'-3\"");
        assert_eq!(c("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(c("line\nbreak"), "\"line\nbreak\"");
    }
}
