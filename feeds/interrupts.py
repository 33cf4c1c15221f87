"""Ctrl-C and SIGTERM at any instant: one line, exit 130; never a traceback, never a hang.

The program's first lines (``feeds/entry.py``) call ``install`` before click or anything slow
is imported. From then on a signal ends the run at once with ``Interrupted``: nothing has been
written yet, so there is nothing to undo. Around a build, ``cleanup`` changes that: the first
signal stops the worker processes and raises KeyboardInterrupt, so that the build's own
``finally`` blocks drop the staging folder and close the cache; then the run ends with
``Interrupted: <output> was left as the last finished build made it``. A second signal while
that goes on ends the run at once (the next build drops whatever was left staged).

Why not raise KeyboardInterrupt everywhere, as Python does: raised during an import, inside a
``__del__`` or in a freshly forked worker, it prints a traceback, or is swallowed and the run
goes on. A signal that arrives while CPython itself starts up, before the first line of feeds
runs, is CPython's to handle (see the README).

Standard library only, and nothing slow: this module is imported before everything else.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager

TYPE_CHECKING = False  # typing alone takes longer to import than all of this
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, NoReturn

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_CODE = 130  # what shells report for a program stopped by Ctrl-C

_stoppers: list[Callable[[], None]] = []  # stop the running worker pools (parallel.py)
_stopping = False  # a signal came while a build could still clean up
_unwinding = False  # inside cleanup(): raise KeyboardInterrupt instead of exiting
_output = ""  # the output folder, as the message names it ("" outside a build)
_owner = 0  # the process that installed the handler
_hook: Callable[[Any], Any] = sys.unraisablehook  # the one cleanup() stands in for


def install() -> None:
    """Take SIGINT and SIGTERM for good: the command's first call, before the slow imports."""
    global _owner
    _owner = os.getpid()
    mask = getattr(signal, "pthread_sigmask", None)  # not on Windows
    held = mask(signal.SIG_BLOCK, SIGNALS) if mask else None  # both handlers at once: no gap between them
    try:
        for kind in SIGNALS:
            signal.signal(kind, _on_signal)
    finally:
        if mask and held is not None:
            mask(signal.SIG_SETMASK, held)


def stopping() -> bool:
    """True once a signal asked a build to stop (checked between tasks, and after the build)."""
    return _stopping


def on_stop(stop: Callable[[], None]) -> Callable[[], None]:
    """Call ``stop`` when a signal comes (a pool's workers are killed, not waited for); returns
    what ``forget`` takes."""
    _stoppers.append(stop)
    return stop


def forget(stop: Callable[[], None]) -> None:
    if stop in _stoppers:
        _stoppers.remove(stop)


@contextmanager
def cleanup(output: str) -> Iterator[None]:
    """Run a build that a signal stops by unwinding, so that it removes what it staged.

    Installs the handlers when ``install`` did not (the CLI called in-process, as the tests do)
    and puts back what was there after; off the main thread, where handlers cannot be set, a
    KeyboardInterrupt is the caller's to catch."""
    global _output, _unwinding, _hook
    import threading  # here, not at the top: it is not needed before the first build

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {kind: signal.getsignal(kind) for kind in SIGNALS}
    if any(handler is not _on_signal for handler in previous.values()):
        install()
    _hook, sys.unraisablehook = sys.unraisablehook, _unraisable
    _output, _unwinding = output, True
    try:
        yield
    except BaseException:
        if _stopping:  # whatever the interruption turned into on its way out (a broken pool, …)
            exit_interrupted()
        raise
    finally:
        _output, _unwinding = "", False
        sys.unraisablehook = _hook
        for kind, handler in previous.items():
            if handler is not _on_signal:
                signal.signal(kind, handler if handler is not None else signal.SIG_DFL)
    if _stopping:  # the KeyboardInterrupt was swallowed somewhere, but the signal came
        exit_interrupted()


def exit_interrupted() -> NoReturn:
    """Say so in one line and end the process now, skipping exit hooks that could wait on workers.

    It imports nothing: the handler that calls it may have interrupted an import."""
    try:
        for kind in SIGNALS:  # a third signal must not interrupt the message
            signal.signal(kind, signal.SIG_IGN)
    except ValueError:
        pass  # off the main thread, where the CLI can be called in-process
    _stop_workers()
    message = f"Interrupted: {_output} was left as the last finished build made it" if _output else "Interrupted"
    try:
        os.write(2, (message + "\n").encode("utf-8", "replace"))  # not sys.stderr: it may be mid-write
    finally:
        os._exit(EXIT_CODE)


def _on_signal(signum: int, frame: object) -> None:
    global _stopping
    if os.getpid() != _owner:  # a forked process that has not ignored signals yet: not ours to report
        os._exit(EXIT_CODE)
    if _stopping or not _unwinding:
        exit_interrupted()
    _stopping = True
    _stop_workers()
    raise KeyboardInterrupt


def _stop_workers() -> None:
    _quiet_threads()
    for stop in list(_stoppers):
        try:
            stop()
        except Exception:  # best effort: the parent exits either way
            pass


def _quiet_threads() -> None:
    """Killing the workers makes the pool's own thread fail; once the run is stopping, that is
    expected, and its report ("Exception in thread …") must not reach the user. Imports nothing."""
    threading: Any = sys.modules.get("threading")
    if threading is not None:
        threading.excepthook = lambda args: None


def _unraisable(args: Any) -> None:
    """A KeyboardInterrupt raised inside ``__del__`` or a callback is dropped with a traceback by
    Python; the stop flag still ends the run, so drop it quietly."""
    if _stopping and issubclass(args.exc_type, KeyboardInterrupt):
        return
    _hook(args)
