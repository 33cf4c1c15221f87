"""A cold build's start (issue 10): what the parent does alone before the read workers exist.

Signing the post files for the shortcut's record (a ``stat`` each) and hashing the tool for the
read stage's key (every source file of the package) were the parent's, alone, before the read
workers started; a new cache needs neither there: each read task stats its file just before
reading it, and the key is worked out once the workers read. What the record says is the same.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import HEAVY_EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import aside, pipeline, reading, shortcut, signature, sources, workers
from feeds.cache import Cache
from feeds.config import load_config
from feeds.pipeline import build


def _site(make_site: Callable[..., Path], count: int = 4, **config: Any) -> Path:
    posts = {f"2022-03-{n + 1:02d}-p{n}.md": {"title": f"P{n}", "tags": ["t", f"u{n % 2}"]} for n in range(count)}
    return make_site(posts, {"build": {"jobs": 1}, **config})


def _events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """("stat", path) for each file signed, ("key", stage) for each stage key asked, ("read", path)
    for each post file read, ("started", "") once the read workers exist (the parent's beside)."""
    events: list[tuple[str, str]] = []
    stat, read, prepare, line = signature.stat_of, reading.read_post_file, aside.prepare, reading.read_line
    monkeypatch.setattr(signature, "stat_of", lambda path, follow=True: (events.append(("stat", str(path))),
                                                                       stat(path, follow))[1])
    # a read task signs its file with the stat reading asked (read_post_file's fstat, before the read)
    monkeypatch.setattr(reading, "read_line", lambda path, st: (events.append(("stat", str(path))), line(path, st))[1])
    monkeypatch.setattr(reading, "read_post_file", lambda path, *a: (events.append(("read", path)), read(path, *a))[1])
    monkeypatch.setattr(aside, "prepare", lambda cfg: (events.append(("started", "")), prepare(cfg))[1])
    for module in (reading, workers, pipeline):
        key = module.stage_key
        monkeypatch.setattr(module, "stage_key", lambda cfg, stage, key=key: (events.append(("key", stage)),
                                                                              key(cfg, stage))[1])
    return events


def _posts_of(events: list[tuple[str, str]], kind: str) -> list[str]:
    return [path for what, path in events if what == kind and "/_posts/" in path.replace(os.sep, "/")]


@pytest.mark.parametrize("cache", [True, False])
def test_a_cold_build_signs_no_file_and_hashes_no_tool_before_the_read_workers_start(
        make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, cache: bool) -> None:
    config = _site(make_site, **({} if cache else {"cache": False}))
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    events = _events(monkeypatch)
    assert not build(cfg).errors
    before = events[:events.index(("started", ""))]
    assert _posts_of(before, "stat") == [] and [e for e in before if e[0] == "key"] == []
    signed = _posts_of(events, "stat")
    assert len(signed) == (4 if cfg.cache is not None else 0)  # no cache, no record: nothing to sign


def test_each_file_is_signed_as_it_was_just_before_it_was_read(make_site: Callable[..., Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The record holds each file as it was before it was read: an edit while the build runs then
    makes the next build a full one, never a replay of output made from the older text. A read
    task signs its file with the stat of the open file, asked before its bytes are read."""
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    signed: dict[str, os.stat_result | None] = {}
    before_read: dict[str, os.stat_result] = {}
    opened: list[str] = []
    read, line, to_end = reading.read_post_file, reading.read_line, sources._read_to_end

    def read_post_file(path: str, *args: Any) -> Any:
        opened.append(path)
        return read(path, *args)

    def read_to_end(fd: int, size: int, regular: bool = False) -> bytes:
        before_read[opened[-1]] = os.fstat(fd)
        os.utime(opened[-1], ns=(1, 1))  # an edit while it is read: the record must not sign it
        return to_end(fd, size, regular)
    monkeypatch.setattr(reading, "read_post_file", read_post_file)
    monkeypatch.setattr(sources, "_read_to_end", read_to_end)
    monkeypatch.setattr(reading, "read_line", lambda path, st: (signed.__setitem__(path, st), line(path, st))[1])
    assert not build(load_config(config)).errors
    assert len(before_read) == 4 and set(signed) == set(before_read)
    for path, seen in before_read.items():
        assert signed[path] is not None and signature.stat_fields(signed[path]) == signature.stat_fields(seen)
        assert signature.stat_fields(seen) != signature.stat_fields(os.stat(path))


def test_a_read_task_asks_no_second_stat_of_its_file(make_site: Callable[..., Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing a file takes the stat reading asked (one fstat of the open file), not a stat of the
    path besides: one system call a post fewer."""
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    asked: list[str] = []
    real = os.stat
    monkeypatch.setattr(shortcut.os, "stat", lambda path, *a, **k: (asked.append(str(path)), real(path, *a, **k))[1])
    assert not build(load_config(config)).errors
    assert _posts_of([("stat", path) for path in asked], "stat") == []


def test_an_edit_after_a_file_was_read_is_no_replay(make_site: Callable[..., Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A post edited between its read and the end of the build: the next build reads it again."""
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    target = str(config.parent.resolve() / "_posts" / "2022-03-02-p1.md")
    read = reading.read_post_file

    def edit_after(path: str, *args: Any) -> Any:
        got = read(path, *args)
        if path == target:
            Path(path).write_text("---\ntitle: Edited\n---\nedited\n", encoding="utf-8")
        return got
    monkeypatch.setattr(reading, "read_post_file", edit_after)
    assert not build(cfg).errors
    monkeypatch.setattr(reading, "read_post_file", read)
    again = build(cfg)
    assert not again.replayed and "Edited" in (cfg.output / "feed.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("edit", ["none", "one", "touch"])
def test_the_record_signs_the_files_as_a_stat_of_each_would(make_site: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch, edit: str) -> None:
    """Signed by the read workers (files read) and by the parent (files the cache answers for):
    the same signature as ``files_hash`` asking the disk after the build, so the next build replays."""
    config = _site(make_site, count=6)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    assert not build(cfg).errors
    post = config.parent / "_posts" / "2022-03-03-p2.md"
    if edit == "one":
        post.write_text("---\ntitle: Other\n---\nother\n", encoding="utf-8")
    elif edit == "touch":
        os.utime(post, ns=(1, 1))
    assert not build(cfg).errors
    record = shortcut.read_record(shortcut.record_file(cfg))  # type: ignore[arg-type]
    files, found = pipeline.find_post_files(cfg)
    assert record is not None and record["files"] == shortcut.files_hash(files, found)
    assert build(cfg).replayed


def test_a_new_cache_is_not_asked_for_what_it_cannot_hold(tmp_path: Path, make_site: Callable[..., Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(make_site)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    store = Cache(tmp_path / "new")
    asked: list[str] = []
    monkeypatch.setattr(Cache, "known_digests", lambda self: asked.append("known") or {})
    monkeypatch.setattr(Cache, "read_results", lambda self, key, url: asked.append("results") or {})
    files, _ = pipeline.find_post_files(cfg)
    try:
        results = reading.read_all(cfg, files, store, None)
    finally:
        store.close()
    assert asked == [] and len(results) == 4 and all(post is not None for post, _, _ in results)


# --- between reading and rendering: what waits for no worker is done once the render workers work

def _render_events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """"key" for each render key made, "lists" for the lists' inputs, "<task> started" once a stage's
    workers exist, "rendered?" for each time the cache is asked which posts it has rendered."""
    from feeds import parallel, stages

    events: list[str] = []
    render_key, list_files, run, rendered = stages.render_key, aside.list_files, parallel.run, Cache.rendered
    monkeypatch.setattr(stages, "render_key", lambda *a: (events.append("key"), render_key(*a))[1])
    monkeypatch.setattr(aside, "list_files", lambda *a: (events.append("lists"), list_files(*a))[1])
    monkeypatch.setattr(Cache, "rendered", lambda self, keys: (events.append("rendered?"), rendered(self, keys))[1])

    def watched(func: Any, tasks: Any, jobs: int, shared: object, chunksize: int = 16, min_tasks: int = 128,
                started: Any = None, **more: Any) -> Any:
        def begin() -> None:
            events.append(f"{func.__name__} started")
            if started is not None:
                started()
        return run(func, tasks, jobs, shared, chunksize, min_tasks, begin, **more)
    monkeypatch.setattr(parallel, "run", watched)
    return events


def test_a_cold_build_makes_no_render_key_and_no_list_before_the_render_workers_start(
        make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(make_site, count=6)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    events = _render_events(monkeypatch)
    cold = build(cfg)
    assert not cold.errors and "_render_task started" in events
    before = events[events.index("_read_task started") + 1:events.index("_render_task started")]
    assert before == []  # the new cache is not asked either: it holds nothing rendered
    assert events.count("lists") == 1 and events.count("key") == 6  # each post's key once, beside the workers


def test_a_warm_build_still_asks_the_cache_what_it_rendered(make_site: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(make_site, count=6)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    cold = build(cfg)
    (config.parent / "_posts" / "2022-03-02-p1.md").write_text("---\ntitle: New\ntags: [t]\n---\nnew\n",
                                                                 encoding="utf-8")
    events = _render_events(monkeypatch)
    warm = build(cfg)
    assert not warm.errors and warm.written and events.count("rendered?") == 1
    assert len(warm.written) < len(cold.written)


# --- finding the post files: a dated name is known dated from its day alone ----------------------

def _dated_as_before(path: str) -> bool:
    """``sources._dated`` as it was: the whole name against FILENAME_DATE, after its folders."""
    from feeds.jekyll import FILENAME_DATE
    from feeds.sources import POST_EXTENSIONS

    *folders, name = path.split(os.sep)
    if os.path.splitext(name)[1].lower() not in POST_EXTENSIONS or "_posts" not in folders:
        return True
    return "_drafts" in folders or bool(FILENAME_DATE.match(name))


@given(st.lists(st.sampled_from(["_posts", "_drafts", "a", "2022-01-02-x", ""]), max_size=3),
       st.text(alphabet="0123456789-._mdhtlx\n é", max_size=20))
@settings(max_examples=HEAVY_EXAMPLES)
def test_a_file_is_dated_as_before(folders: list[str], name: str) -> None:
    from feeds.sources import _dated

    path = os.sep.join(["", "site", *folders, name])
    problems: list[object] = []
    assert _dated(path, problems) == _dated_as_before(path) == (not problems)


def test_a_dated_name_is_not_matched_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its day first (FILENAME_DAY): the whole name's pattern scans to its end, for every post."""
    from feeds import sources

    class Whole:
        def match(self, name: str) -> None:
            raise AssertionError(f"{name} matched whole")
    monkeypatch.setattr(sources, "FILENAME_DATE", Whole())
    assert sources._dated(os.sep.join(["", "site", "_posts", "2022-03-04-a-long-name.md"]), [])


# --- grouping, and what the shortcut notes of the posts: the same, for less of the parent's time --

@given(st.text(max_size=30))
@settings(max_examples=HEAVY_EXAMPLES)
def test_a_feed_url_is_quoted_as_before(path: str) -> None:
    from urllib.parse import quote

    from feeds import feedspec

    class Site:
        class site:  # noqa: N801 - a stand-in for cfg.site
            url = "https://x.test"
    assert feedspec.feed_url(Site, path) == "https://x.test/" + quote(path, safe="/-._~!$&'()*+,;=:@")  # type: ignore[arg-type]


def test_a_plain_feed_path_is_not_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import feedspec

    monkeypatch.setattr(feedspec, "_QUOTED_BYTE", None)  # quoting would fail: no byte table

    class Site:
        class site:  # noqa: N801 - a stand-in for cfg.site
            url = "https://x.test"
    assert feedspec.feed_url(Site, "feed/tag/a-b_c.2.xml") == "https://x.test/feed/tag/a-b_c.2.xml"  # type: ignore[arg-type]


def test_ids_are_checked_with_one_sort(monkeypatch: pytest.MonkeyPatch, make_site: Callable[..., Path]) -> None:
    """The posts by path once, for the ids and then the clashes (it was twice); the same answer."""
    import builtins

    from feeds import posts as posts_module
    config = make_site({"2022-03-01-a.md": {"title": "A", "id": "x"}, "2022-03-02-b.md": {"title": "B", "id": "x"},
                        "2022-03-03-c.md": {"title": "C"}}, {"build": {"jobs": 1}})
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    files, _ = pipeline.find_post_files(cfg)
    store = Cache(None)
    try:
        read = [post for post, _, _ in reading.read_all(cfg, files, store, None) if post is not None]
    finally:
        store.close()
    sorts: list[int] = []
    real = builtins.sorted
    monkeypatch.setattr(posts_module, "sorted", lambda *a, **k: (sorts.append(1), real(*a, **k))[1], raising=False)
    kept, problems = posts_module.check_ids(read)
    assert [p.path.rsplit("/", 1)[1] for p in kept] == ["2022-03-01-a.md", "2022-03-03-c.md"]
    assert len(problems) == 1 and "2022-03-02-b.md" in problems[0].path and sorts == [1]



def test_a_cold_build_looks_for_no_fragment_of_an_earlier_build(make_site: Callable[..., Path],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Between rendering and writing, the parent alone went over every entry of every feed to find
    the cached fragments another build made: a new cache has none. A warm build still looks."""
    from feeds import entry_check

    config = _site(make_site, count=6)
    monkeypatch.chdir(config.parent)
    cfg = load_config(config)
    looked: list[int] = []
    check = entry_check.check_cached_fragments
    monkeypatch.setattr(entry_check, "check_cached_fragments", lambda *a: (looked.append(1), check(*a))[1])
    cold = build(cfg)
    assert not cold.errors and looked == []
    (config.parent / "_posts" / "2022-03-02-p1.md").write_text("---\ntitle: New\ntags: [t]\n---\nnew\n",
                                                                 encoding="utf-8")
    assert not build(cfg).errors and looked == [1]


# --- listing the post files: each folder once ---------------------------------------------------

def _walk_as_before(root: Path, output: Path, drafts: bool, problems: list[Any]) -> list[tuple[str, bool]]:
    """os.walk, then a listing of each posts folder of its own (each posts folder listed twice)."""
    wanted, found = ({"_posts", "_drafts"} if drafts else {"_posts"}), []
    for folder, dirs, _ in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in sources.SKIP_DIRS and not d.startswith(".")
                         and Path(folder, d).resolve() != output)
        if not wanted.intersection(Path(folder).relative_to(root).parts):
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            try:
                if entry.is_symlink() and entry.is_dir():
                    found.append((entry.path, True))
                elif os.path.splitext(entry.name)[1].lower() in sources.POST_EXTENSIONS and entry.is_file():
                    found.append((entry.path, entry.is_symlink()))
            except OSError as exc:
                problems.append(sources._unreadable(entry.path, exc))
    return found


@pytest.mark.parametrize("drafts", [False, True])
def test_the_post_files_are_found_as_before_each_folder_listed_once(tmp_path: Path, drafts: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root, outside = tmp_path / "site", tmp_path / "elsewhere"
    for folder in ("_posts/b/_drafts", "_posts/a", "_drafts", "x/_posts/deep", ".hidden/_posts", "node_modules/_posts",
                   "public/_posts", "_posts/z.md"):
        (root / folder).mkdir(parents=True)
    for file in ("_posts/2022-01-02-a.md", "_posts/a/2022-01-03-b.HTML", "_posts/b/_drafts/c.md", "_drafts/d.md",
                 "x/_posts/deep/2022-01-04-e.markdown", "x/_posts/notes.txt", ".hidden/_posts/2022-01-05-f.md",
                 "node_modules/_posts/2022-01-06-g.md", "public/_posts/2022-01-07-h.md", "x/2022-01-08-i.md"):
        (root / file).write_text("---\ntitle: t\n---\n", encoding="utf-8")
    outside.mkdir()
    (root / "_posts" / "linked").symlink_to(outside, target_is_directory=True)
    (root / "_posts" / "loop.md").symlink_to(root / "_posts" / "loop.md")
    (root / "x" / "_posts" / "2022-01-09-j.md").symlink_to(root / "_posts" / "2022-01-02-a.md")
    listed: list[str] = []
    scandir = os.scandir
    monkeypatch.setattr(sources.os, "scandir", lambda path: listed.append(str(path)) or scandir(path))
    problems: list[Any] = []
    found = list(sources._walk_posts(root, root / "public", drafts, problems))
    monkeypatch.undo()
    before: list[Any] = []
    assert found == _walk_as_before(root, root / "public", drafts, before) and problems == before
    assert len(found) >= 6 and len(listed) == len(set(listed))


def test_a_deep_folder_tree_is_walked_without_recursion(tmp_path: Path) -> None:
    """A posts folder 1,100 folders deep (a generated tree, a bad copy): its post is found, and no
    RecursionError (os.walk went down by recursion)."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    folder = str(root / "_posts")
    for _ in range(1100):  # one by one: makedirs goes up by recursion too
        folder = os.path.join(folder, "d")
        os.mkdir(folder)
    deep = Path(folder)
    (deep / "2022-01-02-deep.md").write_text("---\ntitle: t\n---\n", encoding="utf-8")
    try:
        assert list(sources._walk_posts(root, root / "public", False, [])) == \
            [(str(deep / "2022-01-02-deep.md"), False)]
    finally:  # removed bottom-up here: pytest's clean-up of old temporary folders goes down by recursion
        (deep / "2022-01-02-deep.md").unlink()
        while folder != str(root / "_posts"):
            os.rmdir(folder)
            folder = os.path.dirname(folder)
