"""The benchmark's figures: one row per figure, written to ``var/bench/results.json`` and printed.

A row is ``{"name", "value", "unit", "baseline", "ratio", "target", "ok"}``: ``baseline`` is the
figure measured in the same run that ``value`` is compared with, ``ratio`` is value / baseline,
``target`` says in words what the ratio must be, and ``ok`` whether it is (None for a row that is
itself a baseline or shown for information).
"""

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

FIELDS = ("name", "value", "unit", "baseline", "ratio", "target", "ok")


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str | None = None
    ok: bool | None = None

    @classmethod
    def against(
        cls,
        name: str,
        value: float,
        unit: str,
        baseline: float,
        target: str,
        limit: float,
        *,
        strict: bool = False,
    ) -> "Result":
        """``value`` against ``baseline``: ok when value / baseline is at most ``limit`` (below
        it when ``strict``)."""
        ratio = value / baseline if baseline else math.inf
        ok = ratio < limit if strict else ratio <= limit
        return cls(name, value, unit, baseline, ratio, target, ok)

    @classmethod
    def from_row(cls, row: dict) -> "Result":
        """A row another measurement returned (``bench.outbox.measure``), checked."""
        missing = [name for name in FIELDS if name not in row]
        if missing:
            raise ValueError(f"A result row lacks {', '.join(missing)}: {row!r}")
        return cls(**{name: row[name] for name in FIELDS})

    def as_row(self) -> dict:
        row = asdict(self)
        for name in ("value", "baseline", "ratio"):
            if isinstance(row[name], float):
                row[name] = round(row[name], 3) if math.isfinite(row[name]) else None
        row["ok"] = None if self.ok is None else bool(self.ok)
        return row


def results_write(results: list[Result], path: Path) -> list[dict]:
    """Write the rows as a JSON list; returns what was written."""
    rows = [result.as_row() for result in results]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2) + "\n")
    return rows


def results_table(results: list[Result]) -> str:
    """The rows as a table a person reads: a missed target says MISSED in capitals."""
    lines = [f"{'Figure':<66} {'Value':>12} {'Baseline':>12} {'Ratio':>7}  Target"]
    lines.append("-" * len(lines[0]))
    for result in results:
        verdict = {True: "ok", False: "MISSED", None: ""}[result.ok]
        ratio = f"{result.ratio:.2f}" if result.ratio is not None else ""
        lines.append(
            f"{result.name[:66]:<66} {_figure(result.value, result.unit):>12} "
            f"{_figure(result.baseline, result.unit):>12} {ratio:>7}  "
            f"{result.target or ''}{'  ' + verdict if verdict else ''}"
        )
    return "\n".join(lines)


def _figure(value, unit: str) -> str:
    if value is None:
        return ""
    if unit == "queries":
        return f"{value:.0f} q"
    if unit == "rows":
        return f"{value:,.0f}"
    return f"{value:,.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"
