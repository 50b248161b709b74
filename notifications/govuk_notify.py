"""GOV.UK Notify for django-anymail: an email backend, and the view for Notify's delivery callbacks.

Sending
-------
Notify sends only emails built from templates kept in Notify itself. This service renders its own
emails, so it uses one Notify email template whose subject is ``((subject))`` and whose body is
``((body))``; each email's subject and plain text fill those two placeholders. Notify renders the
HTML itself, so an email's HTML alternative is not sent.

Settings live in ``settings.ANYMAIL``; ``project/settings.py`` turns every ``ANYMAIL_<NAME>``
environment variable into ``ANYMAIL["<NAME>"]``::

    EMAIL_BACKEND=notifications.govuk_notify.EmailBackend
    ANYMAIL_GOVUK_NOTIFY_API_KEY=<key name>-<service id>-<secret>   # required
    ANYMAIL_GOVUK_NOTIFY_TEMPLATE_ID=<the ((subject)) / ((body)) template's id>   # required
    ANYMAIL_GOVUK_NOTIFY_BASE_URL=https://api.notifications.service.gov.uk   # optional
    ANYMAIL_GOVUK_NOTIFY_EMAIL_REPLY_TO_ID=<a reply-to address's id in Notify>   # optional

Notify sends from the service's own address (set in Notify), so ``from_email`` is not sent; the
reply-to address is chosen by ``GOVUK_NOTIFY_EMAIL_REPLY_TO_ID``, not by ``reply_to``. Notify takes
one address per request, so a message to several people is one request per address. The outbox
row's id (``message.metadata["email_id"]``) goes to Notify as the notification's ``reference`` and
comes back in its callbacks.

Delivery callbacks
------------------
In Notify's API integration settings, set the delivery receipts callback URL to
``https://<this service>/webhooks/govuk-notify/`` and its bearer token to the value of
``GOVUK_NOTIFY_CALLBACK_TOKEN``. Without that setting every callback is refused.
"""

import json
import re
import uuid

from anymail.backends.base import AnymailBaseBackend, BasePayload
from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailWebhookValidationFailure,
)
from anymail.message import AnymailRecipientStatus
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from anymail.utils import get_anymail_setting
from anymail.webhooks.base import AnymailCoreWebhookView
from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
# anymail would derive setting names from esp_name, and the dot in "GOV.UK" would make them
# "GOV.UK_NOTIFY_..."; this name gives "GOVUK_NOTIFY_...".
SETTINGS_NAME = "GOVUK Notify"
# Headers Django or the outbox set that Notify has no way to carry: Notify makes its own.
IGNORED_HEADERS = {"message-id", "date"}
EMAIL_ADDRESS = re.compile(r"[^\s@\"'<>(),;:]+@[^\s@\"'<>(),;:]+")


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError):
        return False
    return True


class EmailBackend(AnymailBaseBackend):
    """Sends each email through GOV.UK Notify's one ``((subject))``/``((body))`` template.

    Settings (``settings.ANYMAIL`` keys): ``GOVUK_NOTIFY_API_KEY`` and ``GOVUK_NOTIFY_TEMPLATE_ID``
    (required), ``GOVUK_NOTIFY_BASE_URL`` and ``GOVUK_NOTIFY_EMAIL_REPLY_TO_ID`` (optional). Each
    may also be given to ``get_connection`` as ``api_key``, ``template_id``, ``base_url`` or
    ``email_reply_to_id``.
    """

    esp_name = "GOV.UK Notify"

    def __init__(self, **kwargs):
        self.api_key = self._setting("api_key", kwargs)
        self.template_id = self._setting("template_id", kwargs)
        self.base_url = self._setting("base_url", kwargs, required=False) or DEFAULT_BASE_URL
        self.email_reply_to_id = self._setting("email_reply_to_id", kwargs, required=False)
        self._check_settings()
        super().__init__(**kwargs)
        self.client = None

    def _setting(self, name: str, kwargs: dict, required: bool = True):
        """The setting's value, or None; a required one missing, or empty, is an error."""
        default = {} if required else {"default": None}
        value = get_anymail_setting(name, esp_name=SETTINGS_NAME, kwargs=kwargs, **default)
        if required and not value:
            # An environment variable set but empty is as good as missing.
            raise AnymailConfigurationError(
                f"ANYMAIL['GOVUK_NOTIFY_{name.upper()}'] is empty: the {self.esp_name} "
                "email backend needs it"
            )
        return value or None

    def _check_settings(self) -> None:
        # The client cuts the service id and secret from the key's last 73 characters.
        key = str(self.api_key)
        if len(key) < 73 or key[-37] != "-" or not (_uuid(key[-73:-37]) and _uuid(key[-36:])):
            raise AnymailConfigurationError(
                "ANYMAIL['GOVUK_NOTIFY_API_KEY'] is not a GOV.UK Notify API key: expected "
                "<key name>-<service id>-<secret>, as Notify shows it when the key is made"
            )
        if not _uuid(str(self.template_id)):
            raise AnymailConfigurationError(
                "ANYMAIL['GOVUK_NOTIFY_TEMPLATE_ID'] is not a GOV.UK Notify template id (a UUID)"
            )

    def open(self) -> bool:
        if self.client is not None:
            return False
        self.client = NotificationsAPIClient(self.api_key, base_url=self.base_url)
        return True

    def close(self) -> None:
        if self.client is None:
            return
        self.client.request_session.close()
        self.client = None

    def build_message_payload(self, message, defaults):
        return NotifyPayload(message, defaults, self)

    def post_to_esp(self, payload, message):
        """Ask Notify to send the email to each recipient; returns ``[(address, response)]``."""
        if self.client is None:
            self.open()
        personalisation = {"subject": payload.subject, "body": payload.body_text()}
        sent = []
        for recipient in payload.recipients:
            try:
                response = self.client.send_email_notification(
                    email_address=recipient.addr_spec,
                    template_id=self.template_id,
                    personalisation=personalisation,
                    reference=payload.reference,
                    email_reply_to_id=self.email_reply_to_id,
                )
            except APIError as error:
                # Raised without its cause: Notify's reply could echo what it was sent, and
                # this text ends up in logs and on the outbox row.
                raise AnymailAPIError(
                    _describe(error, len(sent), len(payload.recipients)),
                    backend=self,
                    email_message=message,
                    payload=payload,
                ) from None
            sent.append((recipient.addr_spec, response))
        return sent

    def parse_recipient_status(self, response, payload, message):
        statuses = {}
        for address, notification in response:
            try:
                notification_id = str(notification["id"])
            except (KeyError, TypeError):
                raise AnymailAPIError(
                    f"{self.esp_name} accepted the email but its reply has no notification id",
                    backend=self,
                    email_message=message,
                    payload=payload,
                ) from None
            statuses[address] = AnymailRecipientStatus(message_id=notification_id, status="queued")
        return statuses


def _describe(error: APIError, sent: int, total: int) -> str:
    """What went wrong, in words that name no address and quote no content."""
    detail = error.message
    if isinstance(detail, list):
        detail = "; ".join(
            ": ".join(str(part) for part in (item.get("error"), item.get("message")) if part)
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
    detail = EMAIL_ADDRESS.sub("[address]", str(detail))[:200]
    text = f"GOV.UK Notify did not take the email: HTTP {error.status_code}: {detail}"
    if sent:
        text += f" (after it took {sent} of its {total} recipients)"
    return text


class NotifyPayload(BasePayload):
    """What one message asks of Notify: the addresses, subject, plain text and reference."""

    def init_payload(self):
        self.recipients = []
        self.subject = ""
        self.text_body = ""
        self.html_body = ""
        self.reference = None

    def set_from_email(self, email):
        pass  # Notify sends from the service's own address

    def add_recipient(self, recipient_type, email):
        if recipient_type == "to":
            self.recipients.append(email)
        else:
            self.unsupported_feature(recipient_type)

    def set_subject(self, subject):
        self.subject = subject or ""

    def set_reply_to(self, emails):
        if emails:
            self.unsupported_feature("reply_to (set GOVUK_NOTIFY_EMAIL_REPLY_TO_ID instead)")

    def set_extra_headers(self, headers):
        others = [name for name in headers if name.lower() not in IGNORED_HEADERS]
        if others:
            self.unsupported_feature("extra_headers")

    def set_text_body(self, body):
        self.text_body = body or ""

    def set_html_body(self, body):
        self.html_body = body or ""  # kept only for an email that has no plain text

    def add_attachment(self, attachment):
        self.unsupported_feature("attachments")

    def set_metadata(self, metadata):
        email_id = metadata.get("email_id")
        self.reference = str(email_id) if email_id not in (None, "") else None
        if set(metadata) - {"email_id"}:
            self.unsupported_feature("metadata other than email_id")

    def set_tags(self, tags):
        pass  # Notify has no tags; the outbox sets the email's kind as one for other providers

    def body_text(self) -> str:
        if not self.text_body and self.html_body:
            self.unsupported_feature("an HTML body without a plain-text one")
            return strip_tags(self.html_body)
        return self.text_body


# Notify's statuses: https://docs.notifications.service.gov.uk/python.html#status-email
EVENT_FOR_STATUS = {
    "delivered": (EventType.DELIVERED, None),
    "permanent-failure": (EventType.BOUNCED, RejectReason.BOUNCED),
    # Notify gives up on a temporary failure (a full inbox, say) and does not try again.
    "temporary-failure": (EventType.BOUNCED, RejectReason.OTHER),
    "technical-failure": (EventType.FAILED, None),
    "sending": (EventType.QUEUED, None),
    "created": (EventType.QUEUED, None),
    "pending": (EventType.QUEUED, None),
}


class NotifyTrackingWebhookView(AnymailCoreWebhookView):
    """GOV.UK Notify's delivery receipts, sent on as anymail ``tracking`` signals.

    Notify posts one JSON object per notification whenever its status changes, with the
    callback's bearer token in ``Authorization``; it must equal
    ``settings.GOVUK_NOTIFY_CALLBACK_TOKEN``. Anything else gets HTTP 400.
    """

    esp_name = "GOV.UK Notify"
    signal = tracking

    def validate_request(self, request):
        expected = getattr(settings, "GOVUK_NOTIFY_CALLBACK_TOKEN", "") or ""
        if not expected:
            raise AnymailWebhookValidationFailure(
                "GOV.UK Notify callback refused: GOVUK_NOTIFY_CALLBACK_TOKEN is not set"
            )
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not constant_time_compare(token.strip(), expected):
            raise AnymailWebhookValidationFailure(
                "GOV.UK Notify callback refused: missing or wrong bearer token"
            )

    def parse_events(self, request):
        try:
            notification = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise AnymailWebhookValidationFailure(
                "GOV.UK Notify callback refused: the body is not JSON"
            ) from None
        if not isinstance(notification, dict) or not notification.get("id"):
            raise AnymailWebhookValidationFailure(
                "GOV.UK Notify callback refused: no notification in the body"
            )
        status = str(notification.get("status") or "")
        event_type, reject_reason = EVENT_FOR_STATUS.get(status, (EventType.UNKNOWN, None))
        reference = notification.get("reference")
        when = notification.get("completed_at") or notification.get("sent_at")
        try:
            timestamp = parse_datetime(when) if isinstance(when, str) else None
        except ValueError:
            timestamp = None
        return [
            AnymailTrackingEvent(
                event_type=event_type,
                reject_reason=reject_reason,
                message_id=str(notification["id"]),
                recipient=notification.get("to"),
                timestamp=timestamp,
                metadata={"email_id": str(reference)} if reference else {},
                esp_event=notification,
                description=status,
            )
        ]
