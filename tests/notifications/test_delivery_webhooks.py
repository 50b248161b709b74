"""Postmark's delivery webhook through anymail (``/anymail/postmark/tracking/``): what it records
on the outbox row, whom it alerts, and whom it refuses."""

import base64
import json

import pytest

from notifications.models import Email, EmailStatus

URL = "/anymail/postmark/tracking/"
WEBHOOK_SECRET = "user:pass"
MESSAGE_ID = "0b5c2a7e-3f41-4d8a-9e26-7c1d5f8a4b30"
TO = "alex.example@demo.example"


def basic_auth(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}


def delivery(message_id: str = MESSAGE_ID, metadata: dict | None = None) -> dict:
    """A Delivery event in the shape Postmark posts it."""
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": TO,
        "Tag": "task_assigned",
        "DeliveredAt": "2027-06-01T09:00:05.1234567Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": metadata or {},
    }


def hard_bounce(message_id: str = MESSAGE_ID, metadata: dict | None = None) -> dict:
    """A hard Bounce event in the shape Postmark posts it."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "task_assigned",
        "MessageID": message_id,
        "Metadata": metadata or {},
        "ServerID": 23,
        "Description": (
            "The server was unable to deliver your message (ex: unknown user, mailbox not found)."
        ),
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
        "Email": TO,
        "From": "reviews@dhr.example",
        "BouncedAt": "2027-06-01T09:00:07.1234567Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "A task is waiting for you",
    }


def post_event(client, event: dict, authorization: str | None = basic_auth(WEBHOOK_SECRET)):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return client.post(URL, json.dumps(event), content_type="application/json", **headers)


def sent_email(review=None, message_id: str = MESSAGE_ID) -> Email:
    return Email.objects.create(
        review=review,
        to_address=TO,
        kind="task_assigned",
        subject="s",
        text_body="t",
        html_body="h",
        status=EmailStatus.SENT,
        provider_message_id=message_id,
    )


def test_delivery_is_recorded(client, db):
    email = sent_email()

    response = post_event(client, delivery())

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "delivered"
    assert email.delivery_updated_at is not None


def test_hard_bounce_is_recorded(client, db):
    email = sent_email()

    response = post_event(client, hard_bounce())

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "bounced"
    assert email.delivery_detail.startswith("The server was unable to deliver")


def test_event_is_matched_by_metadata_when_the_message_id_is_unknown(client, db):
    email = sent_email(message_id="")

    response = post_event(client, delivery("not-stored", metadata={"email_id": str(email.pk)}))

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "delivered"


def test_delivery_after_a_bounce_does_not_undo_it(client, db):
    email = sent_email()
    post_event(client, hard_bounce())

    response = post_event(client, delivery())

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == "bounced"


def test_bounce_of_an_email_about_a_review_alerts_its_coordinators_once(
    client, review, coordinator
):
    email = sent_email(review=review)

    first = post_event(client, hard_bounce())
    again = post_event(client, hard_bounce())

    assert (first.status_code, again.status_code) == (200, 200)
    email.refresh_from_db()
    assert email.delivery_status == "bounced"
    alerts = Email.objects.filter(kind="delivery_failed")
    assert [(alert.to_address, alert.recipient, alert.review) for alert in alerts] == [
        (coordinator.email, coordinator, review)
    ]
    assert alerts[0].status == EmailStatus.READY


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-credentials"),
        pytest.param(basic_auth("user:wrong"), id="wrong-password"),
        pytest.param(basic_auth("someone:pass"), id="wrong-user"),
    ],
)
def test_post_without_the_webhook_secret_is_refused(client, db, authorization):
    email = sent_email()

    response = post_event(client, hard_bounce(), authorization=authorization)

    assert response.status_code == 400
    email.refresh_from_db()
    assert email.delivery_status == ""
    assert Email.objects.count() == 1


def test_event_for_an_unknown_message_is_accepted_and_ignored(client, db):
    email = sent_email()

    response = post_event(client, hard_bounce("5e0d9c8b-7a6f-4e5d-8c4b-3a2f1e0d9c8b"))

    assert response.status_code == 200
    email.refresh_from_db()
    assert email.delivery_status == ""
    assert Email.objects.count() == 1
