"""GOV.UK Notify: the email backend against a local stand-in for Notify's API, and Notify's
delivery callbacks arriving at ``/webhooks/govuk-notify/``."""

import json
import socket
import threading
import time
import uuid
from email.mime.text import MIMEText
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from anymail.exceptions import (
    AnymailAPIError,
    AnymailConfigurationError,
    AnymailUnsupportedFeature,
)
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from notifications.models import Email, EmailStatus
from notifications.sending import email_send

SERVICE_ID = "3f2b6c1e-8d4a-4e7b-9c05-1a2b3c4d5e6f"
SECRET = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
WRONG_SECRET = "00000000-1111-4222-8333-444444444444"
API_KEY = f"dhr_demo_key-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"
REPLY_TO_ID = "c0ffee00-1234-4abc-8def-0123456789ab"
CALLBACK_TOKEN = "a-test-token"
TO = "alex.example@demo.example"
BODY = "A task is waiting for you on TEST-2027-001.\n"


def _errors(status: int, error: str, message: str) -> tuple[int, dict]:
    """An error reply in Notify's shape."""
    return status, {"errors": [{"error": error, "message": message}], "status_code": status}


class FakeNotify:
    """A stand-in for Notify's ``POST /v2/notifications/email`` on 127.0.0.1.

    Like Notify, it takes only requests whose bearer JWT is signed (HS256) with the secret of the
    service named in ``iss`` and issued within 30 seconds; it records each notification it takes.
    """

    def __init__(self):
        self.received: list[dict] = []  # bodies of the notifications taken
        self.issued: list[str] = []  # the ids given to them, in order
        self.refused: list[int] = []  # statuses of the requests refused
        self.fail_with: int | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A short poll keeps ``shutdown`` quick at each test's end.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def answer(self, path: str, authorization: str, raw: bytes) -> tuple[int, dict]:
        status, body = self._answer(path, authorization, raw)
        if status >= 400:
            self.refused.append(status)
        return status, body

    def _answer(self, path: str, authorization: str, raw: bytes) -> tuple[int, dict]:
        if path != "/v2/notifications/email":
            return _errors(404, "ResourceNotFound", "Not found")
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return _errors(401, "AuthError", "Unauthorized: authentication token must be provided")
        try:
            claims = jwt.decode(
                token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]}
            )
        except jwt.InvalidTokenError:
            return _errors(403, "AuthError", "Invalid token: API key not found")
        if claims["iss"] != SERVICE_ID:
            return _errors(403, "AuthError", "Invalid token: service not found")
        if abs(time.time() - claims["iat"]) > 30:
            return _errors(403, "AuthError", "Error: Your system clock must be accurate")
        if self.fail_with:
            return _errors(self.fail_with, "Exception", "Internal server error")
        notification = json.loads(raw)
        if notification.get("template_id") != TEMPLATE_ID:
            return _errors(400, "BadRequestError", "Template not found")
        self.received.append(notification)
        notification_id = str(uuid.uuid4())
        self.issued.append(notification_id)
        personalisation = notification.get("personalisation", {})
        return 201, {
            "id": notification_id,
            "reference": notification.get("reference"),
            "content": {
                "subject": personalisation.get("subject"),
                "body": personalisation.get("body"),
                "from_email": "manage.reviews@notifications.service.gov.uk",
                "one_click_unsubscribe_url": None,
            },
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": TEMPLATE_ID,
                "version": 1,
                "uri": f"{self.url}/services/{SERVICE_ID}/templates/{TEMPLATE_ID}",
            },
            "scheduled_for": None,
        }


def _handler_for(fake: FakeNotify):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = fake.answer(self.path, self.headers.get("Authorization", ""), raw)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            pass  # keep the test output quiet

    return Handler


@pytest.fixture
def notify(settings):
    """A running fake Notify, with the GOV.UK Notify backend configured to use it."""
    fake = FakeNotify()
    fake.start()
    settings.EMAIL_BACKEND = "notifications.govuk_notify.EmailBackend"
    settings.ANYMAIL = {
        "GOVUK_NOTIFY_API_KEY": API_KEY,
        "GOVUK_NOTIFY_TEMPLATE_ID": TEMPLATE_ID,
        "GOVUK_NOTIFY_BASE_URL": fake.url,
    }
    yield fake
    fake.stop()


def message_with_html(to=(TO,), **kwargs) -> mail.EmailMultiAlternatives:
    message = mail.EmailMultiAlternatives(
        subject="A task is waiting for you",
        body=BODY,
        from_email="reviews@dhr.example",
        to=list(to),
        **kwargs,
    )
    message.attach_alternative("<p>A task is waiting for you on TEST-2027-001.</p>", "text/html")
    message.metadata = {"email_id": "42"}
    return message


# The backend.


def test_send_posts_subject_body_and_reference_to_notify(notify):
    message = message_with_html()

    assert message.send() == 1

    assert notify.received == [
        {
            "email_address": TO,
            "template_id": TEMPLATE_ID,
            "personalisation": {"subject": "A task is waiting for you", "body": BODY},
            "reference": "42",
        }
    ]
    assert message.anymail_status.message_id == notify.issued[0]
    assert message.anymail_status.status == {"queued"}


def test_send_posts_once_per_recipient(notify):
    second = "sam.example@demo.example"
    message = message_with_html(to=(TO, second))

    message.send()

    assert [sent["email_address"] for sent in notify.received] == [TO, second]
    assert {sent["reference"] for sent in notify.received} == {"42"}
    recipients = message.anymail_status.recipients
    assert [recipients[TO].message_id, recipients[second].message_id] == notify.issued


def test_reply_to_id_setting_is_sent(notify, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "GOVUK_NOTIFY_EMAIL_REPLY_TO_ID": REPLY_TO_ID}

    message_with_html().send()

    assert notify.received[0]["email_reply_to_id"] == REPLY_TO_ID


def test_outbox_row_is_sent_through_notify(notify, db):
    """The outbox's own message (a Message-ID header, a tag) goes to Notify, and the row keeps
    Notify's id for the callbacks."""
    email = Email.objects.create(
        to_address=TO, kind="task_assigned", subject="A task", text_body=BODY, html_body="<p>x</p>"
    )

    assert email_send(email.pk) is True

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.provider_message_id == notify.issued[0]
    assert notify.received[0]["reference"] == str(email.pk)
    assert notify.received[0]["personalisation"] == {"subject": "A task", "body": BODY}


def test_wrong_api_key_is_refused_by_notify(notify, settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "GOVUK_NOTIFY_API_KEY": f"dhr_demo_key-{SERVICE_ID}-{WRONG_SECRET}",
    }

    with pytest.raises(AnymailAPIError) as raised:
        message_with_html().send()

    assert notify.refused == [403]
    assert notify.received == []
    assert "403" in str(raised.value)
    assert TO not in str(raised.value)
    assert "task is waiting" not in str(raised.value)


def test_notify_server_error_is_an_api_error(notify):
    notify.fail_with = 500

    with pytest.raises(AnymailAPIError) as raised:
        message_with_html().send()

    assert notify.refused == [500]
    assert "500" in str(raised.value)
    assert TO not in str(raised.value)


def test_notify_out_of_reach_is_an_api_error(notify, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "GOVUK_NOTIFY_BASE_URL": f"http://127.0.0.1:{closed_port}",
    }

    with pytest.raises(AnymailAPIError):
        message_with_html().send()


def _attach_file(message):
    message.attach("notes.txt", "Invented notes", "text/plain")


def _attach_mime(message):
    message.attach(MIMEText("Invented notes"))


def _add_metadata(message):
    message.metadata = {"email_id": "42", "review": "TEST-2027-001"}


@pytest.mark.parametrize(
    "change, options",
    [
        pytest.param(_attach_file, {}, id="attachment"),
        pytest.param(_attach_mime, {}, id="mime-attachment"),
        pytest.param(None, {"cc": ["copy@demo.example"]}, id="cc"),
        pytest.param(None, {"bcc": ["hidden@demo.example"]}, id="bcc"),
        pytest.param(None, {"reply_to": ["reply@demo.example"]}, id="reply-to"),
        pytest.param(None, {"headers": {"X-Priority": "1"}}, id="custom-header"),
        pytest.param(_add_metadata, {}, id="other-metadata"),
    ],
)
def test_unsupported_features_are_refused_before_sending(notify, change, options):
    message = message_with_html(**options)
    if change:
        change(message)

    with pytest.raises(AnymailUnsupportedFeature):
        message.send()

    assert notify.received == []
    assert notify.refused == []


def test_html_only_email_is_refused(notify):
    message = mail.EmailMessage("Subject", "<p>Only HTML</p>", "reviews@dhr.example", [TO])
    message.content_subtype = "html"

    with pytest.raises(AnymailUnsupportedFeature):
        message.send()

    assert notify.received == []


@pytest.mark.parametrize(
    "anymail, named",
    [
        pytest.param(
            {"GOVUK_NOTIFY_TEMPLATE_ID": TEMPLATE_ID}, "GOVUK_NOTIFY_API_KEY", id="no-key"
        ),
        pytest.param(
            {"GOVUK_NOTIFY_API_KEY": "", "GOVUK_NOTIFY_TEMPLATE_ID": TEMPLATE_ID},
            "GOVUK_NOTIFY_API_KEY",
            id="empty-key",
        ),
        pytest.param(
            {"GOVUK_NOTIFY_API_KEY": "not-a-notify-key", "GOVUK_NOTIFY_TEMPLATE_ID": TEMPLATE_ID},
            "GOVUK_NOTIFY_API_KEY",
            id="malformed-key",
        ),
        pytest.param(
            {"GOVUK_NOTIFY_API_KEY": API_KEY}, "GOVUK_NOTIFY_TEMPLATE_ID", id="no-template"
        ),
        pytest.param(
            {"GOVUK_NOTIFY_API_KEY": API_KEY, "GOVUK_NOTIFY_TEMPLATE_ID": "welcome"},
            "GOVUK_NOTIFY_TEMPLATE_ID",
            id="malformed-template",
        ),
    ],
)
def test_missing_or_wrong_settings_are_a_configuration_error(settings, anymail, named):
    settings.EMAIL_BACKEND = "notifications.govuk_notify.EmailBackend"
    settings.ANYMAIL = anymail

    with pytest.raises(AnymailConfigurationError, match=named) as raised:
        mail.get_connection()

    assert isinstance(raised.value, ImproperlyConfigured)
    assert SECRET not in str(raised.value)


# Delivery callbacks.


def notify_callback(notification_id: str, status: str, reference: str | None = None) -> dict:
    """A delivery receipt as Notify posts it."""
    return {
        "id": notification_id,
        "reference": reference,
        "to": TO,
        "status": status,
        "created_at": "2027-06-01T09:00:00.000000Z",
        "completed_at": "2027-06-01T09:00:05.000000Z",
        "sent_at": "2027-06-01T09:00:01.000000Z",
        "notification_type": "email",
        "template_id": TEMPLATE_ID,
        "template_version": 1,
    }


def sent_email(review=None, **fields) -> Email:
    return Email.objects.create(
        review=review,
        to_address=TO,
        kind="task_assigned",
        subject="s",
        text_body="t",
        html_body="h",
        status=EmailStatus.SENT,
        provider_message_id=fields.pop("provider_message_id", str(uuid.uuid4())),
        **fields,
    )


@pytest.fixture
def callback_token(settings):
    settings.GOVUK_NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN
    return CALLBACK_TOKEN


def post_callback(client, body, **headers):
    headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {CALLBACK_TOKEN}")
    if headers["HTTP_AUTHORIZATION"] is None:
        del headers["HTTP_AUTHORIZATION"]
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        reverse("govuk_notify_callback"), data, content_type="application/json", **headers
    )


def test_callback_url_is_the_documented_one():
    assert reverse("govuk_notify_callback") == "/webhooks/govuk-notify/"


@pytest.mark.parametrize(
    "status, recorded",
    [
        ("delivered", "delivered"),
        ("permanent-failure", "bounced"),
        ("temporary-failure", "bounced"),
        ("technical-failure", "failed"),
        ("sending", "queued"),
        ("accepted", ""),  # a letter status: not an email's, so nothing is recorded
    ],
)
def test_callback_records_delivery_status(client, db, callback_token, status, recorded):
    email = sent_email()

    response = post_callback(client, notify_callback(email.provider_message_id, status, "1"))

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == recorded
    assert (email.delivery_updated_at is not None) == bool(recorded)


def test_callback_finds_the_email_by_reference(client, db, callback_token):
    """A worker that died after Notify took the email never stored Notify's id."""
    email = sent_email(provider_message_id="")

    response = post_callback(client, notify_callback(str(uuid.uuid4()), "delivered", str(email.pk)))

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "delivered"


def test_callback_for_an_unknown_notification_is_accepted(client, db, callback_token):
    email = sent_email()

    response = post_callback(client, notify_callback(str(uuid.uuid4()), "delivered"))

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == ""


def test_sent_email_is_tracked_end_to_end(notify, client, db, callback_token):
    email = Email.objects.create(
        to_address=TO, kind="task_assigned", subject="A task", text_body=BODY, html_body="<p>x</p>"
    )
    email_send(email.pk)
    notification_id = notify.issued[0]

    response = post_callback(client, notify_callback(notification_id, "delivered", str(email.pk)))

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "delivered"


@pytest.mark.parametrize(
    "setting, authorization",
    [
        pytest.param(CALLBACK_TOKEN, None, id="no-header"),
        pytest.param(CALLBACK_TOKEN, "Bearer not-the-token", id="wrong-token"),
        pytest.param(CALLBACK_TOKEN, CALLBACK_TOKEN, id="no-bearer-scheme"),
        pytest.param(CALLBACK_TOKEN, f"Basic {CALLBACK_TOKEN}", id="other-scheme"),
        pytest.param("", f"Bearer {CALLBACK_TOKEN}", id="setting-empty"),
        pytest.param("", "Bearer ", id="setting-and-token-empty"),
    ],
)
def test_callback_without_the_right_token_is_refused(client, db, settings, setting, authorization):
    settings.GOVUK_NOTIFY_CALLBACK_TOKEN = setting
    email = sent_email()

    response = post_callback(
        client,
        notify_callback(email.provider_message_id, "permanent-failure"),
        HTTP_AUTHORIZATION=authorization,
    )

    assert response.status_code == 400
    email.refresh_from_db()
    assert email.delivery_status == ""
    assert Email.objects.count() == 1


@pytest.mark.parametrize("body", ["{not json", "[]", json.dumps({"status": "delivered"})])
def test_callback_that_is_not_a_notification_is_refused(client, db, callback_token, body):
    response = post_callback(client, body)

    assert response.status_code == 400


def test_permanent_failure_alerts_the_coordinators_once(
    client, callback_token, review, coordinator
):
    email = sent_email(review=review)
    body = notify_callback(email.provider_message_id, "permanent-failure", str(email.pk))

    first = post_callback(client, body)
    second = post_callback(client, body)

    assert (first.status_code, second.status_code) == (200, 200)
    alerts = Email.objects.filter(kind="delivery_failed")
    assert [(alert.to_address, alert.recipient, alert.review) for alert in alerts] == [
        (coordinator.email, coordinator, review)
    ]
    email.refresh_from_db()
    assert email.delivery_status == "bounced"
