"""The tagging profile stored with an archive: the taxonomy and model that tagged its data.

Kept in the archive's ``meta`` (newest segment wins, copied by every rewrite): ``tagging_profile`` holds
its description (name, version, hash, when it was stored; cheap to read for `trends stats` and the About
page) and ``tagging_profile_blob`` its bytes (`TaggingProfile.to_bytes`, base64). Every ingest and
retag tags with it, so one archive never mixes two taxonomies: a new archive stores the profile that
first fills it; `trends retag --taxonomy/--profile/--retrain/--bundled` replaces it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

from trends.store import set_setting
from trends.tagging.profile import TaggingProfile, default_profile

PROFILE = "tagging_profile"
PROFILE_BLOB = "tagging_profile_blob"


def line(facts: dict | None) -> str:
    """The profile in one line: one wording for the CLI and the About page (`trends.queries.overview`,
    imported here only when asked: the queries package loads pandas, which an ingest does not need)."""
    from trends.queries.overview import profile_line

    return profile_line(facts)


def describe(con, schema: str) -> dict | None:
    """Which profile tagged the archive (name, version, hash, topics, stored_at), or None (an archive
    written before profiles were stored: its articles were tagged with the bundled profile of the time)."""
    row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", [PROFILE]).fetchone()
    if not row or not row[0]:
        return None
    try:
        facts = json.loads(row[0])
    except ValueError:
        return None
    return facts if isinstance(facts, dict) else None


def load(con, schema: str) -> TaggingProfile | None:
    """The archive's stored profile (the bundled object itself when it is the bundled one), or None."""
    facts = describe(con, schema)
    if facts is None:
        return None
    bundled = default_profile()
    if facts.get("hash") == bundled.hash:
        return bundled
    row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = ?", [PROFILE_BLOB]).fetchone()
    if not row or not row[0]:
        raise ValueError(f"the archive's tagging profile {facts.get('version')} is missing its data; "
                         "run `trends retag --bundled` (or --profile FILE) to store one")
    try:
        return TaggingProfile.from_bytes(base64.b64decode(row[0]))
    except ValueError as exc:
        raise ValueError(f"the archive's tagging profile cannot be read ({exc}); run `trends retag --bundled`") from None


def load_or_default(con, schema: str) -> tuple[TaggingProfile, bool]:
    """(profile, stored): the stored profile, else the bundled one (``stored`` False: store it)."""
    profile = load(con, schema)
    return (profile, True) if profile is not None else (default_profile(), False)


def store(con, profile: TaggingProfile) -> dict:
    """Record ``profile`` as the archive's (in the writer's working segment, inside the caller's transaction)."""
    facts = {k: v for k, v in profile.describe().items() if k != "facts"}
    facts["stored_at"] = dt.datetime.now().replace(microsecond=0).isoformat()
    facts["topic_labels"] = {key: t.label for key, t in profile.taxonomy.topics.items()}  # for correction forms
    set_setting(con, PROFILE, json.dumps(facts, sort_keys=True))
    set_setting(con, PROFILE_BLOB, base64.b64encode(profile.to_bytes()).decode("ascii"))
    return facts
