//! The number suggester: rules over tokens for digits with separators, decimals, percentages,
//! currency amounts, number words and their combinations.
//!
//! The convention is the bundled sample's (`projects/sample.ron`): a number span takes its
//! currency sign, scale word, percent sign and unit ("£48.5 million", "40%", "1.2 km", "ten
//! years", "12-month", "one percentage point", "a dozen years", "a third"), but not a
//! comparative before it ("more than ten years" → "ten years", "almost 40%" → "40%", "at least
//! 10" → "10") nor the noun it counts ("3,400 people" → "3,400"). Ordinals ("21st", "first")
//! are not numbers here. A number inside a name ("COVID-19", "G7") is left alone.

use super::features::DocTokens;
use super::{Suggester, SuggesterKind, Suggestion};
use crate::model::Document;
use std::ops::Range;

/// The number suggester, for the project's number label.
#[derive(Debug, Clone)]
pub struct Numbers {
    pub label: String,
}

impl Numbers {
    /// The suggester for the first label named like a number label (`number`, `numbers`, `num`,
    /// `quantity`, `cardinal`; any case), or `None` when the project has none.
    pub fn for_labels(labels: &[String]) -> Option<Numbers> {
        labels
            .iter()
            .find(|l| is_number_label(l))
            .map(|l| Numbers { label: l.clone() })
    }
}

/// Whether a label name is a number label (see [`Numbers::for_labels`]).
pub fn is_number_label(name: &str) -> bool {
    ["number", "numbers", "num", "quantity", "cardinal"]
        .iter()
        .any(|n| name.trim().eq_ignore_ascii_case(n))
}

impl Suggester for Numbers {
    fn kind(&self) -> SuggesterKind {
        SuggesterKind::Numbers
    }

    fn suggest_raw(&self, doc: &Document) -> Vec<Suggestion> {
        let tokens = DocTokens::of(doc);
        find(&tokens)
            .into_iter()
            .filter_map(|m| {
                let r = tokens.char_range(m.tokens)?;
                Some(Suggestion {
                    doc: doc.id.clone(),
                    start: r.start,
                    end: r.end,
                    label: self.label.clone(),
                    score: m.score,
                    suggester: SuggesterKind::Numbers,
                    reason: m.reason.to_owned(),
                })
            })
            .collect()
    }
}

/// A number found: token range, confidence and why.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberMatch {
    pub tokens: Range<usize>,
    pub score: f64,
    pub reason: &'static str,
}

const UNITS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: &[&str] = &[
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const SCALES: &[&str] = &[
    "hundred", "thousand", "million", "billion", "trillion", "bn", "dozen",
];
const FRACTIONS: &[&str] = &[
    "half",
    "halves",
    "third",
    "thirds",
    "quarter",
    "quarters",
    "fifth",
    "fifths",
    "sixth",
    "sixths",
    "eighth",
    "eighths",
    "tenth",
    "tenths",
    "hundredth",
    "hundredths",
];
/// Units taken into the span after a number ("14 km", "ten years", "12-month").
const MEASURES: &[&str] = &[
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "second",
    "seconds",
    "decade",
    "decades",
    "century",
    "centuries",
    "km",
    "kilometre",
    "kilometres",
    "kilometer",
    "kilometers",
    "m",
    "metre",
    "metres",
    "meter",
    "meters",
    "cm",
    "mm",
    "mile",
    "miles",
    "ft",
    "feet",
    "foot",
    "inch",
    "inches",
    "kg",
    "g",
    "kilogram",
    "kilograms",
    "gram",
    "grams",
    "tonne",
    "tonnes",
    "ton",
    "tons",
    "lb",
    "lbs",
    "litre",
    "litres",
    "liter",
    "liters",
    "hectare",
    "hectares",
    "acre",
    "acres",
    "mph",
    "degrees",
    "pounds",
    "dollars",
    "euros",
];
const CURRENCY_SIGNS: &[&str] = &["£", "$", "€", "¥", "₹", "₽"];
/// Letters allowed right after digits in one token ("£48.5m", "5bn", "10km", "1980s").
const DIGIT_SUFFIXES: &[&str] = &["m", "bn", "k", "km", "kg", "cm", "mm", "s", "mph", "ft"];

fn is_word_number(w: &str) -> bool {
    UNITS.contains(&w) || TENS.contains(&w)
}

fn is_scale(w: &str) -> bool {
    SCALES.contains(&w)
}

/// What a token is to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Digits, maybe with separators and a unit or scale suffix.
    Digits,
    /// A four-digit year-like number (1000-2099).
    Year,
    /// A number word ("five", "twenty").
    Word,
    /// A scale word ("million", "dozen").
    Scale,
    /// A fraction word ("half", "third").
    Fraction,
    Other,
}

fn digits_kind(t: &str) -> Kind {
    let Some(first) = t.chars().next() else {
        return Kind::Other;
    };
    if !first.is_ascii_digit() {
        return Kind::Other;
    }
    let body_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(t.len());
    let (body, suffix) = t.split_at(body_end);
    if body.ends_with([',', '.']) {
        return Kind::Other;
    }
    if !suffix.is_empty() && !DIGIT_SUFFIXES.contains(&suffix.to_lowercase().as_str()) {
        return Kind::Other;
    }
    if suffix.is_empty()
        && body.len() == 4
        && body.bytes().all(|b| b.is_ascii_digit())
        && (body.starts_with('1') || body.starts_with("20"))
    {
        return Kind::Year;
    }
    Kind::Digits
}

fn kind(t: &str) -> Kind {
    match digits_kind(t) {
        Kind::Other => {}
        k => return k,
    }
    let lower = t.to_lowercase();
    let w = lower.as_str();
    if is_word_number(w) {
        Kind::Word
    } else if is_scale(w) {
        Kind::Scale
    } else if FRACTIONS.contains(&w) {
        Kind::Fraction
    } else {
        Kind::Other
    }
}

fn lower(tokens: &DocTokens<'_>, i: usize) -> String {
    tokens.text(i).to_lowercase()
}

/// Every number in `tokens`, left to right, not overlapping.
pub fn find(tokens: &DocTokens<'_>) -> Vec<NumberMatch> {
    let kinds: Vec<Kind> = tokens.texts.iter().map(|t| kind(t)).collect();
    let k = |i: usize| kinds.get(i).copied().unwrap_or(Kind::Other);
    let n = tokens.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        match number_at(tokens, &k, i) {
            Some(m) => {
                i = m.tokens.end;
                out.push(m);
            }
            None => i += 1,
        }
    }
    out
}

/// The number starting at token `i`, if one does.
fn number_at(tokens: &DocTokens<'_>, k: &impl Fn(usize) -> Kind, i: usize) -> Option<NumberMatch> {
    let n = tokens.len();
    let start = i;
    let mut j = i;
    let mut currency = false;
    // A currency sign glued to the number: "£48.5", "$3".
    if CURRENCY_SIGNS.contains(&tokens.text(j))
        && matches!(k(j + 1), Kind::Digits | Kind::Year)
        && tokens.joined_to_previous(j + 1)
    {
        currency = true;
        j += 1;
    }
    // "a dozen", "a third", "a million", "an eighth".
    let article = matches!(lower(tokens, j).as_str(), "a" | "an")
        && matches!(k(j + 1), Kind::Scale | Kind::Fraction)
        && lower(tokens, j + 1) != "half";
    if article {
        j += 1;
    }
    let head = k(j);
    match head {
        Kind::Digits | Kind::Year | Kind::Word | Kind::Scale | Kind::Fraction => {}
        Kind::Other => return None,
    }
    // A scale word alone ("hundreds", "million") or a fraction alone other than "half" ("third"
    // is an ordinal) is not a number.
    if !article && head == Kind::Scale {
        return None;
    }
    if !article && head == Kind::Fraction && lower(tokens, j) != "half" {
        return None;
    }
    // A number glued to a word by a hyphen or directly ("COVID-19", "A-10") is part of a name.
    if matches!(head, Kind::Digits | Kind::Year) && !currency && tokens.joined_to_previous(j) {
        let prev = tokens.text(j - 1);
        if prev.chars().all(|c| c.is_alphabetic())
            || (prev == "-" && j >= 2 && tokens.joined_to_previous(j - 1))
        {
            return None;
        }
    }
    let mut last = j; // last token of the number so far
    let mut words = head == Kind::Word || head == Kind::Scale || head == Kind::Fraction;
    let digits = matches!(head, Kind::Digits | Kind::Year);
    // Continue the number: "twenty-five", "two hundred and fifty", "1.5 million", "two thirds".
    loop {
        let next = last + 1;
        if next >= n {
            break;
        }
        let prev_kind = k(last);
        let prev_word = lower(tokens, last);
        match k(next) {
            // "twenty-five": number words joined by a hyphen.
            _ if tokens.text(next) == "-"
                && tokens.joined_to_previous(next)
                && tokens.joined_to_previous(next + 1)
                && prev_kind == Kind::Word
                && TENS.contains(&prev_word.as_str())
                && k(next + 1) == Kind::Word =>
            {
                last = next + 1;
            }
            Kind::Scale if prev_kind != Kind::Fraction => {
                last = next;
                words = true;
            }
            Kind::Word if prev_kind == Kind::Scale && !digits => {
                last = next;
            }
            Kind::Word
                if prev_kind == Kind::Word
                    && TENS.contains(&prev_word.as_str())
                    && !TENS.contains(&lower(tokens, next).as_str()) =>
            {
                last = next;
            }
            Kind::Fraction
                if prev_kind == Kind::Word && lower(tokens, next) != "half" && !digits =>
            {
                last = next;
            }
            // "two hundred and fifty"
            _ if lower(tokens, next) == "and"
                && matches!(prev_word.as_str(), "hundred" | "thousand" | "million")
                && k(next + 1) == Kind::Word
                && !digits =>
            {
                last = next + 1;
            }
            _ => break,
        }
    }
    let mut unit = false;
    let mut percent = false;
    // The unit: "%", "per cent", "percentage point(s)", a measure, maybe glued by a hyphen.
    let next = last + 1;
    let word = lower(tokens, next);
    if tokens.text(next) == "%" {
        last = next;
        percent = true;
    } else if (word == "per" && lower(tokens, next + 1) == "cent") || word == "percent" {
        last = if word == "per" { next + 1 } else { next };
        percent = true;
    } else if word == "percentage" && matches!(lower(tokens, next + 1).as_str(), "point" | "points")
    {
        last = next + 1;
        percent = true;
    } else if MEASURES.contains(&word.as_str()) && next < n {
        last = next;
        unit = true;
    } else if tokens.text(next) == "-"
        && tokens.joined_to_previous(next)
        && tokens.joined_to_previous(next + 1)
        && MEASURES.contains(&lower(tokens, next + 1).as_str())
    {
        last = next + 1;
        unit = true;
    }
    let head_word = lower(tokens, j);
    let alone = start == j && last == j;
    let (score, reason) = if currency {
        (0.95, "a currency amount")
    } else if percent {
        (0.95, "a percentage")
    } else if digits && unit {
        (0.95, "digits with a unit")
    } else if head == Kind::Year && alone {
        (0.85, "a year")
    } else if digits {
        (0.9, "digits")
    } else if alone && head_word == "one" {
        (0.5, "\"one\" (often a pronoun)")
    } else if alone && head_word == "half" {
        (0.6, "\"half\"")
    } else if words && unit {
        (0.9, "number words with a unit")
    } else {
        (0.8, "number words")
    };
    Some(NumberMatch {
        tokens: start..last + 1,
        score,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextIndex;

    /// The texts of the numbers found in `text`.
    fn numbers(text: &str) -> Vec<String> {
        let index = TextIndex::new(text);
        let tokens = DocTokens {
            ranges: index.tokens(),
            texts: index
                .tokens()
                .iter()
                .map(|r| index.slice(text, r.clone()).unwrap_or(""))
                .collect(),
        };
        find(&tokens)
            .into_iter()
            .filter_map(|m| tokens.char_range(m.tokens))
            .filter_map(|r| index.slice(text, r).map(str::to_owned))
            .collect()
    }

    #[test]
    fn written_cases() {
        let cases: &[(&str, &[&str])] = &[
            // digits, separators, decimals
            ("The crossing carries 24 cars.", &["24"]),
            ("It serves 2,500 homes.", &["2,500"]),
            ("It served 212,000 meals.", &["212,000"]),
            ("Attendance was 94.5 on average.", &["94.5"]),
            ("Population: 1,234,567.", &["1,234,567"]),
            ("Count 70.", &["70"]),
            // percentages
            ("It rose by 40% since then.", &["40%"]),
            ("From 91.2% to 94.5%, it rose.", &["91.2%", "94.5%"]),
            ("Prices rose 12 per cent last year.", &["12 per cent"]),
            ("Prices rose 3 percent.", &["3 percent"]),
            ("less than one percentage point", &["one percentage point"]),
            (
                "between two and three percentage points",
                &["two", "three percentage points"],
            ),
            ("a rise of 40 % overall", &["40 %"]),
            // currency
            ("a £48.5 million road bridge", &["£48.5 million"]),
            ("a toll of £1.50 per car", &["£1.50"]),
            ("it cost $3 billion", &["$3 billion"]),
            ("about €200 each", &["€200"]),
            ("raised £48.5m from donors", &["£48.5m"]),
            ("a £5bn hole", &["£5bn"]),
            ("some £40,000 towards the cost", &["£40,000"]),
            ("close to £1,000 over a year", &["£1,000"]),
            ("paid 50 euros", &["50 euros"]),
            // number words and combinations
            ("It was carried by seven votes to two.", &["seven", "two"]),
            ("twenty-five members voted", &["twenty-five"]),
            (
                "two hundred and fifty people came",
                &["two hundred and fifty"],
            ),
            (
                "three hundred thousand visitors",
                &["three hundred thousand"],
            ),
            ("Nine stretches of river", &["Nine"]),
            ("over 1.5 million passengers", &["1.5 million"]),
            ("a dozen new volunteer leaders", &["a dozen"]),
            ("up to a dozen years to reach", &["a dozen years"]),
            ("late arrivals fell by almost a third", &["a third"]),
            ("two thirds of the members", &["two thirds"]),
            ("half my problems disappear", &["half"]),
            ("one of the six pilot schools", &["one", "six"]),
            // units and time spans
            ("The 1.2 km crossing", &["1.2 km"]),
            ("about 14 km up the coast", &["14 km"]),
            ("more than ten years of argument", &["ten years"]),
            ("out of service for 41 days", &["41 days"]),
            ("after a 12-month pilot", &["12-month"]),
            ("a five-year plan", &["five-year"]),
            ("walked 38 km of riverbank", &["38 km"]),
            (
                "planted 12 km of hedgerow in the last five years",
                &["12 km", "five years"],
            ),
            // years
            ("due to open in 2028, according to", &["2028"]),
            ("it was built in 1979 and carries", &["1979"]),
            ("a fur farm that closed in the 1980s", &["1980s"]),
            // comparatives stay outside
            ("at least 10 people were hurt", &["10"]),
            ("more than 25% of pupils", &["25%"]),
            ("roughly 30% of the plating", &["30%"]),
            // not numbers
            ("The first time in a generation", &[]),
            ("the 21st century", &[]),
            ("a COVID-19 ward", &[]),
            ("the G7 summit", &[]),
            ("hundreds of people", &[]),
            ("Someone said so.", &[]),
            // other scripts and marks around numbers
            ("Привет 42 мир", &["42"]),
            ("🙂 7 days 🙂", &["7 days"]),
            ("«12%» d’accord", &["12%"]),
            ("line one\r\nline 2\r\n", &["one", "2"]),
        ];
        assert!(cases.len() >= 40);
        let mut failures = Vec::new();
        for (text, expected) in cases {
            let got = numbers(text);
            let want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
            if got != want {
                failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn label_names() {
        assert!(is_number_label("NUMBER"));
        assert!(is_number_label("number"));
        assert!(!is_number_label("actor"));
        let labels = vec!["actor".to_owned(), "Number".to_owned()];
        assert_eq!(
            Numbers::for_labels(&labels).map(|n| n.label),
            Some("Number".to_owned())
        );
    }
}
