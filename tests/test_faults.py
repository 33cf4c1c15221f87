"""Faults, for real: killed builds, read-only and full output folders, two builds at once, and
files in the output folder that feeds did not write.

The promise (feeds/output/staging.py): after any fault the output folder holds exactly what the last
successful build left, or, when a SIGKILL hit the few milliseconds of renames after the COMMIT
marker, exactly the new build once the next run has finished the move. Never a mix after that.
SIGINT and SIGTERM wait for the renames, so they never leave a mix at all. Hidden bookkeeping
files (``.feeds*``) are left out of every comparison.
"""
from __future__ import annotations

import errno
import fcntl
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from click.testing import Result
from conftest import invoke, tmpfs, tree_bytes

from feeds.bookkeeping import COMMIT, LOCK, STAGING, folder_of
from feeds.output import Output
from feeds.output import staging as output_staging

SITE_URL = "https://faults.example.com"
# Enough posts that the reading stage starts a worker pool (parallel.run: 128 tasks and more);
# the staging and the renames, where a kill must leave no mix, are as long as with 2,000 posts:
# 100 categories and 47 tags make the same 298 feed files either way.
N_POSTS = 300
CONFIG = f"""site:
  url: {SITE_URL}
  title: Faults
timezone: Asia/Shanghai
output: public
feeds:
  limit: 10
"""


# --- helpers -----------------------------------------------------------------------------

visible = tree_bytes  # what a web server would publish: every file but the hidden bookkeeping


def post(i: int, revised: bool = False) -> str:
    day = f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}"
    title = f"Post {i}{' (revised)' if revised else ''}"
    return (f"---\ntitle: {title}\ndate: {day} {i % 24:02d}:{i % 60:02d}:00 +0800\ncategories: cat{i % 100}\n"
            f"tags: [t{i % 40}, 标签{i % 7}]\n---\n<p>Body of post {i}. " + "Some words. " * 40 + "</p>\n")


def write_posts(folder: Path, variant: str) -> None:
    """"old": N_POSTS posts. "new": every fifth retitled, category cat7 gone (stale feeds),
    and thirty newer posts (every site-wide feed changes)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i in range(N_POSTS):
        if variant == "new" and i % 100 == 7:
            continue
        name = f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}-post-{i}.md"
        (folder / name).write_text(post(i, revised=variant == "new" and i % 5 == 0), encoding="utf-8")
    if variant == "new":
        for i in range(30):
            (folder / f"2022-01-{1 + i:02d}-fresh-{i}.md").write_text(
                f"---\ntitle: Fresh {i}\ndate: 2022-01-{1 + i:02d} 09:00:00 +0800\ncategories: fresh\n---\n"
                f"<p>New post {i}.</p>\n", encoding="utf-8")


def feeds_build(config: Path, *args: str) -> Result:
    return invoke("build", "--config", str(config), *args)


def recover(output: Path) -> None:
    """What the next run does first: finish a committed build, drop an uncommitted one."""
    with Output(output):
        pass


@dataclass
class World:
    site: Path
    old_output: Path  # the output folder after the last successful ("old") build, bookkeeping beside it
    old: dict[str, bytes]
    new: dict[str, bytes]

    @property
    def output(self) -> Path:
        return self.site / "public"

    @property
    def config(self) -> Path:
        return self.site / "config.yaml"

    def reset(self) -> None:
        """The output folder and its records back to the old build (mtimes kept, so the manifest still holds)."""
        for copy, folder in ((self.old_output, self.output), (folder_of(self.old_output), folder_of(self.output))):
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(copy, folder, copy_function=shutil.copy2)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A generated site built once as "old", then its posts changed and built as "new"."""
    base = tmp_path_factory.mktemp("faults")
    site = base / "site"
    site.mkdir()
    (site / "config.yaml").write_text(CONFIG, encoding="utf-8")
    write_posts(site / "_posts", "old")
    assert feeds_build(site / "config.yaml", "-q").exit_code == 0
    old_output = base / "old-output"
    shutil.copytree(site / "public", old_output, copy_function=shutil.copy2)
    shutil.copytree(folder_of(site / "public"), folder_of(old_output), copy_function=shutil.copy2)
    write_posts(site / "_posts", "new")
    assert feeds_build(site / "config.yaml", "-q").exit_code == 0
    new = visible(site / "public")
    w = World(site, old_output, visible(old_output), new)
    assert w.old != w.new and set(w.old) - set(w.new)  # changed files, and stale ones to remove
    assert len(w.old) > 250  # the commit moves hundreds of files: a window for a kill to land in
    w.reset()
    return w


# --- (a) killed builds -------------------------------------------------------------------

def staging(output: Path) -> Path:
    """Where a build stages its files: next to the output folder, with the other records."""
    return folder_of(output) / STAGING


def staging_exists(output: Path) -> bool:
    return (staging(output) / "files").exists()


def committed(output: Path) -> bool:
    return (staging(output) / COMMIT).exists()


def workers_running(proc: subprocess.Popen[bytes]) -> Callable[[Path], bool]:
    """The build has forked its workers: it is reading (a cold cache), whatever the machine's load."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return lambda output: children.exists() and bool(children.read_text().split())


def start_build(world: World, script: str | None = None) -> subprocess.Popen[bytes]:
    """`python -m feeds build` in its own session, as a terminal or CI runner would start it."""
    command = [sys.executable, "-m", "feeds"] if script is None else [sys.executable, "-c", script]
    return subprocess.Popen([*command, "build", "-q", "--config", str(world.config)], cwd=world.site,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def kill_when(proc: subprocess.Popen[bytes], output: Path, ready: Callable[[Path], bool], sig: int) -> str:
    """Send ``sig`` to the whole job as soon as ``ready`` says so (or the build ends first)."""
    while proc.poll() is None and not ready(output):
        time.sleep(0.0005)
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass  # it finished first: that is a legal outcome too
    try:
        _, err = proc.communicate(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Hung(f"the build did not exit within {HANG_SECONDS} s of {signal.Signals(sig).name}") from None
    return err.decode("utf-8", "replace")


HANG_SECONDS = 20
INTERRUPTED = "Interrupted: public was left as the last finished build made it"


class Hung(AssertionError):
    """The killed build never exited (see test_sigterm_while_workers_run_never_hangs)."""


MOMENTS: dict[str, Callable[[subprocess.Popen[bytes]], Callable[[Path], bool]]] = {
    "reading": workers_running, "staging": lambda proc: staging_exists, "commit": lambda proc: committed}


def forget_cache(site: Path) -> None:
    """A cold start, so that a kill lands among the reading workers (and the cache being filled)."""
    for path in site.glob(".feeds-cache*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_killed_build_leaves_old_or_recovers_to_new(world: World, moment: str, sig: signal.Signals) -> None:
    world.reset()
    if moment == "reading":
        forget_cache(world.site)
    proc = start_build(world)
    err = kill_when(proc, world.output, MOMENTS[moment](proc), sig)
    assert "Traceback" not in err, err
    if sig != signal.SIGKILL and proc.returncode != 0:  # 0: the build was done before the signal
        assert (proc.returncode, err.splitlines()[-1:]) == (130, [INTERRUPTED]), err
    now = visible(world.output)
    if not committed(world.output):
        assert now in (world.old, world.new), "a kill before the COMMIT marker must change nothing"
    elif sig != signal.SIGKILL:
        pytest.fail("SIGINT/SIGTERM must wait until the renames are done, never leave a COMMIT behind")
    was_committed = committed(world.output)
    recover(world.output)
    assert not staging(world.output).exists()
    recovered = visible(world.output)
    assert recovered == (world.new if was_committed else now)
    assert recovered in (world.old, world.new), "never a mix"


def test_sigterm_while_workers_run_never_hangs(world: World) -> None:
    """A CI runner's cancel signals the whole process group while the reading workers run."""
    for attempt in range(4):
        world.reset()
        forget_cache(world.site)
        proc = start_build(world)
        running = workers_running(proc)
        while proc.poll() is None and not running(world.output):
            time.sleep(0.0005)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            _, err = proc.communicate(timeout=HANG_SECONDS)
        except ProcessLookupError:
            continue
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"attempt {attempt + 1}: the build hung after SIGTERM")
        assert (proc.returncode, err.decode().splitlines()) == (130, [INTERRUPTED]), err
        assert visible(world.output) == world.old


KILL_INSIDE_COMMIT = textwrap.dedent("""
    import os, signal, sys
    sig, after = int(os.environ["KILL_SIGNAL"]), int(os.environ["KILL_AFTER"])
    real, moved = os.replace, []
    def replace(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        if "/.public.feeds/staging/files/" in os.fspath(src):
            moved.append(dst)
            if len(moved) == after:
                os.kill(os.getpid(), sig)  # mid-rename, deterministically
    os.replace = replace
    from feeds.cli import main
    main(prog_name="feeds", args=sys.argv[1:])
""")


def run_killed_inside_commit(world: World, sig: int, after_renames: int) -> subprocess.CompletedProcess[bytes]:
    world.reset()
    env = {**os.environ, "KILL_SIGNAL": str(int(sig)), "KILL_AFTER": str(after_renames)}
    return subprocess.run([sys.executable, "-c", KILL_INSIDE_COMMIT, "build", "-q", "--config", str(world.config)],
                          cwd=world.site, env=env, capture_output=True, timeout=120)


@pytest.mark.parametrize("fraction", [0, 2], ids=["first-rename", "halfway"])
def test_sigkill_during_the_renames_is_finished_by_the_next_run(world: World, fraction: int) -> None:
    changed = [k for k, data in world.new.items() if world.old.get(k) != data]
    renames = 1 if fraction == 0 else len(changed) // fraction
    proc = run_killed_inside_commit(world, signal.SIGKILL, renames)
    assert proc.returncode == -signal.SIGKILL
    assert committed(world.output)
    mixed = visible(world.output)
    assert mixed not in (world.old, world.new)  # this is what the journal exists for
    recover(world.output)
    assert visible(world.output) == world.new
    # and a plain run after recovery has nothing left to do
    result = feeds_build(world.config)
    assert result.exit_code == 0 and "0 feeds written" in result.stderr and "0 removed" in result.stderr


def test_sigkill_during_the_renames_then_a_full_build(world: World) -> None:
    run_killed_inside_commit(world, signal.SIGKILL, 5)
    result = feeds_build(world.config, "-q")
    assert result.exit_code == 0
    assert visible(world.output) == world.new
    assert not staging(world.output).exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_sigterm_and_sigint_wait_for_the_renames(world: World, sig: signal.Signals) -> None:
    proc = run_killed_inside_commit(world, sig, 3)
    assert proc.returncode != 0
    assert not staging(world.output).exists()
    assert visible(world.output) == world.new  # complete, without any recovery


# --- small sites for the other faults ----------------------------------------------------

SMALL_POST = "---\ntitle: {title}\ndate: 2022-03-0{day} 10:00:00 +0800\ncategories: {category}\n---\n<p>{body}</p>\n"


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A three-post site, built once; the current folder, so messages read `public/…`."""
    site = tmp_path / "small"
    (site / "_posts").mkdir(parents=True)
    (site / "config.yaml").write_text(CONFIG, encoding="utf-8")
    for day, category in ((1, "city"), (2, "sport"), (3, "city")):
        (site / "_posts" / f"2022-03-0{day}-p{day}.md").write_text(
            SMALL_POST.format(title=f"Post {day}", day=day, category=category, body="Hello."), encoding="utf-8")
    monkeypatch.chdir(site)
    assert feeds_build(site / "config.yaml").exit_code == 0
    return site


def change(site: Path) -> None:
    (site / "_posts" / "2022-03-04-p4.md").write_text(
        SMALL_POST.format(title="Post 4", day=4, category="city", body="x" * 2000), encoding="utf-8")
    (site / "_posts" / "2022-03-02-p2.md").unlink()  # sport disappears: its feeds become stale


def everything(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file (feeds keeps its records beside the folder): for 'nothing changed at all'."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture
def mount_readonly() -> Callable[[Path], None]:
    """mount_readonly(folder): bind-mount the folder read-only over itself (root only); unmounted after."""
    mounted: list[Path] = []

    def mount(folder: Path) -> None:
        first = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if first.returncode != 0:
            pytest.skip(f"cannot bind-mount here: {first.stderr.decode().strip()}")
        mounted.append(folder)
        second = subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True)
        if second.returncode != 0:
            pytest.skip(f"cannot remount read-only: {second.stderr.decode().strip()}")

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], capture_output=True)


def make_readonly(folder: Path, mount_readonly: Callable[[Path], None]) -> None:
    """chmod works for ordinary users; root ignores it, so root gets a read-only bind mount."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:
        mount_readonly(folder)


# --- (b) read-only output ----------------------------------------------------------------

def test_read_only_output_folder(small: Path, mount_readonly: Callable[[Path], None]) -> None:
    change(small)
    before = everything(small / "public")
    make_readonly(small / "public", mount_readonly)
    result = feeds_build(small / "config.yaml")
    assert result.exit_code == 1
    assert "Error: public: cannot" in result.stderr
    assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
    assert everything(small / "public") == before


def test_read_only_feed_subfolder_fails_before_anything_moves(small: Path,
                                                              mount_readonly: Callable[[Path], None]) -> None:
    """Staging (in the output folder itself) works; replacing public/feed/city.xml would not."""
    change(small)
    before = everything(small / "public")
    make_readonly(small / "public" / "feed", mount_readonly)
    result = feeds_build(small / "config.yaml")
    assert result.exit_code == 1
    assert "nothing in the folder was changed" in result.stderr
    assert everything(small / "public") == before
    assert not staging(small / "public").exists()


def test_permission_error_while_staging(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without privileges: the staging write itself is refused."""
    change(small)
    before = everything(small / "public")

    def refuse(path: str, data: bytes) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(output_staging, "write_file", refuse)
    result = feeds_build(small / "config.yaml", "--jobs", "1")
    assert result.exit_code == 1
    assert "Error: public: cannot write the feeds (Permission denied); nothing in the folder was changed" \
        in result.stderr
    assert everything(small / "public") == before


# --- (c) full disk -----------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path: Path) -> Path:
    """A 1 MB tmpfs (root only), unmounted after the test."""
    with tmpfs(tmp_path / "tiny", "1m") as folder:
        yield folder


def test_full_disk_for_real(small: Path, tiny_disk: Path) -> None:
    config = small / "config.yaml"
    config.write_text(CONFIG.replace("output: public", f"output: {tiny_disk / 'public'}"), encoding="utf-8")
    assert feeds_build(config).exit_code == 0
    before = everything(tiny_disk / "public")
    for i in range(40):  # ~1.5 MB of feeds: more than the disk holds
        (small / "_posts" / f"2022-03-05-big{i}.md").write_text(
            SMALL_POST.format(title=f"Big {i}", day=5, category=f"c{i}", body=os.urandom(9000).hex()))
    result = feeds_build(config)
    assert result.exit_code == 1
    assert "cannot write the feeds (the disk is full); nothing in the folder was changed" in result.stderr
    assert everything(tiny_disk / "public") == before
    assert not staging(tiny_disk / "public").exists()  # the space is given back


@pytest.mark.parametrize("where", ["staging", "manifest"])
def test_full_disk_simulated(small: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    change(small)
    before = everything(small / "public")
    real_text = Path.write_text

    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    if where == "staging":
        monkeypatch.setattr(output_staging, "write_file", full)
    else:  # the last write before the COMMIT marker
        monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: full() if "/.public.feeds/staging/" in str(self)
                            else real_text(self, *a, **k))
    result = feeds_build(small / "config.yaml", "--jobs", "1")
    assert result.exit_code == 1
    assert "the disk is full" in result.stderr and "nothing in the folder was changed" in result.stderr
    assert everything(small / "public") == before


# --- (d) two builds at once --------------------------------------------------------------

def test_second_build_refuses_while_the_lock_is_held(small: Path) -> None:
    change(small)
    before = everything(small / "public")
    with open(folder_of(small / "public") / LOCK, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = feeds_build(small / "config.yaml")
    assert result.exit_code == 1
    assert "public: another feeds build is writing to this folder; wait for it to finish, then run again" \
        in result.stderr
    assert everything(small / "public") == before
    assert feeds_build(small / "config.yaml").exit_code == 0  # the lock went with its holder


def test_a_forked_process_does_not_hold_the_output_lock(tmp_path: Path) -> None:
    """The build's workers are forked while it holds the lock, and a fork shares the lock of every
    open file. A worker the kernel has not finished tearing down when its stopped build exits
    (Ctrl-C kills the workers and does not wait) would keep the folder locked, and the next run
    would refuse: a worker holds no lock of its own."""
    fork = multiprocessing.get_context("fork")
    ours, theirs = fork.Pipe()
    with Output(tmp_path / "public", "config.yaml"):
        child = fork.Process(target=_parked, args=(theirs,))  # alive until told, with what the fork gave it
        child.start()
        assert ours.recv() == "up"  # running its task, as a worker does
    try:
        with Output(tmp_path / "public", "config.yaml"):  # the parent let go: nobody holds it now
            pass
    finally:
        ours.send("go")
        child.join()
    assert child.exitcode == 0


def _parked(pipe: Connection) -> None:
    pipe.send("up")
    pipe.recv()


def test_two_real_builds_at_once_never_mix(tmp_path: Path) -> None:
    """Two configs, one output folder, started together: the result is one build or the other."""
    site = tmp_path / "two"
    (site / "_posts").mkdir(parents=True)
    for i in range(100):
        (site / "_posts" / f"2022-01-{1 + i % 28:02d}-p{i}.md").write_text(post(i), encoding="utf-8")
    refs = {}
    for name in ("a", "b"):
        (site / f"{name}.yaml").write_text(CONFIG.replace("title: Faults", f"title: Build {name}")
                                           .replace("output: public", f"output: ref-{name}"))
        assert feeds_build(site / f"{name}.yaml", "-q").exit_code == 0
        refs[name] = visible(site / f"ref-{name}")
        (site / f"{name}.yaml").write_text((site / f"{name}.yaml").read_text().replace(f"ref-{name}", "shared"))
    procs = [subprocess.Popen([sys.executable, "-m", "feeds", "build", "-q", "--config", f"{name}.yaml"], cwd=site,
                              stderr=subprocess.PIPE) for name in ("a", "b")]
    outcomes = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]  # type: ignore[union-attr]
    for code, err in outcomes:
        # one waits for the lock, or finds the other's feeds where its own would go: refused either way
        assert code == 0 or "another feeds build is writing to this folder" in err \
            or "belong to the feeds of another config file writing to this folder" in err, err
    assert any(code == 0 for code, _ in outcomes)
    assert visible(site / "shared") in (refs["a"], refs["b"])


# --- (e) files feeds did not write -------------------------------------------------------

def test_foreign_files_are_never_touched_and_stale_feeds_are_removed(small: Path) -> None:
    out = small / "public"
    own = {"index.html": b"<h1>home</h1>", "robots.txt": b"User-agent: *", "feed/custom.xml": b"<rss/>",
           "feed/by_tag/notes.txt": b"mine", ".well-known/security.txt": b"Contact: x"}
    for relative, data in own.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_bytes(data)
    stamps = {r: (out / r).stat().st_mtime_ns for r in own}
    change(small)
    result = feeds_build(small / "config.yaml")
    assert result.exit_code == 0, result.stderr
    for relative in ("feed/sport.xml", "feed/sport.rss"):
        assert f"removed {relative} (no posts produce it any more)" in result.stderr
        assert not (out / relative).exists()
    assert {r: ((out / r).read_bytes(), (out / r).stat().st_mtime_ns) for r in own} == \
        {r: (own[r], stamps[r]) for r in own}
    assert (out / "feed" / "city.xml").is_file()


def test_stale_feed_folders_are_removed_only_when_empty(small: Path) -> None:
    out = small / "public"
    (small / "config.yaml").write_text(CONFIG + "  paths:\n    category_atom: cat/{slug}/atom.xml\n"
                                       "    category_rss: cat/{slug}/rss.xml\n")
    assert feeds_build(small / "config.yaml").exit_code == 0
    (out / "cat" / "city" / "keep.txt").write_text("mine")
    change(small)
    assert feeds_build(small / "config.yaml").exit_code == 0
    assert not (out / "cat" / "sport").exists()  # emptied by feeds: gone
    assert (out / "cat" / "city" / "keep.txt").read_text() == "mine"


def test_a_foreign_file_where_a_feed_would_go_stops_the_build(small: Path) -> None:
    out = small / "public"
    (small / "_posts" / "2022-03-05-p5.md").write_text(
        SMALL_POST.format(title="Post 5", day=5, category="weather", body="Rain."), encoding="utf-8")
    (out / "feed" / "weather.xml").write_bytes(b"<feed>the site's own</feed>")
    before = everything(out)
    result = feeds_build(small / "config.yaml")
    assert result.exit_code == 1
    assert "public: 1 file(s) there were not written by feeds and would be replaced:" in result.stderr
    assert "public/feed/weather.xml" in result.stderr
    assert "feeds.paths" in result.stderr
    assert everything(out) == before


def test_symlink_in_the_output_folder_cannot_carry_a_write_outside(small: Path, tmp_path: Path) -> None:
    out = small / "public"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(out / "feed" / "by_tag", ignore_errors=True)
    (out / "feed" / "by_tag").symlink_to(elsewhere, target_is_directory=True)
    (small / "_posts" / "2022-03-05-p5.md").write_text(
        "---\ntitle: Tagged\ndate: 2022-03-05\ntags: [x]\n---\nBody.\n", encoding="utf-8")
    result = feeds_build(small / "config.yaml")
    assert result.exit_code == 1
    assert "would land outside" in result.stderr
    assert list(elsewhere.iterdir()) == []


# --- what `feeds check` can tell about the output folder itself --------------------------------

def test_inspect_output_reports_an_unfinished_commit(world: World) -> None:
    from feeds.output import inspect_output

    run_killed_inside_commit(world, signal.SIGKILL, 3)
    problems = inspect_output(world.output)
    assert [p.is_error for p in problems] == [True]
    assert "cut off while moving its files into place" in problems[0].message
    assert "run feeds build to finish it" in problems[0].message
    recover(world.output)
    assert inspect_output(world.output) == []


def test_inspect_output_reports_missing_and_changed_feeds(small: Path) -> None:
    from feeds.output import inspect_output

    out = small / "public"
    assert inspect_output(out) == []
    (out / "feed" / "sport.rss").unlink()
    (out / "feed.xml").write_bytes((out / "feed.xml").read_bytes() + b"\n<!-- edited -->\n")
    (out / "index.html").write_text("not ours: never reported")
    problems = {p.path: p for p in inspect_output(out)}
    assert set(problems) == {"public/feed/sport.rss", "public/feed.xml"}
    assert problems["public/feed/sport.rss"].is_error and "now missing" in problems["public/feed/sport.rss"].message
    assert not problems["public/feed.xml"].is_error and "changed since feeds wrote it" in \
        problems["public/feed.xml"].message
    with open(folder_of(out) / LOCK, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert ["writing to this folder right now" in p.message for p in inspect_output(out)] == [True]
