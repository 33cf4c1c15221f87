"""Config and Posts made in code, for unit tests and for the subprocesses of test_slow_inputs.

Light on purpose: a subprocess that imports this (and not conftest, which pulls in pytest,
hypothesis and feedparser) starts in half the time. conftest re-exports every name here.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from feeds.config import Config, FeedsOptions, Site
from feeds.posts import Post

SITE_URL = "https://x.test"
CST = timezone(timedelta(hours=8))  # China Standard Time, the +0800 of our users' posts


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
