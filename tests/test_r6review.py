"""Review of round 6 (flow6, render6, write6): what the review fixed, each held by a test here."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from feeds import pipeline, reading, shortcut, signature
from feeds.cache import Cache
from feeds.config import load_config
from feeds.pipeline import build


def _site(make_site: Callable[..., Path], count: int = 4) -> Path:
    posts = {f"2022-03-{n + 1:02d}-p{n}.md": {"title": f"P{n}", "tags": ["t"]} for n in range(count)}
    return make_site(posts, {"build": {"jobs": 1}})


# --- the shortcut's record: a file reading did not sign is never stat'ed after the build -----------

@pytest.mark.parametrize("unsigned", ["first", "last", "all"])
def test_a_file_reading_did_not_sign_matches_no_stat(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
                                                     unsigned: str) -> None:
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    files, found = pipeline.find_post_files(load_config(config))
    lines = {path: signature.stat_line(path) for path in files}
    assert shortcut.files_hash(files, found, lines) == shortcut.files_hash(files, found)  # signed: as a stat says
    for path in {"first": files[:1], "last": files[-1:], "all": files}[unsigned]:
        del lines[path]
    assert shortcut.files_hash(files, found, lines) != shortcut.files_hash(files, found)


def test_an_unsigned_file_edited_after_it_was_read_is_no_replay(make_site: Callable[..., Path],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a file left unsigned by reading, stat'ing it once the build is over would sign the edit
    made after it was read: the next build would replay output made from the older text."""
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    target = str(config.parent.resolve() / "_posts" / "2022-03-02-p1.md")
    real = reading.read_all

    def read_then_edit(*args: Any) -> Any:
        got = real(*args)
        lines = args[5]
        assert lines is not None and target in lines
        del lines[target]  # a reading path that signs no line for it
        Path(target).write_text("---\ntitle: Edited\ntags: [t]\n---\nedited\n", encoding="utf-8")
        return got
    monkeypatch.setattr(reading, "read_all", read_then_edit)
    assert not build(cfg).errors
    monkeypatch.setattr(reading, "read_all", real)
    assert "Edited" not in (cfg.output / "feed.xml").read_text(encoding="utf-8")  # read before the edit
    again = build(cfg)
    assert not again.replayed and "Edited" in (cfg.output / "feed.xml").read_text(encoding="utf-8")
    assert build(cfg).replayed  # signed by reading now: the shortcut works again


def test_a_vanished_file_is_signed_as_reading_saw_it(make_site: Callable[..., Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A file listed, then gone before its read task stats it: signed as absent; back again, it is
    read (a full build), never replayed as the build that could not read it."""
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    target = config.parent.resolve() / "_posts" / "2022-03-02-p1.md"
    text = target.read_text(encoding="utf-8")
    real = reading.read_all

    def vanish_first(*args: Any) -> Any:
        target.unlink()
        try:
            return real(*args)
        finally:
            target.write_text(text, encoding="utf-8")
    monkeypatch.setattr(reading, "read_all", vanish_first)
    build(cfg, keep_going=True)
    monkeypatch.setattr(reading, "read_all", real)
    again = build(cfg)
    assert not again.replayed and not again.errors
    assert os.path.exists(target) and "P1" in (cfg.output / "feed.xml").read_text(encoding="utf-8")


def test_the_pool_signs_each_file_as_a_stat_would(make_site: Callable[..., Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Read on two cores (enough files for a pool): the forked read tasks sign their files, and the
    record is what a stat of each says, so the next build replays."""
    config = make_site({f"2022-03-{n % 28 + 1:02d}-p{n}.md": {"title": f"P{n}"} for n in range(2 * 64 + 2)},
                       {"build": {"jobs": 2}})
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    assert not build(cfg).errors
    record = shortcut.read_record(shortcut.record_file(cfg))  # type: ignore[arg-type]
    files, found = pipeline.find_post_files(cfg)
    assert record is not None and record["files"] == shortcut.files_hash(files, found)
    assert build(cfg).replayed


# --- a "new" cache (no lookups, no sweeps) holds nothing an earlier build made --------------------

def _rows(store: Cache) -> int:
    return sum(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
               for table in ("files", "posts", "rendered", "render_problems", "fragments"))


def test_new_is_exactly_a_cache_with_nothing_from_an_earlier_build(make_site: Callable[..., Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    assert not build(cfg).errors and cfg.cache is not None
    kept = Cache(cfg.cache, name="config")
    try:
        assert not kept.new and _rows(kept) > 0  # an earlier build's: looked up and swept
        kept.reset()  # found damaged mid-build: thrown away
        assert kept.new and _rows(kept) == 0
    finally:
        kept.close()
    scratch = Cache(None)
    try:
        assert scratch.new and _rows(scratch) == 0
    finally:
        scratch.close()
    (cfg.cache / "config.sqlite3").write_bytes(b"not a database" * 100)
    damaged = Cache(cfg.cache, name="config")
    try:
        assert damaged.new and _rows(damaged) == 0
    finally:
        damaged.close()
