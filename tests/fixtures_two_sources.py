"""The two-source archive of tests/fixtures_coverage.py, but as input records through the real ingest.

Same table (Old Wire January to April, New Daily March, April and June, nothing in May, no view
counts, nothing synthetic), written as a JSONL file and stored by `trends.ingest.ingest_paths` with a
column mapping, so the real parser, tagger and derived tables make the archive. The bodies are
written so the bundled tagger finds exactly the fixture's topics: an energy article (topic `energy`,
countries Russia and Germany) says "gas", "Russia", "Germany"; in April it also says "pipeline"
three times; a migration article (topic `migration`, country France) stands for the table's H; the
rest are about a town council (no tag). The tests check those tags before relying on them.

So the hand-worked figures of tests/test_queries_coverage.py hold with `migration` for health, e.g.
the source-adjusted share of energy in April = 15/34 and of migration in every covered month = 13/34.
"""

from __future__ import annotations

import json
from pathlib import Path

from fixtures_coverage import fixture_rows

ENERGY, MIGRATION = "energy", "migration"
BODIES = {
    "pipeline": "Pipeline talks stall: the Nord Stream pipeline from Russia to Germany stops, and a new pipeline "
                "route is sought. Gas prices rise and the energy crisis deepens.",
    "energy": "Gas supplies from Russia to Germany fall. Oil and gas prices rise, electricity bills climb and the "
              "energy crisis deepens across Europe.",
    "migration": "Migrants and asylum seekers reach France after crossing the Mediterranean; the migration debate "
                 "turns to border controls, refugees and deportations.",
    "none": "The town council debates its budget late into the night; the new library and the parking rules are "
            "argued over again.",
}
MAPPING = "title=title,published=published,body=body,source=source,url=url"


def records() -> list[dict]:
    """One JSON object per fixture article (no views field at all)."""
    out = []
    for aid, source, day, topic, _ in fixture_rows():
        body = {"energy": BODIES["pipeline"] if day.month == 4 else BODIES["energy"],
                "health": BODIES["migration"]}.get(topic, BODIES["none"])
        out.append({"title": f"{source} report {aid}", "published": day.isoformat(), "body": body,
                    "source": source, "url": f"https://example.org/{aid}"})
    return out


def build_two_source_archive(folder: Path) -> Path:
    """Write the records to ``folder/records.jsonl`` and ingest them into ``folder/archive``."""
    from trends.ingest import ingest_paths
    from trends.parsing.tables import parse_mapping

    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "records.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records()) + '{"title": "", "published": "2021-13-01"}\n',
                      encoding="utf-8")  # the last line is a reject: no title, not a date
    db = folder / "archive"
    ingest_paths(db, [str(source)], mapping=parse_mapping(MAPPING), progress=False, echo_rejects=False, processes=1)
    return db
