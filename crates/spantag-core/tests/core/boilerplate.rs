//! The boilerplate detector on three articles written in the shapes scraped news text comes in,
//! each with a different site's furniture around it. Every line that is not listed as article
//! below was planted as boilerplate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::boilerplate::{Class, Language, detect};
use std::collections::HashSet;

/// (file, headline, the article's other paragraphs by their first words).
const CASES: [(&str, &str, &[&str]); 3] = [
    (
        include_str!("../fixtures/news/gulf-courier.txt"),
        "Ferry operator suspends night crossings after second engine fire",
        &[
            "The operator of the island ferry service",
            "No one was hurt",
            "“We are not willing",
            "The suspension affects",
            "Union representatives said",
            "The maritime inspectorate said",
        ],
    ),
    (
        include_str!("../fixtures/news/valley-herald.txt"),
        "School board delays vote on new catchment boundaries",
        &[
            "The county school board",
            "Board chair Denise Okafor",
            "Under the proposal",
            "Parents at the meeting",
            "The board will hold",
        ],
    ),
    (
        include_str!("../fixtures/news/metro-wire.txt"),
        "Hospital waiting lists fall for the first time in four years",
        &[
            "Waiting lists for planned",
            "The number of patients",
            "Dr Ruth Adeyemi",
            "Opposition members",
            "The board is due",
        ],
    ),
];

#[test]
fn every_planted_line_is_boilerplate_and_every_article_line_is_kept() {
    let lang = Language::english();
    let mut figures = Vec::new();
    for (text, headline, body) in CASES {
        let d = detect(text, &lang, &HashSet::new());
        let chars: Vec<char> = text.chars().collect();
        let line = |i: usize| -> String {
            let p = &d.paragraphs[i];
            chars[p.start..p.end].iter().collect()
        };
        let (mut planted, mut caught, mut article, mut kept) = (0, 0, 0, 0);
        for (i, p) in d.paragraphs.iter().enumerate() {
            let l = line(i);
            let is_article = l == headline || body.iter().any(|b| l.starts_with(b));
            if is_article {
                article += 1;
                kept += usize::from(p.class == Class::Body);
                assert_eq!(
                    p.class,
                    Class::Body,
                    "article line lost: {l:?} ({})",
                    p.reason
                );
            } else {
                planted += 1;
                caught += usize::from(p.class == Class::Boilerplate);
                assert_eq!(
                    p.class,
                    Class::Boilerplate,
                    "boilerplate kept: {l:?} ({})",
                    p.reason
                );
            }
        }
        assert_eq!(
            article,
            body.len() + 1,
            "every listed paragraph is in the file"
        );
        let h = d.headline.map(line);
        assert_eq!(h.as_deref(), Some(headline));
        figures.push(format!(
            "{}: boilerplate {caught}/{planted} lines, article {kept}/{article}",
            headline.split(' ').take(3).collect::<Vec<_>>().join(" ")
        ));
    }
    // The figures per file, as `cargo test -- --nocapture` shows them:
    // Ferry operator suspends: boilerplate 25/25 lines, article 7/7
    // School board delays: boilerplate 16/16 lines, article 6/6
    // Hospital waiting lists: boilerplate 21/21 lines, article 6/6
    println!("{}", figures.join("\n"));
}

#[test]
fn excluded_ranges_cover_exactly_the_boilerplate_lines() {
    let lang = Language::english();
    for (text, _, _) in CASES {
        let d = detect(text, &lang, &HashSet::new());
        let ranges = d.excluded();
        for p in &d.paragraphs {
            let inside = ranges.iter().any(|&(a, b)| a <= p.start && p.end <= b);
            assert_eq!(inside, p.class == Class::Boilerplate, "{p:?}");
        }
        for w in ranges.windows(2) {
            assert!(w[0].1 < w[1].0, "ranges are sorted and apart: {ranges:?}");
        }
    }
}

#[test]
fn lines_repeated_across_a_site_are_boilerplate() {
    let text = "Lakeside Times Weekend Edition\nBridge repairs to start in May\nWork on the old stone bridge over the Lake Road will start in May and last for the rest of the year, the county said.\nLakeside Times Weekend Edition\n";
    let lang = Language::english();
    let d = detect(text, &lang, &HashSet::new());
    assert_eq!(d.paragraphs[0].class, Class::Boilerplate);
    assert_eq!(d.paragraphs[3].class, Class::Boilerplate);
    let site: HashSet<String> = ["bridge repairs to start in may".to_owned()].into();
    let with_site = detect(
        "Bridge repairs to start in May\nWork on the old stone bridge over the Lake Road will start in May and last for the rest of the year, the county said.\n",
        &lang,
        &site,
    );
    assert_eq!(with_site.paragraphs[0].class, Class::Boilerplate);
}

#[test]
#[ignore = "prints each line's class and reason"]
fn show_reasons() {
    let lang = Language::english();
    for (text, _, _) in CASES {
        let d = detect(text, &lang, &HashSet::new());
        let chars: Vec<char> = text.chars().collect();
        for p in &d.paragraphs {
            let l: String = chars[p.start..p.end].iter().take(50).collect();
            println!("{:?} {:<34} {l}", p.class, p.reason);
        }
    }
}

#[test]
fn detected_boilerplate_is_stored_as_excluded_ranges_and_spans_inside_are_listed() {
    use spantag_core::edit::Edit;
    use spantag_core::model::{EditError, Project};
    use spantag_core::project_io;
    let text = include_str!("../fixtures/news/valley-herald.txt");
    let mut p = Project::new("news", &["actor", "place", "number", "claim"]);
    let source = spantag_core::model::Source {
        path: None,
        hash: spantag_core::model::content_hash(text),
        encoding: "UTF-8".into(),
        line_endings: spantag_core::model::LineEndings::Lf,
    };
    let doc = spantag_core::model::Document::new("vh".into(), "x".into(), text.into(), source);
    p.apply(Edit::AddDocument {
        index: 0,
        document: std::sync::Arc::new(doc),
    })
    .expect("adds");
    let ranges = detect(text, &Language::english(), &HashSet::new()).excluded();
    let undo = p
        .apply(Edit::SetExcluded {
            doc: "vh".into(),
            ranges: ranges.clone(),
        })
        .expect("sets");
    assert_eq!(p.documents[0].excluded, ranges);
    // Saved and loaded with the project.
    let ron = project_io::to_ron_string(&p).expect("text");
    let again = project_io::from_ron_str(&ron, std::path::Path::new("p.ron")).expect("loads");
    assert_eq!(again.documents[0].excluded, ranges);
    // A span in the navigation line is listed by `lint` (what `spantag validate` prints).
    let span = p.make_span("vh", 0, 4, "place", "ana").expect("span");
    p.apply(Edit::AddSpan {
        doc: "vh".into(),
        span,
    })
    .expect("the edit itself does not refuse it");
    let lint = project_io::list_problems(&project_io::lint(&p));
    assert!(lint.contains("starts inside the excluded range"), "{lint}");
    // Overlapping or unsorted ranges are refused; undo restores none.
    let before = p.clone();
    assert_eq!(
        p.apply(Edit::SetExcluded {
            doc: "vh".into(),
            ranges: vec![(5, 9), (0, 6)]
        }),
        Err(EditError::BadExcluded(vec![(5, 9), (0, 6)]))
    );
    assert_eq!(p, before);
    p.apply(undo).expect("undo");
    assert!(p.documents[0].excluded.is_empty());
}
