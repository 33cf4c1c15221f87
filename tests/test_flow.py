"""The flow between the stages (issue 10, cold builds): the parent's own work moved beside the
workers' changes nothing that a build stores, writes or says."""
from __future__ import annotations

import dataclasses
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import unit_config

from feeds import cache, reading


def _posts(tmp_path: Path, count: int) -> tuple[object, list[str]]:
    folder = tmp_path / "_posts"
    folder.mkdir()
    for n in range(count):
        (folder / f"2022-03-{n + 1:02d}-p{n}.md").write_text(f"---\ntitle: 标题 {n}\ntags: [a, é]\n---\nbody {n}\n")
    (folder / "2022-03-29-broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n")  # gives no post
    cfg = dataclasses.replace(unit_config(tmp_path), jobs=1)
    return cfg, sorted(str(p) for p in folder.iterdir())


def _table(file: Path, table: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(file)
    try:
        return sorted(db.execute(f"SELECT * FROM {table}"))  # noqa: S608 - a test's own table names
    finally:
        db.close()


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_read_rows_are_stored_as_they_come_and_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        batch: int) -> None:
    """The parent stores what reading gave a batch at a time while the workers read on (not all
    of it after them); the cache holds the same rows, and reading gives the same, whatever the
    batch."""
    cfg, files = _posts(tmp_path, 7)
    monkeypatch.chdir(tmp_path)
    whole = cache.Cache(tmp_path / "whole")
    expected = reading.read_all(cfg, files, whole, None)
    whole.close()
    monkeypatch.setattr(reading, "STORE_BATCH", batch)
    calls: list[int] = []
    store_read = cache.Cache.store_read
    monkeypatch.setattr(cache.Cache, "store_read", lambda self, key, items, texts=None: (
        calls.append(len(items)), store_read(self, key, items, texts))[1])
    remembered: list[bool] = []
    remember_files = cache.Cache.remember_files
    monkeypatch.setattr(cache.Cache, "remember_files", lambda self, rows, present: (
        remembered.append(present is None), remember_files(self, rows, present))[1])
    batched = cache.Cache(tmp_path / "batched")
    assert reading.read_all(cfg, files, batched, None) == expected
    batched.close()
    assert sum(calls) == 8 and max(calls) <= batch and len(calls) >= 8 // batch  # the broken file too
    assert remembered == [True] * (8 // batch) + [False]  # the sweep of files gone comes last, once
    for table in ("posts", "files"):
        assert _table(tmp_path / "batched" / "cache.sqlite3", table) == _table(tmp_path / "whole" / "cache.sqlite3",
                                                                                table)


# a fresh interpreter (pytest's has imported everything): which modules were loaded once reading ended
AFTER_READING = """
import sys
from feeds import pipeline
finish = pipeline.finish_reading
def finish_reading(*args):
    print("LOADED", *sorted(m for m in ("feeds.write", "feedgen.feed", "lxml.etree") if m in sys.modules))
    return finish(*args)
pipeline.finish_reading = finish_reading
sys.argv = ["feeds", "build", "-q", *sys.argv[1:]]
from feeds.cli import main
main()
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_render_stack_is_loaded_while_the_posts_are_read(make_site: Callable[..., Path], jobs: str) -> None:
    """The writer is imported beside the read workers, not by the parent alone between reading and
    rendering; the render workers, forked after, inherit it. feedgen and lxml are not imported at
    all: xmlfast writes every fragment and frame of such a build (``write`` imports them on first
    use; tests/test_worker_imports)."""
    cfg = make_site({f"2022-03-{n + 1:02d}-p{n}.md": {"title": f"P{n}", "tags": ["t"]} for n in range(3)})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-c", AFTER_READING, "-j", jobs], cwd=cfg.parent, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "LOADED feeds.write\n" in done.stdout


def test_the_read_pool_is_shut_down_in_order_not_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading zipped the file names with the pool's answers, names first: once the names ran out,
    zip never asked the pool for its end, so the pool was closed as an abandoned generator and its
    workers killed, still unreaped when the next stage counted its processes (a flaky test under
    load). The pool now ends as every other stage's does: shut down, its workers joined (by ``reap``)."""
    from feeds import parallel

    folder = tmp_path / "_posts"
    folder.mkdir()
    count = 2 * parallel.MIN_TASKS_PER_JOB + 5  # enough for a pool of two
    for n in range(count):
        (folder / f"2022-03-{1 + n % 28:02d}-p{n}.md").write_text(f"---\ntitle: P{n}\n---\nbody {n}\n")
    cfg = dataclasses.replace(unit_config(tmp_path), jobs=2)
    monkeypatch.chdir(tmp_path)
    killed: list[object] = []
    kill = parallel._kill
    monkeypatch.setattr(parallel, "_kill", lambda pool: (killed.append(pool), kill(pool))[1])
    store = cache.Cache(tmp_path / "c")
    try:
        results = reading.read_all(cfg, sorted(str(p) for p in folder.iterdir()), store, None)
    finally:
        store.close()
    assert len(results) == count and all(post is not None for post, _, _ in results)
    assert killed == []
    parallel.reap()  # their exit is waited for by the next fork or the build's end, not by the stage
    assert parallel.multiprocessing.active_children() == []
