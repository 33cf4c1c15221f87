"""The cold build's tail: the cache's start, the write stage's own cost, the commit, and what the
parent does beside the workers (see pipeline and output.staging)."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest


def test_a_new_cache_turns_syncing_off_before_it_turns_to_wal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """Switching a new file to WAL is a transaction: under synchronous=FULL it ends with four
    fdatasyncs; with synchronous=OFF set first, none (strace shows it; here, the order)."""
    from feeds.cache import Cache, WorkerCache

    said: list[str] = []
    real = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = real(*args, **kwargs)
        db.set_trace_callback(lambda statement: said.append(" ".join(statement.split()).upper()))
        return db
    monkeypatch.setattr(sqlite3, "connect", traced)
    for make in (lambda: Cache(tmp_path).close(), lambda: WorkerCache(tmp_path / "cache.sqlite3")._connection()):
        said.clear()
        make()
        pragmas = [s for s in said if s.startswith("PRAGMA SYNCHRONOUS") or s.startswith("PRAGMA JOURNAL_MODE")]
        # a new cache is built with its journal in memory, and turns to WAL once sealed (Cache.close)
        turns = [["PRAGMA SYNCHRONOUS=OFF", "PRAGMA JOURNAL_MODE=MEMORY"]] if len(pragmas) > 2 else []
        assert pragmas == sum(turns, []) + ["PRAGMA SYNCHRONOUS=OFF", "PRAGMA JOURNAL_MODE=WAL"], said


# --- the commit: a new output folder in one rename; each folder probed once ---------------

POSTS = {f"2022-03-{d:02d}-post-{d}.md": {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800",
                                          "categories": [f"c{d % 3}"], "tags": [f"t{d % 4}", "all"]}
         for d in range(1, 10)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from conftest import write_site

    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"feeds": {"formats": ["atom", "rss"]}, "build": {"jobs": 1}})
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return root


def _build(root: Path) -> Any:
    from feeds import build, load_config

    result = build(load_config(root / "config.yaml"))
    assert not result.errors and not result.warnings, result.problems
    return result


def _manifest(root: Path) -> dict[str, list[object]]:
    import json

    files: dict[str, list[object]] = json.loads((root / ".public.feeds" / "config.manifest.json").read_text())["files"]
    return files


def _calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[tuple[Any, ...]]:
    """The arguments of every call to ``owner.name`` from now on (the calls go through)."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(owner, name)

    def counted(*args: Any) -> Any:
        calls.append(args)
        return real(*args)
    monkeypatch.setattr(owner, name, counted)
    return calls


def _moves(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files os.replace moves out of a staging folder (feeds' own records left out)."""
    import os

    moved: list[str] = []
    real = os.replace

    def counted(source: Any, target: Any) -> None:
        if "/staging/files/" in str(source):
            moved.append(str(source))
        real(source, target)
    monkeypatch.setattr(os, "replace", counted)
    return moved


def _expected(tmp_path: Path, name: str) -> dict[str, bytes]:
    """The same site built file by file (into an output folder that was there): the reference."""
    from conftest import tree_bytes, write_site

    other = tmp_path / name
    write_site(other, dict(POSTS), {"feeds": {"formats": ["atom", "rss"]}, "build": {"jobs": 1}})
    (other / "public").mkdir()
    _build(other)
    return tree_bytes(other / "public")


def test_a_new_output_folder_takes_the_staged_files_in_one_rename(site: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file, every folder, the same bytes and records as file by file; no file renamed alone."""
    import os

    from conftest import tree_bytes

    expected = _expected(tmp_path, "reference")
    moved = _moves(monkeypatch)
    result = _build(site)
    assert moved == []
    assert tree_bytes(site / "public") == expected and len(result.written) == len(expected) > 10
    manifest = _manifest(site)
    assert sorted(manifest) == sorted(expected)
    for relative, (_, _, size, mtime) in manifest.items():
        st = os.stat(site / "public" / relative)
        assert [st.st_size, st.st_mtime_ns] == [size, mtime]
    assert sorted(os.listdir(site / ".public.feeds")) == ["config.manifest.json", "lock"]
    again = _build(site)  # nothing changed: nothing written
    assert again.written == [] and again.replayed


def test_an_output_folder_that_was_there_keeps_its_mode(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty folder the user made may have a mode (or owner) of its own: its files come one by one."""
    import os
    import stat

    (site / "public").mkdir()
    os.chmod(site / "public", 0o750)
    moved = _moves(monkeypatch)
    result = _build(site)
    assert stat.S_IMODE(os.stat(site / "public").st_mode) == 0o750
    assert len(moved) == len(result.written) > 10


def test_a_folder_in_the_way_sends_the_files_one_by_one(site: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename refused (a file put into the new folder meanwhile, another filesystem, a system
    that does not rename onto a folder): each file is moved alone, as before."""
    import errno
    import os

    from conftest import tree_bytes

    expected = _expected(tmp_path, "reference")

    def refused(source: Any, target: Any) -> None:
        raise OSError(errno.ENOTEMPTY, "Directory not empty")
    monkeypatch.setattr(os, "rename", refused)
    moved = _moves(monkeypatch)
    _build(site)
    assert tree_bytes(site / "public") == expected and len(moved) == len(expected)


def test_a_build_cut_off_after_the_whole_move_is_finished_by_the_next(site: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Moved in one rename, then cut off before the records were written: the next build finds the
    COMMIT marker, takes every file as moved, and writes the records; then nothing is left to do."""
    from conftest import tree_bytes

    from feeds import build, load_config
    from feeds.errors import OutputError
    from feeds.output import Output

    expected = _expected(tmp_path, "reference")
    real = Output._apply

    def cut(self: Output, *args: Any) -> Any:
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(Output, "_apply", cut)
    with pytest.raises(OutputError, match="cannot finish moving the new feeds into place"):
        build(load_config(site / "config.yaml"))
    assert tree_bytes(site / "public") == expected  # the one rename happened
    assert (site / ".public.feeds" / "staging" / "COMMIT").exists()
    monkeypatch.setattr(Output, "_apply", real)
    _build(site)
    assert tree_bytes(site / "public") == expected and sorted(_manifest(site)) == sorted(expected)
    assert not (site / ".public.feeds" / "staging").exists()
    again = build(load_config(site / "config.yaml"), replay=False)
    assert again.written == [] and again.unchanged == len(expected)


def test_the_commit_probes_each_folder_that_is_there_once(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new site's feeds go to folders that do not exist yet: the folder that will hold them (the
    output folder) is probed once, not once per feed."""
    import os

    probes: list[str] = []
    real = os.open

    def counted(path: Any, *args: Any, **kwargs: Any) -> int:
        if ".feeds-probe-" in str(path):
            probes.append(str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "open", counted)
    result = _build(site)
    assert len({os.path.dirname(p) for p in result.written}) == 3
    assert len(probes) == 1 and os.path.dirname(probes[0]) == str(site / "public")


def test_an_empty_output_folder_s_records_are_read_beside_the_render_workers(site: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build over records (``rm -rf public``): what to make is told without them (every
    feed), and they are read once the render stage runs, beside its workers, not at the commit."""
    import shutil

    from feeds import pipeline, workers
    from feeds.output import staging

    _build(site)
    before = _manifest(site)
    shutil.rmtree(site / "public")
    events: list[str] = []
    real_make, real_render, real_read = pipeline._to_make, workers.render_all, staging.read_manifest
    monkeypatch.setattr(pipeline, "_to_make", lambda *a: (events.append("to_make"), real_make(*a))[1])
    monkeypatch.setattr(workers, "render_all", lambda *a, **k: (events.append("render"), real_render(*a, **k))[1])
    monkeypatch.setattr(staging, "read_manifest", lambda *a: (events.append("records"), real_read(*a))[1])
    real_write = workers.write_all
    monkeypatch.setattr(workers, "write_all", lambda *a, **k: (events.append("write"), real_write(*a, **k))[1])
    result = _build(site)
    assert events == ["to_make", "render", "records", "write"]
    assert sorted(result.written) == sorted(before) and _manifest(site).keys() == before.keys()


def test_a_staged_file_comes_with_its_modification_time(tmp_path: Path) -> None:
    """The worker that writes a file notes its time: the parent stats no staged file."""
    import os

    from feeds.output import Output

    with Output(tmp_path / "public", "config.yaml") as out:
        entry, written = out.stage("a/b.xml", b"<feed/>", "inputs")
        assert written and entry[2:] == [7, os.stat(out.staging / "files" / "a" / "b.xml").st_mtime_ns]


def test_the_commit_makes_the_manifest_text_once(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The staged manifest and the one put in place are the same text: made once."""
    from feeds.output import staging

    made = _calls(monkeypatch, staging, "json_text")
    _build(site)
    assert len(made) == 1


# --- beside the stages: the lists and the ledger's text (aside) ---------------------------

def _two_jobs(root: Path) -> None:
    import yaml

    cfg = yaml.safe_load((root / "config.yaml").read_text())
    cfg["build"]["jobs"] = 2
    cfg["cache"] = {"path": ".feeds-cache"}
    (root / "config.yaml").write_text(yaml.safe_dump(cfg))


def _made_where(monkeypatch: pytest.MonkeyPatch, log: Path, fail: bool = False) -> None:
    """Note the pid that makes the OPML, the index page and the ledger's text (a forked process
    writes to the file too); ``fail``: raise there when that is not this process."""
    import os

    from feeds import aside, ledger

    parent = os.getpid()
    real_maker, real_text = aside.maker, ledger._text

    def noted(what: str) -> None:
        with open(log, "a") as file:
            file.write(f"{what} {os.getpid()}\n")
        if fail and os.getpid() != parent:
            raise OSError(28, "No space left on device")

    def maker(name: str) -> Any:
        make = real_maker(name)

        def made(*args: Any) -> bytes:
            noted(name)
            return make(*args)
        return made

    def text(rows: Any) -> bytes:
        noted("ledger")
        return real_text(rows)
    monkeypatch.setattr(aside, "maker", maker)
    monkeypatch.setattr(ledger, "_text", text)


def _log(log: Path) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for line in log.read_text().splitlines():
        what, pid = line.split()
        found.setdefault(what, set()).add(int(pid))
    return found


def test_the_lists_and_the_ledger_are_made_beside_the_stages(site: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """With two jobs, one process makes them while the workers render: the same files, the same
    ledger, the same report as one job makes in the parent."""
    import os

    from conftest import tree_bytes, write_site

    one = tmp_path / "one"
    write_site(one, dict(POSTS), {"feeds": {"formats": ["atom", "rss"]}, "build": {"jobs": 1},
                                  "cache": {"path": ".feeds-cache"}})
    monkeypatch.chdir(one)
    expected = _build(one)
    _two_jobs(site)
    monkeypatch.chdir(site)
    log = tmp_path / "made"
    _made_where(monkeypatch, log)
    result = _build(site)
    assert _log(log).keys() == {"opml", "index", "ledger"}
    assert os.getpid() not in set().union(*_log(log).values())
    assert tree_bytes(site / "public") == tree_bytes(one / "public")
    assert (site / ".feeds-cache" / "config.ids.json").read_bytes().replace(b"/site/", b"/one/") \
        == (one / ".feeds-cache" / "config.ids.json").read_bytes()
    assert result.written == expected.written and result.problems == expected.problems
    again = _build(site)  # nothing changed: the lists kept, nothing written
    assert again.written == [] and again.replayed


def test_a_failure_beside_the_stages_is_the_parents_to_meet(site: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The process beside fails: the parent makes the lists and the ledger itself, as with one job."""
    import os

    from conftest import tree_bytes

    expected = _expected(tmp_path, "reference")
    _two_jobs(site)
    log = tmp_path / "made"
    _made_where(monkeypatch, log, fail=True)
    _build(site)
    assert os.getpid() in _log(log)["opml"] and os.getpid() in _log(log)["ledger"]
    assert tree_bytes(site / "public") == expected
    assert (site / ".feeds-cache" / "config.ids.json").exists()


def test_one_job_means_one_process(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import parallel

    def refused(*args: Any) -> None:
        raise AssertionError("a process was forked with one job")
    monkeypatch.setattr(parallel, "Background", refused)
    _build(site)


STUCK_BESIDE = """
import os, runpy, sys, time
from feeds import aside
parent, real = os.getpid(), aside.maker
def maker(name):
    if os.getpid() != parent:  # the process beside: an hour
        open(os.environ["READY"], "a").close()
        time.sleep(3600)
    return real(name)
aside.maker = maker
sys.argv[0] = "feeds"
runpy.run_module("feeds", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_process_beside_too(site: Path, tmp_path: Path, signal_name: str) -> None:
    """Ctrl-C while the process beside is busy: exit 130, one clean line, no process left, the
    output folder as it was."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import tree_bytes
    from test_interrupts import CLEAN, finish

    _two_jobs(site)
    done = subprocess.run([sys.executable, "-m", "feeds", "build", "-q"], cwd=site, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (site / "_posts" / "2022-03-01-post-1.md").write_text("---\ntitle: Changed\ndate: 2022-03-01\n---\nNew.\n")
    before = tree_bytes(site / "public")
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", STUCK_BESIDE, "build", "-q"], cwd=site, stderr=subprocess.PIPE,
                            env={**os.environ, "READY": str(ready)}, start_new_session=True)
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "the process beside never started"
        time.sleep(0.01)
    os.killpg(proc.pid, getattr(signal, signal_name))
    code, err = finish(proc)
    assert (code, err) == (130, CLEAN + "\n")
    assert tree_bytes(site / "public") == before


def test_grouping_slugifies_each_name_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A category or tag is on many posts: its slug is made once, not once per post that carries it."""
    from datetime import timedelta

    from conftest import make_post, unit_config

    from feeds import group

    posts = [make_post(f"p{i}", make_post().date - timedelta(days=i), categories=("News", "news", "Sport")[: 1 + i % 3],
                       tags=(f"t{i % 5}", "All")) for i in range(60)]
    calls = _calls(monkeypatch, group, "slugify")
    specs, problems = group.group_posts(unit_config(), posts)
    made = [name for name, in calls]
    assert sorted(made) == sorted({"News", "news", "Sport", "All", *(f"t{i}" for i in range(5))})
    assert {s.slug for s in specs if s.kind == "category"} == {"news", "sport"}
    assert any("share the slug 'news'" in p.message for p in problems)


def _by_slug_oracle(ordered: list[Any], kind: str, exact: dict[str, str]) -> tuple[dict[str, Any], list[Any]]:
    """group._by_slug as it was (one slug, counter and carrier list updated per use of a name)."""
    from collections import Counter, defaultdict
    from operator import attrgetter

    from feeds.errors import WARNING, Problem
    from feeds.group import CLASH_EXAMPLES, _posts_named, _slug_beside

    members: dict[str, list[Any]] = defaultdict(list, {name: [] for name in exact})
    spellings: dict[str, Counter[str]] = defaultdict(Counter, {name: Counter({name: 0}) for name in exact})
    carriers: dict[str, list[str]] = defaultdict(list)
    field = attrgetter("categories" if kind == "category" else "tags")
    for post in ordered:
        seen = set()
        for name in field(post):
            slug = name if name in exact else _slug_beside(name, exact)
            spellings[slug][name] += 1
            if len(carriers[name]) < CLASH_EXAMPLES:
                carriers[name].append(post.path)
            if slug not in seen:
                seen.add(slug)
                members[slug].append(post)
    groups, problems = {}, []
    for slug, posts in members.items():
        counts = spellings[slug]
        name = min(counts, key=lambda n: (-counts[n], n))
        groups[slug] = (name, posts)
        if len(counts) > 1:
            listed = ", ".join(f"'{n}' ({_posts_named(carriers[n], counts[n])})" for n in sorted(counts))
            problems.append(Problem("", None, f"{kind} names {listed} share the slug '{slug}' and one feed; "
                                    "spell them the same way to silence this", WARNING))
    return groups, problems


NAMES = ["News", "news", "NEWS", "news!", "Sport", "sport", "a b", "a-b", "a_b", "Ünï", "ünï", "x"]


@pytest.mark.parametrize("kind", ["category", "tag"])
def test_grouping_by_slug_is_what_it_was(kind: str) -> None:
    """Posts by name first, then names by slug: the same groups, spellings, posts (each once, in
    order), clash warnings and their order as one slug per use of a name; names used twice by one
    post, and names jekyll-feed served (``exact``, with and without posts) among them."""
    from datetime import timedelta

    from conftest import make_post
    from hypothesis import given
    from hypothesis import strategies as st

    from feeds.group import _by_slug

    @given(st.lists(st.lists(st.sampled_from(NAMES), max_size=5), max_size=25),
           st.sets(st.sampled_from(["x", "News", "sport", "jekyll"])))
    def check(uses: list[list[str]], served: set[str]) -> None:
        posts = [make_post(f"p{i}", make_post().date - timedelta(hours=i), **{
            "categories" if kind == "category" else "tags": tuple(names)}) for i, names in enumerate(uses)]
        exact = {name: f"feed/{name}.xml" for name in sorted(served)}
        assert _by_slug(posts, kind, exact) == _by_slug_oracle(posts, kind, exact)
    check()


def test_a_feed_files_frame_is_worked_out_once_per_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budget asks for a file's size, then for its bytes at that size: the newest dates that
    make its frame are looked for once, not once per question."""
    from datetime import timedelta

    from conftest import make_post, unit_config

    from feeds import fragments
    from feeds.budget import feed_files
    from feeds.group import group_posts

    cfg = unit_config()
    posts = [make_post(f"p{i}", make_post().date - timedelta(days=i)) for i in range(5)]
    spec = group_posts(cfg, posts)[0][0]
    pieces = {f.format: [f"<entry>{i}</entry>\n".encode() for i in range(5)] for f in spec.files}
    asked: list[int] = []
    real = fragments.newest_dates  # the newest of the kept posts' dates
    monkeypatch.setattr(fragments, "newest_dates", lambda kept: asked.append(len(kept)) or real(kept))
    data, problems = feed_files(cfg, spec, pieces)
    assert len(asked) == 1 and len(data) == len(spec.files) == 2 and not problems  # once for the feed's files


# --- the output digest: SHA-256, and the BLAKE2b of manifests written before it ------------

def _as_before(root: Path) -> dict[str, list[object]]:
    """Rewrite the manifest as the version before SHA-256 wrote it: BLAKE2b-128 of each file's
    bytes, and other inputs (an upgrade changes the output key): every feed is made again."""
    import hashlib
    import json

    file = root / ".public.feeds" / "config.manifest.json"
    files = json.loads(file.read_text())["files"]
    old = {path: [hashlib.blake2b((root / "public" / path).read_bytes(), digest_size=16).hexdigest(),
                  "made by an earlier version", size, mtime] for path, (_, _, size, mtime) in files.items()}
    file.write_text(json.dumps({"files": old}))
    return old


def test_a_build_over_an_earlier_versions_output_knows_its_files(site: Path) -> None:
    """Every feed made again with the same bytes: none written, each entry keeps its BLAKE2b
    (nothing changed for the WebSub record either); an edited post's feeds are written and
    recorded with SHA-256."""
    from conftest import tree_bytes

    from feeds import build, load_config

    _build(site)
    before = tree_bytes(site / "public")
    old = _as_before(site)
    again = build(load_config(site / "config.yaml"), replay=False)
    assert not again.problems and again.written == [] and again.unchanged == len(old)
    assert tree_bytes(site / "public") == before
    assert {p: e[0] for p, e in _manifest(site).items()} == {p: e[0] for p, e in old.items()}
    (site / "_posts" / "2022-03-09-post-9.md").write_text("---\ntitle: Edited\ndate: 2022-03-09 10:00:00 +0800\n"
                                                          "categories: [c0]\ntags: [t1, all]\n---\nNew.\n")
    edited = _build(site)
    manifest = _manifest(site)
    assert edited.written and all(len(str(manifest[p][0])) == 64 for p in edited.written)
    assert all(manifest[p][0] == old[p][0] for p in manifest if p not in edited.written)


def test_a_build_over_an_earlier_versions_output_deletes_its_stale_feeds(site: Path) -> None:
    """A feed no post needs any more, listed with its BLAKE2b: still feeds' own, deleted without a word."""
    _build(site)
    old = _as_before(site)
    stale = [p for p in old if "/t3." in p]
    assert stale
    for d in (3, 7):  # the only posts tagged t3
        path = site / "_posts" / f"2022-03-{d:02d}-post-{d}.md"
        path.write_text(path.read_text().replace("- t3", "- t0"))
    result = _build(site)
    assert sorted(result.removed) == sorted(stale) and not result.problems
    assert not any((site / "public" / p).exists() for p in stale)


def test_a_changed_file_listed_with_blake2b_is_left_in_place(site: Path) -> None:
    """The other side: a stale feed whose bytes are no longer those recorded (BLAKE2b) is not deleted."""
    _build(site)
    old = _as_before(site)
    stale = sorted(p for p in old if "/t3." in p)
    (site / "public" / stale[0]).write_bytes(b"edited by hand")
    for d in (3, 7):
        path = site / "_posts" / f"2022-03-{d:02d}-post-{d}.md"
        path.write_text(path.read_text().replace("- t3", "- t0"))
    from feeds import build, load_config

    result = build(load_config(site / "config.yaml"))
    assert result.removed == stale[1:]
    assert [p.message.split(";")[0] for p in result.problems] == [
        "no feed is written here any more, but this is not the file feeds wrote (changed since, or not a file)"]
    assert (site / "public" / stale[0]).read_bytes() == b"edited by hand"


def test_feeds_check_knows_both_kinds_of_digest(site: Path) -> None:
    from feeds.output import inspect_output

    _build(site)
    assert inspect_output(site / "public", "config.yaml") == []
    old = _as_before(site)
    assert inspect_output(site / "public", "config.yaml") == []
    changed = sorted(old)[0]
    (site / "public" / changed).write_bytes(b"edited")
    assert [p.message for p in inspect_output(site / "public", "config.yaml")] == [
        "changed since feeds wrote it; the next feeds build writes it again"]


def test_the_websub_record_takes_both_kinds_of_digest(tmp_path: Path) -> None:
    from feeds.feedspec import FeedFile, FeedSpec
    from feeds.websub import read_topics, record_topics, topics_file

    spec = FeedSpec("site", "S", "", "S", (), 0, (FeedFile("atom", "a.xml", "https://x.test/a.xml"),
                                                  FeedFile("rss", "a.rss", "https://x.test/a.rss")))
    produced: dict[str, list[object]] = {"a.xml": ["a" * 64, "", 1, 0], "a.rss": ["b" * 32, "", 1, 0]}
    assert record_topics(tmp_path, "config", ("https://hub.test/",), [spec], produced) == []
    problems: list[Any] = []
    found = read_topics(topics_file(tmp_path, "config"), "https://x.test", problems)
    assert problems == [] and found is not None
    assert found[0] == {"https://x.test/a.xml": "a" * 64, "https://x.test/a.rss": "b" * 32}


def test_the_output_digest_is_sha256() -> None:
    import hashlib

    from feeds.output import digest

    assert digest(b"feed") == hashlib.sha256(b"feed").hexdigest()


def test_a_cold_build_leaves_the_feeds_inputs_to_the_write_tasks(site: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    """No record of the output folder: every feed is made, and its files' inputs are worked out by
    the write tasks (on every core), not by the parent before rendering; they are the very inputs
    a later build compares (it keeps every feed)."""
    from feeds import build, load_config, pipeline, workers

    stage: list[str] = ["before"]
    calls: list[str] = []
    real_render, real_print, real_prints = workers.render_all, pipeline.fingerprint, workers.fingerprints

    def render(*args: Any, **kwargs: Any) -> Any:
        stage[0] = "rendering"
        return real_render(*args, **kwargs)

    def fingerprint(*args: Any, **kwargs: Any) -> str:
        calls.append(stage[0])
        return real_print(*args, **kwargs)

    def fingerprints(key: str, spec: Any, paths: list[str], *args: Any) -> list[str]:
        calls.extend(stage[0] for _ in paths)
        return real_prints(key, spec, paths, *args)
    monkeypatch.setattr(workers, "render_all", render)
    monkeypatch.setattr(pipeline, "fingerprint", fingerprint)  # the parent's comparison
    monkeypatch.setattr(workers, "fingerprints", fingerprints)  # the write tasks
    result = _build(site)
    assert calls and set(calls) == {"rendering"} and len(calls) == len(result.written) - 2  # not the OPML, index
    stage[0] = "before"
    again = build(load_config(site / "config.yaml"), replay=False)
    assert again.written == [] and again.unchanged == len(result.written)
    assert set(calls[len(result.written) - 2:]) == {"before"}  # with records: the parent compares them first


def test_the_process_beside_starts_once_the_render_workers_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    """Forked before the render stage's preparations, it made the parent's walk over every post
    and feed pay for copied pages; forked once the render workers are there, it does not."""
    import multiprocessing

    from conftest import write_site

    from feeds import aside

    many = {f"2022-01-{1 + d % 28:02d}-p{d}.md": {"title": f"P{d}", "date": f"2022-01-{1 + d % 28:02d} 10:00:00 +0800",
                                                  "tags": [f"t{d % 10}"]} for d in range(150)}
    root = tmp_path / "many"
    write_site(root, many, {"build": {"jobs": 2}, "cache": {"path": ".feeds-cache"}})
    monkeypatch.chdir(root)
    seen: list[int] = []
    real = aside.start

    def start(*args: Any) -> Any:
        seen.append(len(multiprocessing.active_children()))
        return real(*args)
    monkeypatch.setattr(aside, "start", start)
    result = _build(root)
    assert seen == [2] and result.written
