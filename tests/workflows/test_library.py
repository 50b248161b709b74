"""The title a review has in the Home Office's national library of published reviews."""

from datetime import date

import pytest

from tests.factories import PartnershipFactory, ReviewFactory
from workflows.library import library_area, library_entries, library_title, review_letter
from workflows.stages import ReviewType

pytestmark = pytest.mark.django_db


def commissioned(partnership, reference, died, pseudonym="Robin", **facts):
    return ReviewFactory(
        partnership=partnership,
        reference=reference,
        date_of_death=died,
        notified_on=died,
        victim_pseudonym=pseudonym,
        commissioned=True,
        **facts,
    )


def test_the_title_names_the_pseudonym_area_year_of_death_and_letter(partnership):
    review = commissioned(partnership, "TEST-2027-01", date(2026, 12, 30))

    assert library_title(review) == "Robin - Testshire - 2026/a - DHR"


def test_reviews_of_a_year_take_letters_by_date_of_death_then_reference(partnership):
    later = commissioned(partnership, "TEST-2027-01", date(2027, 3, 1), "Wren")
    earlier = commissioned(partnership, "TEST-2027-03", date(2027, 1, 9), "Finch")
    same_day = commissioned(partnership, "TEST-2027-02", date(2027, 1, 9), "Lark")
    next_year = commissioned(partnership, "TEST-2028-01", date(2028, 1, 2), "Jay")

    assert [library_title(review) for review in (same_day, earlier, later, next_year)] == [
        "Lark - Testshire - 2027/a - DHR",
        "Finch - Testshire - 2027/b - DHR",
        "Wren - Testshire - 2027/c - DHR",
        "Jay - Testshire - 2028/a - DHR",
    ]


def test_each_partnership_has_its_own_letters(partnership):
    elsewhere = PartnershipFactory(name="Otherborough Community Safety Partnership")
    commissioned(partnership, "TEST-2027-01", date(2027, 1, 1), "Wren")
    theirs = commissioned(elsewhere, "OTHR-2027-01", date(2027, 2, 1), "Finch")

    assert library_title(theirs) == "Finch - Otherborough - 2027/a - DHR"


def test_a_dardr_ends_dardr(partnership):
    review = commissioned(
        partnership, "TEST-2027-01", date(2027, 1, 1), review_type=ReviewType.DARDR
    )

    assert library_title(review) == "Robin - Testshire - 2027/a - DARDR"


def test_a_joint_review_is_titled_as_a_dhr(partnership):
    review = commissioned(
        partnership, "TEST-2027-01", date(2027, 1, 1), review_type=ReviewType.JOINT
    )

    assert library_title(review).endswith("2027/a - DHR")


def test_no_pseudonym_means_no_title_but_the_review_keeps_its_letter(partnership):
    unnamed = commissioned(partnership, "TEST-2027-01", date(2027, 1, 1), pseudonym="")
    named = commissioned(partnership, "TEST-2027-02", date(2027, 2, 1), "Wren")

    assert library_title(unnamed) == ""
    assert library_title(named) == "Wren - Testshire - 2027/b - DHR"


def test_a_decision_not_to_review_is_never_titled_nor_takes_a_letter(partnership):
    for commissioned_flag in (False, None):
        ReviewFactory(
            partnership=partnership,
            date_of_death=date(2027, 1, 1),
            victim_pseudonym="Sparrow",
            commissioned=commissioned_flag,
        )
    review = commissioned(partnership, "TEST-2027-09", date(2027, 2, 1), "Wren")

    assert [entry.title for entry in library_entries([partnership.pk])] == [
        "Wren - Testshire - 2027/a - DHR"
    ]
    assert library_title(review) == "Wren - Testshire - 2027/a - DHR"


def test_entries_for_many_partnerships_take_one_query(partnership, django_assert_num_queries):
    others = [PartnershipFactory() for _ in range(3)]
    for index, owner in enumerate([partnership, *others] * 3):
        commissioned(owner, f"REF-{index:03d}", date(2027, 1, 1 + index))

    with django_assert_num_queries(1):
        entries = library_entries([partnership.pk, *(other.pk for other in others)])

    assert len(entries) == 12
    assert {entry.title.split(" - ")[2] for entry in entries} == {"2027/a", "2027/b", "2027/c"}


@pytest.mark.parametrize(
    ("position", "letter"), [(1, "a"), (2, "b"), (26, "z"), (27, "aa"), (28, "ab"), (53, "ba")]
)
def test_letters_run_past_z(position, letter):
    assert review_letter(position) == letter


@pytest.mark.parametrize(
    ("name", "area"),
    [
        ("Demoshire Community Safety Partnership", "Demoshire"),
        ("Sampleton CSP", "Sampleton"),
        ("Safer Exampleton", "Safer Exampleton"),
    ],
)
def test_the_library_names_the_area(name, area):
    assert library_area(name) == area
