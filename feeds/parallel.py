"""Running a stage's tasks on every core, with processes.

Processes, not threads: the work is CPU-bound Python, and feedgen formats dates by switching
the process-wide locale. Workers are forked, so they inherit the read-only state of the build
(config, cached results, the posts themselves) without copying it through a pipe: a stage hands
``run`` one frozen context object, its tasks are indices into lists the context holds, and a
task reads the context through ``context(TheContextClass)``, typed.

concurrent.futures rather than multiprocessing.Pool: when a worker dies (a CI runner's SIGTERM
to the whole process group), Pool can wait forever for a queue lock the dead worker held;
ProcessPoolExecutor notices the death and fails fast.
"""
from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from . import interrupts

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C")
_PR_SET_PDEATHSIG = 1
Progress = Callable[[str, int, int], None]  # (stage, done, total): what a stage's runner says as its tasks end
MIN_TASKS_PER_JOB = 64  # below this a pool costs more than it saves
SHARES = 4  # a worker's next chunk: at most 1/SHARES of what is left for each worker (``spans``)
WIDEST = 8  # and, unless its stage says otherwise, at most WIDEST times the fewest tasks a chunk takes

_context: object = None  # the running stage's context: set before the fork, inherited by workers
_ending: list[Callable[[], object]] = []  # waits for processes told to end, not waited for yet (``reap``)


def _checked(results: Iterator[R]) -> Iterator[R]:
    """Stop at the next task once a signal came (its KeyboardInterrupt may have been swallowed
    where it landed; the flag cannot be)."""
    for result in results:
        if interrupts.stopping():
            raise KeyboardInterrupt
        yield result


def spans(count: int, jobs: int, least: int, most: int) -> list[range]:
    """``range(count)`` cut in chunks that shrink as the work runs out, from ``most`` tasks down
    to ``least``: each at most 1/SHARES of each worker's share of the tasks left then.

    Every chunk costs the pool a round trip through three threads of the parent and a pipe each
    way (0.15-0.2 ms of CPU in all); a cold 10k build ran 540 chunks of one size for rendering
    and writing (a render batch, 8 feeds). Chunks that start bigger and end as small as before
    cost a fifth of the round trips, and leave the last worker no longer alone at the end.
    ``most`` bounds what one answer holds: past 128 KiB of pickle, malloc maps fresh pages for
    it on both ends of the pipe, every time, and those faults cost what the round trips saved."""
    cut, start = [], 0
    while start < count:
        size = max(least, min(most, -(-(count - start) // (jobs * SHARES))))
        cut.append(range(start, min(count, start + size)))
        start += size
    return cut


def _each(func: Callable[[T], R], chunk: list[T]) -> list[R]:
    """A chunk of tasks, in a worker: what ProcessPoolExecutor's own chunks do, for chunks of any size."""
    return [func(task) for task in chunk]


def reap() -> None:
    """Wait for the processes of the stages before (a pool's workers, a ``Background``) that were
    told to end, or ended, after their last answer: each exits (the kernel frees what it copied of
    the parent's memory: tens of ms for a big build's worker) beside the parent's next work, not
    while the parent waits alone. Called before the next fork (no thread of an ended pool still
    running then) and at the end of a build."""
    while _ending:
        _ending.pop(0)()


def _end_later(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down without waiting for its workers' exit: ``reap`` waits for it."""
    manager = getattr(pool, "_executor_manager_thread", None)
    answers = getattr(pool, "_result_queue", None)
    pool.shutdown(wait=False)
    if manager is None or answers is None:  # another Python's pool: wait now, as before
        pool.shutdown()
        return

    def ended() -> None:
        manager.join()  # it tells each worker to end, then joins them
        answers.close()
    _ending.append(ended)


def context(kind: type[C]) -> C:
    """The context the running stage handed to ``run``, as the ``kind`` its tasks expect."""
    if not isinstance(_context, kind):
        raise TypeError(f"a {kind.__name__} task ran with a {type(_context).__name__} context")
    return _context


def run(func: Callable[[T], R], tasks: list[T], jobs: int, shared: object, chunksize: int = 16,
        min_tasks: int = MIN_TASKS_PER_JOB * 2, started: Callable[[], object] | None = None,
        widest: int = 0) -> Iterator[R]:
    """``func`` over ``tasks``, results in task order, with ``shared`` as the ``context`` of
    every task; in-process when one job is enough (fewer than ``min_tasks`` tasks: a pool costs
    more than it saves). Tasks and results travel through pipes: keep them small (indices).
    ``chunksize``: the fewest tasks a worker takes at a time (the last ones), ``widest`` the most
    (the first ones; 0: WIDEST times ``chunksize``): see ``spans``.
    ``started``: called once the workers exist (before the first result; in-process: first),
    for work of the caller's that may run beside them: forked after them, it leaves the parent's
    memory shared with one process less while the parent prepares the stage."""
    global _context
    outer, _context = _context, shared
    try:
        yield from _run(func, tasks, jobs, (chunksize, widest or chunksize * WIDEST), min_tasks, started)
    finally:
        _context = outer


def _run(func: Callable[[T], R], tasks: list[T], jobs: int, sizes: tuple[int, int], min_tasks: int,
         started: Callable[[], object] | None = None) -> Iterator[R]:
    if jobs <= 1 or len(tasks) < min_tasks or not hasattr(os, "fork"):
        if started is not None:
            started()
        yield from _checked(map(func, tasks))
        return
    reap()  # no thread of an earlier stage's pool runs while this one forks
    pool: ProcessPoolExecutor | None = None
    stop = interrupts.on_stop(lambda: _kill_workers(pool))  # from the signal handler: no locks taken
    try:
        with _signals_held():  # until every worker is forked: see _worker_start
            pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_worker_start, initargs=(os.getpid(),))
            answers = pool.map(functools.partial(_each, func), [tasks[span.start:span.stop]
                                                                for span in spans(len(tasks), jobs, *sizes)])
        if started is not None:
            started()
        yield from _checked(result for answer in answers for result in answer)
        _end_later(pool)
    except BaseException:  # Ctrl-C, SIGTERM, an error, or the caller stopped early
        # kill, do not wait: a worker may be minutes into a huge task, and a worker left
        # running would keep the interpreter from exiting
        _kill(pool)
        raise
    finally:
        interrupts.forget(stop)


def _kill_workers(pool: ProcessPoolExecutor | None) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _kill(pool: ProcessPoolExecutor | None) -> None:
    """End the pool's workers now and let go of the pool without waiting for anything."""
    if pool is None:
        return
    _kill_workers(pool)
    try:  # a worker killed mid-write leaves half a result in the pipe: with no writer left, the
        pool._result_queue._writer.close()  # type: ignore[attr-defined]  # pool's thread reads EOF, not forever
    except (AttributeError, OSError):
        pass
    pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while the workers are forked; they arrive once forking is done."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, interrupts.SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _worker_start(parent: int) -> None:
    """Ctrl-C and SIGTERM (sent to the whole process group by terminals and CI runners) are the
    parent's to handle: it kills the workers and cleans up. A worker is born with them held
    (_signals_held), so that none lands before this ignores them: the parent's handler, which
    a fork copies, would print a traceback from the worker. And if the parent itself is killed
    outright, the kernel ends the workers too (Linux), so none is left behind."""
    for kind in interrupts.SIGNALS:
        signal.signal(kind, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, interrupts.SIGNALS)  # held ones are dropped now
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: an orphaned worker ends when its queue closes
    if os.getppid() != parent:  # the parent was gone before we asked to follow it
        os._exit(0)


class Background(Generic[R]):
    """``func(arg)`` in one forked process, started now, beside whatever the caller does next (the
    process is a worker like a pool's: signals are the caller's, and it dies with the caller);
    ``result()`` waits for its answer: None when the process failed or was stopped."""

    def __init__(self, func: Callable[[T], R], arg: T):
        reap()
        fork = multiprocessing.get_context("fork")
        self._answer, send = fork.Pipe(duplex=False)
        with _signals_held():
            self._process = fork.Process(target=_background, args=(func, arg, send, os.getpid()), daemon=True)
            self._process.start()
        send.close()
        self._forget = interrupts.on_stop(self._process.kill)

    def result(self) -> R | None:
        try:
            answer: R | None = self._answer.recv()
        except (EOFError, OSError):
            answer = None
        if answer is None:
            self.stop()
        else:  # it has nothing left to do but exit: ``reap`` waits for that (and ends it, if it is not done)
            self._answer.close()
            _ending.append(self._end)
        return answer

    def stop(self) -> None:
        if self._answer.closed:  # answered (``result``), or stopped already
            return
        self._answer.close()
        self._end()

    def _end(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        interrupts.forget(self._forget)


def _background(func: Callable[[T], R], arg: T, send: Any, parent: int) -> None:
    _worker_start(parent)
    send.send(func(arg))
