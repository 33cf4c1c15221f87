"""Content that reaches a feed: what a post or the config says is never trusted to be valid.

Whatever `feeds build` writes passes `feeds check`: repeated ids are published once, URLs in
content either become valid absolute URLs with a safe scheme or go, dates and offsets fit RFC 822
and xsd:dateTime, config values and entry ids are refused when feeds could not carry them, and
titles and names stay text that no reader can take for markup.
"""
from __future__ import annotations

import dataclasses
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SITE_URL, Built, make_post, read_site, unit_config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_properties import yaml_list, yaml_string

from feeds import build, load_config
from feeds.cli import main
from feeds.config import Config, ContentOptions
from feeds.errors import ConfigError
from feeds.jekyll import DateError, parse_date
from feeds.render import absolute, render_post
from feeds.text import clean_name, plain_title, srcset_candidates
from feeds.validate import check_output

POST_URL = f"{SITE_URL}/2022/03/04/post.html"
FOLDER = f"{SITE_URL}/2022/03/04/"


def render(body: str, cfg: Config | None = None, url: str = POST_URL) -> str:
    rendered, _ = render_post(make_post("post", url=url, markdown=False), body, cfg or unit_config())
    return rendered.content


def attrs(html: str, name: str) -> list[str]:
    return re.findall(rf'\b{name}="([^"]*)"', html)


def errors(built: Built) -> list[str]:
    return [str(p) for p in built.result.errors]


def checked(built: Built) -> list[str]:
    """Every problem `feeds check` finds in what the build wrote (warnings too)."""
    return [str(p) for p in check_output(built.output, SITE_URL)]


# --- two posts with one id: one is published, never both -------------------------------------

def test_a_repeated_id_publishes_only_the_first_post_by_path(make_site: Callable[..., Path],
                                                              build_site: Callable[..., Built]) -> None:
    site = make_site({
        "2022-03-02-b.md": {"title": "B", "date": "2022-03-02", "id": "urn:same", "categories": ["c"]},
        "2022-03-01-a.md": {"title": "A", "date": "2022-03-01", "id": "urn:same", "categories": ["c"]},
        "2022-03-03-c.md": {"title": "C", "date": "2022-03-03", "categories": ["c"]},
    })
    built = build_site(site, errors_ok=True, keep_going=True)
    assert [(Path(p.path).name, p.message) for p in built.result.errors] == [(
        "2022-03-02-b.md", f"entry id urn:same is also the id of {site.parent / '_posts/2022-03-01-a.md'}; "
        "not published; give one of them its own permalink: or id:")]
    for feed in ("feed.xml", "feed.rss", "feed/c.xml", "feed/c.rss"):
        assert sorted(e.title for e in built.feed(feed).entries) == ["A", "C"], feed
    assert built.result.posts == 2
    assert checked(built) == []


def test_ids_that_come_out_the_same_from_permalinks_are_published_once(
        make_site: Callable[..., Path], build_site: Callable[..., Built]) -> None:
    site = make_site({"2022-03-01-a.md": {"title": "A", "date": "2022-03-01", "permalink": "/same.html"},
                      "2022-03-02-b.md": {"title": "B", "date": "2022-03-02", "permalink": "/same.html"}})
    built = build_site(site, errors_ok=True, keep_going=True, feeds__entry_id="url")
    assert len(errors(built)) == 1 and "not published" in errors(built)[0]
    assert [e.title for e in built.feed("feed.xml").entries] == ["A"]
    assert checked(built) == []


# --- URLs in content: a safe scheme in every URL attribute, and valid absolute URLs -----------

SCRIPTING = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "&#x01;javascript:alert(1)",
             "jav&#x09;ascript:alert(1)", "jav&#x0A;ascript:alert(1)", "java\nscript:alert(1)",
             "&#106;avascript:alert(1)", "javascript&colon;alert(1)", "vbscript:msgbox(1)", "VBScript:x",
             "livescript:x", "data:text/html,<script>alert(1)</script>", "DATA:text/html;base64,PHNjcmlwdD4="]


@pytest.mark.parametrize("url", SCRIPTING)
def test_scripting_urls_go_from_every_url_attribute(url: str) -> None:
    html = render(f'<img src="ok.png" srcset="{url} 1x, big.png 2x"><picture><source srcset="{url}"></picture>'
                  f'<blockquote cite="{url}">b</blockquote><q cite="{url}">q</q><del cite="{url}">d</del>'
                  f'<ins cite="{url}">i</ins><a href="{url}">a</a><img src="{url}"><video poster="{url}"></video>')
    assert attrs(html, "srcset") == [f"{FOLDER}big.png 2x"]
    assert attrs(html, "cite") == [] and attrs(html, "href") == [] and attrs(html, "poster") == []
    assert attrs(html, "src") == [f"{FOLDER}ok.png"]
    assert "script" not in html.lower().replace("<q>q</q>", "")


def test_attributes_the_config_allows_are_checked_too() -> None:
    cfg = dataclasses.replace(unit_config(), content=ContentOptions(allow_attributes=("lowsrc", "formaction")))
    html = render('<img src="a.png" lowsrc="javascript:x"><img src="b.png" lowsrc="small.png">', cfg)
    assert attrs(html, "lowsrc") == [f"{FOLDER}small.png"]


def test_images_may_be_data_urls_in_srcset_too_and_commas_stay_inside_urls() -> None:
    gif = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    html = render(f'<img src="a.png" srcset="{gif} 1x, https://cdn.test/w_100,h_50/a.jpg 2x">'
                  f'<a href="{gif}">not here</a>')
    assert attrs(html, "srcset") == [f"{gif} 1x, https://cdn.test/w_100,h_50/a.jpg 2x"]
    assert attrs(html, "href") == []


def test_safe_schemes_are_kept() -> None:
    html = render('<a href="mailto:desk@example.org">m</a><a href="tel:+861012345678">t</a>'
                  '<a href="HTTPS://Other.test/x">o</a><blockquote cite="https://src.test/q">b</blockquote>'
                  '<q cite="notes.html">q</q>')
    assert attrs(html, "href") == ["mailto:desk@example.org", "tel:+861012345678", "https://Other.test/x"]
    assert attrs(html, "cite") == ["https://src.test/q", f"{FOLDER}notes.html"]


@pytest.mark.parametrize("written, read", [
    ("https:evil.example/x", f"{FOLDER}evil.example/x"),  # the page's own scheme: relative, as browsers read it
    ("https:/x", f"{SITE_URL}/x"),
    ("https:javascript:alert(1)", f"{FOLDER}javascript:alert(1)"),
    ("https:", POST_URL),
    ("http:/x", "http://x"),  # another scheme: what follows the slashes is the host
    ("http:x.test/a", "http://x.test/a"),
    ("http:///x.test/a", "http://x.test/a"),
    ("https:\\\\evil.example/x", "https://evil.example/x"),  # '\\' is '/' in web URLs
    ("\\\\evil.example/x", "https://evil.example/x"),
    ("/a\\b?c\\d", f"{SITE_URL}/a/b?c\\d"),
    ("  x.html\t ", f"{FOLDER}x.html"),
    ("x\n.html", f"{FOLDER}x.html"),
    ("//cdn.test/a", "https://cdn.test/a"),
    ("http:", None),  # no host: nothing a reader could open
    ("http:/", None),
    ("https://a b/", None),
    ("https://[x/", None),
    ("https://x.test:port/", None),
    ("https://x<y/", None),
    ("C:\\Users\\me\\a.png", None),
    ("c:x", None),
    ("ftp://[x", None),
])
def test_web_urls_are_read_as_browsers_read_them(written: str, read: str | None) -> None:
    assert absolute(written, POST_URL, "https") == read


@pytest.mark.parametrize("value, candidates", [
    ("a.png 1x, b.png 2x", [("a.png", "1x"), ("b.png", "2x")]),
    ("data:image/png;base64,AA== 1x,x.png", [("data:image/png;base64,AA==", "1x"), ("x.png", "")]),
    ("https://c.test/w_1,h_2/a.jpg 100w", [("https://c.test/w_1,h_2/a.jpg", "100w")]),
    ("a.png,, b.png", [("a.png", ""), ("b.png", "")]),
    (" , ,", []),
    ("a  1x  ,  ", [("a", "1x")]),
    ("jav\tascript:x 1x", [("jav", "ascript:x 1x")]),  # the descriptors are wrong, so _srcset drops it
])
def test_srcset_is_split_as_html_splits_it(value: str, candidates: list[tuple[str, str]]) -> None:
    assert srcset_candidates(value) == candidates


def test_a_build_with_hostile_urls_passes_feeds_check(make_site: Callable[..., Path],
                                                       build_site: Callable[..., Built]) -> None:
    hostile = ["https:evil.example/x", "http:/x", "http:", "https://a b/", "c:x", "https://[x/", "\\\\e.test/x",
               *SCRIPTING]
    body = "".join(f'<a href="{u}">a</a><img src="{u}" srcset="{u} 1x"><q cite="{u}">q</q>' for u in hostile)
    body += '<img src="a.png" srcset="data:image/gif;base64,R0lGOD== 1x, https://cdn.test/w_1,h_2/a.jpg 2x">'
    built = build_site(make_site({"2022-03-04-post.md": {"title": "P", "date": "2022-03-04", "body": body}}))
    assert checked(built) == []


# --- dates: four-digit years and offsets within ±14:00, refused when read -------------------

def dated(key: str, value: str) -> str:
    """A post whose line 4 is ``key: value``."""
    return f"---\ntitle: Dated\ndate: 2022-03-04 10:00:00 +0800\n{key}: {value}\n---\nBody\n".replace(
        "date: 2022-03-04 10:00:00 +0800\ndate:", "date:")


@pytest.mark.parametrize("key, value, said", [
    ("date", "0999-06-01", "'0999-06-01' is before the year 1000"),
    ("date", "0999-06-01 10:00:00 +0800", "is before the year 1000"),
    ("date", "0001-01-01 00:00:00 +1400", "is before the year 1000"),
    ("date", "2022-03-04 10:00:00 +1401", "offset +1401 is out of range"),
    ("date", "2022-03-04 10:00:00 -14:01", "offset -14:01 is out of range"),
    ("date", "2022-03-04 10:00:00 +23:59", "out of range"),
    ("date", "2022-03-04 10:00 +15", "out of range"),
    ("last_modified_at", "0999-12-31", "is before the year 1000"),
    ("last_modified_at", "2022-03-05 10:00 +1500", "out of range"),
    ("updated", "0100-01-01", "is before the year 1000"),
])
def test_dates_feeds_cannot_carry_are_refused_naming_key_and_line(
        make_site: Callable[..., Path], key: str, value: str, said: str) -> None:
    site = make_site({"2022-03-04-dated.md": dated(key, value)})
    _, problems = read_site(site)
    found = [p for p in problems if p.is_error]
    assert [(p.line, p.message.split(": ", 1)[0]) for p in found] == [(3 if key == "date" else 4, key)], found
    assert said in found[0].message and "correct" in found[0].message


@pytest.mark.parametrize("name", ["0999-06-01-old.md", "0001-01-01-old.md"])
def test_file_name_dates_before_1000_are_refused(make_site: Callable[..., Path], name: str) -> None:
    site = make_site({name: "---\ntitle: Old\n---\nBody\n"})
    posts, problems = read_site(site)
    assert posts == {}
    assert [p.message.split(": ", 1)[0] for p in problems if p.is_error] == ["file name date"]
    assert "before the year 1000" in problems[0].message


def test_a_date_object_out_of_range_is_refused_too() -> None:
    with pytest.raises(DateError, match="before the year 1000"):
        parse_date(date(999, 6, 1))
    with pytest.raises(DateError, match="beyond ±14:00"):
        parse_date(datetime(2022, 3, 4, tzinfo=timezone(timedelta(hours=15))))


@pytest.mark.parametrize("when", ["1000-01-01 00:00:00 +14:00", "1000-01-01 00:00:00 -1400",
                                  "9999-12-31 23:59:59 -14:00", "9999-12-31 23:59:59 +1400", "9999-12-31"])
def test_the_boundary_dates_build_into_valid_feeds(make_site: Callable[..., Path], build_site: Callable[..., Built],
                                                   when: str) -> None:
    site = make_site({"2022-03-04-edge.md": f"---\ntitle: Edge\ndate: {when}\nlast_modified_at: {when}\n---\nB\n"},
                     {"build": {"future": True}})
    built = build_site(site)
    assert len(built.feed("feed.xml").entries) == 1 and len(built.feed("feed.rss").entries) == 1
    assert checked(built) == []


# --- config values feeds carry: refused at load time, naming the key (exit 2) ----------------

@pytest.mark.parametrize("key, value, said", [
    ("site.url", "https://x.test/my site", "' ' cannot stand in a URL; percent-encode it"),
    ("site.url", "https://x y.test", "cannot stand in a URL"),
    ("site.url", "https://x.test/a<b>", "'<' cannot stand in a URL"),
    ("site.url", 'https://x.test/"q"', "cannot stand in a URL"),
    ("site.url", "https://x.test/a\u3000b", "cannot stand in a URL"),
    ("site.url", "https://x..test", "is not a host name"),
    ("site.url", "https://user@x.test", "is not a host name"),
    ("site.url", "https://x.test:port", "is not a number"),
    ("site.url", "https://x.test:70000", "is not a number"),
    ("site.language", "<x>", "a language tag such as en, zh-CN or x-klingon"),
    ("site.language", "zh_CN", "write zh-CN"),
    ("site.language", "en-", "a language tag"),
    ("site.language", "english language", "a language tag"),
    ("site.author.email", "not an email", "an address such as desk@example.com"),
    ("site.author.email", "Desk <desk@x.test>", "an address such as"),
    ("site.author.email", "a..b@x.test", "an address such as"),
    ("site.author.email", "desk@x.test (Desk)", "an address such as"),
    ("site.author.email", "中@x.test", "an address such as"),
])
def test_config_values_no_feed_could_carry_are_refused(make_site: Callable[..., Path], key: str, value: str,
                                                       said: str) -> None:
    section, *rest = key.split(".")
    nested: dict[str, object] = {rest[-1]: value}
    for part in reversed(rest[:-1]):
        nested = {part: nested}
    site = make_site({}, {section: nested})
    with pytest.raises(ConfigError) as caught:
        load_config(site)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 1 and messages[0].startswith(f"{key}: ") and said in messages[0], messages
    result = CliRunner().invoke(main, ["build", "--config", str(site)])
    assert result.exit_code == 2 and f"{key}: " in result.output


@pytest.mark.parametrize("language, email, url", [
    ("zh-CN", "desk@news.example.com", "https://news.example.com/blog/"),
    ("x-klingon", "a.b+c@mail.x-y.test", "http://localhost:8000"),
    ("zh-Hant-TW", "desk@localhost", "https://中文.example"),
    ("en", "o'brien@x.test", "https://x.test/%E5%8D%9A%E5%AE%A2"),
])
def test_config_values_that_fit_build_valid_feeds(make_site: Callable[..., Path], build_site: Callable[..., Built],
                                                  language: str, email: str, url: str) -> None:
    site = make_site({"2022-03-04-p.md": {"title": "P", "date": "2022-03-04"}},
                     {"site": {"url": url, "language": language, "author": {"email": email}}})
    built = build_site(site)
    assert built.feed("feed.xml").feed.language == language
    assert [str(p) for p in check_output(built.output, url.rstrip("/"))] == []


# --- entry ids from front matter: absolute IRIs that feeds can carry ------------------------

@pytest.mark.parametrize("key, value, said", [
    ("id", '"urn:x y<z>"', "holds a space"),
    ("id", '"urn:x<z>"', "holds '<'"),
    ("id", "'tag:x.test,2022:\"q\"'", "holds '\"'"),
    ("guid", '"urn:a\\tb"', "holds a space"),
    ("id", '"urn:a\\u3000b"', "holds a space"),
    ("id", '"urn:"', "is not an absolute IRI"),
    ("id", '"https:post-1"', "is not an absolute IRI"),
    ("id", '"http://[x/1"', "is not an absolute IRI"),
    ("id", '"A://["', "is not an absolute IRI"),
])
def test_entry_ids_that_are_not_iris_are_refused_and_the_post_left_out(
        make_site: Callable[..., Path], build_site: Callable[..., Built], key: str, value: str, said: str) -> None:
    site = make_site({"2022-03-04-p.md": f"---\ntitle: P\n{key}: {value}\ndate: 2022-03-04\n---\nB\n",
                      "2022-03-05-q.md": {"title": "Q", "date": "2022-03-05"}})
    posts, problems = read_site(site)
    assert list(posts) == ["2022-03-05-q.md"]
    assert [(p.line, p.message.split(": ", 1)[0]) for p in problems if p.is_error] == [(3, key)]
    assert said in problems[0].message and "not published" in problems[0].message
    built = build_site(site, errors_ok=True, keep_going=True)
    assert [e.title for e in built.feed("feed.rss").entries] == ["Q"]
    assert checked(built) == []


@pytest.mark.parametrize("value, expected", [
    ("tag:x.test,2022:post-1", "tag:x.test,2022:post-1"),
    ("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
    ("https://old.example/p?id=1", "https://old.example/p?id=1"),
    ("a relative id", f"{SITE_URL}/a%20relative%20id"),
])
def test_entry_ids_that_are_iris_or_paths_are_kept(make_site: Callable[..., Path], build_site: Callable[..., Built],
                                                   value: str, expected: str) -> None:
    site = make_site({"2022-03-04-p.md": {"title": "P", "date": "2022-03-04", "id": value}})
    built = build_site(site)
    assert [e.id for e in built.feed("feed.xml").entries] == [expected]
    assert checked(built) == []


# --- titles and names: text that no reader can take for markup ------------------------------

TAG_START = re.compile(r"<[A-Za-z!/?]")
TEXT_ELEMENTS = ("title", "category", "creator", "name")  # text readers may show as HTML


@pytest.mark.parametrize("written, shown", [
    ("&lt;img src=x onerror=alert(1)&gt; A", "\uff1cimg src=x onerror=alert(1)> A"),
    ("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;", "\uff1c/title>\uff1cscript>alert(1)\uff1c/script>"),
    ("&#60;svg onload=alert(1)&#62;", "\uff1csvg onload=alert(1)>"),
    ("&#x3C;a href=x&#x3E;", "\uff1ca href=x>"),
    ("&lt;!-- hidden --&gt;", "\uff1c!-- hidden -->"),
    ("&lt;?xml x?&gt;", "\uff1c?xml x?>"),
    ("<<b>img src=x>", "\uff1cimg src=x>"),  # stripping a tag can make another
    ("&lt;img src=x", "\uff1cimg src=x"),  # unterminated: it would swallow what follows
    ("a &lt; b, 1<2 and <3", "a < b, 1<2 and <3"),  # a '<' that opens nothing stays
    ("&amp;lt;b&amp;gt; stays escaped", "&lt;b&gt; stays escaped"),
])
def test_titles_never_become_markup(written: str, shown: str) -> None:
    assert plain_title(written) == shown
    assert TAG_START.search(shown) is None


@pytest.mark.parametrize("name, shown", [
    ("<img src=x onerror=alert(1)>", "\uff1cimg src=x onerror=alert(1)>"),
    ("</a><script>", "\uff1c/a>\uff1cscript>"),
    ("C<T>", "C\uff1cT>"),
    ("a<3", "a<3"),
])
def test_names_never_become_markup(name: str, shown: str) -> None:
    assert clean_name(name) == shown


def test_titles_and_names_in_feeds_are_text_to_every_reader(make_site: Callable[..., Path],
                                                             build_site: Callable[..., Built]) -> None:
    site = make_site({"2022-03-04-p.md": {
        "title": "&lt;img src=x onerror=alert(1)&gt; Title", "date": "2022-03-04",
        "categories": ["<b>cat</b>"], "tags": ["<img src=x onerror=alert(2)>"], "author": "<i>Ann</i>"}})
    built = build_site(site)
    texts = []
    for relative in ("feed.rss", "feed.xml"):
        root = ET.parse(built.output / relative).getroot()
        texts += [e.text or "" for e in root.iter() if e.tag.rpartition("}")[2] in ("title", "category", "creator",
                                                                                   "name")]
        texts += [e.get("term", "") for e in root.iter("{http://www.w3.org/2005/Atom}category")]
    assert "\uff1cimg src=x onerror=alert(1)> Title" in texts and "\uff1cb>cat\uff1c/b>" in texts
    assert [t for t in texts if TAG_START.search(t)] == []
    assert checked(built) == []


# --- the property: whatever the posts say, what `feeds build` writes passes `feeds check` ----

URL_PIECES = ["https:", "http:", "HTTPS:", "//", "/", "\\\\", ":", "javascript:", "JaVa&#x09;Script:", "&#x01;",
              "vbscript:", "data:", "data:image/png;base64,", "data:text/html,", "mailto:", "c:", "ftp://", "[", "]",
              "::1", "@", "%", "%zz", "?", "#", "..", ".", "x.test", "evil.example", "a b", " ", "\t", "\n", ",",
              " 1x", " 2w", "&amp;", "&lt;", "'", "\u3000", "中文", "\U0001f600", ":80", ":port", "{{ site.url }}"]
TEMPLATES = ['<a href="{u}">a</a>', '<img src="{u}" srcset="{u} 1x, {u} 2x">', '<q cite="{u}">q</q>',
             '<blockquote cite="{u}">b</blockquote>', '<del cite="{u}">d</del>', '<video poster="{u}" src="{u}">',
             '<picture><source srcset="{u}"></picture>', "[l]({u})", "![i]({u})", "<{u}>", "{u}", "\n\n"]
DATES = ["0999-12-31", "1000-01-01 00:00 +1400", "9999-12-31 23:59:59 -1400", "2022-03-04 10:00 +1401",
         "2022-03-04 10:00 -14:00", "2022-02-30", "2022-03-04T10:00:00.123456789Z", "2022-03-04 24:00", "+0800"]
url_text = st.one_of(st.lists(st.sampled_from(URL_PIECES), max_size=6).map("".join), st.text(max_size=12))
hostile = st.one_of(st.text(max_size=20), st.lists(st.sampled_from(
    ["<", ">", "&", "&lt;", "&gt;", "&#60;", "&amp;", "img", "/", "!", "?", "script", " ", "onerror=x", "a", "中"]),
    max_size=8).map("".join))


@st.composite
def hostile_posts(draw: st.DrawFn) -> dict[str, str]:
    files = {}
    for i in range(draw(st.integers(1, 3))):
        body = "".join(draw(st.sampled_from(TEMPLATES)).replace("{u}", draw(url_text))
                       for _ in range(draw(st.integers(0, 6))))
        own_id = draw(st.one_of(st.none(), url_text, st.sampled_from(["urn:same", "tag:x.test,2022:a"])))
        when = draw(st.one_of(st.just(f"2022-03-{1 + i:02d} 10:00:00 +0800"), st.sampled_from(DATES),
                              st.text(max_size=12)))
        permalink = draw(st.one_of(st.none(), url_text))
        files[f"2022-03-{1 + i:02d}-p{i}.md"] = (
            f"---\ntitle: {yaml_string(draw(hostile))}\ndate: {yaml_string(when)}\n"
            + (f"permalink: {yaml_string(permalink)}\n" if permalink is not None else "") +
            f"categories: {yaml_list(draw(st.lists(hostile, max_size=2)))}\n"
            f"tags: {yaml_list(draw(st.lists(hostile, max_size=2)))}\nauthor: {yaml_string(draw(hostile))}\n"
            + (f"id: {yaml_string(own_id)}\n" if own_id is not None else "") + f"---\n{body}\n")
    return files


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)
@given(hostile_posts())
@example({"2022-03-01-p0.md": '---\ntitle: "&lt;img onerror=x&gt;"\nid: "urn:same"\n---\n'
                              '<a href="https:evil.example/x">a</a><img srcset="javascript:x 1x" src="http:/x">\n',
          "2022-03-02-p1.md": '---\ntitle: B\nid: "urn:same"\n---\n<q cite="jav&#x09;ascript:x">q</q>\n'})
def test_whatever_build_writes_passes_feeds_check(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "_posts").mkdir()
        for name, text in files.items():
            (root / "_posts" / name).write_text(text, encoding="utf-8")
        (root / "config.yaml").write_text(f"site:\n  url: {SITE_URL}\n  title: Props\ntimezone: Asia/Shanghai\n"
                                          "feeds:\n  limit: 0\ncache: false\nbuild:\n  jobs: 1\n", encoding="utf-8")
        result = build(load_config(root / "config.yaml"), keep_going=True)
        assert all(p.message and "Traceback" not in p.message for p in result.problems)
        assert [str(p) for p in check_output(root / "public", SITE_URL)] == []
        for path in (root / "public").rglob("*.*"):
            if path.suffix in (".xml", ".rss"):
                tree = ET.parse(path).getroot()
                names = [e.text or "" for e in tree.iter() if e.tag.rpartition("}")[2] in TEXT_ELEMENTS]
                names += [e.get("term", "") for e in tree.iter("{http://www.w3.org/2005/Atom}category")]
                assert [t for t in names if TAG_START.search(t)] == [], path.name
