//! The command table: every command the app offers, with its name and keyboard shortcuts. The
//! menus, the keyboard handling and the F1 help overlay are all driven by [`commands`], so a
//! shortcut shown anywhere is the shortcut that works.

use egui::{Key, KeyboardShortcut, Modifiers};
use std::sync::LazyLock;
use strum::IntoEnumIterator;

/// Something the user can ask the app to do. Declared in menu order; [`AppCommand::info`] gives
/// each its name, help, shortcuts and menu with an exhaustive `match`, so a new command without
/// them does not compile, and [`commands`] lists every one (through `strum::EnumIter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum AppCommand {
    New,
    Open,
    RecoverUnsaved,
    AddArticles,
    CompareProjects,
    Save,
    SaveAs,
    Export,
    Import,
    Quit,
    Undo,
    Redo,
    SetName,
    DeleteSpan,
    StartLeft,
    StartRight,
    EndLeft,
    EndRight,
    // Relations (app/relations.rs)
    LinkSpan,
    MarkDoneAndNext,
    NextDocument,
    PreviousDocument,
    NextSpan,
    PreviousSpan,
    // Relations (app/relations.rs)
    GoToLinked,
    NextUnsourced,
    CaretRight,
    CaretLeft,
    ExtendRight,
    ExtendLeft,
    ClearSelection,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    ToggleReview,
    ToggleAgreement,
    Accept,
    Reject,
    TakeB,
    TakeC,
    TakeAll,
    KeepSelected,
    QueueNext,
    QueuePrevious,
    ReviewNote,
    ToggleHelp,
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

impl AppCommand {
    /// The command's table row: name, help, shortcuts and menu. Keyboard matching uses exact
    /// modifiers, so Ctrl+S and Ctrl+Shift+S never collide whatever the order.
    pub const fn info(self) -> CommandInfo {
        let (name, help, shortcuts, menu): (&str, &str, &[KeyboardShortcut], MenuGroup) = match self
        {
            C::New => (
                "New project",
                "Start an empty project",
                &const { [key(CMD, Key::N)] },
                G::File,
            ),
            C::Open => (
                "Open…",
                "Open a project (.ron) or articles (.txt, .md, .html)",
                &const { [key(CMD, Key::O)] },
                G::File,
            ),
            C::RecoverUnsaved => (
                "Recover unsaved work…",
                "List the unsaved work that windows which crashed or were killed left behind, to restore or discard it",
                &[],
                G::File,
            ),
            C::AddArticles => (
                "Add articles…",
                "Import article files into this project",
                &const { [key(CMD_SHIFT, Key::O)] },
                G::File,
            ),
            C::CompareProjects => (
                "Compare projects…",
                "Open two or more annotators' projects over the same articles and merge them into a gold project",
                &[],
                G::File,
            ),
            C::Save => (
                "Save",
                "Save the project",
                &const { [key(CMD, Key::S)] },
                G::File,
            ),
            C::SaveAs => (
                "Save as…",
                "Save the project under a new name",
                &const { [key(CMD_SHIFT, Key::S)] },
                G::File,
            ),
            C::Export => (
                "Export…",
                "Export training data (jsonl, spaCy, CoNLL, hf, brat, Label Studio, CSV)",
                &const { [key(CMD, Key::E)] },
                G::File,
            ),
            C::Import => (
                "Import…",
                "Import annotations (jsonl, doccano, Label Studio, brat, CoNLL) into this project",
                &const { [key(CMD, Key::I)] },
                G::File,
            ),
            C::Quit => (
                "Quit",
                "Close the window (asks about unsaved changes)",
                &const { [key(CMD, Key::Q)] },
                G::File,
            ),
            C::Undo => (
                "Undo",
                "Undo the last change",
                &const { [key(CMD, Key::Z)] },
                G::Edit,
            ),
            C::Redo => (
                "Redo",
                "Redo the last undone change",
                &const { [key(CMD_SHIFT, Key::Z), key(CMD, Key::Y)] },
                G::Edit,
            ),
            C::SetName => (
                "Your name…",
                "Set the annotator name recorded on new spans and reviews",
                &[],
                G::Edit,
            ),
            C::DeleteSpan => (
                "Delete span",
                "Remove the selected span",
                &const { [key(NONE, Key::Delete), key(NONE, Key::Backspace)] },
                G::Edit,
            ),
            C::StartLeft => (
                "Move span start left",
                "Grow the selected span by one token at its start",
                &const { [key(ALT, Key::ArrowLeft)] },
                G::Edit,
            ),
            C::StartRight => (
                "Move span start right",
                "Shrink the selected span by one token at its start",
                &const { [key(ALT, Key::ArrowRight)] },
                G::Edit,
            ),
            C::EndLeft => (
                "Move span end left",
                "Shrink the selected span by one token at its end",
                &const { [key(ALT_SHIFT, Key::ArrowLeft)] },
                G::Edit,
            ),
            C::EndRight => (
                "Move span end right",
                "Grow the selected span by one token at its end",
                &const { [key(ALT_SHIFT, Key::ArrowRight)] },
                G::Edit,
            ),
            C::MarkDoneAndNext => (
                "Mark done, next document",
                "Mark this document done and open the next one",
                &const { [key(CMD, Key::Enter)] },
                G::Navigate,
            ),
            C::NextDocument => (
                "Next document",
                "Open the next document",
                &const { [key(CMD, Key::PageDown)] },
                G::Navigate,
            ),
            C::PreviousDocument => (
                "Previous document",
                "Open the previous document",
                &const { [key(CMD, Key::PageUp)] },
                G::Navigate,
            ),
            C::NextSpan => (
                "Next span",
                "Select the next span in text order",
                &const { [key(NONE, Key::Tab)] },
                G::Navigate,
            ),
            C::PreviousSpan => (
                "Previous span",
                "Select the previous span in text order",
                &const { [key(SHIFT, Key::Tab)] },
                G::Navigate,
            ),
            C::CaretRight => (
                "Caret to next token",
                "Move the caret one token right",
                &const { [key(NONE, Key::ArrowRight)] },
                G::Navigate,
            ),
            C::CaretLeft => (
                "Caret to previous token",
                "Move the caret one token left",
                &const { [key(NONE, Key::ArrowLeft)] },
                G::Navigate,
            ),
            C::ExtendRight => (
                "Extend selection right",
                "Extend the selection by one token to the right",
                &const { [key(SHIFT, Key::ArrowRight)] },
                G::Navigate,
            ),
            C::ExtendLeft => (
                "Extend selection left",
                "Shrink or extend the selection by one token to the left",
                &const { [key(SHIFT, Key::ArrowLeft)] },
                G::Navigate,
            ),
            C::ClearSelection => (
                "Clear selection",
                "Clear the text and span selection",
                &const { [key(NONE, Key::Escape)] },
                G::Navigate,
            ),
            C::ZoomIn => (
                "Zoom in",
                "Larger article text",
                &const { [key(CMD, Key::Plus), key(CMD, Key::Equals)] },
                G::View,
            ),
            C::ZoomOut => (
                "Zoom out",
                "Smaller article text",
                &const { [key(CMD, Key::Minus)] },
                G::View,
            ),
            C::ZoomReset => (
                "Reset zoom",
                "Default article text size",
                &const { [key(CMD, Key::Num0)] },
                G::View,
            ),
            C::ToggleReview => (
                "Review mode",
                "Go through every span in reading order: accept, reject, relabel, resize, add a note",
                &const { [key(CMD, Key::R)] },
                G::View,
            ),
            C::ToggleAgreement => (
                "Agreement",
                "Agreement figures of the compared projects, with a per-label chart",
                &const { [key(CMD_SHIFT, Key::A)] },
                G::View,
            ),
            C::Accept => (
                "Accept / take A",
                "Review mode: accept the span and go to the next. Compare mode: keep annotator A's spans of the conflict",
                &const { [key(NONE, Key::A), key(NONE, Key::Enter)] },
                G::Review,
            ),
            C::Reject => (
                "Reject / drop",
                "Review mode: reject the span (it is kept, marked rejected). Compare mode: drop every span of the conflict",
                &const { [key(NONE, Key::X)] },
                G::Review,
            ),
            C::TakeB => (
                "Take B",
                "Compare mode: keep annotator B's spans of the conflict",
                &const { [key(NONE, Key::B)] },
                G::Review,
            ),
            C::TakeC => (
                "Take C",
                "Compare mode: keep annotator C's spans of the conflict (three or more projects)",
                &const { [key(NONE, Key::C)] },
                G::Review,
            ),
            C::TakeAll => (
                "Take both",
                "Compare mode: keep every span of the conflict",
                &const { [key(NONE, Key::T)] },
                G::Review,
            ),
            C::KeepSelected => (
                "Edit: keep selected",
                "Compare mode: keep the selected span of the conflict (marked edited), drop the others; then fix it with label keys and Alt+arrows",
                &const { [key(NONE, Key::E)] },
                G::Review,
            ),
            C::QueueNext => (
                "Next in queue",
                "Review mode: next span of the queue. Compare mode: next unresolved conflict",
                &const { [key(NONE, Key::N)] },
                G::Review,
            ),
            C::QueuePrevious => (
                "Previous in queue",
                "Review mode: previous span of the queue. Compare mode: previous unresolved conflict",
                &const { [key(NONE, Key::P)] },
                G::Review,
            ),
            C::ReviewNote => (
                "Review note",
                "Review mode: type a note for the span (Enter saves it, Escape cancels)",
                &const { [key(NONE, Key::M)] },
                G::Review,
            ),
            // ----- relations (app/relations.rs) -----
            C::LinkSpan => (
                "Link span…",
                "Start a relation at the selected span (e.g. a claim), then pick its other end: click a span, or Tab / Shift+Tab through the allowed spans nearest first and Enter; R again (or a relation type's key) switches the type, Escape cancels",
                &const { [key(NONE, Key::R)] },
                G::Edit,
            ),
            C::GoToLinked => (
                "Go to linked span",
                "Select the other end of the selected span's first relation (the side panel lists them all), even in another paragraph or off screen",
                &const { [key(NONE, Key::L)] },
                G::Navigate,
            ),
            C::NextUnsourced => (
                "Next claim without a source",
                "Select the next span that could be the head of a source relation (a claim) but has none, in this or the following documents",
                &const { [key(NONE, Key::U)] },
                G::Navigate,
            ),
            C::ToggleHelp => (
                "Keyboard shortcuts",
                "Show or hide this list",
                &const { [key(NONE, Key::F1)] },
                G::Help,
            ),
        };
        CommandInfo {
            command: self,
            name,
            help,
            shortcuts,
            menu,
        }
    }
}

/// Every command with its table row, in menu order.
pub fn commands() -> &'static [CommandInfo] {
    static ALL: LazyLock<Vec<CommandInfo>> =
        LazyLock::new(|| AppCommand::iter().map(AppCommand::info).collect());
    &ALL
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
    use super::{
        AppCommand, CMD, CMD_SHIFT, MenuGroup, NONE, commands, hotkey_key, key, shortcut_matches,
        shortcut_text,
    };
    use egui::Key;
    use std::collections::HashSet;
    use strum::IntoEnumIterator;

    #[test]
    fn shortcuts_are_unique() {
        let mut seen = HashSet::new();
        for c in commands() {
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
    fn every_command_is_listed_once_with_a_name_and_help() {
        let listed: Vec<AppCommand> = commands().iter().map(|c| c.command).collect();
        let all: Vec<AppCommand> = AppCommand::iter().collect();
        assert_eq!(listed, all);
        assert_eq!(all.len(), 46);
        let mut names = HashSet::new();
        for c in commands() {
            assert!(names.insert(c.name), "duplicate name {}", c.name);
            assert!(!c.help.is_empty(), "{} has no help", c.name);
            assert_eq!(c.command.info().name, c.name);
        }
        // Menus list their commands in declaration order: File first, Help last.
        assert_eq!(commands()[0].menu, MenuGroup::File);
        assert_eq!(commands().last().map(|c| c.menu), Some(MenuGroup::Help));
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
