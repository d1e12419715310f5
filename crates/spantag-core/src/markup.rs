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
//! - `\[`, `\]` and `\\` stand for literal brackets and backslashes; `\#` for a `#` (written
//!   only at the start of a line, so that text cannot be mistaken for a relation line).
//! - Relations follow the text, one line each: `#4 -source-> #2` links the span named `4`
//!   (opened as `[claim#4 `) to the span named `2` with type `source`. The relation lines are
//!   the markup's trailing lines of that shape; the line break before the first is not text.
//!   A note after two spaces, `#4 -source-> #2  (accepted)`, is allowed and ignored.
//!   `spantag show` names each span of a relation by its span id:
//!
//! ```text
//! [claim#4 [actor#2 The mayor] said [number 40] jobs would go]
//! #4 -source-> #2
//! ```

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
/// Relation lines at the end are read and left out (see [`parse_document`]).
pub fn parse(markup: &str) -> Result<(String, Vec<MarkedSpan>), MarkupError> {
    let d = parse_document(markup)?;
    Ok((d.text, d.spans))
}

/// A relation read from markup: type and the positions of its spans in [`Marked::spans`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedRelation {
    pub from: usize,
    pub to: usize,
    pub kind: String,
}

/// Markup read in full: text, spans, each span's name (`[label#name `) and the relations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Marked {
    pub text: String,
    /// Sorted by start, longer first, then label.
    pub spans: Vec<MarkedSpan>,
    /// Per span, its name if it has one.
    pub names: Vec<Option<String>>,
    pub relations: Vec<MarkedRelation>,
}

/// Reads one relation line, `#from -type-> #to`, optionally followed by a note in brackets
/// after two spaces (`  (accepted)`, as `spantag show` writes a review status), which is left
/// out.
fn relation_line(line: &str) -> Option<(&str, &str, &str)> {
    let line = match line.split_once("  (") {
        Some((head, note)) if note.ends_with(')') => head,
        _ => line,
    };
    let rest = line.strip_prefix('#')?;
    let (from, rest) = rest.split_once(" -")?;
    let (kind, to) = rest.split_once("-> #")?;
    let ok = |x: &str| !x.is_empty() && !x.contains(char::is_whitespace);
    (ok(from) && ok(kind) && ok(to) && !to.contains('#')).then_some((from, kind, to))
}

/// Parses markup with its relation lines (see the module's notes).
pub fn parse_document(markup: &str) -> Result<Marked, MarkupError> {
    // The trailing relation lines.
    let mut body = markup;
    let mut lines: Vec<(&str, &str, &str)> = Vec::new();
    while let Some((before, last)) = body.rsplit_once('\n') {
        match relation_line(last) {
            Some(r) => {
                lines.push(r);
                body = before;
            }
            None => break,
        }
    }
    if let Some(r) = relation_line(body) {
        lines.push(r);
        body = "";
    }
    lines.reverse();
    let (text, named) = parse_spans(body)?;
    let mut spans = Vec::with_capacity(named.len());
    let mut names = Vec::with_capacity(named.len());
    for (m, n) in named {
        spans.push(m);
        names.push(n);
    }
    let body_len = body.chars().count();
    let mut relations = Vec::new();
    for (from, kind, to) in lines {
        let find = |name: &str| -> Result<usize, MarkupError> {
            let mut it = names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.as_deref() == Some(name));
            let err = |message: String| MarkupError {
                offset: body_len,
                message,
            };
            match (it.next(), it.next()) {
                (Some((i, _)), None) => Ok(i),
                (None, _) => Err(err(format!("relation line: no span named #{name}"))),
                (Some(_), Some(_)) => Err(err(format!("relation line: two spans named #{name}"))),
            }
        };
        relations.push(MarkedRelation {
            from: find(from)?,
            to: find(to)?,
            kind: kind.to_owned(),
        });
    }
    Ok(Marked {
        text,
        spans,
        names,
        relations,
    })
}

/// A span with its name, if it has one.
type NamedSpan = (MarkedSpan, Option<String>);

/// Parses markup without relation lines into text and spans with their names.
fn parse_spans(markup: &str) -> Result<(String, Vec<NamedSpan>), MarkupError> {
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
                if !matches!(next, '[' | ']' | '\\' | '#') {
                    return Err(err(i, "only \\[, \\], \\# and \\\\ are escapes"));
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
                let (name, start, label) = open.remove(k);
                push_span(&mut spans, start, pos, label, name).map_err(|m| err(i, m))?;
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
                let (name, start, label) =
                    open.pop().ok_or_else(|| err(i, "] without an open span"))?;
                push_span(&mut spans, start, pos, label, name).map_err(|m| err(i, m))?;
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
    spans.sort_by(|(a, _): &NamedSpan, (b, _)| {
        (a.start, b.end, &a.label).cmp(&(b.start, a.end, &b.label))
    });
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
    spans: &mut Vec<NamedSpan>,
    start: usize,
    end: usize,
    label: String,
    name: Option<String>,
) -> Result<(), &'static str> {
    if start == end {
        return Err("empty span");
    }
    spans.push((MarkedSpan { start, end, label }, name));
    Ok(())
}

/// Writes `text` with `spans` (code point ranges) as markup. Spans that are empty or out of range
/// are skipped; use [`crate::project_io::validate`] to find those.
pub fn render<'a>(text: &str, spans: impl IntoIterator<Item = (usize, usize, &'a str)>) -> String {
    render_named(text, spans.into_iter().map(|(s, e, l)| (s, e, l, None)))
}

/// Writes `text` with `spans` and `relations` as markup: the spans as [`render_named`] writes
/// them, then one line per relation, `#from -type-> #to` (names of the spans; give every span
/// a relation names a name).
pub fn render_with_relations<'a>(
    text: &str,
    spans: impl IntoIterator<Item = (usize, usize, &'a str, Option<String>)>,
    relations: impl IntoIterator<Item = (String, &'a str, String)>,
) -> String {
    let mut out = render_named(text, spans);
    for (from, kind, to) in relations {
        let _ = write!(out, "\n#{from} -{kind}-> #{to}");
    }
    out
}

/// Writes `text` with `spans` (code point ranges, each with an optional name written as
/// `[label#name `) as markup. Spans that close out of order get a name if they have none (a
/// number no other span uses). Spans that are empty or out of range are skipped.
pub fn render_named<'a>(
    text: &str,
    spans: impl IntoIterator<Item = (usize, usize, &'a str, Option<String>)>,
) -> String {
    let mut spans: Vec<(usize, usize, &str, Option<String>)> =
        spans.into_iter().filter(|(s, e, _, _)| s < e).collect();
    spans.sort_by(|a, b| (a.0, b.1, a.2).cmp(&(b.0, a.1, b.2)));
    let given: std::collections::HashSet<String> =
        spans.iter().filter_map(|s| s.3.clone()).collect();
    let plain: Vec<(usize, usize, &str)> = spans.iter().map(|s| (s.0, s.1, s.2)).collect();
    let needs_name = crossing(&plain);
    let mut ends: Vec<Vec<usize>> = Vec::new(); // by position: indices of spans ending there
    let len = text.chars().count();
    ends.resize(len + 1, Vec::new());
    for (k, (_, e, _, _)) in spans.iter().enumerate() {
        if let Some(v) = ends.get_mut(*e) {
            v.push(k);
        }
    }
    let mut out = String::with_capacity(text.len() + spans.len() * 10);
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    let mut names = 0usize;
    let mut name_of: Vec<String> = vec![String::new(); spans.len()];
    let chars: Vec<char> = text.chars().collect();
    let mut line_start = true;
    for (pos, ending) in ends.iter().enumerate() {
        close_at(&mut out, &mut stack, ending, &name_of);
        while let Some((s, _, label, name)) = spans.get(next) {
            if *s != pos {
                break;
            }
            let name = match name {
                Some(n) => Some(n.clone()),
                None if needs_name[next] => loop {
                    names += 1;
                    let n = names.to_string();
                    if !given.contains(&n) {
                        break Some(n);
                    }
                },
                None => None,
            };
            match name {
                Some(n) => {
                    let _ = write!(out, "[{label}#{n} ");
                    name_of[next] = n;
                }
                None => {
                    let _ = write!(out, "[{label} ");
                }
            }
            stack.push(next);
            next += 1;
        }
        if let Some(&c) = chars.get(pos) {
            if matches!(c, '[' | ']' | '\\') || (c == '#' && line_start) {
                out.push('\\');
            }
            out.push(c);
            line_start = c == '\n';
        }
    }
    out
}

/// Closes the spans in `ending` (all end here): innermost ones with `]`, buried ones by name.
fn close_at(out: &mut String, stack: &mut Vec<usize>, ending: &[usize], name_of: &[String]) {
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

/// Builds a project from `(document id, markup)` pairs: the default labels (and relation types)
/// plus any other label or relation type the markup uses (a new type allows any labels); spans
/// and relations by `author` at `created`. Used by tests and the sample project.
pub fn project_from_markup(
    name: &str,
    docs: &[(&str, &str)],
    author: &str,
    created: crate::time::Timestamp,
) -> Result<crate::model::Project, MarkupError> {
    use crate::model::{
        Document, Label, Project, Relation, RelationId, RelationType, Source, Span, SpanId, Status,
        content_hash,
    };
    let mut project = Project::new(name, &crate::model::DEFAULT_LABELS);
    let mut next = 1;
    let mut next_relation = 1;
    for (id, markup) in docs {
        let Marked {
            text,
            spans,
            relations,
            ..
        } = parse_document(markup)?;
        let title = text.lines().next().unwrap_or_default().trim().to_owned();
        let source = Source {
            path: None,
            hash: content_hash(&text),
            encoding: "UTF-8".into(),
            line_endings: crate::model::LineEndings::Lf,
        };
        let mut doc = Document::new((*id).to_owned(), title, text, source);
        let first_id = next;
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
        for r in relations {
            if project.relation_type(&r.kind).is_none() {
                let i = project.relation_types.len();
                project.relation_types.push(RelationType::any(&r.kind, i));
            }
            doc.relations.push(Relation {
                id: RelationId(next_relation),
                from: SpanId(first_id + r.from as u64),
                to: SpanId(first_id + r.to as u64),
                kind: r.kind,
                author: author.to_owned(),
                created,
                status: Status::Pending,
                review: None,
                note: None,
                proposed_by: Vec::new(),
            });
            next_relation += 1;
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
    fn relations_round_trip_through_markup() {
        let text = "#1 ok\nThe mayor said Zoë \u{1F600} left.\n#2 -x-> #3";
        let spans = [
            (6, 43, "claim", Some("4".to_owned())),
            (6, 15, "actor", Some("2".to_owned())),
            (21, 24, "actor", None),
        ];
        let m = render_with_relations(
            text,
            spans.iter().map(|(s, e, l, n)| (*s, *e, *l, n.clone())),
            [("4".to_owned(), "source", "2".to_owned())],
        );
        assert_eq!(
            m,
            "\\#1 ok\n[claim#4 [actor#2 The mayor] said [actor Zoë] \u{1F600} left.\n\\#2 -x-> #3]\n#4 -source-> #2"
        );
        let d = parse_document(&m).unwrap();
        assert_eq!(d.text, text);
        assert_eq!(d.spans.len(), 3);
        assert_eq!(
            d.relations,
            vec![MarkedRelation {
                from: 0,
                to: 1,
                kind: "source".into()
            }]
        );
        assert_eq!(d.names[0].as_deref(), Some("4"));
        // Unknown and ambiguous names are errors; parse() leaves the relation lines out.
        assert!(parse_document("[claim#a x] [actor#b y]\n#a -source-> #c").is_err());
        assert!(parse_document("[claim#a x] [actor#a y]\n#a -source-> #a").is_err());
        assert_eq!(parse(&m).map(|p| p.0), Ok(text.to_owned()));
        // A project built from it has the relation between the right spans.
        let p = project_from_markup(
            "p",
            &[(
                "d",
                "[claim#c [actor#a Ana] said so]\n#c -source-> #a\n#c -topic-> #a",
            )],
            "ana",
            crate::time::Timestamp(0),
        )
        .unwrap();
        let d = &p.documents[0];
        let r = &d.relations[0];
        assert_eq!(d.span(r.from).map(|s| s.label.as_str()), Some("claim"));
        assert_eq!(d.span(r.to).map(|s| s.text.as_str()), Some("Ana"));
        assert!(
            p.relation_type("topic")
                .is_some_and(|t| t.from_labels.is_empty())
        );
        assert_eq!(p.next_relation_id, 3);
    }

    #[test]
    fn same_range_two_labels() {
        let m = render("ab", [(0, 2, "b"), (0, 2, "a")]);
        assert_eq!(m, "[a [b ab]]");
        assert_eq!(parse(&m).map(|p| p.1.len()), Ok(2));
    }
}
