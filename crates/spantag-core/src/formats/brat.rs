//! brat standoff: a folder with `DOC.txt` (the text, UTF-8, unchanged) and `DOC.ann` per document
//! plus `annotation.conf`. `DOC` is the document id with characters other than letters, digits,
//! `-`, `_` and `.` replaced by `_` and leading dots removed ([`file_stem`]); an id longer than
//! 120 bytes is cut to 103 bytes followed by `-` and the 16 hex digits of its FNV-1a hash, so
//! every file name stays well below the 255-byte limit of file systems; Windows device names
//! (`CON`, `NUL`, `COM1`, ...) get a `_`. Stems that are still equal (ignoring case) get `_2`,
//! `_3`, ... in document order. The same ids always give the same names. Offsets are code points.
//!
//! brat is line based, so a span that crosses a line break is written as a discontinuous
//! annotation whose fragments are the span's pieces between the `\n` characters
//! (`T3<TAB>claim 0 12;13 20<TAB>first line second`); import joins fragments back into one piece
//! when only line breaks lie between them. A discontinuous span (one with
//! [`fragments`](crate::model::Span::fragments)) is written with its pieces as fragments
//! (`T1<TAB>actor 0 5;9 14<TAB>Maria Lopez`) and read back as one span with those fragments.
//! Relations are `R` lines, the first argument the relation's first span (the head, e.g. the
//! claim): `R1<TAB>source Arg1:T3 Arg2:T1`; `annotation.conf` lists each relation type with the
//! labels its ends allow. Notes of spans and relations become `AnnotatorNotes` (line breaks and
//! tabs in a note are written as spaces, and reported).
//!
//! Import reads `.ann` files (or folders of them, recursively) with the `.txt` beside them.
//! Notes (`#` lines of any type, in any order) attach to the span or relation they name (a type
//! other than `AnnotatorNotes` is kept at the start of the note: `Comment: check`). Relation
//! types the project lacks are added, allowing any labels, and reported. Events, attributes,
//! normalisations and equivalences (`*` lines, symmetric sets of any size) are reported as not
//! kept (exit code 1), as are relations with an argument that is not a text-bound annotation.

use super::{
    Ctx, Exporter, Extras, FormatError, FormatSpec, ImportProblem, Importer, Input, Output, Parsed,
    Prepared, Progress, RawRelation, RawSpan, Record, Reports, io_err,
};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub(crate) static FORMAT: FormatSpec = FormatSpec {
    export: Some(Exporter {
        description: "A folder with DOC.txt and DOC.ann per document and annotation.conf",
        extension: "",
        folder: true,
        layered: false,
        scheme: false,
        entity_layer: false,
        tokens: false,
        span_groups: false,
        write: export,
        preview,
        finish: None,
    }),
    import: Some(Importer {
        description: "brat standoff: a folder of .txt and .ann files",
        offsets: None,
        input: Input::Folder,
        read: parse_path,
    }),
};

/// Longest file stem [`file_stem`] returns (bytes) before a uniqueness suffix.
const MAX_STEM: usize = 120;

/// A file-name-safe stem for a document id (see the module documentation): deterministic, at
/// most 120 bytes, no path separators or other unsafe characters.
pub fn file_stem(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut s = match safe.trim_start_matches('.') {
        "" => "doc".to_owned(),
        t => t.to_owned(),
    };
    let device = s.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(device.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (device.len() == 4
            && (device.starts_with("COM") || device.starts_with("LPT"))
            && device.ends_with(|c: char| ('1'..='9').contains(&c)));
    if reserved {
        // After the device name: `COM3.txt` is as reserved as `COM3`.
        s.insert(device.len(), '_');
    }
    if s.len() > MAX_STEM {
        let hash = crate::model::content_hash(id);
        let hex = hash.rsplit(':').next().unwrap_or("");
        let mut cut = MAX_STEM - 1 - hex.len();
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s = format!("{}-{hex}", &s[..cut]);
    }
    s
}

/// The `.ann` content of one document.
fn preview(_ctx: &Ctx<'_>, p: &mut Prepared<'_>, reports: &mut Reports) -> String {
    ann(p, reports)
}

/// A note as one line: line breaks and tabs become spaces (reported).
fn flat_note(note: &str, what: &str, p: &Prepared<'_>, reports: &mut Reports) -> String {
    let flat: String = note
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if flat != *note {
        reports.notes.push(format!(
            "document {:?}, {what}: note written with its line breaks and tabs as spaces",
            p.doc.id
        ));
    }
    flat
}

/// The `.ann` content of one document: `T` lines (a discontinuous span's pieces, and every
/// piece split at its line breaks, as fragments), `R` lines for its relations, and
/// `AnnotatorNotes` for the notes of both.
fn ann(p: &Prepared<'_>, reports: &mut Reports) -> String {
    let mut out = String::new();
    let mut t = 0;
    let mut notes = 0;
    let text = p.doc.text.as_str();
    let mut cur = super::CharCursor::new(text);
    let mut t_of: HashMap<crate::model::SpanId, usize> = HashMap::new();
    for s in &p.spans {
        // Fragments: the span's pieces, each split at its line breaks.
        let mut frags: Vec<(usize, usize, &str)> = Vec::new();
        let mut fits = true;
        for (a, b) in s.pieces() {
            let (Some(b0), Some(b1)) = (cur.byte(a), cur.byte(b)) else {
                fits = false;
                break;
            };
            let covered = text.get(b0..b1).unwrap_or("");
            if !s.fragments.is_empty() && (covered.starts_with('\n') || covered.ends_with('\n')) {
                reports.notes.push(format!(
                    "document {:?}, span {}: a fragment begins or ends with a line break, which \
                     brat cannot annotate; it was written without it",
                    p.doc.id, s.id
                ));
            }
            let mut ch = a;
            for piece in covered.split('\n') {
                let n = piece.chars().count();
                if n > 0 {
                    frags.push((ch, ch + n, piece));
                }
                ch += n + 1;
            }
        }
        if !fits {
            reports.unrepresented(p.doc, s, "offsets out of range".into());
            continue;
        }
        if frags.is_empty() {
            reports.unrepresented(
                p.doc,
                s,
                "covers only line breaks, which brat cannot annotate".into(),
            );
            continue;
        }
        t += 1;
        t_of.insert(s.id, t);
        let _ = write!(out, "T{t}\t{} ", s.label);
        for (k, (a, b, _)) in frags.iter().enumerate() {
            if k > 0 {
                out.push(';');
            }
            let _ = write!(out, "{a} {b}");
        }
        out.push('\t');
        for (k, (_, _, piece)) in frags.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            out.push_str(piece);
        }
        out.push('\n');
        if let Some(note) = &s.note {
            notes += 1;
            let flat = flat_note(note, &format!("span {}", s.id), p, reports);
            let _ = writeln!(out, "#{notes}\tAnnotatorNotes T{t}\t{flat}");
        }
    }
    reports.carries_relations = true;
    reports.carries_fragments = true;
    let mut r = 0;
    for rel in &p.relations {
        // A relation whose span could not be written is reported with that span.
        let (Some(a), Some(b)) = (t_of.get(&rel.from), t_of.get(&rel.to)) else {
            continue;
        };
        r += 1;
        reports.relations_written += 1;
        let _ = writeln!(out, "R{r}\t{} Arg1:T{a} Arg2:T{b}", rel.kind);
        if let Some(note) = &rel.note {
            notes += 1;
            let flat = flat_note(note, &format!("relation {}", rel.id), p, reports);
            let _ = writeln!(out, "#{notes}\tAnnotatorNotes R{r}\t{flat}");
        }
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
    if out.is_file() {
        return Err(FormatError::Invalid(format!(
            "{} is a file; brat exports to a folder",
            out.display()
        )));
    }
    let mut used: HashSet<String> = HashSet::new();
    for p in docs.iter() {
        let base = file_stem(&p.doc.id);
        let mut stem = base.clone();
        let mut k = 2;
        while !used.insert(stem.to_lowercase()) {
            stem = format!("{base}_{k}");
            k += 1;
        }
        if stem != p.doc.id {
            reports.notes.push(format!(
                "document {:?} written as {stem}.txt / {stem}.ann",
                p.doc.id
            ));
        }
        files.add(
            out.join(format!("{stem}.txt")),
            p.doc.text.clone().into_bytes(),
        );
        files.add(
            out.join(format!("{stem}.ann")),
            ann(p, reports).into_bytes(),
        );
        progress.tick()?;
    }
    let mut conf = String::from("[entities]\n");
    let mut labels: Vec<String> = ctx.layer_labels(true);
    labels.extend(ctx.layer_labels(false));
    for l in labels {
        let _ = writeln!(conf, "{l}");
    }
    conf.push_str("\n[relations]\n");
    // Each relation type with the labels its ends allow (`<ENTITY>`: any).
    let ends = |v: &[String]| {
        if v.is_empty() {
            "<ENTITY>".to_owned()
        } else {
            v.join("|")
        }
    };
    for rt in &ctx.project.relation_types {
        let _ = writeln!(
            conf,
            "{}\tArg1:{}, Arg2:{}",
            rt.name,
            ends(&rt.from_labels),
            ends(&rt.to_labels)
        );
    }
    conf.push_str("\n[events]\n\n[attributes]\n");
    files.add(out.join("annotation.conf"), conf.into_bytes());
    Ok(())
}

/// Reads `.ann` files: `path` is a folder (searched recursively), an `.ann` or a `.txt` file.
/// Anything else is refused (naming what it looks like), and so is a folder without `.ann` files;
/// `.txt` files in a folder without an `.ann` beside them are reported as not imported.
fn parse_path(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let mut anns = Vec::new();
    let mut orphans = Vec::new();
    if path.is_dir() {
        collect(path, &mut anns, &mut orphans)?;
        if anns.is_empty() {
            let more = if orphans.is_empty() {
                String::new()
            } else {
                format!(
                    "; it has {} .txt file(s) without annotations (articles: add them with \
                     `spantag add`)",
                    orphans.len()
                )
            };
            return Err(FormatError::Invalid(format!(
                "{}: no .ann files found (brat standoff is a folder of DOC.txt and DOC.ann \
                 files){more}. Nothing was imported.",
                path.display()
            )));
        }
    } else if path.extension().is_some_and(|x| x == "ann") {
        anns.push(path.to_owned());
    } else {
        let ann = path.with_extension("ann");
        let is_txt = path.extension().is_some_and(|x| x == "txt");
        if is_txt && ann.is_file() {
            anns.push(ann);
        } else {
            let text = super::read_text(path, parsed.max_bytes)?;
            let why = if is_txt {
                format!("there is no {} beside it", ann.display())
            } else {
                "brat standoff is a folder of DOC.txt and DOC.ann files, or .ann files".into()
            };
            return Err(super::sniff::wrong_format(
                path,
                super::Format::Brat,
                &why,
                &text,
            ));
        }
    }
    for o in orphans {
        parsed.not_kept(
            ".txt files without an .ann file".into(),
            "brat documents are DOC.txt with DOC.ann; add plain articles with `spantag add`",
            &o.display().to_string(),
            1,
        );
    }
    for a in anns {
        parse_ann(&a, parsed)?;
    }
    Ok(())
}

/// The `.ann` files under a folder, and the `.txt` files that have none beside them.
fn collect(dir: &Path, anns: &mut Vec<PathBuf>, orphans: &mut Vec<PathBuf>) -> Result<(), FormatError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect(&e, anns, orphans)?;
        } else if e.extension().is_some_and(|x| x == "ann") {
            anns.push(e);
        } else if e.extension().is_some_and(|x| x == "txt") && !e.with_extension("ann").is_file() {
            orphans.push(e);
        }
    }
    Ok(())
}

/// What an annotation id's first character makes it, and why spantag cannot keep it.
fn kind_of(id: &str) -> (&'static str, &'static str) {
    match id.chars().next() {
        Some('E') => (
            "events (their trigger spans are imported)",
            "spantag has no events yet",
        ),
        Some('A' | 'M') => ("attributes", "spans have no attributes yet"),
        Some('N') => (
            "normalisations",
            "spans have no links to knowledge bases yet",
        ),
        Some('*') => (
            "equivalences (`*` lines)",
            "spantag's relations are directed pairs; an equivalence set (symmetric, any number of \
             spans) is not imported: link the spans with relations if you need it",
        ),
        _ => ("annotations of an unknown kind", "brat standoff defines no such kind"),
    }
}

/// Splits a line of an `.ann` file into its id, its middle column and its text column.
fn columns(line: &str) -> (&str, &str, Option<&str>) {
    let mut cols = line.splitn(3, '\t');
    let id = cols.next().unwrap_or("");
    let mid = cols.next().unwrap_or("");
    (id, mid, cols.next())
}

/// Parses brat offsets `0 5;9 14` into ranges.
fn parse_ranges(frags: &str) -> Option<Vec<(usize, usize)>> {
    let mut ranges = Vec::new();
    for f in frags.split(';') {
        let mut it = f.split_whitespace().map(str::parse::<usize>);
        match (it.next(), it.next(), it.next()) {
            (Some(Ok(a)), Some(Ok(b)), None) => ranges.push((a, b)),
            _ => return None,
        }
    }
    (!ranges.is_empty()).then_some(ranges)
}

/// Joins neighbouring ranges that only line breaks separate: brat writes a span across lines as
/// fragments split at its line breaks, so those fragments are one piece of the span.
fn join_line_breaks(ranges: &[(usize, usize)], chars: &[char]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges {
        if let Some(last) = out.last_mut()
            && last.1 < a
            && chars
                .get(last.1..a)
                .is_some_and(|g| g.iter().all(|c| matches!(c, '\n' | '\r')))
        {
            last.1 = b;
            continue;
        }
        out.push((a, b));
    }
    out
}

fn parse_ann(ann_path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let txt_path = ann_path.with_extension("txt");
    let ann = super::read_text(ann_path, parsed.max_bytes)?;
    let nonblank: Vec<&str> = ann
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(super::sniff::FIRST_RECORDS)
        .collect();
    if !nonblank.is_empty() && !nonblank.iter().any(|l| super::sniff::is_ann_line(l)) {
        return Err(super::sniff::wrong_format(
            ann_path,
            super::Format::Brat,
            &format!(
                "none of its first {} line(s) is a brat annotation such as `T1<TAB>LABEL 0 5<TAB>text`",
                nonblank.len()
            ),
            &ann,
        ));
    }
    let text = super::read_text(&txt_path, parsed.max_bytes)?;
    let file = ann_path.display().to_string();
    let stem = ann_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "doc".into());
    let mut rec = Record {
        location: file.clone(),
        id: Some(stem),
        source: Some(txt_path.display().to_string()),
        text,
        ..Record::default()
    };
    let mut extras = Extras::default();
    let mut chars: Option<Vec<char>> = None;
    // Text-bound annotations first (relations and notes may come before their targets), then
    // relations, then the rest.
    let mut by_t: HashMap<&str, usize> = HashMap::new();
    let mut by_r: HashMap<&str, usize> = HashMap::new();
    let mut others: HashSet<&str> = HashSet::new();
    let lines: Vec<(usize, &str)> = ann
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    for &(i, line) in &lines {
        let location = format!("{file}:{}", i + 1);
        let (id, mid, tail) = columns(line);
        let problem = |message: String| ImportProblem {
            location: location.clone(),
            message,
        };
        if !id.starts_with('T') {
            if !id.starts_with(['#', 'R']) {
                others.insert(id);
            }
            continue;
        }
        let parsed_ranges = mid
            .split_once(' ')
            .and_then(|(label, frags)| Some((label, parse_ranges(frags)?)));
        let Some((label, ranges)) = parsed_ranges else {
            parsed
                .problems
                .push(problem(format!("malformed text-bound annotation {line:?}")));
            continue;
        };
        let span = |start, end, text: Option<String>| RawSpan {
            start,
            end,
            label: label.to_owned(),
            text,
            location: location.clone(),
            codepoints: true,
            ..RawSpan::default()
        };
        if ranges.len() == 1 {
            by_t.insert(id, rec.spans.len());
            rec.spans
                .push(span(ranges[0].0, ranges[0].1, tail.map(str::to_owned)));
            continue;
        }
        let cs = chars.get_or_insert_with(|| rec.text.chars().collect());
        let joined: Option<String> = ranges
            .iter()
            .map(|&(a, b)| cs.get(a..b).map(|v| v.iter().collect::<String>()))
            .collect::<Option<Vec<String>>>()
            .map(|v| v.join(" "));
        match (tail, &joined) {
            (_, None) => {
                parsed.problems.push(problem(format!(
                    "fragments {ranges:?} do not fit the text ({} characters)",
                    cs.len()
                )));
                continue;
            }
            (Some(t), Some(j)) if t != j => {
                parsed.problems.push(problem(format!(
                    "fragments {ranges:?} cover {j:?} but the file says {t:?}"
                )));
                continue;
            }
            _ => {}
        }
        // Fragments split only at line breaks (as brat writes a span across lines) are one
        // piece; what remains with other text between is one discontinuous span.
        let pieces = join_line_breaks(&ranges, cs);
        let k = rec.spans.len();
        by_t.insert(id, k);
        let (a, b) = (pieces[0].0, pieces[pieces.len() - 1].1);
        rec.spans.push(span(a, b, None));
        if pieces.len() > 1 {
            extras.fragments.insert(k, pieces);
        }
    }
    // Relations: `R1<TAB>TYPE Arg1:T3 Arg2:T1`, the first argument the head (from).
    for &(i, line) in &lines {
        let (id, mid, _) = columns(line);
        if !id.starts_with('R') {
            continue;
        }
        let location = format!("{file}:{}", i + 1);
        let mut words = mid.split_whitespace();
        let kind = words.next().unwrap_or("");
        let args: Vec<(&str, &str)> = words.filter_map(|w| w.split_once(':')).collect();
        if kind.is_empty() || args.len() != 2 {
            parsed.problems.push(ImportProblem {
                location,
                message: format!(
                    "malformed relation {line:?}: expected `R1<TAB>TYPE Arg1:T1 Arg2:T2`"
                ),
            });
            continue;
        }
        let (Some(&from), Some(&to)) = (by_t.get(args[0].1), by_t.get(args[1].1)) else {
            let missing = if by_t.contains_key(args[0].1) {
                args[1].1
            } else {
                args[0].1
            };
            if others.contains(missing) {
                others.insert(id);
                parsed.not_kept(
                    "relations with an event or other non-span argument".into(),
                    "spantag's relations link two text-bound spans",
                    &format!("{location} {id}"),
                    1,
                );
            } else {
                parsed.problems.push(ImportProblem {
                    location,
                    message: format!(
                        "relation {id} names {missing:?}, which this file does not define"
                    ),
                });
            }
            continue;
        };
        by_r.insert(id, extras.relations.len());
        extras.relations.push(RawRelation {
            from,
            to,
            kind: kind.to_owned(),
            name: id.to_owned(),
            location: format!("{location} {id}"),
            ..RawRelation::default()
        });
    }
    for &(i, line) in &lines {
        let location = format!("{file}:{}", i + 1);
        let (id, mid, tail) = columns(line);
        if id.starts_with(['T', 'R']) {
            continue;
        }
        if !id.starts_with('#') {
            let (what, why) = kind_of(id);
            parsed.not_kept(what.into(), why, &format!("{location} {id}"), 1);
            continue;
        }
        // A note of any type: `#1<TAB>AnnotatorNotes T1<TAB>text` (brat's own comments) or
        // another type, on a span or a relation; the type is kept in the text unless it is
        // AnnotatorNotes.
        let Some((ty, target)) = mid.trim().split_once(' ').map(|(a, b)| (a, b.trim())) else {
            parsed.problems.push(ImportProblem {
                location,
                message: format!("malformed note {line:?}: expected `#ID<TAB>TYPE TARGET<TAB>text`"),
            });
            continue;
        };
        let body = tail.unwrap_or("").trim();
        let note = match (ty, body.is_empty()) {
            ("AnnotatorNotes", _) => body.to_owned(),
            (_, true) => ty.to_owned(),
            (_, false) => format!("{ty}: {body}"),
        };
        let add = |slot: &mut Option<String>| {
            if !note.is_empty() {
                *slot = Some(match slot.take() {
                    Some(old) => format!("{old}; {note}"),
                    None => note.clone(),
                });
            }
        };
        if let Some(&k) = by_t.get(target) {
            if let Some(s) = rec.spans.get_mut(k) {
                add(&mut s.note);
            }
        } else if let Some(&k) = by_r.get(target) {
            if let Some(r) = extras.relations.get_mut(k) {
                add(&mut r.note);
            }
        } else if others.contains(target) {
            parsed.not_kept(
                "notes on events, attributes, normalisations or relations not imported".into(),
                "only notes on spans and relations are kept (their targets are not imported)",
                &format!("{location} {id}"),
                1,
            );
        } else {
            parsed.problems.push(ImportProblem {
                location,
                message: format!("note {id} is on {target:?}, which this file does not define"),
            });
        }
    }
    parsed.push_with(rec, extras);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_stems_are_safe_short_and_stable() {
        assert_eq!(file_stem("harbour-bridge"), "harbour-bridge");
        assert_eq!(file_stem("a/b\\c:d*e?.txt"), "a_b_c_d_e_.txt");
        assert_eq!(file_stem("../etc/passwd"), "_etc_passwd");
        assert_eq!(file_stem("..."), "doc");
        assert_eq!(file_stem("Ålund 東京"), "Ålund_東京");
        assert_eq!(file_stem("nul"), "nul_");
        assert_eq!(file_stem("COM3.txt"), "COM3_.txt");
        assert_eq!(file_stem("COM0"), "COM0");
        let long = "é".repeat(300);
        let s = file_stem(&long);
        assert!(s.len() <= 120, "{}", s.len());
        assert_eq!(s, file_stem(&long));
        assert!(s.starts_with("éé"));
        let other = format!("{}x", "é".repeat(299));
        assert_ne!(file_stem(&other), s);
        let long_ascii = format!("{}-{}", "a".repeat(200), "b".repeat(100));
        let t = file_stem(&long_ascii);
        assert_eq!(t.len(), 120);
        assert!(t.starts_with(&"a".repeat(103)) && t.as_bytes()[103] == b'-');
    }
}
