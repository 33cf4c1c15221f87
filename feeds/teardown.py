"""Ending the `feeds` process without tearing down what a finished build leaves in memory.

A cold build of 10,000 posts ends with a few hundred thousand objects alive (the posts, the
feeds, the records of the output); letting the interpreter free them one by one, and run its
exit handlers, took 0.1-0.3 s of the command's wall time, after the last line was printed.
Nothing in that teardown is the build's: by the time ``build_command`` has printed its summary
the output folder is committed (or left as it was), the cache is closed, the worker processes
and their threads are joined, and every ``with`` and ``finally`` of the build has run.

``finished`` is the build command's word that it got that far; the command's first lines
(``feeds/entry.py``) then end the process with ``os._exit`` once the standard streams are
flushed, and only when nothing else could still need the interpreter: no other thread, no child
process, no exit handler that could matter (a temporary folder left to its finalizer). In any
other case, and for every other command, Python exits as usual. In-process callers (click's
CliRunner in the tests, a program calling ``cli.main``) never reach ``leave``.

Standard library only, and nothing slow: imported by the command's first lines.
"""
from __future__ import annotations

import os
import sys

_finished = False  # the build command printed everything it had to say
_command = False  # this process is the `feeds` command (entry.py), which ends when its command does
_ends_after_build = False  # the command ends once its build is over (`feeds build`, not `feeds serve`)
_kept: list[tuple[object, ...]] = []  # what ``outlive`` keeps


def ends_after_build() -> None:
    """Called by the build command before its build: when this process is the command, it ends
    once the build is over, and what the build made may outlive it (``outlive``)."""
    global _ends_after_build
    _ends_after_build = _command


def outlive(*objects: object) -> None:
    """Keep what a build made (its posts, the output's records) alive until the process ends, when
    it ends once the build is over: freeing them object by object as the build's functions return
    took ~15 ms of a cold 10k build, the parent alone, for a process that then leaves without
    freeing anything (``leave``). Nothing is kept for an in-process caller, nor by `feeds serve`."""
    if _ends_after_build:
        _kept.append(objects)


def finished() -> None:
    """Called by the build command when its work is over and all it says is printed."""
    global _finished
    _finished = True


def reset() -> None:
    """Called by the command's first lines: this process ends with the command."""
    global _finished, _command, _ends_after_build
    _finished, _command, _ends_after_build = False, True, False


def ends_with_command() -> bool:
    """The process ends when the command does (``feeds``, ``python -m feeds``), rather than going
    on after it (an in-process caller: click's CliRunner, a program calling ``cli.main``)."""
    return _command


def _quiet() -> bool:
    """Nothing but this thread, and no child process or pending finalizer, needs the interpreter."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return False
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None and multiprocessing.active_children():
        return False
    weakref = sys.modules.get("weakref")
    registry = getattr(getattr(weakref, "finalize", None), "_registry", None)
    return not registry  # a TemporaryDirectory not cleaned up, say: its finalizer runs at exit


def leave(code: object) -> None:
    """End the process now with ``code`` (a SystemExit's) when the build said it is finished and
    nothing else is left to do; otherwise return, and the caller exits as usual."""
    if not _finished or not (code is None or type(code) is int):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe, a closed stream: Python's own exit says so
        return
    if _quiet():
        os._exit(code or 0)
