"""How many concurrent viewers one dashboard server holds: first-chart latency and memory per session.

    nice python bench/capacity.py --db bench/cache/demo-100000.duckdb --sessions 1,5,10,20,30,40 --rounds 2

Each simulated viewer speaks Streamlit's own protocol, as a browser does: a websocket to
/_stcore/stream carrying `streamlit.proto` BackMsg / ForwardMsg protobufs (the `websockets` library,
a Streamlit dependency). It asks for a page (a rerun_script with the page name and query string) and
reads the server's messages until the script has finished. Its first-chart time runs from its first
request until the first Plotly chart element arrives; a "cold" viewer (a first visit, empty browser
cache) first downloads every static file a real Chromium fetched for the page (recorded once, with
six connections at a time like a browser), a "warm" viewer (a returning one) only opens the websocket.
What no client here can include is the browser's own work after the data arrives (about 0.7 s to
compile Plotly and draw, measured by bench/ui_bench.py --browser).

All viewers of a step start at the same moment (a burst: the worst case of "N people open the link
together"). Each viewer opens one of the four chart pages (round robin) with a filter of its own
(topic, date window, grain: every request misses the query cache) or, with --same-view, the page's
default view (cache hits after the first). A step runs on a fresh server (so memory is not carried
over) warmed by one visit to each page; memory per session is the server's RSS with all N sessions
connected minus its RSS before they connected, divided by N. The baseline is bare Streamlit serving one
three-point Plotly chart with the same server settings (started in the project folder, so the same
.streamlit/config.toml), driven by the same client at the same N: what the framework alone costs.
The report (Markdown, plus --json) is written by this script.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_bench import BASELINE_APP, _free_port, _serve, _wait_healthy  # noqa: E402  (same server start as ui_bench)

ROOT = Path(__file__).resolve().parents[1]
CHART_PAGES = ["overview", "topics", "countries", "readership"]
FINISHED = {ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
            ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR}
TIMEOUT = 300.0


@dataclass
class Visit:
    page: str
    query: str
    first_chart: float | None = None  # seconds from the viewer's first request to its first chart element
    done: float | None = None  # ... to the end of the page's script run
    received: int = 0  # bytes of websocket messages
    errors: list[str] = field(default_factory=list)  # exceptions or error lines on the page


# ------------------------------------------------------------------------------------------- the client


def _fetch_assets_blocking(port: int, assets: list[str]) -> int:
    """GET every static file over six keep-alive connections, as a browser does (gzip accepted)."""
    from concurrent.futures import ThreadPoolExecutor

    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=6, block=True)
    headers = {"Accept-Encoding": "gzip, deflate", "User-Agent": "capacity-bench"}

    def one(path: str) -> int:
        return len(pool.request("GET", path, headers=headers, decode_content=False).data)

    try:
        with ThreadPoolExecutor(max_workers=6) as workers:
            return sum(workers.map(one, assets))
    finally:
        pool.close()


_VIEWER_THREADS = None


async def _fetch_assets(port: int, assets: list[str]) -> int:
    """In a thread of its own per viewer (asyncio's default pool has only cpu + 4 threads)."""
    global _VIEWER_THREADS
    if _VIEWER_THREADS is None:
        from concurrent.futures import ThreadPoolExecutor

        _VIEWER_THREADS = ThreadPoolExecutor(max_workers=512)
    return await asyncio.get_running_loop().run_in_executor(_VIEWER_THREADS, _fetch_assets_blocking, port, assets)


async def visit(port: int, page: str, query: str, assets: list[str], hold: asyncio.Event, ready) -> Visit:
    """One viewer: (cold: static files), websocket, the page run; stays connected until `hold` is set."""
    result = Visit(page, query)
    start = time.perf_counter()
    try:
        if assets:
            await _fetch_assets(port, assets)
        origin = f"http://127.0.0.1:{port}"
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                      origin=origin, max_size=None, open_timeout=TIMEOUT) as ws:
            back = BackMsg()
            state = back.rerun_script
            state.query_string = query
            state.page_name = "" if page == "overview" else page
            state.context_info.url = f"{origin}/{state.page_name}" + (f"?{query}" if query else "")
            state.context_info.timezone = "UTC"
            state.context_info.locale = "en-GB"
            await ws.send(back.SerializeToString())
            while True:
                raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
                result.received += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                kind = msg.WhichOneof("type")
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    which = element.WhichOneof("type")
                    if which == "plotly_chart" and result.first_chart is None:
                        result.first_chart = time.perf_counter() - start
                    elif which == "exception":
                        result.errors.append(element.exception.message[:200] or "exception")
                    elif which == "alert" and element.alert.format == Alert.Format.ERROR:
                        result.errors.append(element.alert.body[:200])
                elif kind == "script_finished" and msg.script_finished in FINISHED:
                    result.done = time.perf_counter() - start
                    break
            ready()
            await hold.wait()
    except Exception as exc:  # noqa: BLE001 - a failed viewer is counted as an error, the others go on
        result.errors.append(f"{type(exc).__name__}: {exc}"[:200])
        ready()
    return result


async def burst(port: int, requests: list[tuple[str, str]], assets: list[str], pid: int) -> tuple[list[Visit], int]:
    """All requests at once; returns the visits and the server's RSS while every session is connected."""
    hold = asyncio.Event()
    left = [len(requests)]
    all_ready = asyncio.Event()

    def ready() -> None:
        left[0] -= 1
        if left[0] == 0:
            all_ready.set()

    tasks = [asyncio.create_task(visit(port, page, query, assets, hold, ready)) for page, query in requests]
    await asyncio.wait_for(all_ready.wait(), TIMEOUT * 2)
    await asyncio.sleep(0.5)  # let the server settle (the last deltas are sent) before reading its memory
    rss = rss_bytes(pid)
    hold.set()
    return list(await asyncio.gather(*tasks)), rss


# ------------------------------------------------------------------------------------------- the server


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def record_assets(base: str) -> list[str]:
    """Every same-host file a fresh Chromium fetches to draw the first chart (paths, websocket excluded)."""
    from playwright.sync_api import sync_playwright

    seen: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking", "--disable-component-update"])
        page = browser.new_context().new_page()
        page.on("request", lambda r: seen.append(r.url))
        page.goto(base + "/?v=1")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120000)
        browser.close()
    host = urlsplit(base).netloc
    paths = []
    for url in seen:
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.netloc == host and "/_stcore/stream" not in parts.path:
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in paths:
                paths.append(path)
    return paths


class Server:
    """A `streamlit run` of one script on a free port (the same start as bench/ui_bench.py)."""

    def __init__(self, script: Path, cwd: Path):
        self.port = _free_port()
        self.proc = _serve(script, self.port, cwd)
        self.base = f"http://127.0.0.1:{self.port}"
        _wait_healthy(self.base)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except Exception:  # noqa: BLE001
            self.proc.kill()


# ------------------------------------------------------------------------------------------- the workload


def distinct_requests(db: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """n (page, query) pairs, each with its own filter: a topic, a date window and a grain."""
    from trends import queries
    from trends.filters import Filter

    info = queries.summary(db)
    first, last = info["first_date"], info["last_date"]
    first = first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first)[:10])
    last = last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last)[:10])
    topics = list(queries.facets(db, Filter(), "topic", limit=30)["key"])
    rng = random.Random(seed)
    out = []
    for i in range(n):
        span = (last - first).days
        start = first + dt.timedelta(days=rng.randrange(max(1, span - 120)))
        end = min(last, start + dt.timedelta(days=rng.randrange(90, 400)))
        params = {"v": "1", "from": start.isoformat(), "to": end.isoformat(),
                  "grain": rng.choice(["week", "month", "quarter"])}
        if topics and rng.random() < 0.7:
            params["topic"] = rng.choice(topics)
        out.append((CHART_PAGES[i % len(CHART_PAGES)], urlencode(params, safe=",:")))
    return out


def same_requests(n: int) -> list[tuple[str, str]]:
    return [(CHART_PAGES[i % len(CHART_PAGES)], "v=1") for i in range(n)]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank), the same rule on every side."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run_step(script: Path, cwd: Path, n: int, rounds: int, make_requests, assets: list[str], warm_pages) -> dict:
    server = Server(script, cwd)
    try:
        warm = asyncio.run(burst(server.port, warm_pages, [], server.proc.pid))[0]
        if any(v.errors or v.first_chart is None for v in warm):
            raise SystemExit(f"warm-up failed: {[asdict(v) for v in warm]}")
        time.sleep(1.0)
        base_rss = rss_bytes(server.proc.pid)  # warmed up: modules imported, the database open
        visits, per_session = [], []
        for r in range(rounds):
            time.sleep(1.0)
            before = rss_bytes(server.proc.pid)
            got, during = asyncio.run(burst(server.port, make_requests(n, r), assets, server.proc.pid))
            visits += got
            per_session.append((during - before) / n)
        alive = rss_bytes(server.proc.pid) > 0
    finally:
        server.stop()
    firsts = [v.first_chart for v in visits if v.first_chart is not None]
    dones = [v.done for v in visits if v.done is not None]
    errors = [e for v in visits for e in v.errors] + [f"no chart: {v.page}?{v.query}" for v in visits
                                                      if v.first_chart is None]
    return {
        "sessions": n, "samples": len(visits), "charts": len(firsts), "errors": errors[:5], "error_count": len(errors),
        "first_chart_p50": statistics.median(firsts) if firsts else None,
        "first_chart_p95": percentile(firsts, 95) if firsts else None,
        "first_chart_max": max(firsts) if firsts else None,
        "done_p95": percentile(dones, 95) if dones else None,
        "mb_per_session": statistics.median(per_session) / 2**20,
        "server_mb_warm": base_rss / 2**20,
        "mb_received_per_visit": statistics.mean(v.received for v in visits) / 2**20,
        "server_alive": alive,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=str(ROOT / "bench" / "cache" / "demo-100000.duckdb"))
    ap.add_argument("--sessions", default="1,5,10,20,30,40", help="concurrent viewers per step, comma separated")
    ap.add_argument("--rounds", type=int, default=2, help="bursts per step (samples = sessions x rounds)")
    ap.add_argument("--limit", type=float, default=3.0, help="the first-chart p95 target, seconds")
    ap.add_argument("--same-view", action="store_true", help="every viewer opens the default view (cache hits)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the bare-Streamlit baseline")
    ap.add_argument("--modes", default="warm,cold", help="warm (assets cached), cold (first visit), or both")
    ap.add_argument("--report", type=Path, default=ROOT / "bench" / "CAPACITY.md")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    db = Path(args.db).resolve()
    if not db.exists() or db.with_name(db.name + ".ingest").exists():
        raise SystemExit(f"{db}: missing or still being built")
    os.environ["TRENDS_DB"] = str(db)
    steps = [int(s) for s in args.sessions.split(",") if s.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    from trends import queries

    articles = int(queries.summary(db)["articles"])
    load_at_start = os.getloadavg()
    seed_base = 1000
    make = (lambda n, r: same_requests(n)) if args.same_view else (lambda n, r: distinct_requests(db, n, seed_base + 97 * n + r))
    warm_pages = [(p, "v=1") for p in CHART_PAGES]
    tmp = Path(tempfile.mkdtemp(prefix="capacity-"))
    (tmp / "baseline.py").write_text(BASELINE_APP)

    probe = Server(ROOT / "app.py", ROOT)
    try:
        assets = record_assets(probe.base) if "cold" in modes else []
    finally:
        probe.stop()
    probe = Server(tmp / "baseline.py", ROOT)
    try:
        base_assets = record_assets(probe.base) if "cold" in modes and not args.no_baseline else []
    finally:
        probe.stop()

    results: dict[str, list[dict]] = {}
    for mode in modes:
        for target in (["dashboard"] + ([] if args.no_baseline else ["baseline"])):
            key = f"{target} ({mode})"
            results[key] = []
            for n in steps:
                if target == "dashboard":
                    row = run_step(ROOT / "app.py", ROOT, n, args.rounds, make, assets if mode == "cold" else [],
                                   warm_pages)
                else:
                    row = run_step(tmp / "baseline.py", ROOT, n, args.rounds, lambda k, r: [("overview", "")] * k,
                                   base_assets if mode == "cold" else [], [("overview", "")])
                results[key].append(row)
                print(f"{key:22s} {n:3d} sessions: first chart p50 {row['first_chart_p50'] or 0:.2f}s "
                      f"p95 {row['first_chart_p95'] or 0:.2f}s max {row['first_chart_max'] or 0:.2f}s; "
                      f"{row['mb_per_session']:.1f} MB/session; errors {row['error_count']}", flush=True)
    meta = {
        "database": str(db), "articles": articles, "rounds": args.rounds, "limit_s": args.limit,
        "workload": "default view of each page" if args.same_view else "a distinct filter per viewer",
        "assets_cold": len(assets), "baseline_assets_cold": len(base_assets),
        "cpus": os.cpu_count(), "load_average_start": load_at_start, "load_average": os.getloadavg(),
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_report(args.report, meta, results, steps)
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"report: {args.report}")


def held(rows: list[dict], limit: float) -> str:
    """The most sessions at which first-chart p95 stayed within the limit with no errors (of those tried)."""
    ok = [r["sessions"] for r in rows if r["first_chart_p95"] is not None and r["first_chart_p95"] <= limit
          and not r["error_count"]]
    if not ok:
        return "none of the steps"
    top = max(ok)
    beyond = [r["sessions"] for r in rows if r["sessions"] > top]
    return f"{top}" + (f" (the next step, {min(beyond)}, did not)" if beyond else " (the largest step tried)")


def write_report(path: Path, meta: dict, results: dict[str, list[dict]], steps: list[int]) -> None:
    lines = [
        "# Capacity: concurrent viewers per server",
        "",
        f"Written by `bench/capacity.py` at {meta['measured_at']} on {meta['cpus']} CPUs "
        f"(1/5/15-minute load average at the start {', '.join(f'{x:.1f}' for x in meta['load_average_start'])}, "
        f"at the end {', '.join(f'{x:.1f}' for x in meta['load_average'])}: other work shares the machine).",
        f"Database: `{meta['database']}` ({meta['articles']:,} articles). Workload: {meta['workload']}; "
        f"{meta['rounds']} bursts per step, all viewers of a burst at once; cold viewers fetch "
        f"{meta['assets_cold']} static files first ({meta['baseline_assets_cold']} for the baseline). First chart = from the viewer's first request to the first "
        "Plotly element on its websocket (the browser's drawing time, ~0.7 s, comes on top).",
        "",
    ]
    for key, rows in results.items():
        lines += [f"## {key}", "",
                  f"Most sessions with first-chart p95 <= {meta['limit_s']:g} s and no errors: "
                  f"**{held(rows, meta['limit_s'])}**.", "",
                  "| sessions | samples | first chart p50 | p95 | max | page done p95 | server MB (warm) | MB per session | MB sent per visit | errors |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            f = lambda x: "-" if x is None else f"{x:.2f} s"  # noqa: E731
            lines.append(f"| {r['sessions']} | {r['samples']} | {f(r['first_chart_p50'])} | {f(r['first_chart_p95'])} | "
                         f"{f(r['first_chart_max'])} | {f(r['done_p95'])} | {r['server_mb_warm']:.0f} | {r['mb_per_session']:.1f} | "
                         f"{r['mb_received_per_visit']:.2f} | {r['error_count']} |")
            if r["errors"]:
                lines.append(f"|  | first errors: {'; '.join(e.replace('|', '/') for e in r['errors'])} ||||||||")
        lines.append("")
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
