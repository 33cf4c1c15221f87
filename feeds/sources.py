"""Where posts are: the files Jekyll would read as posts, and their bytes as text.

Strings, not Paths, on the hot path: on 100,000 files pathlib alone costs seconds.
"""
from __future__ import annotations

import codecs
import errno
import fnmatch
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from .config import Config
from .errors import WARNING, Problem, display_path, is_plain_absolute
from .jekyll import FILENAME_DATE, FILENAME_DAY

POST_EXTENSIONS = {".md", ".markdown", ".mkdown", ".mkdn", ".mkd", ".html", ".htm"}
SKIP_DIRS = {"node_modules", "vendor", "_site", ".git"}
_NAME = attrgetter("name")


@dataclass
class SourceText:
    """A post file as text: BOM dropped, CRLF made LF; or the problem that stopped that."""

    text: str | None
    digest: str
    problem: Problem | None = None
    bom: bool = False  # the file starts with a UTF-8 byte order mark (not in ``text``)
    raw: str | None = None  # the text as decoded, before CRLF and CR became LF; None when it had no CR

    def byte_offset(self, start: int) -> int:
        """Where ``text[start:]`` begins in the file, in bytes (for ``read_from``)."""
        assert self.text is not None
        head = self.text[:start] if self.raw is None else _raw_head(self.raw, start)
        return 3 * self.bom + len(head.encode("utf-8"))


def _raw_head(raw: str, start: int) -> str:
    """The part of ``raw`` that became the first ``start`` characters once each CRLF was one LF
    (a lone CR is one character either way)."""
    pos = done = 0  # in raw, and in the text it became
    while True:
        pair = raw.find("\r\n", pos)
        if pair < 0 or done + pair - pos >= start:
            return raw[:pos + start - done]
        done += pair - pos + 1
        pos = pair + 2


def find_post_files(cfg: Config) -> tuple[list[str], list[Problem]]:
    """Every post file (absolute paths, sorted), as Jekyll finds them: files under any `_posts/`
    folder, plus `posts:` globs. Strings, not Paths: on 100,000 files pathlib costs seconds."""
    found: dict[str, None] = {}
    problems: list[Problem] = []
    output = cfg.output.resolve()
    matched: set[str] = set()  # the posts: patterns that found a post file in some source
    for source in cfg.sources:
        root = source.resolve()
        if not _utf8(str(root)):
            problems.append(Problem(display_path(root), None, "the site folder's path is not valid UTF-8 (the "
                                    "bytes shown as \\xNN); no post in it was read; rename the folder"))
            continue
        for path, is_link in _walk_posts(root, output, cfg.drafts, problems):
            if not (is_link or cfg.exclude) and path.isascii() and FILENAME_DAY.match(path, path.rfind(os.sep) + 1):
                found[path] = None  # nearly every post: a dated file of ASCII name, kept as the checks below keep it
            elif not _excluded(path, root, cfg.exclude) and _dated(path, problems):
                _add_file(path, root, found, problems, is_link)
        for pattern in cfg.posts:
            for match in _glob(root, pattern, problems):
                if match.suffix.lower() not in POST_EXTENSIONS:
                    continue
                real = _real(str(match), problems)
                if real is not None and not Path(real).is_relative_to(output):
                    matched.add(pattern)
                    _add_file(str(match), root, found, problems, is_link=True)
    kinds = ", ".join(sorted(POST_EXTENSIONS))
    for pattern in cfg.posts:
        if pattern not in matched:
            problems.append(Problem(cfg.file, None, f"posts: '{pattern}' matches no post file ({kinds}) in the "
                                    "source folder; correct the pattern or remove it", WARNING))
    return sorted(found), problems


def _excluded(path: str, root: Path, patterns: tuple[str, ...]) -> bool:
    """Jekyll's ``exclude``: a listed file, a file under a listed folder, or a glob match."""
    if not patterns:
        return False
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    for pattern in patterns:
        bare = pattern.strip("/")
        if relative == bare or relative.startswith(bare + "/") or fnmatch.fnmatchcase(relative, pattern) \
                or fnmatch.fnmatchcase(os.path.basename(relative), pattern):
            return True
    return False


def _dated(path: str, problems: list[Problem]) -> bool:
    """Jekyll publishes a `_posts` file only when its name starts with a date (drafts need none)."""
    if FILENAME_DAY.match(path, path.rfind(os.sep) + 1):  # nearly every post: dated, wherever it is
        return True
    *folders, name = path.split(os.sep)
    if os.path.splitext(name)[1].lower() not in POST_EXTENSIONS or "_posts" not in folders:
        return True
    if "_drafts" in folders or FILENAME_DATE.match(name):
        return True
    problems.append(Problem(display_path(path), None, "the file name does not start with a date "
                            "(YYYY-MM-DD-), so Jekyll does not publish it, and neither does feeds; rename it, "
                            "e.g. 2022-03-04-name.md, to publish it", WARNING))
    return False


def _walk_posts(root: Path, output: Path, drafts: bool, problems: list[Problem]) -> Iterator[tuple[str, bool]]:
    """(path, is a link) for post files under `_posts/`, and for symlinked folders there (so that
    _add_file can say it skips them). Types come from the directory listing: no stat per file.

    Top-down as os.walk goes (a folder's files, then its folders by name; never into a symbolic
    link or a folder that cannot be listed), each folder listed once: os.walk, then a listing of
    its own, listed a posts folder twice (10,000 entries twice, the parent alone before the read
    workers start). A stack, not recursion: a deep tree is no RecursionError."""
    wanted = {"_posts", "_drafts"} if drafts else {"_posts"}
    stack = [(str(root), False)]  # (folder, inside a wanted folder)
    while stack:
        folder, inside = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=_NAME)
        except OSError:  # as os.walk: a folder that cannot be listed is passed over
            continue
        folders = []
        for entry in entries:
            if _real_folder(entry):  # a folder holds no post file itself (a link to one is said below)
                if entry.name not in SKIP_DIRS and not entry.name.startswith(".") \
                        and Path(entry.path).resolve() != output:
                    folders.append((entry.path, inside or entry.name in wanted))
            elif inside:
                try:
                    if entry.is_symlink() and entry.is_dir():
                        yield entry.path, True
                    elif _post_extension(entry.name) and entry.is_file():
                        yield entry.path, entry.is_symlink()
                except OSError as exc:  # a symbolic link loop: is_dir() cannot tell
                    problems.append(_unreadable(entry.path, exc))
        stack += reversed(folders)  # the first by name is gone into first


def _post_extension(name: str) -> bool:
    """``os.path.splitext(name)[1].lower() in POST_EXTENSIONS``, without splitting: the extension
    is from the last dot, unless only dots come before it (a dot file has none)."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in POST_EXTENSIONS and (name[0] != "." or name[:dot].lstrip(".") != "")


def _real_folder(entry: os.DirEntry[str]) -> bool:
    """A folder to go into: a folder, not a symbolic link to one (a link loop is neither)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _glob(root: Path, pattern: str, problems: list[Problem]) -> list[Path]:
    try:
        return sorted(root.glob(pattern))
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop (Python < 3.13)
        problems.append(_unreadable(str(root / pattern), exc))
        return []


def _real(path: str, problems: list[Problem]) -> str | None:
    """Where a path really leads; None, with a warning, for a symbolic link loop."""
    try:
        return os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problems.append(_unreadable(path, exc))
        return None


def _unreadable(path: str, exc: BaseException) -> Problem:
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return Problem(display_path(path), None, "symbolic link that leads back to itself (a loop), skipped; "
                       "fix or remove the link", WARNING)
    return Problem(display_path(path), None, f"cannot read: {getattr(exc, 'strerror', None) or exc}; skipped",
                   WARNING)


def _utf8(path: str) -> bool:
    """Bytes that are not UTF-8 come into a str as surrogates: such a name cannot go into a
    feed, a URL or the cache."""
    if path.isascii():
        return True
    try:
        path.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _add_file(path: str, root: Path, found: dict[str, None], problems: list[Problem], is_link: bool) -> None:
    """Keep a post file, unless its name is not UTF-8 (an error: the post would be missing from
    every feed), or it really lives outside the source folder (a symlink, or under one).

    Only links need resolving: the walk never enters a linked folder and ``root`` is resolved; a
    glob does enter them, so what it finds is always resolved (``is_link`` True)."""
    if not _utf8(path):
        problems.append(Problem(display_path(path), None, "the file name (or its folder's) is not valid UTF-8 "
                                "(the bytes shown as \\xNN); the post was not read; rename it, e.g. with "
                                "convmv -f latin1 -t utf-8"))
        return
    if is_link:
        real = _real(path, problems)
        if real is None:
            return
        if not Path(real).is_relative_to(root):
            what = "folder" if os.path.isdir(path) else "file"
            problems.append(Problem(display_path(path), None, f"symbolic link to a {what} outside the source "
                                    f"folder, not followed; copy the {what} in if it holds posts", WARNING))
            return
    if not is_link or os.path.isfile(path):
        found[path] = None


def read_source(path: Path | str, max_bytes: int, size: int | None = None,
                known: Callable[[str], bool] | None = None) -> SourceText:
    """The file's text, or a problem naming the size limit or the first byte that is not UTF-8
    (``size``: its size, when the caller has just asked the file system). When ``known(digest)``
    (the caller has what reading these bytes gives: a cache hit), the digest alone, text None."""
    try:  # strings, not pathlib (hot); the size first, as a file too big to read must say so
        size = os.stat(path).st_size if size is None else size
        if size > max_bytes:
            return _too_big(path, size, max_bytes)
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        return _unreadable_file(path, exc)
    return _source_of(path, data, known)


def read_post_file(path: str, max_bytes: int, known: Callable[[str], bool] | None = None
                   ) -> tuple[os.stat_result | None, SourceText]:
    """(its stat, ``read_source(path, max_bytes, known=known)``) of a post file, the stat as its
    open file has it just before its bytes are read (None when the file system cannot say): one
    open and one fstat, no stat of the path and no file object (``open`` costs an ioctl, a second
    fstat and two objects). The stat is the file's as read, or older: the shortcut's record signs
    the file with it (``signature.read_line``), with no second stat."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # rare: the long way says what is wrong, as it always did
        try:
            st = os.stat(path)
        except OSError:
            return None, read_source(path, max_bytes, None, known)
        return st, read_source(path, max_bytes, st.st_size, known)
    try:
        st = os.fstat(fd)
        if st.st_size > max_bytes:
            return st, _too_big(path, st.st_size, max_bytes)
        try:
            data = _read_to_end(fd, st.st_size, stat.S_ISREG(st.st_mode))
        except OSError as exc:  # a folder named like a post: EISDIR here, as open() said it
            return st, _unreadable_file(path, exc)
    finally:
        os.close(fd)
    return st, _source_of(path, data, known)


def _read_to_end(fd: int, size: int, regular: bool = False) -> bytes:
    """Everything from ``fd`` to its end, as ``file.read()`` gives it (the file may have grown);
    ``regular``: ``fd`` is a regular file's (``stat.S_ISREG``), whose ``size`` was just asked."""
    data = os.read(fd, size + 1)
    # exactly the size just asked: the end of a regular file, without a second read to be told so;
    # a file that grew, or shrank, or gave fewer bytes than its size (a network or FUSE file
    # system, a signal: a short read need not be the end), or another kind of file, is read on
    more = os.read(fd, 1 << 16) if data and (len(data) != size or not regular) else b""
    if not more:
        return data
    chunks = [data, more]
    while chunks[-1]:
        chunks.append(os.read(fd, 1 << 16))
    return b"".join(chunks)


def _too_big(path: Path | str, size: int, max_bytes: int) -> SourceText:
    return SourceText(None, "", Problem(display_path(path), None, f"file is {size:,} bytes, over the limit "
                                        f"of {max_bytes:,}; raise content.max_file_bytes or split it"))


def _unreadable_file(path: Path | str, exc: OSError) -> SourceText:
    return SourceText(None, "", Problem(display_path(path), None, f"cannot read the file: {exc.strerror or exc}"))


def file_digest(data: bytes) -> str:
    """A post file's digest, the key of what reading it gives: 128 bits of sha256, which the
    processor computes in hardware where it can (SHA-NI: 2.4 times blake2b's speed on this
    machine's 7 KB posts, where blake2b was a tenth of a read worker's instructions)."""
    return hashlib.sha256(data).digest()[:16].hex()


def _source_of(path: Path | str, data: bytes, known: Callable[[str], bool] | None) -> SourceText:
    """A file's bytes as its text (or the problem that stops that), and their digest."""
    digest = file_digest(data)
    if known is not None and known(digest):
        return SourceText(None, digest)
    bom = data.startswith(codecs.BOM_UTF8)
    try:  # "utf-8-sig", without its Python-level codec
        text = (data[3:] if bom else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start + 3 if bom else exc.start  # the offset in the file, as a hex editor shows it
        line = data.count(b"\n", 0, start) + 1
        return SourceText(None, digest, Problem(display_path(path), line, f"not UTF-8 (byte 0x{data[start]:02x} "
                                                f"at offset {start}); save the file as UTF-8"))
    if "\r" not in text:
        return SourceText(text, digest, bom=bom)
    return SourceText(_lf(text), digest, bom=bom, raw=text)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_from(path: str, offset: int) -> str:
    """The file's text from byte ``offset`` (``SourceText.byte_offset``) to its end, line ends
    made LF as ``read_source`` makes them: a post's body, without reading its front matter or
    hashing the file again. "" when the file cannot be read or is no longer UTF-8 there."""
    return read_from_utf8(path, offset)[0]


def read_from_utf8(path: str, offset: int) -> tuple[str, bytes]:
    """``read_from``, and the bytes it was decoded from when they are exactly its UTF-8 (b"" when
    line ends were made LF, or nothing could be read): the render stage checks those for what XML
    forbids at C speed and gives them to the Markdown renderer as they are, with no encoding again."""
    try:
        data = _read_tail(path, offset)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return "", b""
    return (_lf(text), b"") if b"\r" in data else (text, data)


def _read_tail(path: str, offset: int) -> bytes:
    """The file's bytes from ``offset`` to its end, as ``open``, ``seek`` and ``read`` give them, in
    a third of their system calls (no terminal check, no seeks, and no size asked first: a post's
    body is a few KB, and an fstat, its stat result made in Python, costs twice a read): the render
    stage reads a body a post. A read that fills ``_FIRST_READ`` asks the size for the rest."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.pread(fd, _FIRST_READ, offset)]
        if len(chunks[0]) < _FIRST_READ:  # a file's read comes up short at its end only: no read more to be told so
            return chunks[0]
        offset += _FIRST_READ
        size = max(os.fstat(fd).st_size - offset, 0) + 1
        chunks.append(os.pread(fd, size, offset))
        if len(chunks[-1]) == size:  # to the end, as read() reads: the file has grown
            while chunks[-1]:
                offset += len(chunks[-1])
                chunks.append(os.pread(fd, 1 << 16, offset))
    finally:
        os.close(fd)
    return b"".join(chunks)


_FIRST_READ = 1 << 16  # bytes read before the file's size is asked: the whole body of nearly every post


@lru_cache(maxsize=16)
def _resolved(sources: tuple[Path, ...]) -> tuple[Path, ...]:
    return tuple(s.resolve() for s in sources)


def source_root(path: Path, cfg: Config) -> Path:
    """The source folder a post file was found in (its folder categories start there)."""
    return next((s for s in _resolved(cfg.sources) if path.is_relative_to(s)), path.parent)


@lru_cache(maxsize=16)
def _resolved_text(sources: tuple[Path, ...]) -> tuple[str, ...]:
    return tuple(str(s) for s in _resolved(sources))


_LAST_ROOTS: list[Any] = [None, ()]  # the last sources asked about, and _resolved_text of them


def source_root_text(path: str, cfg: Config) -> str:
    """``source_root`` of an absolute path as ``find_post_files`` gives it, in strings (it is hot)."""
    if not is_plain_absolute(path):
        return str(source_root(Path(path), cfg))
    if cfg.sources is not _LAST_ROOTS[0]:  # a build asks once a post about the same tuple of Paths:
        _LAST_ROOTS[:] = cfg.sources, _resolved_text(cfg.sources)  # not hashed (each Path) again
    for root in _LAST_ROOTS[1]:
        if path.startswith(root if root.endswith("/") else root + "/") or path == root:
            return root
    return path.rsplit("/", 1)[0] or "/"
