"""A file's signature: what the shortcut's record (``shortcut.files_hash``) signs of a post file,
and of the output folder's records, as ``stat`` sees them. A module of its own, below ``reading``
and ``shortcut``: the read workers sign each post file with the stat its read asked
(``sources.read_post_file``), the shortcut signs the rest, and neither imports the other."""
from __future__ import annotations

import os
from pathlib import Path


def stat_of(path: str | Path, follow: bool = True) -> tuple[int, int, int, int, int] | None:
    """(type and mode, size, mtime, inode, ctime): ctime too, as no one can set it back (an edit
    whose mtime was put back is still seen), and nothing feeds does to a file it reads changes it."""
    try:
        return stat_fields(os.stat(path) if follow else os.lstat(path))
    except (OSError, ValueError):
        return None


def stat_fields(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns


def stat_line(path: str, st: os.stat_result | None = None) -> bytes:
    """A post file's line in ``shortcut.files_hash``: its path and ``stat_of`` (``st``: its
    ``os.stat``, when the caller has just asked; else asked now)."""
    return _line(path, stat_of(path) if st is None else stat_fields(st))


def read_line(path: str, st: os.stat_result | None) -> bytes:
    """``stat_line`` of a file whose stat reading asked (``sources.read_post_file``), ``st`` None
    when it could not: a file that could not be stat'ed then is signed so, not asked again (it may have
    come since, and is not what was read)."""
    if st is None:
        return _line(path, None)
    # _line's text of stat_fields(st), its tuple's repr written out: the read workers sign every file
    return (f"{path}\0({st.st_mode}, {st.st_size}, {st.st_mtime_ns}, {st.st_ino}, {st.st_ctime_ns})\n"
            .encode("utf-8", "surrogateescape"))


def _line(path: str, seen: tuple[int, int, int, int, int] | None) -> bytes:
    # read_line writes the same text from a stat's fields itself: change both (tests/test_read10.py)
    return f"{path}\0{seen}\n".encode("utf-8", "surrogateescape")
