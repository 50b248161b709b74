"""Template context shared by every page."""

SERVICE_NAME = "Manage domestic homicide reviews"


def service(request) -> dict:
    """Give templates the service name (used in the header, titles and emails)."""
    return {"service_name": SERVICE_NAME}
