"""Entry for entry what real Jekyll 4.3 + jekyll-feed 0.17 published for the same site.

tests/fixtures/jekyll_site/ is a Jekyll site of our own with only its _config.yml (no
config.yaml, as a site moving from jekyll-feed starts); tests/fixtures/jekyll_site_oracle/ holds
what the real generator wrote for it (regenerate with tests/fixtures/regenerate_jekyll_oracle.sh;
the rules it shows are in tests/fixtures/JEKYLL-ORACLE.md). No Ruby is needed here.
"""
from __future__ import annotations

import html
import json
import shutil
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from feeds.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SITE, ORACLE = FIXTURES / "jekyll_site", FIXTURES / "jekyll_site_oracle"
VARIANTS = {"default": "_config.yml", "variant": "_config.yml,_config.variant.yml"}
BUILD_TIME = "1717214400"  # the oracle's site.time, 2024-06-01 12:00 +08:00: what counts as future


@pytest.fixture(params=sorted(VARIANTS))
def built(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """Our build of the oracle site, from its own config file(s) only."""
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    monkeypatch.chdir(site)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BUILD_TIME)
    args = ["build", "--jobs", "1"] + ([] if request.param == "default" else ["--config", VARIANTS[request.param]])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return request.param, site / "public"


def oracle_posts(variant: str) -> list[dict[str, object]]:
    return json.loads((ORACLE / variant / "posts.json").read_text(encoding="utf-8"))


def oracle_feeds(variant: str) -> list[str]:
    """Every feed file jekyll-feed wrote, relative to the site root."""
    listed = (ORACLE / variant / "files.txt").read_text(encoding="utf-8").split()
    return [p.removeprefix("./") for p in listed if p.endswith(".xml") and not p.endswith("feed.xslt.xml")]


def entries(data: bytes) -> list[tuple[str, str, datetime, str]]:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [(e.id, e.link, datetime.fromisoformat(e.published), html.unescape(e.title)) for e in parsed.entries]


def test_every_feed_url_jekyll_feed_served_exists_with_the_same_entries(built: tuple[str, Path]) -> None:
    variant, public = built
    for relative in oracle_feeds(variant):
        ours = public / relative
        assert ours.is_file(), f"jekyll-feed served /{relative}; we do not"
        theirs = entries((ORACLE / variant / relative).read_bytes())
        mine = entries(ours.read_bytes())
        assert [e[:2] for e in mine] == [e[:2] for e in theirs], relative  # ids and links, in order
        assert [e[2] for e in mine] == [e[2] for e in theirs], relative  # the same instants
        assert [e[2].utcoffset() for e in mine] == [e[2].utcoffset() for e in theirs], relative
        assert [e[3] for e in mine] == [e[3] for e in theirs], relative  # smartified titles


def test_the_posts_jekyll_published_and_no_other(built: tuple[str, Path]) -> None:
    """Every post Jekyll made a page for is in our site feed (unlimited here), none other."""
    variant, public = built
    site = public.parent
    CliRunner().invoke(main, ["build", "--jobs", "1", "--limit", "0", "--output", "all"]
                       + ([] if variant == "default" else ["--config", VARIANTS[variant]]))
    site_feed = next(p for p in (site / "all").rglob("*.xml") if p.name in ("atom.xml", "all.xml"))
    mine = {(e[0], e[1], e[2]) for e in entries(site_feed.read_bytes())}
    theirs = {(str(p["absolute_id"]), str(p["absolute_url"]), datetime.fromisoformat(str(p["date"])))
              for p in oracle_posts(variant)}
    assert mine == theirs


def test_excerpt_only_drops_the_content_where_jekyll_feed_did(built: tuple[str, Path]) -> None:
    variant, public = built
    for relative in oracle_feeds(variant):
        theirs = feedparser.parse((ORACLE / variant / relative).read_bytes()).entries
        mine = feedparser.parse((public / relative).read_bytes()).entries
        assert [bool(e.get("content")) for e in mine] == [bool(e.get("content")) for e in theirs], relative


def test_tags_jekyll_feed_skipped_get_feeds_too(built: tuple[str, Path]) -> None:
    """jekyll-feed writes no feed for 中文; we do (at our slug's path), besides every one it wrote."""
    variant, public = built
    if variant == "default":
        assert (public / "feed" / "by_tag" / "中文.xml").is_file()
        assert (public / "feed" / "tags" / "intro.xml").is_file()
