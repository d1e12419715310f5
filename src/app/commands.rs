//! The command table: every command the app offers, with its name and keyboard shortcuts. The
//! menus, the keyboard handling and the F1 help overlay are all driven by [`COMMANDS`], so a
//! shortcut shown anywhere is the shortcut that works.

use egui::{Key, KeyboardShortcut, Modifiers};

/// Something the user can ask the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppCommand {
    New,
    Open,
    AddArticles,
    Save,
    SaveAs,
    Export,
    Import,
    Quit,
    Undo,
    Redo,
    SetName,
    MarkDoneAndNext,
    NextDocument,
    PreviousDocument,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    ToggleHelp,
    ClearSelection,
    CaretLeft,
    CaretRight,
    ExtendLeft,
    ExtendRight,
    NextSpan,
    PreviousSpan,
    DeleteSpan,
    StartLeft,
    StartRight,
    EndLeft,
    EndRight,
    // Reviewing (src/ui/review.rs, src/ui/compare.rs, src/ui/agreement_panel.rs).
    CompareProjects,
    ToggleReview,
    ToggleAgreement,
    Accept,
    Reject,
    QueueNext,
    QueuePrevious,
    ReviewNote,
    TakeB,
    TakeC,
    TakeAll,
    KeepSelected,
}

/// Where a command shows up in the menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuGroup {
    File,
    Edit,
    Navigate,
    View,
    /// Review and compare mode keys (active only in those modes).
    Review,
    Help,
}

/// One row of the command table.
#[derive(Debug, Clone, Copy)]
pub struct CommandInfo {
    pub command: AppCommand,
    /// Name shown in menus and in the help overlay.
    pub name: &'static str,
    /// What it does, for the help overlay.
    pub help: &'static str,
    /// Keyboard shortcuts; the first is shown in menus.
    pub shortcuts: &'static [KeyboardShortcut],
    pub menu: MenuGroup,
}

const fn key(m: Modifiers, k: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(m, k)
}

const NONE: Modifiers = Modifiers::NONE;
const CMD: Modifiers = Modifiers::COMMAND;
const SHIFT: Modifiers = Modifiers::SHIFT;
const ALT: Modifiers = Modifiers::ALT;
const CMD_SHIFT: Modifiers = Modifiers {
    alt: false,
    ctrl: false,
    shift: true,
    mac_cmd: false,
    command: true,
};
const ALT_SHIFT: Modifiers = Modifiers {
    alt: true,
    ctrl: false,
    shift: true,
    mac_cmd: false,
    command: false,
};

use AppCommand as C;
use MenuGroup as G;

/// The command table. Order matters for keyboard matching only in that exact modifier matching
/// is used, so Ctrl+S and Ctrl+Shift+S never collide.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        command: C::New,
        name: "New project",
        help: "Start an empty project",
        shortcuts: &[key(CMD, Key::N)],
        menu: G::File,
    },
    CommandInfo {
        command: C::Open,
        name: "Open…",
        help: "Open a project (.ron) or articles (.txt, .md)",
        shortcuts: &[key(CMD, Key::O)],
        menu: G::File,
    },
    CommandInfo {
        command: C::AddArticles,
        name: "Add articles…",
        help: "Import article files into this project",
        shortcuts: &[key(CMD_SHIFT, Key::O)],
        menu: G::File,
    },
    CommandInfo {
        command: C::CompareProjects,
        name: "Compare projects…",
        help: "Open two or more annotators' projects over the same articles and merge them into a gold project",
        shortcuts: &[],
        menu: G::File,
    },
    CommandInfo {
        command: C::Save,
        name: "Save",
        help: "Save the project",
        shortcuts: &[key(CMD, Key::S)],
        menu: G::File,
    },
    CommandInfo {
        command: C::SaveAs,
        name: "Save as…",
        help: "Save the project under a new name",
        shortcuts: &[key(CMD_SHIFT, Key::S)],
        menu: G::File,
    },
    CommandInfo {
        command: C::Export,
        name: "Export…",
        help: "Export training data (jsonl, spaCy, CoNLL, hf, brat, Label Studio, CSV)",
        shortcuts: &[key(CMD, Key::E)],
        menu: G::File,
    },
    CommandInfo {
        command: C::Import,
        name: "Import…",
        help: "Import annotations (jsonl, doccano, Label Studio, brat, CoNLL) into this project",
        shortcuts: &[key(CMD, Key::I)],
        menu: G::File,
    },
    CommandInfo {
        command: C::Quit,
        name: "Quit",
        help: "Close the window (asks about unsaved changes)",
        shortcuts: &[key(CMD, Key::Q)],
        menu: G::File,
    },
    CommandInfo {
        command: C::Undo,
        name: "Undo",
        help: "Undo the last change",
        shortcuts: &[key(CMD, Key::Z)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::Redo,
        name: "Redo",
        help: "Redo the last undone change",
        shortcuts: &[key(CMD_SHIFT, Key::Z), key(CMD, Key::Y)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::SetName,
        name: "Your name…",
        help: "Set the annotator name recorded on new spans and reviews",
        shortcuts: &[],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::DeleteSpan,
        name: "Delete span",
        help: "Remove the selected span",
        shortcuts: &[key(NONE, Key::Delete), key(NONE, Key::Backspace)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::StartLeft,
        name: "Move span start left",
        help: "Grow the selected span by one token at its start",
        shortcuts: &[key(ALT, Key::ArrowLeft)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::StartRight,
        name: "Move span start right",
        help: "Shrink the selected span by one token at its start",
        shortcuts: &[key(ALT, Key::ArrowRight)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::EndLeft,
        name: "Move span end left",
        help: "Shrink the selected span by one token at its end",
        shortcuts: &[key(ALT_SHIFT, Key::ArrowLeft)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::EndRight,
        name: "Move span end right",
        help: "Grow the selected span by one token at its end",
        shortcuts: &[key(ALT_SHIFT, Key::ArrowRight)],
        menu: G::Edit,
    },
    CommandInfo {
        command: C::MarkDoneAndNext,
        name: "Mark done, next document",
        help: "Mark this document done and open the next one",
        shortcuts: &[key(CMD, Key::Enter)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::NextDocument,
        name: "Next document",
        help: "Open the next document",
        shortcuts: &[key(CMD, Key::PageDown)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::PreviousDocument,
        name: "Previous document",
        help: "Open the previous document",
        shortcuts: &[key(CMD, Key::PageUp)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::NextSpan,
        name: "Next span",
        help: "Select the next span in text order",
        shortcuts: &[key(NONE, Key::Tab)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::PreviousSpan,
        name: "Previous span",
        help: "Select the previous span in text order",
        shortcuts: &[key(SHIFT, Key::Tab)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::CaretRight,
        name: "Caret to next token",
        help: "Move the caret one token right",
        shortcuts: &[key(NONE, Key::ArrowRight)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::CaretLeft,
        name: "Caret to previous token",
        help: "Move the caret one token left",
        shortcuts: &[key(NONE, Key::ArrowLeft)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::ExtendRight,
        name: "Extend selection right",
        help: "Extend the selection by one token to the right",
        shortcuts: &[key(SHIFT, Key::ArrowRight)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::ExtendLeft,
        name: "Extend selection left",
        help: "Shrink or extend the selection by one token to the left",
        shortcuts: &[key(SHIFT, Key::ArrowLeft)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::ClearSelection,
        name: "Clear selection",
        help: "Clear the text and span selection",
        shortcuts: &[key(NONE, Key::Escape)],
        menu: G::Navigate,
    },
    CommandInfo {
        command: C::ZoomIn,
        name: "Zoom in",
        help: "Larger article text",
        shortcuts: &[key(CMD, Key::Plus), key(CMD, Key::Equals)],
        menu: G::View,
    },
    CommandInfo {
        command: C::ZoomOut,
        name: "Zoom out",
        help: "Smaller article text",
        shortcuts: &[key(CMD, Key::Minus)],
        menu: G::View,
    },
    CommandInfo {
        command: C::ZoomReset,
        name: "Reset zoom",
        help: "Default article text size",
        shortcuts: &[key(CMD, Key::Num0)],
        menu: G::View,
    },
    CommandInfo {
        command: C::ToggleReview,
        name: "Review mode",
        help: "Go through every span in reading order: accept, reject, relabel, resize, add a note",
        shortcuts: &[key(CMD, Key::R)],
        menu: G::View,
    },
    CommandInfo {
        command: C::ToggleAgreement,
        name: "Agreement",
        help: "Agreement figures of the compared projects, with a per-label chart",
        shortcuts: &[key(CMD_SHIFT, Key::A)],
        menu: G::View,
    },
    CommandInfo {
        command: C::Accept,
        name: "Accept / take A",
        help: "Review mode: accept the span and go to the next. Compare mode: keep annotator A's spans of the conflict",
        shortcuts: &[key(NONE, Key::A), key(NONE, Key::Enter)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::Reject,
        name: "Reject / drop",
        help: "Review mode: reject the span (it is kept, marked rejected). Compare mode: drop every span of the conflict",
        shortcuts: &[key(NONE, Key::X)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::TakeB,
        name: "Take B",
        help: "Compare mode: keep annotator B's spans of the conflict",
        shortcuts: &[key(NONE, Key::B)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::TakeC,
        name: "Take C",
        help: "Compare mode: keep annotator C's spans of the conflict (three or more projects)",
        shortcuts: &[key(NONE, Key::C)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::TakeAll,
        name: "Take both",
        help: "Compare mode: keep every span of the conflict",
        shortcuts: &[key(NONE, Key::T)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::KeepSelected,
        name: "Edit: keep selected",
        help: "Compare mode: keep the selected span of the conflict (marked edited), drop the others; then fix it with label keys and Alt+arrows",
        shortcuts: &[key(NONE, Key::E)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::QueueNext,
        name: "Next in queue",
        help: "Review mode: next span of the queue. Compare mode: next unresolved conflict",
        shortcuts: &[key(NONE, Key::N)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::QueuePrevious,
        name: "Previous in queue",
        help: "Review mode: previous span of the queue. Compare mode: previous unresolved conflict",
        shortcuts: &[key(NONE, Key::P)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::ReviewNote,
        name: "Review note",
        help: "Review mode: type a note for the span (Enter saves it, Escape cancels)",
        shortcuts: &[key(NONE, Key::M)],
        menu: G::Review,
    },
    CommandInfo {
        command: C::ToggleHelp,
        name: "Keyboard shortcuts",
        help: "Show or hide this list",
        shortcuts: &[key(NONE, Key::F1)],
        menu: G::Help,
    },
];

/// The table row of a command.
pub fn info(command: AppCommand) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|c| c.command == command)
}

/// Whether a key press with `modifiers` triggers `shortcut`. Modifiers must match exactly (so
/// Ctrl+S and Ctrl+Shift+S differ), except for "+" and "-": many layouts need Shift (or AltGr) to
/// type them, e.g. Ctrl++ is Ctrl+Shift+= on a US keyboard.
pub fn shortcut_matches(shortcut: &KeyboardShortcut, key: Key, modifiers: Modifiers) -> bool {
    shortcut.logical_key == key
        && if matches!(key, Key::Plus | Key::Minus) {
            modifiers.matches_logically(shortcut.modifiers)
        } else {
            modifiers.matches_exact(shortcut.modifiers)
        }
}

/// Commands that act on the article and are ignored while a text field has keyboard focus.
pub fn is_text_key(shortcut: &KeyboardShortcut) -> bool {
    !shortcut.modifiers.command && !shortcut.modifiers.ctrl && shortcut.logical_key != Key::F1
}

/// Commands that only act in review or compare mode; elsewhere their keys are left to label
/// hotkeys.
pub fn is_review_key(command: AppCommand) -> bool {
    matches!(
        command,
        C::Accept
            | C::Reject
            | C::QueueNext
            | C::QueuePrevious
            | C::ReviewNote
            | C::TakeB
            | C::TakeC
            | C::TakeAll
            | C::KeepSelected
    )
}

/// Human-readable shortcut, e.g. `Ctrl+Shift+S` (platform-independent so tests and docs agree).
pub fn shortcut_text(s: &KeyboardShortcut) -> String {
    let mut out = String::new();
    let m = s.modifiers;
    if m.command || m.ctrl || m.mac_cmd {
        out.push_str("Ctrl+");
    }
    if m.alt {
        out.push_str("Alt+");
    }
    if m.shift {
        out.push_str("Shift+");
    }
    let name = match s.logical_key {
        Key::ArrowLeft => "Left",
        Key::ArrowRight => "Right",
        Key::Plus => "+",
        Key::Minus => "-",
        Key::Equals => "=",
        Key::Num0 => "0",
        k => k.name(),
    };
    out.push_str(name);
    out
}

/// The egui key for a label hotkey character (digits and letters).
pub fn hotkey_key(c: char) -> Option<Key> {
    let s = c.to_ascii_uppercase().to_string();
    Key::from_name(&s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn shortcuts_are_unique() {
        let mut seen = HashSet::new();
        for c in COMMANDS {
            for s in c.shortcuts {
                assert!(
                    seen.insert(shortcut_text(s)),
                    "duplicate {}",
                    shortcut_text(s)
                );
            }
        }
        assert_eq!(hotkey_key('2'), Some(Key::Num2));
    }

    #[test]
    fn plus_and_minus_ignore_the_shift_that_types_them() {
        let plus = key(CMD, Key::Plus);
        assert!(shortcut_matches(&plus, Key::Plus, CMD));
        assert!(shortcut_matches(&plus, Key::Plus, CMD_SHIFT));
        assert!(!shortcut_matches(&plus, Key::Plus, NONE));
        assert!(!shortcut_matches(&plus, Key::Minus, CMD));
        let save = key(CMD, Key::S);
        assert!(shortcut_matches(&save, Key::S, CMD));
        assert!(!shortcut_matches(&save, Key::S, CMD_SHIFT));
        assert_eq!(hotkey_key('q'), Some(Key::Q));
    }
}
