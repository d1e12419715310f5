//! Boilerplate in article text: which paragraphs are the article and which are the site around
//! it (navigation, bylines and handles, share and font buttons, date lines, "ALSO READ" links,
//! comment policies and forms, teasers of other stories, newsletter boxes, footers).
//!
//! In the spirit of jusText (Pomikálek, 2011), but for text that has already lost its markup:
//! each line is a paragraph, classified first on its own (length, share of stopwords, sentence
//! punctuation, the site phrases of its language) and then by where it stands:
//!
//! 1. **On its own.** A *cue* line starts with a site phrase (`[inline]` in the language file:
//!    "ALSO READ", "Advertisement", "Share on", ...; or `[tail]`: "Comment policy", "The Latest",
//!    "Related stories", ...) and is short with no sentence ending; a line of handles, links or
//!    separators (`|`, `•`), a date or byline line, or a run of capitalised words with no
//!    stopword (a menu) is *bad*. A line of at least 8 words, a quarter of them stopwords, that
//!    ends a sentence is *good*. Anything else is *short*.
//! 2. **Where the article is.** It begins at the first good line. Before it only the headline is
//!    article: the last headline-like line (4 to 20 words, not a cue, a menu, a byline or a date)
//!    before the first good line. A tail cue after the beginning ends the article: that line and
//!    everything after it are boilerplate. Between the two, good lines are article, and short
//!    lines of three words or more that are not cues (sub-headings, one-sentence quotes) too.
//! 3. **Repeated lines.** A short line that appears twice in the document (a byline and handle
//!    printed twice) is boilerplate wherever it is; lines that recur across many documents of a
//!    project (a site's menu) can be passed in as `site_lines`.
//!
//! The phrases and stopwords are data (`data/boilerplate/en.txt`), so that another language is a
//! file, not code. [`detect`] returns every paragraph with its class and the reason, and
//! [`Detection::excluded`] the ranges to exclude (code points, consecutive boilerplate lines
//! merged with the line breaks between them).

use std::collections::{HashMap, HashSet};

/// The words and phrases of one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    stopwords: HashSet<String>,
    tail: Vec<String>,
    inline: Vec<String>,
}

/// Why the data of a language could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageError {
    #[error("line {line}: {text:?} is outside a [stopwords], [tail] or [inline] section")]
    OutsideSection { line: usize, text: String },
    #[error("line {line}: unknown section {name:?} (expected stopwords, tail or inline)")]
    UnknownSection { line: usize, name: String },
    #[error("the language has no stopwords")]
    NoStopwords,
}

impl Language {
    /// The languages that come with spantag, by ISO 639-1 code.
    pub fn builtin(code: &str) -> Option<Language> {
        match code {
            "en" => Language::parse(include_str!("../data/boilerplate/en.txt")).ok(),
            _ => None,
        }
    }

    /// English.
    pub fn english() -> Language {
        // The bundled file is tested to parse (`tests::english_parses`).
        Language::builtin("en").unwrap_or_else(|| Language {
            stopwords: HashSet::new(),
            tail: Vec::new(),
            inline: Vec::new(),
        })
    }

    /// Reads a language file: `[stopwords]` (words separated by whitespace), `[tail]` and
    /// `[inline]` (one phrase per line); `#` starts a comment.
    pub fn parse(text: &str) -> Result<Language, LanguageError> {
        let mut lang = Language {
            stopwords: HashSet::new(),
            tail: Vec::new(),
            inline: Vec::new(),
        };
        let mut section: Option<&str> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = match name {
                    "stopwords" | "tail" | "inline" => Some(match name {
                        "stopwords" => "stopwords",
                        "tail" => "tail",
                        _ => "inline",
                    }),
                    _ => {
                        return Err(LanguageError::UnknownSection {
                            line: i + 1,
                            name: name.to_owned(),
                        });
                    }
                };
                continue;
            }
            let phrase = line.to_lowercase();
            match section {
                Some("stopwords") => lang
                    .stopwords
                    .extend(phrase.split_whitespace().map(str::to_owned)),
                Some("tail") => lang.tail.push(phrase),
                Some(_) => lang.inline.push(phrase),
                None => {
                    return Err(LanguageError::OutsideSection {
                        line: i + 1,
                        text: line.to_owned(),
                    });
                }
            }
        }
        if lang.stopwords.is_empty() {
            return Err(LanguageError::NoStopwords);
        }
        Ok(lang)
    }
}

/// What a paragraph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The article (including its headline).
    Body,
    /// The site around the article.
    Boilerplate,
}

/// One line of the text with its class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// First code point of the line.
    pub start: usize,
    /// One past its last code point (before the line break).
    pub end: usize,
    pub class: Class,
    /// Why, in a few words ("tail cue", "before the article", "headline", ...).
    pub reason: &'static str,
}

/// The paragraphs of a text, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub paragraphs: Vec<Paragraph>,
    /// Index in `paragraphs` of the headline, if one was found.
    pub headline: Option<usize>,
}

impl Detection {
    /// The boilerplate as code point ranges, consecutive boilerplate lines merged together with
    /// the line breaks (and blank lines) between them.
    pub fn excluded(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut open = false;
        for p in &self.paragraphs {
            match (p.class, out.last_mut()) {
                (Class::Body, _) => open = false,
                (Class::Boilerplate, Some(r)) if open => r.1 = p.end,
                (Class::Boilerplate, _) => {
                    out.push((p.start, p.end));
                    open = true;
                }
            }
        }
        out
    }

    /// The headline's range, if one was found.
    pub fn headline_range(&self) -> Option<(usize, usize)> {
        self.headline
            .and_then(|i| self.paragraphs.get(i))
            .map(|p| (p.start, p.end))
    }
}

/// First look at a line, on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Tail,
    Bad(&'static str),
    Good,
    Short,
}

struct Line<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

/// Classifies each non-empty line of `text`. `site_lines` are lines known to recur across the
/// site's pages (compared trimmed and case-insensitively); pass an empty set when there are none.
pub fn detect(text: &str, lang: &Language, site_lines: &HashSet<String>) -> Detection {
    let lines = lines_of(text);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for l in &lines {
        *counts.entry(l.text.trim().to_lowercase()).or_default() += 1;
    }
    let looks: Vec<Look> = lines
        .iter()
        .map(|l| {
            let key = l.text.trim().to_lowercase();
            let look = look(l.text, lang);
            if look != Look::Good
                && (counts.get(&key).is_some_and(|&n| n > 1) || site_lines.contains(&key))
            {
                Look::Bad("repeated line")
            } else {
                look
            }
        })
        .collect();
    let first_good = looks.iter().position(|l| *l == Look::Good);
    let tail = first_good.and_then(|f| {
        looks[f..]
            .iter()
            .position(|l| *l == Look::Tail)
            .map(|i| f + i)
    });
    let headline = first_good.and_then(|f| {
        (0..f)
            .rev()
            .find(|&i| looks[i] == Look::Short && headline_like(lines[i].text, lang))
    });
    let paragraphs = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (class, reason) = classify(i, &looks, first_good, tail, headline, l.text);
            Paragraph {
                start: l.start,
                end: l.end,
                class,
                reason,
            }
        })
        .collect();
    Detection {
        paragraphs,
        headline,
    }
}

fn classify(
    i: usize,
    looks: &[Look],
    first_good: Option<usize>,
    tail: Option<usize>,
    headline: Option<usize>,
    text: &str,
) -> (Class, &'static str) {
    use Class::{Body, Boilerplate};
    if Some(i) == headline {
        return (Body, "headline");
    }
    let Some(first) = first_good else {
        // No line reads like an article: keep everything rather than guess.
        return (Body, "no article found");
    };
    // Outside the article, a line's own reason when it has one.
    let own = match looks[i] {
        Look::Bad(why) => Some(why),
        _ => None,
    };
    if i < first {
        return (Boilerplate, own.unwrap_or("before the article"));
    }
    if let Some(t) = tail
        && i >= t
    {
        let why = if i == t {
            "starts the site's trailing matter"
        } else {
            own.unwrap_or("after the article")
        };
        return (Boilerplate, why);
    }
    match looks[i] {
        Look::Good => (Body, "article paragraph"),
        Look::Bad(why) => (Boilerplate, why),
        Look::Tail => (Boilerplate, "site phrase"),
        Look::Short if words(text).count() >= 3 => (Body, "short line inside the article"),
        Look::Short => (Boilerplate, "one or two words"),
    }
}

fn lines_of(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut cp = 0;
    for raw in text.split('\n') {
        let n = raw.chars().count();
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let lead = line.chars().take_while(|c| c.is_whitespace()).count();
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            let start = cp + lead;
            out.push(Line {
                start,
                end: start + trimmed.chars().count(),
                text: trimmed,
            });
        }
        cp += n + 1;
    }
    out
}

/// The words of a line, lower-cased, without the punctuation around them.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
}

fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(['"', '\'', '”', '’', ')', '»', '\u{a0}', ' ']);
    t.ends_with(['.', '!', '?', '…'])
}

/// Whether `text` starts with `phrase` as whole words (case-insensitively).
fn starts_with_phrase(lower: &str, phrase: &str) -> bool {
    lower.strip_prefix(phrase).is_some_and(|rest| {
        rest.is_empty()
            || phrase.ends_with(|c: char| !c.is_alphanumeric())
            || rest.starts_with(|c: char| !c.is_alphanumeric())
    })
}

fn look(text: &str, lang: &Language) -> Look {
    let lower = text.to_lowercase();
    let ws: Vec<String> = words(text).collect();
    let n = ws.len();
    let sentence = ends_sentence(text);
    let stop = ws.iter().filter(|w| lang.stopwords.contains(*w)).count();
    let short_cue = n <= 12 && !sentence;
    if short_cue && lang.tail.iter().any(|p| starts_with_phrase(&lower, p)) {
        return Look::Tail;
    }
    if short_cue && lang.inline.iter().any(|p| starts_with_phrase(&lower, p)) {
        return Look::Bad("site phrase");
    }
    if let Some(why) = furniture(text, &lower, &ws, stop, sentence) {
        return Look::Bad(why);
    }
    if n >= 8 && sentence && stop * 4 >= n {
        return Look::Good;
    }
    Look::Short
}

/// Site furniture recognisable by shape: handles and links, separators, bylines, date lines,
/// menus, numbered lists of other stories.
fn furniture(
    text: &str,
    lower: &str,
    ws: &[String],
    stop: usize,
    sentence: bool,
) -> Option<&'static str> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    if !tokens.is_empty()
        && tokens.iter().all(|t| {
            t.starts_with('@') || t.starts_with("http") || t.starts_with("www.") || t.contains('@')
        })
    {
        return Some("handle or link");
    }
    if !sentence && (text.contains(" | ") || text.contains(" • ") && !is_dateline(lower)) {
        return Some("separated list");
    }
    if text.starts_with(|c: char| !c.is_alphanumeric() && !"\"“‘'(".contains(c)) {
        return Some("starts with a symbol");
    }
    if !sentence
        && [
            "by ",
            "reporting by ",
            "written by ",
            "words by ",
            "edited by ",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Some("byline");
    }
    if !sentence && is_dateline(lower) {
        return Some("date line");
    }
    if !sentence && ws.len() >= 4 && stop == 0 {
        let capitalised = text
            .split_whitespace()
            .filter(|w| w.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()))
            .count();
        if capitalised == tokens.len() {
            return Some("menu");
        }
    }
    if !sentence
        && tokens.len() >= 2
        && tokens[0].ends_with('.')
        && tokens[0][..tokens[0].len() - 1]
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        return Some("numbered list");
    }
    None
}

/// A line that is mostly a date or time ("Published 14 March 2026 09:42", "Mar 9, 2026 • 4 min
/// read", "Updated: Tuesday, 3 February 2026, 5:10 pm").
fn is_dateline(lower: &str) -> bool {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const WORDS: [&str; 8] = [
        "published",
        "updated",
        "posted",
        "last",
        "modified",
        "min",
        "read",
        "ago",
    ];
    let ws: Vec<String> = words(lower).collect();
    if ws.is_empty() || ws.len() > 12 {
        return false;
    }
    let has_month = ws
        .iter()
        .any(|w| MONTHS.iter().any(|m| w.starts_with(m) && w.len() <= 9));
    let has_year = ws.iter().any(|w| {
        w.len() == 4 && w.starts_with(['1', '2']) && w.chars().all(|c| c.is_ascii_digit())
    });
    let dateish = ws.iter().filter(|w| {
        MONTHS.iter().any(|m| w.starts_with(m))
            || WORDS.contains(&w.as_str())
            || w.chars().all(|c| c.is_ascii_digit() || c == ':')
            || [
                "am",
                "pm",
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ]
            .contains(&w.as_str())
    });
    has_month && has_year && dateish.count() * 2 >= ws.len()
}

/// Whether a short line could be the headline: 4 to 20 words, no trailing colon, not a menu.
fn headline_like(text: &str, lang: &Language) -> bool {
    let ws: Vec<String> = words(text).collect();
    (4..=20).contains(&ws.len())
        && !text.trim_end().ends_with(':')
        && ws
            .iter()
            .any(|w| lang.stopwords.contains(w) || w.chars().any(char::is_lowercase))
        && text
            .split_whitespace()
            .any(|w| w.starts_with(char::is_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_parses() {
        let text = include_str!("../data/boilerplate/en.txt");
        let lang = Language::parse(text).expect("en.txt parses");
        assert!(lang.stopwords.contains("the"));
        assert!(lang.tail.iter().any(|p| p == "comment policy"));
        assert!(lang.inline.iter().any(|p| p == "also read"));
    }

    #[test]
    fn bad_language_files_name_their_line() {
        assert_eq!(
            Language::parse("the a\n[stopwords]\nthe"),
            Err(LanguageError::OutsideSection {
                line: 1,
                text: "the a".into()
            })
        );
        assert_eq!(
            Language::parse("[stopwords]\nthe\n[footer]\n"),
            Err(LanguageError::UnknownSection {
                line: 3,
                name: "footer".into()
            })
        );
        assert_eq!(
            Language::parse("[tail]\nthe latest\n"),
            Err(LanguageError::NoStopwords)
        );
    }

    #[test]
    fn phrases_match_whole_words() {
        assert!(starts_with_phrase("share on facebook", "share on"));
        assert!(starts_with_phrase("also read: x", "also read"));
        assert!(!starts_with_phrase("homes at risk", "home"));
        assert!(starts_with_phrase("© 2026 x", "©"));
        assert!(starts_with_phrase("comments (12)", "comments ("));
    }

    #[test]
    fn datelines() {
        for yes in [
            "published 14 march 2026 09:42",
            "mar 9, 2026 • 4 min read",
            "updated: tuesday, 3 february 2026, 5:10 pm",
        ] {
            assert!(is_dateline(yes), "{yes}");
        }
        for no in [
            "the council met in march 2026 to decide on the budget for the coming year",
            "may the best team win",
        ] {
            assert!(!is_dateline(no), "{no}");
        }
    }

    #[test]
    fn an_article_without_site_matter_is_all_body() {
        let text = "Otters return to the Vell\n\nA survey found otters on nine of the twelve stretches of the river, up from two.\n\n“It is a good sign,” said the surveyor.\n";
        let d = detect(text, &Language::english(), &HashSet::new());
        assert!(d.paragraphs.iter().all(|p| p.class == Class::Body), "{d:?}");
        assert!(d.excluded().is_empty());
        assert_eq!(d.headline_range(), Some((0, 25)));
    }

    #[test]
    fn offsets_are_code_points_through_crlf_and_emoji() {
        let text = "Menu\r\n🌍 Világ | Hírek\r\nA héten 40 új buszt állítottak forgalomba a fővárosban, a tervek szerint.\r\n";
        let lang = Language::english();
        let d = detect(text, &lang, &HashSet::new());
        let chars: Vec<char> = text.chars().collect();
        for p in &d.paragraphs {
            let s: String = chars[p.start..p.end].iter().collect();
            assert_eq!(s, s.trim());
            assert!(!s.contains('\r') && !s.contains('\n'), "{s:?}");
        }
        assert_eq!(d.paragraphs[1].start, 6);
    }
}
