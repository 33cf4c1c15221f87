"""WebSub: feeds.websub.hub in every feed, and `feeds ping` against a hub run on 127.0.0.1.

The hub answers from a script (503, 204, a redirect…) and records every POST before it answers,
so when `feeds ping` returns, the hub holds everything it was sent: no test waits for anything.
The wait between tries is replaced by a recorder (feeds.websub._sleep), so no test sleeps.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import feedparser
import pytest
from click.testing import CliRunner, Result
from conftest import SITE_URL, post_text, unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds import websub
from feeds.cli import main
from feeds.config import load_config
from feeds.errors import ConfigError
from feeds.group import group_posts
from feeds.schema import hub_urls
from feeds.write import feed_bytes

ATOM = "{http://www.w3.org/2005/Atom}"
POSTS = {
    "2022-03-04-first.md": {"title": "First", "date": "2022-03-04 13:23:21 +0800", "categories": "news",
                            "tags": ["alpha"]},
    "2022-03-05-second.md": {"title": "Second", "date": "2022-03-05 09:00:00 +0800", "categories": "sport"},
}
LISTS = ("feeds.opml", "feeds.html")  # written by a build, but not feeds: never notified


class Hub:
    """A hub on 127.0.0.1: records each POST (path, content type, form), then answers with the
    next status in ``answers`` (204 when the script is done)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[int | tuple[int, bytes]] = []  # a status, or a status and a body
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hub.requests.append({"path": self.path, "type": self.headers.get("Content-Type"),
                                     "form": parse_qsl(body.decode("ascii"), keep_blank_values=True)})
                answer = hub.answers.pop(0) if hub.answers else 204
                said = b"" if isinstance(answer, tuple) or answer < 300 else b"hub says no"
                status, text = answer if isinstance(answer, tuple) else (answer, said)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "https://hub.example/elsewhere")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def topics(self) -> list[str]:
        return [dict(r["form"])["hub.topic"] for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    running = Hub()
    yield running
    running.close()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between tries, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(websub, "_sleep", recorded.append)
    return recorded


@pytest.fixture
def down() -> Iterator[str]:
    """A hub URL where nothing listens: a port bound (so no one else takes it) but not listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/hub"
    sock.close()


@pytest.fixture
def site(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """site(hubs, **feeds options) -> the site folder, the current folder."""
    def make(hubs: str | list[str] | None, posts: dict[str, Any] | None = None, **feeds: Any) -> Path:
        config: dict[str, Any] = {"feeds": {**feeds, **({"websub": {"hub": hubs}} if hubs is not None else {})}}
        root = make_site(POSTS if posts is None else posts, config).parent
        monkeypatch.chdir(root)
        return root
    return make


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def build() -> list[str]:
    """`feeds build`; the URLs of the feed files it wrote (the OPML and the index page are no feeds)."""
    result = run("build", "--json")
    assert result.exit_code == 0, result.stderr
    written = json.loads(result.stdout)["written"]
    return sorted(f"{SITE_URL}/{path}" for path in written if path not in LISTS)


def edit(root: Path, name: str, **front: Any) -> None:
    (root / "_posts" / name).write_text(post_text({**POSTS[name], **front}, "Edited.\n"), encoding="utf-8")


# --- the key ---------------------------------------------------------------------------------

def test_one_hub_or_a_list_kept_as_written() -> None:
    assert hub_urls("https://pubsubhubbub.appspot.com/") == ("https://pubsubhubbub.appspot.com/",)
    assert hub_urls(["https://a.test/", "http://b.test:8080/hub?token=x", "https://a.test/"]) == (
        "https://a.test/", "http://b.test:8080/hub?token=x")
    assert hub_urls("") == hub_urls([]) == ()


@pytest.mark.parametrize("value", ["ftp://hub.test/", "/hub", "hub.test", "https://", "https://hub.test/#x",
                                   "https://hub test/", "https://u@hub.test/", "https://hub.test:99999/",
                                   ["https://ok.test/", "javascript:alert(1)"], {"url": "https://hub.test/"}, 5])
def test_a_hub_that_is_not_an_absolute_http_url_is_a_config_error_naming_the_key(
        site: Callable[..., Path], value: Any) -> None:
    site(value)
    with pytest.raises(ConfigError) as caught:
        load_config("config.yaml")
    said = "feeds.websub.hub: expected an absolute http(s) URL"
    assert any(p.message.startswith(said) for p in caught.value.problems)
    result = run("ping")
    assert result.exit_code == 2 and "feeds.websub.hub: expected an absolute http(s) URL" in result.stderr


def test_websub_may_be_written_as_the_hub_itself(site: Callable[..., Path]) -> None:
    root = site(None)
    (root / "config.yaml").write_text(f"site:\n  url: {SITE_URL}\nfeeds:\n  websub: https://hub.test/\n")
    assert load_config("config.yaml").feeds.hubs == ("https://hub.test/",)


def test_jekyll_feed_hub_in_config_yml_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """jekyll-feed 0.17.0 has no hub setting; its open PR #403 spells it feed.hub: read as ours."""
    (tmp_path / "_posts").mkdir()
    (tmp_path / "_config.yml").write_text("url: https://x.test\nfeed:\n  hub: https://hub.test/\n")
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None)
    assert cfg.feeds.hubs == ("https://hub.test/",)
    assert not [p for p in cfg.warnings if "hub" in p.message]


# --- the feeds name the hubs -------------------------------------------------------------------

HUBS = ("https://hub.test/", "https://other.test/hub?token=a&b=c")


def feeds_with(hubs: tuple[str, ...]) -> dict[str, bytes]:
    cfg = unit_config(hubs=hubs, formats=("atom", "rss", "json"))
    from test_write import ENTRIES, RENDERED

    spec = group_posts(cfg, list(ENTRIES))[0][0]
    return {f.format: data for f, data in zip(spec.files, feed_bytes(cfg, spec, RENDERED).values())}


def test_every_format_names_the_hubs() -> None:
    out = feeds_with(HUBS)
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(out[fmt])
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == list(HUBS)
        assert [link.href for link in parsed.feed.links if link.rel == "self"]  # still there, still first
    channel = ET.fromstring(out["rss"]).find("channel")
    assert channel is not None
    links = [(e.get("rel"), e.get("href")) for e in channel.findall(ATOM + "link")]
    assert links == [("self", "https://x.test/feed.rss"), *(("hub", h) for h in HUBS)]
    assert b'xmlns:atom="http://www.w3.org/2005/Atom"' in out["rss"].split(b">", 2)[1]  # declared on <rss>
    assert json.loads(out["json"])["hubs"] == [{"type": "WebSub", "url": h} for h in HUBS]


def test_without_a_hub_the_feeds_are_as_before() -> None:
    out = feeds_with(())
    assert b'rel="hub"' not in out["atom"] + out["rss"] and "hubs" not in json.loads(out["json"])


def test_built_feeds_with_hubs_pass_feeds_check(site: Callable[..., Path]) -> None:
    site(list(HUBS), formats=["atom", "rss", "json"])
    assert run("build").exit_code == 0
    result = run("check", "--strict")
    assert result.exit_code == 0, result.stderr
    feed = feedparser.parse(Path("public/feed/news.rss").read_bytes())
    assert feed.bozo == 0 and [x.href for x in feed.feed.links if x.rel == "hub"] == list(HUBS)


@given(st.text(max_size=60))
def test_any_text_is_a_hub_url_every_reader_takes_or_a_config_error(text: str) -> None:
    try:
        hubs = hub_urls(text)
    except (TypeError, ValueError):
        return
    out = feeds_with(hubs)
    for fmt in ("atom", "rss"):
        parsed = feedparser.parse(out[fmt])
        assert parsed.bozo == 0
        assert [x.href for x in parsed.feed.links if x.rel == "hub"] == list(hubs)


# --- feeds ping --------------------------------------------------------------------------------

def test_ping_notifies_exactly_the_feeds_that_changed(site: Callable[..., Path], hub: Hub) -> None:
    root = site(hub.url, formats=["atom", "rss", "json"])
    first = build()
    result = run("ping")
    assert result.exit_code == 0, result.stderr
    assert f"hub {hub.url}: {len(first)} feeds notified" in result.stderr
    assert sorted(hub.topics()) == first and len(first) == 12  # site, 2 categories, 1 tag; 3 formats
    for request in hub.requests:
        assert request["type"] == "application/x-www-form-urlencoded" and request["path"] == "/hub"
        form = dict(request["form"])
        assert form == {"hub.mode": "publish", "hub.topic": form["hub.url"], "hub.url": form["hub.url"]}

    hub.requests.clear()
    assert build() == []
    result = run("ping")
    assert result.exit_code == 0 and hub.requests == []
    assert "feeds: nothing to notify: no feed changed since the last ping" in result.stderr

    edit(root, "2022-03-05-second.md")
    changed = build()
    assert changed == sorted(f"{SITE_URL}/{p}" for p in ("feed.xml", "feed.rss", "feed.json", "feed/sport.xml",
                                                          "feed/sport.rss", "feed/sport.json"))
    assert run("ping").exit_code == 0
    assert sorted(hub.topics()) == changed


def test_the_installed_command_pings(site: Callable[..., Path], hub: Hub) -> None:
    """`python -m feeds ping` in a process of its own: the real entry point, the real urllib."""
    root = site(hub.url)
    urls = build()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    done = subprocess.run([sys.executable, "-m", "feeds", "ping"], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"hub {hub.url}: {len(urls)} feeds notified" in done.stderr and sorted(hub.topics()) == urls


def test_builds_between_two_pings_are_all_notified(site: Callable[..., Path], hub: Hub) -> None:
    root = site(hub.url)
    build()
    run("ping")
    hub.requests.clear()
    edit(root, "2022-03-05-second.md")
    one = build()
    edit(root, "2022-03-04-first.md")
    two = build()
    assert run("ping").exit_code == 0
    assert sorted(hub.topics()) == sorted(set(one) | set(two))


def test_a_feed_that_is_gone_is_not_notified(site: Callable[..., Path], hub: Hub) -> None:
    root = site(hub.url)
    build()
    run("ping")
    hub.requests.clear()
    edit(root, "2022-03-04-first.md", tags=[])
    build()
    assert run("ping").exit_code == 0
    assert not [t for t in hub.topics() if "by_tag" in t] and hub.topics()
    told = json.loads((root / ".public.feeds" / "config.pinged.json").read_text())["hubs"][hub.url]
    assert not [t for t in told if "by_tag" in t]  # forgotten


def test_a_hub_answering_503_is_tried_again_after_a_wait(site: Callable[..., Path], hub: Hub,
                                                         waits: list[float]) -> None:
    site(hub.url)
    urls = build()
    hub.answers = [503, 204]
    result = run("ping")
    assert result.exit_code == 0 and f"{len(urls)} feeds notified" in result.stderr
    assert waits == [websub.BACKOFF[0]] and len(hub.requests) == len(urls) + 1
    assert sorted(set(hub.topics())) == urls


def test_a_hub_that_keeps_failing_is_reported_and_its_feeds_kept_for_the_next_ping(
        site: Callable[..., Path], hub: Hub, waits: list[float]) -> None:
    site(hub.url)
    urls = build()
    hub.answers = [204, 503, 503, 503]
    result = run("ping")
    assert result.exit_code == 1
    assert (f"hub {hub.url}: failed after 3 tries: HTTP 503 Service Unavailable: hub says no (1 of {len(urls)} "
            "notified; the rest at the next feeds ping)") in result.stderr
    assert "Traceback" not in result.stderr and waits == list(websub.BACKOFF)
    first = hub.topics()[0]
    hub.requests.clear()
    assert run("ping").exit_code == 0
    assert sorted(hub.topics()) == [u for u in urls if u != first]


@pytest.mark.parametrize(("status", "said"), [
    (400, "failed at once: HTTP 400 Bad Request: hub says no"),
    (403, "failed at once: HTTP 403 Forbidden: hub says no"),
    (301, "failed at once: HTTP 301 redirects to https://hub.example/elsewhere; set feeds.websub.hub to that URL"),
    (308, "failed at once: HTTP 308 redirects to https://hub.example/elsewhere"),
])
def test_a_refusal_or_a_redirect_is_final(site: Callable[..., Path], hub: Hub, waits: list[float], status: int,
                                          said: str) -> None:
    site(hub.url)
    build()
    hub.answers = [status]
    result = run("ping")
    assert result.exit_code == 1 and f"hub {hub.url}: {said}" in result.stderr
    assert len(hub.requests) == 1 and waits == []


def test_what_a_hub_says_is_shown_on_one_line_without_control_characters(site: Callable[..., Path], hub: Hub,
                                                                         waits: list[float]) -> None:
    site(hub.url)
    build()
    hub.answers = [(400, b"bad\n\x1b[31mtopic\x1b[0m\r\n" + b"x" * 1000)]
    result = run("ping")
    line = next(x for x in result.stderr.splitlines() if x.startswith("hub "))
    assert line.startswith(f"hub {hub.url}: failed at once: HTTP 400 Bad Request: bad [31mtopic [0m xxx")
    assert "\x1b" not in result.stderr and len(line) < 300


def test_a_hub_that_is_down_fails_clearly_and_the_others_are_still_notified(
        site: Callable[..., Path], hub: Hub, down: str, waits: list[float]) -> None:
    site([down, hub.url])
    urls = build()
    result = run("ping")
    assert result.exit_code == 1
    assert f"hub {down}: failed after 3 tries: cannot connect (Connection refused)" in result.stderr
    assert f"hub {hub.url}: {len(urls)} feeds notified" in result.stderr
    assert "Traceback" not in result.stderr and len(waits) == 2
    assert sorted(hub.topics()) == urls


def test_a_hub_that_never_answers_times_out(site: Callable[..., Path]) -> None:
    """A socket that listens but never accepts: the POST is taken by the kernel, no answer comes."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    try:
        site(url)
        build()
        waited: list[float] = []
        result = websub.ping(load_config("config.yaml"), timeout=0.2, tries=2, wait=waited.append)
    finally:
        silent.close()
    assert result.failed and result.hubs[0].error == "failed after 2 tries: no answer within 0.2 s"
    assert waited == [websub.BACKOFF[0]]


def test_dry_run_sends_nothing_and_records_nothing(site: Callable[..., Path], hub: Hub) -> None:
    root = site(hub.url)
    urls = build()
    result = run("ping", "--dry-run")
    assert result.exit_code == 0 and hub.requests == []
    assert f"hub {hub.url}: would notify {len(urls)} feeds" in result.stderr
    assert f"  POST {hub.url} hub.mode=publish&hub.topic=https%3A%2F%2Fx.test%2Ffeed.rss&hub.url=" in result.stderr
    assert not (root / ".public.feeds" / "config.pinged.json").exists()
    assert run("ping").exit_code == 0 and sorted(hub.topics()) == urls


def test_ping_json(site: Callable[..., Path], hub: Hub, down: str, waits: list[float]) -> None:
    site([hub.url, down])
    urls = build()
    result = run("ping", "--json")
    doc = json.loads(result.stdout)
    assert doc["command"] == "ping" and doc["exit_code"] == result.exit_code == 1 and doc["dry_run"] is False
    assert doc["hubs"][0] == {"hub": hub.url, "topics": urls, "notified": urls, "tries": len(urls), "error": None}
    assert doc["hubs"][1]["notified"] == [] and doc["hubs"][1]["error"].startswith("failed after 3 tries")


def test_ping_without_a_hub_is_a_config_error(site: Callable[..., Path]) -> None:
    site(None)
    build()
    result = run("ping", "--json")
    assert result.exit_code == 2 and "config.yaml: feeds.websub.hub: not set" in result.stderr
    assert json.loads(result.stdout)["exit_code"] == 2


def test_ping_before_any_build_says_to_build(site: Callable[..., Path], hub: Hub) -> None:
    site(hub.url)
    result = run("ping")
    assert result.exit_code == 1 and hub.requests == []
    assert "config.topics.json: no record of a build with feeds.websub.hub set; run feeds build" in result.stderr
    assert run("build", "--output", "elsewhere").exit_code == 0
    assert run("ping").exit_code == 1 and hub.requests == []  # public/ was never built
    assert run("ping", "--output", "elsewhere").exit_code == 0 and hub.requests


def test_a_build_without_a_hub_keeps_no_record_for_ping(site: Callable[..., Path]) -> None:
    root = site(None)
    build()
    assert sorted(p.name for p in (root / ".public.feeds").iterdir()) == ["config.manifest.json", "lock"]


def test_a_build_that_changes_nothing_leaves_the_record_untouched(site: Callable[..., Path]) -> None:
    root = site("https://hub.test/")
    build()
    record = root / ".public.feeds" / "config.topics.json"
    os.utime(record, ns=(10**9, 10**9))  # a rewrite would show as a new mtime
    assert build() == [] and record.stat().st_mtime_ns == 10**9
    data = json.loads(record.read_text())
    assert data["hubs"] == ["https://hub.test/"] and len(data["topics"]) == 8


def test_hubs_changed_since_the_build_are_named(site: Callable[..., Path], hub: Hub) -> None:
    root = site("https://old.test/")
    build()
    (root / "config.yaml").write_text((root / "config.yaml").read_text().replace("https://old.test/", hub.url))
    result = run("ping")
    assert result.exit_code == 0 and "the feeds of the last build name other hubs (https://old.test/)" in result.stderr


# --- the records are input ---------------------------------------------------------------------

def test_a_forged_build_record_cannot_make_feeds_announce_other_urls(site: Callable[..., Path], hub: Hub) -> None:
    root = site(hub.url)
    urls = build()
    record = root / ".public.feeds" / "config.topics.json"
    data = json.loads(record.read_text())
    data["topics"].update({"https://evil.test/feed.xml": "0" * 32, f"{SITE_URL}/x y.xml": "0" * 32,
                           f"{SITE_URL}/bad-digest.xml": "zz", f"{SITE_URL}.evil/feed.xml": "0" * 32})
    record.write_text(json.dumps(data))
    result = run("ping")
    assert result.exit_code == 0 and sorted(hub.topics()) == urls
    assert "config.topics.json: warning: 4 entries (first: https://evil.test/feed.xml) damaged or naming a URL " \
           "outside site.url; ignored" in result.stderr


@pytest.mark.parametrize("content", ["[]", "{", '{"topics": 3}', "null"])
def test_an_unreadable_build_record_is_an_error_that_says_to_build(site: Callable[..., Path], hub: Hub,
                                                                   content: str) -> None:
    root = site(hub.url)
    build()
    (root / ".public.feeds" / "config.topics.json").write_text(content)
    result = run("ping")
    assert result.exit_code == 1 and hub.requests == [] and "run feeds build to write it again" in result.stderr
    assert "Traceback" not in result.stderr
    build()  # nothing changed in the feeds, but the record is written again
    assert run("ping").exit_code == 0 and hub.requests


@pytest.mark.parametrize("content", ["{", "[1]", '{"hubs": {"x": 1}}', '{"hubs": []}'])
def test_a_damaged_ping_record_means_notifying_again(site: Callable[..., Path], hub: Hub, content: str) -> None:
    root = site(hub.url)
    urls = build()
    run("ping")
    hub.requests.clear()
    (root / ".public.feeds" / "config.pinged.json").write_text(content)
    result = run("ping")
    assert result.exit_code == 0 and sorted(hub.topics()) == urls
    assert "Traceback" not in result.stderr


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=40), inner,
                                                                                      max_size=4), max_leaves=20)


@given(json_values)
def test_any_json_in_the_records_is_read_without_raising(tmp_path_factory: pytest.TempPathFactory,
                                                         value: Any) -> None:
    file = tmp_path_factory.mktemp("records") / "r.json"
    for data in (value, {"topics": value}, {"hubs": value}, {"hubs": {"h": value}}):
        file.write_text(json.dumps(data))
        problems: list[Any] = []
        topics = websub.read_topics(file, SITE_URL, problems)
        told = websub.read_pinged(file, SITE_URL, problems)
        for mapping in ([topics[0]] if topics else []) + list(told.values()):
            assert all(url.startswith(SITE_URL + "/") and len(d) == 32 for url, d in mapping.items())


@pytest.mark.parametrize(("hubs", "said"), [
    ("https://hub.test/", "hubs must be a list of objects"),
    ([{"url": "https://hub.test/"}], "hubs must be a list of objects"),
    ([{"type": "WebSub", "url": "/hub"}], "hubs[0].url '/hub' is not an absolute http(s) URL"),
])
def test_feeds_check_reports_broken_json_feed_hubs(tmp_path: Path, hubs: Any, said: str) -> None:
    from feeds.validate import check_feed_file

    feed = json.loads(feeds_with(HUBS)["json"])
    assert check_feed_file(_written(tmp_path, feed), None) == []
    feed["hubs"] = hubs
    assert [p.message for p in check_feed_file(_written(tmp_path, feed), None) if said in p.message]


def _written(folder: Path, feed: dict[str, Any]) -> Path:
    (folder / "feed.json").write_text(json.dumps(feed), encoding="utf-8")
    return folder / "feed.json"
