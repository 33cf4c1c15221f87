"""The persistent build cache: an sqlite3 file holding what reading and rendering produced.

Keys are content hashes, never modification times alone: a post is looked up by the hash of
its bytes plus the hash of everything in the config and the tool that shapes the output, so a
fresh CI clone (every mtime new) gets the same answers. The (size, mtime) of each file only
spares re-hashing a file that has not been touched since the last run on this machine.
Rows are JSON, never pickles: a cache restored from elsewhere is data, not code. A cache that
is corrupt, foreign or from another schema is moved aside and rebuilt, never trusted.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from . import __version__
from .errors import Problem
from .posts import Post
from .render import Rendered

SCHEMA = 1
APP = "feeds-cache"
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, digest TEXT);
CREATE TABLE IF NOT EXISTS posts (digest TEXT, path TEXT, key TEXT, data TEXT, PRIMARY KEY (digest, path, key));
CREATE TABLE IF NOT EXISTS rendered (rkey TEXT PRIMARY KEY, data TEXT);
"""

ReadResult = tuple[Post | None, list[Problem], bool]


def post_to_json(post: Post) -> dict[str, Any]:
    data = dict(vars(post))  # not dataclasses.asdict: it deep-copies every field, 10x slower
    data.update(file=str(post.file), date=post.date.isoformat(), updated=post.updated.isoformat())
    return data


def post_from_json(data: dict[str, Any]) -> Post:
    data.update(file=Path(data["file"]), date=datetime.fromisoformat(data["date"]),
                updated=datetime.fromisoformat(data["updated"]), categories=tuple(data["categories"]),
                tags=tuple(data["tags"]))
    return Post(**data)


def _problems_from(rows: Iterable[list[Any]]) -> list[Problem]:
    return [Problem(str(p), None if line is None else int(line), str(m), str(lv)) for p, line, m, lv in rows]


class Cache:
    """``Cache(path)`` opens or creates it; ``Cache(None)`` is a cache that remembers nothing."""

    def __init__(self, path: Path | None):
        self.path = path
        self.db = sqlite3.connect(":memory:") if path is None else self._open(path)
        self.db.executescript(_TABLES)
        self._init_meta()
        self.rebuilt = False

    def _open(self, path: Path) -> sqlite3.Connection:
        path.mkdir(parents=True, exist_ok=True)
        file = path / "cache.sqlite3"
        try:
            db = sqlite3.connect(file)
            rows = dict(db.execute("SELECT name, value FROM meta").fetchall())
            if rows.get("app") != APP or rows.get("schema") != str(SCHEMA) or rows.get("tool") != __version__:
                raise sqlite3.DatabaseError("foreign cache")
            db.execute("PRAGMA quick_check").fetchall()
            return self._tune(db)
        except sqlite3.DatabaseError:
            try:
                db.close()
            except Exception:  # noqa: BLE001 - the handle may not exist; the file goes either way
                pass
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{file}{suffix}").unlink(missing_ok=True)
            self.rebuilt = True
            return self._tune(sqlite3.connect(file))

    @staticmethod
    def _tune(db: sqlite3.Connection) -> sqlite3.Connection:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _init_meta(self) -> None:
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("app", APP), ("schema", str(SCHEMA)), ("tool", __version__)])

    def known_digests(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, digest) as seen last time."""
        return {p: (s, m, d) for p, s, m, d in self.db.execute("SELECT path, size, mtime_ns, digest FROM files")}

    def remember_files(self, rows: list[tuple[str, int, int, str]], present: set[str]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
        gone = [(p,) for (p,) in self.db.execute("SELECT path FROM files") if p not in present]
        self.db.executemany("DELETE FROM files WHERE path = ?", gone)

    def read_results(self, key: str) -> dict[tuple[str, str], ReadResult]:
        """(digest, path) -> what reading that post gave, for this config."""
        found = {}
        for digest, path, data in self.db.execute("SELECT digest, path, data FROM posts WHERE key = ?", (key,)):
            try:
                post, problems, naive = json.loads(data)
                found[(digest, path)] = (post_from_json(post) if post else None, _problems_from(problems), naive)
            except (ValueError, TypeError, KeyError):
                continue  # a damaged row is a miss, never an answer
        return found

    def store_read(self, key: str, items: list[tuple[str, str, ReadResult]]) -> None:
        rows = [(digest, path, key, json.dumps([post_to_json(post) if post else None,
                                                 [[p.path, p.line, p.message, p.level] for p in problems], naive],
                                                ensure_ascii=False))
                for digest, path, (post, problems, naive) in items]
        self.db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?)", rows)

    def prune_posts(self, key: str, live: set[tuple[str, str]]) -> None:
        stale = [(d, p) for d, p in self.db.execute("SELECT digest, path FROM posts") if (d, p) not in live]
        self.db.executemany("DELETE FROM posts WHERE digest = ? AND path = ?", stale)
        self.db.execute("DELETE FROM posts WHERE key != ?", (key,))

    def rendered(self, rkeys: list[str]) -> dict[str, tuple[Rendered, list[Problem]]]:
        found = {}
        for start in range(0, len(rkeys), 500):
            chunk = rkeys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for rkey, data in self.db.execute(f"SELECT rkey, data FROM rendered WHERE rkey IN ({marks})", chunk):
                try:
                    content, summary, problems = json.loads(data)
                    found[rkey] = (Rendered(str(content), str(summary)), _problems_from(problems))
                except (ValueError, TypeError):
                    continue
        return found

    def store_rendered(self, items: list[tuple[str, Rendered, list[Problem]]]) -> None:
        rows = [(rkey, json.dumps([r.content, r.summary, [[p.path, p.line, p.message, p.level] for p in probs]],
                                  ensure_ascii=False)) for rkey, r, probs in items]
        self.db.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?)", rows)

    def close(self) -> None:
        self.db.commit()
        self.db.close()
