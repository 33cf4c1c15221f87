"""The garbage collector during a build: fewer, cheaper collections.

A cold build of 10,000 posts allocates a few hundred thousand objects that live to its end (the
posts, what reading each gave, the feeds) and makes next to no reference cycles. With Python's
default threshold (a collection every 700 allocations more than frees) the parent ran ~190
collections while it gathered what the read workers gave, each older generation's walking every
post gathered so far and every object the imports made: 0.15 CPU-s of the parent, and 0.02-0.04 s
in each worker (0.3 CPU-s in all, most of it beside the workers on a 2-core machine).

``fewer_collections`` moves everything alive at the build's start (the modules, the config) out
of the collector's sight (``gc.freeze``: never walked again; forked workers inherit that, so they
do not touch those pages either) and lets 50,000 allocations pass between collections: one or
two collections in a cold build. Cycles are still collected, later; both are undone at the end,
unless the process ends with the build's command (``undo=False``): undone, the next allocations
ran a full collection over every object of the build (20-40 ms of a cold 10k build's end, alone,
for a heap the process then leaves without freeing: feeds/teardown.py).

``paused`` runs no collection at all in its block: the command's imports, which make objects that
live to the end and next to no garbage.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

ALLOCATIONS = 50_000  # between two collections of the youngest generation (Python's default: 700)
_freezing = False  # inside a build's fewer_collections, where freezing more is the build's to do (keep_made)


@contextmanager
def fewer_collections(undo: bool = True) -> Iterator[None]:
    global _freezing
    before = gc.get_threshold()
    # frozen already (the command's imports, frozen by ``paused(keep=True)``; or a program calling
    # the command in-process froze its own objects): left so, as gc.unfreeze would thaw them too
    ours = gc.get_freeze_count() == 0
    if ours:
        gc.freeze()
    gc.set_threshold(max(ALLOCATIONS, before[0]), *before[1:])
    # the build may freeze what it makes where the freeze is undone with its own, or never undone
    outer, _freezing = _freezing, ours or not undo
    try:
        yield
    finally:
        _freezing = outer
        if undo:
            gc.set_threshold(*before)
            if ours:
                gc.unfreeze()


def keep_made() -> None:
    """What is alive now lives to the build's end and holds no garbage cycle (the posts, as the
    parent gathers what the read workers give): frozen (``gc.freeze``, which also restarts the
    count towards the next collection), it is never walked. The parent's one collection of a cold
    10k build's read stage walked ~50,000 such objects for ~150 garbage ones (11-12 ms of its CPU,
    taken from the read workers: 3 processes on 2 cores). Only inside a build's
    ``fewer_collections``, where the freeze is undone with the build's or never undone; elsewhere
    nothing is done."""
    if _freezing:
        gc.freeze()


@contextmanager
def paused(keep: bool = False) -> Iterator[None]:
    """No collection at all in the block: the command's imports (click, the stages' modules) make
    ~22,000 objects that live to the end of the process and next to no garbage (~500 objects,
    class and function cycles); the default threshold walked them in ~57 collections, 3 % of the
    command's instructions before the read workers start (one core alone then).

    ``keep``: everything alive after the block is moved out of the collector's sight for good
    (``gc.freeze``) as the block ends: left in the youngest generation, the first allocation after
    the block walked all ~23,000 of them (6-7 ms of the parent's CPU before the read workers fork,
    for ~400 garbage objects that then live on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if enabled:
            gc.enable()
