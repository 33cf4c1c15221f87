"""The cache and the incremental path (issue 4): a rebuild from the cache must give exactly
the bytes a cold build gives, for edits, additions, deletions and config changes, and must
rewrite only the feeds that carry the changed post. A damaged or foreign cache is rebuilt."""
from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from feeds import build, load_config
from feeds.config import Config

POSTS = 160  # enough for the worker pool to start (parallel.MIN_TASKS_PER_JOB * 2 tasks)
CATS = ["zhongguoyouzhengkuaidibao", "21caijingAPP", "TechWeb", "科技", "news"]
TAGS = ["中国邮政快递报新闻", "快递新闻", "open source", "财经", "天气", "汽车"]


def write_post(site: Path, n: int, body_extra: str = "") -> Path:
    rnd = random.Random(n)
    path = site / "_posts" / f"2022-{1 + n % 12:02d}-{1 + n % 28:02d}-post-{n}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    cats = " ".join(rnd.sample(CATS, rnd.choice([1, 2])))
    tags = rnd.sample(TAGS, rnd.choice([1, 2, 3]))
    path.write_text(
        f"---\ntitle: \"第{n}篇 post {n}\"\ndate: 2022-{1 + n % 12:02d}-{1 + n % 28:02d} "
        f"{n % 24:02d}:{n % 60:02d}:00 +0800\ncategories: {cats}\ntags: [{', '.join(tags)}]\n---\n"
        f"<p>正文 {n} {body_extra}</p>\n\n[相关](../related-{n}/) ![图](img/{n}.png)\n", "utf-8")
    return path


def make_site(root: Path, extra: dict[str, Any] | None = None) -> Path:
    site = root / "site"
    for n in range(POSTS):
        write_post(site, n)
    config = {"site": {"title": "Cache test", "url": "https://c.test"}, "source": "site",
              "timezone": "Asia/Shanghai", "output": "public", "cache": {"path": ".cache"}, **(extra or {})}
    (root / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return root / "config.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def cold(config: Path, tmp: Path, **overrides: Any) -> dict[str, bytes]:
    """A build from nothing: no cache, an empty output folder."""
    out = tmp / f"cold-{len(list(tmp.iterdir()))}"
    cfg = load_config(config, {"output": str(out), **overrides})
    cfg = _without_cache(cfg)
    result = build(cfg)
    assert not result.errors, result.errors
    return tree(out)


def _without_cache(cfg: Config) -> Config:
    from dataclasses import replace
    return replace(cfg, cache=None)


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The site and its first build (output, records, cache), made once for the module:
    (the folder the tests use, a copy to put it back from)."""
    root = tmp_path_factory.mktemp("cache")
    work, pristine = root / "work", root / "pristine"
    work.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOURCE_DATE_EPOCH", "1700000000")
        first = build(load_config(make_site(work)))
    assert first.written and not first.errors
    shutil.copytree(work, pristine, symlinks=True, copy_function=shutil.copy2)  # mtimes too: the records hold them
    return work, pristine


@pytest.fixture
def site(first_build: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The site just after its first build, in the same folder every time (tests may change it)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    work, pristine = first_build
    shutil.rmtree(work)
    shutil.copytree(pristine, work, symlinks=True, copy_function=shutil.copy2)
    return work / "config.yaml"


def rebuild(config: Path, **overrides: Any) -> tuple[list[str], dict[str, bytes]]:
    result = build(load_config(config, overrides))
    assert not result.errors, result.errors
    return sorted(result.written), tree(config.parent / "public")


def feeds_of(config: Path, title: str) -> set[str]:
    """The feed files whose entries include the post with this title."""
    from feeds.pipeline import load
    _, specs, _ = load(load_config(config))
    return {f.path for s in specs if any(p.title == title for p in s.entries) for f in s.files}


def test_no_change_rebuild_writes_nothing(site: Path) -> None:
    written, _ = rebuild(site)
    assert written == []


def test_new_mtimes_same_bytes_write_nothing(site: Path) -> None:
    """A fresh CI clone: every file touched, no byte changed. The cache is keyed by content."""
    for path in (site.parent / "site" / "_posts").iterdir():
        os.utime(path, ns=(1_800_000_000_000_000_000, 1_800_000_000_000_000_000))
    written, _ = rebuild(site)
    assert written == []


def test_edit_rewrites_only_the_feeds_that_carry_the_post(site: Path, tmp_path: Path) -> None:
    before = feeds_of(site, "第159篇 post 159")
    write_post(site.parent / "site", 159, body_extra="（更正）")
    written, out = rebuild(site)
    assert set(written) - {"feeds.opml", "feeds.html"} == before
    assert out == cold(site, tmp_path)


def test_addition_matches_a_cold_build(site: Path, tmp_path: Path) -> None:
    write_post(site.parent / "site", 999)
    written, out = rebuild(site)
    assert "feeds.html" in written  # the index page shows each feed's count of posts
    assert set(written) - {"feeds.opml", "feeds.html"} == feeds_of(site, "第999篇 post 999")
    assert out == cold(site, tmp_path)


def test_deletion_matches_a_cold_build(site: Path, tmp_path: Path) -> None:
    victim = next((site.parent / "site" / "_posts").glob("*-post-7.md"))
    before = feeds_of(site, "第7篇 post 7")
    victim.unlink()
    written, out = rebuild(site)
    assert out == cold(site, tmp_path)
    assert before and all("/post-7.html" not in data.decode() for data in out.values())
    assert set(written) - {"feeds.opml", "feeds.html"} <= before


@pytest.mark.parametrize("overrides", [
    {"feeds.limit": 3}, {"site.title": "Renamed"}, {"site.url": "https://other.test"}, {"timezone": "UTC"},
])
def test_config_change_matches_a_cold_build(site: Path, tmp_path: Path, overrides: dict[str, Any]) -> None:
    _, out = rebuild(site, **overrides)
    assert out == cold(site, tmp_path, **overrides)


def test_two_jobs_and_one_job_give_the_same_bytes(site: Path, tmp_path: Path) -> None:
    one = cold(site, tmp_path, **{"build.jobs": 1})
    two = cold(site, tmp_path, **{"build.jobs": 2})
    assert one == two and len(one) > 20


@pytest.mark.parametrize("damage", ["garbage", "foreign", "truncated", "bad rows"])
def test_damaged_cache_is_rebuilt_never_trusted(site: Path, tmp_path: Path, damage: str) -> None:
    file = site.parent / ".cache" / "config.sqlite3"
    if damage != "bad rows":
        for suffix in ("-wal", "-shm"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
    if damage == "garbage":
        file.write_bytes(b"not a database at all" * 100)
    elif damage == "foreign":
        file.unlink()
        db = sqlite3.connect(file)
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('app', 'somebody-else')")
        db.commit()
        db.close()
    elif damage == "truncated":
        data = file.read_bytes()
        file.write_bytes(data[: len(data) // 3])
    else:
        db = sqlite3.connect(file)
        db.execute("UPDATE posts SET data = '[1, 2'")
        db.execute("UPDATE rendered SET data = 'null'")
        db.commit()
        db.close()
    write_post(site.parent / "site", 3, body_extra="changed")
    _, out = rebuild(site)
    assert out == cold(site, tmp_path)


def test_a_cache_of_the_schema_before_is_rebuilt(site: Path, tmp_path: Path) -> None:
    """Schema 9 stored a post's content in each of its fragments and as JSON text in its rendered
    row; schema 10 stores it once. A cache a CI run restores from the version before (the same rows,
    in the old layout) is thrown away whole, never read with the new layout's queries: the build
    is a cold one's, says nothing, and leaves a cache of the new layout."""
    from feeds.cache import SCHEMA, joined
    from feeds.xmlfast import content_from_bytes

    file = site.parent / ".cache" / "config.sqlite3"
    db = sqlite3.connect(file)
    rendered = [(k, json.dumps([content_from_bytes(b) if b is not None else json.loads(d)[0], json.loads(d)[1]]))
                for k, d, b in db.execute("SELECT rkey, data, body FROM rendered").fetchall()]
    fragments = [(f, r, e, joined(h, t, b)) for f, r, e, h, t, b in db.execute(
        "SELECT f.fkey, f.rkey, f.ekey, f.head, f.tail, r.body FROM fragments f JOIN rendered r USING (rkey)")]
    assert rendered and fragments and all(data for *_, data in fragments)
    db.executescript("DROP TABLE rendered; DROP TABLE fragments;"
                     "CREATE TABLE rendered (rkey TEXT PRIMARY KEY, data TEXT);"
                     "CREATE TABLE fragments (fkey TEXT PRIMARY KEY, rkey TEXT, ekey TEXT, data BLOB);"
                     "UPDATE meta SET value = '9' WHERE name = 'schema';")
    db.executemany("INSERT INTO rendered VALUES (?, ?)", rendered)
    db.executemany("INSERT INTO fragments VALUES (?, ?, ?, ?)", fragments)
    db.commit()
    db.close()
    shutil.rmtree(site.parent / "public")
    shutil.rmtree(site.parent / ".public.feeds")
    result = build(load_config(site))
    assert not result.errors and not result.warnings, result.problems
    assert tree(site.parent / "public") == cold(site, tmp_path)
    db = sqlite3.connect(file)
    try:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone() == (str(SCHEMA),)
        assert [c[1] for c in db.execute("PRAGMA table_info(fragments)")] == ["fkey", "rkey", "ekey", "head", "tail"]
        assert db.execute("SELECT count(*) FROM fragments WHERE tail IS NOT NULL").fetchone()[0] > 0
    finally:
        db.close()


def test_the_cache_location_is_configurable_and_can_be_off(tmp_path: Path) -> None:
    config = make_site(tmp_path, {"cache": {"path": "elsewhere/cache"}})
    build(load_config(config))
    assert (tmp_path / "elsewhere" / "cache" / "config.sqlite3").is_file()
    config = make_site(tmp_path / "two", {"cache": {"path": None}})
    result = build(load_config(config))
    assert result.written and not (tmp_path / "two" / ".feeds-cache").exists()


def test_forgetting_a_posts_fragments_looks_them_up_by_index(tmp_path: Path) -> None:
    """keep_rendered deletes fragments by render key, one statement per stale post: without an
    index each is a scan of the whole table (65 s for 1,884 re-rendered posts of a real site)."""
    from feeds.cache import Cache

    cache = Cache(tmp_path / "c", name="x")
    try:
        cache.seal()  # a new cache's indexes are made once its rows are in
        plan = " ".join(str(row) for row in cache.db.execute(
            "EXPLAIN QUERY PLAN DELETE FROM fragments WHERE rkey = ?", ("k",)))
    finally:
        cache.close()
    assert "USING INDEX fragments_by_rkey" in plan or "USING COVERING INDEX fragments_by_rkey" in plan, plan


def test_fragments_of_an_earlier_entry_config_are_swept_once_and_then_the_table_is_left_alone(site: Path) -> None:
    """A change that re-makes the entries (feeds.first_image) sweeps the fragments the old config
    made; while the entry key stays the same, no build scans the fragments table again."""
    from feeds.cache import Cache
    from feeds.stages import stage_key

    file = site.parent / ".cache" / "config.sqlite3"

    def ekeys() -> set[str]:
        with sqlite3.connect(file) as db:
            return {k for (k,) in db.execute("SELECT DISTINCT ekey FROM fragments")}

    before = ekeys()
    assert len(before) == 1
    rebuild(site, **{"feeds.first_image": True})
    after = ekeys()
    assert len(after) == 1 and after != before
    assert after == {stage_key(load_config(site, {"feeds.first_image": True}), "entry")}

    cache = Cache(file.parent, name="config")
    seen: list[str] = []
    cache.db.set_trace_callback(seen.append)
    cache.keep_fragments(next(iter(after)))  # the same key: nothing to sweep
    assert not [s for s in seen if "fragments" in s and "meta" not in s], seen
    cache.keep_fragments(next(iter(before)))  # another key: the sweep
    assert any(s.startswith("DELETE FROM fragments") for s in seen), seen
    cache.close()
    assert ekeys() <= before


@pytest.mark.parametrize("content", [b"not a database at all, " * 200, b""])
def test_a_file_that_is_not_our_cache_is_closed_before_a_fresh_one_is_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes) -> None:
    """The connection that found the file was not ours is closed there and then, not left open
    (holding the file) until the garbage collector gets to it."""
    from feeds.cache import Cache

    opened: list[Any] = []

    class Watched(sqlite3.Connection):
        closed = False

        def close(self) -> None:
            self.closed = True
            super().close()

    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = real(*args, factory=Watched, **kwargs)
        opened.append(db)
        return db

    (tmp_path / "cache.sqlite3").write_bytes(content)
    monkeypatch.setattr(sqlite3, "connect", connect)
    cache = Cache(tmp_path)
    try:
        assert cache.new and len(opened) >= 2
        assert [db.closed for db in opened if db is not cache.db] == [True] * (len(opened) - 1)
    finally:
        cache.close()
