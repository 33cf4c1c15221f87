"""The action's outputs from a `feeds build --json` / `feeds check --json` document (stdlib only).

python outputs.py build|check SUMMARY.json
Appends `written`, `removed`, `problems`, `errors`, `warnings`, `exit-code` and `summary` to
$GITHUB_OUTPUT, and a short Markdown report to $GITHUB_STEP_SUMMARY (when set). Exits 1 when the
document is missing or not feeds' JSON (feeds was interrupted, or a usage error), else 0: the
step's own exit code is feeds' exit code.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any

SHOWN = 50  # problems listed in the step summary; the JSON file has them all
FOREIGN = "not written by feeds and would be replaced"  # feeds' refusal to replace other files
FOREIGN_HINT = ("If these are jekyll-feed's feeds in `_site`, jekyll-feed is still loaded: remove it from "
                "`plugins:` in `_config.yml` and from the `Gemfile`, then run again (feeds' README, \"In CI\").")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report(command: str, doc: dict[str, Any]) -> str:
    """The Markdown the step summary gets."""
    problems = doc.get("problems", [])
    if command == "build":
        head = (f"**feeds build**: exit {doc['exit_code']}, {doc.get('posts', 0)} posts, "
                f"{len(doc.get('written', []))} files written, {doc.get('unchanged', 0)} unchanged, "
                f"{len(doc.get('removed', []))} removed, {doc.get('warnings', 0)} warnings, "
                f"{doc.get('errors', 0)} errors")
    else:
        head = (f"**feeds check**: exit {doc['exit_code']}, {doc.get('warnings', 0)} warnings, "
                f"{doc.get('errors', 0)} errors")
    lines = [head, ""]
    if problems:
        lines += ["| level | where | message |", "|---|---|---|"]
        for p in problems[:SHOWN]:
            where = f"{p['path'] or ''}{':' + str(p['line']) if p.get('line') else ''}"
            lines.append(f"| {p['level']} | {_cell(where)} | {_cell(p['message'])} |")
        if len(problems) > SHOWN:
            lines.append(f"\n…and {len(problems) - SHOWN} more in the JSON summary.")
        if any(FOREIGN in p["message"] for p in problems):
            lines.append(f"\n{FOREIGN_HINT}")
    return "\n".join(lines) + "\n"


def outputs(path: str, doc: dict[str, Any]) -> dict[str, str]:
    problems = doc.get("problems", [])
    return {
        "written": str(len(doc.get("written", []))),
        "removed": str(len(doc.get("removed", []))),
        "problems": str(len(problems)),
        "errors": str(sum(p.get("level") == "error" for p in problems)),
        "warnings": str(sum(p.get("level") == "warning" for p in problems)),
        "exit-code": str(doc.get("exit_code", "")),
        "summary": path,
    }


def main(argv: list[str]) -> int:
    command, path = argv[1], argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or "exit_code" not in doc:
            raise ValueError("not feeds' JSON summary")
    except (OSError, ValueError) as exc:
        print(f"::error::feeds {command} printed no JSON summary ({exc}); see the log above", file=sys.stderr)
        doc, path = {}, ""
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        for key, value in outputs(path, doc).items():
            out.write(f"{key}={value}\n")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and doc:
        with open(step_summary, "a", encoding="utf-8") as out:
            out.write(report(command, doc))
    return 0 if doc else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
