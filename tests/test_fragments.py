"""A feed file assembled from entry fragments (head + fragments + tail) is byte for byte the
file feedgen writes for the whole feed at once (``write.feed_bytes``, kept as the oracle): Atom,
RSS and JSON Feed, with and without images, a stylesheet, excerpts, languages, icons, and for
arbitrary titles, names and bodies."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CST, make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st
from test_write import spec_for

from feeds.budget import feed_bytes_within
from feeds.config import Author, Config
from feeds.formats import BY_NAME
from feeds.fragment_check import fragment_ok
from feeds.render import Rendered, clean_html
from feeds.text import xml_safe
from feeds.write import feed_bytes

ALL = ("atom", "rss", "json")
POSTS = (
    make_post("newest", datetime(2022, 3, 4, 13, 23, 21, 5, tzinfo=CST), categories=("新闻",), tags=("open source",),
              author="王小明"),
    make_post("pictured", datetime(2022, 3, 3, 8, 5, 9, tzinfo=CST), image="https://img.test/a.png",
              updated=datetime(2022, 3, 9, 9, 0, tzinfo=CST), id="urn:uuid:1234"),
    make_post("excerpt", datetime(2022, 3, 2, 10, 0, tzinfo=CST), excerpt_only=True, tags=("a", "b")),
    make_post("plain", datetime(2022, 3, 1, 10, 0, tzinfo=CST)),
)
RENDERED = {
    POSTS[0].id: Rendered('<p>Full <a href="https://x.test/a.html">content</a> ]]&gt; &amp; "q"</p>', "Sum <b>one</b>"),
    POSTS[1].id: Rendered('<p><img src="https://img.test/b.png"></p>', "Two"),
    POSTS[2].id: Rendered("<p>Third</p>", "Three & more"),
    POSTS[3].id: Rendered("<p>Fourth<br>\n line</p>", ""),
}
CONFIGS: dict[str, dict[str, Any]] = {
    "plain": {},
    "stylesheet": {"stylesheet": "/feed.xslt.xml"},
    "first image": {"first_image": True},
    "excerpt": {"content": "excerpt"},
    "websub hubs": {"hubs": ("https://hub.test/", "https://other.test/hub")},
    "site extras": {"site_fields": {"language": "zh-CN", "author": Author("Desk", "desk@x.test"),
                                    "icon": "/icon.png", "logo": "https://x.test/logo.png"}},
}


def config(**options: Any) -> Config:
    return unit_config(site_fields=options.pop("site_fields", None), formats=ALL, limit=0, max_bytes=0, **options)


def assert_assembled_is_feedgen(cfg: Config, posts: tuple[Any, ...], rendered: dict[str, Rendered]) -> None:
    spec = spec_for(cfg, posts)
    assembled, problems = feed_bytes_within(cfg, spec, rendered)
    assert problems == []
    oracle = feed_bytes(cfg, spec, rendered)
    for path in oracle:
        assert assembled[path] == oracle[path], path


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("count", [0, 1, 2, 4])
def test_an_assembled_feed_is_the_feed_feedgen_writes(name: str, count: int) -> None:
    cfg = config(**dict(CONFIGS[name]))
    for posts in (POSTS[:count], POSTS[-count:] if count else ()):  # with and without the pictured post
        assert_assembled_is_feedgen(cfg, posts, RENDERED)


def test_every_feed_of_a_site_is_assembled_as_feedgen_writes_it() -> None:
    """Category and tag feeds too (their titles and paths), and jekyll-feed's extra Atom path."""
    from feeds.group import group_posts

    cfg = dataclasses.replace(config(stylesheet="/x.xsl"), feeds=dataclasses.replace(
        config().feeds, jekyll_categories=("新闻",), max_bytes=0, formats=ALL, limit=0))
    specs, _ = group_posts(cfg, list(POSTS))
    assert len(specs) > 3
    for spec in specs:
        assembled, _ = feed_bytes_within(cfg, spec, RENDERED)
        assert assembled == feed_bytes(cfg, spec, RENDERED), spec.name


def _text(**kwargs: Any) -> st.SearchStrategy[str]:
    return st.text(st.characters(blacklist_categories=("Cs",)), **kwargs).map(lambda t: xml_safe(t)[0])


@given(titles=st.lists(_text(min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=4),
       names=st.lists(_text(min_size=1, max_size=12).map(str.strip).filter(bool), max_size=3),
       bodies=st.lists(_text(max_size=200), min_size=4, max_size=4),
       author=_text(max_size=20), site_title=_text(max_size=20), images=st.lists(st.booleans(), min_size=4,
                                                                                  max_size=4),
       excerpt=st.booleans(), stylesheet=st.booleans())
def test_assembled_equals_feedgen_for_any_text(titles: list[str], names: list[str], bodies: list[str], author: str,
                                               site_title: str, images: list[bool], excerpt: bool,
                                               stylesheet: bool) -> None:
    cfg = config(site_fields={"title": site_title.strip()}, stylesheet="/s.xsl" if stylesheet else "")
    posts = tuple(make_post(f"p{i}", datetime(2022, 3, 1, tzinfo=CST) - timedelta(days=i), title=title,
                            author=author.strip(), categories=tuple(names), excerpt_only=excerpt and i % 2 == 0,
                            image="https://img.test/a.png" if images[i] else "")
                  for i, title in enumerate(titles))
    rendered = {p.id: Rendered(bodies[i], bodies[-1 - i][:50]) for i, p in enumerate(posts)}
    assert_assembled_is_feedgen(cfg, posts, rendered)
    # and the check of cached fragments admits every fragment of sanitised content
    for i, post in enumerate(posts):
        clean = Rendered(xml_safe(clean_html(bodies[i], post.url, cfg).strip())[0], bodies[-1 - i][:50])
        for fmt in ALL:
            assert fragment_ok(fmt, BY_NAME[fmt].make_fragment(cfg, post, clean), post, cfg), (fmt, clean)
            if i:
                assert not fragment_ok(fmt, BY_NAME[fmt].make_fragment(cfg, post, clean), posts[0], cfg)


# --- builds: cold, from a fresh clone with the cache restored, incremental ---------------------

@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    from feeds import fragments, reading, workers
    from feeds.formats import Format

    found = {"read": 0, "render": 0, "fragment": 0}

    def count(module: Any, name: str, what: str) -> None:
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, **k: found.__setitem__(what, found[what] + 1) or real(*a, **k))
    count(reading, "read_post", "read")
    count(workers, "render_post", "render")
    count(fragments, "render_post", "render")
    count(Format, "make_fragment", "fragment")
    count(Format, "make_parts", "fragment")  # the render stage makes them as (head, body, tail)
    return found


def _cold(cfg_path: Path, where: Path) -> dict[str, bytes]:
    from conftest import tree_bytes

    from feeds import build, load_config
    cfg = load_config(cfg_path, {"output": str(where)})
    assert not build(dataclasses.replace(cfg, cache=None)).errors
    return tree_bytes(where)


def _fixture_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: dict[str, Any]) -> tuple[Path, Path]:
    """A site of every fixture post with this config, as the working folder, at a fixed build
    time: (the site, its config file)."""
    from conftest import copy_fixtures, write_site

    fixtures = Path(__file__).parent / "fixtures" / "posts"
    site = tmp_path / "site"
    cfg_path = write_site(site, {}, config)
    copy_fixtures(site, tuple(p.name for p in sorted(fixtures.glob("*.*"))))
    monkeypatch.chdir(site)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return site, cfg_path


@pytest.mark.parametrize("jobs", [1, 2])
def test_cold_fresh_clone_and_incremental_builds_write_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counts: dict[str, int], jobs: int) -> None:
    """A fresh clone (the cache restored, no output folder and no records beside it, every file
    newer) re-assembles every feed from cached fragments: nothing read, rendered or serialised
    again, and every file is the cold build's bytes; so are an edit's and a no-change rebuild's."""
    import os
    import shutil

    from conftest import tree_bytes

    from feeds import build, load_config
    site, cfg_path = _fixture_site(tmp_path, monkeypatch, {"feeds": {"formats": list(ALL), "stylesheet":
                                   "/feed.xslt.xml", "first_image": True}, "build": {"jobs": jobs}})
    names = tuple(sorted(p.name for p in (site / "_posts").iterdir()))
    cold = _cold(cfg_path, tmp_path / "cold")
    assert len(cold) > 20

    def run() -> dict[str, bytes]:
        result = build(load_config(cfg_path))
        assert not result.errors
        return tree_bytes(site / "public")
    assert run() == cold  # the first build, filling the cache
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".public.feeds")
    for path in site.rglob("*.md"):
        os.utime(path, (2_000_000_000, 2_000_000_000))  # a clone's files are all new
    counts.update(read=0, render=0, fragment=0)
    assert run() == cold
    if jobs == 1:  # the counters see this process only
        # files that give no post (a future one, an unpublished one) are read every time (store_read)
        assert counts["render"] == counts["fragment"] == 0 and counts["read"] == 2, counts
    edited = site / "_posts" / names[0]
    edited.write_text(edited.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert run() == _cold(cfg_path, tmp_path / "cold-edited")
    assert run() == _cold(cfg_path, tmp_path / "cold-again")  # nothing changed


def test_a_refused_entry_leaves_nothing_behind_for_the_next_post(monkeypatch: pytest.MonkeyPatch) -> None:
    """feedgen's fragments are cut from one reused generator: an entry feedgen refused must not stay
    in it and come out as the next post's entry."""
    from feeds import write

    cfg = config()
    expected = write.feedgen_atom_fragment(cfg, POSTS[3], RENDERED[POSTS[3].id])
    real = write._add_entry

    def refuse(fg: Any, post: Any, *args: Any) -> None:
        real(fg, post, *args)
        if post is POSTS[0]:
            raise ValueError("refused")
    monkeypatch.setattr(write, "_add_entry", refuse)
    with pytest.raises(ValueError):
        write.feedgen_atom_fragment(cfg, POSTS[0], RENDERED[POSTS[0].id])
    assert write.feedgen_atom_fragment(cfg, POSTS[3], RENDERED[POSTS[3].id]) == expected


def test_archive_pages_and_their_feeds_are_assembled_as_feedgen_writes_them() -> None:
    """RFC 5005 pages (fh:archive, prev/next/current links) and the feeds that link to them, with hubs."""
    from feeds.group import group_posts

    base = config(hubs=("https://hub.test/",))
    cfg = dataclasses.replace(base, feeds=dataclasses.replace(base.feeds, archive_size=2,
                                                              archive_kinds=("site", "category")))
    specs, _ = group_posts(cfg, list(POSTS))
    pages = [spec for spec in specs if spec.page]
    assert pages and any(f.links for spec in specs if not spec.page for f in spec.files)
    for spec in specs:
        assembled, _ = feed_bytes_within(cfg, spec, RENDERED)
        assert assembled == feed_bytes(cfg, spec, RENDERED), (spec.name, spec.page)
        if spec.page:
            assert all(b"archive" in assembled[f.path] for f in spec.files if f.format != "json")


@pytest.mark.parametrize(("url", "ok"), [
    ("https://x.test/a", True), ("http://x.test", True), ("", True), ("mailto:a@x.test", True),
    ("https:!//x.test/a", False),  # found by the random-bytes property: feeds check calls it relative
    ("http:/x.test/a", False), ("https:x.test", False), ("http:///a", False), ("https://", False),
])
def test_a_cached_fragments_http_urls_need_a_host(url: str, ok: bool) -> None:
    from feeds.fragment_check import _url_ok

    assert _url_ok("a", url) is ok


# --- the fragment check's XML text test, on bytes ------------------------------------------

def _forbidden_by_text(data: bytes) -> bool:
    """The reference: decode, then text.describe_forbidden (what the check did before)."""
    from feeds.text import describe_forbidden
    try:
        return describe_forbidden(data.decode())[0] >= 0
    except UnicodeDecodeError:
        return True


_NEAR_FORBIDDEN = st.sampled_from(["\x00", "\x08", "\t", "\n", "\x0b", "\r", "\x1f", "\x7f", "\x80", "\x9f", "\xa0",
                                   "\u00ff", "\ufffd", "\ufffe", "\uffff", "\U00010000", "中", "&", "<"])


@given(st.one_of(st.binary(max_size=64),
                 st.lists(st.one_of(_NEAR_FORBIDDEN, st.text(max_size=4)), max_size=12).map(
                     lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))))
def test_the_xml_text_check_on_bytes_is_the_check_on_text(data: bytes) -> None:
    from feeds.fragment_check import xml_text
    assert xml_text(data) is not _forbidden_by_text(data)


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x7f", "\x80", "\x9f", "\ufffe", "\uffff"])
def test_a_fragment_with_a_character_xml_forbids_fails_the_check(char: str) -> None:
    cfg = unit_config()
    post = POSTS[3]
    fragment = BY_NAME["atom"].make_fragment(cfg, post, RENDERED[post.id])
    assert fragment_ok("atom", fragment, post, cfg)
    forged = fragment.replace(b"Fourth", ("Fo" + char + "urth").encode())
    assert forged != fragment and not fragment_ok("atom", forged, post, cfg)
    assert not fragment_ok("atom", fragment.replace(b"Fourth", b"Fo\xed\xa0\x80urth"), post, cfg)  # a surrogate


# --- the fast path of the fragment check (issue 10) -------------------------------------------

def _writer_fragments(cfg: Config, posts: tuple[Any, ...], rendered: dict[str, Rendered]
                      ) -> list[tuple[str, bytes, Any]]:
    return [(fmt, BY_NAME[fmt].make_fragment(cfg, post, rendered[post.id]), post)
            for post in posts for fmt in ("atom", "rss")]


_PIECES = st.sampled_from([b"<", b">", b"&", b"&amp;", b"&lt;", b"&x;", b'"', b"\n", b" ", b"/", b"a", b"\x00",
                           b"\xc2\x85", b"\xff", b"</content>\n", b"</summary>\n", b"<x>", b'<content type="html">',
                           b"<content:encoded>", b"<description>", b"</description>\n", b'"/>\n', b"    ",
                           b'    <category term="c"/>\n', b"      <category>c</category>\n", b'href="',
                           b'<link href="https://x.test/a"/>\n', b"<id>", b"</id>\n", b"\r", b"\t", b"&#10;"])


@given(index=st.integers(0, 3), fmt=st.sampled_from(["atom", "rss"]), name=st.sampled_from(list(CONFIGS)),
       edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), _PIECES | st.binary(max_size=4)),
                      max_size=3), summary=st.sampled_from(["", "Sum", "a <b> & c"]), body=st.sampled_from(
                          ["", "<p>x</p>", '<p><a href="https://x.test/a?b=1&amp;c=2">y</a> &amp; "q"</p>',
                           '<a href="javascript:x()">j</a>', "<p>\r\n</p>"]))
def test_the_fast_check_accepts_exactly_what_the_line_check_accepts(
        index: int, fmt: str, name: str, edits: list[tuple[int, int, bytes]], summary: str, body: str) -> None:
    """On fragments our writer makes and on mutated ones: where the fast path answers, the
    line-by-line check (the check before it) gives the same answer, and every fragment the
    writer makes takes the fast path."""
    from feeds import fragment_check as check

    cfg = config(**dict(CONFIGS[name]))
    post = POSTS[index]
    atom, expected = fmt == "atom", check.expected_fields(fmt, post)

    def verdict(fields: object) -> bool:  # what fragment_ok makes of what a path found
        return isinstance(fields, tuple) and fields == expected
    rendered = Rendered(body, summary) if index != 0 else RENDERED[post.id]
    data = BY_NAME[fmt].make_fragment(cfg, post, rendered)
    assert verdict(check._fast_xml_fields(atom, data, cfg)) is verdict(check._loop_xml_fields(atom, data, cfg))
    assert check._fast_xml_fields(atom, data, cfg) is not False  # the writer's shape: the fast path answers
    for where, cut, piece in edits:
        where %= len(data) + 1
        data = data[:where] + piece + data[where + cut:]
    try:
        reference = verdict(check._loop_xml_fields(atom, data, cfg))
    except (ValueError, TypeError):
        reference = False
    assert fragment_ok(fmt, data, post, cfg) is reference
    try:
        fast = check._fast_xml_fields(atom, data, cfg)  # False: not the writer's usual shape
    except (ValueError, TypeError):
        fast = None
    assert fast is False or verdict(fast) is reference


def test_fragments_our_writer_makes_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """No line-by-line loop for the shape our writer gives an entry: with and without content,
    summary, author, categories and an image, in each config."""
    from feeds import fragment_check as check

    calls = []
    real = check._elements
    monkeypatch.setattr(check, "_elements", lambda *a: calls.append(a) or real(*a))
    for name in CONFIGS:
        cfg = config(**dict(CONFIGS[name]))
        for fmt, data, post in _writer_fragments(cfg, POSTS, RENDERED):
            assert fragment_ok(fmt, data, post, cfg)
    assert calls == []


def test_a_fragment_is_checked_once_per_build_however_small_the_memo(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone checks each cached fragment once, though the memo of fragment bytes keeps
    none (a big site's fragments outgrow it): the digest of what was checked is remembered."""
    import shutil

    from conftest import tree_bytes

    from feeds import build, fragments, load_config
    from feeds.cache import WorkerCache

    site, cfg_path = _fixture_site(tmp_path, monkeypatch, {"feeds": {"formats": ["atom", "rss"]}, "build": {"jobs": 1}})
    assert not build(load_config(cfg_path)).errors
    cold = tree_bytes(site / "public")
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".public.feeds")
    monkeypatch.setattr(WorkerCache, "MEMO_BYTES", 0)
    checked: list[tuple[str, bytes]] = []
    real = fragments.fragment_ok
    monkeypatch.setattr(fragments, "fragment_ok",
                        lambda fmt, data, *a: checked.append((fmt, data)) or real(fmt, data, *a))
    result = build(load_config(cfg_path))
    assert not result.errors and tree_bytes(site / "public") == cold
    carried = sum(len(spec.entries) for spec in result.feeds)
    distinct = {(fmt, data) for fmt, data in checked}
    assert len(distinct) < 2 * carried  # posts are in several feeds (2 formats each): re-checks would show
    assert len(checked) == len(distinct), (len(checked), len(distinct))


def test_a_fragment_changed_after_it_was_checked_is_checked_again(tmp_path: Path) -> None:
    """The memo knows a fragment by the digest of the bytes checked, not by its key."""
    from feeds.cache import Cache, WorkerCache

    cache = Cache(tmp_path)
    cache.seal()  # as the write stage finds it
    store = WorkerCache(cache.file)
    store.MEMO_BYTES = 0
    store.put_fragments([("k", "r", "e", b"checked"), ("other", "r", "e", b"x")])
    store.remember("k", b"checked")  # let go at once: its digest is kept
    assert store.fragments({"k": "r", "other": "r"}) == ({"k": b"checked", "other": b"x"}, {"k"})
    store.put_fragments([("k", "r", "e", b"forged")])
    assert store.fragments({"k": "r"}) == ({"k": b"forged"}, set())
    cache.close()


def test_render_keys_are_computed_once_per_post_and_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone's and a no-change build's render, problems and write stages (and the cleanup)
    share one render_key per post."""
    import shutil

    from feeds import build, load_config, stages, workers

    site, cfg_path = _fixture_site(tmp_path, monkeypatch, {"feeds": {"formats": ["atom", "rss"]}, "build": {"jobs": 1}})
    assert not build(load_config(cfg_path)).errors  # cold: the render workers key what they render
    calls: list[str] = []
    real = stages.render_key
    for where in (stages, workers):  # RenderKeys, and the render tasks
        monkeypatch.setattr(where, "render_key", lambda key, post, *a: calls.append(post.path) or real(key, post, *a))
    for fresh_clone in (True, False):  # then no change
        if fresh_clone:
            shutil.rmtree(site / "public")
            shutil.rmtree(site / ".public.feeds")
        calls.clear()
        result = build(load_config(cfg_path), replay=False)  # the full no-change build, not its replay
        assert not result.errors
        carried = {post.path for spec in result.feeds for post in spec.entries}
        assert len(carried) > 5 and sorted(set(calls)) == sorted(calls), calls  # each post once
        assert set(calls) >= carried
