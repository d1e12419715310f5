//! Selection movement: caret moves, extending a selection and moving a span's boundaries, as pure
//! functions over a document's text and a [`Selection`]. The GUI calls these; nothing here knows
//! about pixels (visual lines are the app's business; text lines and sentences are here).

use std::ops::Range;

/// A selection in a document, in code points: `anchor` stays put while `head` moves (the caret).
/// `anchor == head` is a caret with nothing selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Selection {
    pub anchor: usize,
    pub head: usize,
}

impl Selection {
    /// A caret at `at` (nothing selected).
    pub fn caret(at: usize) -> Self {
        Selection {
            anchor: at,
            head: at,
        }
    }

    /// A selection from `anchor` to `head`.
    pub fn new(anchor: usize, head: usize) -> Self {
        Selection { anchor, head }
    }

    /// The selected range, start before end.
    pub fn range(&self) -> Range<usize> {
        self.anchor.min(self.head)..self.anchor.max(self.head)
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.anchor == self.head
    }
}
