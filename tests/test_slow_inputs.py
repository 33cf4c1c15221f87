"""Hostile inputs: each renders in about a second, or is refused with a warning naming the post.

Speed is checked by rendering in a child process (a fork) under a generous timeout
(``BOUND``): fixed, each case takes about a second; quadratic, they take minutes. No test here
measures wall time itself.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import re
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SITE_URL, make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds import load_config
from feeds.cli import main
from feeds.config import Config, ContentOptions
from feeds.errors import ConfigError
from feeds.htmlcost import estimate
from feeds.posts import LIQUID
from feeds.render import MAX_DEPTH, MAX_NESTING, clean_html, render_post
from feeds.validate import check_feed_file

BOUND = 30  # seconds for one rendering; the slowest case below takes about 2 s fixed, minutes unfixed
BIG = 10_000_000  # content.max_entry_bytes that lets the nesting and '&' checks speak, not the size


def _render_in_child(conn: Connection, body: str, limit: int) -> None:
    cfg = unit_config()
    cfg = dataclasses.replace(cfg, content=dataclasses.replace(cfg.content, max_entry_bytes=limit))
    liquid = 1 if "{%" in body or "{{" in body else 0  # what reading the post would say (posts.LIQUID)
    rendered, problems = render_post(make_post("hostile", liquid=liquid), body, cfg)
    conn.send({"content": rendered.content[:2000], "size": len(rendered.content),
               "problems": [p.message for p in problems], "paths": [p.path for p in problems]})


def render_bounded(body: str, limit: int = BIG) -> dict[str, Any]:
    """render_post on ``body`` in a child process that must finish within BOUND seconds (killed
    after that). A fork of this process: it starts with everything imported, so the bound is on
    the rendering alone, and a fresh interpreter's start-up is not paid once a case."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_render_in_child, args=(sending, body, limit), daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(BOUND):
            pytest.fail(f"rendering did not finish within {BOUND} s")
        try:
            result: dict[str, Any] = receiving.recv()
        except EOFError:  # it died without an answer: its traceback is in the captured stderr
            child.join(BOUND)
            pytest.fail(f"the rendering process failed (exit code {child.exitcode})")
        return result
    finally:
        child.kill()
        child.join()
        receiving.close()


def shortened(result: dict[str, Any]) -> bool:
    """The entry is the summary-and-link stand-in, with one warning naming the post."""
    return (f'<a href="{SITE_URL}/2022/03/04/hostile.html">' in result["content"] and result["size"] < 500
            and len(result["problems"]) == 1 and result["paths"] == ["_posts/2022-03-04-hostile.md"]
            and "the feeds carry its summary and a link to the post instead" in result["problems"][0])


# --- Liquid: one scan ---------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "{% highlight a %}" * 30000,  # never closed: was quadratic (a backtracking regex per opening)
    "{% highlight a " * 30000,
    "{% highlight " + "a" * 300000,
    "{%" * 200000,
    "{% highlight a %}x{% endhighlight %}\n" * 20000,
    "{{ " * 200000,
], ids=["openings", "unclosed-tags", "long-name", "braces", "many-blocks", "site-vars"])
def test_liquid_tags_are_read_in_one_scan(body: str) -> None:
    """Hostile templates: rendered within the bound, and anything said is a Liquid message about the
    post (a template the engine refuses is published as written, with one warning)."""
    result = render_bounded(body)
    assert all(message.startswith("Liquid") for message in result["problems"]), result["problems"]
    assert len(result["problems"]) <= 1 and "{" in result["content"] + "x{"


def render(body: str) -> str:
    rendered, problems = render_post(make_post("p", liquid=LIQUID if "{%" in body else 0), body, unit_config())
    assert problems == []
    return rendered.content


def test_a_fence_inside_highlighted_code_stays_code() -> None:
    html = render("{% highlight md %}\n```\n<b>bold</b>\n````\n{% endhighlight %}\nAfter.\n")
    assert '<pre><code class="language-md">```\n&lt;b&gt;bold&lt;/b&gt;\n````\n</code></pre>' in html
    assert "<b>" not in html and "<p>After.</p>" in html


@pytest.mark.parametrize("body", [
    "{% highlight py %}x = 1{% endhighlight %}\nAfter.\n",  # no newline before the end tag
    "See {% highlight py %}\nx = 1\n{% endhighlight %}\nAfter.\n",  # opened mid-line
    "{%- highlight py linenos -%}\nx = 1\n{%- endhighlight -%}\nAfter.\n",
])
def test_highlighted_code_always_ends_where_its_end_tag_is(body: str) -> None:
    html = render(body)
    assert '<pre><code class="language-py">x = 1\n</code></pre>' in html
    assert html.endswith("<p>After.</p>")


# --- the sanitiser's blow-ups: refused before it runs --------------------------------------

NESTED = {
    "quotes-80k": ">" * 80000 + " x\n",
    "spaced-quotes": "> " * 40000 + "x\n",
    "divs-90k": "<div>" * 90000,
    "list-items": "<ul><li>" * 20000,
    "bold-then-items": "<b>" * 10000 + "<li>x" * 10000,
    "indented-lists": "".join("  " * i + "- x\n" for i in range(1500)),
    "emphasis": "*a **a " * 40000 + "b" + " a** a*" * 40000,
    "hidden-end-tags": '<div title="</div>">' * 50000,
    "commented-end-tags": "<div><!-- </div> -->" * 50000,
    "ignored-end-tags": "<span><div></span>" * 50000,
    "foreign-breakout": "<math><strong></math>" * 50000,
    "formatting-reopened": "".join(f'<p><b class="c{i}">x</p>' for i in range(30000)),
}


@pytest.mark.parametrize("body", list(NESTED.values()), ids=list(NESTED))
def test_deep_nesting_is_refused_with_a_warning(body: str) -> None:
    result = render_bounded(body)
    assert shortened(result), result["problems"]
    assert "nest" in result["problems"][0]


AMPERSANDS = {
    "amp-1.6MB": "&" * 1_600_000,
    "amp-then-text": "&" * 20000 + "a" * 3_000_000,
    "amp-in-words": "x&y" * 400_000,
    "char-refs": "<p>" + "&#38;" * 400_000 + "</p>",
    "amp-in-attribute": '<a title="' + "&amp;" * 20000 + "a" * 3_000_000 + '">x</a>',
    "amp-across-end-tags": "&amp;" * 20000 + ("</x>" + "a" * 100) * 30000,
}


@pytest.mark.parametrize("body", list(AMPERSANDS.values()), ids=list(AMPERSANDS))
def test_long_runs_of_ampersands_are_refused_with_a_warning(body: str) -> None:
    result = render_bounded(body)
    assert shortened(result), result["problems"]
    assert "'&' or signs such as « or no-break spaces in one run of text" in result["problems"][0]


@pytest.mark.parametrize("body", ["\u00a0" * 400_000, "<p>" + "«a" * 300_000 + "</p>", "© " * 300_000],
                         ids=["no-break-spaces", "guillemets-in-words", "copyright-signs"])
def test_long_runs_of_latin1_signs_are_refused_with_a_warning(body: str) -> None:
    """nh3 0.3.8 is quadratic on U+0080..U+00BF in one string, as on '&' (4 s for 400,000)."""
    result = render_bounded(body)
    assert shortened(result), result["problems"]
    assert "signs such as « or no-break spaces in one run of text" in result["problems"][0]


def test_latin1_signs_in_ordinary_amounts_are_published() -> None:
    result = render_bounded("<p>" + "« Bonjour » © 2024\u00a0!" * 200 + "</p>")
    assert not shortened(result) and result["problems"] == []


@pytest.mark.parametrize("body", [
    "- " * 200000 + "x",
    "*" * 200000 + "x" + "*" * 200000,
    "[" * 400000,
    "![" * 200000,
    "`" * 400000,
    "<" * 1_000_000,
    "&lt;" * 300000,
    "a]" * 200000,
    "<!--" * 200000,
    "<a " * 200000,
    "<p>x</p>" * 100000,
    "<p>" * 200000,
    '<a href="u">x</a> ' * 30000,
    "<svg>" + "<path/>" * 100000 + "</svg>",
    "<<" * 400_000,  # kramdown's guillemets: U+00AB, one of the characters nh3 is slow on
], ids=["dash-list", "stars", "brackets", "images", "backticks", "lt-runs", "lt-refs", "closers", "comments",
        "unclosed-tags", "paragraphs", "open-paragraphs", "links", "svg-paths", "guillemets"])
def test_neighbours_render_quickly_or_are_refused(body: str) -> None:
    result = render_bounded(body)
    assert result["problems"] == [] or shortened(result), result["problems"]


def test_ordinary_nesting_is_not_refused() -> None:
    body = "".join(f"<div><ul><li><p>item {i} &amp; <b>more</b></p><table><tr><td>a<td>b</table></li></ul></div>"
                   for i in range(2000))
    result = render_bounded(body * 3)
    assert result["problems"] == []


_TAGS = ["div", "span", "p", "li", "ul", "b", "i", "a", "table", "tr", "td", "blockquote", "svg", "g", "math",
         "mi", "select", "option", "optgroup", "br", "em", "button", "section", "dd", "dt", "caption", "h1", "font"]
_SOUP = st.lists(st.one_of(st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
                           st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
                           st.sampled_from(_TAGS).map(lambda t: f"<{t}/>"),
                           st.sampled_from(["x", "<!-- </div> -->", '<a title="</div>">', "<a x=y/>"])),
                 max_size=80).map("".join)
_OPEN = Config(site=unit_config().site, root=Path("."), content=ContentOptions(sanitize=False, allow_tags=tuple(_TAGS)))


def _depth(clean: str) -> int:
    """How deep the sanitiser's own (well-formed) output nests."""
    depth = deepest = 0
    for closing, name, selfclosing in re.findall(r"<(/?)([a-z][^\s/>]*)[^>]*?(/?)>", clean):
        if name in ("br", "img", "hr", "col") or selfclosing:
            continue
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


@given(_SOUP.map(lambda soup: soup * 8))
def test_the_estimate_never_sees_much_less_nesting_than_the_sanitiser_builds(soup: str) -> None:
    built = _depth(clean_html(soup, f"{SITE_URL}/p.html", _OPEN))
    assert 2 * estimate(soup, 10**9, 10**18).depth + 4 >= built


def test_the_limits_are_what_the_warnings_say() -> None:
    assert estimate("<div>" * (MAX_DEPTH + 1), MAX_DEPTH, MAX_NESTING).depth > MAX_DEPTH
    assert estimate("<div>" * MAX_DEPTH, MAX_DEPTH, MAX_NESTING).depth <= MAX_DEPTH


# --- front matter with many keys -----------------------------------------------------------

def test_many_front_matter_keys_are_read_in_one_pass(tmp_path: Path) -> None:
    keys = "".join(f"key{i}: {i}\n" for i in range(30000))
    post = tmp_path / "_posts" / "2022-03-04-keys.md"
    post.parent.mkdir(parents=True)
    post.write_text(f"---\ntitle: Keys\ndate: 2022-03-04 10:00:00 +0800\n{keys}---\nBody.\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(f"site:\n  url: {SITE_URL}\ntimezone: UTC\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "feeds", "check"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=BOUND)
    assert done.returncode == 0, done.stderr


def test_front_matter_messages_keep_their_lines(make_site: Callable[..., Path]) -> None:
    text = "---\nx:y: 1\ntitle: T\ndate: 2022-13-40\n---\nBody.\n"
    cfg_path = make_site({"2022-03-04-lines.md": text})
    result = CliRunner().invoke(main, ["check", "--config", str(cfg_path)])
    assert "_posts/2022-03-04-lines.md:4: date:" in result.stderr


# --- one entry's size in a feed -------------------------------------------------------------

TABLE_ROW = "| a | b | c | d |\n"
BIG_TABLE = "| h1 | h2 | h3 | h4 |\n|---|---|---|---|\n" + TABLE_ROW * (1_000_000 // len(TABLE_ROW))


def test_an_entry_over_the_limit_becomes_its_summary_and_a_link(make_site: Callable[..., Path]) -> None:
    cfg_path = make_site({"2022-03-04-table.md": {"title": "Table", "date": "2022-03-04 10:00:00 +0800",
                                                  "excerpt": "A big table.", "body": BIG_TABLE}})
    runner = CliRunner()
    built = runner.invoke(main, ["build", "--config", str(cfg_path)])
    assert built.exit_code == 0, built.stderr
    assert "_posts/2022-03-04-table.md: warning: the content is over 2,097,152 bytes after rendering" in built.stderr
    feed = (cfg_path.parent / "public" / "feed.xml").read_bytes()
    assert len(feed) < 10_000 and b"A big table." in feed and b"/2022/03/04/table.html" in feed
    checked = runner.invoke(main, ["check", "--config", str(cfg_path)])
    assert checked.exit_code == 0, checked.stderr


def test_the_entry_limit_applies_after_cleaning_too(make_site: Callable[..., Path]) -> None:
    cfg_path = make_site({"2022-03-04-long.md": {"title": "Long", "date": "2022-03-04 10:00:00 +0800",
                                                 "body": "First words.\n\n" + "word " * 2500}},
                         {"content": {"max_entry_bytes": 10000}})
    result = CliRunner().invoke(main, ["build", "--config", str(cfg_path)])
    assert re.search(r"_posts/2022-03-04-long\.md: warning: the content is 1\d,\d\d\d bytes, over "
                     r"content\.max_entry_bytes \(10,000\)", result.stderr), result.stderr
    feed = (cfg_path.parent / "public" / "feed.xml").read_bytes()
    assert b"&lt;p&gt;First words.&lt;/p&gt;" in feed


@pytest.mark.parametrize("value", [0, 10_000_001, "lots"])
def test_the_entry_limit_must_be_one_readers_accept(make_site: Callable[..., Path], value: object) -> None:
    cfg_path = make_site({}, {"content": {"max_entry_bytes": value}})
    with pytest.raises(ConfigError, match="content.max_entry_bytes: expected a number of bytes"):
        load_config(cfg_path)


# --- feeds check parses as readers do --------------------------------------------------------

ATOM = ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>{url}</id><title>t</title><updated>2022-03-04T10:00:00Z</updated>"
        '<link href="{url}" rel="self"/><author><name>a</name></author>'
        "<entry><id>{url}/1</id><title>x</title><updated>2022-03-04T10:00:00Z</updated>"
        '<link href="{url}/1"/>{content}</entry></feed>\n')


@pytest.mark.parametrize("content, reason", [
    ('<content type="html">' + "x" * 10_100_000 + "</content>", "Text node too long"),
    ('<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">' + "<span>" * 300 + "</span>" * 300
     + "</div></content>", "Excessive depth"),
], ids=["long-text", "deep"])
def test_check_reports_what_readers_refuse(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(ATOM.format(url=f"{SITE_URL}/feed.xml", content=content), encoding="utf-8")
    problems = check_feed_file(path, f"{SITE_URL}/feed.xml")
    assert [p for p in problems if p.is_error and "readers refuse this file" in p.message and reason in p.message]
