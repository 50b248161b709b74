"""Template helpers for a review's documents: ``{% load documents %}``."""

from django import template

from workflows.services.documents import documents_visible_to

register = template.Library()


@register.simple_tag
def visible_document_count(review, user) -> int:
    """How many of the review's documents ``user`` may see, for the review page's summary."""
    return documents_visible_to(user, review).count()
