"""The load generator of ``make load``: each locust user signs in as a different bench user, then
browses the pages that person would use (dashboard, "My tasks", review pages) until the window
closes.

Run only by ``bench.load``, in a process of its own: locust patches the standard library with
gevent at import, so this file must never be imported where Django is (nor import Django).

``bench.load`` hands over a plan (a JSON file named by ``BENCH_LOAD_PLAN``): the browsing
window, the think time, the bench clock and, for each person, their email, password, TOTP key
and pages.
Every request this file makes is recorded to ``BENCH_LOAD_SAMPLES`` (JSON lines) for
``bench.load`` to summarise: page type, time in milliseconds, and the error if there was one.
"""

import hashlib
import hmac
import json
import os
import random
import re
import struct
import time
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

SIGN_IN_PATH = "/sign-in/"


def totp_code(hex_key: str, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows for this key now (RFC 6238: HMAC-SHA-1 over the
    count of 30-second steps since the epoch, dynamically truncated as in RFC 4226)."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def form_fields(html: str, field: str) -> tuple[str | None, dict[str, str]]:
    """The action and hidden inputs (the CSRF token, ``next``) of the POST form that has an input
    named ``field``: pages carry other forms too, such as "Sign out" in the header."""
    for attributes, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", html, re.S | re.I):
        if 'method="post"' not in attributes.lower() or f'name="{field}"' not in body:
            continue
        action = re.search(r"action=\"([^\"]*)\"", attributes)
        hidden = {}
        for tag in re.findall(r"<input\b[^>]*>", body, re.I):
            name = re.search(r"name=\"([^\"]+)\"", tag)
            value = re.search(r"value=\"([^\"]*)\"", tag)
            if 'type="hidden"' in tag and name:
                hidden[unescape(name.group(1))] = unescape(value.group(1)) if value else ""
        return (unescape(action.group(1)) if action else None), hidden
    return None, {}


def sign_in_redirect(response) -> bool:
    """Did this response (or a redirect on its way) send the person to the sign-in page?"""
    # The sign-in page itself or the two-factor page under it.
    hops = [*response.history, response]
    locations = [urlsplit(hop.headers.get("Location", "")).path for hop in hops]
    locations.append(urlsplit(response.url or "").path)
    return any(path.startswith(SIGN_IN_PATH) for path in locations)


# Everything below needs locust (and so gevent's patching), loaded only when bench.load runs this
# file; the code above does not, so that tests can import it next to Django.
if os.environ.get("BENCH_LOAD_PLAN"):
    import gevent
    from gevent.event import Event
    from locust import HttpUser, events, task
    from locust.exception import StopUser

    PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
    PEOPLE = iter(PLAN["people"])
    SAMPLES: list[dict] = []
    # Everyone signs in first; the browsing window opens when the last person is in (or failed),
    # so that the figures are for every user browsing at once, not for a ramp.
    ALL_IN = Event()
    STATE = {"settled": 0, "done": 0, "window_opened": None, "window_closes": None}

    @events.request.add_listener
    def record(request_type, name, response_time, response_length, exception, context, **_kw):
        SAMPLES.append(
            {
                "page": name,
                "ms": round(response_time, 2),
                "at": time.time(),
                "browsing": bool(context.get("browsing")),
                "error": None if exception is None else str(exception)[:300],
            }
        )

    @events.quitting.add_listener
    def write_samples(environment, **_kw):
        lines = [json.dumps({"window": STATE["window_opened"], "closed": time.time()})]
        lines += [json.dumps(sample) for sample in SAMPLES]
        Path(os.environ["BENCH_LOAD_SAMPLES"]).write_text("\n".join(lines) + "\n")

    def open_window():
        if not ALL_IN.is_set():
            STATE["window_opened"] = time.time()
            STATE["window_closes"] = time.monotonic() + PLAN["seconds"]
            # bench.load reads the server's CPU time when this appears.
            Path(os.environ["BENCH_LOAD_SAMPLES"] + ".window").write_text(str(time.time()))
            ALL_IN.set()

    class BenchUser(HttpUser):
        """One person of the bench data set: signs in, then browses their own pages."""

        def wait_time(self):
            return random.uniform(PLAN["think_seconds"][0], PLAN["think_seconds"][1])

        def on_start(self):
            self.person = next(PEOPLE)
            self.client.headers["User-Agent"] = "dhr-bench-load"
            self.signed_in = False
            try:
                self.signed_in = self.sign_in()
            except Exception as error:  # noqa: BLE001 - counted as a sign-in error, not a crash
                self.environment.events.request.fire(
                    request_type="POST",
                    name="sign-in",
                    response_time=0,
                    response_length=0,
                    exception=error,
                    context={},
                )
            finally:
                STATE["settled"] += 1
                if STATE["settled"] == len(PLAN["people"]):
                    open_window()
            if not ALL_IN.wait(timeout=PLAN["sign_in_timeout_seconds"]):
                open_window()  # someone is stuck signing in: browse without them
            # Fifty people at work are each somewhere between two pages, not all clicking in the
            # same millisecond: each opens their first page after a pause like any other, so the
            # window does not start with fifty requests queued behind four workers at once.
            gevent.sleep(self.wait_time())

        def finished(self):
            STATE["done"] += 1
            if STATE["done"] == len(PLAN["people"]):
                # Stop from outside this user's greenlet: quitting kills every user's greenlet.
                gevent.spawn(self.environment.runner.quit)
            raise StopUser()

        def sign_in(self) -> bool:
            """Password, then the authenticator code if the service asks for one: wherever it
            asks (straight after the password or on the first page after it) is followed, not
            assumed."""
            page = self.client.get(SIGN_IN_PATH, name="sign-in")
            action, fields = form_fields(page.text, "password")
            fields.update({"username": self.person["email"], "password": self.person["password"]})
            with self.client.post(
                urljoin(page.url, action or SIGN_IN_PATH),
                data=fields,
                name="sign-in",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                if answer.status_code != 302:
                    answer.failure(f"the password was refused ({answer.status_code})")
                    return False
            landing_url = urljoin(answer.url, answer.headers["Location"])
            with self.client.get(landing_url, name="sign-in", catch_response=True) as landing:
                if landing.status_code >= 400:
                    landing.failure(f"{landing.status_code} on the first page after sign-in")
                    return False
                if not urlsplit(landing.url).path.startswith(SIGN_IN_PATH):
                    return True
                if 'name="otp_token"' not in landing.text:
                    landing.failure(f"sent to {urlsplit(landing.url).path} after the password")
                    return False
                if not self.person.get("totp_key"):
                    landing.failure("asked for an authenticator code; the bench has no key")
                    return False
            return self.two_factor(landing)

        def two_factor(self, page) -> bool:
            """Type the code the person's authenticator app shows now."""
            action, fields = form_fields(page.text, "otp_token")
            # The app's clock is the server's: the bench runs it at the data set's date.
            now = time.time() + PLAN["clock_offset_seconds"]
            fields["otp_token"] = totp_code(self.person["totp_key"], at=now)
            with self.client.post(
                urljoin(page.url, action or page.url),
                data=fields,
                name="two-factor",
                allow_redirects=False,
                catch_response=True,
            ) as answer:
                location = urlsplit(answer.headers.get("Location", "")).path
                if answer.status_code != 302 or location.startswith(SIGN_IN_PATH):
                    answer.failure(f"the authenticator code was refused ({answer.status_code})")
                    return False
            return True

        @task
        def browse(self):
            if not self.signed_in or time.monotonic() >= STATE["window_closes"]:
                self.finished()
            # Each kind of page as often as the others, whatever the number of reviews.
            kind = random.choice(sorted({page["type"] for page in self.person["pages"]}))
            page = random.choice([page for page in self.person["pages"] if page["type"] == kind])
            with self.client.get(
                page["path"], name=page["type"], catch_response=True, context={"browsing": True}
            ) as response:
                if sign_in_redirect(response):
                    response.failure(f"sent to sign-in from {page['path']}")
                elif response.status_code >= 400:
                    response.failure(f"{response.status_code} on {page['path']}")
                else:
                    response.success()
