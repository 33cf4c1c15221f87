"""The `feeds` command's first lines (and `python -m feeds`'s).

Ctrl-C and SIGTERM are taken in hand before click and the rest of the program are imported,
which takes a good part of a second: a signal in that time printed a KeyboardInterrupt
traceback. Importing the ``feeds`` package itself is cheap for this reason (feeds/__init__.py).
A finished build ends the process without tearing its memory down (feeds/teardown.py).
"""
from . import heap, interrupts, teardown


def main() -> None:
    interrupts.install()
    teardown.reset()
    with heap.paused(keep=True):  # the imports live as long as the process
        from .cli import main as cli

    try:
        cli(prog_name="feeds")
    except SystemExit as exc:
        teardown.leave(exc.code)
        raise
