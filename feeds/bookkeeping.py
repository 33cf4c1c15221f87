"""Where feeds keeps its records of an output folder, and reading them back as untrusted input.

The output folder is what a static host publishes, so the records live next to it, never in it:

    .public.feeds/             for the output folder public/ (a sibling: the same filesystem)
        lock                   one build at a time per output folder, whatever its config
        en.manifest.json       the files the build of en.yaml wrote (one manifest per config file)
        staging/               a build's new files until they are renamed into place
            files/…
            manifest.json      the manifest the commit installs
            COMMIT             the plan: {"owner": "en", "written": […], "removed": […]}

Everything read back here (a manifest, a plan) may have been damaged or edited by hand, so it
is checked like a post: the wrong types, paths that are not plain relative paths inside the
output folder, or names of feeds' own records are dropped, each time with a warning.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from pathlib import Path

from .errors import WARNING, Problem, display_path, printable
from .jsontext import dumps_function

LOCK, STAGING, COMMIT, STAGED_MANIFEST = "lock", "staging", "COMMIT", "manifest.json"
# what versions up to 0.x kept inside the output folder itself; found there, it is migrated
LEGACY_LOCK, LEGACY_MANIFEST, LEGACY_STAGING = ".feeds.lock", ".feeds-manifest.json", ".feeds-staging"
RESERVED_PREFIX = ".feeds"  # no feed may be written under a name that starts so

Entry = list[object]  # [digest, inputs fingerprint, size, mtime_ns]
Manifest = dict[str, Entry]
_DIGEST = re.compile(r"[0-9a-f]{64}|[0-9a-f]{32}")  # SHA-256; BLAKE2b-128 before it (output.digest_like)
_OWNER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")


def folder_of(root: Path) -> Path:
    """The bookkeeping folder of an output folder: ``.public.feeds`` next to ``public``."""
    absolute = Path(os.path.abspath(root))
    return absolute.parent / f".{absolute.name or 'root'}.feeds"


def owner_of(config_file: str) -> str:
    """The name a config's records go by: its file's stem (``en.yaml`` -> ``en``), made safe."""
    stem = Path(config_file).stem or "config"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in stem)[:80]
    if safe != stem:
        safe += "-" + hashlib.blake2b(stem.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()
    return safe


def manifest_file(folder: Path, owner: str) -> Path:
    return folder / f"{owner}.manifest.json"


def plain_relative(relative: object) -> bool:
    """A "/"-separated path inside the output folder that is not one of feeds' own names."""
    if not isinstance(relative, str) or not relative or relative.startswith("/") or "\x00" in relative \
            or "\\" in relative:
        return False
    if relative[0] != "." and "/." not in relative and "//" not in relative and relative[-1] != "/":
        # no part empty or starting with ".": nearly every name, told without splitting it (right
        # while RESERVED_PREFIX starts with "." too: tests/test_start10.py holds both ways equal)
        return True
    parts = relative.split("/")
    return not any(p in ("", ".", "..") or p.startswith(RESERVED_PREFIX) for p in parts)


def _valid_entry(value: object) -> bool:
    if not isinstance(value, list) or len(value) != 4:
        return False
    sha, inputs, size, mtime = value
    return (isinstance(sha, str) and _DIGEST.fullmatch(sha) is not None and isinstance(inputs, str)
            and type(size) is int and size >= 0 and type(mtime) is int)


LARGEST = 256 << 20  # bytes: a record feeds wrote is smaller (a manifest of 100,000 feeds: ~15 MB)


def read_regular(file: Path) -> bytes:
    """The bytes of a regular file of at most LARGEST bytes, not a symbolic link; FileNotFoundError
    when there is none, ValueError (or another OSError) for anything else: a FIFO left in its place
    would block the read for ever, a huge file fill the memory."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError("it is a symbolic link, not a file feeds wrote") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("it is not a regular file, not one feeds wrote")
        if st.st_size > LARGEST:
            raise ValueError(f"it is {st.st_size:,} bytes, larger than any record feeds writes")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(LARGEST + 1)
    finally:
        os.close(fd)
    if len(data) > LARGEST:
        raise ValueError("it grew larger than any record feeds writes")
    return data


def read_json(file: Path) -> object:
    """The JSON in a regular file (``read_regular``); FileNotFoundError when there is none."""
    return json.loads(read_regular(file))


def read_manifest(file: Path, problems: list[Problem]) -> Manifest | None:
    """The valid entries of a manifest ({} when there is none), or None when it cannot be read."""
    try:
        data = read_regular(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        problems.append(_unreadable(file, exc))
        return None
    return manifest_from(data, file, problems)


def _unreadable(file: Path, exc: BaseException) -> Problem:
    return Problem(display_path(file), None, f"cannot read this record of the files feeds wrote ({_reason(exc)}); "
                   "ignored: feeds will neither replace nor delete the files it listed; delete it if the feeds "
                   "in the output folder should be rewritten", WARNING)


def manifest_from(raw: bytes, file: Path, problems: list[Problem]) -> Manifest | None:
    """``read_manifest`` of the bytes ``raw`` read from ``file``."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        problems.append(_unreadable(file, exc))
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        problems.append(Problem(display_path(file), None, "this record of the files feeds wrote has no "
                                "\"files\" mapping; ignored: feeds will neither replace nor delete the files "
                                "it listed", WARNING))
        return None
    good = {k: list(v) for k, v in files.items() if plain_relative(k) and _valid_entry(v)}
    if len(good) != len(files):
        bad = sorted((k for k in files if k not in good), key=str)
        problems.append(Problem(display_path(file), None, f"{len(bad)} entr{'y' if len(bad) == 1 else 'ies'} "
                                f"(first: {shown(bad[0])}) damaged or naming a path outside the output folder; "
                                "ignored: feeds will neither replace nor delete those files", WARNING))
    return good


def read_plan(file: Path) -> dict[str, object]:
    """A COMMIT marker's plan: "written" and "removed" lists of text, and an "owner" when the
    marker was written by this version. Raises ValueError when it is not that."""
    data = read_json(file)
    if not isinstance(data, dict) or not all(isinstance(data.get(k), list) for k in ("written", "removed")):
        raise ValueError("not a plan of files to move and remove")
    if "owner" in data and not (isinstance(data["owner"], str) and _OWNER.fullmatch(data["owner"])):
        raise ValueError("its owner is not a config name")
    return data


def write_json(file: Path, data: object) -> None:
    """Replace the file at once: a reader sees the old bytes or the new, never half."""
    replace_text(file, json_text(data))


def json_text(data: object) -> str:
    """What ``write_json`` writes."""
    return json_lines(data) + "\n"


def replace_text(file: Path, text: str) -> None:
    """``write_json`` of a text ``json_text`` made."""
    temporary = file.with_name(file.name + ".tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, file)


_KEY_TEXT = dumps_function(ensure_ascii=False)  # json.dumps, made once
_VALUE_TEXT = dumps_function(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def json_lines(data: object, depth: int = 0) -> str:
    """JSON with each key of the two outer objects on a line of its own (a manifest: a file a
    line), each value written by the C encoder (``indent=`` takes the pure-Python one: 0.15 s for
    the manifest of 2,700 feeds, written twice a build)."""
    if isinstance(data, dict) and data and depth < 2 and all(isinstance(k, str) for k in data):
        items = (f"{_KEY_TEXT(k)}:{json_lines(v, depth + 1)}" for k, v in sorted(data.items()))
        return "{\n" + ",\n".join(items) + "\n}"
    return _VALUE_TEXT(data)


def other_owners(folder: Path, owner: str) -> dict[str, str]:
    """Files that the builds of other config files sharing the output folder wrote: path -> owner."""
    owned: dict[str, str] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return owned
    for name in names:
        other = name.removesuffix(".manifest.json")
        if other != name and other != owner and _OWNER.fullmatch(other):
            for relative in read_manifest(folder / name, []) or {}:
                owned.setdefault(relative, other)
    return owned


def shown(relative: object) -> str:
    """A name as a message can print it: bytes that are not UTF-8 as \\xNN."""
    return printable(str(relative))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__
