"""feeds.serve: media types, conditional GET, HEAD, UTF-8 paths and staying inside the folder."""
from __future__ import annotations

import http.client
import os
import threading
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds import serve as serve_module
from feeds.errors import OutputError
from feeds.serve import make_server, media_type, serve

ATOM = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a <rss> in a comment -->\n'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>\n')
RSS = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>t</title></channel></rss>\n'
OPML = b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><head/><body/></opml>\n'
CHINESE = "中国邮政快递报新闻.xml"

Response = tuple[int, http.client.HTTPMessage, bytes]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "feed" / "by_tag").mkdir(parents=True)
    (root / "feed.xml").write_bytes(ATOM)
    (root / "feed.rss").write_bytes(RSS)
    (root / "feeds.opml").write_bytes(OPML)
    (root / "feed" / "news.xml").write_bytes(RSS)  # RSS in a .xml: sniffed, not named
    (root / "feed" / "by_tag" / CHINESE).write_bytes(ATOM)
    (root / "plain.xml").write_bytes(b"<urlset/>")
    (root / "style.css").write_bytes(b"body{}")
    (root / "docs").mkdir()
    (root / "docs" / "index.html").write_bytes(b"<p>hello</p>")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "alias.xml").symlink_to(root / "feed.xml")  # a link that stays inside is fine
    return root


@pytest.fixture
def port(site: Path) -> Iterator[int]:
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def fetch(port: int, path: str, method: str = "GET", **headers: str) -> Response:
    """One raw request: http.client sends the path exactly as given (no `..` clean-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize(("path", "expected"), [
    ("/feed.xml", "application/atom+xml; charset=utf-8"),
    ("/feed.rss", "application/rss+xml; charset=utf-8"),
    ("/feeds.opml", "text/x-opml; charset=utf-8"),
    ("/feed/news.xml", "application/rss+xml; charset=utf-8"),
    ("/plain.xml", "application/xml; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/alias.xml", "application/atom+xml; charset=utf-8"),
])
def test_media_types(port: int, site: Path, path: str, expected: str) -> None:
    status, headers, body = fetch(port, path)
    assert (status, headers["Content-Type"]) == (200, expected)
    assert body == (site / path.lstrip("/")).read_bytes()
    assert headers["Cache-Control"] == "no-cache"


def test_sniffing_reads_only_the_head() -> None:
    assert media_type("a.xml", b"\xef\xbb\xbf<feed xmlns='x'/>").startswith("application/atom+xml;")
    assert media_type("a.xml", b"<atom:feed xmlns:atom='x'/>").startswith("application/atom+xml;")
    assert media_type("a.xml", b"<!--" + b"x" * 2000 + b"--><feed/>").startswith("application/xml;")
    assert media_type("a.xml", b'<?xml version="1.0" encoding="ISO-8859-1"?><rss/>') == \
        "application/rss+xml; charset=iso-8859-1"
    assert media_type("a.bin", b"") == "application/octet-stream"


def test_etag_and_if_none_match(port: int) -> None:
    status, headers, _ = fetch(port, "/feed.xml")
    etag = headers["ETag"]
    assert status == 200 and etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    for value in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        status, headers, body = fetch(port, "/feed.xml", If_None_Match=value)
        assert (status, body, headers["ETag"]) == (304, b"", etag), value
        assert headers["Cache-Control"] == "no-cache"
    assert fetch(port, "/feed.xml", If_None_Match='"nope"')[0] == 200


def test_last_modified_and_if_modified_since(port: int, site: Path) -> None:
    status, headers, _ = fetch(port, "/feed.rss")
    last_modified = headers["Last-Modified"]
    assert last_modified == formatdate((site / "feed.rss").stat().st_mtime, usegmt=True)
    assert fetch(port, "/feed.rss", If_Modified_Since=last_modified)[:3:2] == (304, b"")
    earlier = formatdate((site / "feed.rss").stat().st_mtime - 60, usegmt=True)
    assert fetch(port, "/feed.rss", If_Modified_Since=earlier)[0] == 200
    assert fetch(port, "/feed.rss", If_Modified_Since="not a date")[0] == 200
    # If-None-Match decides alone when present (RFC 9110 13.2.2)
    assert fetch(port, "/feed.rss", If_None_Match='"nope"', If_Modified_Since=last_modified)[0] == 200


def test_changed_file_is_sent_again(port: int, site: Path) -> None:
    _, headers, _ = fetch(port, "/feed.xml")
    feed = site / "feed.xml"
    feed.write_bytes(ATOM.replace(b"<title>t</title>", b"<title>new</title>"))
    later = feed.stat().st_mtime + 10
    os.utime(feed, (later, later))
    status, new_headers, body = fetch(port, "/feed.xml", If_None_Match=headers["ETag"])
    assert (status, body) == (200, feed.read_bytes())
    assert new_headers["ETag"] != headers["ETag"]
    assert fetch(port, "/feed.xml", If_Modified_Since=headers["Last-Modified"])[0] == 200


def test_head_has_headers_but_no_body(port: int) -> None:
    _, get_headers, get_body = fetch(port, "/feeds.opml")
    status, headers, body = fetch(port, "/feeds.opml", "HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(get_body))
    assert headers["ETag"] == get_headers["ETag"]
    assert headers["Content-Type"] == "text/x-opml; charset=utf-8"
    assert fetch(port, "/missing.xml", "HEAD")[:3:2] == (404, b"")


@pytest.mark.parametrize("path", [
    "/../outside/secret.txt",
    "/%2e%2e/outside/secret.txt",
    "/%2E%2E/outside/secret.txt",
    "/..%2foutside%2fsecret.txt",
    "/feed/../../outside/secret.txt",
    "/link.txt",  # symlink to a file outside
    "/out/secret.txt",  # symlink to a folder outside
    "/out/",
    "/missing.xml",
    "/%ff.xml",  # not UTF-8
    "/feed.xml%00",
])
def test_nothing_outside_the_folder(port: int, path: str) -> None:
    status, _, body = fetch(port, path)
    assert status == 404 and b"secret" not in body


def test_absolute_path_stays_inside(port: int, tmp_path: Path) -> None:
    secret = quote(str(tmp_path / "outside" / "secret.txt"))
    for path in ("/" + secret, "/" + secret.replace("/", "%2F")):
        assert fetch(port, path)[0] == 404


def test_chinese_percent_encoded_name(port: int, site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, headers, body = fetch(port, "/feed/by_tag/" + quote(CHINESE))
    assert (status, body) == (200, ATOM)
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert f"GET /feed/by_tag/{CHINESE} 200" in capsys.readouterr().err


def test_folders(port: int) -> None:
    status, headers, _ = fetch(port, "/feed/by_tag")
    assert (status, headers["Location"]) == (301, "/feed/by_tag/")
    assert fetch(port, "//docs")[1]["Location"] == "/docs/"  # never "//docs/", another host
    status, headers, body = fetch(port, "/feed/by_tag/")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert f'href="{quote(CHINESE)}"'.encode() in body
    status, _, body = fetch(port, "/")
    assert b'href="feed/"' in body and b"link.txt" not in body and b"out/" not in body
    assert fetch(port, "/docs/")[2] == b"<p>hello</p>"


def test_make_server_errors(tmp_path: Path, site: Path) -> None:
    with pytest.raises(OutputError, match="no such folder"):
        make_server(tmp_path / "nowhere", port=0)
    with make_server(site, port=0) as server:
        with pytest.raises(OutputError, match="cannot listen"):
            make_server(site, port=server.server_address[1])


def test_serve_reports_url_and_stops_on_ctrl_c(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def interrupted(self: serve_module.FeedServer, poll_interval: float = 0.5) -> None:
        seen["server"] = self
        raise KeyboardInterrupt

    monkeypatch.setattr(serve_module.FeedServer, "serve_forever", interrupted)
    urls: list[str] = []
    serve(site, "127.0.0.1", 0, ready=urls.append)
    server = seen["server"]
    assert isinstance(server, serve_module.FeedServer)
    assert urls == [f"http://127.0.0.1:{server.server_address[1]}/"]
    assert server.socket.fileno() == -1  # closed


# --- hostile requests: each one raised in the handler and dropped the connection before -----------

def _still_serving(port: int) -> None:
    assert fetch(port, "/feed.xml")[0] == 200


@pytest.mark.parametrize("path", [
    "/" + "a" * 300,  # a name longer than the file system allows: OSError in the handler
    "/" + "a" * 300 + ".xml",
    "/feed/" + "a" * 300 + "/x.xml",
    "/" + "/".join(["b" * 250] * 20),  # a path longer than PATH_MAX
    "/" + "%61" * 300,
    "/feed.xml%00x",
    "/%00",
])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_impossible_names_are_404(port: int, path: str, method: str) -> None:
    status, _, body = fetch(port, path, method)
    assert status == 404
    _still_serving(port)


def test_a_raw_nul_in_the_request_line_is_404(port: int) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /feed.xml\x00.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 404 ")
    _still_serving(port)


@pytest.mark.parametrize("since", [
    "Mon, 01 Jan 99999999999 00:00:00 GMT",  # OverflowError before
    "Mon, 01 Jan 2000 00:00:00 +99999999999999999999",
    "Mon, 01 Jan 2000 99999999999:00:00 GMT",
    "Mon, 01 Jan 99999 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Sat, 01 Jan 0000 00:00:00 GMT",
    "Mon, 01 Jan 1 00:00:00 +9999",
    "Thu, 01 Jan 1970 00:00:00 GMT" + " " * 1000,
    "x" * 60_000,  # a very long header value, under http.server's own line limit
])
def test_impossible_if_modified_since_is_ignored(port: int, site: Path, since: str) -> None:
    status, _, body = fetch(port, "/feed.rss", If_Modified_Since=since)
    if "9999 23:59:59 GMT" in since:  # a real date after the file's: the reader's copy is current
        assert (status, body) == (304, b"")
    else:
        assert (status, body) == (200, RSS)
    _still_serving(port)


NUMBER = st.integers(min_value=-10**30, max_value=10**30).map(str)
HTTP_DATES = st.builds("{}, {} {} {} {}:{}:{} {}".format, st.sampled_from(["Mon", "Xyz"]), NUMBER,
                       st.sampled_from(["Jan", "Dec", "Foo"]), NUMBER, NUMBER, NUMBER, NUMBER,
                       st.one_of(st.sampled_from(["GMT", "UT", "-0000"]), NUMBER.map("+{}".format)))


@given(st.one_of(st.text(max_size=200), HTTP_DATES))
def test_any_if_modified_since_gives_an_answer(since: str) -> None:
    assert serve_module.unchanged_since(since, 1_700_000_000.0) in (True, False)


@given(st.text(max_size=300))
def test_any_url_path_resolves_or_is_refused(url_path: str) -> None:
    root = Path(__file__).parent / "fixtures"
    target = serve_module.resolve(root.resolve(), "/" + url_path)
    assert target is None or target.is_relative_to(root.resolve())


@pytest.mark.parametrize("value", ["bytes=0-9", "bytes=abc", "bytes=99999999999999999999-", "x" * 10_000])
def test_range_is_ignored_and_the_whole_file_sent(port: int, value: str) -> None:
    status, headers, body = fetch(port, "/feed.xml", Range=value)
    assert (status, body, headers["Content-Length"]) == (200, ATOM, str(len(ATOM)))


# --- big files are streamed --------------------------------------------------------------------------

class ReadSpy:
    """A served file that records the size of every read: none may take the whole file at once."""

    sizes: list[int] = []

    def __init__(self, path: Path) -> None:
        self.file = path.open("rb")

    def read(self, size: int = -1) -> bytes:
        ReadSpy.sizes.append(size)
        return self.file.read(size)

    def __getattr__(self, name: str) -> object:
        return getattr(self.file, name)

    def __enter__(self) -> ReadSpy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_big_feed_is_sent_a_chunk_at_a_time(port: int, site: Path, monkeypatch: pytest.MonkeyPatch,
                                             method: str) -> None:
    big = ATOM.replace(b"<title>t</title>", b"<title>t</title>" + b"<!-- padding -->" * 300_000)  # ~5 MB
    (site / "big.xml").write_bytes(big)
    ReadSpy.sizes = []
    monkeypatch.setattr(serve_module, "open_file", ReadSpy)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} read whole"))
    status, headers, body = fetch(port, "/big.xml", method)
    assert (status, headers["Content-Length"]) == (200, str(len(big)))
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert body == (big if method == "GET" else b"")
    assert ReadSpy.sizes and all(0 < size <= serve_module.CHUNK for size in ReadSpy.sizes), set(ReadSpy.sizes)
    etag = headers["ETag"]
    assert fetch(port, "/big.xml", If_None_Match=etag)[0] == 304
    assert fetch(port, "/big.xml", method, If_None_Match='"other"')[1]["ETag"] == etag
