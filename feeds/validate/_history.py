"""RFC 5005 (feed paging and archiving) in one Atom feed or RSS channel: its links to the other
documents of an archived feed, and the ``fh:archive`` / ``fh:complete`` markers."""
from __future__ import annotations

from xml.etree.ElementTree import Element

from feeds.errors import WARNING, display_path

from ._doc import ATOM, Site, _absolute, _Doc, _local_target

FH = "{http://purl.org/syndication/history/1.0}"
RELS = ("current", "prev-archive", "next-archive")


def check_history(doc: _Doc, head: Element, site: Site | None) -> None:
    """An archive page says so once, names the feed it belongs to (``current``), and every link
    to another archive document is absolute and, inside the output folder, a file that is there
    (a reader walking ``prev-archive`` stops at the first that is not)."""
    links: dict[str, list[Element]] = {}
    for link in head.findall(ATOM + "link"):
        if link.get("rel") in RELS:
            links.setdefault(link.get("rel", ""), []).append(link)
    archive, complete = head.findall(FH + "archive"), head.findall(FH + "complete")
    if archive and complete:
        doc.add(archive[0], "fh:archive and fh:complete in one document; an archive page holds part of the feed, "
                            "a complete feed all of it: keep one")
    if archive and "current" not in links:
        doc.add(archive[0], 'an archive page (fh:archive) has no <link rel="current">; add one pointing at the feed '
                            "readers subscribe to", WARNING)
    if not archive and "next-archive" in links:
        doc.add(links["next-archive"][0], 'rel="next-archive" in a document without fh:archive; only archive pages '
                                          "have a next page: add <fh:archive/> or remove the link", WARNING)
    for rel, found in links.items():
        if len(found) > 1:
            doc.add(found[1], f'{len(found)} <link rel="{rel}">; keep one (readers follow the first)')
        _check_target(doc, found[0], rel, site)


def _check_target(doc: _Doc, link: Element, rel: str, site: Site | None) -> None:
    href = link.get("href", "")
    if not _absolute(href, web=True):
        doc.add(link, f'<link rel="{rel}" href={href!r}> is not an absolute http(s) URL; write the full URL')
        return
    target = _local_target(href, site)
    if target is not None and not target.is_file():
        doc.add(link, f'<link rel="{rel}"> points at {display_path(target)}, which is not in the output folder; '
                      "rebuild (readers walking the archive stop here)")
