"""What the review page shows of this part of the review."""


def summary(review, user) -> dict:
    """Context for the review page's partial; empty while there is nothing to show."""
    return {}
