//! CSV, one row per span: `document,start,end,label,text,author,status,note` (RFC 4180 quoting,
//! code point offsets, UTF-8 without BOM).
//!
//! Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return as a formula. Such text cells get a leading `'` (the OWASP advice), which
//! spreadsheets show as text; the offsets still refer to the unprefixed text.

use super::{Ctx, Exporter, FormatError, FormatSpec, Output, Prepared, Progress, Reports};
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
pub const HEADER: &str = "document,start,end,label,text,author,status,note\n";

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
    use std::fmt::Write as _;
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
        out.push('\n');
    }
}

fn export(
    _ctx: &Ctx<'_>,
    docs: &mut [Prepared<'_>],
    out: &Path,
    _split: Option<&str>,
    files: &mut Output,
    _reports: &mut Reports,
    progress: &Progress,
) -> Result<(), FormatError> {
    let mut s = String::from(HEADER);
    for p in docs.iter() {
        write_rows(p, &mut s);
        progress.tick()?;
    }
    files.add(out.to_owned(), s.into_bytes());
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
