//! Saved web pages as articles from the command line: `add` takes `.html` files and folders with
//! them, and a page with no article is refused with the reason, adding nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{code, out, spantag};
use spantag_core::project_io;
use std::path::Path;

const PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Tram line to reopen | City Post</title>\
<link rel=\"canonical\" href=\"https://city-post.example/tram\"></head><body>\
<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav>\
<article><h1>Tram line to reopen after repairs</h1>\
<p>The number 4 tram line will reopen on Monday after six weeks of track repairs between the station and the university, the city’s transport office said.</p>\
<p>Engineers replaced 1.8 km of rail and two junctions, work that had been planned for 2027 but was brought forward after a derailment in March.</p></article>\
<footer>© City Post</footer></body></html>";

#[test]
fn add_reads_web_pages_and_folders_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = spantag(&["new", "p.ron"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    std::fs::create_dir(d.join("pages")).unwrap();
    std::fs::write(d.join("pages/tram.html"), PAGE).unwrap();
    std::fs::write(d.join("pages/notes.json"), "{}").unwrap();
    let o = spantag(&["add", "p.ron", "pages"], d);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let p = project_io::load(&d.join("p.ron")).unwrap();
    assert_eq!(p.documents.len(), 1, "the .json file is not an article");
    let doc = &p.documents[0];
    assert_eq!(doc.title, "Tram line to reopen after repairs");
    assert!(
        doc.text
            .starts_with("Tram line to reopen after repairs\n\nThe number 4 tram line")
    );
    assert!(!doc.text.contains("Home") && !doc.text.contains("City Post"));
    assert_eq!(
        doc.meta.get("url").map(String::as_str),
        Some("\"https://city-post.example/tram\"")
    );
}

#[test]
fn a_page_without_an_article_is_refused_and_nothing_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    spantag(&["new", "p.ron"], d);
    let before = std::fs::read(d.join("p.ron")).unwrap();
    std::fs::write(
        d.join("menu.html"),
        "<html><body><nav><a href=/>Home</a> <a href=/news>News</a></nav></body></html>",
    )
    .unwrap();
    let o = spantag(&["add", "p.ron", "menu.html"], d);
    assert_ne!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("menu.html"), "{}", out(&o));
    assert!(
        out(&o).contains("no paragraph of 8 words or more"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read(d.join("p.ron")).unwrap(), before);
    assert!(Path::new(&d.join("p.ron")).exists());
}
