"""Safe serving defaults, checked on a real `streamlit run` with the project's .streamlit/config.toml.

- it listens on 127.0.0.1 only (read from the kernel's socket table), with no address flag given;
- it makes no outside IP lookup at start-up: every HTTP(S) request the server would make goes through
  a proxy the test listens on, and a control server started without the project's config does call it;
- Chromium connects (websocket included) whether the user types localhost or 127.0.0.1;
- an error page shows no traceback, exception type or server path: neither Streamlit's own handler
  (``client.showErrorDetails = "none"``) nor the dashboard's last-resort line; the detail is in the log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from fixtures_app import build_app_db
from fixtures_serve import CHROMIUM, LAUNCH_ARGS, ROOT, new_page, require_browser, serve, stop



class ProxyListener:
    """A TCP listener standing in for an HTTP(S) proxy: it counts who connects, and answers nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def env(self) -> dict[str, str]:
        url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
        return {**env, "HTTP_PROXY": url, "HTTPS_PROXY": url, "http_proxy": url, "https_proxy": url}


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets in LISTEN state on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 (as the kernel prints them)


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    return build_app_db(tmp_path_factory.mktemp("serving") / "app.duckdb")


@pytest.fixture(scope="module")
def served(app_db, tmp_path_factory):
    """The dashboard as a user starts it: `streamlit run app.py` in the project folder, no address flag."""
    proxy = ProxyListener()
    port, proc, log = serve(ROOT / "app.py", app_db, tmp_path_factory.mktemp("log") / "app.log", cwd=ROOT,
                             env=proxy.env())
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"http://127.0.0.1:{port}/", timeout=10).read()
    time.sleep(1)
    proxy.at_start = proxy.connections  # what start-up and a first page request made (later tests may add)
    yield port, proxy
    stop(proc, log)


def test_the_server_listens_on_loopback_only(served):
    port, _ = served
    addresses = _listening_addresses(port)
    assert addresses and addresses <= LOOPBACK, addresses
    others = [ip for ip in _own_addresses() if not ip.startswith("127.")]
    for ip in others:  # this machine's other addresses: nothing answers there
        with socket.socket() as s, pytest.raises(OSError):
            s.settimeout(2)
            s.connect((ip, port))


def _own_addresses() -> list[str]:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [a for a in out.split() if ":" not in a]


def test_no_outside_ip_lookup_at_start_up(served, app_db, tmp_path):
    port, proxy = served
    assert proxy.at_start == 0
    # The control: a bare app without the project's settings does look its outside address up at
    # start-up, and so reaches this proxy. That is what browser.serverAddress stops.
    bare = tmp_path / "bare.py"
    bare.write_text("import streamlit as st\nst.write('bare')\n")
    control_proxy = ProxyListener()
    control_port, proc, log = serve(bare, app_db, tmp_path / "control.log", cwd=tmp_path,
                                     env=control_proxy.env(), args=["--server.headless", "true"])
    deadline = time.time() + 10
    while control_proxy.connections == 0 and time.time() < deadline:
        time.sleep(0.2)
    text = stop(proc, log)
    assert control_proxy.connections > 0, text[-1500:]


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.mark.browser
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_chromium_connects_by_either_name(served, browser, host):
    port, _ = served
    page = new_page(browser)
    page.goto(f"http://{host}:{port}/topics?v=1")
    page.get_by_role("heading", name="Topics & themes", level=1).wait_for(timeout=30000)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=30000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()


FAILING_APP = '''
import streamlit as st
from trends.ui import lifecycle
from trends.ui.state import current

if st.query_params.get("mode") == "guarded":
    with lifecycle.last_resort(current()):
        st.title("Guarded")
        raise RuntimeError("boom in /srv/secret/archive.duckdb")
else:
    st.title("Unguarded")
    raise RuntimeError("boom in /srv/secret/archive.duckdb")
'''


@pytest.fixture(scope="module")
def failing_server(app_db, tmp_path_factory):
    """A two-line app that fails like a bug would, served with the project's settings (cwd = project)."""
    folder = tmp_path_factory.mktemp("failing")
    script = folder / "failing_app.py"
    script.write_text(FAILING_APP)
    port, proc, log = serve(script, app_db, folder / "failing.log", cwd=ROOT, env=dict(os.environ))
    yield port, folder / "failing.log"
    stop(proc, log)


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["guarded", "unguarded"])
def test_an_error_page_shows_no_traceback_and_no_paths(failing_server, browser, mode):
    port, log_path = failing_server
    page = new_page(browser)
    page.goto(f"http://127.0.0.1:{port}/?mode={mode}")
    page.get_by_role("heading", name=mode.capitalize(), level=1, exact=True).wait_for(timeout=30000)
    if mode == "guarded":
        page.get_by_text("Something went wrong while drawing this page").wait_for(timeout=30000)
    else:
        page.locator("[data-testid='stException']").wait_for(timeout=30000)
        page.get_by_text("This app has encountered an error").wait_for()
    time.sleep(0.5)
    text = page.locator("body").inner_text()
    for leak in ("boom", "/srv/secret", "RuntimeError", "Traceback", 'File "', str(ROOT)):
        assert leak not in text, (leak, text[:2000])
    page.context.close()
    log = log_path.read_text(errors="replace")  # the server's console keeps the whole story
    assert "boom in /srv/secret/archive.duckdb" in log and "Traceback" in log


def _visit(port: int, host_header: str, origin: str) -> str:
    """Open the websocket as a browser behind a proxy would (its Host and Origin) and ask for the Overview.

    Returns "refused" if the server refuses the upgrade, else the title the page's script sent.
    """
    import asyncio

    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async def go() -> str:
        try:
            return await session()
        except websockets.InvalidStatus as refused:  # closed before the upgrade: HTTP 403
            return "refused" if refused.response.status_code == 403 else str(refused)

    async def session() -> str:
        # The Host header is the URI's authority; the TCP connection goes to the server whatever it says.
        async with websockets.connect(f"ws://{host_header}/_stcore/stream", subprotocols=["streamlit"],
                                      origin=origin, host="127.0.0.1", port=port) as ws:
            back = BackMsg()
            back.rerun_script.query_string = "v=1"
            back.rerun_script.context_info.url = f"{origin}/"
            try:
                await ws.send(back.SerializeToString())
                while True:
                    msg = ForwardMsg()
                    msg.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
                    if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "heading":
                        return msg.delta.new_element.heading.body
            except websockets.ConnectionClosed as closed:
                return "refused" if closed.rcvd and closed.rcvd.code == 1008 else f"closed {closed}"

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as thread:  # its own thread: Playwright's sync API may own this one's loop
        return thread.submit(asyncio.run, go()).result()


def test_a_foreign_host_name_is_refused(served):
    """DNS rebinding, or a proxy that forwards a public name the settings do not list: no session."""
    port, _ = served
    assert _visit(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == "Overview"
    assert _visit(port, f"localhost:{port}", f"http://localhost:{port}") == "Overview"
    assert _visit(port, "trends.example.org", "https://trends.example.org") == "refused"
    # A cross-site page's script. (Streamlit answers a foreign Origin by trying its outside IP lookup
    # before refusing: README "Serving to others", known limits.)
    assert _visit(port, f"127.0.0.1:{port}", "https://evil.example") == "refused"


def test_behind_a_proxy_the_public_name_is_listed_and_works(app_db, tmp_path):
    """README "Serving to others": the proxy forwards Host; the public name goes into allowedHosts."""
    port, proc, log = serve(ROOT / "app.py", app_db, tmp_path / "proxied.log", cwd=ROOT, env=dict(os.environ),
                             args=["--server.allowedHosts", "trends.example.org",
                                   "--browser.serverAddress", "trends.example.org"])
    try:
        assert _visit(port, "trends.example.org", "https://trends.example.org") == "Overview"
        assert _visit(port, "elsewhere.example.org", "https://elsewhere.example.org") == "refused"
        assert _listening_addresses(port) <= LOOPBACK  # still loopback only: the proxy is the way in
    finally:
        stop(proc, log)
