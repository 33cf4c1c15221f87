"""Ctrl-C and SIGTERM at any instant of a real `python -m feeds build`: exit 130 with one clean
line, never a traceback, never a hang, no worker left behind, the output folder as it was.

The instants that used to go wrong are hit on purpose, each one deterministically: while click
is imported, in a worker between its fork and its first line, in the parent between two forks,
and while a worker is deep in a task that would take an hour. Then a hammer sends signals at
random delays from process start through the first second (start-up, imports, config, forking
and reading), so that the rest cannot pass by luck.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import tree_bytes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; Linux signals")

CONFIG = """site:
  url: https://interrupts.example.com
  title: Interrupts
timezone: Asia/Shanghai
output: public
cache: false
"""
N_POSTS = 200  # enough for the reading stage to start a worker pool (parallel.MIN_TASKS_PER_JOB * 2)
HANG_SECONDS = 30  # generous: a fixed build ends in well under a second after the signal
SIGNALS = [signal.SIGINT, signal.SIGTERM]
CLEAN = "Interrupted: public was left as the last finished build made it"
EARLY = "Interrupted"  # before the config was read


def post(i: int) -> str:
    return (f"---\ntitle: Post {i}\ndate: 2022-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00 +0800\n"
            f"categories: c{i % 10}\ntags: [t{i % 20}]\n---\n<p>Body {i}. " + "Words. " * 30 + "</p>\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built once: no later run may change what is visible in public/."""
    folder = tmp_path_factory.mktemp("interrupts")
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "_posts").mkdir()
    for i in range(N_POSTS):
        (folder / "_posts" / f"2022-{1 + i % 12:02d}-{1 + i % 28:02d}-p{i}.md").write_text(post(i), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "feeds", "build", "-q"], cwd=folder, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return folder


visible = tree_bytes


def start(site: Path, script: str | None = None, *args: str) -> subprocess.Popen[bytes]:
    """`python -m feeds build -q` (or a script that runs it) in its own session, as a terminal or
    a CI runner starts it: a signal to the group reaches the workers too."""
    command = ["-m", "feeds"] if script is None else ["-c", script]
    return subprocess.Popen([sys.executable, *command, "build", "-q", *args], cwd=site, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def finish(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"the build did not exit within {HANG_SECONDS} s of the signal")
    assert_no_one_left(proc.pid)
    return proc.returncode, err.decode("utf-8", "replace")


def live_members(group: int) -> list[int]:
    """Processes of the group that still run (zombies waiting for init do not count)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def assert_no_one_left(group: int) -> None:
    """Every worker ends with the parent: killed by it, or by the kernel when it died."""
    deadline = time.monotonic() + HANG_SECONDS
    while live_members(group):
        assert time.monotonic() < deadline, f"workers left running: {live_members(group)}"
        time.sleep(0.01)


def assert_clean(code: int, err: str, allow_finished: bool = True) -> None:
    """Exit 130 and one clean line (after at most the -q summary), or the build finished first."""
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    if code == 0 and allow_finished:
        assert all(line.startswith("feeds: ") for line in lines), err
        return
    assert code == 130, err
    assert lines and lines[-1] in (CLEAN, EARLY), err
    assert all(line.startswith("feeds: ") for line in lines[:-1]), err


def handlers_in_place(pid: int) -> bool:
    """Whether feeds has taken SIGINT and SIGTERM yet. CPython catches SIGINT from its start-up
    on, SIGTERM never: a caught SIGTERM means feeds/interrupts.py runs (SigCgt, proc(5))."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1]
    return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))


def has_workers(pid: int) -> bool:
    try:
        return bool(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return False


# --- the instants that went wrong, one at a time -------------------------------------------------

SIGNAL_WHILE_IMPORTING = textwrap.dedent("""
    import os, runpy, sys
    class SignalOnImport:  # the signal lands while click is being imported
        def find_spec(self, name, path=None, target=None):
            if name == "click":
                sys.meta_path.remove(self)
                os.kill(os.getpid(), int(os.environ["SIGNAL"]))
            return None
    sys.meta_path.insert(0, SignalOnImport())
    sys.argv[0] = "feeds"
    runpy.run_module("feeds", run_name="__main__", alter_sys=True)
""")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("command", ["build", "check"])
def test_signal_while_importing_click(site: Path, sig: signal.Signals, command: str) -> None:
    before = visible(site / "public")
    args = [command, "-q"] if command == "build" else [command]
    proc = subprocess.Popen([sys.executable, "-c", SIGNAL_WHILE_IMPORTING, *args], cwd=site, stderr=subprocess.PIPE,
                            env={**os.environ, "SIGNAL": str(int(sig))}, start_new_session=True)
    code, err = finish(proc)
    assert (code, err) == (130, EARLY + "\n")
    assert visible(site / "public") == before


FORK_HOOK = textwrap.dedent("""
    import os, runpy, sys
    real_fork, sig, where = os.fork, int(os.environ["SIGNAL"]), os.environ["WHERE"]
    forks = []
    def fork():
        pid = real_fork()
        forks.append(pid)
        if pid == 0 and where == "worker":
            os.kill(os.getpid(), sig)  # in the new worker, before its first line
        if pid > 0 and where == "parent" and len(forks) == 1:
            os.kill(os.getpid(), sig)  # in the parent, between two forks
        return pid
    os.fork = fork
    sys.argv[0] = "feeds"
    runpy.run_module("feeds", run_name="__main__", alter_sys=True)
""")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_signal_in_a_freshly_forked_worker_is_ignored(site: Path, sig: signal.Signals) -> None:
    """Only the worker gets it (as when a process group is signalled mid-fork): it must not
    print a traceback, nor stop or break the build."""
    proc = subprocess.Popen([sys.executable, "-c", FORK_HOOK, "build", "-q", "--jobs", "2"], cwd=site,
                            stderr=subprocess.PIPE, env={**os.environ, "SIGNAL": str(int(sig)), "WHERE": "worker"},
                            start_new_session=True)
    code, err = finish(proc)
    assert code == 0, err
    assert "Traceback" not in err and "Interrupted" not in err, err


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_signal_in_the_parent_between_two_forks(site: Path, sig: signal.Signals) -> None:
    before = visible(site / "public")
    proc = subprocess.Popen([sys.executable, "-c", FORK_HOOK, "build", "-q", "--jobs", "4"], cwd=site,
                            stderr=subprocess.PIPE, env={**os.environ, "SIGNAL": str(int(sig)), "WHERE": "parent"},
                            start_new_session=True)
    code, err = finish(proc)
    assert (code, err) == (130, CLEAN + "\n")
    assert visible(site / "public") == before


WORKER_STUCK = textwrap.dedent("""
    import importlib, os, runpy, sys, time
    stage = importlib.import_module("feeds.reading")
    parent = os.getpid()
    def read_post(path, *args):
        if os.getpid() != parent:  # a worker: an hour-long task
            open(os.environ["READY"], "a").close()
            time.sleep(3600)
        raise AssertionError("read in the parent")
    stage.read_post = read_post
    sys.argv[0] = "feeds"
    runpy.run_module("feeds", run_name="__main__", alter_sys=True)
""")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_workers_deep_in_a_task_are_stopped_not_waited_for(site: Path, tmp_path: Path, sig: signal.Signals) -> None:
    """A post that takes a worker minutes (a thousand tags once did) must not hold up Ctrl-C."""
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", WORKER_STUCK, "build", "-q", "--jobs", "2"], cwd=site,
                            stderr=subprocess.PIPE, env={**os.environ, "READY": str(ready)}, start_new_session=True)
    deadline = time.monotonic() + 120
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "no worker started its task"
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    code, err = finish(proc)
    assert (code, err) == (130, CLEAN + "\n")


# --- the hammer -----------------------------------------------------------------------------------

def shots() -> list[tuple[signal.Signals, float | None]]:
    """(signal, delay after start; None: the moment the first worker exists). The delays are
    spread over the first second, one in each slice of it, so that start-up is always among them."""
    count = 16 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 40
    rng = random.Random(int(os.environ.get("FEEDS_HAMMER_SEED", "7")))
    delays: list[float | None] = [(i + rng.random()) / count for i in range(count)] + [0.0, None, None, None]
    return [(SIGNALS[i % 2], delay) for i, delay in enumerate(delays)]


def test_interrupt_hammer(site: Path) -> None:
    before = visible(site / "public")
    outcomes = []
    for sig, delay in shots():
        proc = start(site)
        if delay is None:
            while proc.poll() is None and not has_workers(proc.pid):
                time.sleep(0.0005)
        else:
            time.sleep(delay)
        ours = handlers_in_place(proc.pid)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        code, err = finish(proc)
        outcomes.append((sig.name, delay, ours, code))
        if ours:  # from feeds' first line on: always the clean ending
            assert_clean(code, err)
        # else CPython was still starting (a few ms): it handles the signal itself; no hang, no change
        assert visible(site / "public") == before, (sig.name, delay)
    assert any(ours for _, _, ours, _ in outcomes), outcomes
