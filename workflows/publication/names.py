"""The real names of a review that must never be published, each with a label that is safe to
show anywhere ("the victim's real name") because it does not contain the name."""

import hashlib
import json
from dataclasses import dataclass

from workflows.models import RestrictedName


@dataclass(frozen=True)
class RestrictedLabel:
    """One real name and what to call it when it is found."""

    label: str
    name: str


def restricted_names(review) -> list[RestrictedLabel]:
    """The victim's and perpetrator's real names and every ``RestrictedName`` of the review."""
    names = []
    if review.victim_real_name.strip():
        names.append(RestrictedLabel("the victim's real name", review.victim_real_name.strip()))
    if review.perpetrator_real_name.strip():
        names.append(
            RestrictedLabel("the perpetrator's real name", review.perpetrator_real_name.strip())
        )
    for restricted in RestrictedName.objects.filter(review=review).order_by("pk"):
        if restricted.name.strip():
            label = f"a family member's real name ({restricted.relationship})"
            names.append(RestrictedLabel(label, restricted.name.strip()))
    return names


def pseudonyms(review) -> list[str]:
    """The names the report is meant to use: never a hit on their own (see ``name_check``)."""
    return [name for name in (review.victim_pseudonym, review.perpetrator_pseudonym) if name]


def names_digest(names: list[RestrictedLabel], allowed: list[str]) -> str:
    """A digest of what a check looked for: a new name, label or pseudonym means a new check.
    Only the digest is stored with a result, never the names."""
    payload = json.dumps(
        [[[item.label, item.name] for item in names], sorted(allowed)], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode()).hexdigest()
