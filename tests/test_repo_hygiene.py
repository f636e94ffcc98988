"""The tree ships no generated data: nothing tracked that .gitignore says is generated (a committed
archive manifest once made every fresh clone open a "damaged" archive instead of building the demo)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def checkout() -> Path:
    if shutil.which("git") is None or _git("rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        pytest.skip("not a git checkout (an unpacked copy has nothing tracked to check)")
    return ROOT


def test_no_tracked_file_is_one_gitignore_calls_generated(checkout):
    tracked_but_ignored = _git("ls-files", "--cached", "--ignored", "--exclude-standard").stdout.split()
    assert tracked_but_ignored == []


def test_the_default_archive_folder_is_not_in_the_tree(checkout):
    assert _git("ls-files", "data/archive").stdout.strip() == ""
