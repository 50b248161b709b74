"""The name check on the publish step page: ``{% publication_name_check review %}``."""

from django import template

from workflows.publication.gate import name_check

register = template.Library()


@register.inclusion_tag("publication/_name_hits.html")
def publication_name_check(review) -> dict:
    """Every hit of the name check (labels and pages, never names) and the link to fix them."""
    return {"review": review, "name_check": name_check(review)}
