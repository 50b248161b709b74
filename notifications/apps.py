from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Connects the delivery tracking receiver to anymail's signal.
        from notifications import tracking  # noqa: F401
