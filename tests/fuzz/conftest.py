"""The fuzzing's world (built once per module, rolled back at its end) and its count of inputs.

At the end of the session the number of inputs tried for each form, and in all, is written to
``var/fuzz/counts.json`` and printed, so the figure can be reported.
"""

import json
from pathlib import Path

import pytest

from tests.authorization_cases import world_rolled_back
from tests.conftest import TODAY
from tests.fuzz.harness import COUNTS

COUNTS_FILE = Path(__file__).resolve().parents[2] / "var" / "fuzz" / "counts.json"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The authorisation matrix's world (a review at agency reports, its people, documents and
    tasks, and another partnership's review), in a transaction rolled back after the module."""
    media = tmp_path_factory.mktemp("fuzz-media")
    with world_rolled_back(django_db_blocker, media, TODAY) as built:
        yield built


def _totals() -> dict:
    forms = {name: dict(sorted(counts.items())) for name, counts in sorted(COUNTS.items())}
    return {"forms": forms, "total": sum(counts["tried"] for counts in COUNTS.values())}


def pytest_sessionfinish(session, exitstatus):
    if not COUNTS:
        return
    COUNTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    COUNTS_FILE.write_text(json.dumps(_totals(), indent=2) + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not COUNTS:
        return
    totals = _totals()
    terminalreporter.write_line(
        f"fuzzing: {totals['total']} inputs tried on {len(totals['forms'])} forms "
        f"(per form in {COUNTS_FILE.relative_to(COUNTS_FILE.parents[2])})"
    )
