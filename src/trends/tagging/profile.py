"""A tagging profile: the taxonomy (the analyst's definition of each topic) plus the topic model trained
for it, with a content hash, a version and a creation time.

A profile turns into bytes and back (``to_bytes`` / ``from_bytes``) so it can be stored with the data a
database holds and shipped to worker processes; every later ingest then tags with the same definition.
The bytes are a NumPy ``.npz`` archive (no pickle): ``profile_meta`` (JSON: format, name, created_at,
taxonomy text, training facts) and the model's arrays. ``default_profile()`` is the bundled taxonomy
(``data/taxonomy.yaml``) with the bundled model (``data/topic_model.npz``, see bench/train_topic_model.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from trends.tagging.classifier import TopicModel, load_arrays, save_arrays
from trends.tagging.lexicon import data_path
from trends.tagging.topics import Taxonomy, default_taxonomy_path, parse_taxonomy

FORMAT = "commentary-trends/tagging-profile/1"
BUNDLED_MODEL = "topic_model.npz"


@dataclass
class TaggingProfile:
    taxonomy_text: str
    model: TopicModel | None = None
    name: str = "custom"
    created_at: str = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0).isoformat())
    facts: dict = field(default_factory=dict)  # how it was made (training texts, labelled examples, CV figures)

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return parse_taxonomy(self.taxonomy_text, f"profile {self.name}")

    @cached_property
    def hash(self) -> str:
        """sha256 of the taxonomy text and the model's arrays: two profiles tag alike iff their hashes match."""
        h = hashlib.sha256(self.taxonomy_text.encode("utf-8"))
        if self.model is not None:
            for key, arr in sorted(self.model.to_arrays().items()):
                h.update(key.encode())
                h.update(np.ascontiguousarray(arr).tobytes() if arr.dtype.kind != "U" else "\x00".join(arr.tolist()).encode())
        return h.hexdigest()

    @property
    def version(self) -> str:
        """A short, human-quotable id of this exact profile (the hash's first 12 hex digits)."""
        return self.hash[:12]

    def describe(self) -> dict:
        """What ``trends stats`` / the About page show: which taxonomy and model tagged the data, and when."""
        return {
            "name": self.name, "version": self.version, "hash": self.hash, "created_at": self.created_at,
            "topics": len(self.taxonomy.topics),
            "model_topics": len(self.model.topics) if self.model is not None else 0,
            "model_features": len(self.model.vocabulary) if self.model is not None else 0,
            **({"facts": self.facts} if self.facts else {}),
        }

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy | str | Path, model: TopicModel | None = None, name: str | None = None):
        if isinstance(taxonomy, Taxonomy):
            text = taxonomy.text or _taxonomy_text_of(taxonomy)
            return cls(text, model, name or Path(taxonomy.source or "custom").stem)
        path = Path(taxonomy)
        if not path.is_file():
            raise FileNotFoundError(f"taxonomy file not found: {path}")
        profile = cls(path.read_text(encoding="utf-8"), model, name or path.stem)
        profile.taxonomy  # validate now: a bad file fails here with a one-line reason
        return profile

    # ---------------------------------------------------------------------------------------- bytes

    def to_bytes(self) -> bytes:
        meta = {"format": FORMAT, "name": self.name, "created_at": self.created_at,
                "taxonomy": self.taxonomy_text, "facts": self.facts, "has_model": self.model is not None}
        arrays = {"profile_meta": np.array([json.dumps(meta, sort_keys=True)])}
        if self.model is not None:
            arrays.update(self.model.to_arrays())
        return save_arrays(arrays)

    @classmethod
    def from_bytes(cls, data: bytes) -> "TaggingProfile":
        def read(meta, arrays):
            model = TopicModel.from_arrays(arrays) if meta.get("has_model") else None
            return cls(meta["taxonomy"], model, meta.get("name", "custom"), meta.get("created_at", ""), meta.get("facts") or {})

        return load_arrays(data, "tagging profile", "profile_meta", FORMAT, read)


def _taxonomy_text_of(taxonomy: Taxonomy) -> str:
    import yaml

    topics = [{"key": t.key, "label": t.label, "description": t.description, "include": list(t.include),
               "exclude": list(t.exclude), "threshold": t.threshold} for t in taxonomy.topics.values()]
    return yaml.safe_dump({"topics": topics}, sort_keys=False, allow_unicode=True)


def save_profile(profile: TaggingProfile, path: str | Path) -> None:
    Path(path).write_bytes(profile.to_bytes())


def load_profile(path: str | Path) -> TaggingProfile:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"profile file not found: {path}")
    try:
        return TaggingProfile.from_bytes(path.read_bytes())
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


@lru_cache(maxsize=1)
def bundled_model() -> TopicModel | None:
    """The shipped topic model, or None if this tree has none yet (then topics come from the rules alone)."""
    path = data_path(BUNDLED_MODEL)
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as arrays:
        return TopicModel.from_arrays(arrays)


@lru_cache(maxsize=1)
def default_profile() -> TaggingProfile:
    """The bundled taxonomy with the bundled model."""
    model = bundled_model()
    created = (model.meta.get("trained_at") if model is not None else None) or ""
    facts = {"trained_on": model.meta.get("trained_on", {})} if model is not None else {}
    return TaggingProfile(default_taxonomy_path().read_text(encoding="utf-8"), model, "bundled", created, facts)


def profile_for_taxonomy(taxonomy: str | Path) -> TaggingProfile:
    """A user's taxonomy file with the bundled model: topics it shares with the bundled taxonomy keep their
    trained model until ``retrain``; new topics are scored by their rules."""
    return TaggingProfile.from_taxonomy(taxonomy, bundled_model())
