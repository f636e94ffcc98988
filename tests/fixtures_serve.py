"""A real `streamlit run` for the tests, and Chromium to drive it (where it is, how it is launched)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update"]
VIEWPORT = {"width": 1400, "height": 1000}


@contextlib.contextmanager
def chromium():
    """Debian's Chromium through Playwright, launched as every browser test launches it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


def require_browser() -> None:
    """Skip without Chromium on a developer machine; under CI (CI=true) a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=/path)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason}; browser tests are required under CI")
    pytest.skip(reason)


def new_page(browser):
    """A page in a fresh context (no cache, no cookies), at the size the tests assume."""
    return browser.new_context(viewport=VIEWPORT).new_page()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(script: Path, db: Path, log_path: Path, *, cwd: Path = ROOT, env: dict[str, str] | None = None,
          args=()) -> tuple:
    """`streamlit run script --server.port P [args]` with TRENDS_DB=db, output to `log_path` (a file, so a
    full pipe never blocks it); returns (port, process, log) once /_stcore/health answers."""
    port = free_port()
    log = open(log_path, "w+b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port), *args],
        cwd=cwd, env={**(os.environ if env is None else env), "TRENDS_DB": str(db)},
        stdout=log, stderr=subprocess.STDOUT,
    )
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with no_proxy.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return port, proc, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    log.seek(0)
    pytest.fail("streamlit did not start: " + log.read().decode(errors="replace")[-2000:])


def stop(proc, log) -> str:
    """Stop the server; returns everything it printed."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.seek(0)
    text = log.read().decode(errors="replace")
    log.close()
    return text


@contextlib.contextmanager
def dashboard(db: Path, log_dir: Path):
    """The dashboard (app.py) served on loopback over `db`: yields its base URL, stops it afterwards."""
    require_browser()
    port, proc, log = serve(ROOT / "app.py", db, log_dir / "streamlit.log", args=["--server.address", "127.0.0.1"])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, log)
