"""A snapshot of the synthesized example, so any change to the Terraform shows up in review.

After an intended change: `MDPOOL_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/core/test_snapshot.py`
and commit the new files under tests/snapshots/example/ with the change that caused them.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "example"


def files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.json"))}


def test_example_matches_snapshot(example_synth):
    if os.environ.get("MDPOOL_UPDATE_SNAPSHOTS"):
        shutil.rmtree(SNAPSHOT, ignore_errors=True)
        for name, text in files(example_synth).items():
            (SNAPSHOT / name).parent.mkdir(parents=True, exist_ok=True)
            (SNAPSHOT / name).write_text(text)
    expected, actual = files(SNAPSHOT), files(example_synth)
    assert sorted(actual) == sorted(expected)
    for name in expected:
        diff = "".join(
            difflib.unified_diff(
                expected[name].splitlines(True), actual[name].splitlines(True), f"snapshot/{name}", f"synth/{name}"
            )
        )
        assert not diff, f"synthesized {name} differs from the snapshot:\n{diff[:4000]}"
