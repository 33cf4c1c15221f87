"""feeds.posts: Jekyll semantics, one fixture post (tests/fixtures/posts/) per edge case."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import SITE_URL, read_site

from feeds.posts import read_body

PLUS8 = timezone(timedelta(hours=8))
MINUS4 = timezone(timedelta(hours=-4))

SiteWith = Callable[..., Path]


def one_post(site_with: SiteWith, name: str, **overrides: object):  # type: ignore[no-untyped-def]
    posts, problems = read_site(site_with(name), **overrides)
    assert list(posts) == [Path(name).name], [str(p) for p in problems]
    return posts[Path(name).name], problems


def messages(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [str(p) for p in problems]


# --- dates -------------------------------------------------------------------------------------

def test_offset_without_colon_is_kept(site_with: SiteWith) -> None:
    post, problems = one_post(site_with, "2022-03-04-offset-without-colon.md")
    assert post.date == datetime(2022, 3, 4, 13, 23, 21, tzinfo=PLUS8)
    assert post.date.utcoffset() == timedelta(hours=8)
    assert post.updated == post.date
    assert problems == []


def test_one_digit_hour_and_negative_offset(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-one-digit-hour.md")
    assert (post.date.hour, post.date.minute, post.date.second) == (8, 5, 9)
    assert post.date.utcoffset() == timedelta(hours=-4)


@pytest.mark.usefixtures("machine_tz")
@pytest.mark.parametrize("name, hour", [
    ("2022-03-04-naive-date.md", 13),
    ("2022-03-04-date-only.md", 0),
    ("2022-03-04-no-date-in-front-matter.md", 0),  # the file name's date, at midnight
])
def test_dates_without_offset_take_the_site_timezone_not_the_machines(site_with: SiteWith, name: str,
                                                                     hour: int) -> None:
    post, problems = one_post(site_with, name)
    assert post.date.utcoffset() == timedelta(hours=8)  # Asia/Shanghai; the machine is at +14
    assert (post.date.date(), post.date.hour) == (datetime(2022, 3, 4).date(), hour)
    assert not any("timezone" in m for m in messages(problems))


@pytest.mark.usefixtures("machine_tz")
def test_without_timezone_naive_dates_are_utc_with_one_warning_counting_them(site_with: SiteWith) -> None:
    cfg = site_with("2022-03-04-naive-date.md", "2022-03-04-date-only.md", "2022-03-04-offset-without-colon.md",
                    config={"timezone": None})
    posts, problems = read_site(cfg)
    assert posts["2022-03-04-naive-date.md"].date == datetime(2022, 3, 4, 13, 23, 21, tzinfo=timezone.utc)
    assert posts["2022-03-04-date-only.md"].date.utcoffset() == timedelta(0)
    assert posts["2022-03-04-offset-without-colon.md"].date.utcoffset() == timedelta(hours=8)
    zone_warnings = [p for p in problems if "timezone" in p.message]
    assert len(zone_warnings) == 1
    assert not zone_warnings[0].is_error
    assert "2 post(s)" in zone_warnings[0].message


def test_timezone_utc_set_explicitly_does_not_warn(site_with: SiteWith) -> None:
    post, problems = one_post(site_with, "2022-03-04-naive-date.md", timezone="UTC")
    assert post.date.utcoffset() == timedelta(0)
    assert problems == []


def test_front_matter_date_wins_over_the_file_name_with_a_warning(make_site: Callable[..., Path]) -> None:
    cfg = make_site({"2022-03-04-moved.md": {"title": "Moved", "date": "2022-03-06 10:00:00 +0800"}})
    posts, problems = read_site(cfg)
    assert posts["2022-03-04-moved.md"].date == datetime(2022, 3, 6, 10, tzinfo=PLUS8)
    assert [p.level for p in problems] == ["warning"]
    assert "2022-03-06 differs from the file name's 2022-03-04" in problems[0].message
    assert problems[0].line == 3  # the date: line


def test_last_modified_at_is_the_updated_date(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-last-modified-at.md")
    assert post.date == datetime(2022, 3, 4, 17, tzinfo=PLUS8)
    assert post.updated == datetime(2022, 3, 10, 9, 15, tzinfo=PLUS8)


def test_updated_key_and_never_before_the_date(make_site: Callable[..., Path]) -> None:
    cfg = make_site({
        "2022-03-04-upd.md": {"title": "U", "date": "2022-03-04 10:00 +0800", "updated": "2022-03-05 10:00 +0800"},
        "2022-03-04-old.md": {"title": "O", "date": "2022-03-04 10:00 +0800", "updated": "2021-01-01"},
    })
    posts, _ = read_site(cfg)
    assert posts["2022-03-04-upd.md"].updated == datetime(2022, 3, 5, 10, tzinfo=PLUS8)
    assert posts["2022-03-04-old.md"].updated == posts["2022-03-04-old.md"].date


# --- categories and tags -----------------------------------------------------------------------

def test_categories_string_is_split_on_whitespace(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-categories-string-two-names.md")
    assert post.categories == ("21shijijingjibaodao", "21caijingAPP")
    assert post.url == f"{SITE_URL}/21shijijingjibaodao/21caijingapp/2022/03/04/categories-string-two-names.html"


def test_singular_category_and_tag_are_not_split(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-singular-category-not-split.md")
    assert post.categories == ("Hong Kong",)
    assert post.tags == ("open data",)
    assert post.url == f"{SITE_URL}/hong%20kong/2022/03/04/singular-category-not-split.html"


def test_folder_category_comes_first(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "news/_posts/2022-03-04-folder-category.md")
    assert post.categories == ("news", "weather")
    assert post.url == f"{SITE_URL}/news/weather/2022/03/04/folder-category.html"


def test_names_are_nfc_normalised(site_with: SiteWith) -> None:
    raw = (Path(__file__).parent / "fixtures/posts/2022-03-04-nfc-normalisation.md").read_text("utf-8")
    assert "Cafe\u0301" in raw  # the fixture really is decomposed
    post, _ = one_post(site_with, "2022-03-04-nfc-normalisation.md")
    assert post.categories == ("Caf\u00e9",)
    assert post.tags == ("R\u00e9sum\u00e9",)
    assert all(unicodedata.is_normalized("NFC", n) for n in post.categories + post.tags)


def test_chinese_and_spaced_tags_are_kept_as_written(site_with: SiteWith) -> None:
    posts, _ = read_site(site_with("2022-03-04-chinese-tag.md", "2022-03-04-spaced-tag.md"))
    assert posts["2022-03-04-chinese-tag.md"].tags == ("快递新闻", "中国邮政快递报新闻")
    assert posts["2022-03-04-spaced-tag.md"].tags == ("open source", "C++ & Rust!")


def test_mixed_case_categories_are_both_kept_on_the_post(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-mixed-case-categories.md")
    assert post.categories == ("TechWeb", "Techweb")
    assert post.url == f"{SITE_URL}/techweb/2022/03/04/mixed-case-categories.html"  # Jekyll lowercases


def test_null_categories_and_empty_tags_mean_none(site_with: SiteWith) -> None:
    post, problems = one_post(site_with, "2022-03-04-categories-null-tags-empty.md")
    assert (post.categories, post.tags) == ((), ())
    assert problems == []


def test_list_and_block_list_forms(make_site: Callable[..., Path]) -> None:
    cfg = make_site({"2022-03-04-lists.md": "---\ntitle: L\ndate: 2022-03-04\ncategories:\n  - a b\n  - c\n"
                                            "tags: [x, 'y z', x]\n---\nbody\n"})
    post = read_site(cfg)[0]["2022-03-04-lists.md"]
    assert post.categories == ("a b", "c")  # list items are never split
    assert post.tags == ("x", "y z")  # duplicates dropped, order kept


# --- exclusion -----------------------------------------------------------------------------------

EXCLUDED = ("2022-03-04-published-false.md", "2022-03-04-draft-yes.md", "_drafts/draft-folder.md",
            "2099-01-01-future-date.md")


def test_unpublished_drafts_and_future_posts_are_left_out(site_with: SiteWith) -> None:
    posts, problems = read_site(site_with("2022-03-04-offset-without-colon.md", *EXCLUDED))
    assert list(posts) == ["2022-03-04-offset-without-colon.md"]
    assert problems == []


def test_drafts_option_brings_drafts_in(site_with: SiteWith) -> None:
    posts, _ = read_site(site_with(*EXCLUDED), build__drafts=True)
    assert sorted(posts) == ["2022-03-04-draft-yes.md", "draft-folder.md"]


def test_future_option_brings_future_posts_in(site_with: SiteWith) -> None:
    posts, _ = read_site(site_with(*EXCLUDED), build__future=True)
    assert sorted(posts) == ["2099-01-01-future-date.md"]


def test_now_honours_source_date_epoch(site_with: SiteWith, epoch: Callable[[int], None]) -> None:
    cfg = site_with("2022-03-04-offset-without-colon.md")
    epoch(int(datetime(2022, 3, 4, 5, 23, 20, tzinfo=timezone.utc).timestamp()))  # 1 s before the post
    assert read_site(cfg)[0] == {}
    epoch(int(datetime(2022, 3, 4, 5, 23, 21, tzinfo=timezone.utc).timestamp()))  # the very second
    assert list(read_site(cfg)[0]) == ["2022-03-04-offset-without-colon.md"]


# --- titles, ids, URLs, summaries ----------------------------------------------------------------

def test_title_entities_are_decoded_once(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-title-html-entities.md")
    assert post.title == "EPA\u2019s plan & more, \"quoted\", &amp; once"


def test_only_ascii_whitespace_in_a_title_is_collapsed(site_with: SiteWith) -> None:
    """As jekyll-feed's normalize_whitespace (Ruby's \\s): real Jekyll 4.3.1 wrote this very title
    (ruby-lang.org's French 'Un tout nouveau site web pour Ruby\u00a0!' showed it)."""
    post, _ = one_post(site_with, "2022-03-04-title-unicode-spaces.md")
    assert post.title == "\u00a0Pour Ruby\u00a0! Vraiment\u202f? 5\u2009km 新年\u3000快乐, Tab and\u00a0"


def test_missing_title_comes_from_the_file_name_with_a_warning(site_with: SiteWith) -> None:
    post, problems = one_post(site_with, "2022-03-04-title-missing.md")
    assert post.title == "Title Missing"
    assert len(problems) == 1 and not problems[0].is_error
    assert problems[0].path.endswith("2022-03-04-title-missing.md")
    assert "title:" in problems[0].message


def test_crlf_and_bom_are_read_like_lf(site_with: SiteWith) -> None:
    raw = (Path(__file__).parent / "fixtures/posts/2022-03-04-crlf-and-bom.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\r\n")  # the fixture really has them
    post, problems = one_post(site_with, "2022-03-04-crlf-and-bom.md")
    assert (post.title, post.categories) == ("CRLF and BOM", ("encoding",))
    assert post.date == datetime(2022, 3, 4, 6, tzinfo=PLUS8)
    body = read_body(post)
    assert body.lstrip("\n").startswith("First paragraph") and "\r" not in body
    assert problems == []


def test_default_entry_id_is_jekylls_post_id(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-offset-without-colon.md")
    assert post.url == f"{SITE_URL}/dates/2022/03/04/offset-without-colon.html"
    assert post.id == f"{SITE_URL}/dates/2022/03/04/offset-without-colon"


def test_entry_id_url_mode_uses_the_url(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-offset-without-colon.md", feeds__entry_id="url")
    assert post.id == post.url == f"{SITE_URL}/dates/2022/03/04/offset-without-colon.html"


def test_pretty_permalinks_id_has_the_slug_once(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-offset-without-colon.md", permalink="pretty")
    assert post.url == f"{SITE_URL}/dates/2022/03/04/offset-without-colon/"
    assert post.id == f"{SITE_URL}/dates/2022/03/04/offset-without-colon"


def test_non_ascii_url_is_percent_encoded_once_in_url_and_id(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-nfc-normalisation.md")
    assert post.url == f"{SITE_URL}/caf%C3%A9/2022/03/04/nfc-normalisation.html"
    assert post.id == f"{SITE_URL}/caf%C3%A9/2022/03/04/nfc-normalisation"


def test_permalink_in_front_matter_overrides_the_pattern(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-permalink-front-matter.md")
    assert post.url == f"{SITE_URL}/special/page.html"
    assert post.id == f"{SITE_URL}/special/permalink-front-matter"  # File.dirname(url) + slug
    assert post.categories == ("ignored-by-permalink",)  # still a category, just not in the URL


def test_id_in_front_matter_overrides_the_entry_id(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-id-front-matter.md")
    assert post.id == "urn:uuid:9d8c0a52-1b7e-4c6e-9a43-2f1f2c0d6a11"
    assert post.url == f"{SITE_URL}/2022/03/04/id-front-matter.html"


def test_guid_and_relative_ids(make_site: Callable[..., Path]) -> None:
    cfg = make_site({
        "2022-03-04-g.md": {"title": "G", "date": "2022-03-04", "guid": "https://old.example/p/1"},
        "2022-03-04-r.md": {"title": "R", "date": "2022-03-04", "id": "/legacy/42"},
    })
    posts, _ = read_site(cfg)
    assert posts["2022-03-04-g.md"].id == "https://old.example/p/1"
    assert posts["2022-03-04-r.md"].id == f"{SITE_URL}/legacy/42"


def test_duplicate_entry_ids_are_an_error_naming_both_files(make_site: Callable[..., Path]) -> None:
    cfg = make_site({
        "2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "id": "tag:x.test,2022:1"},
        "2022-03-05-b.md": {"title": "B", "date": "2022-03-05", "id": "tag:x.test,2022:1"},
    })
    _, problems = read_site(cfg)
    errors = [p for p in problems if p.is_error]
    assert len(errors) == 1
    text = str(errors[0])
    assert "2022-03-04-a.md" in text and "2022-03-05-b.md" in text and "tag:x.test,2022:1" in text


def test_excerpt_is_the_summary(site_with: SiteWith) -> None:
    post, _ = one_post(site_with, "2022-03-04-excerpt.md")
    assert post.summary == "The summary, as written by the author."


def test_author_and_html_posts(site_with: SiteWith) -> None:
    posts, _ = read_site(site_with("2022-03-04-author.md", "2022-03-04-html-post.html"))
    assert posts["2022-03-04-author.md"].author == "王小明"
    assert posts["2022-03-04-author.md"].markdown is True
    assert posts["2022-03-04-html-post.html"].markdown is False
    assert posts["2022-03-04-html-post.html"].url == f"{SITE_URL}/2022/03/04/html-post.html"


def test_posts_globs_find_posts_outside_posts_folders(make_site: Callable[..., Path]) -> None:
    cfg = make_site({"content/posts/2022/hello.md": {"title": "Hello", "date": "2022-03-04 10:00 +0800"},
                     "content/posts/2022/notes.txt": "not a post"},
                    config={"posts": ["content/posts/**/*.md"]})
    posts, problems = read_site(cfg)
    assert list(posts) == ["hello.md"]
    assert posts["hello.md"].categories == ()
    assert problems == []


def test_files_outside_posts_folders_are_not_posts(make_site: Callable[..., Path]) -> None:
    cfg = make_site({"about.md": "---\ntitle: About\n---\n", "notes/2022-03-04-x.md": "---\ntitle: X\n---\n",
                     "2022-03-04-real.md": {"title": "Real", "date": "2022-03-04"}})
    assert list(read_site(cfg)[0]) == ["2022-03-04-real.md"]


def test_messages_name_the_file_and_line(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_site({"2022-03-04-bad.md": "---\ntitle: Bad\ncategories: x\ndate: 2022-13-45 10:00\n---\nbody\n"})
    monkeypatch.chdir(cfg.parent)
    _, problems = read_site(cfg)
    assert [str(p) for p in problems if p.is_error] == [
        "_posts/2022-03-04-bad.md:4: date: '2022-13-45 10:00' is not a real date (month must be in 1..12); "
        "correct it, as in 2022-03-04"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no BOM", "BOM"])
@pytest.mark.parametrize("bad", [b"\xff", b"\xc3(", b"\xe4\xb8"], ids=["0xff", "cut pair", "cut triple"])
def test_a_byte_that_is_not_utf8_is_named_by_its_value_line_and_file_offset(
        tmp_path: Path, bom: bytes, bad: bytes) -> None:
    """With or without a BOM, the message names the offending byte, its line and its offset in the
    file (as a hex editor shows it); a BOM once shifted all three."""
    from feeds.sources import read_source

    head = bom + b"---\ntitle: x\n---\n\xe4\xb8\xad\n12\n"
    path = tmp_path / "post.md"
    path.write_bytes(head + bad + b"\n")
    problem = read_source(str(path), 10**6).problem
    assert problem is not None
    assert (problem.line, problem.message) == (
        6, f"not UTF-8 (byte 0x{bad[0]:02x} at offset {len(head)}); save the file as UTF-8")
