"""One person's attempt in the contention tests, run in an operating-system process of its own.

It imports nothing of Django's: like a browser, it loads the form from the real server, waits
until every other person has loaded theirs too, posts it, follows the redirect and reads what the
page says. ``tests/workflows/test_contention.py`` starts twenty of these at once.

Coordinators and chairs are sent to the two-factor page first; like their authenticator app, the
client works out the code from the secret key and the time (the server's, from its ``Date``
header: the test server's clock is moved to the suite's today) and types it in.
"""

import hashlib
import hmac
import html
import re
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlparse

import requests

# Every wait is bounded: a stuck server fails the test instead of hanging it.
TIMEOUT = 30
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S)
BANNERS = re.compile(r'class="govuk-notification-banner__heading">(.*?)</p>', re.S)
ERROR_SUMMARY = re.compile(r'class="govuk-list govuk-error-summary__list">(.*?)</ul>', re.S)
LIST_ITEMS = re.compile(r"<li>(.*?)</li>", re.S)
BODY_PARAGRAPHS = re.compile(r'<p class="govuk-body">(.*?)</p>', re.S)
TAGS = re.compile(r"<[^>]+>")


def text_of(fragment: str) -> str:
    """The words a person reads in an HTML fragment: no tags, one space between words."""
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split())


def what_the_page_says(page: str) -> dict:
    """The title, the notification banners, the error summary and the body paragraphs."""
    title = TITLE.search(page)
    summary = ERROR_SUMMARY.search(page)
    return {
        "title": text_of(title.group(1)) if title else "",
        "banners": [text_of(banner) for banner in BANNERS.findall(page)],
        "errors": [text_of(item) for item in LIST_ITEMS.findall(summary.group(1))]
        if summary
        else [],
        "paragraphs": [text_of(paragraph) for paragraph in BODY_PARAGRAPHS.findall(page)],
    }


def security_code(key_hex: str, at: float, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows at time ``at`` (TOTP, RFC 6238, with SHA-1)."""
    counter = int(at // step).to_bytes(8, "big")
    digest = hmac.new(bytes.fromhex(key_hex), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def type_security_code(browser, page_url: str, key_hex: str) -> None:
    """On the two-factor page at ``page_url``, type the code the app shows; fail if refused."""
    page = browser.get(page_url, timeout=TIMEOUT, allow_redirects=False)
    token = CSRF.search(page.text)
    if page.status_code != 200 or token is None:
        raise RuntimeError(f"the two-factor page did not load: {page.status_code}")
    server_time = parsedate_to_datetime(page.headers["Date"]).timestamp()
    next_path = re.search(r'name="next" value="([^"]*)"', page.text).group(1)
    response = browser.post(
        page_url,
        data={
            "otp_token": security_code(key_hex, server_time),
            "next": html.unescape(next_path),
            "csrfmiddlewaretoken": token.group(1),
        },
        headers={"Referer": page_url},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise RuntimeError(f"the security code was refused: {what_the_page_says(response.text)}")


def attempt(
    *, index, base_url, path, session_id, authenticator_key, data, barrier, results
) -> None:
    """Load the form at ``path`` signed in with ``session_id`` (typing the code from the
    authenticator app with ``authenticator_key`` if the server asks for it), wait at ``barrier``
    for the others, post ``data`` with the form's CSRF token, and put what happened on
    ``results``."""
    outcome = {"index": index}
    try:
        with requests.Session() as browser:
            browser.cookies.set("sessionid", session_id)
            url = urljoin(base_url, path)
            form = browser.get(url, timeout=TIMEOUT, allow_redirects=False)
            if urlparse(form.headers.get("Location", "")).path == "/sign-in/two-factor/":
                type_security_code(
                    browser, urljoin(url, form.headers["Location"]), authenticator_key
                )
                outcome["two_factor"] = True
                form = browser.get(url, timeout=TIMEOUT, allow_redirects=False)
            outcome["form_status"] = form.status_code
            token = CSRF.search(form.text)
            if form.status_code != 200 or token is None:
                raise RuntimeError(f"the form did not load: {form.status_code}")
            barrier.wait(timeout=TIMEOUT)
            response = browser.post(
                url,
                data={**data, "csrfmiddlewaretoken": token.group(1)},
                headers={"Referer": url},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
            outcome["status"] = response.status_code
            outcome["location"] = response.headers.get("Location", "")
            page = response
            if response.is_redirect:
                page = browser.get(urljoin(url, outcome["location"]), timeout=TIMEOUT)
            outcome["page_status"] = page.status_code
            outcome.update(what_the_page_says(page.text))
    except Exception as error:  # noqa: BLE001 - the test reports what each attempt met
        outcome["error"] = f"{type(error).__name__}: {error}"
        barrier.abort()  # the others stop waiting at once instead of timing out
    results.put(outcome)
