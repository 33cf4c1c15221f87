"""What the read workers send back through the pool's pipe: a Post pickles as its fields' values
in order (``Post.__reduce__``), and unpickles to an equal Post, field for field."""
from __future__ import annotations

import pickle
from dataclasses import fields, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from feeds.posts import Post

ZONE = ZoneInfo("Asia/Shanghai")
WHEN = datetime(2022, 3, 4, 10, 0, tzinfo=ZONE)


def _post(**changes: object) -> Post:
    post = Post("_posts/2022-03-04-a.md", "/site/_posts/2022-03-04-a.md", "0" * 32, "A title", WHEN, WHEN,
                ("news",), ("x", "y"), "https://example.com/news/2022/03/04/a.html",
                "https://example.com/news/2022/03/04/a.html", "Ann", "", True, 40, 5)
    return replace(post, **changes) if changes else post


def _same(a: Post, b: Post) -> None:
    assert type(b) is Post
    for f in fields(Post):
        assert getattr(b, f.name) == getattr(a, f.name), f.name
        assert type(getattr(b, f.name)) is type(getattr(a, f.name)), f.name
    assert b == a and hash(b) == hash(a)


def test_a_post_travels_as_its_values_not_its_field_names() -> None:
    """The default pickle of a dataclass names every field in every post (a dict per post, built
    field by field in the parent): 10,000 posts a cold build sends back."""
    data = pickle.dumps(_post(), protocol=pickle.HIGHEST_PROTOCOL)
    for name in ("categories", "body_start", "excerpt_only"):
        assert name.encode() not in data
    _same(_post(), pickle.loads(data))


def test_its_neighbours_travel_whole() -> None:
    """Every field away from its default, another date for updated, other zones, no names."""
    later = WHEN + timedelta(days=3)
    utc = timezone.utc
    for post in (_post(updated=later), _post(date=WHEN.astimezone(utc), updated=later.astimezone(utc)),
                 _post(date=datetime(2022, 3, 4, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
                       .replace(microsecond=7)),
                 _post(categories=(), tags=()), _post(lang="fr", excerpt_only=True, liquid=7,
                                                      image="https://example.com/i.png"),
                 _post(summary="x" * 10_000, markdown=False, body_start=0, body_line=1)):
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            _same(post, pickle.loads(pickle.dumps(post, protocol=protocol)))


def test_a_batch_keeps_what_its_posts_share() -> None:
    """updated is date (one object: the cache's row says so), and one zone for every post."""
    posts = [_post(title=f"T{i}") for i in range(3)]
    back = pickle.loads(pickle.dumps(posts, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == posts
    assert all(p.updated is p.date for p in back)
    assert len({id(p.date.tzinfo) for p in back}) == 1


@given(st.text(), st.text(), st.lists(st.text(min_size=1), max_size=3), st.text(), st.integers(0, 2**40))
def test_any_text_travels_whole(title: str, author: str, names: list[str], summary: str, start: int) -> None:
    post = _post(title=title, author=author, tags=tuple(names), categories=tuple(reversed(names)), summary=summary,
                 body_start=start)
    _same(post, pickle.loads(pickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL)))
