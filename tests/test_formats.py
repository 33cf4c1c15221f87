"""feeds.formats: one registry of output formats, and JSON Feed 1.1 as the third of them.

The registry is asked by the schema, write, serve, validate and the OPML: each test below
checks one of them against it. JSON Feed output is parsed back by json, by our checker and by
feedparser, and compared with the spec (https://jsonfeed.org/version/1.1).
"""
from __future__ import annotations

import ast
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from conftest import SITE_URL, Built, make_post, unit_config
from hypothesis import given, settings
from hypothesis import strategies as st
from test_write import ENTRIES, RENDERED, spec_for

from feeds.config import Author
from feeds.formats import BY_NAME, FEED_FORMATS, REGISTRY, default_paths
from feeds.render import Rendered
from feeds.schema import KEYS
from feeds.serve import media_type
from feeds.validate import check_feed_file, check_output
from feeds.write import feed_bytes, opml_bytes

FEEDS = Path(__file__).parent.parent / "feeds"
ALL = ("atom", "rss", "json")


# --- the registry ------------------------------------------------------------------------

def test_every_feed_format_has_its_paths_keys_and_a_word_in_feeds_formats() -> None:
    for fmt in REGISTRY:
        for kind, pattern in fmt.default_paths:
            key = "feeds.paths.opml" if kind == "opml" else f"feeds.paths.{kind}_{fmt.name}"
            assert KEYS[key].default == pattern
    assert FEED_FORMATS == ALL and KEYS["feeds.formats"].default == ("atom", "rss")  # JSON Feed is opt-in
    assert default_paths()["site_json"] == "feed.json" and default_paths()["tag_json"] == "feed/by_tag/{slug}.json"


def test_serve_gives_each_format_its_registered_media_type() -> None:
    cfg = unit_config(formats=ALL)
    data = feed_bytes(cfg, spec_for(cfg), RENDERED)
    served = {f.format: media_type(f.path, data[f.path]).split(";")[0] for f in spec_for(cfg).files}
    assert served == {name: BY_NAME[name].media_type for name in ALL}
    assert served["json"] == "application/feed+json"
    assert media_type("feeds.opml", b"<opml/>").startswith("text/x-opml")
    assert media_type("data.json", b'{"a": 1}') == "application/json"  # only a JSON Feed is a feed
    assert media_type("feed.xml", b"<rss version='2.0'/>").startswith("application/rss+xml")


def test_the_opml_lists_every_format_of_every_feed() -> None:
    cfg = unit_config(formats=ALL)
    opml = opml_bytes(cfg, [spec_for(cfg)]).decode()
    for name, ext in (("atom", "xml"), ("rss", "rss"), ("json", "json")):
        assert f"({name})" in opml and f'xmlUrl="{SITE_URL}/feed.{ext}"' in opml


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return found | {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


def test_feedgen_is_imported_in_write_only_and_the_registry_imports_no_format_module() -> None:
    users = sorted(p.relative_to(FEEDS).as_posix() for p in FEEDS.rglob("*.py") if "feedgen" in _imports(p))
    assert users == ["write.py"]
    assert _imports(FEEDS / "formats.py") <= {"__future__", "functools", "importlib", "collections", "dataclasses",
                                                "typing"}


def test_a_third_format_needs_no_branch_on_a_name() -> None:
    """write, serve and validate name no format: they ask the registry."""
    for module in ("write.py", "serve.py", "validate/__init__.py", "pipeline.py", "workers.py",
                   "group.py", "config.py"):
        source = (FEEDS / module).read_text(encoding="utf-8")
        for word in ('== "atom"', '== "rss"', '"application/atom+xml"', '"application/rss+xml"', ".opml\""):
            assert word not in source, f"{module} branches on {word}"


# --- JSON Feed 1.1 ------------------------------------------------------------------------

@pytest.fixture
def json_feed() -> dict:  # type: ignore[type-arg]
    cfg = unit_config(formats=("json",), site_fields={"language": "zh-CN", "author": Author("The Desk", "d@x.test")})
    spec = spec_for(cfg)
    (file,) = spec.files
    data = feed_bytes(cfg, spec, RENDERED)[file.path]
    assert data == feed_bytes(cfg, spec, RENDERED)[file.path], "same input, same bytes"
    assert data.endswith(b"}\n") and "王小明".encode() in data  # ensure_ascii=False
    return json.loads(data)  # type: ignore[no-any-return]


def test_json_feed_has_the_spec_fields(json_feed: dict) -> None:  # type: ignore[type-arg]
    assert json_feed["version"] == "https://jsonfeed.org/version/1.1"
    assert json_feed["title"] == "Test News" and json_feed["description"] == "Posts for the tests"
    assert json_feed["home_page_url"] == SITE_URL + "/" and json_feed["feed_url"] == SITE_URL + "/feed.json"
    assert json_feed["language"] == "zh-CN" and json_feed["authors"] == [{"name": "The Desk"}]
    first, edited, same = json_feed["items"]
    assert first["id"] == ENTRIES[0].id and first["url"] == ENTRIES[0].url and first["title"] == "Newest"
    assert first["content_html"] == RENDERED[ENTRIES[0].id].content and first["summary"] == "Summary one"
    assert first["date_published"] == "2022-03-04T13:23:21+08:00" == first["date_modified"]  # seconds, own offset
    assert first["authors"] == [{"name": "王小明"}] and first["tags"] == ["新闻", "open source"]
    assert edited["id"] == "urn:uuid:1234" and edited["date_published"] == "2022-03-03T08:05:09-04:00"
    assert edited["date_modified"] == "2022-03-10T09:15:00+08:00"
    assert "summary" not in same and "tags" not in same


def test_json_feed_excerpt_only_carries_the_summary_as_text() -> None:
    cfg = unit_config(formats=("json",))
    post = make_post("short", excerpt_only=True)
    spec = spec_for(cfg, (post,))
    item = json.loads(feed_bytes(cfg, spec, {post.id: RENDERED[ENTRIES[0].id]})[spec.files[0].path])["items"][0]
    assert item["content_text"] == "Summary one" and "content_html" not in item


def test_json_feed_is_read_by_feedparser_when_it_can(json_feed: dict) -> None:  # type: ignore[type-arg]
    """feedparser reads JSON Feed from 6.1 on; the 6.0 we pin does not (then json and the checker do)."""
    parsed = feedparser.parse(json.dumps(json_feed).encode())
    if parsed.version != "json11":
        pytest.skip(f"feedparser {feedparser.__version__} does not read JSON Feed")
    assert parsed.bozo == 0 and [e.id for e in parsed.entries] == [p.id for p in ENTRIES]
    assert parsed.entries[0].title == "Newest" and "Full" in parsed.entries[0].content[0].value


def test_a_build_with_json_writes_and_checks_every_json_feed(site_with: Callable[..., Path],
                                                             build_site: Callable[..., Built]) -> None:
    built = build_site(site_with("2022-03-04-chinese-tag.md", "2022-03-04-relative-links.md",
                                 "2022-03-04-author.md"), feeds__formats=["atom", "rss", "json"])
    written = sorted(p for p in built.feeds if p.endswith(".json"))
    assert "feed.json" in written and "feed/by_tag/快递新闻.json" in written
    assert all(built.feed(p)["version"] == "https://jsonfeed.org/version/1.1" for p in written)
    assert built.opml is not None
    listed = {o.get("xmlUrl") for o in built.opml.iter("outline") if o.get("xmlUrl")}
    assert f"{SITE_URL}/feed.json" in listed
    assert listed == {f"{SITE_URL}/{quote(p)}" for p in built.feeds}
    assert check_output(built.output, SITE_URL) == []
    first = built.bytes()
    build_site(built.output.parent / "config.yaml", feeds__formats=["atom", "rss", "json"])
    assert built.bytes() == first


# --- the checker --------------------------------------------------------------------------

GOOD = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "home_page_url": f"{SITE_URL}/",
        "feed_url": f"{SITE_URL}/feed.json",
        "items": [{"id": "1", "url": f"{SITE_URL}/a", "content_html": "<p>a</p>",
                   "date_published": "2022-03-04T13:23:21+08:00", "authors": [{"name": "A"}], "tags": ["x"]}]}


def _check(tmp_path: Path, feed: object, name: str = "feed.json") -> list[str]:
    path = tmp_path / name
    path.write_text(json.dumps(feed) if not isinstance(feed, str) else feed, encoding="utf-8")
    return [p.message for p in check_feed_file(path, f"{SITE_URL}/{name}")]


def _with(change: dict, item: dict | None = None) -> dict:  # type: ignore[type-arg]
    feed = {**GOOD, **change}
    if item is not None:
        merged = {**GOOD["items"][0], **item}  # type: ignore[dict-item]
        feed["items"] = [{k: v for k, v in merged.items() if v is not None}]
    return {k: v for k, v in feed.items() if v is not None}


def test_the_checker_passes_a_good_feed(tmp_path: Path) -> None:
    assert _check(tmp_path, GOOD) == []


@pytest.mark.parametrize(("feed", "words"), [
    (_with({"version": "https://jsonfeed.org/version/2"}), "version"),
    (_with({"title": None}), "no title"),
    (_with({"title": 3}), "no title"),
    (_with({"feed_url": None}), "no feed_url"),
    (_with({"feed_url": f"{SITE_URL}/other.json"}), "served at"),
    (_with({"home_page_url": "/"}), "absolute"),
    (_with({"icon": "icon.png"}), "absolute"),
    (_with({"items": None}), "items"),
    (_with({"items": {}}), "items"),
    (_with({}, {"id": None}), "no id"),
    (_with({}, {"id": 7}), "no id"),
    (_with({}, {"content_html": None}), "neither content_html nor content_text"),
    (_with({}, {"url": "a.html"}), "absolute"),
    (_with({}, {"image": "//cdn.test/a.png"}), "absolute"),
    (_with({}, {"date_published": "2022-03-04"}), "RFC 3339"),
    (_with({}, {"date_modified": "2022-03-04T13:23:21"}), "RFC 3339"),
    (_with({}, {"date_published": "2022-02-30T13:23:21Z"}), "not a real date"),
    (_with({}, {"tags": "x"}), "tags"),
    (_with({}, {"authors": [{}]}), "authors[0]"),
    (_with({}, {"authors": "A"}), "authors"),
    (_with({}, {"summary": 1}), "summary is a int"),
    ({**GOOD, "items": [GOOD["items"][0], GOOD["items"][0]]}, "also the id"),
])
def test_the_checker_names_each_broken_rule(tmp_path: Path, feed: dict, words: str) -> None:  # type: ignore[type-arg]
    problems = _check(tmp_path, feed)
    assert any(words in p for p in problems), problems


def test_the_checker_reports_broken_json_and_skips_other_json(tmp_path: Path) -> None:
    assert any("not JSON" in p for p in _check(tmp_path, '{"version": "https://jsonfeed.org/version/1.1",'))
    (tmp_path / "data.json").write_text('{"a": 1}', encoding="utf-8")
    (tmp_path / "feed.json").unlink()
    assert check_output(tmp_path, SITE_URL) == []  # JSON that is not a feed is none of ours
    assert check_feed_file(tmp_path / "data.json", None)[0].message.startswith("not an RSS, Atom, JSON Feed")


@settings(deadline=None)
@given(title=st.text(), author=st.text(), names=st.lists(st.text(), max_size=3), html=st.text(), summary=st.text())
def test_any_text_gives_a_json_feed_that_checks_and_reads_back(title: str, author: str, names: list[str],
                                                               html: str, summary: str) -> None:
    cfg = unit_config(formats=("json",))
    post = make_post("any", title=title, author=author, tags=tuple(names))
    spec = spec_for(cfg, (post,))
    data = feed_bytes(cfg, spec, {post.id: Rendered(html, summary)})[spec.files[0].path]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.json"
        path.write_bytes(data)
        assert [p for p in check_feed_file(path, f"{SITE_URL}/feed.json") if p.is_error] == []
    item = json.loads(data)["items"][0]
    if not any("\ud800" <= c <= "\udfff" for c in title + html):
        assert item["title"] == title and item["content_html"] == html
