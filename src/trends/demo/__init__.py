"""The deterministic synthetic demo corpus (seed-format pages, fictional authors, realistic dynamics).

`build_demo` generates and ingests it (used by `trends demo`, the dashboard's first start and the
benchmarks); `Generator` makes the articles; `render_page` writes one as a seed-format page.
"""

from trends.demo.build import DemoSummary, build_demo, cmd_demo
from trends.demo.generator import DemoArticle, Generator, render_page

__all__ = ["DemoArticle", "DemoSummary", "Generator", "build_demo", "cmd_demo", "render_page"]
