"""Builders for ingest/parsing tests: seed-format page text with every optional part switchable."""

from __future__ import annotations

SEED_BODY = [
    "Ministers from both countries met in Vienna to discuss the gas transit contract that expires next year.",
    "What happens to the pipeline?",
    "Officials said the talks would continue in March, though neither side published a timetable.",
]


def seed_page(
    title: str = "IISS: Gas Transit Talks Resume in Vienna",
    date: str = "14.02.2024",
    views: str | None = "1 234",
    authors: str | None = "According to A.Smith",
    body: list[str] | None = None,
    related: list[str] | None = ("Pipeline Politics After the War", "Europe Looks for New Suppliers"),
    breadcrumb: bool = True,
    newline: str = "\n",
) -> str:
    lines: list[str] = []
    if breadcrumb:
        lines += [f"Main » News and comments » 2024 » {title}", ""]
    lines += [title, "", date]
    if views is not None:
        lines.append(views)
    lines.append("")
    if authors is not None:
        lines += [authors, ""]
    for paragraph in body if body is not None else SEED_BODY:
        lines += [paragraph, ""]
    if related:
        lines += ["\u00a0", "", "Read also:", ""]
        for item in related:
            lines += [item, ""]
    return newline.join(lines)
