"""Running the dashboard headless with Streamlit's AppTest: open a page with a link, click a chart point."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_page(monkeypatch, db: Path, page: str = "overview", params: dict | None = None, *,
             timeout: float = 60) -> AppTest:
    """The app on `db`, opened at `page` with the link's `params`; fails on any uncaught exception."""
    monkeypatch.setenv("TRENDS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=timeout)
    if params:
        at.query_params.update(params)
    at.run()  # AppTest resolves st.navigation's registered pages only after a first run
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def select(at: AppTest, key: str, *custom) -> AppTest:
    """A click on a chart point whose customdata is `custom` (how Streamlit reports a selection)."""
    at.session_state[key] = {"selection": {"points": [{"customdata": list(custom)}], "point_indices": [0],
                                           "box": [], "lasso": []}}
    return at.run()
