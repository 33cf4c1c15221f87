"""The option scenarios: what each of issue 12's options costs in a cold build.

Each option is the corpus's ``config.yaml`` plus one ``feeds:`` setting, built into its own
output folder (``public-<name>``) so that the default build and the option build never share
files; the runner builds them cold, alternating with the default build. ``index-off`` has
no key (the index page is always written): its build runs ``feeds`` through
``bench/feeds_no_index.py``, which replaces the page by an empty file, and the runner checks
that the page it wrote is empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import corpus  # bench/ is on sys.path (the runner is run as a script; the tests add it)


@dataclass(frozen=True)
class Option:
    """One scenario: its name, what it sets (YAML lines under ``feeds:``), and what it means."""

    name: str
    feeds_yaml: tuple[str, ...]  # lines under "feeds:", unindented
    what: str
    no_index: bool = False  # built through bench/feeds_no_index.py


MAX_BYTES_SMALL = 64 * 1024

OPTIONS = (
    Option("json", ("formats: [atom, rss, json]",), "`feeds.formats: [atom, rss, json]` (JSON Feed too)"),
    Option("index-off", (), "no feed index page (no key: the page is generated as an empty file)",
           no_index=True),
    Option("max-bytes-64k", (f"max_bytes: {MAX_BYTES_SMALL}",),
           f"`feeds.max_bytes: {MAX_BYTES_SMALL}` (default 1 MiB): most feeds drop entries"),
    Option("first-image", ("first_image: true",), "`feeds.first_image: true`"),
    Option("excerpt", ("content: excerpt",), "`feeds.content: excerpt` (summaries, no content)"),
    Option("rss-only", ("formats: [rss]",), "`feeds.formats: [rss]`: RSS alone, the one format Hugo writes"),
)
DEFAULT = Option("default", (), "the corpus's config.yaml")


def output_folder(option: Option) -> str:
    """Where the option's build writes, relative to the site folder."""
    return "public" if option is DEFAULT else f"public-{option.name}"


def config_text(option: Option) -> str:
    """The corpus's config.yaml with the option's output folder and its ``feeds:`` lines."""
    text = corpus.CONFIG_YAML.replace("output: public\n", f"output: {output_folder(option)}\n")
    if "output: public" not in text:
        raise ValueError("bench/corpus.py's CONFIG_YAML no longer says 'output: public'")
    if option.feeds_yaml:
        text += "feeds:\n" + "".join(f"  {line}\n" for line in option.feeds_yaml)
    return text


def config_name(option: Option) -> str:
    """The option's config file name in the site folder (the cache keeps one file per name)."""
    return "config.yaml" if option is DEFAULT else f"config-{option.name}.yaml"


def by_name(names: str) -> list[Option]:
    """``json,excerpt`` -> those options; ``all`` -> every one."""
    if names == "all":
        return list(OPTIONS)
    known = {o.name: o for o in OPTIONS}
    unknown = [n for n in names.split(",") if n not in known]
    if unknown:
        raise ValueError(f"unknown option scenario(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names.split(",")]
