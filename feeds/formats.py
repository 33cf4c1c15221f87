"""The output formats, one object each: name, default paths, media type, serializer, checker.

Everything that used to branch on "atom" or "rss" asks this registry instead: the schema (the
``feeds.formats`` words and the ``feeds.paths.*`` keys), ``write`` (which serializer), ``serve``
(which Content-Type), ``validate`` (which checker) and the OPML (which files to list). A new
format is one module holding its serializer and checker, plus one line in ``REGISTRY``.

This module sits at the bottom of the layers (the schema imports it), so serializers and
checkers are named as ``"module:function"`` and imported when first called: the registry never
pulls feedgen or the validator into the config.
"""
from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

KINDS = ("site", "category", "tag")


@dataclass(frozen=True)
class Format:
    """One output format.

    ``serializer(cfg, spec, rendered, file, memo) -> bytes`` writes one feed file (``memo`` is a
    dict shared by the formats of one feed, so Atom and RSS build their feedgen object once);
    ``checker(doc, tree, expected_url, site)`` adds a Problem to ``doc`` for each rule broken.
    ``root`` recognises a file: the local name of its XML root element, or ``"json"``.
    """

    name: str
    label: str  # for people: OPML titles, help text
    extension: str
    media_type: str
    default_paths: tuple[tuple[str, str], ...]  # (kind, pattern), kind in KINDS or "opml"
    serializer: str
    checker: str
    root: str
    feed: bool = True  # False for the OPML list: not a feed, never in feeds.formats
    fragment: str = ""  # (cfg, post, rendered) -> one entry's bytes, the same in every feed (see fragments)
    frame: str = ""  # (FrameInputs) -> (head, separator, tail) around the fragments
    parts: str = ""  # ``fragment`` as (head, content bytes, tail), where the format can say (see cache.put)

    def serialize(self, *args: Any) -> bytes:
        result: bytes = _load(self.serializer)(*args)
        return result

    def check(self, *args: Any) -> None:
        _load(self.checker)(*args)

    def make_fragment(self, *args: Any) -> bytes:
        result: bytes = _load(self.fragment)(*args)
        return result

    def make_parts(self, *args: Any) -> tuple[bytes, bytes, bytes]:
        """``make_fragment``'s bytes as (head, body, tail); the body b"" when the format cannot say."""
        if not self.parts:
            return self.make_fragment(*args), b"", b""
        result: tuple[bytes, bytes, bytes] = _load(self.parts)(*args)
        return result

    def make_frame(self, inputs: Any) -> tuple[bytes, bytes, bytes]:
        """(head, separator, tail) of one file around its entries' fragments; ``inputs``: one
        ``feedspec.FrameInputs`` (not imported: this module imports none of the package's)."""
        result: tuple[bytes, bytes, bytes] = _load(self.frame)(inputs)
        return result


def load_makers(names: Iterable[str]) -> None:
    """Import the fragment and frame makers of these formats now, in the process that forks a
    stage's workers: each worker then inherits them (feedgen and lxml among them) instead of
    importing them anew on its first task."""
    for name in names:
        for ref in (BY_NAME[name].fragment, BY_NAME[name].frame, BY_NAME[name].parts):
            if ref:
                _load(ref)


@functools.cache
def _load(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


ATOM = Format("atom", "Atom", ".xml", "application/atom+xml",
              (("site", "feed.xml"), ("category", "feed/{slug}.xml"), ("tag", "feed/by_tag/{slug}.xml")),
              "feeds.write:atom_bytes", "feeds.validate._formats:check_atom", "feed",
              fragment="feeds.write:atom_fragment", frame="feeds.write:atom_frame",
              parts="feeds.write:atom_fragment_parts")
RSS = Format("rss", "RSS", ".rss", "application/rss+xml",
             (("site", "feed.rss"), ("category", "feed/{slug}.rss"), ("tag", "feed/by_tag/{slug}.rss")),
             "feeds.write:rss_bytes", "feeds.validate._formats:check_rss", "rss",
             fragment="feeds.write:rss_fragment", frame="feeds.write:rss_frame",
             parts="feeds.write:rss_fragment_parts")
JSON = Format("json", "JSON Feed", ".json", "application/feed+json",
              (("site", "feed.json"), ("category", "feed/{slug}.json"), ("tag", "feed/by_tag/{slug}.json")),
              "feeds.jsonfeed:json_bytes", "feeds.validate._jsonfeed:check_json_feed", "json",
              fragment="feeds.jsonfeed:json_fragment", frame="feeds.jsonfeed:json_frame")
OPML = Format("opml", "OPML", ".opml", "text/x-opml", (("opml", "feeds.opml"),),
              "feeds.write:opml_bytes", "feeds.validate._formats:check_opml", "opml", feed=False)

REGISTRY: tuple[Format, ...] = (ATOM, RSS, JSON, OPML)  # a new format: one line here
BY_NAME: dict[str, Format] = {f.name: f for f in REGISTRY}
FEED_FORMATS: tuple[str, ...] = tuple(f.name for f in REGISTRY if f.feed)
DEFAULT_FORMATS: tuple[str, ...] = ("atom", "rss")  # JSON Feed is opt-in
SUFFIXES: tuple[str, ...] = tuple(sorted({f.extension for f in REGISTRY} | {".atom"}))


def path_key(kind: str, fmt: str) -> str:
    """The ``feeds.paths`` key of a kind's file in a format: ``site_atom``, ``tag_json``; ``opml``."""
    return kind if kind == "opml" else f"{kind}_{fmt}"


def default_paths() -> dict[str, str]:
    """Every ``feeds.paths`` key with its default pattern, format by format."""
    found = {path_key(kind, f.name): pattern for f in REGISTRY for kind, pattern in f.default_paths}
    order = {kind: i for i, kind in enumerate((*KINDS, "opml"))}  # by kind, then by format
    return dict(sorted(found.items(), key=lambda item: order[item[0].rsplit("_", 1)[0]]))


def format_of_key(key: str) -> str:
    """The format a ``feeds.paths`` key belongs to (``opml`` for the list)."""
    return "opml" if key == "opml" else key.rsplit("_", 1)[1]


def by_root(root: str) -> Format | None:
    return next((f for f in REGISTRY if f.root == root), None)


def by_extension(extension: str) -> list[Format]:
    return [f for f in REGISTRY if f.extension == extension.lower()]
