"""Running a stage's tasks on every core, with processes.

Processes, not threads: the work is CPU-bound Python, and feedgen formats dates by switching
the process-wide locale. Workers are forked, so they inherit the read-only state of the build
(config, cached results) without copying it through a pipe.

concurrent.futures rather than multiprocessing.Pool: when a worker dies (a CI runner's SIGTERM
to the whole process group), Pool can wait forever for a queue lock the dead worker held;
ProcessPoolExecutor notices the death and fails fast.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
_PR_SET_PDEATHSIG = 1
MIN_TASKS_PER_JOB = 64  # below this a pool costs more than it saves

_state: Any = None
_stop = False


def request_stop() -> None:
    """Ask every running stage to stop at its next task (a signal handler's exception can be
    swallowed when it lands inside fork's own callbacks; this flag cannot)."""
    global _stop
    _stop = True


def _checked(results: Iterator[R]) -> Iterator[R]:
    for result in results:
        if _stop:
            raise KeyboardInterrupt
        yield result


def state() -> Any:
    """The state the current stage handed to its workers."""
    return _state


def run(func: Callable[[T], R], tasks: list[T], jobs: int, shared: Any, chunksize: int = 16,
        min_tasks: int = MIN_TASKS_PER_JOB * 2) -> Iterator[R]:
    """``func`` over ``tasks``, results in task order; in-process when one job is enough (fewer
    than ``min_tasks`` tasks: a pool costs more than it saves)."""
    global _state
    _state = shared
    if jobs <= 1 or len(tasks) < min_tasks or not hasattr(os, "fork"):
        yield from _checked(map(func, tasks))
        return
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_signals)
    try:
        yield from _checked(pool.map(func, tasks, chunksize=chunksize))
    except BaseException:  # Ctrl-C, SIGTERM, an error, or the caller stopped early
        # drop the queued tasks and wait for the running chunks (well under a second): a worker
        # left running would keep the interpreter from exiting
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()


def _worker_signals() -> None:
    """Ctrl-C and SIGTERM (sent to the whole process group by terminals and CI runners) are the
    parent's to handle: it stops the pool and cleans up. A worker killed mid-task would leave
    the pool's pipes half-used and the parent waiting on them; and if the parent itself is
    killed outright, the kernel ends the workers too (Linux), so none is left behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: an orphaned worker ends when its queue closes
