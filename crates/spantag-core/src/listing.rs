//! Lists for people: a long list of problems shows its first [`MAX_LISTED`] entries and a count
//! of the rest, so that a damaged file never floods a terminal or a dialog.

use std::fmt::Display;

/// How many entries a printed list of problems shows.
pub const MAX_LISTED: usize = 100;

/// The first [`MAX_LISTED`] items as lines, then `… and N more` when there are more.
pub fn capped_lines<T: Display>(items: &[T]) -> Vec<String> {
    let mut lines: Vec<String> = items
        .iter()
        .take(MAX_LISTED)
        .map(ToString::to_string)
        .collect();
    if items.len() > MAX_LISTED {
        lines.push(format!("… and {} more", items.len() - MAX_LISTED));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_with_a_count_of_the_rest() {
        let few: Vec<usize> = (0..MAX_LISTED).collect();
        assert_eq!(capped_lines(&few).len(), MAX_LISTED);
        let many: Vec<String> = (0..250).map(|i| format!("ñ{i} 😀")).collect();
        let lines = capped_lines(&many);
        assert_eq!(lines.len(), MAX_LISTED + 1);
        assert_eq!(lines[0], "ñ0 😀");
        assert_eq!(lines[MAX_LISTED - 1], "ñ99 😀");
        assert_eq!(lines[MAX_LISTED], "… and 150 more");
    }
}
