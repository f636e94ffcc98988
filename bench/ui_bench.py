"""Dashboard timings: server-side render per page (AppTest) and navigation -> first chart in Chromium.

    python bench/ui_bench.py --db bench/cache/demo-100000.duckdb --apptest 5
    python bench/ui_bench.py --db /tmp/demo.duckdb --browser 5 --screenshots docs
    python bench/ui_bench.py --db bench/cache/corpora --browser 5 --report bench/UI_CORPORA.md \
        --issue12-shots docs/screenshots   # the four-corpus archive (README), its report and screenshots

AppTest times one full script run of each page (sidebar, queries, charts): "cold" clears st.cache_data
first (what a new filter costs), "warm" reruns with the cache (what a widget click on an unchanged
filter costs). The browser time is from page.goto() until the first Plotly SVG is in the DOM, on a
fresh browser context each load (no HTTP cache), against a `streamlit run` of app.py, interleaved with
a baseline: bare Streamlit serving one three-point Plotly chart (the floor on this machine). The same
load also notes when the whole page is there (the sidebar's last element), which is not the timer.

`--warm N` adds a second mode (the cold one is unchanged): a returning visitor. One browser context
per side opens every page once (not timed), so its HTTP cache holds Streamlit's and Plotly's files;
then each load is a new tab in that context, page.goto until the first Plotly SVG, interleaved with
bare Streamlit in its own warm context the same way. `--breakdown N` splits bare Streamlit's cold
first chart into its steps (the page's own clock: HTML, scripts, the title, Plotly's module, the SVG).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from trends import links

ROOT = Path(__file__).resolve().parents[1]
PAGES = list(links.PAGES)  # every dashboard page, in menu order
CHART_PAGES = {"overview", "topics", "countries", "readership", "about"}  # About: the coverage chart
LIMIT_S = 3.0  # issue 12: first chart within 3 s per page


def apptest_times(runs: int, params: str = "") -> dict[str, tuple[float, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    from urllib.parse import parse_qsl

    out = {}
    first = True
    for page in PAGES:
        cold, warm = [], []
        for _ in range(runs):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.query_params.update(dict(parse_qsl(params)))
            t = time.perf_counter()
            at.run()
            if first:
                print(f"first run in this process (imports, opening the database): {time.perf_counter() - t:.2f}s")
                first = False
            if page != "overview":
                at.switch_page(links.PAGES[page][0])
            st.cache_data.clear()
            t = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t)
            assert not at.exception, [e.value for e in at.exception]
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
        out[page] = (statistics.median(cold), statistics.median(warm))
        print(f"{page:11s} server render  cold median {out[page][0]:.2f}s  warm median {out[page][1]:.2f}s  (n={runs})", flush=True)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BASELINE_APP = """import plotly.graph_objects as go
import streamlit as st
st.title("Baseline")
st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2])))
"""


def _serve(script: Path, port: int, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_healthy(base: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/_stcore/health", timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {base} did not start")


FIRST_CHART = ".js-plotly-plot .main-svg"
WHOLE_PAGE = "[data-testid='stSidebar'] [data-testid='stExpander']"  # "Share this view": the sidebar's last element


def _timed_load(ctx, url: str, whole: dict[str, list[float]] | None, name: str) -> float:
    """page.goto -> the first Plotly SVG (the timer); then, not timed, when the whole page is there."""
    pg = ctx.new_page()
    t = time.perf_counter()
    pg.goto(url)
    pg.wait_for_selector(FIRST_CHART, timeout=120000)
    elapsed = time.perf_counter() - t
    if whole is not None and name != "baseline":
        pg.wait_for_selector(WHOLE_PAGE, timeout=120000, state="attached")
        whole.setdefault(name, []).append(time.perf_counter() - t)
    pg.close()
    return elapsed


BREAKDOWN_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const plotly = performance.getEntriesByType('resource').find(r => /PlotlyChart\\.[^/]*\\.js/.test(r.name));
  return {html: nav.responseEnd, dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          plotly_module_fetched: plotly ? plotly.responseEnd : null};
}"""
BREAKDOWN_STEPS = ["html", "dom_content_loaded", "load", "title_shown", "plotly_module_fetched", "first_chart"]


def bare_breakdown(browser, url: str, runs: int) -> dict[str, float]:
    """Bare Streamlit's cold first chart, step by step (ms since navigation start, medians over `runs`)."""
    steps: dict[str, list[float]] = {k: [] for k in BREAKDOWN_STEPS}
    for _ in range(runs):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.goto(url)
        pg.wait_for_selector("h1", timeout=120000)
        steps["title_shown"].append(pg.evaluate("performance.now()"))
        pg.wait_for_selector(FIRST_CHART, timeout=120000)
        steps["first_chart"].append(pg.evaluate("performance.now()"))
        for k, v in pg.evaluate(BREAKDOWN_JS).items():
            if v is not None:
                steps[k].append(v)
        ctx.close()
    out = {k: statistics.median(v) for k, v in steps.items() if v}
    for k, v in out.items():
        print(f"bare Streamlit cold, {k:22s} {v / 1000:6.2f}s after navigation start (median, n={runs})", flush=True)
    return out


def browser_times(runs: int, screenshots: Path | None, issue12: Path | None = None, *, warm_runs: int = 0,
                  breakdown_runs: int = 0, results: dict | None = None) -> dict[str, list[float]]:
    """Median navigation -> first chart per page; loads are interleaved round-robin with a baseline
    (bare Streamlit serving one tiny Plotly chart), so machine load hits every target alike.
    `results` (when given) receives the warm times, the whole-page times and the bare breakdown."""
    import tempfile

    from playwright.sync_api import sync_playwright

    port, base_port = _free_port(), _free_port()
    tmp = Path(tempfile.mkdtemp(prefix="ui-bench-"))
    (tmp / "baseline.py").write_text(BASELINE_APP)
    procs = [_serve(ROOT / "app.py", port, ROOT), _serve(tmp / "baseline.py", base_port, tmp)]
    base = f"http://127.0.0.1:{port}"
    targets = {p: f"{base}/{'' if p == 'overview' else p}" for p in PAGES if p in CHART_PAGES}
    targets["baseline"] = f"http://127.0.0.1:{base_port}/"
    try:
        _wait_healthy(base)
        _wait_healthy(targets["baseline"].rstrip("/"))
        times: dict[str, list[float]] = {k: [] for k in targets}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                        args=["--headless", "--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking", "--disable-component-update"])
            for url in targets.values():  # throw-away loads: imports and query caches (not counted)
                warm = browser.new_page()
                warm.goto(url)
                warm.wait_for_selector(".js-plotly-plot .main-svg", timeout=120000)
                warm.close()
            whole: dict[str, list[float]] = {}
            for _ in range(runs if runs > 0 else 0):
                for name, url in targets.items():
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    times[name].append(_timed_load(ctx, url, whole, name))
                    ctx.close()
            if results is not None:
                results["whole_page"] = whole
            if warm_runs:
                # A returning visitor: one context per side that has opened every page once (not timed).
                contexts = {"app": browser.new_context(viewport={"width": 1400, "height": 1000}),
                            "baseline": browser.new_context(viewport={"width": 1400, "height": 1000})}
                for name, url in targets.items():
                    _timed_load(contexts["baseline" if name == "baseline" else "app"], url, None, name)
                warm: dict[str, list[float]] = {k: [] for k in targets}
                for _ in range(warm_runs):
                    for name, url in targets.items():
                        ctx = contexts["baseline" if name == "baseline" else "app"]
                        warm[name].append(_timed_load(ctx, url, None, name))
                for ctx in contexts.values():
                    ctx.close()
                for name, values in warm.items():
                    print(f"{name:11s} WARM navigation -> first chart  median {statistics.median(values):.2f}s  "
                          f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})", flush=True)
                if results is not None:
                    results["warm"] = warm
            if breakdown_runs:
                found = bare_breakdown(browser, targets["baseline"], breakdown_runs)
                if results is not None:
                    results["breakdown"] = found
            if screenshots:
                screenshots.mkdir(parents=True, exist_ok=True)
                for page in PAGES:
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    pg = ctx.new_page()
                    pg.goto(f"{base}/{'' if page == 'overview' else page}")
                    pg.get_by_role("heading", level=1).first.wait_for()
                    pg.wait_for_load_state("networkidle")
                    time.sleep(3)
                    pg.screenshot(path=str(screenshots / f"screenshot-{page}.png"))
                    ctx.close()
                _extra_screenshots(browser, base, screenshots)
            if issue12:
                issue12_screenshots(browser, base, issue12)
            browser.close()
        for name, values in times.items():
            if values:
                print(f"{name:11s} navigation -> first chart  median {statistics.median(values):.2f}s  "
                      f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})", flush=True)
        out = {name: values for name, values in times.items() if values}
        if out.get("baseline"):
            base_median = statistics.median(out["baseline"])
            for name in out:
                if name != "baseline":
                    print(f"{name:11s} / bare Streamlit with one chart: "
                          f"{statistics.median(out[name]) / base_median:.2f}x", flush=True)
        return out
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def _extra_screenshots(browser, base: str, folder: Path) -> None:
    """A drill-down list under its chart, and one article with its tags highlighted."""
    from trends import queries
    from trends.filters import Filter
    from trends.paths import resolve_db_path

    db = resolve_db_path()
    top = queries.top_articles(db, Filter(), by="views", limit=1)
    volume = queries.volume(db, Filter(), "topic", top_n=1)
    peak = volume.sort_values("articles").iloc[-1] if len(volume) else None
    shots = []
    if peak is not None:
        shots.append(("drilldown", f"/topics?v=1&drill_dim=topic&drill_key={peak['key']}"
                      f"&drill_period={peak['period']:%Y-%m-%d}", ".st-key-drill_panel"))
    if len(top):
        shots.append(("article", f"/articles?v=1&article={int(top['article_id'].iloc[0])}", ".st-key-article_panel"))
    shots.append(("presenter", "/countries?v=1&grain=quarter&embed=true", ".geo path.choroplethlocation"))
    for name, path, selector in shots:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.goto(base + path)
        pg.locator(selector).first.wait_for(timeout=120000, state="attached")
        time.sleep(3)
        if name != "presenter":
            pg.locator(selector).evaluate("e => e.scrollIntoView({block: 'start'})")
            pg.mouse.move(700, 500)
            pg.mouse.wheel(0, -420 if name == "drilldown" else -60)  # show the clicked chart's foot too
            time.sleep(1)
        pg.screenshot(path=str(folder / f"screenshot-{name}.png"))
        ctx.close()


def issue12_screenshots(browser, base: str, folder: Path) -> None:
    """Every page, and the issue-12 views, on the archive being served (full-page PNGs into `folder`).

    Chosen so no screenshot shows article text at length: lists are of the UN debates, whose titles
    are made by the README's ingest mapping ("USA at the UN General Debate 2019"), and no article is
    opened in full.
    """
    un = "UN General Assembly"
    shots = [
        ("overview", "/", ".js-plotly-plot"),
        ("overview-densest-span", "/?v=1&span=densest", ".js-plotly-plot"),
        ("topics", "/topics", ".js-plotly-plot"),
        ("topics-whole-archive-by-year", "/topics?v=1&span=all&grain=year", ".js-plotly-plot"),
        ("topics-source-adjusted-share", "/topics?v=1&span=densest&measure=share_active", ".js-plotly-plot"),
        ("countries", "/countries?v=1&span=densest", ".geo path.choroplethlocation"),
        ("countries-network", "/countries?v=1&span=densest&section=network", ".st-key-ct_network .js-plotly-plot"),
        ("readership-no-views", "/readership", ".js-plotly-plot"),
        ("articles", f"/articles?v=1&span=all&source={un}", "[data-testid='stMain'] button"),
        ("about", "/about", ".js-plotly-plot"),
        ("drilldown-what-drove-this", f"/topics?v=1&span=all&grain=year&source={un}&drill_dim=topic"
         "&drill_key=war-in-ukraine&drill_period=2022-01-01", ".st-key-drivers_terms .js-plotly-plot"),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for name, path, selector in shots:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1700})  # tall: the page scrolls inside
        pg = ctx.new_page()
        pg.goto(base + path)
        pg.get_by_role("heading", level=1).first.wait_for(timeout=120000)
        pg.locator(selector).first.wait_for(timeout=120000, state="attached")
        pg.wait_for_load_state("networkidle")
        time.sleep(3)
        if name in ("countries-network", "drilldown-what-drove-this"):  # below the fold: scroll to it
            target = ".st-key-drill_panel" if name.startswith("drilldown") else selector
            pg.locator(target).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            pg.mouse.move(700, 500)
            pg.mouse.wheel(0, -80)
            time.sleep(1)
        pg.screenshot(path=str(folder / f"{name}.png"))
        print(f"screenshot {folder / name}.png  <- {path}", flush=True)
        ctx.close()


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) >= 2 else values[0]


def write_report(path: Path, times: dict[str, list[float]], command: str, results: dict | None = None) -> None:
    """The browser figures as markdown, written by this script (never by hand)."""
    from trends import queries
    from trends.paths import resolve_db_path

    db = resolve_db_path()
    info = queries.summary(db)
    lines = [
        "# First chart in Chromium per page",
        "",
        f"Written by `bench/ui_bench.py`. Command: `{command}`",
        "",
        f"Archive: `{db}`: {int(info.get('articles') or 0):,} articles, {int(info.get('sources') or 0):,} sources, "
        f"{info.get('first_date')} to {info.get('last_date')}.",
        "",
        "Timer: `page.goto(url)` until the first Plotly SVG is in the DOM, on a fresh browser context per load "
        "(no HTTP cache, a new Streamlit session), the server warmed by one throw-away load per page (its query "
        "cache holds the answers, as after any first visitor). Loads are interleaved round-robin with the "
        "baseline: bare Streamlit serving one three-point Plotly chart. Each page opens on its default view "
        "(the archive's core span).",
        "",
        "On a browser's first view the dashboard sends the rest of the page (lower panels, tables, the sidebar) "
        "once the first chart is drawn (`trends.ui.later`); \"whole page\" is when the sidebar's last element "
        "is there, on the same loads (not the timer).",
        "",
        "| page | median s | p95 s | max s | n | <= 3 s | / bare (median) | whole page median s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    results = results or {}
    whole = results.get("whole_page", {})
    base_median = statistics.median(times["baseline"]) if times.get("baseline") else None
    for name, values in times.items():
        verdict = "" if name == "baseline" else ("yes" if max(values) <= LIMIT_S else "NO")
        ratio = "" if name == "baseline" or not base_median else f"{statistics.median(values) / base_median:.2f}x"
        rest = f"{statistics.median(whole[name]):.2f}" if whole.get(name) else ""
        lines.append(f"| {name} | {statistics.median(values):.2f} | {_p95(values):.2f} | {max(values):.2f} | "
                     f"{len(values)} | {verdict} | {ratio} | {rest} |")
    warm = results.get("warm")
    if warm and warm.get("baseline"):
        warm_base = statistics.median(warm["baseline"])
        lines += ["", "Warm (a returning visitor): one browser context per side opened every page once before "
                  "(not timed), so its HTTP cache holds the static files; each load a new tab in that context, "
                  "page.goto until the first Plotly SVG, interleaved with bare Streamlit in its own warm context.", "",
                  "| page | warm median s | p95 s | max s | n | / bare warm (median) |", "|---|---|---|---|---|---|"]
        for name, values in warm.items():
            ratio = "" if name == "baseline" else f"{statistics.median(values) / warm_base:.2f}x"
            lines.append(f"| {name} | {statistics.median(values):.2f} | {_p95(values):.2f} | {max(values):.2f} | "
                         f"{len(values)} | {ratio} |")
    steps = results.get("breakdown")
    if steps:
        lines += ["", "Bare Streamlit's own cold first chart, step by step (the page's clock, seconds after "
                  "navigation start, medians): " + ", ".join(f"{k.replace('_', ' ')} {v / 1000:.2f}"
                                                             for k, v in steps.items()) + "."]
    load = os.getloadavg()
    lines += ["", f"1-minute load average at the end: {load[0]:.1f} (2 cores, shared).", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"report written to {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database to serve (default: the usual TRENDS_DB / data/trends.duckdb rule)")
    ap.add_argument("--apptest", type=int, default=0, metavar="N", help="AppTest runs per page")
    ap.add_argument("--params", default="", help="query string applied to every AppTest run, e.g. 'v=1&topic=energy'")
    ap.add_argument("--browser", type=int, default=0, metavar="N", help="Chromium loads per chart page")
    ap.add_argument("--screenshots", type=Path, help="save one screenshot per page into this folder")
    ap.add_argument("--issue12-shots", type=Path, help="save the issue-12 screenshot set into this folder")
    ap.add_argument("--warm", type=int, default=0, metavar="N",
                    help="also N warm loads per page: a browser context that opened the dashboard before")
    ap.add_argument("--breakdown", type=int, default=0, metavar="N",
                    help="also N cold loads of bare Streamlit, split into steps")
    ap.add_argument("--report", type=Path, help="write the browser figures as markdown here")
    ap.add_argument("--json", type=Path, help="write the browser medians and their ratios to the baseline here")
    args = ap.parse_args()
    if args.db:
        os.environ["TRENDS_DB"] = str(Path(args.db).resolve())
    print(f"database: {os.environ.get('TRENDS_DB', 'default')}")
    if args.apptest:
        apptest_times(args.apptest, args.params)
    if args.browser or args.screenshots or args.issue12_shots:
        results: dict = {}
        times = browser_times(args.browser, args.screenshots, args.issue12_shots, warm_runs=args.warm,
                              breakdown_runs=args.breakdown, results=results)
        if args.report and times:
            write_report(args.report, times, "python " + " ".join(sys.argv), results)
        medians = {k: statistics.median(v) for k, v in times.items()}
        if args.json and medians.get("baseline"):
            import json

            args.json.write_text(json.dumps({
                "db": os.environ.get("TRENDS_DB"), "loads_per_page": args.browser,
                "first_chart_s": {k: round(v, 3) for k, v in medians.items()},
                "ratio_to_bare": {k: round(v / medians["baseline"], 3) for k, v in medians.items() if k != "baseline"},
                "warm_first_chart_s": {k: round(statistics.median(v), 3) for k, v in results.get("warm", {}).items()},
                "whole_page_s": {k: round(statistics.median(v), 3) for k, v in results.get("whole_page", {}).items()},
                "bare_breakdown_ms": {k: round(v) for k, v in results.get("breakdown", {}).items()},
                "load": os.getloadavg()[0]}, indent=2))


if __name__ == "__main__":
    main()
