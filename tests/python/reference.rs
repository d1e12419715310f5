//! Cross-check against reference implementations in Python:
//! `sklearn.metrics.cohen_kappa_score` and `krippendorff.alpha(...,
//! level_of_measurement="nominal")` (plus a plain numpy Fleiss formula).
//!
//! Python: see [`crate::venv`] (created on first use; a missing Python fails the test).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use spantag_core::review::metrics::{
    CategoryRatings, Figure, Layer, LayerAgreement, SpanRef, cohen_kappa, fleiss_kappa,
    krippendorff_alpha_nominal,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SCRIPT: &str = r#"
import json, sys
import numpy as np
from sklearn.metrics import cohen_kappa_score
import krippendorff

data = json.load(sys.stdin)
out = {"cohen": [], "alpha": [], "fleiss": []}
for a, b in data["cohen"]:
    out["cohen"].append(float(cohen_kappa_score(a, b)))
for rel in data["alpha"]:
    arr = np.array([[np.nan if v is None else float(v) for v in row] for row in rel], dtype=float)
    out["alpha"].append(float(krippendorff.alpha(reliability_data=arr, level_of_measurement="nominal")))
for items in data["fleiss"]:
    # textbook Fleiss (numpy), items x raters
    x = np.array(items)
    cats = np.unique(x)
    counts = np.stack([(x == c).sum(axis=1) for c in cats], axis=1).astype(float)
    N, n = x.shape
    P = ((counts ** 2).sum(axis=1) - n) / (n * (n - 1))
    p = counts.sum(axis=0) / (N * n)
    Pe = (p ** 2).sum()
    out["fleiss"].append(float((P.mean() - Pe) / (1 - Pe)))
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
        self.next() % n
    }
    /// True with probability `pct`%.
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// Two raters; B copies A with probability `agree`%, else random. Category
/// ids are spread out (`c * 3 + 1`) to exercise non-dense ids.
fn cohen_case(rng: &mut Lcg, items: usize, k: u64, agree: u64) -> (Vec<u32>, Vec<u32>) {
    let mut a = Vec::with_capacity(items);
    let mut b = Vec::with_capacity(items);
    for _ in 0..items {
        let x = rng.below(k) as u32 * 3 + 1;
        let y = if rng.chance(agree) {
            x
        } else {
            rng.below(k) as u32 * 3 + 1
        };
        a.push(x);
        b.push(y);
    }
    (a, b)
}

/// Item-major ratings with `missing`% missing values, raters leaning towards
/// a per-item "true" category with probability `agree`%.
fn alpha_case(
    rng: &mut Lcg,
    items: usize,
    raters: usize,
    k: u64,
    agree: u64,
    missing: u64,
) -> Vec<Vec<Option<u32>>> {
    (0..items)
        .map(|_| {
            let truth = rng.below(k) as u32;
            (0..raters)
                .map(|_| {
                    if rng.chance(missing) {
                        None
                    } else if rng.chance(agree) {
                        Some(truth)
                    } else {
                        Some(rng.below(k) as u32)
                    }
                })
                .collect()
        })
        .collect()
}

fn rater_major(items: &[Vec<Option<u32>>], raters: usize) -> Vec<Vec<Option<u32>>> {
    (0..raters)
        .map(|r| {
            items
                .iter()
                .map(|it| it.get(r).copied().flatten())
                .collect()
        })
        .collect()
}

fn value(f: Figure) -> Result<f64, String> {
    f.value().ok_or_else(|| format!("undefined: {f}"))
}

/// Synthetic token-level data: two annotators over a few documents, through
/// the same path the app uses (`LayerAgreement`), returning the pooled token
/// categories so Python can recompute.
fn token_level_case(rng: &mut Lcg) -> Result<(f64, f64, Vec<u32>, Vec<u32>), String> {
    const LABELS: [&str; 4] = ["actor", "place", "number", "claim"];
    let layer = Layer::new("entities", &["actor", "place", "number"]);
    let mut agg = LayerAgreement::new(layer.clone(), 2);
    let (mut all_a, mut all_b) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let mut tokens = Vec::new();
        let mut pos = 0;
        for _ in 0..(50 + rng.below(50)) {
            let len = 1 + rng.below(7) as usize;
            tokens.push((pos, pos + len));
            pos += len + 1;
        }
        let mut sa = Vec::new();
        for _ in 0..(3 + rng.below(6)) {
            let s = rng.below(pos as u64) as usize;
            let e = s + 1 + rng.below(25) as usize;
            sa.push(SpanRef::new(s, e, LABELS[rng.below(4) as usize]));
        }
        let mut sb = Vec::new();
        for s in &sa {
            if rng.chance(15) {
                continue; // dropped
            }
            let mut t = *s;
            if rng.chance(30) {
                t.start += rng.below(4) as usize;
                t.end += rng.below(4) as usize;
            }
            if rng.chance(10) {
                t.label = LABELS[rng.below(4) as usize];
            }
            sb.push(t);
        }
        agg.add_document(&tokens, &[Some(&sa), Some(&sb)])
            .map_err(|e| e.to_string())?;
        all_a.extend(layer.assign_tokens(&tokens, &sa));
        all_b.extend(layer.assign_tokens(&tokens, &sb));
    }
    let r = agg.ratings();
    Ok((
        value(r.cohen_kappa())?,
        value(r.krippendorff_alpha())?,
        all_a,
        all_b,
    ))
}

#[test]
fn cross_check_with_sklearn_and_krippendorff() -> TestResult {
    let python = match crate::venv::python() {
        Ok(Some(py)) => py,
        Ok(None) => return Ok(()),
        Err(why) => return Err(format!("the reference cross-check cannot run: {why}").into()),
    };
    let mut rng = Lcg(0x5EED_2024);

    // --- Cohen's kappa cases: (items, categories, agree%)
    let mut cohen_inputs = Vec::new();
    let mut cohen_rust = Vec::new();
    for (items, k, agree) in [
        (30, 2, 70),
        (200, 3, 50),
        (1000, 5, 80),
        (5000, 4, 20),
        (777, 6, 0),
        (60, 2, 95),
    ] {
        let (a, b) = cohen_case(&mut rng, items, k, agree);
        cohen_rust.push(value(cohen_kappa(&a, &b)?)?);
        cohen_inputs.push(json!([a, b]));
    }
    // token-level pooled case through LayerAgreement
    let (tok_kappa, tok_alpha, tok_a, tok_b) = token_level_case(&mut rng)?;
    cohen_rust.push(tok_kappa);
    cohen_inputs.push(json!([&tok_a, &tok_b]));

    // --- Krippendorff's alpha cases: (items, raters, categories, agree%, missing%)
    let mut alpha_inputs = Vec::new();
    let mut alpha_rust = Vec::new();
    for (items, raters, k, agree, missing) in [
        (20, 2, 2, 60, 10),
        (100, 3, 3, 50, 20),
        (500, 4, 4, 70, 30),
        (2000, 5, 5, 40, 40),
        (300, 3, 2, 0, 25),
        (1000, 2, 4, 85, 15),
    ] {
        let data = alpha_case(&mut rng, items, raters, k, agree, missing);
        let via_fn = value(krippendorff_alpha_nominal(&data))?;
        // Same data through the accumulator, split into two "documents"
        // (rater-major columns, as the app would push them).
        let mut acc = CategoryRatings::new(raters, k as usize);
        let cols = rater_major(&data, raters);
        for (lo, hi) in [(0, items / 3), (items / 3, items)] {
            for t in lo..hi {
                let item: Vec<Option<u32>> = cols.iter().map(|c| c[t]).collect();
                acc.push_item(&item)?;
            }
        }
        let via_acc = value(acc.krippendorff_alpha())?;
        assert!((via_fn - via_acc).abs() < 1e-12, "{via_fn} vs {via_acc}");
        alpha_rust.push(via_fn);
        alpha_inputs.push(json!(cols));
    }
    alpha_rust.push(tok_alpha);
    // rater-major, no missing values
    alpha_inputs.push(json!([some_all(&tok_a), some_all(&tok_b)]));

    // --- Fleiss (complete data) vs a numpy textbook formula.
    let mut fleiss_inputs = Vec::new();
    let mut fleiss_rust = Vec::new();
    for (items, raters, k, agree) in [(50, 3, 3, 60), (400, 6, 4, 40), (1000, 2, 5, 75)] {
        let data: Vec<Vec<u32>> = alpha_case(&mut rng, items, raters, k, agree, 0)
            .into_iter()
            .map(|it| it.into_iter().flatten().collect())
            .collect();
        fleiss_rust.push(value(fleiss_kappa(&data)?)?);
        fleiss_inputs.push(json!(data));
    }

    let payload =
        json!({"cohen": cohen_inputs, "alpha": alpha_inputs, "fleiss": fleiss_inputs}).to_string();
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(payload.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let py: Value = serde_json::from_slice(&out.stdout)?;

    let mut worst: f64 = 0.0;
    for (name, rust) in [
        ("cohen", &cohen_rust),
        ("alpha", &alpha_rust),
        ("fleiss", &fleiss_rust),
    ] {
        let Some(reference) = py[name].as_array() else {
            return Err(format!("python output lacks {name}").into());
        };
        assert_eq!(reference.len(), rust.len(), "{name}: case count");
        for (i, (r, p)) in rust.iter().zip(reference).enumerate() {
            let Some(p) = p.as_f64() else {
                return Err(format!("{name}[{i}]: python gave {p}").into());
            };
            let diff = (r - p).abs();
            worst = worst.max(diff);
            println!("{name}[{i}]: rust {r:.15} python {p:.15} |diff| {diff:.1e}");
            assert!(diff < 1e-9, "{name}[{i}]: rust {r} vs python {p}");
        }
    }
    println!("max |diff| = {worst:.1e} (python: {})", python.display());
    Ok(())
}

fn some_all(v: &[u32]) -> Vec<Option<u32>> {
    v.iter().copied().map(Some).collect()
}
