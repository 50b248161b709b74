"""Production static files: collectstatic hashes and compresses the GOV.UK assets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_collectstatic_succeeds_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "dhr.example.gov.uk",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:5432/unused",
        "VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    css = list((tmp_path / "staticfiles" / "vendor" / "govuk").glob("govuk-frontend.min.*.css"))
    assert css, "the GOV.UK stylesheet was not collected with a hashed name"
    # Fonts the stylesheet names resolve to hashed files that exist.
    assert "bold-b542beb274-v2." in css[0].read_text()
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()
