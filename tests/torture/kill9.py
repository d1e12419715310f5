#!/usr/bin/env python3
"""Kill -9 torture of spantag's autosave and crash recovery (not run by `cargo test`).

Starts the real app without a window (`spantag PROJECT --headless-edit 0`: the app's own state
machine, autosave worker, locks and recovery, editing at random and logging what it did), kills
it with SIGKILL at a random moment, starts it again, and checks what the new start found:

- it found exactly that project's latest recovery: the state it continues from is one this
  project's killed run went through, no older than its last logged autosave or save (two workers
  run side by side on two projects in one state folder, so a recovery of the wrong project would
  show up as an unknown state);
- no file is corrupt: after every kill the project file, its .bak, the slot's recovery file and
  its .bak load (`spantag validate`), and the slot's metadata is complete;
- no temporary file is left once the new start has taken the project;
- how much work was lost: the time between the last edit the killed run logged and the edit
  whose state the new start continues from.

Usage: tests/torture/kill9.py [--bin target/release/spantag] [--kills 1000] [--workers 2]
"""

import argparse
import fcntl
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

LINE = re.compile(r"^(START|READY|EDIT|AUTOSAVED|SAVED|END|ERROR|IN_USE) (.*)$")
FIELD = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')
META_FIELDS = ["project", "name", "written", "hash", "pid", "host"]


def parse_log(path):
    """The complete lines of a run's log, as (kind, {field: value})."""
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return out
    for line in text.split("\n")[:-1]:  # the last piece is cut short or empty
        m = LINE.match(line)
        if m:
            out.append((m.group(1), dict(FIELD.findall(m.group(2)))))
    return out


class Run:
    """What one run went through: its states in order with their times, and what it reported
    as autosaved and saved."""

    def __init__(self, records):
        self.start = None
        self.ready = None
        self.states = []  # (fingerprint, time ms), oldest first
        self.autosaved = -1  # index into states of the newest state known to be autosaved
        self.saved = -1  # ... and saved in the project file
        self.last_edit_t = None
        self.errors = []
        for kind, f in records:
            if kind == "START":
                self.start = f
                t = int(f["t"])
                # The file's state comes first; a restored recovery is newer, and is on disk as
                # the slot's recovery already.
                self.states.append((f["file"], t))
                self.saved = 0
                if f.get("chose") == "recovery":
                    self.states.append((f["recovery"], t))
                    self.autosaved = 1
            elif kind == "READY":
                self.ready = f
            elif kind == "EDIT" and self.start is not None:
                self.states.append((f["state"], int(f["t"])))
                self.last_edit_t = int(f["t"])
            elif kind in ("AUTOSAVED", "SAVED") and self.start is not None:
                idx = self.index(f["state"])
                if idx is None:
                    self.errors.append(f"{kind} of a state never logged: {f['state']}")
                elif kind == "AUTOSAVED":
                    self.autosaved = max(self.autosaved, idx)
                else:
                    self.saved = max(self.saved, idx)
            elif kind in ("ERROR", "IN_USE"):
                self.errors.append(f"{kind} {f}")

    def index(self, fp):
        for i in range(len(self.states) - 1, -1, -1):
            if self.states[i][0] == fp:
                return i
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.kills = 0
        self.restarts_checked = 0
        self.killed_before_start = 0
        self.corrupt = []
        self.leftover_temps = []
        self.temps_swept = 0
        self.failures = []
        self.losses = []  # (ms, lost edits)
        self.restored = 0
        self.from_file = 0
        self.file_changed = 0
        self.took_over = 0
        self.app_errors = []


def validate(binary, path, env):
    r = subprocess.run(
        [binary, "validate", path], capture_output=True, text=True, env=env, timeout=60
    )
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def temp_files(folder, project_name=None):
    """Hidden files in `folder` that interrupted writes leave (`.NAME.tmpPID`...)."""
    out = []
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return out
    for n in names:
        if not n.startswith("."):
            continue
        if project_name is not None and not n.startswith("." + project_name + "."):
            continue
        if "tmp" in n:
            out.append(os.path.join(folder, n))
    return out


def unlocked_inode(path):
    """The inode of `path` if nobody holds its lock (a save holds it while writing), else None."""
    try:
        with open(path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(f, fcntl.LOCK_UN)
            return os.fstat(f.fileno()).st_ino
    except (BlockingIOError, FileNotFoundError):
        return None


def stale(path):
    """Whether the temporary file `path` was left behind: unlocked, and still there, the same
    file and unlocked half a second later (a write in progress creates its file before it
    locks it, and renames it away within milliseconds)."""
    first = unlocked_inode(path)
    if first is None:
        return False
    time.sleep(0.5)
    return unlocked_inode(path) == first


def slot_of(state, stem):
    found = glob.glob(os.path.join(state, "recovery", f"p-{stem}-*"))
    return found[0] if found else None


def check_files(binary, project, state, stem, env, stats, where):
    """After a kill: every file that is there must load."""
    slot = slot_of(state, stem)
    files = [project, project + ".bak"]
    if slot:
        files += [os.path.join(slot, "recovery.ron"), os.path.join(slot, "recovery.ron.bak")]
    for f in files:
        if os.path.exists(f):
            ok, msg = validate(binary, f, env)
            if not ok:
                with stats.lock:
                    stats.corrupt.append(f"{where}: {f}: {msg}")
                shutil.copy(f, f + f".corrupt-{int(time.time() * 1000)}")
    if slot:
        for meta in ["meta.ron", "meta.ron.bak"]:
            m = os.path.join(slot, meta)
            if os.path.exists(m):
                text = open(m, encoding="utf-8", errors="replace").read()
                if not text.rstrip().endswith(")") or any(
                    re.search(rf"\b{k}:", text) is None for k in META_FIELDS
                ):
                    with stats.lock:
                        stats.corrupt.append(f"{where}: {m}: incomplete: {text[-200:]!r}")
    temps = temp_files(os.path.dirname(project), os.path.basename(project))
    if slot:
        temps += temp_files(slot)
    return temps


def check_restart(prev, run, stats, where):
    """The new run's start against the killed run it follows."""
    s = run.start
    fails = []
    chosen = prev.index(s["state"])
    file_idx = prev.index(s["file"])
    rec = s["recovery"]
    rec_idx = prev.index(rec) if rec != "-" else None
    if chosen is None:
        fails.append(f"continues from a state the killed run never had ({s['state']})")
    if file_idx is None:
        fails.append(f"the project file holds an unknown state ({s['file']})")
    elif file_idx < prev.saved:
        fails.append(f"the project file is older ({file_idx}) than the last save ({prev.saved})")
    if rec != "-" and rec_idx is None:
        fails.append(f"the offered recovery is not this project's work ({rec})")
    if prev.autosaved > prev.saved:
        if rec == "-" and (file_idx is None or file_idx < prev.autosaved):
            fails.append(
                f"no recovery offered though state {prev.autosaved} was autosaved after the last save"
            )
        elif rec_idx is not None and rec_idx < prev.autosaved:
            fails.append(
                f"the recovery offered ({rec_idx}) is older than the last autosave ({prev.autosaved})"
            )
    if chosen is not None and chosen < max(prev.autosaved, prev.saved):
        fails.append(
            f"continues from state {chosen}, older than the last autosave {prev.autosaved} / save {prev.saved}"
        )
    if run.ready is not None and int(run.ready.get("leftover", "0")) != 0:
        fails.append(f"{run.ready['leftover']} temporary files left in the slot after the start")
    with stats.lock:
        stats.restarts_checked += 1
        if s.get("chose") == "recovery":
            stats.restored += 1
        else:
            stats.from_file += 1
        if s.get("file_changed") == "1":
            stats.file_changed += 1
        if s.get("took_over") == "1":
            stats.took_over += 1
        if chosen is not None:
            last = len(prev.states) - 1
            lost_ms = 0
            if last > chosen:
                lost_ms = prev.states[last][1] - prev.states[chosen][1]
            stats.losses.append((lost_ms, last - chosen, where))
        for f in fails:
            stats.failures.append(f"{where}: {f}")


def worker(i, args, work, state, env, stats, stop):
    rng = random.Random(args.seed * 1000 + i)
    stem = f"project-{i}"
    folder = os.path.join(work, f"w{i}")
    os.makedirs(folder, exist_ok=True)
    project = os.path.join(folder, f"{stem}.ron")
    sample = open(args.sample, encoding="utf-8").read()
    sample = re.sub(r'name: "[^"]*"', f'name: "torture {i}"', sample, count=1)
    with open(project, "w", encoding="utf-8") as f:
        f.write(sample)
    ok, msg = validate(args.bin, project, env)
    if not ok:
        raise SystemExit(f"the starting project does not load: {msg}")
    prev = None
    n = 0
    while not stop.is_set():
        n += 1
        log = os.path.join(folder, f"run-{n:05d}.log")
        cmd = [
            args.bin,
            project,
            "--annotator",
            f"torture-{i}",
            "--headless-edit",
            "0",
            "--headless-log",
            log,
            "--headless-pace",
            str(args.pace),
            "--headless-save-every",
            str(args.save_every),
            "--headless-seed",
            str(rng.randrange(1 << 30)),
        ]
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        life = rng.uniform(args.min_life, args.max_life)
        deadline = time.time() + life
        run = None
        # Check the start as soon as it is logged, while the process runs: the temporary files
        # must be gone once it has taken the project.
        while time.time() < deadline:
            time.sleep(0.02)
            recs = parse_log(log)
            if run is None and any(k == "READY" for k, _ in recs):
                run = Run(recs)
                temps = temp_files(folder, os.path.basename(project))
                slot = slot_of(state, stem)
                if slot:
                    temps += temp_files(slot)
                left = [t for t in temps if stale(t)]
                if left:
                    with stats.lock:
                        stats.leftover_temps += [f"w{i} run {n}: {t}" for t in left]
            if p.poll() is not None:
                break
        if p.poll() is not None:
            err = p.stderr.read().decode(errors="replace") if p.stderr else ""
            with stats.lock:
                stats.failures.append(f"w{i} run {n}: exited by itself ({p.returncode}): {err[-500:]}")
            stop.set()
            break
        p.send_signal(signal.SIGKILL)
        p.wait()
        if p.stderr:
            p.stderr.close()
        where = f"w{i} run {n}"
        with stats.lock:
            stats.kills += 1
            total = stats.kills
        run = Run(parse_log(log))
        if run.errors:
            with stats.lock:
                stats.app_errors += [f"{where}: {e}" for e in run.errors]
        left = check_files(args.bin, project, state, stem, env, stats, where)
        with stats.lock:
            stats.temps_swept += len(left)
        if run.start is None:
            with stats.lock:
                stats.killed_before_start += 1
        else:
            if prev is not None:
                check_restart(prev, run, stats, where)
            prev = run
        if total >= args.kills:
            stop.set()
        if total % 50 == 0 and i == 0:
            print(f"  {total} kills...", flush=True)
    # A last clean run: a few edits, save and close; then nothing may be left behind.
    log = os.path.join(folder, "final.log")
    r = subprocess.run(
        [
            args.bin,
            project,
            "--annotator",
            f"torture-{i}",
            "--headless-edit",
            "20",
            "--headless-log",
            log,
            "--headless-pace",
            "20",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    final = Run(parse_log(log))
    where = f"w{i} final run"
    if r.returncode != 0 or not any(k == "END" for k, _ in parse_log(log)):
        with stats.lock:
            stats.failures.append(f"{where}: exit {r.returncode}: {r.stderr[-500:]}")
    elif prev is not None and final.start is not None:
        check_restart(prev, final, stats, where)
    left = temp_files(folder, os.path.basename(project))
    slot = slot_of(state, stem)
    if slot:
        left += [os.path.join(slot, n) for n in os.listdir(slot)]
    with stats.lock:
        stats.leftover_temps += [f"{where}: {t}" for t in left]
    check_files(args.bin, project, state, stem, env, stats, where)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--bin", default=os.path.join(root, "target", "release", "spantag"))
    ap.add_argument("--sample", default=os.path.join(root, "projects", "sample.ron"))
    ap.add_argument("--kills", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pace", type=int, default=50, help="milliseconds between edits")
    ap.add_argument("--save-every", type=int, default=40, help="save after every K edits")
    ap.add_argument("--min-life", type=float, default=0.05, help="seconds before a kill, at least")
    ap.add_argument("--max-life", type=float, default=3.0, help="seconds before a kill, at most")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", help="folder for the projects and the state folder (kept)")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        raise SystemExit(f"{args.bin} not found: cargo build --release first")
    work = args.work or tempfile.mkdtemp(prefix="spantag-kill9-")
    os.makedirs(work, exist_ok=True)
    state = os.path.join(work, "state")
    env = dict(os.environ)
    env["SPANTAG_STATE_DIR"] = state
    env["SPANTAG_CONFIG_DIR"] = os.path.join(work, "config")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    stats = Stats()
    stop = threading.Event()
    print(f"kill -9 torture: {args.kills} kills, {args.workers} projects, work folder {work}", flush=True)
    started = time.time()
    threads = [
        threading.Thread(target=worker, args=(i, args, work, state, env, stats, stop))
        for i in range(args.workers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    losses = sorted(stats.losses, key=lambda x: x[0])
    worst = losses[-1] if losses else (0, 0, "-")
    p99 = losses[int(len(losses) * 0.99)] if losses else (0, 0, "-")
    print()
    print(f"time: {time.time() - started:.0f} s")
    print(f"kills: {stats.kills} (killed before the start was logged: {stats.killed_before_start})")
    print(f"restarts checked: {stats.restarts_checked} (restored the recovery: {stats.restored}, "
          f"kept the file: {stats.from_file}, file changed since the work began: {stats.file_changed}, "
          f"stale locks taken over: {stats.took_over})")
    print(f"corrupt files: {len(stats.corrupt)}")
    for c in stats.corrupt[:20]:
        print("  " + c)
    print(f"temporary files that kills left, removed by the next start: {stats.temps_swept}")
    print(f"leftover temporary files (after a start, or after the final clean run): {len(stats.leftover_temps)}")
    for t in stats.leftover_temps[:20]:
        print("  " + t)
    print(f"most work lost: {worst[0] / 1000:.2f} s ({worst[1]} edits, {worst[2]}); "
          f"99th percentile {p99[0] / 1000:.2f} s; mean "
          f"{(sum(l[0] for l in losses) / max(1, len(losses))) / 1000:.2f} s")
    print(f"app errors logged: {len(stats.app_errors)}")
    for e in stats.app_errors[:20]:
        print("  " + e)
    print(f"failed checks: {len(stats.failures)}")
    for f in stats.failures[:40]:
        print("  " + f)
    bad = stats.corrupt or stats.leftover_temps or stats.failures or stats.app_errors
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
