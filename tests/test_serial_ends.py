"""Where one core idles (issue 10): the parent alone between the stages and at the end of a build.

A stage's workers, and a process beside the build (``parallel.Background``), exit once they have
given their last answer; the kernel then frees what each copied of the parent's memory, tens of
milliseconds for a big build's worker. The parent no longer waits for that alone: it goes on with
its own work, and ``parallel.reap`` waits for the exits before the next fork and at the build's
end. And a build run by the ``feeds`` command leaves the collector as the build had it (no full
collection of every object the build made, just before the process ends without freeing them).

No timing here: a worker's exit is held on a pipe the test opens only once it has seen that the
stage gave its answers without waiting for that exit.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import multiprocessing.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from feeds import parallel, pipeline
from feeds.config import load_config

ROOT = Path(__file__).parent.parent
HOLD = 60.0  # seconds before the test lets held exits go anyway (a hang without the fix: fail, not hang)


@dataclasses.dataclass(frozen=True)
class Held:
    gate: int  # a pipe's reading end: a process exits once it has read a byte from it
    marks: str  # the folder where each process notes that it exited


_registered = False


def _hold_exit(gate: int, marks: str) -> None:
    """At this process's exit (multiprocessing's exit handlers, which its workers run): wait for
    a byte on the gate, then note the exit."""
    def held() -> None:
        os.read(gate, 1)
        Path(marks, f"exited-{os.getpid()}").write_text("")
    multiprocessing.util.Finalize(None, held, exitpriority=100)


def _task(index: int) -> tuple[int, int]:
    """The index and the worker's pid: a worker that got no task (one may take them all) holds nothing."""
    global _registered
    held = parallel.context(Held)
    if not _registered:  # once per worker
        _registered = True
        _hold_exit(held.gate, held.marks)
    return index, os.getpid()


def _exited(folder: Path) -> set[int]:
    return {int(mark.name.removeprefix("exited-")) for mark in folder.glob("exited-*")}


def _answer(held: Held) -> str:
    _hold_exit(held.gate, held.marks)
    return "the answer"


def _gate(tmp_path: Path) -> tuple[Held, Callable[[], None], threading.Timer]:
    read, write = os.pipe()
    opened = []

    def open_gate() -> None:
        if not opened:
            opened.append(True)
            os.write(write, b"x" * 16)  # a byte for every process held
    timer = threading.Timer(HOLD, open_gate)  # without the fix the stage itself waits on the gate
    timer.start()
    return Held(read, str(tmp_path)), open_gate, timer


def test_a_stage_gives_its_answers_without_waiting_for_its_workers_to_exit(tmp_path: Path) -> None:
    held, open_gate, timer = _gate(tmp_path)
    try:
        answers = list(parallel.run(_task, list(range(300)), 2, held))
        exited_meanwhile = _exited(tmp_path)
    finally:
        open_gate()
        timer.cancel()
        parallel.reap()
    assert [index for index, _ in answers] == list(range(300))
    assert exited_meanwhile == set()  # the workers were still exiting when the answers were all in
    assert _exited(tmp_path) == {pid for _, pid in answers}  # and reap waited for them
    assert multiprocessing.active_children() == [] and parallel._ending == []


def test_a_process_beside_gives_its_answer_without_waiting_for_its_exit(tmp_path: Path) -> None:
    held, open_gate, timer = _gate(tmp_path)
    try:
        process = parallel.Background(_answer, held)
        answer = process.result()
        process.stop()  # as the build's ``finally`` does: nothing left to stop
        exited_meanwhile = sorted(tmp_path.glob("exited-*"))
    finally:
        open_gate()
        timer.cancel()
        parallel.reap()
    assert answer == "the answer"
    assert exited_meanwhile == []  # still exiting when its answer was taken
    assert process._process.exitcode is not None  # reap waited for it (or, not done by then, ended it)
    assert multiprocessing.active_children() == [] and parallel._ending == []


def test_a_process_beside_that_gives_no_answer_is_still_stopped_at_once(tmp_path: Path) -> None:
    process = parallel.Background(os._exit, 3)  # ends without answering
    assert process.result() is None
    assert process._process.exitcode is not None and parallel._ending == []  # joined by result itself


def test_the_next_fork_waits_for_the_workers_of_the_stage_before(tmp_path: Path) -> None:
    """No thread of an ended pool is running while the next stage forks its workers."""
    held, open_gate, timer = _gate(tmp_path)
    seen: list[set[int]] = []
    try:
        first = {pid for _, pid in parallel.run(_task, list(range(300)), 2, held)}
        open_gate()
        list(parallel.run(_task, list(range(300)), 2, held, started=lambda: seen.append(_exited(tmp_path))))
    finally:
        open_gate()
        timer.cancel()
        parallel.reap()
    assert seen == [first]  # the first stage's workers had exited before the second's were forked


def test_a_build_ends_with_every_process_it_started_waited_for(make_site: Callable[..., Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    posts = {f"2022-01-{1 + n % 28:02d}-p{n}.md": {"title": f"P {n}", "date": f"2022-01-{1 + n % 28:02d}",
                                                    "tags": [f"t{n % 150}"], "body": f"Body {n}.\n"}
             for n in range(300)}
    cfg = load_config(make_site(posts, {"build": {"jobs": 2}, "cache": {"path": ".feeds-cache"}}))
    monkeypatch.chdir(cfg.root)
    result = pipeline.build(cfg)
    assert result.written and not result.errors
    assert parallel._ending == []
    assert multiprocessing.active_children() == [] and threading.active_count() == 1


# the command's first lines, noting the collector's state where the process ends
PROGRAM = """
import gc, sys
from feeds import teardown
leave = teardown.leave
def noting(code):
    sys.stderr.write(f"FROZEN {gc.get_freeze_count()} THRESHOLD {gc.get_threshold()[0]}\\n")
    return leave(code)
teardown.leave = noting
sys.argv = ["feeds", *sys.argv[1:]]
from feeds.entry import main
main()
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_command_leaves_the_collector_as_the_build_had_it(make_site: Callable[..., Path], jobs: str) -> None:
    """Thawed at the end, the build's objects were all walked by a full collection (20-40 ms of a
    cold 10k build, the parent alone) for a process that then ends without freeing them."""
    from feeds import heap

    root = make_site({f"2022-03-0{i}-post-{i}.md": {"title": f"Post {i}", "categories": ["news"]}
                      for i in range(1, 4)}).parent
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROGRAM, "build", "-q", "-j", jobs], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("FROZEN"))
    _, frozen, _, threshold = line.split()
    assert int(frozen) > 0 and int(threshold) == heap.ALLOCATIONS
    assert (root / "public" / "feed.xml").is_file()


def test_a_commit_into_a_new_output_folder_asks_nothing_of_each_file(make_site: Callable[..., Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Into a new (empty) output folder the staged files go in one rename: the commit no longer asks,
    for each file, whether one is already there (it is empty) or still staged (the folder is gone):
    2 x 2,700 lstat of a cold 10k build, the parent alone."""
    from feeds.output import staging

    posts = {f"2022-01-{1 + n % 28:02d}-p{n}.md": {"title": f"P {n}", "tags": [f"t{n}"]} for n in range(40)}
    cfg = load_config(make_site(posts, {"build": {"jobs": 1}}))
    monkeypatch.chdir(cfg.root)
    asked: list[str] = []
    kind, lexists, commit = staging._kind, os.path.lexists, staging.Output.commit
    committing: list[bool] = []

    def noting(path: Any) -> bool:
        if committing and str(path).endswith(".xml"):
            asked.append(str(path))
        return lexists(path)

    def commit_noted(self: staging.Output) -> None:
        committing.append(True)
        try:
            commit(self)
        finally:
            committing.clear()
    monkeypatch.setattr(staging, "_kind", lambda path: (asked.append(str(path)), kind(path))[1])
    monkeypatch.setattr(os.path, "lexists", noting)
    monkeypatch.setattr(staging.Output, "commit", commit_noted)
    result = pipeline.build(cfg)
    assert not result.errors and len(result.written) > 80
    assert asked == []
    assert all((cfg.output / path).is_file() for path in result.written)


def test_reading_alone_ends_with_its_workers_waited_for(make_site: Callable[..., Path],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """``load`` outside a build (`feeds check`, `feeds list`, an in-process caller) has no build's
    end to reap at: its read pool is waited for before it returns, not left with its threads and
    pipes until some later stage forks."""
    posts = {f"2022-01-{1 + n % 28:02d}-p{n}.md": {"title": f"P {n}", "date": f"2022-01-{1 + n % 28:02d}"}
             for n in range(300)}
    cfg = load_config(make_site(posts, {"build": {"jobs": 2}}))
    monkeypatch.chdir(cfg.root)
    ran: list[int] = []
    run = parallel.run
    monkeypatch.setattr(parallel, "run", lambda *a, **k: (ran.append(a[2]), run(*a, **k))[1])
    read, _, _ = pipeline.load(cfg)
    assert len(read) == 300 and ran == [2]
    assert parallel._ending == []


def test_the_record_signs_the_output_as_a_check_of_each_file_would(make_site: Callable[..., Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut's record, written after a build, holds the output's state as the next build's
    replay works it out (the manifest checked entry by entry, each file it lists stat'ed), without
    doing either itself: 2,700 of each at the end of a cold 10k build, the parent alone. An output
    edited since the record was written is still no replay."""
    import json

    from feeds import shortcut
    from feeds.bookkeeping import folder_of, manifest_file, owner_of

    posts = {f"2022-01-{1 + n % 28:02d}-p{n}.md": {"title": f"P {n}", "tags": [f"t{n}"]} for n in range(40)}
    cfg = load_config(make_site(posts, {"build": {"jobs": 1}}))
    monkeypatch.chdir(cfg.root)
    stat, remember = shortcut.stat_of, shortcut.remember
    asked: list[str] = []
    remembering: list[bool] = []

    def stat_noted(path: Any, follow: bool = True) -> Any:
        if remembering and str(path).endswith(".xml"):
            asked.append(str(path))
        return stat(path, follow)

    def remember_noted(*args: Any) -> None:
        remembering.append(True)
        try:
            remember(*args)
        finally:
            remembering.clear()
    monkeypatch.setattr(shortcut, "stat_of", stat_noted)
    monkeypatch.setattr(shortcut, "remember", remember_noted)
    result = pipeline.build(cfg)
    monkeypatch.undo()
    monkeypatch.chdir(cfg.root)  # the record is of builds run from here
    assert not result.errors and len(result.written) > 80 and asked == []
    record = shortcut.read_record(shortcut.record_file(cfg) or Path())
    assert record is not None and record["state"] == shortcut.state_hash(cfg) is not None
    assert pipeline.build(cfg).replayed
    feed = cfg.output / result.written[0]
    feed.write_bytes(feed.read_bytes() + b" ")
    assert not pipeline.build(cfg).replayed
    listed = json.loads(manifest_file(folder_of(cfg.output), owner_of(cfg.file)).read_text(encoding="utf-8"))
    assert len(listed["files"]) == len(result.written)  # what the record counted, unchecked
