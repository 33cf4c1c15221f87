"""feeds.config: defaults, validation that names the key, unknown keys, overrides."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ODD

from feeds import ConfigError, load_config
from feeds.config import DEFAULT_PATHS, PERMALINK_STYLES

MINIMAL = "site:\n  url: https://x.test\n"


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Writes site/config.yaml and works from site/, so messages start with 'config.yaml:'."""
    (tmp_path / "site").mkdir()
    monkeypatch.chdir(tmp_path / "site")

    def write(text: str) -> Path:
        path = tmp_path / "site" / "config.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    return write


def problems_of(path: Path, overrides: dict[str, object] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides)
    return [str(p) for p in caught.value.problems]


def test_defaults_of_a_minimal_config(config_file: Callable[[str], Path]) -> None:
    path = config_file(MINIMAL)
    cfg = load_config(path)
    root = path.parent.resolve()
    assert cfg.site.url == "https://x.test"
    assert cfg.root == root
    assert cfg.sources == (root,)
    assert cfg.output == root / "public"
    assert cfg.timezone == ""
    assert cfg.permalink == "/:categories/:year/:month/:day/:title:output_ext"
    assert cfg.feeds.formats == ("atom", "rss")
    assert cfg.feeds.limit == 20
    assert (cfg.feeds.site, cfg.feeds.categories, cfg.feeds.tags) == (True, True, True)
    assert cfg.feeds.entry_id == "jekyll"
    assert cfg.feeds.path("site_atom") == "feed.xml"
    assert cfg.feeds.path("category_atom") == "feed/{slug}.xml"
    assert cfg.feeds.path("tag_rss") == "feed/by_tag/{slug}.rss"
    assert cfg.feeds.path("opml") == "feeds.opml"
    assert (cfg.drafts, cfg.future) == (False, False)
    assert cfg.warnings == ()


def test_the_example_config_in_the_repo_loads_cleanly() -> None:
    cfg = load_config(Path(__file__).parent.parent / "config.yaml")
    assert cfg.timezone == "Asia/Shanghai"
    assert cfg.site.url == "https://news.example.com"
    assert cfg.warnings == ()


def test_config_is_frozen(config_file: Callable[[str], Path]) -> None:
    cfg = load_config(config_file(MINIMAL))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.timezone = "UTC"  # type: ignore[misc]


def test_relative_paths_start_at_the_config_folder_not_the_current_one(
        config_file: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_file(MINIMAL + "source: src\noutput: out/feeds\n")
    (path.parent / "src").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(path)
    assert cfg.sources == (path.parent.resolve() / "src",)
    assert cfg.output == path.parent.resolve() / "out" / "feeds"


def test_a_source_folder_with_a_space_is_one_folder(config_file: Callable[[str], Path]) -> None:
    path = config_file(MINIMAL + "source: My Site\n")
    (path.parent / "My Site").mkdir()
    assert load_config(path).sources == (path.parent.resolve() / "My Site",)


def test_several_sources_and_post_globs(config_file: Callable[[str], Path]) -> None:
    path = config_file(MINIMAL + "source: [a, b]\nposts: content/my posts/**/*.md\n")
    (path.parent / "a").mkdir()
    (path.parent / "b").mkdir()
    cfg = load_config(path)
    assert [s.name for s in cfg.sources] == ["a", "b"]
    assert cfg.posts == ("content/my posts/**/*.md",)


def test_site_fields_and_trailing_slash(config_file: Callable[[str], Path]) -> None:
    cfg = load_config(config_file(
        "site:\n  url: https://x.test/blog/\n  title: 新闻\n  language: zh-CN\n"
        "  author:\n    name: Desk\n    email: desk@x.test\n"))
    assert cfg.site.url == "https://x.test/blog"
    assert (cfg.site.title, cfg.site.language) == ("新闻", "zh-CN")
    assert (cfg.site.author.name, cfg.site.author.email) == ("Desk", "desk@x.test")


def test_author_may_be_a_plain_name(config_file: Callable[[str], Path]) -> None:
    cfg = load_config(config_file("site:\n  url: https://x.test\n  author: 编辑部\n"))
    assert cfg.site.author.name == "编辑部"


@pytest.mark.parametrize("name", sorted(PERMALINK_STYLES))
def test_permalink_style_names(config_file: Callable[[str], Path], name: str) -> None:
    assert load_config(config_file(MINIMAL + f"permalink: {name}\n")).permalink == PERMALINK_STYLES[name]


def test_feeds_options(config_file: Callable[[str], Path]) -> None:
    cfg = load_config(config_file(MINIMAL + (
        "feeds:\n  formats: [RSS, rss, atom]\n  limit: 0\n  site: no\n  categories: 'off'\n"
        "  tags: true\n  entry_id: URL\n  paths:\n    tag_atom: /tags/{slug}.atom\n")))
    assert cfg.feeds.formats == ("rss", "atom")
    assert cfg.feeds.limit == 0
    assert (cfg.feeds.site, cfg.feeds.categories, cfg.feeds.tags) == (False, False, True)
    assert cfg.feeds.entry_id == "url"
    assert cfg.feeds.path("tag_atom") == "tags/{slug}.atom"
    assert cfg.feeds.path("tag_rss") == DEFAULT_PATHS["tag_rss"]


def test_unknown_keys_warn_naming_the_key(config_file: Callable[[str], Path]) -> None:
    cfg = load_config(config_file(
        "site:\n  url: https://x.test\n  titel: x\nfeeds:\n  limt: 5\ntimezon: UTC\n"))
    messages = [str(w) for w in cfg.warnings]
    assert len(messages) == 3
    for key in ("site.titel", "feeds.limt", "timezon"):
        assert any(f"config.yaml: warning: {key}: unknown key" in m for m in messages), messages
    assert cfg.feeds.limit == 20  # the misspelt key changed nothing


@pytest.mark.parametrize("extra, key", [
    ("feeds:\n  limit: many\n", "feeds.limit"),
    ("feeds:\n  limit: -1\n", "feeds.limit"),
    ("feeds:\n  formats: [atom, html]\n", "feeds.formats"),
    ("feeds:\n  site: maybe\n", "feeds.site"),
    ("feeds:\n  entry_id: guid\n", "feeds.entry_id"),
    ("feeds:\n  paths:\n    site_atom: ../outside.xml\n", "feeds.paths.site_atom"),
    ("feeds: 5\n", "feeds"),
    ("feeds:\n  paths: feed.xml\n", "feeds.paths"),
    ("content: no\n", "content"),
    ("timezone: Mars/Olympus_Mons\n", "timezone"),
    ("permalink: ''\n", "permalink"),
    ("posts: {a: 1}\n", "posts"),
    ("build:\n  drafts: sometimes\n", "build.drafts"),
])
def test_wrong_values_are_errors_naming_the_key(config_file: Callable[[str], Path], extra: str, key: str) -> None:
    messages = problems_of(config_file(MINIMAL + extra))
    assert any(m.startswith(f"config.yaml: {key}: ") for m in messages), messages


@pytest.mark.parametrize("paths, key, says", [
    ("category_atom: feed/all.xml", "feeds.paths.category_atom", "has no {slug}"),
    ("tag_rss: tags.rss", "feeds.paths.tag_rss", "has no {slug}"),
    ("tag_atom: feed/{slug}.xml", "feeds.paths.tag_atom", "same path as feeds.paths.category_atom"),
    ("opml: feed.xml", "feeds.paths.opml", "same path as feeds.paths.site_atom"),
])
def test_path_patterns_that_would_share_a_file_are_errors(config_file: Callable[[str], Path], paths: str,
                                                          key: str, says: str) -> None:
    messages = problems_of(config_file(MINIMAL + f"feeds:\n  paths:\n    {paths}\n"))
    assert any(m.startswith(f"config.yaml: {key}: ") and says in m for m in messages), messages


def test_patterns_of_a_format_that_is_off_may_repeat(config_file: Callable[[str], Path]) -> None:
    text = MINIMAL + "feeds:\n  formats: [atom]\n  paths:\n    category_atom: feed/{slug}.rss\n"
    cfg = load_config(config_file(text))
    assert cfg.feeds.path("category_atom") == "feed/{slug}.rss"


@pytest.mark.parametrize("url", ["example.com", "ftp://x.test", "https://", "https://x.test/?a=1", "//x.test"])
def test_site_url_must_be_absolute_http(config_file: Callable[[str], Path], url: str) -> None:
    messages = problems_of(config_file(f"site:\n  url: '{url}'\n"))
    assert any("site.url:" in m and "http" in m for m in messages), messages


def test_missing_site_url_says_what_to_write(config_file: Callable[[str], Path]) -> None:
    messages = problems_of(config_file("site:\n  title: x\n"))
    assert messages == ["config.yaml: site.url: missing; set it to the site's address, e.g. https://example.com"]


def test_every_problem_is_reported_at_once(config_file: Callable[[str], Path]) -> None:
    messages = problems_of(config_file("site:\n  url: nope\nfeeds:\n  limit: x\ntimezone: Nowhere/Land\n"))
    assert {m.split(": ")[1] for m in messages} >= {"site.url", "feeds.limit", "timezone"}


def test_missing_file_and_broken_yaml(config_file: Callable[[str], Path], tmp_path: Path) -> None:
    assert "config file not found" in problems_of(tmp_path / "nope.yaml")[0]
    broken = problems_of(config_file("site:\n  url: https://x.test\n  title: [unclosed\n"))
    assert broken[0].startswith("config.yaml:3: ")
    assert "mapping" in problems_of(config_file("- just\n- a list\n"))[0]


def test_output_may_not_be_or_contain_the_source(config_file: Callable[[str], Path]) -> None:
    messages = problems_of(config_file(MINIMAL + "output: .\n"))
    assert any("output:" in m and "source" in m for m in messages), messages


def test_timezone_utc_and_iana(config_file: Callable[[str], Path]) -> None:
    assert load_config(config_file(MINIMAL + "timezone: UTC\n")).timezone == "UTC"
    assert load_config(config_file(MINIMAL + "timezone: America/New_York\n")).timezone == "America/New_York"


def test_overrides_apply_only_when_given(config_file: Callable[[str], Path], tmp_path: Path) -> None:
    path = config_file(MINIMAL + "timezone: Asia/Shanghai\nfeeds:\n  limit: 3\n")
    untouched = load_config(path, {"feeds.limit": None, "timezone": None, "site.url": None})
    assert (untouched.feeds.limit, untouched.timezone, untouched.site.url) == (3, "Asia/Shanghai", "https://x.test")
    given = load_config(path, {"feeds.limit": 0, "timezone": "UTC", "site.url": "https://y.test/",
                               "output": str(tmp_path / "elsewhere"), "build.drafts": True})
    assert (given.feeds.limit, given.timezone, given.site.url) == (0, "UTC", "https://y.test")
    assert given.output == tmp_path / "elsewhere"
    assert given.drafts is True


def test_overrides_are_validated_like_the_file(config_file: Callable[[str], Path]) -> None:
    messages = problems_of(config_file(MINIMAL), {"site.url": "not a url", "timezone": "Nowhere/Land"})
    assert {m.split(": ")[1] for m in messages} >= {"site.url", "timezone"}


def test_the_readme_table_of_keys_is_the_schema() -> None:
    """One place for every key: the README's table is generated from feeds.schema.SCHEMA."""
    from feeds.schema import markdown_table

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "regenerate the README table: python -m feeds.schema"


def test_every_schema_key_reaches_the_config(config_file: Callable[[str], Path]) -> None:
    """Each key of the schema, set to a non-default value, changes the loaded Config."""
    from feeds.schema import SCHEMA

    base = load_config(config_file(MINIMAL))
    assert set(ODD) == {k.name for k in SCHEMA}, "a new key needs a value in this test"
    (Path("src")).mkdir()
    for name, value in ODD.items():
        changed = load_config(config_file(MINIMAL), {name: value})
        assert changed != base, f"{name} does not reach the Config"


# The whole-number keys share one converter factory (schema.whole); each message is pinned here
# to the letter, so that the factory says exactly what each key's own converter used to say.
_NOT_INT = "invalid literal for int() with base 10: '{}'"
_READERS = "between 1 and 10000000: readers refuse a longer text"


@pytest.mark.parametrize("key, value, expect, why", [
    ("feeds.limit", "-1", "a whole number >= 0", "it cannot be negative"),
    ("feeds.limit", "1.5", "a whole number >= 0", _NOT_INT.format("1.5")),
    ("feeds.limit", "many", "a whole number >= 0", _NOT_INT.format("many")),
    ("feeds.max_bytes", "-5", "a number of bytes (0: no budget)", "it cannot be negative"),
    ("content.max_file_bytes", "-1", "a number of bytes", "it cannot be negative"),
    ("build.jobs", "-1", "a whole number from 0 to 64 (0: one per core)", "it cannot be negative"),
    ("build.jobs", "65", "a whole number from 0 to 64 (0: one per core)", ""),
    ("content.max_entry_bytes", "-1", "a number of bytes", "it cannot be negative"),
    ("content.max_entry_bytes", "0", "a number of bytes", _READERS),
    ("content.max_entry_bytes", "10000001", "a number of bytes", _READERS),
    ("content.max_names_per_post", "0", "a whole number >= 1", ""),
    ("content.max_names_per_post", "-3", "a whole number >= 1", ""),
    ("content.max_names_per_post", "yes", "a whole number >= 1", _NOT_INT.format("yes")),
])
def test_whole_number_keys_say_what_is_wrong(config_file: Callable[[str], Path], key: str, value: str,
                                             expect: str, why: str) -> None:
    section, name = key.split(".")
    path = config_file(f"site: {{url: 'https://x.test'}}\n{section}:\n  {name}: {value}\n")
    says = f"expected {expect}, got {value!r}" + (f" ({why})" if why else "")  # YAML read as text
    assert problems_of(path) == [f"config.yaml: {key}: {says}"]


@pytest.mark.parametrize("key, value", [("feeds.limit", 0), ("build.jobs", 64), ("content.max_entry_bytes", 1),
                                        ("content.max_entry_bytes", 10_000_000), ("content.max_names_per_post", 1)])
def test_whole_number_keys_take_their_bounds(config_file: Callable[[str], Path], key: str, value: int) -> None:
    section, name = key.split(".")
    load_config(config_file(f"site: {{url: 'https://x.test'}}\n{section}:\n  {name}: {value}\n"))
