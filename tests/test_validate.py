"""feeds.validate: each check fires on a broken feed and stays quiet on a good one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from feedgen.feed import FeedGenerator

from feeds.errors import ERROR, WARNING, Problem
from feeds.validate import check_feed_file, check_output, url_for

BASE = "https://example.com/blog"
ATOM_NS = "http://www.w3.org/2005/Atom"
TZ = timezone(timedelta(hours=8))


def generator(self_url: str, html: str = "<p>Hello <a href='https://example.com/x'>x</a></p>",
              alternate_last: bool = True) -> FeedGenerator:
    """A two-post feed made the way the build makes them."""
    fg = FeedGenerator()
    fg.id(f"{BASE}/")
    fg.title("Blog")
    fg.author(name="Ann")
    fg.description("Posts")
    links = [dict(href=self_url, rel="self"), dict(href=f"{BASE}/", rel="alternate")]
    for link in links if alternate_last else links[::-1]:
        fg.link(**link)  # feedgen's RSS <link> is whichever link came last
    for n in (1, 2):
        entry = fg.add_entry(order="append")
        entry.id(f"{BASE}/{n}.html")
        entry.guid(f"{BASE}/{n}.html", permalink=True)
        entry.title(f"Post {n}")
        entry.link(href=f"{BASE}/{n}.html")
        entry.content(html, type="html")
        entry.published(datetime(2022, 3, n, 13, 23, 21, tzinfo=TZ))
        entry.updated(datetime(2022, 3, n, 13, 23, 21, tzinfo=TZ))
    return fg


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def messages(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def atom(tmp_path: Path, body: str, head: str = "", name: str = "feed.atom") -> list[Problem]:
    """Check a hand-written Atom feed whose feed-level parts are all valid."""
    url = f"{BASE}/{name}"
    text = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="{ATOM_NS}">
  <id>{BASE}/</id><title>t</title><updated>2022-03-04T13:23:21+08:00</updated>
  <author><name>Ann</name></author>
  {head or f'<link rel="self" href="{url}"/>'}
  {body}
</feed>
"""
    return check_feed_file(write(tmp_path / name, text), url)


def entry(inner: str = "", id_: str = f"{BASE}/1", updated: str = "2022-03-04T13:23:21Z",
          content: str = '<content type="html">&lt;p&gt;hi&lt;/p&gt;</content>') -> str:
    return (f"<entry><id>{id_}</id><title>e</title><updated>{updated}</updated>"
            f"{content}{inner}</entry>")


def rss(tmp_path: Path, items: str, channel: str = "", name: str = "feed.xml",
        self_link: str | None = None) -> list[Problem]:
    """Check a hand-written RSS feed whose channel-level parts are all valid."""
    url = f"{BASE}/{name}"
    self_href = url if self_link is None else self_link
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="{ATOM_NS}" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>t</title><description>d</description>
  {channel or f'<link>{BASE}/</link>'}
  <atom:link rel="self" href="{self_href}"/>
  {items}
</channel>
</rss>
"""
    return check_feed_file(write(tmp_path / name, text), url)


GOOD_ITEM = f"<item><title>a</title><guid>{BASE}/a.html</guid></item>"


# --- valid feeds made by feedgen -----------------------------------------------------------


def test_feedgen_atom_and_rss_have_no_problems(tmp_path: Path) -> None:
    fg = generator(f"{BASE}/feed.atom")
    assert check_feed_file(write(tmp_path / "feed.atom", fg.atom_str(pretty=True)),
                           f"{BASE}/feed.atom") == []
    fg = generator(f"{BASE}/feed.xml")
    assert check_feed_file(write(tmp_path / "feed.xml", fg.rss_str(pretty=True)),
                           f"{BASE}/feed.xml") == []


def test_check_output_on_a_feedgen_build_is_clean(tmp_path: Path) -> None:
    write(tmp_path / "feed.atom", generator(f"{BASE}/feed.atom").atom_str())
    write(tmp_path / "feed.xml", generator(f"{BASE}/feed.xml").rss_str())
    assert check_output(tmp_path, BASE + "/") == []


# --- XML level -----------------------------------------------------------------------------


def test_not_well_formed_is_reported_with_line(tmp_path: Path) -> None:
    problems = check_feed_file(write(tmp_path / "f.xml", "<rss>\n<channel>\n</rss>"), None)
    assert [(p.line, p.level) for p in problems] == [(3, ERROR)]
    assert "not well-formed" in problems[0].message


def test_raw_control_character_is_reported_with_line(tmp_path: Path) -> None:
    good = rss(tmp_path, "<item><title>a\tb</title><description>x</description></item>")
    assert good == []
    bad = rss(tmp_path, "<item>\n<title>a\x08b</title><description>x</description></item>")
    assert len(bad) == 1 and "U+0008" in bad[0].message
    assert bad[0].line == 8  # rss() puts items on line 7; the title is one further down


def test_forbidden_character_reference_is_reported(tmp_path: Path) -> None:
    assert rss(tmp_path, "<item><title>a&#x9;&#233;b</title></item>") == []
    bad = rss(tmp_path, "<item><title>a&#x8;b</title></item>")
    assert len(bad) == 1 and "&#x8;" in bad[0].message and bad[0].line == 7


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    bad = check_feed_file(write(tmp_path / "f.xml", b"<rss version='2.0'>\n\xff</rss>"), None)
    assert len(bad) == 1 and "UTF-8" in bad[0].message and bad[0].line == 2
    latin = b"<?xml version='1.0' encoding='ISO-8859-1'?><rss version='2.0'/>"
    declared = check_feed_file(write(tmp_path / "l.xml", latin), None)
    assert [p.message.split(";")[0] for p in declared][:1] == ["the file is encoded as ISO-8859-1"]
    wide = '<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"/>'.encode("utf-16")
    assert "encoded as UTF-16" in check_feed_file(write(tmp_path / "w.xml", wide), None)[0].message
    undeclared = write(tmp_path / "u.xml", '<rss version="2.0"/>'.encode("utf-16"))
    assert "encoded as UTF-16" in check_feed_file(undeclared, None)[0].message


def test_xml_version_must_be_1_0(tmp_path: Path) -> None:
    text = f'<feed xmlns="{ATOM_NS}"><id>urn:a</id><title>t</title>' \
           f'<updated>2022-03-04T13:23:21Z</updated><author><name>A</name></author>' \
           f'<link rel="self" href="{BASE}/f.atom"/></feed>'
    assert check_feed_file(write(tmp_path / "f.atom", '<?xml version="1.0"?>' + text), None) == []
    bad = check_feed_file(write(tmp_path / "f.atom", '<?xml version="1.1"?>' + text), None)
    assert len(bad) == 1 and "XML 1.0" in bad[0].message


def test_empty_file_is_reported(tmp_path: Path) -> None:
    problems = check_feed_file(write(tmp_path / "feed.xml", b""), None)
    assert len(problems) == 1 and "no root element" in problems[0].message


# --- Atom ----------------------------------------------------------------------------------


def test_atom_content_type_cdata_is_invalid(tmp_path: Path) -> None:
    assert atom(tmp_path, entry(content='<content type="text/markdown">x</content>')) == []
    bad = atom(tmp_path, entry(content='<content type="CDATA">&lt;p&gt;x&lt;/p&gt;</content>'))
    assert len(bad) == 1 and 'type="CDATA"' in bad[0].message and bad[0].line == 6


def test_atom_html_without_type_is_a_warning(tmp_path: Path) -> None:
    assert atom(tmp_path, entry(content="<content>a &lt; b</content>")) == []
    bad = atom(tmp_path, entry(content="<content>&lt;p&gt;hi&lt;/p&gt;</content>"))
    assert [p.level for p in bad] == [WARNING]


def test_atom_missing_self_link(tmp_path: Path) -> None:
    bad = atom(tmp_path, entry(), head=f'<link rel="alternate" href="{BASE}/"/>')
    assert len(bad) == 1 and 'rel="self"' in bad[0].message
    assert f"{BASE}/feed.atom" in bad[0].message  # says what to write


def test_atom_wrong_self_href(tmp_path: Path) -> None:
    bad = atom(tmp_path, entry(), head=f'<link rel="self" href="{BASE}/other.atom"/>')
    assert len(bad) == 1 and "served at" in bad[0].message and bad[0].line == 5


def test_atom_required_feed_elements(tmp_path: Path) -> None:
    text = f'<feed xmlns="{ATOM_NS}"><title>a</title><title>b</title></feed>'
    bad = messages(check_feed_file(write(tmp_path / "f.atom", text), None))
    assert "0 <id>" in bad and "2 <title>" in bad and "0 <updated>" in bad


def test_atom_author_needed_somewhere(tmp_path: Path) -> None:
    text = f"""<feed xmlns="{ATOM_NS}"><id>urn:x</id><title>t</title>
<updated>2022-03-04T13:23:21Z</updated><link rel="self" href="{BASE}/f.atom"/>{{}}</feed>"""
    with_author = entry("<author><name>A</name></author>")
    assert check_feed_file(write(tmp_path / "f.atom", text.format(with_author)), None) == []
    anonymous = with_author + entry(id_="urn:2")
    bad = check_feed_file(write(tmp_path / "f.atom", text.format(anonymous)), None)
    assert len(bad) == 1 and "author" in bad[0].message


def test_atom_entry_needs_content_or_alternate_link(tmp_path: Path) -> None:
    assert atom(tmp_path, entry(content=f'<link href="{BASE}/1.html"/>')) == []
    bad = atom(tmp_path, entry(content=f'<link rel="related" href="{BASE}/1.html"/>'))
    assert len(bad) == 1 and "neither <content>" in bad[0].message


def test_atom_entry_required_elements(tmp_path: Path) -> None:
    bad = atom(tmp_path, "<entry><title>e</title><content>x</content></entry>")
    assert sorted(p.message.split(" has ")[1][:8] for p in bad) == ["0 <id> e", "0 <updat"]


def test_atom_duplicate_ids(tmp_path: Path) -> None:
    assert atom(tmp_path, entry() + entry(id_=f"{BASE}/2")) == []
    bad = atom(tmp_path, entry() + "\n" + entry())
    assert len(bad) == 1 and "also used on line 6" in bad[0].message and bad[0].line == 7


def test_atom_id_must_be_absolute(tmp_path: Path) -> None:
    assert atom(tmp_path, entry(id_="tag:example.com,2022:1")) == []
    bad = atom(tmp_path, entry(id_="/posts/1"))
    assert len(bad) == 1 and "absolute IRI" in bad[0].message


def test_atom_link_href_must_be_absolute(tmp_path: Path) -> None:
    assert atom(tmp_path, entry('<link rel="enclosure" href="ftp://x.org/a.mp3"/>')) == []
    bad = atom(tmp_path, entry('<link href="//x.org/1.html"/><link href="1.html"/>'
                               '<link href="http:1.html"/>'))
    assert len(bad) == 3 and all("not absolute" in p.message for p in bad)


@pytest.mark.parametrize("date", ["2022-03-04T13:23:21", "2022-03-04 13:23:21+08:00",
                                  "2022-13-04T13:23:21Z", "2022-03-04T13:23:21+24:00"])
def test_atom_bad_rfc3339_dates(tmp_path: Path, date: str) -> None:
    bad = atom(tmp_path, entry(updated=date))
    assert len(bad) == 1 and date in bad[0].message


def test_atom_naive_date_says_to_add_an_offset(tmp_path: Path) -> None:
    assert atom(tmp_path, entry(updated="2022-03-04T13:23:21.123456789-05:00")) == []
    bad = atom(tmp_path, entry(updated="2022-03-04T13:23:21"))
    assert "no UTC offset" in bad[0].message


# --- content -------------------------------------------------------------------------------


def test_relative_img_src_in_content(tmp_path: Path) -> None:
    fg = generator(f"{BASE}/feed.atom", html="<p>x</p>\n<p><img src='/img/a.png'></p>")
    path = write(tmp_path / "feed.atom", fg.atom_str(pretty=True))
    bad = check_feed_file(path, f"{BASE}/feed.atom")
    assert len(bad) == 2 and all("'/img/a.png'" in p.message for p in bad)
    fg = generator(f"{BASE}/feed.xml", html="<p><img src='img/a.png'></p>")
    bad = check_feed_file(write(tmp_path / "feed.xml", fg.rss_str()), f"{BASE}/feed.xml")
    assert len(bad) == 2  # content:encoded of both items


def test_content_urls_in_every_attribute(tmp_path: Path) -> None:
    ok = ("&lt;a href='mailto:a@b.c'&gt;&lt;a href='tel:1'&gt;&lt;a href=''&gt;"
          "&lt;img src='data:image/svg+xml,&amp;lt;svg/&amp;gt;'&gt;&lt;a href='ftp://x.org/f'&gt;"
          "&lt;a href='https://x.org/#a'&gt;")
    assert rss(tmp_path, f"<item><description>{ok}</description></item>") == []
    bad = ("&lt;a href='#fn1'&gt;\n&lt;video poster='p.jpg' src='//cdn.x/v.mp4'&gt;"
           "&lt;img srcset='https://x.org/a.png 1x, b.png 2x'&gt;"
           "&lt;a href='http:c.html'&gt;&lt;a href='C:\\d.html'&gt;&lt;a href='http://[x'&gt;")
    problems = rss(tmp_path, f"<item><description>{bad}</description></item>")
    assert [p.message.split("=")[1].split(">")[0] for p in problems] == [
        "'#fn1'", "'p.jpg'", "'//cdn.x/v.mp4'", "'b.png'", "'http:c.html'", "'C:\\\\d.html'",
        "'http://[x'"]
    assert [p.line for p in problems] == [7, 8, 8, 8, 8, 8, 8]


def test_xhtml_content_is_checked(tmp_path: Path) -> None:
    xhtml = '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">{}</div></content>'
    assert atom(tmp_path, entry(content=xhtml.format('<img src="https://x.org/a.png"/>'))) == []
    bad = atom(tmp_path, entry(content=xhtml.format('<img src="a.png"/>')))
    assert len(bad) == 1 and "'a.png'" in bad[0].message


def test_script_and_event_handlers_are_warnings(tmp_path: Path) -> None:
    html = ("&lt;script&gt;x()&lt;/script&gt;&lt;img src='https://x.org/a' onerror='x()'&gt;"
            "&lt;a href='javascript:x()'&gt;")
    bad = rss(tmp_path, f"<item><content:encoded>{html}</content:encoded><title>a</title></item>")
    assert [p.level for p in bad] == [WARNING, WARNING, WARNING]
    assert "<script>" in bad[0].message and "onerror" in bad[1].message
    assert "javascript:" in bad[2].message


# --- RSS -----------------------------------------------------------------------------------


def test_rss_version_and_required_channel_elements(tmp_path: Path) -> None:
    text = "<rss version='0.91'><channel><title>t</title></channel></rss>"
    bad = messages(check_feed_file(write(tmp_path / "f.rss", text), None))
    assert "not RSS 2.0" in bad and "<link>" in bad and "<description>" in bad
    bad = messages(check_feed_file(write(tmp_path / "f.rss", "<rss version='2.0'/>"), None))
    assert "0 <channel>" in bad


def test_rss_self_link_missing_or_wrong(tmp_path: Path) -> None:
    assert rss(tmp_path, GOOD_ITEM) == []
    bad = rss(tmp_path, GOOD_ITEM, self_link=f"{BASE}/other.xml")
    assert len(bad) == 1 and "served at" in bad[0].message
    text = f"<rss version='2.0'><channel><title>t</title><link>{BASE}/</link>" \
           "<description>d</description></channel></rss>"
    bad = check_feed_file(write(tmp_path / "f.xml", text), f"{BASE}/f.xml")
    assert len(bad) == 1 and 'rel="self"' in bad[0].message


def test_rss_channel_link_must_not_be_the_feed(tmp_path: Path) -> None:
    fg = generator(f"{BASE}/feed.xml", alternate_last=False)  # the feedgen pitfall
    bad = check_feed_file(write(tmp_path / "feed.xml", fg.rss_str()), f"{BASE}/feed.xml")
    assert len(bad) == 1 and "feed's own URL" in bad[0].message


def test_rss_item_needs_title_or_description(tmp_path: Path) -> None:
    assert rss(tmp_path, "<item><description>d</description></item>") == []
    bad = rss(tmp_path, f"<item><link>{BASE}/a</link></item>")
    assert len(bad) == 1 and "neither <title>" in bad[0].message


@pytest.mark.parametrize("date", [
    "2022-03-04T13:23:21+08:00", "Fri, 04 Mar 22 13:23:21 +0800", "Fri, 04 Mar 2022 13:23:21 UTC",
    "Fri, 4 March 2022 13:23:21 GMT", "Fri, 31 Feb 2022 13:23:21 +0800",
    "Fri,04 Mar 2022 13:23:21 +0800", "Fri, 04 Mar 2022 25:23:21 +0800", "",
])
def test_rss_bad_rfc822_dates(tmp_path: Path, date: str) -> None:
    bad = rss(tmp_path, f"<item><title>a</title><pubDate>{date}</pubDate></item>")
    assert len(bad) == 1 and "RFC 822" in bad[0].message


@pytest.mark.parametrize("date", ["Fri, 04 Mar 2022 13:23:21 +0800", "4 Mar 2022 13:23 GMT",
                                  "Fri, 04 Mar 2022 13:23:21 UT", "Fri, 04 Mar 2022 13:23:21 EST"])
def test_rss_good_rfc822_dates(tmp_path: Path, date: str) -> None:
    assert rss(tmp_path, f"<item><title>a</title><pubDate>{date}</pubDate></item>",
               channel=f"<link>{BASE}/</link><lastBuildDate>{date}</lastBuildDate>") == []


def test_rss_wrong_weekday(tmp_path: Path) -> None:
    date = "Thu, 04 Mar 2022 13:23:21 +0800"
    bad = rss(tmp_path, f"<item><title>a</title><pubDate>{date}</pubDate></item>")
    assert len(bad) == 1 and "Fri" in bad[0].message


def test_rss_duplicate_guids(tmp_path: Path) -> None:
    other = GOOD_ITEM.replace("a.html", "b.html")
    assert rss(tmp_path, GOOD_ITEM + other) == []
    bad = rss(tmp_path, GOOD_ITEM + "\n" + GOOD_ITEM)
    assert len(bad) == 1 and "also used on line 7" in bad[0].message and bad[0].line == 8


def test_rss_guid_permalink_by_default(tmp_path: Path) -> None:
    not_a_link = "<guid isPermaLink='false'>post-1</guid>"
    assert rss(tmp_path, f"<item><title>a</title>{not_a_link}</item>") == []
    for guid in ("post-1", "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e"):
        bad = rss(tmp_path, f"<item><title>a</title><guid>{guid}</guid></item>")
        assert len(bad) == 1 and "true by default" in bad[0].message
    bad = rss(tmp_path, "<item><title>a</title><guid isPermaLink='yes'>post-1</guid></item>")
    assert len(bad) == 1 and "isPermaLink" in bad[0].message


def test_rss_item_link_must_be_absolute(tmp_path: Path) -> None:
    assert rss(tmp_path, f"<item><title>a</title><link>{BASE}/a.html</link></item>") == []
    for link in ("/a.html", "ftp://example.com/a.html"):
        bad = rss(tmp_path, f"<item><title>a</title><link>{link}</link></item>")
        assert len(bad) == 1 and "item <link>" in bad[0].message


# --- OPML ----------------------------------------------------------------------------------


def opml(outlines: str, version: str = "2.0", head: str = "<title>Feeds</title>") -> str:
    return f'<opml version="{version}"><head>{head}</head><body>{outlines}</body></opml>'


def test_opml_points_at_missing_file(tmp_path: Path) -> None:
    write(tmp_path / "feed" / "a.xml", generator(f"{BASE}/feed/a.xml").rss_str())
    outline = '<outline type="rss" text="{0}" xmlUrl="' + BASE + '/feed/{0}.xml"/>'
    write(tmp_path / "feeds.opml", opml(outline.format("a")))
    assert check_output(tmp_path, BASE) == []
    write(tmp_path / "feeds.opml", opml(outline.format("a") + outline.format("gone")))
    bad = check_output(tmp_path, BASE)
    assert len(bad) == 1 and "gone.xml" in bad[0].message and "not in the output" in bad[0].message
    single = check_feed_file(tmp_path / "feeds.opml", f"{BASE}/feeds.opml")
    assert single == bad


def test_opml_outline_rules(tmp_path: Path) -> None:
    bad = check_feed_file(write(tmp_path / "f.opml", opml(
        '<outline xmlUrl="https://x.org/f.xml"/><outline text="folder"/>'
        '<outline type="rss" text="r" xmlUrl="f.xml"/>', version="1.0", head="")), None)
    text = messages(bad)
    assert len(bad) == 5 and "no type" in text and "no text" in text
    assert "version" in text and "<title>" in text and "absolute" in text


# --- check_output --------------------------------------------------------------------------


def test_non_feed_xml_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "sitemap.xml", '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                    "<url><loc>/relative</loc></url></urlset>")
    write(tmp_path / "broken.xml", "<urlset>\x08</urlset>")
    write(tmp_path / ".git" / "feed.xml", "<rss>\x08</rss>")  # hidden folders are not output
    assert check_output(tmp_path, BASE) == []
    assert "not an RSS" in check_feed_file(tmp_path / "sitemap.xml", None)[0].message
    write(tmp_path / "feed.xml", "<rss version='2.0'><channel></rss>")
    assert [Path(p.path).name for p in check_output(tmp_path, BASE)] == ["feed.xml"]


def test_percent_encoded_expected_url_for_chinese_name(tmp_path: Path) -> None:
    relative = Path("feed/by_tag/中国邮政快递报新闻.xml")
    url = url_for(BASE + "/", relative)
    assert url == (f"{BASE}/feed/by_tag/%E4%B8%AD%E5%9B%BD%E9%82%AE%E6%94%BF"
                   "%E5%BF%AB%E9%80%92%E6%8A%A5%E6%96%B0%E9%97%BB.xml")
    write(tmp_path / relative, generator(url).rss_str())
    assert check_output(tmp_path, BASE) == []
    raw = generator(f"{BASE}/{relative.as_posix()}").rss_str()
    write(tmp_path / relative, raw)
    bad = check_output(tmp_path, BASE)
    assert len(bad) == 1 and "percent-encode" in bad[0].message


def test_self_link_escaping_that_servers_treat_alike_is_accepted(tmp_path: Path) -> None:
    # feeds.group keeps RFC 3986 sub-delims literal; url_for escapes every byte: same file
    url = url_for(BASE, Path("feed/C++ & 中.xml"))
    assert url == f"{BASE}/feed/C%2B%2B%20%26%20%E4%B8%AD.xml"
    for href in (f"{BASE}/feed/C++%20&%20%e4%b8%ad.xml", url):
        write(tmp_path / "feed" / "C++ & 中.xml", generator(href).rss_str())
        assert check_output(tmp_path, BASE) == []
    write(tmp_path / "feed" / "C++ & 中.xml", generator(f"{BASE}/feed/C++%20&%20x.xml").rss_str())
    assert len(check_output(tmp_path, BASE)) == 1


def test_check_output_files_and_missing_folder(tmp_path: Path) -> None:
    write(tmp_path / "a.xml", "<rss version='2.0'><channel></rss>")
    write(tmp_path / "b.xml", "<rss version='2.0'><channel></rss>")
    only = check_output(tmp_path, BASE, files=[tmp_path / "b.xml"])
    assert [Path(p.path).name for p in only] == ["b.xml"]
    relative = check_output(tmp_path, BASE, files=[Path("a.xml")])  # relative to output_dir
    assert relative[0].path.endswith("a.xml") and "not well-formed" in relative[0].message
    missing = check_output(tmp_path / "nope", BASE)
    assert len(missing) == 1 and "does not exist" in missing[0].message
