//! Round trips through the writer: the file is inflated with flate2 (which checks the Adler-32),
//! its msgpack is decoded with `rmpv`, and the documents read back are compared with the ones
//! written and with an expectation checked in as text (`testdata/roundtrip.txt`, decoded content,
//! never compressed bytes), so that changes to the encoders cannot change what spaCy loads.
//!
//! `DOCBIN_BLESS=1 cargo test -p spantag-core roundtrip` rewrites the expectation.

use super::chunks::CHUNK_SIZE;
use super::*;
use rmpv::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The expectation, written by the writer of commit b6e5133 (before the encoders moved onto crates).
const EXPECTED: &str = include_str!("testdata/roundtrip.txt");

/// MurmurHash64A (seed 1) and length of the decompressed msgpack of [`generated_docs`], from the
/// writer of commit b6e5133. The msgpack does not depend on the compression level.
const GENERATED_RAW: (u64, usize) = (0xe9ad_563f_c12a_fd90, 3_823_283);

const LEVELS: [Compression; 4] = [
    Compression::None,
    Compression::Fast,
    Compression::Standard,
    Compression::Best,
];

/// A span as `(label, start_token, end_token)`.
type SpanSpec = (String, usize, usize);

/// Tokens `(text, followed by a space)` and spans; char offsets are derived from the tokens.
struct DocSpec {
    tokens: Vec<(String, bool)>,
    ents: Vec<SpanSpec>,
    groups: Vec<(String, Vec<SpanSpec>)>,
}

impl DocSpec {
    fn words(text: &str) -> Vec<(String, bool)> {
        text.split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| (w.to_owned(), true))
            .collect()
    }

    fn doc<'s>(&'s self) -> SpacyDoc<'s> {
        let tokens: Vec<SpacyToken<'s>> = self
            .tokens
            .iter()
            .map(|(t, space)| SpacyToken {
                text: t,
                space: *space,
            })
            .collect();
        let mut starts = vec![0];
        let mut ends = vec![];
        for t in &tokens {
            let start = starts.last().copied().unwrap_or(0);
            ends.push(start + t.text.chars().count());
            starts.push(start + t.text.chars().count() + usize::from(t.space));
        }
        let span = |x: &'s SpanSpec| -> SpacySpan<'s> {
            let (label, s, e) = (&x.0, x.1, x.2);
            SpacySpan {
                label,
                start_token: s,
                end_token: e,
                start_char: starts[s],
                end_char: if e > s { ends[e - 1] } else { starts[s] },
            }
        };
        SpacyDoc {
            tokens,
            ents: self.ents.iter().map(span).collect(),
            span_groups: self
                .groups
                .iter()
                .map(|(key, spans)| (key.as_str(), spans.iter().map(span).collect()))
                .collect(),
            user_data: Vec::new(),
            rel: Vec::new(),
        }
    }
}

fn s(x: &str) -> String {
    x.to_owned()
}

/// Hand-made documents: emoji (with a zero-width joiner), combining marks, Greek, Arabic-Indic
/// digits, CJK, line breaks and double spaces as tokens of their own, spaCy symbol labels
/// (`ORG`, `PERSON`) next to hashed ones, empty documents, empty and overlapping spans, two span
/// groups, and a run of one repeated token.
fn hand_made_docs() -> Vec<DocSpec> {
    let mut first = DocSpec {
        tokens: DocSpec::words("Ada Lovelace met 👩‍🔬 Zoë in Zürich ."),
        ents: vec![(s("ACTOR"), 0, 2), (s("PERSON"), 4, 5), (s("PLACE"), 6, 7)],
        groups: vec![(
            s("sc"),
            vec![
                (s("CLAIM"), 0, 8),
                (s("ACTOR"), 0, 2),
                (s("PERSON"), 4, 5),
                (s("PLACE"), 6, 7),
                (s(""), 8, 8),
            ],
        )],
    };
    if let Some(last) = first.tokens.last_mut() {
        last.1 = false;
    }
    first.tokens.push((s("\n\n"), false));
    first
        .tokens
        .extend(DocSpec::words("Σωκράτης said : “ ١٢٣ ” ."));
    first.ents.push((s("ACTOR"), 9, 10));
    first.ents.push((s("NUMBER"), 13, 14));
    let combining = DocSpec {
        tokens: vec![
            (s("cafe\u{301}"), true),
            (s("naïve"), false),
            (s("  "), false),
            (s("東京"), true),
            (s("ORG"), true),
            (s("x"), false),
        ],
        ents: vec![(s("ORG"), 3, 4)],
        groups: vec![],
    };
    let empty = DocSpec {
        tokens: vec![],
        ents: vec![],
        groups: vec![],
    };
    let empty_with_group = DocSpec {
        tokens: vec![],
        ents: vec![],
        groups: vec![(s("sc"), vec![(s("CLAIM"), 0, 0)])],
    };
    let two_groups = DocSpec {
        tokens: DocSpec::words("the Bank of Ørsted said the the the the the the the the"),
        ents: vec![],
        groups: vec![
            (
                s("sc"),
                vec![(s("ORG"), 1, 4), (s("ACTOR"), 3, 4), (s("CLAIM"), 0, 13)],
            ),
            (s("extra"), vec![(s("ORG"), 1, 2), (s("ORG"), 1, 2)]),
        ],
    };
    vec![first, combining, empty, empty_with_group, two_groups]
}

/// About 300 documents, 2.8 MiB of token rows (several 1 MiB chunks): frequent and rare words in
/// several scripts, runs of one word, repeated phrases, entities with 20 labels (three of them
/// spaCy symbols) and overlapping span groups.
fn generated_docs() -> Vec<DocSpec> {
    let scripts = ["", "é", "ß", "Ж", "λ", "中", "😀", "ي", "e\u{301}"];
    let words: Vec<String> = (0..4000)
        .map(|i| format!("w{i}{}", scripts[i % scripts.len()]))
        .collect();
    let mut labels: Vec<String> = (0..17).map(|i| format!("L{i}")).collect();
    labels.extend([s("ORG"), s("PERSON"), s("GPE")]);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    (0..300)
        .map(|d| {
            let n = 380 + rnd(60);
            let tokens: Vec<(String, bool)> = (0..n)
                .map(|t| {
                    let w = match (d % 7, t % 60) {
                        (0, 0..40) => t % 60,
                        (1, 10..20) => 3,
                        _ if rnd(2) == 0 => rnd(20),
                        _ => rnd(words.len()),
                    };
                    let text = match rnd(50) {
                        0 => s("\n"),
                        _ => words[w].clone(),
                    };
                    (text, rnd(5) != 0)
                })
                .collect();
            let mut ents = Vec::new();
            let mut t = rnd(5);
            while t + 3 < n {
                let len = 1 + rnd(3);
                ents.push((labels[rnd(labels.len())].clone(), t, t + len));
                t += len + rnd(12);
            }
            let mut sc = ents.clone();
            sc.push((s("CLAIM"), 0, n / 2));
            sc.push((s("CLAIM"), n / 3, n));
            let mut groups = vec![(s("sc"), sc)];
            if d % 5 == 0 {
                groups.push((s("other"), vec![(s("X"), 1, 1)]));
            }
            DocSpec {
                tokens,
                ents,
                groups,
            }
        })
        .collect()
}

fn write(docs: &[DocSpec], compression: Compression, threads: usize) -> Vec<u8> {
    let mut w = DocBinWriter::with_threads(compression, threads);
    for d in docs {
        assert_eq!(w.add(&d.doc()), Ok(()));
    }
    match w.to_bytes() {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    }
}

/// The zlib stream inflated with flate2 (which rejects a wrong Adler-32).
fn inflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut raw = Vec::new();
    let r = flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut raw);
    assert!(r.is_ok(), "zlib stream invalid: {r:?}");
    raw
}

fn field<'v>(map: &'v [(Value, Value)], key: &str) -> &'v Value {
    match map.iter().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, v)) => v,
        None => panic!("no field {key:?}"),
    }
}

fn bin(v: &Value) -> &[u8] {
    match v {
        Value::Binary(b) => b,
        _ => panic!("not a bin: {v}"),
    }
}

fn array(v: &Value) -> &[Value] {
    match v.as_array() {
        Some(a) => a,
        None => panic!("not an array: {v}"),
    }
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().unwrap_or_default())
}

fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b.try_into().unwrap_or_default())
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes(b.try_into().unwrap_or_default())
}

/// The decoded documents: per document its text (as spaCy rebuilds it) and a readable listing of
/// its tokens (text, ENT_IOB, ENT_TYPE), `cats`, `flags` and span groups; strings are resolved
/// through the file's own `strings` list.
struct Decoded {
    texts: Vec<String>,
    listing: String,
}

fn decode(raw: &[u8]) -> Decoded {
    let mut rd = raw;
    let msg = match rmpv::decode::read_value(&mut rd) {
        Ok(v) => v,
        Err(e) => panic!("msgpack: {e}"),
    };
    assert!(rd.is_empty(), "{} bytes after the message", rd.len());
    let Some(map) = msg.as_map() else {
        panic!("not a map: {msg}")
    };
    let mut out = String::new();
    let keys: Vec<String> = map.iter().map(|(k, _)| k.to_string()).collect();
    let _ = writeln!(out, "keys {}", keys.join(" "));
    let _ = writeln!(out, "version {}", field(map, "version"));
    let _ = writeln!(out, "attrs {}", field(map, "attrs"));
    let strings: Vec<&str> = array(field(map, "strings"))
        .iter()
        .map(|v| v.as_str().unwrap_or("<not utf-8>"))
        .collect();
    let _ = writeln!(out, "strings {strings:?}");
    let names: HashMap<u64, &str> = strings.iter().map(|&s| (string_id(s), s)).collect();
    let name = |id: u64| match id {
        0 => "-".to_owned(),
        _ => names
            .get(&id)
            .map_or(format!("<{id}>"), |s| format!("{s:?}")),
    };
    let tokens = bin(field(map, "tokens"));
    let spaces = bin(field(map, "spaces"));
    let lengths: Vec<usize> = bin(field(map, "lengths"))
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let (cats, flags, groups) = (
        array(field(map, "cats")),
        array(field(map, "flags")),
        array(field(map, "span_groups")),
    );
    assert_eq!(tokens.len(), 24 * spaces.len());
    assert_eq!(lengths.iter().sum::<usize>(), spaces.len());
    assert!(cats.len() == lengths.len() && flags.len() == lengths.len());
    assert_eq!(groups.len(), lengths.len());
    let iob = ["", "I", "O", "B"];
    let mut texts = Vec::new();
    let mut row = 0;
    for (d, &n) in lengths.iter().enumerate() {
        let _ = writeln!(
            out,
            "doc {d}: {n} tokens, cats {}, flags {}",
            cats[d], flags[d]
        );
        let mut text = String::new();
        for r in row..row + n {
            let cols = &tokens[24 * r..24 * r + 24];
            let orth = names.get(&le_u64(&cols[0..8])).copied().unwrap_or("<?>");
            text.push_str(orth);
            if spaces[r] == 1 {
                text.push(' ');
            }
            let (i, t) = (le_u64(&cols[8..16]) as usize, le_u64(&cols[16..24]));
            let _ = writeln!(
                out,
                "  {orth:?} {} {} {}",
                spaces[r],
                iob.get(i).unwrap_or(&"?"),
                name(t)
            );
        }
        row += n;
        texts.push(text);
        let g = bin(&groups[d]);
        if g == [0x90] {
            continue;
        }
        let mut rd = g;
        let Ok(Value::Map(entries)) = rmpv::decode::read_value(&mut rd) else {
            panic!("span groups of doc {d} are not a map")
        };
        for (group, keys) in &entries {
            let mut rd = bin(group);
            let Ok(Value::Map(group)) = rmpv::decode::read_value(&mut rd) else {
                panic!("span group of doc {d} is not a map")
            };
            let _ = writeln!(
                out,
                "  group {} keys {keys} attrs {}",
                field(&group, "name"),
                field(&group, "attrs")
            );
            for span in array(field(&group, "spans")) {
                let b = bin(span);
                assert_eq!(b.len(), 40);
                let _ = writeln!(
                    out,
                    "    id {} kb {} {} tokens {}..{} chars {}..{}",
                    be_u64(&b[0..8]),
                    be_u64(&b[8..16]),
                    name(be_u64(&b[16..24])),
                    be_i32(&b[24..28]),
                    be_i32(&b[28..32]),
                    be_i32(&b[32..36]),
                    be_i32(&b[36..40]),
                );
            }
        }
    }
    Decoded {
        texts,
        listing: out,
    }
}

fn texts(docs: &[DocSpec]) -> Vec<String> {
    docs.iter().map(|d| d.doc().text()).collect()
}

#[test]
fn roundtrip_matches_checked_in_expectation() {
    let docs = hand_made_docs();
    let mut listings = Vec::new();
    for c in LEVELS {
        for threads in [1, 2] {
            let raw = inflate(&write(&docs, c, threads));
            let decoded = decode(&raw);
            assert_eq!(decoded.texts, texts(&docs), "{c:?}");
            listings.push(decoded.listing);
        }
    }
    let listing = &listings[0];
    assert!(listings.iter().all(|l| l == listing));
    if std::env::var_os("DOCBIN_BLESS").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/formats/docbin/testdata/roundtrip.txt"
        );
        assert!(std::fs::write(path, listing).is_ok());
        return;
    }
    assert_eq!(listing, EXPECTED);
}

#[test]
fn roundtrip_of_many_chunks_matches_the_previous_writer() {
    let docs = generated_docs();
    let want = texts(&docs);
    for c in LEVELS {
        for threads in [1, 3] {
            let raw = inflate(&write(&docs, c, threads));
            assert!(raw.len() > 2 * CHUNK_SIZE, "{}", raw.len());
            let decoded = decode(&raw);
            assert!(decoded.texts == want, "{c:?} {threads}: texts differ");
            let got = (murmurhash64a(&raw, 1), raw.len());
            if std::env::var_os("DOCBIN_BLESS").is_some() {
                println!("GENERATED_RAW = {got:#x?}");
                continue;
            }
            assert_eq!(got, GENERATED_RAW, "{c:?} {threads}");
        }
    }
}
