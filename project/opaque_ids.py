"""Opaque object ids in URLs: ``/tasks/q7k2m4x9b3c5a/claim/`` rather than ``/tasks/41/claim/``.

Database ids count up, so an id in a URL tells whoever sees it how many tasks, documents or
people the service holds and roughly how fast that grows, and lets anyone walk the neighbours of
an id they were given. The ``oid`` path converter shows each id as a fixed-length string that is
a keyed permutation of the integer (a Feistel network over 64 bits whose rounds are
HMAC-SHA256 keyed from ``SECRET_KEY``), written in lowercase base32 (13 letters and digits).

Views still receive integers and ``reverse()`` / ``{% url %}`` still take integers: only the
text in the address changes. A string that is not one of ours (malformed, edited by hand, made
under another key, or decoding to no possible id) does not match the pattern, so it is a 404
before any view runs.

Not every number in a URL goes through here: recommendations and Home Office submissions are
addressed by their ordinal *within one review* (``<int:number>``, "recommendation 3"), a number
people are shown and quote anyway and which says nothing about the rest of the service.
Rotating ``SECRET_KEY`` changes every opaque id, so links in old emails then answer 404.
See docs/adr/0010-opaque-ids-in-urls.md.
"""

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from django.conf import settings

ROUNDS = 6
LENGTH = 13  # 64 bits in base32, without padding
PATTERN = f"[a-z2-7]{{{LENGTH}}}"
# Ids are PostgreSQL bigints (BigAutoField): anything decoding above this is nobody's id, and
# asking the database for it would be an error rather than a 404.
LARGEST_ID = 2**63 - 1
_HALF = 0xFFFFFFFF
_SHAPE = re.compile(PATTERN)


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    """A key of its own for this purpose, so the ids reveal nothing about SECRET_KEY's other
    uses (sessions, password reset links)."""
    return hmac.new(secret.encode(), b"project.opaque_ids: ids in URLs", hashlib.sha256).digest()


def _round(key: bytes, number: int, half: int) -> int:
    digest = hmac.new(key, bytes([number]) + half.to_bytes(4, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def encode(value: int) -> str:
    """The opaque string for the database id ``value`` (13 characters, ``[a-z2-7]``)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_ID:
        raise ValueError(f"Not a database id: {value!r}")
    return _encoded(settings.SECRET_KEY, value)


# A page links to the same id more than once (a task, and the buttons to release or reassign
# it) and people reload their pages: six HMAC rounds per link add up on a list of tasks.
@lru_cache(maxsize=16384)
def _encoded(secret: str, value: int) -> str:
    key = _key(secret)
    left, right = value >> 32, value & _HALF
    for number in range(ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    block = ((left << 32) | right).to_bytes(8, "big")
    return base64.b32encode(block).decode().rstrip("=").lower()


def decode(text: str) -> int:
    """The database id behind ``text``; ``ValueError`` if it is not an id made by ``encode``."""
    if not isinstance(text, str) or not _SHAPE.fullmatch(text):
        raise ValueError("Not an opaque id.")
    block = base64.b32decode(text.upper() + "===")
    # Base32 carries one spare bit here: only the canonical spelling is accepted, so each id has
    # exactly one address.
    if base64.b32encode(block).decode().rstrip("=").lower() != text:
        raise ValueError("Not an opaque id.")
    key = _key(settings.SECRET_KEY)
    whole = int.from_bytes(block, "big")
    left, right = whole >> 32, whole & _HALF
    for number in reversed(range(ROUNDS)):
        left, right = right ^ _round(key, number, left), left
    value = (left << 32) | right
    if value > LARGEST_ID:
        raise ValueError("Not an opaque id.")
    return value


class OpaqueIdConverter:
    """Path converter ``<oid:name>``: an opaque string in the URL, an ``int`` for the view."""

    regex = PATTERN

    def to_python(self, value: str) -> int:
        # A ValueError here makes the pattern not match: the request is a 404.
        return decode(value)

    def to_url(self, value: int) -> str:
        return encode(value)
