"""Serve a built output folder over HTTP for a local look at the feeds.

Feed readers are picky about media types and revalidate with conditional GETs,
so this answers the way a real static host would (sniffed Atom/RSS types, ETag,
Last-Modified, 304) and never hands out anything outside the folder it was given.
Standard library only.
"""
from __future__ import annotations

import hashlib
import html
import mimetypes
import os
import re
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from datetime import timezone
from email.utils import formatdate, parsedate_to_datetime
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePath
from typing import Any, BinaryIO
from urllib.parse import quote, unquote, urlsplit

from .errors import OutputError, display_path
from .formats import REGISTRY, by_extension, by_root

SNIFF_BYTES = 1024
CHUNK = 64 * 1024  # a file is hashed and sent this much at a time: memory per reader stays small
_PROLOG = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S)
_XML_ROOTS = "|".join(re.escape(f.root) for f in REGISTRY if f.root != "json")  # feed|rss|opml
_ROOT = re.compile(rb"<(?:[\w.-]+:)?(" + _XML_ROOTS.encode() + rb")[\s/>]")
_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TAG = re.compile(r'(?:W/)?("[^"]*")')
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_JSON_FEED = re.compile(rb'"version"\s*:\s*"https://jsonfeed\.org/version/')


def media_type(name: str, data: bytes) -> str:
    """The Content-Type a reader expects; a `.xml` is sniffed because its name says nothing of Atom vs RSS."""
    suffix = PurePath(name).suffix.lower()
    known = by_extension(suffix)
    if suffix == ".json":  # a JSON Feed says so in its first bytes; other JSON is just JSON
        if not (known and _JSON_FEED.search(data[:SNIFF_BYTES])):
            return "application/json"
        return known[0].media_type
    if suffix == ".xml" or len(known) > 1:
        head = _PROLOG.sub(b"", data[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")).lstrip()
        root = _ROOT.match(head)
        fmt = by_root(root.group(1).decode()) if root else None
        kind = fmt.media_type if fmt else "application/xml"
    elif known:
        kind = known[0].media_type
    else:
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind
    declared = _ENCODING.match(data[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf"))
    return f"{kind}; charset={declared.group(1).decode().lower() if declared else 'utf-8'}"


def resolve(root: Path, url_path: str) -> Path | None:
    """The existing file or folder a URL path names inside `root`, or None for anything that would leave it."""
    try:
        parts = [p for p in unquote(url_path, errors="strict").split("/") if p]
    except UnicodeDecodeError:
        return None
    if not url_path.startswith("/") or any(
            p == ".." or "\0" in p or PurePath(p).anchor or len(PurePath(p).parts) != 1 for p in parts):
        return None
    try:
        target = root.joinpath(*parts).resolve()  # follows symlinks, so links out are caught below
        return target if target.is_relative_to(root) and target.exists() else None
    except (OSError, RuntimeError, ValueError):  # OSError: a name too long for the file system, ...
        return None


def unchanged_since(since: str | None, mtime: float) -> bool:
    """If-Modified-Since: True when the file is not newer than the date the reader sent."""
    try:
        moment = parsedate_to_datetime(since) if since else None
        if moment is None:
            return False
        return int(mtime) <= (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):  # year 99999 and the like
        return False  # an unparseable or impossible date is ignored (RFC 9110 13.1.3)


def open_file(path: Path) -> BinaryIO:
    """The one place a served file is opened (the tests watch how it is read)."""
    return path.open("rb")


class _Etags:
    """Content hashes by (path, inode, size, mtime): a big feed is hashed once, not per request."""

    def __init__(self, size: int = 1024) -> None:
        self.known: dict[tuple[str, int, int, int], str] = {}
        self.size, self.lock = size, threading.Lock()

    def get(self, path: Path, file: BinaryIO) -> str:
        st = os.fstat(file.fileno())  # the open file itself: a rename after the open cannot mix two files
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        with self.lock:
            etag = self.known.get(key)
        if etag is None:
            digest = hashlib.sha256()
            while chunk := file.read(CHUNK):
                digest.update(chunk)
            etag = f'"{digest.hexdigest()[:32]}"'
            with self.lock:
                if len(self.known) >= self.size:
                    self.known.clear()
                self.known[key] = etag
        return etag


_ETAGS = _Etags()


class FeedHandler(BaseHTTPRequestHandler):
    """GET and HEAD for one folder, with the validators readers use to skip unchanged feeds."""

    protocol_version = "HTTP/1.1"  # keep-alive: a reader polls many feeds from one host
    server_version = "feeds"
    timeout = 30  # idle keep-alive connections do not hold a thread forever

    def __init__(self, *args: Any, root: Path, **kwargs: Any) -> None:
        self.root = root
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        url = urlsplit(self.path)
        target = resolve(self.root, url.path)
        if target is None:
            return self.send_error(HTTPStatus.NOT_FOUND)
        if target.is_dir():
            if not url.path.endswith("/"):  # so relative links work; one leading "/" so it stays on this host
                return self._redirect("/" + url.path.lstrip("/") + "/" + (f"?{url.query}" if url.query else ""))
            target = resolve(self.root, url.path + "index.html") or target
        if target.is_dir():
            try:
                data, mtime = self._listing(target, url.path), target.stat().st_mtime
            except OSError:  # unreadable, or gone since resolve()
                return self.send_error(HTTPStatus.NOT_FOUND)
            etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
            if self._head(etag, mtime, "text/html; charset=utf-8", len(data)) and with_body:
                self.wfile.write(data)
            return None
        try:
            file = open_file(target)
        except OSError:
            return self.send_error(HTTPStatus.NOT_FOUND)
        with file:
            self._send_file(target, file, with_body)
        return None

    def _send_file(self, target: Path, file: BinaryIO, with_body: bool) -> None:
        """Headers from the open file, then its bytes a chunk at a time: never the whole file in memory."""
        try:
            st = os.fstat(file.fileno())
            ctype = media_type(target.name, file.read(SNIFF_BYTES))
            file.seek(0)
            etag = _ETAGS.get(target, file)
            file.seek(0)
        except OSError:
            return self.send_error(HTTPStatus.NOT_FOUND)
        if not self._head(etag, st.st_mtime, ctype, st.st_size) or not with_body:
            return None
        left = st.st_size  # what Content-Length promised, even if the file grows meanwhile
        while left > 0 and (chunk := file.read(min(CHUNK, left))):
            self.wfile.write(chunk)
            left -= len(chunk)
        if left:  # the file shrank under us: the promised length cannot be kept, so end the connection
            self.close_connection = True
        return None

    def _head(self, etag: str, mtime: float, ctype: str, length: int) -> bool:
        """The status line and headers; True when a body follows (200), False for 304."""
        status = HTTPStatus.NOT_MODIFIED if self._fresh(etag, mtime) else HTTPStatus.OK
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
        self.send_header("Cache-Control", "no-cache")  # store, but revalidate every time
        if status is HTTPStatus.OK:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length))
        self.end_headers()
        return status is HTTPStatus.OK

    def _fresh(self, etag: str, mtime: float) -> bool:
        """True when the reader's copy is current; If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
        if_none_match = self.headers.get_all("If-None-Match")
        if if_none_match:
            value = ", ".join(if_none_match)
            return value.strip() == "*" or etag in _TAG.findall(value)  # weak comparison: W/ is dropped
        return unchanged_since(self.headers.get("If-Modified-Since"), mtime)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _listing(self, folder: Path, url_path: str) -> bytes:
        """A bare index so a folder of feeds can be clicked through; names escaped, links percent-encoded."""
        names = sorted(p.name + "/" * p.is_dir() for p in folder.iterdir() if p.resolve().is_relative_to(self.root))
        title = html.escape(unquote(url_path))
        items = "".join(f'<li><a href="{html.escape(quote(n))}">{html.escape(n)}</a></li>\n' for n in names)
        return (f'<!doctype html>\n<meta charset="utf-8">\n<title>{title}</title>\n'
                f"<h1>{title}</h1>\n<ul>\n{items}</ul>\n").encode()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One compact line per request: time, method, decoded path, status."""
        path = unquote(getattr(self, "path", "-")).translate(_CONTROL)
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {self.command or '-'} {path} {getattr(code, 'value', code)}\n")

    def log_error(self, format: str, *args: Any) -> None:
        """Silent: every error response is already logged by log_request; idle timeouts are noise."""


class FeedServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that speaks IPv6 when asked and skips the reverse-DNS lookup that can stall bind."""

    def __init__(self, address: tuple[str, int], handler: Callable[..., FeedHandler]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """Bind now, so port 0 and 'address in use' are known before serving starts."""
    root = Path(directory).resolve()
    if not root.is_dir():
        raise OutputError(f"{display_path(directory)}: no such folder; build the feeds first")
    try:
        return FeedServer((host, port), partial(FeedHandler, root=root))
    except OSError as error:
        raise OutputError(f"cannot listen on {host}:{port}: {error.strerror or error}; try another port") from error


def server_url(server: ThreadingHTTPServer) -> str:
    """The URL to open: a wildcard address is shown as loopback, which a browser can reach."""
    host, port = str(server.server_address[0]), server.server_address[1]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(directory: Path, host: str, port: int, ready: Callable[[str], None] | None = None) -> None:
    """Serve until Ctrl-C, then close the socket so the port is free again at once."""
    with make_server(directory, host, port) as server:
        if ready is not None:
            ready(server_url(server))
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
