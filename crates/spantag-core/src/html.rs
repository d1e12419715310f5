//! Saved web pages (`.html`, `.htm`) as articles: the page's main content as text, through
//! `dom_smoothie` (a port of Mozilla's readability.js), and the metadata the page declares.
//!
//! - **Encoding**: a byte-order mark, else the `<meta charset>` or `http-equiv` declaration in
//!   the first 1024 bytes (the HTML standard's prescan, simplified), else the text file rules of
//!   [`crate::import::decode`] (UTF-8, or a detected legacy encoding).
//! - **Text**: the extracted article with one line per block (paragraph, heading, list item,
//!   quote), blank lines between them, whitespace inside a block collapsed, entities decoded;
//!   scripts, styles, navigation, asides, forms and comment sections are what readability leaves
//!   out. The headline comes first when the content does not start with it.
//! - **Metadata** (stored in the document's `meta`, each a JSON string): `title`, `byline`,
//!   `published` (the page's published time: `article:published_time`, JSON-LD `datePublished`,
//!   else the first `<time datetime>`), `url` (the canonical URL: `<link rel=canonical>`, else
//!   `og:url`, else JSON-LD `url`) and `site`.

use dom_smoothie::{Config, Readability, TextMode};
use encoding_rs::Encoding;

/// An article read from a web page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageArticle {
    /// The text to annotate (LF line endings).
    pub text: String,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    pub url: Option<String>,
    pub site: Option<String>,
}

impl PageArticle {
    /// The metadata as `meta` entries (key, JSON text), for [`crate::model::Document::meta`].
    pub fn meta(&self) -> Vec<(String, String)> {
        [
            ("title", &self.title),
            ("byline", &self.byline),
            ("published", &self.published),
            ("url", &self.url),
            ("site", &self.site),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            let v = v.as_deref()?;
            Some((k.to_owned(), serde_json::Value::from(v).to_string()))
        })
        .collect()
    }
}

/// Why a page gave no article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("no article text was found in the page ({0})")]
    NoArticle(String),
}

/// The encoding a page declares in a `<meta>` tag within its first 1024 bytes, if any.
pub fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(1024)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&lower[from..], b"<meta") {
        let tag_start = from + at;
        let tag_end =
            memchr::memchr(b'>', &lower[tag_start..]).map_or(lower.len(), |e| tag_start + e);
        let tag = &lower[tag_start..tag_end];
        if let Some(c) = memchr::memmem::find(tag, b"charset") {
            let rest = &tag[c + b"charset".len()..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let end = rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if let Some(enc) = Encoding::for_label(&rest[..end]) {
                    // A page that says UTF-16 in ASCII bytes is not UTF-16 (HTML standard).
                    return Some(
                        if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                            encoding_rs::UTF_8
                        } else {
                            enc
                        },
                    );
                }
            }
        }
        from = tag_end.max(tag_start + 1);
    }
    None
}

/// Extracts the article of a page's HTML (already decoded).
pub fn extract(html: &str) -> Result<PageArticle, PageError> {
    let cfg = Config {
        text_mode: TextMode::Formatted,
        ..Default::default()
    };
    let mut r =
        Readability::new(html, None, Some(cfg)).map_err(|e| PageError::NoArticle(e.to_string()))?;
    let meta = r.get_article_metadata(r.parse_json_ld());
    let article = r.parse().map_err(|e| PageError::NoArticle(e.to_string()))?;
    let mut lines: Vec<String> = article
        .text_content
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    let extra = page_links(html);
    let byline = article.byline.or(meta.byline);
    // The byline and the date are metadata: lines that only repeat them are not article text.
    if let Some(b) = byline.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        let by = format!("By {b}");
        lines.retain(|l| l != b && *l != by);
    }
    if let Some(t) = extra.time_text.as_deref() {
        lines.retain(|l| l != t);
    }
    // The page's headline (its first `<h1>`) when it has one: the `<title>` often carries the
    // site's name ("Tram line to reopen | City Post").
    let title = extra
        .h1
        .clone()
        .or_else(|| Some(article.title.trim().to_owned()))
        .filter(|t| !t.is_empty());
    if let Some(t) = &title {
        lines.retain(|l| l != t);
    }
    if let Some(t) = &title
        && lines.first() != Some(t)
    {
        lines.insert(0, t.clone());
    }
    // A page of links and buttons gives back its menu: an article has a sentence somewhere.
    if !lines.iter().any(|l| l.split_whitespace().count() >= 8) {
        return Err(PageError::NoArticle(
            "its main content has no paragraph of 8 words or more".into(),
        ));
    }
    let clean = |s: Option<String>| s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    Ok(PageArticle {
        text: lines.join("\n\n") + "\n",
        title,
        byline: clean(byline),
        published: clean(
            article
                .published_time
                .or(meta.published_time)
                .or(extra.time),
        ),
        url: clean(extra.canonical.or(meta.url)),
        site: clean(article.site_name.or(meta.site_name)),
    })
}

/// What readability does not report: the canonical link and the first `<time datetime>`.
struct Links {
    canonical: Option<String>,
    time: Option<String>,
    /// The text the first `<time>` shows, whitespace collapsed.
    time_text: Option<String>,
    /// The first `<h1>`'s text, whitespace collapsed, when it is a headline (1 to 30 words).
    h1: Option<String>,
}

fn page_links(html: &str) -> Links {
    let doc = dom_query::Document::from(html);
    let attr = |sel: &str, name: &str| {
        doc.select(sel)
            .iter()
            .find_map(|n| n.attr(name).map(|v| v.to_string()))
    };
    Links {
        canonical: attr("link[rel=canonical]", "href")
            .or_else(|| attr("meta[property='og:url']", "content")),
        time: attr("time[datetime]", "datetime"),
        h1: doc
            .select("h1")
            .iter()
            .next()
            .map(|n| n.text().split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| (1..=30).contains(&t.split(' ').count()) && !t.is_empty()),
        time_text: doc
            .select("time")
            .iter()
            .next()
            .map(|n| n.text().split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty()),
    }
}
