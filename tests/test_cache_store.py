"""Storing a cold build's rows (store7): a new cache is built beside its home (``.<pid>.building``),
its rollback journal in memory (each page written once: no WAL, no checkpoint) and without its
keys' indexes, which ``Cache.seal`` makes once the render workers have all finished, before it
moves the file home. Until then the file is no cache at all: a build killed anywhere leaves a
cache the next build uses (every row there, indexed) or one it never opens, and never a wrong feed.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_cache import POSTS, cold, make_site, tree

from feeds import build, load_config
from feeds.cache import BUILDING, SCHEMA, Cache

INDEXES = {"files_by_path", "posts_by_path", "rendered_by_rkey", "render_problems_by_rkey", "fragments_by_fkey",
           "fragments_by_rkey"}


def _home(root: Path) -> Path:
    return root / ".cache" / "config.sqlite3"


def _indexes(db: sqlite3.Connection) -> set[str]:
    listed = db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name != 'meta'")
    return {name for (name,) in listed}


def _count(db: sqlite3.Connection, table: str, key: str) -> tuple[int, int]:
    """(rows, distinct keys)"""
    return db.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()


# --- what a cold build's render workers write into, and what they leave -----------------------

@pytest.mark.parametrize("jobs", [1, 2])
def test_a_cold_builds_rows_are_stored_without_a_wal_or_indexes_and_all_there_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """Each render transaction wrote its pages into the WAL, then a checkpoint wrote them again,
    and it kept up three indexes keyed by hashes (most of their pages rewritten by every batch).
    Here the workers (forked: they inherit the hook) write a file with neither; once the stage is
    over, every row is there, each key once, indexed, and the cache is where the next build looks."""
    from feeds import cache, workers

    config = make_site(tmp_path, {"build": {"jobs": jobs}, "feeds": {"formats": ["atom", "rss"], "limit": 0}})
    monkeypatch.chdir(tmp_path)
    seen, pids = tmp_path / "seen.txt", tmp_path / "pids.txt"
    real = cache.WorkerCache.put

    def put(self: cache.WorkerCache, *args: object) -> bool:
        db = self._connection()
        with open(seen, "a") as note:  # one line a transaction, from whichever process made it
            note.write(f"{self.file.name.endswith(BUILDING)} {Path(f'{self.file}-wal').exists()} "
                       f"{db.execute('PRAGMA journal_mode').fetchone()[0]} {len(_indexes(db))}\n")
        with open(pids, "a") as note:
            note.write(f"{os.getpid()}\n")
        return real(self, *args)  # type: ignore[arg-type]
    monkeypatch.setattr(cache.WorkerCache, "put", put)
    cold = build(load_config(config))
    assert not cold.errors and cold.written
    notes = seen.read_text().splitlines()
    assert len(notes) == -(-POSTS // workers.RENDER_BATCH) and set(notes) == {"True False memory 0"}, set(notes)
    assert bool(set(pids.read_text().split()) - {str(os.getpid())}) == (jobs > 1)  # the workers wrote, forked
    assert not list(_home(tmp_path).parent.glob(f"*{BUILDING}*"))
    db = sqlite3.connect(_home(tmp_path))
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert _indexes(db) == INDEXES
        assert dict(db.execute("SELECT name, value FROM meta WHERE name IN ('app', 'schema')")) == {
            "app": "feeds-cache", "schema": str(SCHEMA)}
        assert _count(db, "files", "path") == (POSTS, POSTS)
        assert _count(db, "posts", "path") == (POSTS, POSTS)
        assert _count(db, "rendered", "rkey") == (POSTS, POSTS)  # every post: feeds.limit 0
        assert _count(db, "fragments", "fkey") == (2 * POSTS, 2 * POSTS)
        for plan in ("SELECT body FROM rendered WHERE rkey = 'x'", "SELECT head FROM fragments WHERE rkey = 'x'",
                     "SELECT head FROM fragments WHERE fkey = 'x'", "SELECT data FROM posts WHERE path = 'x'"):
            assert "USING" in str(db.execute(f"EXPLAIN QUERY PLAN {plan}").fetchall()), plan
    finally:
        db.close()
    published = tree(tmp_path / "public")
    monkeypatch.setattr(cache.WorkerCache, "put", lambda *a: pytest.fail("a cached post was rendered again"))
    (tmp_path / "public" / "feed.xml").unlink()  # one feed to make again, from the cache's rows
    again = build(load_config(config), replay=False)
    assert not again.errors and again.written == ["feed.xml"] and tree(tmp_path / "public") == published


def test_a_cache_given_to_the_render_workers_is_thrown_away_unless_their_stage_ends(tmp_path: Path) -> None:
    """A worker killed mid-transaction may leave the file torn (its journal was in its memory):
    a build stopped in the render stage (``close`` without ``seal``) leaves no cache."""
    cache = Cache(tmp_path)
    building = cache.file
    assert building.name == f"cache.sqlite3.{os.getpid()}{BUILDING}" and not cache.home.exists()
    cache.for_workers().put([])
    cache.close()
    assert not building.exists() and not cache.home.exists()


def test_a_new_cache_no_worker_wrote_is_sealed_when_it_closes(tmp_path: Path) -> None:
    """A build that stops before rendering (errors in its posts, say) keeps what reading gave."""
    cache = Cache(tmp_path)
    cache.remember_files([("a.md", 1, 2, "d")], {"a.md"})
    cache.close()
    again = Cache(tmp_path)
    try:
        assert again.trusted and not again.new and again.file == again.home
        assert again.known_digests() == {"a.md": (1, 2, "d")}
        assert _indexes(again.db) == INDEXES
    finally:
        again.close()


def test_a_key_stored_twice_before_the_seal_keeps_its_last_row(tmp_path: Path) -> None:
    """No build stores a key twice in a new cache, but the seal must not lose the cache if one did:
    the last row stays, as INSERT OR REPLACE keeps it once the unique indexes exist."""
    cache = Cache(tmp_path)
    cache.db.executemany("INSERT OR REPLACE INTO rendered VALUES (?, ?, NULL)", [("r", "first"), ("r", "last")])
    cache.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, 'r', 'e', ?, NULL)",
                         [("f", b"first"), ("g", b"other"), ("f", b"last")])
    cache.seal()
    try:
        assert cache.file == cache.home and _indexes(cache.db) == INDEXES
        assert cache.db.execute("SELECT rkey, data FROM rendered").fetchall() == [("r", "last")]
        assert sorted(cache.db.execute("SELECT fkey, head FROM fragments").fetchall()) == [("f", b"last"),
                                                                                          ("g", b"other")]
    finally:
        cache.close()


def test_a_building_file_left_by_a_stopped_build_is_deleted_by_the_next(tmp_path: Path) -> None:
    """Only a stopped build's: one whose process still runs is another build's, at work."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(done.stdout)  # reaped: no process has this id now
    left = tmp_path / f"config.sqlite3.{gone}{BUILDING}"
    busy = tmp_path / f"config.sqlite3.{os.getppid()}{BUILDING}"
    other = tmp_path / f"other.sqlite3.{gone}{BUILDING}"
    for file in (left, Path(f"{left}-journal"), busy, other):
        file.write_bytes(b"half a cache")
    Cache(tmp_path, name="config").close()
    assert not left.exists() and not Path(f"{left}-journal").exists()
    assert busy.exists() and other.exists()


# --- killed builds ------------------------------------------------------------------------------

KILL = textwrap.dedent("""
    import os, signal, sys
    from feeds import cache
    moment = os.environ["KILL_AT"]

    def kill():
        os.killpg(0, signal.SIGKILL)

    real_insert, calls = cache._insert, []
    def _insert(db, rows, said, split):
        calls.append(1)
        if moment == "mid-render" and len(calls) == 2:  # half a transaction, its pages on disk
            db.execute("PRAGMA cache_size=1")
            db.executemany(cache._INSERTS[0], rows)
            kill()
        return real_insert(db, rows, said, split)
    cache._insert = _insert

    real_store = cache.Cache.store_read
    def store_read(self, key, items, texts=None):
        real_store(self, key, items, texts)
        if moment == "mid-read":
            self.db.execute("PRAGMA cache_size=1")
            self.db.executemany("INSERT INTO files VALUES ('x', 1, 2, 'y')", [()] * 2000)
            kill()
    cache.Cache.store_read = store_read

    real_seal = cache.Cache.seal
    def seal(self):
        if moment == "before-seal":
            kill()
        real_seal(self)
        if moment == "after-seal":
            kill()
    cache.Cache.seal = seal

    real_replace = cache.os.replace
    def replace(src, dst):
        if moment == "at-rename" and str(src).endswith(cache.BUILDING):
            kill()
        real_replace(src, dst)
    cache.os.replace = replace

    from feeds.cli import main
    sys.argv = ["feeds", *sys.argv[1:]]
    main()
""")


@pytest.mark.parametrize("moment", ["mid-read", "mid-render", "before-seal", "at-rename", "after-seal"])
def test_a_build_killed_while_it_fills_a_new_cache_never_leads_to_a_wrong_feed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    """SIGKILL to the whole build (its render workers too) at a point a hook chooses: the next build
    uses the cache the killed one sealed, or builds a new one, and publishes what a cold build does."""
    config = make_site(tmp_path, {"build": {"jobs": 2}})
    env = {**os.environ, "KILL_AT": moment, "SOURCE_DATE_EPOCH": "1700000000"}
    killed = subprocess.run([sys.executable, "-c", KILL, "build", "-q", "--config", str(config)], cwd=tmp_path,
                            env=env, capture_output=True, start_new_session=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    sealed = moment == "after-seal"
    assert _home(tmp_path).exists() == sealed
    assert bool(list(_home(tmp_path).parent.glob(f"*{BUILDING}"))) != sealed  # the killed build's, or none
    env["KILL_AT"] = "never"
    for attempt in ("next", "after"):
        done = subprocess.run([sys.executable, "-c", KILL, "build", "--config", str(config)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "damaged" not in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert not list(_home(tmp_path).parent.glob(f"*{BUILDING}*")), attempt
        assert _home(tmp_path).exists(), attempt
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cold").mkdir()
    assert tree(tmp_path / "public") == cold(config, tmp_path / "cold")


def test_a_cache_that_cannot_be_made_in_its_place_is_made_in_a_scratch_folder(tmp_path: Path) -> None:
    """Its folder is a file: the new cache is built, sealed and used in a scratch folder, which
    ``close`` removes; nothing is left where the cache would have been."""
    (tmp_path / "taken").write_text("a file, not a folder")
    cache = Cache(tmp_path / "taken", name="config")
    scratch = cache.home.parent
    try:
        assert cache.new and scratch != tmp_path / "taken" and cache.file.name.endswith(BUILDING)
        cache.remember_files([("a.md", 1, 2, "d")], {"a.md"})
        cache.seal()
        assert cache.file == cache.home and cache.known_digests() == {"a.md": (1, 2, "d")}
    finally:
        cache.close()
    assert not scratch.exists() and (tmp_path / "taken").read_text() == "a file, not a folder"


def test_a_new_cache_given_to_the_write_workers_is_thrown_away_unless_their_stage_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache found damaged after the render stage (reset: a new file, being built) is the file
    the write workers then store into: a write stage that does not end (a worker killed
    mid-transaction may leave it torn) leaves no cache, as a render stage that does not end does."""
    from feeds import workers

    config = make_site(tmp_path, {"build": {"jobs": 2}, "feeds": {"formats": ["atom", "rss"], "limit": 0}})
    monkeypatch.chdir(tmp_path)
    real = workers.render_problems

    def render_problems(cfg: object, key: str, specs: object, cache: Cache, *args: object) -> object:
        said = real(cfg, key, specs, cache, *args)  # type: ignore[arg-type]
        cache.reset()  # found damaged here
        return said

    def write_task(index: int) -> object:
        raise RuntimeError("a write worker stopped")
    monkeypatch.setattr(workers, "render_problems", render_problems)
    monkeypatch.setattr(workers, "_write_task", write_task)
    with pytest.raises(RuntimeError, match="a write worker stopped"):
        build(load_config(config), replay=False)
    again = Cache(_home(tmp_path).parent, name="config")
    try:
        assert not again.trusted
    finally:
        again.close()


def test_whether_rendering_said_anything_is_asked_before_every_entry_is_looked_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean site's cache holds no render problem (the write stage's warnings then need no key of
    any entry); one warned post's row is found, and the rerun warns as the first build did."""
    config = make_site(tmp_path, {"build": {"jobs": 2}, "feeds": {"limit": 0}})
    monkeypatch.chdir(tmp_path)
    assert not build(load_config(config), replay=False).problems
    cache = Cache(_home(tmp_path).parent, name="config")
    try:
        assert not cache.said_anything()
    finally:
        cache.close()
    looked: list[int] = []
    real = Cache.render_problems
    monkeypatch.setattr(Cache, "render_problems", lambda self, *a: (looked.append(1), real(self, *a))[1])
    (tmp_path / "site/_posts/2022-03-05-new.md").write_text("---\ntitle: New\n---\nnew\n", encoding="utf-8")
    assert not build(load_config(config), replay=False).problems and looked == []  # a clean site: not looked up
    body = (Path(__file__).parent / "fixtures/posts/2022-03-04-control-chars-in-body.md").read_bytes()
    (tmp_path / "site/_posts/2022-03-04-control-chars-in-body.md").write_bytes(body)
    first, again = build(load_config(config), replay=False), build(load_config(config), replay=False)
    assert [p.message for p in again.problems] == [p.message for p in first.problems] and len(first.problems) == 1
    cache = Cache(_home(tmp_path).parent, name="config")
    try:
        assert cache.said_anything()
    finally:
        cache.close()
