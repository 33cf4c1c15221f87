"""Round 12 of the write stage's own work: the newest dates of a feed told by its posts' stamps,
a feed's entries read from the render stage's hand-over in one pass, a feed's fingerprints made
from its entries' lines joined once. Each is the answer of what it replaces, on arbitrary input."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import make_post
from hypothesis import example, given
from hypothesis import strategies as st

from feeds.posts import Post, newest_date, newest_dates

ZONES = [timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]
# instants a microsecond apart, the same instant in other offsets, and years whose stamps round
# microseconds away (9999: a float's step there is ~30 us)
moments = st.builds(lambda base, us, zone: (base + timedelta(microseconds=us)).astimezone(zone),
                    st.sampled_from([datetime(2022, 3, 4, 5, 6, 7, tzinfo=timezone.utc),
                                     datetime(9999, 12, 30, 23, 59, 59, tzinfo=timezone.utc),
                                     datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)]),
                    st.integers(0, 3), st.sampled_from(ZONES))


NEW_YORK = ZoneInfo("America/New_York")
# dates as reading gives a date without an offset: the site's zone on the clock's reading, in and
# around the hour clocks skip (2024-03-10 02:00-03:00) and the hour they repeat (2024-11-03 01:00-02:00)
zoned = st.builds(lambda day, minutes, fold: datetime.combine(day, time(0), NEW_YORK).replace(fold=fold)
                  + timedelta(minutes=minutes),
                  st.sampled_from([date(2024, 3, 10), date(2024, 11, 3)]), st.integers(60, 200), st.integers(0, 1))


def _posts(dates: list[tuple[datetime, datetime | None]]) -> list[Post]:
    """Posts of these dates (``updated``: None for the date itself, the same object, as reading
    gives a post without a date of update of its own)."""
    return [make_post(f"p{i}", when, updated=when if updated is None else updated)
            for i, (when, updated) in enumerate(dates)]


@given(st.lists(st.tuples(moments | zoned, st.none() | moments | zoned), max_size=8))
@example([])
@example([(datetime(2024, 3, 10, 2, 30, tzinfo=NEW_YORK), None), (datetime(2024, 3, 10, 3, 10, tzinfo=NEW_YORK), None)])
@example([(datetime(2022, 1, 1, 8, tzinfo=ZONES[1]), None), (datetime(2022, 1, 1, tzinfo=timezone.utc), None)])
def test_the_newest_dates_are_the_very_objects_max_answers(dates: list[tuple[datetime, datetime | None]]) -> None:
    """In any order (a feed's is newest first, but the answer does not lean on it), ties included:
    the same object as ``max``, so its offset and text are the same too."""
    posts = _posts(dates)
    assert newest_date(posts) is max((p.date for p in posts), default=None)
    assert newest_dates(posts)[0] is max((p.updated for p in posts), default=None)


def test_a_unique_newest_stamp_compares_no_dates() -> None:
    """The common case: the newest post's stamp is alone at the top, and no post has an updated
    date of its own: no aware datetime is compared."""

    class Uncomparable(datetime):
        def __lt__(self, other: object) -> bool:
            raise AssertionError("compared")

        __gt__ = __le__ = __ge__ = __lt__

    base = datetime(2022, 3, 4, tzinfo=timezone.utc)
    posts = _posts([(Uncomparable.fromtimestamp((base - timedelta(hours=i)).timestamp(), timezone.utc), None)
                    for i in range(5)])
    assert newest_date(posts) is posts[0].date
    assert newest_dates(posts) == (posts[0].date, posts[0].date) and newest_dates(posts)[0] is posts[0].date


@given(st.lists(st.sampled_from(["a.md", "b c.md", "ü.md"]), max_size=4), st.booleans())
def test_a_feeds_fingerprints_are_each_files_own(paths: list[str], liquid: bool) -> None:
    """``fingerprints`` of a feed's files, its entries' lines made once: each is the hash of that
    file's inputs as ``fingerprint`` made it before (written out here)."""
    import hashlib

    from conftest import unit_config
    from test_write import spec_for

    from feeds.stages import fingerprints

    class Site:
        def key(self, post: Post) -> str:
            return f"k{post.title}"

    posts = tuple(make_post(f"p{i}", datetime(2022, 3, 1, tzinfo=timezone.utc) + timedelta(hours=i)) for i in range(3))
    spec = spec_for(unit_config(), posts)
    site = Site() if liquid else None
    files = [f"feed/{p}" for p in paths]

    def old(path: str) -> str:
        h = hashlib.blake2b(f"K\n{path}\n{spec.kind}\n{spec.title}\n{spec.page}\n{[f.links for f in spec.files]}\n"
                            .encode(), digest_size=16)
        extra = (lambda p: site.key(p)) if site is not None else (lambda p: "")
        h.update("".join(f"{p.path}\0{p.digest}\0{extra(p)}\n" for p in spec.entries).encode())
        return h.hexdigest()

    assert fingerprints("K", spec, files, site) == [old(f) for f in files]  # type: ignore[arg-type]


def test_a_build_into_an_emptied_output_folder_looks_for_none_of_its_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``rm -rf public`` leaves the records of every file, whose bytes each match: none is looked
    for on disk (``Output.holds_nothing`` said none is there), every one is written, and the files
    and records come out as the first build made them."""
    import shutil

    from conftest import three_format_site, tree_bytes
    from test_serial11 import POSTS, _records

    from feeds import build, load_config
    from feeds.output.staging import Output

    site = three_format_site(tmp_path, monkeypatch, POSTS)
    first = build(load_config(site / "config.yaml"))
    assert first.written and not first.errors
    published, recorded = tree_bytes(site / "public"), _records(site)
    shutil.rmtree(site / "public")

    def refused(self: Output, relative: str) -> bool:
        raise AssertionError(f"looked for {relative} in an empty output folder")
    monkeypatch.setattr(Output, "_on_disk", refused)
    again = build(load_config(site / "config.yaml"), replay=False)
    assert sorted(again.written) == sorted(first.written) and again.unchanged == 0 and not again.errors
    assert tree_bytes(site / "public") == published
    assert _records(site) == recorded


def test_a_handed_over_fragment_is_never_searched_for_media(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fragment the render stage handed over says whether it carries media:* (told from its bytes
    as they were written: ``handoff.Entry``), so the write stage searches none of them; the feeds
    are those of a build that handed nothing over, where every fragment was searched."""
    import shutil
    from collections import Counter

    from conftest import post_text, three_format_site, tree_bytes

    from feeds import build, fragments, handoff, load_config

    posts = {f"2022-03-{d:02d}-post-{d}.md": post_text(
        {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news"],
         "tags": ["a", "b"] if d in (1, 5) else ["a"], **({"image": f"/img/{d}.png"} if d % 3 == 0 else {})},
        f"Body of *post* {d}.\n") for d in range(1, 9)}
    site = three_format_site(tmp_path, monkeypatch, posts)
    one = {"build.jobs": 1}  # one write process: monkeypatch reaches it
    searched: Counter[bytes] = Counter()
    real = fragments.has_image

    def noted(data: bytes, body: tuple[int, int] | None = None) -> bool:
        searched[data] += 1
        return real(data, body)
    monkeypatch.setattr(fragments, "has_image", noted)
    assert not build(load_config(site / "config.yaml", one)).errors
    published = tree_bytes(site / "public")
    assert not searched
    assert any(b"<media:" in data for data in published.values())  # some posts have an image, some not
    assert any(b"xmlns:media" not in data for name, data in published.items() if name.endswith(".xml"))

    monkeypatch.setattr(handoff, "MAX_BYTES", 0)  # nothing handed over: every fragment read back and searched
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".feeds-cache")
    assert not build(load_config(site / "config.yaml", one), replay=False).errors
    assert searched and tree_bytes(site / "public") == published
