"""The name check: is any restricted real name in a text, and on which page?

The rules, kept simple so a coordinator can predict them:

- Case, accents and spacing do not matter: "ZOË  smith", "Zoe\\nSmith" and "zoe smith" all match
  "Zoë Smith". Soft hyphens and zero-width characters are ignored.
- Whole words only: "Ann" is not found in "Annual".
- The full name is looked for, and each part of it of three letters or more on its own, because
  a surname alone identifies someone. A part found without the full name is reported as "part of
  the victim's real name".
- A part that is one of the review's pseudonyms is not looked for on its own (the report uses the
  pseudonym throughout), nor are titles such as "Mrs". Nothing else is exempt: a real name that
  is also a common word ("May") will be found wherever that word is used, and the text must change.

Hits are labels and page numbers, never the names, so they can be shown and stored anywhere.
"""

import logging
import re
import unicodedata
from functools import lru_cache

from django.db import IntegrityError, transaction

from workflows.models import NameCheckResult
from workflows.publication.names import RestrictedLabel, names_digest
from workflows.publication.text import UNREADABLE, Page, Unreadable, document_pages

logger = logging.getLogger(__name__)

MIN_PART_LETTERS = 3
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "rev", "sir", "dame", "lord", "lady"}
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Spaces, line breaks and hyphens (with the typographic ones) between the parts of a name.
SEPARATOR = r"[\s\-\u2010-\u2013]+"
SEPARATORS = re.compile(SEPARATOR)


def normalise(text: str) -> str:
    """Lower case with accents removed and invisible characters dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(INVISIBLE))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _words(name: str) -> list[str]:
    return [word for word in SEPARATORS.split(normalise(name)) if word]


@lru_cache(maxsize=256)
def _patterns(name: str, allowed: tuple[str, ...]) -> tuple[re.Pattern, list[re.Pattern]]:
    words = _words(name)
    whole = re.compile(r"(?<!\w)" + SEPARATOR.join(map(re.escape, words)) + r"(?!\w)")
    exempt = {word for pseudonym in allowed for word in _words(pseudonym)} | TITLES
    parts = [
        re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
        for word in dict.fromkeys(words)
        if len(word) >= MIN_PART_LETTERS and word not in exempt
    ]
    return whole, parts


def labels_in(text: str, names: list[RestrictedLabel], allowed: list[str]) -> list[str]:
    """The labels of the restricted names found in ``text``, in the order of ``names``."""
    found = normalise(text)
    labels = []
    for item in names:
        if not _words(item.name):
            continue
        whole, parts = _patterns(item.name, tuple(sorted(allowed)))
        if whole.search(found):
            labels.append(item.label)
        elif any(part.search(found) for part in parts):
            labels.append(f"part of {item.label}")
    return list(dict.fromkeys(labels))


def page_hits(pages: list[Page], names: list[RestrictedLabel], allowed: list[str]) -> list[dict]:
    """``[{"label", "page", "part"}]`` for every name found on every page."""
    return [
        {"label": label, "page": page.number, "part": page.part}
        for page in pages
        for label in labels_in(page.text, names, allowed)
    ]


def version_name_check(
    version, names: list[RestrictedLabel], allowed: list[str]
) -> NameCheckResult:
    """The name check of one document version, from the cache when this version was already
    checked for exactly these names. A new result is saved (in a savepoint, so a race with
    another request checking the same version is harmless)."""
    digest = names_digest(names, allowed)
    cached = NameCheckResult.objects.filter(version=version, names_digest=digest).first()
    if cached is not None:
        return cached
    result = NameCheckResult(version=version, names_digest=digest)
    try:
        pages = document_pages(_read(version), version.content_type)
    except Unreadable as unreadable:
        result.error = unreadable.message
    else:
        result.pages = sum(1 for page in pages if page.number is not None)
        result.hits = page_hits(pages, names, allowed)
    try:
        with transaction.atomic():
            result.save()
    except IntegrityError:
        return NameCheckResult.objects.get(version=version, names_digest=digest)
    logger.info(
        "name check of document version %s: %s hits%s",
        version.pk,
        len(result.hits),
        ", unreadable" if result.error else "",
    )
    return result


def _read(version) -> bytes:
    try:
        with version.file.open("rb") as handle:
            return handle.read()
    except (OSError, ValueError):
        raise Unreadable(UNREADABLE) from None
