"""WebSub: tell the hubs (``feeds.websub.hub``) which feeds changed, so readers need not poll.

Two records, next to the manifest in the bookkeeping folder (``.public.feeds/``):

    config.topics.json   what the last build published: every feed's URL and the hash of its
                         bytes, and the hubs the feeds name (written by ``feeds build`` when a hub
                         is set, and only when it changed)
    config.pinged.json   what each hub was last told: URL -> hash (written by ``feeds ping``)

``feeds ping`` notifies each hub of every feed whose hash differs from what that hub was last
told: the feeds the builds since the last ping wrote, and nothing when nothing changed. The
W3C Recommendation leaves the publisher's ping unspecified (section 6, "Publishing"); what the
public hubs take is a form-encoded POST of ``hub.mode=publish`` and ``hub.url`` (PubSubHubbub
0.3), which WebSub hubs also take as ``hub.topic``: each POST carries both, for one feed. (0.3
lets ``hub.url`` repeat in one POST; not every hub takes that, so each feed gets its own.)
A hub answers 2xx (204 or 202) when it took the notification; a 5xx, a 429 or no answer is
tried again, after a wait, up to ``TRIES`` times; a 3xx or another 4xx is final.

Both records are read back as untrusted input, like the manifest: entries of the wrong type,
or naming a URL outside the site, are dropped with a warning.
"""
from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import __version__
from .bookkeeping import folder_of, owner_of, read_json, write_json
from .config import Config
from .errors import WARNING, Problem, display_path
from .feedspec import FeedSpec
from .schema import site_url

TRIES = 3  # per feed and hub: the first POST and two more
BACKOFF = (2.0, 8.0)  # seconds to wait before the second and the third try
TIMEOUT = 10.0  # seconds for one POST
_DIGEST = re.compile(r"[0-9a-f]{64}|[0-9a-f]{32}")  # the manifest's: SHA-256, or BLAKE2b-128 before it

Wait = Callable[[float], None]
_sleep: Wait = time.sleep  # the wait between tries; tests put a recorder here


def topics_file(folder: Path, owner: str) -> Path:
    return folder / f"{owner}.topics.json"


def pinged_file(folder: Path, owner: str) -> Path:
    return folder / f"{owner}.pinged.json"


# --- the build's record ----------------------------------------------------------------------

def record_topics(folder: Path, owner: str, hubs: tuple[str, ...], specs: list[FeedSpec],
                  produced: Mapping[str, list[object]]) -> list[Problem]:
    """After a build's commit: every feed's URL with the hash of its bytes (``produced`` is the
    output's manifest, path -> [digest, …]), written only when it differs from the record there."""
    topics = {f.url: str(produced[f.path][0]) for s in specs for f in s.files if f.path in produced}
    record = {"hubs": list(hubs), "topics": topics}
    file = topics_file(folder, owner)
    try:
        if read_json(file) == record:
            return []
    except (OSError, ValueError):
        pass  # none yet, or damaged: written anew
    try:
        write_json(file, record)
    except OSError as exc:
        return [Problem(display_path(file), None, f"cannot write the record feeds ping reads ({exc.strerror}); "
                        "feeds ping will not know what this build changed; make the folder writable and build "
                        "again", WARNING)]
    return []


def _url_ok(url: object, site: str) -> bool:
    if not isinstance(url, str) or not url.startswith(site + "/"):
        return False
    try:
        site_url(url)
    except ValueError:
        return False
    return True


def _valid_map(value: object, site: str) -> tuple[dict[str, str], list[str]]:
    """The url -> digest pairs that are well-formed and on the site, and the keys that are not."""
    if not isinstance(value, dict):
        return {}, ["(not a mapping)"]
    good = {k: v for k, v in value.items() if _url_ok(k, site) and isinstance(v, str) and _DIGEST.fullmatch(v)}
    return good, sorted(str(k) for k in value if k not in good)


def _dropped(file: Path, bad: list[str], what: str) -> Problem:
    return Problem(display_path(file), None, f"{len(bad)} entr{'y' if len(bad) == 1 else 'ies'} (first: "
                   f"{_shown(bad[0], 100)}) damaged or naming a URL outside site.url; ignored: {what}", WARNING)


def read_topics(file: Path, site: str, problems: list[Problem]) -> tuple[dict[str, str], list[str]] | None:
    """The build's record: (feed URL -> digest, the hubs its feeds name); None when there is none
    or it cannot be read (an error in ``problems``)."""
    where = display_path(file)
    try:
        data = read_json(file)
    except FileNotFoundError:
        problems.append(Problem(where, None, "no record of a build with feeds.websub.hub set; run feeds build "
                                "(and publish the output folder) before feeds ping"))
        return None
    except (OSError, ValueError) as exc:
        problems.append(Problem(where, None, f"cannot read the record of the feeds the last build wrote "
                                f"({_reason(exc)}); run feeds build to write it again"))
        return None
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        problems.append(Problem(where, None, "the record of the feeds the last build wrote has no \"topics\" "
                                "mapping; run feeds build to write it again"))
        return None
    topics, bad = _valid_map(data["topics"], site)
    if bad:
        problems.append(_dropped(file, bad, "those feeds are not notified; run feeds build to write the record again"))
    hubs = data.get("hubs")
    return topics, [h for h in hubs if isinstance(h, str)] if isinstance(hubs, list) else []


def read_pinged(file: Path, site: str, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """What each hub was last told (hub -> feed URL -> digest); damaged parts are dropped with a
    warning, so those feeds are notified again (a notification too many is harmless)."""
    try:
        data = read_json(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        problems.append(Problem(display_path(file), None, f"cannot read the record of what the hubs were told "
                                f"({_reason(exc)}); ignored: every feed is notified again", WARNING))
        return {}
    hubs = data.get("hubs") if isinstance(data, dict) else None
    if not isinstance(hubs, dict):
        problems.append(Problem(display_path(file), None, "the record of what the hubs were told has no \"hubs\" "
                                "mapping; ignored: every feed is notified again", WARNING))
        return {}
    told: dict[str, dict[str, str]] = {}
    bad: list[str] = []
    for hub, sent in hubs.items():
        good, wrong = _valid_map(sent, site)
        told[str(hub)] = good
        bad += wrong
    if bad:
        problems.append(_dropped(file, bad, "those feeds are notified again"))
    return told


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__


# --- notifying -------------------------------------------------------------------------------

@dataclass
class HubReport:
    """One hub: the feeds to notify, those it took, and what went wrong (empty when nothing)."""

    hub: str
    topics: list[str]
    notified: list[str] = field(default_factory=list)
    tries: int = 0  # POSTs sent in all
    error: str = ""

    def message(self, dry_run: bool = False) -> str:
        count = len(self.topics)
        feeds = f"{count} feed{'' if count == 1 else 's'}"
        if not self.topics:
            return f"hub {self.hub}: nothing to notify (no feed changed since its last ping)"
        if dry_run:
            return f"hub {self.hub}: would notify {feeds}"
        if not self.error:
            return f"hub {self.hub}: {feeds} notified"
        done = f" ({len(self.notified)} of {count} notified; the rest at the next feeds ping)" if self.notified else ""
        return f"hub {self.hub}: {self.error}{done}"


@dataclass
class PingResult:
    hubs: list[HubReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(h.error for h in self.hubs) or any(p.is_error for p in self.problems)


def form(topic: str) -> bytes:
    """The body of one notification: ``hub.url`` for the hubs that speak PubSubHubbub 0.3,
    ``hub.topic`` for those that speak WebSub's words; the same URL in both."""
    return urlencode({"hub.mode": "publish", "hub.topic": topic, "hub.url": topic}).encode("ascii")


@functools.lru_cache(maxsize=1)
def _opener() -> Any:
    """urllib without redirects: a redirected POST becomes a GET there, which a hub's home page
    would answer with 200. A redirect is reported instead, with where it points. (Imported here:
    the build, which imports this module for its record, never loads urllib.request.)"""
    from urllib.request import HTTPRedirectHandler, build_opener

    class NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return build_opener(NoRedirect)


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (the connection failed or timed out)
    detail: str  # the reason, the start of the body, where a redirect points, or why no answer


def post(hub: str, topic: str, timeout: float) -> Answer:
    """One notification; never raises for what the network or the hub does."""
    import http.client
    from urllib.error import HTTPError
    from urllib.request import Request

    request = Request(hub, data=form(topic), method="POST",
                      headers={"Content-Type": "application/x-www-form-urlencoded",
                               "User-Agent": f"feeds/{__version__} (WebSub publisher)"})
    try:
        with _opener().open(request, timeout=timeout) as response:
            return Answer(response.status, response.reason or "")
    except HTTPError as exc:
        with exc:
            if 300 <= exc.code < 400:
                return Answer(exc.code, f"redirects to {_shown(exc.headers.get('Location', '?'))}; set "
                                        "feeds.websub.hub to that URL")
            try:
                body = _shown(exc.read(300).decode("utf-8", "replace"))
            except (OSError, http.client.HTTPException):
                body = ""
            return Answer(exc.code, f"{_shown(str(exc.reason))}{': ' + body if body else ''}")
    except (OSError, http.client.HTTPException) as exc:  # URLError, refused, reset, timed out
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return Answer(0, f"no answer within {timeout:g} s")
        return Answer(0, f"cannot connect ({_shown(str(getattr(reason, 'strerror', None) or reason))})")


def _shown(text: str, limit: int = 200) -> str:
    """What a hub said, fit for one line of a terminal: no control characters, spaces collapsed."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:limit]


def _again(answer: Answer) -> bool:
    return answer.status == 0 or answer.status == 429 or answer.status >= 500


def _describe(answer: Answer) -> str:
    return f"HTTP {answer.status} {answer.detail}".rstrip() if answer.status else answer.detail


def notify(report: HubReport, timeout: float, wait: Wait, send: Callable[[str, str, float], Answer] = post,
           tries: int = TRIES) -> None:
    """POST each feed to the hub, in order; stop at the first that fails for good (the hub is
    down or refuses: the rest would fail too, and are sent at the next ping)."""
    for topic in report.topics:
        for attempt in range(1, tries + 1):
            answer = send(report.hub, topic, timeout)
            report.tries += 1
            if 200 <= answer.status < 300:
                report.notified.append(topic)
                break
            if not _again(answer) or attempt == tries:
                times = f"after {attempt} tries" if attempt > 1 else "at once"
                report.error = f"failed {times}: {_describe(answer)}"
                return
            wait(BACKOFF[min(attempt, len(BACKOFF)) - 1])


def pending(topics: Mapping[str, str], told: Mapping[str, str]) -> list[str]:
    """The feeds whose bytes the hub has not been told of, by URL."""
    return sorted(url for url, digest in topics.items() if told.get(url) != digest)


def ping(cfg: Config, dry_run: bool = False, timeout: float = TIMEOUT, wait: Wait | None = None,
         send: Callable[[str, str, float], Answer] = post, tries: int = TRIES) -> PingResult:
    """Notify every hub of ``cfg.feeds.hubs`` of the feeds that changed since it was last told.
    ``wait`` (default: sleep) and ``send`` are there for tests. Never prints."""
    result = PingResult()
    folder, owner = folder_of(cfg.output), owner_of(cfg.file)
    record = read_topics(topics_file(folder, owner), cfg.site.url, result.problems)
    if record is None:
        return result
    topics, built_hubs = record
    if sorted(built_hubs) != sorted(cfg.feeds.hubs):
        result.problems.append(Problem(cfg.file, None, f"feeds.websub.hub: the feeds of the last build name other "
                                       f"hubs ({', '.join(built_hubs) or 'none'}); run feeds build and publish the "
                                       "feeds, so that readers find the hubs being notified", WARNING))
    file = pinged_file(folder, owner)
    told = read_pinged(file, cfg.site.url, result.problems)
    for hub in cfg.feeds.hubs:
        report = HubReport(hub, pending(topics, told.get(hub, {})))
        result.hubs.append(report)
        if dry_run or not report.topics:
            continue
        notify(report, timeout, wait or _sleep, send, tries)
        told[hub] = {url: d for url, d in told.get(hub, {}).items() if url in topics}
        told[hub].update((url, topics[url]) for url in report.notified)
        if report.notified:
            _write_pinged(file, {h: told[h] for h in cfg.feeds.hubs if h in told}, result.problems)
    return result


def _write_pinged(file: Path, told: dict[str, dict[str, str]], problems: list[Problem]) -> None:
    try:
        write_json(file, {"hubs": told})
    except OSError as exc:
        problems.append(Problem(display_path(file), None, f"cannot record what the hubs were told "
                                f"({exc.strerror}); the next feeds ping notifies these feeds again", WARNING))


def dry_run_lines(report: HubReport) -> list[str]:
    """What ``--dry-run`` shows of a hub: each POST it would send."""
    return [f"  POST {report.hub} {form(t).decode()}" for t in report.topics]
