"""Check the pinned dependencies against the public advisory databases (``make audit``).

    python -m project.audit [--allow-unreachable]

* Python: ``pip-audit`` over every package installed in the virtual environment (the project's
  own editable install skipped), then over the ``bench`` extra's pins (locust, pyinstrument),
  which CI's environment does not install: they run only on a developer's machine against
  loopback, so their own pins are checked but not everything they pull in.
* JavaScript: ``npm audit`` over the production packages (govuk-frontend, MOJ frontend), which
  are copied into ``static/vendor`` and sent to every browser; axe-core, a test tool, is left out.

Exits 1 when any package has a known vulnerability, listing each with the versions that fix it
(bump the pin in pyproject.toml or package.json). An audit that could not reach its advisory
service audited nothing: that is an error too (exit 2), so silence is never taken for a clean
bill, unless ``--allow-unreachable`` is given, which reports it loudly and carries on (for a CI
machine that reaches the package registries but not their advisory services).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Result:
    """What one audit found."""

    tool: str
    audited: int = 0
    vulnerable: list[str] = field(default_factory=list)  # one line per advisory
    unreachable: str = ""  # why nothing (or not everything) could be audited


def pip_audit_result(tool: str, report: dict) -> Result:
    """Read ``pip-audit --format json``: a package skipped was not audited."""
    result = Result(tool)
    skipped = []
    for dependency in report.get("dependencies", []):
        if "skip_reason" in dependency:
            skipped.append(dependency["name"])
            continue
        result.audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixes = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version yet"
            result.vulnerable.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']} "
                f"(fixed in {fixes})"
            )
    if skipped:
        result.unreachable = (
            f"{len(skipped)} of {len(skipped) + result.audited} packages could not be audited "
            f"(is the advisory service reachable?), e.g. {', '.join(skipped[:3])}"
        )
    return result


def npm_audit_result(report: dict) -> Result:
    """Read ``npm audit --json`` (report version 2); an ``error`` means nothing was audited."""
    result = Result("npm audit")
    if "error" in report or "auditReportVersion" not in report:
        reason = report.get("message") or report.get("error", {}).get("summary") or "no report"
        result.unreachable = f"the advisory service did not answer: {reason}"
        return result
    result.audited = report.get("metadata", {}).get("dependencies", {}).get("prod", 0)
    for name, found in sorted(report.get("vulnerabilities", {}).items()):
        advisories = [via.get("url", "") for via in found.get("via", []) if isinstance(via, dict)]
        result.vulnerable.append(
            f"{name} {found.get('range', '')}: {found.get('severity')} "
            f"{' '.join(advisories) or '(through ' + ', '.join(map(str, found['via'])) + ')'}"
        )
    return result


def _run_json(command: list[str]) -> dict:
    completed = subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, check=False)
    try:
        return json.loads(completed.stdout or "{}")
    except json.JSONDecodeError:
        return {"error": {"summary": (completed.stderr or completed.stdout).strip()[-300:]}}


def bench_requirements() -> list[str]:
    extras = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    return extras["optional-dependencies"].get("bench", [])


def audit_python() -> list[Result]:
    pip_audit = [str(BIN / "pip-audit"), "--progress-spinner", "off", "--format", "json"]
    results = [
        pip_audit_result(
            "pip-audit (installed packages)",
            _run_json([*pip_audit, "--local", "--skip-editable"]),
        )
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write("\n".join(bench_requirements()) + "\n")
        requirements.flush()
        command = [*pip_audit, "--requirement", requirements.name, "--no-deps", "--disable-pip"]
        results.append(pip_audit_result("pip-audit (bench extra)", _run_json(command)))
    return results


def audit_javascript() -> Result:
    return npm_audit_result(
        _run_json(["npm", "audit", "--omit=dev", "--audit-level=low", "--json"])
    )


def verdict(results: list[Result], *, allow_unreachable: bool) -> int:
    """Print each audit's outcome; the exit status (0 clean, 1 vulnerable, 2 not audited)."""
    status = 0
    for result in results:
        if result.vulnerable:
            print(f"{result.tool}: {len(result.vulnerable)} known vulnerabilities")
            for line in result.vulnerable:
                print(f"  - {line}")
            status = 1
        elif result.unreachable:
            print(f"{result.tool}: NOT AUDITED: {result.unreachable}")
            if not allow_unreachable:
                status = status or 2
        else:
            print(f"{result.tool}: {result.audited} packages, no known vulnerabilities")
    return status


def main(argv: list[str]) -> int:
    allow_unreachable = "--allow-unreachable" in argv
    return verdict([*audit_python(), audit_javascript()], allow_unreachable=allow_unreachable)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
