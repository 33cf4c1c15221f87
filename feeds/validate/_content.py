"""Checking the HTML inside feeds: every URL absolute, no scripts or event handlers."""
from __future__ import annotations

from collections.abc import Iterable
from html.parser import HTMLParser
from xml.etree.ElementTree import Element

from feeds.errors import ERROR, WARNING
from feeds.text import srcset_candidates

from ._doc import _URL_ATTRS, _Doc, _Finding, _split

# --- content -------------------------------------------------------------------------------


def _attribute_findings(tag: str, attrs: Iterable[tuple[str, str | None]]) -> list[_Finding]:
    """(level, message) for relative URLs and scripting in one HTML start tag."""
    found: list[_Finding] = []
    if tag == "script":
        found.append((WARNING, "content has a <script>; readers strip it, remove it"))
    for name, value in attrs:
        name, value = name.lower(), (value or "").strip()
        if name.startswith("on"):
            found.append((WARNING, f"<{tag} {name}=...> event handler in content; readers "
                                   "strip it, remove it"))
        elif name in _URL_ATTRS:
            found += [_url_finding(tag, name, url) for url in _attribute_urls(name, value)
                      if _relative(url) or url.lower().startswith("javascript:")]
    return found


def _attribute_urls(name: str, value: str) -> list[str]:
    """srcset holds "url width, url width" (a URL may hold commas); every other URL attribute one URL."""
    if name != "srcset":
        return [value]
    return [url for url, _ in srcset_candidates(value)]


def _relative(url: str) -> bool:
    """Readers resolve relative URLs against their own address, so they break.

    ``//host/x`` and ``http:x`` count as relative; ``C:\\x`` is a local path, not a scheme.
    """
    scheme, host = _split(url)
    if scheme in ("http", "https"):
        return not host
    return bool(url) and len(scheme) < 2


def _url_finding(tag: str, name: str, url: str) -> _Finding:
    """javascript: URLs are scripting (readers strip them); anything else here is relative."""
    if url.lower().startswith("javascript:"):
        return WARNING, f"<{tag} {name}=\"javascript:...\"> in content; readers strip it, remove it"
    return ERROR, (f"<{tag} {name}={url!r}> in content is not an absolute URL; readers "
                   "cannot resolve it, so write it as https://...")


class _HtmlScan(HTMLParser):
    """Collects findings from escaped HTML; HTMLParser never gives up, like readers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self.found += [(line, lvl, msg) for lvl, msg in _attribute_findings(tag, attrs)]


def _check_html(doc: _Doc, element: Element) -> None:
    """Scan escaped HTML; lines are the element's line plus the line inside the text."""
    scan = _HtmlScan()
    scan.feed(element.text or "")
    scan.close()
    start = doc.lines.get(id(element))
    for line, level, message in scan.found:
        doc.add(None if start is None else start + line - 1, message, level)


def _check_xhtml(doc: _Doc, element: Element) -> None:
    """Inline XHTML content: the same checks, on real elements."""
    for child in element.iter():
        if child is not element:
            tag = child.tag.rpartition("}")[2]
            for level, message in _attribute_findings(tag, list(child.attrib.items())):
                doc.add(child, message, level)
