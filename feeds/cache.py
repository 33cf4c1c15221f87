"""The persistent build cache: an sqlite3 file holding what reading and rendering produced.

Keys are content hashes, never modification times alone: a post is looked up by the hash of
its bytes plus the hash of everything in the config and the tool that shapes the output, so a
fresh CI clone (every mtime new) gets the same answers. The (size, mtime) of each file only
spares re-hashing a file that has not been touched since the last run on this machine.
Rows are JSON, never pickles: a cache restored from elsewhere is data, not code. A cache that
is corrupt, foreign or from another schema is moved aside and rebuilt, never trusted.
"""
from __future__ import annotations

import functools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from .errors import Problem
from .posts import Post
from .render import Rendered

SCHEMA = 6
APP = "feeds-cache"
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, digest TEXT);
CREATE TABLE IF NOT EXISTS posts (path TEXT, key TEXT, digest TEXT, data TEXT, PRIMARY KEY (path, key));
CREATE TABLE IF NOT EXISTS rendered (rkey TEXT PRIMARY KEY, data TEXT);
CREATE TABLE IF NOT EXISTS render_problems (rkey TEXT PRIMARY KEY, data TEXT);
"""

ReadResult = tuple[Post | None, list[Problem], int]  # int: posts.USED_SITE_ZONE | READ_AS_UTC


_FIELDS = tuple(Post.__dataclass_fields__)


def post_to_json(post: Post) -> list[Any]:
    """A Post as a JSON array (positional: arrays decode faster than objects, and 100,000 of
    them are decoded on every rebuild of a big site)."""
    data = [getattr(post, name) for name in _FIELDS]
    data[_FIELDS.index("date")] = post.date.isoformat()
    data[_FIELDS.index("updated")] = post.updated.isoformat()
    return data


_DATE, _UPDATED = _FIELDS.index("date"), _FIELDS.index("updated")
_CATS, _TAGS = _FIELDS.index("categories"), _FIELDS.index("tags")


def post_from_json(data: list[Any]) -> Post:
    if len(data) != len(_FIELDS):
        raise ValueError("a post row of another shape")
    data[_DATE] = datetime.fromisoformat(data[_DATE])
    data[_UPDATED] = datetime.fromisoformat(data[_UPDATED])
    data[_CATS], data[_TAGS] = tuple(data[_CATS]), tuple(data[_TAGS])
    # a frozen dataclass's __init__ sets each field through object.__setattr__; filling __dict__
    # directly is twice as fast, and 100,000 posts come through here on every rebuild
    post = object.__new__(Post)
    post.__dict__.update(zip(_FIELDS, data))
    return post


def _problems_from(rows: list[list[Any]]) -> list[Problem]:
    if not rows:
        return []
    return [Problem(str(p), None if line is None else int(line), str(m), str(lv)) for p, line, m, lv in rows]


def _guarded(default: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A cache that turns out damaged mid-build is reset and answers as an empty one: the build
    then does the work itself. The cache can make a build faster, never make it fail."""
    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(self: Cache, *args: Any) -> Any:
            try:
                return method(self, *args)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):  # another build holds it: a miss, not damage
                    self.reset()
                return default()
            except sqlite3.DatabaseError:
                self.reset()
                return default()
        return guarded
    return wrap


class Cache:
    """``Cache(path)`` opens or creates it; ``Cache(None)`` is a cache that remembers nothing."""

    def __init__(self, path: Path | None, name: str = "cache"):
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.file = path / f"{name}.sqlite3" if path is not None else self._scratch_file()
        # trusted: this is the cache earlier runs left, intact; only then may a build rely on it
        # for what it did not redo (such as the warnings of posts it did not render again)
        self.trusted = False
        self.posts_changed = False  # a post was read afresh, or one is gone
        self.db = self._open()

    def _scratch_file(self) -> Path:
        self._scratch = tempfile.TemporaryDirectory(prefix="feeds-cache-")
        return Path(self._scratch.name) / "cache.sqlite3"

    def _open(self) -> sqlite3.Connection:
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.file)
            rows = dict(db.execute("SELECT name, value FROM meta").fetchall())
            if rows.get("app") == APP and rows.get("schema") == str(SCHEMA) and rows.get("tool") == __version__:
                self.trusted = self._scratch is None
                return self._tune(db)
            db.close()
        except (sqlite3.Error, OSError):
            pass  # not a database, not ours, or not readable: a fresh one below
        return self._fresh()

    def _fresh(self) -> sqlite3.Connection:
        """An empty cache; in a scratch folder when the configured place cannot be written."""
        try:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
            return self._create(self._tune(sqlite3.connect(self.file)))
        except (sqlite3.Error, OSError):
            self.file = self._scratch_file()
            return self._create(self._tune(sqlite3.connect(self.file)))

    def reset(self) -> None:
        """Throw a cache found damaged away (it only ever holds work that can be redone); the
        rest of the build uses a fresh one and trusts nothing it did not do itself."""
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        self.trusted = False
        self.db = self._fresh()

    @staticmethod
    def _tune(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> sqlite3.Connection:
        db.executescript(_TABLES)
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       [("app", APP), ("schema", str(SCHEMA)), ("tool", __version__)])
        db.commit()
        return db

    @_guarded(dict)
    def known_digests(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, digest) as seen last time."""
        return {p: (s, m, d) for p, s, m, d in self.db.execute("SELECT path, size, mtime_ns, digest FROM files")}

    @_guarded(lambda: None)
    def remember_files(self, rows: list[tuple[str, int, int, str]], present: set[str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
        gone = [(p,) for (p,) in self.db.execute("SELECT path FROM files") if p not in present]
        self.posts_changed |= bool(gone)
        self.db.executemany("DELETE FROM files WHERE path = ?", gone)
        self.db.executemany("DELETE FROM posts WHERE path = ?", gone)

    @_guarded(dict)
    def read_results(self, key: str) -> dict[tuple[str, str], ReadResult]:
        """(digest, path) -> what reading that post gave, for this config."""
        found = {}
        for path, digest, data in self.db.execute("SELECT path, digest, data FROM posts WHERE key = ?", (key,)):
            try:
                post, problems, naive = json.loads(data)
                found[(digest, path)] = (post_from_json(post) if post else None, _problems_from(problems), naive)
            except (ValueError, TypeError, KeyError):
                continue  # a damaged row is a miss, never an answer
        return found

    @_guarded(lambda: None)
    def store_read(self, key: str, items: list[tuple[str, str, ReadResult]]) -> None:
        rows = [(path, key, digest, json.dumps([post_to_json(post) if post else None,
                                                 [[p.path, p.line, p.message, p.level] for p in problems], naive],
                                                ensure_ascii=False))
                for digest, path, (post, problems, naive) in items]
        self.posts_changed |= bool(rows)
        self.db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?)", rows)  # one row per file
        self.db.execute("DELETE FROM posts WHERE key != ?", (key,))

    @_guarded(set)
    def rendered(self, rkeys: list[str]) -> set[str]:
        """Which of these posts have rendered content here (the content itself stays on disk)."""
        found: set[str] = set()
        for start in range(0, len(rkeys), 500):
            chunk = rkeys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(k for (k,) in self.db.execute(f"SELECT rkey FROM rendered WHERE rkey IN ({marks})", chunk))
        return found

    @_guarded(lambda: None)
    def store_rendered(self, items: list[tuple[str, Rendered, list[Problem]]]) -> None:
        _insert_rendered(self.db, items)

    @_guarded(dict)
    def render_problems(self) -> dict[str, list[Problem]]:
        """rkey -> what rendering it said; only posts that had something to say have a row."""
        found = {}
        for rkey, data in self.db.execute("SELECT rkey, data FROM render_problems"):
            try:
                found[rkey] = _problems_from(json.loads(data))
            except (ValueError, TypeError):
                continue
        return found

    @_guarded(lambda: None)
    def keep_rendered(self, live: set[str]) -> None:
        """Forget rendered content no current post has (edited or deleted posts' old versions)."""
        stale = [(k,) for (k,) in self.db.execute("SELECT rkey FROM rendered") if k not in live]
        self.db.executemany("DELETE FROM rendered WHERE rkey = ?", stale)
        self.db.executemany("DELETE FROM render_problems WHERE rkey = ?", stale)

    def commit(self) -> None:
        """Make what was stored visible to other connections (the write workers)."""
        try:
            self.db.commit()
        except sqlite3.DatabaseError:
            self.reset()

    def close(self) -> None:
        try:
            self.db.commit()
            self.db.close()
        except sqlite3.Error:
            pass
        if self._scratch is not None:
            self._scratch.cleanup()


def _insert_rendered(db: sqlite3.Connection, items: list[tuple[str, Rendered, list[Problem]]]) -> None:
    db.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?)",
                   [(rkey, json.dumps([r.content, r.summary], ensure_ascii=False))  # problems: own table
                    for rkey, r, probs in items])
    db.executemany("INSERT OR REPLACE INTO render_problems VALUES (?, ?)",
                   [(rkey, json.dumps(_said(probs), ensure_ascii=False)) for rkey, _, probs in items if probs])


def _said(problems: list[Problem]) -> list[list[Any]]:
    return [[p.path, p.line, p.message, p.level] for p in problems]


class WorkerCache:
    """The rendered-content part of the cache, as a worker process uses it: its own connection
    (sqlite connections do not survive fork), so rendered bodies go from the worker straight to
    the file, and no process ever holds every body. A damaged cache costs work, never a build:
    ``put`` then stores nothing and ``get`` answers what it can; callers render what is missing."""

    def __init__(self, file: Path):
        self.file = file
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    def _connection(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            self._db, self._pid = Cache._tune(sqlite3.connect(self.file, timeout=60)), os.getpid()
        return self._db

    def get(self, rkeys: list[str]) -> dict[str, Rendered]:
        marks = ",".join("?" * len(rkeys))
        try:
            rows = self._connection().execute(f"SELECT rkey, data FROM rendered WHERE rkey IN ({marks})", rkeys)
            return {rkey: Rendered(*json.loads(data)[:2]) for rkey, data in rows}
        except (sqlite3.Error, ValueError, TypeError):
            return {}

    def put(self, items: list[tuple[str, Rendered, list[Problem]]]) -> None:
        try:
            with self._connection() as db:  # one transaction per batch
                _insert_rendered(db, items)
        except sqlite3.Error:
            pass
