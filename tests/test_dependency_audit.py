"""``make audit`` (project/audit.py) reads the audit tools' reports: a known vulnerability fails,
and an audit that reached no advisory service is never taken for a clean one."""

from project.audit import npm_audit_result, pip_audit_result, verdict

PIP_CLEAN = {
    "dependencies": [
        {"name": "django", "version": "5.2.19", "vulns": []},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ],
    "fixes": [],
}
PIP_VULNERABLE = {
    "dependencies": [
        {
            "name": "django",
            "version": "5.2.1",
            "vulns": [
                {
                    "id": "PYSEC-2025-47",
                    "fix_versions": ["4.2.22", "5.1.10", "5.2.2"],
                    "aliases": ["CVE-2025-48432"],
                    "description": "Log injection in the request logger.",
                }
            ],
        },
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ],
    "fixes": [],
}
PIP_UNREACHABLE = {
    "dependencies": [
        {
            "name": "django",
            "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)",
        }
    ],
    "fixes": [],
}
NPM_CLEAN = {
    "auditReportVersion": 2,
    "vulnerabilities": {},
    "metadata": {
        "vulnerabilities": {"info": 0, "low": 0, "moderate": 0, "high": 0, "critical": 0},
        "dependencies": {"prod": 3, "dev": 1, "total": 4},
    },
}
NPM_VULNERABLE = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "govuk-frontend": {
            "name": "govuk-frontend",
            "severity": "moderate",
            "via": [
                {
                    "source": 1,
                    "title": "Cross-site scripting in a component",
                    "url": "https://github.com/advisories/GHSA-xxxx-invented",
                    "severity": "moderate",
                }
            ],
            "range": "<6.6.1",
            "fixAvailable": True,
        }
    },
    "metadata": {"vulnerabilities": {"moderate": 1, "total": 1}, "dependencies": {"prod": 3}},
}
NPM_UNREACHABLE = {
    "message": "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk",
    "statusCode": 405,
    "error": {"summary": "", "detail": ""},
}


def test_clean_reports_pass():
    results = [pip_audit_result("pip-audit", PIP_CLEAN), npm_audit_result(NPM_CLEAN)]
    assert [result.audited for result in results] == [2, 3]
    assert verdict(results, allow_unreachable=False) == 0


def test_a_known_python_vulnerability_fails_and_names_the_fix(capsys):
    result = pip_audit_result("pip-audit", PIP_VULNERABLE)
    assert verdict([result], allow_unreachable=True) == 1
    printed = capsys.readouterr().out
    assert "django 5.2.1: PYSEC-2025-47 (fixed in 4.2.22, 5.1.10, 5.2.2)" in printed


def test_a_known_javascript_vulnerability_fails(capsys):
    result = npm_audit_result(NPM_VULNERABLE)
    assert verdict([npm_audit_result(NPM_CLEAN), result], allow_unreachable=True) == 1
    assert "govuk-frontend <6.6.1: moderate" in capsys.readouterr().out


def test_an_audit_that_reached_no_advisory_service_is_not_a_pass(capsys):
    results = [pip_audit_result("pip-audit", PIP_UNREACHABLE), npm_audit_result(NPM_UNREACHABLE)]
    assert all(result.unreachable and not result.audited for result in results)
    assert verdict(results, allow_unreachable=False) == 2
    assert capsys.readouterr().out.count("NOT AUDITED") == 2
    # Allowed (CI without the advisory services): said loudly, but a vulnerability still fails.
    assert verdict(results, allow_unreachable=True) == 0
    assert "NOT AUDITED" in capsys.readouterr().out
    vulnerable = pip_audit_result("pip-audit", PIP_VULNERABLE)
    assert verdict([*results, vulnerable], allow_unreachable=True) == 1
