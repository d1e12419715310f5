use super::*;
use std::cmp::Reverse;

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

fn sp(start: usize, end: usize, label: &str) -> SpanRef<'_> {
    SpanRef::new(start, end, label)
}

fn close(got: Option<f64>, want: f64) {
    match got {
        Some(v) => assert!((v - want).abs() < 1e-12, "got {v}, want {want}"),
        None => panic!("undefined, want {want}"),
    }
}

fn fig(got: Figure, want: f64) {
    match got {
        Figure::Value(v) => assert!((v - want).abs() < 1e-12, "got {v}, want {want}"),
        Figure::Undefined(r) => panic!("undefined ({r}), want {want}"),
    }
}

/// Simple deterministic LCG (Knuth MMIX constants).
pub(super) struct Lcg(pub(super) u64);
impl Lcg {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ------------------------------------------------------------ spans

#[test]
fn exact_vs_overlap_boundary_shift() {
    // A: actor[0,5) place[10,20); B: actor[0,5) place[11,20) (shifted by 1).
    let a = [sp(0, 5, "actor"), sp(10, 20, "place")];
    let b = [sp(0, 5, "actor"), sp(11, 20, "place")];
    // Exact: actor hit; place miss on both sides -> tp=1 fp=1 fn=1,
    // P = 1/2, R = 1/2, F1 = 2/(2+1+1) = 1/2.
    let exact = SpanCounts::for_document(&a, &b, MatchMode::Exact).micro();
    assert_eq!(
        exact,
        Counts {
            tp: 1,
            fp: 1,
            fn_: 1
        }
    );
    close(exact.precision(), 0.5);
    close(exact.recall(), 0.5);
    close(exact.f1(), 0.5);
    // Overlap: both match -> tp=2, P = R = F1 = 1.
    let ov = SpanCounts::for_document(&a, &b, MatchMode::Overlap).micro();
    assert_eq!(
        ov,
        Counts {
            tp: 2,
            fp: 0,
            fn_: 0
        }
    );
    close(ov.f1(), 1.0);
}

#[test]
fn overlap_is_one_to_one() {
    // A: claim[0,20); B: claim[0,5), claim[10,15). The long span can be
    // used once: tp=1, fp=1, fn=0 -> P = 1/2, R = 1, F1 = 2/(2+1) = 2/3.
    let a = [sp(0, 20, "claim")];
    let b = [sp(0, 5, "claim"), sp(10, 15, "claim")];
    let c = SpanCounts::for_document(&a, &b, MatchMode::Overlap).micro();
    assert_eq!(
        c,
        Counts {
            tp: 1,
            fp: 1,
            fn_: 0
        }
    );
    close(c.precision(), 0.5);
    close(c.recall(), 1.0);
    close(c.f1(), 2.0 / 3.0);
    // Symmetric view: A has two short, B one long -> tp=1, fn=1.
    let c = SpanCounts::for_document(&b, &a, MatchMode::Overlap).micro();
    assert_eq!(
        c,
        Counts {
            tp: 1,
            fp: 0,
            fn_: 1
        }
    );
}

#[test]
fn overlap_matching_is_maximum_not_greedy_by_overlap() {
    // A0=[0,10) A1=[9,12); B0=[1,10) B1=[0,1).
    // Greedy by largest overlap would take A0-B0 (9 points) and strand
    // A1 and B1 (tp=1). Maximum matching: A0-B1, A1-B0 (tp=2).
    let a = [sp(0, 10, "x"), sp(9, 12, "x")];
    let b = [sp(1, 10, "x"), sp(0, 1, "x")];
    assert_eq!(
        match_spans(&a, &b, MatchMode::Overlap),
        vec![(0, 1), (1, 0)]
    );
}

#[test]
fn labels_must_agree_and_touching_is_not_overlap() {
    // Same range, different label: no hit in either mode.
    let a = [sp(0, 5, "actor")];
    let b = [sp(0, 5, "place")];
    for mode in [MatchMode::Exact, MatchMode::Overlap] {
        let c = SpanCounts::for_document(&a, &b, mode);
        assert_eq!(
            c.micro(),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        assert_eq!(
            c.label("actor"),
            Counts {
                tp: 0,
                fp: 0,
                fn_: 1
            }
        );
        assert_eq!(
            c.label("place"),
            Counts {
                tp: 0,
                fp: 1,
                fn_: 0
            }
        );
    }
    // [0,5) and [5,9) touch but share no code point.
    let b = [sp(5, 9, "actor")];
    assert!(match_spans(&a, &b, MatchMode::Overlap).is_empty());
    // Empty spans never overlap.
    let b = [sp(2, 2, "actor")];
    assert!(match_spans(&a, &b, MatchMode::Overlap).is_empty());
}

#[test]
fn exact_duplicates_pair_one_to_one() {
    // A has the same span twice, B once: tp=1, fn=1.
    let a = [sp(3, 7, "number"), sp(3, 7, "number")];
    let b = [sp(3, 7, "number")];
    let c = SpanCounts::for_document(&a, &b, MatchMode::Exact).micro();
    assert_eq!(
        c,
        Counts {
            tp: 1,
            fp: 0,
            fn_: 1
        }
    );
    assert_eq!(match_spans(&a, &b, MatchMode::Exact), vec![(0, 0)]);
}

#[test]
fn per_label_and_micro() {
    // A: actor[0,5) place[6,10) number[12,14)
    // B: actor[0,5) place[6,9)  claim[0,14)
    let a = [sp(0, 5, "actor"), sp(6, 10, "place"), sp(12, 14, "number")];
    let b = [sp(0, 5, "actor"), sp(6, 9, "place"), sp(0, 14, "claim")];
    let c = SpanCounts::for_document(&a, &b, MatchMode::Exact);
    assert_eq!(
        c.label("actor"),
        Counts {
            tp: 1,
            fp: 0,
            fn_: 0
        }
    );
    assert_eq!(
        c.label("place"),
        Counts {
            tp: 0,
            fp: 1,
            fn_: 1
        }
    );
    assert_eq!(
        c.label("number"),
        Counts {
            tp: 0,
            fp: 0,
            fn_: 1
        }
    );
    assert_eq!(
        c.label("claim"),
        Counts {
            tp: 0,
            fp: 1,
            fn_: 0
        }
    );
    // micro: tp=1 fp=2 fn=2 -> P = 1/3, R = 1/3, F1 = 2/(2+2+2) = 1/3.
    let r = c.report();
    close(r.micro.precision, 1.0 / 3.0);
    close(r.micro.recall, 1.0 / 3.0);
    close(r.micro.f1, 1.0 / 3.0);
    // macro F1 = mean(actor 1, claim 0, number 0, place 0) = 1/4.
    close(r.macro_f1, 0.25);
    // Overlap mode: place[6,10) ~ place[6,9) now hits -> tp=2 fp=1 fn=1,
    // F1 = 4/(4+1+1) = 2/3.
    let o = SpanCounts::for_document(&a, &b, MatchMode::Overlap);
    assert_eq!(
        o.micro(),
        Counts {
            tp: 2,
            fp: 1,
            fn_: 1
        }
    );
    close(o.micro().f1(), 2.0 / 3.0);
}

#[test]
fn zero_over_zero_is_none() {
    // Nothing on either side: all three ratios are 0/0.
    let c = SpanCounts::for_document(&[], &[], MatchMode::Exact).micro();
    assert_eq!((c.precision(), c.recall(), c.f1()), (None, None, None));
    // A empty, B one span: P = 0/1 = 0, R = 0/0 undefined, F1 = 0/1 = 0.
    let b = [sp(0, 1, "actor")];
    let c = SpanCounts::for_document(&[], &b, MatchMode::Overlap).micro();
    assert_eq!(c.precision(), Some(0.0));
    assert_eq!(c.recall(), None);
    assert_eq!(c.f1(), Some(0.0));
    assert_eq!(c.scores().recall, None);
}

#[test]
fn counts_sum_over_documents_and_merge() -> TestResult {
    let d1a = [sp(0, 5, "actor")];
    let d1b = [sp(0, 5, "actor")];
    let d2a = [sp(0, 5, "actor"), sp(7, 9, "place")];
    let d2b = [sp(1, 5, "actor")];
    let mut all = SpanCounts::new(MatchMode::Exact);
    all.add_document(&d1a, &d1b);
    all.add_document(&d2a, &d2b);
    // doc1 tp=1; doc2 actor fp=1 fn=1, place fn=1 -> tp=1 fp=1 fn=2.
    assert_eq!(
        all.micro(),
        Counts {
            tp: 1,
            fp: 1,
            fn_: 2
        }
    );
    assert_eq!(all.documents(), 2);
    let mut merged = SpanCounts::for_document(&d1a, &d1b, MatchMode::Exact);
    merged.merge(&SpanCounts::for_document(&d2a, &d2b, MatchMode::Exact))?;
    assert_eq!(merged.per_label(), all.per_label());
    assert_eq!(merged.per_label().len(), 2);
    assert_eq!(merged.documents(), 2);
    let other = SpanCounts::new(MatchMode::Overlap);
    assert_eq!(merged.merge(&other), Err(AgreeError::ModeMismatch));
    Ok(())
}

#[test]
fn pairwise_average_three_annotators() -> TestResult {
    let s0 = [sp(0, 5, "actor"), sp(10, 15, "place")];
    let s1 = [sp(0, 5, "actor"), sp(11, 15, "place")];
    let s2 = [sp(0, 5, "actor")];
    let mut p = PairwiseSpanCounts::new(3, MatchMode::Exact);
    p.add_document(&[Some(&s0), Some(&s1), Some(&s2)])?;
    // A second document only annotated by 0 and 1 (identical): it only
    // reaches pair (0,1), adding actor tp=1.
    let d = [sp(0, 3, "actor")];
    p.add_document(&[Some(&d), Some(&d), None])?;
    assert_eq!(p.pair(0, 1).map(SpanCounts::documents), Some(2));
    assert_eq!(p.pair(0, 2).map(SpanCounts::documents), Some(1));
    // (0,1): tp=2 fp=1 fn=1 -> P=2/3 R=2/3 F1=4/6=2/3
    // (0,2): tp=1 fp=0 fn=1 -> P=1   R=1/2 F1=2/3
    // (1,2): tp=1 fp=0 fn=1 -> P=1   R=1/2 F1=2/3
    let r = p.report();
    assert_eq!(r.pairs.len(), 3);
    close(r.mean.precision, (2.0 / 3.0 + 1.0 + 1.0) / 3.0);
    close(r.mean.recall, (2.0 / 3.0 + 0.5 + 0.5) / 3.0);
    close(r.mean.f1, 2.0 / 3.0);
    // per-label F1: actor 1 in every pair; place 0 in every pair.
    close(r.mean.per_label_f1.get("actor").copied().flatten(), 1.0);
    close(r.mean.per_label_f1.get("place").copied().flatten(), 0.0);
    assert_eq!(
        p.add_document(&[None, None]),
        Err(AgreeError::RaterCount {
            expected: 3,
            got: 2
        })
    );
    Ok(())
}

/// Brute-force maximum matching size (small inputs only).
fn brute_max(a: &[SpanRef<'_>], b: &[SpanRef<'_>], i: usize, used: &mut Vec<bool>) -> usize {
    if i == a.len() {
        return 0;
    }
    let mut best = brute_max(a, b, i + 1, used);
    for j in 0..b.len() {
        if !used[j] && a[i].label == b[j].label && a[i].overlaps(&b[j]) {
            used[j] = true;
            best = best.max(1 + brute_max(a, b, i + 1, used));
            used[j] = false;
        }
    }
    best
}

#[test]
fn overlap_matching_equals_brute_force_maximum() {
    let mut rng = Lcg(42);
    let labels = ["actor", "place"];
    let gen_spans = |rng: &mut Lcg| -> Vec<SpanRef<'static>> {
        let n = rng.below(7) as usize;
        (0..n)
            .map(|_| {
                let s = rng.below(20) as usize;
                let len = rng.below(8) as usize;
                sp(s, s + len, labels[rng.below(2) as usize])
            })
            .collect()
    };
    for _ in 0..3000 {
        let a = gen_spans(&mut rng);
        let b = gen_spans(&mut rng);
        let pairs = match_spans(&a, &b, MatchMode::Overlap);
        let want = brute_max(&a, &b, 0, &mut vec![false; b.len()]);
        assert_eq!(pairs.len(), want, "a={a:?} b={b:?}");
        let mut ua = vec![false; a.len()];
        let mut ub = vec![false; b.len()];
        for &(i, j) in &pairs {
            assert!(a[i].label == b[j].label && a[i].overlaps(&b[j]));
            assert!(!ua[i] && !ub[j]);
            ua[i] = true;
            ub[j] = true;
        }
        // Deterministic: same input, same answer.
        assert_eq!(pairs, match_spans(&a, &b, MatchMode::Overlap));
        // Confusion pairing keeps all same-label pairs of the maximum
        // matching, so its diagonal equals the overlap tp.
        let m = ConfusionMatrix::for_document(&a, &b);
        let diag: u64 = labels.iter().map(|l| m.get(l, l)).sum();
        assert_eq!(diag, want as u64);
        assert_eq!(
            m.total() as usize,
            a.len() + b.len() - confusion_pairs(&a, &b).len()
        );
    }
}

// ------------------------------------------------------- confusion

#[test]
fn confusion_matrix_basic() {
    // A: actor[0,5) place[10,15) number[20,22) claim[30,40)
    // B: actor[0,5) actor[10,14) place[21,25) number[50,55)
    // same label: actor-actor. Leftovers: place~actor (4 points),
    // number~place (1 point); claim and B's number unpaired.
    let a = [
        sp(0, 5, "actor"),
        sp(10, 15, "place"),
        sp(20, 22, "number"),
        sp(30, 40, "claim"),
    ];
    let b = [
        sp(0, 5, "actor"),
        sp(10, 14, "actor"),
        sp(21, 25, "place"),
        sp(50, 55, "number"),
    ];
    let m = ConfusionMatrix::for_document(&a, &b);
    assert_eq!(m.get("actor", "actor"), 1);
    assert_eq!(m.get("place", "actor"), 1);
    assert_eq!(m.get("number", "place"), 1);
    assert_eq!(m.get("claim", NONE_LABEL), 1);
    assert_eq!(m.get(NONE_LABEL, "number"), 1);
    assert_eq!(m.total(), 5);
    let rep = m.report();
    assert_eq!(
        rep.labels_a,
        ["(none)", "actor", "claim", "number", "place"]
    );
    assert_eq!(rep.labels_b, ["(none)", "actor", "number", "place"]);
    assert_eq!(
        rep.counts.get("place").and_then(|r| r.get("actor")),
        Some(&1)
    );
    let mut twice = m.clone();
    twice.merge(&m);
    assert_eq!(twice.get("place", "actor"), 2);
    assert_eq!(twice.documents(), 2);
}

#[test]
fn confusion_prefers_same_label_then_largest_overlap() {
    // A actor[0,10); B place[0,9) (overlap 9), actor[5,10) (overlap 5):
    // the same-label pair wins despite the smaller overlap.
    let a = [sp(0, 10, "actor")];
    let b = [sp(0, 9, "place"), sp(5, 10, "actor")];
    let m = ConfusionMatrix::for_document(&a, &b);
    assert_eq!(m.get("actor", "actor"), 1);
    assert_eq!(m.get(NONE_LABEL, "place"), 1);
    // No same-label partner: B place[0,3) (3) vs number[2,10) (8):
    // the larger overlap wins.
    let b = [sp(0, 3, "place"), sp(2, 10, "number")];
    let m = ConfusionMatrix::for_document(&a, &b);
    assert_eq!(m.get("actor", "number"), 1);
    assert_eq!(m.get(NONE_LABEL, "place"), 1);
    assert_eq!(confusion_pairs(&a, &b), vec![(0, 1)]);
}

// ---------------------------------------------------------- tokens

fn entities() -> Layer {
    Layer::new("entities", &["actor", "place", "number"])
}

#[test]
fn token_assignment_rules() {
    let tokens = [(0, 6), (7, 12), (13, 18), (19, 24), (25, 30), (30, 30)];
    let spans = [
        sp(0, 12, "actor"),   // t0, t1
        sp(7, 12, "place"),   // t1 too, but actor starts earlier
        sp(13, 15, "number"), // partial cover of t2 still labels it
        sp(19, 22, "place"),  // t3, same start as the next: longest wins
        sp(19, 30, "actor"),  // t3, t4
        sp(0, 30, "claim"),   // other layer: ignored
    ];
    let layer = entities();
    // actor=1 place=2 number=3, O=0; empty token t5 is O.
    assert_eq!(layer.assign_tokens(&tokens, &spans), [1, 1, 3, 1, 1, 0]);
    let claims = Layer::new("claims", &["claim"]);
    assert_eq!(claims.assign_tokens(&tokens, &spans), [1, 1, 1, 1, 1, 0]);
    // Same start and end: layer order decides (actor before place).
    let tie = [sp(0, 6, "place"), sp(0, 6, "actor")];
    assert_eq!(layer.assign_tokens(&tokens[..1], &tie), [1]);
    // End is exclusive: [0,7) does not reach token [7,12).
    assert_eq!(
        layer.assign_tokens(&tokens[..2], &[sp(0, 7, "place")]),
        [2, 0]
    );
    // Unsorted tokens give the same labels per token.
    let rev: Vec<(usize, usize)> = tokens.iter().rev().copied().collect();
    assert_eq!(layer.assign_tokens(&rev, &spans), [0, 1, 1, 3, 1, 1]);
    assert_eq!(layer.category_names(), ["O", "actor", "place", "number"]);
    assert_eq!(layer.category_name(3), Some("number"));
    assert_eq!(layer.category_name(4), None);
}

#[test]
fn token_assignment_matches_naive() {
    let layer = entities();
    let labels = ["actor", "place", "number", "claim"];
    let mut rng = Lcg(7);
    for _ in 0..2000 {
        let mut tokens = Vec::new();
        let mut pos = 0;
        for _ in 0..rng.below(12) {
            let len = rng.below(4) as usize;
            tokens.push((pos, pos + len));
            pos += len + rng.below(2) as usize;
        }
        let spans: Vec<SpanRef<'_>> = (0..rng.below(8))
            .map(|_| {
                let s = rng.below(30) as usize;
                sp(s, s + rng.below(10) as usize, labels[rng.below(4) as usize])
            })
            .collect();
        let naive: Vec<u32> = tokens
            .iter()
            .map(|&(ts, te)| {
                let tok = sp(ts, te, "");
                spans
                    .iter()
                    .filter_map(|s| Some((s, layer.category_of(s.label)?)))
                    .filter(|(s, _)| s.overlaps(&tok))
                    .min_by_key(|&(s, c)| (s.start, Reverse(s.end), c))
                    .map_or(0, |(_, c)| c)
            })
            .collect();
        assert_eq!(layer.assign_tokens(&tokens, &spans), naive);
    }
}

// ----------------------------------------------------------- kappas

#[test]
fn cohen_kappa_two_by_two_is_0_4() -> TestResult {
    // 50 items:         B yes  B no
    //          A yes      20     5    (A yes 25)
    //          A no       10    15    (A no  25)
    //                  (B yes 30, no 20)
    // p_o = 35/50 = 0.7; p_e = .5*.6 + .5*.4 = 0.5;
    // kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (x, y, n) in [(1, 1, 20), (1, 0, 5), (0, 1, 10), (0, 0, 15)] {
        a.extend(std::iter::repeat_n(x, n));
        b.extend(std::iter::repeat_n(y, n));
    }
    fig(cohen_kappa(&a, &b)?, 0.4);
    // Ids need not be dense.
    let a2: Vec<u32> = a.iter().map(|&v| v * 1000 + 7).collect();
    let b2: Vec<u32> = b.iter().map(|&v| v * 1000 + 7).collect();
    fig(cohen_kappa(&a2, &b2)?, 0.4);
    // Systematic disagreement: p_o = 0, p_e = 1/2 -> kappa = -1.
    fig(cohen_kappa(&[0, 1], &[1, 0])?, -1.0);
    assert!(cohen_kappa(&[0, 1], &[1]).is_err());
    Ok(())
}

fn expand(counts: &[&[u32]]) -> Vec<Vec<u32>> {
    // Row of per-category counts -> list of ratings.
    counts
        .iter()
        .map(|row| {
            row.iter()
                .zip(0_u32..)
                .flat_map(|(&n, c)| std::iter::repeat_n(c, n as usize))
                .collect()
        })
        .collect()
}

/// Textbook Fleiss formula in floating point, for comparison.
fn naive_fleiss(items: &[Vec<u32>], k: usize) -> f64 {
    let n = items[0].len() as f64;
    let big_n = items.len() as f64;
    let mut p_j = vec![0.0; k];
    let mut p_bar = 0.0;
    for item in items {
        let mut nij = vec![0.0; k];
        for &c in item {
            nij[c as usize] += 1.0;
        }
        p_bar += (nij.iter().map(|x| x * x).sum::<f64>() - n) / (n * (n - 1.0));
        for (p, x) in p_j.iter_mut().zip(&nij) {
            *p += x;
        }
    }
    p_bar /= big_n;
    let pe: f64 = p_j.iter().map(|p| (p / (big_n * n)).powi(2)).sum();
    (p_bar - pe) / (1.0 - pe)
}

#[test]
fn fleiss_kappa_small_by_hand() -> TestResult {
    // 3 raters, categories {0,1}: [0,0,0] [0,0,1] [1,1,1].
    // S = sum n_ij^2 = 9 + (4+1) + 9 = 23; M = N*n = 9.
    // P-bar = (S - M) / (M (n-1)) = 14/18 = 7/9.
    // totals: c0 = 5, c1 = 4 -> Q = 25 + 16 = 41, Pe = 41/81.
    // kappa = (M(S-M) - Q(n-1)) / ((M^2-Q)(n-1)) = (126 - 82)/(40*2) = 0.55
    let items = vec![vec![0, 0, 0], vec![0, 0, 1], vec![1, 1, 1]];
    fig(fleiss_kappa(&items)?, 0.55);
    let mut r = CategoryRatings::new(3, 2);
    for it in &items {
        let v: Vec<Option<u32>> = it.iter().copied().map(Some).collect();
        r.push_item(&v)?;
    }
    fig(r.observed_agreement(), 7.0 / 9.0);
    fig(r.fleiss_kappa(), 0.55);
    Ok(())
}

#[test]
fn fleiss_kappa_textbook_example() -> TestResult {
    // Fleiss' kappa example from Wikipedia: 10 items, 14 raters, 5
    // categories. S = 828, M = 140, n = 14, category totals
    // 20, 28, 39, 21, 32 -> Q = 4170.
    // kappa = (140*688 - 4170*13) / ((19600-4170)*13) = 42110/200590 = 0.2099
    let items = expand(&[
        &[0, 0, 0, 0, 14],
        &[0, 2, 6, 4, 2],
        &[0, 0, 3, 5, 6],
        &[0, 3, 9, 2, 0],
        &[2, 2, 8, 1, 1],
        &[7, 7, 0, 0, 0],
        &[3, 2, 6, 3, 0],
        &[2, 5, 3, 2, 2],
        &[6, 5, 2, 1, 0],
        &[0, 2, 2, 3, 7],
    ]);
    let k = fleiss_kappa(&items)?;
    fig(k, 42110.0 / 200590.0);
    assert_eq!(format!("{k}"), "0.2099");
    fig(k, naive_fleiss(&items, 5));
    Ok(())
}

#[test]
fn fleiss_matches_naive_random() -> TestResult {
    let mut rng = Lcg(99);
    for _ in 0..200 {
        let raters = 2 + rng.below(4) as usize;
        let k = 2 + rng.below(3) as usize;
        let items: Vec<Vec<u32>> = (0..1 + rng.below(40))
            .map(|_| (0..raters).map(|_| rng.below(k as u64) as u32).collect())
            .collect();
        // Remap-free only when every category appears; naive needs k.
        let f = fleiss_kappa(&items)?;
        let want = naive_fleiss(&items, k);
        match f {
            Figure::Value(v) => assert!((v - want).abs() < 1e-9, "{v} vs {want}"),
            Figure::Undefined(_) => assert!(!want.is_finite()),
        }
    }
    Ok(())
}

#[test]
fn krippendorff_alpha_missing_by_hand() -> TestResult {
    // 3 raters, None = missing:
    //   u1 [0, 0, -]  m=2, sum n^2 = 4,     m^2 - 4 = 0
    //   u2 [0, 1, 1]  m=3, sum n^2 = 1+4=5, (9-5)/(3-1) = 2
    //   u3 [1, -, -]  m=1: not pairable, excluded
    //   u4 [-, 1, 1]  m=2, 0
    //   u5 [0, 1, -]  m=2, sum n^2 = 2,     (4-2)/1 = 2
    // n = 2+3+2+2 = 9; n_0 = 2+1+1 = 4; n_1 = 2+2+1 = 5.
    // D = sum_{c!=k} o_ck = 4; n^2 - sum n_c^2 = 81 - 41 = 40.
    // alpha = 1 - (n-1) D / 40 = 1 - 8*4/40 = 0.2
    // (coincidences: o_01 = o_10 = 1 (u2) + 1 (u5) = 2;
    //  D_o = 4/9, D_e = 2*4*5/(9*8) = 40/72, 1 - (4/9)/(40/72) = 0.2)
    let items = vec![
        vec![Some(0), Some(0), None],
        vec![Some(0), Some(1), Some(1)],
        vec![Some(1), None, None],
        vec![None, Some(1), Some(1)],
        vec![Some(0), Some(1), None],
    ];
    fig(krippendorff_alpha_nominal(&items), 0.2);
    let mut r = CategoryRatings::new(3, 2);
    for it in &items {
        r.push_item(it)?;
    }
    fig(r.krippendorff_alpha(), 0.2);
    assert_eq!(
        (r.items(), r.pairable_items(), r.complete_items()),
        (5, 4, 1)
    );
    // Trailing missing raters may be omitted.
    let short = vec![
        vec![Some(0), Some(0)],
        vec![Some(0), Some(1), Some(1)],
        vec![Some(1)],
        vec![None, Some(1), Some(1)],
        vec![Some(0), Some(1)],
    ];
    fig(krippendorff_alpha_nominal(&short), 0.2);
    Ok(())
}

#[test]
fn layer_agreement_by_hand() -> TestResult {
    // 5 tokens; entity layer O=0 actor=1 place=2 number=3.
    let tokens = [(0, 3), (4, 8), (9, 12), (13, 17), (18, 20)];
    let a = [sp(0, 8, "actor"), sp(13, 17, "place"), sp(0, 20, "claim")];
    let b = [sp(0, 3, "actor"), sp(9, 17, "place")];
    // A: [1,1,0,2,0]   B: [1,0,2,2,0]
    let mut ents = LayerAgreement::new(entities(), 2);
    ents.add_document(&tokens, &[Some(&a), Some(&b)])?;
    // Cohen: agree on t0,t3,t4 -> p_o = 3/5. Marginals A: O2 actor2
    // place1; B: O2 actor1 place2 -> p_e = (4+2+2)/25 = 8/25.
    // kappa = (15/25 - 8/25)/(17/25) = 7/17.
    let r = ents.ratings();
    fig(r.cohen_kappa(), 7.0 / 17.0);
    fig(r.mean_pairwise_cohen_kappa(), 7.0 / 17.0);
    fig(r.observed_agreement(), 0.6);
    // Fleiss (= Scott's pi for 2 raters): S = 3*4 + 2*2 = 16, M = 10,
    // totals O4 actor3 place3 -> Q = 34;
    // kappa = (10*6 - 34)/((100-34)*1) = 26/66 = 13/33.
    fig(r.fleiss_kappa(), 13.0 / 33.0);
    // Krippendorff: n = 10, D = 2 disagreeing items * (4-2)/1 = 4,
    // alpha = 1 - 9*4/(100-34) = 30/66 = 5/11.
    fig(r.krippendorff_alpha(), 5.0 / 11.0);
    // A second document only A annotated: its tokens are unpairable and
    // change nothing but the item count.
    ents.add_document(&tokens[..2], &[Some(&a), None])?;
    let rep = ents.report();
    assert_eq!((rep.agreement.items, rep.agreement.complete_items), (7, 5));
    fig(rep.agreement.krippendorff_alpha, 5.0 / 11.0);
    fig(rep.agreement.cohen_kappa, 7.0 / 17.0);
    // Claims layer: A claims everything, B nothing: kappa 0 (p_o = p_e = 0).
    let mut claims = LayerAgreement::new(Layer::new("claims", &["claim"]), 2);
    claims.add_document(&tokens, &[Some(&a), Some(&b)])?;
    fig(claims.ratings().cohen_kappa(), 0.0);
    assert!(claims.add_document(&tokens, &[Some(&a)]).is_err());
    Ok(())
}

#[test]
fn pairwise_cohen_three_raters() -> TestResult {
    // Raters 0 and 1 agree perfectly (kappa 1); rater 2 is the exact
    // opposite of both (kappa -1): Light's kappa = (1 - 1 - 1)/3 = -1/3.
    let mut r = CategoryRatings::new(3, 2);
    for (x, y, z) in [(0, 0, 1), (1, 1, 0), (0, 0, 1), (1, 1, 0)] {
        r.push_item(&[Some(x), Some(y), Some(z)])?;
    }
    fig(r.cohen_kappa_pair(0, 1), 1.0);
    fig(r.cohen_kappa_pair(2, 0), -1.0);
    fig(r.mean_pairwise_cohen_kappa(), -1.0 / 3.0);
    assert_eq!(r.cohen_kappa(), Figure::Undefined(COHEN_NEEDS_TWO_RATERS));
    assert_eq!(r.cohen_kappa_pair(1, 1), Figure::Undefined(NO_SUCH_PAIR));
    Ok(())
}

#[test]
fn degenerate_cases() -> TestResult {
    // No items.
    assert_eq!(cohen_kappa(&[], &[])?, Figure::Undefined(NO_ITEMS));
    assert_eq!(fleiss_kappa(&[])?, Figure::Undefined(NO_ITEMS));
    assert_eq!(krippendorff_alpha_nominal(&[]), Figure::Undefined(NO_ITEMS));
    let empty = CategoryRatings::new(2, 3).report();
    for f in [
        empty.cohen_kappa,
        empty.fleiss_kappa,
        empty.krippendorff_alpha,
        empty.observed_agreement,
    ] {
        assert_eq!(f, Figure::Undefined(NO_ITEMS));
    }
    // Everything the same category: chance agreement is 1.
    assert_eq!(
        cohen_kappa(&[2, 2, 2], &[2, 2, 2])?,
        Figure::Undefined(NO_VARIATION)
    );
    assert_eq!(
        fleiss_kappa(&[vec![0, 0], vec![0, 0]])?,
        Figure::Undefined(NO_VARIATION)
    );
    assert_eq!(
        krippendorff_alpha_nominal(&[vec![Some(0), Some(0)], vec![Some(0), None]]),
        Figure::Undefined(NO_VARIATION)
    );
    // All tokens "O" for both annotators.
    let mut l = LayerAgreement::new(entities(), 2);
    l.add_document(&[(0, 1), (2, 3)], &[Some(&[]), Some(&[])])?;
    let rep = l.report();
    assert_eq!(rep.agreement.cohen_kappa, Figure::Undefined(NO_VARIATION));
    assert_eq!(
        rep.agreement.krippendorff_alpha,
        Figure::Undefined(NO_VARIATION)
    );
    fig(rep.agreement.observed_agreement, 1.0);
    // Perfect agreement with variation is exactly 1.
    let v = [0, 1, 2, 1];
    assert_eq!(cohen_kappa(&v, &v)?, Figure::Value(1.0));
    let items: Vec<Vec<u32>> = v.iter().map(|&c| vec![c; 3]).collect();
    assert_eq!(fleiss_kappa(&items)?, Figure::Value(1.0));
    let items: Vec<Vec<Option<u32>>> = v.iter().map(|&c| vec![Some(c), Some(c), None]).collect();
    assert_eq!(krippendorff_alpha_nominal(&items), Figure::Value(1.0));
    // Items exist but none pairable / complete / shared.
    let mut r = CategoryRatings::new(2, 2);
    r.push_item(&[Some(0), None])?;
    r.push_item(&[None, Some(1)])?;
    assert_eq!(r.krippendorff_alpha(), Figure::Undefined(NO_PAIRABLE_ITEMS));
    assert_eq!(r.fleiss_kappa(), Figure::Undefined(NO_COMPLETE_ITEMS));
    assert_eq!(r.cohen_kappa(), Figure::Undefined(NO_SHARED_ITEMS));
    // One rater.
    let one = CategoryRatings::new(1, 2);
    assert_eq!(
        one.krippendorff_alpha(),
        Figure::Undefined(FEWER_THAN_TWO_RATERS)
    );
    assert_eq!(
        one.mean_pairwise_cohen_kappa(),
        Figure::Undefined(FEWER_THAN_TWO_RATERS)
    );
    // Bad input shapes are errors, not panics.
    assert_eq!(
        r.push_item(&[Some(5), None]),
        Err(AgreeError::CategoryOutOfRange {
            category: 5,
            categories: 2
        })
    );
    assert_eq!(
        r.push_item(&[Some(0)]),
        Err(AgreeError::RaterCount {
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        r.add_document(&[Some(&[0, 1]), Some(&[0])]),
        Err(AgreeError::LengthMismatch {
            rater: 1,
            expected: 2,
            got: 1
        })
    );
    assert!(fleiss_kappa(&[vec![0, 1], vec![0]]).is_err());
    Ok(())
}

#[test]
fn json_shapes() -> TestResult {
    use serde_json::json;
    assert_eq!(serde_json::to_value(Figure::Value(0.4))?, json!(0.4));
    assert_eq!(
        serde_json::to_value(Figure::Undefined(NO_ITEMS))?,
        json!({"undefined": "no items"})
    );
    let a = [sp(0, 5, "actor")];
    let r = SpanCounts::for_document(&a, &[], MatchMode::Overlap).report();
    assert_eq!(
        serde_json::to_value(&r)?,
        json!({
            "mode": "overlap",
            "documents": 1,
            "micro": {"tp": 0, "fp": 0, "fn": 1, "precision": null, "recall": 0.0, "f1": 0.0},
            "macro_f1": 0.0,
            "per_label": {"actor": {"tp": 0, "fp": 0, "fn": 1, "precision": null, "recall": 0.0, "f1": 0.0}}
        })
    );
    let m = ConfusionMatrix::for_document(&a, &[sp(1, 3, "place")]);
    assert_eq!(
        serde_json::to_value(&m)?,
        json!({
            "documents": 1,
            "labels_a": ["actor"],
            "labels_b": ["place"],
            "counts": {"actor": {"place": 1}}
        })
    );
    let mut l = LayerAgreement::new(Layer::new("claims", &["claim"]), 2);
    l.add_document(&[(0, 1)], &[Some(&[]), Some(&[])])?;
    let v = serde_json::to_value(l.report())?;
    assert_eq!(v["layer"], json!("claims"));
    assert_eq!(v["categories"], json!(["O", "claim"]));
    assert_eq!(v["items"], json!(1));
    assert_eq!(v["cohen_kappa"], json!({"undefined": NO_VARIATION}));
    assert_eq!(v["observed_agreement"], json!(1.0));
    let p = PairwiseSpanCounts::new(2, MatchMode::Exact).report();
    let v = serde_json::to_value(p)?;
    assert_eq!(v["pairs"][0]["a"], json!(0));
    assert_eq!(v["mean"]["f1"], json!(null));
    Ok(())
}
