"""RFC 5005 archives (feeds.archives): every post once, pages that keep their bytes, valid everywhere."""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
from conftest import CST, SITE_URL, Built, make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds.archives import archive_path
from feeds.feedspec import FeedSpec
from feeds.group import group_posts
from feeds.validate import check_output

START = datetime(2021, 1, 1, 9, 0, tzinfo=CST)


def _posts(count: int, first: int = 0, category: str = "news") -> dict[str, Any]:
    posts = {}
    for i in range(first, first + count):
        when = START + timedelta(days=i)
        posts[f"{when:%Y-%m-%d}-p{i}.md"] = {"title": f"Post {i}", "date": when.isoformat(sep=" "),
                                              "categories": [category], "body": f"Body {i}.\n"}
    return posts


def _config(size: int = 10, limit: int = 5, kinds: tuple[str, ...] = ("site",), **more: Any) -> dict[str, Any]:
    return {"feeds": {"limit": limit, "archives": {"size": size, "feeds": list(kinds)}, **more}}


def _walk(output: Path, start: str) -> list[tuple[str, list[str], bool]]:
    """What a reader of RFC 5005 4.2 fetches: the feed, then prev-archive until there is none.
    Each document as (path, entry ids, is an archive page)."""
    documents, path, seen = [], start, set()
    while path:
        assert path not in seen, f"prev-archive loops back to {path}"
        seen.add(path)
        parsed = feedparser.parse((output / path).read_bytes())
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        links = {link["rel"]: link["href"] for link in parsed.feed.get("links", [])}
        documents.append((path, [e.id for e in parsed.entries], b"<fh:archive/>" in (output / path).read_bytes()))
        path = links["prev-archive"].removeprefix(SITE_URL + "/") if "prev-archive" in links else ""
    return documents


def _every_post_once(documents: list[tuple[str, list[str], bool]], expected: set[str]) -> None:
    (_, current, is_archive), *archives = documents
    assert not is_archive and all(archive for _, _, archive in archives)
    archived = [i for _, ids, _ in archives for i in ids]
    assert len(archived) == len(set(archived)), "a post is on two archive pages"
    assert set(current) | set(archived) == expected
    # what the subscription feed repeats of the archives is only the newest archived posts (feeds.limit)
    assert set(current) - set(archived) == expected - set(archived)


def test_a_reader_following_prev_archive_sees_every_post_once(make_site: Callable[..., Path],
                                                              build_site: Callable[..., Built]) -> None:
    """47 posts, pages of 10, a feed of 5: neither divides the other; Atom and RSS alike."""
    built = build_site(make_site(_posts(47), _config()))
    ids = {e.id for e in built.feed("feed/archive/1.xml").entries} | {e.id for e in built.feed("feed.xml").entries}
    assert len(built.feed("feed/archive/1.xml").entries) == 10
    for start in ("feed.xml", "feed.rss"):
        documents = _walk(built.output, start)
        assert [path for path, _, _ in documents][1:] == [archive_path(start, n) for n in (4, 3, 2, 1)]
        assert len(documents[0][1]) == 7  # the 7 newest posts no full page holds, more than feeds.limit
        ids |= {i for _, found, _ in documents for i in found}
        _every_post_once(documents, ids)
    assert len(ids) == 47


def test_archive_pages_are_ordered_from_the_oldest_post(make_site: Callable[..., Path],
                                                        build_site: Callable[..., Built]) -> None:
    built = build_site(make_site(_posts(25), _config()))
    first, second = built.feed("feed/archive/1.xml"), built.feed("feed/archive/2.xml")
    assert [e.title for e in first.entries] == [f"Post {i}" for i in range(9, -1, -1)]  # newest first inside
    assert [e.title for e in second.entries] == [f"Post {i}" for i in range(19, 9, -1)]
    links = {link["rel"]: link["href"] for link in second.feed.links}
    assert links["current"] == f"{SITE_URL}/feed.xml" and links["prev-archive"].endswith("/feed/archive/1.xml")
    assert "next-archive" not in links  # the newest archive page: nothing after it yet
    assert {link["rel"]: link["href"] for link in first.feed.links}["next-archive"] == f"{SITE_URL}/feed/archive/2.xml"
    assert "prev-archive" not in {link["rel"] for link in first.feed.links}


def _written_files(output: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_ino) for p in output.rglob("*.*")}


def test_full_pages_keep_their_bytes_when_new_posts_arrive(make_site: Callable[..., Path],
                                                           build_site: Callable[..., Built]) -> None:
    cfg_path = make_site(_posts(25), _config())
    site = cfg_path.parent
    build_site(cfg_path)
    output = site / "public"
    before = _written_files(output)
    make_site(_posts(4, first=25), _config())  # 29 posts: still two full pages
    built = build_site(cfg_path)
    after = _written_files(output)
    for path in ("feed/archive/1.xml", "feed/archive/2.xml", "feed/archive/1.rss", "feed/archive/2.rss"):
        assert after[path] == before[path], f"{path} was rewritten"  # same bytes, same file (inode)
        assert path not in built.result.written
    assert after["feed.xml"][0] != before["feed.xml"][0]
    make_site(_posts(2, first=29), _config())  # 31 posts: page 3 fills
    built = build_site(cfg_path)
    last = _written_files(output)
    assert last["feed/archive/1.xml"] == before["feed/archive/1.xml"]
    assert "feed/archive/3.xml" in built.result.written
    # the page that was the newest gains its next-archive link, and nothing else changes in it
    old, new = before["feed/archive/2.xml"][0].decode(), last["feed/archive/2.xml"][0].decode()
    added = set(new.splitlines()) - set(old.splitlines())
    assert added == {f'  <link rel="next-archive" href="{SITE_URL}/feed/archive/3.xml"/>'}
    assert set(old.splitlines()) <= set(new.splitlines())


def test_an_edited_old_post_changes_its_own_page_only(make_site: Callable[..., Path],
                                                      build_site: Callable[..., Built]) -> None:
    posts = _posts(30)
    cfg_path = make_site(posts, _config())
    build_site(cfg_path)
    output = cfg_path.parent / "public"
    before = _written_files(output)
    name = sorted(posts)[12]  # on page 2
    make_site({name: {**posts[name], "body": "Corrected.\n"}}, _config())
    built = build_site(cfg_path)
    assert {p for p in built.result.written if "archive" in p} == {"feed/archive/2.xml", "feed/archive/2.rss"}
    assert _written_files(output)["feed/archive/1.xml"] == before["feed/archive/1.xml"]


def test_a_deleted_old_post_shifts_the_pages_after_it(make_site: Callable[..., Path],
                                                      build_site: Callable[..., Built]) -> None:
    """The decided behaviour: pages hold the oldest posts in order, so the later pages move up one
    post (RFC 5005 lets archives change; readers keep what they fetched) and every post stays once."""
    posts = _posts(30)
    cfg_path = make_site(posts, _config())
    build_site(cfg_path)
    (cfg_path.parent / "_posts" / sorted(posts)[3]).unlink()
    built = build_site(cfg_path)
    assert {"feed/archive/3.xml", "feed/archive/3.rss"} <= set(built.result.removed)  # 29 posts: two pages
    assert {"feed/archive/1.xml", "feed/archive/2.xml"} <= set(built.result.written)
    documents = _walk(built.output, "feed.xml")
    _every_post_once(documents, {e.id for doc in built.feeds.values() for e in doc.entries})
    assert len({i for _, ids, _ in documents for i in ids}) == 29


def test_category_archives_when_asked_and_check_passes(make_site: Callable[..., Path],
                                                       build_site: Callable[..., Built]) -> None:
    posts = {**_posts(23), **_posts(14, first=100, category="Other Things")}
    built = build_site(make_site(posts, _config(kinds=("site", "category"), formats=["atom", "rss", "json"])))
    assert "feed/news/archive/2.xml" in built.feeds and "feed/other-things/archive/1.rss" in built.feeds
    assert not any(p.endswith(".json") and "archive" in p for p in built.bytes())  # JSON Feed has no archives
    assert len(built.feeds["feed.json"]["items"]) == 7  # every post no archive page holds: 37 - 3 * 10
    news = _walk(built.output, "feed/news.xml")
    _every_post_once(news, {i for _, ids, _ in news for i in ids})
    assert sum(len(ids) for _, ids, archive in news if archive) == 20
    assert check_output(built.output, SITE_URL) == []
    assert built.opml is not None
    assert not any("archive" in o.get("xmlUrl", "") for o in built.opml.iter("outline"))
    assert b"archive" not in built.bytes()["feeds.html"]


def test_no_archives_by_default_or_below_one_page(make_site: Callable[..., Path],
                                                  build_site: Callable[..., Built]) -> None:
    plain = build_site(make_site(_posts(12), name="plain"))
    assert not any("archive" in p for p in plain.bytes()) and b"prev-archive" not in plain.bytes()["feed.xml"]
    few = build_site(make_site(_posts(9), _config(), name="few"))  # less than one page: nothing to archive
    assert not any("archive" in p for p in few.bytes()) and b"prev-archive" not in few.bytes()["feed.xml"]
    assert len(few.feed("feed.xml").entries) == 9  # every post no archive page holds, beyond feeds.limit
    assert b"xmlns:fh" not in few.bytes()["feed.xml"]


def test_an_archive_page_over_max_bytes_is_written_whole_with_a_warning(make_site: Callable[..., Path],
                                                                          build_site: Callable[..., Built]) -> None:
    built = build_site(make_site(_posts(12), _config(size=10, max_bytes=2000)))
    assert len(built.feed("feed/archive/1.xml").entries) == 10
    said = [p.message for p in built.result.warnings if "archive page 1 of the site feed" in p.message]
    assert said and "lower feeds.archives.size" in said[0]


def test_pages_inside_a_feeds_file_are_refused(make_site: Callable[..., Path],
                                               build_site: Callable[..., Built]) -> None:
    """``feeds.paths.site_atom: news`` (no extension): its pages would be news/archive/1, inside the file."""
    config = _config(paths={"site_atom": "news", "site_rss": "news/archive/x.rss"}, categories=False, tags=False)
    built = build_site(make_site(_posts(12), config), errors_ok=True)
    assert any("archive page 1 of the site feed would be written inside news" in p.message
               for p in built.result.errors)


# --- the paging, in code: any count, size and limit -----------------------------------------

def _walk_specs(specs: list[FeedSpec], fmt: str) -> list[tuple[str, list[str], bool]]:
    by_url = {f.url: (spec, f) for spec in specs for f in spec.files}
    spec, file = next((s, f) for s in specs for f in s.files if not s.page and f.format == fmt)
    documents = []
    while True:
        documents.append((file.path, [p.id for p in spec.entries], spec.page > 0))
        links = dict(file.links)
        if "prev-archive" not in links:
            return documents
        spec, file = by_url[links["prev-archive"]]


@given(st.integers(0, 120), st.integers(1, 30), st.integers(0, 40))
def test_paging_covers_every_post_once(count: int, size: int, limit: int) -> None:
    cfg = unit_config(archive_size=size, limit=limit, categories=False, tags=False)
    posts = [make_post(f"p{i}", START + timedelta(hours=i)) for i in range(count)]
    specs, problems = group_posts(cfg, posts)
    assert problems == []
    for fmt in ("atom", "rss"):
        documents = _walk_specs(specs, fmt)
        assert len(documents) == 1 + count // size
        _every_post_once(documents, {p.id for p in posts})
        assert all(len(ids) == size for _, ids, archive in documents if archive)
        assert len(documents[0][1]) >= min(limit or count, count)


def test_ten_thousand_posts_page_in_linear_work() -> None:
    """10,000 posts in pages of 100: 100 pages a format, each post once (grouping only: a build of
    10,000 rendered posts belongs to the benchmark)."""
    cfg = unit_config(archive_size=100, categories=False, tags=False)
    posts = [make_post(f"p{i}", START + timedelta(minutes=i)) for i in range(10_000)]
    specs, _ = group_posts(cfg, posts)
    assert len(specs) == 101
    documents = _walk_specs(specs, "atom")
    _every_post_once(documents, {p.id for p in posts})
    assert os.path.basename(documents[-1][0]) == "1.xml"


# --- feeds check on archive documents ------------------------------------------------------

ATOM_PAGE = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
  <id>https://x.test/feed/archive/2.xml</id><title>T</title><updated>2022-01-01T00:00:00Z</updated>
  <author><name>A</name></author>
  <link rel="self" href="https://x.test/feed/archive/2.xml"/>
  {head}
</feed>
"""
RSS_PAGE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
<channel><title>T</title><link>https://x.test/</link><description>D</description>
  <atom:link rel="self" href="https://x.test/feed/archive/2.rss"/>
  {head}
</channel></rss>
"""


def _check(tmp_path: Path, name: str, text: str) -> list[tuple[str, str]]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "feed.xml").touch()
    (tmp_path / "feed.rss").touch()
    return [(p.level, p.message) for p in check_output(tmp_path, SITE_URL, [path])]


def test_check_knows_archive_pages(tmp_path: Path) -> None:
    for name, page, link in (("feed/archive/2.xml", ATOM_PAGE, '<link rel="{rel}" href="{href}"/>'),
                             ("feed/archive/2.rss", RSS_PAGE, '<atom:link rel="{rel}" href="{href}"/>')):
        ext = name.rsplit(".", 1)[1]
        current = link.format(rel="current", href=f"{SITE_URL}/feed.{ext}")
        assert _check(tmp_path, name, page.format(head=current + "<fh:archive/>")) == []
        both = _check(tmp_path, name, page.format(head=current + "<fh:archive/><fh:complete/>"))
        assert [level for level, m in both if "fh:archive and fh:complete" in m] == ["error"]
        alone = _check(tmp_path, name, page.format(head="<fh:archive/>"))
        assert [level for level, m in alone if 'no <link rel="current">' in m] == ["warning"]
        gone = link.format(rel="prev-archive", href=f"{SITE_URL}/feed/archive/1.{ext}")
        missing = _check(tmp_path, name, page.format(head=current + gone + "<fh:archive/>"))
        assert [level for level, m in missing if "which is not in the output folder" in m] == ["error"]
        relative = _check(tmp_path, name, page.format(head=link.format(rel="current", href="/feed.xml") +
                                                      "<fh:archive/>"))
        assert any("is not an absolute http(s) URL" in m for _, m in relative)
        later = link.format(rel="next-archive", href=f"{SITE_URL}/feed.{ext}")
        stray = _check(tmp_path, name, page.format(head=later))
        assert [level for level, m in stray if "without fh:archive" in m] == ["warning"]
        twice = _check(tmp_path, name, page.format(head=current + current + "<fh:archive/>"))
        assert any('2 <link rel="current">' in m for _, m in twice)


def test_check_finds_a_broken_chain_in_a_build(make_site: Callable[..., Path],
                                               build_site: Callable[..., Built]) -> None:
    built = build_site(make_site(_posts(25), _config()))
    (built.output / "feed" / "archive" / "1.xml").unlink()
    found = check_output(built.output, SITE_URL)
    assert any(p.path.endswith("feed/archive/2.xml") and "archive/1.xml, which is not in the output folder"
               in p.message for p in found)


def test_feeds_list_names_the_pages(make_site: Callable[..., Path]) -> None:
    import json

    from click.testing import CliRunner

    from feeds.cli import main

    cfg_path = make_site(_posts(25), _config())
    result = CliRunner().invoke(main, ["list", "--json", "--config", str(cfg_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["kind"], r["page"], r["entries"]) for r in rows if r["kind"] == "site"] == [
        ("site", 0, 5), ("site", 1, 10), ("site", 2, 10)]
    assert rows[1]["files"][0]["path"] == "feed/archive/1.xml"
