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
//! (`T3<TAB>claim 0 12;13 20<TAB>first line second`); import joins fragments back into one span
//! when only line breaks lie between them. Span notes become `AnnotatorNotes` (line breaks and
//! tabs in a note are written as spaces, and reported).
//!
//! Import reads `.ann` files (or folders of them, recursively) with the `.txt` beside them.
//! Discontinuous annotations with other text between the fragments are imported as one span per
//! fragment, with a note naming the original annotation. Relations, events, attributes and
//! normalisations cannot be represented in spantag: each such line is reported.

use super::{
    Ctx, Exporter, FormatError, FormatSpec, ImportProblem, Importer, Input, Output, Parsed,
    Prepared, Progress, RawSpan, Record, Reports, io_err,
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

/// The `.ann` content of one document.
fn ann(p: &Prepared<'_>, reports: &mut Reports) -> String {
    let mut out = String::new();
    let mut t = 0;
    let mut notes = 0;
    let text = p.doc.text.as_str();
    let mut cur = super::CharCursor::new(text);
    for s in &p.spans {
        let (Some(b0), Some(b1)) = (cur.byte(s.start), cur.byte(s.end)) else {
            reports.unrepresented(p.doc, s, "offsets out of range".into());
            continue;
        };
        let covered = text.get(b0..b1).unwrap_or("");
        // Fragments between line breaks.
        let mut frags: Vec<(usize, usize, &str)> = Vec::new();
        let mut ch = s.start;
        for piece in covered.split('\n') {
            let n = piece.chars().count();
            if n > 0 {
                frags.push((ch, ch + n, piece));
            }
            ch += n + 1;
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
                    "document {:?}, span {}: note written with its line breaks and tabs as spaces",
                    p.doc.id, s.id
                ));
            }
            let _ = writeln!(out, "#{notes}\tAnnotatorNotes T{t}\t{flat}");
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
    conf.push_str("\n[relations]\n\n[events]\n\n[attributes]\n");
    files.add(out.join("annotation.conf"), conf.into_bytes());
    Ok(())
}

/// Reads `.ann` files: `path` is a folder (searched recursively), an `.ann` or a `.txt` file.
fn parse_path(path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let mut anns = Vec::new();
    collect(path, &mut anns)?;
    if anns.is_empty() {
        return Err(FormatError::Invalid(format!(
            "{}: no .ann files found",
            path.display()
        )));
    }
    for a in anns {
        parse_ann(&a, parsed)?;
    }
    Ok(())
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), FormatError> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io_err(path))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            if e.is_dir() || e.extension().is_some_and(|x| x == "ann") {
                collect(&e, out)?;
            }
        }
    } else if path.extension().is_some_and(|x| x == "txt") {
        out.push(path.with_extension("ann"));
    } else {
        out.push(path.to_owned());
    }
    Ok(())
}

fn parse_ann(ann_path: &Path, parsed: &mut Parsed) -> Result<(), FormatError> {
    let txt_path = ann_path.with_extension("txt");
    let text = super::read_text(&txt_path, parsed.max_bytes)?;
    let ann = super::read_text(ann_path, parsed.max_bytes)?;
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
    let mut chars: Option<Vec<char>> = None;
    let mut by_t: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, line) in ann.lines().enumerate() {
        let location = format!("{file}:{}", i + 1);
        if line.trim().is_empty() {
            continue;
        }
        let mut cols = line.splitn(3, '\t');
        let id = cols.next().unwrap_or("");
        let mid = cols.next().unwrap_or("");
        let tail = cols.next();
        let problem = |message: String| ImportProblem {
            location: location.clone(),
            message,
        };
        if id.starts_with('T') {
            let Some((label, frags)) = mid.split_once(' ') else {
                parsed
                    .problems
                    .push(problem(format!("malformed text-bound annotation {line:?}")));
                continue;
            };
            let mut ranges = Vec::new();
            let mut ok = true;
            for f in frags.split(';') {
                let mut it = f.split_whitespace().map(str::parse::<usize>);
                match (it.next(), it.next(), it.next()) {
                    (Some(Ok(a)), Some(Ok(b)), None) => ranges.push((a, b)),
                    _ => ok = false,
                }
            }
            if !ok || ranges.is_empty() {
                parsed
                    .problems
                    .push(problem(format!("malformed offsets {frags:?}")));
                continue;
            }
            let span = |start, end, text: Option<String>, note: Option<String>| RawSpan {
                start,
                end,
                label: label.to_owned(),
                text,
                note,
                location: location.clone(),
                codepoints: true,
                ..RawSpan::default()
            };
            let mut idx = Vec::new();
            if ranges.len() == 1 {
                idx.push(rec.spans.len());
                rec.spans.push(span(
                    ranges[0].0,
                    ranges[0].1,
                    tail.map(str::to_owned),
                    None,
                ));
            } else {
                let cs = chars.get_or_insert_with(|| rec.text.chars().collect());
                let gap_is_breaks = ranges.windows(2).all(|w| {
                    w[0].1 <= w[1].0
                        && cs.get(w[0].1..w[1].0).is_some_and(|g| {
                            !g.is_empty() && g.iter().all(|c| matches!(c, '\n' | '\r'))
                        })
                });
                let joined: Option<String> = ranges
                    .iter()
                    .map(|&(a, b)| cs.get(a..b).map(|v| v.iter().collect::<String>()))
                    .collect::<Option<Vec<String>>>()
                    .map(|v| v.join(" "));
                if let (Some(t), Some(j)) = (tail, &joined)
                    && t != j
                {
                    parsed.problems.push(problem(format!(
                        "fragments {frags:?} cover {j:?} but the file says {t:?}"
                    )));
                    continue;
                }
                if gap_is_breaks {
                    idx.push(rec.spans.len());
                    let (a, b) = (ranges[0].0, ranges[ranges.len() - 1].1);
                    rec.spans.push(span(a, b, None, None));
                } else {
                    parsed.notes.push(format!(
                        "{location}: discontinuous {label} annotation {id} imported as {} separate spans",
                        ranges.len()
                    ));
                    let n = ranges.len();
                    for (k, &(a, b)) in ranges.iter().enumerate() {
                        idx.push(rec.spans.len());
                        let note = format!("fragment {} of {n} of brat annotation {id}", k + 1);
                        rec.spans.push(span(a, b, None, Some(note)));
                    }
                }
            }
            by_t.insert(id.to_owned(), idx);
        } else if id.starts_with('#') {
            let target = mid.strip_prefix("AnnotatorNotes ").map(str::trim);
            match target.and_then(|t| by_t.get(t)) {
                Some(idx) => {
                    for &k in idx {
                        if let Some(s) = rec.spans.get_mut(k) {
                            let note = tail.unwrap_or("").to_owned();
                            s.note = Some(match s.note.take() {
                                Some(old) => format!("{old}; {note}"),
                                None => note,
                            });
                        }
                    }
                }
                None => parsed.problems.push(problem(format!(
                    "note {line:?} does not refer to a text-bound annotation read before it"
                ))),
            }
        } else {
            let kind = match id.chars().next() {
                Some('R') => "a relation",
                Some('E') => "an event",
                Some('A' | 'M') => "an attribute",
                Some('N') => "a normalisation",
                Some('*') => "an equivalence",
                _ => "an unknown annotation",
            };
            parsed.problems.push(problem(format!(
                "{kind} ({id}) cannot be represented in spantag; not imported"
            )));
        }
    }
    parsed.records.push(rec);
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
