"""Copy the GOV.UK and MOJ front-end assets from ``node_modules`` into ``static/vendor/``.

Run it after ``npm ci``::

    python -m project.frontend

It needs no Django. The result is::

    static/vendor/govuk/govuk-frontend.min.css
    static/vendor/govuk/govuk-frontend.min.js
    static/vendor/govuk/assets/{fonts,images,manifest.json}
    static/vendor/moj/moj-frontend.min.css
    static/vendor/moj/moj-frontend.min.js
    static/vendor/moj/assets/images/...

The packages' CSS refers to ``url(/assets/...)``, which would resolve against the site root;
those references are rewritten to paths relative to the CSS file so they work under
``STATIC_URL`` (and with hashed file names from ``ManifestStaticFilesStorage``). Source map
comments are removed because the maps are not copied. Running it twice gives the same result.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
NODE_MODULES = BASE_DIR / "node_modules"
VENDOR_DIR = BASE_DIR / "static" / "vendor"

GOVUK_SOURCE = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
MOJ_SOURCE = NODE_MODULES / "@ministryofjustice" / "frontend" / "moj"

ABSOLUTE_ASSET_URL = re.compile(r"""url\(\s*(['"]?)/assets/([^'")]+)\1\s*\)""")
SOURCE_MAP_COMMENT = re.compile(
    r"""(?:/\*#\s*sourceMappingURL=[^*]*\*/|//#\s*sourceMappingURL=\S*)[ \t]*\n?"""
)


class FrontendError(Exception):
    """A problem that stops the copy, with a message meant for the person running it."""


def check_sources(*sources: Path) -> None:
    """Fail with a clear message when the npm packages have not been installed."""
    if not NODE_MODULES.is_dir():
        raise FrontendError(f"{NODE_MODULES} is missing: run npm ci first.")
    for source in sources:
        if not source.is_dir():
            raise FrontendError(f"{source} is missing: run npm ci first.")


def strip_source_maps(text: str) -> str:
    """Remove ``sourceMappingURL`` comments (CSS and JS forms) and trailing blank space."""
    return SOURCE_MAP_COMMENT.sub("", text).rstrip() + "\n"


def rewrite_asset_urls(css: str, candidates: list[tuple[Path, str]]) -> tuple[str, list[str]]:
    """Point every ``url(/assets/...)`` at a copied file, relative to the CSS file.

    ``candidates`` are ``(assets directory in node_modules, prefix to use in the CSS)`` pairs,
    tried in order; the first directory holding the file wins. Returns the new CSS and the
    asset paths that no candidate holds (those are left untouched).
    """
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        relative = match.group(2)
        path_only = relative.split("?", 1)[0].split("#", 1)[0]
        for assets_dir, prefix in candidates:
            if (assets_dir / path_only).is_file():
                return f"url({prefix}{relative})"
        missing.append(relative)
        return match.group(0)

    return ABSOLUTE_ASSET_URL.sub(replace, css), missing


def write_text_if_changed(target: Path, text: str) -> bool:
    """Write ``text`` to ``target`` unless it already holds exactly that; report a change."""
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return True


def copy_tree(source: Path, target: Path) -> None:
    """Replace ``target`` with a fresh copy of the directory ``source``."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)


def copy_css(source: Path, target: Path, candidates: list[tuple[Path, str]]) -> list[str]:
    """Copy a stylesheet, rewriting asset URLs and removing its source map comment."""
    css, missing = rewrite_asset_urls(source.read_text(encoding="utf-8"), candidates)
    write_text_if_changed(target, strip_source_maps(css))
    return missing


def copy_js(source: Path, target: Path) -> None:
    """Copy a script, removing its source map comment."""
    write_text_if_changed(target, strip_source_maps(source.read_text(encoding="utf-8")))


def copy_govuk(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Copy govuk-frontend's CSS, JS and assets to ``<vendor_dir>/govuk/``."""
    target = vendor_dir / "govuk"
    copy_tree(GOVUK_SOURCE / "assets", target / "assets")
    missing = copy_css(
        GOVUK_SOURCE / "govuk-frontend.min.css",
        target / "govuk-frontend.min.css",
        [(GOVUK_SOURCE / "assets", "assets/")],
    )
    copy_js(GOVUK_SOURCE / "govuk-frontend.min.js", target / "govuk-frontend.min.js")
    return missing


def copy_moj(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Copy MOJ Frontend's CSS, JS and assets to ``<vendor_dir>/moj/``.

    Asset URLs point at MOJ's own copy when it has the file, otherwise at the GOV.UK copy.
    """
    target = vendor_dir / "moj"
    candidates = [(GOVUK_SOURCE / "assets", "../govuk/assets/")]
    if (MOJ_SOURCE / "assets").is_dir():
        copy_tree(MOJ_SOURCE / "assets", target / "assets")
        candidates.insert(0, (MOJ_SOURCE / "assets", "assets/"))
    missing = copy_css(
        MOJ_SOURCE / "moj-frontend.min.css", target / "moj-frontend.min.css", candidates
    )
    copy_js(MOJ_SOURCE / "moj-frontend.min.js", target / "moj-frontend.min.js")
    return missing


def main() -> int:
    """Copy both packages and report what was written; return the process exit status."""
    try:
        check_sources(GOVUK_SOURCE, MOJ_SOURCE)
        missing = copy_govuk() + copy_moj()
    except FrontendError as error:
        print(f"project.frontend: {error}", file=sys.stderr)
        return 1
    for relative in missing:
        print(f"project.frontend: warning: no asset for url(/assets/{relative})", file=sys.stderr)
    print(f"Front-end assets copied to {VENDOR_DIR.relative_to(BASE_DIR)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
