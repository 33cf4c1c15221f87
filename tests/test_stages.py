"""A cache key per stage (issue 10, item 3): a config key shapes the stage the schema says and
every stage after it, never one before it; changing the feed limit or the site title re-reads
and re-renders nothing."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ODD, Built

from feeds import fragments, load_config, reading, workers
from feeds.config import Config
from feeds.schema import KEYS, SCHEMA, STAGES
from feeds.stages import DERIVED, fields, stage_key, value

OUTPUT_STAGES = STAGES[:-1]  # "none" shapes no byte


def _leaves(value: Any, prefix: str = "") -> list[str]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [leaf for f in dataclasses.fields(value)
                for leaf in _leaves(getattr(value, f.name), prefix + f.name + ".")]
    return [prefix[:-1]]


def test_every_config_field_is_staged_by_a_key_or_derived() -> None:
    """A new Config field must say which stage it shapes: a schema key's ``field``, or DERIVED."""
    from conftest import unit_config
    staged = {key.field or key.name for key in SCHEMA} | set(DERIVED)
    for leaf in _leaves(unit_config()):
        assert any(leaf == s or leaf.startswith(s + ".") for s in staged), f"{leaf}: no stage (schema or DERIVED)"
    for key in SCHEMA:
        value(unit_config(), key.field or key.name)  # every field a key names is there


@pytest.fixture
def base_and_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], tuple[Config, Config]]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "config.yaml").write_text("site:\n  url: https://x.test\n", "utf-8")

    def load(name: str) -> tuple[Config, Config]:
        return load_config("config.yaml"), load_config("config.yaml", {name: ODD[name]})
    return load


@pytest.mark.parametrize("name", [k.name for k in SCHEMA])
def test_a_key_changes_its_own_stage_and_the_later_ones_only(name: str, base_and_changed: Any) -> None:
    assert set(ODD) == set(KEYS), "a new key needs a value in this test"
    base, changed = base_and_changed(name)
    assert changed != base
    own = KEYS[name].stage
    for stage in OUTPUT_STAGES:
        moved = stage_key(base, stage) != stage_key(changed, stage)
        shaped = own != "none" and STAGES.index(stage) >= STAGES.index(own)
        assert moved == shaped, f"{name} ({own}) {'changes' if moved else 'does not change'} the {stage} key"


def test_stages_nest() -> None:
    for earlier, later in zip(OUTPUT_STAGES, OUTPUT_STAGES[1:]):
        assert set(fields(earlier)) < set(fields(later))


# --- what a rebuild redoes ---------------------------------------------------------------------

POSTS = {f"2022-03-{d:02d}-p{d}.md": {"title": f"P{d}", "date": f"2022-03-{d:02d} 10:00:00 +0800",
                                      "categories": ["news"], "tags": [f"t{d % 3}"],
                                      "body": f"Hello [link](x{d}.html) ![i](/i{d}.png)\n"} for d in range(1, 9)}


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many posts were read, rendered, and made into fragments, by stage."""
    counts = {"read": 0, "render": 0, "fragment": 0}

    def count(module: Any, name: str, what: str) -> None:
        real = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[what] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)
    count(reading, "read_post", "read")
    count(workers, "render_post", "render")
    count(fragments, "render_post", "render")
    from feeds.formats import Format
    count(Format, "make_fragment", "fragment")
    count(Format, "make_parts", "fragment")  # the render stage makes them as (head, body, tail)
    return counts


@pytest.mark.parametrize(("override", "read", "render", "fragment"), [
    ({"feeds.limit": 3}, False, False, False),
    ({"site.title": "Another title"}, False, False, False),
    ({"site.description": "Other", "feeds.max_bytes": 0, "feeds.stylesheet": "/s.xsl"}, False, False, False),
    ({"feeds.first_image": True}, False, False, True),
    ({"content.sanitize": False}, False, True, True),
    ({"timezone": "Asia/Tokyo"}, True, True, True),
])
def test_a_rebuild_redoes_only_the_stages_a_changed_key_shapes(
        make_site: Callable[..., Path], build_site: Callable[..., Built], counted: dict[str, int],
        override: dict[str, Any], read: bool, render: bool, fragment: bool) -> None:
    cfg_path = make_site(POSTS, {"build": {"jobs": 1}, "cache": {"path": ".cache"}})
    build_site(cfg_path)
    assert counted["read"] == counted["render"] == len(POSTS) and counted["fragment"] > 0
    counted.update(read=0, render=0, fragment=0)
    build_site(cfg_path, **{k.replace(".", "__"): v for k, v in override.items()})
    assert (counted["read"] > 0, counted["render"] > 0, counted["fragment"] > 0) == (read, render, fragment), counted


def test_the_zone_rules_and_the_python_version_are_in_every_stage_key(
        base_and_changed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tzdata update can move a post's day (and its URL); another Python can escape or format
    differently: a cache made under other rules or another Python is not used, in any stage."""
    import sys
    import zoneinfo

    from feeds import stages

    zones = tmp_path / "zones"
    (zones / "Asia").mkdir(parents=True)
    real = zoneinfo.ZoneInfo("Asia/Shanghai")  # the machine has it: copy its file as found
    assert str(real) == "Asia/Shanghai"
    rules = next(Path(d, "Asia/Shanghai") for d in zoneinfo.TZPATH if Path(d, "Asia/Shanghai").is_file())
    (zones / "Asia" / "Shanghai").write_bytes(rules.read_bytes())
    monkeypatch.setattr(zoneinfo, "TZPATH", (str(zones),))
    base, _ = base_and_changed("timezone")
    cfg = dataclasses.replace(base, timezone="Asia/Shanghai")

    def keys() -> list[str]:
        stages._stage_key.cache_clear()
        stages.zone_rules.cache_clear()
        stages.tool_key.cache_clear()
        return [stage_key(cfg, stage) for stage in OUTPUT_STAGES]

    before = keys()
    assert keys() == before
    (zones / "Asia" / "Shanghai").write_bytes(rules.read_bytes() + b"\n")  # other rules, same name
    after_rules = keys()
    assert all(a != b for a, b in zip(before, after_rules))
    version = sys.version
    monkeypatch.setattr(sys, "version", version + " (another build)")
    assert all(a != b for a, b in zip(after_rules, keys()))
    monkeypatch.setattr(sys, "version", version)
    (zones / "Asia" / "Shanghai").write_bytes(rules.read_bytes())
    assert keys() == before


def test_the_tool_key_changes_with_an_installed_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A library that shapes output is known by its installed metadata, found on ``sys.path`` as the
    packaging spec names its folder: another version (or the same version rebuilt, another file
    list) changes the tool's key, as ``importlib.metadata.version`` did; so does a second copy."""
    import importlib.metadata
    import sys

    from feeds import stages

    first, later = tmp_path / "first", tmp_path / "later"
    info = first / "python_liquid-9.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: python-liquid\nVersion: 9.1\n")
    (info / "RECORD").write_text("liquid/__init__.py,sha256=abc,10\n")
    later.mkdir()
    monkeypatch.setattr(sys, "path", [str(first), str(later), *sys.path])

    def key() -> str:
        stages.tool_key.cache_clear()
        return stages.tool_key()

    try:
        before = key()
        assert importlib.metadata.version("python-liquid") == "9.1"  # the folder is the one it finds first
        assert key() == before
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: python-liquid\nVersion: 9.2\n")
        assert importlib.metadata.version("python-liquid") == "9.2"
        other_version = key()
        (info / "RECORD").write_text("liquid/__init__.py,sha256=abd,10\n")
        rebuilt = key()
        (later / "Python_Liquid-9.0.egg-info").write_text("Metadata-Version: 1.0\nName: python-liquid\nVersion: 9.0\n")
        two_copies = key()
        assert len({before, other_version, rebuilt, two_copies}) == 4
    finally:
        stages.tool_key.cache_clear()


def test_a_library_found_in_no_folder_is_asked_of_importlib_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution in a zip on the path (no folder to list) is still known by its version."""
    import importlib.metadata
    import sys

    from feeds import stages

    def version(dist: str) -> str:
        if dist != "nh3":
            raise importlib.metadata.PackageNotFoundError(dist)
        return "1.2.3"

    monkeypatch.setattr(sys, "path", [])
    monkeypatch.setattr(importlib.metadata, "version", version)
    assert stages.installed(("nh3", "lxml")) == {"nh3": "1.2.3", "lxml": ""}


def test_zone_rules_come_from_tzdata_when_no_tzpath_folder_has_the_zone(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """As zoneinfo looks: the TZPATH folders first, the tzdata package (asked only then) after."""
    import hashlib
    import zoneinfo
    from importlib import resources

    from feeds import stages

    tzdata = Path(str(resources.files("tzdata.zoneinfo").joinpath("Asia/Shanghai")))
    ours = tmp_path / "zones" / "Asia"
    ours.mkdir(parents=True)
    (ours / "Shanghai").write_bytes(b"other rules")
    try:
        monkeypatch.setattr(zoneinfo, "TZPATH", (str(tmp_path / "none"), str(tmp_path / "zones")))
        stages.zone_rules.cache_clear()
        assert stages.zone_rules("Asia/Shanghai") == hashlib.blake2b(b"other rules", digest_size=16).hexdigest()
        monkeypatch.setattr(zoneinfo, "TZPATH", (str(tmp_path / "none"),))
        stages.zone_rules.cache_clear()
        assert stages.zone_rules("Asia/Shanghai") == hashlib.blake2b(tzdata.read_bytes(), digest_size=16).hexdigest()
        assert stages.zone_rules("Nowhere/Atlantis") == ""
    finally:
        stages.zone_rules.cache_clear()
