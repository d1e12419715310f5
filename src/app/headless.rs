//! The app without a window, editing at random: for the crash test of autosave and recovery
//! (`tests/torture/kill9.py`), which kills it with SIGKILL at random moments and checks what the
//! next start finds.
//!
//! It is the real app: [`SpantagApp::from_args`] (locks, recovery, the autosave worker), frames
//! run through [`SpantagApp::show`], and every edit is an [`Action`] applied by the one action
//! handler, as a click or a key would. Only the window is missing. Started by the hidden option
//! `--headless-edit N` (`0`: until killed); each line of its log is flushed as it happens:
//!
//! - `START t=MS pid=PID file=FP recovery=FP|- file_changed=0|1 chose=file|recovery state=FP
//!   took_over=0|1`: what the start found and chose (the recovery when it was offered and the
//!   file did not change since the work began), logged before acting on it;
//! - `READY t=MS leftover=N`: the choice is made; the start left N temporary files in the slot;
//! - `EDIT n=N t=MS kind=add|remove state=FP`: an edit that changed the project;
//! - `AUTOSAVED t=MS state=FP`: the autosave worker reported this state written;
//! - `SAVED t=MS state=FP`: the project file holds this state;
//! - `END t=MS`: the run finished its edits, saved and closed.
//!
//! `FP` is a fingerprint of the project's name and spans: an edit never brings back an earlier
//! fingerprint, since span ids are never reused.

use super::SpantagApp;
use super::action::Action;
use super::commands::AppCommand;
use super::state::Modal;
use spantag_core::model::Project;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// What the headless run does.
#[derive(Debug, Clone, Default)]
pub struct HeadlessOptions {
    /// Edits to make before saving and closing (`0`: edit until killed).
    pub edits: u64,
    /// Milliseconds between edits.
    pub pace_ms: u64,
    /// Save after every this many edits (`0`: never).
    pub save_every: u64,
    /// Seed of the random edits (mixed with the process id).
    pub seed: u64,
    /// Where the log goes (standard output when `None`).
    pub log: Option<PathBuf>,
}

/// A small random number generator (xorshift64*), enough to pick edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

/// The project's name, span id counter and spans, hashed.
pub fn fingerprint(p: &Project) -> String {
    let mut text = format!("{}\u{1}{}", p.name, p.next_span_id);
    for d in &p.documents {
        text.push_str(&format!("\u{2}{}", d.id));
        for s in &d.spans {
            text.push_str(&format!(
                "\u{3}{}:{}:{}:{}",
                s.id.0, s.start, s.end, s.label
            ));
        }
    }
    spantag_core::model::content_hash(&text)
        .trim_start_matches("fnv1a64:")
        .to_owned()
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

struct Log(Box<dyn Write>);

impl Log {
    fn line(&mut self, s: &str) -> anyhow::Result<()> {
        writeln!(self.0, "{s}")?;
        self.0.flush()?;
        Ok(())
    }
}

/// Runs the app state machine frame by frame, without a window.
struct Frames {
    ctx: egui::Context,
    start: Instant,
}

impl Frames {
    fn run(&self, app: &mut SpantagApp) {
        let input = egui::RawInput {
            time: Some(self.start.elapsed().as_secs_f64()),
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1000.0, 700.0),
            )),
            ..Default::default()
        };
        let mut out = self.ctx.run_ui(input, |ui| app.show(ui));
        // Nothing is painted: the textures are dropped unused.
        out.textures_delta.clear();
    }
}

/// Starts the app as `args` say and edits at random as `opts` say.
pub fn run(args: &super::LaunchOptions, opts: &HeadlessOptions) -> anyhow::Result<()> {
    let mut log = Log(match &opts.log {
        Some(p) => Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)?,
        ),
        None => Box::new(std::io::stdout()),
    });
    let mut app = SpantagApp::from_args(args);
    if app.files.autosaver.is_none() {
        anyhow::bail!("autosave is off: no state folder (set SPANTAG_STATE_DIR)");
    }
    let frames = Frames {
        ctx: egui::Context::default(),
        start: Instant::now(),
    };
    frames.run(&mut app);
    let took_over = app
        .dialogs
        .toasts
        .iter()
        .any(|t| t.text.contains("no longer running"));
    let file_fp = fingerprint(app.project());
    let (mut recovery_fp, mut file_changed, mut chose) = ("-".to_owned(), false, "file");
    let mut state_fp = file_fp.clone();
    let mut answer = None;
    match &app.dialogs.modal {
        Some(Modal::Recovery { .. }) => {
            if let Some(r) = &app.files.recovered {
                recovery_fp = fingerprint(&r.project);
                file_changed = r.file_changed;
            }
            // As a careful person would: restore unless the file changed since the work began.
            answer = Some(if file_changed {
                Action::DiscardRecovery
            } else {
                chose = "recovery";
                state_fp = recovery_fp.clone();
                Action::Restore
            });
        }
        Some(Modal::InUse { holder, .. }) => {
            log.line(&format!("IN_USE t={} holder={holder:?}", now_ms()))?;
            anyhow::bail!("the project is open in {holder}");
        }
        _ => {}
    }
    // Temporary files left in the slot, counted before anything is written to it.
    let leftover = app.files.slot.as_ref().map_or(0, |s| {
        std::fs::read_dir(&s.dir).map_or(0, |d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
    });
    // Logged before the answer is acted on, so that a kill at any later moment leaves a log
    // that says what the files can hold.
    log.line(&format!(
        "START t={} pid={} file={file_fp} recovery={recovery_fp} file_changed={} chose={chose} state={state_fp} took_over={}",
        now_ms(),
        std::process::id(),
        u8::from(file_changed),
        u8::from(took_over),
    ))?;
    if let Some(a) = answer {
        app.queue.push(Action::Answered(Some(Box::new(a))));
        frames.run(&mut app);
    }
    if fingerprint(app.project()) != state_fp {
        anyhow::bail!("the start did not end where it said");
    }
    log.line(&format!("READY t={} leftover={leftover}", now_ms()))?;

    let mut rng = Rng((opts.seed ^ u64::from(std::process::id()).rotate_left(32)) | 1);
    let mut states: HashMap<u64, String> = HashMap::new();
    states.insert(app.revision(), fingerprint(app.project()));
    let mut logged_autosave = app.autosaved_revision();
    let mut logged_save = (!app.is_dirty()).then(|| app.revision());
    let pace = Duration::from_millis(opts.pace_ms.max(1));
    let mut n = 0u64;
    let mut next = Instant::now() + pace;
    loop {
        // Frames keep coming between edits, as in the window, so autosaves are noticed.
        while Instant::now() < next {
            std::thread::sleep(Duration::from_millis(10).min(next - Instant::now()));
            frames.run(&mut app);
            report(
                &mut app,
                &mut log,
                &states,
                &mut logged_autosave,
                &mut logged_save,
            )?;
        }
        next += pace;
        if opts.edits > 0 && n >= opts.edits {
            break;
        }
        let before = app.revision();
        let kind = random_edit(&mut app, &mut rng);
        frames.run(&mut app);
        if app.revision() != before {
            n += 1;
            let fp = fingerprint(app.project());
            log.line(&format!("EDIT n={n} t={} kind={kind} state={fp}", now_ms()))?;
            states.insert(app.revision(), fp);
            if opts.save_every > 0 && n.is_multiple_of(opts.save_every) {
                app.queue.push(Action::Command(AppCommand::Save));
                frames.run(&mut app);
            }
        }
        report(
            &mut app,
            &mut log,
            &states,
            &mut logged_autosave,
            &mut logged_save,
        )?;
    }
    app.queue.push(Action::Command(AppCommand::Save));
    frames.run(&mut app);
    report(
        &mut app,
        &mut log,
        &states,
        &mut logged_autosave,
        &mut logged_save,
    )?;
    app.queue.push(Action::Command(AppCommand::Quit));
    for _ in 0..5 {
        frames.run(&mut app);
    }
    if !app.is_closing() {
        anyhow::bail!("the app did not close: {:?}", app.toasts());
    }
    drop(app);
    log.line(&format!("END t={}", now_ms()))?;
    Ok(())
}

/// Logs autosaves and saves that happened since the last call.
fn report(
    app: &mut SpantagApp,
    log: &mut Log,
    states: &HashMap<u64, String>,
    logged_autosave: &mut Option<u64>,
    logged_save: &mut Option<u64>,
) -> anyhow::Result<()> {
    let autosaved = app.autosaved_revision();
    if autosaved.is_some() && autosaved != *logged_autosave {
        *logged_autosave = autosaved;
        if let Some(fp) = autosaved.and_then(|r| states.get(&r)) {
            log.line(&format!("AUTOSAVED t={} state={fp}", now_ms()))?;
        }
    }
    if !app.is_dirty() && *logged_save != Some(app.revision()) {
        *logged_save = Some(app.revision());
        if let Some(fp) = states.get(&app.revision()) {
            log.line(&format!("SAVED t={} state={fp}", now_ms()))?;
        }
    }
    // Toasts pile up without a window to show them; only errors matter here.
    let errors: Vec<String> = app
        .dialogs
        .toasts
        .iter()
        .filter(|t| t.kind == super::action::ToastKind::Error)
        .map(|t| t.text.clone())
        .collect();
    app.dialogs.toasts.clear();
    for e in errors {
        log.line(&format!("ERROR t={} message={e:?}", now_ms()))?;
    }
    Ok(())
}

/// Queues a random edit: tag one to three tokens of a random document with a random label, or
/// delete a random span. Returns which.
fn random_edit(app: &mut SpantagApp, rng: &mut Rng) -> &'static str {
    let p = app.ws.project();
    let d = rng.below(p.documents.len());
    let Some(doc) = p.documents.get(d) else {
        return "none";
    };
    if d != app.sel.doc {
        app.queue.push(Action::OpenDoc(d));
    }
    if !doc.spans.is_empty() && rng.below(100) < 45 {
        let id = doc.spans[rng.below(doc.spans.len())].id;
        app.queue.push(Action::SelectSpan { id, scroll: false });
        app.queue.push(Action::Command(AppCommand::DeleteSpan));
        return "remove";
    }
    let tokens = doc.index().tokens();
    if tokens.is_empty() || p.labels.is_empty() {
        return "none";
    }
    let i = rng.below(tokens.len());
    let j = (i + rng.below(3)).min(tokens.len() - 1);
    let label = p.labels[rng.below(p.labels.len())].name.clone();
    let (start, end) = (tokens[i].start, tokens[j].end);
    if doc
        .spans
        .iter()
        .any(|s| s.start == start && s.end == end && s.label == label)
    {
        return "none"; // the app refuses a second identical span
    }
    app.queue.push(Action::SetSelection {
        anchor: tokens[i].start,
        focus: tokens[j].end,
    });
    app.queue.push(Action::Tag(label));
    "add"
}
