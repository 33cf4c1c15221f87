"""The persistent build cache: an sqlite3 file holding what reading and rendering produced.

Keys are content hashes, never modification times alone: a post is looked up by the hash of
its bytes plus the hash of everything in the config and the tool that shapes the output, so a
fresh CI clone (every mtime new) gets the same answers. The (size, mtime) of each file only
spares re-hashing a file that has not been touched since the last run on this machine.
Rows are JSON, never pickles: a cache restored from elsewhere is data, not code. A post's
content is stored once, as the bytes its Atom entry and RSS item carry (``rendered.body``); their
fragment rows hold the bytes around it (``head``, ``tail``), and are read back joined. A cache that
is corrupt, foreign or from another schema is moved aside and rebuilt, never trusted. Rows are
input too: each is checked as strictly as a post before it is used (``rows``, and an entry
fragment, whatever it was made from, by ``fragment_check``); one that fails is a miss, counted in
``damaged`` for the build's one warning. (Checking, not signing: a key kept in the same folder
would authenticate nothing.)
"""
from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import sqlite3
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import Problem
from .handoff import Handoff
from .rendered import Rendered
from .rows import ReadResult, problems_from, read_result, read_row, rendered_from_json, row_text, said_rows
from .xmlfast import content_bytes, content_from_bytes

# A bytes parameter (a body, a fragment's head and tail: five a post) is bound as it is, a BLOB; but
# with no adapter of its own the sqlite3 module looks one up on each, in vain (``__adapt__``,
# ``__conform__``: an AttributeError's message formatted and dropped). ``bytes`` of bytes is the
# same object: the rows stored are the same, and each parameter's look-up finds its answer at once.
# The registry is the whole process's: a program that uses feeds as a library and set an adapter of
# its own for bytes keeps it (and its sqlite3 calls see no other change). The adapter is the method
# ``bytes.__bytes__`` (Python 3.11: the object itself), called straight, where calling the type
# ``bytes`` went through its constructor's argument parsing and a look-up of that same method.
if (bytes, sqlite3.PrepareProtocol) not in sqlite3.adapters:
    sqlite3.register_adapter(bytes, getattr(bytes, "__bytes__", bytes))

SCHEMA = 11  # 11: the keys' indexes made apart from their tables (a new cache's, once its rows are in)
APP = "feeds-cache"
PAGE_SIZE = 32768
BUILDING = ".building"  # a new cache's file while its build fills it (``Cache.seal``)
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT, size INTEGER, mtime_ns INTEGER, digest TEXT);
CREATE TABLE IF NOT EXISTS posts (path TEXT, key TEXT, digest TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS rendered (rkey TEXT, data TEXT, body BLOB);
CREATE TABLE IF NOT EXISTS render_problems (rkey TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS fragments (fkey TEXT, rkey TEXT, ekey TEXT, head BLOB, tail BLOB);
"""
# each key's index: (name, table, unique, columns). A UNIQUE index: INSERT OR REPLACE replaces a row
# of the same key, as a PRIMARY KEY did, and every query that looks a key up expects one row
_INDEXED = (
    ("files_by_path", "files", True, ("path",)),
    ("posts_by_path", "posts", True, ("path", "key")),
    ("rendered_by_rkey", "rendered", True, ("rkey",)),
    ("render_problems_by_rkey", "render_problems", True, ("rkey",)),
    ("fragments_by_fkey", "fragments", True, ("fkey",)),
    ("fragments_by_rkey", "fragments", False, ("rkey",)),
)
_INDEXES = "".join(f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)});"
                   for name, table, unique, columns in _INDEXED)

# a row stored again under its key before the indexes exist is a second row: the last one is kept,
# as INSERT OR REPLACE keeps it once they do
_LAST_OF_EACH_KEY = "".join(f"DELETE FROM {table} WHERE rowid NOT IN (SELECT max(rowid) FROM {table} GROUP BY "
                            f"{', '.join(columns)});" for _, table, unique, columns in _INDEXED if unique)


def _indexed(db: sqlite3.Connection) -> bool:
    """Every index ``seal`` makes is declared as it made it (its table, unique or not, whole, on its
    columns; others besides may be there: an extra unique index only makes rows misses): a cache
    whose unique indexes were dropped or replaced can hold two rows for one key, which no query
    here expects. What sqlite declares is what its schema's text says, which a forger can edit too
    (``PRAGMA writable_schema``) over rows that break it: the rows' own checks stay the defence;
    this keeps a cache in which nothing was forged from being trusted with a hole in its keys."""
    for name, table, unique, columns in _INDEXED:
        rows = db.execute(f"PRAGMA index_list({table})").fetchall()
        if any(len(row) < 5 for row in rows):  # no 'partial' column: sqlite before 3.8.9 cannot say
            return False
        if {row[1]: (row[2], row[4]) for row in rows}.get(name) != (int(unique), 0):  # (unique, partial)
            return False
        if tuple(row[2] for row in db.execute(f"PRAGMA index_info({name})")) != columns:
            return False
    return True


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
    """``Cache(path)`` opens or creates it; ``Cache(None)`` is a cache that remembers nothing.

    A new cache is made beside its home (``file``: ``home`` + ``.<pid>.building``) and moved there
    by ``seal`` once its rows are in: until then it is no cache at all, and a build that stops
    leaves only a file the next build deletes (``_sweep``)."""

    def __init__(self, path: Path | None, name: str = "cache"):
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.file = path / f"{name}.sqlite3" if path is not None else self._scratch_file()
        self.home = self.file  # where the cache lives between builds; ``file``: the one open now
        # trusted: this is the cache earlier runs left, intact; only then may a build rely on it
        # for what it did not redo (such as the warnings of posts it did not render again)
        self.trusted = False
        self.posts_changed = False  # a post was read afresh, or one is gone
        self.damaged = 0  # rows found damaged or forged (and ignored) in this build
        self.new = False  # created by this build: every row is this build's, none stale
        self.handed = False  # a new cache's file given to the render workers (``for_workers``)
        self.db = self._open()

    def _scratch_file(self) -> Path:
        self._scratch = tempfile.TemporaryDirectory(prefix="feeds-cache-")
        return Path(self._scratch.name) / "cache.sqlite3"

    def _open(self) -> sqlite3.Connection:
        db = None
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.file)
            rows = dict(db.execute("SELECT name, value FROM meta").fetchall())
            if rows.get("app") == APP and rows.get("schema") == str(SCHEMA) and rows.get("tool") == __version__ \
                    and _indexed(db):
                self.trusted = self._scratch is None
                return self._tune(db, self.file)
        except (sqlite3.Error, OSError):
            pass  # not a database, not ours, or not readable: a fresh one below
        if db is not None:  # closed now, not when the collector gets to it: it holds the file open
            db.close()
        return self._fresh()

    def _fresh(self) -> sqlite3.Connection:
        """An empty cache, being built (``seal``); in a scratch folder when the configured place
        cannot be written."""
        self.new, self.handed = True, False
        try:
            return self._building()
        except (sqlite3.Error, OSError):
            self.home = self.file = self._scratch_file()
            return self._building()

    def _building(self) -> sqlite3.Connection:
        _unlink(self.home)  # corrupt, foreign or from another version (or damaged mid-build)
        if self.file.name.endswith(BUILDING):  # a new one found damaged mid-build
            _unlink(self.file)
        _sweep(self.home)
        self.file = self.home.with_name(f"{self.home.name}.{os.getpid()}{BUILDING}")
        _unlink(self.file)
        return self._create(self._tune(self._sized(sqlite3.connect(self.file)), self.file))

    def reset(self) -> None:
        """Throw a cache found damaged away (it only ever holds work that can be redone); the
        rest of the build uses a fresh one and trusts nothing it did not do itself."""
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        self.trusted = False
        self.db = self._fresh()

    def for_workers(self, fresh: frozenset[str] = frozenset(), checked: Mapping[str, bytes] | None = None,
                    made: Handoff | None = None) -> WorkerCache:
        """The cache as a stage's workers use it (``fresh``, ``checked``, ``made``: ``WorkerCache``'s),
        what the parent stored committed first. A new cache given to them is sealed only once they
        have all finished (``render_all``, ``write_all``): a worker
        killed mid-transaction may leave its file torn (its rollback journal is in its memory:
        ``_tune``), and ``close`` then throws the file away."""
        self.commit()
        self.handed = self.handed or self.file != self.home
        return WorkerCache(self.file, fresh, checked, made)

    def seal(self) -> None:
        """A new cache, filled: its keys indexed (each index made once, here, instead of kept up
        row by row by every transaction that filled it: the rows' keys are hashes, so each of the
        render workers' transactions rewrote most of the indexes' pages), marked as this version's
        cache, moved to its home in one rename, and in WAL mode from now on. Nothing to do for a
        cache in place (or sealed already)."""
        if self.file == self.home:
            return
        try:
            self.db.commit()
            try:
                self.db.executescript(_INDEXES)
            except sqlite3.IntegrityError:  # a key stored twice (no build does): the last row stays
                self.db.executescript(_LAST_OF_EACH_KEY + _INDEXES)
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                [("app", APP), ("schema", str(SCHEMA)), ("tool", __version__)])
            self.db.commit()
            self.db.close()
            _unlink(self.home)  # with the journals of whatever was there
            os.replace(self.file, self.home)
            self.file = self.home
            self.db = self._tune(sqlite3.connect(self.file), self.file)
        except (sqlite3.Error, OSError):  # no room, say
            self.reset()

    @staticmethod
    def _sized(db: sqlite3.Connection) -> sqlite3.Connection:
        """A new file's pages hold a few entry fragments each (8 KB on average; 4 KB pages put most
        of each in overflow pages: three pages and writes a fragment, where 32 KB pages take one)."""
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before the first write (WAL fixes it then)
        return db

    @staticmethod
    def _tune(db: sqlite3.Connection, file: Path) -> sqlite3.Connection:
        """WAL: readers (the write workers) never wait for a writer (the render workers).
        synchronous=OFF: no fsync at all, where NORMAL paid one per checkpoint (220 of them, 1-15 ms
        each, in a cold build of 10,000 posts). Safe for this file: it only holds work that can be
        redone. A build that crashes loses nothing in WAL mode (what was written is in the
        operating system's hands); a machine that loses power may lose the last transactions (a
        miss: the work is done again) or leave pages torn, which sqlite reports (``_guarded``: the
        cache is thrown away) or which give rows that fail the checks every row passes before use
        (``post_from_json`` and the others: such a row is a miss, like a forged one). The output
        folder does not depend on it: what is published is decided by its own records.
        synchronous=OFF comes first: switching a new file to WAL is a transaction, which
        synchronous=FULL (the default) ends with four fdatasyncs (0.1-0.3 s of a cold build's start
        on a busy disk).

        A new cache being built (``BUILDING``) keeps its rollback journal in memory instead: each
        page is written once, into the file, where WAL wrote it twice (into the log, then into the
        file at each checkpoint): a cold build of 10,000 posts stored its rows for 0.3 CPU-s less.
        A transaction that fails is still rolled back; a process killed mid-transaction may leave
        the file torn, which is why such a file is trusted only once ``seal`` has moved it home,
        after every process that wrote it has finished."""
        db.execute("PRAGMA synchronous=OFF")
        db.execute(f"PRAGMA journal_mode={'MEMORY' if file.name.endswith(BUILDING) else 'WAL'}")
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> sqlite3.Connection:
        """The tables, without their keys' indexes and without the marks that make it a cache of
        this version (``seal``)."""
        db.executescript(_TABLES)
        db.commit()
        return db

    @_guarded(dict)
    def known_digests(self) -> dict[str, tuple[int, int, str]]:
        """path -> (size, mtime_ns, digest) as seen last time."""
        return {p: (s, m, d) for p, s, m, d in self.db.execute("SELECT path, size, mtime_ns, digest FROM files")}

    @_guarded(lambda: None)
    def remember_files(self, rows: list[tuple[str, int, int, str]], present: set[str] | None) -> None:
        """``present``: every file found, to forget the others; None: more rows to come (no sweep)."""
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)
        if self.new or present is None:  # new: every row is this build's, of a file present: none to forget
            return
        gone = [(p,) for (p,) in self.db.execute("SELECT path FROM files") if p not in present]
        self.posts_changed |= bool(gone)
        self.db.executemany("DELETE FROM files WHERE path = ?", gone)
        self.db.executemany("DELETE FROM posts WHERE path = ?", gone)

    @_guarded(dict)
    def read_results(self, key: str, site_url: str) -> dict[tuple[str, str], ReadResult]:
        """(digest, path) -> what reading that post gave, for this config. A row that reading
        could not have written is a miss (counted in ``damaged``), never an answer."""
        found = {}
        cwd = os.getcwd() + os.sep
        for path, digest, data in self.db.execute("SELECT path, digest, data FROM posts WHERE key = ?", (key,)):
            try:
                found[(digest, path)] = read_result(json.loads(data), path, digest, site_url, cwd)
            except (ValueError, TypeError, OverflowError, RecursionError):  # Damaged is a ValueError
                self.damaged += 1
        return found

    @_guarded(lambda: None)
    def store_read(self, key: str, items: list[tuple[str, str, ReadResult]],
                   texts: Mapping[str, str | bytes] | None = None) -> None:
        """``texts``: path -> the row's text (``read_row``) where the reading worker made it already,
        or that text in UTF-8 (``read_row_bytes``: stored as that TEXT, not decoded and encoded again)."""
        # only posts: a file that gives none (a draft, a broken post) is read again every time,
        # so that no row can make a post vanish; such files are few, and reading one is cheap
        texts = texts or {}
        # UTF-8 as a bytearray: the sqlite module binds bytes only after asking the adapter protocol
        # (a failed lookup, two missing attributes), a bytearray at once: 3.3k instructions less a
        # row, for 1.3k the copy costs (10,000 rows in the parent beside the read workers)
        rows = [(path, key, digest, bytearray(text) if type(text := texts.get(path)) is bytes and text
                 else text or read_row((post, problems, naive)))
                for digest, path, (post, problems, naive) in items if post is not None]
        # CAST: sqlite takes UTF-8 bytes as the text they are (a str is bound as TEXT already)
        self.db.executemany("INSERT OR REPLACE INTO posts VALUES (?, ?, ?, CAST(? AS TEXT))", rows)  # one row a file
        gone = 0 if self.new else self.db.executemany(  # a new cache holds no row of a file that gives none
            "DELETE FROM posts WHERE path = ? AND key = ?",
            [(path, key) for _, path, (post, _, _) in items if post is None]).rowcount
        self.posts_changed |= bool(rows) or gone > 0
        if not self.new:  # a new cache holds only this key's rows
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
        rows, said, _ = _rendered_rows(items, {})
        _insert(self.db, rows, said, [])

    @_guarded(lambda: True)
    def said_anything(self) -> bool:
        """Whether rendering said anything of any post here (a row of render_problems): the cache
        of a site whose posts render cleanly has none, and then no post need be looked up."""
        return self.db.execute("SELECT 1 FROM render_problems LIMIT 1").fetchone() is not None

    @_guarded(lambda: ({}, []))
    def render_problems(self, wanted: dict[str, str]) -> tuple[dict[str, list[Problem]], list[str]]:
        """rkey -> what rendering it said, for the ``wanted`` rkeys (rkey -> the post's path);
        only posts that had something to say have a row. Also the rkeys whose row is damaged
        (counted, and forgotten with their content: rendering them again is the answer)."""
        found, bad = {}, []
        for rkey, data in self.db.execute("SELECT rkey, data FROM render_problems"):
            if rkey not in wanted:
                continue
            try:
                found[rkey] = problems_from(json.loads(data), wanted[rkey])
            except (ValueError, TypeError, RecursionError):
                bad.append(rkey)
        self.damaged += len(bad)
        self.db.executemany("DELETE FROM rendered WHERE rkey = ?", [(k,) for k in bad])
        self.db.executemany("DELETE FROM render_problems WHERE rkey = ?", [(k,) for k in bad])
        return found, bad

    @_guarded(lambda: None)
    def keep_rendered(self, live: set[str]) -> None:
        """Forget rendered content no current post has (edited or deleted posts' old versions)."""
        if self.new:
            return
        stale = [(k,) for (k,) in self.db.execute("SELECT rkey FROM rendered") if k not in live]
        self.db.executemany("DELETE FROM rendered WHERE rkey = ?", stale)
        self.db.executemany("DELETE FROM render_problems WHERE rkey = ?", stale)
        self.db.executemany("DELETE FROM fragments WHERE rkey = ?", stale)

    @_guarded(lambda: None)
    def keep_fragments(self, ekey: str) -> None:
        """Forget the fragments an earlier config made (``ekey``: the entry stage's key now); those
        of edited posts go with their rendered content (keep_rendered).

        The entry key of the last sweep is noted in ``meta``: while it stays the same, there is
        nothing to sweep, and the table (8 KB a row) is not scanned. A note that lies (a forged
        cache) can only leave dead rows: a fragment's key holds the entry key it was made with."""
        if self.db.execute("SELECT value FROM meta WHERE name = 'fragments_ekey'").fetchone() == (ekey,):
            return
        if not self.new:
            self.db.execute("DELETE FROM fragments WHERE ekey != ?", (ekey,))
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('fragments_ekey', ?)", (ekey,))

    def commit(self) -> None:
        """Make what was stored visible to other connections (the write workers)."""
        try:
            self.db.commit()
        except sqlite3.DatabaseError:
            self.reset()

    def close(self) -> None:
        """A new cache is sealed here unless it was given to the render workers and their stage
        did not end (a worker may have been killed mid-write): that file is thrown away."""
        try:
            self.db.commit()
            if not self.handed and self._scratch is None:
                self.seal()
            self.db.close()
        except sqlite3.Error:
            pass
        if self.file != self.home:
            _unlink(self.file)
        if self._scratch is not None:
            self._scratch.cleanup()


def _unlink(file: Path) -> None:
    """An sqlite file and its journals."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)


def _sweep(home: Path) -> None:
    """The new caches that builds which stopped left beside ``home`` (their process is gone)."""
    for file in home.parent.glob(f"{glob.escape(home.name)}.*{BUILDING}"):
        pid = file.name[len(home.name) + 1:-len(BUILDING)]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _unlink(file)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: alive
        pass
    return True


PartsRow = tuple[str, str, str, bytes, bytes, bytes]  # a fragment made: (fkey, rkey, ekey, head, body, tail)
_INSERTS = ("INSERT OR REPLACE INTO rendered VALUES (?, ?, ?)", "INSERT OR REPLACE INTO render_problems VALUES (?, ?)",
            "INSERT OR REPLACE INTO fragments VALUES (?, ?, ?, ?, ?)")


def _insert(db: sqlite3.Connection, rows: list[tuple[str, str, bytes | None]], said: list[tuple[str, str]],
            split: list[tuple[str, str, str, bytes, bytes | None]]) -> None:
    """Rendered rows and what rendering said (``_rendered_rows``), fragment rows (``_split``)."""
    values: tuple[list[Any], ...] = (rows, said, split)
    for statement, these in zip(_INSERTS, values):
        if these:
            db.executemany(statement, these)


def joined_rows(where: str) -> str:
    """The query of the fragment rows ``where`` says (an SQL condition on ``f``), each with its
    post's body where the row was split around one: (fkey, rkey, head, tail, body), for ``joined``."""
    return ("SELECT f.fkey, f.rkey, f.head, f.tail, r.body FROM fragments f LEFT JOIN rendered r "
            f"ON r.rkey = f.rkey AND f.tail IS NOT NULL WHERE {where}")


def _rendered_rows(items: list[tuple[str, Rendered, list[Problem]]], bodies: Mapping[str, bytes | None]
                   ) -> tuple[list[tuple[str, str, bytes | None]], list[tuple[str, str]], dict[str, bytes]]:
    """The rendered rows, the problem rows, and rkey -> the body stored. The content is stored as
    the bytes its fragments carry (``content_bytes``, given in ``bodies`` where the caller has
    them), which the fragments then leave out (``_split``)."""
    rows: list[tuple[str, str, bytes | None]] = []
    stored: dict[str, bytes] = {}
    for rkey, r, _ in items:
        body = bodies[rkey] if rkey in bodies else content_bytes(r.content)
        if body is None:  # feedgen's to write: kept as text
            rows.append((rkey, row_text([r.content, r.summary]), None))
        else:
            rows.append((rkey, row_text([None, r.summary]), body))
            stored[rkey] = body
    return rows, [(rkey, row_text(said_rows(probs))) for rkey, _, probs in items if probs], stored


def _split(rows: list[tuple[str, str, str, bytes]], bodies: Mapping[str, bytes]
           ) -> list[tuple[str, str, str, bytes, bytes | None]]:
    """Fragment rows (fkey, rkey, ekey, bytes) as stored: (fkey, rkey, ekey, head, tail) around
    the body of their rkey where the fragment holds it (``head + body + tail`` is the fragment),
    else (fkey, rkey, ekey, the fragment, NULL)."""
    split: list[tuple[str, str, str, bytes, bytes | None]] = []
    for fkey, rkey, ekey, data in rows:
        body = bodies.get(rkey)
        at = _where(data, body) if body else -1
        if body is None or at < 0:
            split.append((fkey, rkey, ekey, data, None))
        else:
            split.append((fkey, rkey, ekey, data[:at], data[at + len(body):]))
    return split


def _split_parts(rows: list[PartsRow], bodies: Mapping[str, bytes]) -> list[tuple[str, str, str, bytes, bytes | None]]:
    """``_split`` of fragments made as (head, body, tail) (``PartsRow``): split where they were made
    when ``body`` is the body stored for their rkey (no search), else stored whole."""
    split: list[tuple[str, str, str, bytes, bytes | None]] = []
    for fkey, rkey, ekey, head, body, tail in rows:
        if body and body == bodies.get(rkey):  # the same object, nearly always: no bytes compared
            split.append((fkey, rkey, ekey, head, tail))
        else:
            split.append((fkey, rkey, ekey, b"".join((head, body, tail)) if body or tail else head, None))
    return split


def _where(data: bytes, body: bytes) -> int:
    """Where ``body`` is in ``data`` (-1: nowhere): found by its first bytes and compared there
    (``find`` of the whole, a long needle, took 20 µs a fragment; this, one µs). When those first
    bytes come earlier too (a title that starts like the content), the whole is searched for from
    there: comparing at each such place costs the length of the match each time, quadratic in a
    long title that repeats the content's start (800 KB: 22 s), where ``find`` stays linear."""
    at = data.find(body[:64])
    if at >= 0 and not data.startswith(body, at):
        at = data.find(body, at + 1)
    return at


def _bodies_of(db: sqlite3.Connection, rkeys: list[str]) -> dict[str, bytes]:
    """rkey -> the body stored for it, for those of ``rkeys`` that have one."""
    found: dict[str, bytes] = {}
    for start in range(0, len(rkeys), 500):
        chunk = rkeys[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update((k, b) for k, b in db.execute(f"SELECT rkey, body FROM rendered WHERE rkey IN ({marks})", chunk)
                     if type(b) is bytes)
    return found


def joined(head: Any, tail: Any, body: bytes | None) -> bytes | None:
    """A stored fragment's bytes: ``head`` alone, or with its post's body and ``tail`` (None
    when that body is not there, or the row is of another shape: a miss)."""
    if type(head) is not bytes:
        return None
    if tail is None:
        return head
    if type(tail) is not bytes or body is None:
        return None
    return b"".join((head, body, tail))


def fragment_digest(data: bytes) -> bytes:
    """sha256: collision-resistant (a fragment's bytes may be anyone's), and at 1 GB/s the
    cheapest such hash here (hashed in hardware where the processor can)."""
    return hashlib.sha256(data).digest()


class WorkerCache:
    """The rendered-content part of the cache, as a worker process uses it: its own connection
    (sqlite connections do not survive fork), so rendered bodies go from the worker straight to
    the file, and no process ever holds every body. A damaged cache costs work, never a build:
    ``put`` then stores nothing and ``get`` answers what it can; callers render what is missing."""

    MEMO_BYTES = 32 * 1024 * 1024  # fragments a worker keeps at hand: a post is in several feeds

    def __init__(self, file: Path, fresh: frozenset[str] = frozenset(), checked: Mapping[str, bytes] | None = None,
                 made: Handoff | None = None):
        self.file = file
        self.fresh = fresh  # rkeys this build rendered: their rows are its own, not input
        # fkey -> the digest of the bytes that passed the check before the write stage (entry_check)
        self.checked: Mapping[str, bytes] = checked or {}
        # the fragments the render stage made in this build and handed over in memory (``handoff``):
        # its own, never read from the cache nor checked, nor kept in the memo (they are at hand already)
        self.made = made or Handoff()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._memo: OrderedDict[str, bytes] = OrderedDict()  # fkey -> fragment checked or made here
        self._memo_bytes = 0
        # fkey -> the digest of what was checked or made here, for the fragments the memo let go:
        # a fragment read again is known when its bytes are the same (no byte cap: 32 bytes each)
        self._digests: dict[str, bytes] = {}
        self._own: set[str] = set()  # fkeys in the memo made from content this build rendered (``remember``)
        # fkey -> where its post's body lies in the bytes ``fragments`` gave for it (head + body + tail):
        # a hint for searches (``media.has_image``), which check it, never trust it
        self.spans: dict[str, tuple[int, int]] = {}

    def _connection(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            self._db, self._pid = Cache._tune(sqlite3.connect(self.file, timeout=60), self.file), os.getpid()
        return self._db

    def get(self, rkeys: list[str]) -> tuple[dict[str, Rendered], set[str]]:
        """The rendered content of these rkeys that is here, and the rkeys whose row is damaged."""
        marks = ",".join("?" * len(rkeys))
        found, bad = {}, set()
        try:
            rows = self._connection().execute(f"SELECT rkey, data, body FROM rendered WHERE rkey IN ({marks})",
                                              rkeys)
            for rkey, data, body in rows:
                try:
                    found[rkey] = rendered_from_json(json.loads(data), body)
                except (ValueError, TypeError, RecursionError):
                    bad.add(rkey)
        except sqlite3.Error:
            pass
        return found, bad

    def put(self, items: list[tuple[str, Rendered, list[Problem]]], fragments: list[PartsRow] | None = None,
            bodies: Mapping[str, bytes | None] | None = None) -> bool:
        """Rendered content (and the fragments made from it: (fkey, rkey, ekey, head, body, tail)
        rows, stored as the bytes around the body of their rkey among ``items`` where ``body`` is it),
        in one transaction per batch; False when nothing could be stored. ``bodies``: rkey ->
        ``content_bytes`` of its content, where the caller has them (made for the fragments). The
        rows are made before the transaction starts: the render workers share the file, and each
        waits while another holds it."""
        rows, said, stored = _rendered_rows(items, bodies or {})
        split = _split_parts(fragments or [], stored)
        try:
            with self._connection() as db:
                _insert(db, rows, said, split)
            return True
        except sqlite3.Error:
            return False

    def fragments(self, fkeys: Mapping[str, str]) -> tuple[dict[str, bytes], set[str]]:
        """The fragments of these fkeys (fkey -> the rkey it is made from) that are here, and which
        of them this process has already checked or made, or were checked before the write stage,
        the same bytes (``checked``), or were made in this build (``made``; the others are input:
        see fragment_check). A row that names
        another rkey would be joined to another post's content (any number of rows to one body):
        it is read as no bytes, which no check passes, so that it is made again and counted."""
        found = self.made.fragments(fkeys)
        missing, memo = [], self._memo
        for k in fkeys:
            if k in found:
                continue
            if k in memo:
                found[k] = memo[k]
            else:
                missing.append(k)
        known = set(found)
        if not missing:
            return found, known
        got: set[str] = set()
        try:
            for k, rkey, head, tail, body in self._rows("f.rkey", list(dict.fromkeys(fkeys[k] for k in missing))):
                got.add(k)
                self._take(fkeys, k, rkey, head, tail, body, found, known)
            # a row that names another post's rkey than its fkey's (forged) is read too, as no bytes
            for k, rkey, head, tail, body in self._rows("f.fkey", [k for k in missing if k not in got]):
                self._take(fkeys, k, rkey, head, tail, body, found, known)
        except sqlite3.Error:
            pass
        return found, known

    def _rows(self, column: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        """The stored fragment rows (``joined_rows``) whose ``column`` is one of ``keys``. By post
        (``f.rkey``): the fragments of a feed's entries in all their formats in one index range each,
        where looking each fkey up took a search per format (a fifth of the query's time)."""
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self._connection().execute(joined_rows(f"{column} IN ({marks})"), chunk)

    def _take(self, fkeys: Mapping[str, str], k: Any, rkey: Any, head: Any, tail: Any, body: Any,
              found: dict[str, bytes], known: set[str]) -> None:
        """One row for ``fragments``: another format's, or another entry key's, of the same post is not wanted."""
        if k not in fkeys or k in found:
            return
        d = joined(head, tail, body if type(body) is bytes else None) if rkey == fkeys[k] else b""
        if d is not None:
            found[k] = d
            if tail is not None and d:
                self.spans[k] = (len(head), len(d) - len(tail))
            if (k in self._digests or k in self.checked) \
                    and fragment_digest(d) in (self._digests.get(k), self.checked.get(k)):
                known.add(k)

    def remember(self, fkey: str, data: bytes, own: bool = False) -> None:
        """Keep a fragment this process checked or made at hand, within MEMO_BYTES; beyond that,
        its digest (``fragments``: the same bytes read again are known), unless it is one of
        ``checked``, whose digest is there already (other bytes under its key are checked again),
        or ``own``: made from content this build rendered (``fresh``), whose rows are never
        checked (a cold build's every fragment: hashing each one the memo let go cost 5 % of its
        write stage)."""
        if fkey not in self._memo and fkey not in self.made.entries:
            self._memo[fkey] = data
            self._memo_bytes += len(data)
            if own:
                self._own.add(fkey)
            while self._memo_bytes > self.MEMO_BYTES:
                gone, data = self._memo.popitem(last=False)
                self._memo_bytes -= len(data)
                self.spans.pop(gone, None)
                if gone in self._own:
                    self._own.discard(gone)
                elif gone not in self.checked:
                    self._digests[gone] = fragment_digest(data)

    def handed(self, fkeys: Sequence[str]) -> tuple[list[bytes], list[tuple[int, int] | None], list[int]]:
        """The fragments the render stage handed over, in the order of ``fkeys`` (``Handoff.take``):
        this build's own, so known as they are (``fragments`` answers them so), and never kept in
        the memo (``remember``: they are at hand already)."""
        return self.made.take(fkeys)

    def span(self, fkey: str) -> tuple[int, int] | None:
        """Where its post's body lies in the bytes ``fragments`` gave for ``fkey``, where known: a
        hint for searches (``media.has_image``), which check it, never trust it."""
        return self.made.span(fkey) if fkey in self.made.entries else self.spans.get(fkey)

    def put_fragments(self, rows: list[tuple[str, str, str, bytes]]) -> None:
        """(fkey, rkey, ekey, bytes) rows, in one transaction."""
        try:
            with self._connection() as db:
                _put_fragments(db, rows)
        except sqlite3.Error:
            pass


def _put_fragments(db: sqlite3.Connection, rows: list[tuple[str, str, str, bytes]]) -> None:
    """Fragment rows (the write stage's repairs), each split around its post's stored body where
    that body passes the check."""
    stored = _bodies_of(db, list({rkey for _, rkey, _, _ in rows}))
    _insert(db, [], [], _split(rows, {k: b for k, b in stored.items() if content_from_bytes(b) is not None}))
