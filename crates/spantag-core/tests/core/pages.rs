//! Saved web pages as articles: three pages written in the shapes news sites use (a header with
//! navigation, an article with headline, byline, time, paragraphs with links and quotes, an
//! "also read" aside, a share bar, a comment form, a footer; one page with a JSON-LD
//! `NewsArticle` block; one in Windows-1252 declared by a meta tag).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use spantag_core::import::{ImportOptions, make_document, read_article};
use spantag_core::model::Project;
use std::path::{Path, PathBuf};

struct Page {
    file: &'static str,
    /// The article's paragraphs (beginnings), in order.
    article: &'static [&'static str],
    /// Text of the page that is not the article.
    not: &'static [&'static str],
    title: &'static str,
    byline: &'static str,
    published: &'static str,
    url: &'static str,
    encoding: &'static str,
}

const PAGES: [Page; 3] = [
    Page {
        file: "harbour-tribune.html",
        article: &[
            "Dockworkers vote to end strike at Port Elder",
            "Dockworkers at Port Elder voted on Wednesday",
            "Members of the Harbour and Transport Union backed the offer by 1,208 votes to 377",
            "“This is a fair deal, and our members have earned every penny of it,” said Marta Lindqvist",
            "Backlog of ships",
            "The port authority said it expected to clear the backlog",
            "We will work around the clock",
            "Shipping companies had warned",
        ],
        not: &[
            "Home",
            "Weather",
            "Search the Tribune",
            "Also read",
            "Ferry fares to rise in May",
            "Share on Facebook",
            "Leave a Reply",
            "Required fields",
            "Post Comment",
            "All rights reserved",
            "By Priya",
            "2 April 2026",
            "window.analytics",
            "font-family",
        ],
        title: "Dockworkers vote to end strike at Port Elder",
        byline: "Priya Nandakumar",
        published: "2026-04-02T08:15:00Z",
        url: "https://harbour-tribune.example/news/2026/04/dockworkers-end-strike",
        encoding: "UTF-8 (declared)",
    },
    Page {
        file: "northern-ledger.html",
        article: &[
            "Mountain rescue teams report busiest winter on record",
            "Volunteer mountain rescue teams in the northern fells were called out 312 times",
            "Most of the calls came from walkers",
            "Lost or benighted walkers: 141 call-outs",
            "Slips on ice and snow: 96 call-outs",
            "Medical emergencies on the hill: 75 call-outs",
            "“People see a sunny morning in the valley",
            "The federation said three of its members had been injured",
        ],
        not: &[
            "Log in",
            "Outdoors",
            "Most popular",
            "Ski lift closed after storm",
            "newsletter every Friday",
            "Sign up",
            "Cookie settings",
            "@context",
        ],
        title: "Mountain rescue teams report busiest winter on record",
        byline: "Søren Kjeldsen",
        published: "2026-02-18T17:30:00+01:00",
        url: "https://northern-ledger.example/2026/02/18/mountain-rescue-record",
        encoding: "UTF-8 (declared)",
    },
    Page {
        file: "petit-courrier-cp1252.html",
        article: &[
            "Café owners protest plan to close Rue Verte to traffic",
            "Owners of eleven cafés and restaurants on the Rue Verte",
            "“Our customers come by car from the villages around the town",
            "The council says the closure would cut noise",
            "The deputy mayor, Claire Fontaine, said the plan would go ahead",
        ],
        not: &[
            "Accueil",
            "Partager",
            "Commentaires",
            "Connectez-vous",
            "Le Petit Courrier",
            "Renée Dubois",
            "11 June 2026",
        ],
        title: "Café owners protest plan to close Rue Verte to traffic",
        byline: "Renée Dubois",
        published: "2026-06-11",
        url: "https://petit-courrier.example/ville/rue-verte",
        encoding: "windows-1252 (declared)",
    },
];

fn path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pages")
        .join(file)
}

#[test]
fn pages_become_their_article_with_its_metadata() {
    let project = Project::new("pages", &["actor", "place", "number", "claim"]);
    for page in &PAGES {
        let p = path(page.file);
        let decoded = read_article(&p, &ImportOptions::default()).expect(page.file);
        assert_eq!(decoded.encoding, page.encoding, "{}", page.file);
        let doc = make_document(&project, &p, decoded);
        let text = &doc.text;
        let mut from = 0;
        for para in page.article {
            let at = text[from..].find(para).unwrap_or_else(|| {
                panic!("{}: {para:?} missing or out of order in\n{text}", page.file)
            });
            from += at + para.len();
        }
        for junk in page.not {
            assert!(
                !text.contains(junk),
                "{}: {junk:?} is in\n{text}",
                page.file
            );
        }
        // One block per line, blank lines between them.
        for para in page.article {
            assert!(
                text.lines().any(|l| l.starts_with(para)),
                "{}: {para:?} does not start a line",
                page.file
            );
        }
        assert_eq!(doc.title, page.title);
        let meta = |k: &str| {
            doc.meta
                .get(k)
                .map(|v| serde_json::from_str::<String>(v).expect("JSON string"))
        };
        assert_eq!(meta("title").as_deref(), Some(page.title), "{}", page.file);
        assert_eq!(
            meta("byline").as_deref(),
            Some(page.byline),
            "{}",
            page.file
        );
        assert_eq!(
            meta("published").as_deref(),
            Some(page.published),
            "{}",
            page.file
        );
        assert_eq!(meta("url").as_deref(), Some(page.url), "{}", page.file);
        assert_eq!(
            doc.source.path.as_deref(),
            Some(p.to_string_lossy().as_ref())
        );
    }
}

#[test]
fn a_page_with_no_article_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("empty.html");
    std::fs::write(
        &p,
        "<html><head><title>x</title></head><body><nav><a href=/>Home</a></nav></body></html>",
    )
    .expect("write");
    match read_article(&p, &ImportOptions::default()) {
        Err(e) => assert!(e.to_string().contains("empty.html"), "{e}"),
        Ok(d) => panic!("expected a refusal, got {:?}", d.text),
    }
}

#[test]
fn titles_of_scraped_text_skip_the_navigation_line() {
    let text = include_str!("../fixtures/news/gulf-courier.txt");
    assert_eq!(
        spantag_core::import::title_of(text, Path::new("gulf.txt")),
        "Ferry operator suspends night crossings after second engine fire"
    );
    // A plain article keeps its first line.
    assert_eq!(
        spantag_core::import::title_of(
            "Lune Port approves bridge\n\nThe harbour authority on Tuesday approved plans for a new road bridge to the island, ending years of argument.\n",
            Path::new("a.txt")
        ),
        "Lune Port approves bridge"
    );
}

#[test]
#[ignore = "prints the text extracted from each page"]
fn show_pages() {
    let project = Project::new("pages", &["actor"]);
    for page in &PAGES {
        let p = path(page.file);
        let decoded = read_article(&p, &ImportOptions::default()).expect(page.file);
        let doc = make_document(&project, &p, decoded);
        println!(
            "== {} ({:?})\n{}\n{:?}",
            page.file, doc.title, doc.text, doc.meta
        );
    }
}
