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
