//! A readable inline markup for spans, used by `spantag show`, by test fixtures and by the sample
//! articles:
//!
//! ```text
//! [claim [actor The mayor] of [place Springfield] said [number 40] jobs would go]
//! ```
//!
//! - `[label ` opens a span (the single space after the label is markup), `]` closes the innermost
//!   open span. Spans nest freely.
//! - Crossing spans (overlapping without nesting) name the span that closes out of order:
//!   `[claim#1 ` opens it and `[/1]` closes it, wherever it is in the stack.
//! - `\[`, `\]` and `\\` stand for literal brackets and backslashes.

use std::fmt::Write as _;
use std::sync::Arc;
use thiserror::Error;

/// A span read from or written as markup: code point range and label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MarkedSpan {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

/// A markup syntax error at a code point offset of the markup.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("markup error at character {offset}: {message}")]
pub struct MarkupError {
    pub offset: usize,
    pub message: String,
}

/// Parses markup into plain text and spans (spans sorted by start, longer first, then label).
pub fn parse(markup: &str) -> Result<(String, Vec<MarkedSpan>), MarkupError> {
    let chars: Vec<char> = markup.chars().collect();
    let mut text = String::with_capacity(markup.len());
    let mut pos = 0usize; // code points written to `text`
    let mut open: Vec<(Option<String>, usize, String)> = Vec::new(); // (name, start, label)
    let mut spans = Vec::new();
    let err = |offset: usize, message: &str| MarkupError {
        offset,
        message: message.to_owned(),
    };
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                let next = *chars
                    .get(i + 1)
                    .ok_or_else(|| err(i, "a backslash at the end"))?;
                if !matches!(next, '[' | ']' | '\\') {
                    return Err(err(i, "only \\[, \\] and \\\\ are escapes"));
                }
                text.push(next);
                pos += 1;
                i += 2;
            }
            '[' if chars.get(i + 1) == Some(&'/') => {
                let close = find(&chars, i + 2, ']').ok_or_else(|| err(i, "unclosed [/name]"))?;
                let name: String = chars[i + 2..close].iter().collect();
                let k = open
                    .iter()
                    .rposition(|(n, _, _)| n.as_deref() == Some(name.as_str()))
                    .ok_or_else(|| err(i, &format!("no open span named {name:?}")))?;
                let (_, start, label) = open.remove(k);
                push_span(&mut spans, start, pos, label).map_err(|m| err(i, m))?;
                i = close + 1;
            }
            '[' => {
                let space = find(&chars, i + 1, ' ')
                    .ok_or_else(|| err(i, "a label must be followed by a space"))?;
                let head: String = chars[i + 1..space].iter().collect();
                if head.is_empty() || head.contains([']', '[', '\n']) {
                    return Err(err(i, "expected [label followed by a space"));
                }
                let (label, name) = match head.split_once('#') {
                    Some((l, n)) => (l.to_owned(), Some(n.to_owned())),
                    None => (head, None),
                };
                open.push((name, pos, label));
                i = space + 1;
            }
            ']' => {
                let (_, start, label) =
                    open.pop().ok_or_else(|| err(i, "] without an open span"))?;
                push_span(&mut spans, start, pos, label).map_err(|m| err(i, m))?;
                i += 1;
            }
            _ => {
                text.push(c);
                pos += 1;
                i += 1;
            }
        }
    }
    if let Some((_, start, label)) = open.last() {
        return Err(err(
            chars.len(),
            &format!("the {label} span opened at text offset {start} is not closed"),
        ));
    }
    spans.sort_by(|a: &MarkedSpan, b| (a.start, b.end, &a.label).cmp(&(b.start, a.end, &b.label)));
    Ok((text, spans))
}

fn find(chars: &[char], from: usize, target: char) -> Option<usize> {
    chars
        .get(from..)?
        .iter()
        .position(|&c| c == target)
        .map(|k| from + k)
}

fn push_span(
    spans: &mut Vec<MarkedSpan>,
    start: usize,
    end: usize,
    label: String,
) -> Result<(), &'static str> {
    if start == end {
        return Err("empty span");
    }
    spans.push(MarkedSpan { start, end, label });
    Ok(())
}

/// Writes `text` with `spans` (code point ranges) as markup. Spans that are empty or out of range
/// are skipped; use [`crate::project_io::validate`] to find those.
pub fn render<'a>(text: &str, spans: impl IntoIterator<Item = (usize, usize, &'a str)>) -> String {
    let mut spans: Vec<(usize, usize, &str)> =
        spans.into_iter().filter(|&(s, e, _)| s < e).collect();
    spans.sort_by(|a, b| (a.0, b.1, a.2).cmp(&(b.0, a.1, b.2)));
    let needs_name = crossing(&spans);
    let mut ends: Vec<Vec<usize>> = Vec::new(); // by position: indices of spans ending there
    let len = text.chars().count();
    ends.resize(len + 1, Vec::new());
    for (k, &(_, e, _)) in spans.iter().enumerate() {
        if let Some(v) = ends.get_mut(e) {
            v.push(k);
        }
    }
    let mut out = String::with_capacity(text.len() + spans.len() * 10);
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    let mut names = 0;
    let mut name_of = vec![0usize; spans.len()];
    let chars: Vec<char> = text.chars().collect();
    for (pos, ending) in ends.iter().enumerate() {
        close_at(&mut out, &mut stack, ending, &name_of);
        while let Some(&(s, _, label)) = spans.get(next) {
            if s != pos {
                break;
            }
            if needs_name[next] {
                names += 1;
                name_of[next] = names;
                let _ = write!(out, "[{label}#{names} ");
            } else {
                let _ = write!(out, "[{label} ");
            }
            stack.push(next);
            next += 1;
        }
        if let Some(&c) = chars.get(pos) {
            if matches!(c, '[' | ']' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Closes the spans in `ending` (all end here): innermost ones with `]`, buried ones by name.
fn close_at(out: &mut String, stack: &mut Vec<usize>, ending: &[usize], name_of: &[usize]) {
    if ending.is_empty() {
        return;
    }
    while let Some(&top) = stack.last() {
        if !ending.contains(&top) {
            break;
        }
        out.push(']');
        stack.pop();
    }
    stack.retain(|k| {
        if ending.contains(k) {
            let _ = write!(out, "[/{}]", name_of[*k]);
            false
        } else {
            true
        }
    });
}

/// Which spans (sorted by start, longer first) close while a span opened after them is open.
fn crossing(spans: &[(usize, usize, &str)]) -> Vec<bool> {
    let mut needs = vec![false; spans.len()];
    let mut stack: Vec<usize> = Vec::new();
    // Simulate: events sorted by position, closings before openings.
    let mut events: Vec<(usize, u8, usize)> = Vec::with_capacity(spans.len() * 2);
    for (k, &(s, e, _)) in spans.iter().enumerate() {
        events.push((s, 1, k));
        events.push((e, 0, k));
    }
    events.sort();
    let mut i = 0;
    while i < events.len() {
        let (p, kind, _) = events[i];
        let j = events[i..]
            .iter()
            .position(|&(q, kd, _)| q != p || kd != kind)
            .map_or(events.len(), |n| i + n);
        if kind == 0 {
            let ending: Vec<usize> = events[i..j].iter().map(|e| e.2).collect();
            while stack.last().is_some_and(|t| ending.contains(t)) {
                stack.pop();
            }
            stack.retain(|k| {
                if ending.contains(k) {
                    needs[*k] = true;
                    false
                } else {
                    true
                }
            });
        } else {
            stack.extend(events[i..j].iter().map(|e| e.2));
        }
        i = j;
    }
    needs
}

/// Builds a project from `(document id, markup)` pairs: the default labels plus any other label
/// the markup uses; spans by `author` at `created`. Used by tests and the sample project.
pub fn project_from_markup(
    name: &str,
    docs: &[(&str, &str)],
    author: &str,
    created: crate::time::Timestamp,
) -> Result<crate::model::Project, MarkupError> {
    use crate::model::{Document, Label, Project, Source, Span, SpanId, Status, content_hash};
    let mut project = Project::new(name, &crate::model::DEFAULT_LABELS);
    let mut next = 1;
    for (id, markup) in docs {
        let (text, spans) = parse(markup)?;
        let title = text.lines().next().unwrap_or_default().trim().to_owned();
        let source = Source {
            path: None,
            hash: content_hash(&text),
            encoding: "UTF-8".into(),
            line_endings: crate::model::LineEndings::Lf,
        };
        let mut doc = Document::new((*id).to_owned(), title, text, source);
        for m in spans {
            if project.label(&m.label).is_none() {
                let i = project.labels.len();
                project.labels.push(Label::with_defaults(&m.label, i));
            }
            let text = doc.slice(m.start, m.end).unwrap_or_default().to_owned();
            doc.spans.push(Span {
                id: SpanId(next),
                start: m.start,
                end: m.end,
                label: m.label,
                text,
                author: author.to_owned(),
                created,
                status: Status::Pending,
                review: None,
                note: None,
                proposed_by: Vec::new(),
                fragments: Vec::new(),
            });
            next += 1;
        }
        doc.sort_spans();
        project.documents.push(Arc::new(doc));
    }
    project.normalize();
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(v: &[(usize, usize, &str)]) -> Vec<MarkedSpan> {
        v.iter()
            .map(|&(start, end, l)| MarkedSpan {
                start,
                end,
                label: l.into(),
            })
            .collect()
    }

    #[test]
    fn parses_nested() {
        let (text, s) =
            parse("[claim [actor The mayor] of [place Springfield] said]").unwrap_or_default();
        assert_eq!(text, "The mayor of Springfield said");
        assert_eq!(
            s,
            spans(&[(0, 29, "claim"), (0, 9, "actor"), (13, 24, "place")])
        );
    }

    #[test]
    fn crossing_round_trip() {
        let text = "aa bb cc dd";
        let sp = [(0, 5, "claim"), (3, 8, "place"), (3, 5, "actor")];
        let m = render(text, sp.iter().map(|&(s, e, l)| (s, e, l)));
        assert_eq!(m, "[claim#1 aa [place [actor bb][/1] cc] dd");
        let (t2, s2) = parse(&m).unwrap_or_default();
        assert_eq!(t2, text);
        assert_eq!(
            s2,
            spans(&[(0, 5, "claim"), (3, 8, "place"), (3, 5, "actor")])
        );
    }

    #[test]
    fn escapes_and_errors() {
        let m = render("a [b] \\ c", [(0, 1, "x")]);
        assert_eq!(m, "[x a] \\[b\\] \\\\ c");
        assert_eq!(parse(&m).map(|p| p.0), Ok("a [b] \\ c".to_owned()));
        assert!(parse("[actor x").is_err());
        assert!(parse("x]").is_err());
        assert!(parse("[actor ]").is_err());
        assert!(parse("[/q]").is_err());
        assert!(parse("\\n").is_err());
    }

    #[test]
    fn same_range_two_labels() {
        let m = render("ab", [(0, 2, "b"), (0, 2, "a")]);
        assert_eq!(m, "[a [b ab]]");
        assert_eq!(parse(&m).map(|p| p.1.len()), Ok(2));
    }
}
