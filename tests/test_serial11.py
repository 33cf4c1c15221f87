"""What the parent does alone between the stages of a cold build (issue 10, round 11): work that
a cold build cannot use is not done, and what it does still gives the same feeds and records."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import three_format_site, tree_bytes
from test_coldpath import POSTS  # the same small site: a dozen dated posts, a category, two tags

from feeds import build, load_config, pipeline
from feeds.bookkeeping import folder_of, manifest_file, owner_of


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return three_format_site(tmp_path, monkeypatch, POSTS)


def _records(root: Path) -> dict[str, list[Any]]:
    """path -> [digest, inputs] as the manifest holds them (sizes and times left out)."""
    cfg = load_config(root / "config.yaml")
    files = json.loads(manifest_file(folder_of(cfg.output), owner_of(cfg.file)).read_text())["files"]
    return {path: entry[:2] for path, entry in files.items()}


def test_a_build_into_an_emptied_output_folder_asks_no_file_s_inputs_first(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``rm -rf public`` leaves the records of every file, none of which is there to keep: the
    parent works out no fingerprint (the write tasks do), and the files and records come out as
    the first build made them."""
    first = build(load_config(site / "config.yaml"))
    assert first.written and not first.errors
    published, recorded = tree_bytes(site / "public"), _records(site)
    shutil.rmtree(site / "public")

    def refused(*args: Any) -> str:
        raise AssertionError("the parent worked out a fingerprint for an empty output folder")
    monkeypatch.setattr(pipeline, "fingerprint", refused)
    again = build(load_config(site / "config.yaml"), replay=False)
    assert sorted(again.written) == sorted(first.written) and again.unchanged == 0
    assert tree_bytes(site / "public") == published
    assert _records(site) == recorded


def test_an_output_folder_with_its_files_is_still_asked_file_by_file(site: Path, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    """The files there whose inputs did not change are kept, as before: the parent compares each
    file's inputs and finds no feed to make (a build that made them all again would write the same
    bytes, so only what ``_to_make`` answers tells the two apart)."""
    build(load_config(site / "config.yaml"))
    to_make, answers = pipeline._to_make, []

    def noted(*args: Any) -> Any:
        answers.append(to_make(*args))
        return answers[-1]
    monkeypatch.setattr(pipeline, "_to_make", noted)
    again = build(load_config(site / "config.yaml"), replay=False)
    assert not again.written and again.unchanged == len(_records(site)) > 0
    assert len(answers) == 1 and answers[0][0] == [] and answers[0][1] == {}


def test_a_post_naming_a_name_twice_is_in_its_feed_once() -> None:
    """Reading leaves no name twice in a post, a Post made otherwise may: its feed carries it once,
    newest first with the others, and a name no post repeats keeps its list as gathered."""
    from datetime import datetime, timedelta, timezone

    from conftest import make_post, unit_config

    from feeds.group import group_posts

    day = datetime(2022, 3, 4, tzinfo=timezone.utc)
    posts = [make_post("a", day, tags=("x", "y", "x")), make_post("b", day + timedelta(days=1), tags=("x",)),
             make_post("c", day - timedelta(days=1), tags=("y", "y"), categories=("k", "k"))]
    specs, problems = group_posts(unit_config(), posts)
    entries = {(s.kind, s.name): [p.path for p in s.entries] for s in specs}
    assert entries[("tag", "x")] == [posts[1].path, posts[0].path]
    assert entries[("tag", "y")] == [posts[0].path, posts[2].path]
    assert entries[("category", "k")] == [posts[2].path]
    assert not problems


def test_the_read_posts_come_with_their_stamps(site: Path) -> None:
    """Every step after reading asks each post's stamp: the read stage worked them out as the
    posts came, beside the workers, not the parent alone once reading ended."""
    from feeds import reading
    from feeds.cache import Cache
    from feeds.sources import find_post_files

    cfg = load_config(site / "config.yaml")
    files, _ = find_post_files(cfg)
    cache = Cache(None)
    try:
        results = reading.read_all(cfg, files, cache, None)
    finally:
        cache.close()
    posts = [post for post, _, _ in results if post is not None]
    assert len(posts) == len(POSTS)
    assert all(vars(post)["stamp"] == post.date.timestamp() for post in posts)
