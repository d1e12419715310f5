//! Imports the 20,000-document corpus of `../shared/bench/make_corpus.py` and exports it to CoNLL
//! and `.spacy` on one thread (three times each; the median counts), then runs spaCy's own
//! conversion (`../shared/bench/spacy_baseline.py`) on the same corpus in the same run and prints
//! both docs/s figures and the ratio (target: at least 50x spaCy's docs/s).
//!
//!     cargo bench --bench export_corpus              # 20,000 documents
//!     SPANTAG_BENCH_DOCS=2000 cargo bench --bench export_corpus
//!
//!     SPANTAG_BENCH_ONLY=conll cargo bench --bench export_corpus   # one export, for profiling
//!     SPANTAG_BENCH_ONLY=ours cargo bench --bench export_corpus    # both exports, no spaCy
//!     SPANTAG_BENCH_SPAN_GROUPS=sc=all ...   # `.spacy` with one span group instead of three
//!
//! On Linux each export also prints its processor time (the thread's time on a processor), which
//! a machine shared with other work changes far less than the wall clock.
//!
//! The corpus is generated once into `bench-data/` (ignored by git). Skips with a message when
//! `../shared/bench` or Python is missing; the spaCy half is skipped when the venv lacks spaCy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use spantag_core::formats::{
    self, ExportFormat, ExportOptions, ImportFormat, ImportOptions, Layer, Progress,
};
use spantag_core::model::{DEFAULT_LABELS, Document, Project};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SPANTAG_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    p.exists().then_some(p)
}

/// A copy of the project whose documents have no cached token index yet, so that every export
/// pays for tokenization like spaCy does.
fn fresh(p: &Project) -> Project {
    let mut q = p.clone();
    q.documents = p
        .documents
        .iter()
        .map(|d| {
            let mut n = Document::new(
                d.id.clone(),
                d.title.clone(),
                d.text.clone(),
                d.source.clone(),
            );
            n.spans = d.spans.clone();
            n.done = d.done;
            Arc::new(n)
        })
        .collect();
    q
}

/// Processor time of the calling thread in seconds (Linux: `/proc/thread-self/schedstat`, whose
/// first field is nanoseconds on the processor); `None` elsewhere. The exports run on this thread.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing special: run small.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/bench");
    let make = shared.join("make_corpus.py");
    if !make.exists() {
        println!(
            "skipped: {} not found (the benchmark needs ../shared/bench)",
            make.display()
        );
        return;
    }
    let docs: usize = std::env::var("SPANTAG_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let data = root.join("bench-data");
    std::fs::create_dir_all(&data).unwrap();
    let corpus = data.join(format!("corpus-{docs}.jsonl"));
    if !corpus.exists() {
        println!("generating {docs} documents with make_corpus.py ...");
        let ok = Command::new("python3")
            .arg(&make)
            .args(["--docs", &docs.to_string(), "--out"])
            .arg(&corpus)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            let _ = std::fs::remove_file(&corpus);
            println!("skipped: python3 could not run make_corpus.py");
            return;
        }
    }
    let mb = std::fs::read_to_string(&corpus)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().len()
        })
        .sum::<usize>() as f64
        / 1e6;

    let t = Instant::now();
    let mut project = Project::new("bench", &DEFAULT_LABELS);
    let summary = formats::import(
        &mut project,
        std::slice::from_ref(&corpus),
        &ImportOptions::new(ImportFormat::Jsonl),
    )
    .unwrap();
    let import_s = t.elapsed().as_secs_f64();
    assert!(summary.is_complete(), "{}", summary.to_text());
    let spans = project.span_count();

    let out = tempfile::tempdir().unwrap();
    let mut rows: Vec<(String, f64, Option<f64>)> = Vec::new();
    let run_once = |format: ExportFormat, name: &str| -> f64 {
        let p = fresh(&project);
        let mut opts = ExportOptions::new(format);
        // Like the baseline: the CoNLL file holds the ACTOR/PLACE/NUMBER layer.
        opts.layer = Layer::Entities;
        // SPANTAG_BENCH_SPAN_GROUPS=sc=all writes one span group, as before per-layer groups.
        if let Ok(g) = std::env::var("SPANTAG_BENCH_SPAN_GROUPS") {
            opts.span_groups = formats::parse_span_groups(&g).unwrap();
        }
        let path = out.path().join(name);
        let cpu = thread_cpu();
        let t = Instant::now();
        let s = formats::export(&p, &opts, &path, &Progress::default()).unwrap();
        let secs = t.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (cpu, thread_cpu()) {
            // On a busy machine the processor time says more than the wall clock.
            println!(
                "  {name}: {secs:.3} s wall, {:.3} s on the processor",
                b - a
            );
        }
        assert!(s.is_complete(), "{}", s.to_text());
        // Every run writes a new file, as the baseline does; replacing the previous run's file
        // would add the file system's cost of freeing it.
        let _ = std::fs::remove_file(&path);
        secs
    };
    // The median of three runs: a shared machine's timings vary by 10-20% from run to run.
    let run = |format: ExportFormat, name: &str| -> f64 {
        let mut times: Vec<f64> = (0..3).map(|_| run_once(format, name)).collect();
        times.sort_by(f64::total_cmp);
        println!(
            "{name}: {} s; median {:.3} s",
            times
                .iter()
                .map(|t| format!("{t:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
            times[1]
        );
        times[1]
    };
    // SPANTAG_BENCH_ONLY=conll|spacy runs one export and nothing else (for profiling).
    match std::env::var("SPANTAG_BENCH_ONLY").as_deref() {
        Ok("conll") => return println!("conll {:.3} s", run_once(ExportFormat::Conll, "c.conll")),
        Ok("spacy") => return println!("spacy {:.3} s", run_once(ExportFormat::Spacy, "c.spacy")),
        _ => {}
    }
    let conll_s = run(ExportFormat::Conll, "corpus.conll");
    let spacy_s = run(ExportFormat::Spacy, "corpus.spacy");
    if std::env::var("SPANTAG_BENCH_ONLY").as_deref() == Ok("ours") {
        return;
    }

    let baseline = |to: &str| -> Option<f64> {
        let py = python()?;
        let has_spacy = Command::new(&py)
            .args(["-c", "import spacy"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !has_spacy {
            return None;
        }
        let o = Command::new(&py)
            .arg(shared.join("spacy_baseline.py"))
            .arg(&corpus)
            .args(["--to", to, "--out"])
            .arg(out.path().join(format!("baseline.{to}")))
            .output()
            .ok()?;
        let line = String::from_utf8_lossy(&o.stdout).into_owned();
        println!("  {}", line.trim());
        // "... 12.34 s, 296 docs/s, 0.91 MB/s"
        line.split(", ")
            .find(|p| p.ends_with("docs/s"))
            .and_then(|p| p.trim_end_matches(" docs/s").trim().parse().ok())
    };
    println!("spaCy baseline (same corpus, same run):");
    let base_conll = baseline("conll");
    let base_spacy = baseline("spacy");
    if base_conll.is_none() {
        println!("  skipped: no Python with spaCy (set SPANTAG_PYTHON or create .venv)");
    }
    rows.push(("import jsonl".into(), import_s, None));
    rows.push(("export conll".into(), conll_s, base_conll));
    rows.push(("export spacy".into(), spacy_s, base_spacy));

    println!();
    println!("corpus: {docs} documents, {mb:.1} MB of text, {spans} spans; one thread");
    println!(
        "{:<14} {:>9} {:>11} {:>8} {:>13} {:>8}",
        "step", "seconds", "docs/s", "MB/s", "spaCy docs/s", "ratio"
    );
    for (name, secs, base) in rows {
        let dps = docs as f64 / secs;
        let (b, r) = match base {
            Some(b) => (format!("{b:.0}"), format!("{:.0}x", dps / b)),
            None => ("-".into(), "-".into()),
        };
        println!(
            "{name:<14} {secs:>9.3} {dps:>11.0} {:>8.1} {b:>13} {r:>8}",
            mb / secs
        );
    }
}
