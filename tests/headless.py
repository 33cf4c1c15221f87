"""A headless Chromium driven over the DevTools protocol, through a pipe: no extra library.

Chromium started with ``--remote-debugging-pipe`` reads commands from fd 3 and writes replies and
events to fd 4, each a JSON message ended by a NUL byte. Every wait here waits for a message or a
condition, with a generous deadline that only catches a hang; nothing sleeps to synchronise.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

DEADLINE = 60.0  # seconds: far beyond what any step takes on a busy machine; only a hang reaches it
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--disable-default-apps", "--mute-audio", "--remote-debugging-pipe")


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


class Browser:
    """One browser, one page (a flattened session); ``errors`` collects what the console said."""

    def __init__(self, executable: str):
        self.profile = tempfile.mkdtemp(prefix="feeds-chromium-")
        to_child, self._cmd = os.pipe()
        self._res, from_child = os.pipe()

        def fds_3_and_4() -> None:  # in the child: its command pipe is fd 3, its reply pipe fd 4
            a, b = os.dup(to_child), os.dup(from_child)  # above 4, so that neither dup2 clobbers the other
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds_3_and_4,
                                     close_fds=False)  # else fds 3 and 4 would be closed after preexec_fn
        os.close(to_child)
        os.close(from_child)
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._events: list[dict[str, Any]] = []
        self._next = 0
        self.session = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._res, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self._inbox.put(json.loads(message))
        self._inbox.put(None)  # the browser went away

    def _receive(self, until: float) -> dict[str, Any]:
        message = self._inbox.get(timeout=max(0.0, until - time.monotonic()))
        if message is None:
            raise RuntimeError("chromium closed the DevTools pipe")
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, session: bool = True) -> dict[str, Any]:
        """A command's result; events that arrive meanwhile are kept for ``wait_event``."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._cmd, json.dumps(message).encode() + b"\0")
        until = time.monotonic() + DEADLINE
        while True:
            reply = self._receive(until)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self._events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        until = time.monotonic() + DEADLINE
        while True:
            for event in self._events:
                if event.get("method") == method:
                    self._events.remove(event)
                    return event
            self._events.append(self._receive(until))

    def open_page(self, javascript: bool = True, width: int = 0) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.send(f"{domain}.enable")
        if not javascript:
            self.send("Emulation.setScriptExecutionDisabled", {"value": True})
        if width:
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": 800, "deviceScaleFactor": 2, "mobile": True})

    def load(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, expected: Any) -> Any:
        """Evaluate until the value is ``expected`` (or the deadline passes: then the last value)."""
        until = time.monotonic() + DEADLINE
        value = self.evaluate(expression)
        while value != expected and time.monotonic() < until:
            self.send("Runtime.evaluate", {"expression": "new Promise(r => setTimeout(r, 0))",
                                           "awaitPromise": True})  # after the tasks queued now, not a fixed sleep
            value = self.evaluate(expression)
        return value

    def type(self, text: str) -> None:
        """Text as typed into the focused element: the page sees real input events."""
        self.send("Input.insertText", {"text": text})

    def errors(self) -> list[str]:
        """What the console, the log and uncaught exceptions reported as errors (or warnings of CSP)."""
        self.send("Runtime.evaluate", {"expression": "0"})  # messages sent before this have arrived
        found = []
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self._events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, OSError, queue.Empty):
            pass
        try:
            self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd)
        shutil.rmtree(self.profile, ignore_errors=True)
