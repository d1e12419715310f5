//! Relation F1 cross-checked by an independent Python computation: random pairs of annotators'
//! projects (spans and relations, with shifted boundaries, retargeted, retyped, dropped and added
//! relations) go through spantag's `agreement`, and Python recounts from the plain relations:
//! exact matches as a multiset intersection (`collections.Counter`), lenient matches as a maximum
//! bipartite matching per document and type (`scipy.optimize.linear_sum_assignment`).
//!
//! Python: see [`crate::venv`].

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::{Value, json};
use spantag_core::markup::project_from_markup;
use spantag_core::model::{Document, Project, Relation, RelationId, Span, SpanId, Status};
use spantag_core::review::agreement::agreement;
use spantag_core::review::compare::Annotator;
use spantag_core::time::Timestamp;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SCRIPT: &str = r#"
import json, sys
from collections import Counter
import numpy as np
from scipy.optimize import linear_sum_assignment

data = json.load(sys.stdin)

def key(r):
    kind, f, t = r
    return (kind, tuple(f), tuple(t))

def overlaps(x, y):
    return x[2] == y[2] and min(x[1], y[1]) > max(x[0], y[0])

def lenient_tp(a, b):
    tp = 0
    for kind in set(r[0] for r in a) & set(r[0] for r in b):
        ga = [r for r in a if r[0] == kind]
        gb = [r for r in b if r[0] == kind]
        m = np.zeros((len(ga), len(gb)))
        for i, x in enumerate(ga):
            for j, y in enumerate(gb):
                if overlaps(x[1], y[1]) and overlaps(x[2], y[2]):
                    m[i, j] = 1
        rows, cols = linear_sum_assignment(m, maximize=True)
        tp += int(m[rows, cols].sum())
    return tp

def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f}

out = []
for case in data:
    e = [0, 0, 0]
    l = [0, 0, 0]
    for a, b in case:
        tp = sum((Counter(map(key, a)) & Counter(map(key, b))).values())
        e[0] += tp; e[1] += len(b) - tp; e[2] += len(a) - tp
        tp = lenient_tp(a, b)
        l[0] += tp; l[1] += len(b) - tp; l[2] += len(a) - tp
    out.append({"exact": prf(*e), "lenient": prf(*l)})
json.dump(out, sys.stdout)
"#;

/// Deterministic LCG (Knuth MMIX constants).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

const LABELS: [&str; 3] = ["claim", "actor", "place"];
const KINDS: [(&str, &str, &str); 2] =
    [("source", "claim", "actor"), ("location", "claim", "place")];
const T: Timestamp = Timestamp(1_795_000_000);

fn span(d: &Document, id: u64, start: usize, end: usize, label: &str, author: &str) -> Span {
    Span {
        id: SpanId(id),
        start,
        end,
        label: label.to_owned(),
        text: d.slice(start, end).unwrap_or_default().to_owned(),
        author: author.to_owned(),
        created: T,
        status: Status::Pending,
        review: None,
        note: None,
        proposed_by: Vec::new(),
        fragments: Vec::new(),
    }
}

fn relation(id: u64, from: SpanId, to: SpanId, kind: &str, author: &str) -> Relation {
    Relation {
        id: RelationId(id),
        from,
        to,
        kind: kind.to_owned(),
        author: author.to_owned(),
        created: T,
        status: Status::Pending,
        review: None,
        note: None,
        proposed_by: Vec::new(),
    }
}

/// Random relations of `d` between spans its types allow (no two alike).
fn link(rng: &mut Lcg, d: &mut Document, n: u64, next: &mut u64, author: &str) {
    for _ in 0..n {
        let (kind, from_l, to_l) = KINDS[rng.below(2) as usize];
        let heads: Vec<SpanId> = d
            .spans
            .iter()
            .filter(|s| s.label == from_l)
            .map(|s| s.id)
            .collect();
        let tails: Vec<SpanId> = d
            .spans
            .iter()
            .filter(|s| s.label == to_l)
            .map(|s| s.id)
            .collect();
        if heads.is_empty() || tails.is_empty() {
            continue;
        }
        let from = heads[rng.below(heads.len() as u64) as usize];
        let to = tails[rng.below(tails.len() as u64) as usize];
        if !d.has_relation(from, to, kind, None) {
            d.relations.push(relation(*next, from, to, kind, author));
            *next += 1;
        }
    }
}

/// Two annotators over `docs` documents: Ana at random, Ben a noisy copy of her.
fn case(rng: &mut Lcg, docs: usize) -> Result<(Project, Project), String> {
    let texts: Vec<(String, String)> = (0..docs)
        .map(|i| {
            let words: Vec<String> = (0..(40 + rng.below(60)))
                .map(|k| match rng.below(9) {
                    0 => "Zoë".to_owned(),
                    1 => "Москва".to_owned(),
                    2 => "🎉".to_owned(),
                    3 => "e\u{301}te".to_owned(),
                    _ => format!("w{k}"),
                })
                .collect();
            (format!("d{i}"), words.join(" "))
        })
        .collect();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut ana = project_from_markup("ana", &refs, "ana", T).map_err(|e| e.to_string())?;
    let mut ben = project_from_markup("ben", &refs, "ben", T).map_err(|e| e.to_string())?;
    let (mut sid, mut rid) = (1u64, 1u64);
    for (da, db) in ana.documents.iter_mut().zip(ben.documents.iter_mut()) {
        let (da, db) = (Arc::make_mut(da), Arc::make_mut(db));
        let len = da.len_chars();
        for _ in 0..(4 + rng.below(12)) {
            let s = rng.below(len as u64 - 1) as usize;
            let e = (s + 1 + rng.below(30) as usize).min(len);
            let label = LABELS[rng.below(3) as usize];
            let sp = span(da, sid, s, e, label, "ana");
            da.spans.push(sp);
            sid += 1;
        }
        let n = 2 + rng.below(10);
        link(rng, da, n, &mut rid, "ana");
        // Ben: each span copied (sometimes shifted), each relation copied, retyped, retargeted
        // or dropped, and a few of his own.
        let mut map = std::collections::HashMap::new();
        for s in &da.spans {
            let (mut start, mut end) = (s.start, s.end);
            if rng.chance(25) {
                start = (start + rng.below(3) as usize).min(end - 1);
                end = (end + rng.below(3) as usize).min(len);
            }
            let copy = span(db, sid, start, end, &s.label, "ben");
            map.insert(s.id, copy.id);
            db.spans.push(copy);
            sid += 1;
        }
        let ids: Vec<SpanId> = db.spans.iter().map(|s| s.id).collect();
        for r in &da.relations {
            if rng.chance(15) {
                continue;
            }
            let (Some(&from), Some(&to)) = (map.get(&r.from), map.get(&r.to)) else {
                continue;
            };
            let to = if rng.chance(10) {
                ids[rng.below(ids.len() as u64) as usize]
            } else {
                to
            };
            let kind = if rng.chance(10) {
                KINDS[rng.below(2) as usize].0
            } else {
                r.kind.as_str()
            };
            if from != to && !db.has_relation(from, to, kind, None) {
                db.relations.push(relation(rid, from, to, kind, "ben"));
                rid += 1;
            }
        }
        let n = rng.below(3);
        link(rng, db, n, &mut rid, "ben");
        da.sort_spans();
        db.sort_spans();
    }
    ana.normalize();
    ben.normalize();
    Ok((ana, ben))
}

/// A document's relations as Python reads them: [type, [start, end, label], [start, end, label]].
fn plain(d: &Document) -> Value {
    let rels: Vec<Value> = d
        .relations
        .iter()
        .filter_map(|r| {
            let (f, t) = (d.span(r.from)?, d.span(r.to)?);
            Some(json!([
                r.kind,
                [f.start, f.end, f.label],
                [t.start, t.end, t.label]
            ]))
        })
        .collect();
    Value::Array(rels)
}

fn close(rust: &Value, py: &Value, what: &str) -> Result<f64, String> {
    match (rust.as_f64(), py.as_f64()) {
        (Some(r), Some(p)) => {
            let diff = (r - p).abs();
            if diff < 1e-12 {
                Ok(diff)
            } else {
                Err(format!("{what}: rust {r} python {p}"))
            }
        }
        (None, None) if rust.is_null() && py.is_null() => Ok(0.0),
        _ => Err(format!("{what}: rust {rust} python {py}")),
    }
}

#[test]
fn relation_f1_matches_an_independent_python_count() -> TestResult {
    let python = match crate::venv::python() {
        Ok(Some(py)) => py,
        Ok(None) => return Ok(()),
        Err(why) => return Err(format!("the relation cross-check cannot run: {why}").into()),
    };
    let mut rng = Lcg(0x0052_E1A7);
    let mut payload = Vec::new();
    let mut reports = Vec::new();
    for docs in [1, 3, 8, 20, 40] {
        let (ana, ben) = case(&mut rng, docs)?;
        let anns = [
            Annotator {
                name: "ana",
                project: &ana,
            },
            Annotator {
                name: "ben",
                project: &ben,
            },
        ];
        let report = serde_json::to_value(agreement(&anns, &["actor", "place"]).relations)?;
        reports.push(report);
        let pairs: Vec<Value> = ana
            .documents
            .iter()
            .zip(&ben.documents)
            .map(|(a, b)| json!([plain(a), plain(b)]))
            .collect();
        payload.push(Value::Array(pairs));
    }
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(Value::Array(payload).to_string().as_bytes())?;
    }
    let out = child.wait_with_output()?;
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: Value = serde_json::from_slice(&out.stdout)?;
    let mut worst: f64 = 0.0;
    let mut differs = 0;
    for (i, rust) in reports.iter().enumerate() {
        for mode in ["exact", "lenient"] {
            let r = &rust[mode]["pairs"][0]["report"]["micro"];
            let p = &py[i][mode];
            for field in ["tp", "fp", "fn"] {
                assert_eq!(r[field], p[field], "case {i} {mode} {field}");
            }
            for field in ["precision", "recall", "f1"] {
                worst = worst.max(close(
                    &r[field],
                    &p[field],
                    &format!("case {i} {mode} {field}"),
                )?);
            }
            println!(
                "case {i} {mode}: tp {} fp {} fn {} F1 rust {} python {}",
                r["tp"], r["fp"], r["fn"], r["f1"], p["f1"]
            );
        }
        if rust["exact"]["pairs"][0]["report"]["micro"]["tp"]
            != rust["lenient"]["pairs"][0]["report"]["micro"]["tp"]
        {
            differs += 1;
        }
    }
    // The cases exercise the lenient variant: it finds more matches than the exact one.
    assert!(
        differs >= 3,
        "only {differs} cases where lenient differs from exact"
    );
    println!("max |diff| = {worst:.1e} (python: {})", python.display());
    Ok(())
}
