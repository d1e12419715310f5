//! Undo history over a project.
//!
//! A [`Workspace`] owns a project and its history; the project is readable by anyone
//! ([`Workspace::project`]) and changed only by [`Workspace::apply`], which applies a group of
//! edits as one undoable step. Each state of the project has a revision number; undo returns to
//! the earlier state's number, so "unsaved changes" is simply `revision() != saved_revision`,
//! never tracked by hand.
//!
//! Like an editor's history, every step also remembers where the user was before and after it
//! (a [`Cursor`]: the document, the text selection and the selected span), so undo and redo
//! hand back the place to return to without looking inside the edits. The oldest step is dropped
//! in constant time once the history is over its limit.

use crate::edit::{Edit, EditError};
use crate::model::{Project, SpanId};
use crate::movement::Selection;
use std::collections::VecDeque;

/// Where the user is in a project: the open document (by id), the text selection in it and the
/// selected span. Undo and redo return the cursor to restore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Id of the open document (`None`: no document).
    pub doc: Option<String>,
    /// The text selection, in code points of that document.
    pub selection: Selection,
    /// The selected span of that document.
    pub span: Option<SpanId>,
}

impl Cursor {
    /// A caret at `at` in document `doc`, with no span selected.
    pub fn caret(doc: impl Into<String>, at: usize) -> Self {
        Cursor {
            doc: Some(doc.into()),
            selection: Selection::caret(at),
            span: None,
        }
    }
}

/// What undo or redo did: the step's description and the cursor to restore (the one from before
/// the step for undo, from after it for redo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossed {
    pub description: String,
    pub cursor: Cursor,
}

/// One undoable step: the edits that take the project from one revision to the other.
#[derive(Debug, Clone)]
struct Step {
    description: String,
    /// Edits to apply, in order, to move across this step.
    edits: Vec<Edit>,
    /// The revision reached once `edits` are applied.
    target: u64,
    /// The revision the project is at before `edits` are applied.
    origin: u64,
    /// Where the user was in the earlier state of the step (restored by undo).
    before: Cursor,
    /// Where the user was in the later state of the step (restored by redo).
    after: Cursor,
}

/// The number of steps a workspace keeps unless told otherwise.
pub const DEFAULT_LIMIT: usize = 10_000;

/// A project with undo/redo history.
#[derive(Debug, Clone)]
pub struct Workspace {
    project: Project,
    /// Oldest step first; the front is dropped when over `limit`.
    undo: VecDeque<Step>,
    redo: Vec<Step>,
    revision: u64,
    next_revision: u64,
    saved_revision: u64,
    limit: usize,
}

impl Workspace {
    /// Wraps a project that is in its saved state.
    pub fn new(project: Project) -> Self {
        Workspace {
            project,
            undo: VecDeque::new(),
            redo: Vec::new(),
            revision: 0,
            next_revision: 1,
            saved_revision: 0,
            limit: DEFAULT_LIMIT,
        }
    }

    /// Wraps a project that has never been saved (it starts dirty).
    pub fn new_unsaved(project: Project) -> Self {
        let mut ws = Workspace::new(project);
        ws.saved_revision = u64::MAX;
        ws
    }

    /// Keeps at most `limit` undo steps (at least one).
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit.max(1);
        self
    }

    /// The project as it is now. It changes only through [`Workspace::apply`], undo and redo.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Applies `edits` as one step called `description`; `before` is where the user was when the
    /// step was made and `after` where the step leaves them. On error nothing changes.
    pub fn apply(
        &mut self,
        description: impl Into<String>,
        edits: Vec<Edit>,
        before: Cursor,
        after: Cursor,
    ) -> Result<(), EditError> {
        if edits.is_empty() {
            return Ok(());
        }
        let inverses = self.project.apply_all(edits)?;
        let origin = self.revision;
        self.revision = self.next_revision;
        self.next_revision += 1;
        self.undo.push_back(Step {
            description: description.into(),
            edits: inverses,
            target: origin,
            origin: self.revision,
            before,
            after,
        });
        while self.undo.len() > self.limit {
            self.undo.pop_front();
        }
        self.redo.clear();
        Ok(())
    }

    /// Undoes the last step; returns its description and the cursor from before it, or `None`
    /// if there is nothing to undo.
    pub fn undo(&mut self) -> Option<Crossed> {
        let step = self.undo.pop_back()?;
        self.cross(step, true)
    }

    /// Redoes the last undone step; returns its description and the cursor from after it.
    pub fn redo(&mut self) -> Option<Crossed> {
        let step = self.redo.pop()?;
        self.cross(step, false)
    }

    fn cross(&mut self, step: Step, undoing: bool) -> Option<Crossed> {
        match self.project.apply_all(step.edits.clone()) {
            Ok(inverses) => {
                self.revision = step.target;
                let crossed = Crossed {
                    description: step.description.clone(),
                    cursor: if undoing {
                        step.before.clone()
                    } else {
                        step.after.clone()
                    },
                };
                let back = Step {
                    edits: inverses,
                    target: step.origin,
                    origin: step.target,
                    ..step
                };
                if undoing {
                    self.redo.push(back);
                } else {
                    self.undo.push_back(back);
                }
                Some(crossed)
            }
            // Unreachable while every change goes through this workspace; keep the step so the
            // history is not silently lost.
            Err(_) => {
                if undoing {
                    self.undo.push_back(step);
                } else {
                    self.redo.push(step);
                }
                None
            }
        }
    }

    /// Description of the step undo would revert.
    pub fn undo_description(&self) -> Option<&str> {
        self.undo.back().map(|s| s.description.as_str())
    }

    /// Description of the step redo would repeat.
    pub fn redo_description(&self) -> Option<&str> {
        self.redo.last().map(|s| s.description.as_str())
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// How many steps undo can go back.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// The revision of the current state. Equal revisions mean equal project content.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Records that the current revision is what is on disk.
    pub fn mark_saved(&mut self, revision: u64) {
        self.saved_revision = revision;
    }

    /// Whether the project differs from what was last saved.
    pub fn is_dirty(&self) -> bool {
        self.revision != self.saved_revision
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markup::project_from_markup;
    use crate::time::Timestamp;

    fn project() -> Project {
        project_from_markup("t", &[("d", "Ana met Bo.")], "ana", Timestamp(0)).unwrap()
    }

    fn rename(i: usize) -> Vec<Edit> {
        vec![Edit::RenameProject {
            name: format!("n{i}"),
        }]
    }

    fn done(done: bool) -> Vec<Edit> {
        vec![Edit::SetDone {
            doc: "d".into(),
            done,
        }]
    }

    fn at(n: usize) -> Cursor {
        Cursor::caret("d", n)
    }

    #[test]
    fn undo_and_redo_restore_the_cursor_of_each_side() {
        let mut ws = Workspace::new(project());
        let span = ws.project().make_span("d", 0, 3, "actor", "ana").unwrap();
        let id = span.id;
        let before = Cursor {
            doc: Some("d".into()),
            selection: Selection::new(0, 3),
            span: None,
        };
        let after = Cursor {
            span: Some(id),
            ..at(3)
        };
        ws.apply(
            "Tag actor",
            vec![Edit::AddSpan {
                doc: "d".into(),
                span,
            }],
            before.clone(),
            after.clone(),
        )
        .unwrap();
        ws.apply("Mark done", done(true), at(3), at(7)).unwrap();

        let u = ws.undo().unwrap();
        assert_eq!((u.description.as_str(), &u.cursor), ("Mark done", &at(3)));
        let u = ws.undo().unwrap();
        assert_eq!((u.description.as_str(), &u.cursor), ("Tag actor", &before));
        assert!(ws.project().documents[0].spans.is_empty());
        assert_eq!(ws.undo(), None);

        let r = ws.redo().unwrap();
        assert_eq!((r.description.as_str(), &r.cursor), ("Tag actor", &after));
        assert_eq!(ws.project().documents[0].spans.len(), 1);
        // Undo after redo hands back the same "before" again.
        assert_eq!(ws.undo().unwrap().cursor, before);
        ws.redo();
        assert_eq!(ws.redo().unwrap().cursor, at(7));
        assert_eq!(ws.redo(), None);
    }

    #[test]
    fn a_new_step_forgets_what_could_be_redone() {
        let mut ws = Workspace::new(project());
        ws.apply("one", done(true), at(0), at(1)).unwrap();
        ws.undo();
        assert!(ws.can_redo());
        ws.apply("two", done(true), at(2), at(3)).unwrap();
        assert!(!ws.can_redo());
        assert_eq!(ws.undo().unwrap().cursor, at(2));
        assert!(!ws.is_dirty());
    }

    #[test]
    fn empty_and_failing_steps_are_not_recorded() {
        let mut ws = Workspace::new(project());
        ws.apply("nothing", Vec::new(), at(0), at(1)).unwrap();
        let bad = vec![Edit::SetDone {
            doc: "missing".into(),
            done: true,
        }];
        assert!(ws.apply("bad", bad, at(0), at(1)).is_err());
        assert!(!ws.can_undo());
        assert_eq!(ws.revision(), 0);
    }

    #[test]
    fn the_oldest_step_is_dropped_at_the_limit() {
        let mut ws = Workspace::new(project()).with_limit(3);
        for i in 0..5 {
            ws.apply(format!("step {i}"), rename(i), at(i), at(i + 1))
                .unwrap();
        }
        assert_eq!(ws.undo_len(), 3);
        let mut undone = Vec::new();
        while let Some(c) = ws.undo() {
            undone.push((c.description, c.cursor));
        }
        assert_eq!(
            undone,
            vec![
                ("step 4".to_owned(), at(4)),
                ("step 3".to_owned(), at(3)),
                ("step 2".to_owned(), at(2)),
            ]
        );
        // Steps 0 and 1 are gone: the project keeps their effect and stays changed.
        assert_eq!(ws.project().name, "n1");
        assert!(ws.is_dirty());
        // Redo climbs back over all three.
        while ws.redo().is_some() {}
        assert_eq!(ws.undo_len(), 3);
    }

    /// A long session at the limit keeps exactly the newest `limit` steps. (Dropping the oldest is
    /// `VecDeque::pop_front`, constant time; speed lives in benchmarks, not in tests.)
    #[test]
    fn a_long_session_at_the_limit_keeps_the_newest_steps() {
        let mut ws = Workspace::new(project()).with_limit(5_000);
        for i in 0..15_000 {
            ws.apply(
                "toggle",
                done(i % 2 == 0),
                Cursor::default(),
                Cursor::default(),
            )
            .unwrap();
        }
        assert_eq!(ws.undo_len(), 5_000);
        assert_eq!(ws.revision(), 15_000);
        while ws.undo().is_some() {}
        assert_eq!(ws.revision(), 10_000);
    }
}
