"""Properties (hypothesis): whatever the posts hold, feeds either says what is wrong or writes
feeds that a real reader parses, with the titles and names the posts gave; no bytes make it
crash; building is deterministic; removing a post removes exactly its entries.

The hypothesis profiles ("ci": 30 examples, "dev") are registered in tests/conftest.py and
chosen with HYPOTHESIS_PROFILE.
"""
from __future__ import annotations

import html
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest
from conftest import HEAVY_EXAMPLES
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from feeds import build, load_config
from feeds.errors import Problem
from feeds.posts import read_post, site_zone
from feeds.text import clean_name, plain_title, xml_safe
from feeds.validate import check_output

SITE_URL = "https://props.example.com"
CONFIG = f"""site:
  url: {SITE_URL}
  title: Properties
timezone: Asia/Shanghai
output: public
feeds:
  limit: 0
cache:
  path: off
build:
  jobs: 1
"""
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What YAML will not take literally inside "…": written as escapes, so the value arrives intact.
_ESCAPE = re.compile("[\\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
slow = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None,
                max_examples=HEAVY_EXAMPLES)  # each example builds a site


def yaml_string(text: str) -> str:
    """Any text as a YAML double-quoted scalar that reads back exactly."""
    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return {"\\": "\\\\", '"': '\\"'}.get(char, f"\\u{ord(char):04x}")
    return '"' + _ESCAPE.sub(escape, text) + '"'


def yaml_list(items: list[str]) -> str:
    return "[" + ", ".join(yaml_string(i) for i in items) + "]"


@contextmanager
def site(posts: dict[str, str | bytes], config: str = CONFIG) -> Iterator[Path]:
    """A site in a fresh temporary folder (hypothesis runs many examples per test)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "_posts").mkdir()
        (root / "config.yaml").write_text(config, encoding="utf-8")
        for name, content in posts.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (root / "_posts" / name).write_bytes(data)
        yield root


def feeds_of(output: Path) -> dict[str, feedparser.FeedParserDict]:
    parsed = {}
    for path in sorted(output.rglob("*")):
        if path.is_file() and path.suffix in (".xml", ".rss") and not path.name.startswith("."):
            result = feedparser.parse(path.read_bytes())
            assert result.bozo == 0, f"{path}: {result.get('bozo_exception')}"
            parsed[path.relative_to(output).as_posix()] = result
    return parsed


def visible(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(output).parts)}


def assert_clear(problems: list[Problem]) -> None:
    """A problem a user can act on: a place, and no parser internals."""
    for problem in problems:
        text = str(problem)
        assert problem.message and "<unicode string>" not in text and "Traceback" not in text, text


# --- strategies ------------------------------------------------------------------------------

any_text = st.text(max_size=40)  # every code point but surrogates (which UTF-8 files cannot hold)
hostile_text = st.one_of(
    any_text,
    st.lists(st.sampled_from(["\x00", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe",
                              "]]>", "--", "'", '"', "\\", ":", "#", "- ", "*a", "&a", "!!", "%", "@", "`",
                              "{{", "{%", "\t", "\r\n", " ", "\U0001f600", "中文", "../", "/"]),
             max_size=8).map("".join),
)
title_text = hostile_text.filter(lambda t: "<" not in t and "&" not in t)
name_list = st.lists(hostile_text, max_size=3)
body_text = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["<p>", "</p>", "<script>alert(1)</script>", "]]>", "&", "&amp;", "&#0;", "&#x8;",
                              "<img src=x onerror=alert(1)>", "<a href='javascript:x'>j</a>", "{% raw %}",
                              "{% highlight py %}\nx\n{% endhighlight %}", "\x00", "\x08", "\x0c", "<!--",
                              "<![CDATA[", "**b**", "[l](../x)", "<http://x>", "<>", "\n\n", "中文", "\U0001f600",
                              "<style>p{}</style>", "`code`", "| a |\n|---|\n| 1 |"]),
             max_size=12).map("".join),
)


@st.composite
def posts(draw: st.DrawFn, count: int = 3) -> list[dict[str, object]]:
    drawn = []
    for i in range(draw(st.integers(1, count))):
        drawn.append({"name": f"2022-03-{1 + i:02d}-p{i}.md", "title": draw(title_text),
                      "categories": draw(name_list), "tags": draw(name_list), "author": draw(hostile_text),
                      "body": draw(body_text), "day": 1 + i})
    return drawn


def post_file(p: dict[str, object]) -> str:
    return (f"---\ntitle: {yaml_string(str(p['title']))}\ndate: 2022-03-{p['day']:02d} 10:00:00 +0800\n"
            f"categories: {yaml_list(p['categories'])}\ntags: {yaml_list(p['tags'])}\n"  # type: ignore[arg-type]
            f"author: {yaml_string(str(p['author']))}\n---\n{p['body']}")


def as_read(text: str) -> str:
    """Text as feedparser hands it over: it "repairs" UTF-8 that looks decoded as Latin-1
    (feedparser/mixin.py), so 'Â¡' comes back as '¡' whoever wrote the feed."""
    try:
        return text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def expected_title(p: dict[str, object]) -> str:
    """The title as a reader shows it: feedparser strips every kind of space at the ends (we keep a
    no-break space there, as Jekyll does)."""
    title = plain_title(xml_safe(str(p["title"]))[0])
    return (title or f"P{str(p['name']).split('-p')[1].removesuffix('.md')}").strip()  # else the file name's


# --- any content: a clear problem, or feeds a reader parses, giving the same text back -------

@slow
@given(posts())
@example([{"name": "2022-03-01-p0.md", "title": "a\x08b\x00 c\ufffe", "categories": ["x\x0b", " "],
           "tags": ["\x00"], "author": "\x1bAnn", "body": "x\x0c]]>y", "day": 1}])
@example([{"name": "2022-03-01-p0.md", "title": "\u00a0a\u3000 b\u00a0", "categories": [], "tags": [],
           "author": "Ann", "body": "x", "day": 1},
          {"name": "2022-03-02-p1.md", "title": "\u00a0", "categories": [], "tags": [], "author": "Ann", "body": "x",
           "day": 2}])
def test_any_content_gives_valid_feeds_with_the_same_text(drawn: list[dict[str, object]]) -> None:
    with site({p["name"]: post_file(p) for p in drawn}) as root:  # type: ignore[misc]
        result = build(load_config(root / "config.yaml"))
        assert_clear(result.problems)
        if result.errors:  # allowed, if it is clear; nothing is written then
            assert not (root / "public").exists()
            return
        feeds = feeds_of(root / "public")
        assert [p for p in check_output(root / "public", SITE_URL) if p.is_error] == []
        for relative in ("feed.xml", "feed.rss"):
            entries = {e.link.rsplit("/", 1)[1]: e for e in feeds[relative].entries}
            assert len(entries) == len(drawn), relative
            for p in drawn:
                entry = entries[str(p["name"]).split("-")[-1].replace(".md", ".html")]
                assert as_read(entry.title) == as_read(expected_title(p)), relative
                if relative == "feed.xml":
                    names = {clean_name(n) for n in [*p["categories"], *p["tags"]]} - {""}  # type: ignore[misc]
                    assert {as_read(t.term) for t in entry.get("tags", [])} == {as_read(n) for n in names}
                    assert as_read(entry.get("author", "")) == as_read(clean_name(str(p["author"])))
        raw = b"".join((root / "public" / r).read_bytes() for r in feeds)
        assert FORBIDDEN.search(raw.decode("utf-8")) is None
        # (a forbidden character that is only whitespace at the edge of a value, such as a body of
        # '\x0c', is stripped with it, not removed: nothing to report)
        forbidden = any(FORBIDDEN.search(str(v).strip()) for p in drawn for v in p.values())
        if forbidden:  # every removal is reported, naming the file
            assert any("XML 1.0 forbids" in w.message for w in result.warnings)


@pytest.mark.parametrize("written, shown", [
    ("EPA&#8217;s plan", "EPA’s plan"),
    ("&quot;Quoted&quot; title", '"Quoted" title'),
    ("Tom &amp; Jerry", "Tom & Jerry"),
    ("a & b", "a & b"),
    ("&amp;lt;not a tag&amp;gt;", "&lt;not a tag&gt;"),  # decoded once, never twice
    ("<em>Emphasis</em> kept as text", "Emphasis kept as text"),
    ("  lots \t of   space  ", "lots of space"),
    ("&#8;&#0;x", "\ufffdx"),  # entities of forbidden characters never produce them
])
def test_title_entities_are_decoded_once(written: str, shown: str) -> None:
    with site({"2022-03-01-t.md": f"---\ntitle: {yaml_string(written)}\ndate: 2022-03-01\n---\nx\n"}) as root:
        result = build(load_config(root / "config.yaml"))
        assert not result.errors
        assert [e.title for e in feeds_of(root / "public")["feed.xml"].entries] == [shown]


@pytest.mark.parametrize("body", ["<p>Use &lt;script&gt;alert(1)&lt;/script&gt; to test.</p>",
                                  "<iframe><img src=x onerror=alert(1)></iframe>"])
def test_escaped_markup_in_a_summary_stays_text(body: str) -> None:
    """Text that shows markup (escaped in the post) must not become markup in the summary."""
    with site({"2022-03-01-code.md": f"---\ntitle: Code\ndate: 2022-03-01\n---\n{body}\n"}) as root:
        assert not build(load_config(root / "config.yaml")).errors
        description = ET.parse(root / "public" / "feed.rss").find("channel/item/description")
        assert description is not None and description.text  # HTML, by RSS convention
        assert "<script" not in description.text and "<img" not in description.text, description.text


# --- any bytes as a post file: never an exception ---------------------------------------------

post_bytes = st.one_of(
    st.binary(max_size=300),
    st.tuples(st.binary(max_size=120), st.binary(max_size=60)).map(lambda t: b"---\n" + t[0] + b"\n---\n" + t[1]),
    st.tuples(hostile_text, hostile_text).map(
        lambda t: f"---\ntitle: {t[0]}\ndate: {t[1]}\ntags: {t[0]}\n---\n{t[1]}".encode("utf-8", "surrogatepass")),
)


@slow
@given(post_bytes)
@example(b"---\na: &a [*a]\n---\n")
@example(b"---\n[" * 3000)
@example(b"\xef\xbb\xbf---\r\ntitle: x\r\n---\r\n")
@example(b"---\ntitle: !!binary aGk=\ndate: !!timestamp 2022-01-01\n---\n")
def test_any_bytes_never_raise(data: bytes) -> None:
    with site({"2022-03-01-any.md": data}) as root:
        cfg = load_config(root / "config.yaml")
        post, problems, _ = read_post(root / "_posts" / "2022-03-01-any.md", root, cfg, site_zone(cfg),
                                      datetime(2030, 1, 1, tzinfo=timezone.utc))
        assert_clear(problems)
        assert post is not None or problems or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"---")
        result = build(load_config(root / "config.yaml"), keep_going=True)
        assert_clear(result.problems)
        if (root / "public").exists():
            feeds_of(root / "public")


# --- determinism and removal --------------------------------------------------------------------

@slow
@given(posts(count=4))
def test_building_twice_gives_the_same_bytes(drawn: list[dict[str, object]]) -> None:
    files = {p["name"]: post_file(p) for p in drawn}
    with site(files) as root:  # type: ignore[arg-type]
        first = build(load_config(root / "config.yaml"))
        assume(not first.errors)
        before = visible(root / "public")
        again = build(load_config(root / "config.yaml"))
        assert again.written == [] and again.removed == []
        assert visible(root / "public") == before
        build(load_config(root / "config.yaml", {"output": str(root / "fresh")}))
        assert visible(root / "fresh") == before


@slow
@given(posts(count=4), st.data())
def test_removing_a_post_removes_exactly_its_entries(drawn: list[dict[str, object]], data: st.DataObject) -> None:
    assume(len(drawn) >= 2)
    files = {p["name"]: post_file(p) for p in drawn}
    with site(files) as root:  # type: ignore[arg-type]
        first = build(load_config(root / "config.yaml"))
        assume(not first.errors)
        before = {k: [e.id for e in f.entries] for k, f in feeds_of(root / "public").items()}
        gone = data.draw(st.sampled_from(sorted(files)))
        gone_id = next(iter(e.id for e in feedparser.parse((root / "public" / "feed.xml").read_bytes()).entries
                            if e.link.endswith(f"/p{gone.split('-p')[1].removesuffix('.md')}.html")))
        (root / "_posts" / gone).unlink()
        second = build(load_config(root / "config.yaml"))
        assert not second.errors
        after = {k: [e.id for e in f.entries] for k, f in feeds_of(root / "public").items()}
        expected = {k: [i for i in ids if i != gone_id] for k, ids in before.items()}
        assert after == {k: ids for k, ids in expected.items() if ids}
        assert sorted(second.removed) == sorted(k for k, ids in expected.items() if not ids)


# --- names never escape the output folder ----------------------------------------------------

@slow
@given(st.lists(hostile_text, min_size=1, max_size=4), st.lists(hostile_text, min_size=1, max_size=4))
def test_any_names_write_inside_the_output_folder_only(categories: list[str], tags: list[str]) -> None:
    text = (f"---\ntitle: Names\ndate: 2022-03-01\ncategories: {yaml_list(categories)}\n"
            f"tags: {yaml_list(tags)}\n---\nBody\n")
    with site({"2022-03-01-names.md": text}) as root:
        result = build(load_config(root / "config.yaml"))
        assert_clear(result.problems)
        # beside public/: feeds' records of it (see feeds/bookkeeping.py), nothing else
        assert sorted(p.name for p in root.iterdir()) == [".public.feeds", "_posts", "config.yaml", "public"]
        for path in (root / "public").rglob("*"):
            assert path.resolve().is_relative_to((root / "public").resolve())
        feeds_of(root / "public")


def test_yaml_string_reads_back_exactly() -> None:
    from feeds.yamlload import load_text_yaml

    sample = "a\x00b\x08\x7f\x85\u2028\ufeff\"\\ \t\n\r中\U0001f600"
    assert load_text_yaml(f"t: {yaml_string(sample)}\n") == {"t": sample}
    assert html.unescape("&#8217;") == "’"
