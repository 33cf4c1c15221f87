"""Running a stage's tasks on every core, with processes.

Processes, not threads: the work is CPU-bound Python, and feedgen formats dates by switching
the process-wide locale. Workers are forked, so they inherit the read-only state of the build
(config, cached results, rendered content) without copying it through a pipe.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
from typing import Any, Callable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MIN_TASKS_PER_JOB = 64  # below this a pool costs more than it saves

_state: Any = None


def state() -> Any:
    """The state the current stage handed to its workers."""
    return _state


def run(func: Callable[[T], R], tasks: list[T], jobs: int, shared: Any, chunksize: int = 16) -> Iterator[R]:
    """``func`` over ``tasks``, results in task order; in-process when one job is enough."""
    global _state
    _state = shared
    if jobs <= 1 or len(tasks) < MIN_TASKS_PER_JOB * 2 or not hasattr(os, "fork"):
        yield from map(func, tasks)
        return
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals) as pool:
        yield from pool.imap(func, tasks, chunksize=chunksize)


def _worker_signals() -> None:
    """Ctrl-C and SIGTERM are the parent's to handle: it stops the pool and cleans up, so a
    worker must not die half-way through on its own (a pool that loses workers can hang)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
