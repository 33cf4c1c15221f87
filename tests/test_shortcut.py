"""The 'nothing changed' shortcut (feeds/shortcut.py): a rebuild with no change replays the last
build's counts and warnings without reading, grouping, rendering or writing; any change to what a
build depends on means the full build, whose result it must never differ from.

Each comparison runs the step under test, then the same step on a copy of the whole folder as it
was before (posts, config, output, bookkeeping, cache, ledger) with the record deleted: a full
build from the same state. Both must give the same exit code, stdout (the --json document, less
its seconds), stderr (less the timing) and output bytes."""
from __future__ import annotations

import gc
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import HEAVY_EXAMPLES, invoke, post_text, tree_bytes, write_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feeds.pipeline
import feeds.reading
import feeds.stages
import feeds.workers
from feeds import shortcut
from feeds.config import load_config
from feeds.pipeline import build

RECORD = Path(".feeds-cache/config.shortcut.json")


def _post(title: str, date: str = "2022-03-04 10:00:00 +0800", body: str = "Body.\n", **front: Any) -> str:
    return post_text({"title": title, "date": date, **front}, body)


POSTS = {"2022-03-04-one.md": _post("One", categories="news", tags=["a"]),
         "2022-03-05-two.md": _post("Two", "2022-03-05 10:00:00 +0800", tags=["a", "b"])}


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    tree: dict[str, bytes]


def _cli(root: Path, *args: str) -> Outcome:
    old = os.getcwd()
    os.chdir(root)
    try:
        result = invoke("build", "-j1", "--json", *args)
    finally:
        os.chdir(old)
    stdout = re.sub(r'"seconds": [0-9.]+', '"seconds": 0', result.stdout)
    stderr = re.sub(r"\([0-9.]+ s\)", "(s)", result.stderr)
    return Outcome(result.exit_code, stdout, stderr, tree_bytes(root / "public"))


class Loads:
    """Counts the builds that read the posts (the full ones)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.count = 0
        real = feeds.pipeline.load

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(feeds.pipeline, "load", counted)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    return Loads(monkeypatch)


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any reading, grouping, rendering or writing fails the test."""
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the shortcut was not taken")
    for name in ("load", "group_posts", "_publish", "Cache", "load_site"):
        monkeypatch.setattr(feeds.pipeline, name, refuse)
    monkeypatch.setattr(feeds.reading, "read_post", refuse)
    monkeypatch.setattr(feeds.workers, "render_post", refuse)


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Path]:
    def make(posts: dict[str, Any] | None = None, config: dict[str, Any] | str | None = None) -> Path:
        return write_site(tmp_path / "site", POSTS if posts is None else posts, config).parent
    return make


def _step(root: Path, tmp_path: Path, *args: str) -> tuple[Outcome, Outcome]:
    """(the build as it runs, a full build from the same state): the same build, in the same
    place (cache keys and messages depend on it), on a copy of the folder as it was before, less
    the record. The folder is left as the build under test left it."""
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(root, before, symlinks=True)
    got = _cli(root, *args)
    root.rename(after)
    before.rename(root)
    try:
        (root / RECORD).unlink(missing_ok=True)
        expected = _cli(root, *args)
    finally:
        shutil.rmtree(root)
        after.rename(root)
    return got, expected


def test_a_rebuild_with_no_change_takes_the_shortcut_and_says_the_same(
        site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = site()
    first = _cli(root)
    assert first.code == 0 and (root / RECORD).is_file()
    full = Loads(monkeypatch)
    again, expected = _step(root, tmp_path)
    assert again == expected and full.count == 1  # the reference alone read posts
    _no_work(monkeypatch)
    again = _cli(root)
    assert again == expected
    assert '"unchanged": 0' not in again.stdout and "0 feeds written" in again.stderr
    assert again.tree == first.tree


def test_the_shortcut_touches_nothing(site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = site()
    _cli(root)
    gc.collect()  # a connection to the cache the build left open closes here (and checkpoints)
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*") if p.name != "lock"}
    _no_work(monkeypatch)
    _cli(root)
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*") if p.name != "lock"} == before


def _set(path: Path, text: str, later: int = 0) -> None:
    """Rewrite a file; ``later``: seconds to add to its modification time (an edit in a later second)."""
    st = path.stat() if path.exists() else None
    path.write_text(text, encoding="utf-8")
    if st is not None and later:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + later * 1_000_000_000))


ONE = Path("_posts/2022-03-04-one.md")


def _edit_behind_its_back(root: Path) -> None:
    st = (root / ONE).stat()
    (root / ONE).write_text((root / ONE).read_text().replace("title: One", "title: Uno"))
    os.utime(root / ONE, ns=(st.st_atime_ns, st.st_mtime_ns))


def _draft(root: Path) -> None:
    (root / "_drafts").mkdir()
    _set(root / "_drafts/four.md", _post("Four"))


def _same_size_edit(root: Path) -> None:
    text = (root / ONE).read_text()
    _set(root / ONE, text.replace("title: One", "title: Uno"), later=2)


EDITS: dict[str, Callable[[Path], None]] = {
    "post edited, same size": _same_size_edit,
    "post edited, new size": lambda root: _set(root / ONE, _post("One, longer", categories="news"), later=2),
    "post touched only": lambda root: os.utime(root / ONE, ns=(0, (root / ONE).stat().st_mtime_ns + 10**9)),
    "post added": lambda root: _set(root / "_posts/2022-03-06-three.md", _post("Three", "2022-03-06 10:00:00 +0800")),
    "post removed": lambda root: (root / ONE).unlink(),
    "post renamed": lambda root: (root / ONE).rename(root / "_posts/2022-03-04-uno.md"),
    "post became unreadable": lambda root: _set(root / ONE, "---\ntitle: [\n---\nx\n", later=2),
    "config edited": lambda root: _set(root / "config.yaml", (root / "config.yaml").read_text().replace(
        "Test News", "Other News"), later=2),
    "config gains an unknown key": lambda root: _set(root / "config.yaml", (root / "config.yaml").read_text()
                                                     + "whatever: 1\n", later=2),
    "feed deleted": lambda root: (root / "public/feed.xml").unlink(),
    "feed edited by hand": lambda root: _set(root / "public/feed.xml", "<rss/>", later=2),
    "feed replaced, same size": lambda root: _set(root / "public/feed.xml", "x" * (root / "public/feed.xml")
                                                  .stat().st_size, later=2),
    "foreign file beside the feeds": lambda root: _set(root / "public/index.html", "<p>mine</p>"),
    "manifest edited": lambda root: _set(root / ".public.feeds/config.manifest.json", "{}", later=2),
    "ledger edited": lambda root: _set(root / ".feeds-cache/config.ids.json", "[]", later=2),
    "ledger deleted": lambda root: (root / ".feeds-cache/config.ids.json").unlink(),
    "cache deleted": lambda root: (root / ".feeds-cache/config.sqlite3").unlink(),
    "cache damaged": lambda root: _set(root / ".feeds-cache/config.sqlite3", "not a database", later=2),
    "a crashed build's staging folder": lambda root: (root / ".public.feeds/staging/files").mkdir(parents=True),
    "drafts folder gains a post": lambda root: _draft(root),
    "post edited, its mtime put back": lambda root: _edit_behind_its_back(root),
}
# a build ignores these: so may the shortcut (a cache damaged in place is thrown away, silently, by the
# build that opens it; the shortcut does not open it, and no output depends on it)
TAKEN = {"foreign file beside the feeds", "drafts folder gains a post", "cache damaged"}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_each_change_gives_the_full_builds_result(edit: str, site: Callable[..., Path], tmp_path: Path,
                                                  loads: Loads) -> None:
    root = site()
    _cli(root)
    _cli(root)  # and a rebuild, so that the record is the one a shortcut left (it leaves it as it was)
    assert loads.count == 1
    EDITS[edit](root)
    got, expected = _step(root, tmp_path)
    assert got == expected
    assert loads.count == (1 if edit in TAKEN else 2) + 1  # + the reference build
    # the same bytes as a build from scratch (no output, no cache, no record); but an edit whose mtime
    # was put back is one the cache trusts not to have happened (README: The cache): the full build's
    # result, as compared above, is the one to match
    if got.code == 0 and edit != "post edited, its mtime put back":
        scratch = tmp_path / "scratch"
        shutil.copytree(root, scratch, ignore=shutil.ignore_patterns("public", ".public.feeds", ".feeds-cache"))
        assert _cli(scratch).tree == {k: v for k, v in got.tree.items() if k != "index.html"}
    if edit not in TAKEN and got.code == 0:  # the full build leaves a record: the next one is replayed
        count = loads.count
        again, expected = _step(root, tmp_path)
        assert again == expected and loads.count == count + 1


def test_options_that_change_the_build_are_in_the_signature(site: Callable[..., Path], tmp_path: Path,
                                                            loads: Loads) -> None:
    root = site()
    _cli(root)
    for args in (("--limit", "1"), ("--base-url", "https://y.test"), ("--future",), ("--drafts",),
                 ("--timezone", "UTC"), ("--output", "elsewhere")):
        count = loads.count
        got, expected = _step(root, tmp_path, *args)
        assert got == expected and (args, loads.count) == (args, count + 2)
    _cli(root)  # the record is of the last build: the one above with --output
    count = loads.count
    got, expected = _step(root, tmp_path, "-j2")  # workers change no byte: replayed
    assert got == expected and loads.count == count + 1


def test_warnings_and_strict_are_replayed(site: Callable[..., Path], tmp_path: Path, loads: Loads) -> None:
    root = site({"2022-03-04-one.md": _post("One", "2022-03-04 10:00:00"), **{"x.md": "no front matter\n"}},
                {"timezone": None, "whatever": 1})
    first = _cli(root)
    assert first.code == 0 and "warning:" in first.stderr
    for args in ((), ("--strict",), ("--keep-going",), ("-q",), ("-v",)):
        got, expected = _step(root, tmp_path, *args)
        assert got == expected, args
    assert loads.count == 1 + 5
    assert _cli(root, "--strict").code == 1


def test_moved_ids_are_warned_once_then_replayed_without_the_warning(site: Callable[..., Path], tmp_path: Path,
                                                                     loads: Loads) -> None:
    root = site()
    _cli(root)
    _set(root / "config.yaml", (root / "config.yaml").read_text() + "permalink: /:title/\n", later=2)
    moved = _cli(root)
    assert "entry id changed" in moved.stderr
    got, expected = _step(root, tmp_path)
    assert got == expected and "entry id changed" not in got.stderr and loads.count == 2 + 1


def test_errors_leave_no_record(site: Callable[..., Path], tmp_path: Path, loads: Loads) -> None:
    root = site({**POSTS, "2022-03-06-bad.md": "---\ntitle: [\n---\nx\n"})
    assert _cli(root).code == 1 and not (root / RECORD).exists()
    for args in ((), ("--keep-going",)):
        got, expected = _step(root, tmp_path, *args)
        assert got == expected and got.code == 1
    assert not (root / RECORD).exists() and loads.count == 1 + 2 * 2


def test_a_jekyll_config_and_liquid_inputs_are_in_the_signature(tmp_path: Path, loads: Loads) -> None:
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_includes").mkdir()
    (root / "_data").mkdir()
    (root / "_config.yml").write_text("url: https://x.test\ntitle: Jekyll Site\n")
    (root / "_includes/note.html").write_text("<em>note</em>")
    (root / "_data/people.yml").write_text("ann: Ann\n")
    (root / "_posts/2022-03-04-liquid.md").write_text(_post("Liquid", body="{% include note.html %} "
                                                            "{{ site.data.people.ann }} {{ site.title }}\n"))
    (root / "_posts/2022-03-05-plain.md").write_text(_post("Plain", "2022-03-05 10:00:00 +0800"))
    _cli(root)
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 1 + 1  # replayed
    for path, text in (("_includes/note.html", "<em>NOTE</em>"), ("_data/people.yml", "ann: Annie\n"),
                       ("_config.yml", "url: https://x.test\ntitle: Renamed Site\n"),
                       ("_includes/new.html", "new")):
        count = loads.count
        _set(root / path, text, later=2)
        got, expected = _step(root, tmp_path)
        assert got == expected and loads.count == count + 2, path
        assert _cli(root).tree == got.tree and loads.count == count + 2  # and replayed after


def test_a_post_naming_site_time_is_never_replayed(site: Callable[..., Path], tmp_path: Path, loads: Loads) -> None:
    root = site({"2022-03-04-one.md": _post("One", body="Built {{ site.time | date: '%Y' }}\n")})
    _cli(root)
    assert not (root / RECORD).exists()
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 1 + 2


def test_a_future_post_appears_when_its_date_passes(site: Callable[..., Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, loads: Loads) -> None:
    before = int(datetime(2022, 3, 5, 0, 0, tzinfo=timezone.utc).timestamp())  # two's date: 02:00 UTC
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(before))
    root = site()
    assert "Two" not in _cli(root).tree["feed.xml"].decode()
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 1 + 1  # still hidden: replayed
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(before + 2 * 3600 - 1))
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 2 + 1  # the last second before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(before + 2 * 3600))
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 3 + 2 and "Two" in got.tree["feed.xml"].decode()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(before))  # the clock set back: one is hidden again
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 5 + 2 and "Two" not in got.tree["feed.xml"].decode()


def test_now_is_the_builds_own(site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """build(now=...) decides both what is visible and whether the record still holds."""
    root = site()
    cfg = load_config(root / "config.yaml", {})
    monkeypatch.chdir(root)
    early, late = datetime(2022, 3, 4, 12, tzinfo=timezone.utc), datetime(2022, 3, 6, tzinfo=timezone.utc)
    assert build(cfg, now=early).posts == 1
    assert shortcut.replay(cfg, *_listing(cfg), early) is not None
    assert shortcut.replay(cfg, *_listing(cfg), late) is None
    assert build(cfg, now=late).posts == 2


def _listing(cfg: Any) -> tuple[list[str], list[Any]]:
    from feeds.sources import find_post_files
    return find_post_files(cfg)


@pytest.fixture
def other_tool(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    feeds.stages._stage_key.cache_clear()
    monkeypatch.setattr(feeds.stages, "tool_key", lambda: "another version of feeds")
    monkeypatch.setattr(shortcut, "tool_key", lambda: "another version of feeds")
    yield
    monkeypatch.undo()
    feeds.stages._stage_key.cache_clear()


def test_another_tool_is_a_full_build(site: Callable[..., Path], tmp_path: Path, loads: Loads,
                                      request: pytest.FixtureRequest) -> None:
    root = site()
    _cli(root)
    request.getfixturevalue("other_tool")
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 1 + 2


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "garbage": lambda data: b"\x00\xff garbage",
    "a list": lambda data: b"[]",
    "a key missing": lambda data: json.dumps({k: v for k, v in json.loads(data).items() if k != "state"}).encode(),
    "a key more": lambda data: json.dumps({**json.loads(data), "more": 1}).encode(),
    "posts as text": lambda data: json.dumps({**json.loads(data), "posts": "2"}).encode(),
    "posts negative": lambda data: json.dumps({**json.loads(data), "posts": -1}).encode(),
    "posts true": lambda data: json.dumps({**json.loads(data), "posts": True}).encode(),
    "a hash not a hash": lambda data: json.dumps({**json.loads(data), "files": "x" * 32}).encode(),
    "an error to replay": lambda data: json.dumps({**json.loads(data), "problems": [["a", None, "b", "error"]]}
                                                  ).encode(),
    "a problem of another shape": lambda data: json.dumps({**json.loads(data), "problems": [["a", None]]}).encode(),
    "a problem with a control character": lambda data: json.dumps(
        {**json.loads(data), "problems": [["a", None, "\x1b[2J", "warning"]]}).encode(),
    "a window of text": lambda data: json.dumps({**json.loads(data), "window": ["x", None]}).encode(),
    "another version": lambda data: json.dumps({**json.loads(data), "version": 2}).encode(),
    "version true": lambda data: json.dumps({**json.loads(data), "version": True}).encode(),
    "deeply nested": lambda data: b"[" * 100000,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_record_is_a_full_build(damage: str, site: Callable[..., Path], tmp_path: Path,
                                          loads: Loads) -> None:
    root = site({**POSTS, "2022-03-06-naive.md": _post("Naive", "2022-03-06 10:00:00")}, {"timezone": None})
    _cli(root)
    (root / RECORD).write_bytes(DAMAGE[damage]((root / RECORD).read_bytes()))
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 1 + 2
    assert shortcut.read_record(root / RECORD) is not None  # written anew


def test_a_record_that_is_a_link_is_not_followed(site: Callable[..., Path], tmp_path: Path, loads: Loads) -> None:
    root = site()
    _cli(root)
    (root / RECORD).rename(tmp_path / "elsewhere.json")
    (root / RECORD).symlink_to(tmp_path / "elsewhere.json")
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 1 + 2


def test_a_foreign_record_for_another_state_is_not_replayed(site: Callable[..., Path], tmp_path: Path,
                                                            loads: Loads) -> None:
    """A record copied from another site (valid, but of other inputs) is a full build."""
    other = write_site(tmp_path / "other", {"2022-03-09-x.md": _post("X", "2022-03-09 10:00:00 +0800")}).parent
    _cli(other)
    root = site()
    _cli(root)
    shutil.copy(other / RECORD, root / RECORD)
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 2 + 2


@settings(max_examples=HEAVY_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600))
def test_any_record_bytes_give_the_full_builds_result(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = write_site(tmp_path_factory.mktemp("site"), POSTS).parent
    _cli(root)
    tmp = tmp_path_factory.mktemp("ref")
    (root / RECORD).write_bytes(data)
    got, expected = _step(root, tmp)
    assert got == expected


STEPS = st.lists(st.sampled_from(["edit", "touch", "add", "remove", "config", "feed", "build", "build"]),
                 min_size=1, max_size=6)


@settings(max_examples=HEAVY_EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_any_sequence_of_edits_and_builds_gives_the_full_builds_results(
        steps: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    root = write_site(tmp_path_factory.mktemp("site"), POSTS).parent
    tmp = tmp_path_factory.mktemp("ref")
    _cli(root)
    for n, step in enumerate(steps):
        posts = sorted((root / "_posts").glob("*.md"))
        if step == "edit" and posts:
            _set(posts[0], _post(f"Edit {n}", tags=[f"t{n}"]), later=n + 1)
        elif step == "touch" and posts:
            os.utime(posts[-1], ns=(0, posts[-1].stat().st_mtime_ns + (n + 1) * 10**9))
        elif step == "add":
            _set(root / f"_posts/2022-04-{n + 1:02d}-p{n}.md", _post(f"P{n}", f"2022-04-{n + 1:02d} 10:00:00 +0800"))
        elif step == "remove" and posts:
            posts[0].unlink()
        elif step == "config":
            text = (root / "config.yaml").read_text()
            text = text.replace("limit: 1", "limit: 2") if "limit: 1" in text else \
                text.replace("limit: 2", "limit: 1") if "limit: 2" in text else text + "feeds:\n  limit: 1\n"
            _set(root / "config.yaml", text, later=n + 1)
        elif step == "feed" and (root / "public/feed.xml").exists():
            (root / "public/feed.xml").unlink()
        got, expected = _step(root, tmp)
        assert got == expected, steps[: n + 1]


def test_what_a_build_says_once_is_not_replayed(site: Callable[..., Path], tmp_path: Path, loads: Loads) -> None:
    """A stale feed edited by hand is left in place with a warning, once: the rebuild after says nothing."""
    root = site()
    _cli(root)
    _set(root / "public/feed/by_tag/b.xml", "<feed>mine</feed>", later=2)
    _set(root / "_posts/2022-03-05-two.md", _post("Two", "2022-03-05 10:00:00 +0800", tags=["a"]), later=2)
    said = _cli(root)
    assert "not the file feeds wrote" in said.stderr and not (root / RECORD).exists()
    got, expected = _step(root, tmp_path)
    assert got == expected and "not the file feeds wrote" not in got.stderr and loads.count == 2 + 2
    got, expected = _step(root, tmp_path)
    assert got == expected and loads.count == 4 + 1


def test_the_library_says_when_it_replayed(site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = site()
    cfg = load_config(root / "config.yaml", {})
    monkeypatch.chdir(root)
    full = build(cfg)
    assert not full.replayed and full.feed_count == len(full.feeds) > 0
    again = build(cfg)
    assert again.replayed and again.feeds == [] and again.feed_count == full.feed_count
    assert not build(cfg, replay=False).replayed


def test_every_config_key_but_jobs_is_in_the_signature(site: Callable[..., Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import ODD

    root = site()
    monkeypatch.chdir(root)
    (root / "src").mkdir()
    base = shortcut.config_hash(load_config(root / "config.yaml", {}))
    for name, value in ODD.items():
        changed = shortcut.config_hash(load_config(root / "config.yaml", {name: value}))
        assert (changed == base) == (name == "build.jobs"), name


def test_the_signature_is_the_same_in_every_process(site: Callable[..., Path]) -> None:
    """No set or id-shaped repr in it: another process (another string hash seed) signs the same."""
    import subprocess
    import sys

    from conftest import ODD

    root = site()
    (root / "src").mkdir()
    overrides = {k: v for k, v in ODD.items() if k != "build.jobs"}
    script = ("import json, sys; from feeds.config import load_config; from feeds.shortcut import config_hash; "
              "print(config_hash(load_config('config.yaml', json.loads(sys.argv[1]))))")
    signed = {subprocess.run([sys.executable, "-c", script, json.dumps(overrides)], cwd=root, check=True, text=True,
                             capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120).stdout
              for seed in ("1", "2", "3")}
    assert len(signed) == 1 and len(signed.pop().strip()) == 32


@pytest.mark.parametrize("body", ["Year {{ 'now' | date: '%Y' }}\n", 'Year {{ "Today" | date: "%Y" }}\n',
                                  "Year {% include year.html %}\n", "Year {{ site['time'] | date: '%Y' }}\n",
                                  "Year {{ site.time | date: '%Y' }}\n"])
def test_a_post_dated_now_shows_the_builds_year(body: str, site: Callable[..., Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Liquid's date of "now" / "today" is the build's time, like site.time: neither the shortcut nor
    the render cache may keep the year of an earlier build."""
    root = site({"2022-03-04-one.md": _post("One", body=body)})
    (root / "_includes").mkdir()
    (root / "_includes/year.html").write_text("{{ 'now' | date: '%Y' }}" if "include" in body else "")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023
    assert b"Year 2023" in _cli(root).tree["feed.xml"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")  # 2030
    got = _cli(root)
    assert b"Year 2030" in got.tree["feed.xml"]
    scratch = tmp_path / "scratch"
    shutil.copytree(root, scratch, ignore=shutil.ignore_patterns("public", ".public.feeds", ".feeds-cache"))
    assert _cli(scratch).tree == got.tree


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def _huge(path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(1 << 40)  # a terabyte, sparse: no disk, but no memory would hold it


ODD_FILES: dict[str, Callable[[Path], None]] = {
    "the record is a FIFO": lambda root: _fifo(root / RECORD),
    "the record is huge": lambda root: _huge(root / RECORD),
    "the output's lock is a FIFO": lambda root: _fifo(root / ".public.feeds/lock"),
    "the record's temporary file is a FIFO": lambda root: _fifo(root / RECORD.with_name(RECORD.name + ".tmp")),
    "the record's temporary file is a link": lambda root: (root / RECORD.with_name(RECORD.name + ".tmp"))
    .symlink_to(root / "victim.txt"),
}


@pytest.mark.parametrize("odd", sorted(ODD_FILES))
def test_an_odd_file_as_the_record_neither_hangs_nor_fails(odd: str, site: Callable[..., Path]) -> None:
    """A record (or its temporary file) that is no regular file, or too big to be one feeds wrote,
    is no record: the build is the full one, promptly (the timeout only catches a hang)."""
    import subprocess
    import sys
    root = site()
    (root / "victim.txt").write_text("mine")
    _cli(root)
    (root / "_posts/2022-03-04-one.md").write_text(_post("Uno"))  # so that the build writes a record
    ODD_FILES[odd](root)
    done = subprocess.run([sys.executable, "-m", "feeds", "build", "-j1", "-q"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (root / "victim.txt").read_text() == "mine"
    assert b"Uno" in (root / "public/feed.xml").read_bytes()


@pytest.mark.parametrize("body", ["Built {{ site.time | date: '%Y' }}\n",
                                  "Built {{ site.time | date: '%Y' }} after {% post_url 2022-03-05-two %}\n"])
def test_a_post_naming_the_time_is_no_damaged_cache_row(body: str, site: Callable[..., Path]) -> None:
    """Its read row (liquid flags with LIQUID_TIME) is one reading writes: a rebuild warns of no
    damage, and --strict passes."""
    root = site({**POSTS, "2022-03-04-one.md": _post("One", body=body)})
    assert _cli(root, "--strict").code == 0
    again = _cli(root, "--strict")
    assert again.code == 0 and "damaged" not in again.stderr, again.stderr


MANIFEST = Path(".public.feeds/config.manifest.json")
ODD_RECORDS: dict[str, Callable[[Path], None]] = {
    "a FIFO": _fifo,
    "a huge file": _huge,
    "a link": lambda path: (path.unlink(), path.symlink_to(path.parent.parent / "victim.txt")),
}


@pytest.mark.parametrize("odd", sorted(ODD_RECORDS))
def test_an_odd_file_as_the_output_folders_record_neither_hangs_nor_fails_the_full_build(
        odd: str, site: Callable[..., Path]) -> None:
    """The full build reads the output folder's record of the files it wrote (``bookkeeping.read_json``)
    as warily as the shortcut reads its own: one that is no regular file, or too big to be one feeds
    wrote, is no record, promptly (the timeout only catches a hang); without it, the files there are
    not known to be feeds' own, and the build refuses to replace them, as it says."""
    import subprocess
    import sys
    root = site()
    (root / "victim.txt").write_text("mine")
    _cli(root)
    assert (root / MANIFEST).is_file()
    (root / "_posts/2022-03-04-one.md").write_text(_post("Uno"))
    ODD_RECORDS[odd](root / MANIFEST)
    done = subprocess.run([sys.executable, "-m", "feeds", "build", "-j1"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "were not written by feeds and would be replaced" in done.stderr, done.stderr
    assert "(feeds has no record of writing them: .public.feeds/config.manifest.json: cannot read this record" \
        in done.stderr, done.stderr  # and why not
    assert (root / "victim.txt").read_text() == "mine"
