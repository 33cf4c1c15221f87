"""Shared fixtures: tiny sites written into tmp_path, builds whose every feed is parsed back.

- ``make_site(posts, config=None)`` writes config.yaml and post files, returns the config path.
- ``three_format_site(tmp_path, monkeypatch, posts)``: such a site, Atom + RSS + JSON, one job, cd'd into.
- ``site_with(*fixture_names)`` copies posts from tests/fixtures/posts/ into a site.
- ``build_site(config_path, **overrides)`` builds through the library (``load_config`` + ``build``)
  and parses every file written with feedparser, asserting ``bozo == 0``.
- ``read_site(config_path)`` reads posts without writing; ``unit_config()`` and ``make_post()``
  make a Config and Posts in code for the unit tests of group, render and write.
- ``machine_tz`` / ``machine_zone()`` put the build machine in another zone; ``epoch`` sets
  SOURCE_DATE_EPOCH.
- ``invoke(*args)`` runs the click CLI in-process: a traceback or an escaped exception fails the test.
- ``tree_bytes(folder)`` is what a web server would publish (hidden bookkeeping left out);
  ``tmpfs(folder, size)`` mounts a filesystem of its own there (root only; else the test is skipped).

Hypothesis profiles: "dev" (defaults) and "ci" (30 examples; ``HEAVY_EXAMPLES``, 15, for the tests
that build a site per example); HYPOTHESIS_PROFILE picks one.
``pytest --update-golden`` rewrites tests/golden/ instead of comparing against it.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import sqlite3
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import settings

from feeds import BuildResult, Problem, build, load_config
from feeds.cache import WorkerCache
from feeds.cli import main
from feeds.config import Config, FeedsOptions, Site
from feeds.pipeline import load
from feeds.posts import Post
from feeds.schema import SCHEMA
from feeds.validate import check_feed_file

settings.register_profile("ci", max_examples=30, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
# Property tests that build a whole site per example: half the examples under "ci" (each costs
# a build); the profile's own number otherwise.
HEAVY_EXAMPLES = 15 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else settings.default.max_examples

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURE_POSTS = TESTS / "fixtures" / "posts"
SITE_URL = "https://x.test"
CST = timezone(timedelta(hours=8))  # China Standard Time, the +0800 of our users' posts
DEFAULT_CONFIG: dict[str, Any] = {
    "site": {"title": "Test News", "url": SITE_URL, "description": "Posts for the tests",
             "author": {"name": "The Desk"}},
    "timezone": "Asia/Shanghai",
    "output": "public",
}
FEED_SUFFIXES = (".xml", ".rss")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the current output instead of comparing with it")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` laid over ``base``; a value of None deletes the key."""
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def post_text(front: dict[str, Any], body: str = "Body.\n") -> str:
    """A post file: YAML front matter from ``front`` (written as text), then the body."""
    fm = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return f"---\n{fm}---\n{body}"


def write_site(root: Path, posts: dict[str, str | bytes | dict[str, Any]],
               config: dict[str, Any] | str | None = None) -> Path:
    """config.yaml + post files under ``root``; returns the config path.

    ``posts`` maps a path to file text, bytes, or a front matter dict (``body`` key = body).
    A bare file name goes into ``_posts/``; a path with a '/' is taken as it is.
    """
    root.mkdir(parents=True, exist_ok=True)
    for name, content in posts.items():
        path = root / (name if "/" in name else f"_posts/{name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            front = dict(content)
            content = post_text(front, str(front.pop("body", "Body.\n")))
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "_posts").mkdir(exist_ok=True)
    text = config if isinstance(config, str) else yaml.safe_dump(
        merge(DEFAULT_CONFIG, config or {}), allow_unicode=True, sort_keys=False)
    cfg_path = root / "config.yaml"
    cfg_path.write_text(text, encoding="utf-8")
    return cfg_path


def three_format_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, posts: dict[str, str]) -> Path:
    """A site of ``posts`` in tmp_path/site writing Atom, RSS and JSON with one job, the current
    folder and SOURCE_DATE_EPOCH set for it (the fixture of the cold-path and write-stage tests)."""
    root = tmp_path / "site"
    write_site(root, dict(posts), {"feeds": {"formats": ["atom", "rss", "json"]}, "build": {"jobs": 1}})
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """make_site(posts, config=None, name="site") -> config path of a site in tmp_path."""
    def make(posts: dict[str, Any] | None = None, config: dict[str, Any] | str | None = None,
             name: str = "site") -> Path:
        return write_site(tmp_path / name, posts or {}, config)
    return make


def copy_fixtures(root: Path, names: tuple[str, ...]) -> None:
    """Copy fixture posts (by file name, or a relative path such as news/_posts/x.md) into a site."""
    for name in names:
        source = FIXTURE_POSTS / name
        if not source.is_file():
            raise FileNotFoundError(f"no fixture post {name}")
        target = root / (name if "/" in name else f"_posts/{name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


@pytest.fixture
def site_with(make_site: Callable[..., Path]) -> Callable[..., Path]:
    """site_with(*fixture_names, config=None) -> config path of a site holding those fixture posts."""
    def make(*names: str, config: dict[str, Any] | None = None) -> Path:
        cfg_path = make_site({}, config)
        copy_fixtures(cfg_path.parent, names)
        return cfg_path
    return make


@dataclass
class Built:
    result: BuildResult
    output: Path
    feeds: dict[str, Any] = field(default_factory=dict)  # relative path -> feedparser result
    opml: ET.Element | None = None

    def feed(self, relative: str) -> Any:
        return self.feeds[relative]

    def bytes(self) -> dict[str, bytes]:
        return tree_bytes(self.output)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file feeds owns under ``root`` (hidden bookkeeping files left out), by relative path:
    what a web server would publish. A folder that is not there holds nothing."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


def parse_output(output: Path) -> tuple[dict[str, Any], ET.Element | None]:
    """Parse every feed in the folder with feedparser; each must be well-formed (bozo == 0)."""
    parsed: dict[str, Any] = {}
    opml = None
    for relative, data in tree_bytes(output).items():
        if relative.endswith(FEED_SUFFIXES):
            result = feedparser.parse(data)
            assert result.bozo == 0, f"{relative}: {result.get('bozo_exception')}"
            assert result.version in ("atom10", "rss20"), f"{relative}: version {result.version!r}"
            parsed[relative] = result
        elif relative.endswith(".json"):  # JSON Feed: feedparser 6.0 cannot read it; json and our checker do
            problems = check_feed_file(output / relative, None)
            assert problems == [], f"{relative}: {problems}"
            parsed[relative] = json.loads(data)
        elif relative.endswith(".opml"):
            opml = ET.fromstring(data)
    return parsed, opml


def build_config(cfg_path: Path, errors_ok: bool = False, keep_going: bool = False,
                 **overrides: Any) -> Built:
    """Build through the library, then parse every produced feed back."""
    cfg = load_config(cfg_path, {k.replace("__", "."): v for k, v in overrides.items()})
    result = build(cfg, keep_going=keep_going)
    if not errors_ok:
        assert not result.errors, "\n".join(map(str, result.errors))
    feeds, opml = parse_output(cfg.output) if cfg.output.is_dir() else ({}, None)
    return Built(result, cfg.output, feeds, opml)


@pytest.fixture
def build_site() -> Callable[..., Built]:
    """build_site(config_path, errors_ok=False, keep_going=False, **overrides) -> Built.

    Overrides use '__' for '.': ``feeds__limit=0`` sets ``feeds.limit``.
    """
    return build_config


def invoke(*args: str) -> Result:
    """``feeds ARGS`` through click's CliRunner, as a user runs it."""
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an escaped exception is a bug whatever the exit code says
    return result


def cached_fragments(db: sqlite3.Connection) -> list[tuple[str, bytes]]:
    """Every entry fragment row of a cache, as (fkey, the fragment's bytes): a row holds the bytes
    around its post's content, which is stored once, in the rendered row (cache.joined)."""
    from feeds.cache import joined, joined_rows
    rows = db.execute(joined_rows("1")).fetchall()
    return [(fkey, data) for fkey, _, head, tail, body in rows if (data := joined(head, tail, body)) is not None]


@pytest.fixture
def asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """The rkeys (or fkeys) every process asked the cache's fragment rows for, in any build from now
    (``WorkerCache._rows``, the one query of fragments the write stage makes): a file each appends
    to, so that forked workers count too."""
    log = tmp_path / "asked.log"
    log.touch()
    real = WorkerCache._rows

    def rows(self: WorkerCache, column: str, keys: list[str]) -> Iterator[tuple[Any, ...]]:
        with open(log, "a") as f:
            f.write("".join(f"{k}\n" for k in keys))
        return real(self, column, keys)
    monkeypatch.setattr(WorkerCache, "_rows", rows)

    def read() -> list[str]:
        return log.read_text().split()
    return read


def store_fragment(db: sqlite3.Connection, fkey: str, data: bytes) -> None:
    """Rewrite a fragment row to hold ``data`` whole (no content of its post around it)."""
    db.execute("UPDATE fragments SET head = ?, tail = NULL WHERE fkey = ?", (data, fkey))


def cached_rendered(db: sqlite3.Connection) -> list[tuple[str, Any]]:
    """Every rendered row of a cache, as (rkey, [content, summary]), its content read from its body."""
    from feeds.xmlfast import content_from_bytes
    found = []
    for rkey, data, body in db.execute("SELECT rkey, data, body FROM rendered").fetchall():
        value = json.loads(data)
        if body is not None:
            value[0] = content_from_bytes(body)
        found.append((rkey, value))
    return found


def store_rendered(db: sqlite3.Connection, rkey: str, value: Any) -> None:
    """Rewrite a rendered row to hold ``value`` (JSON) as its data, and no body."""
    db.execute("UPDATE rendered SET data = ?, body = NULL WHERE rkey = ?", (json.dumps(value), rkey))


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """``folder`` (made here) as a tmpfs of ``size`` (e.g. "1m") for the block, then unmounted;
    the test is skipped where mounting is not allowed (not root)."""
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


@contextlib.contextmanager
def machine_zone(zone: str) -> Iterator[str]:
    """The build machine's own zone (TZ) set to ``zone`` for the duration."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield zone
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def machine_tz() -> Iterator[str]:
    """The build machine in a far-away zone (UTC+14), so a date taken from it would show."""
    with machine_zone("Pacific/Kiritimati") as zone:
        yield zone


@pytest.fixture
def epoch(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """epoch(seconds): set SOURCE_DATE_EPOCH ("now" for excluding future posts)."""
    return lambda seconds: monkeypatch.setenv("SOURCE_DATE_EPOCH", str(seconds))


def read_site(cfg_path: Path, **overrides: Any) -> tuple[dict[str, Post], list[Problem]]:
    """Read and group without writing (what `feeds check` does): posts by file name, and problems."""
    cfg = load_config(cfg_path, {k.replace("__", "."): v for k, v in overrides.items()})
    posts, _, problems = load(cfg)
    return {Path(p.path).name: p for p in posts}, problems


def unit_config(root: Path = Path("/nonexistent"), site_fields: dict[str, Any] | None = None,
                **feeds: Any) -> Config:
    """A Config made in code for unit tests of group/render/write; ``feeds`` are FeedsOptions fields."""
    fields = {"url": SITE_URL, "title": "Test News", "description": "Posts for the tests", **(site_fields or {})}
    return Config(site=Site(**fields), root=root, sources=(root,), output=root / "public",
                  timezone="Asia/Shanghai", feeds=dataclasses.replace(FeedsOptions(), **feeds))


def make_post(slug: str = "post", when: datetime = datetime(2022, 3, 4, 13, 23, 21, tzinfo=CST),
              **fields: Any) -> Post:
    """A Post as read from _posts/<date>-<slug>.md, with jekyll-feed style URL and id."""
    url = fields.pop("url", f"{SITE_URL}/{when:%Y/%m/%d}/{slug}.html")
    values: dict[str, Any] = dict(
        path=f"_posts/{when:%Y-%m-%d}-{slug}.md", file=Path(f"/nonexistent/_posts/{slug}.md"), digest="0" * 32,
        title=slug.replace("-", " ").title(), date=when, updated=when, categories=(), tags=(), url=url,
        id=url.removesuffix(".html"), author="", summary="", markdown=True, body_start=0, body_line=1)
    values.update(fields)
    return Post(**values)


# a value other than the default for every schema key (test_config: each reaches the Config;
# test_stages: each changes exactly the stage keys it declares)
ODD: dict[str, Any] = {
    "site.url": "https://y.test", "site.title": "T", "site.description": "D", "site.language": "fr",
    "site.author.name": "N", "site.author.email": "n@y.test", "source": "src", "posts": ["a/*.md"],
    "output": "out", "timezone": "Asia/Tokyo", "permalink": "pretty", "feeds.formats": ["rss"],
    "feeds.limit": 3, "feeds.site": False, "feeds.categories": False, "feeds.tags": False,
    "feeds.entry_id": "url", "content.sanitize": False, "content.allow_tags": ["iframe"],
    "content.allow_attributes": ["style"], "content.max_file_bytes": 9, "cache.path": "c",
    "build.drafts": True, "build.future": True, "build.jobs": 3, "build.unpublished": True,
    "content.max_names_per_post": 7, "content.max_entry_bytes": 5000, "feeds.content": "excerpt",
    "content.markdown.auto_ids": False, "content.markdown.typographic": False,
    "feeds.excerpt_only": True, "feeds.tags_only": ["a"], "feeds.tags_except": ["b"],
    "jekyll_feed.categories": ["News"], "jekyll_feed.tags": True, "jekyll_feed.tags_path": "t/",
    "content.excerpt_separator": "<!--more-->", "exclude": ["drafts/"], "feeds.stylesheet": "/f.xsl",
    "defaults": [{"scope": {"path": "news"}, "values": {"author": "Desk"}}],
    "site.icon": "/i.png", "site.logo": "/l.png", "feeds.first_image": True, "feeds.max_bytes": 5000,
    "feeds.websub.hub": "https://hub.test/", "feeds.keep_ids": True, "feeds.archives.size": 50,
    "feeds.archives.feeds": ["category"],
    **{k.name: k.name.rsplit(".", 1)[1] + "/{slug}.z" for k in SCHEMA if k.name.startswith("feeds.paths.")},
    "feeds.paths.site_atom": "s.xml", "feeds.paths.site_rss": "s.rss", "feeds.paths.site_json": "s.json",
    "feeds.paths.opml": "o.opml", "feeds.paths.index": "i.html",
}
