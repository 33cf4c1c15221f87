"""Bad input, through the command line: every case of tests/fixtures/bad/ gets a clear message.

Each message names the post file as the user would type it and, where there is one, the line
of the fault as it is in the post file; the run exits 1 for post errors (and the output folder
is left exactly as it was), 0 with warnings, 2 for config errors naming the key; never a
traceback. ``--keep-going`` writes feeds from the posts that could be read and still exits 1.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from click.testing import Result
from conftest import invoke as run

from feeds.validate import check_output

BAD = Path(__file__).parent / "fixtures" / "bad"
SITE_URL = "https://news.example.com"
CONFIG = f"""site:
  url: {SITE_URL}
  title: Bad Input News
timezone: Asia/Shanghai
output: public
"""
GOOD = """---
layout: post
title: A good post
date: 2022-03-01 08:00:00 +0800
categories: city
tags: [ok]
---
<p>Nothing wrong here.</p>
"""


# --- helpers (this file's own; tests/conftest.py belongs to the core tests) ------------------

@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A site with one good post and config.yaml; the current folder, so paths read `_posts/…`."""
    root = tmp_path / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_posts" / "2022-03-01-good.md").write_text(GOOD, encoding="utf-8")
    (root / "config.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def add(root: Path, *names: str) -> None:
    """Copy fixtures (files, or every file of a fixture folder) into the site's _posts/."""
    for name in names:
        source = BAD / name
        for path in sorted(source.iterdir()) if source.is_dir() else [source]:
            shutil.copyfile(path, root / "_posts" / path.name)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder but the lock, hidden bookkeeping included: all must stay put."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".feeds.lock"}


def feeds_in(folder: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(folder).items() if not k.startswith(".") and k.endswith((".xml", ".rss"))}


def parsed_feeds(folder: Path) -> dict[str, feedparser.FeedParserDict]:
    """Every feed in the folder, read by feedparser; each must be well-formed."""
    out = {}
    for relative, data in feeds_in(folder).items():
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, f"{relative}: {parsed.get('bozo_exception')}"
        out[relative] = parsed
    return out


def titles(folder: Path, feed: str = "feed.xml") -> list[str]:
    return [e.title for e in parsed_feeds(folder)[feed].entries]


def lines_about(result: Result, name: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith(f"_posts/{name}")]


def assert_message(result: Result, name: str, line: int | None, *words: str, warning: bool = False) -> str:
    """Exactly the expected place, the expected words, and the right level."""
    where = f"_posts/{name}:{line}: " if line else f"_posts/{name}: "
    found = [m for m in lines_about(result, name) if m.startswith(where) and all(w in m for w in words)]
    assert found, f"no message at {where!r} with {words}; got:\n{result.stderr}"
    assert found[0].startswith(where + "warning: ") == warning, found[0]
    assert ";" in found[0], f"a message says what to do after a ';': {found[0]}"
    return found[0]


# --- post errors: exit 1, a precise message, the output folder unchanged ---------------------

POST_ERRORS = [
    ("2022-03-04-yaml-unclosed-quote.md", 3, ("quoted value is never closed",)),
    ("2022-03-04-yaml-quote-inside-quotes.md", 4, ("key: value", "quote such a value with '")),
    ("2022-03-04-yaml-tab-indentation.md", 6, ("tab", "spaces")),
    ("2022-03-04-front-matter-list.md", 2, ("front matter is a list", "key: value")),
    ("2022-03-04-front-matter-scalar.md", 2, ("front matter is plain text", "key: value")),
    ("2022-03-04-unterminated-front-matter.md", 1, ("never closed", "'---'")),
    ("2022-03-04-not-utf8-gbk.md", 3, ("not UTF-8", "offset 24", "save the file as UTF-8")),
    ("2022-03-04-date-empty.md", 4, ("date:", "only a time zone offset", "'+0800'")),
    ("2022-03-04-date-impossible.md", 4, ("date:", "'2022-13-40' is not a real date")),
    ("2022-03-04-date-unreadable.md", 4, ("date:", "cannot read 'yesterday'")),
    ("2022-03-04-type-categories-mapping.md", 5, ("categories:", "expected a list")),
    ("2022-03-04-yaml-python-object.md", 3, ("!!python/object/apply:os.system", "not allowed")),
    ("2022-03-04-yaml-alias-bomb.md", 2, ("more than 100,000 items", "aliases")),
    ("2022-03-04-permalink-other-host.md", 5, ("permalink:", "//evil.example/x", "another host")),
]


@pytest.mark.parametrize("name, line, words", POST_ERRORS, ids=[c[0] for c in POST_ERRORS])
def test_post_error_is_named_and_nothing_changes(site: Path, name: str, line: int | None,
                                                 words: tuple[str, ...]) -> None:
    assert run("build").exit_code == 0
    before = snapshot(site / "public")
    add(site, name)
    result = run("build")
    assert result.exit_code == 1
    assert_message(result, name, line, *words)
    assert "nothing was written" in result.stderr
    assert snapshot(site / "public") == before


def test_gbk_fixture_really_is_gbk() -> None:
    data = (BAD / "2022-03-04-not-utf8-gbk.md").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "春节寄递保障" in data.decode("gbk")


def test_python_tag_runs_nothing(site: Path, tmp_path: Path) -> None:
    marker = Path("/tmp/feeds-owned")
    marker.unlink(missing_ok=True)
    add(site, "2022-03-04-yaml-python-object.md")
    assert run("build").exit_code == 1
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(site: Path) -> None:
    import time

    add(site, "2022-03-04-yaml-alias-bomb.md")
    started = time.perf_counter()
    assert run("build").exit_code == 1
    assert time.perf_counter() - started < 5  # refused by counting, not by expanding 387 million items


def test_oversized_file_names_the_limit(site: Path) -> None:
    (site / "config.yaml").write_text(CONFIG + "content:\n  max_file_bytes: 2000\n", encoding="utf-8")
    big = GOOD.replace("Nothing wrong here.", "x" * 5000).replace("A good post", "Too big")
    (site / "_posts" / "2022-03-05-oversized.md").write_text(big, encoding="utf-8")
    result = run("build")
    assert result.exit_code == 1
    message = assert_message(result, "2022-03-05-oversized.md", None, "over the limit of 2,000",
                             "content.max_file_bytes")
    assert f"{len(big.encode()):,} bytes" in message


def test_every_error_of_a_run_is_listed_once(site: Path) -> None:
    names = [name for name, _, _ in POST_ERRORS]
    add(site, *names)
    result = run("build")
    assert result.exit_code == 1
    for name in names:
        assert len([m for m in lines_about(result, name) if "warning:" not in m]) == 1, name
    assert not (site / "public").exists()


def test_keep_going_writes_the_readable_posts_and_exits_1(site: Path) -> None:
    add(site, "2022-03-04-date-impossible.md", "2022-03-04-yaml-unclosed-quote.md")
    result = run("build", "--keep-going")
    assert result.exit_code == 1
    assert_message(result, "2022-03-04-date-impossible.md", 4, "not a real date")
    assert titles(site / "public") == ["A good post"]
    assert check_output(site / "public", SITE_URL) == []


# --- warnings: exit 0, the post handled as the message says ----------------------------------

def test_blank_line_before_front_matter_is_a_post_without_front_matter_as_in_jekyll(site: Path) -> None:
    """Jekyll 4 reads no front matter when '---' is not on the first line: the post is published
    with the file name's title and date, the '---' block as text (tests/fixtures/JEKYLL-ORACLE.md)."""
    add(site, "2022-03-04-blank-line-before-front-matter.md")
    result = run("build")
    assert result.exit_code == 0
    assert_message(result, "2022-03-04-blank-line-before-front-matter.md", 1, "blank line", "delete",
                   warning=True)
    assert "Blank Line Before Front Matter" in titles(site / "public")
    assert "A blank line comes first" not in titles(site / "public")


def test_no_front_matter_is_published_as_jekyll_does(site: Path) -> None:
    add(site, "2022-03-04-no-front-matter.md")
    result = run("build")
    assert result.exit_code == 0
    assert_message(result, "2022-03-04-no-front-matter.md", 1, "no front matter", "'---'", warning=True)
    assert sorted(titles(site / "public")) == ["A good post", "No Front Matter"]


def test_duplicate_keys_take_the_last_as_jekyll_does(site: Path) -> None:
    add(site, "2022-03-04-yaml-duplicate-keys.md")
    result = run("build")
    assert result.exit_code == 0
    message = assert_message(result, "2022-03-04-yaml-duplicate-keys.md", 6, "key 'title' appears again",
                             "the last one is used", warning=True)
    assert "delete the other" in message


def test_a_posts_file_without_a_date_in_its_name_is_skipped_as_jekyll_does(site: Path) -> None:
    add(site, "date-missing-no-date-in-name.md")
    result = run("build")
    assert result.exit_code == 0
    assert_message(result, "date-missing-no-date-in-name.md", None, "does not start with a date", "rename it",
                   warning=True)
    assert titles(site / "public") == ["A good post"]


def test_date_disagreeing_with_file_name_warns_and_uses_front_matter(site: Path) -> None:
    add(site, "2022-03-05-date-disagrees-with-name.md")
    result = run("build")
    assert result.exit_code == 0
    assert_message(result, "2022-03-05-date-disagrees-with-name.md", 4, "2022-03-04 differs from the file "
                   "name's 2022-03-05", warning=True)
    entry = parsed_feeds(site / "public")["feed.xml"].entries[0]
    assert entry.title == "The name says the fifth"
    assert entry.published.startswith("2022-03-04T16:00:00+08:00")


@pytest.mark.parametrize("name, title, tags, categories", [
    ("2022-03-04-type-title-number.md", "1.10", [], ["releases"]),
    ("2022-03-04-type-tags-no.md", "Norway in one word", ["no"], []),
    ("2022-03-04-type-tags-numbers.md", "Numbered tags", ["1", "2"], []),
])
def test_yaml_type_traps_stay_the_text_written(site: Path, name: str, title: str, tags: list[str],
                                               categories: list[str]) -> None:
    add(site, name)
    result = run("build")
    assert result.exit_code == 0, result.stderr
    assert lines_about(result, name) == []
    entry = next(e for e in parsed_feeds(site / "public")["feed.xml"].entries if e.title == title)
    assert sorted(t.term for t in entry.get("tags", [])) == sorted(tags + categories)
    for tag in tags:
        assert (site / "public" / "feed" / "by_tag" / f"{tag}.xml").is_file()


def test_null_values_are_treated_as_absent(site: Path) -> None:
    add(site, "2022-03-04-type-nulls.md")
    result = run("build")
    assert result.exit_code == 0
    assert_message(result, "2022-03-04-type-nulls.md", 3, "title: missing or empty", "'Type Nulls'",
                   warning=True)
    entry = next(e for e in parsed_feeds(site / "public")["feed.xml"].entries if e.title == "Type Nulls")
    assert "tags" not in entry and "author" not in entry


def test_symlink_out_of_the_source_is_not_followed(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "2022-03-02-secret.md"
    secret.write_text(GOOD.replace("A good post", "Secret"), encoding="utf-8")
    (outside / "2022-03-03-also-secret.md").write_text(GOOD.replace("A good post", "Also secret"))
    (site / "_posts" / "2022-03-02-secret.md").symlink_to(secret)
    (site / "_posts" / "more").symlink_to(outside, target_is_directory=True)
    inside = site / "_posts" / "2022-03-01-alias.md"
    inside.symlink_to(site / "_posts" / "2022-03-01-good.md")  # inside the source: fine, no warning
    (site / "config.yaml").write_text(CONFIG + "posts: ['**/*.md', '_posts/more/*.md']\n", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0
    assert_message(result, "2022-03-02-secret.md", None, "symbolic link", "outside the source", "not followed",
                   warning=True)
    assert_message(result, "more", None, "symbolic link to a folder", warning=True)
    assert lines_about(result, "2022-03-01-alias.md") == []
    assert sorted(titles(site / "public")) == ["A good post", "A good post"]  # the alias inside is read


def test_hostile_names_stay_inside_the_output_folder(site: Path, tmp_path: Path) -> None:
    add(site, "hostile-names")
    result = run("build")
    assert result.exit_code == 0, result.stderr
    out = site / "public"
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for slug in ("etc", "abs", "con-", "a-b", "hidden", "2e-2e"):
        assert {f"feed/{slug}.xml", f"feed/by_tag/{slug}.xml"} <= written, slug
    assert all(not part.startswith(".") for path in written for part in path.split("/"))  # records too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # nothing landed beside the site
    assert sorted(p.name for p in site.iterdir() if not p.name.startswith((".feeds", ".public.feeds"))) == [
        "_posts", "config.yaml", "public"]  # the cache and feeds' records of public/
    links = {link.href for feed in parsed_feeds(out).values() for e in feed.entries for link in e.links}
    assert links and all(link.startswith(SITE_URL + "/") and "/../" not in link and "%00" not in link
                         for link in links)
    assert_message(result, "2022-03-04-nul.md", 5, "categories:", "U+0000", warning=True)
    assert_message(result, "2022-03-04-nul.md", 6, "tags:", "U+0000", warning=True)
    assert check_output(out, SITE_URL) == []


# --- XML-forbidden characters: never in a feed, always a warning naming file and field ------

CONTROL_POST = """---
title: "Bell\\a and back\\bspace"
date: 2022-03-06 09:00:00 +0800
categories: ["news\\x0b"]
tags: ["form\\x0cfeed", "ok"]
author: "Ann\\x1b Editor"
excerpt: "A summary\\x08 with a backspace and a C1 \\x80"
---
<p>Body with a vertical\x0btab and ]]> inside.</p>
<p>A reference &#1; to a control character.</p>
"""


def test_control_characters_never_reach_a_feed(site: Path) -> None:
    (site / "_posts" / "2022-03-06-controls.md").write_text(CONTROL_POST, encoding="utf-8")
    (site / "_posts" / "2022-03-07-raw.md").write_text(
        "---\ntitle: Raw\x08 control\ndate: 2022-03-07\n---\nok\n", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0, result.stderr
    name = "2022-03-06-controls.md"
    for line, field in ((2, "title:"), (4, "categories:"), (5, "tags:"), (6, "author:"), (7, "excerpt:")):
        assert_message(result, name, line, field, "XML 1.0 forbids", warning=True)
    assert_message(result, name, 9, "removed from the body", "U+000B", warning=True)
    assert_message(result, "2022-03-07-raw.md", 2, "front matter", "control character", warning=True)
    assert_message(result, name, None, "character reference(s) to control characters", warning=True)
    out = site / "public"
    for relative, data in feeds_in(out).items():
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", data.decode("utf-8")), relative
    feed = parsed_feeds(out)["feed.xml"]
    entry = next(e for e in feed.entries if e.title.startswith("Bell"))
    assert entry.title == "Bell and backspace"
    assert entry.author == "Ann Editor"
    assert "]]&gt;" in entry.content[0].value  # text, escaped: it cannot end anything
    assert {t.term for t in entry.tags} == {"news", "formfeed", "ok"}
    assert "Raw control" in titles(out)
    assert check_output(out, SITE_URL) == []


# --- YAML tags and aliases: text or a clear error, never an object ---------------------------

@pytest.mark.parametrize("front, line, words", [
    ("title: !!set {a, b}", 2, ("!!set", "not allowed")),
    ("title: !!omap [a: 1]", 2, ("!!omap", "not allowed")),
    ("title: !custom x", 2, ("!custom", "not allowed")),
    ("tags: &loop [*loop]", 2, ("refers to the value that contains it",)),
    ("title: x\nmore: @at", 3, ("cannot start with '@'",)),
    ("title: [a, b\nx: 1", 2, ("'[' list is never closed",)),
    ("title: \"bad \\q escape\"", 2, ("unknown \\ escape",)),
])
def test_yaml_tags_and_aliases_are_refused_clearly(site: Path, front: str, line: int, words: tuple[str, ...]) -> None:
    (site / "_posts" / "2022-03-08-yaml.md").write_text(f"---\n{front}\ndate: 2022-03-08\n---\nx\n")
    result = run("build")
    assert result.exit_code == 1
    assert_message(result, "2022-03-08-yaml.md", line, "front matter:", *words)


def test_explicit_scalar_tags_give_the_text_written(site: Path) -> None:
    (site / "_posts" / "2022-03-08-tags.md").write_text(
        "---\ntitle: !!binary SGVsbG8=\ndate: !!timestamp 2022-03-08 10:00:00 +0800\ntags: [!!int 7, !!bool yes]\n"
        "---\nx\n")
    result = run("build")
    assert result.exit_code == 0, result.stderr
    entry = next(e for e in parsed_feeds(site / "public")["feed.xml"].entries if e.title == "SGVsbG8=")
    assert sorted(t.term for t in entry.tags) == ["7", "yes"]


# --- config errors: exit 2, naming the key ---------------------------------------------------

CONFIG_ERRORS = [
    ("missing-site-url.yaml", "site.url: missing"),
    ("relative-site-url.yaml", "site.url: expected an absolute http(s) URL"),
    ("non-http-site-url.yaml", "site.url: expected an absolute http(s) URL"),
    ("unknown-timezone.yaml", "timezone: expected an IANA zone name"),
    ("negative-limit.yaml", "feeds.limit:"),
    ("output-is-source.yaml", "output:"),
    ("output-contains-source.yaml", "output:"),
]


@pytest.mark.parametrize("name, words", CONFIG_ERRORS, ids=[c[0] for c in CONFIG_ERRORS])
def test_config_error_exits_2_naming_the_key(site: Path, name: str, words: str) -> None:
    shutil.copyfile(BAD / "config" / name, site / "config.yaml")
    (site / "public" / "site" / "_posts").mkdir(parents=True)
    before = snapshot(site)
    result = run("build")
    assert result.exit_code == 2
    assert f"config.yaml: {words}" in result.stderr
    assert snapshot(site) == before


def test_negative_limit_on_the_command_line_is_a_usage_error(site: Path) -> None:
    result = run("build", "--limit", "-1")
    assert result.exit_code == 2
    assert "--limit" in result.stderr


# --- a real-world broken folder: --keep-going gives feeds that pass every check -------------

FIELD_NOTES_POSTS: dict[str, str | bytes] = {
    "2022-03-04-youzheng.md": "---\nlayout: post\ntitle: \"主动作为 守正创新 “高质量”发展\"\ndate: 2022-03-04 "
    "13:23:21 +0800\ncategories: 21shijijingjibaodao 21caijingAPP\ntags: 中国邮政快递报新闻\n---\n"
    "<p><strong>2021年工作亮点</strong></p>\n<!-- generated -->\n<center><span class=\"x\" "
    "style=\"display:none\">隐藏</span><img src=\"https://img.example.cn/a.jpg\"></center>\n"
    "<http://news.example.cn/a.html>\n<>\n[分类](//news.example.cn/category/x.html) [上一页](../emnews/)\n",
    "2021-12-08-no-offset.md": "---\ntitle: No offset in the date\ndate: 2021-12-08 10:46:18\n"
    "categories: TechWeb\n---\nBody.\n",
    "2021-12-09-case.md": "---\ntitle: Mixed case category\ndate: 2021-12-09 8:32:24 -0400\n"
    "categories: Techweb (beta)\n---\nBody.\n",
    "-2022-no-date-in-name.md": "---\ntitle: No date in the file name\ndate: '2022-01-02'\n---\nBody.\n",
    "2006-03-16-date-only-in-name.markdown": "---\ntitle: EPA&#8217;s plan &amp; &quot;more&quot; & less\n"
    "---\nBody with {% highlight ruby %}\nputs 1\n{% endhighlight %} and {{ site.url }}/x and "
    "{% raw %}{{ x }}{% endraw %} and {% link _posts/x.md %}.\n",
    "2022-03-05-controls.md": "---\ntitle: \"Controls \\x08 in the title\"\ndate: 2022-03-05\n---\n"
    "Bell\x07 vertical\x0b form\x0c and ]]> end.\n",
    "2022-03-06-bom-crlf.md": "\ufeff---\r\ntitle: BOM and CRLF\r\ndate: 2022-03-06\r\ntags: [a, b]\r\n---\r\n"
    "Body.\r\n",
    "2022-03-07-draft.md": "---\ntitle: Draft\ndate: 2022-03-07\ndraft: yes\n---\nBody.\n",
    "2022-03-07-unpublished.md": "---\ntitle: Unpublished\ndate: 2022-03-07\npublished: false\n---\nBody.\n",
    "2099-01-01-future.md": "---\ntitle: From the future\n---\nBody.\n",
    "2022-03-08-empty-body.md": "---\ntitle: Empty body\ndate: 2022-03-08\ncategory: Single Category\n---\n",
    "2022-03-09-file name, with ’quotes’ %20.aspx.markdown": "---\ntitle: Odd file name\n---\nBody.\n",
    "2022-03-10-duplicate-title.md": "---\ntitle: One\ntitle: Two\ndate: 2022-03-10\n---\nBody.\n",
    "2022-03-11-unescaped-quote.md": "---\ntitle: \"Say \"cheese\" please\"\ndate: 2022-03-11\n---\nBody.\n",
    "2022-03-12-categories-forms.md": "---\ntitle: Category forms\ndate: 2022-03-12\ncategories:\n"
    "  - Block\n  - list\ntags: []\n---\nBody.\n",
    "2022-03-13-gbk.md": "---\ntitle: 编码\ndate: 2022-03-13\n---\n正文\n".encode("gbk"),
}


def test_real_world_broken_folder_keep_going_passes_every_check(site: Path) -> None:
    add(site, *[p.name for p in BAD.glob("*.md")], "hostile-names")
    for lang in ("en", "zh"):  # the same file name in two language folders
        folder = site / lang / "_posts"
        folder.mkdir(parents=True)
        (folder / "2022-03-14-same-name.md").write_text(f"---\ntitle: Same name {lang}\n---\nBody.\n")
    for name, content in FIELD_NOTES_POSTS.items():
        path = site / "_posts" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = run("build", "--keep-going", "--limit", "0")
    assert result.exit_code == 1
    assert "Error: nothing was written" not in result.stderr
    out = site / "public"
    feeds = parsed_feeds(out)
    assert len(feeds) > 20
    for relative, parsed in feeds.items():
        assert parsed.version in ("atom10", "rss20"), relative
        assert parsed.entries, relative
    all_titles = titles(out)
    for title in ("主动作为 守正创新 “高质量”发展", "EPA’s plan & \"more\" & less", "Controls in the title",
                  "BOM and CRLF", "Same name en", "Same name zh", "Odd file name"):
        assert title in all_titles, title
    assert {"Draft", "Unpublished", "From the future"}.isdisjoint(all_titles)
    problems = check_output(out, SITE_URL)
    assert [p for p in problems if p.is_error] == [], "\n".join(map(str, problems))
    # `feeds check` agrees: the only errors it lists are the posts', none in the output folder
    checked = run("check")
    assert checked.exit_code == 1
    assert [line for line in checked.stderr.splitlines() if line.startswith("public/")] == []
    errors = [line for line in result.stderr.splitlines() if line.startswith("_posts/") and "warning:" not in line]
    # every POST_ERRORS file, plus the GBK file and the unescaped quote of FIELD_NOTES_POSTS (a repeated
    # title and an undated _posts file are Jekyll's to publish or skip: warnings)
    assert len(errors) >= len(POST_ERRORS) + 2
    assert any("2022-03-13-gbk.md" in e for e in errors) and any("unescaped-quote" in e for e in errors)
    assert not any("duplicate-title" in e or "no-date-in-name" in e for e in errors)


# --- feeds check on the output --------------------------------------------------------------

def test_check_reports_a_damaged_feed_in_the_output(site: Path) -> None:
    assert run("build").exit_code == 0
    assert run("check").exit_code == 0
    feed = site / "public" / "feed.xml"
    feed.write_bytes(feed.read_bytes().replace(b"<updated>", b"<updated>yesterday ", 1))
    (site / "public" / "feed.rss").write_bytes(b"<rss version='2.0'><channel><title>x</title>")
    result = run("check")
    assert result.exit_code == 1
    assert any(line.startswith("public/feed.xml:") and "RFC 3339" in line for line in result.stderr.splitlines())
    assert any(line.startswith("public/feed.rss:") for line in result.stderr.splitlines())


# --- hostile content: sanitised by default, configurable ------------------------------------

HOSTILE_BODY = """<p onclick="steal()" onmouseover="steal()">Hello <strong>bold</strong> <em>it</em>
<a href="javascript:alert(1)">js</a> <a href=" JaVaScRiPt:alert(2)">js2</a> <a href="vbscript:msgbox(3)">vb</a>
<a href="data:text/html,&lt;script&gt;alert(4)&lt;/script&gt;">data</a> <a href="/about.html">about</a></p>
<script>alert("script")</script>
<style>body { display: none }</style>
<iframe src="https://evil.example/frame"></iframe>
<img src="/img/photo.jpg" alt="photo" onerror="steal()">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">
<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>cell</td></tr></tbody></table>
<figure><img src="chart.png" alt="chart"><figcaption>Figure 1</figcaption></figure>
<pre><code class="language-python">print("&lt;b&gt;")</code></pre>
<blockquote>quoted</blockquote><ul><li>item</li></ul><h2>Heading</h2>
"""


def atom_content(folder: Path) -> str:
    """The HTML of the first entry, as it is in feed.xml (feedparser would sanitise it again)."""
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2005/Atom}"
    content = ET.parse(folder / "feed.xml").getroot().find(f"{ns}entry/{ns}content")
    assert content is not None and content.get("type") == "html"
    return content.text or ""


def hostile_site(site: Path, extra_config: str = "") -> str:
    (site / "_posts" / "2022-03-01-good.md").unlink()
    (site / "_posts" / "2022-03-02-hostile.md").write_text(
        "---\ntitle: Hostile\ndate: 2022-03-02 10:00:00 +0800\n---\n" + HOSTILE_BODY, encoding="utf-8")
    (site / "config.yaml").write_text(CONFIG + extra_config, encoding="utf-8")
    result = run("build")
    assert result.exit_code == 0, result.stderr
    return atom_content(site / "public")


KEPT = ["<strong>bold</strong>", "<em>it</em>", '<img src="https://news.example.com/img/photo.jpg" alt="photo">',
        'src="data:image/png;base64,iVBORw0KGgo="', "<table>", "<th>h</th>", "<td>cell</td>",
        '<figure><img src="https://news.example.com/2022/03/02/chart.png" alt="chart"><figcaption>Figure 1',
        '<pre><code class="language-python">print("&lt;b&gt;")</code></pre>', "<blockquote>quoted</blockquote>",
        "<li>item</li>", "<h2>Heading</h2>", '<a href="https://news.example.com/about.html">about</a>']
REMOVED = ["<script", "alert(\"script\")", "<style", "display: none", "<iframe", "onclick", "onmouseover",
           "onerror", "javascript:", "JaVaScRiPt", "vbscript:", "data:text/html"]


def test_content_is_sanitised_by_default(site: Path) -> None:
    content = hostile_site(site)
    for kept in KEPT:
        assert kept in content, kept
    for gone in REMOVED:
        assert gone.lower() not in content.lower(), gone
    assert check_output(site / "public", SITE_URL) == []


def test_sanitize_false_keeps_everything(site: Path) -> None:
    content = hostile_site(site, "content:\n  sanitize: false\n")
    for kept in KEPT[:2] + ["<script>", "<style>", '<iframe src="https://evil.example/frame">', 'onclick="steal()"',
                            'href="javascript:alert(1)"', 'href="vbscript:msgbox(3)"', 'onerror="steal()"']:
        assert kept in content, kept


def test_allow_tags_widens_the_list(site: Path) -> None:
    content = hostile_site(site, "content:\n  allow_tags: [iframe, style]\n  allow_attributes: [src]\n")
    assert '<iframe src="https://evil.example/frame"></iframe>' in content
    assert "<style>body { display: none }</style>" in content
    for gone in ("<script", "onclick", "javascript:", "vbscript:"):
        assert gone not in content, gone


def test_allowing_script_is_the_users_choice_not_a_crash(site: Path) -> None:
    """ammonia panics when a tag is both allowed and 'removed with its content'; feeds must not."""
    content = hostile_site(site, "content:\n  allow_tags: [script]\n")
    assert '<script>alert("script")</script>' in content
    assert "<style" not in content and "onclick" not in content
