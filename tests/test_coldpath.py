"""The cold build's write path: fragments made where posts are rendered and trusted as this
build's own, earlier builds' fragments still checked, what the cache stores, the id ledger."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import post_text, three_format_site, tree_bytes, write_site

from feeds import build, load_config

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text(
    {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news"],
     "tags": ["a", "b"] if d % 2 else ["a"]}, f"Body of *post* {d}.\n\n![pic](https://img.test/{d}.png)\n")
    for d in range(1, 13)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return three_format_site(tmp_path, monkeypatch, POSTS)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fragment_ok call of the build (format), before the write stage (entry_check) or in it;
    the write workers' memory of fragments off, so that each feed reads its entries' fragments
    back from the cache."""
    from feeds import entry_check, fragments
    from feeds.cache import WorkerCache

    seen: list[str] = []
    real = fragments.fragment_ok

    def counted(fmt: str, *args: Any) -> bool:
        seen.append(fmt)
        return real(fmt, *args)
    monkeypatch.setattr(fragments, "fragment_ok", counted)
    monkeypatch.setattr(entry_check, "fragment_ok", counted)
    monkeypatch.setattr(WorkerCache, "MEMO_BYTES", 0)
    return seen


def run(root: Path) -> dict[str, bytes]:
    result = build(load_config(root / "config.yaml"))
    assert not result.errors and not result.warnings, result.problems
    return tree_bytes(root / "public")


def test_a_cold_build_checks_none_of_its_own_fragments(site: Path, checks: list[str]) -> None:
    """The render stage makes each post's fragments and stores them with its content: every feed
    that carries the post reads them back, and none is checked (they are this build's own)."""
    run(site)
    assert checks == []


def test_fragments_an_earlier_build_made_are_checked(site: Path, checks: list[str]) -> None:
    """A fresh clone (cache kept, output and records gone): the fragments are input, each checked."""
    cold = run(site)
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".public.feeds")
    checks.clear()
    assert run(site) == cold
    assert {"atom", "rss", "json"} <= set(checks)


# --- the id ledger: a post's key without relpath and pathlib ------------------------------

@pytest.mark.parametrize(("root", "file"), [
    ("/site", "/site/_posts/a.md"), ("/site", "/site/news/_posts/2022-01-01-x.y.md"), ("/", "/_posts/a.md"),
    ("/site", "/site/.hidden/_posts/a.md"), ("/site", "/site/_posts/../b.md"), ("/site", "/site//_posts/a.md"),
    ("/site", "/elsewhere/_posts/a.md"), ("/site", "/site2/_posts/a.md"), ("/site/", "/site/_posts/a.md"),
    ("/site", "/site/_posts/./a.md"), ("/site", "/site/_posts/a b\\c.md"), ("/site", "/site"),
])
def test_a_ledger_key_is_the_files_path_relative_to_the_config(root: str, file: str) -> None:
    import os
    import posixpath

    from feeds import ledger
    prefix = root if root.endswith(os.sep) else root + os.sep
    assert ledger._key(root, prefix, file) == posixpath.normpath(Path(os.path.relpath(file, root)).as_posix())


def test_recording_ids_takes_no_relpath_per_post(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys of posts under the config's folder are cut from their names (20,000 relpath calls
    took 1.9 s in a build of 10,000 posts); the ledger holds every post by its relative path."""
    import json
    import os

    from feeds import ledger
    from feeds.pipeline import load
    cfg = load_config(site / "config.yaml")
    posts, _, _ = load(cfg)
    calls = []
    real = os.path.relpath
    monkeypatch.setattr(os.path, "relpath", lambda *a: calls.append(a) or real(*a))
    ledger.record_ids(cfg, posts)
    assert calls == []
    monkeypatch.undo()
    data = json.loads((site / ".feeds-cache" / "config.ids.json").read_bytes())
    assert sorted(data["posts"]) == sorted(f"_posts/{name}" for name in POSTS)
    assert ledger.read_ledger(site / ".feeds-cache" / "config.ids.json")[1] == []
    run(site)  # rewrites nothing, warns nothing


# --- what the cache stores, and how -------------------------------------------------------

def test_a_cold_build_stores_each_posts_content_and_one_fragment_per_format(site: Path) -> None:
    import sqlite3

    run(site)
    db = sqlite3.connect(site / ".feeds-cache" / "config.sqlite3")
    try:
        assert db.execute("SELECT count(*) FROM rendered").fetchone() == (len(POSTS),)
        assert db.execute("SELECT count(*) FROM fragments").fetchone() == (3 * len(POSTS),)
        assert db.execute("SELECT count(DISTINCT ekey) FROM fragments").fetchone() == (1,)
        assert db.execute("PRAGMA page_size").fetchone() == (32768,)  # a fragment a page, not three
    finally:
        db.close()


def test_the_cache_holds_each_posts_content_once(site: Path) -> None:
    """A post's content was stored three times (the rendered row's JSON, then escaped in its Atom
    entry and again in its RSS item): 210 MB of cache for 168 MB of feeds. Now once, as the bytes
    both entries carry (the rendered row's body); their rows hold what is around it. The JSON
    Feed item escapes it otherwise: stored whole. Every fragment reads back whole."""
    import sqlite3

    from conftest import cached_fragments

    from feeds.xmlfast import content_from_bytes

    published = run(site)
    db = sqlite3.connect(site / ".feeds-cache" / "config.sqlite3")
    try:
        bodies = dict(db.execute("SELECT rkey, body FROM rendered").fetchall())
        assert len(bodies) == len(POSTS) and all(type(b) is bytes and b"Body of" in b for b in bodies.values())
        assert all(content_from_bytes(b) is not None for b in bodies.values())
        for rkey, head, tail in db.execute("SELECT rkey, head, tail FROM fragments").fetchall():
            if head.lstrip().startswith(b"{"):  # JSON Feed
                assert tail is None
            else:
                assert tail is not None and bodies[rkey] not in head + tail
                assert head.endswith((b'<content type="html">', b"<content:encoded>")), head
        fragments = cached_fragments(db)
    finally:
        db.close()
    assert len(fragments) == 3 * len(POSTS)
    everything = b"".join(published.values())
    assert all(data in everything for _, data in fragments)  # each fragment is the bytes its feeds carry


def test_the_cache_never_waits_for_the_disk(tmp_path: Path) -> None:
    """synchronous=OFF (see Cache._tune): no fsync; WAL, so readers never wait for writers."""
    from feeds.cache import Cache, WorkerCache

    cache = Cache(tmp_path)
    try:
        for sealed in (False, True):  # a new cache being built keeps its journal in memory (see Cache._tune)
            assert cache.db.execute("PRAGMA synchronous").fetchone() == (0,)
            assert cache.db.execute("PRAGMA journal_mode").fetchone() == ("wal" if sealed else "memory",)
            assert WorkerCache(cache.file)._connection().execute("PRAGMA synchronous").fetchone() == (0,)
            cache.seal()
    finally:
        cache.close()


# --- staging: new folders where inodes are free -------------------------------------------

def _flags(folder: Path) -> int | None:
    import array
    import fcntl
    import os

    from feeds.output import staging
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, staging._FS_IOC_GETFLAGS, flags, True)
        return flags[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def test_the_records_folder_spreads_its_staging_folders(site: Path) -> None:
    """ext4's top-of-hierarchy flag on .public.feeds: each build's staging folder goes where
    inodes are free, not among those the last build's deleted output just freed (see
    staging.spread_subfolders)."""
    from feeds.output import staging

    if not _takes_the_flag(site / "scratch"):
        pytest.skip("this filesystem has no top-of-hierarchy flag (tmpfs, btrfs, XFS: a hint they do not take)")
    run(site)
    flags = _flags(site / ".public.feeds")
    assert flags is not None and flags & staging._FS_TOPDIR_FL


def _takes_the_flag(folder: Path) -> bool:
    """Whether the filesystem under ``folder`` sets ext4's top-of-hierarchy flag at all (tmpfs,
    btrfs and XFS give their flags but refuse this one)."""
    import array
    import fcntl
    import os

    from feeds.output import staging
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, staging._FS_IOC_GETFLAGS, flags, True)
        flags[0] |= staging._FS_TOPDIR_FL
        fcntl.ioctl(fd, staging._FS_IOC_SETFLAGS, flags, True)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
        folder.rmdir()


def test_a_filesystem_without_the_flag_builds_as_well(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import fcntl

    def refuse(*args: Any) -> None:
        raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")
    monkeypatch.setattr(fcntl, "ioctl", refuse)
    assert len(run(site)) > 10


def test_with_two_jobs_the_read_workers_make_the_cache_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON of what reading gave is made where the post was read, on every core, not by the
    parent alone after the stage (0.7 s of serial work for 10,000 posts); the rows read back."""
    from feeds import cache, reading

    posts = {f"2022-01-01-p{i}.md": post_text({"title": f"P {i}", "date": "2022-01-01 10:00:00 +0800"}, "x\n")
             for i in range(140)}  # enough tasks for a pool (parallel.MIN_TASKS_PER_JOB)
    root = tmp_path / "many"
    write_site(root, posts, {"build": {"jobs": 2}})
    monkeypatch.chdir(root)
    in_parent: list[str] = []
    real = cache.read_row
    monkeypatch.setattr(reading, "read_row_bytes", lambda result: real(result).encode())
    monkeypatch.setattr(cache, "read_row", lambda result: in_parent.append("x") or real(result))
    cold = run(root)
    assert in_parent == []
    shutil.rmtree(root / "public")
    shutil.rmtree(root / ".public.feeds")
    counted: list[str] = []
    real_read = reading.read_post
    monkeypatch.setattr(reading, "read_post", lambda *a: counted.append("r") or real_read(*a))
    assert run(root) == cold
    assert counted == []  # every post came from the rows the workers made


def test_the_records_are_json_with_a_file_a_line(tmp_path: Path) -> None:
    """write_json: the C encoder for each value (indent= takes the pure-Python one), a manifest
    entry a line; read back equal."""
    import json

    from feeds.bookkeeping import read_json, write_json
    manifest = {"files": {f"feed/by_tag/標籤-{i}.xml": ["0" * 32, "inputs", i, 10**18 + i] for i in range(50)}}
    for data in (manifest, {"files": {}}, {"owner": "config", "written": ["a", "b/c"], "removed": []}, {}):
        file = tmp_path / "x.json"
        write_json(file, data)
        assert read_json(file) == data == json.loads(file.read_text("utf-8"))
    write_json(tmp_path / "m.json", manifest)
    assert len((tmp_path / "m.json").read_text("utf-8").splitlines()) == 50 + 4


def test_no_ioctl_is_asked_off_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flag's ioctl numbers are Linux's: on another platform the folder is not even opened."""
    import os

    from feeds.output import staging
    opened: list[object] = []
    monkeypatch.setattr(staging.sys, "platform", "darwin")
    monkeypatch.setattr(staging.os, "open", lambda *a, **k: opened.append(a) or os.open(*a, **k))
    assert staging.spread_subfolders(tmp_path) is False and opened == []


def test_a_fragment_is_split_where_its_whole_body_is() -> None:
    """A fragment is split around its post's body found by the body's first bytes and compared
    there (a search for the whole body, a long needle, cost 20 µs a fragment): where those first
    bytes come earlier too (a title that starts like the content), the split is still the body's,
    and the parts always join to the fragment."""
    from feeds.cache import _split, joined

    body = b"&lt;p&gt;" + b"x" * 100 + b"&lt;/p&gt;"
    data = b"<title>" + body[:80] + b"</title><content>" + body + b"</content>"
    (row,) = _split([("f", "r", "e", data)], {"r": body})
    assert row[3:] == (b"<title>" + body[:80] + b"</title><content>", b"</content>")
    assert joined(row[3], row[4], body) == data
    (whole,) = _split([("f", "r", "e", data)], {"r": body + b"y"})  # not in it: stored whole
    assert whole[3:] == (data, None)


def test_a_fragment_is_split_in_linear_time_when_its_title_repeats_the_content() -> None:
    """A title of 3 MB that is the content's first 3 MB (each of its places starts like the content,
    and each compares 1.5 MB on average before it differs): found by the first bytes alone, that
    was hours; the whole searched from the first near miss takes milliseconds. A timeout that only
    quadratic work reaches."""
    script = ("from feeds.cache import _split, joined\n"
              "body = b'a' * 3_000_000 + b'b'\n"
              "data = b'<title>' + body[:-1] + b'</title><content>' + body + b'</content>'\n"
              "(row,) = _split([('f', 'r', 'e', data)], {'r': body})\n"
              "assert row[4] == b'</content>' and joined(row[3], row[4], body) == data\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
