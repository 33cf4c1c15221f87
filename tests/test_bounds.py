"""Bounds on what one post and one setting can cost.

A post is in one feed per category and tag, each carrying its whole content: a post with 1,000
tags took 85 s and wrote 62 MB. ``content.max_names_per_post`` (default 100) caps the names that
count, with a warning naming the post and the cap. ``build.jobs`` is at most 64.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SITE_URL, read_site

from feeds import ConfigError, load_config
from feeds.cli import main
from feeds.config import MAX_JOBS, MAX_NAMES_PER_POST

MakeSite = Callable[..., Path]
CAP_SAYS = f"more than content.max_names_per_post ({MAX_NAMES_PER_POST}); only the first {MAX_NAMES_PER_POST}"


def names_post(key: str, names: list[str] | str, folder: str = "") -> dict[str, str]:
    value = names if isinstance(names, str) else "[" + ", ".join(names) + "]"
    return {f"{folder}2022-03-04-many.md": f"---\ntitle: Many\ndate: 2022-03-04 10:00:00 +0800\n{key}: {value}\n"
                                           "---\nBody.\n"}


def warnings_of(problems: list) -> list[str]:  # type: ignore[type-arg]
    return [str(p) for p in problems if "max_names_per_post" in p.message]


@pytest.mark.parametrize("key", ["tags", "categories"])
@pytest.mark.parametrize("count", [MAX_NAMES_PER_POST - 1, MAX_NAMES_PER_POST, MAX_NAMES_PER_POST + 1, 1000])
def test_names_past_the_cap_are_dropped_with_a_warning(make_site: MakeSite, key: str, count: int) -> None:
    names = [f"n{i}" for i in range(count)]
    posts, problems = read_site(make_site(names_post(key, names)))
    kept = getattr(posts["2022-03-04-many.md"], key)
    assert kept == tuple(names[:MAX_NAMES_PER_POST])
    said = warnings_of(problems)
    if count <= MAX_NAMES_PER_POST:
        assert said == []
    else:
        assert len(said) == 1 and said[0].endswith(
            f"/_posts/2022-03-04-many.md:4: warning: {key}: {count} names, {CAP_SAYS} get this post in their "
            "feeds; keep the ones readers follow, or raise the limit"), said


def test_categories_and_tags_share_the_cap(make_site: MakeSite) -> None:
    """What one post costs is the number of feeds it is in, of both kinds: categories come first."""
    half = MAX_NAMES_PER_POST // 2 + 10
    post = ("---\ntitle: Both\ndate: 2022-03-04\ncategories: [" + ", ".join(f"c{i}" for i in range(half)) +
            "]\ntags: [" + ", ".join(f"t{i}" for i in range(half)) + "]\n---\nBody.\n")
    posts, problems = read_site(make_site({"2022-03-04-both.md": post}))
    both = posts["2022-03-04-both.md"]
    assert len(both.categories) == half and len(both.tags) == MAX_NAMES_PER_POST - half
    assert [m.split(": warning: ")[1] for m in warnings_of(problems)] == [
        f"tags: {half} names besides {half} categories, more than content.max_names_per_post "
        f"({MAX_NAMES_PER_POST}); only the first {MAX_NAMES_PER_POST - half} get this post in their feeds; keep "
        "the ones readers follow, or raise the limit"]
    many = post.replace("categories: [", "categories: [" + ", ".join(f"x{i}" for i in range(MAX_NAMES_PER_POST)) + ", ")
    posts, problems = read_site(make_site({"2022-03-04-both.md": many}, name="many"))
    assert len(posts["2022-03-04-both.md"].categories) == MAX_NAMES_PER_POST and posts["2022-03-04-both.md"].tags == ()
    said = warnings_of(problems)
    assert len(said) == 2 and "none of them get this post" in said[1], said


def test_a_space_separated_string_and_duplicates(make_site: MakeSite) -> None:
    """The cap counts distinct names, however they are written."""
    spaced = " ".join(f"t{i}" for i in range(150))
    posts, problems = read_site(make_site(names_post("tags", spaced)))
    assert len(posts["2022-03-04-many.md"].tags) == MAX_NAMES_PER_POST and len(warnings_of(problems)) == 1
    repeated = [f"t{i % MAX_NAMES_PER_POST}" for i in range(3 * MAX_NAMES_PER_POST)]
    posts, problems = read_site(make_site(names_post("tags", repeated), name="repeated"))
    assert len(posts["2022-03-04-many.md"].tags) == MAX_NAMES_PER_POST and warnings_of(problems) == []


def test_folder_categories_count_and_the_permalink_keeps_every_name(make_site: MakeSite) -> None:
    names = [f"c{i}" for i in range(MAX_NAMES_PER_POST)]
    posts, problems = read_site(make_site(names_post("categories", names, folder="news/_posts/")))
    post = posts["2022-03-04-many.md"]
    assert post.categories == ("news", *names[:-1])
    assert len(warnings_of(problems)) == 1
    assert post.url.startswith(f"{SITE_URL}/news/c0/") and "/c99/2022/03/04/" in post.url  # as Jekyll's


def test_the_cap_is_a_config_key(make_site: MakeSite) -> None:
    cfg = make_site(names_post("tags", ["a", "b", "c", "d"]), {"content": {"max_names_per_post": 3}})
    posts, problems = read_site(cfg)
    assert posts["2022-03-04-many.md"].tags == ("a", "b", "c")
    assert "4 names, more than content.max_names_per_post (3); only the first 3" in warnings_of(problems)[0]


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_cap_below_one_is_a_config_error(make_site: MakeSite, value: str) -> None:
    cfg = make_site({}, {"content": {"max_names_per_post": value}})
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    assert any("content.max_names_per_post: expected a whole number >= 1" in str(p) for p in caught.value.problems)


def test_a_thousand_tags_cost_at_most_the_cap_in_feeds(make_site: MakeSite, build_site: Callable[..., object]) -> None:
    """The cost of one post is bounded: the feeds it lands in, not the names it lists."""
    cfg = make_site(names_post("tags", [f"t{i}" for i in range(1000)]))
    built = build_site(cfg)
    tag_files = [p for p in built.result.written if p.startswith("feed/by_tag/")]  # type: ignore[attr-defined]
    assert len(tag_files) == 2 * MAX_NAMES_PER_POST  # atom and rss


# --- build.jobs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("jobs, ok", [(0, True), (MAX_JOBS, True), (MAX_JOBS + 1, False), (1000, False)])
def test_build_jobs_has_an_upper_bound(make_site: MakeSite, jobs: int, ok: bool) -> None:
    cfg = make_site({}, {"build": {"jobs": jobs}})
    if ok:
        assert load_config(cfg).jobs == jobs
        return
    with pytest.raises(ConfigError) as caught:
        load_config(cfg)
    assert [p.message.split(", got")[0] for p in caught.value.problems] == \
        [f"build.jobs: expected a whole number from 0 to {MAX_JOBS} (0: one per core)"]


@pytest.mark.parametrize("jobs", [str(MAX_JOBS + 1), "-1"])
def test_jobs_option_out_of_range_is_a_usage_error(make_site: MakeSite, jobs: str) -> None:
    result = CliRunner().invoke(main, ["build", "--config", str(make_site({})), "--jobs", jobs])
    assert result.exit_code == 2
    assert "Invalid value for '--jobs'" in result.output and f"0<=x<={MAX_JOBS}" in result.output
