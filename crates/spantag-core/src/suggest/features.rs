//! What the suggesters share: a document's tokens with their texts, word shapes and a stable
//! hash for features.

use crate::model::Document;
use std::ops::Range;

/// A document's tokens (code point ranges, see [`crate::text::TextIndex::tokens`]) and their
/// texts.
pub struct DocTokens<'d> {
    pub ranges: &'d [Range<usize>],
    pub texts: Vec<&'d str>,
}

impl<'d> DocTokens<'d> {
    pub fn of(doc: &'d Document) -> DocTokens<'d> {
        let index = doc.index_with_sentences();
        let ranges = index.tokens();
        let texts = ranges
            .iter()
            .map(|r| index.slice(&doc.text, r.clone()).unwrap_or(""))
            .collect();
        DocTokens { ranges, texts }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether token `i` starts right where token `i - 1` ends (no space between them).
    pub fn joined_to_previous(&self, i: usize) -> bool {
        i > 0
            && match (self.ranges.get(i - 1), self.ranges.get(i)) {
                (Some(a), Some(b)) => a.end == b.start,
                _ => false,
            }
    }

    /// The text of token `i` ("" past the end).
    pub fn text(&self, i: usize) -> &'d str {
        self.texts.get(i).copied().unwrap_or("")
    }

    /// Code point range of tokens `first..last` (exclusive), or `None` when empty.
    pub fn char_range(&self, tokens: Range<usize>) -> Option<Range<usize>> {
        let a = self.ranges.get(tokens.start)?;
        let b = self.ranges.get(tokens.end.checked_sub(1)?)?;
        (tokens.start < tokens.end).then_some(a.start..b.end)
    }
}

/// A word's shape: each letter as `X` or `x`, each digit as `d`, other characters as they are,
/// with runs longer than two cut to two: "Kirkuk" → "Xxx", "2,500" → "d,dd".
pub fn shape(word: &str) -> String {
    let mut out = String::with_capacity(8);
    let mut last = '\0';
    let mut run = 0;
    for c in word.chars() {
        let s = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            c
        };
        if s == last {
            run += 1;
        } else {
            run = 1;
            last = s;
        }
        if run <= 2 {
            out.push(s);
        }
    }
    out
}

/// FNV-1a over `parts` with a separator: stable across runs and platforms, so that a stored
/// model means the same features tomorrow.
pub fn hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A small deterministic random number generator (xorshift64*), for shuffling training data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// Shuffles `v` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape("Kirkuk"), "Xxx");
        assert_eq!(shape("2,500"), "d,dd");
        assert_eq!(shape("US"), "XX");
        assert_eq!(shape("é"), "x");
    }
}
