"""A build collects garbage less often (feeds/heap.py): what was alive before it is frozen out of
the collector's sight and the youngest generation's threshold is raised, in the parent and, by
fork, in its workers; both are undone when the build ends, however it ends."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke

from feeds import heap, parallel, pipeline


def _threshold(_: int) -> tuple[int, int]:
    return gc.get_threshold()[0], gc.get_freeze_count()


def test_a_build_runs_with_fewer_collections_and_undoes_it(make_site: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_site({"2022-03-04-a.md": {"title": "A"}})
    seen: list[tuple[int, int]] = []
    group = pipeline.group_posts

    def grouping(*args: Any) -> Any:
        seen.append(_threshold(0))
        return group(*args)
    monkeypatch.setattr(pipeline, "group_posts", grouping)
    before = gc.get_threshold(), gc.get_freeze_count()
    result = invoke("build", "--config", str(cfg), "-q")
    assert result.exit_code == 0, result.output
    threshold, frozen = seen[0]
    assert threshold >= heap.ALLOCATIONS and frozen > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_collector_is_restored_when_the_build_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError), heap.fewer_collections():
        raise RuntimeError("a build that fails")
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_what_a_caller_froze_before_the_build_stays_frozen() -> None:
    callers = [object()]  # one of the caller's objects, tracked by the collector
    gc.freeze()  # a program that calls the command in-process, having frozen its own objects
    try:
        # told by the caller's own object, not by the freeze count: a frozen object freed meanwhile
        # (a thread of an earlier test ending) lowers the count without anything being thawed
        assert not any(seen is callers for seen in gc.get_objects())
        with heap.fewer_collections():
            assert gc.get_threshold()[0] >= heap.ALLOCATIONS
        assert gc.get_freeze_count() > 0
        assert not any(seen is callers for seen in gc.get_objects())  # still out of the collector's sight
    finally:
        gc.unfreeze()
    assert any(seen is callers for seen in gc.get_objects())  # what the test itself thawed


def _in_worker(_: int) -> tuple[int, int, int]:
    return (*_threshold(0), os.getpid())


def test_forked_workers_collect_less_too() -> None:
    with heap.fewer_collections():
        answers = set(parallel.run(_in_worker, list(range(8)), 2, None, chunksize=1, min_tasks=2))
    assert {threshold for threshold, _, _ in answers} == {heap.ALLOCATIONS}
    assert all(frozen > 0 for _, frozen, _ in answers)
    assert os.getpid() not in {pid for _, _, pid in answers}  # forked workers answered, not this process


@pytest.mark.parametrize("enabled", [True, False])
def test_paused_runs_no_collection_and_leaves_the_collector_as_it_found_it(enabled: bool) -> None:
    """``heap.paused`` (around the command's imports): no collection in its block, the collector as
    it was after it, however the block ends."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with heap.paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError), heap.paused():
            raise RuntimeError("an import that fails")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_paused_keeping_leaves_what_it_made_out_of_the_collectors_sight() -> None:
    """``heap.paused(keep=True)`` (the command's imports): what is alive after the block is frozen,
    not left in the youngest generation for the first allocation after it to walk."""
    if gc.get_freeze_count():
        pytest.skip("something froze objects already: thawing them after would not be this test's to do")
    try:
        with heap.paused(keep=True):
            made = [{"module": n} for n in range(100)]  # what an import leaves alive
        assert gc.get_freeze_count() > 0 and gc.isenabled()
        assert not any(seen is made for seen in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(seen is made for seen in gc.get_objects())


# in a fresh interpreter: the collector's frozen generation is the whole process's, and a test run
# beside others in one (pytest-xdist) inherits what they froze or left behind (it failed once so)
KEEP_MADE = """
import gc
from feeds import heap
assert gc.get_freeze_count() == 0
heap.keep_made()  # no build
assert gc.get_freeze_count() == 0
with heap.fewer_collections():
    made = [{"post": n} for n in range(100)]
    heap.keep_made()
    assert not any(seen is made for seen in gc.get_objects())
assert gc.get_freeze_count() == 0 and any(seen is made for seen in gc.get_objects())  # undone with the build
gc.freeze()  # a caller's own frozen objects
frozen = gc.get_freeze_count()
with heap.fewer_collections():
    later = [{"post": n} for n in range(100)]
    heap.keep_made()
    assert gc.get_freeze_count() == frozen and any(seen is later for seen in gc.get_objects())
with heap.fewer_collections(undo=False):  # the process ends with the command: nothing is undone
    heap.keep_made()
    assert gc.get_freeze_count() > frozen
print("ok")
"""


def test_keep_made_freezes_only_where_the_build_owns_the_freeze() -> None:
    """``heap.keep_made`` (the parent, as reading gives it posts) freezes inside a build's
    ``fewer_collections`` whose freeze is undone with it, or never undone; never a caller's."""
    out = subprocess.run([sys.executable, "-c", KEEP_MADE], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0 and out.stdout == "ok\n", out.stderr
