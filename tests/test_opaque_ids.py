"""Database ids in addresses are opaque (project/opaque_ids.py): reversible with the key, fixed
length, unrelated for neighbouring ids, and anything that is not one of ours is a 404."""

import base64
import contextlib
import random
import re

import pytest
from django.test import override_settings
from django.urls import reverse

from project.opaque_ids import LARGEST_ID, LENGTH, OpaqueIdConverter, decode, encode

SHAPE = re.compile(r"[a-z2-7]{13}")
# Every database id that appears in an address (see the urls.py files).
ID_URLS = [
    ("tasks:claim", {"task_id": 7}),
    ("tasks:release", {"task_id": 7}),
    ("tasks:reassign", {"task_id": 7}),
    ("tasks:cover_end", {"cover_id": 7}),
    ("tasks:agency", {"reference": "TEST-2027-01", "task_id": 7}),
    ("tasks:panel", {"reference": "TEST-2027-01", "task_id": 7}),
    ("dashboard:chase", {"task_id": 7}),
    ("calendar:feed_revoke", {"feed_id": 7}),
    ("reviews:participant_remove", {"reference": "TEST-2027-01", "participant_id": 7}),
    ("reviews:invitation_resend", {"reference": "TEST-2027-01", "participant_id": 7}),
    ("reviews:document_download", {"reference": "TEST-2027-01", "version_id": 7}),
    ("reviews:document_view", {"reference": "TEST-2027-01", "version_id": 7}),
    ("reviews:document_share", {"reference": "TEST-2027-01", "document_id": 7}),
    ("reviews:qa_area_done", {"reference": "TEST-2027-01", "area_id": 7}),
    ("reviews:qa_area_reopen", {"reference": "TEST-2027-01", "area_id": 7}),
    ("reviews:publication_name_remove", {"reference": "TEST-2027-01", "name_id": 7}),
]


def sample_ids() -> list[int]:
    chosen = random.Random(20270601)
    return [
        *range(0, 3000),
        *(chosen.randrange(LARGEST_ID) for _ in range(3000)),
        2**32 - 1,
        2**32,
        LARGEST_ID,
    ]


def test_every_id_comes_back():
    for value in sample_ids():
        assert decode(encode(value)) == value


def test_every_id_is_thirteen_letters_and_digits():
    assert LENGTH == 13
    for value in sample_ids():
        assert SHAPE.fullmatch(encode(value)), value


def test_distinct_ids_never_share_an_address():
    values = sample_ids()
    assert len({encode(value) for value in values}) == len(set(values))


def test_another_secret_key_gives_other_addresses():
    ours = [encode(value) for value in range(1, 200)]
    with override_settings(SECRET_KEY="another-deployment-" + "k" * 40):
        theirs = [encode(value) for value in range(1, 200)]
        # Each deployment reads its own addresses back.
        assert [decode(text) for text in theirs] == list(range(1, 200))
        # Ours mean nothing there: refused, or some other number.
        for value, text in enumerate(ours, start=1):
            with contextlib.suppress(ValueError):
                assert decode(text) != value
    assert not set(ours) & set(theirs)


def as_bits(text: str) -> int:
    """The 64 bits an address spells."""
    return int.from_bytes(base64.b32decode(text.upper() + "==="), "big")


def bits_apart(first: str, second: str) -> int:
    return (as_bits(first) ^ as_bits(second)).bit_count()


def test_neighbouring_ids_look_unrelated():
    """Counting up changes about half of the bits each time, and the addresses' order says
    nothing about the ids' order: nobody can tell a later task from an earlier one."""
    addresses = [encode(value) for value in range(1, 2001)]
    apart = [bits_apart(a, b) for a, b in zip(addresses, addresses[1:], strict=False)]
    assert 30 <= sum(apart) / len(apart) <= 34  # of 64 bits, about 32 differ
    assert min(apart) >= 12
    shared_start = sum(a[:3] == b[:3] for a, b in zip(addresses, addresses[1:], strict=False))
    assert shared_start <= 2  # by chance, one pair in 32,768
    rising = sum(a < b for a, b in zip(addresses, addresses[1:], strict=False))
    assert 900 <= rising <= 1100  # about half, as for a shuffled list


@pytest.mark.parametrize(
    "text",
    [
        "7",  # a plain database id
        "0000000000007",
        "ABCDEFGHIJKLM",  # upper case
        "abcdefghijkl",  # too short
        "abcdefghijklmn",  # too long
        "abcdefghijk1m",  # 1 is not base32
        "../../etc/pas",
        "",
        None,
    ],
)
def test_what_is_not_an_opaque_id_is_refused(text):
    with pytest.raises(ValueError):
        decode(text)


def test_only_the_canonical_spelling_is_accepted():
    """The last letter carries one spare bit: the other spelling of an id is not its address."""
    address = encode(41)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    spare = alphabet[alphabet.index(address[-1]) ^ 1]
    with pytest.raises(ValueError):
        decode(address[:-1] + spare)


def test_nothing_decodes_above_the_largest_database_id():
    """About half of all well-formed strings decode to numbers no bigint holds: those are
    refused (a 404), never sent to the database, where they would be an error."""
    chosen = random.Random(41)
    refused = 0
    for _ in range(400):
        text = base64.b32encode(chosen.randbytes(8)).decode().rstrip("=").lower()
        try:
            assert 0 <= decode(text) <= LARGEST_ID
        except ValueError:
            refused += 1
    assert 150 <= refused <= 250


@pytest.mark.parametrize("value", [-1, LARGEST_ID + 1, "7", 7.0, True, None])
def test_only_database_ids_are_encoded(value):
    with pytest.raises(ValueError):
        encode(value)


@pytest.mark.parametrize(("name", "kwargs"), ID_URLS)
def test_addresses_carry_no_database_id(name, kwargs):
    url = reverse(name, kwargs=kwargs)
    assert encode(7) in url
    assert "/7/" not in url
    assert OpaqueIdConverter().to_python(encode(7)) == 7


def test_the_converter_matches_only_its_shape():
    assert re.fullmatch(OpaqueIdConverter.regex, encode(123))
    assert not re.fullmatch(OpaqueIdConverter.regex, "123")


# Through the pages: the real address works, anything else is a 404.


@pytest.fixture
def remove_url(police_participant):
    def url_for(participant_part: str) -> str:
        return f"/reviews/{police_participant.review.reference}/people/{participant_part}/remove/"

    return url_for


def test_the_opaque_address_opens_the_page(client, coordinator, police_participant, remove_url):
    client.force_login(coordinator)
    url = reverse(
        "reviews:participant_remove",
        args=[police_participant.review.reference, police_participant.pk],
    )
    assert url == remove_url(encode(police_participant.pk))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "participant_part",
    [
        lambda pk: str(pk),  # the database id itself
        lambda pk: encode(pk).upper(),
        lambda pk: encode(pk)[:-1],
        lambda pk: encode(pk + 1),  # a neighbour that does not exist
        lambda pk: "zzzzzzzzzzzzz",
        lambda pk: "%3Cscript%3E",
    ],
    ids=["database-id", "upper-case", "cut-short", "neighbour", "garbage", "markup"],
)
def test_anything_else_is_not_found(
    client, coordinator, police_participant, remove_url, participant_part
):
    client.force_login(coordinator)
    response = client.get(remove_url(participant_part(police_participant.pk)))
    assert response.status_code == 404


def test_an_address_made_under_another_key_is_not_found(
    client, coordinator, police_participant, remove_url
):
    with override_settings(SECRET_KEY="another-deployment-" + "k" * 40):
        foreign = encode(police_participant.pk)
    client.force_login(coordinator)
    assert client.get(remove_url(foreign)).status_code == 404
