"""The one exception hierarchy of feeds, and the Problem record every stage reports.

No click here: only ``cli.py`` turns these into messages and exit codes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where it is, what it is, what to do."""

    path: str  # as the user would type it (relative to the current folder when possible)
    line: int | None
    message: str  # "what is wrong; what to do"
    level: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        prefix = "" if self.is_error else "warning: "
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"


def display_path(path: Path | str, cwd: str | None = None, plain: bool = False) -> str:
    """A path as short as it can be said from the current folder (string work only: it is hot);
    ``cwd``: that folder, when the caller knows it (a getcwd() per post is a system call); ``plain``:
    the caller has found ``path`` a str that ``is_plain_absolute`` (reading, of every post file)."""
    # a plain absolute path without '..' is what abspath makes of it: skip its normpath (hot)
    text = path if type(path) is str and (plain or is_plain_absolute(path)) and "/.." not in path \
        else os.path.abspath(path)
    cwd = os.getcwd() if cwd is None else cwd
    if text.startswith(cwd + os.sep):
        text = text[len(cwd) + 1:]
    return text if text.isascii() else printable(text)


def is_plain_absolute(path: str) -> bool:
    """An absolute POSIX path written as pathlib writes it (no '//', '.' part or trailing '/'):
    then string tests on it mean what pathlib's tests on its parts mean."""
    return (os.sep == "/" and path.startswith("/") and "//" not in path and "/./" not in path
            and not path.endswith(("/", "/.")))


def printable(text: str) -> str:
    """A name that is not valid UTF-8 (its bytes came in as surrogates) with those bytes as \\xNN."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")


class FeedsError(Exception):
    """Base of everything feeds raises on purpose."""


class ConfigError(FeedsError):
    """config.yaml or an option is wrong (exit code 2)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class OutputError(FeedsError):
    """The output folder cannot be written (busy, read-only, full disk)."""
